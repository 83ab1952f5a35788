//! Through a real pcscd and vsmartcard's vpcd against the in-process virtual chip, for two
//! workloads: the BAC read of the synthetic passport (25 KB DG2), and a full inspection of the
//! current-generation passport (`pace-ca-aa`: PACE-GM ECDH brainpoolP256r1 AES-128, every
//! file, Chip Authentication, Active Authentication; `inspection::inspect_chip`, as the CLI
//! and the service run it). Reports wall time, APDUs, host CPU (split into the terminal side,
//! the simulated chip and pcscd itself) and the per-APDU overhead of the PC/SC path.
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
use inspectd::inspection::{inspect_chip, ChipOptions};
use inspectd::pa::CheckStatus;
use inspectd::testkit::dataset::{
    synthetic_bac_passport, synthetic_mrz_information, synthetic_pace_ca_passport,
};
use inspectd::testkit::lds_gen::GenParams;
use inspectd::testkit::vpcd::{serve, VpcdOptions};
use inspectd::testkit::{ChipProfile, VirtualChip};
use inspectd::transport::pcsc::Pcsc;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const READER: &str = "Virtual PCD 00 00";
const RUNS: u32 = 10;

/// On-CPU time of a task from its schedstat (first field, ns), in seconds: precise, unlike
/// the 10 ms ticks of /proc/*/stat.
fn sched(path: &str) -> f64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .next()
                .and_then(|x| x.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1e9
}

/// CPU of the calling thread.
fn thread_cpu() -> f64 {
    sched("/proc/thread-self/schedstat")
}

/// CPU of every thread of the running pcscd, in seconds (0 when it cannot be found).
fn pcscd_cpu() -> f64 {
    let out = std::process::Command::new("pgrep")
        .args(["-x", "pcscd"])
        .output()
        .ok();
    let pid = out
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let Some(pid) = pid.lines().next().filter(|p| !p.is_empty()) else {
        return 0.0;
    };
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|t| sched(&format!("{}/schedstat", t.path().display())))
                .sum()
        })
        .unwrap_or(0.0)
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

/// The full inspection (PACE, every file, CA, AA), checking that CA and AA passed.
fn inspection(t: &mut dyn CardTransport) -> ChipStats {
    let key = AccessKey::Mrz {
        mrz_information: synthetic_mrz_information(),
    };
    let chip = inspect_chip(
        t,
        &key,
        &ChipOptions::default(),
        &mut ChaCha20Rng::seed_from_u64(1),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(chip.ca.status, CheckStatus::Passed, "{:?}", chip.ca);
    assert_eq!(chip.aa.status, CheckStatus::Passed, "{:?}", chip.aa);
    ChipStats {
        apdus: chip.info.apdus,
        bytes_sent: chip.info.bytes_sent,
        bytes_received: chip.info.bytes_received,
        ..ChipStats::default()
    }
}

struct Row {
    wall: Duration,
    apdus: u64,
    cpu: f64,
    chip_cpu: f64,
    pcscd_cpu: f64,
}

fn in_process(profile: &ChipProfile, work: fn(&mut dyn CardTransport) -> ChipStats) -> Row {
    let (c0, t0) = (thread_cpu(), Instant::now());
    let mut apdus = 0;
    for _ in 0..RUNS {
        let mut chip = VirtualChip::new(profile.clone(), 1);
        apdus = work(&mut chip).apdus;
    }
    Row {
        wall: t0.elapsed() / RUNS,
        apdus,
        cpu: (thread_cpu() - c0) / f64::from(RUNS),
        chip_cpu: f64::NAN,
        pcscd_cpu: 0.0,
    }
}

/// Through pcscd: the chip serves on a thread of this process (its CPU is measured on that
/// thread and reported apart); pcscd's own CPU is read from /proc.
fn through_pcscd(
    p: &Pcsc,
    profile: &ChipProfile,
    work: fn(&mut dyn CardTransport) -> ChipStats,
) -> Row {
    let mut wall = Duration::ZERO;
    let mut chip_cpu = 0.0;
    let mut apdus = 0;
    let mut cpu = 0.0;
    let d0 = pcscd_cpu();
    for _ in 0..RUNS {
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        let prof = profile.clone();
        let h = std::thread::spawn(move || {
            let c = thread_cpu();
            let mut chip = VirtualChip::new(prof, 1);
            let r = serve("127.0.0.1:35963", &mut chip, &VpcdOptions::default(), &s2);
            (r, thread_cpu() - c)
        });
        p.wait_for_card(READER, Duration::from_secs(10)).unwrap();
        let mut card = p.connect(READER).unwrap();
        let (t0, c0) = (Instant::now(), thread_cpu());
        apdus = work(&mut card).apdus;
        wall += t0.elapsed();
        cpu += thread_cpu() - c0;
        drop(card);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let (r, c) = h.join().unwrap();
        r.unwrap();
        chip_cpu += c;
        while p
            .readers()
            .unwrap()
            .iter()
            .any(|r| r.name == READER && r.card_present)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    Row {
        wall: wall / RUNS,
        apdus,
        cpu: cpu / f64::from(RUNS),
        chip_cpu: chip_cpu / f64::from(RUNS),
        pcscd_cpu: (pcscd_cpu() - d0) / f64::from(RUNS),
    }
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
    let bac = synthetic_bac_passport(GenParams::default());
    let pace = synthetic_pace_ca_passport(GenParams::default(), &[("0.4.0.127.0.7.2.2.4.2.2", 13)])
        .expect("test PKI");
    println!(
        "{RUNS} runs each; CPU ms per run from schedstat. terminal = the thread running the \
         session (in-process it also runs the simulated chip); chip = the vpcd chip thread; \
         pcscd = all pcscd threads"
    );
    println!(
        "{:<44} {:>9} {:>6} {:>9} {:>9} {:>9} {:>9}",
        "workload / path", "wall ms", "APDUs", "terminal", "chip", "pcscd", "total"
    );
    let workloads: [(&str, &ChipProfile, fn(&mut dyn CardTransport) -> ChipStats); 2] = [
        ("BAC read, 25 KB DG2", &bac, session),
        ("PACE-GM+read+CA+AA (pace-ca-aa)", &pace, inspection),
    ];
    for (name, profile, work) in workloads {
        let a = in_process(profile, work);
        let b = through_pcscd(&p, profile, work);
        assert_eq!(a.apdus, b.apdus, "{name}: the same APDUs on both paths");
        for (path, r) in [("in-process", &a), ("pcscd + vpcd", &b)] {
            let chip = if r.chip_cpu.is_nan() { 0.0 } else { r.chip_cpu };
            println!(
                "{:<44} {:>9.2} {:>6} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
                format!("{name}, {path}"),
                r.wall.as_secs_f64() * 1e3,
                r.apdus,
                r.cpu * 1e3,
                chip * 1e3,
                r.pcscd_cpu * 1e3,
                (r.cpu + chip + r.pcscd_cpu) * 1e3
            );
        }
        let per_apdu = (b.wall.as_secs_f64() - a.wall.as_secs_f64()) / b.apdus.max(1) as f64;
        println!(
            "{name}: PC/SC path overhead per APDU {:.0} µs",
            per_apdu * 1e6
        );
    }
}
