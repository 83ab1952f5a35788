//! The parts of CMS SignedData (RFC 5652 §5) that EF.SOD and EF.CardSecurity need, as raw
//! spans: enough to reach the encapsulated content and to hand the exact signed bytes to
//! Passive Authentication later. Nothing here verifies a signature.
//!
//! ```text
//! ContentInfo ::= SEQUENCE { contentType id-signedData, content [0] EXPLICIT SignedData }
//! SignedData ::= SEQUENCE { version, digestAlgorithms SET OF AlgorithmIdentifier,
//!     encapContentInfo SEQUENCE { eContentType OID, eContent [0] EXPLICIT OCTET STRING },
//!     certificates [0] IMPLICIT SET OF Certificate OPTIONAL,
//!     crls [1] IMPLICIT SET OF RevocationInfoChoice OPTIONAL,
//!     signerInfos SET OF SignerInfo }
//! SignerInfo ::= SEQUENCE { version, sid (IssuerAndSerialNumber | [0] SubjectKeyIdentifier),
//!     digestAlgorithm, signedAttrs [0] IMPLICIT OPTIONAL, signatureAlgorithm,
//!     signature OCTET STRING, unsignedAttrs [1] IMPLICIT OPTIONAL }
//! ```
//! BER (indefinite lengths) is accepted for this wrapper, as some issued EF.SODs use it
//! (pitfalls #10); the eContent itself is parsed as DER by the callers.

use super::asn1::{self, tag, Cursor, Oid};
use super::spki::{self, AlgorithmIdentifier};
use super::{oid, FileId, Invalid, LdsError};
use crate::tlv::Limits;

/// Caps: digest algorithms, certificates, CRLs and signer infos per SignedData. Real EF.SODs
/// carry one of each; 16 leaves room without unbounded allocation.
pub const MAX_ELEMENTS: usize = 16;

/// BER limits for the CMS wrapper (indefinite lengths allowed).
pub const BER: Limits = Limits {
    max_depth: 16,
    max_len: 16 * 1024 * 1024,
    allow_indefinite: true,
    strict_der: false,
};

/// How a SignerInfo names its certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum SidKind {
    /// IssuerAndSerialNumber (SignerInfo version 1).
    IssuerAndSerialNumber,
    /// `[0]` SubjectKeyIdentifier (SignerInfo version 3).
    SubjectKeyIdentifier,
}

/// One SignerInfo: raw encoding plus the fields PA needs to find its inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerInfo<'a> {
    /// The complete encoding.
    pub raw: &'a [u8],
    /// version (1 or 3).
    pub version: u64,
    /// The kind of sid.
    pub sid_kind: SidKind,
    /// The sid encoding (IssuerAndSerialNumber SEQUENCE or the `[0]` TLV).
    pub sid_raw: &'a [u8],
    /// digestAlgorithm.
    pub digest_algorithm: AlgorithmIdentifier<'a>,
    /// The complete signedAttrs encoding as read, tag A0 included (for hashing, the tag is
    /// replaced by SET 0x31, RFC 5652 §5.4).
    pub signed_attrs: Option<&'a [u8]>,
    /// signatureAlgorithm.
    pub signature_algorithm: AlgorithmIdentifier<'a>,
    /// The signature value.
    pub signature: &'a [u8],
    /// unsignedAttrs encoding, if any.
    pub unsigned_attrs: Option<&'a [u8]>,
}

/// A SignedData view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedData<'a> {
    /// The complete ContentInfo encoding.
    pub content_info_raw: &'a [u8],
    /// The complete SignedData encoding.
    pub raw: &'a [u8],
    /// version.
    pub version: u64,
    /// digestAlgorithms.
    pub digest_algorithms: Vec<AlgorithmIdentifier<'a>>,
    /// eContentType.
    pub econtent_type: Oid<'a>,
    /// The eContent octets (what the LDSSecurityObject / SecurityInfos hash covers).
    pub econtent: &'a [u8],
    /// Absolute offset of the eContent octets.
    pub econtent_offset: usize,
    /// certificates, each as its raw DER.
    pub certificates: Vec<&'a [u8]>,
    /// crls, each raw.
    pub crls: Vec<&'a [u8]>,
    /// signerInfos.
    pub signer_infos: Vec<SignerInfo<'a>>,
}

/// Parses a ContentInfo with SignedData from `c` (which must be a BER cursor).
pub fn parse_content_info<'a>(c: &mut Cursor<'a>) -> Result<SignedData<'a>, LdsError> {
    let (ci_t, mut ci) = c.sequence()?;
    let ct_off = ci.offset();
    if ci.oid()?.as_bytes() != oid::ID_SIGNED_DATA {
        return Err(ci.invalid(ct_off, Invalid::UnexpectedOid));
    }
    let (_, mut content) = ci.constructed(0xA0)?;
    ci.finish()?;
    let (sd_t, mut sd) = content.sequence()?;
    content.finish()?;
    let version = sd.uint()?;
    let (_, mut algs) = sd.set()?;
    let mut digest_algorithms = Vec::new();
    while !algs.is_empty() {
        asn1::check_count(&algs, digest_algorithms.len(), MAX_ELEMENTS, algs.offset())?;
        digest_algorithms.push(spki::algorithm_identifier(&mut algs)?);
    }
    let (_, mut eci) = sd.sequence()?;
    let econtent_type = eci.oid()?;
    let (_, mut ec) = eci.constructed(0xA0)?;
    eci.finish()?;
    // A constructed (BER-segmented) OCTET STRING would need reassembly; ICAO requires a
    // primitive one, so anything else is rejected.
    let e = ec.expect(tag::OCTET_STRING)?;
    ec.finish()?;
    let econtent = e.value;
    let econtent_offset = ec.abs_value(&e);
    let mut certificates = Vec::new();
    if let Some(t) = sd.optional(0xA0)? {
        let mut cc = sd.children(&t)?;
        while let Some(cert) = cc.next()? {
            asn1::check_count(&cc, certificates.len(), MAX_ELEMENTS, cc.abs(&cert))?;
            certificates.push(cert.raw);
        }
    }
    let mut crls = Vec::new();
    if let Some(t) = sd.optional(0xA1)? {
        let mut cc = sd.children(&t)?;
        while let Some(crl) = cc.next()? {
            asn1::check_count(&cc, crls.len(), MAX_ELEMENTS, cc.abs(&crl))?;
            crls.push(crl.raw);
        }
    }
    let (_, mut sis) = sd.set()?;
    sd.finish()?;
    let mut signer_infos = Vec::new();
    while !sis.is_empty() {
        asn1::check_count(&sis, signer_infos.len(), MAX_ELEMENTS, sis.offset())?;
        signer_infos.push(signer_info(&mut sis)?);
    }
    Ok(SignedData {
        content_info_raw: ci_t.raw,
        raw: sd_t.raw,
        version,
        digest_algorithms,
        econtent_type,
        econtent,
        econtent_offset,
        certificates,
        crls,
        signer_infos,
    })
}

fn signer_info<'a>(c: &mut Cursor<'a>) -> Result<SignerInfo<'a>, LdsError> {
    let (t, mut s) = c.sequence()?;
    let version = s.uint()?;
    let sid = s.read()?;
    let sid_kind = match sid.tag.0 {
        tag::SEQUENCE => SidKind::IssuerAndSerialNumber,
        0x80 => SidKind::SubjectKeyIdentifier,
        _ => return Err(s.invalid(s.abs(&sid), Invalid::Structure)),
    };
    let digest_algorithm = spki::algorithm_identifier(&mut s)?;
    let signed_attrs = s.optional(0xA0)?.map(|a| a.raw);
    let signature_algorithm = spki::algorithm_identifier(&mut s)?;
    let signature = s.octet_string()?;
    let unsigned_attrs = s.optional(0xA1)?.map(|a| a.raw);
    s.finish()?;
    Ok(SignerInfo {
        raw: t.raw,
        version,
        sid_kind,
        sid_raw: sid.raw,
        digest_algorithm,
        signed_attrs,
        signature_algorithm,
        signature,
        unsigned_attrs,
    })
}

/// A BER cursor over a whole file.
pub(crate) fn ber_cursor(bytes: &[u8], file: FileId) -> Cursor<'_> {
    Cursor::new(bytes, file, BER)
}
