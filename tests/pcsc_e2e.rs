//! End to end through a real pcscd: the virtual chip served to vsmartcard's vpcd driver, read
//! with the PC/SC transport. Needs pcscd running with vpcd (scripts/test.sh starts it). Without
//! it the tests say so and pass, unless INSPECTD_REQUIRE_PCSC=1 (set by scripts/test.sh), in
//! which case they fail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use inspectd::chip::{
    drive, AccessKey, CardTransport, ChipError, ChipRead, ReadSession, SessionOptions,
    TransportError,
};
use inspectd::lds::FileId;
use inspectd::testkit::dataset::{
    synthetic_bac_passport, synthetic_mrz_information, with_extended_length,
};
use inspectd::testkit::lds_gen::{self, GenParams};
use inspectd::testkit::vpcd::{serve, VpcdOptions, VpcdStats};
use inspectd::testkit::{ChipProfile, Fault, VirtualChip};
use inspectd::transport::pcsc::Pcsc;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// The two vpcd slots share ports across tests: one test at a time.
static SERIAL: Mutex<()> = Mutex::new(());

const SLOTS: [(&str, &str); 2] = [
    ("127.0.0.1:35963", "Virtual PCD 00 00"),
    ("127.0.0.1:35964", "Virtual PCD 00 01"),
];

/// pcscd with the vpcd readers, or None (skip) when they are not there and not required.
fn pcsc() -> Option<Pcsc> {
    let required = std::env::var("INSPECTD_REQUIRE_PCSC").is_ok_and(|v| v == "1");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(p) = Pcsc::establish() {
            if let Ok(r) = p.readers() {
                if r.iter().any(|x| x.name == SLOTS[0].1) {
                    return Some(p);
                }
            }
        }
        if Instant::now() > deadline {
            assert!(!required, "pcscd with the vpcd readers is not available");
            eprintln!("SKIPPED: pcscd with vsmartcard-vpcd not available (run scripts/test.sh)");
            return None;
        }
        thread::sleep(Duration::from_millis(200));
    }
}

/// Waits until pcscd reports no card in `reader` (a removal is seen asynchronously).
fn wait_empty(reader: &str) {
    let Ok(p) = Pcsc::establish() else { return };
    let deadline = Instant::now() + Duration::from_secs(10);
    while p
        .readers()
        .map(|rs| rs.iter().any(|r| r.name == reader && r.card_present))
        .unwrap_or(false)
    {
        assert!(
            Instant::now() < deadline,
            "pcscd did not see the card leave {reader}"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

struct Sim {
    reader: &'static str,
    stop: Arc<AtomicBool>,
    handle: Option<thread::JoinHandle<std::io::Result<VpcdStats>>>,
}

impl Sim {
    fn start(
        (addr, reader): (&'static str, &'static str),
        profile: ChipProfile,
        faults: Vec<Fault>,
        opts: VpcdOptions,
    ) -> Sim {
        wait_empty(reader);
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let handle = thread::spawn(move || {
            let mut chip = VirtualChip::new(profile, 0x77);
            for f in faults {
                chip = chip.with_fault(f);
            }
            serve(addr, &mut chip, &opts, &s)
        });
        Sim {
            reader,
            stop,
            handle: Some(handle),
        }
    }
    fn finish(mut self) -> VpcdStats {
        self.stop.store(true, Ordering::Relaxed);
        let stats = self.handle.take().unwrap().join().unwrap().unwrap();
        wait_empty(self.reader);
        stats
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
            wait_empty(self.reader);
        }
    }
}

fn read_via(p: &Pcsc, reader: &str) -> Result<ChipRead, ChipError> {
    p.wait_for_card(reader, Duration::from_secs(10))?;
    let mut card = p.connect(reader)?;
    let key = AccessKey::Mrz {
        mrz_information: synthetic_mrz_information(),
    };
    let opts = SessionOptions {
        max_response_len: card.max_response_len(),
        ..SessionOptions::default()
    };
    let s = ReadSession::new(&key, opts, &mut ChaCha20Rng::seed_from_u64(5)).unwrap();
    drive(s, &mut card)
}

fn assert_complete(r: &ChipRead) {
    for (name, bytes) in lds_gen::generate() {
        let id = inspectd::testkit::dataset::file_for_name(&name).unwrap();
        assert_eq!(r.file(id).unwrap(), bytes.as_slice(), "{name}");
    }
}

#[test]
fn bac_passport_through_pcscd() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(p) = pcsc() else { return };
    let sim = Sim::start(
        SLOTS[0],
        synthetic_bac_passport(GenParams::default()),
        vec![],
        VpcdOptions::default(),
    );
    let r = read_via(&p, SLOTS[0].1).unwrap();
    assert_complete(&r);
    assert_eq!(r.max_response_len, 256);
    let stats = sim.finish();
    assert!(stats.apdus >= 120, "{stats:?}");
}

#[test]
fn extended_length_declared_in_atr_and_ef_atr_info_is_used_through_pcscd() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(p) = pcsc() else { return };
    let profile = with_extended_length(synthetic_bac_passport(GenParams::default()));
    let opts = VpcdOptions {
        extended_length: true,
        ..VpcdOptions::default()
    };
    let sim = Sim::start(SLOTS[0], profile, vec![], opts);
    let r = read_via(&p, SLOTS[0].1).unwrap();
    assert_complete(&r);
    assert!(r.max_response_len > 256);
    let stats = sim.finish();
    assert!(stats.apdus < 20, "{stats:?}");
}

#[test]
fn short_le_chip_through_pcscd() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(p) = pcsc() else { return };
    let sim = Sim::start(
        SLOTS[0],
        synthetic_bac_passport(GenParams::default()),
        vec![Fault::MaxLe(160)],
        VpcdOptions::default(),
    );
    let r = read_via(&p, SLOTS[0].1).unwrap();
    assert_complete(&r);
    drop(sim);
}

#[test]
fn two_readers_read_concurrently() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(_) = pcsc() else { return };
    let sims: Vec<Sim> = SLOTS
        .iter()
        .map(|slot| {
            Sim::start(
                *slot,
                synthetic_bac_passport(GenParams::default()),
                vec![],
                VpcdOptions::default(),
            )
        })
        .collect();
    let readers: Vec<_> = SLOTS
        .iter()
        .map(|(_, name)| {
            thread::spawn(move || {
                // One context per reader thread, as the service does.
                let p = Pcsc::establish().unwrap();
                read_via(&p, name)
            })
        })
        .collect();
    for h in readers {
        assert_complete(&h.join().unwrap().unwrap());
    }
    drop(sims);
}

#[test]
fn card_removed_mid_read_is_reported_at_once_and_the_next_card_works() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(p) = pcsc() else { return };
    let opts = VpcdOptions {
        remove_after: Some(40),
        ..VpcdOptions::default()
    };
    let sim = Sim::start(
        SLOTS[0],
        synthetic_bac_passport(GenParams::default()),
        vec![],
        opts,
    );
    let started = Instant::now();
    let e = read_via(&p, SLOTS[0].1).unwrap_err();
    assert!(
        matches!(
            e,
            ChipError::Transport(TransportError::CardRemoved)
                | ChipError::Transport(TransportError::Io { .. })
        ),
        "{e:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(15));
    drop(sim);
    // Wait until pcscd has seen the removal, then present a new card.
    let deadline = Instant::now() + Duration::from_secs(10);
    while p
        .readers()
        .unwrap()
        .iter()
        .any(|r| r.name == SLOTS[0].1 && r.card_present)
    {
        assert!(Instant::now() < deadline, "removal not seen");
        thread::sleep(Duration::from_millis(100));
    }
    let sim = Sim::start(
        SLOTS[0],
        synthetic_bac_passport(GenParams::default()),
        vec![],
        VpcdOptions::default(),
    );
    let r = read_via(&p, SLOTS[0].1).unwrap();
    assert!(r.file(FileId::Dg2).is_some());
    drop(sim);
}

#[test]
fn reader_and_card_events_are_watched() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(_) = pcsc() else { return };
    use inspectd::transport::pcsc::{watch, ReaderEvent};
    let (tx, rx) = std::sync::mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let watcher = thread::spawn(move || {
        watch(
            Duration::from_millis(200),
            &|| !s.load(Ordering::Relaxed),
            &mut |ev| tx.send(ev).is_ok(),
        )
    });
    let next = |want: &dyn Fn(&ReaderEvent) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let ev = rx.recv_timeout(left).expect("event");
            if want(&ev) {
                return ev;
            }
        }
    };
    next(&|e| matches!(e, ReaderEvent::ReaderAdded { reader } if reader == SLOTS[0].1));
    let sim = Sim::start(
        SLOTS[0],
        synthetic_bac_passport(GenParams::default()),
        vec![],
        VpcdOptions::default(),
    );
    let ev =
        next(&|e| matches!(e, ReaderEvent::CardInserted { reader, .. } if reader == SLOTS[0].1));
    let ReaderEvent::CardInserted { atr, .. } = ev else {
        unreachable!()
    };
    assert_eq!(atr, hex::encode_upper(inspectd::testkit::vpcd::atr(false)));
    drop(sim);
    next(&|e| matches!(e, ReaderEvent::CardRemoved { reader } if reader == SLOTS[0].1));
    stop.store(true, Ordering::Relaxed);
    watcher.join().unwrap();
}
