//! ICAO deviation lists (Doc 9303-12 §10; ICAO PKD `icaopkd-003` LDIF): a CMS SignedData
//! whose eContentType is id-icao-DeviationList (2.23.136.1.1.7), by which an issuing state
//! declares known defects of documents it issued, bounded by DS certificate, issue dates and
//! document numbers:
//!
//! ```text
//! DeviationList ::= SEQUENCE {                       -- DEFINITIONS IMPLICIT TAGS
//!     version          DeviationListVersion,         -- v0(0)
//!     digestAlgorithm  AlgorithmIdentifier OPTIONAL,
//!     deviations       SET OF Deviation }
//! Deviation ::= SEQUENCE { documents DeviationDocuments,
//!                          descriptions SET OF DeviationDescription }
//! DeviationDescription ::= SEQUENCE {
//!     description    PrintableString OPTIONAL,
//!     deviationType  OBJECT IDENTIFIER,
//!     parameters     [0] ANY DEFINED BY deviationType OPTIONAL,
//!     nationalUse    [1] ANY OPTIONAL }
//! DeviationDocuments ::= SEQUENCE {
//!     documentType     [0] PrintableString (SIZE(2)) OPTIONAL,
//!     dscIdentifier    DocumentSignerIdentifier OPTIONAL,
//!     issuingDate      [4] IssuancePeriod OPTIONAL,
//!     documentNumbers  [5] SET OF PrintableString OPTIONAL }
//! DocumentSignerIdentifier ::= CHOICE {
//!     issuerAndSerialNumber [1] IssuerAndSerialNumber,
//!     subjectKeyIdentifier  [2] SubjectKeyIdentifier,
//!     certificateDigest     [3] Digest }
//! IssuancePeriod ::= SEQUENCE { firstIssued GeneralizedTime, lastIssued GeneralizedTime }
//! ```
//!
//! A deviation list is accepted like a master list: its signer must verify the CMS signature
//! and chain to an anchor valid at import time (an operator-given master-list anchor or a CSCA
//! already trusted); in addition the signer certificate must carry the extKeyUsage
//! id-icao-mrtd-security-deviationListSigningKey (2.23.136.1.1.8), so that no DS or
//! master-list signer key can declare deviations. How a listed deviation affects Passive Authentication is
//! [`crate::pa::deviation`].

use crate::lds::asn1::{self, tag, Cursor};
use crate::lds::{cms, FileId};
use crate::pa::algorithms::DigestAlg;
use crate::pa::cert::{generalized_time, Certificate};

use super::master_list::{malformed, signed_list, verify_list_signer, MasterListError};

/// id-icao-DeviationList.
pub const ID_ICAO_DEVIATION_LIST: &str = "2.23.136.1.1.7";
/// id-icao-mrtd-security-deviationListSigningKey: the extKeyUsage KeyPurposeId (RFC 5280
/// §4.2.1.12) a deviation-list signer certificate must carry (Doc 9303-12 §7.1 certificate
/// profiles, §10).
pub const ID_ICAO_DEVIATION_LIST_SIGNING_KEY: &str = "2.23.136.1.1.8";
/// Caps (a national list holds a handful of entries; these bound hostile input).
const MAX_DEVIATIONS: usize = 10_000;
const MAX_DESCRIPTIONS: usize = 64;
const MAX_DOCUMENT_NUMBERS: usize = 100_000;

/// Why a deviation list was refused.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviationListError {
    /// Not a well-formed CMS SignedData / DeviationList.
    #[error("deviation list malformed at byte {offset}: {detail}")]
    Malformed {
        /// Byte offset (within the whole file).
        offset: usize,
        /// What is wrong.
        detail: String,
    },
    /// eContentType is not id-icao-DeviationList.
    #[error("eContentType {found} is not id-icao-DeviationList")]
    WrongContentType {
        /// The OID found.
        found: String,
    },
    /// The signer is missing, its signature does not verify, or it chains to no anchor.
    #[error("deviation-list signer: {0}")]
    Signer(String),
    /// The signer verifies and chains, but its certificate lacks the deviation-list-signing
    /// extKeyUsage (a DS or master-list signer key must not speak for deviations).
    #[error("deviation-list signer {subject} lacks the extKeyUsage id-icao-mrtd-security-deviationListSigningKey (2.23.136.1.1.8)")]
    SignerNotAuthorised {
        /// The signer's subject.
        subject: String,
    },
    /// Over a cap.
    #[error("deviation list over the cap on {what}")]
    TooLarge {
        /// Which cap.
        what: &'static str,
    },
}

impl From<MasterListError> for DeviationListError {
    fn from(e: MasterListError) -> Self {
        match e {
            MasterListError::Malformed { offset, detail } => {
                DeviationListError::Malformed { offset, detail }
            }
            MasterListError::WrongContentType { found } => {
                DeviationListError::WrongContentType { found }
            }
            MasterListError::NoSigner => {
                DeviationListError::Signer("no certificate in the list matches the sid".into())
            }
            MasterListError::Signature(r) => DeviationListError::Signer(r),
            MasterListError::UntrustedSigner { subject } => DeviationListError::Signer(format!(
                "{subject} is not signed by a configured anchor or trusted CSCA valid now"
            )),
            other => DeviationListError::Signer(other.to_string()),
        }
    }
}

/// The deviation types of Doc 9303-12 §10.2 (the OID arc under id-icao-DeviationList).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviationKind {
    /// id-Deviation-CertOrKey-DSSignature (.1.1): the DS certificate signature is wrong.
    DsSignature,
    /// id-Deviation-CertOrKey-DSEncoding (.1.2): a DS certificate field is mis-encoded.
    DsEncoding,
    /// id-Deviation-CertOrKey-CSCAEncoding (.1.3): a CSCA certificate field is mis-encoded.
    CscaEncoding,
    /// id-Deviation-CertOrKey-AAKeyCompromised (.1.4).
    AaKeyCompromised,
    /// id-Deviation-LDS-DGMalformed (.2.1), parameter: the data group.
    DgMalformed,
    /// id-Deviation-LDS-DGHashWrong (.2.2), parameter: the data group.
    DgHashWrong,
    /// id-Deviation-LDS-SODSignatureWrong (.2.3).
    SodSignatureWrong,
    /// id-Deviation-LDS-COMInconsistent (.2.4).
    ComInconsistent,
    /// id-Deviation-MRZ-WrongData (.3.1).
    MrzWrongData,
    /// id-Deviation-MRZ-WrongCheckDigit (.3.2).
    MrzWrongCheckDigit,
    /// id-Deviation-Chip (.4).
    Chip,
    /// id-Deviation-NationalUse (.5) or any other type under the arc.
    Other,
}

impl DeviationKind {
    /// From the deviationType OID (dotted).
    pub fn from_dotted(d: &str) -> Self {
        match d.strip_prefix("2.23.136.1.1.7.") {
            Some("1.1") => DeviationKind::DsSignature,
            Some("1.2") => DeviationKind::DsEncoding,
            Some("1.3") => DeviationKind::CscaEncoding,
            Some("1.4") => DeviationKind::AaKeyCompromised,
            Some("2.1") => DeviationKind::DgMalformed,
            Some("2.2") => DeviationKind::DgHashWrong,
            Some("2.3") => DeviationKind::SodSignatureWrong,
            Some("2.4") => DeviationKind::ComInconsistent,
            Some("3.1") => DeviationKind::MrzWrongData,
            Some("3.2") => DeviationKind::MrzWrongCheckDigit,
            Some("4") => DeviationKind::Chip,
            _ => DeviationKind::Other,
        }
    }

    /// The Doc 9303-12 name.
    pub fn name(self) -> &'static str {
        match self {
            DeviationKind::DsSignature => "id-Deviation-CertOrKey-DSSignature",
            DeviationKind::DsEncoding => "id-Deviation-CertOrKey-DSEncoding",
            DeviationKind::CscaEncoding => "id-Deviation-CertOrKey-CSCAEncoding",
            DeviationKind::AaKeyCompromised => "id-Deviation-CertOrKey-AAKeyCompromised",
            DeviationKind::DgMalformed => "id-Deviation-LDS-DGMalformed",
            DeviationKind::DgHashWrong => "id-Deviation-LDS-DGHashWrong",
            DeviationKind::SodSignatureWrong => "id-Deviation-LDS-SODSignatureWrong",
            DeviationKind::ComInconsistent => "id-Deviation-LDS-COMInconsistent",
            DeviationKind::MrzWrongData => "id-Deviation-MRZ-WrongData",
            DeviationKind::MrzWrongCheckDigit => "id-Deviation-MRZ-WrongCheckDigit",
            DeviationKind::Chip => "id-Deviation-Chip",
            DeviationKind::Other => "other deviation type",
        }
    }
}

/// DocumentSignerIdentifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DsIdentifier {
    /// [1] IssuerAndSerialNumber: the issuer Name DER and the serial (as encoded).
    IssuerAndSerial {
        /// Issuer Name, complete DER.
        issuer_raw: Vec<u8>,
        /// Serial number INTEGER content.
        serial: Vec<u8>,
    },
    /// [2] SubjectKeyIdentifier.
    Ski(Vec<u8>),
    /// [3] Digest of the DS certificate (with the list's digestAlgorithm).
    CertificateDigest(Vec<u8>),
}

/// DeviationDocuments: which documents an entry covers (every present field must match).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviationDocuments {
    /// documentType (two characters, Doc 9303-3).
    pub document_type: Option<String>,
    /// The DS certificate.
    pub ds: Option<DsIdentifier>,
    /// issuingDate: first and last issue day, Unix seconds.
    pub issuing_period: Option<(i64, i64)>,
    /// documentNumbers.
    pub document_numbers: Vec<String>,
}

impl DeviationDocuments {
    /// True when no field bounds the range (such an entry is never applied: it would cover
    /// every document of the state).
    pub fn is_unbounded(&self) -> bool {
        self.document_type.is_none()
            && self.ds.is_none()
            && self.issuing_period.is_none()
            && self.document_numbers.is_empty()
    }
}

/// DeviationDescription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviationDescription {
    /// The free-text description, if any.
    pub description: Option<String>,
    /// The deviation type.
    pub kind: DeviationKind,
    /// deviationType, dotted.
    pub oid: String,
    /// The parameter as an INTEGER (Datagroup, CertificateBodyField), when it is one.
    pub parameter_int: Option<u64>,
    /// The parameter as an OBJECT IDENTIFIER (CertField extension), when it is one.
    pub parameter_oid: Option<String>,
}

impl DeviationDescription {
    /// "name 'description'" for reports.
    pub fn describe(&self) -> String {
        let mut s = self.kind.name().to_owned();
        if let Some(n) = self.parameter_int {
            s.push_str(&format!(" ({n})"));
        }
        if let Some(o) = &self.parameter_oid {
            s.push_str(&format!(" ({o})"));
        }
        if let Some(d) = &self.description {
            s.push_str(&format!(" '{d}'"));
        }
        s
    }
}

/// One Deviation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deviation {
    /// The documents covered.
    pub documents: DeviationDocuments,
    /// What is wrong with them.
    pub descriptions: Vec<DeviationDescription>,
}

/// A parsed deviation list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviationList {
    /// digestAlgorithm (for certificateDigest), when given and known.
    pub digest: Option<DigestAlg>,
    /// The deviations.
    pub deviations: Vec<Deviation>,
    /// The signer's subject (None when parsed unverified).
    pub signer: Option<String>,
    /// The signer's country: a list applies only to documents whose DS has this issuer
    /// country (a state declares deviations of its own documents only).
    pub signer_country: Option<String>,
}

/// Parses a deviation list and verifies its signer against `anchors` at `at` (Unix seconds).
pub fn parse_and_verify(
    bytes: &[u8],
    anchors: &[Certificate],
    at: i64,
    min_rsa_bits: usize,
) -> Result<DeviationList, DeviationListError> {
    let sd = signed_list(bytes, ID_ICAO_DEVIATION_LIST)?;
    let mut list = content(&sd)?;
    let signer = verify_list_signer(&sd, ID_ICAO_DEVIATION_LIST, anchors, at, min_rsa_bits)?;
    if !signer
        .extended_key_usage
        .iter()
        .any(|p| p == ID_ICAO_DEVIATION_LIST_SIGNING_KEY)
    {
        return Err(DeviationListError::SignerNotAuthorised {
            subject: signer.subject.clone(),
        });
    }
    list.signer = Some(signer.subject.clone());
    list.signer_country = signer.subject_country.clone();
    Ok(list)
}

/// Parses a deviation list that was verified before (the trust store re-reads what it
/// accepted): the signer's subject and country come from the carried certificate matching the
/// sid, without checking the signature again.
pub fn parse_stored(bytes: &[u8]) -> Result<DeviationList, DeviationListError> {
    let sd = signed_list(bytes, ID_ICAO_DEVIATION_LIST)?;
    let mut list = content(&sd)?;
    if let Some(si) = sd.signer_infos.first() {
        if let Some(s) = sd
            .certificates
            .iter()
            .filter_map(|d| Certificate::from_der(d).ok())
            .find(|s| crate::pa::sid_matches(si, s))
        {
            list.signer = Some(s.subject.clone());
            list.signer_country = s.subject_country.clone();
        }
    }
    Ok(list)
}

/// True when `bytes` are a CMS SignedData with eContentType id-icao-DeviationList.
pub fn is_deviation_list(bytes: &[u8]) -> bool {
    signed_list(bytes, ID_ICAO_DEVIATION_LIST).is_ok()
}

fn bad(e: crate::lds::LdsError) -> DeviationListError {
    malformed(e).into()
}

fn printable(t: &crate::tlv::Tlv<'_>) -> Option<String> {
    std::str::from_utf8(t.value).ok().map(str::to_owned)
}

fn content(sd: &cms::SignedData<'_>) -> Result<DeviationList, DeviationListError> {
    let mut e = Cursor::at(
        sd.econtent,
        FileId::CardSecurity,
        asn1::DER,
        sd.econtent_offset,
    );
    let (_, mut list) = e.sequence().map_err(bad)?;
    e.finish().map_err(bad)?;
    let version = list.uint().map_err(bad)?;
    if version != 0 {
        return Err(DeviationListError::Malformed {
            offset: sd.econtent_offset,
            detail: format!("DeviationList version {version} (v0 expected)"),
        });
    }
    let mut digest = None;
    if list.peek_tag().map_err(bad)? == Some(tag::SEQUENCE) {
        let (_, mut alg) = list.sequence().map_err(bad)?;
        let oid = alg.oid().map_err(bad)?.dotted();
        digest = DigestAlg::from_dotted(&oid).ok();
    }
    let (_, mut set) = list.set().map_err(bad)?;
    list.finish().map_err(bad)?;
    let mut deviations = Vec::new();
    while !set.is_empty() {
        if deviations.len() >= MAX_DEVIATIONS {
            return Err(DeviationListError::TooLarge { what: "deviations" });
        }
        let (_, mut dev) = set.sequence().map_err(bad)?;
        let documents = documents(&mut dev)?;
        let (_, mut descs) = dev.set().map_err(bad)?;
        dev.finish().map_err(bad)?;
        let mut descriptions = Vec::new();
        while !descs.is_empty() {
            if descriptions.len() >= MAX_DESCRIPTIONS {
                return Err(DeviationListError::TooLarge {
                    what: "descriptions",
                });
            }
            descriptions.push(description(&mut descs)?);
        }
        deviations.push(Deviation {
            documents,
            descriptions,
        });
    }
    Ok(DeviationList {
        digest,
        deviations,
        signer: None,
        signer_country: None,
    })
}

fn documents(dev: &mut Cursor<'_>) -> Result<DeviationDocuments, DeviationListError> {
    let (_, mut d) = dev.sequence().map_err(bad)?;
    let mut out = DeviationDocuments::default();
    if let Some(t) = d.optional(0x80).map_err(bad)? {
        out.document_type = printable(&t);
    }
    if let Some(t) = d.optional(0xA1).map_err(bad)? {
        // [1] IMPLICIT IssuerAndSerialNumber: the SEQUENCE's contents under the A1 tag.
        let mut c = d.children(&t).map_err(bad)?;
        let name = c.expect(tag::SEQUENCE).map_err(bad)?;
        let serial = c.integer().map_err(bad)?;
        c.finish().map_err(bad)?;
        out.ds = Some(DsIdentifier::IssuerAndSerial {
            issuer_raw: name.raw.to_vec(),
            serial: serial.as_bytes().to_vec(),
        });
    } else if let Some(t) = d.optional(0x82).map_err(bad)? {
        out.ds = Some(DsIdentifier::Ski(t.value.to_vec()));
    } else if let Some(t) = d.optional(0x83).map_err(bad)? {
        out.ds = Some(DsIdentifier::CertificateDigest(t.value.to_vec()));
    }
    if let Some(t) = d.optional(0xA4).map_err(bad)? {
        let mut c = d.children(&t).map_err(bad)?;
        let first = c.expect(0x18).map_err(bad)?;
        let last = c.expect(0x18).map_err(bad)?;
        c.finish().map_err(bad)?;
        let bad_time = |off| DeviationListError::Malformed {
            offset: off,
            detail: "IssuancePeriod GeneralizedTime malformed".into(),
        };
        let f = generalized_time(first.value).ok_or(bad_time(first.offset))?;
        let l = generalized_time(last.value).ok_or(bad_time(last.offset))?;
        out.issuing_period = Some((f, l));
    }
    if let Some(t) = d.optional(0xA5).map_err(bad)? {
        let mut c = d.children(&t).map_err(bad)?;
        while let Some(n) = c.next().map_err(bad)? {
            if out.document_numbers.len() >= MAX_DOCUMENT_NUMBERS {
                return Err(DeviationListError::TooLarge {
                    what: "documentNumbers",
                });
            }
            if let Some(s) = printable(&n) {
                out.document_numbers.push(s);
            }
        }
    }
    d.finish().map_err(bad)?;
    Ok(out)
}

fn description(descs: &mut Cursor<'_>) -> Result<DeviationDescription, DeviationListError> {
    let (_, mut d) = descs.sequence().map_err(bad)?;
    let description = d
        .optional(tag::PRINTABLE_STRING)
        .map_err(bad)?
        .and_then(|t| printable(&t));
    let oid = d.oid().map_err(bad)?.dotted();
    let mut parameter_int = None;
    let mut parameter_oid = None;
    // [0] ANY is explicitly tagged (X.680 §31.2.7: an open type cannot be tagged implicitly).
    if let Some(t) = d.optional(0xA0).map_err(bad)? {
        let mut c = d.children(&t).map_err(bad)?;
        match c.peek_tag().map_err(bad)? {
            Some(tag::INTEGER) => parameter_int = c.uint().ok(),
            Some(tag::OID) => parameter_oid = c.oid().ok().map(|o| o.dotted()),
            _ => {}
        }
    }
    let _national_use = d.optional(0xA1).map_err(bad)?;
    d.finish().map_err(bad)?;
    Ok(DeviationDescription {
        description,
        kind: DeviationKind::from_dotted(&oid),
        oid,
        parameter_int,
        parameter_oid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_times() {
        assert_eq!(
            DeviationKind::from_dotted("2.23.136.1.1.7.2.2"),
            DeviationKind::DgHashWrong
        );
        assert_eq!(
            DeviationKind::from_dotted("2.23.136.1.1.7.5"),
            DeviationKind::Other
        );
        assert_eq!(
            generalized_time(b"20250101000000Z"),
            Some(crate::pa::time::unix_from_civil(2025, 1, 1, 0, 0, 0))
        );
        assert_eq!(generalized_time(b"20251301000000Z"), None);
        assert_eq!(generalized_time(b"2025010100000Z"), None);
    }
}
