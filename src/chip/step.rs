//! Protocol steps and the driver loop (the only place that performs I/O).

use super::{CardTransport, ChipError};
use crate::apdu::{CommandApdu, ResponseApdu};

/// What a protocol wants next.
#[must_use]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<T> {
    /// Send this command; pass the chip's answer to the next `resume`.
    Transmit(CommandApdu),
    /// The protocol finished with a result.
    Done(T),
}

/// A sans-IO chip protocol.
pub trait ChipProtocol {
    /// The result of a completed run.
    type Output;
    /// `None` on the first call; afterwards the response to the last `Transmit`.
    fn resume(&mut self, response: Option<ResponseApdu>) -> Result<Step<Self::Output>, ChipError>;
}

// Lets a caller drive a protocol by reference and recover its state afterwards
// (for example `Secured::into_parts` to keep the secure session).
impl<P: ChipProtocol + ?Sized> ChipProtocol for &mut P {
    type Output = P::Output;
    fn resume(&mut self, response: Option<ResponseApdu>) -> Result<Step<Self::Output>, ChipError> {
        (**self).resume(response)
    }
}

/// Counters of one [`drive_with_stats`] run (never payloads).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChipStats {
    /// Command APDUs sent, including GET RESPONSE and Le resends.
    pub apdus: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Bytes received (including status words).
    pub bytes_received: u64,
    /// GET RESPONSE commands sent for `61xx`.
    pub get_responses: u64,
    /// Commands resent with a corrected Le for `6Cxx`.
    pub le_resends: u64,
}

/// Cap on GET RESPONSE rounds for one command: 65 536 bytes in 256-byte pieces.
const MAX_GET_RESPONSE_ROUNDS: usize = 256;
/// Cap on a response assembled from `61xx` pieces (largest extended response plus SM
/// overhead, rounded up).
const MAX_CHAINED_RESPONSE: usize = 65_536 + 1024;

/// Runs `p` to completion over `t`.
pub fn drive<P: ChipProtocol>(p: P, t: &mut dyn CardTransport) -> Result<P::Output, ChipError> {
    drive_with_stats(p, t, &mut ChipStats::default())
}

/// Runs `p` to completion over `t`, adding APDU and byte counts to `stats`.
///
/// Handles two ISO/IEC 7816-4 §5.3.4 transport-level conventions so that no protocol sees them:
/// `61xx` (fetch the rest with GET RESPONSE, any command) and `6Cxx` (resend with Le = xx, only
/// for plain commands: a protected command cannot be resent without rewrapping).
pub fn drive_with_stats<P: ChipProtocol>(
    mut p: P,
    t: &mut dyn CardTransport,
    stats: &mut ChipStats,
) -> Result<P::Output, ChipError> {
    let mut last = None;
    loop {
        match p.resume(last.take())? {
            Step::Done(out) => return Ok(out),
            Step::Transmit(cmd) => last = Some(exchange(t, &cmd, stats)?),
        }
    }
}

/// Like [`drive_with_stats`], and calls `observe` after every exchange with the protocol
/// (between two `resume` calls) and the counters so far. Progress bars, gRPC progress streams
/// and per-phase timing hook in here; the clock stays with the observer, not the protocol.
pub fn drive_observed<P: ChipProtocol>(
    mut p: P,
    t: &mut dyn CardTransport,
    stats: &mut ChipStats,
    observe: &mut dyn FnMut(&P, &ChipStats),
) -> Result<P::Output, ChipError> {
    let mut last = None;
    loop {
        match p.resume(last.take())? {
            Step::Done(out) => return Ok(out),
            Step::Transmit(cmd) => {
                last = Some(exchange(t, &cmd, stats)?);
                observe(&p, stats);
            }
        }
    }
}

fn transmit(
    t: &mut dyn CardTransport,
    cmd: &CommandApdu,
    stats: &mut ChipStats,
) -> Result<ResponseApdu, ChipError> {
    cmd.validate()?;
    let bytes = cmd.encode();
    stats.apdus = stats.apdus.saturating_add(1);
    stats.bytes_sent = stats.bytes_sent.saturating_add(bytes.len() as u64);
    // Headers and lengths only: payloads never reach the logs (privacy rule).
    tracing::debug!(
        cla = cmd.cla,
        ins = cmd.ins,
        p1 = cmd.p1,
        p2 = cmd.p2,
        lc = cmd.data.len(),
        le = ?cmd.le,
        "command APDU"
    );
    let rsp = t
        .transmit(&bytes)
        .inspect_err(|e| tracing::debug!(error = %e, "transport"))?;
    stats.bytes_received = stats.bytes_received.saturating_add(rsp.len() as u64);
    let parsed = ResponseApdu::parse(&rsp)?;
    tracing::debug!(sw = %parsed.sw, len = parsed.data.len(), "response APDU");
    Ok(parsed)
}

fn ne_from_sw2(sw2: u8) -> usize {
    if sw2 == 0 {
        256
    } else {
        usize::from(sw2)
    }
}

fn exchange(
    t: &mut dyn CardTransport,
    cmd: &CommandApdu,
    stats: &mut ChipStats,
) -> Result<ResponseApdu, ChipError> {
    let mut rsp = transmit(t, cmd, stats)?;
    let plain = cmd.cla & 0x0C == 0;
    if plain && rsp.sw.sw1() == 0x6C && cmd.le.is_some() {
        let exact = ne_from_sw2(rsp.sw.sw2());
        if cmd.le != Some(exact) {
            stats.le_resends = stats.le_resends.saturating_add(1);
            let mut again = cmd.clone();
            again.le = Some(exact);
            rsp = transmit(t, &again, stats)?;
        }
    }
    let mut rounds = 0usize;
    while rsp.sw.sw1() == 0x61 {
        rounds = rounds.saturating_add(1);
        if rounds > MAX_GET_RESPONSE_ROUNDS {
            return Err(ChipError::TooManyRetries {
                step: "GET RESPONSE",
            });
        }
        stats.get_responses = stats.get_responses.saturating_add(1);
        let get = CommandApdu::new(0x00, 0xC0, 0, 0).with_le(ne_from_sw2(rsp.sw.sw2()));
        let more = transmit(t, &get, stats)?;
        let mut data = rsp.data;
        if data.len().saturating_add(more.data.len()) > MAX_CHAINED_RESPONSE {
            return Err(ChipError::Protocol {
                step: "GET RESPONSE",
                detail: "chained response too long",
            });
        }
        data.extend_from_slice(&more.data);
        rsp = ResponseApdu::new(data, more.sw);
    }
    Ok(rsp)
}
