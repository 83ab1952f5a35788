//! Response APDU (ISO/IEC 7816-4 §5.1): data field followed by SW1 SW2.

use super::{ApduError, StatusWord};

/// A response APDU.
#[derive(Clone, PartialEq, Eq)]
pub struct ResponseApdu {
    /// Response data (possibly empty).
    pub data: Vec<u8>,
    /// The trailer SW1 SW2.
    pub sw: StatusWord,
}

// Payloads may be personal data: Debug prints the length only.
impl std::fmt::Debug for ResponseApdu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseApdu")
            .field("data_len", &self.data.len())
            .field("sw", &self.sw)
            .finish()
    }
}

impl ResponseApdu {
    /// A response with `data` and `sw`.
    pub fn new(data: Vec<u8>, sw: StatusWord) -> Self {
        ResponseApdu { data, sw }
    }

    /// A response with no data.
    pub fn status(sw: StatusWord) -> Self {
        ResponseApdu::new(Vec::new(), sw)
    }

    /// Splits `data ‖ SW1 ‖ SW2`.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApduError> {
        let split = bytes
            .len()
            .checked_sub(2)
            .ok_or(ApduError::ResponseTooShort { len: bytes.len() })?;
        match (bytes.get(..split), bytes.get(split..)) {
            (Some(data), Some([sw1, sw2])) => Ok(ResponseApdu {
                data: data.to_vec(),
                sw: StatusWord(u16::from_be_bytes([*sw1, *sw2])),
            }),
            _ => Err(ApduError::ResponseTooShort { len: bytes.len() }),
        }
    }

    /// Encodes `data ‖ SW1 ‖ SW2`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len().saturating_add(2));
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&self.sw.0.to_be_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_encode() {
        let r = ResponseApdu::parse(&[0x46, 0x08, 0x90, 0x00]).unwrap();
        assert_eq!(r.data, vec![0x46, 0x08]);
        assert_eq!(r.sw, StatusWord::OK);
        assert_eq!(r.encode(), vec![0x46, 0x08, 0x90, 0x00]);
        let r = ResponseApdu::parse(&[0x6A, 0x82]).unwrap();
        assert!(r.data.is_empty());
        assert_eq!(r.sw.0, 0x6A82);
        assert_eq!(
            ResponseApdu::parse(&[0x99]),
            Err(ApduError::ResponseTooShort { len: 1 })
        );
        assert!(ResponseApdu::parse(&[]).is_err());
    }
}
