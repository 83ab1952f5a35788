//! X.509 certificates and CRLs of the eMRTD PKI (Doc 9303-12 §5, §7; RFC 5280), as owned
//! views: x509-parser reads the TBS fields, the outer signed structure is split here so the
//! exact TBS bytes are what gets verified.

use super::algorithms::{self, AlgError, SignatureScheme, VerifyingKey};
use crate::lds::asn1::{self, tag, Cursor};
use crate::lds::spki::{self, AlgorithmIdentifier};
use crate::lds::FileId;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::FromDer;

/// Why a certificate or CRL could not be read.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// The outer `SEQUENCE { tbs, signatureAlgorithm, signatureValue }` is malformed.
    #[error("malformed signed structure at byte {offset}")]
    Structure {
        /// Offset of the problem.
        offset: usize,
    },
    /// x509-parser refused the TBS contents.
    #[error("malformed {what}: {detail}")]
    X509 {
        /// Certificate or CRL.
        what: &'static str,
        /// The parser's message.
        detail: String,
    },
}

/// The three parts of a signed X.509 object.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Signed {
    tbs: Vec<u8>,
    sig_alg: Vec<u8>,
    signature: Vec<u8>,
}

fn split_signed(der: &[u8]) -> Result<Signed, CertError> {
    let e = |c: &Cursor<'_>| CertError::Structure { offset: c.offset() };
    let mut c = Cursor::new(der, FileId::Sod, asn1::DER);
    let (_, mut s) = c.sequence().map_err(|_| e(&c))?;
    c.finish().map_err(|_| e(&c))?;
    let tbs = s.expect(tag::SEQUENCE).map_err(|_| e(&s))?.raw.to_vec();
    let alg = spki::algorithm_identifier(&mut s).map_err(|_| e(&s))?;
    let bits = s.bit_string().map_err(|_| e(&s))?;
    s.finish().map_err(|_| e(&s))?;
    if bits.unused_bits != 0 {
        return Err(e(&s));
    }
    Ok(Signed {
        tbs,
        sig_alg: alg.raw.to_vec(),
        signature: bits.bytes.to_vec(),
    })
}

impl Signed {
    fn scheme(&self) -> Result<SignatureScheme, AlgError> {
        let mut c = Cursor::new(&self.sig_alg, FileId::Sod, asn1::DER);
        let a: AlgorithmIdentifier<'_> =
            spki::algorithm_identifier(&mut c).map_err(|_| AlgError::Malformed {
                what: "signatureAlgorithm",
            })?;
        SignatureScheme::from_identifier(&a, None)
    }

    fn verify(&self, issuer: &VerifyingKey, min_rsa_bits: usize) -> Result<(), AlgError> {
        let scheme = self.scheme()?;
        algorithms::verify(issuer, &scheme, &self.tbs, &self.signature, min_rsa_bits)
    }
}

/// keyUsage bits (RFC 5280 §4.2.1.3) as x509-parser numbers them.
pub mod key_usage {
    /// digitalSignature.
    pub const DIGITAL_SIGNATURE: u16 = 1;
    /// keyCertSign.
    pub const KEY_CERT_SIGN: u16 = 1 << 5;
    /// cRLSign.
    pub const CRL_SIGN: u16 = 1 << 6;
}

/// A certificate (CSCA, link, DS or ML signer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// The complete DER.
    pub der: Vec<u8>,
    signed: Signed,
    /// The subject Name encoding.
    pub subject_raw: Vec<u8>,
    /// The issuer Name encoding.
    pub issuer_raw: Vec<u8>,
    /// The subject as text (RFC 4514-like).
    pub subject: String,
    /// The issuer as text.
    pub issuer: String,
    /// The serial number content octets.
    pub serial: Vec<u8>,
    /// notBefore, Unix seconds.
    pub not_before: i64,
    /// notAfter, Unix seconds.
    pub not_after: i64,
    /// subjectKeyIdentifier.
    pub ski: Option<Vec<u8>>,
    /// authorityKeyIdentifier keyIdentifier.
    pub aki: Option<Vec<u8>>,
    /// keyUsage flags (see [`key_usage`]), if present.
    pub key_usage: Option<u16>,
    /// basicConstraints (cA, pathLenConstraint), if present.
    pub basic_constraints: Option<(bool, Option<u32>)>,
    /// The SubjectPublicKeyInfo DER.
    pub spki: Vec<u8>,
    /// The subject countryName.
    pub subject_country: Option<String>,
    /// The issuer countryName.
    pub issuer_country: Option<String>,
    /// privateKeyUsagePeriod (RFC 5280 §4.2.1.4, OID 2.5.29.16; Doc 9303-12 §7.1.1), if
    /// present and well formed.
    pub private_key_usage_period: Option<PrivateKeyUsagePeriod>,
    /// extKeyUsage KeyPurposeIds (RFC 5280 §4.2.1.12), dotted; empty when absent.
    pub extended_key_usage: Vec<String>,
    /// The public key, read from `spki` on first use: CSCA and (shared) DS certificates
    /// verify many signatures, and the key is the same each time.
    key: KeyCell,
}

/// The lazily read key of a certificate. Not part of its identity: two certificates with
/// the same DER are equal whether or not either key was read yet.
#[derive(Debug, Clone, Default)]
struct KeyCell(std::sync::OnceLock<Result<VerifyingKey, AlgError>>);

impl PartialEq for KeyCell {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for KeyCell {}

/// The privateKeyUsagePeriod extension (RFC 5280 §4.2.1.4): the period in which the private key
/// may sign. Either bound may be absent (never both, RFC 3280 §4.2.1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrivateKeyUsagePeriod {
    /// notBefore `[0] GeneralizedTime`, Unix seconds.
    pub not_before: Option<i64>,
    /// notAfter `[1] GeneralizedTime`, Unix seconds.
    pub not_after: Option<i64>,
}

/// OID of privateKeyUsagePeriod (x509-parser 0.16 leaves it unparsed).
pub const OID_PRIVATE_KEY_USAGE_PERIOD: &str = "2.5.29.16";
/// Its content octets (2.5.29.16), compared without building the dotted form.
const OID_PRIVATE_KEY_USAGE_PERIOD_BYTES: &[u8] = &[0x55, 0x1D, 0x10];

impl PrivateKeyUsagePeriod {
    /// Parses the extension value
    /// `SEQUENCE { notBefore [0] IMPLICIT GeneralizedTime OPTIONAL, notAfter [1] ... }`;
    /// None when malformed or when both bounds are absent.
    pub fn from_der(value: &[u8]) -> Option<Self> {
        let mut c = Cursor::new(value, FileId::Sod, asn1::DER);
        let (_, mut s) = c.sequence().ok()?;
        c.finish().ok()?;
        let not_before = match s.optional(0x80).ok()? {
            Some(t) => Some(generalized_time(t.value)?),
            None => None,
        };
        let not_after = match s.optional(0x81).ok()? {
            Some(t) => Some(generalized_time(t.value)?),
            None => None,
        };
        s.finish().ok()?;
        if not_before.is_none() && not_after.is_none() {
            return None;
        }
        Some(PrivateKeyUsagePeriod {
            not_before,
            not_after,
        })
    }

    /// True when `t` lies inside the period (an absent bound does not limit).
    pub fn contains(&self, t: i64) -> bool {
        self.not_before.is_none_or(|b| b <= t) && self.not_after.is_none_or(|a| t <= a)
    }
}

/// DER GeneralizedTime `YYYYMMDDHHMMSSZ` (X.690 §11.7, RFC 5280 §4.1.2.5.2) to Unix seconds.
pub fn generalized_time(v: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(v).ok()?;
    let d = s.strip_suffix('Z')?;
    if d.len() != 14 || !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |a: usize, b: usize| d.get(a..b).and_then(|x| x.parse::<u32>().ok());
    let (mo, da, hh, mi, ss) = (n(4, 6)?, n(6, 8)?, n(8, 10)?, n(10, 12)?, n(12, 14)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&da) || hh > 23 || mi > 59 || ss > 59 {
        return None;
    }
    Some(super::time::unix_from_civil(
        i64::from(n(0, 4)?),
        mo,
        da,
        hh,
        mi,
        ss,
    ))
}

/// DER UTCTime `YYMMDDHHMMSSZ` (X.690 §11.8; RFC 5280 §4.1.2.5.1: YY >= 50 is 19YY, else 20YY).
pub fn utc_time(v: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(v).ok()?;
    let d = s.strip_suffix('Z')?;
    if d.len() != 12 || !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let yy: u32 = d.get(0..2)?.parse().ok()?;
    let century = if yy >= 50 { "19" } else { "20" };
    generalized_time(format!("{century}{d}Z").as_bytes())
}

fn x509_err(
    what: &'static str,
) -> impl Fn(x509_parser::nom::Err<x509_parser::error::X509Error>) -> CertError {
    move |e| CertError::X509 {
        what,
        detail: e.to_string(),
    }
}

fn country(n: &x509_parser::x509::X509Name<'_>) -> Option<String> {
    n.iter_country()
        .next()
        .and_then(|a| a.as_str().ok())
        .map(str::to_owned)
}

impl Certificate {
    /// Parses a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, CertError> {
        let signed = split_signed(der)?;
        let (rest, x) = x509_parser::certificate::X509Certificate::from_der(der)
            .map_err(x509_err("certificate"))?;
        if !rest.is_empty() {
            return Err(CertError::Structure {
                offset: der.len().saturating_sub(rest.len()),
            });
        }
        let mut ski = None;
        let mut aki = None;
        let mut key_usage = None;
        let mut basic_constraints = None;
        let mut private_key_usage_period = None;
        let mut extended_key_usage = Vec::new();
        for ext in x.extensions() {
            if ext.oid.as_bytes() == OID_PRIVATE_KEY_USAGE_PERIOD_BYTES {
                private_key_usage_period = PrivateKeyUsagePeriod::from_der(ext.value);
            }
            match ext.parsed_extension() {
                ParsedExtension::ExtendedKeyUsage(e) => {
                    // Only `other` purposes matter here (ICAO ids); cap for hostile input.
                    extended_key_usage = e.other.iter().take(32).map(|o| o.to_id_string()).collect()
                }
                ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(k.0.to_vec()),
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    aki = a.key_identifier.as_ref().map(|k| k.0.to_vec())
                }
                ParsedExtension::KeyUsage(k) => key_usage = Some(k.flags),
                ParsedExtension::BasicConstraints(b) => {
                    basic_constraints = Some((b.ca, b.path_len_constraint))
                }
                _ => {}
            }
        }
        let tbs = &x.tbs_certificate;
        Ok(Certificate {
            der: der.to_vec(),
            signed,
            subject_raw: tbs.subject.as_raw().to_vec(),
            issuer_raw: tbs.issuer.as_raw().to_vec(),
            subject: tbs.subject.to_string(),
            issuer: tbs.issuer.to_string(),
            serial: tbs.raw_serial().to_vec(),
            not_before: tbs.validity.not_before.timestamp(),
            not_after: tbs.validity.not_after.timestamp(),
            ski,
            aki,
            key_usage,
            basic_constraints,
            spki: tbs.subject_pki.raw.to_vec(),
            subject_country: country(&tbs.subject),
            issuer_country: country(&tbs.issuer),
            private_key_usage_period,
            extended_key_usage,
            key: KeyCell::default(),
        })
    }

    /// As [`Certificate::from_der`], through a bounded process-wide memo keyed by the exact
    /// DER: a Document Signer certificate arrives in every EF.SOD it signed (thousands of
    /// documents), and parsing it is the largest non-cryptographic cost of PA. Only
    /// successful parses are kept; parsing is a pure function of the bytes, so the memo
    /// cannot change a result, only skip repeating it. Signatures are still checked per use.
    pub fn from_der_shared(der: &[u8]) -> Result<std::sync::Arc<Self>, CertError> {
        parsed_memo::get_or_parse(der)
    }

    /// Parses PEM ("-----BEGIN CERTIFICATE-----") or DER.
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<Vec<Self>, CertError> {
        if bytes.starts_with(b"-----") {
            let mut out = Vec::new();
            for pem in x509_parser::pem::Pem::iter_from_buffer(bytes) {
                let pem = pem.map_err(|e| CertError::X509 {
                    what: "PEM",
                    detail: e.to_string(),
                })?;
                if pem.label == "CERTIFICATE" {
                    out.push(Self::from_der(&pem.contents)?);
                }
            }
            Ok(out)
        } else {
            Ok(vec![Self::from_der(bytes)?])
        }
    }

    /// The certificate's public key.
    pub fn public_key(&self) -> Result<VerifyingKey, AlgError> {
        self.key().cloned()
    }

    /// The certificate's public key, read once per certificate.
    pub fn key(&self) -> Result<&VerifyingKey, AlgError> {
        self.key
            .0
            .get_or_init(|| VerifyingKey::from_spki_der(&self.spki))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The scheme of the certificate's own signature (by its issuer).
    pub fn signature_scheme(&self) -> Result<SignatureScheme, AlgError> {
        self.signed.scheme()
    }

    /// Verifies this certificate's signature with the issuer's key.
    pub fn verify_signed_by(
        &self,
        issuer: &VerifyingKey,
        min_rsa_bits: usize,
    ) -> Result<(), AlgError> {
        self.signed.verify(issuer, min_rsa_bits)
    }

    /// True when `at` lies within notBefore..=notAfter.
    pub fn valid_at(&self, at: i64) -> bool {
        self.not_before <= at && at <= self.not_after
    }

    /// True when the serial number equals `serial` (content octets, leading zeros ignored).
    pub fn serial_eq(&self, serial: &[u8]) -> bool {
        strip(&self.serial) == strip(serial)
    }
}

fn strip(b: &[u8]) -> &[u8] {
    let skip = b.iter().take_while(|x| **x == 0).count();
    b.get(skip..).unwrap_or(&[])
}

/// A certificate revocation list (RFC 5280 §5, Doc 9303-12 §7.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crl {
    /// The complete DER.
    pub der: Vec<u8>,
    signed: Signed,
    /// The issuer Name encoding.
    pub issuer_raw: Vec<u8>,
    /// The issuer as text.
    pub issuer: String,
    /// thisUpdate, Unix seconds.
    pub this_update: i64,
    /// nextUpdate, Unix seconds.
    pub next_update: Option<i64>,
    /// Serial numbers of revoked certificates (content octets).
    pub revoked: Vec<Vec<u8>>,
    /// authorityKeyIdentifier keyIdentifier.
    pub aki: Option<Vec<u8>>,
    /// cRLNumber (big-endian bytes).
    pub number: Option<Vec<u8>>,
}

impl Crl {
    /// Parses a DER CRL.
    pub fn from_der(der: &[u8]) -> Result<Self, CertError> {
        let signed = split_signed(der)?;
        let (rest, x) = x509_parser::revocation_list::CertificateRevocationList::from_der(der)
            .map_err(x509_err("CRL"))?;
        if !rest.is_empty() {
            return Err(CertError::Structure {
                offset: der.len().saturating_sub(rest.len()),
            });
        }
        let mut aki = None;
        for ext in x.extensions() {
            if let ParsedExtension::AuthorityKeyIdentifier(a) = ext.parsed_extension() {
                aki = a.key_identifier.as_ref().map(|k| k.0.to_vec());
            }
        }
        Ok(Crl {
            der: der.to_vec(),
            signed,
            issuer_raw: x.issuer().as_raw().to_vec(),
            issuer: x.issuer().to_string(),
            this_update: x.last_update().timestamp(),
            next_update: x.next_update().map(|t| t.timestamp()),
            revoked: x
                .iter_revoked_certificates()
                .map(|r| r.raw_serial().to_vec())
                .collect(),
            aki,
            number: x.crl_number().map(|n| n.to_bytes_be()),
        })
    }

    /// Verifies the CRL signature with the issuer's key.
    pub fn verify_signed_by(
        &self,
        issuer: &VerifyingKey,
        min_rsa_bits: usize,
    ) -> Result<(), AlgError> {
        self.signed.verify(issuer, min_rsa_bits)
    }

    /// The CRL's signature scheme (from its signatureAlgorithm).
    pub fn signature_scheme(&self) -> Result<SignatureScheme, AlgError> {
        self.signed.scheme()
    }

    /// True when a certificate with this serial is listed.
    pub fn lists(&self, serial: &[u8]) -> bool {
        self.revoked.iter().any(|s| strip(s) == strip(serial))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_key_usage_period_parses_either_bound() {
        // SEQUENCE { [0] "20250101000000Z", [1] "20260101000000Z" }
        let both =
            hex::decode("3022800F32303235303130313030303030305A810F32303236303130313030303030305A")
                .unwrap();
        let p = PrivateKeyUsagePeriod::from_der(&both).unwrap();
        assert_eq!(p.not_before, Some(1_735_689_600));
        assert_eq!(p.not_after, Some(1_767_225_600));
        assert!(p.contains(1_750_000_000) && !p.contains(1_767_225_601));
        // Only notAfter: no lower bound.
        let after = hex::decode("3011810F32303236303130313030303030305A").unwrap();
        let p = PrivateKeyUsagePeriod::from_der(&after).unwrap();
        assert_eq!(p.not_before, None);
        assert!(p.contains(0));
        // Neither bound, a bad time, trailing bytes: refused.
        assert_eq!(PrivateKeyUsagePeriod::from_der(&[0x30, 0x00]), None);
        let bad = hex::decode("3011810F32303236313330313030303030305A").unwrap();
        assert_eq!(PrivateKeyUsagePeriod::from_der(&bad), None);
        let mut trailing = after.clone();
        trailing.push(0);
        assert_eq!(PrivateKeyUsagePeriod::from_der(&trailing), None);
    }

    #[test]
    fn utc_time_pivot() {
        // RFC 5280 §4.1.2.5.1: YY < 50 is 20YY, YY >= 50 is 19YY.
        assert_eq!(utc_time(b"491231235959Z"), Some(2_524_607_999));
        assert_eq!(utc_time(b"500101000000Z"), Some(-631_152_000));
        assert_eq!(utc_time(b"5001010000Z"), None);
        assert_eq!(generalized_time(b"20250101000000"), None);
    }
}

/// The bounded memo behind [`Certificate::from_der_shared`].
mod parsed_memo {
    use super::{CertError, Certificate};
    use crate::pa::algorithms::DigestAlg;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};

    /// Most certificates kept; at this size the memo starts over. Entries are keyed by the
    /// SHA-256 of the whole DER, so chosen certificates cannot pile up under one key: a
    /// flood of distinct certificates costs one hash each beyond the parse it would cost
    /// anyway, and memory stays below `CAPACITY` × (`MAX_DER` + its parsed copy).
    const CAPACITY: usize = 1024;
    /// Certificates larger than this are parsed every time (real DS certificates are 1-2 KB).
    const MAX_DER: usize = 8 * 1024;

    type Memo = HashMap<Vec<u8>, Arc<Certificate>>;

    fn memo() -> &'static Mutex<Memo> {
        static M: OnceLock<Mutex<Memo>> = OnceLock::new();
        M.get_or_init(|| Mutex::new(HashMap::new()))
    }

    pub(super) fn get_or_parse(der: &[u8]) -> Result<Arc<Certificate>, CertError> {
        if der.len() > MAX_DER {
            return Certificate::from_der(der).map(Arc::new);
        }
        let key = DigestAlg::Sha256.digest(der);
        // A poisoned lock (a panic elsewhere while holding it) only disables the memo.
        if let Ok(m) = memo().lock() {
            // The DER is compared too, so even a SHA-256 collision could not swap certificates.
            if let Some(c) = m.get(&key).filter(|c| c.der == der) {
                return Ok(Arc::clone(c));
            }
        }
        let cert = Arc::new(Certificate::from_der(der)?);
        if let Ok(mut m) = memo().lock() {
            if m.len() >= CAPACITY {
                m.clear();
            }
            m.entry(key).or_insert_with(|| Arc::clone(&cert));
        }
        Ok(cert)
    }

    #[cfg(test)]
    #[allow(clippy::unwrap_used, clippy::indexing_slicing)]
    mod tests {
        use super::*;

        #[test]
        fn same_bytes_same_certificate_other_bytes_own_parse() {
            let der = include_bytes!("../../testdata/pki/ds-bp512.der");
            let a = get_or_parse(der).unwrap();
            let b = get_or_parse(der).unwrap();
            assert!(Arc::ptr_eq(&a, &b));
            // Reading the key does not change equality with a fresh parse.
            assert!(a.key().is_ok());
            assert_eq!(*a, Certificate::from_der(der).unwrap());
            // A certificate differing in one serial-number byte (far from the end) is parsed
            // on its own and carries its own bytes.
            let fresh = Certificate::from_der(der).unwrap();
            let at = der
                .windows(fresh.serial.len())
                .position(|w| w == fresh.serial.as_slice())
                .unwrap();
            let mut other = der.to_vec();
            other[at] ^= 0x01;
            let c = get_or_parse(&other).unwrap();
            assert!(!Arc::ptr_eq(&a, &c));
            assert_eq!(c.der, other);
            assert_ne!(c.serial, a.serial);
            // Still the first one for the first bytes.
            assert!(Arc::ptr_eq(&get_or_parse(der).unwrap(), &a));
            // Truncated: an error, never a cached certificate.
            assert!(get_or_parse(&der[..der.len() - 1]).is_err());
        }
    }
}
