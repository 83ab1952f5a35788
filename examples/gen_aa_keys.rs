//! Writes the synthetic Active Authentication test keys to `testdata/aa/`
//! (`cargo run --release --example gen_aa_keys`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/aa");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, der) in inspectd::testkit::aa_keys::regenerate_files().unwrap() {
        std::fs::write(dir.join(name), der).unwrap();
        println!("wrote {name}");
    }
}
