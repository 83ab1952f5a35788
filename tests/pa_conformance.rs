//! Passive Authentication conformance table: every row of `testdata/pa-cases.json` runs
//! through `pa::verify` against the synthetic PKI in `testdata/pki/` (and one BSI vector, named
//! by its entry in `testdata/vectors/doc9303-worked-examples.json`). Rows listed in
//! `testdata/pa-exceptions.json` (which must give a reason each) are skipped.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::expect_used
)]

use inspectd::lds::{FileId, RawFile};
use inspectd::pa::{self, PaPolicy, PaVerdict};
use inspectd::testkit::{dataset, lds_gen, pki};
use inspectd::trust::{Provenance, TrustSnapshot};
use serde_json::Value;
use std::path::PathBuf;

const MUSTERMANN: &str = "BSI TR-03105 Part 5 Reference Data Set ('Mustermann' EAC passport)";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn vector(prefix: &str) -> Value {
    let all: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("testdata/vectors/doc9303-worked-examples.json"))
            .unwrap(),
    )
    .unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"].as_str().unwrap().starts_with(prefix))
        .unwrap()
        .clone()
}

fn hx(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn passport_files() -> Vec<RawFile> {
    let dir = root().join("testdata/lds/generated");
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(id) = dataset::file_for_name(&name) {
            if id.dg_number().is_some() {
                out.push(RawFile {
                    id,
                    bytes: std::fs::read(e.path()).unwrap(),
                });
            }
        }
    }
    out.sort_by_key(|f| f.id);
    out
}

fn build_case(case: &Value) -> (Vec<RawFile>, TrustSnapshot, i64) {
    let pkidir = root().join("testdata/pki");
    let sod = case["sod"].as_str().unwrap();
    let mut files = if sod == "vector:mustermann" {
        let e = vector(MUSTERMANN);
        vec![
            RawFile {
                id: FileId::Sod,
                bytes: hx(&e["fields"]["EF.SOD_hex"]),
            },
            RawFile {
                id: FileId::Dg1,
                bytes: hx(&e["fields"]["EF.DG1"]),
            },
        ]
    } else {
        let mut f = passport_files();
        f.push(RawFile {
            id: FileId::Sod,
            bytes: std::fs::read(pkidir.join(sod)).unwrap(),
        });
        f
    };
    if let Some(rep) = case["replace"].as_object() {
        for (n, file) in rep {
            let id = FileId::data_group(n.parse().unwrap()).unwrap();
            let f = files.iter_mut().find(|f| f.id == id).unwrap();
            f.bytes = std::fs::read(pkidir.join(file.as_str().unwrap())).unwrap();
        }
    }
    // Data groups not read (e.g. DG12 left out).
    for n in case["omit"].as_array().into_iter().flatten() {
        let id = FileId::data_group(n.as_u64().unwrap() as u8).unwrap();
        files.retain(|f| f.id != id);
    }
    for m in case["mutate"].as_array().into_iter().flatten() {
        let id = FileId::data_group(m["dg"].as_u64().unwrap() as u8).unwrap();
        let off = m["offset"].as_u64().unwrap() as usize;
        files.iter_mut().find(|f| f.id == id).unwrap().bytes[off] ^= 0x01;
    }
    for a in case["add"].as_array().into_iter().flatten() {
        files.push(RawFile {
            id: FileId::data_group(a["dg"].as_u64().unwrap() as u8).unwrap(),
            bytes: hx(&a["hex"]),
        });
    }
    let mut b = TrustSnapshot::builder();
    for t in case["trust"].as_array().unwrap() {
        let t = t.as_str().unwrap();
        let prov = Provenance {
            source: t.to_owned(),
            imported_at: 0,
        };
        b = if let Some(dl) = t.strip_prefix("dl:") {
            // A deviation list, verified against the CSCAs listed before it, imported on
            // 2026-06-01 (its signer's validity, whatever the case's inspection time).
            let import = pa::time::parse_rfc3339("2026-06-01T00:00:00Z").unwrap();
            b.deviation_list(
                &std::fs::read(pkidir.join(dl)).unwrap(),
                &[],
                import,
                2048,
                prov,
            )
            .unwrap()
        } else if let Some(ds) = t.strip_prefix("ds:") {
            b.ds_certificate(&std::fs::read(pkidir.join(ds)).unwrap(), prov)
                .unwrap()
        } else {
            b.any(&std::fs::read(pkidir.join(t)).unwrap(), prov)
                .unwrap()
        };
    }
    let at = pa::time::parse_rfc3339(case["at"].as_str().unwrap()).unwrap();
    (files, b.build(), at)
}

/// The row's `policy` object (serde names of the PaPolicy switches) over the default.
fn case_policy(case: &Value) -> PaPolicy {
    let mut p = PaPolicy::default();
    if let Some(v) = case.get("policy") {
        for k in v.as_object().unwrap().keys() {
            assert!(
                ["ds_validity", "sha1"].contains(&k.as_str()),
                "policy key {k}"
            );
        }
        if let Some(d) = v.get("ds_validity") {
            p.ds_validity = serde_json::from_value(d.clone()).unwrap();
        }
        if let Some(s) = v.get("sha1") {
            p.sha1 = serde_json::from_value(s.clone()).unwrap();
        }
    }
    p
}

#[test]
fn pa_conformance_table() {
    let cases: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(root().join("testdata/pa-cases.json")).unwrap(),
    )
    .unwrap();
    let exceptions: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(root().join("testdata/pa-exceptions.json")).unwrap(),
    )
    .unwrap();
    for e in &exceptions {
        assert!(
            e["reason"].as_str().is_some_and(|r| !r.trim().is_empty()),
            "exception without a reason: {e}"
        );
    }
    assert!(cases.len() >= 30);
    let mut failures = Vec::new();
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        if exceptions.iter().any(|e| e["id"] == id) {
            continue;
        }
        let policy = case_policy(case);
        let (files, trust, at) = build_case(case);
        let report = pa::verify(&files, &trust, at, &policy);
        let json = serde_json::to_value(&report).unwrap();
        let want = &case["expect"];
        if json["verdict"] != want["verdict"] {
            failures.push(format!(
                "{id}: verdict {} want {}\n{}",
                json["verdict"],
                want["verdict"],
                serde_json::to_string_pretty(&json).unwrap()
            ));
            continue;
        }
        for (cid, st) in want["checks"].as_object().unwrap() {
            let got = json["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"] == *cid)
                .unwrap();
            if got["status"] != *st {
                failures.push(format!(
                    "{id}: {cid} {} want {st} ({})",
                    got["status"], got["reason"]
                ));
            }
        }
        // The token exists exactly for valid reports.
        assert_eq!(
            report.verified().is_some(),
            report.verdict == PaVerdict::Valid,
            "{id}"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn mustermann_signature_verifies_but_inconclusive() {
    // Entry "BSI TR-03105 Part 5 Reference Data Set ('Mustermann' EAC passport)": RSASSA-PSS.
    let case =
        serde_json::json!({"sod": "vector:mustermann", "trust": [], "at": "2020-01-01T00:00:00Z"});
    let (files, trust, at) = build_case(&case);
    let r = pa::verify(&files, &trust, at, &PaPolicy::default());
    assert_eq!(
        r.check(pa::ids::SOD_SIGNATURE).unwrap().status,
        pa::CheckStatus::Passed,
        "{r:#?}"
    );
    assert!(r
        .check(pa::ids::SOD_SIGNATURE)
        .unwrap()
        .reason
        .contains("RSASSA-PSS"));
    assert_eq!(r.verdict, PaVerdict::Inconclusive);
    assert!(r.verified().is_none());
}

#[test]
fn pki_testdata_is_fresh() {
    let dir = root().join("testdata/pki");
    let keys: Vec<(String, Vec<u8>)> = pki::RSA_KEYS
        .iter()
        .map(|(n, _, _)| {
            (
                (*n).to_owned(),
                std::fs::read(dir.join("keys").join(n)).unwrap(),
            )
        })
        .collect();
    let passport = lds_gen::generate();
    let files = pki::generate(&pki::PkiInputs {
        rsa_keys: &keys,
        passport: &passport,
    });
    assert!(files.len() > 30);
    let stale: Vec<&String> = files
        .iter()
        .filter(|(n, b)| std::fs::read(dir.join(n)).ok().as_deref() != Some(b.as_slice()))
        .map(|(n, _)| n)
        .collect();
    assert!(
        stale.is_empty(),
        "stale in testdata/pki: {stale:?}; run `cargo run --release --example gen_pki`"
    );
}

/// The reasons behind the DS validity model and signingTime rows (the table checks statuses).
#[test]
fn ds_validity_and_signing_time_reasons() {
    let cases: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(root().join("testdata/pa-cases.json")).unwrap(),
    )
    .unwrap();
    let run = |id: &str| {
        let case = cases.iter().find(|c| c["id"] == id).unwrap();
        let (files, trust, at) = build_case(case);
        pa::verify(&files, &trust, at, &case_policy(case))
    };
    let reason = |r: &pa::PaReport, id: &str| r.check(id).unwrap().reason.clone();
    let r = run("ds_expired_pkup_model_signing_time_inside");
    let why = reason(&r, pa::ids::DS_CERTIFICATE);
    assert!(
        why.contains("signingTime 2025-12-31T12:00:00Z") && why.contains("privateKeyUsagePeriod"),
        "{why}"
    );
    assert_eq!(
        r.check(pa::ids::SOD_SIGNATURE).unwrap().details["signing_time"],
        "2025-12-31T12:00:00Z"
    );
    let r = run("ds_expired_pkup_model_dg12_date");
    assert!(reason(&r, pa::ids::DS_CERTIFICATE).contains("DG12 date of issue 2025-12-31"));
    let r = run("ds_expired_pkup_model_signing_time_outside");
    assert!(reason(&r, pa::ids::DS_CERTIFICATE).contains("outside its privateKeyUsagePeriod"));
    let r = run("ds_expired_pkup_model_undated");
    assert!(reason(&r, pa::ids::DS_CERTIFICATE).contains("no signingTime attribute"));
    let r = run("ds_expired_pkup_model_no_extension");
    assert!(reason(&r, pa::ids::DS_CERTIFICATE).contains("has no privateKeyUsagePeriod"));
    let r = run("signing_time_before_ds_validity");
    let why = reason(&r, pa::ids::SOD_SIGNATURE);
    assert!(
        why.contains("signingTime 2024-06-01T00:00:00Z outside the DS certificate validity"),
        "{why}"
    );
    let r = run("ds_certificate_sha1_signature_rejected");
    assert!(reason(&r, pa::ids::ALGORITHMS).contains("DS certificate signature"));
    assert!(reason(&r, pa::ids::ALGORITHMS).contains("rejected by policy"));
}

/// Country consistency for documents of any state (Doc 9303-3 §5 codes → ISO 3166-1 alpha-2):
/// the synthetic DS certificate says C=UT, so a DG1 naming a real state is compared through
/// the mapped code and fails with it; codes of no state are a warning; UTO agrees.
#[test]
fn country_consistency_maps_every_state() {
    let case = cases_row("valid_rsa_pkcs1");
    let (files, trust, at) = build_case(&case);
    let mrz = lds_gen::specimen_mrz();
    let run = |state: &str| {
        let line1 = mrz[0].replacen("P<UTO", &format!("P<{state}"), 1);
        let dg1 = lds_gen::encode_dg1(&[line1.as_str(), mrz[1].as_str()]);
        let mut f = files.clone();
        f.iter_mut().find(|x| x.id == FileId::Dg1).unwrap().bytes = dg1;
        let r = pa::verify(&f, &trust, at, &PaPolicy::default());
        r.check(pa::ids::COUNTRY_CONSISTENCY).unwrap().clone()
    };
    for (state, a2) in [
        ("POL", "PL"),
        ("JPN", "JP"),
        ("BRA", "BR"),
        ("ZAF", "ZA"),
        ("KOR", "KR"),
        ("D<<", "DE"),
        ("GBN", "GB"),
        ("RKS", "XK"),
    ] {
        let c = run(state);
        assert_eq!(c.status, pa::CheckStatus::Failed, "{state}: {}", c.reason);
        assert!(
            c.reason
                .contains(&format!("({a2}) differs from certificate C UT")),
            "{state}: {}",
            c.reason
        );
    }
    for state in ["UNO", "XXA"] {
        let c = run(state);
        assert_eq!(c.status, pa::CheckStatus::Warning, "{state}: {}", c.reason);
    }
    assert_eq!(run("UTO").status, pa::CheckStatus::Passed);
}

fn cases_row(id: &str) -> Value {
    let cases: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(root().join("testdata/pa-cases.json")).unwrap(),
    )
    .unwrap();
    cases.into_iter().find(|c| c["id"] == id).unwrap()
}
