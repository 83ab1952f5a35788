//! AlgorithmIdentifier, domain parameters and SubjectPublicKeyInfo (RFC 5280 §4.1.1.2, RFC 3279,
//! RFC 5480, X9.42; BSI TR-03110 Part 3 §A.1 / Doc 9303-11 §9.2 for the standardized-domain-
//! parameter form), as byte views. Explicit EC parameters are **kept as bytes and never mapped
//! to a named curve here**: that is a verification decision (pitfalls #6, CurveBall).

use super::asn1::{self, tag, BitString, Cursor, Integer, Oid};
use super::{oid, Invalid, LdsError};

/// `AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlgorithmIdentifier<'a> {
    /// The encoding.
    pub raw: &'a [u8],
    /// The algorithm.
    pub algorithm: Oid<'a>,
    /// The parameters' complete encoding, if present.
    pub parameters_raw: Option<&'a [u8]>,
    /// The parameters interpreted as domain parameters (for key algorithms).
    pub domain: DomainParameters<'a>,
}

/// Domain parameters of a public-key algorithm.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainParameters<'a> {
    /// No parameters, or NULL.
    None,
    /// A standardized domain parameter id (INTEGER; Doc 9303-11 §9.5.1 table, e.g. 13 =
    /// brainpoolP256r1).
    Standardized(u64),
    /// A named curve OID (RFC 5480).
    NamedCurve(Oid<'a>),
    /// Explicit EC parameters (X9.62 `ECParameters`).
    ExplicitEc(EcParameters<'a>),
    /// Finite-field DH parameters (X9.42 `DomainParameters` or PKCS #3 `DHParameter`).
    Dh(DhParameters<'a>),
    /// Something else, kept raw.
    Other(&'a [u8]),
}

/// X9.62 `ECParameters ::= SEQUENCE { version, fieldID { fieldType, prime p }, curve { a, b,
/// seed OPTIONAL }, base G, order n, cofactor h OPTIONAL }`; every value as encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcParameters<'a> {
    /// The complete encoding.
    pub raw: &'a [u8],
    /// version (1).
    pub version: u64,
    /// fieldType (prime-field 1.2.840.10045.1.1 for every ICAO curve).
    pub field_type: Oid<'a>,
    /// p (INTEGER content octets; for a non-prime field, the raw parameter).
    pub p: &'a [u8],
    /// a (OCTET STRING).
    pub a: &'a [u8],
    /// b (OCTET STRING).
    pub b: &'a [u8],
    /// seed (BIT STRING), if present.
    pub seed: Option<BitString<'a>>,
    /// G (OCTET STRING, an encoded point).
    pub g: &'a [u8],
    /// n (INTEGER content octets).
    pub n: &'a [u8],
    /// h (INTEGER content octets), if present.
    pub h: Option<&'a [u8]>,
}

/// DH domain parameters: p, g and (X9.42) q; INTEGER content octets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhParameters<'a> {
    /// The complete encoding.
    pub raw: &'a [u8],
    /// p.
    pub p: &'a [u8],
    /// g.
    pub g: &'a [u8],
    /// q (X9.42 only).
    pub q: Option<&'a [u8]>,
}

/// Reads an AlgorithmIdentifier from `c`.
pub fn algorithm_identifier<'a>(c: &mut Cursor<'a>) -> Result<AlgorithmIdentifier<'a>, LdsError> {
    let (t, mut a) = c.sequence()?;
    let algorithm = a.oid()?;
    let params = a.next()?;
    a.finish()?;
    let domain = match params {
        None => DomainParameters::None,
        Some(p) if p.tag.0 == tag::NULL => DomainParameters::None,
        Some(p) if p.tag.0 == tag::INTEGER => DomainParameters::Standardized(a.uint_value(&p)?),
        Some(p) if p.tag.0 == tag::OID => {
            if !asn1::oid_is_valid(p.value) {
                return Err(a.invalid(a.abs(&p), Invalid::Oid));
            }
            DomainParameters::NamedCurve(Oid(p.value))
        }
        Some(p) if p.tag.0 == tag::SEQUENCE => {
            let mut pc = a.children(&p)?;
            let alg = algorithm.as_bytes();
            if alg == oid::DH_PUBLIC_NUMBER || alg == oid::DH_KEY_AGREEMENT || alg == oid::ID_PK_DH
            {
                DomainParameters::Dh(dh_parameters(&mut pc, p.raw)?)
            } else if alg == oid::EC_PUBLIC_KEY || alg == oid::ID_PK_ECDH {
                DomainParameters::ExplicitEc(ec_parameters(&mut pc, p.raw)?)
            } else {
                DomainParameters::Other(p.raw)
            }
        }
        Some(p) => DomainParameters::Other(p.raw),
    };
    Ok(AlgorithmIdentifier {
        raw: t.raw,
        algorithm,
        parameters_raw: params.map(|p| p.raw),
        domain,
    })
}

fn ec_parameters<'a>(c: &mut Cursor<'a>, raw: &'a [u8]) -> Result<EcParameters<'a>, LdsError> {
    let version = c.uint()?;
    let (_, mut field) = c.sequence()?;
    let field_type = field.oid()?;
    let p = field.read()?.value;
    field.finish()?;
    let (_, mut curve) = c.sequence()?;
    let a = curve.octet_string()?;
    let b = curve.octet_string()?;
    let seed = if curve.is_empty() {
        None
    } else {
        Some(curve.bit_string()?)
    };
    curve.finish()?;
    let g = c.octet_string()?;
    let n = c.integer()?.as_bytes();
    let h = if c.is_empty() {
        None
    } else {
        Some(c.integer()?.as_bytes())
    };
    c.finish()?;
    Ok(EcParameters {
        raw,
        version,
        field_type,
        p,
        a,
        b,
        seed,
        g,
        n,
        h,
    })
}

fn dh_parameters<'a>(c: &mut Cursor<'a>, raw: &'a [u8]) -> Result<DhParameters<'a>, LdsError> {
    let p = c.integer()?.as_bytes();
    let g = c.integer()?.as_bytes();
    // X9.42: q, then optional j and validationParms; PKCS #3: optional privateValueLength.
    let q = match c.optional(tag::INTEGER)? {
        Some(t) => Some(c.integer_value(&t)?.as_bytes()),
        None => None,
    };
    // Remaining optional members (j, validationParms) are not needed and are skipped.
    while c.next()?.is_some() {}
    Ok(DhParameters { raw, p, g, q })
}

/// A public key as carried in a SubjectPublicKeyInfo.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey<'a> {
    /// RSA (`RSAPublicKey ::= SEQUENCE { modulus, publicExponent }`), unsigned big-endian.
    Rsa {
        /// n without a leading zero octet.
        modulus: &'a [u8],
        /// e without a leading zero octet.
        exponent: &'a [u8],
    },
    /// An EC point (the BIT STRING bytes: 04 || x || y, or compressed).
    Ec {
        /// The encoded point.
        point: &'a [u8],
    },
    /// A DH public value y (INTEGER inside the BIT STRING), unsigned big-endian.
    Dh {
        /// y.
        y: &'a [u8],
    },
    /// Another algorithm: the BIT STRING bytes.
    Unknown {
        /// The key bytes.
        bytes: &'a [u8],
    },
}

/// `SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectPublicKeyInfo<'a> {
    /// The complete encoding.
    pub raw: &'a [u8],
    /// The algorithm and its parameters.
    pub algorithm: AlgorithmIdentifier<'a>,
    /// The subjectPublicKey BIT STRING.
    pub subject_public_key: BitString<'a>,
    /// The key, interpreted by algorithm.
    pub key: PublicKey<'a>,
}

/// Reads a SubjectPublicKeyInfo from `c`.
pub fn subject_public_key_info<'a>(
    c: &mut Cursor<'a>,
) -> Result<SubjectPublicKeyInfo<'a>, LdsError> {
    let (t, mut s) = c.sequence()?;
    let algorithm = algorithm_identifier(&mut s)?;
    let bt = s.expect(tag::BIT_STRING)?;
    let bits = s.bit_string_value(&bt)?;
    // Absolute offset of the key bytes: after the BIT STRING header and unused-bits octet.
    let inner_base = s.abs_value(&bt).saturating_add(1);
    s.finish()?;
    let alg = algorithm.algorithm.as_bytes();
    let key = if alg == oid::RSA_ENCRYPTION {
        let mut k = Cursor::at(bits.bytes, c.file(), asn1::DER, inner_base);
        let (_, mut rsa) = k.sequence()?;
        k.finish()?;
        let n = rsa.integer()?;
        let e = rsa.integer()?;
        rsa.finish()?;
        if n.is_negative() || e.is_negative() {
            return Err(rsa.invalid(inner_base, Invalid::IntegerRange));
        }
        PublicKey::Rsa {
            modulus: n.unsigned_bytes(),
            exponent: e.unsigned_bytes(),
        }
    } else if alg == oid::EC_PUBLIC_KEY || alg == oid::ID_PK_ECDH || is_standardized_ec(&algorithm)
    {
        PublicKey::Ec { point: bits.bytes }
    } else if alg == oid::DH_PUBLIC_NUMBER
        || alg == oid::DH_KEY_AGREEMENT
        || alg == oid::ID_PK_DH
        || is_standardized_dh(&algorithm)
    {
        let mut k = Cursor::at(bits.bytes, c.file(), asn1::DER, inner_base);
        let y = k.integer()?;
        k.finish()?;
        PublicKey::Dh {
            y: Integer(y.as_bytes()).unsigned_bytes(),
        }
    } else {
        PublicKey::Unknown { bytes: bits.bytes }
    };
    Ok(SubjectPublicKeyInfo {
        raw: t.raw,
        algorithm,
        subject_public_key: bits,
        key,
    })
}

/// TR-03110 uses standardizedDomainParameters 0.4.0.127.0.7.1.2 with an INTEGER id as the
/// SPKI algorithm; whether the key is EC or DH follows from the id (Doc 9303-11 §9.5.1:
/// 0-2 are MODP groups, 8-18 are curves).
fn is_standardized_ec(a: &AlgorithmIdentifier<'_>) -> bool {
    a.algorithm.as_bytes() == oid::STANDARDIZED_DOMAIN_PARAMETERS
        && matches!(a.domain, DomainParameters::Standardized(8..=18))
}

/// The DH counterpart of [`is_standardized_ec`]: ids 0-2 are the RFC 5114 MODP groups, whose
/// public value is a DER INTEGER inside the BIT STRING (TR-03110-3 §A.1.1.1).
fn is_standardized_dh(a: &AlgorithmIdentifier<'_>) -> bool {
    a.algorithm.as_bytes() == oid::STANDARDIZED_DOMAIN_PARAMETERS
        && matches!(a.domain, DomainParameters::Standardized(0..=2))
}
