//! Active Authentication (Doc 9303-11 §6.1): the chip proves it holds the private key whose
//! public half is in EF.DG15 by signing a terminal challenge with INTERNAL AUTHENTICATE.
//!
//! * [`ActiveAuthentication`] is the sans-IO protocol (run it inside [`Secured`](super::Secured)
//!   on the session that BAC/PACE left open): `00 88 00 00 08 <RND.IFD> Le`.
//! * [`verify`] checks the answer against the DG15 key and returns an [`AaVerified`] token that
//!   nothing else can create:
//!   * RSA: ISO/IEC 9796-2 digital signature scheme 1, partial message recovery
//!     (Doc 9303-11 §6.1.2.2), trailer `BC` (SHA-1) or `hash-id ‖ CC` (ISO/IEC 10118-3 ids);
//!   * ECDSA: the hash named by ActiveAuthenticationInfo in EF.DG14 (Doc 9303-11 §9.2.8),
//!     plain `r ‖ s` signature (BSI TR-03111 §5.2.1), DER tolerated.
//!
//! EC keys with explicit domain parameters are refused ([`AaError::UnsupportedKey`]): mapping
//! explicit parameters to a known curve is a decision of the shared curve table.

use rand_core::CryptoRngCore;
use rsa::traits::PublicKeyParts;
use rsa::BigUint;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use subtle::ConstantTimeEq;

use super::{ChipError, ChipProtocol, Step};
use crate::apdu::{CommandApdu, ResponseApdu};
use crate::lds::dg15::Dg15;
use crate::lds::security_infos::{ActiveAuthenticationInfo, SecurityInfo, SecurityInfos};
use crate::lds::spki::{DomainParameters, PublicKey, SubjectPublicKeyInfo};

/// INS of INTERNAL AUTHENTICATE (ISO/IEC 7816-4 §11.5.2).
pub const INS_INTERNAL_AUTHENTICATE: u8 = 0x88;
/// Longest signature accepted from a chip: RSA-8192 (1024 bytes).
pub const MAX_SIGNATURE_LEN: usize = 1024;
/// Largest RSA modulus accepted from EF.DG15, in bits (bounds the modular exponentiation).
pub const MAX_RSA_MODULUS_BITS: usize = 8192;

/// ISO/IEC 9796-2 header for partial message recovery without padding (Doc 9303-11 §6.1.2.2).
const HEADER_PARTIAL: u8 = 0x6A;
/// Implicit trailer: SHA-1.
const TRAILER_IMPLICIT: u8 = 0xBC;
/// Second byte of an explicit trailer `hash-id ‖ CC`.
const TRAILER_EXPLICIT: u8 = 0xCC;

/// A hash function of Active Authentication.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AaHash {
    /// SHA-1.
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl AaHash {
    /// Output length in bytes.
    pub fn len(self) -> usize {
        match self {
            AaHash::Sha1 => 20,
            AaHash::Sha224 => 28,
            AaHash::Sha256 => 32,
            AaHash::Sha384 => 48,
            AaHash::Sha512 => 64,
        }
    }

    /// Always false (a digest is never empty); present for clippy's `len_without_is_empty`.
    pub fn is_empty(self) -> bool {
        false
    }

    /// The ISO/IEC 10118-3 hash-function identifier used in an explicit 9796-2 trailer.
    pub fn iso10118_id(self) -> u8 {
        match self {
            AaHash::Sha1 => 0x33,
            AaHash::Sha256 => 0x34,
            AaHash::Sha512 => 0x35,
            AaHash::Sha384 => 0x36,
            AaHash::Sha224 => 0x38,
        }
    }

    /// The hash with this ISO/IEC 10118-3 identifier.
    pub fn from_iso10118_id(id: u8) -> Option<Self> {
        Some(match id {
            0x33 => AaHash::Sha1,
            0x34 => AaHash::Sha256,
            0x35 => AaHash::Sha512,
            0x36 => AaHash::Sha384,
            0x38 => AaHash::Sha224,
            _ => return None,
        })
    }

    /// Hash of the concatenation of `parts`.
    pub fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut d = D::new();
            for p in parts {
                d.update(p);
            }
            d.finalize().to_vec()
        }
        match self {
            AaHash::Sha1 => run::<Sha1>(parts),
            AaHash::Sha224 => run::<Sha224>(parts),
            AaHash::Sha256 => run::<Sha256>(parts),
            AaHash::Sha384 => run::<Sha384>(parts),
            AaHash::Sha512 => run::<Sha512>(parts),
        }
    }
}

/// An ISO/IEC 9796-2 trailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trailer {
    /// One byte `BC` (SHA-1 implied).
    Implicit,
    /// Two bytes `hash-id ‖ CC`.
    Explicit(AaHash),
}

impl Trailer {
    /// The trailer bytes.
    pub fn bytes(self) -> Vec<u8> {
        match self {
            Trailer::Implicit => vec![TRAILER_IMPLICIT],
            Trailer::Explicit(h) => vec![h.iso10118_id(), TRAILER_EXPLICIT],
        }
    }

    /// The hash it names.
    pub fn hash(self) -> AaHash {
        match self {
            Trailer::Implicit => AaHash::Sha1,
            Trailer::Explicit(h) => h,
        }
    }
}

/// An elliptic curve Active Authentication supports.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AaCurve {
    /// NIST P-256 (secp256r1).
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

impl AaCurve {
    /// Length of one field element (and of r and s) in bytes.
    pub fn field_len(self) -> usize {
        match self {
            AaCurve::P256 | AaCurve::BrainpoolP256r1 => 32,
            AaCurve::P384 | AaCurve::BrainpoolP384r1 => 48,
            AaCurve::P521 => 66,
        }
    }

    fn from_named(dotted: &str) -> Option<Self> {
        Some(match dotted {
            "1.2.840.10045.3.1.7" => AaCurve::P256,
            "1.3.132.0.34" => AaCurve::P384,
            "1.3.132.0.35" => AaCurve::P521,
            "1.3.36.3.3.2.8.1.1.7" => AaCurve::BrainpoolP256r1,
            "1.3.36.3.3.2.8.1.1.11" => AaCurve::BrainpoolP384r1,
            _ => return None,
        })
    }

    /// Standardized domain parameter ids (Doc 9303-11 §9.5.1).
    fn from_standardized(id: u64) -> Option<Self> {
        Some(match id {
            12 => AaCurve::P256,
            13 => AaCurve::BrainpoolP256r1,
            15 => AaCurve::P384,
            16 => AaCurve::BrainpoolP384r1,
            18 => AaCurve::P521,
            _ => return None,
        })
    }
}

/// The signature algorithm that verified.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AaAlgorithm {
    /// RSA with ISO/IEC 9796-2 scheme 1.
    RsaIso9796_2 {
        /// Modulus size in bits.
        modulus_bits: usize,
        /// The trailer found.
        trailer: Trailer,
        /// Whether the representative was `n − J` (ISO/IEC 9796-2 signature `min(J^d, n − J^d)`).
        complemented: bool,
    },
    /// ECDSA.
    Ecdsa {
        /// The curve.
        curve: AaCurve,
        /// The hash (from ActiveAuthenticationInfo).
        hash: AaHash,
        /// True when the signature was DER, not the plain format Doc 9303 prescribes.
        der_encoded: bool,
    },
}

impl std::fmt::Display for AaAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AaAlgorithm::RsaIso9796_2 {
                modulus_bits,
                trailer,
                ..
            } => write!(
                f,
                "RSA-{modulus_bits} ISO/IEC 9796-2 scheme 1 with {:?}",
                trailer.hash()
            ),
            AaAlgorithm::Ecdsa {
                curve,
                hash,
                der_encoded,
            } => write!(
                f,
                "ECDSA {curve:?} with {hash:?}{}",
                if *der_encoded { " (DER signature)" } else { "" }
            ),
        }
    }
}

/// Verification policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AaPolicy {
    /// Smallest RSA modulus accepted, in bits.
    pub min_rsa_modulus_bits: usize,
    /// Accept SHA-1 (the common `BC` trailer of first-generation chips).
    pub allow_sha1: bool,
    /// Accept a DER-encoded ECDSA signature instead of plain `r ‖ s`.
    pub allow_der_ecdsa: bool,
    /// Accept an RSA signature whose representative is `n − J` (ISO/IEC 9796-2 §B.6).
    pub allow_complemented_representative: bool,
    /// Accept the X9.62 ecdsa-with-SHAx OIDs in ActiveAuthenticationInfo besides the BSI
    /// ecdsa-plain-SHAx OIDs Doc 9303 names.
    pub allow_x962_signature_oids: bool,
}

impl Default for AaPolicy {
    fn default() -> Self {
        AaPolicy {
            min_rsa_modulus_bits: 1024,
            allow_sha1: true,
            allow_der_ecdsa: true,
            allow_complemented_representative: true,
            allow_x962_signature_oids: true,
        }
    }
}

/// Why a 9796-2 message representative is malformed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepresentativeError {
    /// The first byte is not `6A`.
    #[error("header {found:#04x}, expected 0x6a")]
    BadHeader {
        /// The byte found.
        found: u8,
    },
    /// The last byte is neither `BC` nor `CC`.
    #[error("unknown trailer {found:#04x}")]
    UnknownTrailer {
        /// The last byte.
        found: u8,
    },
    /// An explicit trailer with an unknown hash identifier.
    #[error("unknown hash identifier {id:#04x} in trailer")]
    UnknownHashId {
        /// The identifier.
        id: u8,
    },
    /// Too short for header, digest and trailer (M1 must not be empty).
    #[error("representative of {len} bytes, needs at least {needed}")]
    TooShort {
        /// Its length.
        len: usize,
        /// Header + at least one byte of M1 + digest + trailer.
        needed: usize,
    },
}

/// An Active Authentication failure.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AaError {
    /// The DG15 key is of a kind this verifier does not handle.
    #[error("unsupported AA key: {reason}")]
    UnsupportedKey {
        /// What.
        reason: &'static str,
    },
    /// The DG15 key is malformed.
    #[error("invalid AA key: {reason}")]
    InvalidKey {
        /// What.
        reason: &'static str,
    },
    /// The RSA modulus is below policy.
    #[error("RSA modulus of {bits} bits, policy minimum is {min}")]
    ModulusTooSmall {
        /// Modulus size.
        bits: usize,
        /// Policy minimum.
        min: usize,
    },
    /// An ECDSA key needs ActiveAuthenticationInfo in EF.DG14 (Doc 9303-11 §9.2.8).
    #[error("ECDSA Active Authentication without ActiveAuthenticationInfo in EF.DG14")]
    MissingActiveAuthenticationInfo,
    /// ActiveAuthenticationInfo has a version other than 1.
    #[error("ActiveAuthenticationInfo version {version}")]
    UnsupportedInfoVersion {
        /// The version.
        version: u64,
    },
    /// The signatureAlgorithm OID of ActiveAuthenticationInfo is unknown.
    #[error("unknown AA signature algorithm {oid}")]
    UnknownSignatureAlgorithm {
        /// Dotted OID.
        oid: String,
    },
    /// A hash the policy refuses.
    #[error("hash {hash:?} not allowed by policy")]
    HashNotAllowed {
        /// The hash.
        hash: AaHash,
    },
    /// The signature length does not fit the key.
    #[error("signature of {len} bytes, expected {expected}")]
    SignatureLength {
        /// Its length.
        len: usize,
        /// The key's signature length.
        expected: usize,
    },
    /// The RSA signature is not below the modulus.
    #[error("RSA signature not below the modulus")]
    SignatureOutOfRange,
    /// The recovered message representative is malformed.
    #[error("message representative: {0}")]
    Representative(#[from] RepresentativeError),
    /// The recovered digest differs from hash(M1 ‖ challenge).
    #[error("digest mismatch")]
    DigestMismatch,
    /// The ECDSA signature cannot be decoded.
    #[error("malformed ECDSA signature of {len} bytes")]
    MalformedEcdsaSignature {
        /// Its length.
        len: usize,
    },
    /// The ECDSA signature does not verify.
    #[error("ECDSA signature does not verify")]
    EcdsaInvalid,
}

impl AaError {
    /// True when the chip's signature does not verify under the DG15 key (a wrong key or a
    /// clone); false for key, policy and configuration problems.
    pub fn is_signature_invalid(&self) -> bool {
        matches!(
            self,
            AaError::SignatureLength { .. }
                | AaError::SignatureOutOfRange
                | AaError::Representative(_)
                | AaError::DigestMismatch
                | AaError::MalformedEcdsaSignature { .. }
                | AaError::EcdsaInvalid
        )
    }
}

/// Proof that Active Authentication verified; only [`verify`] creates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AaVerified {
    algorithm: AaAlgorithm,
    challenge: [u8; 8],
    m1: Vec<u8>,
    digest: Vec<u8>,
}

impl AaVerified {
    /// The algorithm that verified.
    pub fn algorithm(&self) -> AaAlgorithm {
        self.algorithm
    }
    /// The challenge the chip signed.
    pub fn challenge(&self) -> [u8; 8] {
        self.challenge
    }
    /// The recovered chip nonce M1 (RSA only; empty for ECDSA).
    pub fn m1(&self) -> &[u8] {
        &self.m1
    }
    /// The digest that was checked.
    pub fn digest(&self) -> &[u8] {
        &self.digest
    }
}

// ---------------------------------------------------------------------------------------------
// The protocol

/// What INTERNAL AUTHENTICATE returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AaResponse {
    /// RND.IFD, the challenge sent.
    pub challenge: [u8; 8],
    /// The chip's signature.
    pub signature: Vec<u8>,
}

/// INTERNAL AUTHENTICATE for Active Authentication (Doc 9303-11 §6.1.2): a [`ChipProtocol`]
/// that sends one command and returns the signature. Run it inside
/// [`Secured`](super::Secured).
#[derive(Debug, Clone)]
pub struct ActiveAuthentication {
    challenge: [u8; 8],
    le: usize,
    sent: bool,
    done: bool,
}

impl ActiveAuthentication {
    /// A run with a fresh challenge from `rng`.
    pub fn new(rng: &mut dyn CryptoRngCore) -> Self {
        let mut c = [0u8; 8];
        rng.fill_bytes(&mut c);
        Self::with_challenge(c)
    }

    /// A run with a challenge the caller supplies (a verifier-chosen nonce, or tests).
    pub fn with_challenge(challenge: [u8; 8]) -> Self {
        ActiveAuthentication {
            challenge,
            le: 256,
            sent: false,
            done: false,
        }
    }

    /// Sets Le from the signature length the DG15 key implies: extended (Le = 65 536) when the
    /// signature is longer than 256 bytes and the reader path supports extended length;
    /// otherwise short Le = 256 (a chip may then chain the answer with `61xx`).
    pub fn for_signature_len(mut self, signature_len: usize, extended_length: bool) -> Self {
        self.le = if signature_len > 256 && extended_length {
            65_536
        } else {
            256
        };
        self
    }

    /// The challenge.
    pub fn challenge(&self) -> [u8; 8] {
        self.challenge
    }

    /// The command this protocol sends.
    pub fn command(&self) -> CommandApdu {
        CommandApdu::new(0x00, INS_INTERNAL_AUTHENTICATE, 0x00, 0x00)
            .with_data(self.challenge.to_vec())
            .with_le(self.le)
    }
}

const STEP: &str = "INTERNAL AUTHENTICATE";

impl ChipProtocol for ActiveAuthentication {
    type Output = AaResponse;

    fn resume(&mut self, response: Option<ResponseApdu>) -> Result<Step<AaResponse>, ChipError> {
        if self.done {
            return Err(ChipError::Finished);
        }
        match (self.sent, response) {
            (false, None) => {
                self.sent = true;
                Ok(Step::Transmit(self.command()))
            }
            (true, Some(r)) => {
                self.done = true;
                if !r.sw.is_success() {
                    return Err(ChipError::from_status(STEP, r.sw));
                }
                if r.data.is_empty() {
                    return Err(ChipError::Protocol {
                        step: STEP,
                        detail: "empty signature",
                    });
                }
                if r.data.len() > MAX_SIGNATURE_LEN {
                    return Err(ChipError::Protocol {
                        step: STEP,
                        detail: "signature longer than RSA-8192",
                    });
                }
                Ok(Step::Done(AaResponse {
                    challenge: self.challenge,
                    signature: r.data,
                }))
            }
            _ => {
                self.done = true;
                Err(ChipError::Protocol {
                    step: STEP,
                    detail: "resume out of order",
                })
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ISO/IEC 9796-2 message representative

/// A decoded ISO/IEC 9796-2 scheme 1 message representative `6A ‖ M1 ‖ H ‖ trailer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRepresentative<'a> {
    /// The recoverable part M1 (the chip's nonce).
    pub m1: &'a [u8],
    /// The digest H = hash(M1 ‖ M2).
    pub digest: &'a [u8],
    /// The trailer.
    pub trailer: Trailer,
}

impl MessageRepresentative<'_> {
    /// Compares H with hash(M1 ‖ `m2`) in constant time.
    pub fn matches(&self, m2: &[u8]) -> bool {
        let h = self.trailer.hash().digest(&[self.m1, m2]);
        bool::from(h.as_slice().ct_eq(self.digest))
    }
}

/// Decodes `F = 6A ‖ M1 ‖ H ‖ T` (Doc 9303-11 §6.1.2.2; ISO/IEC 9796-2 scheme 1, partial
/// recovery). Checks header, then trailer, then length.
pub fn decode_message_representative(f: &[u8]) -> Result<MessageRepresentative<'_>, AaError> {
    let (&header, rest) = f
        .split_first()
        .ok_or(RepresentativeError::TooShort { len: 0, needed: 1 })?;
    if header != HEADER_PARTIAL {
        return Err(RepresentativeError::BadHeader { found: header }.into());
    }
    let (&last, before) = rest
        .split_last()
        .ok_or(RepresentativeError::TooShort { len: 1, needed: 3 })?;
    let trailer = match last {
        TRAILER_IMPLICIT => Trailer::Implicit,
        TRAILER_EXPLICIT => {
            let id = before.last().copied().unwrap_or(0);
            Trailer::Explicit(
                AaHash::from_iso10118_id(id).ok_or(RepresentativeError::UnknownHashId { id })?,
            )
        }
        found => return Err(RepresentativeError::UnknownTrailer { found }.into()),
    };
    let t_len = trailer.bytes().len();
    let h_len = trailer.hash().len();
    let needed = 1 + 1 + h_len + t_len;
    if f.len() < needed {
        return Err(RepresentativeError::TooShort {
            len: f.len(),
            needed,
        }
        .into());
    }
    let body = f
        .get(1..f.len() - t_len)
        .ok_or(RepresentativeError::TooShort {
            len: f.len(),
            needed,
        })?;
    let (m1, digest) = body.split_at(body.len() - h_len);
    Ok(MessageRepresentative {
        m1,
        digest,
        trailer,
    })
}

/// Builds `F = 6A ‖ M1 ‖ hash(M1 ‖ m2) ‖ T` as a chip does before signing (the chip side of
/// Doc 9303-11 §6.1.2.2; used by the virtual chip and tests).
pub fn encode_message_representative(m1: &[u8], m2: &[u8], trailer: Trailer) -> Vec<u8> {
    let mut f = Vec::with_capacity(m1.len().saturating_add(70));
    f.push(HEADER_PARTIAL);
    f.extend_from_slice(m1);
    f.extend_from_slice(&trailer.hash().digest(&[m1, m2]));
    f.extend_from_slice(&trailer.bytes());
    f
}

/// Length of M1 for a `modulus_bytes`-byte modulus and `trailer` (k/8 − 1 − Lh − Lt).
pub fn m1_len(modulus_bytes: usize, trailer: Trailer) -> Option<usize> {
    modulus_bytes
        .checked_sub(1)?
        .checked_sub(trailer.hash().len())?
        .checked_sub(trailer.bytes().len())
        .filter(|n| *n > 0)
}

// ---------------------------------------------------------------------------------------------
// Verification

/// The ActiveAuthenticationInfo of EF.DG14, if any.
pub fn find_aa_info<'i, 'a>(
    infos: &'i SecurityInfos<'a>,
) -> Option<&'i ActiveAuthenticationInfo<'a>> {
    infos.infos.iter().find_map(|i| match i {
        SecurityInfo::ActiveAuthentication(a) => Some(a),
        _ => None,
    })
}

/// The signature length the key implies (RSA: modulus bytes; ECDSA: 2 × field bytes), for
/// [`ActiveAuthentication::for_signature_len`].
pub fn expected_signature_len(key: &SubjectPublicKeyInfo<'_>) -> Option<usize> {
    match &key.key {
        PublicKey::Rsa { modulus, .. } => Some(modulus.len()),
        PublicKey::Ec { .. } => ec_curve(key).ok().map(|c| c.field_len().saturating_mul(2)),
        _ => None,
    }
}

/// Verifies an Active Authentication signature with the EF.DG15 key.
pub fn verify_dg15(
    dg15: &Dg15<'_>,
    aa_info: Option<&ActiveAuthenticationInfo<'_>>,
    challenge: &[u8; 8],
    signature: &[u8],
    policy: &AaPolicy,
) -> Result<AaVerified, AaError> {
    verify(&dg15.public_key, aa_info, challenge, signature, policy)
}

/// Verifies an Active Authentication signature (Doc 9303-11 §6.1.2) over `challenge` with
/// `key` (the SubjectPublicKeyInfo of EF.DG15). `aa_info` comes from EF.DG14 and names the
/// ECDSA hash; it is not consulted for RSA, whose hash the trailer names.
pub fn verify(
    key: &SubjectPublicKeyInfo<'_>,
    aa_info: Option<&ActiveAuthenticationInfo<'_>>,
    challenge: &[u8; 8],
    signature: &[u8],
    policy: &AaPolicy,
) -> Result<AaVerified, AaError> {
    match &key.key {
        PublicKey::Rsa { modulus, exponent } => {
            verify_rsa(modulus, exponent, challenge, signature, policy)
        }
        PublicKey::Ec { point } => {
            let curve = ec_curve(key)?;
            let info = aa_info.ok_or(AaError::MissingActiveAuthenticationInfo)?;
            let hash = ecdsa_hash(info, policy)?;
            if hash == AaHash::Sha1 && !policy.allow_sha1 {
                return Err(AaError::HashNotAllowed { hash });
            }
            let digest = hash.digest(&[challenge]);
            let der_encoded = verify_ecdsa(curve, point, &digest, signature, policy)?;
            Ok(AaVerified {
                algorithm: AaAlgorithm::Ecdsa {
                    curve,
                    hash,
                    der_encoded,
                },
                challenge: *challenge,
                m1: Vec::new(),
                digest,
            })
        }
        PublicKey::Dh { .. } => Err(AaError::UnsupportedKey {
            reason: "DH key cannot sign",
        }),
        _ => Err(AaError::UnsupportedKey {
            reason: "unknown key algorithm",
        }),
    }
}

fn verify_rsa(
    modulus: &[u8],
    exponent: &[u8],
    challenge: &[u8; 8],
    signature: &[u8],
    policy: &AaPolicy,
) -> Result<AaVerified, AaError> {
    let n = BigUint::from_bytes_be(modulus);
    let bits = n.bits();
    if bits > MAX_RSA_MODULUS_BITS {
        return Err(AaError::UnsupportedKey {
            reason: "RSA modulus above 8192 bits",
        });
    }
    if bits < policy.min_rsa_modulus_bits {
        return Err(AaError::ModulusTooSmall {
            bits,
            min: policy.min_rsa_modulus_bits,
        });
    }
    let k = bits.div_ceil(8);
    if signature.len() != k {
        return Err(AaError::SignatureLength {
            len: signature.len(),
            expected: k,
        });
    }
    let key = rsa::RsaPublicKey::new_with_max_size(
        n.clone(),
        BigUint::from_bytes_be(exponent),
        MAX_RSA_MODULUS_BITS,
    )
    .map_err(|_| AaError::InvalidKey {
        reason: "RSA public exponent out of range",
    })?;
    let s = BigUint::from_bytes_be(signature);
    if s >= n {
        return Err(AaError::SignatureOutOfRange);
    }
    let j = rsa::hazmat::rsa_encrypt(&key, &s).map_err(|_| AaError::SignatureOutOfRange)?;
    // ISO/IEC 9796-2: the signature may be min(J^d, n − J^d); every valid representative ends
    // in the nibble C (trailers BC and xxCC), and n is odd, so at most one of J, n − J does.
    let (f_int, complemented) = if low_nibble(&j) == 0x0C {
        (j, false)
    } else {
        let alt = key.n() - &j;
        if policy.allow_complemented_representative && low_nibble(&alt) == 0x0C {
            (alt, true)
        } else {
            (j, false)
        }
    };
    let f = left_pad(&f_int.to_bytes_be(), k);
    let rep = decode_message_representative(&f)?;
    let hash = rep.trailer.hash();
    if hash == AaHash::Sha1 && !policy.allow_sha1 {
        return Err(AaError::HashNotAllowed { hash });
    }
    if !rep.matches(challenge) {
        return Err(AaError::DigestMismatch);
    }
    Ok(AaVerified {
        algorithm: AaAlgorithm::RsaIso9796_2 {
            modulus_bits: bits,
            trailer: rep.trailer,
            complemented,
        },
        challenge: *challenge,
        m1: rep.m1.to_vec(),
        digest: rep.digest.to_vec(),
    })
}

fn low_nibble(x: &BigUint) -> u8 {
    x.to_bytes_le().first().copied().unwrap_or(0) & 0x0F
}

fn left_pad(b: &[u8], k: usize) -> Vec<u8> {
    let mut out = vec![0u8; k.saturating_sub(b.len())];
    out.extend_from_slice(b);
    out
}

fn ec_curve(key: &SubjectPublicKeyInfo<'_>) -> Result<AaCurve, AaError> {
    match &key.algorithm.domain {
        DomainParameters::NamedCurve(oid) => {
            AaCurve::from_named(&oid.dotted()).ok_or(AaError::UnsupportedKey {
                reason: "EC curve not supported for Active Authentication",
            })
        }
        DomainParameters::Standardized(id) => {
            AaCurve::from_standardized(*id).ok_or(AaError::UnsupportedKey {
                reason: "standardized domain parameters not supported for Active Authentication",
            })
        }
        DomainParameters::ExplicitEc(_) => Err(AaError::UnsupportedKey {
            reason: "explicit EC domain parameters (needs the shared curve table)",
        }),
        _ => Err(AaError::InvalidKey {
            reason: "EC key without domain parameters",
        }),
    }
}

/// The hash named by ActiveAuthenticationInfo.signatureAlgorithm: ecdsa-plain-SHAx
/// (BSI TR-03111 §5.2.1, 0.4.0.127.0.7.1.1.4.1.x) and, by policy, X9.62 ecdsa-with-SHAx.
fn ecdsa_hash(info: &ActiveAuthenticationInfo<'_>, policy: &AaPolicy) -> Result<AaHash, AaError> {
    if info.version != 1 {
        return Err(AaError::UnsupportedInfoVersion {
            version: info.version,
        });
    }
    let dotted = info.signature_algorithm.dotted();
    let plain = match dotted.as_str() {
        "0.4.0.127.0.7.1.1.4.1.1" => Some(AaHash::Sha1),
        "0.4.0.127.0.7.1.1.4.1.2" => Some(AaHash::Sha224),
        "0.4.0.127.0.7.1.1.4.1.3" => Some(AaHash::Sha256),
        "0.4.0.127.0.7.1.1.4.1.4" => Some(AaHash::Sha384),
        "0.4.0.127.0.7.1.1.4.1.5" => Some(AaHash::Sha512),
        _ => None,
    };
    let x962 = match dotted.as_str() {
        "1.2.840.10045.4.1" => Some(AaHash::Sha1),
        "1.2.840.10045.4.3.1" => Some(AaHash::Sha224),
        "1.2.840.10045.4.3.2" => Some(AaHash::Sha256),
        "1.2.840.10045.4.3.3" => Some(AaHash::Sha384),
        "1.2.840.10045.4.3.4" => Some(AaHash::Sha512),
        _ => None,
    }
    .filter(|_| policy.allow_x962_signature_oids);
    plain
        .or(x962)
        .ok_or(AaError::UnknownSignatureAlgorithm { oid: dotted })
}

/// Verifies; returns whether the signature was DER.
fn verify_ecdsa(
    curve: AaCurve,
    point: &[u8],
    digest: &[u8],
    signature: &[u8],
    policy: &AaPolicy,
) -> Result<bool, AaError> {
    let fl = curve.field_len();
    let (plain, der) = if signature.len() == fl.saturating_mul(2) {
        (signature.to_vec(), false)
    } else if policy.allow_der_ecdsa && signature.first() == Some(&0x30) {
        (der_to_plain(signature, fl)?, true)
    } else {
        return Err(AaError::MalformedEcdsaSignature {
            len: signature.len(),
        });
    };
    match curve {
        AaCurve::P256 => ecdsa_generic::<p256::NistP256>(point, digest, &plain)?,
        AaCurve::P384 => ecdsa_generic::<p384::NistP384>(point, digest, &plain)?,
        AaCurve::P521 => ecdsa_generic::<p521::NistP521>(point, digest, &plain)?,
        AaCurve::BrainpoolP256r1 => brainpool::verify_p256r1(point, digest, &plain)?,
        AaCurve::BrainpoolP384r1 => brainpool::verify_p384r1(point, digest, &plain)?,
    }
    Ok(der)
}

fn ecdsa_generic<C>(point: &[u8], digest: &[u8], plain: &[u8]) -> Result<(), AaError>
where
    C: ecdsa::PrimeCurve + ecdsa::elliptic_curve::CurveArithmetic,
    ecdsa::SignatureSize<C>: ecdsa::elliptic_curve::generic_array::ArrayLength<u8>,
    ecdsa::elliptic_curve::AffinePoint<C>: ecdsa::elliptic_curve::sec1::FromEncodedPoint<C>
        + ecdsa::elliptic_curve::sec1::ToEncodedPoint<C>,
    ecdsa::elliptic_curve::FieldBytesSize<C>: ecdsa::elliptic_curve::sec1::ModulusSize,
{
    use ecdsa::elliptic_curve::generic_array::typenum::Unsigned;
    let q = ecdsa::elliptic_curve::PublicKey::<C>::from_sec1_bytes(point).map_err(|_| {
        AaError::InvalidKey {
            reason: "EC point not on the curve",
        }
    })?;
    let sig = ecdsa::Signature::<C>::from_slice(plain)
        .map_err(|_| AaError::MalformedEcdsaSignature { len: plain.len() })?;
    // bits2field refuses digests shorter than half the field (SHA-1 on P-384); left-padding
    // gives the same integer, as ECDSA (SEC 1 §4.1.4 step 5) requires.
    let fl = <ecdsa::elliptic_curve::FieldBytesSize<C> as Unsigned>::USIZE;
    let padded;
    let z_in = if digest.len() < fl {
        padded = left_pad(digest, fl);
        padded.as_slice()
    } else {
        digest
    };
    let z = ecdsa::hazmat::bits2field::<C>(z_in).map_err(|_| AaError::EcdsaInvalid)?;
    ecdsa::hazmat::verify_prehashed::<C>(&q.to_projective(), &z, &sig)
        .map_err(|_| AaError::EcdsaInvalid)
}

/// brainpool curves: the project's one implementation is in `pa::algorithms::brainpool`.
mod brainpool {
    use super::{left_pad, AaError};
    use crate::pa::algorithms::{brainpool as bp, AlgError};

    fn map(e: AlgError) -> AaError {
        match e {
            AlgError::BadSignature => AaError::EcdsaInvalid,
            _ => AaError::InvalidKey {
                reason: "EC point not on the curve or malformed signature",
            },
        }
    }

    fn pad(digest: &[u8], fl: usize) -> Vec<u8> {
        if digest.len() < fl {
            left_pad(digest, fl)
        } else {
            digest.to_vec()
        }
    }

    pub(super) fn verify_p256r1(point: &[u8], digest: &[u8], plain: &[u8]) -> Result<(), AaError> {
        if plain.len() != 64 {
            return Err(AaError::MalformedEcdsaSignature { len: plain.len() });
        }
        bp::verify_p256r1(point, &pad(digest, 32), plain).map_err(map)
    }

    pub(super) fn verify_p384r1(point: &[u8], digest: &[u8], plain: &[u8]) -> Result<(), AaError> {
        if plain.len() != 96 {
            return Err(AaError::MalformedEcdsaSignature { len: plain.len() });
        }
        bp::verify_p384r1(point, &pad(digest, 48), plain).map_err(map)
    }
}

/// `SEQUENCE { INTEGER r, INTEGER s }` to plain `r ‖ s`, each left-padded to `fl` bytes.
fn der_to_plain(der: &[u8], fl: usize) -> Result<Vec<u8>, AaError> {
    let bad = || AaError::MalformedEcdsaSignature { len: der.len() };
    let limits = crate::tlv::Limits {
        max_depth: 2,
        max_len: 256,
        allow_indefinite: false,
        strict_der: true,
    };
    let mut r = crate::tlv::Reader::with_limits(der, limits);
    let seq = r.expect(0x30).map_err(|_| bad())?;
    r.finish().map_err(|_| bad())?;
    let mut c = seq.children().map_err(|_| bad())?;
    let mut out = Vec::with_capacity(fl.saturating_mul(2));
    for _ in 0..2 {
        let i = c.expect(0x02).map_err(|_| bad())?;
        let v = i.value;
        // Positive, minimal, at most fl significant bytes.
        let mag = match v {
            [0x00, rest @ ..] if rest.first().is_some_and(|b| b & 0x80 != 0) => rest,
            [first, ..] if first & 0x80 == 0 && (*first != 0 || v.len() == 1) => v,
            _ => return Err(bad()),
        };
        if mag.len() > fl {
            return Err(bad());
        }
        out.extend_from_slice(&left_pad(mag, fl));
    }
    c.finish().map_err(|_| bad())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn hash_ids_round_trip() {
        for hsh in [
            AaHash::Sha1,
            AaHash::Sha224,
            AaHash::Sha256,
            AaHash::Sha384,
            AaHash::Sha512,
        ] {
            assert_eq!(AaHash::from_iso10118_id(hsh.iso10118_id()), Some(hsh));
            assert_eq!(hsh.digest(&[b"x"]).len(), hsh.len());
        }
    }

    #[test]
    fn encode_then_decode() {
        let f =
            encode_message_representative(&[1, 2, 3], &[9; 8], Trailer::Explicit(AaHash::Sha256));
        let r = decode_message_representative(&f).unwrap();
        assert_eq!(r.m1, &[1, 2, 3]);
        assert!(r.matches(&[9; 8]));
        assert!(!r.matches(&[8; 8]));
        assert_eq!(m1_len(128, Trailer::Implicit), Some(106));
        assert_eq!(m1_len(22, Trailer::Implicit), None);
    }

    #[test]
    fn empty_and_tiny_representatives_are_errors() {
        assert!(decode_message_representative(&[]).is_err());
        assert!(decode_message_representative(&[0x6A]).is_err());
        assert!(decode_message_representative(&[0x6A, 0xBC]).is_err());
        assert!(decode_message_representative(&[0x6A, 0xCC]).is_err());
    }

    #[test]
    fn der_signature_conversion() {
        // r = 0x0100, s = 0xFF (leading zero needed: top bit set).
        let plain = der_to_plain(&h("30080202010002020 0FF".replace(' ', "").as_str()), 4);
        assert_eq!(plain.unwrap(), h("00000100000000FF"));
        // Non-minimal INTEGER, negative INTEGER, trailing data.
        assert!(der_to_plain(&h("300802020001020200FF"), 4).is_err());
        assert!(der_to_plain(&h("30060201FF020101"), 4).is_err());
        assert!(der_to_plain(&h("30060201010201010000"), 4).is_err());
    }

    #[test]
    fn protocol_sends_one_command_and_maps_status() {
        let mut p = ActiveAuthentication::with_challenge([1, 2, 3, 4, 5, 6, 7, 8]);
        let Step::Transmit(c) = p.resume(None).unwrap() else {
            panic!()
        };
        assert_eq!(c.encode(), h("0088000008010203040506070800"));
        let out = p
            .resume(Some(ResponseApdu::new(
                vec![7; 128],
                crate::apdu::StatusWord(0x9000),
            )))
            .unwrap();
        assert!(
            matches!(out, Step::Done(AaResponse { ref signature, .. }) if signature.len() == 128)
        );
        assert_eq!(p.resume(None), Err(ChipError::Finished));
        let mut p = ActiveAuthentication::with_challenge([0; 8]);
        let _ = p.resume(None).unwrap();
        let e = p
            .resume(Some(ResponseApdu::new(
                vec![],
                crate::apdu::StatusWord(0x6D00),
            )))
            .unwrap_err();
        assert!(matches!(e, ChipError::Status { .. }));
        let ext = ActiveAuthentication::with_challenge([0; 8]).for_signature_len(512, true);
        assert!(ext.command().is_extended());
        let short = ActiveAuthentication::with_challenge([0; 8]).for_signature_len(512, false);
        assert!(!short.command().is_extended());
    }
}
