//! Biometric Information Group Template structure shared by DG2, DG3 and DG4
//! (Doc 9303-10 §4.7.2-§4.7.4, ISO/IEC 7816-11 CBEFF).
//!
//! ```text
//! 75/63/76 L  data group
//!   7F61 L    Biometric Information Group Template
//!     02 01 n   number of instances
//!     7F60 L    Biometric Information Template (n times)
//!       A1 L    Biometric Header Template (80 version, 81 type, 82 subtype, 83 creation date,
//!               85 validity period, 86 creator, 87 format owner, 88 format type)
//!       5F2E L  biometric data block (or 7F2E, constructed)
//! ```
//! Biometric data blocks stay opaque here; DG2 face records are decoded in [`super::dg2`].

use super::{asn1, outer, FileId, Invalid, LdsError};

/// Tag of the Biometric Information Group Template.
pub const BIGT_TAG: u32 = 0x7F61;
/// Tag of a Biometric Information Template.
pub const BIT_TAG: u32 = 0x7F60;
/// Tag of the Biometric Header Template.
pub const BHT_TAG: u32 = 0xA1;
/// Biometric data block (primitive).
pub const BDB_TAG: u32 = 0x5F2E;
/// Biometric data block (constructed).
pub const BDB_CONSTRUCTED_TAG: u32 = 0x7F2E;

/// Cap on templates per group: Doc 9303-10 allows a handful (e.g. up to 10 fingers in DG3);
/// 32 leaves room and bounds the allocation.
pub const MAX_TEMPLATES: usize = 32;

/// The Biometric Header Template (ISO/IEC 7816-11 Table 9, Doc 9303-10 §4.7.2.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bht<'a> {
    /// The BHT encoding.
    pub raw: &'a [u8],
    /// 80: ICAO header version (0101).
    pub header_version: Option<&'a [u8]>,
    /// 81: biometric type.
    pub biometric_type: Option<&'a [u8]>,
    /// 82: biometric subtype.
    pub biometric_subtype: Option<&'a [u8]>,
    /// 83: creation date and time.
    pub creation_date: Option<&'a [u8]>,
    /// 85: validity period.
    pub validity_period: Option<&'a [u8]>,
    /// 86: creator of the biometric reference data.
    pub creator: Option<&'a [u8]>,
    /// 87: format owner (e.g. 0101 = ISO/IEC JTC 1/SC 37).
    pub format_owner: Option<u16>,
    /// 88: format type (e.g. 0008 = ISO/IEC 19794-5 face).
    pub format_type: Option<u16>,
}

/// One Biometric Information Template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BiometricTemplate<'a> {
    /// The 7F60 encoding.
    pub raw: &'a [u8],
    /// The header.
    pub bht: Bht<'a>,
    /// 5F2E or 7F2E.
    pub bdb_tag: u32,
    /// The biometric data block (opaque).
    pub bdb: &'a [u8],
    /// Absolute offset of the data block value in the file.
    pub bdb_offset: usize,
}

/// The biometric group of DG2, DG3 or DG4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BiometricGroup<'a> {
    /// Which data group.
    pub file: FileId,
    /// The whole file as read.
    pub raw: &'a [u8],
    /// The declared number of instances (02).
    pub count: u64,
    /// The templates.
    pub templates: Vec<BiometricTemplate<'a>>,
}

impl<'a> BiometricGroup<'a> {
    /// Parses a DG2/DG3/DG4 file down to the opaque data blocks.
    pub fn parse_file(file: FileId, bytes: &'a [u8]) -> Result<Self, LdsError> {
        let tag = file.tag().map(u32::from).ok_or(LdsError::Empty { file })?;
        let t = outer(file, bytes, asn1::BER_TLV, tag)?;
        let mut c = asn1::Cursor::new(bytes, file, asn1::BER_TLV).children(&t)?;
        let (_, mut g) = c.constructed(BIGT_TAG)?;
        c.finish()?;
        let count_tlv = g.expect(asn1::tag::INTEGER)?;
        let count = g.uint_value(&count_tlv)?;
        let mut templates = Vec::new();
        while !g.is_empty() {
            asn1::check_count(&g, templates.len(), MAX_TEMPLATES, g.offset())?;
            let (bit, mut b) = g.constructed(BIT_TAG)?;
            let bht = parse_bht(&mut b)?;
            let bdb = b.read()?;
            if bdb.tag.0 != BDB_TAG && bdb.tag.0 != BDB_CONSTRUCTED_TAG {
                return Err(LdsError::Tlv {
                    file,
                    source: crate::tlv::TlvError::UnexpectedTag {
                        offset: b.abs(&bdb),
                        expected: BDB_TAG,
                        found: bdb.tag.0,
                    },
                });
            }
            b.finish()?;
            templates.push(BiometricTemplate {
                raw: bit.raw,
                bht,
                bdb_tag: bdb.tag.0,
                bdb: bdb.value,
                bdb_offset: b.abs_value(&bdb),
            });
        }
        if u64::try_from(templates.len()).ok() != Some(count) {
            return Err(g.invalid(g.abs(&count_tlv), Invalid::Count));
        }
        Ok(BiometricGroup {
            file,
            raw: bytes,
            count,
            templates,
        })
    }
}

fn parse_bht<'a>(b: &mut asn1::Cursor<'a>) -> Result<Bht<'a>, LdsError> {
    let (t, mut h) = b.constructed(BHT_TAG)?;
    let mut bht = Bht {
        raw: t.raw,
        ..Bht::default()
    };
    while let Some(e) = h.next()? {
        let v = Some(e.value);
        match e.tag.0 {
            0x80 => bht.header_version = v,
            0x81 => bht.biometric_type = v,
            0x82 => bht.biometric_subtype = v,
            0x83 => bht.creation_date = v,
            0x85 => bht.validity_period = v,
            0x86 => bht.creator = v,
            0x87 => bht.format_owner = u16_be(e.value),
            0x88 => bht.format_type = u16_be(e.value),
            _ => {} // other ISO/IEC 7816-11 BHT elements are allowed and ignored
        }
    }
    Ok(bht)
}

fn u16_be(b: &[u8]) -> Option<u16> {
    match b {
        [hi, lo] => Some(u16::from_be_bytes([*hi, *lo])),
        _ => None,
    }
}
