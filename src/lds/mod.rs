//! Logical Data Structure (ICAO Doc 9303-10) file parsers, and SecurityInfos (Doc 9303-11 §9.2).
//!
//! Every parser is a borrowed view over the bytes as read: the raw bytes stay available for
//! Passive Authentication, which hashes exactly what the chip returned. Parsing never decides
//! what is trustworthy: EF.COM is informational only, explicit EC parameters are kept as bytes
//! and images are never decoded. All input is treated as hostile: nesting depth and lengths are
//! capped by [`crate::tlv::Limits`], element counts by per-structure caps, and every failure is a
//! typed [`LdsError`] carrying the file and the absolute byte offset.

pub mod asn1;
pub mod atr_info;
pub mod biometric;
pub mod card_security;
pub mod cms;
pub mod com;
pub mod cvc;
pub mod dg1;
pub mod dg11;
pub mod dg12;
pub mod dg15;
pub mod dg2;
pub mod file;
pub mod image;
pub mod oid;
pub mod security_infos;
pub mod sod;
pub mod spki;
mod text;

pub use file::{identify, FileId, RawFile};
pub use text::{DateField, TextField};

use crate::tlv::TlvError;

/// What was wrong with a value (the `what` of [`LdsError::Invalid`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    /// An INTEGER with no content octets.
    Integer,
    /// An INTEGER that is negative or too large for its field.
    IntegerRange,
    /// A malformed OBJECT IDENTIFIER encoding.
    Oid,
    /// A malformed BIT STRING.
    BitString,
    /// Text that is not valid for its field (e.g. not UTF-8 / ASCII).
    Text,
    /// An OID other than the one the structure requires.
    UnexpectedOid,
    /// A version number this parser does not know.
    Version,
    /// A count field that disagrees with the number of elements present.
    Count,
    /// A required element is empty.
    Empty,
    /// A biometric data block header that is malformed (ISO/IEC 19794-5 / 39794-5).
    BiometricHeader,
    /// An element that is not allowed at this position.
    Structure,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            Invalid::Integer => "empty INTEGER",
            Invalid::IntegerRange => "INTEGER out of range",
            Invalid::Oid => "malformed OBJECT IDENTIFIER",
            Invalid::BitString => "malformed BIT STRING",
            Invalid::Text => "invalid text",
            Invalid::UnexpectedOid => "unexpected OBJECT IDENTIFIER",
            Invalid::Version => "unsupported version",
            Invalid::Count => "count does not match the elements present",
            Invalid::Empty => "empty value",
            Invalid::BiometricHeader => "malformed biometric data block header",
            Invalid::Structure => "unexpected element",
        };
        f.write_str(s)
    }
}

/// An error while parsing an LDS file.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LdsError {
    /// The file is not well-formed BER/DER.
    #[error("{file}: {source}")]
    Tlv {
        /// The file being parsed.
        file: FileId,
        /// The TLV error (its offset is absolute in the file).
        #[source]
        source: TlvError,
    },
    /// A value is not valid for its field.
    #[error("{file}: {what} at byte {offset}")]
    Invalid {
        /// The file being parsed.
        file: FileId,
        /// Absolute offset of the offending TLV or field.
        offset: usize,
        /// What was wrong.
        what: Invalid,
    },
    /// The file starts with a tag that is not the one its type requires.
    #[error("{file}: outer tag {found:02X}, expected {expected:02X}")]
    WrongOuterTag {
        /// The file being parsed.
        file: FileId,
        /// The required tag.
        expected: u32,
        /// The tag found.
        found: u32,
    },
    /// The file is empty.
    #[error("{file}: empty file")]
    Empty {
        /// The file being parsed.
        file: FileId,
    },
    /// The content does not identify as any LDS file.
    #[error("unidentified file (first byte {first_byte:?})")]
    Unidentified {
        /// The first byte, if any.
        first_byte: Option<u8>,
    },
    /// More elements than the per-structure cap allows.
    #[error("{file}: more than {max} elements at byte {offset}")]
    TooManyElements {
        /// The file being parsed.
        file: FileId,
        /// Offset of the element over the cap.
        offset: usize,
        /// The cap.
        max: usize,
    },
    /// A data group number listed twice in an LDSSecurityObject (Doc 9303-10 §4.6.2.2).
    #[error("{file}: data group {number} listed twice at byte {offset}")]
    DuplicateDataGroup {
        /// The file being parsed.
        file: FileId,
        /// Offset of the second DataGroupHash.
        offset: usize,
        /// The repeated number.
        number: u8,
    },
    /// A data group number outside 1..=16.
    #[error("{file}: data group number {number} out of range at byte {offset}")]
    DataGroupOutOfRange {
        /// The file being parsed.
        file: FileId,
        /// Offset of the DataGroupHash.
        offset: usize,
        /// The number found (saturated).
        number: u64,
    },
    /// A biometric record length that disagrees with the data present. Some issued documents
    /// have a DG2 record length off by a few bytes (gmrtd/gmrtd#102); this is reported, not
    /// silently fixed: a policy layer can decide to tolerate it.
    #[error("{file}: record length {declared} at byte {offset} but {actual} bytes present")]
    RecordLengthMismatch {
        /// The file being parsed.
        file: FileId,
        /// Offset of the record header.
        offset: usize,
        /// Length declared in the header.
        declared: u64,
        /// Bytes actually present.
        actual: u64,
    },
}

impl LdsError {
    /// The file the error is about, if known.
    pub fn file(&self) -> Option<FileId> {
        match self {
            LdsError::Tlv { file, .. }
            | LdsError::Invalid { file, .. }
            | LdsError::WrongOuterTag { file, .. }
            | LdsError::Empty { file }
            | LdsError::TooManyElements { file, .. }
            | LdsError::DuplicateDataGroup { file, .. }
            | LdsError::DataGroupOutOfRange { file, .. }
            | LdsError::RecordLengthMismatch { file, .. } => Some(*file),
            LdsError::Unidentified { .. } => None,
        }
    }

    /// The absolute byte offset the error refers to, if any.
    pub fn offset(&self) -> Option<usize> {
        match self {
            LdsError::Tlv { source, .. } => Some(source.offset()),
            LdsError::Invalid { offset, .. }
            | LdsError::TooManyElements { offset, .. }
            | LdsError::DuplicateDataGroup { offset, .. }
            | LdsError::DataGroupOutOfRange { offset, .. }
            | LdsError::RecordLengthMismatch { offset, .. } => Some(*offset),
            LdsError::WrongOuterTag { .. } | LdsError::Empty { .. } => Some(0),
            LdsError::Unidentified { .. } => None,
        }
    }
}

/// A data group kept as raw bytes (DG3-DG4 aside, the groups this crate does not interpret:
/// DG6, DG8-DG10, DG13, DG16, and EF.CVCA / EF.DIR / EF.ATR/INFO).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawDataGroup<'a> {
    /// Which file.
    pub id: FileId,
    /// The outer tag.
    pub tag: u32,
    /// The value inside the outer tag.
    pub value: &'a [u8],
    /// The whole file.
    pub raw: &'a [u8],
}

/// Any parsed LDS file.
#[non_exhaustive]
#[derive(Debug, Clone)]
pub enum LdsFile<'a> {
    /// EF.COM.
    Com(com::Com<'a>),
    /// EF.DG1.
    Dg1(dg1::Dg1<'a>),
    /// EF.DG2.
    Dg2(dg2::Dg2<'a>),
    /// EF.DG3 (fingerprints; structure only).
    Dg3(biometric::BiometricGroup<'a>),
    /// EF.DG4 (irises; structure only).
    Dg4(biometric::BiometricGroup<'a>),
    /// EF.DG5 (displayed portrait).
    Dg5(image::DisplayedImages<'a>),
    /// EF.DG7 (displayed signature or usual mark).
    Dg7(image::DisplayedImages<'a>),
    /// EF.DG11.
    Dg11(dg11::Dg11<'a>),
    /// EF.DG12.
    Dg12(dg12::Dg12<'a>),
    /// EF.DG14 (SecurityInfos).
    Dg14(security_infos::SecurityInfos<'a>),
    /// EF.DG15 (Active Authentication public key).
    Dg15(dg15::Dg15<'a>),
    /// EF.SOD.
    Sod(sod::Sod<'a>),
    /// EF.CardAccess (SecurityInfos).
    CardAccess(security_infos::SecurityInfos<'a>),
    /// EF.CardSecurity (signed SecurityInfos).
    CardSecurity(card_security::CardSecurity<'a>),
    /// A file kept raw.
    Raw(RawDataGroup<'a>),
}

impl LdsFile<'_> {
    /// Which file this is.
    pub fn id(&self) -> FileId {
        match self {
            LdsFile::Com(_) => FileId::Com,
            LdsFile::Dg1(_) => FileId::Dg1,
            LdsFile::Dg2(_) => FileId::Dg2,
            LdsFile::Dg3(_) => FileId::Dg3,
            LdsFile::Dg4(_) => FileId::Dg4,
            LdsFile::Dg5(_) => FileId::Dg5,
            LdsFile::Dg7(_) => FileId::Dg7,
            LdsFile::Dg11(_) => FileId::Dg11,
            LdsFile::Dg12(_) => FileId::Dg12,
            LdsFile::Dg14(_) => FileId::Dg14,
            LdsFile::Dg15(_) => FileId::Dg15,
            LdsFile::Sod(_) => FileId::Sod,
            LdsFile::CardAccess(_) => FileId::CardAccess,
            LdsFile::CardSecurity(_) => FileId::CardSecurity,
            LdsFile::Raw(r) => r.id,
        }
    }
}

/// Identifies (see [`identify`]) and parses any LDS file.
pub fn parse(bytes: &[u8]) -> Result<LdsFile<'_>, LdsError> {
    let id = identify(bytes).ok_or(LdsError::Unidentified {
        first_byte: bytes.first().copied(),
    })?;
    parse_as(id, bytes)
}

/// Parses `bytes` as the file `id`.
pub fn parse_as(id: FileId, bytes: &[u8]) -> Result<LdsFile<'_>, LdsError> {
    Ok(match id {
        FileId::Com => LdsFile::Com(com::Com::parse(bytes)?),
        FileId::Dg1 => LdsFile::Dg1(dg1::Dg1::parse(bytes)?),
        FileId::Dg2 => LdsFile::Dg2(dg2::Dg2::parse(bytes)?),
        FileId::Dg3 => LdsFile::Dg3(biometric::BiometricGroup::parse_file(FileId::Dg3, bytes)?),
        FileId::Dg4 => LdsFile::Dg4(biometric::BiometricGroup::parse_file(FileId::Dg4, bytes)?),
        FileId::Dg5 => LdsFile::Dg5(image::DisplayedImages::parse(FileId::Dg5, bytes)?),
        FileId::Dg7 => LdsFile::Dg7(image::DisplayedImages::parse(FileId::Dg7, bytes)?),
        FileId::Dg11 => LdsFile::Dg11(dg11::Dg11::parse(bytes)?),
        FileId::Dg12 => LdsFile::Dg12(dg12::Dg12::parse(bytes)?),
        FileId::Dg14 => LdsFile::Dg14(security_infos::SecurityInfos::parse_dg14(bytes)?),
        FileId::Dg15 => LdsFile::Dg15(dg15::Dg15::parse(bytes)?),
        FileId::Sod => LdsFile::Sod(sod::Sod::parse(bytes)?),
        FileId::CardAccess => {
            LdsFile::CardAccess(security_infos::SecurityInfos::parse_card_access(bytes)?)
        }
        FileId::CardSecurity => LdsFile::CardSecurity(card_security::CardSecurity::parse(bytes)?),
        other => LdsFile::Raw(parse_raw(other, bytes)?),
    })
}

/// Parses a file as one outer TLV kept raw (DG13, DG16 and the other uninterpreted files).
///
/// Two master-file/application files have a different shape: EF.CVCA holds one or two CAR
/// data objects (42) in a fixed-size file padded with 00 (TR-03110 Part 3 §A.6.2.1), and
/// EF.DIR holds one application template (61) per application; for both, `value` is every
/// byte after the first TLV header and the padding or further templates are checked.
pub fn parse_raw(id: FileId, bytes: &[u8]) -> Result<RawDataGroup<'_>, LdsError> {
    match id {
        FileId::Cvca => return parse_cvca(bytes),
        FileId::Dir => return parse_dir(bytes),
        _ => {}
    }
    let t = match id.tag() {
        Some(tag) => outer(id, bytes, asn1::BER_TLV, u32::from(tag))?,
        None => {
            if bytes.is_empty() {
                return Err(LdsError::Empty { file: id });
            }
            let mut c = asn1::Cursor::new(bytes, id, asn1::BER_TLV);
            let t = c.read()?;
            c.finish()?;
            t
        }
    };
    Ok(RawDataGroup {
        id,
        tag: t.tag.0,
        value: t.value,
        raw: bytes,
    })
}

fn parse_cvca(bytes: &[u8]) -> Result<RawDataGroup<'_>, LdsError> {
    let file = FileId::Cvca;
    if bytes.is_empty() {
        return Err(LdsError::Empty { file });
    }
    let mut c = asn1::Cursor::new(bytes, file, asn1::BER_TLV);
    let first = c.expect(0x42)?;
    // Optional second CAR, then zero padding only.
    if c.peek_tag()? == Some(0x42) {
        c.read()?;
    }
    let rest_at = c.offset();
    if let Some(pos) = bytes
        .get(rest_at..)
        .unwrap_or(&[])
        .iter()
        .position(|b| *b != 0)
    {
        return Err(LdsError::Invalid {
            file,
            offset: rest_at.saturating_add(pos),
            what: Invalid::Structure,
        });
    }
    Ok(RawDataGroup {
        id: file,
        tag: 0x42,
        value: first.value,
        raw: bytes,
    })
}

/// Cap on EF.DIR application templates.
const MAX_DIR_RECORDS: usize = 16;

fn parse_dir(bytes: &[u8]) -> Result<RawDataGroup<'_>, LdsError> {
    let file = FileId::Dir;
    if bytes.is_empty() {
        return Err(LdsError::Empty { file });
    }
    let mut c = asn1::Cursor::new(bytes, file, asn1::BER_TLV);
    let first = c.expect(0x61)?;
    let mut n = 1usize;
    while !c.is_empty() {
        asn1::check_count(&c, n, MAX_DIR_RECORDS, c.offset())?;
        c.expect(0x61)?;
        n = n.saturating_add(1);
    }
    Ok(RawDataGroup {
        id: file,
        tag: 0x61,
        value: first.value,
        raw: bytes,
    })
}

/// Reads the single outer TLV of a file, which must have `tag` and cover the whole file.
pub(crate) fn outer(
    file: FileId,
    bytes: &[u8],
    limits: crate::tlv::Limits,
    tag: u32,
) -> Result<crate::tlv::Tlv<'_>, LdsError> {
    if bytes.is_empty() {
        return Err(LdsError::Empty { file });
    }
    let mut c = asn1::Cursor::new(bytes, file, limits);
    if let Some(found) = c.peek_tag()? {
        if found != tag {
            return Err(LdsError::WrongOuterTag {
                file,
                expected: tag,
                found,
            });
        }
    }
    let t = c.read()?;
    c.finish()?;
    Ok(t)
}
