//! Readers as the service sees them: a backend (PC/SC, or the in-process virtual reader for
//! demos and tests), each reader's state, and the rule "one inspection per reader at a time".

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::chip::{CardTransport, TransportError};
use crate::testkit::dataset::synthetic_pace_ca_passport;
use crate::testkit::lds_gen::GenParams;
use crate::testkit::VirtualChip;
use crate::transport::pcsc::{self, Pcsc, ReaderEvent, ReaderInfo};

use super::error::ServiceError;

/// A transport that can move to a blocking thread.
pub type BoxTransport = Box<dyn CardTransport + Send>;

/// Where readers come from. Calls block: the service runs them on blocking threads.
pub trait ReaderBackend: Send + Sync + 'static {
    /// The readers now.
    fn list(&self) -> Result<Vec<ReaderInfo>, TransportError>;
    /// Waits up to `wait` for a card on `reader`, then connects exclusively.
    fn connect(&self, reader: &str, wait: Duration) -> Result<BoxTransport, TransportError>;
    /// Streams events until `on_event` or `running` says stop.
    fn watch(&self, running: &dyn Fn() -> bool, on_event: &mut dyn FnMut(ReaderEvent) -> bool);
}

/// PC/SC readers through pcscd, optionally restricted to some names.
pub struct PcscBackend {
    /// Reader names to use; empty: all.
    pub allow: Vec<String>,
}

impl PcscBackend {
    fn allowed(&self, name: &str) -> bool {
        self.allow.is_empty() || self.allow.iter().any(|a| a == name)
    }
}

impl ReaderBackend for PcscBackend {
    fn list(&self) -> Result<Vec<ReaderInfo>, TransportError> {
        Ok(Pcsc::establish()?
            .readers()?
            .into_iter()
            .filter(|r| self.allowed(&r.name))
            .collect())
    }
    fn connect(&self, reader: &str, wait: Duration) -> Result<BoxTransport, TransportError> {
        if !self.allowed(reader) {
            return Err(TransportError::Io {
                detail: "reader not enabled in the configuration".into(),
            });
        }
        Ok(Box::new(Pcsc::wait_and_connect(reader, wait)?))
    }
    fn watch(&self, running: &dyn Fn() -> bool, on_event: &mut dyn FnMut(ReaderEvent) -> bool) {
        pcsc::watch(Duration::from_millis(500), running, &mut |e| {
            let name = match &e {
                ReaderEvent::ReaderAdded { reader }
                | ReaderEvent::ReaderRemoved { reader }
                | ReaderEvent::CardInserted { reader, .. }
                | ReaderEvent::CardRemoved { reader } => Some(reader.as_str()),
                _ => None,
            };
            if name.is_some_and(|n| !self.allowed(n)) {
                return true;
            }
            on_event(e)
        });
    }
}

/// The in-process virtual reader: always holds the built-in synthetic passport with Chip
/// and Active Authentication (`testkit::dataset::synthetic_pace_ca_passport`), a fresh chip per
/// connection.
pub struct VirtualBackend {
    /// Reader name.
    pub name: String,
}

/// The virtual reader's default name.
pub const VIRTUAL_READER: &str = "inspectd virtual reader";

impl ReaderBackend for VirtualBackend {
    fn list(&self) -> Result<Vec<ReaderInfo>, TransportError> {
        Ok(vec![ReaderInfo {
            name: self.name.clone(),
            card_present: true,
            atr: None,
        }])
    }
    fn connect(&self, reader: &str, _wait: Duration) -> Result<BoxTransport, TransportError> {
        if reader != self.name {
            return Err(TransportError::Io {
                detail: "unknown reader".into(),
            });
        }
        // A current passport: PACE-GM (MRZ or CAN), Chip and Active Authentication.
        let profile =
            synthetic_pace_ca_passport(GenParams::default(), &[("0.4.0.127.0.7.2.2.4.2.2", 13)])
                .ok_or(TransportError::Io {
                    detail: "the synthetic passport could not be built".into(),
                })?;
        Ok(Box::new(VirtualChip::new(profile, 0x9303)))
    }
    fn watch(&self, running: &dyn Fn() -> bool, on_event: &mut dyn FnMut(ReaderEvent) -> bool) {
        if !on_event(ReaderEvent::ReaderAdded {
            reader: self.name.clone(),
        }) {
            return;
        }
        if !on_event(ReaderEvent::CardInserted {
            reader: self.name.clone(),
            atr: String::new(),
        }) {
            return;
        }
        while running() {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// Several backends as one.
pub struct Readers {
    backends: Vec<Arc<dyn ReaderBackend>>,
    busy: Mutex<BTreeMap<String, ()>>,
}

/// Holds a reader for one inspection; frees it when dropped.
pub struct ReaderLease {
    readers: Arc<Readers>,
    name: String,
}

impl ReaderLease {
    /// The reader name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for ReaderLease {
    fn drop(&mut self) {
        if let Ok(mut b) = self.readers.busy.lock() {
            b.remove(&self.name);
        }
    }
}

impl Readers {
    /// Combines backends (the first that lists a reader owns it).
    pub fn new(backends: Vec<Arc<dyn ReaderBackend>>) -> Arc<Self> {
        Arc::new(Readers {
            backends,
            busy: Mutex::new(BTreeMap::new()),
        })
    }

    /// Every reader, with `reading` set for leased ones. A backend that fails (pcscd down)
    /// contributes nothing; if every backend fails, the error is returned.
    pub fn list(&self) -> Result<Vec<(ReaderInfo, bool)>, TransportError> {
        let mut out = Vec::new();
        let mut last_err = None;
        let mut ok = false;
        for b in &self.backends {
            match b.list() {
                Ok(l) => {
                    ok = true;
                    out.extend(l);
                }
                Err(e) => last_err = Some(e),
            }
        }
        if !ok {
            if let Some(e) = last_err {
                return Err(e);
            }
        }
        let busy = self.busy.lock().map(|b| b.clone()).unwrap_or_default();
        Ok(out
            .into_iter()
            .map(|r| {
                let reading = busy.contains_key(&r.name);
                (r, reading)
            })
            .collect())
    }

    fn backend_for(&self, reader: &str) -> Option<Arc<dyn ReaderBackend>> {
        self.backends
            .iter()
            .find(|b| {
                b.list()
                    .map(|l| l.iter().any(|r| r.name == reader))
                    .unwrap_or(false)
            })
            .cloned()
    }

    /// Leases `reader` (empty: the only reader with a card, or the only reader).
    pub fn lease(self: &Arc<Self>, reader: &str) -> Result<ReaderLease, ServiceError> {
        let name = if reader.is_empty() {
            let all = self.list()?;
            let with_card: Vec<_> = all.iter().filter(|(r, _)| r.card_present).collect();
            match (with_card.as_slice(), all.as_slice()) {
                ([one], _) => one.0.name.clone(),
                (_, [one]) => one.0.name.clone(),
                _ => {
                    return Err(ServiceError::InvalidArgument {
                        field: "reader",
                        reason: format!(
                            "{} readers, {} with a card: name one",
                            all.len(),
                            with_card.len()
                        ),
                    })
                }
            }
        } else {
            reader.to_string()
        };
        let mut busy = self
            .busy
            .lock()
            .map_err(|_| ServiceError::Internal("reader lock poisoned".into()))?;
        if busy.contains_key(&name) {
            return Err(ServiceError::ReaderBusy(name));
        }
        busy.insert(name.clone(), ());
        Ok(ReaderLease {
            readers: Arc::clone(self),
            name,
        })
    }

    /// Connects the leased reader (blocking).
    pub fn connect(
        &self,
        lease: &ReaderLease,
        wait: Duration,
    ) -> Result<BoxTransport, ServiceError> {
        let b = self
            .backend_for(&lease.name)
            .ok_or_else(|| ServiceError::ReaderNotFound(lease.name.clone()))?;
        b.connect(&lease.name, wait).map_err(|e| match e {
            TransportError::Timeout => ServiceError::NoCard(lease.name.clone()),
            e => ServiceError::Transport(e),
        })
    }

    /// Watches every backend (blocking; one thread per backend).
    pub fn watch(
        self: &Arc<Self>,
        running: Arc<dyn Fn() -> bool + Send + Sync>,
        tx: std::sync::mpsc::SyncSender<ReaderEvent>,
    ) {
        for b in &self.backends {
            let b = Arc::clone(b);
            let running = Arc::clone(&running);
            let tx = tx.clone();
            std::thread::spawn(move || {
                b.watch(&|| running(), &mut |e| tx.send(e).is_ok());
            });
        }
    }
}
