//! Text and date fields of the ICAO BER-TLV data groups (Doc 9303-10 §4.7.11, §4.7.12).

/// A text field as stored (Doc 9303-10 uses UTF-8 for DG11/DG12 text; `<` may separate
/// name components). Kept as bytes so that nothing is lost; [`TextField::text`] decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextField<'a>(pub &'a [u8]);

impl<'a> TextField<'a> {
    /// The raw bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.0
    }
    /// The text if the bytes are valid UTF-8.
    pub fn text(&self) -> Option<&'a str> {
        std::str::from_utf8(self.0).ok()
    }
    /// The text with invalid sequences replaced (for display).
    pub fn lossy(&self) -> String {
        String::from_utf8_lossy(self.0).into_owned()
    }
    /// True when the field is present but empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A date (or date-time) field: 8 ASCII digits `YYYYMMDD` or 4 BCD bytes (Doc 9303-10 §4.7.11
/// allows both; 5F55 is `YYYYMMDDhhmmss`, 14 ASCII digits or 7 BCD bytes). Partial dates with
/// unknown parts are kept as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateField<'a>(pub &'a [u8]);

impl<'a> DateField<'a> {
    /// The raw bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The digits as text: the ASCII form as is, or the BCD bytes expanded; `None` if the
    /// bytes are neither.
    pub fn digits(&self) -> Option<String> {
        if self.0.is_empty() {
            return None;
        }
        if self.0.iter().all(|b| b.is_ascii_digit()) && self.0.len() >= 8 {
            return std::str::from_utf8(self.0).ok().map(str::to_owned);
        }
        // BCD: every nibble must be 0-9.
        let mut s = String::with_capacity(self.0.len().saturating_mul(2).min(64));
        for b in self.0 {
            let (hi, lo) = (b >> 4, b & 0x0F);
            if hi > 9 || lo > 9 {
                return None;
            }
            s.push(char::from(b'0' + hi));
            s.push(char::from(b'0' + lo));
        }
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(DateField(b"19640812").digits().unwrap(), "19640812");
        assert_eq!(
            DateField(&[0x19, 0x64, 0x08, 0x12]).digits().unwrap(),
            "19640812"
        );
        assert_eq!(DateField(&[0x1A, 0x64]).digits(), None);
        assert_eq!(DateField(b"").digits(), None);
        assert_eq!(
            DateField(b"20260101120000").digits().unwrap(),
            "20260101120000"
        );
    }
}
