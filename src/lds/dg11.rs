//! EF.DG11: additional personal details (Doc 9303-10 §4.7.11).
//!
//! ```text
//! 6B L
//!   5C L     tag list of the elements present
//!   5F0E     full name (primary<<secondary)
//!   A0 { 02 01 n, 5F0F other name (n times) }   other names
//!   5F10     personal number         5F2B  full date of birth (YYYYMMDD, or 4 BCD bytes)
//!   5F11     place of birth          5F42  permanent address
//!   5F12     telephone               5F13  profession
//!   5F14     title                   5F15  personal summary
//!   5F16     proof of citizenship (image)
//!   5F17     other valid TD numbers  5F18  custody information
//! ```
//! Every element is optional and may be empty.

use super::{asn1, outer, DateField, FileId, LdsError, TextField};
use crate::tlv::Tlv;

/// Tag of EF.DG11.
pub const TAG: u32 = 0x6B;
/// Cap on repeated names in an A0 template and on unknown elements kept.
pub const MAX_REPEATED: usize = 32;

/// The parsed EF.DG11 view.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dg11<'a> {
    /// The whole file as read.
    pub raw: &'a [u8],
    /// 5C tag list.
    pub tag_list: &'a [u8],
    /// 5F0E.
    pub full_name: Option<TextField<'a>>,
    /// 5F0F (inside A0, or bare).
    pub other_names: Vec<TextField<'a>>,
    /// 5F10.
    pub personal_number: Option<TextField<'a>>,
    /// 5F2B.
    pub full_date_of_birth: Option<DateField<'a>>,
    /// 5F11.
    pub place_of_birth: Option<TextField<'a>>,
    /// 5F42.
    pub address: Option<TextField<'a>>,
    /// 5F12.
    pub telephone: Option<TextField<'a>>,
    /// 5F13.
    pub profession: Option<TextField<'a>>,
    /// 5F14.
    pub title: Option<TextField<'a>>,
    /// 5F15.
    pub personal_summary: Option<TextField<'a>>,
    /// 5F16 (an image; bytes only).
    pub proof_of_citizenship: Option<&'a [u8]>,
    /// 5F17.
    pub other_td_numbers: Option<TextField<'a>>,
    /// 5F18.
    pub custody_information: Option<TextField<'a>>,
    /// Elements with tags this parser does not know, kept as (tag, value).
    pub other: Vec<(u32, &'a [u8])>,
}

impl<'a> Dg11<'a> {
    /// Parses EF.DG11.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, LdsError> {
        let file = FileId::Dg11;
        let t = outer(file, bytes, asn1::BER_TLV, TAG)?;
        let mut c = asn1::Cursor::new(bytes, file, asn1::BER_TLV).children(&t)?;
        let mut d = Dg11 {
            raw: bytes,
            tag_list: c.expect(0x5C)?.value,
            ..Dg11::default()
        };
        while let Some(e) = c.next()? {
            let tx = Some(TextField(e.value));
            match e.tag.0 {
                0x5F0E => d.full_name = tx,
                0xA0 => repeated(&c, &e, 0x5F0F, &mut d.other_names)?,
                0x5F0F => push_capped(&c, &e, &mut d.other_names)?,
                0x5F10 => d.personal_number = tx,
                0x5F2B => d.full_date_of_birth = Some(DateField(e.value)),
                0x5F11 => d.place_of_birth = tx,
                0x5F42 => d.address = tx,
                0x5F12 => d.telephone = tx,
                0x5F13 => d.profession = tx,
                0x5F14 => d.title = tx,
                0x5F15 => d.personal_summary = tx,
                0x5F16 => d.proof_of_citizenship = Some(e.value),
                0x5F17 => d.other_td_numbers = tx,
                0x5F18 => d.custody_information = tx,
                other => {
                    asn1::check_count(&c, d.other.len(), MAX_REPEATED, c.abs(&e))?;
                    d.other.push((other, e.value));
                }
            }
        }
        Ok(d)
    }
}

pub(crate) fn push_capped<'a>(
    c: &asn1::Cursor<'a>,
    e: &Tlv<'a>,
    out: &mut Vec<TextField<'a>>,
) -> Result<(), LdsError> {
    asn1::check_count(c, out.len(), MAX_REPEATED, c.abs(e))?;
    out.push(TextField(e.value));
    Ok(())
}

/// An `A0 { 02 01 n, <tag> ... }` template of repeated names. The count is informational
/// (documents with a wrong count exist); the names present are returned.
pub(crate) fn repeated<'a>(
    c: &asn1::Cursor<'a>,
    t: &Tlv<'a>,
    tag: u32,
    out: &mut Vec<TextField<'a>>,
) -> Result<(), LdsError> {
    let mut a = c.children(t)?;
    a.optional(asn1::tag::INTEGER)?;
    while let Some(e) = a.next()? {
        if e.tag.0 == tag {
            push_capped(&a, &e, out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_and_empty_ones() {
        let b = crate::tlv::Builder::new()
            .cons(0x6B, |b| {
                b.prim(0x5C, &[0x5F, 0x0E, 0x5F, 0x2B, 0x5F, 0x11])
                    .prim(0x5F0E, b"SPECIMEN<<ANNA")
                    .cons(0xA0, |b| {
                        b.prim(0x02, &[2]).prim(0x5F0F, b"A").prim(0x5F0F, b"B")
                    })
                    .prim(0x5F2B, &[0x19, 0x80, 0x01, 0x02])
                    .prim(0x5F11, b"")
                    .prim(0x5F50, b"x")
            })
            .finish();
        let d = Dg11::parse(&b).unwrap();
        assert_eq!(d.full_name.unwrap().text(), Some("SPECIMEN<<ANNA"));
        assert_eq!(d.other_names.len(), 2);
        assert_eq!(d.full_date_of_birth.unwrap().digits().unwrap(), "19800102");
        assert!(d.place_of_birth.unwrap().is_empty());
        assert_eq!(d.other, vec![(0x5F50, &b"x"[..])]);
    }
}
