//! CSCA master lists (ICAO Doc 9303-12 §9; ICAO PKD): a CMS SignedData whose eContentType is
//! id-icao-cscaMasterList (2.23.136.1.1.2) over
//!
//! ```text
//! CscaMasterList ::= SEQUENCE {
//!     version   CscaMasterListVersion,   -- v0(0)
//!     certList  SET OF Certificate }
//! ```
//!
//! A master list is only as trustworthy as its signer: it is accepted when the master-list
//! signer certificate (carried in the SignedData) verifies the CMS signature and is itself
//! signed by an operator-configured master-list anchor, valid at the import time. Not every
//! state trusts every master list (pitfalls #16), so there is no built-in anchor.

use crate::lds::asn1::{self, Cursor};
use crate::lds::{cms, FileId};
use crate::pa::cert::Certificate;
use crate::pa::{verify_signer, SignerError};

/// id-icao-cscaMasterList.
pub const ID_ICAO_CSCA_MASTER_LIST: &str = "2.23.136.1.1.2";
/// Cap on certificates in one list (the ICAO PKD list holds a few hundred).
const MAX_CERTIFICATES: usize = 10_000;

/// Why a master list was refused.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MasterListError {
    /// Not a well-formed CMS SignedData / CscaMasterList.
    #[error("master list malformed at byte {offset}: {detail}")]
    Malformed {
        /// Byte offset.
        offset: usize,
        /// What is wrong.
        detail: String,
    },
    /// eContentType is not id-icao-cscaMasterList.
    #[error("eContentType {found} is not id-icao-cscaMasterList")]
    WrongContentType {
        /// The OID found.
        found: String,
    },
    /// No certificate in the SignedData matches the SignerInfo.
    #[error("the master-list signer certificate is missing")]
    NoSigner,
    /// The CMS signature does not verify.
    #[error("master-list signature: {0}")]
    Signature(String),
    /// The signer does not chain to any configured anchor, or is not valid at import time.
    #[error("master-list signer {subject} is not signed by a configured anchor valid now")]
    UntrustedSigner {
        /// The signer's subject.
        subject: String,
    },
    /// More certificates than the cap.
    #[error("more than {max} certificates")]
    TooManyCertificates {
        /// The cap.
        max: usize,
    },
}

/// A parsed (and possibly verified) master list.
#[derive(Debug, Clone)]
pub struct MasterList {
    /// The CSCA (and link) certificates it carries.
    pub certificates: Vec<Certificate>,
    /// The signer's subject, when the list was verified.
    pub signer: Option<String>,
    /// The signer's country (the state whose list this is), when verified.
    pub signer_country: Option<String>,
}

pub(crate) fn malformed(e: crate::lds::LdsError) -> MasterListError {
    MasterListError::Malformed {
        offset: e.offset().unwrap_or(0),
        detail: e.to_string(),
    }
}

/// Parses a master list and verifies it against `anchors` at time `at` (Unix seconds).
pub fn parse_and_verify(
    bytes: &[u8],
    anchors: &[Certificate],
    at: i64,
    min_rsa_bits: usize,
) -> Result<MasterList, MasterListError> {
    let sd = signed_data(bytes)?;
    let certificates = certificates(&sd)?;
    let signer = verify_list_signer(&sd, ID_ICAO_CSCA_MASTER_LIST, anchors, at, min_rsa_bits)?;
    Ok(MasterList {
        certificates,
        signer: Some(signer.subject.clone()),
        signer_country: signer.subject_country.clone(),
    })
}

/// The CMS signer check shared by the ICAO signed lists (master lists, Doc 9303-12 §9, and
/// deviation lists, §10): the signer certificate carried in the SignedData verifies the
/// signature over signed attributes whose contentType is `content_type`, it is valid at `at`,
/// and it is one of `anchors` or is signed by an anchor valid at `at`. Returns the signer.
pub(crate) fn verify_list_signer(
    sd: &cms::SignedData<'_>,
    content_type: &str,
    anchors: &[Certificate],
    at: i64,
    min_rsa_bits: usize,
) -> Result<Certificate, MasterListError> {
    let si = sd.signer_infos.first().ok_or(MasterListError::NoSigner)?;
    let signer = sd
        .certificates
        .iter()
        .filter_map(|d| Certificate::from_der(d).ok())
        .find(|s| crate::pa::sid_matches(si, s))
        .ok_or(MasterListError::NoSigner)?;
    let accept = |ct: &str| {
        if ct == content_type {
            Ok(None)
        } else {
            Err(format!("contentType {ct} is not {content_type}"))
        }
    };
    verify_signer(sd, si, &signer, &accept, min_rsa_bits).map_err(|e| {
        MasterListError::Signature(match e {
            SignerError::Unsupported(r) => format!("cannot verify: {r}"),
            SignerError::Failed(r, _) => r,
        })
    })?;
    // The signer must be valid now and be an anchor or be signed by a valid anchor.
    let chained = signer.valid_at(at)
        && anchors.iter().any(|a| {
            a.der == signer.der
                || (a.subject_raw == signer.issuer_raw
                    && a.valid_at(at)
                    && a.public_key()
                        .is_ok_and(|k| signer.verify_signed_by(&k, min_rsa_bits).is_ok()))
        });
    if !chained {
        return Err(MasterListError::UntrustedSigner {
            subject: signer.subject.clone(),
        });
    }
    Ok(signer)
}

/// Parses a master list WITHOUT verifying its signer: only for an operator's explicit
/// `--unverified` import (the caller records that in the provenance).
pub fn parse_unverified(bytes: &[u8]) -> Result<MasterList, MasterListError> {
    let sd = signed_data(bytes)?;
    Ok(MasterList {
        certificates: certificates(&sd)?,
        signer: None,
        signer_country: None,
    })
}

fn signed_data(bytes: &[u8]) -> Result<cms::SignedData<'_>, MasterListError> {
    signed_list(bytes, ID_ICAO_CSCA_MASTER_LIST)
}

/// The CMS SignedData of an ICAO signed list whose eContentType must be `content_type`.
pub(crate) fn signed_list<'a>(
    bytes: &'a [u8],
    content_type: &str,
) -> Result<cms::SignedData<'a>, MasterListError> {
    let mut c = cms::ber_cursor(bytes, FileId::CardSecurity);
    let sd = cms::parse_content_info(&mut c).map_err(malformed)?;
    c.finish().map_err(malformed)?;
    let ct = sd.econtent_type.dotted();
    if ct != content_type {
        return Err(MasterListError::WrongContentType { found: ct });
    }
    Ok(sd)
}

fn certificates(sd: &cms::SignedData<'_>) -> Result<Vec<Certificate>, MasterListError> {
    let mut e = Cursor::at(
        sd.econtent,
        FileId::CardSecurity,
        asn1::BER_TLV,
        sd.econtent_offset,
    );
    let (_, mut list) = e.sequence().map_err(malformed)?;
    e.finish().map_err(malformed)?;
    let _version = list.uint().map_err(malformed)?;
    let (_, mut set) = list.set().map_err(malformed)?;
    let mut out = Vec::new();
    while let Some(t) = set.next().map_err(malformed)? {
        if out.len() >= MAX_CERTIFICATES {
            return Err(MasterListError::TooManyCertificates {
                max: MAX_CERTIFICATES,
            });
        }
        let cert = Certificate::from_der(t.raw).map_err(|err| MasterListError::Malformed {
            offset: t.offset,
            detail: err.to_string(),
        })?;
        out.push(cert);
    }
    Ok(out)
}
