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

// ---- The binaries through pcscd: `inspectd sim` serves, `inspectd read --reader` inspects.

fn bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_inspectd"))
}

/// `inspectd sim` on one vpcd slot, killed on drop (the card leaves the field).
struct SimProcess {
    child: std::process::Child,
    reader: &'static str,
}

impl SimProcess {
    fn start((addr, reader): (&'static str, &'static str), profile: &str) -> SimProcess {
        wait_empty(reader);
        let child = bin()
            .args(["sim", "--vpcd", addr, "--profile", profile])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        SimProcess { child, reader }
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        wait_empty(self.reader);
    }
}

const PKI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/pki");

/// `inspectd read --reader R --json` with `key` and the test PKI; (exit code, report).
fn cli_read(reader: &str, key: &[&str], wait: u64) -> (Option<i32>, serde_json::Value) {
    cli_read_with(reader, key, &[], wait)
}

/// [`cli_read`] with further arguments.
fn cli_read_with(
    reader: &str,
    key: &[&str],
    extra: &[&str],
    wait: u64,
) -> (Option<i32>, serde_json::Value) {
    let out = bin()
        .args([
            "read",
            "--json",
            "--reader",
            reader,
            "--wait",
            &wait.to_string(),
        ])
        .args(key)
        .args(["--trust", &format!("{PKI}/csca-rsa.der")])
        .args(["--trust", &format!("{PKI}/crl-rsa.der")])
        .args(extra)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), v)
}

fn status_of(v: &serde_json::Value, id: &str) -> String {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .and_then(|c| c["status"].as_str())
        .unwrap_or("missing")
        .trim_start_matches("CHECK_STATUS_")
        .to_ascii_lowercase()
}

#[test]
fn every_sim_profile_is_inspected_by_inspectd_read_through_pcscd() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(_) = pcsc() else { return };
    let mrz = lds_gen::specimen_mrz();
    let mrz_key = ["--mrz", mrz[0].as_str(), mrz[1].as_str()];
    let can_key = ["--can", "271828"];
    // (profile, key, access protocol, access_control status)
    let cases: [(&str, &[&str], &str, &str); 10] = [
        ("bac", &mrz_key, "bac", "passed"),
        // EF.CardAccess lists PACE, the chip refuses it: read over BAC, with a warning.
        ("ca", &mrz_key, "bac", "warning"),
        ("bac-extended", &mrz_key, "bac", "passed"),
        ("short-le", &mrz_key, "bac", "passed"),
        ("pace-ca-aa", &can_key, "pace", "passed"),
        ("pace-gm", &mrz_key, "pace", "passed"),
        ("pace-im", &can_key, "pace", "passed"),
        ("pace-cam", &can_key, "pace", "passed"),
        ("pace-dh", &mrz_key, "pace", "passed"),
        ("td1-can", &can_key, "pace", "passed"),
    ];
    let mut apdus = std::collections::BTreeMap::new();
    for (profile, key, access, access_status) in cases {
        let sim = SimProcess::start(SLOTS[0], profile);
        let (code, v) = cli_read(SLOTS[0].1, key, 15);
        drop(sim);
        assert_eq!(code, Some(0), "{profile}: {v}");
        assert_eq!(v["verdict"], "VERDICT_VALID", "{profile}: {v}");
        assert_eq!(v["accessProtocol"], access, "{profile}");
        assert_eq!(status_of(&v, "access_control"), access_status, "{profile}");
        for id in [
            "pa.sod_signature",
            "pa.ds_certificate",
            "pa.dg_hashes",
            "ca",
            "aa",
        ] {
            assert_eq!(status_of(&v, id), "passed", "{profile} {id}: {v}");
        }
        let n = v["statistics"]["apdus"]
            .as_str()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap();
        apdus.insert(profile, n);
    }
    // Extended length (declared in the ATR and EF.ATR/INFO) reads DG2 in a few APDUs; a chip
    // that takes only short Le needs more than the default.
    assert!(apdus["bac-extended"] < 40, "{apdus:?}");
    assert!(apdus["short-le"] > apdus["bac"], "{apdus:?}");
}

/// EAC through pcscd: `inspectd sim --profile eac` (BAC, CA v1, TA) and `pace-eac2` (PACE,
/// TA v2, CA v2) open DG3/DG4 to `inspectd read` with the test terminal chain, and keep them
/// closed without it.
#[test]
fn eac_profiles_open_dg3_and_dg4_through_pcscd() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(_) = pcsc() else { return };
    let mrz = lds_gen::specimen_mrz();
    let key = ["--mrz", mrz[0].as_str(), mrz[1].as_str()];
    let eac = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/eac");
    let (dv, is, sk) = (
        format!("{eac}/dv.cvcert"),
        format!("{eac}/is.cvcert"),
        format!("{eac}/is.pkcs8.der"),
    );
    let creds = [
        "--terminal-chain",
        dv.as_str(),
        is.as_str(),
        "--terminal-key",
        sk.as_str(),
    ];
    let file_status = |v: &serde_json::Value, f: &str| {
        v["statistics"]["files"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["file"] == f))
            .and_then(|x| x["status"].as_str())
            .unwrap_or("missing")
            .to_string()
    };
    for (profile, access) in [("eac", "bac"), ("pace-eac2", "pace")] {
        let sim = SimProcess::start(SLOTS[0], profile);
        let (code, v) = cli_read_with(SLOTS[0].1, &key, &creds, 15);
        drop(sim);
        assert_eq!(code, Some(0), "{profile}: {v}");
        assert_eq!(v["verdict"], "VERDICT_VALID", "{profile}: {v}");
        assert_eq!(v["accessProtocol"], access, "{profile}");
        for id in ["ta", "ca", "pa.dg_hashes", "pa.sod_signature"] {
            assert_eq!(status_of(&v, id), "passed", "{profile} {id}: {v}");
        }
        for f in ["EF.DG3", "EF.DG4"] {
            assert_eq!(file_status(&v, f), "read", "{profile} {f}: {v}");
        }
        // Without terminal credentials: TA not performed, DG3/DG4 stay closed.
        let sim = SimProcess::start(SLOTS[0], profile);
        let (_, v) = cli_read(SLOTS[0].1, &key, 15);
        drop(sim);
        assert_eq!(status_of(&v, "ta"), "not_performed", "{profile}: {v}");
        assert_ne!(file_status(&v, "EF.DG3"), "read", "{profile}: {v}");
    }
}

#[test]
fn inspectd_read_waits_through_a_pcscd_restart() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(_) = pcsc() else { return };
    // Only where this test may restart the machine's pcscd (scripts/test.sh and CI set it).
    if std::env::var("INSPECTD_PCSCD_RESTARTABLE").map_or(true, |v| v != "1") {
        eprintln!("SKIPPED: set INSPECTD_PCSCD_RESTARTABLE=1 to let this test restart pcscd");
        return;
    }
    let mrz = lds_gen::specimen_mrz();
    let reader = SLOTS[0].1;
    let waiting = {
        let (m0, m1) = (mrz[0].clone(), mrz[1].clone());
        thread::spawn(move || cli_read(reader, &["--mrz", &m0, &m1], 40))
    };
    thread::sleep(Duration::from_secs(1));
    // Restart pcscd under the waiting reader; scripts/pcscd.sh stops whatever pcscd runs at
    // the end of the test run.
    let st = std::process::Command::new("pkill")
        .args(["-x", "pcscd"])
        .status()
        .unwrap();
    assert!(st.success(), "no pcscd to restart");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::process::Command::new("pgrep")
        .args(["-x", "pcscd"])
        .status()
        .is_ok_and(|s| s.success())
    {
        assert!(Instant::now() < deadline, "pcscd did not stop");
        thread::sleep(Duration::from_millis(100));
    }
    let log =
        std::fs::File::create(std::env::temp_dir().join("inspectd-pcscd-restarted.log")).unwrap();
    // The new pcscd outlives the test on purpose (the next tests use it); scripts/pcscd.sh
    // stops it at the end of the run.
    #[allow(clippy::zombie_processes)]
    std::process::Command::new("pcscd")
        .arg("--foreground")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    // Back with its readers (never by connecting to the vpcd ports: that is an insertion).
    assert!(pcsc().is_some(), "pcscd did not come back");
    let sim = SimProcess::start(SLOTS[0], "bac");
    let (code, v) = waiting.join().unwrap();
    drop(sim);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["verdict"], "VERDICT_VALID");
}

/// A free loopback port (bound, then released for the child to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `inspectd serve`, killed on drop.
struct Serve(std::process::Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_service_reads_through_pcscd_and_streams_the_report() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(_) = pcsc() else { return };
    let dir = std::env::temp_dir().join(format!("inspectd-serve-pcsc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let trust = dir.join("trust");
    let out = bin()
        .args(["trust", "import", "--trust-store"])
        .arg(&trust)
        .args([format!("{PKI}/csca-rsa.der"), format!("{PKI}/crl-rsa.der")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = free_port();
    let server = format!("http://127.0.0.1:{port}");
    let _serve = Serve(
        bin()
            .args([
                "serve",
                "--insecure",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .arg("--trust-store")
            .arg(&trust)
            .arg("--watchlist")
            .arg(dir.join("watchlist"))
            .stderr(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client = |args: &[&str]| {
        bin()
            .args(["client", "--server", &server])
            .args(args)
            .output()
            .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let o = client(&["readers"]);
        if o.status.success() && String::from_utf8_lossy(&o.stdout).contains(SLOTS[0].1) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "service did not list the vpcd reader"
        );
        thread::sleep(Duration::from_millis(200));
    }
    // A configured watchlist that holds no list yet cannot clear anyone: load one.
    let csv = dir.join("sltd.csv");
    std::fs::write(
        &csv,
        "issuing_state,document_type,document_number,status\nUTO,P,X00000001,lost\n",
    )
    .unwrap();
    let o = client(&["import-watchlist", "--list", "sltd", csv.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sim = SimProcess::start(SLOTS[0], "pace-ca-aa");
    let mrz = lds_gen::specimen_mrz();
    let o = client(&[
        "read", "--json", "--reader", SLOTS[0].1, "--mrz", &mrz[0], &mrz[1],
    ]);
    drop(sim);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The streamed progress lines come first; the report is the last JSON document.
    let at = text.rfind("\n{").map_or(0, |i| i + 1);
    let v: serde_json::Value =
        serde_json::from_str(&text[at..]).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(v["verdict"], "VERDICT_VALID", "{v}");
    assert_eq!(v["accessProtocol"], "pace");
    for id in [
        "pa.ds_certificate",
        "pa.dg_hashes",
        "ca",
        "aa",
        "dg1.matches_printed_mrz",
    ] {
        assert_eq!(status_of(&v, id), "passed", "{id}: {v}");
    }
    // A card removed mid-read through the service: an error, never a report.
    wait_empty(SLOTS[0].1);
    let child = bin()
        .args([
            "sim",
            "--vpcd",
            SLOTS[0].0,
            "--profile",
            "bac",
            "--remove-after",
            "30",
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let sim = SimProcess {
        child,
        reader: SLOTS[0].1,
    };
    let o = client(&[
        "read", "--json", "--reader", SLOTS[0].1, "--mrz", &mrz[0], &mrz[1],
    ]);
    drop(sim);
    assert_ne!(o.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&o.stdout).contains("VERDICT_VALID"));
    std::fs::remove_dir_all(&dir).ok();
}
