//! EF.ATR/INFO (Doc 9303-10 §3.11.1): the chip's declaration of its extended-length support,
//! in the extended length information data object DO'7F66' (ISO/IEC 7816-4 §12.7.1):
//!
//! ```text
//! 7F66 L
//!   02 L  maximum number of bytes in a command APDU
//!   02 L  maximum number of bytes in a response APDU
//! ```
//!
//! Other data objects of the file are ignored; padding (00 or FF) after the data is allowed.

use super::{asn1, FileId, LdsError};

/// Tag of the extended length information.
pub const EXTENDED_LENGTH_INFO: u32 = 0x7F66;

/// What EF.ATR/INFO declares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct AtrInfo {
    /// Maximum command APDU length, when declared.
    pub max_command_len: Option<u64>,
    /// Maximum response APDU length, when declared.
    pub max_response_len: Option<u64>,
}

impl AtrInfo {
    /// True when the chip declares responses longer than a short APDU can carry.
    pub fn extended_length(&self) -> bool {
        self.max_response_len.is_some_and(|n| n > 258)
    }

    /// Parses EF.ATR/INFO.
    pub fn parse(bytes: &[u8]) -> Result<Self, LdsError> {
        let file = FileId::AtrInfo;
        let mut r = crate::tlv::Reader::with_limits(bytes, asn1::BER_TLV);
        let mut info = AtrInfo::default();
        // Data objects until the end or the first padding byte (00 or FF).
        while !matches!(r.remaining().first(), None | Some(0x00) | Some(0xFF)) {
            let t = r.read().map_err(|source| LdsError::Tlv { file, source })?;
            if t.tag.0 == EXTENDED_LENGTH_INFO {
                let mut c = asn1::Cursor::new(t.raw, file, asn1::BER_TLV);
                let outer = c.read()?;
                let mut e = c.children(&outer)?;
                info.max_command_len = Some(e.uint()?);
                info.max_response_len = Some(e.uint()?);
            }
        }
        Ok(info)
    }
}

/// Encodes an EF.ATR/INFO declaring the given maximum lengths (for data sets and tests).
pub fn encode(max_command_len: u32, max_response_len: u32) -> Vec<u8> {
    let int = |v: u32| {
        let b = v.to_be_bytes();
        let skip = b.iter().take_while(|x| **x == 0).count().min(3);
        let mut v = b.get(skip..).unwrap_or(&[]).to_vec();
        if v.first().is_some_and(|x| x & 0x80 != 0) {
            v.insert(0, 0);
        }
        crate::tlv::encode(0x02, &v)
    };
    crate::tlv::encode(
        EXTENDED_LENGTH_INFO,
        &[int(max_command_len), int(max_response_len)].concat(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_padding() {
        let mut b = encode(65_535, 65_536);
        b.extend_from_slice(&[0, 0, 0xFF]);
        let i = AtrInfo::parse(&b).unwrap();
        assert_eq!(i.max_command_len, Some(65_535));
        assert_eq!(i.max_response_len, Some(65_536));
        assert!(i.extended_length());
        let short = AtrInfo::parse(&encode(261, 258)).unwrap();
        assert!(!short.extended_length());
        assert_eq!(AtrInfo::parse(&[]).unwrap(), AtrInfo::default());
    }

    #[test]
    fn malformed_is_an_error_not_a_panic() {
        assert!(AtrInfo::parse(&[0x7F, 0x66, 0x03, 0x02, 0x01]).is_err());
        assert!(AtrInfo::parse(&[0x7F, 0x66, 0x00]).is_err());
    }
}
