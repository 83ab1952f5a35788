//! `inspectd trust` and `inspectd verify` through the binary: exit codes and JSON.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::process::Command;
use tempfile::TempDir;

use inspectd::testkit::dataset::SIGNED_SOD;
use inspectd::testkit::lds_gen;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_inspectd"))
}

fn pki(name: &str) -> String {
    format!("{}/testdata/pki/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A fresh directory per call. Tests run on parallel threads of one process, so a name built
/// from the process id alone was shared: one test removed or changed (DG1 byte flip) the dump
/// another was verifying, and `verify_exit_codes` failed unless run with --test-threads=1.
fn tmp(tag: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("inspectd-{tag}-"))
        .tempdir()
        .unwrap()
}

/// A dump of the synthetic passport with the signed EF.SOD (its own directory).
fn dump() -> TempDir {
    let d = tmp("dump");
    for (name, bytes) in lds_gen::generate() {
        let b = if name == "EF_SOD.bin" {
            SIGNED_SOD.to_vec()
        } else {
            bytes
        };
        std::fs::write(d.path().join(name), b).unwrap();
    }
    d
}

const AT: &str = "2026-06-01T00:00:00Z";

#[test]
fn trust_import_is_idempotent_and_a_bad_file_changes_nothing() {
    let store = tmp("store");
    let s = store.path().to_str().unwrap();
    let out = bin()
        .args([
            "trust",
            "import",
            "--trust-store",
            s,
            &pki("csca-rsa.der"),
            &pki("crl-rsa.der"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("added"));
    let bad = store.path().join("not-a-cert.der");
    std::fs::write(&bad, b"\x30\x03\x02\x01\x00").unwrap();
    let out = bin()
        .args(["trust", "import", "--trust-store", s, &pki("csca-rsa.der")])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("unchanged"));
    let out = bin()
        .args(["trust", "list", "--trust-store", s, "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["cscas"].as_array().unwrap().len(), 1);
    assert_eq!(v["crls"].as_array().unwrap().len(), 1);
    assert_eq!(v["cscas"][0]["source"], pki("csca-rsa.der"));
    let out = bin()
        .args([
            "trust",
            "list",
            "--trust-store",
            s,
            "--json",
            "--country",
            "XX",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["cscas"].as_array().unwrap().is_empty());

    // The store is what verify uses.
    let d = dump();
    let out = bin()
        .args(["verify", "--json", "--at", AT, "--trust-store", s])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "valid");
}

#[test]
fn verify_exit_codes() {
    let d = dump();
    // Valid with loose trust files.
    let out = bin()
        .args([
            "verify",
            "--at",
            AT,
            "--trust",
            &pki("csca-rsa.der"),
            "--trust",
            &pki("crl-rsa.der"),
        ])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Passive Authentication: VALID"));
    // No trust anchor: inconclusive, exit 1.
    let out = bin()
        .args(["verify", "--json", "--at", AT])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "inconclusive");
    // A changed DG1 byte: invalid, exit 1, and the check says which group.
    let mut dg1 = std::fs::read(d.path().join("DG1.bin")).unwrap();
    let last = dg1.len() - 1;
    dg1[last] ^= 1;
    std::fs::write(d.path().join("DG1.bin"), dg1).unwrap();
    let out = bin()
        .args([
            "verify",
            "--json",
            "--at",
            AT,
            "--trust",
            &pki("csca-rsa.der"),
        ])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "invalid");
    let hashes = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "pa.dg_hashes")
        .unwrap();
    assert_eq!(hashes["status"], "failed");
    // Unusable input: exit 2.
    let out = bin().args(["verify", "/nonexistent/dir"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

fn check<'a>(v: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

#[test]
fn verify_master_list_anchor_and_deviation_lists() {
    let d = dump();
    // A master list in --trust is used only with an anchor its signer chains to.
    let out = bin()
        .args([
            "verify",
            "--json",
            "--at",
            AT,
            "--trust",
            &pki("masterlist.der"),
        ])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--master-list-anchor"));
    let out = bin()
        .args([
            "verify",
            "--json",
            "--at",
            AT,
            "--trust",
            &pki("masterlist.der"),
        ])
        .args(["--master-list-anchor", &pki("csca-p256.der")])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "the signer is not under CSCA P256"
    );
    let out = bin()
        .args([
            "verify",
            "--json",
            "--at",
            AT,
            "--trust",
            &pki("masterlist.der"),
        ])
        .args(["--master-list-anchor", &pki("csca-rsa.der")])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "valid");
    assert!(check(&v, "pa.ds_certificate")["details"]["csca_source"]
        .as_str()
        .unwrap()
        .contains("master list"));

    // A changed DG2 byte: invalid, unless a verified deviation list names DG2 for this
    // document, imported into the store with `trust import`; then a named warning and an
    // inconclusive verdict (DG2 is unproven).
    let mut dg2 = std::fs::read(d.path().join("DG2.bin")).unwrap();
    dg2[200] ^= 1;
    std::fs::write(d.path().join("DG2.bin"), dg2).unwrap();
    let store = tmp("dl-store");
    let s = store.path().to_str().unwrap();
    // Before its CSCA is in the store, the deviation list is refused.
    let out = bin()
        .args([
            "trust",
            "import",
            "--trust-store",
            s,
            &pki("deviations.der"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = bin()
        .args(["trust", "import", "--trust-store", s])
        .args([&pki("csca-rsa.der"), &pki("deviations.der")])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verify = |store: Option<&str>| {
        let mut c = bin();
        c.args([
            "verify",
            "--json",
            "--at",
            AT,
            "--trust",
            &pki("csca-rsa.der"),
        ]);
        if let Some(s) = store {
            c.args(["--trust-store", s]);
        }
        let out = c.arg(d.path()).output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), v)
    };
    // `trust list` shows the list, its signer and its entries.
    let out = bin()
        .args(["trust", "list", "--trust-store", s, "--json"])
        .output()
        .unwrap();
    let l: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let dls = l["deviation_lists"].as_array().unwrap();
    assert_eq!(dls.len(), 1);
    assert_eq!(dls[0]["signer_country"], "UT");
    assert_eq!(dls[0]["entries"].as_array().unwrap().len(), 5);
    assert!(dls[0]["source"].as_str().unwrap().contains("signed by"));
    let (code, v) = verify(None);
    assert_eq!(code, Some(1));
    assert_eq!(v["verdict"], "invalid");
    assert_eq!(check(&v, "pa.deviations")["status"], "not_performed");
    let (code, v) = verify(Some(s));
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["verdict"], "inconclusive");
    assert_eq!(check(&v, "pa.dg_hashes")["status"], "warning");
    assert_eq!(check(&v, "pa.deviations")["status"], "warning");
    assert!(check(&v, "pa.dg_hashes")["reason"]
        .as_str()
        .unwrap()
        .contains("id-Deviation-LDS-DGHashWrong"));
}

#[test]
fn verify_checks_ef_card_security_in_the_dump() {
    use inspectd::testkit::dataset::signed_card_security;
    let infos = lds_gen::encode_security_infos(&[lds_gen::pace_info(
        "0.4.0.127.0.7.2.2.4.6.2",
        2,
        Some(13),
    )]);
    let run = |cs: &[u8]| {
        let d = dump();
        std::fs::write(d.path().join("EF_CardSecurity.bin"), cs).unwrap();
        let out = bin()
            .args(["verify", "--json", "--at", AT])
            .args([
                "--trust",
                &pki("csca-rsa.der"),
                "--trust",
                &pki("crl-rsa.der"),
            ])
            .arg(d.path())
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), v)
    };
    let signed = signed_card_security(&infos).unwrap();
    let (code, v) = run(&signed);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(check(&v, "pa.card_security")["status"], "passed", "{v}");
    // One byte of the signed SecurityInfos changed: the dump is invalid.
    let mut tampered = signed;
    let at = tampered
        .windows(infos.len())
        .position(|w| w == infos.as_slice())
        .unwrap()
        + infos.len()
        - 1;
    tampered[at] ^= 1;
    let (code, v) = run(&tampered);
    assert_eq!(code, Some(1));
    assert_eq!(v["verdict"], "invalid");
    assert_eq!(check(&v, "pa.card_security")["status"], "failed");
    assert_eq!(check(&v, "pa.dg_hashes")["status"], "passed");
}
