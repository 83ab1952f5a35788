//! Secure messaging (Doc 9303-11 §9.8) and its key derivation (Doc 9303-11 §9.7.1).
//!
//! * 3DES: two-key 3DES in CBC mode with IV = 0, ISO/IEC 9797-1 MAC algorithm 3 (retail MAC,
//!   single-DES CBC-MAC with a final 3DES step, padding method 2), 8-byte SSC
//!   (Doc 9303-11 §9.8.6.1).
//! * AES: AES-CBC with IV = E(K_enc, SSC), AES-CMAC truncated to 8 bytes, 16-byte SSC
//!   (Doc 9303-11 §9.8.6.2, BSI TR-03110-3 §F).
//!
//! [`SmSession`] is the terminal side (wrap commands, unwrap responses); [`ChipSmSession`] is
//! the chip side used by the virtual chip. Both check the MAC before they look at any other
//! data object, and both are dead after their first error: a secure-messaging failure is never
//! downgraded to a warning (see the gmrtd issue 6 anti-pattern in the pitfalls guide).

mod cipher;
mod kdf;
mod session;

pub(crate) use cipher::ct_eq;
pub use cipher::{pad, unpad, SmCipher, SmKeys};
pub use kdf::{adjust_des_parity, derive_key, KDF_ENC, KDF_MAC, KDF_PACE};
pub use session::{max_plain_response_len, protected_response_len, ChipSmSession, SmSession, Ssc};

use crate::apdu::StatusWord;

/// A secure-messaging error (Doc 9303-11 §9.8). Every error closes the session it came from.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmError {
    /// A key of the wrong length for the cipher.
    #[error("{what} key of {len} bytes does not fit {cipher:?}")]
    BadKeyLength {
        /// Which key.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The cipher.
        cipher: SmCipher,
    },
    /// An SSC of the wrong length (8 bytes for 3DES, 16 for AES).
    #[error("SSC of {len} bytes, expected {expected}")]
    BadSscLength {
        /// Length given.
        len: usize,
        /// Length the cipher needs.
        expected: usize,
    },
    /// The checksum DO'8E' does not verify. `ssc` is the low 64 bits of the send sequence
    /// counter used, which locates the APDU in the session.
    #[error("secure messaging MAC mismatch at SSC {ssc:016X}")]
    MacMismatch {
        /// Low 64 bits of the SSC.
        ssc: u64,
    },
    /// No DO'8E' in a protected response or command.
    #[error("secure messaging checksum DO'8E' missing")]
    MissingMac,
    /// No DO'99' in a protected response.
    #[error("secure messaging status DO'99' missing")]
    MissingStatus,
    /// A DO'99' whose value is not exactly two bytes.
    #[error("DO'99' of {len} bytes, expected 2")]
    BadStatusObject {
        /// Value length.
        len: usize,
    },
    /// The MACed status in DO'99' differs from the unprotected trailer.
    #[error("protected status {protected} differs from the plain trailer {plain}")]
    StatusMismatch {
        /// SW inside DO'99'.
        protected: StatusWord,
        /// SW1 SW2 of the response APDU.
        plain: StatusWord,
    },
    /// A response without any SM data objects (for example a plain 6987/6988 or 9000):
    /// the chip left secure messaging.
    #[error("plain response {sw} during secure messaging")]
    PlainResponse {
        /// The plain status word.
        sw: StatusWord,
    },
    /// A command whose CLA does not indicate secure messaging (chip side).
    #[error("command without secure messaging (CLA {cla:02X})")]
    PlainCommand {
        /// The CLA byte.
        cla: u8,
    },
    /// Padding method 2 (ISO/IEC 9797-1) not found after decryption.
    #[error("bad padding in decrypted SM data")]
    BadPadding,
    /// DO'85'/'87' whose cryptogram cannot be decrypted (bad padding-content indicator,
    /// empty, or not a whole number of blocks).
    #[error("malformed cryptogram in DO'{tag:02X}'")]
    BadCryptogram {
        /// 0x85 or 0x87.
        tag: u8,
    },
    /// DO'97' whose value is not 1 or 2 bytes.
    #[error("DO'97' of {len} bytes")]
    BadLeObject {
        /// Value length.
        len: usize,
    },
    /// A data object that does not belong at this place (unknown tag, duplicate, or anything
    /// after DO'8E').
    #[error("unexpected SM data object {tag:X} at byte {offset}")]
    UnexpectedDataObject {
        /// The tag.
        tag: u32,
        /// Offset in the data field.
        offset: usize,
    },
    /// The SM data field is not valid BER-TLV.
    #[error("malformed SM data objects: {0}")]
    Tlv(#[from] crate::tlv::TlvError),
    /// The protected command would exceed the extended-length maximum.
    #[error("protected command data of {len} bytes is too long")]
    CommandTooLong {
        /// Protected data length.
        len: usize,
    },
    /// The session has failed before (or was closed): no further APDU is protected.
    #[error("secure messaging session closed after an earlier error")]
    SessionClosed,
}
