//! Signature and digest primitives for Passive Authentication (Doc 9303-12 §4, RFC 5652,
//! RFC 4055, RFC 5758, BSI TR-03111 §5.2.1 plain ECDSA) and later Active Authentication.
//!
//! Everything is an explicit allow-list (pitfalls #7, #8): MD5 and unknown OIDs fail, SHA-1 is
//! accepted but flagged. Messages are hashed here and handed to the `rsa` / RustCrypto ECDSA
//! crates as prehashes, so their digest-crate versions never matter.
//!
//! The explicit-EC-parameter table ([`CURVES`]) is the project's one place for curve constants:
//! explicit parameters map to a named curve only when p, a, b, G, n and h all match an entry
//! byte for byte (pitfalls #6, CurveBall); there is no "closest curve" fallback.

use crate::lds::asn1::{self, Cursor};
use crate::lds::spki::{self, AlgorithmIdentifier, DomainParameters, PublicKey};
use crate::lds::FileId;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

pub mod prime_curve;

/// Why an algorithm step failed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlgError {
    /// The algorithm is known and forbidden (MD5, RSA below the minimum size...).
    #[error("algorithm not allowed: {what}")]
    Disallowed {
        /// What was refused.
        what: String,
    },
    /// The algorithm is unknown or not implemented (e.g. an unknown curve OID).
    #[error("unsupported algorithm: {what}")]
    Unsupported {
        /// What is unsupported.
        what: String,
    },
    /// Explicit EC parameters that match no table entry (CurveBall, pitfalls #6).
    #[error("explicit EC parameters match no known curve: {reason}")]
    UnknownExplicitCurve {
        /// Which field differed from the entry with the same prime, or why none applies.
        reason: &'static str,
    },
    /// A key, parameter or signature encoding is malformed.
    #[error("malformed {what}")]
    Malformed {
        /// Which encoding.
        what: &'static str,
    },
    /// The signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
}

/// A digest algorithm on the allow-list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum DigestAlg {
    /// SHA-1: accepted for legacy documents (TR-03105-5.1 DPRCTD-SHA1) with a warning.
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

/// id-md5 (RFC 1321), refused.
pub const OID_MD5: &str = "1.2.840.113549.2.5";

impl DigestAlg {
    /// From a digest OID (dotted). MD5 is `Disallowed`, anything else unknown `Unsupported`.
    pub fn from_dotted(d: &str) -> Result<Self, AlgError> {
        Ok(match d {
            "1.3.14.3.2.26" => DigestAlg::Sha1,
            "2.16.840.1.101.3.4.2.4" => DigestAlg::Sha224,
            "2.16.840.1.101.3.4.2.1" => DigestAlg::Sha256,
            "2.16.840.1.101.3.4.2.2" => DigestAlg::Sha384,
            "2.16.840.1.101.3.4.2.3" => DigestAlg::Sha512,
            OID_MD5 => {
                return Err(AlgError::Disallowed { what: "MD5".into() });
            }
            other => {
                return Err(AlgError::Unsupported {
                    what: format!("digest {other}"),
                })
            }
        })
    }

    /// From a digest AlgorithmIdentifier.
    pub fn from_identifier(a: &AlgorithmIdentifier<'_>) -> Result<Self, AlgError> {
        Self::from_dotted(a.algorithm.dotted_small().as_str())
    }

    /// The dotted OID.
    pub fn dotted(self) -> &'static str {
        match self {
            DigestAlg::Sha1 => "1.3.14.3.2.26",
            DigestAlg::Sha224 => "2.16.840.1.101.3.4.2.4",
            DigestAlg::Sha256 => "2.16.840.1.101.3.4.2.1",
            DigestAlg::Sha384 => "2.16.840.1.101.3.4.2.2",
            DigestAlg::Sha512 => "2.16.840.1.101.3.4.2.3",
        }
    }

    /// The digest length in bytes.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(self) -> usize {
        match self {
            DigestAlg::Sha1 => 20,
            DigestAlg::Sha224 => 28,
            DigestAlg::Sha256 => 32,
            DigestAlg::Sha384 => 48,
            DigestAlg::Sha512 => 64,
        }
    }

    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            DigestAlg::Sha1 => "SHA-1",
            DigestAlg::Sha224 => "SHA-224",
            DigestAlg::Sha256 => "SHA-256",
            DigestAlg::Sha384 => "SHA-384",
            DigestAlg::Sha512 => "SHA-512",
        }
    }

    /// True for SHA-1 (weak, accepted with a warning).
    pub fn is_weak(self) -> bool {
        self == DigestAlg::Sha1
    }

    /// Hashes `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            DigestAlg::Sha1 => Sha1::digest(data).to_vec(),
            DigestAlg::Sha224 => Sha224::digest(data).to_vec(),
            DigestAlg::Sha256 => Sha256::digest(data).to_vec(),
            DigestAlg::Sha384 => Sha384::digest(data).to_vec(),
            DigestAlg::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// The DER DigestInfo prefix for PKCS #1 v1.5 (RFC 8017 §9.2 note 1).
    pub fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            DigestAlg::Sha1 => &[
                0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
                0x14,
            ],
            DigestAlg::Sha224 => &[
                0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x04, 0x05, 0x00, 0x04, 0x1c,
            ],
            DigestAlg::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            DigestAlg::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            DigestAlg::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }
}

/// How an ECDSA signature value is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum EcdsaFormat {
    /// `ECDSA-Sig-Value ::= SEQUENCE { r, s }` (X9.62 OIDs).
    Der,
    /// r || s, each the size of the order (BSI TR-03111 plain OIDs 0.4.0.127.0.7.1.1.4.1.x).
    Plain,
}

/// A signature scheme with every parameter fixed by its AlgorithmIdentifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum SignatureScheme {
    /// RSASSA-PKCS1-v1_5 (RFC 8017 §8.2).
    RsaPkcs1 {
        /// The hash.
        hash: DigestAlg,
    },
    /// RSASSA-PSS (RFC 4055) with MGF1 over the same hash.
    RsaPss {
        /// The message hash.
        hash: DigestAlg,
        /// The salt length in bytes.
        salt_len: usize,
    },
    /// ECDSA.
    Ecdsa {
        /// The hash.
        hash: DigestAlg,
        /// The signature encoding.
        format: EcdsaFormat,
    },
    /// DSA (FIPS 186-4), signature `Dss-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }`.
    Dsa {
        /// The hash.
        hash: DigestAlg,
    },
}

impl SignatureScheme {
    /// The hash the scheme applies to the message.
    pub fn hash(&self) -> DigestAlg {
        match *self {
            SignatureScheme::RsaPkcs1 { hash }
            | SignatureScheme::RsaPss { hash, .. }
            | SignatureScheme::Ecdsa { hash, .. }
            | SignatureScheme::Dsa { hash } => hash,
        }
    }

    /// A short readable name.
    pub fn describe(&self) -> String {
        match self {
            SignatureScheme::RsaPkcs1 { hash } => format!("RSA PKCS#1 v1.5 with {}", hash.name()),
            SignatureScheme::RsaPss { hash, salt_len } => {
                format!(
                    "RSASSA-PSS with {} (MGF1 {}, salt {salt_len})",
                    hash.name(),
                    hash.name()
                )
            }
            SignatureScheme::Ecdsa { hash, format } => format!(
                "ECDSA with {} ({})",
                hash.name(),
                match format {
                    EcdsaFormat::Der => "X9.62",
                    EcdsaFormat::Plain => "plain",
                }
            ),
            SignatureScheme::Dsa { hash } => format!("DSA with {}", hash.name()),
        }
    }

    /// Reads a signature AlgorithmIdentifier. `digest_hint` is the hash to use when the OID is
    /// bare `rsaEncryption` (seen as a CMS signature algorithm, TR-03105 LDS_H_79..83): the
    /// SignerInfo digestAlgorithm.
    pub fn from_identifier(
        a: &AlgorithmIdentifier<'_>,
        digest_hint: Option<DigestAlg>,
    ) -> Result<Self, AlgError> {
        use DigestAlg::*;
        let small = a.algorithm.dotted_small();
        let d = small.as_str();
        let rsa = |hash| Ok(SignatureScheme::RsaPkcs1 { hash });
        let ec = |hash, format| Ok(SignatureScheme::Ecdsa { hash, format });
        match d {
            "1.2.840.113549.1.1.1" => match digest_hint {
                Some(h) => rsa(h),
                None => Err(AlgError::Unsupported {
                    what: "rsaEncryption without a digest algorithm".into(),
                }),
            },
            "1.2.840.113549.1.1.5" => rsa(Sha1),
            "1.2.840.113549.1.1.14" => rsa(Sha224),
            "1.2.840.113549.1.1.11" => rsa(Sha256),
            "1.2.840.113549.1.1.12" => rsa(Sha384),
            "1.2.840.113549.1.1.13" => rsa(Sha512),
            "1.2.840.113549.1.1.4" | "1.2.840.113549.1.1.2" | "1.2.840.113549.1.1.3" => {
                Err(AlgError::Disallowed {
                    what: format!("MD2/MD4/MD5 with RSA ({d})"),
                })
            }
            "1.2.840.113549.1.1.10" => pss_params(a),
            "1.2.840.10045.4.1" => ec(Sha1, EcdsaFormat::Der),
            "1.2.840.10045.4.3.1" => ec(Sha224, EcdsaFormat::Der),
            "1.2.840.10045.4.3.2" => ec(Sha256, EcdsaFormat::Der),
            "1.2.840.10045.4.3.3" => ec(Sha384, EcdsaFormat::Der),
            "1.2.840.10045.4.3.4" => ec(Sha512, EcdsaFormat::Der),
            "0.4.0.127.0.7.1.1.4.1.1" => ec(Sha1, EcdsaFormat::Plain),
            "0.4.0.127.0.7.1.1.4.1.2" => ec(Sha224, EcdsaFormat::Plain),
            "0.4.0.127.0.7.1.1.4.1.3" => ec(Sha256, EcdsaFormat::Plain),
            "0.4.0.127.0.7.1.1.4.1.4" => ec(Sha384, EcdsaFormat::Plain),
            "0.4.0.127.0.7.1.1.4.1.5" => ec(Sha512, EcdsaFormat::Plain),
            // id-dsa-with-sha1 (RFC 3279), dsa-with-sha224/256 (RFC 5758).
            "1.2.840.10040.4.3" => Ok(SignatureScheme::Dsa { hash: Sha1 }),
            "2.16.840.1.101.3.4.3.1" => Ok(SignatureScheme::Dsa { hash: Sha224 }),
            "2.16.840.1.101.3.4.3.2" => Ok(SignatureScheme::Dsa { hash: Sha256 }),
            _ => Err(AlgError::Unsupported {
                what: format!("signature algorithm {}", a.algorithm.dotted()),
            }),
        }
    }
}

/// RSASSA-PSS-params (RFC 4055 §3.1): hashAlgorithm [0] (default SHA-1), maskGenAlgorithm [1]
/// (default MGF1 with SHA-1), saltLength [2] (default 20), trailerField [3] (must be 1).
fn pss_params(a: &AlgorithmIdentifier<'_>) -> Result<SignatureScheme, AlgError> {
    let bad = || AlgError::Malformed {
        what: "RSASSA-PSS parameters",
    };
    let mut hash = DigestAlg::Sha1;
    let mut mgf_hash = DigestAlg::Sha1;
    let mut salt_len: u64 = 20;
    if let Some(raw) = a.parameters_raw {
        let mut c = Cursor::new(raw, FileId::Sod, asn1::DER);
        let (_, mut s) = c.sequence().map_err(|_| bad())?;
        c.finish().map_err(|_| bad())?;
        while let Some(t) = s.next().map_err(|_| bad())? {
            let mut inner = s.children(&t).map_err(|_| bad())?;
            match t.tag.0 {
                0xA0 => {
                    let h = spki::algorithm_identifier(&mut inner).map_err(|_| bad())?;
                    hash = DigestAlg::from_identifier(&h)?;
                }
                0xA1 => {
                    let m = spki::algorithm_identifier(&mut inner).map_err(|_| bad())?;
                    if m.algorithm.dotted() != "1.2.840.113549.1.1.8" {
                        return Err(AlgError::Unsupported {
                            what: format!("PSS mask generation {}", m.algorithm.dotted()),
                        });
                    }
                    let p = m.parameters_raw.ok_or_else(bad)?;
                    let mut pc = Cursor::new(p, FileId::Sod, asn1::DER);
                    let h = spki::algorithm_identifier(&mut pc).map_err(|_| bad())?;
                    mgf_hash = DigestAlg::from_identifier(&h)?;
                }
                0xA2 => salt_len = inner.uint().map_err(|_| bad())?,
                0xA3 => {
                    if inner.uint().map_err(|_| bad())? != 1 {
                        return Err(bad());
                    }
                }
                _ => return Err(bad()),
            }
            inner.finish().map_err(|_| bad())?;
        }
    }
    // The rsa crate uses one hash for both; a differing MGF1 hash is refused, never guessed.
    if mgf_hash != hash {
        return Err(AlgError::Unsupported {
            what: format!(
                "RSASSA-PSS with MGF1 hash {} differing from {}",
                mgf_hash.name(),
                hash.name()
            ),
        });
    }
    let salt_len = usize::try_from(salt_len)
        .ok()
        .filter(|s| *s <= 1024)
        .ok_or_else(bad)?;
    Ok(SignatureScheme::RsaPss { hash, salt_len })
}

/// A named curve known to the verifier (SEC 2, RFC 5639).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[allow(missing_docs)]
pub enum NamedCurve {
    P224,
    P256,
    P384,
    P521,
    BrainpoolP192r1,
    BrainpoolP224r1,
    BrainpoolP256r1,
    BrainpoolP320r1,
    BrainpoolP384r1,
    BrainpoolP512r1,
}

impl NamedCurve {
    /// The table entry of this curve.
    pub fn params(self) -> Option<&'static CurveParams> {
        CURVES.iter().find(|c| c.curve == self)
    }

    /// True when this build can verify signatures on the curve: every curve of the table
    /// (brainpoolP256r1/384r1 through the bp256/bp384 0.14 crates, the other Brainpool curves
    /// through [`prime_curve`]).
    pub fn is_supported(self) -> bool {
        matches!(
            self,
            NamedCurve::P224
                | NamedCurve::P256
                | NamedCurve::P384
                | NamedCurve::P521
                | NamedCurve::BrainpoolP192r1
                | NamedCurve::BrainpoolP224r1
                | NamedCurve::BrainpoolP256r1
                | NamedCurve::BrainpoolP320r1
                | NamedCurve::BrainpoolP384r1
                | NamedCurve::BrainpoolP512r1
        )
    }

    /// The curve with this OID (dotted).
    pub fn from_dotted(d: &str) -> Option<Self> {
        CURVES.iter().find(|c| c.oid == d).map(|c| c.curve)
    }
}

/// Domain parameters of a named curve, as uppercase hex: p and n as unsigned big-endian without
/// leading zeros, a and b as field-size octet strings, G uncompressed (04 || x || y).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct CurveParams {
    pub curve: NamedCurve,
    pub oid: &'static str,
    pub p: &'static str,
    pub a: &'static str,
    pub b: &'static str,
    pub g: &'static str,
    pub n: &'static str,
    pub h: u64,
}

impl CurveParams {
    /// The values as bytes: (p, a, b, G, n).
    pub fn bytes(&self) -> [Vec<u8>; 5] {
        let d = |s: &str| hex::decode(s).unwrap_or_default();
        [d(self.p), d(self.a), d(self.b), d(self.g), d(self.n)]
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let skip = b.iter().take_while(|x| **x == 0).count();
    b.get(skip..).unwrap_or(&[])
}

/// Maps explicit X9.62 parameters to a named curve only if every field matches an entry of
/// [`CURVES`] exactly (p, a, b, G uncompressed, n, h; the seed is ignored).
pub fn curve_from_explicit(e: &spki::EcParameters<'_>) -> Result<NamedCurve, AlgError> {
    let fail = |reason| Err(AlgError::UnknownExplicitCurve { reason });
    if e.version != 1 || e.field_type.dotted() != "1.2.840.10045.1.1" {
        return fail("not a version-1 prime-field curve");
    }
    let p = strip_zeros(e.p);
    let Some(entry) = CURVES
        .iter()
        .find(|c| hex::decode(c.p).is_ok_and(|cp| cp == p))
    else {
        return fail("prime p matches no known curve");
    };
    let eq = |hexs: &str, got: &[u8]| hex::decode(hexs).is_ok_and(|v| v == got);
    if !eq(entry.a, e.a) {
        return fail("coefficient a differs");
    }
    if !eq(entry.b, e.b) {
        return fail("coefficient b differs");
    }
    if !eq(entry.g, e.g) {
        return fail("base point G differs (or is not uncompressed)");
    }
    if !eq(entry.n, strip_zeros(e.n)) {
        return fail("order n differs");
    }
    let h_ok =
        e.h.is_some_and(|h| strip_zeros(h) == strip_zeros(&entry.h.to_be_bytes()));
    if !h_ok {
        return fail("cofactor h differs or is absent");
    }
    Ok(entry.curve)
}

/// A public key ready for verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyingKey {
    /// RSA.
    Rsa(rsa::RsaPublicKey),
    /// An EC point on a named curve (SEC 1 encoding, decoded and checked on use).
    Ec {
        /// The curve.
        curve: NamedCurve,
        /// The encoded point.
        point: Vec<u8>,
        /// True when the key carried explicit parameters that matched the table.
        explicit: bool,
    },
    /// DSA (id-dsa 1.2.840.10040.4.1 with Dss-Parms).
    Dsa(DsaKey),
}

/// A DSA public key (FIPS 186-4 §4.1) whose sizes are within [`DSA_MAX_P_BITS`] and the
/// q sizes FIPS 186-4 allows, so that verification cost is bounded for hostile keys.
#[derive(Debug, Clone)]
pub struct DsaKey(Box<dsa::VerifyingKey>);

impl PartialEq for DsaKey {
    fn eq(&self, o: &Self) -> bool {
        self.0 == o.0
    }
}
impl Eq for DsaKey {}

/// Largest DSA p accepted (FIPS 186-4 §4.2 defines L up to 3072).
pub const DSA_MAX_P_BITS: usize = 3072;
/// id-dsa.
const OID_DSA: &str = "1.2.840.10040.4.1";

impl DsaKey {
    /// From Dss-Parms (`SEQUENCE { p, q, g }`, the AlgorithmIdentifier parameters) and the
    /// subjectPublicKey bytes (`INTEGER y`).
    fn from_parts(params: &[u8], key: &[u8]) -> Result<Self, AlgError> {
        let bad = || AlgError::Malformed {
            what: "DSA public key",
        };
        let mut c = Cursor::new(params, FileId::Sod, asn1::DER);
        let (_, mut s) = c.sequence().map_err(|_| bad())?;
        c.finish().map_err(|_| bad())?;
        let p = s.integer().map_err(|_| bad())?;
        let q = s.integer().map_err(|_| bad())?;
        let g = s.integer().map_err(|_| bad())?;
        s.finish().map_err(|_| bad())?;
        let mut k = Cursor::new(key, FileId::Sod, asn1::DER);
        let y = k.integer().map_err(|_| bad())?;
        k.finish().map_err(|_| bad())?;
        if [&p, &q, &g, &y].iter().any(|i| i.is_negative()) {
            return Err(bad());
        }
        let big = |i: &asn1::Integer<'_>| dsa::BigUint::from_bytes_be(i.unsigned_bytes());
        let (p, q, g, y) = (big(&p), big(&q), big(&g), big(&y));
        let (pb, qb) = (bits_of(&p), bits_of(&q));
        if pb > DSA_MAX_P_BITS || !matches!(qb, 160 | 224 | 256) {
            return Err(AlgError::Unsupported {
                what: format!("DSA key sizes L={pb} N={qb} (FIPS 186-4)"),
            });
        }
        let comp = dsa::Components::from_components(p, q, g).map_err(|_| bad())?;
        dsa::VerifyingKey::from_components(comp, y)
            .map(|k| DsaKey(Box::new(k)))
            .map_err(|_| bad())
    }

    fn p_bits(&self) -> usize {
        bits_of(self.0.components().p())
    }
}

fn bits_of(n: &dsa::BigUint) -> usize {
    n.bits()
}

impl VerifyingKey {
    /// Reads a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, AlgError> {
        let bad = || AlgError::Malformed {
            what: "SubjectPublicKeyInfo",
        };
        let mut c = Cursor::new(der, FileId::Sod, asn1::DER);
        let s = spki::subject_public_key_info(&mut c).map_err(|_| bad())?;
        c.finish().map_err(|_| bad())?;
        Self::from_spki(&s)
    }

    /// From a parsed SubjectPublicKeyInfo.
    pub fn from_spki(s: &spki::SubjectPublicKeyInfo<'_>) -> Result<Self, AlgError> {
        match &s.key {
            PublicKey::Rsa { modulus, exponent } => {
                let n = rsa::BigUint::from_bytes_be(modulus);
                let e = rsa::BigUint::from_bytes_be(exponent);
                rsa::RsaPublicKey::new_with_max_size(n, e, 8192)
                    .map(VerifyingKey::Rsa)
                    .map_err(|_| AlgError::Malformed {
                        what: "RSA public key",
                    })
            }
            PublicKey::Ec { point } => {
                if s.algorithm.algorithm.as_bytes() != crate::lds::oid::EC_PUBLIC_KEY {
                    return Err(AlgError::Unsupported {
                        what: format!("EC key algorithm {}", s.algorithm.algorithm.dotted()),
                    });
                }
                let (curve, explicit) = match &s.algorithm.domain {
                    DomainParameters::NamedCurve(o) => (
                        NamedCurve::from_dotted(&o.dotted()).ok_or_else(|| {
                            AlgError::Unsupported {
                                what: format!("named curve {}", o.dotted()),
                            }
                        })?,
                        false,
                    ),
                    DomainParameters::ExplicitEc(e) => (curve_from_explicit(e)?, true),
                    _ => {
                        return Err(AlgError::Malformed {
                            what: "EC domain parameters",
                        })
                    }
                };
                Ok(VerifyingKey::Ec {
                    curve,
                    point: point.to_vec(),
                    explicit,
                })
            }
            _ if s.algorithm.algorithm.dotted() == OID_DSA => {
                let params = s.algorithm.parameters_raw.ok_or(AlgError::Unsupported {
                    what: "DSA key without Dss-Parms (inherited parameters)".into(),
                })?;
                DsaKey::from_parts(params, s.subject_public_key.bytes).map(VerifyingKey::Dsa)
            }
            _ => Err(AlgError::Unsupported {
                what: format!("key algorithm {}", s.algorithm.algorithm.dotted()),
            }),
        }
    }

    /// Key size in bits (RSA modulus or curve order).
    pub fn bits(&self) -> usize {
        use rsa::traits::PublicKeyParts;
        match self {
            VerifyingKey::Rsa(k) => k.n().bits(),
            VerifyingKey::Ec { curve, .. } => curve
                .params()
                .and_then(|p| hex::decode(p.n).ok())
                .map(|n| n.len().saturating_mul(8))
                .unwrap_or(0),
            VerifyingKey::Dsa(k) => k.p_bits(),
        }
    }

    /// A short description, e.g. "RSA-2048" or "EC BrainpoolP256r1 (explicit)".
    pub fn describe(&self) -> String {
        match self {
            VerifyingKey::Rsa(_) => format!("RSA-{}", self.bits()),
            VerifyingKey::Ec {
                curve, explicit, ..
            } => format!("EC {curve:?}{}", if *explicit { " (explicit)" } else { "" }),
            VerifyingKey::Dsa(k) => format!("DSA-{}", k.p_bits()),
        }
    }
}

/// Verifies `signature` over `message` with `key` under `scheme`. RSA keys below
/// `min_rsa_bits` fail as `Disallowed`.
pub fn verify(
    key: &VerifyingKey,
    scheme: &SignatureScheme,
    message: &[u8],
    signature: &[u8],
    min_rsa_bits: usize,
) -> Result<(), AlgError> {
    if let VerifyingKey::Rsa(k) = key {
        // The size floor is policy: applied before any verification.
        check_rsa_size(k, min_rsa_bits)?;
    }
    // ring covers the common cases with assembly (RSA 2048-8192 PKCS#1 v1.5 and PSS with
    // salt = hash length, ECDSA P-256/P-384). A ring refusal does not tell a bad signature
    // from a shape ring does not take (exponent, key size, point encoding), so only its
    // success is final; everything else gets the RustCrypto answer below.
    if ring_fast_path(key, scheme, message, signature) {
        return Ok(());
    }
    let hashed = scheme.hash().digest(message);
    verify_prehashed(key, scheme, &hashed, signature, min_rsa_bits)
}

/// True when ring verifies `signature`; false when it does not or cannot.
fn ring_fast_path(
    key: &VerifyingKey,
    scheme: &SignatureScheme,
    message: &[u8],
    signature: &[u8],
) -> bool {
    use ring::signature as rs;
    match (key, scheme) {
        (VerifyingKey::Rsa(k), _) => {
            use rsa::traits::PublicKeyParts;
            let alg: &rs::RsaParameters = match *scheme {
                SignatureScheme::RsaPkcs1 { hash } => match hash {
                    DigestAlg::Sha1 => &rs::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
                    DigestAlg::Sha256 => &rs::RSA_PKCS1_2048_8192_SHA256,
                    DigestAlg::Sha384 => &rs::RSA_PKCS1_2048_8192_SHA384,
                    DigestAlg::Sha512 => &rs::RSA_PKCS1_2048_8192_SHA512,
                    DigestAlg::Sha224 => return false,
                },
                SignatureScheme::RsaPss { hash, salt_len } if salt_len == hash.len() => {
                    match hash {
                        DigestAlg::Sha256 => &rs::RSA_PSS_2048_8192_SHA256,
                        DigestAlg::Sha384 => &rs::RSA_PSS_2048_8192_SHA384,
                        DigestAlg::Sha512 => &rs::RSA_PSS_2048_8192_SHA512,
                        _ => return false,
                    }
                }
                _ => return false,
            };
            let (n, e) = (k.n().to_bytes_be(), k.e().to_bytes_be());
            rs::RsaPublicKeyComponents { n: &n, e: &e }
                .verify(alg, message, signature)
                .is_ok()
        }
        (VerifyingKey::Ec { curve, point, .. }, SignatureScheme::Ecdsa { hash, format }) => {
            let alg: &dyn rs::VerificationAlgorithm = match (curve, hash, format) {
                (NamedCurve::P256, DigestAlg::Sha256, EcdsaFormat::Der) => {
                    &rs::ECDSA_P256_SHA256_ASN1
                }
                (NamedCurve::P256, DigestAlg::Sha256, EcdsaFormat::Plain) => {
                    &rs::ECDSA_P256_SHA256_FIXED
                }
                (NamedCurve::P256, DigestAlg::Sha384, EcdsaFormat::Der) => {
                    &rs::ECDSA_P256_SHA384_ASN1
                }
                (NamedCurve::P384, DigestAlg::Sha384, EcdsaFormat::Der) => {
                    &rs::ECDSA_P384_SHA384_ASN1
                }
                (NamedCurve::P384, DigestAlg::Sha384, EcdsaFormat::Plain) => {
                    &rs::ECDSA_P384_SHA384_FIXED
                }
                (NamedCurve::P384, DigestAlg::Sha256, EcdsaFormat::Der) => {
                    &rs::ECDSA_P384_SHA256_ASN1
                }
                _ => return false,
            };
            rs::UnparsedPublicKey::new(alg, point)
                .verify(message, signature)
                .is_ok()
        }
        _ => false,
    }
}

/// As [`verify`], with the message digest already computed with `scheme.hash()`.
pub fn verify_prehashed(
    key: &VerifyingKey,
    scheme: &SignatureScheme,
    hashed: &[u8],
    signature: &[u8],
    min_rsa_bits: usize,
) -> Result<(), AlgError> {
    if hashed.len() != scheme.hash().len() {
        return Err(AlgError::Malformed { what: "digest" });
    }
    match (key, scheme) {
        (VerifyingKey::Rsa(k), SignatureScheme::RsaPkcs1 { hash }) => {
            check_rsa_size(k, min_rsa_bits)?;
            let pad = rsa::Pkcs1v15Sign {
                hash_len: Some(hash.len()),
                prefix: hash.digest_info_prefix().into(),
            };
            k.verify(pad, hashed, signature)
                .map_err(|_| AlgError::BadSignature)
        }
        (VerifyingKey::Rsa(k), SignatureScheme::RsaPss { hash, salt_len }) => {
            check_rsa_size(k, min_rsa_bits)?;
            let pad = match hash {
                DigestAlg::Sha1 => rsa::Pss::new_with_salt::<Sha1>(*salt_len),
                DigestAlg::Sha224 => rsa::Pss::new_with_salt::<Sha224>(*salt_len),
                DigestAlg::Sha256 => rsa::Pss::new_with_salt::<Sha256>(*salt_len),
                DigestAlg::Sha384 => rsa::Pss::new_with_salt::<Sha384>(*salt_len),
                DigestAlg::Sha512 => rsa::Pss::new_with_salt::<Sha512>(*salt_len),
            };
            k.verify(pad, hashed, signature)
                .map_err(|_| AlgError::BadSignature)
        }
        (VerifyingKey::Ec { curve, point, .. }, SignatureScheme::Ecdsa { format, .. }) => {
            verify_ecdsa(*curve, point, hashed, signature, *format)
        }
        (VerifyingKey::Dsa(k), SignatureScheme::Dsa { .. }) => {
            // The same floor as RSA: both are finite-field schemes of the same strength.
            let bits = k.p_bits();
            if bits < min_rsa_bits {
                return Err(AlgError::Disallowed {
                    what: format!("DSA-{bits} below the minimum of {min_rsa_bits} bits"),
                });
            }
            verify_dsa(k, hashed, signature)
        }
        _ => Err(AlgError::Unsupported {
            what: format!(
                "signature scheme {} with a {} key",
                scheme.describe(),
                key.describe()
            ),
        }),
    }
}

/// DSA over a digest; the signature is the DER `Dss-Sig-Value`.
fn verify_dsa(k: &DsaKey, hashed: &[u8], signature: &[u8]) -> Result<(), AlgError> {
    use dsa::signature::hazmat::PrehashVerifier;
    let bad = || AlgError::Malformed {
        what: "DSA signature",
    };
    let mut c = Cursor::new(signature, FileId::Sod, asn1::DER);
    let (_, mut s) = c.sequence().map_err(|_| bad())?;
    c.finish().map_err(|_| bad())?;
    let r = s.integer().map_err(|_| bad())?;
    let sv = s.integer().map_err(|_| bad())?;
    s.finish().map_err(|_| bad())?;
    if r.is_negative() || sv.is_negative() {
        return Err(AlgError::BadSignature);
    }
    let sig = dsa::Signature::from_components(
        dsa::BigUint::from_bytes_be(r.unsigned_bytes()),
        dsa::BigUint::from_bytes_be(sv.unsigned_bytes()),
    )
    .map_err(|_| AlgError::BadSignature)?;
    k.0.verify_prehash(hashed, &sig)
        .map_err(|_| AlgError::BadSignature)
}

fn check_rsa_size(k: &rsa::RsaPublicKey, min: usize) -> Result<(), AlgError> {
    use rsa::traits::PublicKeyParts;
    let bits = k.n().bits();
    if bits < min {
        return Err(AlgError::Disallowed {
            what: format!("RSA-{bits} below the minimum of {min} bits"),
        });
    }
    Ok(())
}

fn ecdsa_generic<C>(
    point: &[u8],
    hashed: &[u8],
    sig: &[u8],
    format: EcdsaFormat,
) -> Result<(), AlgError>
where
    C: ecdsa::PrimeCurve + ecdsa::elliptic_curve::CurveArithmetic,
    ecdsa::SignatureSize<C>: ecdsa::elliptic_curve::generic_array::ArrayLength<u8>,
    ecdsa::elliptic_curve::AffinePoint<C>: ecdsa::elliptic_curve::sec1::FromEncodedPoint<C>
        + ecdsa::elliptic_curve::sec1::ToEncodedPoint<C>,
    ecdsa::elliptic_curve::FieldBytesSize<C>: ecdsa::elliptic_curve::sec1::ModulusSize,
{
    use ecdsa::elliptic_curve::generic_array::typenum::Unsigned;
    let q = ecdsa::elliptic_curve::PublicKey::<C>::from_sec1_bytes(point).map_err(|_| {
        AlgError::Malformed {
            what: "EC public point (not on the curve)",
        }
    })?;
    let fl = <ecdsa::elliptic_curve::FieldBytesSize<C> as Unsigned>::USIZE;
    let plain = match format {
        EcdsaFormat::Plain => sig.to_vec(),
        EcdsaFormat::Der => der_to_plain(sig, fl)?,
    };
    let sig = ecdsa::Signature::<C>::from_slice(&plain).map_err(|_| AlgError::Malformed {
        what: "ECDSA signature",
    })?;
    // bits2field refuses digests shorter than half the field (SHA-1 on P-384); left-padding
    // gives the same integer, as SEC 1 §4.1.4 step 5 requires.
    let mut z_in = hashed.to_vec();
    if z_in.len() < fl {
        let mut p = vec![0u8; fl.saturating_sub(z_in.len())];
        p.extend_from_slice(&z_in);
        z_in = p;
    }
    let z = ecdsa::hazmat::bits2field::<C>(&z_in)
        .map_err(|_| AlgError::Malformed { what: "digest" })?;
    ecdsa::hazmat::verify_prehashed::<C>(&q.to_projective(), &z, &sig)
        .map_err(|_| AlgError::BadSignature)
}

/// `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` to plain r || s of `fl` bytes each.
fn der_to_plain(der: &[u8], fl: usize) -> Result<Vec<u8>, AlgError> {
    let bad = || AlgError::Malformed {
        what: "ECDSA-Sig-Value",
    };
    let mut c = Cursor::new(der, FileId::Sod, asn1::DER);
    let (_, mut s) = c.sequence().map_err(|_| bad())?;
    c.finish().map_err(|_| bad())?;
    let mut out = Vec::new();
    for _ in 0..2 {
        let i = s.integer().map_err(|_| bad())?;
        if i.is_negative() {
            return Err(bad());
        }
        let v = i.unsigned_bytes();
        if v.len() > fl {
            return Err(bad());
        }
        out.extend(std::iter::repeat_n(0u8, fl.saturating_sub(v.len())));
        out.extend_from_slice(v);
    }
    s.finish().map_err(|_| bad())?;
    Ok(out)
}

fn verify_ecdsa(
    curve: NamedCurve,
    point: &[u8],
    hashed: &[u8],
    sig: &[u8],
    format: EcdsaFormat,
) -> Result<(), AlgError> {
    // Only uncompressed points; the SEC 1 decoders below check that they lie on the curve.
    if point.first() != Some(&0x04) {
        return Err(AlgError::Malformed {
            what: "EC public point (not uncompressed)",
        });
    }
    match curve {
        NamedCurve::P224 => ecdsa_generic::<p224::NistP224>(point, hashed, sig, format),
        NamedCurve::P256 => ecdsa_generic::<p256::NistP256>(point, hashed, sig, format),
        NamedCurve::P384 => ecdsa_generic::<p384::NistP384>(point, hashed, sig, format),
        NamedCurve::P521 => ecdsa_generic::<p521::NistP521>(point, hashed, sig, format),
        NamedCurve::BrainpoolP256r1 | NamedCurve::BrainpoolP384r1 => {
            let fl = if curve == NamedCurve::BrainpoolP256r1 {
                32
            } else {
                48
            };
            let plain = match format {
                EcdsaFormat::Plain => sig.to_vec(),
                EcdsaFormat::Der => der_to_plain(sig, fl)?,
            };
            let mut z = hashed.to_vec();
            if z.len() < fl {
                let mut p = vec![0u8; fl.saturating_sub(z.len())];
                p.extend_from_slice(&z);
                z = p;
            }
            if curve == NamedCurve::BrainpoolP256r1 {
                brainpool::verify_p256r1(point, &z, &plain)
            } else {
                brainpool::verify_p384r1(point, &z, &plain)
            }
        }
        // No maintained implementation of these curves exists for this stack: the generic
        // prime-curve verifier (public inputs only).
        NamedCurve::BrainpoolP192r1
        | NamedCurve::BrainpoolP224r1
        | NamedCurve::BrainpoolP320r1
        | NamedCurve::BrainpoolP512r1 => {
            let k = prime_curve::EcdsaCurve::of(curve).ok_or_else(|| AlgError::Unsupported {
                what: format!("{curve:?}: no curve arithmetic"),
            })?;
            let plain = match format {
                EcdsaFormat::Plain => sig.to_vec(),
                EcdsaFormat::Der => der_to_plain(sig, k.field_len())?,
            };
            k.verify(point, hashed, &plain)
        }
    }
}

/// brainpoolP256r1 and brainpoolP384r1 through the `bp256`/`bp384` 0.14 line (ecdsa 0.17).
/// The releases that fit the 0.13 stack only have unfinished arithmetic that fails a known
/// answer (Doc 9303-11 App. G.1, `SK_map_IC` → `PK_map_IC`); the 0.14 line passes it (see the
/// tests). Only bytes cross this boundary, so the two stacks never mix types.
pub mod brainpool {
    use super::AlgError;
    use ecdsa17::signature::hazmat::{PrehashSigner, PrehashVerifier};

    macro_rules! curve {
        ($verify:ident, $public:ident, $sign:ident, $curve:ty) => {
            /// Verifies a plain `r ‖ s` signature over a digest already padded to the field
            /// size; the point must be on the curve.
            pub fn $verify(point: &[u8], digest: &[u8], plain: &[u8]) -> Result<(), AlgError> {
                let vk = ecdsa17::VerifyingKey::<$curve>::from_sec1_bytes(point).map_err(|_| {
                    AlgError::Malformed {
                        what: "EC public point (not on the curve)",
                    }
                })?;
                let sig = ecdsa17::Signature::<$curve>::from_slice(plain).map_err(|_| {
                    AlgError::Malformed {
                        what: "ECDSA signature",
                    }
                })?;
                vk.verify_prehash(digest, &sig)
                    .map_err(|_| AlgError::BadSignature)
            }

            /// The uncompressed public point of private scalar `d` (test data generation).
            pub fn $public(d: &[u8]) -> Option<Vec<u8>> {
                let sk = ecdsa17::SigningKey::<$curve>::from_slice(d).ok()?;
                Some(sk.verifying_key().to_sec1_point(false).as_bytes().to_vec())
            }

            /// A deterministic (RFC 6979) plain signature over `digest` (test data generation).
            pub fn $sign(d: &[u8], digest: &[u8]) -> Option<Vec<u8>> {
                let sk = ecdsa17::SigningKey::<$curve>::from_slice(d).ok()?;
                let sig: ecdsa17::Signature<$curve> = sk.sign_prehash(digest).ok()?;
                Some(sig.to_bytes().to_vec())
            }
        };
    }
    macro_rules! ecdh {
        ($name:ident, $curve:ty) => {
            /// ECDH (BSI TR-03111 §4.3.1) for Chip Authentication: the x-coordinate of
            /// `secret · peer`. `None` when the peer point is not on the curve (or is the
            /// identity) or the scalar is zero or not below the order.
            pub fn $name(secret: &[u8], peer: &[u8]) -> Option<Vec<u8>> {
                use ecdsa17::elliptic_curve::point::AffineCoordinates as _;
                let pk =
                    ecdsa17::elliptic_curve::PublicKey::<$curve>::from_sec1_bytes(peer).ok()?;
                let sk = ecdsa17::elliptic_curve::SecretKey::<$curve>::from_slice(secret).ok()?;
                let shared = (pk.to_projective() * *sk.to_nonzero_scalar()).to_affine();
                Some(shared.x().to_vec())
            }
        };
    }
    ecdh!(ecdh_p256r1, bp256::BrainpoolP256r1);
    ecdh!(ecdh_p384r1, bp384::BrainpoolP384r1);

    curve!(
        verify_p256r1,
        public_p256r1,
        sign_p256r1,
        bp256::BrainpoolP256r1
    );
    curve!(
        verify_p384r1,
        public_p384r1,
        sign_p384r1,
        bp384::BrainpoolP384r1
    );

    #[cfg(test)]
    mod tests {
        /// Doc 9303-11 App. G.1 (entry "PACE ECDH Generic Mapping, brainpoolP256r1, AES-128"):
        /// the chip's mapping key pair.
        #[test]
        fn p256r1_known_answer_from_appendix_g1() {
            let d = hex::decode("498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560")
                .unwrap();
            let q = super::public_p256r1(&d).unwrap();
            assert_eq!(
                hex::encode_upper(q),
                concat!(
                    "04",
                    "824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57",
                    "30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54"
                )
            );
        }
    }
}

/// Curve constants, extracted from OpenSSL 3.0's built-in tables (`openssl ecparam -name X
/// -param_enc explicit`), which carry SEC 2 v2 (NIST curves) and RFC 5639 (Brainpool).
pub const CURVES: &[CurveParams] = &[
    CurveParams { curve: NamedCurve::P224, oid: "1.3.132.0.33",
        p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF000000000000000000000001",
        a: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFE",
        b: "B4050A850C04B3ABF54132565044B0B7D7BFD8BA270B39432355FFB4",
        g: "04B70E0CBD6BB4BF7F321390B94A03C1D356C21122343280D6115C1D21BD376388B5F723FB4C22DFE6CD4375A05A07476444D5819985007E34",
        n: "FFFFFFFFFFFFFFFFFFFFFFFFFFFF16A2E0B8F03E13DD29455C5C2A3D",
        h: 1 },
    CurveParams { curve: NamedCurve::P256, oid: "1.2.840.10045.3.1.7",
        p: "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF",
        a: "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC",
        b: "5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B",
        g: "046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C2964FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5",
        n: "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551",
        h: 1 },
    CurveParams { curve: NamedCurve::P384, oid: "1.3.132.0.34",
        p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFF",
        a: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFC",
        b: "B3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF",
        g: "04AA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25DBF55296C3A545E3872760AB73617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE1D7E819D7A431D7C90EA0E5F",
        n: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
        h: 1 },
    CurveParams { curve: NamedCurve::P521, oid: "1.3.132.0.35",
        p: "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        a: "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC",
        b: "0051953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF109E156193951EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B503F00",
        g: "0400C6858E06B70404E9CD9E3ECB662395B4429C648139053FB521F828AF606B4D3DBAA14B5E77EFE75928FE1DC127A2FFA8DE3348B3C1856A429BF97E7E31C2E5BD66011839296A789A3BC0045C8A5FB42C7D1BD998F54449579B446817AFBD17273E662C97EE72995EF42640C550B9013FAD0761353C7086A272C24088BE94769FD16650",
        n: "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409",
        h: 1 },
    CurveParams { curve: NamedCurve::BrainpoolP192r1, oid: "1.3.36.3.3.2.8.1.1.3",
        p: "C302F41D932A36CDA7A3463093D18DB78FCE476DE1A86297",
        a: "6A91174076B1E0E19C39C031FE8685C1CAE040E5C69A28EF",
        b: "469A28EF7C28CCA3DC721D044F4496BCCA7EF4146FBF25C9",
        g: "04C0A0647EAAB6A48753B033C56CB0F0900A2F5C4853375FD614B690866ABD5BB88B5F4828C1490002E6773FA2FA299B8F",
        n: "C302F41D932A36CDA7A3462F9E9E916B5BE8F1029AC4ACC1",
        h: 1 },
    CurveParams { curve: NamedCurve::BrainpoolP224r1, oid: "1.3.36.3.3.2.8.1.1.5",
        p: "D7C134AA264366862A18302575D1D787B09F075797DA89F57EC8C0FF",
        a: "68A5E62CA9CE6C1C299803A6C1530B514E182AD8B0042A59CAD29F43",
        b: "2580F63CCFE44138870713B1A92369E33E2135D266DBB372386C400B",
        g: "040D9029AD2C7E5CF4340823B2A87DC68C9E4CE3174C1E6EFDEE12C07D58AA56F772C0726F24C6B89E4ECDAC24354B9E99CAA3F6D3761402CD",
        n: "D7C134AA264366862A18302575D0FB98D116BC4B6DDEBCA3A5A7939F",
        h: 1 },
    CurveParams { curve: NamedCurve::BrainpoolP256r1, oid: "1.3.36.3.3.2.8.1.1.7",
        p: "A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377",
        a: "7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9",
        b: "26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6",
        g: "048BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997",
        n: "A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7",
        h: 1 },
    CurveParams { curve: NamedCurve::BrainpoolP320r1, oid: "1.3.36.3.3.2.8.1.1.9",
        p: "D35E472036BC4FB7E13C785ED201E065F98FCFA6F6F40DEF4F92B9EC7893EC28FCD412B1F1B32E27",
        a: "3EE30B568FBAB0F883CCEBD46D3F3BB8A2A73513F5EB79DA66190EB085FFA9F492F375A97D860EB4",
        b: "520883949DFDBC42D3AD198640688A6FE13F41349554B49ACC31DCCD884539816F5EB4AC8FB1F1A6",
        g: "0443BD7E9AFB53D8B85289BCC48EE5BFE6F20137D10A087EB6E7871E2A10A599C710AF8D0D39E2061114FDD05545EC1CC8AB4093247F77275E0743FFED117182EAA9C77877AAAC6AC7D35245D1692E8EE1",
        n: "D35E472036BC4FB7E13C785ED201E065F98FCFA5B68F12A32D482EC7EE8658E98691555B44C59311",
        h: 1 },
    CurveParams { curve: NamedCurve::BrainpoolP384r1, oid: "1.3.36.3.3.2.8.1.1.11",
        p: "8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B412B1DA197FB71123ACD3A729901D1A71874700133107EC53",
        a: "7BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F8AA5814A503AD4EB04A8C7DD22CE2826",
        b: "04A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D57CB4390295DBC9943AB78696FA504C11",
        g: "041D1C64F068CF45FFA2A63A81B7C13F6B8847A3E77EF14FE3DB7FCAFE0CBD10E8E826E03436D646AAEF87B2E247D4AF1E8ABE1D7520F9C2A45CB1EB8E95CFD55262B70B29FEEC5864E19C054FF99129280E4646217791811142820341263C5315",
        n: "8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B31F166E6CAC0425A7CF3AB6AF6B7FC3103B883202E9046565",
        h: 1 },
    CurveParams { curve: NamedCurve::BrainpoolP512r1, oid: "1.3.36.3.3.2.8.1.1.13",
        p: "AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA703308717D4D9B009BC66842AECDA12AE6A380E62881FF2F2D82C68528AA6056583A48F3",
        a: "7830A3318B603B89E2327145AC234CC594CBDD8D3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CA",
        b: "3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CADC083E67984050B75EBAE5DD2809BD638016F723",
        g: "0481AEE4BDD82ED9645A21322E9C4C6A9385ED9F70B5D916C1B43B62EEF4D0098EFF3B1F78E2D0D48D50D1687B93B97D5F7C6D5047406A5E688B352209BCB9F8227DDE385D566332ECC0EABFA9CF7822FDF209F70024A57B1AA000C55B881F8111B2DCDE494A5F485E5BCA4BD88A2763AED1CA2B2FA8F0540678CD1E0F3AD80892",
        n: "AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA70330870553E5C414CA92619418661197FAC10471DB1D381085DDADDB58796829CA90069",
        h: 1 },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_tables_roundtrip() {
        for c in CURVES {
            let spki = crate::testkit::lds_gen::EcDomain {
                p: hex::decode(c.p).unwrap(),
                a: hex::decode(c.a).unwrap(),
                b: hex::decode(c.b).unwrap(),
                g: hex::decode(c.g).unwrap(),
                n: hex::decode(c.n).unwrap(),
                h: c.h,
            };
            let s = crate::testkit::lds_gen::spki_ec_explicit(&spki, &hex::decode(c.g).unwrap());
            match VerifyingKey::from_spki_der(&s).unwrap() {
                VerifyingKey::Ec { curve, .. } => assert_eq!(curve, c.curve),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn tweaked_b_rejected() {
        let c = NamedCurve::BrainpoolP256r1.params().unwrap();
        let mut b = hex::decode(c.b).unwrap();
        b[31] ^= 1;
        let d = crate::testkit::lds_gen::EcDomain {
            p: hex::decode(c.p).unwrap(),
            a: hex::decode(c.a).unwrap(),
            b,
            g: hex::decode(c.g).unwrap(),
            n: hex::decode(c.n).unwrap(),
            h: 1,
        };
        let s = crate::testkit::lds_gen::spki_ec_explicit(&d, &hex::decode(c.g).unwrap());
        assert_eq!(
            VerifyingKey::from_spki_der(&s),
            Err(AlgError::UnknownExplicitCurve {
                reason: "coefficient b differs"
            })
        );
    }

    #[test]
    fn md5_refused() {
        assert!(matches!(
            DigestAlg::from_dotted("1.2.840.113549.2.5"),
            Err(AlgError::Disallowed { .. })
        ));
        assert!(DigestAlg::from_dotted("1.2.3").is_err());
    }
}
