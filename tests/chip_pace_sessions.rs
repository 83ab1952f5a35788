//! PACE read sessions against the virtual chip (Doc 9303-11 §4.4): every mapping x group
//! family x cipher suite x password type, then reading files under the resulting secure
//! messaging; all standardized groups; and the negative cases of BSI TR-03105 Part 5.1 unit
//! ISO7816_G (see `shared/guides/conformance.md`) as typed errors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use inspectd::chip::pace::chip_side::PaceFault;
use inspectd::chip::pace::{PaceError, PaceParams, PacePassword, PasswordKind};
use inspectd::chip::{
    drive, AccessKey, AccessProtocol, ChipError, ChipRead, FileOutcome, Pace, ReadSession,
    SessionOptions,
};
use inspectd::lds::oid::{Cipher, KeyAgreement, Mapping};
use inspectd::lds::security_infos::SecurityInfos;
use inspectd::lds::FileId;
use inspectd::testkit::dataset::{
    synthetic_mrz_information, synthetic_pace_passport, PaceOffer, SYNTHETIC_CAN,
};
use inspectd::testkit::lds_gen::{self, GenParams};
use inspectd::testkit::{ChipProfile, Fault, VirtualChip};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn mrz() -> AccessKey {
    AccessKey::Mrz {
        mrz_information: synthetic_mrz_information(),
    }
}

fn can() -> AccessKey {
    AccessKey::Can(SYNTHETIC_CAN.into())
}

fn opts_dg1() -> SessionOptions {
    SessionOptions {
        data_groups: Some(vec![1]),
        ..SessionOptions::default()
    }
}

fn session(
    key: &AccessKey,
    opts: SessionOptions,
    chip: &mut VirtualChip,
) -> Result<ChipRead, ChipError> {
    let s = ReadSession::new(key, opts, &mut ChaCha20Rng::seed_from_u64(7)).unwrap();
    drive(s, chip)
}

fn profile(offers: &[PaceOffer]) -> ChipProfile {
    synthetic_pace_passport(GenParams::default(), offers)
}

fn expected_dg1() -> Vec<u8> {
    lds_gen::generate_with(GenParams::default())
        .into_iter()
        .find(|f| f.0 == "DG1.bin")
        .unwrap()
        .1
}

const CIPHERS: [(u8, Cipher); 4] = [
    (1, Cipher::TripleDesCbcCbc),
    (2, Cipher::Aes128CbcCmac),
    (3, Cipher::Aes192CbcCmac),
    (4, Cipher::Aes256CbcCmac),
];

fn oid(family: u8, cipher: u8) -> &'static str {
    Box::leak(format!("0.4.0.127.0.7.2.2.4.{family}.{cipher}").into_boxed_str())
}

/// One full session: PACE with `offer`, then EF.COM, EF.SOD and DG1 under the new SM.
fn full_session(offer: PaceOffer, key: &AccessKey) -> ChipRead {
    let mut chip = VirtualChip::new(profile(&[offer]), 11);
    let r =
        session(key, opts_dg1(), &mut chip).unwrap_or_else(|e| panic!("{offer:?} {:?}: {e}", key));
    assert_eq!(
        r.file(FileId::Dg1),
        Some(expected_dg1().as_slice()),
        "{offer:?}"
    );
    assert!(r.file(FileId::Sod).is_some());
    assert!(chip.sm_active());
    r
}

#[test]
fn every_mapping_family_cipher_and_password() {
    // (family arc, mapping, key agreement, parameterId)
    let families = [
        (2u8, Mapping::Generic, KeyAgreement::Ecdh, 13u64),
        (1, Mapping::Generic, KeyAgreement::Dh, 0),
        (4, Mapping::Integrated, KeyAgreement::Ecdh, 12),
        (3, Mapping::Integrated, KeyAgreement::Dh, 0),
        (6, Mapping::ChipAuthentication, KeyAgreement::Ecdh, 13),
    ];
    let mut runs = 0;
    for (fam, mapping, ka, id) in families {
        for (arc, cipher) in CIPHERS {
            if mapping == Mapping::ChipAuthentication && cipher == Cipher::TripleDesCbcCbc {
                continue; // CAM is AES only (Doc 9303-11 §9.2.1)
            }
            for key in [mrz(), can()] {
                let r = full_session((oid(fam, arc), id), &key);
                let AccessProtocol::Pace(s) = r.access else {
                    panic!("not PACE: {:?}", r.access)
                };
                assert_eq!(
                    (s.mapping, s.key_agreement, s.cipher, s.group_id),
                    (mapping, ka, cipher, id)
                );
                let want_pw = match key {
                    AccessKey::Can(_) => PasswordKind::Can,
                    _ => PasswordKind::Mrz,
                };
                assert_eq!(s.password, want_pw);
                assert!(r.pace_skipped.is_none());
                if mapping == Mapping::ChipAuthentication {
                    let cam = r.cam.as_ref().expect("CAM outcome").as_ref().unwrap();
                    assert_eq!(cam.static_public_key().len(), 65);
                    assert!(r.file(FileId::CardSecurity).is_some());
                } else {
                    assert!(r.cam.is_none());
                }
                runs += 1;
            }
        }
    }
    assert_eq!(runs, 38);
}

#[test]
fn generic_and_integrated_mapping_on_every_standardized_group() {
    for id in [0u64, 1, 2, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18] {
        let ecdh = id >= 8;
        let gm = oid(if ecdh { 2 } else { 1 }, 2);
        let im = oid(if ecdh { 4 } else { 3 }, 2);
        for o in [gm, im] {
            let params =
                PaceParams::standardized(&inspectd::lds::asn1::oid_from_dotted(o).unwrap(), id);
            if id == 10 && o == im {
                // NIST P-224: p ≡ 1 mod 4, no IM point encoding.
                assert!(
                    matches!(params, Err(PaceError::Unsupported { .. })),
                    "{params:?}"
                );
                continue;
            }
            let params = params.unwrap();
            let mut p = profile(&[(o, id)]);
            // DH-2048 public keys need extended-length APDUs.
            p.extended_length = true;
            let mut chip = VirtualChip::new(p, id);
            let pace = Pace::new(
                params,
                &PacePassword::Can(SYNTHETIC_CAN.into()),
                &mut ChaCha20Rng::seed_from_u64(1000 + id),
            );
            // MSE:Set AT is plain: the run starts in the master file.
            let est = drive(pace, &mut chip).unwrap_or_else(|e| panic!("{o} id {id}: {e}"));
            assert_eq!(est.summary.group_id, id);
            assert!(chip.sm_active());
        }
    }
}

#[test]
fn strongest_offer_is_chosen() {
    let offers = [
        (oid(1, 1), 0u64), // DH-GM 3DES
        (oid(2, 2), 13),   // ECDH-GM AES-128
        (oid(2, 4), 12),   // ECDH-GM AES-256
        (oid(4, 4), 13),   // ECDH-IM AES-256
    ];
    let mut chip = VirtualChip::new(profile(&offers), 3);
    let r = session(&mrz(), opts_dg1(), &mut chip).unwrap();
    let AccessProtocol::Pace(s) = r.access else {
        panic!()
    };
    assert_eq!(
        (s.mapping, s.cipher, s.group_id),
        (Mapping::Generic, Cipher::Aes256CbcCmac, 12)
    );
}

#[test]
fn bac_only_chip_and_pace_refusing_chip_fall_back_to_bac_with_mrz() {
    // No EF.CardAccess: BAC, as before.
    let mut p = profile(&[(oid(2, 2), 13)]);
    p.pace = None; // EF.CardAccess announces PACE, but the chip refuses MSE:Set AT (6A88)
    let r = session(&mrz(), opts_dg1(), &mut VirtualChip::new(p.clone(), 1)).unwrap();
    assert_eq!(r.access, AccessProtocol::Bac);
    assert!(matches!(r.pace_skipped, Some(PaceError::MseRefused { .. })));
    // With a CAN there is nothing to fall back to.
    let e = session(&can(), opts_dg1(), &mut VirtualChip::new(p.clone(), 1)).unwrap_err();
    assert!(
        matches!(e, ChipError::Pace(PaceError::MseRefused { .. })),
        "{e}"
    );
    // The policy may forbid the fallback.
    let o = SessionOptions {
        allow_bac_fallback: false,
        ..opts_dg1()
    };
    let e = session(&mrz(), o, &mut VirtualChip::new(p, 1)).unwrap_err();
    assert!(matches!(e, ChipError::Pace(_)), "{e}");
}

#[test]
fn can_on_a_chip_without_pace_is_a_typed_error() {
    let mut p = inspectd::testkit::dataset::synthetic_bac_passport(GenParams::default());
    // Its EF.CardAccess announces PACE, but the chip refuses MSE:Set AT.
    let e = session(&can(), opts_dg1(), &mut VirtualChip::new(p.clone(), 1)).unwrap_err();
    assert!(
        matches!(e, ChipError::Pace(PaceError::MseRefused { .. })),
        "{e}"
    );
    // Without EF.CardAccess nothing offers PACE.
    p.mf_files.clear();
    let e = session(&can(), opts_dg1(), &mut VirtualChip::new(p, 1)).unwrap_err();
    assert_eq!(e, ChipError::Pace(PaceError::NotOffered));
}

#[test]
fn wrong_password_is_reported_as_such() {
    let p = profile(&[(oid(2, 2), 13)]);
    let e = session(
        &AccessKey::Can("000000".into()),
        opts_dg1(),
        &mut VirtualChip::new(p.clone(), 1),
    )
    .unwrap_err();
    assert!(
        matches!(e, ChipError::Pace(PaceError::WrongPassword { .. })),
        "{e}"
    );
    let wrong_mrz = AccessKey::Mrz {
        mrz_information: "L898902C<369080619406236".into(),
    };
    let e = session(&wrong_mrz, opts_dg1(), &mut VirtualChip::new(p, 1)).unwrap_err();
    assert!(
        matches!(e, ChipError::Pace(PaceError::WrongPassword { .. })),
        "{e}"
    );
    assert!(e.to_string().contains("wrong PACE password"));
}

fn with_fault(offer: PaceOffer, f: PaceFault) -> ChipError {
    let mut chip = VirtualChip::new(profile(&[offer]), 5).with_fault(Fault::Pace(f));
    session(&mrz(), opts_dg1(), &mut chip).unwrap_err()
}

fn pace_err(e: ChipError) -> PaceError {
    match e {
        ChipError::Pace(p) => p,
        other => panic!("not a PACE error: {other}"),
    }
}

#[test]
fn iso7816_g_negative_cases_are_typed_errors() {
    for offer in [(oid(2, 2), 13u64), (oid(1, 2), 0)] {
        // Wrong tags in the responses.
        let e = pace_err(with_fault(offer, PaceFault::WrongTag));
        assert!(
            matches!(
                e,
                PaceError::WrongTag {
                    expected: 0x80,
                    got: 0x81,
                    ..
                }
            ),
            "{e}"
        );
        // Invalid mapping key (off the curve / outside the subgroup).
        let e = pace_err(with_fault(offer, PaceFault::InvalidMappingKey));
        assert!(matches!(e, PaceError::InvalidPublicKey { .. }), "{e}");
        // Invalid ephemeral key.
        let e = pace_err(with_fault(offer, PaceFault::InvalidEphemeralKey));
        assert!(matches!(e, PaceError::InvalidPublicKey { .. }), "{e}");
        // The chip echoes the terminal's keys.
        let e = pace_err(with_fault(offer, PaceFault::IdenticalMappingKey));
        assert!(matches!(e, PaceError::IdenticalPublicKeys { .. }), "{e}");
        let e = pace_err(with_fault(offer, PaceFault::IdenticalEphemeralKey));
        assert!(matches!(e, PaceError::IdenticalPublicKeys { .. }), "{e}");
        // Wrong chip token.
        assert_eq!(
            pace_err(with_fault(offer, PaceFault::WrongToken)),
            PaceError::TokenMismatch
        );
        // TLV error inside the 7C object.
        let e = pace_err(with_fault(offer, PaceFault::MalformedTlv));
        assert!(matches!(e, PaceError::Malformed { .. }), "{e}");
    }
    // IM: a wrong tag on the nonce is caught as well.
    let e = pace_err(with_fault((oid(4, 2), 13), PaceFault::WrongTag));
    assert!(matches!(e, PaceError::WrongTag { .. }), "{e}");
}

#[test]
fn cam_errors_are_typed() {
    let offer = (oid(6, 2), 13u64);
    assert_eq!(
        pace_err(with_fault(offer, PaceFault::CamMissing)),
        PaceError::CamDataMissing
    );
    // Wrong CA_IC (a clone without the static private key): PACE itself succeeds, the CAM
    // check against EF.CardSecurity fails and is reported.
    let mut chip =
        VirtualChip::new(profile(&[offer]), 5).with_fault(Fault::Pace(PaceFault::CamWrongData));
    let r = session(&mrz(), opts_dg1(), &mut chip).unwrap();
    assert_eq!(r.cam, Some(Err(PaceError::CamMismatch)));
    // No EF.CardSecurity: no static key.
    let mut p = profile(&[offer]);
    p.mf_files.remove(&FileId::CardSecurity.fid());
    let r = session(&mrz(), opts_dg1(), &mut VirtualChip::new(p, 5)).unwrap();
    assert_eq!(r.cam, Some(Err(PaceError::CamNoStaticKey)));
    assert!(matches!(
        r.files
            .iter()
            .find(|f| f.id == FileId::CardSecurity)
            .unwrap()
            .outcome,
        FileOutcome::NotFound
    ));
}

fn card_access(bytes: &[u8]) -> Result<PaceParams, PaceError> {
    let infos = SecurityInfos::parse_card_access(bytes)
        .map_err(|_| PaceError::Unsupported { reason: "tlv" })?;
    PaceParams::select(&infos)
}

#[test]
fn ef_card_access_errors() {
    use lds_gen::{encode_security_infos, pace_info};
    // Wrong parameterId (3-7 are reserved; 40 is proprietary without PACEDomainParameterInfo).
    let e = card_access(&encode_security_infos(&[pace_info(oid(2, 2), 2, Some(5))])).unwrap_err();
    assert_eq!(e, PaceError::UnknownParameterId { id: 5 });
    let e = card_access(&encode_security_infos(&[pace_info(oid(2, 2), 2, Some(40))])).unwrap_err();
    assert_eq!(e, PaceError::UnknownParameterId { id: 40 });
    // ECDH protocol with a DH group.
    let e = card_access(&encode_security_infos(&[pace_info(oid(2, 2), 2, Some(0))])).unwrap_err();
    assert_eq!(e, PaceError::GroupMismatch);
    // Version 1.
    let e = card_access(&encode_security_infos(&[pace_info(oid(2, 2), 1, Some(13))])).unwrap_err();
    assert!(matches!(e, PaceError::Unsupported { .. }));
    // No PACEInfo.
    assert_eq!(
        card_access(&encode_security_infos(&[])),
        Err(PaceError::NotOffered)
    );
    // TLV errors: truncated, bad length, trailing bytes. The session falls back to BAC with
    // the MRZ and reports why; with a CAN it fails.
    let good = encode_security_infos(&[pace_info(oid(2, 2), 2, Some(13))]);
    // (The outer SET length stays right: the file is read by it.)
    let mut bad_inner_len = good.clone();
    bad_inner_len[3] = 0x7F;
    let mut wrong_oid_tag = good.clone();
    wrong_oid_tag[4] = 0x04;
    let mut not_a_set = good.clone();
    not_a_set[0] = 0x30;
    for broken in [bad_inner_len, wrong_oid_tag, not_a_set] {
        assert!(SecurityInfos::parse_card_access(&broken).is_err());
        let mut p = profile(&[(oid(2, 2), 13)]);
        p.mf_files.insert(FileId::CardAccess.fid(), broken.clone());
        let r = session(&mrz(), opts_dg1(), &mut VirtualChip::new(p.clone(), 2)).unwrap();
        assert_eq!(r.access, AccessProtocol::Bac);
        assert!(matches!(
            r.pace_skipped,
            Some(PaceError::Unsupported { .. })
        ));
        let e = session(&can(), opts_dg1(), &mut VirtualChip::new(p, 2)).unwrap_err();
        assert!(
            matches!(e, ChipError::Pace(PaceError::Unsupported { .. })),
            "{e}"
        );
    }
}

#[test]
fn explicit_domain_parameters_only_on_exact_match() {
    use inspectd::crypto::ec::Curve;
    use lds_gen::{encode_security_infos, pace_info};
    let c = Curve::by_parameter_id(13).unwrap();
    let enc = |b: &[u8]| -> Vec<u8> {
        let c = Curve::by_parameter_id(13).unwrap();
        // ECParameters (X9.62) with this b.
        let int = |v: &[u8]| lds_gen::der_uint(v);
        let tlv = inspectd::tlv::encode;
        let field = [
            tlv(
                0x06,
                &inspectd::lds::asn1::oid_from_dotted("1.2.840.10045.1.1").unwrap(),
            ),
            tlv(0x02, &int(&c.p.to_bytes_be())),
        ]
        .concat();
        let curve = [tlv(0x04, &c.a.to_bytes_be()), tlv(0x04, b)].concat();
        let params = [
            tlv(0x02, &[1]),
            tlv(0x30, &field),
            tlv(0x30, &curve),
            tlv(0x04, &c.encode(&c.g)),
            tlv(0x02, &int(&c.n.to_bytes_be())),
            tlv(0x02, &[1]),
        ]
        .concat();
        let alg = [
            tlv(
                0x06,
                &inspectd::lds::asn1::oid_from_dotted("1.2.840.10045.2.1").unwrap(),
            ),
            tlv(0x30, &params),
        ]
        .concat();
        let dpi = [
            tlv(
                0x06,
                &inspectd::lds::asn1::oid_from_dotted("0.4.0.127.0.7.2.2.4.2").unwrap(),
            ),
            tlv(0x30, &alg),
            tlv(0x02, &[40]),
        ]
        .concat();
        encode_security_infos(&[pace_info(oid(2, 2), 2, Some(40)), tlv(0x30, &dpi)])
    };
    let b = c.b.to_bytes_be();
    let p = card_access(&enc(&b)).unwrap();
    assert_eq!(p.group.parameter_id(), 13);
    assert!(
        p.send_parameter_ref,
        "proprietary parameterId goes in DO'84'"
    );
    let mut tweaked = b.clone();
    tweaked[5] ^= 1;
    assert_eq!(
        card_access(&enc(&tweaked)),
        Err(PaceError::UnknownDomainParameters)
    );
}

#[test]
fn status_words_of_each_step_map_to_typed_errors() {
    // APDU 1 reads EF.CardAccess, 2 is MSE:Set AT, 3-6 the GENERAL AUTHENTICATE steps.
    let offer = (oid(2, 2), 13u64);
    let run_sw = |n: usize, sw: u16, key: &AccessKey| {
        let mut chip = VirtualChip::new(profile(&[offer]), 9).with_fault(Fault::WrongSwAt(n, sw));
        session(key, opts_dg1(), &mut chip)
    };
    let e = pace_err(run_sw(6, 0x63C2, &can()).unwrap_err());
    assert_eq!(
        e,
        PaceError::WrongPassword {
            sw: inspectd::apdu::StatusWord(0x63C2),
            retries_left: Some(2)
        }
    );
    assert!(e.to_string().contains("2 attempts left"));
    let e = pace_err(run_sw(6, 0x63C0, &can()).unwrap_err());
    assert!(matches!(e, PaceError::PasswordBlocked { .. }), "{e}");
    let e = pace_err(run_sw(3, 0x6982, &can()).unwrap_err());
    assert!(
        matches!(e, PaceError::Status { step, .. } if step.contains("nonce")),
        "{e}"
    );
    let e = pace_err(run_sw(4, 0x6A80, &can()).unwrap_err());
    assert!(
        matches!(e, PaceError::Status { step, .. } if step.contains("mapping")),
        "{e}"
    );
    let e = pace_err(run_sw(5, 0x6985, &can()).unwrap_err());
    assert!(
        matches!(e, PaceError::Status { step, .. } if step.contains("key agreement")),
        "{e}"
    );
    // 6A80 on MSE: one retry with DO'84' (the chip takes it), then PACE goes on.
    let r = run_sw(2, 0x6A80, &can()).unwrap();
    assert!(matches!(r.access, AccessProtocol::Pace(_)));
    // 6A88 on MSE: refused; the MRZ falls back to BAC, the CAN cannot.
    let r = run_sw(2, 0x6A88, &mrz()).unwrap();
    assert_eq!(r.access, AccessProtocol::Bac);
    let e = pace_err(run_sw(2, 0x6A88, &can()).unwrap_err());
    assert!(matches!(e, PaceError::MseRefused { .. }), "{e}");
}

#[test]
fn chip_side_refuses_bad_terminal_input() {
    use inspectd::apdu::CommandApdu;
    use inspectd::chip::pace::chip_side::{PaceChip, PaceChipConfig};
    let o = inspectd::lds::asn1::oid_from_dotted(oid(2, 2)).unwrap();
    let cfg = PaceChipConfig {
        protocols: vec![PaceParams::standardized(&o, 13).unwrap()],
        passwords: vec![PacePassword::Mrz(synthetic_mrz_information())],
        cam_secret: None,
    };
    let tlv = inspectd::tlv::encode;
    let mse = |proto: &[u8], pw: u8| [tlv(0x80, proto), tlv(0x83, &[pw])].concat();
    let mut chip = PaceChip::new();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    // Unknown protocol, unknown password reference, a password the chip does not hold.
    assert_eq!(
        chip.mse_set_at(&cfg, &mse(&[1, 2, 3], 1)).response.sw.0,
        0x6A80
    );
    assert_eq!(chip.mse_set_at(&cfg, &mse(&o, 9)).response.sw.0, 0x6A80);
    assert_eq!(chip.mse_set_at(&cfg, &mse(&o, 2)).response.sw.0, 0x6A88);
    // DO'84' naming another parameterId.
    let with_84 = [mse(&o, 1), tlv(0x84, &[12])].concat();
    assert_eq!(chip.mse_set_at(&cfg, &with_84).response.sw.0, 0x6A80);
    assert_eq!(chip.mse_set_at(&cfg, &mse(&o, 1)).response.sw.0, 0x9000);
    let ga = |cla: u8, body: Vec<u8>| {
        CommandApdu::new(cla, 0x86, 0, 0)
            .with_data(tlv(0x7C, &body))
            .with_le(256)
    };
    let nonce = chip.general_authenticate(&cfg, &ga(0x10, vec![]), &mut rng, &[]);
    assert_eq!(nonce.response.sw.0, 0x9000);
    // A mapping key off the curve.
    let mut bad = vec![0x04];
    bad.extend([0x11; 64]);
    let r = chip.general_authenticate(&cfg, &ga(0x10, tlv(0x81, &bad)), &mut rng, &[]);
    assert_eq!(r.response.sw.0, 0x6A80);
    // Out of order: the run was abandoned, GA is refused.
    let r = chip.general_authenticate(&cfg, &ga(0x10, vec![]), &mut rng, &[]);
    assert_eq!(r.response.sw.0, 0x6985);
}

#[test]
fn td1_eid_card_with_can() {
    use inspectd::lds::sod::Sod;
    use sha2::{Digest, Sha256};
    let p = inspectd::testkit::dataset::synthetic_td1_can_card().unwrap();
    let mut chip = VirtualChip::new(p, 4);
    let r = session(&can(), SessionOptions::default(), &mut chip).unwrap();
    assert!(matches!(r.access, AccessProtocol::Pace(_)));
    let dg1 = r.file(FileId::Dg1).unwrap();
    let mrz = inspectd::lds::dg1::Dg1::parse(dg1).unwrap().mrz().unwrap();
    assert_eq!(mrz.format, inspectd::mrz::MrzFormat::Td1);
    // EF.SOD lists the TD1 DG1's hash.
    let sod = Sod::parse(r.file(FileId::Sod).unwrap()).unwrap();
    let listed = sod
        .lds_security_object
        .data_group_hashes
        .iter()
        .find(|h| h.number == 1)
        .map(|h| h.hash.to_vec());
    assert_eq!(listed, Some(Sha256::digest(dg1).to_vec()));
    // And Passive Authentication of what was read passes against the test PKI.
    let dir = std::env::temp_dir().join(format!("inspectd-td1-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for f in &r.files {
        if let Some(b) = f.bytes() {
            std::fs::write(dir.join(inspectd::testkit::dataset::dump_name(f.id)), b).unwrap();
        }
    }
    let pki = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/pki");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_inspectd"))
        .args(["verify", "--json", "--at", "2026-06-01T00:00:00Z"])
        .args(["--trust", &format!("{pki}/csca-rsa.der")])
        .args(["--trust", &format!("{pki}/crl-rsa.der")])
        .arg(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn pin_and_puk_open_pace() {
    // An eID that takes its PIN (reference 3) and PUK (reference 4) as PACE passwords (Doc
    // 9303-11 §9.7.3: f(π) is the password's bytes, as for the CAN).
    let offer = (oid(2, 2), 13);
    let mut p = profile(&[offer]);
    let cfg = p.pace.as_mut().unwrap();
    cfg.passwords.push(PacePassword::Pin("123456".into()));
    cfg.passwords.push(PacePassword::Puk("9876543210".into()));
    for (key, kind) in [
        (AccessKey::Pin("123456".into()), PasswordKind::Pin),
        (AccessKey::Puk("9876543210".into()), PasswordKind::Puk),
    ] {
        let mut chip = VirtualChip::new(p.clone(), 3);
        let r = session(&key, opts_dg1(), &mut chip).unwrap_or_else(|e| panic!("{key:?}: {e}"));
        let AccessProtocol::Pace(s) = r.access else {
            panic!("not PACE: {:?}", r.access)
        };
        assert_eq!(s.password, kind);
        assert_eq!(r.file(FileId::Dg1), Some(expected_dg1().as_slice()));
        assert_eq!(format!("{key:?}"), format!("AccessKey::{kind:?}(..)"));
    }
    // A wrong PUK is a wrong password; a PUK on a chip without one is refused at MSE:Set AT,
    // with no BAC fallback (a PUK is no BAC key).
    let e = session(
        &AccessKey::Puk("0000000000".into()),
        opts_dg1(),
        &mut VirtualChip::new(p, 3),
    )
    .unwrap_err();
    assert!(
        matches!(e, ChipError::Pace(PaceError::WrongPassword { .. })),
        "{e}"
    );
    let e = session(
        &AccessKey::Puk("9876543210".into()),
        opts_dg1(),
        &mut VirtualChip::new(profile(&[offer]), 3),
    )
    .unwrap_err();
    assert!(
        matches!(e, ChipError::Pace(PaceError::MseRefused { .. })),
        "{e}"
    );
}
