//! Command and response APDUs (ISO/IEC 7816-4 §5.1, §5.6): short and extended length,
//! all four command cases, and the status words Doc 9303 Part 11 relies on.
//!
//! Pure data handling: nothing here does I/O and every parser treats its input as hostile.

mod command;
mod response;
mod status;

pub use command::CommandApdu;
pub use response::ResponseApdu;
pub use status::StatusWord;

/// An error while encoding or decoding an APDU (ISO/IEC 7816-4 §5.1).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApduError {
    /// A response APDU shorter than the two status bytes.
    #[error("response APDU of {len} bytes is shorter than the 2-byte status word")]
    ResponseTooShort {
        /// Length received.
        len: usize,
    },
    /// A command APDU shorter than its 4-byte header.
    #[error("command APDU of {len} bytes is shorter than the 4-byte header")]
    CommandTooShort {
        /// Length received.
        len: usize,
    },
    /// The body does not match any of the ISO/IEC 7816-4 §5.1 cases.
    #[error("command APDU body of {body_len} bytes does not match any case (byte 5 = {b5:02X})")]
    BadCommandLength {
        /// Bytes after the header.
        body_len: usize,
        /// The first body byte.
        b5: u8,
    },
    /// Lc = 0 in extended form (forbidden by ISO/IEC 7816-4 §5.1).
    #[error("extended Lc of zero")]
    ZeroExtendedLc,
    /// Command data longer than the 65 535 bytes extended length can carry.
    #[error("command data of {len} bytes exceeds the extended-length maximum of 65535")]
    DataTooLong {
        /// Data length.
        len: usize,
    },
}
