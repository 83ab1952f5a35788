//! Test and simulation kit: deterministic data generators and the virtual chip.
//!
//! Compiled into the library (not only under `cfg(test)`) because `inspectd sim` serves the
//! virtual chip to real PC/SC readers for terminal vendors and labs.

pub mod dataset;
pub mod replay;
pub mod virtual_chip;
pub mod vpcd;

pub use replay::{Replay, TranscriptError};
pub use virtual_chip::{AaChipKey, Access, ChipProfile, Fault, VirtualChip};
pub mod aa_keys;
pub mod cv_pki;
pub mod lds_gen;
pub mod pki;

/// Writes generated test files under `dir` (creating parent directories), or with `check`
/// only compares them with what is there. Returns the names that differed (were rewritten,
/// or would be). Shared by the `gen_testdata` and `gen_pki` examples.
pub fn sync_generated(
    dir: &std::path::Path,
    files: &[(String, Vec<u8>)],
    check: bool,
) -> std::io::Result<Vec<String>> {
    let mut differ = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(name);
        if std::fs::read(&path).ok().as_deref() == Some(bytes.as_slice()) {
            continue;
        }
        differ.push(name.clone());
        if !check {
            if let Some(p) = path.parent() {
                std::fs::create_dir_all(p)?;
            }
            std::fs::write(&path, bytes)?;
        }
    }
    Ok(differ)
}
