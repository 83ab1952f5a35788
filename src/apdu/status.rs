//! Status words SW1 SW2 (ISO/IEC 7816-4 §5.6, Doc 9303-11 §9.8 for the SM errors).

/// The status word SW1 ‖ SW2.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl std::fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StatusWord({:04X})", self.0)
    }
}

impl std::fmt::Display for StatusWord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04X} ({})", self.0, self.meaning())
    }
}

impl StatusWord {
    /// `9000`: normal processing.
    pub const OK: StatusWord = StatusWord(0x9000);
    /// `6282`: end of file reached before reading Ne bytes.
    pub const END_OF_FILE: StatusWord = StatusWord(0x6282);
    /// `6700`: wrong length.
    pub const WRONG_LENGTH: StatusWord = StatusWord(0x6700);
    /// `6982`: security status not satisfied.
    pub const SECURITY_STATUS_NOT_SATISFIED: StatusWord = StatusWord(0x6982);
    /// `6985`: conditions of use not satisfied.
    pub const CONDITIONS_NOT_SATISFIED: StatusWord = StatusWord(0x6985);
    /// `6987`: expected secure messaging data objects missing.
    pub const SM_DATA_OBJECTS_MISSING: StatusWord = StatusWord(0x6987);
    /// `6988`: incorrect secure messaging data objects.
    pub const SM_DATA_OBJECTS_INCORRECT: StatusWord = StatusWord(0x6988);
    /// `6A82`: file or application not found.
    pub const FILE_NOT_FOUND: StatusWord = StatusWord(0x6A82);
    /// `6A86`: incorrect parameters P1-P2.
    pub const INCORRECT_P1P2: StatusWord = StatusWord(0x6A86);
    /// `6B00`: wrong parameters P1-P2 (offset outside the EF).
    pub const WRONG_P1P2: StatusWord = StatusWord(0x6B00);
    /// `6D00`: instruction not supported.
    pub const INS_NOT_SUPPORTED: StatusWord = StatusWord(0x6D00);
    /// `6E00`: class not supported.
    pub const CLA_NOT_SUPPORTED: StatusWord = StatusWord(0x6E00);
    /// `6300`: authentication failed (no information given).
    pub const AUTH_FAILED: StatusWord = StatusWord(0x6300);

    /// SW1.
    pub fn sw1(self) -> u8 {
        self.0.to_be_bytes()[0]
    }

    /// SW2.
    pub fn sw2(self) -> u8 {
        self.0.to_be_bytes()[1]
    }

    /// True for `9000` only (ISO/IEC 7816-4 also calls `61xx` normal processing, but the
    /// driver resolves `61xx` before any protocol sees it).
    pub fn is_success(self) -> bool {
        self == StatusWord::OK
    }

    /// True for the warning `62xx`/`63xx` classes.
    pub fn is_warning(self) -> bool {
        matches!(self.sw1(), 0x62 | 0x63)
    }

    /// The ISO/IEC 7816-4 §5.6 / Doc 9303-11 meaning, for logs and error messages.
    pub fn meaning(&self) -> &'static str {
        match self.0 {
            0x9000 => "normal processing",
            0x6282 => "end of file reached before reading Ne bytes",
            0x6281 => "part of returned data may be corrupted",
            0x6283 => "selected file deactivated",
            0x6300 => "verification / authentication failed",
            0x6581 => "memory failure",
            0x6700 => "wrong length",
            0x6881 => "logical channel not supported",
            0x6882 => "secure messaging not supported",
            0x6981 => "command incompatible with file structure",
            0x6982 => "security status not satisfied",
            0x6983 => "authentication method blocked",
            0x6984 => "reference data not usable",
            0x6985 => "conditions of use not satisfied",
            0x6986 => "command not allowed (no current EF)",
            0x6987 => "expected secure messaging data objects missing",
            0x6988 => "incorrect secure messaging data objects",
            0x6A80 => "incorrect parameters in the command data field",
            0x6A81 => "function not supported",
            0x6A82 => "file or application not found",
            0x6A86 => "incorrect parameters P1-P2",
            0x6A87 => "Nc inconsistent with parameters P1-P2",
            0x6A88 => "referenced data not found",
            0x6B00 => "wrong parameters P1-P2 (offset outside the EF)",
            0x6D00 => "instruction not supported or invalid",
            0x6E00 => "class not supported",
            0x6F00 => "no precise diagnosis",
            _ => match self.sw1() {
                0x61 => "more response bytes available (GET RESPONSE)",
                0x6C => "wrong Le field; SW2 gives the exact length",
                0x63 if self.sw2() & 0xF0 == 0xC0 => {
                    "verification failed; SW2 low nibble = retries left"
                }
                0x62 => "warning: state of non-volatile memory unchanged",
                0x63 => "warning: state of non-volatile memory changed",
                0x64 => "execution error: non-volatile memory unchanged",
                0x65 => "execution error: non-volatile memory changed",
                0x67 => "wrong length",
                0x68 => "functions in CLA not supported",
                0x69 => "command not allowed",
                0x6A => "wrong parameters P1-P2",
                _ => "unknown status word",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meanings() {
        assert!(StatusWord::OK.is_success());
        assert_eq!(StatusWord(0x6C10).sw1(), 0x6C);
        assert_eq!(StatusWord(0x6C10).sw2(), 0x10);
        assert_eq!(
            StatusWord(0x6C10).meaning(),
            "wrong Le field; SW2 gives the exact length"
        );
        assert_eq!(
            StatusWord(0x63C2).meaning(),
            "verification failed; SW2 low nibble = retries left"
        );
        assert_eq!(
            StatusWord(0x6988).meaning(),
            "incorrect secure messaging data objects"
        );
        assert_eq!(
            StatusWord(0x6115).meaning(),
            "more response bytes available (GET RESPONSE)"
        );
        assert_eq!(StatusWord(0x1234).meaning(), "unknown status word");
        assert_eq!(
            format!("{}", StatusWord(0x6A82)),
            "6A82 (file or application not found)"
        );
    }
}
