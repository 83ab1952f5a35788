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
    let pki = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/pki");
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
        .args(["--trust", &format!("{pki}/csca-rsa.der")])
        .args(["--trust", &format!("{pki}/crl-rsa.der")])
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
    assert_eq!(v["passive_authentication"]["verdict"], "valid");
    assert_eq!(v["verdict"], "valid");
    // Every generated file is in the dump, byte for byte (EF.SOD is the signed one).
    for (name, bytes) in lds_gen::generate() {
        let want = if name == "EF_SOD.bin" {
            inspectd::testkit::dataset::SIGNED_SOD.to_vec()
        } else {
            bytes
        };
        assert_eq!(std::fs::read(dir.join(&name)).unwrap(), want, "{name}");
    }
    // Without a trust anchor the verdict is inconclusive, never valid.
    let out = bin()
        .args(["read", "--virtual", "--json", "--mrz", &mrz[0], &mrz[1]])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "inconclusive");
    // Tampered data on a chip: the DG11 hash no longer matches EF.SOD.
    let tampered = dir.with_extension("tampered");
    std::fs::create_dir_all(&tampered).unwrap();
    for e in std::fs::read_dir(&dir).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), tampered.join(e.file_name())).unwrap();
    }
    let mut dg11 = std::fs::read(tampered.join("DG11.bin")).unwrap();
    let at = dg11.windows(6).position(|w| w == b"TESTER").unwrap();
    dg11[at..at + 6].copy_from_slice(b"HACKER");
    std::fs::write(tampered.join("DG11.bin"), dg11).unwrap();
    let out = bin()
        .args(["read", "--json", "--mrz", &mrz[0], &mrz[1], "--virtual"])
        .arg(&tampered)
        .args(["--trust", &format!("{pki}/csca-rsa.der")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "invalid");
    assert_eq!(v["passive_authentication"]["verdict"], "invalid");
    std::fs::remove_dir_all(&tampered).ok();
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
    // No trust anchor given: inconclusive (exit 1), never valid.
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "inconclusive");
    let files: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["EF.CardAccess", "EF.COM", "EF.SOD", "EF.DG1"]);
}

#[test]
fn a_printed_mrz_that_differs_from_the_chip_makes_the_document_invalid() {
    // Same document number and dates (so BAC works), another name on the printed page.
    let mrz = lds_gen::specimen_mrz();
    let forged_line1 = mrz[0].replace("ANNA", "ANNE");
    let pki = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/pki");
    let out = bin()
        .args([
            "read",
            "--virtual",
            "--json",
            "--mrz",
            &forged_line1,
            &mrz[1],
        ])
        .args(["--trust", &format!("{pki}/csca-rsa.der")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "invalid");
    let checks = v["document_checks"].as_array().unwrap();
    let dg1 = checks
        .iter()
        .find(|c| c["id"] == "dg1.matches_printed_mrz")
        .unwrap();
    assert_eq!(dg1["status"], "failed");
    let exp = checks
        .iter()
        .find(|c| c["id"] == "document.expiry")
        .unwrap();
    assert_eq!(exp["status"], "passed");
    // The chip itself is genuine and its data signed.
    assert_eq!(v["passive_authentication"]["verdict"], "valid");
    assert_eq!(v["active_authentication"]["status"], "passed");
}

#[test]
fn can_reads_the_built_in_pace_passport() {
    let pki = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/pki");
    let out = bin()
        .args(["read", "--virtual", "--json", "--can", "271828"])
        .args(["--trust", &format!("{pki}/csca-rsa.der")])
        .args(["--trust", &format!("{pki}/crl-rsa.der")])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let access = &v["access_protocol"]["pace"];
    assert_eq!(access["mapping"], "Generic", "{v}");
    assert_eq!(access["password"], "can");
    // A wrong CAN is reported as a wrong password.
    let out = bin()
        .args(["read", "--virtual", "--can", "000000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("wrong PACE password"), "{err}");
}
