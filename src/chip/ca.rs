//! Chip Authentication (Doc 9303-11 §6.2; BSI TR-03110-1 §3.4 / TR-03110-3 §B.1, §B.3): the
//! terminal agrees a new secret with the chip's static key from EF.DG14 and restarts secure
//! messaging under keys derived from it. A clone that copied the data groups but not the private
//! key cannot compute those keys.
//!
//! * [`select_key`] picks ChipAuthenticationInfo + the ChipAuthenticationPublicKeyInfo it names
//!   (by keyId) and validates the chip's static key: on the curve and not the identity (ECDH),
//!   or 1 < y < p-1 and y^q = 1 (DH).
//! * [`CaGroup`]: CA-ECDH on P-256/384/521 and brainpoolP256r1/P384r1 (named or standardized
//!   domain parameters), CA-DH on the RFC 5114 MODP groups (standardized ids 0-2, or explicit
//!   X9.42/PKCS #3 parameters only when they equal one of them exactly). The shared secret is
//!   the x-coordinate (ECDH) or g^xy at the length of p (DH) (Doc 9303-11 §9.6).
//! * [`ChipAuthentication`] is the sans-IO key agreement. Run it inside
//!   [`Secured`](super::Secured) on the session BAC/PACE left open: CA v1 with 3DES sends
//!   MSE:Set KAT (`00 22 41 A6`, DO'91' ephemeral key, DO'84' keyId); AES suites (and every
//!   CA v2 suite) send MSE:Set AT (`00 22 41 A4`, DO'80' protocol OID, DO'84' keyId) then
//!   GENERAL AUTHENTICATE (`00 86 00 00`, `7C { 80 ephemeral key }`). The last command goes out
//!   and its response is verified under the OLD keys (Doc 9303-11 §6.2.1); the output carries
//!   the NEW session (K_enc = KDF(K, 1), K_mac = KDF(K, 2), SSC = 0). The terminal refuses an
//!   ephemeral key identical to the chip's static key.
//! * CA v1 has no explicit proof: the chip proves possession of the private key implicitly,
//!   by answering correctly MACed responses under the new keys. So [`CaConfirm`] sends one
//!   command (SELECT EF.COM) under the new session and only then hands out the
//!   [`ChipAuthenticated`] token. A chip with the wrong key fails there with an SM MAC error.
//! * CA v2 (TR-03110-3 §B.3, version 2 in ChipAuthenticationInfo): the chip answers GENERAL
//!   AUTHENTICATE with a nonce r (DO'81') and a token T (DO'82'); the keys are KDF(K ‖ r, c)
//!   and T must equal MAC(K_mac, `7F49 { 06 OID, 86|84 ephemeral key }`) ([`token_input`]).
//!   Checked against the BSI "Worked Example for EAC v1.01" (ECDH and DH). [`select_key`]
//!   only picks version 1; a version-2 run is built with [`select_key_version`] and follows
//!   Terminal Authentication v2, which commits to Comp(the ephemeral key) (see
//!   `inspection::chip`, [`super::ta`]), with the key from DG14 or, without one, from
//!   EF.CardSecurity.
//!
//! Explicit EC parameters give [`CaError::Unsupported`].

use rand_core::CryptoRngCore;

use num_bigint::BigUint;

use super::{CardTransport, ChipError, ChipProtocol, SecureSession, Secured, SelectFile, Step};
use crate::apdu::{CommandApdu, ResponseApdu};
use crate::crypto::dh::{DhError, DhGroup};
use crate::crypto::to_fixed_bytes;
use crate::lds::oid::{Cipher, KeyAgreement};
use crate::lds::security_infos::{ChipAuthenticationInfo, SecurityInfos};
use crate::lds::spki::{DomainParameters, PublicKey};
use crate::sm::{ct_eq, derive_key, SmCipher, SmError, SmKeys, SmSession, KDF_ENC, KDF_MAC};
use crate::tlv;

/// INS of MANAGE SECURITY ENVIRONMENT (ISO/IEC 7816-4 §11.5.11).
pub const INS_MSE: u8 = 0x22;
/// INS of GENERAL AUTHENTICATE (ISO/IEC 7816-4 §11.5.5).
pub const INS_GENERAL_AUTHENTICATE: u8 = 0x86;
/// MSE P1: set for computation, decipherment, internal authentication and key agreement.
pub const MSE_P1_SET: u8 = 0x41;
/// MSE P2: key agreement template (3DES Chip Authentication).
pub const MSE_P2_KAT: u8 = 0xA6;
/// MSE P2: authentication template (AES Chip Authentication).
pub const MSE_P2_AT: u8 = 0xA4;
/// EF.COM, selected under the new keys to confirm them.
const EF_COM: u16 = 0x011E;

/// An elliptic curve Chip Authentication supports.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaCurve {
    /// NIST P-256.
    P256,
    /// NIST P-384.
    P384,
    /// NIST P-521.
    P521,
    /// brainpoolP256r1 (RFC 5639).
    BrainpoolP256r1,
    /// brainpoolP384r1 (RFC 5639).
    BrainpoolP384r1,
}

impl CaCurve {
    /// Field element length in bytes (the length of the shared secret K).
    pub fn field_len(self) -> usize {
        match self {
            CaCurve::P256 | CaCurve::BrainpoolP256r1 => 32,
            CaCurve::P384 | CaCurve::BrainpoolP384r1 => 48,
            CaCurve::P521 => 66,
        }
    }

    /// Standardized domain parameter ids (Doc 9303-11 §9.5.1, TR-03110-3 Table 4).
    pub fn from_standardized(id: u64) -> Option<Self> {
        Some(match id {
            12 => CaCurve::P256,
            13 => CaCurve::BrainpoolP256r1,
            15 => CaCurve::P384,
            16 => CaCurve::BrainpoolP384r1,
            18 => CaCurve::P521,
            _ => return None,
        })
    }

    /// Named curve OIDs (RFC 5480, RFC 5639).
    pub fn from_named(dotted: &str) -> Option<Self> {
        Some(match dotted {
            "1.2.840.10045.3.1.7" => CaCurve::P256,
            "1.3.132.0.34" => CaCurve::P384,
            "1.3.132.0.35" => CaCurve::P521,
            "1.3.36.3.3.2.8.1.1.7" => CaCurve::BrainpoolP256r1,
            "1.3.36.3.3.2.8.1.1.11" => CaCurve::BrainpoolP384r1,
            _ => return None,
        })
    }

    /// The uncompressed public point `04 ‖ x ‖ y` of private scalar `secret` (big-endian,
    /// field length); `None` when the scalar is zero or not below the group order.
    pub fn public_point(self, secret: &[u8]) -> Option<Vec<u8>> {
        match self {
            CaCurve::P256 => ec13::public::<p256::NistP256>(secret),
            CaCurve::P384 => ec13::public::<p384::NistP384>(secret),
            CaCurve::P521 => ec13::public::<p521::NistP521>(secret),
            CaCurve::BrainpoolP256r1 => crate::pa::algorithms::brainpool::public_p256r1(secret),
            CaCurve::BrainpoolP384r1 => crate::pa::algorithms::brainpool::public_p384r1(secret),
        }
    }

    /// ECDH (TR-03111 §4.3.1): the x-coordinate of `secret · peer`. `None` when the peer
    /// point is not an uncompressed point on the curve (or is the identity) or the scalar is
    /// invalid.
    pub fn ecdh(self, secret: &[u8], peer: &[u8]) -> Option<Vec<u8>> {
        if !is_uncompressed(self, peer) {
            return None;
        }
        match self {
            CaCurve::P256 => ec13::ecdh::<p256::NistP256>(secret, peer),
            CaCurve::P384 => ec13::ecdh::<p384::NistP384>(secret, peer),
            CaCurve::P521 => ec13::ecdh::<p521::NistP521>(secret, peer),
            CaCurve::BrainpoolP256r1 => crate::pa::algorithms::brainpool::ecdh_p256r1(secret, peer),
            CaCurve::BrainpoolP384r1 => crate::pa::algorithms::brainpool::ecdh_p384r1(secret, peer),
        }
    }

    /// A fresh private scalar from `rng` (rejection sampling; `None` only if `rng` is broken).
    pub fn random_secret(self, rng: &mut dyn CryptoRngCore) -> Option<Vec<u8>> {
        let mut d = vec![0u8; self.field_len()];
        for _ in 0..64 {
            rng.fill_bytes(&mut d);
            if self == CaCurve::P521 {
                // The order is just below 2^521: keep 521 bits.
                if let Some(b) = d.first_mut() {
                    *b &= 0x01;
                }
            }
            if self.public_point(&d).is_some() {
                return Some(d);
            }
        }
        None
    }
}

/// The group a Chip Authentication key lives in: a curve (CA-ECDH) or a MODP group (CA-DH,
/// RFC 5114 §2.1-2.3 with a prime-order subgroup).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaGroup {
    /// An elliptic curve.
    Ec(CaCurve),
    /// A MODP group (the table PACE-DH also uses).
    Dh(&'static DhGroup),
}

impl CaGroup {
    /// DH or ECDH.
    pub fn key_agreement(self) -> KeyAgreement {
        match self {
            CaGroup::Ec(_) => KeyAgreement::Ecdh,
            CaGroup::Dh(_) => KeyAgreement::Dh,
        }
    }

    /// A short name for reports ("ECDH BrainpoolP256r1", "DH RFC 5114 MODP-1024-160").
    pub fn describe(self) -> String {
        match self {
            CaGroup::Ec(c) => format!("ECDH {c:?}"),
            CaGroup::Dh(d) => format!("DH {}", d.name),
        }
    }

    /// The curve, for ECDH.
    pub fn curve(self) -> Option<CaCurve> {
        match self {
            CaGroup::Ec(c) => Some(c),
            CaGroup::Dh(_) => None,
        }
    }

    /// Length of the shared secret K: the field length, or the length of p.
    pub fn shared_len(self) -> usize {
        match self {
            CaGroup::Ec(c) => c.field_len(),
            CaGroup::Dh(d) => d.len,
        }
    }

    /// Tag of the public key in a public key data object (TR-03110-3 §D.3.4): 86 (EC point),
    /// 84 (DH value).
    pub fn public_key_tag(self) -> u32 {
        match self {
            CaGroup::Ec(_) => 0x86,
            CaGroup::Dh(_) => 0x84,
        }
    }

    /// The public key of private key `secret` (big-endian): an uncompressed point, or g^x mod p
    /// at the length of p. `None` for an invalid scalar (zero, or 0 mod q for DH).
    pub fn public_key(self, secret: &[u8]) -> Option<Vec<u8>> {
        match self {
            CaGroup::Ec(c) => c.public_point(secret),
            CaGroup::Dh(d) => {
                let x = dh_exponent(d, secret)?;
                Some(d.encode(&d.pow(&d.g, &x)))
            }
        }
    }

    /// The shared secret K of `secret` and the peer's public key, which is validated first
    /// (see [`CaGroup::validate_public`]). `None` when the key or the scalar is invalid.
    pub fn agree(self, secret: &[u8], peer: &[u8]) -> Option<Vec<u8>> {
        match self {
            CaGroup::Ec(c) => c.ecdh(secret, peer),
            CaGroup::Dh(d) => {
                let y = d.decode_public(peer).ok()?;
                let x = dh_exponent(d, secret)?;
                let k = d.pow(&y, &x);
                // Unreachable for a validated y and x != 0 mod q; checked anyway.
                (k > BigUint::from(1u8)).then(|| d.encode(&k))
            }
        }
    }

    /// Validates a public key: an uncompressed point on the curve, not the identity; or a DH
    /// value at the length of p with 1 < y < p-1 and y^q = 1 mod p.
    pub fn validate_public(self, key: &[u8]) -> Result<(), CaError> {
        match self {
            CaGroup::Ec(c) => validate_point(c, key),
            CaGroup::Dh(d) => {
                d.decode_public(key)
                    .map(|_| ())
                    .map_err(|e| CaError::InvalidPublicKey {
                        reason: match e {
                            DhError::Length { .. } => "DH public value not at the length of p",
                            DhError::OutOfRange => "DH public value out of range (1 < y < p-1)",
                            DhError::NotInSubgroup => "DH public value not in the order-q subgroup",
                            #[allow(unreachable_patterns)]
                            _ => "DH public value invalid",
                        },
                    })
            }
        }
    }

    /// A fresh private key from `rng` (`None` only if `rng` is broken).
    pub fn random_secret(self, rng: &mut dyn CryptoRngCore) -> Option<Vec<u8>> {
        match self {
            CaGroup::Ec(c) => c.random_secret(rng),
            CaGroup::Dh(d) => {
                // Uniform in [1, q-1]: 64 extra bits, then reduction.
                let qlen = usize::try_from(d.q.bits().div_ceil(8)).ok()?;
                let mut b = vec![0u8; qlen.saturating_add(8)];
                rng.fill_bytes(&mut b);
                let x = BigUint::from_bytes_be(&b) % (&d.q - 1u8) + 1u8;
                to_fixed_bytes(&x, qlen)
            }
        }
    }
}

/// A DH private exponent from big-endian bytes; `None` if it is 0 mod q (g^x would be 1).
fn dh_exponent(d: &DhGroup, secret: &[u8]) -> Option<BigUint> {
    let x = BigUint::from_bytes_be(secret);
    (&x % &d.q != BigUint::ZERO).then_some(x)
}

fn is_uncompressed(curve: CaCurve, point: &[u8]) -> bool {
    point.first() == Some(&0x04)
        && point.len() == curve.field_len().saturating_mul(2).saturating_add(1)
}

/// The 0.13 line (p256, p384, p521).
mod ec13 {
    use ecdsa::elliptic_curve::group::Curve as _;
    use ecdsa::elliptic_curve::point::AffineCoordinates;
    use ecdsa::elliptic_curve::sec1::{FromEncodedPoint, ModulusSize, ToEncodedPoint};
    use ecdsa::elliptic_curve::{
        AffinePoint, CurveArithmetic, FieldBytesSize, PublicKey, SecretKey,
    };

    pub(super) fn public<C>(secret: &[u8]) -> Option<Vec<u8>>
    where
        C: CurveArithmetic,
        AffinePoint<C>: FromEncodedPoint<C> + ToEncodedPoint<C>,
        FieldBytesSize<C>: ModulusSize,
    {
        let sk = SecretKey::<C>::from_slice(secret).ok()?;
        Some(sk.public_key().to_encoded_point(false).as_bytes().to_vec())
    }

    pub(super) fn ecdh<C>(secret: &[u8], peer: &[u8]) -> Option<Vec<u8>>
    where
        C: CurveArithmetic,
        AffinePoint<C>: FromEncodedPoint<C> + ToEncodedPoint<C>,
        FieldBytesSize<C>: ModulusSize,
    {
        // from_sec1_bytes checks the curve equation and refuses the identity.
        let pk = PublicKey::<C>::from_sec1_bytes(peer).ok()?;
        let sk = SecretKey::<C>::from_slice(secret).ok()?;
        let shared = (pk.to_projective() * *sk.to_nonzero_scalar()).to_affine();
        Some(shared.x().to_vec())
    }
}

/// A Chip Authentication failure before or outside the APDU exchange.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaError {
    /// EF.DG14 holds no ChipAuthenticationInfo of the version asked for (1 unless stated).
    #[error("no ChipAuthenticationInfo of the requested version in EF.DG14")]
    MissingChipAuthenticationInfo,
    /// EF.DG14 holds no ChipAuthenticationPublicKeyInfo.
    #[error("no ChipAuthenticationPublicKeyInfo in EF.DG14")]
    MissingPublicKey,
    /// The keyId ChipAuthenticationInfo names is not among the public keys
    /// (TR-03105 ISO7816_D, keyId mismatch).
    #[error("no ChipAuthenticationPublicKeyInfo with keyId {key_id:?}")]
    KeyIdMismatch {
        /// The keyId of ChipAuthenticationInfo.
        key_id: Option<u64>,
    },
    /// Several public keys and no keyId to choose between them.
    #[error("{count} ChipAuthenticationPublicKeyInfos and no keyId")]
    AmbiguousKey {
        /// How many.
        count: usize,
    },
    /// A protocol or key this implementation does not handle (explicit EC parameters, DH
    /// parameters of no known group, unknown curves or cipher suites).
    #[error("unsupported Chip Authentication: {reason}")]
    Unsupported {
        /// What.
        reason: &'static str,
    },
    /// The chip's static public key is unusable (TR-03105 ISO7816_D, corrupted public key).
    #[error("invalid chip public key: {reason}")]
    InvalidPublicKey {
        /// What.
        reason: &'static str,
    },
    /// The public key is DH where the protocol OID says ECDH, or the reverse
    /// (TR-03105 ISO7816_D, inconsistent DG14).
    #[error("the chip public key is {key:?}, the protocol is {protocol:?}")]
    KeyAgreementMismatch {
        /// The protocol's key agreement (ChipAuthenticationInfo).
        protocol: KeyAgreement,
        /// The public key's (ChipAuthenticationPublicKeyInfo).
        key: KeyAgreement,
    },
    /// No ephemeral key could be generated.
    #[error("ephemeral key generation failed")]
    KeyGeneration,
    /// The ephemeral public key equals the chip's static key (refused on both sides).
    #[error("ephemeral public key identical to the chip's static key")]
    IdenticalKeys,
    /// Secure messaging could not be set up with the derived keys.
    #[error("session keys: {0}")]
    Sm(#[from] SmError),
}

/// The chosen Chip Authentication parameters: the CAInfo and the static key it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaParams {
    /// The curve or MODP group.
    pub group: CaGroup,
    /// The secure-messaging cipher of the protocol OID.
    pub cipher: SmCipher,
    /// The protocol OID (content bytes), sent in DO'80' for AES and CA v2.
    pub protocol_oid: Vec<u8>,
    /// The ChipAuthenticationInfo version: 1, or 2 (nonce and token, TR-03110-3 §B.3).
    pub version: u64,
    /// keyId (from ChipAuthenticationInfo, or the single key's).
    pub key_id: Option<u64>,
    /// The chip's static public key, uncompressed and validated.
    pub chip_public_key: Vec<u8>,
}

/// The SM cipher of a CA protocol OID's cipher arc.
pub(crate) fn sm_cipher(c: Cipher) -> Option<SmCipher> {
    match c {
        Cipher::TripleDesCbcCbc => Some(SmCipher::Tdes),
        Cipher::Aes128CbcCmac => Some(SmCipher::Aes128),
        Cipher::Aes192CbcCmac => Some(SmCipher::Aes192),
        Cipher::Aes256CbcCmac => Some(SmCipher::Aes256),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// Chooses the Chip Authentication v1 parameters from EF.DG14 (Doc 9303-11 §9.2.5, §9.2.6):
/// see [`select_key_version`].
pub fn select_key(infos: &SecurityInfos<'_>) -> Result<CaParams, CaError> {
    select_key_version(infos, 1)
}

/// Chooses the parameters: the first ChipAuthenticationInfo of `version` and the
/// ChipAuthenticationPublicKeyInfo with its keyId (without keyId: the only key). The key
/// agreement of protocol and key must agree, the domain parameters must name a supported
/// group, and the static key is validated ([`CaGroup::validate_public`]).
pub fn select_key_version(infos: &SecurityInfos<'_>, version: u64) -> Result<CaParams, CaError> {
    let info: &ChipAuthenticationInfo<'_> = infos
        .chip_authentication_infos()
        .find(|i| i.version == version)
        .ok_or(CaError::MissingChipAuthenticationInfo)?;
    let proto = info.decoded.ok_or(CaError::Unsupported {
        reason: "unknown Chip Authentication protocol OID",
    })?;
    let cipher = sm_cipher(proto.cipher).ok_or(CaError::Unsupported {
        reason: "cipher suite",
    })?;
    let keys: Vec<_> = infos.chip_authentication_public_keys().collect();
    if keys.is_empty() {
        return Err(CaError::MissingPublicKey);
    }
    let pk = match info.key_id {
        Some(id) => keys
            .iter()
            .find(|k| k.key_id == Some(id))
            .ok_or(CaError::KeyIdMismatch { key_id: Some(id) })?,
        None => match keys.as_slice() {
            [only] => only,
            _ => return Err(CaError::AmbiguousKey { count: keys.len() }),
        },
    };
    if pk.key_agreement != proto.key_agreement {
        return Err(CaError::KeyAgreementMismatch {
            protocol: proto.key_agreement,
            key: pk.key_agreement,
        });
    }
    let domain = &pk.public_key.algorithm.domain;
    // The group first: an unsupported group is reported as such, whatever the key looks like.
    let group = match proto.key_agreement {
        KeyAgreement::Dh => CaGroup::Dh(dh_group(domain)?),
        _ => CaGroup::Ec(ec_curve(domain)?),
    };
    let key = match (group, &pk.public_key.key) {
        (CaGroup::Ec(_), PublicKey::Ec { point }) => point.to_vec(),
        (CaGroup::Dh(g), PublicKey::Dh { y }) => {
            // The SPKI INTEGER is minimal; keys are used at the length of p.
            to_fixed_bytes(&BigUint::from_bytes_be(y), g.len).ok_or(CaError::InvalidPublicKey {
                reason: "DH public value longer than p",
            })?
        }
        _ => {
            return Err(CaError::InvalidPublicKey {
                reason: "public key type does not match the key agreement",
            })
        }
    };
    group.validate_public(&key)?;
    Ok(CaParams {
        group,
        cipher,
        protocol_oid: info.protocol.as_bytes().to_vec(),
        version,
        key_id: info.key_id.or(pk.key_id),
        chip_public_key: key,
    })
}

fn ec_curve(domain: &DomainParameters<'_>) -> Result<CaCurve, CaError> {
    match domain {
        DomainParameters::Standardized(id) => {
            CaCurve::from_standardized(*id).ok_or(CaError::Unsupported {
                reason: "standardized domain parameters",
            })
        }
        DomainParameters::NamedCurve(oid) => {
            CaCurve::from_named(&oid.dotted()).ok_or(CaError::Unsupported {
                reason: "named curve",
            })
        }
        DomainParameters::ExplicitEc(_) => Err(CaError::Unsupported {
            reason: "explicit EC domain parameters",
        }),
        _ => Err(CaError::InvalidPublicKey {
            reason: "EC key without domain parameters",
        }),
    }
}

/// The MODP group of DH domain parameters: a standardized id 0-2, or explicit p, g (and q)
/// equal to one of those groups (no near matches, so q is always known).
fn dh_group(domain: &DomainParameters<'_>) -> Result<&'static DhGroup, CaError> {
    match domain {
        DomainParameters::Standardized(id) => {
            DhGroup::by_parameter_id(*id).ok_or(CaError::Unsupported {
                reason: "standardized DH domain parameters",
            })
        }
        DomainParameters::Dh(p) => {
            DhGroup::by_explicit(p.p, p.g, p.q).ok_or(CaError::Unsupported {
                reason: "explicit DH domain parameters of no known group",
            })
        }
        DomainParameters::None => Err(CaError::InvalidPublicKey {
            reason: "DH key without domain parameters",
        }),
        _ => Err(CaError::Unsupported {
            reason: "DH domain parameters",
        }),
    }
}

/// Checks that `point` is an uncompressed point on `curve`, not the identity.
pub fn validate_point(curve: CaCurve, point: &[u8]) -> Result<(), CaError> {
    if !is_uncompressed(curve, point) {
        return Err(CaError::InvalidPublicKey {
            reason: "not an uncompressed point of the curve's size",
        });
    }
    // ECDH with scalar 1 runs the full SEC 1 decoder (curve equation, identity).
    let mut one = vec![0u8; curve.field_len()];
    if let Some(b) = one.last_mut() {
        *b = 1;
    }
    curve
        .ecdh(&one, point)
        .map(|_| ())
        .ok_or(CaError::InvalidPublicKey {
            reason: "point not on the curve",
        })
}

/// Session keys from the shared secret (Doc 9303-11 §9.7.1): K_enc = KDF(K, 1),
/// K_mac = KDF(K, 2), SSC = 0.
pub fn session_from_secret(shared: &[u8], cipher: SmCipher) -> Result<SmSession, SmError> {
    let keys = SmKeys::new(
        cipher,
        &derive_key(shared, KDF_ENC, cipher),
        &derive_key(shared, KDF_MAC, cipher),
    )?;
    SmSession::new(keys, &vec![0u8; cipher.block_len()])
}

/// CA v2 session keys (TR-03110-3 §B.3, §A.2.3): K_enc = KDF(K ‖ r, 1), K_mac = KDF(K ‖ r, 2)
/// with the chip's nonce r.
pub fn session_keys_v2(shared: &[u8], nonce: &[u8], cipher: SmCipher) -> Result<SmKeys, SmError> {
    let mut seed = Vec::with_capacity(shared.len().saturating_add(nonce.len()));
    seed.extend_from_slice(shared);
    seed.extend_from_slice(nonce);
    SmKeys::new(
        cipher,
        &derive_key(&seed, KDF_ENC, cipher),
        &derive_key(&seed, KDF_MAC, cipher),
    )
}

/// The CA v2 authentication token input (TR-03110-3 §A.2.4.2, §D.3.4): the public key data
/// object `7F49 { 06 protocol OID, 86|84 terminal's ephemeral public key }`.
pub fn token_input(protocol_oid: &[u8], group: CaGroup, ephemeral_public: &[u8]) -> Vec<u8> {
    let mut inner = tlv::encode(0x06, protocol_oid);
    inner.extend(tlv::encode(group.public_key_tag(), ephemeral_public));
    tlv::encode(0x7F49, &inner)
}

/// T_PICC = MAC(K_mac, [`token_input`]) (CMAC for AES, retail MAC for 3DES; 8 bytes).
pub fn auth_token_v2(
    keys: &SmKeys,
    protocol_oid: &[u8],
    group: CaGroup,
    ephemeral_public: &[u8],
) -> Result<[u8; 8], SmError> {
    keys.mac_unpadded(&token_input(protocol_oid, group, ephemeral_public))
}

/// keyId as DO'84' carries it: unsigned big-endian, minimal.
pub fn key_id_bytes(id: u64) -> Vec<u8> {
    let b = id.to_be_bytes();
    let skip = b.iter().take(7).take_while(|x| **x == 0).count();
    b.get(skip..).unwrap_or(&[]).to_vec()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CaState {
    Start,
    SentMse,
    SentGa,
    Done,
}

/// The Chip Authentication v1 key agreement (Doc 9303-11 §6.2.1). Output: the new session
/// (not yet confirmed; see [`CaConfirm`]).
pub struct ChipAuthentication {
    params: CaParams,
    ephemeral_public: Vec<u8>,
    shared: Vec<u8>,
    state: CaState,
}

impl std::fmt::Debug for ChipAuthentication {
    // Never print the shared secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChipAuthentication")
            .field("group", &self.params.group)
            .field("version", &self.params.version)
            .field("cipher", &self.params.cipher)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl ChipAuthentication {
    /// A run with a fresh ephemeral key pair in the chip's group from `rng`.
    pub fn new(params: CaParams, rng: &mut dyn CryptoRngCore) -> Result<Self, CaError> {
        let secret = params
            .group
            .random_secret(rng)
            .ok_or(CaError::KeyGeneration)?;
        Self::with_ephemeral_secret(params, &secret)
    }

    /// A run with a given ephemeral private key (tests and vectors): a scalar of the field
    /// length (ECDH) or a DH exponent of any length.
    pub fn with_ephemeral_secret(params: CaParams, secret: &[u8]) -> Result<Self, CaError> {
        let ephemeral_public = params
            .group
            .public_key(secret)
            .ok_or(CaError::KeyGeneration)?;
        if ephemeral_public == params.chip_public_key {
            return Err(CaError::IdenticalKeys);
        }
        params.group.validate_public(&params.chip_public_key)?;
        let shared = params.group.agree(secret, &params.chip_public_key).ok_or(
            CaError::InvalidPublicKey {
                reason: "key agreement failed",
            },
        )?;
        Ok(ChipAuthentication {
            params,
            ephemeral_public,
            shared,
            state: CaState::Start,
        })
    }

    /// The terminal's ephemeral public key (uncompressed point, or y at the length of p).
    pub fn ephemeral_public_key(&self) -> &[u8] {
        &self.ephemeral_public
    }

    /// The parameters.
    pub fn params(&self) -> &CaParams {
        &self.params
    }

    fn key_ref(&self) -> Vec<u8> {
        self.params
            .key_id
            .map(|id| tlv::encode(0x84, &key_id_bytes(id)))
            .unwrap_or_default()
    }

    /// The first command: MSE:Set KAT (CA v1 with 3DES) or MSE:Set AT (AES, and CA v2).
    pub fn mse_command(&self) -> CommandApdu {
        let mut data = Vec::new();
        let p2 = if self.uses_kat() {
            data.extend_from_slice(&tlv::encode(0x91, &self.ephemeral_public));
            MSE_P2_KAT
        } else {
            data.extend_from_slice(&tlv::encode(0x80, &self.params.protocol_oid));
            MSE_P2_AT
        };
        data.extend_from_slice(&self.key_ref());
        CommandApdu::new(0x00, INS_MSE, MSE_P1_SET, p2).with_data(data)
    }

    /// Whether MSE:Set KAT carries the key (CA v1 with 3DES: no GENERAL AUTHENTICATE).
    fn uses_kat(&self) -> bool {
        self.params.version == 1 && self.params.cipher == SmCipher::Tdes
    }

    /// GENERAL AUTHENTICATE with the ephemeral public key (after MSE:Set AT).
    pub fn ga_command(&self) -> CommandApdu {
        let inner = tlv::encode(0x80, &self.ephemeral_public);
        CommandApdu::new(0x00, INS_GENERAL_AUTHENTICATE, 0x00, 0x00)
            .with_data(tlv::encode(0x7C, &inner))
            .with_le(256)
    }

    fn finish(&mut self, keys: SmKeys) -> Result<Step<CaKeysAgreed>, ChipError> {
        self.state = CaState::Done;
        let sm = SmSession::new(keys, &vec![0u8; self.params.cipher.block_len()])?;
        Ok(Step::Done(CaKeysAgreed {
            session: SecureSession::new(sm),
            params: self.params.clone(),
            ephemeral_public: self.ephemeral_public.clone(),
        }))
    }

    fn v1_keys(&self) -> Result<SmKeys, SmError> {
        let c = self.params.cipher;
        SmKeys::new(
            c,
            &derive_key(&self.shared, KDF_ENC, c),
            &derive_key(&self.shared, KDF_MAC, c),
        )
    }

    /// CA v2: `7C { 81 r, 82 T }`; keys from K ‖ r; T checked (TR-03110-3 §B.3).
    fn v2_keys(&self, data: &[u8]) -> Result<SmKeys, ChipError> {
        let bad = |detail| ChipError::Protocol {
            step: STEP_GA,
            detail,
        };
        let dyn_data = tlv::Reader::new(data)
            .expect(0x7C)
            .map_err(|_| bad("no dynamic authentication data"))?;
        let mut rd = dyn_data
            .children()
            .map_err(|_| bad("malformed dynamic authentication data"))?;
        let nonce = rd.expect(0x81).map_err(|_| bad("no nonce (DO'81')"))?;
        let token = rd.expect(0x82).map_err(|_| bad("no token (DO'82')"))?;
        if nonce.value.is_empty() || nonce.value.len() > 64 || token.value.len() != 8 {
            return Err(bad("nonce or token of a wrong length"));
        }
        let keys = session_keys_v2(&self.shared, nonce.value, self.params.cipher)?;
        let expected = auth_token_v2(
            &keys,
            &self.params.protocol_oid,
            self.params.group,
            &self.ephemeral_public,
        )?;
        if !ct_eq(&expected, token.value) {
            return Err(ChipError::AuthenticationMismatch {
                step: STEP_GA,
                detail: "chip authentication token T_PICC",
            });
        }
        Ok(keys)
    }
}

const STEP_MSE: &str = "MSE:Set (Chip Authentication)";
const STEP_GA: &str = "GENERAL AUTHENTICATE (Chip Authentication)";

impl ChipProtocol for ChipAuthentication {
    type Output = CaKeysAgreed;

    fn resume(&mut self, response: Option<ResponseApdu>) -> Result<Step<CaKeysAgreed>, ChipError> {
        match (self.state, response) {
            (CaState::Start, None) => {
                self.state = CaState::SentMse;
                Ok(Step::Transmit(self.mse_command()))
            }
            (CaState::SentMse, Some(r)) => {
                if !r.sw.is_success() {
                    self.state = CaState::Done;
                    return Err(ChipError::from_status(STEP_MSE, r.sw));
                }
                if self.uses_kat() {
                    let keys = self.v1_keys()?;
                    self.finish(keys)
                } else {
                    self.state = CaState::SentGa;
                    Ok(Step::Transmit(self.ga_command()))
                }
            }
            (CaState::SentGa, Some(r)) => {
                if !r.sw.is_success() {
                    self.state = CaState::Done;
                    return Err(ChipError::from_status(STEP_GA, r.sw));
                }
                let keys = if self.params.version == 1 {
                    // CA v1 returns empty dynamic authentication data: nothing or `7C 00`.
                    if !(r.data.is_empty() || r.data == [0x7C, 0x00]) {
                        self.state = CaState::Done;
                        return Err(ChipError::Protocol {
                            step: STEP_GA,
                            detail: "unexpected dynamic authentication data",
                        });
                    }
                    self.v1_keys()
                } else {
                    match self.v2_keys(&r.data) {
                        Ok(k) => Ok(k),
                        Err(e) => {
                            self.state = CaState::Done;
                            return Err(e);
                        }
                    }
                };
                match keys {
                    Ok(k) => self.finish(k),
                    Err(e) => {
                        self.state = CaState::Done;
                        Err(e.into())
                    }
                }
            }
            (CaState::Done, _) => Err(ChipError::Finished),
            _ => {
                self.state = CaState::Done;
                Err(ChipError::Protocol {
                    step: STEP_MSE,
                    detail: "resume out of order",
                })
            }
        }
    }
}

/// Keys agreed with the chip; the chip has not yet shown that it holds them.
#[derive(Debug)]
pub struct CaKeysAgreed {
    session: SecureSession,
    params: CaParams,
    ephemeral_public: Vec<u8>,
}

impl CaKeysAgreed {
    /// The parameters used.
    pub fn params(&self) -> &CaParams {
        &self.params
    }
}

/// Proof that Chip Authentication succeeded; only [`CaConfirm`] creates it, after a command
/// under the new keys was answered with a valid MAC (the implicit proof of CA v1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipAuthenticated {
    group: CaGroup,
    cipher: SmCipher,
    key_id: Option<u64>,
    version: u64,
    ephemeral_public: Vec<u8>,
}

impl ChipAuthenticated {
    /// The terminal's ephemeral public key of this run (Terminal Authentication signs its
    /// compressed form, TR-03110-3 §B.11.5).
    pub fn ephemeral_public_key(&self) -> &[u8] {
        &self.ephemeral_public
    }
    /// The curve or MODP group.
    pub fn group(&self) -> CaGroup {
        self.group
    }
    /// The curve (ECDH only).
    pub fn curve(&self) -> Option<CaCurve> {
        self.group.curve()
    }
    /// The Chip Authentication version (1 or 2).
    pub fn version(&self) -> u64 {
        self.version
    }
    /// The cipher of the new session.
    pub fn cipher(&self) -> SmCipher {
        self.cipher
    }
    /// The keyId used.
    pub fn key_id(&self) -> Option<u64> {
        self.key_id
    }
}

/// Confirms the new keys: SELECT EF.COM under the new session. A response with a valid MAC
/// proves the chip computed the same secret, i.e. holds the DG14 private key.
#[derive(Debug)]
pub struct CaConfirm {
    inner: Option<Secured<SelectFile>>,
    params: CaParams,
    ephemeral_public: Vec<u8>,
}

impl CaConfirm {
    /// Confirms `agreed`.
    pub fn new(agreed: CaKeysAgreed) -> Self {
        CaConfirm {
            inner: Some(Secured::new(agreed.session, SelectFile::new(EF_COM))),
            params: agreed.params,
            ephemeral_public: agreed.ephemeral_public,
        }
    }
}

impl ChipProtocol for CaConfirm {
    type Output = (SecureSession, ChipAuthenticated);

    fn resume(
        &mut self,
        response: Option<ResponseApdu>,
    ) -> Result<Step<(SecureSession, ChipAuthenticated)>, ChipError> {
        let Some(inner) = self.inner.as_mut() else {
            return Err(ChipError::Finished);
        };
        match inner.resume(response) {
            Ok(Step::Transmit(c)) => Ok(Step::Transmit(c)),
            Ok(Step::Done(())) => {
                let (session, _) = self.inner.take().ok_or(ChipError::Finished)?.into_parts();
                Ok(Step::Done((
                    session,
                    ChipAuthenticated {
                        group: self.params.group,
                        cipher: self.params.cipher,
                        key_id: self.params.key_id,
                        version: self.params.version,
                        ephemeral_public: std::mem::take(&mut self.ephemeral_public),
                    },
                )))
            }
            Err(e) => {
                self.inner = None;
                Err(e)
            }
        }
    }
}

/// A Chip Authentication run that failed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaFailure {
    /// Parameters from EF.DG14 unusable.
    #[error("chip authentication: {0}")]
    Ca(#[from] CaError),
    /// The exchange failed (an SM error under the new keys: the chip does not hold the key).
    #[error("chip authentication: {0}")]
    Chip(#[from] ChipError),
}

/// Runs Chip Authentication over `t` on `session` (consumed: after the switch the old keys
/// are dead) with the key EF.DG14 (`infos`) names; returns the new session and the token.
pub fn run(
    t: &mut dyn CardTransport,
    session: SecureSession,
    infos: &SecurityInfos<'_>,
    rng: &mut dyn CryptoRngCore,
) -> Result<(SecureSession, ChipAuthenticated), CaFailure> {
    let params = select_key(infos)?;
    run_with(t, session, params, rng)
}

/// [`run`] with parameters already chosen (so a caller can keep its session when
/// [`select_key`] fails).
pub fn run_with(
    t: &mut dyn CardTransport,
    session: SecureSession,
    params: CaParams,
    rng: &mut dyn CryptoRngCore,
) -> Result<(SecureSession, ChipAuthenticated), CaFailure> {
    run_chained(t, session, params, rng, usize::MAX)
}

/// [`run_with`] sending data fields longer than `max_command_data` as command chains
/// ([`super::chain`]): DH public values of 2048-bit groups on chips without extended length.
pub fn run_chained(
    t: &mut dyn CardTransport,
    session: SecureSession,
    params: CaParams,
    rng: &mut dyn CryptoRngCore,
    max_command_data: usize,
) -> Result<(SecureSession, ChipAuthenticated), CaFailure> {
    let ca = ChipAuthentication::new(params, rng)?;
    let secured = Secured::new(session, super::chain::Chained::new(ca, max_command_data));
    let agreed = super::drive(secured, t)?;
    Ok(super::drive(CaConfirm::new(agreed), t)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_encoding() {
        assert_eq!(key_id_bytes(0), vec![0]);
        assert_eq!(key_id_bytes(1), vec![1]);
        assert_eq!(key_id_bytes(0x1234), vec![0x12, 0x34]);
    }

    #[test]
    fn dh_agrees_on_every_group_and_validates() {
        let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(4);
        for d in crate::crypto::dh::all() {
            let g = CaGroup::Dh(d);
            let a = g.random_secret(&mut rng).unwrap();
            let b = g.random_secret(&mut rng).unwrap();
            let (pa, pb) = (g.public_key(&a).unwrap(), g.public_key(&b).unwrap());
            let k = g.agree(&a, &pb).unwrap();
            assert_eq!(k, g.agree(&b, &pa).unwrap());
            assert_eq!((k.len(), pa.len()), (d.len, d.len));
            assert!(g.validate_public(&pa).is_ok());
            let mut bad = pa.clone();
            bad[3] ^= 1;
            assert!(g.validate_public(&bad).is_err());
            assert!(g.agree(&a, &bad).is_none());
            // An exponent that is 0 mod q has no public key.
            assert!(g.public_key(&d.q.to_bytes_be()).is_none());
        }
    }

    #[test]
    fn ecdh_agrees_on_every_curve() {
        let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(3);
        for c in [
            CaCurve::P256,
            CaCurve::P384,
            CaCurve::P521,
            CaCurve::BrainpoolP256r1,
            CaCurve::BrainpoolP384r1,
        ] {
            let a = c.random_secret(&mut rng).unwrap();
            let b = c.random_secret(&mut rng).unwrap();
            let pa = c.public_point(&a).unwrap();
            let pb = c.public_point(&b).unwrap();
            let k1 = c.ecdh(&a, &pb).unwrap();
            assert_eq!(k1, c.ecdh(&b, &pa).unwrap());
            assert_eq!(k1.len(), c.field_len());
            assert!(validate_point(c, &pa).is_ok());
            let mut bad = pa.clone();
            bad[5] ^= 1;
            assert!(validate_point(c, &bad).is_err());
            assert!(validate_point(c, &pa[..pa.len() - 1]).is_err());
        }
    }
}
