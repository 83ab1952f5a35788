//! Passive Authentication of one document (SOD signature + DS→CSCA chain + CRL + hashes of DG1
//! and a 25 KB DG2) per family, beside the bare signature verifications it contains. Uses the
//! committed synthetic PKI in `testdata/pki/`. After the criterion runs, the same process runs
//! `openssl speed` for the same algorithms (when `openssl` is on PATH), so the peer figures
//! come from the same machine state.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // benchmark harness, like tests

use criterion::Criterion;
use inspectd::lds::sod::Sod;
use inspectd::lds::{FileId, RawFile};
use inspectd::pa::algorithms::{self, SignatureScheme};
use inspectd::pa::cert::Certificate;
use inspectd::pa::{self, PaPolicy, PaVerdict};
use inspectd::trust::{Provenance, TrustSnapshot};
use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

fn family(c: &mut Criterion, name: &str, sod: &str, trust_files: &[&str]) {
    let files = vec![
        RawFile {
            id: FileId::Dg1,
            bytes: read("testdata/lds/generated/DG1.bin"),
        },
        RawFile {
            id: FileId::Dg2,
            bytes: read("testdata/lds/generated/DG2.bin"),
        },
        RawFile {
            id: FileId::Sod,
            bytes: read(&format!("testdata/pki/sod/{sod}")),
        },
    ];
    let mut b = TrustSnapshot::builder();
    for t in trust_files {
        let p = Provenance {
            source: (*t).into(),
            imported_at: 0,
        };
        b = b.any(&read(&format!("testdata/pki/{t}")), p).unwrap();
    }
    let trust = b.build();
    let at = pa::time::parse_rfc3339("2026-06-01T00:00:00Z").unwrap();
    let policy = PaPolicy::default();
    assert_eq!(
        pa::verify(&files, &trust, at, &policy).verdict,
        PaVerdict::Valid
    );
    c.bench_function(&format!("pa/{name}/document"), |bch| {
        bch.iter(|| black_box(pa::verify(black_box(&files), &trust, at, &policy)))
    });
    // The DG1 and DG2 hashes inside it (the SOD's digest algorithm over the bytes read):
    // work PA must do that is not a signature check.
    let alg = algorithms::DigestAlg::from_identifier(
        &Sod::parse(&files[2].bytes)
            .unwrap()
            .lds_security_object
            .hash_algorithm,
    )
    .unwrap();
    c.bench_function(&format!("pa/{name}/dg_hashes_only"), |bch| {
        bch.iter(|| {
            for f in &files[..2] {
                black_box(alg.digest(black_box(&f.bytes)));
            }
        })
    });
    // The bare SOD signature verification inside it.
    let sod_bytes = &files[2].bytes;
    let s = Sod::parse(sod_bytes).unwrap();
    let si = &s.signed_data.signer_infos[0];
    let ds = Certificate::from_der(s.signed_data.certificates[0]).unwrap();
    let key = ds.public_key().unwrap();
    let scheme = SignatureScheme::from_identifier(&si.signature_algorithm, None).unwrap();
    let mut signed = si.signed_attrs.unwrap().to_vec();
    signed[0] = 0x31;
    c.bench_function(&format!("pa/{name}/sod_signature_only"), |bch| {
        bch.iter(|| {
            algorithms::verify(&key, &scheme, black_box(&signed), si.signature, 2048).unwrap()
        })
    });
    // The bare DS certificate signature verification (by the CSCA).
    let csca = trust
        .cscas()
        .iter()
        .find(|c| c.cert.subject_raw == ds.issuer_raw && c.cert.ski == ds.aki)
        .unwrap();
    let ckey = csca.cert.public_key().unwrap();
    c.bench_function(&format!("pa/{name}/ds_certificate_signature_only"), |bch| {
        bch.iter(|| ds.verify_signed_by(black_box(&ckey), 2048).unwrap())
    });
}

fn benches(c: &mut Criterion) {
    family(
        c,
        "rsa2048_pkcs1",
        "rsa.bin",
        &["csca-rsa.der", "crl-rsa.der"],
    );
    family(c, "rsa_pss", "pss.bin", &["csca-pss.der"]);
    family(
        c,
        "ecdsa_p256",
        "p256.bin",
        &["csca-p256.der", "crl-p256.der"],
    );
    // No CRL for these two: PA holds two signature checks (SOD and DS certificate).
    family(
        c,
        "rsa4096_pss",
        "rsa4096-pss.bin",
        &["csca-rsa4096-pss.der"],
    );
    family(c, "brainpoolp384r1", "bp384.bin", &["csca-bp384.der"]);
    // Generic prime-curve arithmetic (pa::algorithms::prime_curve), no CRL.
    family(c, "brainpoolp512r1", "bp512.bin", &["csca-bp512.der"]);
}

/// `openssl speed` verify times (µs) for the same algorithms, printed after the criterion runs.
fn openssl_peer() {
    let algs = [
        "rsa2048",
        "rsa4096",
        "ecdsap256",
        "ecdsabrp384r1",
        "ecdsabrp512r1",
    ];
    let out = match Command::new("openssl")
        .args(["speed", "-seconds", "2"])
        .args(algs)
        .output()
    {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        _ => {
            println!("openssl speed: not available");
            return;
        }
    };
    let version = Command::new("openssl")
        .arg("version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    println!("peer ({version}, openssl speed -seconds 2, same run):");
    // Result lines: "rsa 2048 bits 0.000571s 0.000016s 1751.3 62500.0" and
    // "384 bits ecdsa (brainpoolP384r1) 0.0008s 0.0007s 1278.8 1486.0".
    for line in out.lines() {
        let l = line.trim_start();
        let fields: Vec<&str> = l.split_whitespace().collect();
        let is_rsa = l.starts_with("rsa ") && l.contains(" bits ");
        let is_ec = l.contains(" bits ecdsa (");
        if !(is_rsa || is_ec) {
            continue;
        }
        // The last column is verify/s (the seconds columns have only 4 decimals for ECDSA).
        let per_s = fields.last().and_then(|f| f.parse::<f64>().ok());
        if let Some(v) = per_s.filter(|v| *v > 0.0).map(|v| 1.0 / v) {
            let name = if is_rsa {
                format!("RSA-{}", fields.get(1).copied().unwrap_or("?"))
            } else {
                l.split('(')
                    .nth(1)
                    .and_then(|x| x.split(')').next())
                    .unwrap_or("?")
                    .to_owned()
            };
            println!("  openssl {name} verify: {:.1} µs", v * 1e6);
        }
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
    // Only under `cargo bench` (which passes --bench), not when `cargo test` smoke-runs it.
    if std::env::args().any(|a| a == "--bench") {
        openssl_peer();
    }
}
