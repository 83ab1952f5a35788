//! Regenerates the synthetic test PKI in `testdata/pki/` from `inspectd::testkit::pki`
//! (deterministic: seeded RNGs, fixed dates, no clock). SYNTHETIC TEST KEYS ONLY.
//!
//! RSA keys (`testdata/pki/keys/*.key.der`) are generated only when missing (slow in debug
//! builds) and then reused.
//!
//! `cargo run --example gen_pki`            writes the files
//! `cargo run --example gen_pki -- --check` compares without writing; exit 1 on any diff

use inspectd::testkit::{lds_gen, pki};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let check = std::env::args().skip(1).any(|a| a == "--check");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/pki");
    let mut keys = Vec::new();
    for (name, bits, seed) in pki::RSA_KEYS {
        let path = dir.join("keys").join(name);
        let der = match std::fs::read(&path) {
            Ok(d) => d,
            Err(_) if !check => {
                eprintln!("generating {name} ({bits} bits)...");
                let d = pki::generate_rsa_key(*bits, *seed);
                let _ = std::fs::create_dir_all(dir.join("keys"));
                if let Err(e) = std::fs::write(&path, &d) {
                    eprintln!("cannot write {}: {e}", path.display());
                    return ExitCode::from(2);
                }
                d
            }
            Err(e) => {
                eprintln!("missing {}: {e}", path.display());
                return ExitCode::from(1);
            }
        };
        keys.push(((*name).to_owned(), der));
    }
    let passport = lds_gen::generate();
    let files = pki::generate(&pki::PkiInputs {
        rsa_keys: &keys,
        passport: &passport,
    });
    if files.is_empty() {
        eprintln!("the RSA keys do not parse");
        return ExitCode::from(2);
    }
    match inspectd::testkit::sync_generated(&dir, &files, check) {
        Ok(d) if d.is_empty() => ExitCode::SUCCESS,
        Ok(d) if check => {
            for n in &d {
                eprintln!("differs: {}", dir.join(n).display());
            }
            eprintln!("testdata/pki is stale: run `cargo run --example gen_pki`");
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
