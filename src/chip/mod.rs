//! The sans-IO chip core (Doc 9303 Part 11): protocols are state machines that emit command
//! APDUs and consume response APDUs; [`drive`] is the only loop that touches a
//! [`CardTransport`].
//!
//! ```text
//!            resume(None)                 resume(Some(rsp))
//!  protocol ─────────────► Step::Transmit(cmd) ──► drive ──► CardTransport
//!     ▲                                              │ (61xx / 6Cxx handled here)
//!     └──────────────────── ResponseApdu ◄───────────┘
//! ```
//!
//! * [`Bac`] (Doc 9303-11 §4.3): `Start → ExpectChallenge → ExpectMutualAuth → Done(SecureSession)`.
//! * [`Secured`] wraps any protocol in secure messaging (Doc 9303-11 §9.8), like a TLS record
//!   layer: every command is protected, every response is verified (MAC first) before the inner
//!   protocol sees it, and an SM error ends the session.
//! * [`ActiveAuthentication`] (Doc 9303-11 §6.1): INTERNAL AUTHENTICATE; [`aa::verify`] checks
//!   the signature against EF.DG15.
//! * [`ChipAuthentication`] (Doc 9303-11 §6.2): CA key agreement (ECDH or DH; v1, and the v2
//!   nonce/token step) and session restart; [`CaConfirm`] yields [`ChipAuthenticated`] once the
//!   chip answers under the new keys.
//! * [`ta::TerminalAuthentication`] (BSI TR-03110): CV certificate chain, challenge and signature
//!   so the chip opens DG3/DG4.
//! * [`SelectApplication`], [`SelectFile`] and [`ReadFile`] (Doc 9303-11 / ISO/IEC 7816-4 §11).

pub mod aa;
mod bac;
pub mod ca;
pub mod chain;
pub mod pace;
mod read;
mod secure;
mod select;
mod session;
mod step;
pub mod ta;
mod transport;

pub use aa::{AaError, AaPolicy, AaResponse, AaVerified, ActiveAuthentication};
pub use bac::{bac_chip_respond, Bac, BacKey};
pub use ca::{CaConfirm, CaError, CaFailure, CaKeysAgreed, ChipAuthenticated, ChipAuthentication};
pub use pace::{Pace, PaceError, PaceEstablished, PaceParams, PacePassword};
pub use read::{
    FileRead, FileRef, ReadFile, ReadOptions, ReadStats, MAX_SIZE_BIOMETRIC, MAX_SIZE_DEFAULT,
};
pub use secure::{SecureSession, Secured};
pub use select::{SelectApplication, SelectFile, EMRTD_AID};
pub use session::{
    AccessKey, AccessProtocol, ChipRead, FileOutcome, Phase, Progress, ReadSession, SessionFile,
    SessionOptions,
};
pub use step::{drive, drive_observed, drive_with_stats, ChipProtocol, ChipStats, Step};
pub use transport::{CardTransport, TransportError};

use crate::apdu::{ApduError, StatusWord};
use crate::sm::SmError;

/// An error of a chip protocol or of the driver.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChipError {
    /// The reader or the card failed.
    #[error("transport: {0}")]
    Transport(#[from] TransportError),
    /// A malformed APDU.
    #[error("APDU: {0}")]
    Apdu(#[from] ApduError),
    /// Secure messaging failed; the session is closed.
    #[error("secure messaging: {0}")]
    Sm(#[from] SmError),
    /// The chip answered an unexpected status word.
    #[error("{step}: chip answered {sw}")]
    Status {
        /// Which command.
        step: &'static str,
        /// The status word.
        sw: StatusWord,
    },
    /// The chip's answer does not fit the protocol state.
    #[error("{step}: {detail}")]
    Protocol {
        /// Which command or state.
        step: &'static str,
        /// What was wrong.
        detail: &'static str,
    },
    /// Access conditions not met (`6982` security status not satisfied, `6985`).
    #[error("{step}: access denied ({sw})")]
    AccessDenied {
        /// Which command.
        step: &'static str,
        /// The status word.
        sw: StatusWord,
    },
    /// File or application not found (`6A82`).
    #[error("{step}: not found")]
    NotFound {
        /// Which command.
        step: &'static str,
    },
    /// The chip refused authentication (BAC EXTERNAL AUTHENTICATE: typically wrong MRZ data).
    #[error("{step}: authentication refused ({sw})")]
    AuthenticationFailed {
        /// Which command.
        step: &'static str,
        /// The status word.
        sw: StatusWord,
    },
    /// The chip's (or terminal's) authentication proof does not verify.
    #[error("{step}: authentication proof invalid: {detail}")]
    AuthenticationMismatch {
        /// Which step.
        step: &'static str,
        /// What did not match.
        detail: &'static str,
    },
    /// The file's declared length exceeds the caller's cap.
    #[error("file declares {declared} bytes, cap is {max}")]
    FileTooLarge {
        /// Declared (or already read) length.
        declared: usize,
        /// The cap.
        max: usize,
    },
    /// The chip signalled end of file before the declared length was read.
    #[error("file ends after {read} of {declared} declared bytes")]
    FileTruncated {
        /// Length from the TLV header.
        declared: usize,
        /// Bytes read.
        read: usize,
    },
    /// The retry budget (Le step-downs, GET RESPONSE rounds) ran out.
    #[error("{step}: retry budget exhausted")]
    TooManyRetries {
        /// Which command.
        step: &'static str,
    },
    /// PACE failed (Doc 9303-11 §4.4).
    #[error("PACE: {0}")]
    Pace(#[from] PaceError),
    /// `resume` called after the protocol finished or failed.
    #[error("protocol already finished")]
    Finished,
}

impl ChipError {
    /// Maps a non-success status word of `step` to the most specific error.
    pub fn from_status(step: &'static str, sw: StatusWord) -> Self {
        match sw.0 {
            0x6982 | 0x6985 => ChipError::AccessDenied { step, sw },
            0x6A82 => ChipError::NotFound { step },
            _ => ChipError::Status { step, sw },
        }
    }
}
