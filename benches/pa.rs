//! Passive Authentication of one document (SOD signature + DS→CSCA chain + CRL + hashes of DG1
//! and a 25 KB DG2) per family, beside the bare signature verifications it contains. Uses the
//! committed synthetic PKI in `testdata/pki/`. Brainpool families are not benchmarked: no
//! correct brainpool implementation is available yet (see `pa::algorithms`).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // benchmark harness, like tests

use criterion::{criterion_group, criterion_main, Criterion};
use inspectd::lds::sod::Sod;
use inspectd::lds::{FileId, RawFile};
use inspectd::pa::algorithms::{self, SignatureScheme};
use inspectd::pa::cert::Certificate;
use inspectd::pa::{self, PaPolicy, PaVerdict};
use inspectd::trust::{Provenance, TrustSnapshot};
use std::hint::black_box;
use std::path::PathBuf;

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
}

criterion_group!(pa_benches, benches);
criterion_main!(pa_benches);
