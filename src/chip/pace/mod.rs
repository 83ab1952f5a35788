//! PACE, Password Authenticated Connection Establishment (Doc 9303-11 §4.4, worked examples in
//! Appendices G, H, I; BSI TR-03110-2 §3.2 and TR-03110-3 §A.3).
//!
//! * [`PaceParams::select`] chooses a protocol from EF.CardAccess (PACEInfo, and
//!   PACEDomainParameterInfo for proprietary parameterIds, accepted only when the explicit
//!   parameters equal a standardized group exactly).
//! * [`Pace`] is the sans-IO terminal: MSE:Set AT (`00 22 C1 A4`), then four chained
//!   GENERAL AUTHENTICATE steps: encrypted nonce, mapping (GM, IM or CAM), key agreement,
//!   mutual authentication tokens. The output is a [`PaceEstablished`] with secure messaging
//!   keyed by KS_enc/KS_mac (SSC = 0).
//! * CAM (Doc 9303-11 §4.4.3.5): the chip's authentication data is decrypted during the run;
//!   [`CamPending::verify`] checks it against the static key from EF.CardSecurity, which must
//!   itself pass Passive Authentication before CAM counts as chip authentication.
//! * [`chip_side`] is the chip half, used by the virtual chip.
//!
//! Every public key from the chip is validated (on the curve / in the subgroup, not the
//! identity), and identical ephemeral keys are refused (Doc 9303-11 §4.4.3.3.2).

pub mod chip_side;
pub mod group;

use num_bigint::BigUint;
use rand_core::CryptoRngCore;
use sha1::{Digest, Sha1};

pub use group::{Element, KeyError, PaceGroup};

use super::{ChipError, ChipProtocol, SecureSession, Step};
use crate::apdu::{CommandApdu, ResponseApdu, StatusWord};
use crate::crypto::dh::DhGroup;
use crate::crypto::ec::Curve;
use crate::lds::oid::{self, Cipher, KeyAgreement, Mapping, PaceProtocol};
use crate::lds::security_infos::{PaceDomainParameterInfo, PaceInfo, SecurityInfos};
use crate::lds::spki::{DomainParameters, PublicKey};
use crate::sm::{derive_key, SmCipher, SmError, SmKeys, SmSession, KDF_ENC, KDF_MAC, KDF_PACE};
use crate::tlv;

/// The password PACE runs with (Doc 9303-11 §4.4.1, §9.7.3).
#[non_exhaustive]
#[derive(Clone, PartialEq, Eq)]
pub enum PacePassword {
    /// MRZ information (document number ‖ cd ‖ birth ‖ cd ‖ expiry ‖ cd); the key seed is
    /// SHA-1 of it.
    Mrz(String),
    /// Card access number.
    Can(String),
    /// eID PIN.
    Pin(String),
    /// eID PUK.
    Puk(String),
}

// Never print a password: it is personal data or a secret.
impl std::fmt::Debug for PacePassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PacePassword::{:?}(..)", self.kind())
    }
}

/// The kind of password, as MSE:Set AT DO'83' names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordKind {
    /// MRZ (reference 1).
    Mrz,
    /// CAN (reference 2).
    Can,
    /// PIN (reference 3).
    Pin,
    /// PUK (reference 4).
    Puk,
}

impl PasswordKind {
    /// The DO'83' password reference (Doc 9303-11 §4.4.4.1).
    pub fn reference(self) -> u8 {
        match self {
            PasswordKind::Mrz => 1,
            PasswordKind::Can => 2,
            PasswordKind::Pin => 3,
            PasswordKind::Puk => 4,
        }
    }

    /// The kind of a DO'83' reference.
    pub fn from_reference(r: u8) -> Option<Self> {
        Some(match r {
            1 => PasswordKind::Mrz,
            2 => PasswordKind::Can,
            3 => PasswordKind::Pin,
            4 => PasswordKind::Puk,
            _ => return None,
        })
    }
}

impl PacePassword {
    /// The kind.
    pub fn kind(&self) -> PasswordKind {
        match self {
            PacePassword::Mrz(_) => PasswordKind::Mrz,
            PacePassword::Can(_) => PasswordKind::Can,
            PacePassword::Pin(_) => PasswordKind::Pin,
            PacePassword::Puk(_) => PasswordKind::Puk,
        }
    }

    /// f(π), the KDF input (Doc 9303-11 §9.7.3): SHA-1(MRZ information), or the password's
    /// ISO 8859-1 bytes (digits here, so ASCII) for CAN, PIN and PUK.
    pub fn key_seed(&self) -> Vec<u8> {
        match self {
            PacePassword::Mrz(info) => Sha1::digest(info.as_bytes()).to_vec(),
            PacePassword::Can(s) | PacePassword::Pin(s) | PacePassword::Puk(s) => {
                s.as_bytes().to_vec()
            }
        }
    }

    /// K_π = KDF(f(π), 3) for `cipher` (Doc 9303-11 §9.7.3).
    pub fn k_pi(&self, cipher: SmCipher) -> Vec<u8> {
        derive_key(&self.key_seed(), KDF_PACE, cipher)
    }
}

/// A PACE failure.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaceError {
    /// EF.CardAccess holds no PACEInfo.
    #[error("EF.CardAccess offers no PACE")]
    NotOffered,
    /// A PACEInfo whose protocol, version or parameters this implementation does not run.
    #[error("unsupported PACE: {reason}")]
    Unsupported {
        /// What.
        reason: &'static str,
    },
    /// A parameterId that names no standardized group and no PACEDomainParameterInfo.
    #[error("unknown PACE parameterId {id}")]
    UnknownParameterId {
        /// The parameterId.
        id: u64,
    },
    /// PACEDomainParameterInfo carries explicit parameters that are not exactly a
    /// standardized group (no near matches are accepted; pitfalls #6).
    #[error("PACE domain parameters match no known group")]
    UnknownDomainParameters,
    /// The protocol OID's key agreement (DH/ECDH) does not fit the group.
    #[error("PACE protocol and domain parameters disagree (DH vs ECDH)")]
    GroupMismatch,
    /// The chip refused MSE:Set AT (protocol, password type or parameters not supported).
    #[error("MSE:Set AT refused ({sw})")]
    MseRefused {
        /// Status word.
        sw: StatusWord,
    },
    /// The password is wrong: the chip refused the terminal's authentication token.
    #[error("wrong PACE password ({sw}){}", retries_text(*.retries_left))]
    WrongPassword {
        /// Status word.
        sw: StatusWord,
        /// Attempts left, when the chip says (63Cx).
        retries_left: Option<u8>,
    },
    /// The password is blocked or suspended (63C0, 6983, 6984).
    #[error("PACE password blocked or suspended ({sw})")]
    PasswordBlocked {
        /// Status word.
        sw: StatusWord,
    },
    /// A GENERAL AUTHENTICATE step answered a status word other than success.
    #[error("{step}: chip answered {sw}")]
    Status {
        /// Which step.
        step: &'static str,
        /// Status word.
        sw: StatusWord,
    },
    /// A response is not a dynamic authentication data object `7C` of the expected content.
    #[error("{step}: malformed response ({detail})")]
    Malformed {
        /// Which step.
        step: &'static str,
        /// What.
        detail: &'static str,
    },
    /// A data object with another tag than the step expects (TR-03105-5.1 ISO7816_G).
    #[error("{step}: expected data object {expected:02X}, got {got:X}")]
    WrongTag {
        /// Which step.
        step: &'static str,
        /// The expected tag.
        expected: u32,
        /// The tag found.
        got: u32,
    },
    /// The encrypted nonce is not a whole number of cipher blocks.
    #[error("encrypted nonce of {len} bytes")]
    BadNonce {
        /// Its length.
        len: usize,
    },
    /// A public key from the chip failed validation.
    #[error("{step}: invalid chip public key: {reason}")]
    InvalidPublicKey {
        /// Which step.
        step: &'static str,
        /// Why.
        reason: KeyError,
    },
    /// The chip's mapping or ephemeral key equals the terminal's (Doc 9303-11 §4.4.3.3.2).
    #[error("{step}: chip public key equals the terminal's")]
    IdenticalPublicKeys {
        /// Which step.
        step: &'static str,
    },
    /// The mapping produced the identity or the key agreement failed.
    #[error("{step}: group computation gave the identity")]
    DegenerateKey {
        /// Which step.
        step: &'static str,
    },
    /// The chip's authentication token T_IC does not verify.
    #[error("chip authentication token T_IC does not verify")]
    TokenMismatch,
    /// CAM: no encrypted chip authentication data (DO'8A').
    #[error("CAM: chip authentication data missing")]
    CamDataMissing,
    /// CAM: the chip authentication data does not decrypt to a scalar.
    #[error("CAM: chip authentication data malformed")]
    CamDataMalformed,
    /// CAM: no usable static key (ChipAuthenticationPublicKeyInfo on the PACE curve).
    #[error("CAM: no static chip key for the PACE domain parameters in EF.CardSecurity")]
    CamNoStaticKey,
    /// CAM: PK_map,IC ≠ CA_IC · PK_IC; the chip does not hold the private key of its static
    /// key (a clone).
    #[error("CAM: chip authentication data does not match the static key")]
    CamMismatch,
    /// Session key setup failed.
    #[error("session keys: {0}")]
    Sm(#[from] SmError),
}

fn retries_text(r: Option<u8>) -> String {
    r.map(|n| format!(", {n} attempts left"))
        .unwrap_or_default()
}

/// What a PACE run needs to know about the chip's choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaceParams {
    /// The protocol OID (content bytes, for DO'80' and the token input).
    pub protocol_oid: Vec<u8>,
    /// Decoded protocol.
    pub protocol: PaceProtocol,
    /// The group.
    pub group: PaceGroup,
    /// The parameterId of the PACEInfo (standardized or proprietary), for DO'84'.
    pub parameter_id: Option<u64>,
    /// Send DO'84' (parameter reference) in MSE:Set AT; needed when EF.CardAccess offers more
    /// than one parameter set (Doc 9303-11 §4.4.4.1). [`Pace`] retries once with the opposite
    /// choice when the chip answers 6A80 (some chips reject it, others require it).
    pub send_parameter_ref: bool,
}

/// The SM cipher of a PACE cipher arc.
pub fn sm_cipher(c: Cipher) -> SmCipher {
    match c {
        Cipher::TripleDesCbcCbc => SmCipher::Tdes,
        Cipher::Aes128CbcCmac => SmCipher::Aes128,
        Cipher::Aes192CbcCmac => SmCipher::Aes192,
        Cipher::Aes256CbcCmac => SmCipher::Aes256,
    }
}

fn cipher_rank(c: Cipher) -> u8 {
    match c {
        Cipher::TripleDesCbcCbc => 0,
        Cipher::Aes128CbcCmac => 1,
        Cipher::Aes192CbcCmac => 2,
        Cipher::Aes256CbcCmac => 3,
    }
}

impl PaceParams {
    /// Params for a protocol OID and a standardized parameterId (tests, vectors, the chip).
    pub fn standardized(protocol_oid: &[u8], parameter_id: u64) -> Result<Self, PaceError> {
        let protocol = oid::pace_protocol(crate::lds::asn1::Oid(protocol_oid)).ok_or(
            PaceError::Unsupported {
                reason: "unknown PACE protocol OID",
            },
        )?;
        let group = PaceGroup::by_parameter_id(parameter_id)
            .ok_or(PaceError::UnknownParameterId { id: parameter_id })?;
        Self::checked(protocol_oid.to_vec(), protocol, group, Some(parameter_id))
    }

    fn checked(
        protocol_oid: Vec<u8>,
        protocol: PaceProtocol,
        group: PaceGroup,
        parameter_id: Option<u64>,
    ) -> Result<Self, PaceError> {
        if protocol.key_agreement != group.key_agreement() {
            return Err(PaceError::GroupMismatch);
        }
        if protocol.mapping == Mapping::Integrated && !group.supports_integrated_mapping() {
            return Err(PaceError::Unsupported {
                reason: "Integrated Mapping on a curve with p ≢ 3 mod 4",
            });
        }
        Ok(PaceParams {
            protocol_oid,
            protocol,
            group,
            parameter_id,
            send_parameter_ref: false,
        })
    }

    /// The SM cipher.
    pub fn cipher(&self) -> SmCipher {
        sm_cipher(self.protocol.cipher)
    }

    /// Chooses the strongest PACE protocol EF.CardAccess offers (CAM over GM over IM, then
    /// ECDH over DH, then the stronger cipher, then the larger group). Errors: the most
    /// specific reason the first unusable PACEInfo gave, when none is usable.
    pub fn select(infos: &SecurityInfos<'_>) -> Result<Self, PaceError> {
        let pace: Vec<&PaceInfo<'_>> = infos.pace_infos().collect();
        if pace.is_empty() {
            return Err(PaceError::NotOffered);
        }
        let domain: Vec<&PaceDomainParameterInfo<'_>> = infos
            .infos
            .iter()
            .filter_map(|i| match i {
                crate::lds::security_infos::SecurityInfo::PaceDomainParameter(d) => Some(d),
                _ => None,
            })
            .collect();
        let mut best: Option<(Self, (u8, u8, u8, u64))> = None;
        let mut first_err = None;
        for info in &pace {
            match Self::from_info(info, &domain) {
                Ok(p) => {
                    let rank = (
                        match p.protocol.mapping {
                            Mapping::ChipAuthentication => 2,
                            Mapping::Generic => 1,
                            Mapping::Integrated => 0,
                        },
                        u8::from(p.protocol.key_agreement == KeyAgreement::Ecdh),
                        cipher_rank(p.protocol.cipher),
                        p.group.prime().bits(),
                    );
                    if best.as_ref().is_none_or(|(_, r)| rank > *r) {
                        best = Some((p, rank));
                    }
                }
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        let (mut p, _) = best.ok_or_else(|| first_err.unwrap_or(PaceError::NotOffered))?;
        // DO'84' is needed to disambiguate several parameter sets, and for proprietary ones.
        p.send_parameter_ref =
            pace.len() > 1 || p.parameter_id.is_some_and(|id| id >= FIRST_PROPRIETARY_ID);
        Ok(p)
    }

    fn from_info(
        info: &PaceInfo<'_>,
        domain: &[&PaceDomainParameterInfo<'_>],
    ) -> Result<Self, PaceError> {
        let protocol = info.decoded.ok_or(PaceError::Unsupported {
            reason: "unknown PACE protocol OID",
        })?;
        if info.version != 2 {
            return Err(PaceError::Unsupported {
                reason: "PACEInfo version other than 2",
            });
        }
        let oid = info.protocol.as_bytes().to_vec();
        let group = match info.parameter_id {
            Some(id) if id < FIRST_PROPRIETARY_ID => {
                PaceGroup::by_parameter_id(id).ok_or(PaceError::UnknownParameterId { id })?
            }
            id => {
                // Proprietary parameters: the PACEDomainParameterInfo with the same
                // parameterId (or the only one, when neither carries an id).
                let d = domain
                    .iter()
                    .find(|d| d.parameter_id == id)
                    .or(match (id, domain) {
                        (None, [only]) => Some(only),
                        _ => None,
                    })
                    .ok_or(match id {
                        Some(id) => PaceError::UnknownParameterId { id },
                        None => PaceError::Unsupported {
                            reason: "PACEInfo without parameterId",
                        },
                    })?;
                if d.family.map(|(ka, _)| ka) != Some(protocol.key_agreement) {
                    return Err(PaceError::GroupMismatch);
                }
                group_from_domain(&d.domain_parameter.domain)?
            }
        };
        Self::checked(oid, protocol, group, info.parameter_id)
    }
}

/// Longest encrypted nonce accepted (bytes).
pub const MAX_NONCE_LEN: usize = 64;

/// parameterIds 0-31 are standardized; 32-255 are proprietary (Doc 9303-11 §9.5.1).
pub const FIRST_PROPRIETARY_ID: u64 = 32;

/// The group of explicit domain parameters, only on an exact match with a standardized one.
pub fn group_from_domain(d: &DomainParameters<'_>) -> Result<PaceGroup, PaceError> {
    match d {
        DomainParameters::Standardized(id) => {
            PaceGroup::by_parameter_id(*id).ok_or(PaceError::UnknownParameterId { id: *id })
        }
        DomainParameters::ExplicitEc(e) => Curve::by_explicit(e.p, e.a, e.b, e.g, e.n, e.h)
            .map(PaceGroup::Ec)
            .ok_or(PaceError::UnknownDomainParameters),
        DomainParameters::Dh(p) => DhGroup::by_explicit(p.p, p.g, p.q)
            .map(PaceGroup::Dh)
            .ok_or(PaceError::UnknownDomainParameters),
        _ => Err(PaceError::UnknownDomainParameters),
    }
}

/// `z = E(K_π, s)` / `s = D(K_π, z)`: CBC with IV 0, no padding (Doc 9303-11 §4.4.3.1).
pub fn encrypt_nonce(k_pi: &[u8], cipher: SmCipher, s: &[u8]) -> Result<Vec<u8>, SmError> {
    SmKeys::new(cipher, k_pi, k_pi)?.encrypt(&vec![0u8; cipher.block_len()], s)
}

/// See [`encrypt_nonce`].
pub fn decrypt_nonce(k_pi: &[u8], cipher: SmCipher, z: &[u8]) -> Result<Vec<u8>, SmError> {
    SmKeys::new(cipher, k_pi, k_pi)?.decrypt(&vec![0u8; cipher.block_len()], z, 0x80)
}

/// The Integrated Mapping constants c0, c1 (Doc 9303-11 §4.4.3.4.1): 128-bit for 3DES and
/// AES-128, 256-bit for AES-192/256.
fn im_constants(cipher: SmCipher) -> (&'static [u8], &'static [u8]) {
    const C0_128: [u8; 16] = [
        0xa6, 0x68, 0x89, 0x2a, 0x7c, 0x41, 0xe3, 0xca, 0x73, 0x9f, 0x40, 0xb0, 0x57, 0xd8, 0x59,
        0x04,
    ];
    const C1_128: [u8; 16] = [
        0xa4, 0xe1, 0x36, 0xac, 0x72, 0x5f, 0x73, 0x8b, 0x01, 0xc1, 0xf6, 0x02, 0x17, 0xc1, 0x88,
        0xad,
    ];
    const C0_256: [u8; 32] = [
        0xd4, 0x63, 0xd6, 0x52, 0x34, 0x12, 0x4e, 0xf7, 0x89, 0x70, 0x54, 0x98, 0x6d, 0xca, 0x0a,
        0x17, 0x4e, 0x28, 0xdf, 0x75, 0x8c, 0xba, 0xa0, 0x3f, 0x24, 0x06, 0x16, 0x41, 0x4d, 0x5a,
        0x16, 0x76,
    ];
    const C1_256: [u8; 32] = [
        0x54, 0xbd, 0x72, 0x55, 0xf0, 0xaa, 0xf8, 0x31, 0xbe, 0xc3, 0x42, 0x3f, 0xcf, 0x39, 0xd6,
        0x9b, 0x6c, 0xbf, 0x06, 0x66, 0x77, 0xd0, 0xfa, 0xae, 0x5a, 0xad, 0xd9, 0x9d, 0xf8, 0xe5,
        0x35, 0x17,
    ];
    match cipher {
        SmCipher::Tdes | SmCipher::Aes128 => (&C0_128, &C1_128),
        SmCipher::Aes192 | SmCipher::Aes256 => (&C0_256, &C1_256),
    }
}

/// `E(key, data)`: CBC with IV 0 over block-aligned data, with the key cut to the cipher's
/// key length.
fn block_encrypt(cipher: SmCipher, key: &[u8], data: &[u8]) -> Result<Vec<u8>, SmError> {
    let k = key.get(..cipher.key_len()).unwrap_or(key);
    SmKeys::new(cipher, k, k)?.encrypt(&vec![0u8; cipher.block_len()], data)
}

/// The Integrated Mapping pseudo-random function R_p(s, t) (Doc 9303-11 §4.4.3.4.1,
/// TR-03110-3 §A.3.5.1): k_0 = E(t, s); k_{i+1} = E(k_i, c0), x_{i+1} = E(k_i, c1);
/// output int(x_1 ‖ … ‖ x_n) with n = ⌈(log2 p + 64) / l⌉, l the output length of one step.
/// Returns the raw octets (before the reduction mod p).
pub fn im_prf(cipher: SmCipher, s: &[u8], t: &[u8], p: &BigUint) -> Result<Vec<u8>, SmError> {
    let (c0, c1) = im_constants(cipher);
    let l = u64::try_from(c1.len()).unwrap_or(16).saturating_mul(8);
    let n = p.bits().saturating_add(64).div_ceil(l);
    let mut k = block_encrypt(cipher, t, s)?;
    let mut out = Vec::new();
    for _ in 0..n {
        out.extend(block_encrypt(cipher, &k, c1)?);
        k = block_encrypt(cipher, &k, c0)?;
    }
    Ok(out)
}

/// The authentication token input `7F49 { 06 OID, 86|84 public key }` (TR-03110-3 §D.3.4).
pub fn token_input(params: &PaceParams, public_key: &[u8]) -> Vec<u8> {
    let mut inner = tlv::encode(0x06, &params.protocol_oid);
    inner.extend(tlv::encode(params.group.public_key_tag(), public_key));
    tlv::encode(0x7F49, &inner)
}

/// T = MAC(KS_mac, 7F49{…}) (Doc 9303-11 §4.4.3.4 step 4).
pub fn auth_token(
    keys: &SmKeys,
    params: &PaceParams,
    public_key: &[u8],
) -> Result<[u8; 8], SmError> {
    keys.mac_unpadded(&token_input(params, public_key))
}

/// KS_enc and KS_mac from the shared secret K (Doc 9303-11 §9.7.1).
pub fn session_keys(k: &[u8], cipher: SmCipher) -> Result<SmKeys, SmError> {
    SmKeys::new(
        cipher,
        &derive_key(k, KDF_ENC, cipher),
        &derive_key(k, KDF_MAC, cipher),
    )
}

/// The CAM IV: E(KS_enc, -1), i.e. the all-ones block encrypted (Doc 9303-11 §4.4.3.5.1).
fn cam_iv(keys: &SmKeys) -> Result<Vec<u8>, SmError> {
    keys.iv_for(&vec![0xFF; keys.cipher().block_len()])
}

/// A_IC = E(KS_enc, pad(CA_IC)) with the CAM IV (chip side; Doc 9303-11 §4.4.3.5.1).
pub fn cam_encrypt(keys: &SmKeys, ca_ic: &[u8]) -> Result<Vec<u8>, SmError> {
    let padded = crate::sm::pad(ca_ic, keys.cipher().block_len());
    keys.encrypt(&cam_iv(keys)?, &padded)
}

/// CA_IC from A_IC (terminal side).
pub fn cam_decrypt(keys: &SmKeys, a_ic: &[u8]) -> Result<Vec<u8>, SmError> {
    let block = keys.cipher().block_len();
    let plain = keys.decrypt(&cam_iv(keys)?, a_ic, 0x8A)?;
    Ok(crate::sm::unpad(&plain, block)?.to_vec())
}

/// The terminal's secrets for one run (drawn from the RNG, or given by a test vector).
#[derive(Clone)]
pub struct PaceSecrets {
    /// SK_map,IFD (GM, CAM).
    pub sk_map: BigUint,
    /// SK_eph,IFD.
    pub sk_eph: BigUint,
    /// The terminal nonce t (IM), key-length bytes.
    pub t: Vec<u8>,
}

impl std::fmt::Debug for PaceSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PaceSecrets(..)")
    }
}

impl PaceSecrets {
    /// Fresh secrets for `params` from `rng`.
    pub fn random(params: &PaceParams, rng: &mut dyn CryptoRngCore) -> Self {
        let mut t = vec![0u8; params.cipher().key_len()];
        rng.fill_bytes(&mut t);
        PaceSecrets {
            sk_map: params.group.random_scalar(rng),
            sk_eph: params.group.random_scalar(rng),
            t,
        }
    }
}

/// The summary of an established PACE channel (what [`AccessProtocol`](super::AccessProtocol)
/// reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PaceSummary {
    /// GM, IM or CAM.
    pub mapping: Mapping,
    /// DH or ECDH.
    pub key_agreement: KeyAgreement,
    /// The cipher suite.
    pub cipher: Cipher,
    /// The (standardized) group's parameterId.
    pub group_id: u64,
    /// The password used.
    pub password: PasswordKind,
}

/// CAM data awaiting the static key from EF.CardSecurity.
#[derive(Clone)]
pub struct CamPending {
    curve: &'static Curve,
    ca_ic: BigUint,
    pk_map_ic: crate::crypto::ec::EcPoint,
}

impl std::fmt::Debug for CamPending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CamPending")
            .field("curve", &self.curve.name)
            .finish_non_exhaustive()
    }
}

/// CAM checked: the chip proved possession of the private key of `static_public_key`. This
/// counts as chip authentication only once EF.CardSecurity (which carries that key) passes
/// Passive Authentication; the caller binds the two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CamVerified {
    static_public_key: Vec<u8>,
}

impl CamVerified {
    /// The static key CAM was checked against (uncompressed point).
    pub fn static_public_key(&self) -> &[u8] {
        &self.static_public_key
    }
}

impl CamPending {
    /// The curve (the static key must be on it).
    pub fn curve(&self) -> &'static Curve {
        self.curve
    }

    /// Checks PK_map,IC = CA_IC · PK_IC (Doc 9303-11 §4.4.3.5.2) for the static key PK_IC
    /// (uncompressed point, validated here).
    pub fn verify(&self, static_public_key: &[u8]) -> Result<CamVerified, PaceError> {
        let pk = self.curve.decode_point(static_public_key).map_err(|e| {
            PaceError::InvalidPublicKey {
                step: "CAM static key",
                reason: e.into(),
            }
        })?;
        match self.curve.mul(&self.ca_ic, &pk) {
            Some(p) if p == self.pk_map_ic => Ok(CamVerified {
                static_public_key: static_public_key.to_vec(),
            }),
            _ => Err(PaceError::CamMismatch),
        }
    }

    /// Finds the static key on the PACE curve among ChipAuthenticationPublicKeyInfos
    /// (EF.CardSecurity; Doc 9303-11 §4.4.3.5.2) and verifies against it.
    pub fn verify_with_infos(&self, infos: &SecurityInfos<'_>) -> Result<CamVerified, PaceError> {
        let key = infos
            .chip_authentication_public_keys()
            .filter(|k| k.key_agreement == KeyAgreement::Ecdh)
            .filter(|k| {
                let g = match &k.public_key.algorithm.domain {
                    DomainParameters::NamedCurve(_) => None,
                    d => group_from_domain(d).ok(),
                };
                g == Some(PaceGroup::Ec(self.curve))
            })
            .find_map(|k| match &k.public_key.key {
                PublicKey::Ec { point } => Some(point.to_vec()),
                _ => None,
            })
            .ok_or(PaceError::CamNoStaticKey)?;
        self.verify(&key)
    }
}

/// The result of a PACE run.
#[derive(Debug)]
pub struct PaceEstablished {
    /// Secure messaging under KS_enc / KS_mac, SSC 0.
    pub session: SecureSession,
    /// What was run.
    pub summary: PaceSummary,
    /// The chip's ephemeral public key (its compressed form is ID_IC for later protocols).
    pub chip_ephemeral_public_key: Vec<u8>,
    /// CAM data to check against EF.CardSecurity (CAM runs only).
    pub cam: Option<CamPending>,
    /// DO'87'/'88' certification authority references the chip sent (EAC; kept raw).
    pub car: Vec<Vec<u8>>,
}

const STEP_NONCE: &str = "GENERAL AUTHENTICATE (encrypted nonce)";
const STEP_MAP: &str = "GENERAL AUTHENTICATE (mapping)";
const STEP_KA: &str = "GENERAL AUTHENTICATE (key agreement)";
const STEP_MA: &str = "GENERAL AUTHENTICATE (mutual authentication)";

enum State {
    Start,
    SentMse {
        retried: bool,
    },
    SentNonce,
    SentMap {
        s: Vec<u8>,
        pk_map_ifd: Vec<u8>,
    },
    SentKeyAgreement {
        pk_eph_ifd: Vec<u8>,
        pk_map_ic: Option<crate::crypto::ec::EcPoint>,
    },
    SentToken {
        keys: SmKeys,
        pk_eph_ifd: Vec<u8>,
        pk_eph_ic: Vec<u8>,
        pk_map_ic: Option<crate::crypto::ec::EcPoint>,
    },
    Done,
}

/// The PACE terminal (see the module documentation).
pub struct Pace {
    params: PaceParams,
    password: PasswordKind,
    k_pi: Vec<u8>,
    secrets: PaceSecrets,
    send_parameter_ref: bool,
    state: State,
}

impl std::fmt::Debug for Pace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pace")
            .field("protocol", &self.params.protocol)
            .field("group", &self.params.group.name())
            .finish_non_exhaustive()
    }
}

/// Splits `7C { … }` into its data objects (tag, value), refusing trailing bytes.
fn dynamic_auth_data<'a>(
    step: &'static str,
    data: &'a [u8],
) -> Result<Vec<(u32, &'a [u8])>, PaceError> {
    let mut r = tlv::Reader::new(data);
    let outer = match r.next() {
        Ok(Some(t)) => t,
        _ => {
            return Err(PaceError::Malformed {
                step,
                detail: "no dynamic authentication data object",
            })
        }
    };
    if outer.tag.0 != 0x7C {
        return Err(PaceError::WrongTag {
            step,
            expected: 0x7C,
            got: outer.tag.0,
        });
    }
    if !r.is_empty() {
        return Err(PaceError::Malformed {
            step,
            detail: "bytes after the 7C object",
        });
    }
    let mut inner = outer.children().map_err(|_| PaceError::Malformed {
        step,
        detail: "7C content is not BER-TLV",
    })?;
    let mut out = Vec::new();
    loop {
        match inner.next() {
            Ok(Some(t)) => {
                if out.len() >= 8 {
                    return Err(PaceError::Malformed {
                        step,
                        detail: "too many data objects",
                    });
                }
                out.push((t.tag.0, t.value));
            }
            Ok(None) => return Ok(out),
            Err(_) => {
                return Err(PaceError::Malformed {
                    step,
                    detail: "7C content is not BER-TLV",
                })
            }
        }
    }
}

/// The single data object `tag` of a step's response.
fn single_do<'a>(
    step: &'static str,
    dos: &[(u32, &'a [u8])],
    tag: u32,
) -> Result<&'a [u8], PaceError> {
    match dos {
        [(t, v)] if *t == tag => Ok(v),
        [(t, _)] => Err(PaceError::WrongTag {
            step,
            expected: tag,
            got: *t,
        }),
        [] => Err(PaceError::Malformed {
            step,
            detail: "data object missing",
        }),
        _ => Err(PaceError::Malformed {
            step,
            detail: "unexpected extra data objects",
        }),
    }
}

fn ga(last: bool, data: Vec<u8>) -> CommandApdu {
    // Command chaining (CLA b5) on every step but the last (Doc 9303-11 §4.4.4.2).
    // A DH-2048 public key does not fit a short APDU: such commands go extended, and so does
    // Le, since the chip's answer is as long.
    let body = tlv::encode(0x7C, &data);
    let le = if body.len() > 255 { 65_536 } else { 256 };
    CommandApdu::new(if last { 0x00 } else { 0x10 }, 0x86, 0x00, 0x00)
        .with_data(body)
        .with_le(le)
}

fn step_status(step: &'static str, sw: StatusWord) -> PaceError {
    match sw.0 {
        0x63C0 | 0x6983 | 0x6984 => PaceError::PasswordBlocked { sw },
        _ => PaceError::Status { step, sw },
    }
}

impl Pace {
    /// A run with fresh secrets from `rng`.
    pub fn new(params: PaceParams, password: &PacePassword, rng: &mut dyn CryptoRngCore) -> Self {
        let secrets = PaceSecrets::random(&params, rng);
        Self::with_secrets(params, password, secrets)
    }

    /// A run with given secrets (test vectors).
    pub fn with_secrets(params: PaceParams, password: &PacePassword, secrets: PaceSecrets) -> Self {
        Pace {
            k_pi: password.k_pi(params.cipher()),
            password: password.kind(),
            send_parameter_ref: params.send_parameter_ref,
            params,
            secrets,
            state: State::Start,
        }
    }

    /// The parameters.
    pub fn params(&self) -> &PaceParams {
        &self.params
    }

    fn mse(&self) -> CommandApdu {
        let mut data = tlv::encode(0x80, &self.params.protocol_oid);
        data.extend(tlv::encode(0x83, &[self.password.reference()]));
        if let (true, Some(id)) = (self.send_parameter_ref, self.params.parameter_id) {
            data.extend(tlv::encode(0x84, &crate::chip::ca::key_id_bytes(id)));
        }
        // No Le: some chips reject MSE with Le (Doc 9303-11 §4.4.4.1 case 3 command).
        CommandApdu::new(0x00, 0x22, 0xC1, 0xA4).with_data(data)
    }

    fn on_mse(
        &mut self,
        r: &ResponseApdu,
        retried: bool,
    ) -> Result<Step<PaceEstablished>, PaceError> {
        if !r.sw.is_success() {
            // Some chips require DO'84', others reject it: one retry with the other choice.
            if r.sw.0 == 0x6A80 && !retried && self.params.parameter_id.is_some() {
                self.send_parameter_ref = !self.send_parameter_ref;
                self.state = State::SentMse { retried: true };
                return Ok(Step::Transmit(self.mse()));
            }
            return Err(PaceError::MseRefused { sw: r.sw });
        }
        self.state = State::SentNonce;
        Ok(Step::Transmit(ga(false, Vec::new())))
    }

    fn on_nonce(&mut self, r: &ResponseApdu) -> Result<Step<PaceEstablished>, PaceError> {
        if !r.sw.is_success() {
            return Err(step_status(STEP_NONCE, r.sw));
        }
        let dos = dynamic_auth_data(STEP_NONCE, &r.data)?;
        let z = single_do(STEP_NONCE, &dos, 0x80)?;
        let cipher = self.params.cipher();
        // Nonces are one or two blocks (16 or 32 bytes); a hostile chip's long "nonce" would
        // become a huge scalar in the mapping. Cap: 64 bytes.
        if z.is_empty() || z.len() % cipher.block_len() != 0 || z.len() > MAX_NONCE_LEN {
            return Err(PaceError::BadNonce { len: z.len() });
        }
        let s = decrypt_nonce(&self.k_pi, cipher, z)?;
        let group = self.params.group;
        let (data, pk_map_ifd) = match self.params.protocol.mapping {
            Mapping::Integrated => (tlv::encode(0x81, &self.secrets.t), Vec::new()),
            Mapping::Generic | Mapping::ChipAuthentication => {
                let pk = group
                    .exp(&group.generator(), &self.secrets.sk_map)
                    .ok_or(PaceError::DegenerateKey { step: STEP_MAP })?;
                let enc = group.encode(&pk);
                (tlv::encode(0x81, &enc), enc)
            }
        };
        self.state = State::SentMap { s, pk_map_ifd };
        Ok(Step::Transmit(ga(false, data)))
    }

    fn on_map(
        &mut self,
        r: &ResponseApdu,
        s: Vec<u8>,
        pk_map_ifd: Vec<u8>,
    ) -> Result<Step<PaceEstablished>, PaceError> {
        if !r.sw.is_success() {
            return Err(step_status(STEP_MAP, r.sw));
        }
        let group = self.params.group;
        let dos = dynamic_auth_data(STEP_MAP, &r.data)?;
        let (g_hat, pk_map_ic) = match self.params.protocol.mapping {
            Mapping::Integrated => {
                if let Some((t, _)) = dos.first() {
                    return Err(PaceError::WrongTag {
                        step: STEP_MAP,
                        expected: 0x7C,
                        got: *t,
                    });
                }
                let raw = im_prf(self.params.cipher(), &s, &self.secrets.t, group.prime())?;
                let r = BigUint::from_bytes_be(&raw) % group.prime();
                (
                    group
                        .integrated_map(&r)
                        .ok_or(PaceError::DegenerateKey { step: STEP_MAP })?,
                    None,
                )
            }
            Mapping::Generic | Mapping::ChipAuthentication => {
                let v = single_do(STEP_MAP, &dos, 0x82)?;
                let pk = group.decode(v).map_err(|e| PaceError::InvalidPublicKey {
                    step: STEP_MAP,
                    reason: e,
                })?;
                if v == pk_map_ifd.as_slice() {
                    return Err(PaceError::IdenticalPublicKeys { step: STEP_MAP });
                }
                let h = group
                    .exp(&pk, &self.secrets.sk_map)
                    .ok_or(PaceError::DegenerateKey { step: STEP_MAP })?;
                let g = group
                    .generic_map(&BigUint::from_bytes_be(&s), &h)
                    .ok_or(PaceError::DegenerateKey { step: STEP_MAP })?;
                let pk_ec = match pk {
                    Element::Ec(p) => Some(p),
                    Element::Dh(_) => None,
                };
                (g, pk_ec)
            }
        };
        let pk_eph = group
            .exp(&g_hat, &self.secrets.sk_eph)
            .ok_or(PaceError::DegenerateKey { step: STEP_KA })?;
        let pk_eph_ifd = group.encode(&pk_eph);
        self.state = State::SentKeyAgreement {
            pk_eph_ifd: pk_eph_ifd.clone(),
            pk_map_ic,
        };
        Ok(Step::Transmit(ga(false, tlv::encode(0x83, &pk_eph_ifd))))
    }

    fn on_key_agreement(
        &mut self,
        r: &ResponseApdu,
        pk_eph_ifd: Vec<u8>,
        pk_map_ic: Option<crate::crypto::ec::EcPoint>,
    ) -> Result<Step<PaceEstablished>, PaceError> {
        if !r.sw.is_success() {
            return Err(step_status(STEP_KA, r.sw));
        }
        let group = self.params.group;
        let dos = dynamic_auth_data(STEP_KA, &r.data)?;
        let v = single_do(STEP_KA, &dos, 0x84)?;
        let pk = group.decode(v).map_err(|e| PaceError::InvalidPublicKey {
            step: STEP_KA,
            reason: e,
        })?;
        if v == pk_eph_ifd.as_slice() {
            return Err(PaceError::IdenticalPublicKeys { step: STEP_KA });
        }
        let k = group
            .exp(&pk, &self.secrets.sk_eph)
            .ok_or(PaceError::DegenerateKey { step: STEP_KA })?;
        let keys = session_keys(&group.shared_bytes(&k), self.params.cipher())?;
        let t_ifd = auth_token(&keys, &self.params, v)?;
        self.state = State::SentToken {
            keys,
            pk_eph_ifd,
            pk_eph_ic: v.to_vec(),
            pk_map_ic,
        };
        Ok(Step::Transmit(ga(true, tlv::encode(0x85, &t_ifd))))
    }

    fn on_token(
        &mut self,
        r: &ResponseApdu,
        keys: SmKeys,
        pk_eph_ifd: Vec<u8>,
        pk_eph_ic: Vec<u8>,
        pk_map_ic: Option<crate::crypto::ec::EcPoint>,
    ) -> Result<Step<PaceEstablished>, PaceError> {
        if !r.sw.is_success() {
            // The chip checks T_IFD here: a wrong password shows as 63xx (or 6300/6982).
            return Err(match r.sw.0 {
                0x63C0 | 0x6983 | 0x6984 => PaceError::PasswordBlocked { sw: r.sw },
                0x63C1..=0x63CF => PaceError::WrongPassword {
                    sw: r.sw,
                    retries_left: Some((r.sw.0 & 0x0F) as u8),
                },
                0x6300 | 0x6982 => PaceError::WrongPassword {
                    sw: r.sw,
                    retries_left: None,
                },
                _ => PaceError::Status {
                    step: STEP_MA,
                    sw: r.sw,
                },
            });
        }
        let dos = dynamic_auth_data(STEP_MA, &r.data)?;
        let mut t_ic = None;
        let mut a_ic = None;
        let mut car = Vec::new();
        for (tag, v) in &dos {
            match tag {
                0x86 if t_ic.is_none() => t_ic = Some(*v),
                0x87 | 0x88 => car.push(v.to_vec()),
                0x8A if a_ic.is_none() => a_ic = Some(*v),
                t => {
                    return Err(PaceError::WrongTag {
                        step: STEP_MA,
                        expected: 0x86,
                        got: *t,
                    })
                }
            }
        }
        let t_ic = t_ic.ok_or(PaceError::Malformed {
            step: STEP_MA,
            detail: "authentication token DO'86' missing",
        })?;
        let expected = auth_token(&keys, &self.params, &pk_eph_ifd)?;
        if !crate::sm::ct_eq(&expected, t_ic) {
            return Err(PaceError::TokenMismatch);
        }
        let cam = match (self.params.protocol.mapping, self.params.group) {
            (Mapping::ChipAuthentication, PaceGroup::Ec(curve)) => {
                let a = a_ic.ok_or(PaceError::CamDataMissing)?;
                let ca = cam_decrypt(&keys, a).map_err(|_| PaceError::CamDataMalformed)?;
                let ca_ic = BigUint::from_bytes_be(&ca);
                if ca.is_empty() || ca_ic == BigUint::ZERO || ca_ic >= curve.n {
                    return Err(PaceError::CamDataMalformed);
                }
                Some(CamPending {
                    curve,
                    ca_ic,
                    pk_map_ic: pk_map_ic.ok_or(PaceError::CamDataMalformed)?,
                })
            }
            _ => None,
        };
        let cipher = self.params.cipher();
        let sm = SmSession::new(keys, &vec![0u8; cipher.block_len()])?;
        Ok(Step::Done(PaceEstablished {
            session: SecureSession::new(sm),
            summary: PaceSummary {
                mapping: self.params.protocol.mapping,
                key_agreement: self.params.protocol.key_agreement,
                cipher: self.params.protocol.cipher,
                group_id: self.params.group.parameter_id(),
                password: self.password,
            },
            chip_ephemeral_public_key: pk_eph_ic,
            cam,
            car,
        }))
    }

    fn step(&mut self, response: Option<ResponseApdu>) -> Result<Step<PaceEstablished>, PaceError> {
        let state = std::mem::replace(&mut self.state, State::Done);
        match (state, response) {
            (State::Start, None) => {
                self.state = State::SentMse { retried: false };
                Ok(Step::Transmit(self.mse()))
            }
            (State::SentMse { retried }, Some(r)) => self.on_mse(&r, retried),
            (State::SentNonce, Some(r)) => self.on_nonce(&r),
            (State::SentMap { s, pk_map_ifd }, Some(r)) => self.on_map(&r, s, pk_map_ifd),
            (
                State::SentKeyAgreement {
                    pk_eph_ifd,
                    pk_map_ic,
                },
                Some(r),
            ) => self.on_key_agreement(&r, pk_eph_ifd, pk_map_ic),
            (
                State::SentToken {
                    keys,
                    pk_eph_ifd,
                    pk_eph_ic,
                    pk_map_ic,
                },
                Some(r),
            ) => self.on_token(&r, keys, pk_eph_ifd, pk_eph_ic, pk_map_ic),
            _ => Err(PaceError::Malformed {
                step: "PACE",
                detail: "response does not fit the protocol state",
            }),
        }
    }
}

impl ChipProtocol for Pace {
    type Output = PaceEstablished;

    fn resume(
        &mut self,
        response: Option<ResponseApdu>,
    ) -> Result<Step<PaceEstablished>, ChipError> {
        if matches!(self.state, State::Done) {
            return Err(ChipError::Finished);
        }
        self.step(response).map_err(ChipError::Pace)
    }
}
