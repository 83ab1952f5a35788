//! The single I/O seam between the sans-IO core and a reader.

/// A contactless reader channel to one chip. Implemented by the PC/SC transport, the virtual
/// chip and replay traces.
pub trait CardTransport {
    /// Sends one command APDU; returns the full response APDU (data ‖ SW1 ‖ SW2).
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError>;

    /// The largest response data field (excluding SW1 SW2) the reader path supports:
    /// 256 for short APDUs, more when extended length works end to end.
    fn max_response_len(&self) -> usize {
        256
    }
}

/// A transport failure.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The card left the field.
    #[error("card removed")]
    CardRemoved,
    /// No answer in time.
    #[error("timeout")]
    Timeout,
    /// The reader refused the command (for example too long for the reader).
    #[error("command of {len} bytes rejected by the reader")]
    CommandRejected {
        /// Command length.
        len: usize,
    },
    /// The caller cancelled the inspection (the client went away or the server shuts down).
    #[error("cancelled")]
    Cancelled,
    /// Any other reader or driver error (the detail comes from the reader stack and never
    /// contains APDU payloads).
    #[error("I/O: {detail}")]
    Io {
        /// Reader stack message.
        detail: String,
    },
}
