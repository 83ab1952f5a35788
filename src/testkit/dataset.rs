//! Chip data sets: a directory of files in the dump layout (`EF_COM.bin`, `EF_SOD.bin`,
//! `DG1.bin`..`DG16.bin`, `EF_CardAccess.bin`, `EF_CardSecurity.bin`, `EF_ATR_INFO.bin`) or the
//! BSI TR-03105 Part 5 reference data set names (`Datagroup1.bin`, ...), turned into a
//! [`ChipProfile`].

use std::collections::BTreeMap;
use std::path::Path;

use super::virtual_chip::ChipProfile;
use crate::lds::dg1::Dg1;
use crate::lds::FileId;

/// Errors loading a data set.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// The directory or a file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// No DG1 to derive the BAC key from, and no key given.
    #[error("the data set has no usable DG1 (needed for the BAC key)")]
    NoDg1,
    /// A file is larger than any LDS file can be.
    #[error("{name} is {len} bytes, above the 16 MiB limit")]
    TooLarge {
        /// File name.
        name: String,
        /// Its length.
        len: u64,
    },
}

/// Maps a dump file name to its LDS file (see [`FileId::from_name`]).
pub fn file_for_name(name: &str) -> Option<FileId> {
    FileId::from_name(name)
}

/// The dump-layout file name of `id` (the inverse of [`file_for_name`]).
pub fn dump_name(id: FileId) -> String {
    match id {
        FileId::Com => "EF_COM.bin".into(),
        FileId::Sod => "EF_SOD.bin".into(),
        FileId::CardAccess => "EF_CardAccess.bin".into(),
        FileId::CardSecurity => "EF_CardSecurity.bin".into(),
        FileId::AtrInfo => "EF_ATR_INFO.bin".into(),
        FileId::Cvca => "EF_CVCA.bin".into(),
        FileId::Dir => "EF_DIR.bin".into(),
        other => format!("DG{}.bin", other.dg_number().unwrap_or(0)),
    }
}

/// A profile from named files; the BAC key comes from DG1 unless `mrz_information` is given.
pub fn profile_from_files(
    files: &[(String, Vec<u8>)],
    mrz_information: Option<&str>,
) -> Result<ChipProfile, DatasetError> {
    let mut app = BTreeMap::new();
    let mut mf = BTreeMap::new();
    for (name, bytes) in files {
        let Some(id) = file_for_name(name) else {
            continue;
        };
        if id.in_master_file() {
            mf.insert(id.fid(), bytes.clone());
        } else {
            app.insert(id.fid(), bytes.clone());
        }
    }
    let info = match mrz_information {
        Some(i) => i.to_string(),
        None => {
            let dg1 = app.get(&FileId::Dg1.fid()).ok_or(DatasetError::NoDg1)?;
            let mrz = Dg1::parse(dg1)
                .ok()
                .and_then(|d| d.mrz().ok())
                .ok_or(DatasetError::NoDg1)?;
            mrz.mrz_information()
        }
    };
    let mut p = ChipProfile::bac(&info, app);
    p.mf_files = mf;
    Ok(p)
}

/// Loads a directory in the dump layout.
pub fn load_dir(dir: &Path, mrz_information: Option<&str>) -> Result<ChipProfile, DatasetError> {
    let io = |path: &Path, source| DatasetError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
        let entry = entry.map_err(|e| io(dir, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if file_for_name(&name).is_none() {
            continue;
        }
        let len = entry.metadata().map_err(|e| io(&path, e))?.len();
        if len > 16 * 1024 * 1024 {
            return Err(DatasetError::TooLarge { name, len });
        }
        files.push((name, std::fs::read(&path).map_err(|e| io(&path, e))?));
    }
    profile_from_files(&files, mrz_information)
}

/// A trust snapshot holding the test PKI's RSA CSCA (`testdata/pki/csca-rsa.der`, the issuer
/// of the synthetic passports' DS), provenance "test".
pub fn test_trust() -> crate::trust::TrustSnapshot {
    crate::trust::TrustSnapshot::builder()
        .csca(
            include_bytes!("../../testdata/pki/csca-rsa.der"),
            crate::trust::Provenance {
                source: "test".into(),
                imported_at: 0,
            },
        )
        // The committed certificate parses (tests/pa_conformance checks the files).
        .unwrap_or_default()
        .build()
}

/// The MRZ information of the synthetic passport's specimen MRZ.
pub fn synthetic_mrz_information() -> String {
    let lines = super::lds_gen::specimen_mrz();
    crate::mrz::parse(&[lines[0].as_str(), lines[1].as_str()])
        .map(|m| m.mrz_information())
        .unwrap_or_default()
}

/// The project's synthetic passport (see `lds_gen::generate_with`) as a BAC chip.
pub fn synthetic_bac_passport(params: super::lds_gen::GenParams) -> ChipProfile {
    let files = super::lds_gen::generate_with(params);
    let info = synthetic_mrz_information();
    let mut p = match profile_from_files(&files, Some(&info)) {
        Ok(p) => p,
        Err(_) => ChipProfile::bac(&info, BTreeMap::new()),
    };
    // The generated EF.CardAccess announces PACE, but this chip runs BAC only (it refuses
    // MSE:Set AT, and the terminal falls back to BAC); `synthetic_pace_passport` speaks PACE.
    // The chip holds the private half of the DG15 key (Active Authentication).
    p.aa_key = Some(super::AaChipKey::EcdsaP256 {
        key: super::aa_keys::p256_key(),
        hash: crate::chip::aa::AaHash::Sha256,
    });
    p
}

/// Makes `p` a chip that takes extended-length APDUs and declares so in EF.ATR/INFO.
pub fn with_extended_length(mut p: ChipProfile) -> ChipProfile {
    p.extended_length = true;
    p.mf_files.insert(
        FileId::AtrInfo.fid(),
        crate::lds::atr_info::encode(65_535, 65_538),
    );
    p
}

/// EF.SOD of the synthetic passport signed by the test PKI's RSA Document Signer
/// (`testdata/pki/sod/rsa.bin`, from `testkit::pki`; CSCA `testdata/pki/csca-rsa.der`).
pub const SIGNED_SOD: &[u8] = include_bytes!("../../testdata/pki/sod/rsa.bin");

/// The synthetic passport with a signed EF.SOD: passes Passive Authentication against the test
/// PKI's RSA CSCA, and Active Authentication.
pub fn synthetic_signed_passport(params: super::lds_gen::GenParams) -> ChipProfile {
    let mut p = synthetic_bac_passport(params);
    p.app_files.insert(FileId::Sod.fid(), SIGNED_SOD.to_vec());
    p
}

/// The synthetic passport's card access number (CAN, Doc 9303-11 §4.4.1).
pub const SYNTHETIC_CAN: &str = "271828";

/// A PACE protocol the synthetic PACE chip offers: (protocol OID dotted, parameterId).
pub type PaceOffer = (&'static str, u64);

/// The synthetic passport as a PACE chip (Doc 9303-11 §4.4) that also takes BAC: EF.CardAccess
/// lists `offers`; the chip accepts the MRZ and [`SYNTHETIC_CAN`]. For a CAM offer the chip gets
/// a static key on that curve, announced in an EF.CardSecurity signed by the test PKI's RSA
/// Document Signer ([`signed_card_security`]). EF.SOD stays the generated unsigned one
/// ([`synthetic_pace_ca_passport`] re-signs it).
pub fn synthetic_pace_passport(
    params: super::lds_gen::GenParams,
    offers: &[PaceOffer],
) -> ChipProfile {
    use super::lds_gen::{
        chip_authentication_public_key_info_ecdh, encode_security_infos,
        encode_unsigned_card_security, pace_info,
    };
    use crate::chip::pace::{chip_side::PaceChipConfig, PaceGroup, PaceParams, PacePassword};
    let mut p = synthetic_bac_passport(params);
    let infos: Vec<Vec<u8>> = offers
        .iter()
        .map(|(oid, id)| pace_info(oid, 2, Some(*id)))
        .collect();
    p.mf_files
        .insert(FileId::CardAccess.fid(), encode_security_infos(&infos));
    let protocols: Vec<PaceParams> = offers
        .iter()
        .filter_map(|(oid, id)| {
            let mut prm = PaceParams::standardized(
                &crate::lds::asn1::oid_from_dotted(oid).unwrap_or_default(),
                *id,
            )
            .ok()?;
            prm.send_parameter_ref = offers.len() > 1;
            Some(prm)
        })
        .collect();
    let mut cam_secret = None;
    if let Some(prm) = protocols
        .iter()
        .find(|q| q.protocol.mapping == crate::lds::oid::Mapping::ChipAuthentication)
    {
        if let PaceGroup::Ec(curve) = prm.group {
            // A fixed synthetic static key: SK_IC = 0x5EED…5EED mod n.
            let sk = num_bigint::BigUint::from_bytes_be(&[0x5E; 40]) % &curve.n;
            if let Some(pk) = curve.mul(&sk, &curve.g) {
                let mut cs_infos = infos.clone();
                cs_infos.push(chip_authentication_public_key_info_ecdh(
                    curve.parameter_id,
                    &curve.encode(&pk),
                    None,
                ));
                let set = encode_security_infos(&cs_infos);
                // Unsigned only if the committed test key were unusable (PA then fails).
                let cs = signed_card_security(&set)
                    .unwrap_or_else(|| encode_unsigned_card_security(&set));
                p.mf_files.insert(FileId::CardSecurity.fid(), cs);
                cam_secret = Some(sk);
            }
        }
    }
    p.pace = Some(PaceChipConfig {
        protocols,
        passwords: vec![
            PacePassword::Mrz(synthetic_mrz_information()),
            PacePassword::Can(SYNTHETIC_CAN.into()),
        ],
        cam_secret,
    });
    p
}

/// The synthetic holder as a TD1 eID card (Doc 9303-5) with Chip and Active Authentication
/// that speaks PACE-GM (ECDH
/// brainpoolP256r1, AES-128) with the CAN [`SYNTHETIC_CAN`] (or its TD1 MRZ): DG1 holds a TD1
/// MRZ and EF.SOD is signed at run time by the test PKI's RSA Document Signer
/// (`testdata/pki/ds-rsa.der`, key `testdata/pki/keys/ds-rsa2048.key.der`), so Passive
/// Authentication against `testdata/pki/csca-rsa.der` passes. `None` if a test key is unusable.
pub fn synthetic_td1_can_card() -> Option<ChipProfile> {
    let mut b = crate::mrz::MrzBuilder::new(crate::mrz::MrzFormat::Td1);
    b.primary_identifier = "SPECIMEN".into();
    b.secondary_identifier = "ANNA MARIA".into();
    b.document_number = "U1234567T".into();
    b.date_of_birth = "850101".into();
    b.date_of_expiry = "351231".into();
    let lines = b.build().ok()?;
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let mrz_information = crate::mrz::parse(&refs).ok()?.mrz_information();
    let mut p = synthetic_pace_passport(
        super::lds_gen::GenParams::default(),
        &[("0.4.0.127.0.7.2.2.4.2.2", 13)],
    );
    p.app_files
        .insert(FileId::Dg1.fid(), super::lds_gen::encode_dg1(&refs));
    let mut p = with_chip_authentication(p)?;
    if let Some(cfg) = p.pace.as_mut() {
        cfg.passwords = vec![
            crate::chip::pace::PacePassword::Can(SYNTHETIC_CAN.into()),
            crate::chip::pace::PacePassword::Mrz(mrz_information),
        ];
    }
    Some(p)
}

/// EF.CardSecurity (Doc 9303-11 §9.2.9, BSI TR-03110-3 §A.1.2.5) over `security_infos` (a DER
/// SET OF SecurityInfo), signed like EF.SOD by the test PKI's RSA Document Signer
/// (`testdata/pki/ds-rsa.der`, key `testdata/pki/keys/ds-rsa2048.key.der`), so Passive
/// Authentication against `testdata/pki/csca-rsa.der` passes. `None` if the test key is
/// unusable.
pub fn signed_card_security(security_infos: &[u8]) -> Option<Vec<u8>> {
    use super::pki::{self, TestKey};
    use crate::pa::algorithms::{DigestAlg, SignatureScheme};
    let key = TestKey::rsa_from_der(include_bytes!("../../testdata/pki/keys/ds-rsa2048.key.der"))?;
    Some(pki::card_security(
        security_infos,
        include_bytes!("../../testdata/pki/ds-rsa.der"),
        &key,
        SignatureScheme::RsaPkcs1 {
            hash: DigestAlg::Sha256,
        },
    ))
}

/// Signs a fresh EF.SOD over the profile's data groups with the test PKI's RSA Document Signer
/// (`testdata/pki/ds-rsa.der`, CSCA `testdata/pki/csca-rsa.der`).
fn resign_sod(p: &mut ChipProfile) -> Option<()> {
    use super::pki::{self, SodSpec, TestKey};
    use crate::pa::algorithms::{DigestAlg, SignatureScheme};
    use rand_core::SeedableRng;
    let data_groups: Vec<(u8, Vec<u8>)> = p
        .app_files
        .iter()
        .filter_map(|(fid, bytes)| {
            // Data groups are 0101..0110 (EF.COM 011E and EF.SOD 011D are not).
            let n = u8::try_from(fid & 0xFF)
                .ok()
                .filter(|n| (1..=16).contains(n) && fid >> 8 == 0x01)?;
            Some((n, bytes.clone()))
        })
        .collect();
    let key = TestKey::rsa_from_der(include_bytes!("../../testdata/pki/keys/ds-rsa2048.key.der"))?;
    let spec = SodSpec {
        data_groups,
        ..SodSpec::signed_by(
            include_bytes!("../../testdata/pki/ds-rsa.der").to_vec(),
            SignatureScheme::RsaPkcs1 {
                hash: DigestAlg::Sha256,
            },
            "2.23.136.1.1.1",
        )
    };
    let sod = pki::sod(
        &spec,
        &key,
        &mut rand_chacha::ChaCha20Rng::seed_from_u64(0x7D1),
    );
    p.app_files.insert(FileId::Sod.fid(), sod);
    Some(())
}

/// The synthetic passport with a chip that also runs Chip Authentication (Doc 9303-11 §6.2):
/// EF.DG14 announces a brainpoolP256r1 key (CA-ECDH with AES-128) whose private half the chip
/// holds, and EF.SOD is re-signed by the test DS. Genuine in every respect: PA, AA and CA pass.
pub fn synthetic_ca_passport(params: super::lds_gen::GenParams) -> Option<ChipProfile> {
    with_chip_authentication(synthetic_bac_passport(params))
}

/// A BAC-only passport (no EF.CardAccess, so no PACE) that is otherwise genuine: Chip and
/// Active Authentication, EF.SOD signed by the test DS (as [`synthetic_ca_passport`]).
pub fn synthetic_bac_only_passport(params: super::lds_gen::GenParams) -> Option<ChipProfile> {
    let mut p = synthetic_ca_passport(params)?;
    p.mf_files.remove(&FileId::CardAccess.fid());
    Some(p)
}

/// The synthetic passport as a current-generation chip: PACE with `offers` (e.g. GM, ECDH
/// brainpoolP256r1, AES-128; MRZ or [`SYNTHETIC_CAN`]), then Chip Authentication (ECDH
/// brainpoolP256r1, AES) and Active Authentication, EF.SOD re-signed by the test DS. Genuine
/// in every respect.
pub fn synthetic_pace_ca_passport(
    params: super::lds_gen::GenParams,
    offers: &[PaceOffer],
) -> Option<ChipProfile> {
    with_chip_authentication(synthetic_pace_passport(params, offers))
}

/// Gives `p` the synthetic ECDH Chip Authentication key (DG14, the chip's private half) and
/// re-signs EF.SOD.
fn with_chip_authentication(p: ChipProfile) -> Option<ChipProfile> {
    use super::lds_gen as g;
    let key = super::virtual_chip::CaChipKey::new(
        crate::chip::ca::CaCurve::BrainpoolP256r1,
        &ca_secret(b"inspectd synthetic chip authentication key"),
        None,
    )?;
    let pk = g::chip_authentication_public_key_info_ecdh(13, &key.public_point(), None);
    with_ca_key(p, key, "0.4.0.127.0.7.2.2.3.2.2", pk)
}

/// CA-DH protocol OIDs (TR-03110-3 §A.1.1.2): id-CA-DH-3DES-CBC-CBC, id-CA-DH-AES-CBC-CMAC-128.
pub const CA_DH_3DES: &str = "0.4.0.127.0.7.2.2.3.1.1";
/// id-CA-DH-AES-CBC-CMAC-128.
pub const CA_DH_AES128: &str = "0.4.0.127.0.7.2.2.3.1.2";

/// [`synthetic_ca_passport`] with a DH Chip Authentication key instead (Doc 9303-11 §6.2,
/// TR-03110-3 §A.1.1): RFC 5114 group `parameter_id` (0-2), announced with standardized domain
/// parameters (or, with `explicit`, as dhpublicnumber with the group's p, g, q), protocol
/// `protocol_oid` (e.g. [`CA_DH_AES128`]). Genuine: PA, AA and CA pass.
pub fn synthetic_ca_dh_passport(
    params: super::lds_gen::GenParams,
    parameter_id: u64,
    explicit: bool,
    protocol_oid: &str,
) -> Option<ChipProfile> {
    use super::lds_gen as g;
    let group = crate::crypto::dh::DhGroup::by_parameter_id(parameter_id)?;
    let key = super::virtual_chip::CaChipKey::in_group(
        crate::chip::ca::CaGroup::Dh(group),
        &ca_secret(b"inspectd synthetic chip authentication DH key"),
        None,
    )?;
    let (p, gg, q) = (
        group.p.to_bytes_be(),
        group.g.to_bytes_be(),
        group.q.to_bytes_be(),
    );
    let explicit = explicit.then_some((p.as_slice(), gg.as_slice(), q.as_slice()));
    let spki = g::spki_dh(parameter_id, explicit, &key.public_point());
    let pk = g::chip_authentication_public_key_info_dh(&spki, None);
    with_ca_key(synthetic_bac_passport(params), key, protocol_oid, pk)
}

/// A fixed private key (below every supported group order), so the document is reproducible.
fn ca_secret(label: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    let mut secret = sha2::Sha256::digest(label).to_vec();
    if let Some(b) = secret.first_mut() {
        *b &= 0x3F;
    }
    secret
}

/// The synthetic passport with `key` as the chip's CA key, DG14 = PACEInfo, CAInfo
/// (`protocol_oid`, version 1), `public_key_info`, AAInfo; EF.SOD re-signed.
fn with_ca_key(
    mut p: ChipProfile,
    key: super::virtual_chip::CaChipKey,
    protocol_oid: &str,
    public_key_info: Vec<u8>,
) -> Option<ChipProfile> {
    use super::lds_gen as g;
    let dg14 = g::encode_dg14(&[
        g::pace_info("0.4.0.127.0.7.2.2.4.2.2", 2, Some(13)),
        g::chip_authentication_info(protocol_oid, 1, None),
        public_key_info,
        g::active_authentication_info("0.4.0.127.0.7.1.1.4.1.3"),
    ]);
    p.app_files.insert(FileId::Dg14.fid(), dg14);
    p.ca_key = Some(key);
    resign_sod(&mut p)?;
    Some(p)
}

/// Synthetic biometric data group (DG3 fingerprints `63`, DG4 iris `76`; Doc 9303-10 §4.7.3,
/// §4.7.4): one biometric information template with a seeded opaque block (not a real image).
fn synthetic_biometric_dg(tag: u32, seed: u64) -> Vec<u8> {
    use crate::tlv::encode;
    let mut rng = super::lds_gen::SplitMix64::new(seed);
    let mut data = vec![0u8; 1200];
    rng.fill(&mut data);
    let header = encode(0xA1, &encode(0x81, &[0x08]));
    let bit = encode(0x7F60, &[header, encode(0x5F2E, &data)].concat());
    let group = encode(0x7F61, &[encode(0x02, &[1]), bit].concat());
    encode(tag, &group)
}

/// The synthetic passport as an EAC1 chip (BSI TR-03110-1): [`synthetic_ca_passport`] plus
/// DG3 and DG4 (listed in a re-signed EF.SOD), a TerminalAuthenticationInfo in DG14 and EF.CVCA
/// naming the test CVCA ([`super::cv_pki`]), BAC only (no EF.CardAccess). Serve it with
/// `VirtualChip::with_eac` and [`synthetic_eac_config`].
pub fn synthetic_eac_passport(params: super::lds_gen::GenParams) -> Option<ChipProfile> {
    let mut p = synthetic_ca_passport(params)?;
    p.mf_files.remove(&FileId::CardAccess.fid());
    with_eac_files(p, 1)
}

/// [`synthetic_eac_passport`] opened with PACE (`offers`, as [`synthetic_pace_ca_passport`]):
/// Terminal Authentication then signs Comp(the chip's ephemeral PACE key) as ID_PICC.
pub fn synthetic_pace_eac_passport(
    params: super::lds_gen::GenParams,
    offers: &[PaceOffer],
) -> Option<ChipProfile> {
    with_eac_files(synthetic_pace_ca_passport(params, offers)?, 1)
}

/// The PACE passport with EAC version 2 (TR-03110-2 §3.3): DG14 offers Chip Authentication
/// version 2 only and TerminalAuthenticationInfo version 2, so the terminal runs TA v2
/// (committing to its ephemeral key), then CA v2 (nonce and token), then reads DG3/DG4.
pub fn synthetic_pace_eac2_passport(
    params: super::lds_gen::GenParams,
    offers: &[PaceOffer],
) -> Option<ChipProfile> {
    let mut p = synthetic_pace_ca_passport(params, offers)?;
    p.ca_key = p.ca_key.map(|k| k.with_version_2());
    with_eac_files(p, 2)
}

/// [`synthetic_pace_eac2_passport`] as an eID-like chip without DG14: the Chip
/// Authentication v2 key and TerminalAuthenticationInfo are in EF.CardSecurity (signed by the
/// test DS; TR-03110-3 §A.1.2.5), read after PACE.
pub fn synthetic_pace_eac2_card_security_passport(
    params: super::lds_gen::GenParams,
    offers: &[PaceOffer],
) -> Option<ChipProfile> {
    use super::lds_gen as g;
    let mut p = synthetic_pace_eac2_passport(params, offers)?;
    let key = p.ca_key.clone()?;
    p.app_files.remove(&FileId::Dg14.fid());
    let infos = g::encode_security_infos(&[
        g::pace_info("0.4.0.127.0.7.2.2.4.2.2", 2, Some(13)),
        g::chip_authentication_info("0.4.0.127.0.7.2.2.3.2.2", 2, None),
        g::chip_authentication_public_key_info_ecdh(13, &key.public_point(), None),
        g::terminal_authentication_info(2),
    ]);
    p.mf_files
        .insert(FileId::CardSecurity.fid(), signed_card_security(&infos)?);
    resign_sod(&mut p)?;
    Some(p)
}

/// DG14 with CAInfo and TerminalAuthenticationInfo of `version`, DG3, DG4, EF.CVCA; EF.SOD
/// re-signed.
fn with_eac_files(mut p: ChipProfile, version: u64) -> Option<ChipProfile> {
    use super::lds_gen as g;
    let key = p.ca_key.clone()?;
    let dg14 = g::encode_dg14(&[
        g::pace_info("0.4.0.127.0.7.2.2.4.2.2", 2, Some(13)),
        g::chip_authentication_info("0.4.0.127.0.7.2.2.3.2.2", version, None),
        g::chip_authentication_public_key_info_ecdh(13, &key.public_point(), None),
        g::active_authentication_info("0.4.0.127.0.7.1.1.4.1.3"),
        g::terminal_authentication_info(version),
    ]);
    p.app_files.insert(FileId::Dg14.fid(), dg14);
    p.app_files
        .insert(FileId::Dg3.fid(), synthetic_biometric_dg(0x63, 0xD603));
    p.app_files
        .insert(FileId::Dg4.fid(), synthetic_biometric_dg(0x76, 0xD604));
    // EF.CVCA (TR-03110-3 §A.6.2.2): DO'42' CAR, zero-padded to 36 bytes.
    let mut cvca = crate::tlv::encode(0x42, super::cv_pki::CVCA_CHR.as_bytes());
    cvca.resize(36, 0);
    p.app_files.insert(FileId::Cvca.fid(), cvca);
    resign_sod(&mut p)?;
    Some(p)
}

/// The EAC configuration that goes with [`synthetic_eac_passport`]: the test CVCA as trust
/// point, the chip's date inside every validity period of the test chain.
pub fn synthetic_eac_config() -> Option<super::virtual_chip::EacChipConfig> {
    let pki = super::cv_pki::cv_pki()?;
    Some(super::virtual_chip::EacChipConfig {
        trust_point: pki.cvca,
        current_date: super::cv_pki::chip_date(),
    })
}
