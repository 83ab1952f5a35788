//! Full read of the synthetic passport (BAC, 25 KB DG2, Active Authentication not included)
//! through a real pcscd and vsmartcard's vpcd, against the same read with the in-process
//! virtual chip: wall time, APDUs, host CPU time, and the per-APDU overhead of the PC/SC path.
//! Needs pcscd running with vpcd (as scripts/test.sh starts it); prints a note and exits
//! otherwise. Run: `cargo bench --bench pcsc_read`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use inspectd::chip::{
    drive_with_stats, AccessKey, CardTransport, ChipStats, ReadSession, SessionOptions,
};
use inspectd::testkit::dataset::{synthetic_bac_passport, synthetic_mrz_information};
use inspectd::testkit::lds_gen::GenParams;
use inspectd::testkit::vpcd::{serve, VpcdOptions};
use inspectd::testkit::VirtualChip;
use inspectd::transport::pcsc::Pcsc;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const READER: &str = "Virtual PCD 00 00";
const RUNS: u32 = 10;

/// Process CPU time (user + system) from /proc/self/stat, in seconds.
fn cpu_seconds() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|x| x.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|x| x.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn session(t: &mut dyn CardTransport) -> ChipStats {
    let key = AccessKey::Mrz {
        mrz_information: synthetic_mrz_information(),
    };
    let opts = SessionOptions {
        max_response_len: t.max_response_len(),
        ..SessionOptions::default()
    };
    let s = ReadSession::new(&key, opts, &mut ChaCha20Rng::seed_from_u64(1)).unwrap();
    let mut stats = ChipStats::default();
    drive_with_stats(s, t, &mut stats).unwrap();
    stats
}

fn main() {
    let Ok(p) = Pcsc::establish() else {
        println!("pcscd not running: skipped (start it as scripts/test.sh does)");
        return;
    };
    if !p
        .readers()
        .unwrap_or_default()
        .iter()
        .any(|r| r.name == READER)
    {
        println!("no vpcd reader: skipped");
        return;
    }
    let profile = synthetic_bac_passport(GenParams::default());

    // In-process.
    let (c0, t0) = (cpu_seconds(), Instant::now());
    let mut apdus = 0;
    for _ in 0..RUNS {
        let mut chip = VirtualChip::new(profile.clone(), 1);
        apdus = session(&mut chip).apdus;
    }
    let (inproc_wall, inproc_cpu) = (t0.elapsed() / RUNS, (cpu_seconds() - c0) / f64::from(RUNS));

    // Through pcscd: the chip serves on a thread of this process (its CPU is counted too).
    let mut wall = Duration::ZERO;
    let c0 = cpu_seconds();
    for _ in 0..RUNS {
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        let prof = profile.clone();
        let h = std::thread::spawn(move || {
            let mut chip = VirtualChip::new(prof, 1);
            serve("127.0.0.1:35963", &mut chip, &VpcdOptions::default(), &s2)
        });
        p.wait_for_card(READER, Duration::from_secs(10)).unwrap();
        let mut card = p.connect(READER).unwrap();
        let t0 = Instant::now();
        let st = session(&mut card);
        wall += t0.elapsed();
        assert_eq!(st.apdus, apdus);
        drop(card);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        h.join().unwrap().unwrap();
        while p
            .readers()
            .unwrap()
            .iter()
            .any(|r| r.name == READER && r.card_present)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let pcsc_wall = wall / RUNS;
    let pcsc_cpu = (cpu_seconds() - c0) / f64::from(RUNS);
    let per_apdu = (pcsc_wall.as_secs_f64() - inproc_wall.as_secs_f64()) / apdus as f64;
    println!(
        "{:<28} {:>10} {:>8} {:>12}",
        "path", "wall", "APDUs", "host CPU"
    );
    println!(
        "{:<28} {:>8.1}ms {:>8} {:>10.1}ms",
        "in-process virtual chip",
        inproc_wall.as_secs_f64() * 1e3,
        apdus,
        inproc_cpu * 1e3
    );
    println!(
        "{:<28} {:>8.1}ms {:>8} {:>10.1}ms",
        "pcscd + vpcd",
        pcsc_wall.as_secs_f64() * 1e3,
        apdus,
        pcsc_cpu * 1e3
    );
    println!("PC/SC path overhead per APDU: {:.0} µs", per_apdu * 1e6);
}
