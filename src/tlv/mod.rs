//! BER-TLV as used by ISO/IEC 7816-4 and ICAO Doc 9303 Part 10 section 4.5 (and the DER subset
//! used by ASN.1 structures such as SecurityInfos and EF.SOD).
//!
//! The reader works over borrowed bytes, never allocates from a declared length, caps nesting
//! depth and value size, and reports the absolute byte offset of every error. Values are
//! sub-slices of the input, so callers can hash or re-parse exactly the bytes that were read.

mod build;
mod reader;

pub use build::{encode, encode_len, encode_tag, Builder};
pub use reader::{Limits, Reader, Tag, Tlv};

/// An error while decoding BER-TLV. `offset` is the absolute byte offset in the outermost input.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlvError {
    /// The input ends inside a tag or a length field.
    #[error("truncated TLV header at byte {offset}")]
    Truncated {
        /// Offset of the header.
        offset: usize,
    },
    /// A tag longer than four bytes.
    #[error("tag longer than 4 bytes at byte {offset}")]
    TagTooLong {
        /// Offset of the tag.
        offset: usize,
    },
    /// A length field that is malformed (reserved 0xFF, more than 4 length bytes, or not
    /// minimally encoded in strict DER mode).
    #[error("malformed length field at byte {offset}")]
    BadLength {
        /// Offset of the length field.
        offset: usize,
    },
    /// The declared length runs past the end of the enclosing data.
    #[error("declared length {declared} at byte {offset} exceeds the {available} bytes available")]
    LengthExceedsInput {
        /// Offset of the TLV.
        offset: usize,
        /// Declared value length.
        declared: usize,
        /// Bytes available after the header.
        available: usize,
    },
    /// The declared length is above the configured cap.
    #[error("declared length {declared} at byte {offset} exceeds the cap of {max}")]
    TooLarge {
        /// Offset of the TLV.
        offset: usize,
        /// Declared value length.
        declared: usize,
        /// Configured cap.
        max: usize,
    },
    /// Nesting deeper than the configured cap.
    #[error("nesting deeper than {max} levels at byte {offset}")]
    TooDeep {
        /// Offset of the TLV that would exceed the depth.
        offset: usize,
        /// Configured cap.
        max: usize,
    },
    /// An indefinite length (0x80) where only definite lengths are allowed, or a primitive
    /// encoding with indefinite length.
    #[error("indefinite length not allowed at byte {offset}")]
    IndefiniteNotAllowed {
        /// Offset of the TLV.
        offset: usize,
    },
    /// An indefinite-length value without its end-of-contents octets.
    #[error("missing end-of-contents for indefinite length at byte {offset}")]
    MissingEndOfContents {
        /// Offset of the TLV.
        offset: usize,
    },
    /// A tag other than the one the structure requires.
    #[error("expected tag {expected:X} at byte {offset}, found {found:X}")]
    UnexpectedTag {
        /// Offset of the TLV.
        offset: usize,
        /// The tag the structure requires.
        expected: u32,
        /// The tag found.
        found: u32,
    },
    /// Bytes left over after the last expected element.
    #[error("{len} bytes of trailing data at byte {offset}")]
    TrailingData {
        /// Offset of the first trailing byte.
        offset: usize,
        /// Number of trailing bytes.
        len: usize,
    },
    /// The structure ended where an element was required.
    #[error("missing element {expected:X} at byte {offset}")]
    Missing {
        /// Offset where the element was expected.
        offset: usize,
        /// The tag the structure requires.
        expected: u32,
    },
}

impl TlvError {
    /// The absolute offset the error refers to.
    pub fn offset(&self) -> usize {
        match *self {
            TlvError::Truncated { offset }
            | TlvError::TagTooLong { offset }
            | TlvError::BadLength { offset }
            | TlvError::LengthExceedsInput { offset, .. }
            | TlvError::TooLarge { offset, .. }
            | TlvError::TooDeep { offset, .. }
            | TlvError::IndefiniteNotAllowed { offset }
            | TlvError::MissingEndOfContents { offset }
            | TlvError::UnexpectedTag { offset, .. }
            | TlvError::TrailingData { offset, .. }
            | TlvError::Missing { offset, .. } => offset,
        }
    }
}
