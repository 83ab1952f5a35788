//! `inspectd read --virtual`: exit codes, JSON and the dump it writes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::process::Command;

use inspectd::testkit::lds_gen;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_inspectd"))
}

#[test]
fn reads_the_synthetic_passport_and_writes_a_verifiable_dump() {
    let mrz = lds_gen::specimen_mrz();
    let dir = std::env::temp_dir().join(format!("inspectd-read-{}", std::process::id()));
    let out = bin()
        .args([
            "read",
            "--virtual",
            "--json",
            "--mrz",
            &mrz[0],
            &mrz[1],
            "--out",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["access_protocol"], "bac");
    assert_eq!(
        v["sod_data_groups"],
        serde_json::json!([1, 2, 11, 12, 14, 15])
    );
    assert_eq!(v["mrz"]["document_number"], "U12345678");
    assert_eq!(v["active_authentication"]["status"], "passed");
    // Every generated file is in the dump, byte for byte.
    for (name, bytes) in lds_gen::generate() {
        assert_eq!(std::fs::read(dir.join(&name)).unwrap(), bytes, "{name}");
    }
    // A clone: the same files on another chip, which lacks the private AA key.
    let out = bin()
        .args(["read", "--json", "--mrz", &mrz[0], &mrz[1], "--virtual"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["active_authentication"]["status"], "failed");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn wrong_key_exits_1_and_missing_key_exits_2() {
    let out = bin()
        .args([
            "read",
            "--virtual",
            "--document-number",
            "U12345678",
            "--date-of-birth",
            "850101",
            "--date-of-expiry",
            "351230",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("authentication refused"));
    let out = bin().args(["read", "--virtual"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn only_the_requested_data_groups() {
    let out = bin()
        .args([
            "read",
            "--virtual",
            "--json",
            "--dg",
            "1",
            "--document-number",
            "U12345678",
            "--date-of-birth",
            "850101",
            "--date-of-expiry",
            "351231",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["EF.CardAccess", "EF.COM", "EF.SOD", "EF.DG1"]);
}
