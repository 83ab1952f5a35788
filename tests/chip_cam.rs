//! PACE-CAM as chip authentication (Doc 9303-11 §4.4.3.5, Appendix I): the virtual chip's CAM
//! data checked against the static key of EF.CardSecurity counts for `ca` only when
//! EF.CardSecurity passes Passive Authentication (`pa.card_security`; BSI TR-03110-3
//! §A.1.2.5). Runs the verdict path the service and the CLI use: `inspect_chip` then `assess`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use inspectd::chip::pace::chip_side::PaceFault;
use inspectd::chip::AccessKey;
use inspectd::inspection::{
    assess, inspect_chip, AssessPolicy, ChipOptions, Context, Evidence, InspectionReport, Outcome,
    Printed, Verdict,
};
use inspectd::lds::card_security::CardSecurity;
use inspectd::lds::FileId;
use inspectd::pa::algorithms::{DigestAlg, EcdsaFormat, NamedCurve, SignatureScheme};
use inspectd::pa::CheckStatus;
use inspectd::testkit::dataset::{synthetic_pace_ca_passport, SYNTHETIC_CAN};
use inspectd::testkit::lds_gen::{encode_unsigned_card_security, pace_info, GenParams};
use inspectd::testkit::pki::{self, TestKey};
use inspectd::testkit::{ChipProfile, Fault, VirtualChip};
use inspectd::trust::{Provenance, TrustSnapshot};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// PACE-CAM, ECDH brainpoolP256r1, AES-128 (the `inspectd sim --profile pace-cam` chip).
const CAM: (&str, u64) = ("0.4.0.127.0.7.2.2.4.6.2", 13);

/// The PACE-CAM passport (as `sim --profile pace-cam`): EF.SOD and EF.CardSecurity signed by
/// the test DS, Chip and Active Authentication. `with_aa: false` removes DG15 and
/// `with_dg14_ca: false` DG14 and the chip's CA key, so CAM is the only chip authentication
/// that can pass.
fn profile(with_aa: bool, with_dg14_ca: bool) -> ChipProfile {
    let mut p = synthetic_pace_ca_passport(GenParams::default(), &[CAM]).unwrap();
    assert!(p.ca_key.is_some());
    if !with_aa {
        p.app_files.remove(&FileId::Dg15.fid());
    }
    if !with_dg14_ca {
        p.app_files.remove(&FileId::Dg14.fid());
        p.ca_key = None;
    }
    p
}

fn trust() -> TrustSnapshot {
    let p = || Provenance {
        source: "test".into(),
        imported_at: 0,
    };
    TrustSnapshot::builder()
        .csca(include_bytes!("../testdata/pki/csca-rsa.der"), p())
        .unwrap()
        .crl(include_bytes!("../testdata/pki/crl-rsa.der"), p())
        .unwrap()
        .build()
}

fn card_security(p: &ChipProfile) -> Vec<u8> {
    p.mf_files[&FileId::CardSecurity.fid()].clone()
}

fn set_card_security(p: &mut ChipProfile, bytes: Vec<u8>) {
    p.mf_files.insert(FileId::CardSecurity.fid(), bytes);
}

/// The signed SecurityInfos of the profile's EF.CardSecurity.
fn security_infos(p: &ChipProfile) -> Vec<u8> {
    let cs = card_security(p);
    CardSecurity::parse(&cs)
        .unwrap()
        .signed_data
        .econtent
        .to_vec()
}

/// Reads the chip with the CAN and decides, as the service does.
fn inspect(chip: &mut VirtualChip) -> InspectionReport {
    let ins = inspect_chip(
        chip,
        &AccessKey::Can(SYNTHETIC_CAN.into()),
        &ChipOptions::default(),
        &mut ChaCha20Rng::seed_from_u64(0xCA3),
        &mut |_| {},
    )
    .unwrap();
    assert!(ins.ca.cam().is_some(), "PACE-CAM did not run");
    let files = ins.raw_files();
    assert!(files.iter().any(|f| f.id == FileId::CardSecurity));
    let trust = trust();
    assess(
        &Evidence {
            files: &files,
            printed: Printed::None,
            access: None,
            aa: ins.aa.clone(),
            ca: ins.ca.clone(),
            ta: Some(ins.ta.clone()),
            include_faces: false,
            read: None,
        },
        &Context {
            trust: &trust,
            now: pki::unix(2026, 6, 1),
            watchlist: None,
            policy: &AssessPolicy::default(),
        },
    )
}

fn status(r: &InspectionReport, id: &str) -> CheckStatus {
    r.check(id)
        .unwrap_or_else(|| panic!("no check {id}: {:?}", r.checks))
        .status
}

fn run(p: ChipProfile) -> InspectionReport {
    inspect(&mut VirtualChip::new(p, 0x9303))
}

#[test]
fn genuine_cam_chip_with_signed_card_security_passes_ca() {
    for (with_aa, with_dg14_ca) in [(true, true), (false, false)] {
        let r = run(profile(with_aa, with_dg14_ca));
        assert_eq!(
            status(&r, "pa.card_security"),
            CheckStatus::Passed,
            "{r:#?}"
        );
        assert!(r.card_security.as_ref().unwrap().verified().is_some());
        let ca = r.check("ca").unwrap();
        assert_eq!(ca.status, CheckStatus::Passed, "{ca:?}");
        assert!(
            ca.reason.starts_with("PACE-CAM: chip authentication data verified against the static key of EF.CardSecurity, which passed PA"),
            "{ca:?}"
        );
        assert_eq!(
            ca.reason.contains("Chip Authentication (DG14)"),
            with_dg14_ca
        );
        // Without DG15 and DG14, CAM is the only chip authentication: still valid.
        assert_eq!(
            r.verdict,
            Verdict::Valid,
            "{with_aa} {with_dg14_ca}: {r:#?}"
        );
        if !with_aa {
            assert_eq!(status(&r, "aa"), CheckStatus::NotPerformed);
        }
    }
}

#[test]
fn unsigned_card_security_is_not_chip_authentication() {
    let mut p = profile(false, false);
    let infos = security_infos(&p);
    set_card_security(&mut p, encode_unsigned_card_security(&infos));
    let r = run(p);
    assert_eq!(
        status(&r, "pa.card_security"),
        CheckStatus::Failed,
        "{r:#?}"
    );
    assert_eq!(status(&r, "ca"), CheckStatus::Failed);
    assert_eq!(r.verdict, Verdict::Invalid);
}

#[test]
fn tampered_card_security_is_not_chip_authentication() {
    // One byte of the signed content changed outside the static key (PACEInfo parameterId
    // 13 -> 12), so the chip's CAM data still verifies against the key.
    let mut p = profile(false, false);
    let mut cs = card_security(&p);
    let pace = pace_info(CAM.0, 2, Some(CAM.1));
    let at = cs
        .windows(pace.len())
        .position(|w| w == pace.as_slice())
        .expect("PACEInfo in EF.CardSecurity")
        + pace.len()
        - 1;
    cs[at] ^= 0x01;
    set_card_security(&mut p, cs);
    let r = run(p);
    let c = r.check("pa.card_security").unwrap();
    assert_eq!(c.status, CheckStatus::Failed, "{c:?}");
    assert!(c.reason.contains("messageDigest"), "{c:?}");
    assert!(r.card_security.as_ref().unwrap().verified().is_none());
    let ca = r.check("ca").unwrap();
    assert_eq!(ca.status, CheckStatus::Failed, "{ca:?}");
    assert!(
        ca.reason
            .contains("verified, but EF.CardSecurity failed PA"),
        "{ca:?}"
    );
    assert_eq!(r.verdict, Verdict::Invalid);
}

/// EF.CardSecurity re-signed by the test PKI's P-256 Document Signer, whose CSCA is not in the
/// trust store.
fn under_unknown_csca(mut p: ChipProfile) -> ChipProfile {
    let infos = security_infos(&p);
    let key = TestKey::ec(NamedCurve::P256, 0x9303_0102);
    let scheme = SignatureScheme::Ecdsa {
        hash: DigestAlg::Sha256,
        format: EcdsaFormat::Der,
    };
    set_card_security(
        &mut p,
        pki::card_security(
            &infos,
            include_bytes!("../testdata/pki/ds-p256.der"),
            &key,
            scheme,
        ),
    );
    p
}

#[test]
fn card_security_under_an_unknown_csca_is_never_passed() {
    let r = run(under_unknown_csca(profile(false, false)));
    let c = r.check("pa.card_security").unwrap();
    assert_eq!(c.status, CheckStatus::NotPerformed, "{c:?}");
    assert!(c.reason.contains("no CSCA"), "{c:?}");
    let ca = r.check("ca").unwrap();
    assert_eq!(ca.status, CheckStatus::NotPerformed, "{ca:?}");
    // CAM is the only chip authentication and it is not bound: never valid.
    assert_eq!(r.verdict, Verdict::Inconclusive, "{r:#?}");

    // DG14 Chip Authentication (its key PA-bound through EF.SOD) still counts on its own.
    let r = run(under_unknown_csca(profile(false, true)));
    assert_eq!(status(&r, "pa.card_security"), CheckStatus::NotPerformed);
    let ca = r.check("ca").unwrap();
    assert_eq!(ca.status, CheckStatus::Passed, "{ca:?}");
    assert!(ca
        .reason
        .contains("not chip authentication; Chip Authentication (DG14): ECDH"));
    assert_eq!(r.verdict, Verdict::Valid, "{r:#?}");
}

#[test]
fn wrong_cam_data_fails_ca() {
    let mut chip = VirtualChip::new(profile(true, true), 0x9303)
        .with_fault(Fault::Pace(PaceFault::CamWrongData));
    let r = inspect(&mut chip);
    // EF.CardSecurity itself is genuine.
    assert_eq!(status(&r, "pa.card_security"), CheckStatus::Passed);
    let ca = r.check("ca").unwrap();
    assert_eq!(ca.status, CheckStatus::Failed, "{ca:?}");
    assert!(ca.reason.starts_with("PACE-CAM"), "{ca:?}");
    assert_eq!(
        r.verdict,
        Verdict::Invalid,
        "AA passing does not cover a CAM failure"
    );
}

#[test]
fn offline_card_security_is_checked_without_cam() {
    // VerifyDocument: EF.CardSecurity given with the other files, no chip.
    let p = profile(true, true);
    let mut files: Vec<inspectd::lds::RawFile> = [FileId::Sod, FileId::Dg1, FileId::Dg2]
        .into_iter()
        .map(|id| inspectd::lds::RawFile {
            id,
            bytes: p.app_files[&id.fid()].clone(),
        })
        .collect();
    files.push(inspectd::lds::RawFile {
        id: FileId::CardSecurity,
        bytes: card_security(&p),
    });
    let trust = trust();
    let decide = |files: &[inspectd::lds::RawFile]| {
        assess(
            &Evidence {
                files,
                printed: Printed::None,
                access: None,
                aa: Outcome::new(CheckStatus::NotPerformed, "offline"),
                ca: Outcome::new(CheckStatus::NotPerformed, "offline"),
                ta: None,
                include_faces: false,
                read: None,
            },
            &Context {
                trust: &trust,
                now: pki::unix(2026, 6, 1),
                watchlist: None,
                policy: &AssessPolicy::default(),
            },
        )
    };
    let r = decide(&files);
    assert_eq!(status(&r, "pa.card_security"), CheckStatus::Passed);
    assert_eq!(status(&r, "ca"), CheckStatus::NotPerformed);
    // Without EF.CardSecurity and without CAM there is no such check.
    files.pop();
    assert!(decide(&files).check("pa.card_security").is_none());
}

#[test]
fn dg14_chip_authentication_failure_is_not_covered_by_cam() {
    // The chip answers Chip Authentication with a key other than the one EF.DG14 names.
    let mut chip = VirtualChip::new(profile(true, true), 0x9303).with_fault(Fault::CaKeyMismatch);
    let r = inspect(&mut chip);
    assert_eq!(status(&r, "pa.card_security"), CheckStatus::Passed);
    let ca = r.check("ca").unwrap();
    assert_eq!(ca.status, CheckStatus::Failed, "{ca:?}");
    assert!(
        ca.reason
            .contains("which passed PA; Chip Authentication (DG14): "),
        "{ca:?}"
    );
    assert_eq!(r.verdict, Verdict::Invalid);
}
