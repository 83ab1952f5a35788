//! The committed synthetic files in `testdata/lds/generated/` must be byte-identical to what
//! `testkit::lds_gen::generate()` produces now (CI's regeneration check); likewise the EAC test
//! PKI in `testdata/eac/` and `testkit::cv_pki::generate()`.

use std::path::PathBuf;

#[test]
fn generated_lds_testdata_is_fresh() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/lds/generated");
    let files = inspectd::testkit::lds_gen::generate();
    let mut stale = Vec::new();
    for (name, bytes) in &files {
        match std::fs::read(dir.join(name)) {
            Ok(b) if b == *bytes => {}
            _ => stale.push(name.clone()),
        }
    }
    assert!(
        stale.is_empty(),
        "stale or missing in testdata/lds/generated: {stale:?}; run `cargo run --example gen_testdata`"
    );
    // No extra files that the generator no longer produces.
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".bin"))
        .collect();
    on_disk.sort();
    let mut want: Vec<String> = files.into_iter().map(|(n, _)| n).collect();
    want.sort();
    assert_eq!(on_disk, want);
}

#[test]
fn generated_eac_testdata_is_fresh() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/eac");
    let files = inspectd::testkit::cv_pki::generate();
    assert_eq!(files.len(), 5);
    let stale = inspectd::testkit::sync_generated(&dir, &files, true).unwrap();
    assert!(
        stale.is_empty(),
        "stale or missing in testdata/eac: {stale:?}; run `cargo run --example gen_testdata`"
    );
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "README.md")
        .collect();
    on_disk.sort();
    let mut want: Vec<String> = files.into_iter().map(|(n, _)| n).collect();
    want.sort();
    assert_eq!(on_disk, want);
}
