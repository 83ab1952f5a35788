//! Chip Authentication (Doc 9303-11 §6.2): the BSI TR-03110 "Worked Example for EAC v1.01"
//! Chip Authentication v2 for ECDH and DH reproduced byte for byte (K, K_enc/K_mac, T_PICC, and
//! the protocol run), full BAC + CA runs against the virtual chip for ECDH and DH with 3DES and
//! AES, faults and TR-03105 ISO7816_D negatives, and inspections where CA fails but AA passes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use inspectd::apdu::ResponseApdu;
use inspectd::chip::ca::{
    self, select_key, select_key_version, session_from_secret, CaConfirm, CaCurve, CaError,
    CaFailure, CaGroup, ChipAuthentication,
};
use inspectd::chip::{
    drive, AccessKey, ChipError, FileRef, ReadFile, ReadOptions, ReadSession, SecureSession,
    Secured, SelectFile, SessionOptions,
};
use inspectd::chip::{ChipProtocol, Step};
use inspectd::crypto::dh::DhGroup;
use inspectd::lds::security_infos::SecurityInfos;
use inspectd::lds::FileId;
use inspectd::pa::CheckStatus;
use inspectd::sm::{derive_key, ChipSmSession, SmCipher, SmError, SmKeys, KDF_ENC, KDF_MAC};
use inspectd::testkit::dataset::{
    synthetic_bac_passport, synthetic_ca_dh_passport, synthetic_ca_passport,
    synthetic_mrz_information, with_extended_length,
};
use inspectd::testkit::lds_gen::{self, GenParams};
use inspectd::testkit::virtual_chip::CaChipKey;
use inspectd::testkit::{ChipProfile, Fault, VirtualChip};
use inspectd::tlv;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const CA_ECDH_3DES: &str = "0.4.0.127.0.7.2.2.3.2.1";
const CA_ECDH_AES128: &str = "0.4.0.127.0.7.2.2.3.2.2";

fn vectors_entry(prefix: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/vectors/doc9303-worked-examples.json"
        ))
        .unwrap(),
    )
    .unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"].as_str().unwrap().starts_with(prefix))
        .unwrap_or_else(|| panic!("no entry {prefix}"))
        .clone()
}

fn hx(v: &serde_json::Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap().replace([' ', '\n'], "")).unwrap()
}

/// Strips a leading zero octet (the worked example prints some scalars with a sign byte).
fn scalar(mut b: Vec<u8>, len: usize) -> Vec<u8> {
    while b.len() > len && b[0] == 0 {
        b.remove(0);
    }
    b
}

#[test]
fn bsi_worked_example_ecdh_shared_secret_and_keys() {
    // Entry "BSI TR-03110 'Worked Example for EAC v1.01' - ECDH (brainpoolP256r1): PACE-GM with
    // PIN, AES SM, Chip Authentication v2", fields ChipAuthentication_v2. CA v2 and v1 share the
    // ECDH step; v2 adds the nonce r_PICC to the KDF seed.
    let e = vectors_entry("BSI TR-03110 'Worked Example for EAC v1.01' - ECDH");
    let f = &e["fields"]["ChipAuthentication_v2"];
    let c = CaCurve::BrainpoolP256r1;
    let sk_picc = scalar(hx(&f["SK_PICC_static"]), 32);
    let sk_pcd = scalar(hx(&f["SK_PCD_eph"]), 32);
    let pk_picc = hx(&f["PK_PICC_static"]);
    let pk_pcd = hx(&f["PK_PCD_eph"]);
    assert_eq!(c.public_point(&sk_picc).unwrap(), pk_picc);
    assert_eq!(c.public_point(&sk_pcd).unwrap(), pk_pcd);
    let k = hx(&f["K"]);
    // Terminal side and chip side.
    assert_eq!(c.ecdh(&sk_pcd, &pk_picc).unwrap(), k);
    assert_eq!(c.ecdh(&sk_picc, &pk_pcd).unwrap(), k);
    ca::validate_point(c, &pk_picc).unwrap();
    let mut seed = k.clone();
    seed.extend_from_slice(&hx(&f["r_PICC"]));
    assert_eq!(
        derive_key(&seed, KDF_ENC, SmCipher::Aes128),
        hx(&f["KS_enc=SHA1(K||r||00000001)[0:16]"])
    );
    assert_eq!(
        derive_key(&seed, KDF_MAC, SmCipher::Aes128),
        hx(&f["KS_mac=SHA1(K||r||00000002)[0:16]"])
    );
    // CA v1 derives from K alone, SSC 0.
    let s = session_from_secret(&k, SmCipher::Aes128).unwrap();
    assert_eq!(s.ssc(), &[0u8; 16]);
}

// ---------------------------------------------------------------------------------------------
// Full runs

fn ca_key(curve: CaCurve, seed: u64, key_id: Option<u64>) -> CaChipKey {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let d = curve.random_secret(&mut rng).unwrap();
    CaChipKey::new(curve, &d, key_id).unwrap()
}

fn param_id(c: CaCurve) -> u64 {
    match c {
        CaCurve::P256 => 12,
        CaCurve::BrainpoolP256r1 => 13,
        CaCurve::P384 => 15,
        CaCurve::BrainpoolP384r1 => 16,
        CaCurve::P521 => 18,
        _ => unreachable!(),
    }
}

/// DG14 with one CAInfo (`info_key_id`) and the given public keys.
fn dg14(oid: &str, info_key_id: Option<u64>, keys: &[(CaCurve, Vec<u8>, Option<u64>)]) -> Vec<u8> {
    let mut infos = vec![lds_gen::chip_authentication_info(oid, 1, info_key_id)];
    for (c, point, id) in keys {
        infos.push(lds_gen::chip_authentication_public_key_info_ecdh(
            param_id(*c),
            point,
            *id,
        ));
    }
    lds_gen::encode_dg14(&infos)
}

/// The synthetic passport with `dg14` replacing its DG14 and `key` as CA key.
fn profile(dg14: Vec<u8>, key: Option<CaChipKey>) -> ChipProfile {
    let mut p = synthetic_bac_passport(GenParams::default());
    p.app_files.insert(FileId::Dg14.fid(), dg14);
    p.ca_key = key;
    p
}

fn simple_profile(oid: &str, key: &CaChipKey) -> ChipProfile {
    let d = dg14(
        oid,
        key.key_id(),
        &[(key.curve().unwrap(), key.public_point(), key.key_id())],
    );
    profile(d, Some(key.clone()))
}

/// BAC read; returns the open session, DG14 and DG1 bytes.
fn bac_read(chip: &mut VirtualChip) -> (SecureSession, Vec<u8>, Vec<u8>) {
    let key = AccessKey::Mrz {
        mrz_information: synthetic_mrz_information(),
    };
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    let s = ReadSession::new(&key, SessionOptions::default(), &mut rng).unwrap();
    let mut read = drive(s, chip).unwrap();
    let session = read.session.take().unwrap();
    let dg14 = read.file(FileId::Dg14).unwrap().to_vec();
    let dg1 = read.file(FileId::Dg1).unwrap().to_vec();
    (session, dg14, dg1)
}

fn read_dg1(chip: &mut VirtualChip, session: SecureSession) -> Result<Vec<u8>, ChipError> {
    let opts = ReadOptions::secured(&session, 256);
    let r = drive(
        Secured::new(
            session,
            ReadFile::new(FileRef::Fid(FileId::Dg1.fid()), opts),
        ),
        chip,
    )?;
    Ok(r.bytes)
}

fn full_run(p: ChipProfile, cipher: SmCipher, curve: CaCurve) {
    full_run_group(p, cipher, CaGroup::Ec(curve));
}

fn full_run_group(p: ChipProfile, cipher: SmCipher, group: CaGroup) {
    let mut chip = VirtualChip::new(p, 7);
    let (session, dg14_bytes, dg1) = bac_read(&mut chip);
    let infos = SecurityInfos::parse_dg14(&dg14_bytes).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let (new_session, token) = ca::run(&mut chip, session, &infos, &mut rng).unwrap();
    assert_eq!(token.cipher(), cipher);
    assert_eq!(token.group(), group);
    assert_eq!(token.version(), 1);
    assert_eq!(new_session.cipher(), cipher);
    // Reading continues under the new keys.
    assert_eq!(read_dg1(&mut chip, new_session).unwrap(), dg1);
}

#[test]
fn full_run_p256_aes128() {
    let k = ca_key(CaCurve::P256, 1, Some(1));
    full_run(
        simple_profile(CA_ECDH_AES128, &k),
        SmCipher::Aes128,
        CaCurve::P256,
    );
}

#[test]
fn full_run_p256_3des_without_key_id() {
    let k = ca_key(CaCurve::P256, 2, None);
    full_run(
        simple_profile(CA_ECDH_3DES, &k),
        SmCipher::Tdes,
        CaCurve::P256,
    );
}

#[test]
fn full_run_brainpool_p256r1_aes128() {
    let k = ca_key(CaCurve::BrainpoolP256r1, 3, Some(7));
    full_run(
        simple_profile(CA_ECDH_AES128, &k),
        SmCipher::Aes128,
        CaCurve::BrainpoolP256r1,
    );
}

#[test]
fn full_run_p384_3des() {
    let k = ca_key(CaCurve::P384, 4, Some(2));
    full_run(
        simple_profile(CA_ECDH_3DES, &k),
        SmCipher::Tdes,
        CaCurve::P384,
    );
}

#[test]
fn key_selected_by_key_id_among_several() {
    let k = ca_key(CaCurve::P256, 5, Some(2));
    let other = ca_key(CaCurve::P256, 6, Some(1));
    let d = dg14(
        CA_ECDH_AES128,
        Some(2),
        &[
            (CaCurve::P256, other.public_point(), Some(1)),
            (CaCurve::P256, k.public_point(), Some(2)),
        ],
    );
    let infos = SecurityInfos::parse_dg14(&d).unwrap();
    let params = select_key(&infos).unwrap();
    assert_eq!(params.chip_public_key, k.public_point());
    assert_eq!(params.key_id, Some(2));
    full_run(profile(d, Some(k)), SmCipher::Aes128, CaCurve::P256);
}

#[test]
fn ca_key_ref_mismatch_is_typed() {
    // TR-03105 ISO7816_D: the keyId of ChipAuthenticationInfo is absent from DG14.
    let k = ca_key(CaCurve::P256, 5, Some(1));
    let d = dg14(
        CA_ECDH_AES128,
        Some(3),
        &[(CaCurve::P256, k.public_point(), Some(1))],
    );
    let infos = SecurityInfos::parse_dg14(&d).unwrap();
    assert_eq!(
        select_key(&infos),
        Err(CaError::KeyIdMismatch { key_id: Some(3) })
    );
    // Several keys and no keyId.
    let d = dg14(
        CA_ECDH_AES128,
        None,
        &[
            (CaCurve::P256, k.public_point(), Some(1)),
            (CaCurve::P256, k.public_point(), Some(2)),
        ],
    );
    let infos = SecurityInfos::parse_dg14(&d).unwrap();
    assert_eq!(select_key(&infos), Err(CaError::AmbiguousKey { count: 2 }));
}

#[test]
fn ca_invalid_public_key_is_typed() {
    // TR-03105 ISO7816_D: corrupted public key in DG14 (off the curve, truncated, compressed,
    // identity-like all-zero).
    let k = ca_key(CaCurve::P256, 8, Some(1));
    let good = k.public_point();
    let mut off = good.clone();
    off[40] ^= 0x01;
    let mut compressed = vec![0x02 | (good[64] & 1)];
    compressed.extend_from_slice(&good[1..33]);
    let mut zero = vec![0u8; 65];
    zero[0] = 0x04;
    for bad in [off, good[..64].to_vec(), compressed, zero] {
        let d = dg14(CA_ECDH_AES128, Some(1), &[(CaCurve::P256, bad, Some(1))]);
        let infos = SecurityInfos::parse_dg14(&d).unwrap();
        assert!(matches!(
            select_key(&infos),
            Err(CaError::InvalidPublicKey { .. })
        ));
    }
}

#[test]
fn ca_key_mismatch_never_authenticates() {
    // A clone: the chip computes with another private key than DG14 announces. The MSE/GA
    // answers verify under the old keys; the first exchange under the new keys fails secure
    // messaging, so no token is ever produced.
    for oid in [CA_ECDH_AES128, CA_ECDH_3DES] {
        let k = ca_key(CaCurve::P256, 10, Some(1));
        let p = simple_profile(oid, &k);
        let mut chip = VirtualChip::new(p, 11).with_fault(Fault::CaKeyMismatch);
        let (session, dg14_bytes, _) = bac_read(&mut chip);
        let infos = SecurityInfos::parse_dg14(&dg14_bytes).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(12);
        let params = select_key(&infos).unwrap();
        let agreed = drive(
            Secured::new(session, ChipAuthentication::new(params, &mut rng).unwrap()),
            &mut chip,
        )
        .unwrap();
        let e = drive(CaConfirm::new(agreed), &mut chip).unwrap_err();
        // The chip cannot verify the terminal's MAC under its keys and answers a plain 6988.
        assert!(
            matches!(
                e,
                ChipError::Sm(SmError::PlainResponse { .. } | SmError::MacMismatch { .. })
            ),
            "{oid}: {e:?}"
        );
    }
}

#[test]
fn ca_run_on_chip_without_ca_key_fails() {
    let k = ca_key(CaCurve::P256, 13, Some(1));
    let mut p = simple_profile(CA_ECDH_AES128, &k);
    p.ca_key = None;
    let mut chip = VirtualChip::new(p, 14);
    let (session, dg14_bytes, _) = bac_read(&mut chip);
    let infos = SecurityInfos::parse_dg14(&dg14_bytes).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(15);
    let e = ca::run(&mut chip, session, &infos, &mut rng).unwrap_err();
    assert!(
        matches!(e, CaFailure::Chip(ChipError::Status { .. })),
        "{e:?}"
    );
}

#[test]
fn old_session_unusable_after_switch() {
    let k = ca_key(CaCurve::P256, 16, Some(1));
    let mut chip = VirtualChip::new(simple_profile(CA_ECDH_AES128, &k), 17);
    let (session, dg14_bytes, _) = bac_read(&mut chip);
    let infos = SecurityInfos::parse_dg14(&dg14_bytes).unwrap();
    let params = select_key(&infos).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(18);
    let mut secured = Secured::new(session, ChipAuthentication::new(params, &mut rng).unwrap());
    let agreed = drive(&mut secured, &mut chip).unwrap();
    let (old, _) = secured.into_parts();
    // A command under the old keys: the chip (already switched) refuses it, the terminal
    // gets a plain error status it cannot verify.
    let e = drive(Secured::new(old, SelectFile::new(0x011E)), &mut chip).unwrap_err();
    assert!(matches!(e, ChipError::Sm(_)), "{e:?}");
    // That also ended the chip's secure messaging, so even the new keys no longer work.
    let e = drive(CaConfirm::new(agreed), &mut chip).unwrap_err();
    assert!(matches!(e, ChipError::Sm(_)), "{e:?}");
}

#[test]
fn commands_have_the_doc9303_shape() {
    let k = ca_key(CaCurve::P256, 19, Some(1));
    let d = dg14(
        CA_ECDH_AES128,
        Some(1),
        &[(CaCurve::P256, k.public_point(), Some(1))],
    );
    let infos = SecurityInfos::parse_dg14(&d).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(20);
    let p = ChipAuthentication::new(select_key(&infos).unwrap(), &mut rng).unwrap();
    let mse = p.mse_command().encode();
    assert_eq!(&mse[..4], &[0x00, 0x22, 0x41, 0xA4]);
    // DO'80' OID (10 bytes) then DO'84' keyId.
    assert_eq!(
        &mse[5..],
        &hex::decode("800A04007F0007020203020284 0101".replace(' ', "")).unwrap()[..]
    );
    let ga = p.ga_command().encode();
    assert_eq!(&ga[..4], &[0x00, 0x86, 0x00, 0x00]);
    assert_eq!(&ga[5..9], &[0x7C, 0x43, 0x80, 0x41]);
    assert_eq!(&ga[9..74], p.ephemeral_public_key());

    let d = dg14(
        CA_ECDH_3DES,
        None,
        &[(CaCurve::P256, k.public_point(), None)],
    );
    let infos = SecurityInfos::parse_dg14(&d).unwrap();
    let p = ChipAuthentication::new(select_key(&infos).unwrap(), &mut rng).unwrap();
    let mse = p.mse_command().encode();
    assert_eq!(&mse[..4], &[0x00, 0x22, 0x41, 0xA6]);
    assert_eq!(&mse[5..7], &[0x91, 0x41]);
    assert_eq!(mse.len(), 5 + 2 + 65);
}

#[test]
fn bad_mac_on_confirmation_gives_no_token() {
    let k = ca_key(CaCurve::P256, 21, Some(1));
    let p = simple_profile(CA_ECDH_AES128, &k);
    // Count the APDUs of the BAC read on a twin chip: MSE and GA follow, then the confirmation.
    let mut twin = VirtualChip::new(p.clone(), 22);
    let _ = bac_read(&mut twin);
    let confirm_at = twin.apdu_count() + 3;
    let mut chip = VirtualChip::new(p, 22).with_fault(Fault::WrongMacAt(confirm_at));
    let (session, dg14_bytes, _) = bac_read(&mut chip);
    let infos = SecurityInfos::parse_dg14(&dg14_bytes).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(23);
    let e = ca::run(&mut chip, session, &infos, &mut rng).unwrap_err();
    assert!(
        matches!(
            e,
            CaFailure::Chip(ChipError::Sm(SmError::MacMismatch { .. }))
        ),
        "{e:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// CA v2: BSI TR-03110 "Worked Example for EAC v1.01", byte for byte

const CA_DH_3DES: &str = "0.4.0.127.0.7.2.2.3.1.1";
const CA_DH_AES128: &str = "0.4.0.127.0.7.2.2.3.1.2";
const CA_DH_AES256: &str = "0.4.0.127.0.7.2.2.3.1.4";
const CA_ECDH_AES192: &str = "0.4.0.127.0.7.2.2.3.2.3";
const CA_ECDH_AES256: &str = "0.4.0.127.0.7.2.2.3.2.4";

fn dh_group(id: u64) -> &'static DhGroup {
    DhGroup::by_parameter_id(id).unwrap()
}

/// One CA v2 run of the worked example: the terminal's key is the example's SK_PCD_eph, the
/// chip's answer `7C { 81 r_PICC, 82 T_PICC }`; the confirmation is unwrapped by a chip holding
/// the example's KS_enc/KS_mac, which proves the terminal derived exactly those keys.
struct V2Example {
    dg14: Vec<u8>,
    sk_pcd: Vec<u8>,
    pk_pcd: Vec<u8>,
    k: Vec<u8>,
    r: Vec<u8>,
    t: Vec<u8>,
    ks_enc: Vec<u8>,
    ks_mac: Vec<u8>,
}

fn run_v2_example(ex: &V2Example, group: CaGroup, oid: &[u8]) {
    let infos = SecurityInfos::parse_dg14(&ex.dg14).unwrap();
    let params = select_key_version(&infos, 2).unwrap();
    assert_eq!(params.group, group);
    assert_eq!(params.version, 2);
    // The shared secret K, from the terminal side.
    assert_eq!(
        group.agree(&ex.sk_pcd, &params.chip_public_key).unwrap(),
        ex.k
    );
    // The token over 7F49 { 06 OID, 86|84 PK_PCD } under KS_mac = KDF(K || r, 2).
    let keys = ca::session_keys_v2(&ex.k, &ex.r, SmCipher::Aes128).unwrap();
    assert_eq!(
        ca::auth_token_v2(&keys, oid, group, &ex.pk_pcd)
            .unwrap()
            .to_vec(),
        ex.t
    );

    let mut p = ChipAuthentication::with_ephemeral_secret(params.clone(), &ex.sk_pcd).unwrap();
    assert_eq!(p.ephemeral_public_key(), &ex.pk_pcd[..]);
    let Step::Transmit(mse) = p.resume(None).unwrap() else {
        panic!("MSE expected")
    };
    let want = tlv::encode(0x80, oid);
    assert_eq!((mse.p1, mse.p2), (0x41, 0xA4));
    assert_eq!(mse.data, want);
    let Step::Transmit(ga) = p
        .resume(Some(ResponseApdu::parse(&[0x90, 0]).unwrap()))
        .unwrap()
    else {
        panic!("GA expected")
    };
    assert_eq!(
        ga.data,
        tlv::encode(0x7C, &tlv::encode(0x80, &ex.pk_pcd)),
        "GENERAL AUTHENTICATE carries PK_PCD"
    );
    let answer = |t: &[u8]| {
        let mut inner = tlv::encode(0x81, &ex.r);
        inner.extend(tlv::encode(0x82, t));
        let mut b = tlv::encode(0x7C, &inner);
        b.extend([0x90, 0x00]);
        ResponseApdu::parse(&b).unwrap()
    };
    // A token off by one bit is refused and yields no keys.
    let mut bad_t = ex.t.clone();
    bad_t[7] ^= 1;
    let mut twin = ChipAuthentication::with_ephemeral_secret(params, &ex.sk_pcd).unwrap();
    assert!(matches!(twin.resume(None), Ok(Step::Transmit(_))));
    assert!(matches!(
        twin.resume(Some(ResponseApdu::parse(&[0x90, 0]).unwrap())),
        Ok(Step::Transmit(_))
    ));
    assert!(matches!(
        twin.resume(Some(answer(&bad_t))),
        Err(ChipError::AuthenticationMismatch { .. })
    ));

    let Step::Done(agreed) = p.resume(Some(answer(&ex.t))).unwrap() else {
        panic!("keys expected")
    };
    let mut chip = ChipSmSession::new(
        SmKeys::new(SmCipher::Aes128, &ex.ks_enc, &ex.ks_mac).unwrap(),
        &[0u8; 16],
    )
    .unwrap();
    let mut confirm = CaConfirm::new(agreed);
    let Step::Transmit(cmd) = confirm.resume(None).unwrap() else {
        panic!("confirmation expected")
    };
    let plain = chip.unwrap_command(&cmd).unwrap();
    assert_eq!(
        (plain.ins, plain.data.as_slice()),
        (0xA4, &[0x01, 0x1E][..])
    );
    let rsp = chip
        .wrap_response(&ResponseApdu::parse(&[0x90, 0x00]).unwrap())
        .unwrap();
    let Step::Done((session, token)) = confirm.resume(Some(rsp)).unwrap() else {
        panic!("token expected")
    };
    assert_eq!(token.version(), 2);
    assert_eq!(token.group(), group);
    assert_eq!(session.cipher(), SmCipher::Aes128);
}

#[test]
fn bsi_worked_example_ca_v2_ecdh_brainpool_p256r1() {
    // Entry "BSI TR-03110 'Worked Example for EAC v1.01' - ECDH (brainpoolP256r1) ...",
    // fields ChipAuthentication_v2 (OpenPACE eactest.c tc_ecdh_*).
    let e = vectors_entry("BSI TR-03110 'Worked Example for EAC v1.01' - ECDH");
    let f = &e["fields"]["ChipAuthentication_v2"];
    assert_eq!(f["OID"], "id-CA-ECDH-AES-CBC-CMAC-128");
    let pk_picc = hx(&f["PK_PICC_static"]);
    let dg14 = lds_gen::encode_dg14(&[
        lds_gen::chip_authentication_info(CA_ECDH_AES128, 2, None),
        lds_gen::chip_authentication_public_key_info_ecdh(13, &pk_picc, None),
    ]);
    let ex = V2Example {
        dg14,
        sk_pcd: scalar(hx(&f["SK_PCD_eph"]), 32),
        pk_pcd: hx(&f["PK_PCD_eph"]),
        k: hx(&f["K"]),
        r: hx(&f["r_PICC"]),
        t: hx(&f["T_PICC=CMAC(KS_mac, 7F49{OID,86 PK_PCD})"]),
        ks_enc: hx(&f["KS_enc=SHA1(K||r||00000001)[0:16]"]),
        ks_mac: hx(&f["KS_mac=SHA1(K||r||00000002)[0:16]"]),
    };
    run_v2_example(
        &ex,
        CaGroup::Ec(CaCurve::BrainpoolP256r1),
        &inspectd::lds::asn1::oid_from_dotted(CA_ECDH_AES128).unwrap(),
    );
}

#[test]
fn bsi_worked_example_ca_v2_dh_modp1024() {
    // Entry "BSI TR-03110 'Worked Example for EAC v1.01' - DH (1024-bit MODP, parameterId 0)",
    // fields ChipAuthentication_v2_DH (OpenPACE eactest.c tc_dh_*); protocol
    // id-CA-DH-AES-CBC-CMAC-128, the RFC 5114 §2.1 group.
    let e = vectors_entry("BSI TR-03110 'Worked Example for EAC v1.01' - DH");
    let f = &e["fields"]["ChipAuthentication_v2_DH"];
    let group = dh_group(0);
    let sk_picc = hx(&f["SK_PICC_static"]);
    let pk_picc = hx(&f["PK_PICC_static"]);
    let sk_pcd = hx(&f["SK_PCD_eph"]);
    let pk_pcd = hx(&f["PK_PCD_eph"]);
    let g = CaGroup::Dh(group);
    // Both key pairs, both sides of the agreement, and the chip key in the order-q subgroup.
    assert_eq!(g.public_key(&sk_picc).unwrap(), pk_picc);
    assert_eq!(g.public_key(&sk_pcd).unwrap(), pk_pcd);
    assert_eq!(g.agree(&sk_picc, &pk_pcd).unwrap(), hx(&f["K"]));
    g.validate_public(&pk_picc).unwrap();
    // DG14 in both DH forms: standardized parameterId 0, and explicit X9.42 p, g, q.
    let (p, gg, q) = (
        group.p.to_bytes_be(),
        group.g.to_bytes_be(),
        group.q.to_bytes_be(),
    );
    for explicit in [None, Some((&p[..], &gg[..], &q[..]))] {
        let dg14 = lds_gen::encode_dg14(&[
            lds_gen::chip_authentication_info(CA_DH_AES128, 2, None),
            lds_gen::chip_authentication_public_key_info_dh(
                &lds_gen::spki_dh(0, explicit, &pk_picc),
                None,
            ),
        ]);
        let ex = V2Example {
            dg14,
            sk_pcd: sk_pcd.clone(),
            pk_pcd: pk_pcd.clone(),
            k: hx(&f["K"]),
            r: hx(&f["r_PICC"]),
            t: hx(&f["T_PICC"]),
            ks_enc: hx(&f["KS_enc"]),
            ks_mac: hx(&f["KS_mac"]),
        };
        run_v2_example(
            &ex,
            g,
            &inspectd::lds::asn1::oid_from_dotted(CA_DH_AES128).unwrap(),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// CA-DH and the remaining ECDH suites against the virtual chip

fn dh_key(id: u64, seed: u64, key_id: Option<u64>) -> CaChipKey {
    let g = CaGroup::Dh(dh_group(id));
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let x = g.random_secret(&mut rng).unwrap();
    CaChipKey::in_group(g, &x, key_id).unwrap()
}

/// DG14 with one CAInfo and DH public keys `(parameterId, y, keyId)` (standardized form).
fn dg14_dh(oid: &str, info_key_id: Option<u64>, keys: &[(u64, Vec<u8>, Option<u64>)]) -> Vec<u8> {
    let mut infos = vec![lds_gen::chip_authentication_info(oid, 1, info_key_id)];
    for (id, y, key_id) in keys {
        infos.push(lds_gen::chip_authentication_public_key_info_dh(
            &lds_gen::spki_dh(*id, None, y),
            *key_id,
        ));
    }
    lds_gen::encode_dg14(&infos)
}

fn dh_profile(oid: &str, param: u64, key: &CaChipKey) -> ChipProfile {
    let d = dg14_dh(
        oid,
        key.key_id(),
        &[(param, key.public_point(), key.key_id())],
    );
    profile(d, Some(key.clone()))
}

#[test]
fn full_run_dh_modp1024_3des_and_aes128() {
    for (oid, cipher) in [
        (CA_DH_3DES, SmCipher::Tdes),
        (CA_DH_AES128, SmCipher::Aes128),
    ] {
        let k = dh_key(0, 30, Some(1));
        full_run_group(dh_profile(oid, 0, &k), cipher, k.group());
        let k = dh_key(0, 31, None);
        full_run_group(dh_profile(oid, 0, &k), cipher, k.group());
    }
}

#[test]
fn full_run_dh_modp2048_groups() {
    // A 256-byte public value does not fit a short protected APDU: these chips take extended
    // length, or command chaining (a short-only chip answers 6700 to an extended command).
    let k = dh_key(1, 32, Some(4));
    full_run_group(
        with_extended_length(dh_profile(CA_DH_AES256, 1, &k)),
        SmCipher::Aes256,
        k.group(),
    );
    let k = dh_key(2, 33, None);
    full_run_group(
        with_extended_length(dh_profile(CA_DH_3DES, 2, &k)),
        SmCipher::Tdes,
        k.group(),
    );
    let mut chip = VirtualChip::new(dh_profile(CA_DH_AES128, 2, &k), 34);
    let (session, dg14_bytes, _) = bac_read(&mut chip);
    let infos = SecurityInfos::parse_dg14(&dg14_bytes).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(35);
    let e = ca::run(&mut chip, session, &infos, &mut rng).unwrap_err();
    assert!(
        matches!(
            e,
            CaFailure::Chip(ChipError::Sm(SmError::PlainResponse { .. }))
        ),
        "{e:?}"
    );
    // The same short-only chip with command chaining (ISO/IEC 7816-4 §5.3.3): GENERAL
    // AUTHENTICATE goes out in protected pieces of at most 223 data bytes, and CA passes.
    let mut chip = VirtualChip::new(dh_profile(CA_DH_AES128, 2, &k), 34);
    let (session, dg14_bytes, _) = bac_read(&mut chip);
    let infos = SecurityInfos::parse_dg14(&dg14_bytes).unwrap();
    let params = select_key(&infos).unwrap();
    let before = chip.apdu_count();
    let (_, token) = ca::run_chained(
        &mut chip,
        session,
        params,
        &mut ChaCha20Rng::seed_from_u64(35),
        inspectd::chip::chain::MAX_SECURED_SHORT_DATA,
    )
    .unwrap();
    assert_eq!(token.group(), k.group());
    // MSE:Set AT, two GENERAL AUTHENTICATE pieces (264 data bytes), SELECT EF.COM.
    assert_eq!(chip.apdu_count() - before, 4);
    // And the whole inspection does so by itself on a short-APDU reader path.
    let mut chip = VirtualChip::new(dh_profile(CA_DH_AES128, 2, &k), 36);
    let r = inspectd::inspection::inspect_chip(
        &mut chip,
        &AccessKey::Mrz {
            mrz_information: synthetic_mrz_information(),
        },
        &inspectd::inspection::ChipOptions::default(),
        &mut ChaCha20Rng::seed_from_u64(37),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(r.ca.status, CheckStatus::Passed, "{:?}", r.ca);
}

#[test]
fn full_run_dh_explicit_parameters_of_a_known_group() {
    let k = dh_key(0, 34, None);
    let g = dh_group(0);
    let (p, gg, q) = (g.p.to_bytes_be(), g.g.to_bytes_be(), g.q.to_bytes_be());
    let d = lds_gen::encode_dg14(&[
        lds_gen::chip_authentication_info(CA_DH_AES128, 1, None),
        lds_gen::chip_authentication_public_key_info_dh(
            &lds_gen::spki_dh(0, Some((&p, &gg, &q)), &k.public_point()),
            None,
        ),
    ]);
    full_run_group(profile(d, Some(k.clone())), SmCipher::Aes128, k.group());
}

#[test]
fn full_run_remaining_ecdh_suites() {
    let k = ca_key(CaCurve::P521, 40, Some(1));
    full_run(
        simple_profile(CA_ECDH_AES256, &k),
        SmCipher::Aes256,
        CaCurve::P521,
    );
    let k = ca_key(CaCurve::BrainpoolP384r1, 41, None);
    full_run(
        simple_profile(CA_ECDH_AES192, &k),
        SmCipher::Aes192,
        CaCurve::BrainpoolP384r1,
    );
    let k = ca_key(CaCurve::BrainpoolP256r1, 42, Some(3));
    full_run(
        simple_profile(CA_ECDH_3DES, &k),
        SmCipher::Tdes,
        CaCurve::BrainpoolP256r1,
    );
    let k = ca_key(CaCurve::P384, 43, None);
    full_run(
        simple_profile(CA_ECDH_AES128, &k),
        SmCipher::Aes128,
        CaCurve::P384,
    );
}

#[test]
fn dh_key_mismatch_and_refused_mse_never_authenticate() {
    for oid in [CA_DH_AES128, CA_DH_3DES] {
        // A clone computing with another exponent: the confirmation fails secure messaging.
        let k = dh_key(0, 44, Some(1));
        let mut chip =
            VirtualChip::new(dh_profile(oid, 0, &k), 45).with_fault(Fault::CaKeyMismatch);
        let (session, dg14_bytes, _) = bac_read(&mut chip);
        let infos = SecurityInfos::parse_dg14(&dg14_bytes).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(46);
        let e = ca::run(&mut chip, session, &infos, &mut rng).unwrap_err();
        assert!(
            matches!(e, CaFailure::Chip(ChipError::Sm(_))),
            "{oid}: {e:?}"
        );
        // A chip without the key refuses MSE.
        let mut p = dh_profile(oid, 0, &k);
        p.ca_key = None;
        let mut chip = VirtualChip::new(p, 47);
        let (session, dg14_bytes, _) = bac_read(&mut chip);
        let infos = SecurityInfos::parse_dg14(&dg14_bytes).unwrap();
        let e = ca::run(&mut chip, session, &infos, &mut rng).unwrap_err();
        assert!(
            matches!(e, CaFailure::Chip(ChipError::Status { .. })),
            "{oid}: {e:?}"
        );
    }
}

#[test]
fn identical_ephemeral_and_static_keys_are_refused() {
    let g = CaGroup::Dh(dh_group(0));
    let mut rng = ChaCha20Rng::seed_from_u64(48);
    let x = g.random_secret(&mut rng).unwrap();
    let y = g.public_key(&x).unwrap();
    let d = dg14_dh(CA_DH_AES128, None, &[(0, y, None)]);
    let params = select_key(&SecurityInfos::parse_dg14(&d).unwrap()).unwrap();
    assert_eq!(
        ChipAuthentication::with_ephemeral_secret(params, &x).unwrap_err(),
        CaError::IdenticalKeys
    );
    let k = ca_key(CaCurve::P256, 49, None);
    let d = dg14(
        CA_ECDH_AES128,
        None,
        &[(CaCurve::P256, k.public_point(), None)],
    );
    let params = select_key(&SecurityInfos::parse_dg14(&d).unwrap()).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(49);
    let x = CaCurve::P256.random_secret(&mut rng).unwrap();
    assert_eq!(
        ChipAuthentication::with_ephemeral_secret(params, &x).unwrap_err(),
        CaError::IdenticalKeys
    );
}

#[test]
fn dh_negatives_tr03105_iso7816_d() {
    let g = dh_group(0);
    let k = dh_key(0, 50, Some(1));
    let good = k.public_point();
    let sel = |d: Vec<u8>| select_key(&SecurityInfos::parse_dg14(&d).unwrap());
    assert!(sel(dg14_dh(
        CA_DH_AES128,
        Some(1),
        &[(0, good.clone(), Some(1))]
    ))
    .is_ok());

    // Corrupted public key: one bit flipped leaves the order-q subgroup.
    let mut flipped = good.clone();
    flipped[60] ^= 0x04;
    // Out of range: 0, 1, p-1, p, and a value longer than p.
    let enc = |v: &num_bigint::BigUint| {
        let b = v.to_bytes_be();
        let mut out = vec![0u8; 128 - b.len().min(128)];
        out.extend(b);
        out
    };
    let one = num_bigint::BigUint::from(1u8);
    let mut longer = vec![0x01];
    longer.extend(&good);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("bit flip", flipped),
        ("zero", vec![0]),
        ("one", vec![1]),
        ("p-1", enc(&(&g.p - &one))),
        ("p", enc(&g.p)),
        ("longer than p", longer),
        ("2 (small subgroup)", vec![2]),
    ];
    for (what, y) in cases {
        let e = sel(dg14_dh(CA_DH_AES128, Some(1), &[(0, y, Some(1))]));
        assert!(
            matches!(e, Err(CaError::InvalidPublicKey { .. })),
            "{what}: {e:?}"
        );
    }
    // keyId of CAInfo not among the keys; several keys and no keyId.
    assert_eq!(
        sel(dg14_dh(
            CA_DH_AES128,
            Some(2),
            &[(0, good.clone(), Some(1))]
        )),
        Err(CaError::KeyIdMismatch { key_id: Some(2) })
    );
    assert_eq!(
        sel(dg14_dh(
            CA_DH_AES128,
            None,
            &[(0, good.clone(), Some(1)), (0, good.clone(), Some(2))]
        )),
        Err(CaError::AmbiguousKey { count: 2 })
    );
    // A DH key under an ECDH protocol.
    assert!(matches!(
        sel(dg14_dh(CA_ECDH_AES128, None, &[(0, good.clone(), None)])),
        Err(CaError::KeyAgreementMismatch { .. })
    ));
    // Explicit parameters one bit away from the RFC 5114 group, and an unknown id.
    let mut p = g.p.to_bytes_be();
    p[100] ^= 0x01;
    let (gg, q) = (g.g.to_bytes_be(), g.q.to_bytes_be());
    let d = lds_gen::encode_dg14(&[
        lds_gen::chip_authentication_info(CA_DH_AES128, 1, None),
        lds_gen::chip_authentication_public_key_info_dh(
            &lds_gen::spki_dh(0, Some((&p, &gg, &q)), &good),
            None,
        ),
    ]);
    assert!(matches!(sel(d), Err(CaError::Unsupported { .. })));
    assert!(matches!(
        sel(dg14_dh(CA_DH_AES128, None, &[(3, good, None)])),
        Err(CaError::Unsupported { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Inspection: AA after a failed CA

fn inspect(chip: &mut VirtualChip) -> inspectd::inspection::ChipInspection {
    let key = AccessKey::Mrz {
        mrz_information: synthetic_mrz_information(),
    };
    let mut rng = ChaCha20Rng::seed_from_u64(60);
    inspectd::inspection::inspect_chip(
        chip,
        &key,
        &inspectd::inspection::ChipOptions::default(),
        &mut rng,
        &mut |_| {},
    )
    .unwrap()
}

#[test]
fn inspection_passes_ca_dh_and_aa() {
    for oid in [CA_DH_AES128, CA_DH_3DES] {
        let p = synthetic_ca_dh_passport(GenParams::default(), 0, false, oid).unwrap();
        let r = inspect(&mut VirtualChip::new(p, 61));
        assert_eq!(r.ca.status, CheckStatus::Passed, "{oid}: {}", r.ca.reason);
        assert!(r.ca.reason.contains("DH RFC 5114"), "{}", r.ca.reason);
        assert_eq!(r.aa.status, CheckStatus::Passed, "{oid}: {}", r.aa.reason);
    }
    let p = with_extended_length(
        synthetic_ca_dh_passport(GenParams::default(), 2, true, CA_DH_AES256).unwrap(),
    );
    let r = inspect(&mut VirtualChip::new(p, 62));
    assert_eq!(r.ca.status, CheckStatus::Passed, "{}", r.ca.reason);
}

#[test]
fn aa_runs_after_a_failed_ca_on_a_fresh_access_control() {
    let ecdh = || synthetic_ca_passport(GenParams::default()).unwrap();
    let dh = || synthetic_ca_dh_passport(GenParams::default(), 0, false, CA_DH_AES128).unwrap();
    let no_key = || {
        let mut p = ecdh();
        p.ca_key = None;
        p
    };
    // Wrong CA key (SM MAC error under the new keys) and a chip refusing MSE:Set AT.
    let cases: Vec<(&str, ChipProfile, Vec<Fault>)> = vec![
        ("ECDH wrong key", ecdh(), vec![Fault::CaKeyMismatch]),
        ("DH wrong key", dh(), vec![Fault::CaKeyMismatch]),
        ("MSE refused", no_key(), vec![]),
    ];
    for (what, p, faults) in cases {
        let mut chip = VirtualChip::new(p, 63);
        for f in faults {
            chip = chip.with_fault(f);
        }
        let r = inspect(&mut chip);
        assert_eq!(r.ca.status, CheckStatus::Failed, "{what}: {}", r.ca.reason);
        assert_eq!(r.aa.status, CheckStatus::Passed, "{what}: {}", r.aa.reason);
        assert!(
            r.info
                .timings
                .iter()
                .any(|t| t.step == "access control (restarted)" && t.apdus > 0),
            "{what}: {:?}",
            r.info.timings
        );
    }
    // A wrong AA signature is still caught on the fresh session.
    let mut chip = VirtualChip::new(ecdh(), 64)
        .with_fault(Fault::CaKeyMismatch)
        .with_fault(Fault::AaWrongSignature);
    let r = inspect(&mut chip);
    assert_eq!(r.ca.status, CheckStatus::Failed);
    assert_eq!(r.aa.status, CheckStatus::Failed, "{}", r.aa.reason);
}

/// One command, its response returned as is (to play a misbehaving terminal).
struct OneCommand(Option<inspectd::apdu::CommandApdu>);

impl ChipProtocol for OneCommand {
    type Output = ResponseApdu;
    fn resume(&mut self, r: Option<ResponseApdu>) -> Result<Step<ResponseApdu>, ChipError> {
        match (self.0.take(), r) {
            (Some(c), None) => Ok(Step::Transmit(c)),
            (None, Some(r)) => Ok(Step::Done(r)),
            _ => Err(ChipError::Finished),
        }
    }
}

#[test]
fn virtual_chip_refuses_invalid_dh_ephemeral_keys() {
    // The chip side validates the terminal's key too (1 < y < p-1, y^q = 1, not its own key):
    // MSE:Set KAT with such a DO'91' is answered 6A80, under secure messaging.
    let k = dh_key(0, 70, None);
    let g = dh_group(0);
    let mut rng = ChaCha20Rng::seed_from_u64(71);
    let good = CaGroup::Dh(g)
        .public_key(&CaGroup::Dh(g).random_secret(&mut rng).unwrap())
        .unwrap();
    let mut one = vec![0u8; 128];
    one[127] = 1;
    let mut two = vec![0u8; 128];
    two[127] = 2;
    let pm1 = {
        let mut v = (&g.p - 1u8).to_bytes_be();
        v.resize(128, 0);
        v
    };
    for (what, eph, sw) in [
        ("valid", good, 0x9000),
        ("one", one, 0x6A80),
        ("two (small subgroup)", two, 0x6A80),
        ("p-1", pm1, 0x6A80),
        ("the chip's own key", k.public_point(), 0x6A80),
    ] {
        let mut chip = VirtualChip::new(dh_profile(CA_DH_3DES, 0, &k), 72);
        let (session, _, _) = bac_read(&mut chip);
        let cmd = inspectd::apdu::CommandApdu::new(0x00, 0x22, 0x41, 0xA6)
            .with_data(tlv::encode(0x91, &eph));
        let rsp = drive(Secured::new(session, OneCommand(Some(cmd))), &mut chip);
        let got = match rsp {
            Ok(r) => r.sw.0,
            Err(ChipError::Status { sw, .. }) => sw.0,
            Err(e) => panic!("{what}: {e:?}"),
        };
        assert_eq!(got, sw, "{what}");
    }
}

#[test]
fn aa_after_failed_ca_on_a_pace_chip_reopens_with_pace() {
    // PACE (GM, and CAM which reads EF.CardSecurity again) with the CAN: the fresh access
    // control after the failed CA is PACE again, then AA passes.
    for offer in [
        ("0.4.0.127.0.7.2.2.4.2.2", 13u64),
        ("0.4.0.127.0.7.2.2.4.6.2", 13u64),
    ] {
        let mut p =
            inspectd::testkit::dataset::synthetic_pace_passport(GenParams::default(), &[offer]);
        let k = ca_key(CaCurve::BrainpoolP256r1, 80, None);
        // ECDSA AA needs ActiveAuthenticationInfo (the hash) beside the CA infos.
        p.app_files.insert(
            FileId::Dg14.fid(),
            lds_gen::encode_dg14(&[
                lds_gen::chip_authentication_info(CA_ECDH_AES128, 1, None),
                lds_gen::chip_authentication_public_key_info_ecdh(13, &k.public_point(), None),
                lds_gen::active_authentication_info("0.4.0.127.0.7.1.1.4.1.3"),
            ]),
        );
        p.ca_key = Some(k);
        let key = AccessKey::Can(inspectd::testkit::dataset::SYNTHETIC_CAN.into());
        let run = |faults: &[Fault]| {
            let mut chip = VirtualChip::new(p.clone(), 81);
            for f in faults {
                chip = chip.with_fault(f.clone());
            }
            let mut rng = ChaCha20Rng::seed_from_u64(82);
            inspectd::inspection::inspect_chip(
                &mut chip,
                &key,
                &inspectd::inspection::ChipOptions::default(),
                &mut rng,
                &mut |_| {},
            )
            .unwrap()
        };
        let r = run(&[]);
        assert_eq!(r.ca.status, CheckStatus::Passed, "{}", r.ca.reason);
        assert_eq!(r.aa.status, CheckStatus::Passed, "{}", r.aa.reason);
        let r = run(&[Fault::CaKeyMismatch]);
        assert_eq!(r.ca.status, CheckStatus::Failed, "{}", r.ca.reason);
        assert_eq!(
            r.aa.status,
            CheckStatus::Passed,
            "{:?}: {}",
            offer,
            r.aa.reason
        );
    }
}

#[test]
fn inspection_reports_bad_dg14_keys_as_ca_failed_and_still_runs_aa() {
    // TR-03105 ISO7816_D in a whole inspection: a corrupted DH key and a keyId that names no
    // key fail `ca` before any exchange; the session stays open and AA passes.
    let base = synthetic_ca_dh_passport(GenParams::default(), 0, false, CA_DH_AES128).unwrap();
    let y = base.ca_key.as_ref().unwrap().public_point();
    let mut bad_y = y.clone();
    bad_y[10] ^= 0x20;
    let aa_info = lds_gen::active_authentication_info("0.4.0.127.0.7.1.1.4.1.3");
    let cases = [
        ("corrupted key", None, bad_y, None),
        ("keyId mismatch", Some(2), y, Some(1)),
    ];
    for (what, info_id, key, key_id) in cases {
        let mut p = base.clone();
        p.app_files.insert(
            FileId::Dg14.fid(),
            lds_gen::encode_dg14(&[
                lds_gen::chip_authentication_info(CA_DH_AES128, 1, info_id),
                lds_gen::chip_authentication_public_key_info_dh(
                    &lds_gen::spki_dh(0, None, &key),
                    key_id,
                ),
                aa_info.clone(),
            ]),
        );
        let r = inspect(&mut VirtualChip::new(p, 90));
        assert_eq!(r.ca.status, CheckStatus::Failed, "{what}: {}", r.ca.reason);
        assert_eq!(r.aa.status, CheckStatus::Passed, "{what}: {}", r.aa.reason);
    }
}

#[test]
fn ca_v2_against_the_virtual_chip_ecdh_and_dh() {
    // The chip answers GENERAL AUTHENTICATE with r and T (TR-03110-3 §B.3): the terminal checks
    // T, switches to KDF(K || r) keys and reads on. A chip computing with another key fails
    // at the token already (the explicit proof of v2), before any command under new keys.
    let ec = ca_key(CaCurve::BrainpoolP256r1, 100, Some(1)).with_version_2();
    let dh = dh_key(0, 101, Some(1)).with_version_2();
    let ec_dg14 = lds_gen::encode_dg14(&[
        lds_gen::chip_authentication_info(CA_ECDH_AES128, 2, Some(1)),
        lds_gen::chip_authentication_public_key_info_ecdh(13, &ec.public_point(), Some(1)),
    ]);
    let dh_dg14 = lds_gen::encode_dg14(&[
        lds_gen::chip_authentication_info(CA_DH_AES128, 2, Some(1)),
        lds_gen::chip_authentication_public_key_info_dh(
            &lds_gen::spki_dh(0, None, &dh.public_point()),
            Some(1),
        ),
    ]);
    for (key, d) in [(ec, ec_dg14), (dh, dh_dg14)] {
        let run = |faults: &[Fault]| {
            let mut chip = VirtualChip::new(profile(d.clone(), Some(key.clone())), 102);
            for f in faults {
                chip = chip.with_fault(f.clone());
            }
            let (session, dg14_bytes, dg1) = bac_read(&mut chip);
            let infos = SecurityInfos::parse_dg14(&dg14_bytes).unwrap();
            // CA v1 finds no version-1 info in this DG14.
            assert_eq!(
                select_key(&infos),
                Err(CaError::MissingChipAuthenticationInfo)
            );
            let params = select_key_version(&infos, 2).unwrap();
            let mut rng = ChaCha20Rng::seed_from_u64(103);
            ca::run_with(&mut chip, session, params, &mut rng).map(|(s, token)| {
                assert_eq!(token.version(), 2);
                assert_eq!(token.group(), key.group());
                assert_eq!(read_dg1(&mut chip, s).unwrap(), dg1);
            })
        };
        run(&[]).unwrap();
        let e = run(&[Fault::CaKeyMismatch]).unwrap_err();
        assert!(
            matches!(e, CaFailure::Chip(ChipError::AuthenticationMismatch { .. })),
            "{e:?}"
        );
    }
}

#[test]
fn inspection_with_a_v2_only_dg14_does_not_claim_a_clone() {
    // CA v2 needs Terminal Authentication on real chips; a DG14 offering only v2 is reported
    // "not performed", not as a failed (clone-like) CA, and AA still runs.
    let mut p = synthetic_ca_passport(GenParams::default()).unwrap();
    let k = p.ca_key.clone().unwrap();
    p.app_files.insert(
        FileId::Dg14.fid(),
        lds_gen::encode_dg14(&[
            lds_gen::chip_authentication_info(CA_ECDH_AES128, 2, None),
            lds_gen::chip_authentication_public_key_info_ecdh(13, &k.public_point(), None),
            lds_gen::active_authentication_info("0.4.0.127.0.7.1.1.4.1.3"),
        ]),
    );
    let r = inspect(&mut VirtualChip::new(p, 110));
    assert_eq!(r.ca.status, CheckStatus::NotPerformed, "{}", r.ca.reason);
    assert_eq!(r.aa.status, CheckStatus::Passed, "{}", r.aa.reason);
}

#[test]
fn virtual_chip_fault_switches_invalid_ca_key_and_key_reference_mismatch() {
    use inspectd::inspection::{assess, AssessPolicy, ChipOptions, Context, Printed};
    let key = AccessKey::Mrz {
        mrz_information: synthetic_mrz_information(),
    };
    let trust = inspectd::testkit::dataset::test_trust();
    let ecdh = synthetic_ca_passport(GenParams::default()).unwrap();
    let dh = synthetic_ca_dh_passport(GenParams::default(), 0, false, CA_DH_AES128).unwrap();
    for (name, profile, fault, want_reason) in [
        (
            "ECDH, invalid key",
            ecdh.clone(),
            Fault::CaInvalidPublicKey,
            "key",
        ),
        (
            "DH, invalid key",
            dh.clone(),
            Fault::CaInvalidPublicKey,
            "key",
        ),
        (
            "ECDH, key reference",
            ecdh.clone(),
            Fault::CaKeyReferenceMismatch,
            "6A88",
        ),
        (
            "DH, key reference",
            dh.clone(),
            Fault::CaKeyReferenceMismatch,
            "6A88",
        ),
    ] {
        let mut chip = VirtualChip::new(profile, 7).with_fault(fault.clone());
        let r = inspectd::inspection::inspect_chip(
            &mut chip,
            &key,
            &ChipOptions::default(),
            &mut ChaCha20Rng::seed_from_u64(9),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(r.ca.status, CheckStatus::Failed, "{name}: {:?}", r.ca);
        assert!(r.ca.reason.contains(want_reason), "{name}: {}", r.ca.reason);
        // AA is still judged on its own, and passes: the chip's AA key is genuine.
        assert_eq!(r.aa.status, CheckStatus::Passed, "{name}: {:?}", r.aa);
        let files = r.raw_files();
        let report = assess(
            &r.evidence(&files, Printed::None, false),
            &Context {
                trust: &trust,
                now: inspectd::testkit::pki::unix(2026, 6, 1),
                watchlist: None,
                policy: &AssessPolicy::default(),
            },
        );
        assert_eq!(
            report.verdict,
            inspectd::inspection::Verdict::Invalid,
            "{name}"
        );
    }
}
