//! Card verifiable certificates (BSI TR-03110-3 Appendix C.1, ISO/IEC 7816-8): the certificates
//! of the Extended Access Control PKI (CVCA → DV → IS) that Terminal Authentication presents to
//! the chip.
//!
//! ```text
//! 7F21 CV Certificate
//!   7F4E Certificate Body                      (the signed bytes, tag and length included)
//!     5F29 Certificate Profile Identifier      (0)
//!     42   Certification Authority Reference   (CAR)
//!     7F49 Public Key  { 06 OID, 81..87 domain parameters (CVCA only), 86 point }
//!     5F20 Certificate Holder Reference        (CHR)
//!     7F4C Certificate Holder Authorization Template { 06 role OID, 53 rights }
//!     5F25 Certificate Effective Date          (YYMMDD, one digit per byte)
//!     5F24 Certificate Expiration Date
//!     65   Certificate Extensions              (optional, kept raw)
//!   5F37 Signature                             (ECDSA: plain r ‖ s, TR-03111)
//! ```
//!
//! Hostile input: the reader is bounded ([`MAX_CVC_LEN`], TLV depth caps), every field is
//! checked for presence and order, and nothing is allocated from a declared length. ECDSA
//! (id-TA-ECDSA-SHA-*) and RSA (id-TA-RSA-v1-5-SHA-*, id-TA-RSA-PSS-SHA-*) keys verify, each
//! only signatures of its own family ([`verify_ta_signature`]).

use crate::lds::asn1::Oid;
use crate::pa::algorithms::{
    verify_prehashed, AlgError, DigestAlg, EcdsaFormat, NamedCurve, SignatureScheme, VerifyingKey,
    CURVES,
};
use crate::tlv::{self, Limits, Reader, TlvError};

/// Largest CV certificate accepted (real ones are 200-500 bytes; RSA-4096 ones about 1 KiB).
pub const MAX_CVC_LEN: usize = 4096;

/// id-TA (TR-03110-3 §A.6.4): 0.4.0.127.0.7.2.2.2.
pub const OID_TA: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x02];
/// id-roles (TR-03110-3 §C.4): 0.4.0.127.0.7.3.1.2.
pub const OID_ROLES: &[u8] = &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x01, 0x02];

/// A CV certificate error.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CvcError {
    /// The TLV structure is broken.
    #[error("CV certificate TLV: {0}")]
    Tlv(#[from] TlvError),
    /// Larger than [`MAX_CVC_LEN`].
    #[error("CV certificate of {len} bytes exceeds {MAX_CVC_LEN}")]
    TooLarge {
        /// Its length.
        len: usize,
    },
    /// A mandatory field is absent or out of order.
    #[error("CV certificate: missing {field}")]
    Missing {
        /// Which field.
        field: &'static str,
    },
    /// A field's value is malformed.
    #[error("CV certificate: malformed {field}")]
    Malformed {
        /// Which field.
        field: &'static str,
    },
    /// An algorithm or key this implementation does not handle.
    #[error("CV certificate: unsupported {what}")]
    Unsupported {
        /// What.
        what: &'static str,
    },
    /// The signature does not verify with the issuer's key.
    #[error("CV certificate signature: {0}")]
    Signature(AlgError),
}

/// A Terminal Authentication signature algorithm (TR-03110-3 §A.6.4, id-TA-*).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum TaAlgorithm {
    /// id-TA-ECDSA-SHA-* (plain signature format, TR-03111).
    Ecdsa(DigestAlg),
    /// id-TA-RSA-v1-5-SHA-*.
    RsaV15(DigestAlg),
    /// id-TA-RSA-PSS-SHA-*.
    RsaPss(DigestAlg),
}

impl TaAlgorithm {
    /// From the OID content bytes.
    pub fn from_oid(oid: &[u8]) -> Option<Self> {
        let rest = oid.strip_prefix(OID_TA)?;
        let (family, hash) = match rest {
            [f, h] => (*f, *h),
            _ => return None,
        };
        match family {
            2 => Some(TaAlgorithm::Ecdsa(match hash {
                1 => DigestAlg::Sha1,
                2 => DigestAlg::Sha224,
                3 => DigestAlg::Sha256,
                4 => DigestAlg::Sha384,
                5 => DigestAlg::Sha512,
                _ => return None,
            })),
            1 => Some(match hash {
                1 => TaAlgorithm::RsaV15(DigestAlg::Sha1),
                2 => TaAlgorithm::RsaV15(DigestAlg::Sha256),
                3 => TaAlgorithm::RsaPss(DigestAlg::Sha1),
                4 => TaAlgorithm::RsaPss(DigestAlg::Sha256),
                5 => TaAlgorithm::RsaV15(DigestAlg::Sha512),
                6 => TaAlgorithm::RsaPss(DigestAlg::Sha512),
                _ => return None,
            }),
            _ => None,
        }
    }

    /// The OID content bytes.
    pub fn oid(self) -> Vec<u8> {
        let (family, hash) = match self {
            TaAlgorithm::Ecdsa(h) => (
                2,
                match h {
                    DigestAlg::Sha1 => 1,
                    DigestAlg::Sha224 => 2,
                    DigestAlg::Sha256 => 3,
                    DigestAlg::Sha384 => 4,
                    DigestAlg::Sha512 => 5,
                },
            ),
            TaAlgorithm::RsaV15(h) => (
                1,
                match h {
                    DigestAlg::Sha1 => 1,
                    DigestAlg::Sha512 => 5,
                    _ => 2,
                },
            ),
            TaAlgorithm::RsaPss(h) => (
                1,
                match h {
                    DigestAlg::Sha1 => 3,
                    DigestAlg::Sha512 => 6,
                    _ => 4,
                },
            ),
        };
        let mut v = OID_TA.to_vec();
        v.extend_from_slice(&[family, hash]);
        v
    }

    /// The hash.
    pub fn hash(self) -> DigestAlg {
        match self {
            TaAlgorithm::Ecdsa(h) | TaAlgorithm::RsaV15(h) | TaAlgorithm::RsaPss(h) => h,
        }
    }
}

/// The role a certificate's CHAT gives (TR-03110-3 §C.4.1, bits 8-7 of the first byte).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum CvRole {
    /// Country verifying CA (11).
    Cvca,
    /// Document verifier, official domestic (10).
    DvDomestic,
    /// Document verifier, non-official / foreign (01).
    DvForeign,
    /// Terminal (inspection system) (00).
    Terminal,
}

impl CvRole {
    fn from_bits(b: u8) -> Self {
        match b >> 6 {
            3 => CvRole::Cvca,
            2 => CvRole::DvDomestic,
            1 => CvRole::DvForeign,
            _ => CvRole::Terminal,
        }
    }

    /// Whether this role may sign a certificate of role `child` (CVCA → CVCA link or DV,
    /// DV → terminal).
    pub fn may_issue(self, child: CvRole) -> bool {
        match self {
            CvRole::Cvca => matches!(child, CvRole::Cvca | CvRole::DvDomestic | CvRole::DvForeign),
            CvRole::DvDomestic | CvRole::DvForeign => child == CvRole::Terminal,
            CvRole::Terminal => false,
        }
    }
}

/// Read access to DG3 (fingerprints) in an inspection-system CHAT (TR-03110-3 §C.4.1).
pub const RIGHT_READ_DG3: u8 = 0x01;
/// Read access to DG4 (iris).
pub const RIGHT_READ_DG4: u8 = 0x02;

/// The Certificate Holder Authorization Template (TR-03110-3 §C.1.5, §C.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chat<'a> {
    /// The terminal type OID (id-IS, id-AT, id-ST).
    pub terminal_type: Oid<'a>,
    /// The relative authorization (role bits and access rights), big-endian bit map.
    pub template: &'a [u8],
}

impl Chat<'_> {
    /// Whether the terminal type is id-IS (inspection systems, ePassport EAC1).
    pub fn is_inspection_system(&self) -> bool {
        self.terminal_type.as_bytes().strip_prefix(OID_ROLES) == Some(&[1])
    }

    /// The role (bits 8-7 of the first byte).
    pub fn role(&self) -> Option<CvRole> {
        self.template.first().map(|b| CvRole::from_bits(*b))
    }

    /// The access rights without the role bits (inspection systems: one byte).
    pub fn rights(&self) -> Vec<u8> {
        let mut r = self.template.to_vec();
        if let Some(b) = r.first_mut() {
            *b &= 0x3F;
        }
        r
    }
}

/// A certificate date (TR-03110-3 §D.2.1.3: six unpacked BCD digits YYMMDD, years 2000-2099).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct CvDate {
    /// Year (2000-2099).
    pub year: u16,
    /// Month 1-12.
    pub month: u8,
    /// Day 1-31.
    pub day: u8,
}

impl CvDate {
    /// A date; `None` outside 2000-01-01..=2099-12-31 or with an impossible month or day.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        ((2000..=2099).contains(&year) && (1..=days).contains(&day)).then_some(CvDate {
            year,
            month,
            day,
        })
    }

    /// From the six encoded digits.
    pub fn decode(b: &[u8]) -> Option<Self> {
        let d: [u8; 6] = b.try_into().ok()?;
        if d.iter().any(|x| *x > 9) {
            return None;
        }
        let two = |i: usize| -> Option<u8> {
            Some(d.get(i)?.saturating_mul(10).saturating_add(*d.get(i + 1)?))
        };
        Self::new(2000 + u16::from(two(0)?), two(2)?, two(4)?)
    }

    /// The six encoded digits.
    pub fn encode(self) -> [u8; 6] {
        let y = (self.year % 100) as u8;
        [
            y / 10,
            y % 10,
            self.month / 10,
            self.month % 10,
            self.day / 10,
            self.day % 10,
        ]
    }
}

/// A CV public key (TR-03110-3 §D.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CvPublicKey<'a> {
    /// An EC key: domain parameters present only in CVCA certificates.
    Ec {
        /// The curve when the certificate carries domain parameters matching a known curve.
        curve: Option<NamedCurve>,
        /// The public point (DO'86', uncompressed).
        point: &'a [u8],
    },
    /// An RSA key.
    Rsa {
        /// Modulus.
        modulus: &'a [u8],
        /// Public exponent.
        exponent: &'a [u8],
    },
}

/// A parsed CV certificate; every slice borrows the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CvCertificate<'a> {
    /// The body as signed: `7F4E` tag, length and value.
    pub body: &'a [u8],
    /// Certificate Profile Identifier (0 for this version).
    pub profile: u8,
    /// Certification Authority Reference (the issuer's CHR).
    pub car: &'a [u8],
    /// Signature algorithm of this certificate's key.
    pub algorithm: TaAlgorithm,
    /// The public key.
    pub public_key: CvPublicKey<'a>,
    /// Certificate Holder Reference.
    pub chr: &'a [u8],
    /// The CHAT.
    pub chat: Chat<'a>,
    /// Effective date.
    pub effective: CvDate,
    /// Expiration date.
    pub expiration: CvDate,
    /// Extensions (DO'65'), raw.
    pub extensions: Option<&'a [u8]>,
    /// The signature (DO'5F37' value).
    pub signature: &'a [u8],
}

fn limits() -> Limits {
    Limits {
        max_depth: 4,
        max_len: MAX_CVC_LEN,
        allow_indefinite: false,
        strict_der: false,
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let skip = b.iter().take_while(|x| **x == 0).count();
    b.get(skip..).unwrap_or(&[])
}

impl<'a> CvCertificate<'a> {
    /// Parses a whole certificate (`7F21 { 7F4E body, 5F37 signature }`), nothing after it.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, CvcError> {
        if bytes.len() > MAX_CVC_LEN {
            return Err(CvcError::TooLarge { len: bytes.len() });
        }
        let mut r = Reader::with_limits(bytes, limits());
        let outer = r.expect(0x7F21)?;
        r.finish()?;
        Self::parse_parts(outer.value)
    }

    /// Parses `7F4E body ‖ 5F37 signature` (the PSO:Verify Certificate data field).
    pub fn parse_parts(bytes: &'a [u8]) -> Result<Self, CvcError> {
        if bytes.len() > MAX_CVC_LEN {
            return Err(CvcError::TooLarge { len: bytes.len() });
        }
        let mut r = Reader::with_limits(bytes, limits());
        let body = r.expect(0x7F4E)?;
        let sig = r.expect(0x5F37)?;
        r.finish()?;
        let missing = |field| CvcError::Missing { field };
        let malformed = |field| CvcError::Malformed { field };
        let mut b = body.children()?;
        let profile = b
            .expect(0x5F29)
            .map_err(|_| missing("profile identifier"))?;
        let profile = match profile.value {
            [p] => *p,
            _ => return Err(malformed("profile identifier")),
        };
        let car = b.expect(0x42).map_err(|_| missing("CAR"))?.value;
        let pk = b.expect(0x7F49).map_err(|_| missing("public key"))?;
        let chr = b.expect(0x5F20).map_err(|_| missing("CHR"))?.value;
        let chat = b.expect(0x7F4C).map_err(|_| missing("CHAT"))?;
        let eff = b.expect(0x5F25).map_err(|_| missing("effective date"))?;
        let exp = b.expect(0x5F24).map_err(|_| missing("expiration date"))?;
        let extensions = b.optional(0x65)?.map(|t| t.raw);
        b.finish()?;
        // References are printable: country code, mnemonic, sequence number (§A.6.2).
        for (f, v) in [("CAR", car), ("CHR", chr)] {
            if v.is_empty() || v.len() > 16 || !v.iter().all(|c| c.is_ascii_graphic()) {
                return Err(malformed(f));
            }
        }
        let (algorithm, public_key) = parse_public_key(pk.value)?;
        let mut c = chat.children()?;
        let terminal_type = Oid(c.expect(0x06).map_err(|_| missing("CHAT OID"))?.value);
        let template = c.expect(0x53).map_err(|_| missing("CHAT rights"))?.value;
        c.finish()?;
        if template.is_empty() || template.len() > 8 {
            return Err(malformed("CHAT rights"));
        }
        let effective = CvDate::decode(eff.value).ok_or(malformed("effective date"))?;
        let expiration = CvDate::decode(exp.value).ok_or(malformed("expiration date"))?;
        if expiration < effective {
            return Err(malformed("validity period (expires before it starts)"));
        }
        if sig.value.is_empty() {
            return Err(malformed("signature"));
        }
        Ok(CvCertificate {
            body: body.raw,
            profile,
            car,
            algorithm,
            public_key,
            chr,
            chat: Chat {
                terminal_type,
                template,
            },
            effective,
            expiration,
            extensions,
            signature: sig.value,
        })
    }

    /// The PSO:Verify Certificate data field: body ‖ signature DO.
    pub fn pso_data(&self) -> Vec<u8> {
        let mut v = self.body.to_vec();
        v.extend(tlv::encode(0x5F37, self.signature));
        v
    }

    /// Whether CAR equals CHR (a self-signed CVCA certificate).
    pub fn is_self_signed(&self) -> bool {
        self.car == self.chr
    }

    /// Verifies this certificate's signature with the issuer's key. The signature is made
    /// with the issuer's private key, so it follows the algorithm the issuer key's OID names
    /// (`issuer_algorithm`; TR-03110-3 App. C and D.3), which differs from this certificate's
    /// own key algorithm in a CVCA link certificate that moves to another hash.
    pub fn verify_with(
        &self,
        issuer: &TaPublicKey,
        issuer_algorithm: TaAlgorithm,
    ) -> Result<(), CvcError> {
        verify_ta_signature(issuer, issuer_algorithm, self.body, self.signature)
    }
}

/// A Terminal Authentication public key to verify with (TR-03110-3 §D.3): an EC point on a
/// known curve (the curve comes from the CVCA's domain parameters down the chain), or an RSA
/// modulus and exponent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaPublicKey {
    /// ECDSA key.
    Ec {
        /// The curve.
        curve: NamedCurve,
        /// The uncompressed point.
        point: Vec<u8>,
    },
    /// RSA key (big-endian modulus and exponent).
    Rsa {
        /// Modulus.
        modulus: Vec<u8>,
        /// Public exponent.
        exponent: Vec<u8>,
    },
}

/// Smallest RSA modulus taken for Terminal Authentication: the same floor as Passive
/// Authentication's default for DS and CSCA keys.
pub const MIN_TA_RSA_BITS: usize = 2048;

impl CvPublicKey<'_> {
    /// The key to verify with: an EC key takes the curve of its own domain parameters, else
    /// `chain_curve` (the curve of the CVCA above it).
    pub fn to_ta_key(&self, chain_curve: Option<NamedCurve>) -> Option<TaPublicKey> {
        match self {
            CvPublicKey::Ec { curve, point } => Some(TaPublicKey::Ec {
                curve: curve.or(chain_curve)?,
                point: point.to_vec(),
            }),
            CvPublicKey::Rsa { modulus, exponent } => Some(TaPublicKey::Rsa {
                modulus: modulus.to_vec(),
                exponent: exponent.to_vec(),
            }),
        }
    }
}

/// Verifies a Terminal Authentication (or CV certificate) signature over `message` under
/// `algorithm` (TR-03110-3 §A.7): ECDSA in the plain format (TR-03111), RSASSA-PKCS1-v1_5, or
/// RSASSA-PSS with MGF1 over the same hash and a salt as long as the hash. A key of the
/// other family fails.
pub fn verify_ta_signature(
    key: &TaPublicKey,
    algorithm: TaAlgorithm,
    message: &[u8],
    signature: &[u8],
) -> Result<(), CvcError> {
    let wrong_family = || CvcError::Unsupported {
        what: "a key of another family than the signature algorithm",
    };
    let (vk, scheme) = match (key, algorithm) {
        (TaPublicKey::Ec { curve, point }, TaAlgorithm::Ecdsa(hash)) => (
            VerifyingKey::Ec {
                curve: *curve,
                point: point.clone(),
                explicit: false,
            },
            SignatureScheme::Ecdsa {
                hash,
                format: EcdsaFormat::Plain,
            },
        ),
        (
            TaPublicKey::Rsa { modulus, exponent },
            TaAlgorithm::RsaV15(hash) | TaAlgorithm::RsaPss(hash),
        ) => {
            let n = rsa::BigUint::from_bytes_be(modulus);
            let e = rsa::BigUint::from_bytes_be(exponent);
            let k = rsa::RsaPublicKey::new_with_max_size(n, e, 8192).map_err(|_| {
                CvcError::Malformed {
                    field: "RSA public key",
                }
            })?;
            let scheme = match algorithm {
                TaAlgorithm::RsaPss(_) => SignatureScheme::RsaPss {
                    hash,
                    salt_len: hash.len(),
                },
                _ => SignatureScheme::RsaPkcs1 { hash },
            };
            (VerifyingKey::Rsa(k), scheme)
        }
        _ => return Err(wrong_family()),
    };
    let min_bits = if matches!(vk, VerifyingKey::Rsa(_)) {
        MIN_TA_RSA_BITS
    } else {
        0
    };
    verify_prehashed(
        &vk,
        &scheme,
        &algorithm.hash().digest(message),
        signature,
        min_bits,
    )
    .map_err(CvcError::Signature)
}

fn parse_public_key(v: &[u8]) -> Result<(TaAlgorithm, CvPublicKey<'_>), CvcError> {
    let malformed = |field| CvcError::Malformed { field };
    let mut r = Reader::with_limits(v, limits());
    let oid = r.expect(0x06).map_err(|_| CvcError::Missing {
        field: "public key OID",
    })?;
    let algorithm = TaAlgorithm::from_oid(oid.value).ok_or(CvcError::Unsupported {
        what: "public key algorithm OID",
    })?;
    let mut dos: [Option<&[u8]>; 8] = [None; 8];
    while let Some(t) = r.next()? {
        let i = match t.tag.0 {
            0x81..=0x87 => (t.tag.0 - 0x80) as usize,
            _ => return Err(malformed("public key data object")),
        };
        match dos.get_mut(i) {
            Some(slot @ None) => *slot = Some(t.value),
            _ => return Err(malformed("public key (repeated data object)")),
        }
    }
    let get = |i: usize| dos.get(i).copied().flatten();
    match algorithm {
        TaAlgorithm::Ecdsa(_) => {
            let point = get(6).ok_or(CvcError::Missing {
                field: "public point (DO'86')",
            })?;
            if point.first() != Some(&0x04) || point.len() % 2 == 0 || point.len() > 133 {
                return Err(malformed("public point (not uncompressed)"));
            }
            let domain = [get(1), get(2), get(3), get(4), get(5), get(7)];
            let curve = match domain {
                [None, None, None, None, None, None] => None,
                [Some(p), Some(a), Some(b), Some(g), Some(n), Some(h)] => {
                    Some(curve_from_domain(p, a, b, g, n, h)?)
                }
                _ => return Err(malformed("domain parameters (incomplete)")),
            };
            if let Some(c) = curve {
                let fl = c.params().map_or(0, |p| p.p.len() / 2);
                if point.len() != fl.saturating_mul(2).saturating_add(1) {
                    return Err(malformed("public point (length does not fit the curve)"));
                }
            }
            Ok((algorithm, CvPublicKey::Ec { curve, point }))
        }
        TaAlgorithm::RsaV15(_) | TaAlgorithm::RsaPss(_) => {
            let modulus = get(1).ok_or(CvcError::Missing { field: "modulus" })?;
            let exponent = get(2).ok_or(CvcError::Missing { field: "exponent" })?;
            Ok((algorithm, CvPublicKey::Rsa { modulus, exponent }))
        }
    }
}

/// The named curve whose parameters equal the explicit ones exactly (p, a, b, G, order, cofactor);
/// no near matches.
fn curve_from_domain(
    p: &[u8],
    a: &[u8],
    b: &[u8],
    g: &[u8],
    n: &[u8],
    h: &[u8],
) -> Result<NamedCurve, CvcError> {
    let eq = |hexs: &str, got: &[u8]| {
        hex::decode(hexs).is_ok_and(|v| strip_zeros(&v) == strip_zeros(got))
    };
    CURVES
        .iter()
        .find(|c| {
            eq(c.p, p)
                && eq(c.a, a)
                && eq(c.b, b)
                && eq(c.g, g)
                && eq(c.n, n)
                && strip_zeros(&c.h.to_be_bytes()) == strip_zeros(h)
        })
        .map(|c| c.curve)
        .ok_or(CvcError::Unsupported {
            what: "domain parameters of no known curve",
        })
}

/// The data objects of an EC public key after the OID (TR-03110-3 §D.3.3): the point DO'86'
/// alone, or with `domain` the parameters p, a, b, G, r (DO'81'-'85'), the point and the
/// cofactor (DO'87') of a table curve, as CVCA certificates carry them.
pub fn ec_public_key_dos(curve: NamedCurve, point: &[u8], domain: bool) -> Vec<u8> {
    let mut v = Vec::new();
    let params = curve.params().filter(|_| domain);
    if let Some(c) = params {
        let [p, a, b, g, n] = c.bytes();
        for (tag, val) in [(0x81, p), (0x82, a), (0x83, b), (0x84, g), (0x85, n)] {
            v.extend(tlv::encode(tag, &val));
        }
    }
    v.extend(tlv::encode(0x86, point));
    if let Some(c) = params {
        v.extend(tlv::encode(0x87, strip_zeros(&c.h.to_be_bytes())));
    }
    v
}

/// The CARs in EF.CVCA (TR-03110-3 §A.6.2.2: one or two DO'42', then zero padding): the chip's
/// trust points, current first. Anything malformed ends the list.
pub fn ef_cvca_cars(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut r = Reader::with_limits(bytes, limits());
    while out.len() < 2 && r.remaining().first().is_some_and(|b| *b == 0x42) {
        match r.expect(0x42) {
            Ok(t) if !t.value.is_empty() && t.value.len() <= 16 => out.push(t.value.to_vec()),
            _ => break,
        }
    }
    out
}

/// Splits a file of concatenated DER certificates (or PEM blocks of any label) into the DER
/// encodings, at most `max` of them.
pub fn split_certificates(file: &[u8], max: usize) -> Result<Vec<Vec<u8>>, CvcError> {
    let der = if file.starts_with(b"-----BEGIN") {
        decode_pem_blocks(file).ok_or(CvcError::Malformed { field: "PEM" })?
    } else {
        vec![file.to_vec()]
    };
    let mut out = Vec::new();
    for block in der {
        let mut r = Reader::with_limits(&block, limits());
        while let Some(t) = r.next()? {
            if out.len() >= max {
                return Err(CvcError::Malformed {
                    field: "chain (too many certificates)",
                });
            }
            CvCertificate::parse(t.raw)?;
            out.push(t.raw.to_vec());
        }
    }
    Ok(out)
}

/// The payloads of every PEM block (any label), by x509-parser's PEM reader; `None` when a
/// block is broken or there is none.
pub fn decode_pem_blocks(text: &[u8]) -> Option<Vec<Vec<u8>>> {
    let out = x509_parser::pem::Pem::iter_from_buffer(text)
        .map(|p| p.ok().map(|p| p.contents))
        .collect::<Option<Vec<_>>>()?;
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_reject_nonsense() {
        let d = CvDate::new(2026, 2, 28).unwrap();
        assert_eq!(d.encode(), [2, 6, 0, 2, 2, 8]);
        assert_eq!(CvDate::decode(&d.encode()), Some(d));
        assert_eq!(CvDate::decode(&[2, 6, 0, 2, 3, 0]), None);
        assert_eq!(CvDate::decode(&[2, 6, 1, 3, 0, 1]), None);
        assert_eq!(CvDate::decode(&[2, 6, 0, 1, 0, 0xA]), None);
        assert_eq!(CvDate::decode(&[2, 6, 0, 1, 0]), None);
        assert!(CvDate::new(2024, 2, 29).is_some());
        assert!(CvDate::new(2100, 1, 1).is_none());
    }

    #[test]
    fn ta_algorithm_oids() {
        for a in [
            TaAlgorithm::Ecdsa(DigestAlg::Sha1),
            TaAlgorithm::Ecdsa(DigestAlg::Sha224),
            TaAlgorithm::Ecdsa(DigestAlg::Sha256),
            TaAlgorithm::Ecdsa(DigestAlg::Sha384),
            TaAlgorithm::Ecdsa(DigestAlg::Sha512),
            TaAlgorithm::RsaV15(DigestAlg::Sha256),
            TaAlgorithm::RsaPss(DigestAlg::Sha512),
        ] {
            assert_eq!(TaAlgorithm::from_oid(&a.oid()), Some(a));
        }
        // id-TA-ECDSA-SHA-256 = 0.4.0.127.0.7.2.2.2.2.3 (TR-03110-3 §A.6.4).
        assert_eq!(
            Oid(&TaAlgorithm::Ecdsa(DigestAlg::Sha256).oid()).dotted(),
            "0.4.0.127.0.7.2.2.2.2.3"
        );
    }

    #[test]
    fn roles() {
        assert!(CvRole::Cvca.may_issue(CvRole::DvDomestic));
        assert!(CvRole::DvForeign.may_issue(CvRole::Terminal));
        assert!(!CvRole::DvDomestic.may_issue(CvRole::DvDomestic));
        assert!(!CvRole::Terminal.may_issue(CvRole::Terminal));
        assert_eq!(CvRole::from_bits(0xC3), CvRole::Cvca);
        assert_eq!(CvRole::from_bits(0x43), CvRole::DvForeign);
    }
}
