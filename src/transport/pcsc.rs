//! PC/SC readers (the `pcsc` crate over pcsc-lite / WinSCard) as a [`CardTransport`].
//!
//! Calls block; callers run one OS thread per reader so pcsc never blocks an async runtime.
//! A card is connected in exclusive share mode for the length of an inspection, so two clients
//! on one reader can never interleave APDUs.

use std::ffi::{CStr, CString};
use std::time::Duration;

use crate::chip::{CardTransport, TransportError};

/// Largest response buffer: extended Ne (65 536) plus SW1 SW2.
const MAX_RESPONSE: usize = 65_538;

fn map_err(e: pcsc::Error) -> TransportError {
    match e {
        pcsc::Error::RemovedCard | pcsc::Error::NoSmartcard | pcsc::Error::ResetCard => {
            TransportError::CardRemoved
        }
        pcsc::Error::Timeout => TransportError::Timeout,
        other => TransportError::Io {
            detail: format!("PC/SC: {other}"),
        },
    }
}

/// Why a wait ended: the raw PC/SC error (to tell a lost service from the rest) or ours.
enum Wait {
    Pcsc(pcsc::Error),
    Other(TransportError),
}

/// PC/SC errors after which a new context may succeed: pcscd not running or restarted, the
/// reader not (yet) there.
fn service_lost(e: pcsc::Error) -> bool {
    matches!(
        e,
        pcsc::Error::NoService
            | pcsc::Error::ServiceStopped
            | pcsc::Error::InvalidHandle
            | pcsc::Error::UnknownReader
            | pcsc::Error::ReaderUnavailable
            | pcsc::Error::NoReadersAvailable
            | pcsc::Error::CommError
    )
}

/// One reader and its card state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReaderInfo {
    /// The reader name as PC/SC reports it.
    pub name: String,
    /// A card is in the field.
    pub card_present: bool,
    /// The card's ATR, when present.
    pub atr: Option<String>,
}

/// A reader or card event (from SCardGetStatusChange with the PnP notification reader).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ReaderEvent {
    /// A reader appeared (also reported for every reader at start).
    ReaderAdded {
        /// Reader name.
        reader: String,
    },
    /// A reader went away.
    ReaderRemoved {
        /// Reader name.
        reader: String,
    },
    /// A card entered the field.
    CardInserted {
        /// Reader name.
        reader: String,
        /// The ATR, hex.
        atr: String,
    },
    /// The card left the field.
    CardRemoved {
        /// Reader name.
        reader: String,
    },
    /// The resource manager (pcscd) is unreachable; the watcher retries.
    ServiceUnavailable {
        /// Why.
        detail: String,
    },
    /// The resource manager is reachable again.
    ServiceAvailable,
}

/// Watches readers and cards until `on_event` returns false or `running` does (checked at
/// least every `poll`). Survives pcscd restarts: on a service error it reports
/// [`ReaderEvent::ServiceUnavailable`], re-establishes the context with a back-off, and
/// reports the readers again.
pub fn watch(
    poll: Duration,
    running: &dyn Fn() -> bool,
    on_event: &mut dyn FnMut(ReaderEvent) -> bool,
) {
    let mut down = false;
    while running() {
        let ctx = match pcsc::Context::establish(pcsc::Scope::User) {
            Ok(c) => c,
            Err(e) => {
                if !down {
                    down = true;
                    if !on_event(ReaderEvent::ServiceUnavailable {
                        detail: e.to_string(),
                    }) {
                        return;
                    }
                }
                std::thread::sleep(Duration::from_millis(500));
                continue;
            }
        };
        if std::mem::take(&mut down) && !on_event(ReaderEvent::ServiceAvailable) {
            return;
        }
        match watch_context(&ctx, poll, running, on_event) {
            Ok(()) => return,
            Err(e) => {
                down = true;
                if !on_event(ReaderEvent::ServiceUnavailable {
                    detail: e.to_string(),
                }) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    }
}

/// Returns Ok when the consumer stops, Err when the service fails.
fn watch_context(
    ctx: &pcsc::Context,
    poll: Duration,
    running: &dyn Fn() -> bool,
    on_event: &mut dyn FnMut(ReaderEvent) -> bool,
) -> Result<(), pcsc::Error> {
    let mut states: Vec<pcsc::ReaderState> = vec![pcsc::ReaderState::new(
        pcsc::PNP_NOTIFICATION(),
        pcsc::State::UNAWARE,
    )];
    let mut known: Vec<(String, bool)> = Vec::new();
    while running() {
        // Reader list: add new readers, drop the ones that went away.
        let names = match ctx.list_readers_owned() {
            Ok(n) => n,
            Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
            Err(e) => return Err(e),
        };
        for n in &names {
            let name = n.to_string_lossy().into_owned();
            if !known.iter().any(|(k, _)| *k == name) {
                known.push((name.clone(), false));
                states.push(pcsc::ReaderState::new(n.clone(), pcsc::State::UNAWARE));
                if !on_event(ReaderEvent::ReaderAdded { reader: name }) {
                    return Ok(());
                }
            }
        }
        let mut i = 0;
        while let Some((name, _)) = known.get(i) {
            if names.iter().any(|n| n.to_string_lossy() == name.as_str()) {
                i += 1;
                continue;
            }
            let reader = name.clone();
            known.remove(i);
            states.retain(|s| s.name().to_string_lossy() != reader.as_str());
            if !on_event(ReaderEvent::ReaderRemoved { reader }) {
                return Ok(());
            }
        }
        match ctx.get_status_change(poll, &mut states) {
            Ok(()) | Err(pcsc::Error::Timeout) => {}
            Err(pcsc::Error::UnknownReader) => continue,
            Err(e) => return Err(e),
        }
        for st in states.iter_mut().skip(1) {
            let name = st.name().to_string_lossy().into_owned();
            let present = st.event_state().contains(pcsc::State::PRESENT);
            if let Some(k) = known.iter_mut().find(|(n, _)| *n == name) {
                if k.1 != present {
                    k.1 = present;
                    let ev = if present {
                        ReaderEvent::CardInserted {
                            reader: name,
                            atr: hex::encode_upper(st.atr()),
                        }
                    } else {
                        ReaderEvent::CardRemoved { reader: name }
                    };
                    if !on_event(ev) {
                        return Ok(());
                    }
                }
            }
            st.sync_current_state();
        }
        if let Some(pnp) = states.first_mut() {
            pnp.sync_current_state();
        }
    }
    Ok(())
}

/// A PC/SC context (connection to the resource manager, e.g. pcscd).
pub struct Pcsc {
    ctx: pcsc::Context,
}

impl std::fmt::Debug for Pcsc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pcsc")
    }
}

impl Pcsc {
    /// Connects to the resource manager. Fails with a clear error when pcscd is not running.
    pub fn establish() -> Result<Self, TransportError> {
        pcsc::Context::establish(pcsc::Scope::User)
            .map(|ctx| Pcsc { ctx })
            .map_err(map_err)
    }

    /// The readers and whether a card is present in each.
    pub fn readers(&self) -> Result<Vec<ReaderInfo>, TransportError> {
        let names = match self.ctx.list_readers_owned() {
            Ok(n) => n,
            Err(pcsc::Error::NoReadersAvailable) => return Ok(Vec::new()),
            Err(e) => return Err(map_err(e)),
        };
        let mut states: Vec<pcsc::ReaderState> = names
            .iter()
            .map(|n| pcsc::ReaderState::new(n.clone(), pcsc::State::UNAWARE))
            .collect();
        if !states.is_empty() {
            self.ctx
                .get_status_change(Duration::ZERO, &mut states)
                .map_err(map_err)?;
        }
        Ok(states
            .iter()
            .map(|s| {
                let present = s.event_state().contains(pcsc::State::PRESENT);
                ReaderInfo {
                    name: s.name().to_string_lossy().into_owned(),
                    card_present: present,
                    atr: present.then(|| hex::encode_upper(s.atr())),
                }
            })
            .collect())
    }

    /// Waits until a card is present in `reader` (or `timeout` passes).
    pub fn wait_for_card(&self, reader: &str, timeout: Duration) -> Result<(), TransportError> {
        self.wait_raw(reader, timeout).map_err(|e| match e {
            Wait::Pcsc(e) => map_err(e),
            Wait::Other(e) => e,
        })
    }

    /// Waits for a card in `reader` and connects to it exclusively, riding out a pcscd that
    /// is not running yet, restarts, or a reader that comes and goes (a virtual or USB
    /// reader re-enumerating): the context is re-established until `timeout` runs out. The
    /// last such error is reported if the time runs out with the service still away.
    pub fn wait_and_connect(reader: &str, timeout: Duration) -> Result<PcscCard, TransportError> {
        let start = std::time::Instant::now();
        let deadline = start.checked_add(timeout).unwrap_or(start);
        let mut last = TransportError::Timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(last);
            }
            match pcsc::Context::establish(pcsc::Scope::User) {
                Ok(ctx) => {
                    let p = Pcsc { ctx };
                    match p.wait_raw(reader, left) {
                        Ok(()) => match p.connect(reader) {
                            Ok(c) => return Ok(c),
                            // The card left between the event and the connect: wait again.
                            Err(TransportError::CardRemoved) => last = TransportError::CardRemoved,
                            Err(e) => return Err(e),
                        },
                        Err(Wait::Pcsc(e)) if service_lost(e) => last = map_err(e),
                        Err(Wait::Pcsc(e)) => return Err(map_err(e)),
                        Err(Wait::Other(e)) => return Err(e),
                    }
                }
                Err(e) if service_lost(e) => last = map_err(e),
                Err(e) => return Err(map_err(e)),
            }
            std::thread::sleep(Duration::from_millis(250).min(left));
        }
    }

    fn wait_raw(&self, reader: &str, timeout: Duration) -> Result<(), Wait> {
        let name = CString::new(reader).map_err(|_| {
            Wait::Other(TransportError::Io {
                detail: "reader name contains NUL".into(),
            })
        })?;
        let mut states = [pcsc::ReaderState::new(name, pcsc::State::UNAWARE)];
        let now = std::time::Instant::now();
        let deadline = now.checked_add(timeout).unwrap_or(now);
        loop {
            self.ctx
                .get_status_change(Duration::ZERO, &mut states)
                .map_err(Wait::Pcsc)?;
            let [s] = &mut states;
            if s.event_state().contains(pcsc::State::PRESENT)
                && !s.event_state().contains(pcsc::State::MUTE)
            {
                return Ok(());
            }
            s.sync_current_state();
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(Wait::Other(TransportError::Timeout));
            }
            match self.ctx.get_status_change(left, &mut states) {
                Ok(()) | Err(pcsc::Error::Timeout) => {}
                Err(e) => return Err(Wait::Pcsc(e)),
            }
        }
    }

    /// Connects exclusively to the card in `reader`.
    pub fn connect(&self, reader: &str) -> Result<PcscCard, TransportError> {
        let name = CString::new(reader).map_err(|_| TransportError::Io {
            detail: "reader name contains NUL".into(),
        })?;
        connect(&self.ctx, &name)
    }
}

fn connect(ctx: &pcsc::Context, name: &CStr) -> Result<PcscCard, TransportError> {
    let card = ctx
        .connect(name, pcsc::ShareMode::Exclusive, pcsc::Protocols::ANY)
        .map_err(map_err)?;
    let atr = card
        .status2_owned()
        .map(|st| st.atr().to_vec())
        .unwrap_or_default();
    let extended = atr_declares_extended_length(&atr);
    Ok(PcscCard {
        card,
        max_response_len: if extended { 65_536 } else { 256 },
        atr,
    })
}

/// A connected card.
pub struct PcscCard {
    card: pcsc::Card,
    max_response_len: usize,
    atr: Vec<u8>,
}

impl std::fmt::Debug for PcscCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscCard")
            .field("max_response_len", &self.max_response_len)
            .finish_non_exhaustive()
    }
}

impl PcscCard {
    /// The ATR (for contactless cards, built by the reader from the ATS).
    pub fn atr(&self) -> &[u8] {
        &self.atr
    }
}

impl CardTransport for PcscCard {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut buf = vec![0u8; MAX_RESPONSE];
        let r = self.card.transmit(command, &mut buf).map_err(map_err)?;
        if r.len() < 2 {
            // Some drivers answer an empty response when the card leaves mid-exchange. Give the
            // resource manager a moment to notice, so removal is reported as such.
            for _ in 0..5 {
                self.card.status2_owned().map_err(map_err)?;
                std::thread::sleep(Duration::from_millis(100));
            }
            return Err(TransportError::Io {
                detail: "the reader returned no status word (card mute or removed)".into(),
            });
        }
        Ok(r.to_vec())
    }

    fn max_response_len(&self) -> usize {
        self.max_response_len
    }
}

/// True when the ATR's historical bytes carry card capabilities (compact-TLV tag 7, ISO/IEC
/// 7816-4 §12.1.1.9) with "extended Lc and Le fields" (third software function byte, b7).
pub fn atr_declares_extended_length(atr: &[u8]) -> bool {
    historical_bytes(atr).is_some_and(|h| {
        // Category indicator 0x80: compact-TLV objects follow.
        let Some((&0x80, mut rest)) = h.split_first() else {
            return false;
        };
        while let Some((&tl, tail)) = rest.split_first() {
            let len = usize::from(tl & 0x0F);
            let Some(v) = tail.get(..len) else {
                return false;
            };
            if tl >> 4 == 0x7 && len >= 3 {
                return v.get(2).is_some_and(|b| b & 0x40 != 0);
            }
            rest = tail.get(len..).unwrap_or(&[]);
        }
        false
    })
}

/// The historical bytes of an ATR (ISO/IEC 7816-3 §8.2).
pub fn historical_bytes(atr: &[u8]) -> Option<&[u8]> {
    let t0 = *atr.get(1)?;
    let k = usize::from(t0 & 0x0F);
    let mut pos = 2usize;
    let mut y = t0 >> 4;
    loop {
        // TA, TB, TC present per bits 5..7 of Y; TD per bit 8.
        pos += usize::from(y & 1) + usize::from((y >> 1) & 1) + usize::from((y >> 2) & 1);
        if y & 0x8 != 0 {
            let td = *atr.get(pos)?;
            pos += 1;
            y = td >> 4;
        } else {
            break;
        }
    }
    atr.get(pos..pos.checked_add(k)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn historical_bytes_and_extended_length() {
        // 3B 88 80 01 | 80 73 00 00 40 00 00 00 | TCK
        let atr = [
            0x3B, 0x88, 0x80, 0x01, 0x80, 0x73, 0, 0, 0x40, 0, 0, 0, 0x00,
        ];
        assert_eq!(historical_bytes(&atr).unwrap().len(), 8);
        assert!(atr_declares_extended_length(&atr));
        let short = [
            0x3B, 0x88, 0x80, 0x01, 0x80, 0x73, 0, 0, 0x00, 0, 0, 0, 0x00,
        ];
        assert!(!atr_declares_extended_length(&short));
        assert!(historical_bytes(&[0x3B]).is_none());
        assert!(!atr_declares_extended_length(&[0x3B, 0x8F, 0x80]));
    }
}
