//! CSCA master lists (testdata/pki/masterlist.der from testkit::pki): accepted only when the
//! signer chains to an operator-given anchor; every refusal is typed; nothing is stored then.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use inspectd::pa::cert::Certificate;
use inspectd::pa::time::parse_rfc3339;
use inspectd::trust::master_list::{parse_and_verify, parse_unverified, MasterListError};
use inspectd::trust::{is_master_list, ImportOutcome, TrustStore};

fn pki(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/testdata/pki/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn cert(name: &str) -> Certificate {
    Certificate::from_der(&pki(name)).unwrap()
}

fn at() -> i64 {
    parse_rfc3339("2026-06-01T00:00:00Z").unwrap()
}

#[test]
fn master_list_signed_by_a_signer_the_anchor_issued_is_accepted() {
    let ml = parse_and_verify(&pki("masterlist.der"), &[cert("csca-rsa.der")], at(), 2048).unwrap();
    assert_eq!(ml.certificates.len(), 4);
    assert!(ml.signer.unwrap().contains("Master List Signer"));
    assert_eq!(ml.signer_country.as_deref(), Some("UT"));
    let subjects: Vec<String> = ml.certificates.iter().map(|c| c.subject.clone()).collect();
    assert!(subjects.iter().any(|s| s.contains("CSCA P256")));
    // The signer's own certificate as anchor is accepted too.
    assert!(parse_and_verify(&pki("masterlist.der"), &[cert("ml-signer.der")], at(), 2048).is_ok());
}

#[test]
fn untrusted_or_out_of_time_signer_is_refused() {
    let e =
        parse_and_verify(&pki("masterlist.der"), &[cert("csca-p256.der")], at(), 2048).unwrap_err();
    assert!(
        matches!(e, MasterListError::UntrustedSigner { .. }),
        "{e:?}"
    );
    let e = parse_and_verify(&pki("masterlist.der"), &[], at(), 2048).unwrap_err();
    assert!(matches!(e, MasterListError::UntrustedSigner { .. }));
    let long_ago = parse_rfc3339("2001-01-01T00:00:00Z").unwrap();
    let e = parse_and_verify(
        &pki("masterlist.der"),
        &[cert("csca-rsa.der")],
        long_ago,
        2048,
    )
    .unwrap_err();
    assert!(matches!(e, MasterListError::UntrustedSigner { .. }));
}

#[test]
fn tampered_master_list_fails_its_signature() {
    // A byte inside the listed certificates (eContent): messageDigest no longer matches.
    let mut b = pki("masterlist.der");
    let csca = pki("csca-p256.der");
    let at_cert = b
        .windows(csca.len())
        .position(|w| w == csca.as_slice())
        .unwrap();
    b[at_cert + csca.len() - 5] ^= 0x01;
    let e = parse_and_verify(&b, &[cert("csca-rsa.der")], at(), 2048).unwrap_err();
    assert!(
        matches!(&e, MasterListError::Signature(r) if r.contains("messageDigest")),
        "{e:?}"
    );
}

#[test]
fn other_cms_content_is_not_a_master_list() {
    // EF.SOD content (0x77 wrapper stripped to its ContentInfo) has another eContentType.
    let sod = pki("sod/rsa.bin");
    let t = inspectd::tlv::Reader::new(&sod).read().unwrap();
    assert!(matches!(
        parse_unverified(t.value),
        Err(MasterListError::WrongContentType { .. })
    ));
    assert!(!is_master_list(&pki("csca-rsa.der")));
    assert!(is_master_list(&pki("masterlist.der")));
}

#[test]
fn truncated_master_lists_are_typed_errors() {
    let b = pki("masterlist.der");
    for n in 0..b.len() {
        assert!(
            parse_unverified(&b[..n]).is_err(),
            "prefix of {n} bytes accepted"
        );
    }
}

#[test]
fn store_imports_a_verified_list_and_refuses_an_untrusted_one_without_changes() {
    let dir = std::env::temp_dir().join(format!("inspectd-ml-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut s = TrustStore::open(&dir).unwrap();
    let ml = pki("masterlist.der");
    assert!(s
        .import_master_list(&ml, &[cert("csca-p256.der")], false, "ml", at(), 2048)
        .is_err());
    assert!(s.snapshot().unwrap().cscas().is_empty());
    let (o, n) = s
        .import_master_list(&ml, &[cert("csca-rsa.der")], false, "ml", at(), 2048)
        .unwrap();
    assert_eq!((o, n), (ImportOutcome::Added, 4));
    let snap = TrustStore::open(&dir).unwrap().snapshot().unwrap();
    assert_eq!(snap.cscas().len(), 4);
    assert!(snap.cscas()[0].provenance.source.contains("signed by"));
    // Idempotent.
    let (o, _) = s
        .import_master_list(&ml, &[cert("csca-rsa.der")], false, "ml", at(), 2048)
        .unwrap();
    assert_eq!(o, ImportOutcome::Unchanged);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn icao_pkd_ldif_imports_ds_certificates_crls_and_master_lists() {
    use inspectd::lds::{FileId, RawFile};
    use inspectd::pa::{self, PaPolicy, PaVerdict};
    use inspectd::trust::ldif;
    let ds = pki("ds-rsa.der");
    let crl = pki("crl-rsa.der");
    let ml = pki("masterlist.der");
    let junk = vec![0x30, 0x03, 0x02, 0x01, 0x00];
    let text = ldif::encode(&[
        (
            "cn=DS RSA,o=dsc,c=UT,dc=data",
            "userCertificate;binary",
            &ds,
        ),
        (
            "cn=CSCA RSA,o=crl,c=UT,dc=data",
            "certificateRevocationList;binary",
            &crl,
        ),
        ("cn=ML,o=ml,c=UT,dc=data", "pkdMasterListContent", &ml),
        ("cn=bad,o=ml,c=UT,dc=data", "pkdMasterListContent", &junk),
    ]);
    let dir = std::env::temp_dir().join(format!("inspectd-ldif-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut s = TrustStore::open(&dir).unwrap();
    let sum = s
        .import_ldif(
            text.as_bytes(),
            &[cert("csca-rsa.der")],
            false,
            "pkd.ldif",
            at(),
            2048,
        )
        .unwrap();
    assert_eq!(sum.ds_certificates, 1);
    assert_eq!(sum.crls, 1);
    assert_eq!(sum.master_lists, 1);
    assert_eq!(sum.cscas_from_master_lists, 4);
    assert_eq!(sum.refused.len(), 1, "{:?}", sum.refused);
    let snap = s.snapshot().unwrap();
    // DS certificates never become anchors.
    assert_eq!(snap.cscas().len(), 4);
    assert_eq!(snap.ds_certificates().len(), 1);
    // An EF.SOD without its DS certificate verifies with the DS from the PKD.
    let mut files = vec![RawFile {
        id: FileId::Sod,
        bytes: pki("sod/rsa-no-cert.bin"),
    }];
    for (name, bytes) in inspectd::testkit::lds_gen::generate() {
        let id = inspectd::testkit::dataset::file_for_name(&name).unwrap();
        if id.dg_number().is_some() {
            files.push(RawFile { id, bytes });
        }
    }
    let report = pa::verify(&files, &snap, at(), &PaPolicy::default());
    assert_eq!(report.verdict, PaVerdict::Valid, "{report:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
