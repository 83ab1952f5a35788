//! EF.DG12: additional document details (Doc 9303-10 §4.7.12).
//!
//! ```text
//! 6C L
//!   5C L     tag list
//!   5F19     issuing authority       5F26  date of issue (YYYYMMDD or 4 BCD bytes)
//!   A0 { 02 01 n, 5F1A name of other person (n times) }
//!   5F1B     endorsements/observations
//!   5F1C     tax/exit requirements
//!   5F1D     image of front of document   5F1E  image of rear of document
//!   5F55     date and time of personalization (YYYYMMDDhhmmss or 7 BCD bytes)
//!   5F56     serial number of personalization system
//! ```

use super::dg11::{push_capped, repeated, MAX_REPEATED};
use super::{asn1, outer, DateField, FileId, LdsError, TextField};

/// Tag of EF.DG12.
pub const TAG: u32 = 0x6C;

/// The parsed EF.DG12 view.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dg12<'a> {
    /// The whole file as read.
    pub raw: &'a [u8],
    /// 5C tag list.
    pub tag_list: &'a [u8],
    /// 5F19.
    pub issuing_authority: Option<TextField<'a>>,
    /// 5F26.
    pub date_of_issue: Option<DateField<'a>>,
    /// 5F1A (inside A0, or bare).
    pub other_persons: Vec<TextField<'a>>,
    /// 5F1B.
    pub endorsements: Option<TextField<'a>>,
    /// 5F1C.
    pub tax_exit_requirements: Option<TextField<'a>>,
    /// 5F1D (image bytes).
    pub image_front: Option<&'a [u8]>,
    /// 5F1E (image bytes).
    pub image_rear: Option<&'a [u8]>,
    /// 5F55.
    pub personalization_time: Option<DateField<'a>>,
    /// 5F56.
    pub personalization_device_serial: Option<TextField<'a>>,
    /// Elements with tags this parser does not know, kept as (tag, value).
    pub other: Vec<(u32, &'a [u8])>,
}

impl<'a> Dg12<'a> {
    /// Parses EF.DG12.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, LdsError> {
        let file = FileId::Dg12;
        let t = outer(file, bytes, asn1::BER_TLV, TAG)?;
        let mut c = asn1::Cursor::new(bytes, file, asn1::BER_TLV).children(&t)?;
        let mut d = Dg12 {
            raw: bytes,
            tag_list: c.expect(0x5C)?.value,
            ..Dg12::default()
        };
        while let Some(e) = c.next()? {
            let tx = Some(TextField(e.value));
            match e.tag.0 {
                0x5F19 => d.issuing_authority = tx,
                0x5F26 => d.date_of_issue = Some(DateField(e.value)),
                0xA0 => repeated(&c, &e, 0x5F1A, &mut d.other_persons)?,
                0x5F1A => push_capped(&c, &e, &mut d.other_persons)?,
                0x5F1B => d.endorsements = tx,
                0x5F1C => d.tax_exit_requirements = tx,
                0x5F1D => d.image_front = Some(e.value),
                0x5F1E => d.image_rear = Some(e.value),
                0x5F55 => d.personalization_time = Some(DateField(e.value)),
                0x5F56 => d.personalization_device_serial = tx,
                other => {
                    asn1::check_count(&c, d.other.len(), MAX_REPEATED, c.abs(&e))?;
                    d.other.push((other, e.value));
                }
            }
        }
        Ok(d)
    }
}
