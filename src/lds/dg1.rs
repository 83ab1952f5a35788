//! EF.DG1: the machine readable zone (Doc 9303-10 §4.7.1).
//!
//! ```text
//! 61 L  EF.DG1
//!   5F1F L  MRZ data elements: the MRZ lines concatenated (90, 72 or 88 characters)
//! ```
//!
//! This module only extracts the text; MRZ parsing and check digits live in [`crate::mrz`].

use super::{asn1, outer, FileId, Invalid, LdsError};

/// Tag of EF.DG1.
pub const TAG: u32 = 0x61;
/// Tag of the MRZ data element.
pub const MRZ_TAG: u32 = 0x5F1F;

/// The parsed EF.DG1 view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dg1<'a> {
    /// The whole file as read.
    pub raw: &'a [u8],
    /// The MRZ characters (ASCII) as stored.
    pub mrz_text: &'a str,
}

impl<'a> Dg1<'a> {
    /// Parses EF.DG1 (the text must be ASCII; MRZ syntax is checked by [`Dg1::mrz`]).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, LdsError> {
        let file = FileId::Dg1;
        let t = outer(file, bytes, asn1::BER_TLV, TAG)?;
        let mut c = asn1::Cursor::new(bytes, file, asn1::BER_TLV).children(&t)?;
        let m = c.expect(MRZ_TAG)?;
        c.finish()?;
        let mrz_text = std::str::from_utf8(m.value)
            .ok()
            .filter(|s| s.is_ascii())
            .ok_or_else(|| c.invalid(c.abs(&m), Invalid::Text))?;
        Ok(Dg1 {
            raw: bytes,
            mrz_text,
        })
    }

    /// Parses the MRZ text (document type, names, check digits...) with [`crate::mrz`].
    pub fn mrz(&self) -> Result<crate::mrz::Mrz, crate::mrz::MrzError> {
        crate::mrz::parse_dg1(self.mrz_text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn td3_vector() {
        // "LDS parsing vectors: EF.COM, EF.DG1 (TD3), EF.CardAccess (PACEInfo), SecurityInfos"
        let b = hex::decode("615B5F1F58503C55544F414E444552534F4E3C3C4A414E453C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C5737474348395A59323455544F3739303431303746323030363138373C3C3C3C3C3C3C3C3C3C3C3C3C3C3C32").unwrap();
        let d = Dg1::parse(&b).unwrap();
        assert_eq!(d.mrz_text.len(), 88);
        assert!(d.mrz_text.starts_with("P<UTOANDERSON<<JANE"));
        assert_eq!(d.mrz().unwrap().lines().len(), 2);
    }

    #[test]
    fn non_ascii_is_error() {
        let b = [0x61, 0x05, 0x5F, 0x1F, 0x02, 0xC3, 0xA9];
        assert!(matches!(
            Dg1::parse(&b),
            Err(LdsError::Invalid {
                what: Invalid::Text,
                offset: 2,
                ..
            })
        ));
    }
}
