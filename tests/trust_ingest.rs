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

/// Deviation lists (Doc 9303-12 §10, testdata/pki/deviations*.der from testkit::pki): parsed
/// into their entries, accepted only with a verified signer, stored, read back, applied.
mod deviation_lists {
    use super::*;
    use inspectd::lds::{FileId, RawFile};
    use inspectd::pa::{self, deviation::DeviationPolicy, CheckStatus, PaPolicy, PaVerdict};
    use inspectd::trust::deviation::{
        is_deviation_list, parse_and_verify, DeviationKind, DeviationListError, DsIdentifier,
    };
    use inspectd::trust::{Provenance, StoreError, TrustSnapshot};

    #[test]
    fn parsed_entries_match_the_generator() {
        let dl =
            parse_and_verify(&pki("deviations.der"), &[cert("csca-rsa.der")], at(), 2048).unwrap();
        assert!(dl.signer.unwrap().contains("Deviation List Signer"));
        assert_eq!(dl.signer_country.as_deref(), Some("UT"));
        assert_eq!(dl.deviations.len(), 5);
        let dg2 = dl
            .deviations
            .iter()
            .find(|d| d.documents.document_numbers == ["U12345678"])
            .unwrap();
        assert_eq!(dg2.descriptions[0].kind, DeviationKind::DgHashWrong);
        assert_eq!(dg2.descriptions[0].parameter_int, Some(2));
        let (first, last) = dg2.documents.issuing_period.unwrap();
        assert_eq!(first, parse_rfc3339("2025-12-01T00:00:00Z").unwrap());
        assert_eq!(last, parse_rfc3339("2025-12-31T23:59:59Z").unwrap());
        let ku = dl
            .deviations
            .iter()
            .find(|d| d.descriptions[0].kind == DeviationKind::DsEncoding)
            .unwrap();
        assert_eq!(
            ku.descriptions[0].parameter_oid.as_deref(),
            Some("2.5.29.15")
        );
        let ds_ku = cert("ds-rsa-keyusage.der");
        assert!(matches!(
            &ku.documents.ds,
            Some(DsIdentifier::IssuerAndSerial { issuer_raw, serial })
                if *issuer_raw == ds_ku.issuer_raw && ds_ku.serial_eq(serial)
        ));
        assert!(is_deviation_list(&pki("deviations.der")));
        assert!(!is_deviation_list(&pki("masterlist.der")));
        assert!(!is_master_list(&pki("deviations.der")));
    }

    #[test]
    fn refused_without_a_trusted_signer() {
        // No anchor at all, and a signer issued by a rogue key under the CSCA P256 name.
        let e = parse_and_verify(&pki("deviations.der"), &[], at(), 2048).unwrap_err();
        assert!(matches!(e, DeviationListError::Signer(_)), "{e}");
        let e = parse_and_verify(
            &pki("deviations-untrusted.der"),
            &[cert("csca-p256.der"), cert("csca-rsa.der")],
            at(),
            2048,
        )
        .unwrap_err();
        assert!(matches!(e, DeviationListError::Signer(_)), "{e}");
        // A master list is not a deviation list.
        let e = parse_and_verify(&pki("masterlist.der"), &[cert("csca-rsa.der")], at(), 2048)
            .unwrap_err();
        assert!(matches!(e, DeviationListError::WrongContentType { .. }));
        // One changed byte in the signed content: the messageDigest no longer matches.
        let mut b = pki("deviations.der");
        let i = b.windows(9).position(|w| w == b"U12345678").unwrap();
        b[i] = b'V';
        let e = parse_and_verify(&b, &[cert("csca-rsa.der")], at(), 2048).unwrap_err();
        assert!(matches!(e, DeviationListError::Signer(ref r) if r.contains("messageDigest")));
        // The snapshot builder refuses it too and keeps nothing.
        let r = TrustSnapshot::builder()
            .csca(&pki("csca-p256.der"), prov())
            .unwrap()
            .deviation_list(&pki("deviations-untrusted.der"), &[], at(), 2048, prov());
        assert!(r.is_err());
    }

    #[test]
    fn signer_without_the_deviation_list_signing_eku_is_refused() {
        // Same content, signer issued by the trusted CSCA RSA but without extKeyUsage
        // 2.23.136.1.1.8 (Doc 9303-12 §7.1 certificate profiles): refused with that reason.
        let signer = cert("dl-signer.der");
        assert!(signer
            .extended_key_usage
            .iter()
            .any(|p| p == inspectd::trust::deviation::ID_ICAO_DEVIATION_LIST_SIGNING_KEY));
        let e = parse_and_verify(
            &pki("deviations-signer-no-eku.der"),
            &[cert("csca-rsa.der")],
            at(),
            2048,
        )
        .unwrap_err();
        assert!(
            matches!(&e, DeviationListError::SignerNotAuthorised { subject }
                if subject.contains("without EKU")),
            "{e}"
        );
        assert!(e.to_string().contains("2.23.136.1.1.8"), "{e}");
        // The store refuses it at import and keeps nothing; the EKU-bearing list is accepted.
        let dir = tempfile::tempdir().unwrap();
        let mut s = TrustStore::open(dir.path()).unwrap();
        s.import_csca(&pki("csca-rsa.der"), "csca-rsa.der", at())
            .unwrap();
        let e = s
            .import_deviation_list(&pki("deviations-signer-no-eku.der"), &[], "x", at(), 2048)
            .unwrap_err();
        assert!(
            matches!(
                &e,
                StoreError::DeviationList {
                    source: DeviationListError::SignerNotAuthorised { .. },
                    ..
                }
            ),
            "{e}"
        );
        assert!(s.snapshot().unwrap().deviation_lists().is_empty());
        assert!(s
            .import_deviation_list(&pki("deviations.der"), &[], "dl.der", at(), 2048)
            .is_ok());
    }

    fn prov() -> Provenance {
        Provenance {
            source: "test".into(),
            imported_at: 0,
        }
    }

    fn passport(mutate_dg2: bool) -> Vec<RawFile> {
        let mut files = vec![RawFile {
            id: FileId::Sod,
            bytes: pki("sod/rsa.bin"),
        }];
        for (name, mut bytes) in inspectd::testkit::lds_gen::generate() {
            let id = inspectd::testkit::dataset::file_for_name(&name).unwrap();
            if id.dg_number().is_some() {
                if mutate_dg2 && id == FileId::Dg2 {
                    bytes[200] ^= 1;
                }
                files.push(RawFile { id, bytes });
            }
        }
        files
    }

    #[test]
    fn store_import_is_verified_idempotent_and_applied() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = TrustStore::open(dir.path()).unwrap();
        // Before its CSCA is in the store, the list has no trusted signer: nothing stored.
        let e = s
            .import_deviation_list(&pki("deviations.der"), &[], "dl.der", at(), 2048)
            .unwrap_err();
        assert!(matches!(e, StoreError::DeviationList { .. }), "{e}");
        assert!(s.snapshot().unwrap().deviation_lists().is_empty());
        s.import_csca(&pki("csca-rsa.der"), "csca-rsa.der", at())
            .unwrap();
        let (o, n) = s
            .import_deviation_list(&pki("deviations.der"), &[], "dl.der", at(), 2048)
            .unwrap();
        assert_eq!((o, n), (ImportOutcome::Added, 5));
        let (o, _) = s
            .import_deviation_list(&pki("deviations.der"), &[], "again", at(), 2048)
            .unwrap();
        assert_eq!(o, ImportOutcome::Unchanged);
        assert!(s
            .import_deviation_list(&pki("deviations-untrusted.der"), &[], "x", at(), 2048)
            .is_err());
        let snap = TrustStore::open(dir.path()).unwrap().snapshot().unwrap();
        assert_eq!(snap.deviation_lists().len(), 1);
        let p = &snap.deviation_lists()[0].provenance;
        assert!(p.source.contains("signed by") && p.source.contains("dl.der"));
        // Applied: a DG2 hash failure listed for this document is a named warning and the
        // verdict inconclusive (DG2 is unproven); with the policy off it stays a failure.
        let files = passport(true);
        let r = pa::verify(&files, &snap, at(), &PaPolicy::default());
        assert_eq!(r.verdict, PaVerdict::Inconclusive, "{r:#?}");
        assert!(r.verified().is_none());
        let h = r.check(pa::ids::DG_HASHES).unwrap();
        assert_eq!(h.status, CheckStatus::Warning);
        assert!(
            h.reason.contains("id-Deviation-LDS-DGHashWrong"),
            "{}",
            h.reason
        );
        let off = PaPolicy {
            deviations: DeviationPolicy::Ignore,
            ..PaPolicy::default()
        };
        let r = pa::verify(&files, &snap, at(), &off);
        assert_eq!(r.verdict, PaVerdict::Invalid);
        assert_eq!(
            r.check(pa::ids::DEVIATIONS).unwrap().status,
            CheckStatus::NotPerformed
        );
        // The untouched document: valid, and pa.deviations passes (listed, not needed).
        let r = pa::verify(&passport(false), &snap, at(), &PaPolicy::default());
        assert_eq!(r.verdict, PaVerdict::Valid);
        assert_eq!(
            r.check(pa::ids::DEVIATIONS).unwrap().status,
            CheckStatus::Passed
        );
    }

    #[test]
    fn only_the_signer_state_and_bounded_entries_apply() {
        use inspectd::trust::deviation::{
            Deviation, DeviationDescription, DeviationDocuments, DeviationList,
        };
        let snap_with = |list: DeviationList| {
            let mut b = TrustSnapshot::builder()
                .csca(&pki("csca-rsa.der"), prov())
                .unwrap();
            b.push_deviation_list(list, prov());
            b.build()
        };
        let verified =
            parse_and_verify(&pki("deviations.der"), &[cert("csca-rsa.der")], at(), 2048).unwrap();
        let files = passport(true);
        // The verified list applies (DG2 listed for this document) ...
        let r = pa::verify(
            &files,
            &snap_with(verified.clone()),
            at(),
            &PaPolicy::default(),
        );
        assert_eq!(r.verdict, PaVerdict::Inconclusive);
        // ... but not when its signer speaks for another state than the DS's.
        let mut foreign = verified.clone();
        foreign.signer_country = Some("XX".into());
        let r = pa::verify(&files, &snap_with(foreign), at(), &PaPolicy::default());
        assert_eq!(r.verdict, PaVerdict::Invalid);
        assert_eq!(
            r.check(pa::ids::DEVIATIONS).unwrap().status,
            CheckStatus::Passed
        );
        // An entry with no bound at all (every document of the state) is never applied.
        let unbounded = DeviationList {
            deviations: vec![Deviation {
                documents: DeviationDocuments::default(),
                descriptions: vec![DeviationDescription {
                    description: None,
                    kind: DeviationKind::DgHashWrong,
                    oid: "2.23.136.1.1.7.2.2".into(),
                    parameter_int: Some(2),
                    parameter_oid: None,
                }],
            }],
            ..verified
        };
        let r = pa::verify(&files, &snap_with(unbounded), at(), &PaPolicy::default());
        assert_eq!(r.verdict, PaVerdict::Invalid);
        assert_eq!(
            r.check(pa::ids::DG_HASHES).unwrap().status,
            CheckStatus::Failed
        );
    }

    #[test]
    fn ldif_deviation_lists_are_verified_and_stored() {
        let dl = pki("deviations.der");
        let rogue = pki("deviations-untrusted.der");
        let text = inspectd::trust::ldif::encode(&[
            ("cn=DL,o=dl,c=UT,dc=data", "pkdDeviationListContent", &dl),
            (
                "cn=DL2,o=dl,c=UT,dc=data",
                "pkdDeviationListContent",
                &rogue,
            ),
        ]);
        let dir = tempfile::tempdir().unwrap();
        let mut s = TrustStore::open(dir.path()).unwrap();
        let sum = s
            .import_ldif(
                text.as_bytes(),
                &[cert("csca-rsa.der")],
                false,
                "icaopkd-003.ldif",
                at(),
                2048,
            )
            .unwrap();
        assert_eq!(sum.deviation_lists, 1);
        assert_eq!(sum.refused.len(), 1, "{:?}", sum.refused);
        assert!(sum.refused[0].contains("DL2"));
        assert_eq!(s.snapshot().unwrap().deviation_lists().len(), 1);
    }
}
