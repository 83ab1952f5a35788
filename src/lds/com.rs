//! EF.COM (Doc 9303-10 §4.6.1).
//!
//! ```text
//! 60 L  EF.COM
//!   5F01 04  LDS version "aabb" (e.g. "0107" = 1.7)
//!   5F36 06  Unicode version "aabbcc" (e.g. "040000")
//!   5C   L   tag list: one byte per data group present (61, 75, ...)
//! ```
//!
//! EF.COM is **informational only**: Passive Authentication does not protect it, so it must
//! never be used to decide which data groups exist (use the LDSSecurityObject in EF.SOD; see
//! pitfalls #2 and TR-03105 LDS_H_90..92).

use super::{asn1, outer, FileId, Invalid, LdsError};

/// Tag of EF.COM.
pub const TAG: u32 = 0x60;

/// A two-part version "aabb" (LDS) or three-part "aabbcc" (Unicode), as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version<'a> {
    /// The digits as stored.
    pub raw: &'a str,
}

impl Version<'_> {
    /// The numeric parts (two digits each), e.g. "0107" -> [1, 7].
    pub fn parts(&self) -> Vec<u32> {
        self.raw
            .as_bytes()
            .chunks(2)
            .filter_map(|c| std::str::from_utf8(c).ok()?.parse().ok())
            .collect()
    }
    /// Dotted form, e.g. "1.7" or "4.0.0".
    pub fn dotted(&self) -> String {
        self.parts()
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(".")
    }
}

/// The parsed EF.COM view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Com<'a> {
    /// The whole file as read.
    pub raw: &'a [u8],
    /// LDS version (5F01).
    pub lds_version: Version<'a>,
    /// Unicode version (5F36).
    pub unicode_version: Version<'a>,
    /// The tag list bytes (5C) as stored.
    pub tag_list: &'a [u8],
}

impl<'a> Com<'a> {
    /// Parses EF.COM.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, LdsError> {
        let file = FileId::Com;
        let t = outer(file, bytes, asn1::BER_TLV, TAG)?;
        let mut c = asn1::Cursor::new(bytes, file, asn1::BER_TLV).children(&t)?;
        let lds = c.expect(0x5F01)?;
        let lds_version = digits(&c, &lds, 4)?;
        let uni = c.expect(0x5F36)?;
        let unicode_version = digits(&c, &uni, 6)?;
        let tag_list = c.expect(0x5C)?.value;
        c.finish()?;
        Ok(Com {
            raw: bytes,
            lds_version,
            unicode_version,
            tag_list,
        })
    }

    /// The files named by the tag list, in order; unknown tags are skipped (see
    /// [`Com::unknown_tags`]). Informational only.
    pub fn files(&self) -> Vec<FileId> {
        self.tag_list
            .iter()
            .filter_map(|t| FileId::from_tag(*t))
            .filter(|f| f.dg_number().is_some())
            .collect()
    }

    /// Tag-list bytes that do not name a data group.
    pub fn unknown_tags(&self) -> Vec<u8> {
        self.tag_list
            .iter()
            .copied()
            .filter(|t| FileId::from_tag(*t).and_then(FileId::dg_number).is_none())
            .collect()
    }
}

fn digits<'a>(
    c: &asn1::Cursor<'a>,
    t: &crate::tlv::Tlv<'a>,
    len: usize,
) -> Result<Version<'a>, LdsError> {
    let s = std::str::from_utf8(t.value)
        .ok()
        .filter(|s| s.len() == len && s.bytes().all(|b| b.is_ascii_digit()));
    s.map(|raw| Version { raw })
        .ok_or_else(|| c.invalid(c.abs(t), Invalid::Text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn d4_ef_com() {
        // "Secure messaging 3DES worked example: SELECT EF.COM + 2x READ BINARY (Doc 9303-11 App. D.4)"
        let b = hex::decode("60145F0104303130365F36063034303030305C026175").unwrap();
        let com = Com::parse(&b).unwrap();
        assert_eq!(com.lds_version.raw, "0106");
        assert_eq!(com.lds_version.dotted(), "1.6");
        assert_eq!(com.unicode_version.dotted(), "4.0.0");
        assert_eq!(com.files(), vec![FileId::Dg1, FileId::Dg2]);
    }

    #[test]
    fn bad_version_text() {
        let b = hex::decode("60145F010430313041").unwrap();
        assert!(Com::parse(&b).is_err());
        let b = hex::decode("600A5F0104303130415F3600").unwrap();
        assert!(matches!(
            Com::parse(&b),
            Err(LdsError::Invalid {
                what: Invalid::Text,
                offset: 2,
                ..
            })
        ));
    }
}
