//! Regenerates the synthetic test data in `testdata/lds/generated/` from
//! `inspectd::testkit::lds_gen` and the EAC test PKI in `testdata/eac/` from
//! `inspectd::testkit::cv_pki` (deterministic: fixed seeds, no clock).
//!
//! `cargo run --example gen_testdata`            writes the files
//! `cargo run --example gen_testdata -- --check` compares without writing; exit 1 on any diff

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let check = std::env::args().skip(1).any(|a| a == "--check");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let eac = root.join("testdata/eac");
    match inspectd::testkit::sync_generated(&eac, &inspectd::testkit::cv_pki::generate(), check) {
        Ok(d) if check && !d.is_empty() => {
            eprintln!("testdata/eac is stale ({d:?}): run `cargo run --example gen_testdata`");
            return ExitCode::from(1);
        }
        Ok(d) => d
            .iter()
            .for_each(|n| println!("wrote {}", eac.join(n).display())),
        Err(e) => {
            eprintln!("cannot write under {}: {e}", eac.display());
            return ExitCode::from(2);
        }
    }
    let dir = root.join("testdata/lds/generated");
    let files = inspectd::testkit::lds_gen::generate();
    match inspectd::testkit::sync_generated(&dir, &files, check) {
        Ok(d) if d.is_empty() => ExitCode::SUCCESS,
        Ok(d) if check => {
            for n in &d {
                eprintln!("differs: {}", dir.join(n).display());
            }
            eprintln!("testdata/lds/generated is stale: run `cargo run --example gen_testdata`");
            ExitCode::from(1)
        }
        Ok(d) => {
            for n in &d {
                println!("wrote {}", dir.join(n).display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot write under {}: {e}", dir.display());
            ExitCode::from(2)
        }
    }
}
