//! Command APDU (ISO/IEC 7816-4 §5.1, cases 1, 2S/2E, 3S/3E, 4S/4E).

use super::ApduError;

/// Largest Ne of a short APDU (Le byte `00`).
const SHORT_MAX_LE: usize = 256;
/// Largest Ne of an extended APDU (Le bytes `00 00`).
const EXT_MAX_LE: usize = 65_536;
/// Largest Nc of an extended APDU.
const EXT_MAX_LC: usize = 65_535;

/// A command APDU (ISO/IEC 7816-4 §5.1).
///
/// `le` is Ne, the number of response bytes expected: `None` for no Le field, `Some(1..=256)`
/// fits a short APDU (`Some(256)` is encoded `00`), `Some(257..=65536)` needs extended length
/// (`Some(65536)` is encoded `00 00`). `Some(0)` is treated as "no Le field".
#[derive(Clone, PartialEq, Eq)]
pub struct CommandApdu {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data (Nc bytes).
    pub data: Vec<u8>,
    /// Ne, the expected response length.
    pub le: Option<usize>,
}

// Payloads may be MRZ-derived or key material: Debug prints lengths only.
impl std::fmt::Debug for CommandApdu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandApdu")
            .field("cla", &format_args!("{:02X}", self.cla))
            .field("ins", &format_args!("{:02X}", self.ins))
            .field("p1", &format_args!("{:02X}", self.p1))
            .field("p2", &format_args!("{:02X}", self.p2))
            .field("data_len", &self.data.len())
            .field("le", &self.le)
            .finish()
    }
}

impl CommandApdu {
    /// A case-1 command (header only).
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        CommandApdu {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
        }
    }

    /// Sets the command data.
    #[must_use]
    pub fn with_data(mut self, data: Vec<u8>) -> Self {
        self.data = data;
        self
    }

    /// Sets Ne (clamped to 65 536; 0 means no Le field).
    #[must_use]
    pub fn with_le(mut self, le: usize) -> Self {
        self.le = match le {
            0 => None,
            n => Some(n.min(EXT_MAX_LE)),
        };
        self
    }

    fn ne(&self) -> Option<usize> {
        match self.le {
            Some(0) | None => None,
            Some(n) => Some(n.min(EXT_MAX_LE)),
        }
    }

    /// True when this command needs the extended-length encoding (Nc > 255 or Ne > 256).
    pub fn is_extended(&self) -> bool {
        self.data.len() > 255 || self.ne().is_some_and(|n| n > SHORT_MAX_LE)
    }

    /// Checks that the command can be encoded (Nc at most 65 535).
    pub fn validate(&self) -> Result<(), ApduError> {
        if self.data.len() > EXT_MAX_LC {
            return Err(ApduError::DataTooLong {
                len: self.data.len(),
            });
        }
        Ok(())
    }

    /// Encodes the command (ISO/IEC 7816-4 §5.1). Data beyond 65 535 bytes is truncated; call
    /// [`CommandApdu::validate`] first when the length is not known to fit.
    pub fn encode(&self) -> Vec<u8> {
        let data = self
            .data
            .get(..self.data.len().min(EXT_MAX_LC))
            .unwrap_or(&[]);
        let mut out = Vec::with_capacity(data.len().saturating_add(9));
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        let ne = self.ne();
        let ext = self.is_extended();
        let nc = data.len();
        if nc > 0 {
            if ext {
                out.push(0);
                out.extend_from_slice(&u16_be(nc));
            } else {
                out.push(low_byte(nc));
            }
            out.extend_from_slice(data);
        }
        if let Some(n) = ne {
            if ext {
                if nc == 0 {
                    out.push(0);
                }
                // 65 536 is encoded 00 00.
                out.extend_from_slice(&u16_be(n));
            } else {
                // 256 is encoded 00.
                out.push(low_byte(n));
            }
        }
        out
    }

    /// Parses a command APDU in any of the seven encodings of ISO/IEC 7816-4 §5.1.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApduError> {
        let (header, body) = match (bytes.get(..4), bytes.get(4..)) {
            (Some(h), Some(b)) => (h, b),
            _ => return Err(ApduError::CommandTooShort { len: bytes.len() }),
        };
        let mut cmd = match header {
            [cla, ins, p1, p2] => CommandApdu::new(*cla, *ins, *p1, *p2),
            _ => return Err(ApduError::CommandTooShort { len: bytes.len() }),
        };
        let bad = |b5: u8| ApduError::BadCommandLength {
            body_len: body.len(),
            b5,
        };
        match body {
            // Case 1.
            [] => {}
            // Case 2S.
            [le] => cmd.le = Some(short_ne(*le)),
            [0, rest @ ..] if rest.len() >= 2 => {
                let (l1, l2) = match rest {
                    [a, b, ..] => (*a, *b),
                    _ => return Err(bad(0)),
                };
                let n = usize::from(u16::from_be_bytes([l1, l2]));
                let after = rest.get(2..).unwrap_or(&[]);
                if after.is_empty() {
                    // Case 2E.
                    cmd.le = Some(ext_ne(n));
                } else {
                    if n == 0 {
                        return Err(ApduError::ZeroExtendedLc);
                    }
                    match after.len().checked_sub(n) {
                        // Case 3E.
                        Some(0) => cmd.data = after.to_vec(),
                        // Case 4E.
                        Some(2) => {
                            cmd.data = after.get(..n).ok_or(bad(0))?.to_vec();
                            let le = after.get(n..).ok_or(bad(0))?;
                            let le = match le {
                                [a, b] => usize::from(u16::from_be_bytes([*a, *b])),
                                _ => return Err(bad(0)),
                            };
                            cmd.le = Some(ext_ne(le));
                        }
                        _ => return Err(bad(0)),
                    }
                }
            }
            [lc, rest @ ..] if *lc != 0 => {
                let n = usize::from(*lc);
                match rest.len().checked_sub(n) {
                    // Case 3S.
                    Some(0) => cmd.data = rest.to_vec(),
                    // Case 4S.
                    Some(1) => {
                        cmd.data = rest.get(..n).ok_or(bad(*lc))?.to_vec();
                        cmd.le = Some(short_ne(*rest.get(n).ok_or(bad(*lc))?));
                    }
                    _ => return Err(bad(*lc)),
                }
            }
            [b5, ..] => return Err(bad(*b5)),
        }
        Ok(cmd)
    }
}

fn short_ne(b: u8) -> usize {
    if b == 0 {
        SHORT_MAX_LE
    } else {
        usize::from(b)
    }
}

fn ext_ne(n: usize) -> usize {
    if n == 0 {
        EXT_MAX_LE
    } else {
        n
    }
}

/// The low byte (256 becomes 0, as the short Le encoding wants).
fn low_byte(n: usize) -> u8 {
    n.to_be_bytes().last().copied().unwrap_or(0)
}

/// The low two bytes big-endian (65 536 becomes 00 00).
fn u16_be(n: usize) -> [u8; 2] {
    let b = n.to_be_bytes();
    let len = b.len();
    [
        b.get(len.wrapping_sub(2)).copied().unwrap_or(0),
        b.get(len.wrapping_sub(1)).copied().unwrap_or(0),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn all_cases_round_trip() {
        let cases: Vec<(CommandApdu, &str)> = vec![
            (CommandApdu::new(0, 0x84, 0, 0), "00840000"),
            (CommandApdu::new(0, 0x84, 0, 0).with_le(8), "0084000008"),
            (CommandApdu::new(0, 0xB0, 0, 0).with_le(256), "00B0000000"),
            (
                CommandApdu::new(0, 0xB0, 0, 0).with_le(257),
                "00B00000000101",
            ),
            (
                CommandApdu::new(0, 0xB0, 0, 0).with_le(65536),
                "00B00000000000",
            ),
            (
                CommandApdu::new(0, 0xA4, 2, 0x0C).with_data(h("011E")),
                "00A4020C02011E",
            ),
            (
                CommandApdu::new(0, 0x82, 0, 0)
                    .with_data(vec![0xAA; 40])
                    .with_le(40),
                "008200002800",
            ),
        ];
        for (cmd, enc) in cases.iter().take(6) {
            assert_eq!(hex::encode_upper(cmd.encode()), *enc);
            assert_eq!(&CommandApdu::parse(&h(enc)).unwrap(), cmd);
        }
        // Case 4S.
        let c = &cases[6].0;
        let e = c.encode();
        assert_eq!(e.len(), 4 + 1 + 40 + 1);
        assert_eq!(e[4], 40);
        assert_eq!(e[45], 40);
        assert_eq!(&CommandApdu::parse(&e).unwrap(), c);
    }

    #[test]
    fn extended_cases() {
        // Case 3E: 300 bytes of data.
        let c = CommandApdu::new(0, 0xD6, 0, 0).with_data(vec![7; 300]);
        let e = c.encode();
        assert!(c.is_extended());
        assert_eq!(&e[4..7], &[0, 0x01, 0x2C]);
        assert_eq!(e.len(), 7 + 300);
        assert_eq!(CommandApdu::parse(&e).unwrap(), c);
        // Case 4E with small data but large Le.
        let c = CommandApdu::new(0, 0xB1, 0, 0)
            .with_data(h("540180"))
            .with_le(1000);
        let e = c.encode();
        assert_eq!(hex::encode_upper(&e), "00B1000000000354018003E8");
        assert_eq!(CommandApdu::parse(&e).unwrap(), c);
        // Case 4E with Le 65536.
        let c = CommandApdu::new(0, 0xB1, 0, 0)
            .with_data(vec![1; 256])
            .with_le(65536);
        let e = c.encode();
        assert_eq!(&e[e.len() - 2..], &[0, 0]);
        assert_eq!(CommandApdu::parse(&e).unwrap(), c);
    }

    #[test]
    fn malformed_commands() {
        assert!(CommandApdu::parse(&h("00B000")).is_err());
        assert!(CommandApdu::parse(&h("00B0000000AB")).is_err()); // 0 then 1 byte
        assert!(CommandApdu::parse(&h("00A4020C03011E")).is_err()); // Lc too big
        assert!(CommandApdu::parse(&h("00A4020C01011E0000")).is_err());
        assert_eq!(
            CommandApdu::parse(&h("00A4020C0000000102")),
            Err(ApduError::ZeroExtendedLc)
        );
        assert!(CommandApdu::parse(&h("00A4020C000002011E00")).is_err());
    }
}
