//! Command chaining (ISO/IEC 7816-4 §5.3.3): a command whose data field does not fit a short
//! APDU is sent as several commands, every one but the last with CLA bit b5 (`0x10`) set. Run
//! inside [`Secured`](super::Secured), each piece is protected on its own (the chaining bit is
//! part of the MACed header), as chips expect. Used for PSO:Verify Certificate with long CV
//! certificates and for GENERAL AUTHENTICATE with 2048-bit DH keys on chips without extended
//! length.

use super::{ChipError, ChipProtocol, Step};
use crate::apdu::{CommandApdu, ResponseApdu};

/// CLA bit b5: more commands of this chain follow.
pub const CLA_CHAINING: u8 = 0x10;

/// Largest plain data field per piece so that its protected form still fits a short APDU:
/// AES pads 223 bytes to 224, plus DO'87' header (4), DO'97' (3) and DO'8E' (10) = 241 ≤ 255.
pub const MAX_SECURED_SHORT_DATA: usize = 223;

const STEP: &str = "command chaining";

/// Splits long commands of `P` into chains (see the module documentation).
#[derive(Debug)]
pub struct Chained<P> {
    inner: P,
    max_data: usize,
    /// The pieces still to send, last first (popped from the end).
    pending: Vec<CommandApdu>,
}

impl<P> Chained<P> {
    /// Wraps `inner`; commands with more than `max_data` data bytes (at least 1) are chained.
    pub fn new(inner: P, max_data: usize) -> Self {
        Chained {
            inner,
            max_data: max_data.max(1),
            pending: Vec::new(),
        }
    }

    /// The inner protocol.
    pub fn into_inner(self) -> P {
        self.inner
    }
}

/// The pieces of `cmd`: chaining bit on all but the last, Le only on the last.
pub fn split(cmd: &CommandApdu, max_data: usize) -> Vec<CommandApdu> {
    let chunks: Vec<&[u8]> = cmd.data.chunks(max_data.max(1)).collect();
    let n = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let last = i.saturating_add(1) == n;
            let mut piece = CommandApdu::new(
                if last {
                    cmd.cla
                } else {
                    cmd.cla | CLA_CHAINING
                },
                cmd.ins,
                cmd.p1,
                cmd.p2,
            )
            .with_data(c.to_vec());
            piece.le = if last { cmd.le } else { None };
            piece
        })
        .collect()
}

impl<P: ChipProtocol> Chained<P> {
    fn forward(&mut self, response: Option<ResponseApdu>) -> Result<Step<P::Output>, ChipError> {
        match self.inner.resume(response)? {
            Step::Done(out) => Ok(Step::Done(out)),
            Step::Transmit(cmd)
                if cmd.data.len() > self.max_data && cmd.cla & CLA_CHAINING == 0 =>
            {
                let mut pieces = split(&cmd, self.max_data);
                pieces.reverse();
                let first = pieces.pop().ok_or(ChipError::Protocol {
                    step: STEP,
                    detail: "nothing to send",
                })?;
                self.pending = pieces;
                Ok(Step::Transmit(first))
            }
            Step::Transmit(cmd) => Ok(Step::Transmit(cmd)),
        }
    }
}

impl<P: ChipProtocol> ChipProtocol for Chained<P> {
    type Output = P::Output;

    fn resume(&mut self, response: Option<ResponseApdu>) -> Result<Step<P::Output>, ChipError> {
        if self.pending.is_empty() {
            return self.forward(response);
        }
        let Some(r) = response else {
            return Err(ChipError::Protocol {
                step: STEP,
                detail: "resume out of order",
            });
        };
        if !r.sw.is_success() {
            // The chip refused a piece: that is its answer to the whole command.
            self.pending.clear();
            return self.forward(Some(r));
        }
        match self.pending.pop() {
            Some(next) => Ok(Step::Transmit(next)),
            None => self.forward(Some(r)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_with_chaining_bit_and_le_on_the_last() {
        let cmd = CommandApdu::new(0x00, 0x86, 0, 0)
            .with_data((0..=255u8).chain(0..10).collect())
            .with_le(256);
        let p = split(&cmd, 100);
        assert_eq!(p.len(), 3);
        assert_eq!(
            p.iter()
                .map(|c| (c.cla, c.data.len(), c.le))
                .collect::<Vec<_>>(),
            vec![(0x10, 100, None), (0x10, 100, None), (0x00, 66, Some(256))]
        );
        let joined: Vec<u8> = p.iter().flat_map(|c| c.data.clone()).collect();
        assert_eq!(joined, cmd.data);
        assert_eq!(split(&CommandApdu::new(0, 0x2A, 0, 0xBE), 10).len(), 0);
    }
}
