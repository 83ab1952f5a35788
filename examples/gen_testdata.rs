//! Regenerates the synthetic test data in `testdata/lds/generated/` from
//! `inspectd::testkit::lds_gen` (deterministic: fixed seed, no clock).
//!
//! `cargo run --example gen_testdata`            writes the files
//! `cargo run --example gen_testdata -- --check` compares without writing; exit 1 on any diff

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let check = std::env::args().skip(1).any(|a| a == "--check");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/lds/generated");
    let files = inspectd::testkit::lds_gen::generate();
    let mut differ = false;
    if !check {
        if let Err(e) = std::fs::create_dir_all(&dir) {
            eprintln!("cannot create {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    }
    for (name, bytes) in &files {
        let path = dir.join(name);
        let same = std::fs::read(&path).ok().as_deref() == Some(bytes.as_slice());
        if check {
            if !same {
                eprintln!("differs: {}", path.display());
                differ = true;
            }
        } else if !same {
            if let Err(e) = std::fs::write(&path, bytes) {
                eprintln!("cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
            println!("wrote {} ({} bytes)", path.display(), bytes.len());
        }
    }
    if differ {
        eprintln!("testdata/lds/generated is stale: run `cargo run --example gen_testdata`");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
