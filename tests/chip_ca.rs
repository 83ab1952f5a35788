//! Chip Authentication v1 (Doc 9303-11 §6.2): the BSI TR-03110 worked example's ECDH values,
//! and full BAC + CA runs against the virtual chip with faults (TR-03105 ISO7816_D).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use inspectd::chip::ca::{
    self, select_key, session_from_secret, CaConfirm, CaCurve, CaError, CaFailure,
    ChipAuthentication,
};
use inspectd::chip::{
    drive, AccessKey, ChipError, FileRef, ReadFile, ReadOptions, ReadSession, SecureSession,
    Secured, SelectFile, SessionOptions,
};
use inspectd::lds::security_infos::SecurityInfos;
use inspectd::lds::FileId;
use inspectd::sm::{derive_key, SmCipher, SmError, KDF_ENC, KDF_MAC};
use inspectd::testkit::dataset::{synthetic_bac_passport, synthetic_mrz_information};
use inspectd::testkit::lds_gen::{self, GenParams};
use inspectd::testkit::virtual_chip::CaChipKey;
use inspectd::testkit::{ChipProfile, Fault, VirtualChip};
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
        &[(key.curve(), key.public_point(), key.key_id())],
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
    let mut chip = VirtualChip::new(p, 7);
    let (session, dg14_bytes, dg1) = bac_read(&mut chip);
    let infos = SecurityInfos::parse_dg14(&dg14_bytes).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let (new_session, token) = ca::run(&mut chip, session, &infos, &mut rng).unwrap();
    assert_eq!(token.cipher(), cipher);
    assert_eq!(token.curve(), curve);
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
