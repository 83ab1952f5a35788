//! The PostgreSQL watchlist backend against a real server. `scripts/test.sh` (and so CI) starts
//! one through `scripts/pg.sh` and sets `INSPECTD_TEST_PG` and `INSPECTD_REQUIRE_PG=1`; without
//! a server the tests skip with a message, unless `INSPECTD_REQUIRE_PG` is set, where they
//! fail. Each test works in a database of its own. All data is synthetic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use inspectd::watchlist::pg::{PgError, PgStore};
use inspectd::watchlist::{
    synth, DocumentStatusSource, Key, LookupResult, Query, Record, SourceError, Store,
};
use postgres::NoTls;

const HEADER: &str = "issuing_state,document_type,document_number,status,issue_date,expiry_date,reported_date,reference\n";

#[path = "common/pg.rs"]
mod pg;
use pg::database;

fn q(state: &str, t: &str, n: &str) -> Query {
    Query::new(state, t, n).unwrap()
}

fn refs(r: &LookupResult) -> Vec<String> {
    r.records
        .iter()
        .map(|h| h.record.reference.clone().unwrap_or_default())
        .collect()
}

/// The OCR twin of a number (first confusable character swapped), if it has one.
fn ocr_twin(n: &str) -> Option<String> {
    let pos = n.chars().position(|c| "O0I1S5B8Z2".contains(c))?;
    Some(
        n.chars()
            .enumerate()
            .map(|(i, c)| {
                if i != pos {
                    return c;
                }
                match c {
                    'O' => '0',
                    '0' => 'O',
                    'I' => '1',
                    '1' => 'I',
                    'S' => '5',
                    '5' => 'S',
                    'B' => '8',
                    '8' => 'B',
                    'Z' => '2',
                    _ => 'Z',
                }
            })
            .collect(),
    )
}

#[test]
fn import_exact_possible_and_stats() {
    let Some(url) = database("basic") else { return };
    let s = PgStore::open(&url).unwrap();
    let csv = format!(
        "{HEADER}D,P,C01X00T47,stolen,2020-01-02,2030-01-01,2024-05-06,r1\n\
         NLD,ANY,012345,lost,,,,r2\n\
         DEU,P,X1,lost,,,,bad-state\n\
         XXA,V,77,revoked,,,,\"r,3\ttab\"\n\
         FRA,P,12AB34567,nonsense,,,,bad-status\n"
    );
    let rep = s
        .import_csv("national", csv.as_bytes(), false, 1_700_000_000)
        .unwrap();
    assert_eq!(rep.accepted, 3);
    let lines: Vec<u64> = rep.rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![4, 6]);

    let r = s.try_lookup(&q("D", "P", "c01x00t47")).unwrap();
    assert!(r.listed);
    let h = &r.records[0].record;
    assert_eq!(h.list, "national");
    assert_eq!(h.issue_date.as_deref(), Some("2020-01-02"));
    assert_eq!(h.reported_date.as_deref(), Some("2024-05-06"));
    assert_eq!(h.reference.as_deref(), Some("r1"));
    // O/0 confusion: possible match only.
    let r = s.try_lookup(&q("D", "P", "CO1X00T47")).unwrap();
    assert!(!r.listed);
    assert_eq!(r.possible_matches.len(), 1);
    // ANY-type record, leading zeros kept.
    assert!(s.try_lookup(&q("NLD", "I", "012345")).unwrap().listed);
    assert!(!s.try_lookup(&q("NLD", "I", "12345")).unwrap().listed);
    // Tabs and commas in references survive COPY escaping.
    assert_eq!(
        refs(&s.try_lookup(&q("XXA", "V", "77")).unwrap()),
        vec!["r,3\ttab"]
    );
    assert!(!s.try_lookup(&q("D", "I", "C01X00T47")).unwrap().listed);

    let st = s.stats().unwrap();
    assert_eq!(st.records, 3);
    assert_eq!(st.lists.len(), 1);
    assert_eq!(st.lists[0].updated_unix, 1_700_000_000);
    assert_eq!(st.lists[0].by_status.get("lost"), Some(&1));
    assert!(st.disk_bytes > 0);
    // Migrations are idempotent: a second open of the same database works.
    PgStore::open(&url).unwrap();
}

#[test]
fn several_lists_and_strict_failure_keeps_the_old_list() {
    let Some(url) = database("lists") else { return };
    let s = PgStore::open(&url).unwrap();
    s.import_csv(
        "a",
        format!("{HEADER}D,P,C01X00T47,stolen,,,,a1\n").as_bytes(),
        true,
        1,
    )
    .unwrap();
    s.import_csv(
        "b",
        format!("{HEADER}D,P,C01X00T47,lost,,,,b1\n").as_bytes(),
        true,
        2,
    )
    .unwrap();
    let r = s.try_lookup(&q("D", "P", "C01X00T47")).unwrap();
    let lists: Vec<&str> = r.records.iter().map(|h| h.record.list.as_str()).collect();
    assert_eq!(lists, vec!["a", "b"]);

    // Strict import with a bad row on line 3: an error naming the line; list a unchanged.
    let bad = format!("{HEADER}FRA,P,12AB34567,lost,,,,a2\nFRA,P,12AB34568,lost,2023-02-30,,,a3\n");
    match s.import_csv("a", bad.as_bytes(), true, 3) {
        Err(PgError::Row { line, .. }) => assert_eq!(line, 3),
        other => panic!("{other:?}"),
    }
    // A bad header is refused with its line number.
    match s.import_csv("a", "issuing_state,number\nD,1\n".as_bytes(), false, 3) {
        Err(PgError::Csv(e)) => assert!(e.to_string().contains("line 1"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        refs(&s.try_lookup(&q("D", "P", "C01X00T47")).unwrap()),
        vec!["a1", "b1"]
    );
    assert!(!s.try_lookup(&q("FRA", "P", "12AB34567")).unwrap().listed);
    // A good import replaces list a only.
    s.import_csv(
        "a",
        format!("{HEADER}FRA,P,12AB34567,lost,,,,a4\n").as_bytes(),
        true,
        4,
    )
    .unwrap();
    assert_eq!(
        refs(&s.try_lookup(&q("D", "P", "C01X00T47")).unwrap()),
        vec!["b1"]
    );
    assert_eq!(
        refs(&s.try_lookup(&q("FRA", "P", "12AB34567")).unwrap()),
        vec!["a4"]
    );
    assert_eq!(s.stats().unwrap().records, 2);
}

#[test]
fn revoke_and_delta() {
    let Some(url) = database("delta") else { return };
    let s = PgStore::open(&url).unwrap();
    s.import_csv(
        "a",
        format!("{HEADER}D,P,C01X00T47,stolen,,,,a1\nD,P,C01X00T47,lost,,,,a1bis\nNLD,P,AB12CD345,lost,,,,a2\n").as_bytes(),
        true,
        1,
    )
    .unwrap();
    s.import_csv(
        "b",
        format!("{HEADER}D,P,C01X00T47,lost,,,,b1\n").as_bytes(),
        true,
        1,
    )
    .unwrap();
    // Revoking a listing removes every record of that list under the key, not other lists'.
    let n = s
        .remove("a", &Key::new("D", "P", "C01X00T47").unwrap())
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(
        refs(&s.try_lookup(&q("D", "P", "C01X00T47")).unwrap()),
        vec!["b1"]
    );

    let delta = "issuing_state,document_type,document_number,status,reference,action\n\
                 ESP,P,ABC123456,stolen,a3,add\n\
                 NLD,P,ab12cd345,,,remove\n\
                 DEU,P,1,lost,,add\n\
                 ESP,P,ABC123457,stolen,a4,\n";
    let rep = s.import_delta_csv("a", delta.as_bytes(), false, 5).unwrap();
    assert_eq!((rep.added, rep.removed), (2, 1));
    assert_eq!(
        rep.rejected.iter().map(|r| r.line).collect::<Vec<_>>(),
        vec![4]
    );
    assert!(!s.try_lookup(&q("NLD", "P", "AB12CD345")).unwrap().listed);
    assert_eq!(
        refs(&s.try_lookup(&q("ESP", "P", "ABC123456")).unwrap()),
        vec!["a3"]
    );
    // A delta-added record is a possible match for its OCR twin like any other.
    let r = s.try_lookup(&q("ESP", "P", "A8C123456")).unwrap();
    assert!(!r.listed && r.possible_matches.len() == 1);
    // Strict delta with a bad row changes nothing.
    let bad = "issuing_state,document_type,document_number,status,action\nESP,P,ZZZ000001,lost,add\nESP,P,ABC123456,,remove\nXYZ,P,1,lost,add\n";
    assert!(matches!(
        s.import_delta_csv("a", bad.as_bytes(), true, 6),
        Err(PgError::Row { line: 4, .. })
    ));
    assert!(s.try_lookup(&q("ESP", "P", "ABC123456")).unwrap().listed);
    assert!(!s.try_lookup(&q("ESP", "P", "ZZZ000001")).unwrap().listed);
    let st = s.stats().unwrap();
    let a = st.lists.iter().find(|l| l.name == "a").unwrap();
    assert_eq!((a.records, a.updated_unix), (2, 5));
}

#[test]
fn same_answers_as_the_embedded_store() {
    let Some(url) = database("parity") else {
        return;
    };
    let records: Vec<Record> = synth::generate(3000, 11).collect();
    let pg = PgStore::open(&url).unwrap();
    pg.import_records("synthetic", records.clone(), 7).unwrap();
    let dir = tempfile::tempdir().unwrap();
    Store::import_records(dir.path(), "synthetic", records.clone(), 7).unwrap();
    let emb = Store::open(dir.path()).unwrap();

    let mut queries = Vec::new();
    for r in records.iter().take(600) {
        let t = r.document_type.as_str();
        queries.push(q(&r.issuing_state, t, &r.document_number));
        queries.push(q(&r.issuing_state, "ANY", &r.document_number));
        queries.push(q(
            &r.issuing_state,
            if t == "P" { "I" } else { "P" },
            &r.document_number,
        ));
        if let Some(tw) = ocr_twin(&r.document_number) {
            queries.push(q(&r.issuing_state, t, &tw));
        }
    }
    for r in synth::generate(400, 99) {
        queries.push(q(
            &r.issuing_state,
            r.document_type.as_str(),
            &r.document_number,
        ));
    }
    let (mut listed, mut possible) = (0, 0);
    for query in &queries {
        let a = emb.try_lookup(query).unwrap();
        let b = pg.try_lookup(query).unwrap();
        assert_eq!(a, b, "query {:?}", query.key.issuing_state);
        listed += usize::from(a.listed);
        possible += usize::from(!a.possible_matches.is_empty());
    }
    // The set exercises both tiers and misses.
    assert!(listed >= 1200, "{listed}");
    assert!(possible >= 100, "{possible}");
    assert!(listed < queries.len());
}

#[test]
fn swap_is_atomic_under_concurrent_lookups() {
    let Some(url) = database("swap") else { return };
    let s = Arc::new(PgStore::open(&url).unwrap());
    let version = |v: u32| {
        synth::generate(20_000, 5).map(move |mut r| {
            r.reference = Some(format!("v{v}"));
            r
        })
    };
    s.import_records("sltd", version(1), 1).unwrap();
    let probes: Vec<Query> = synth::generate(20_000, 5)
        .step_by(100)
        .map(|r| {
            q(
                &r.issuing_state,
                r.document_type.as_str(),
                &r.document_number,
            )
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let readers: Vec<_> = (0..2)
        .map(|t| {
            let (s, stop, done, probes) = (s.clone(), stop.clone(), done.clone(), probes.clone());
            std::thread::spawn(move || {
                let mut seen_version = 1u32;
                let mut i = t;
                while !stop.load(Ordering::Relaxed) {
                    let r = s.try_lookup(&probes[i % probes.len()]).unwrap();
                    // Listed in every version: never missing while a new one is swapped in.
                    assert!(
                        r.listed,
                        "a listed document read as not listed during a swap"
                    );
                    let vs: Vec<u32> = refs(&r)
                        .iter()
                        .map(|x| x.trim_start_matches('v').parse().unwrap())
                        .collect();
                    let v = vs[0];
                    // One lookup sees one version, and versions never go back.
                    assert!(vs.iter().all(|x| *x == v), "{vs:?}");
                    assert!(v >= seen_version, "saw v{v} after v{seen_version}");
                    seen_version = v;
                    done.fetch_add(1, Ordering::Relaxed);
                    i += 2;
                }
                seen_version
            })
        })
        .collect();
    for v in 2..=3 {
        s.import_records("sltd", version(v), i64::from(v)).unwrap();
    }
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert_eq!(r.join().unwrap(), 3);
    }
    assert!(done.load(Ordering::Relaxed) > 50);
    assert_eq!(s.stats().unwrap().records, 20_000);
}

/// A TCP relay in front of the server that can be cut, to simulate an outage.
struct Relay {
    port: u16,
    stop: Arc<AtomicBool>,
    streams: Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    fn start(target: (String, u16)) -> Relay {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let streams = Arc::new(Mutex::new(Vec::new()));
        let (st, ss) = (stop.clone(), streams.clone());
        std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok((down, _)) => {
                        down.set_nonblocking(false).unwrap();
                        let up = TcpStream::connect((target.0.as_str(), target.1)).unwrap();
                        let mut g = ss.lock().unwrap();
                        g.push(down.try_clone().unwrap());
                        g.push(up.try_clone().unwrap());
                        for (mut a, mut b) in [
                            (down.try_clone().unwrap(), up.try_clone().unwrap()),
                            (up, down),
                        ] {
                            std::thread::spawn(move || {
                                let _ = std::io::copy(&mut a, &mut b);
                                let _ = b.shutdown(std::net::Shutdown::Both);
                            });
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Relay {
            port,
            stop,
            streams,
        }
    }

    fn cut(&self) {
        self.stop.store(true, Ordering::Relaxed);
        for s in self.streams.lock().unwrap().iter() {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
        // Let the accept loop see the flag and close the listener.
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn outage_is_an_error_never_a_miss() {
    let Some(url) = database("outage") else {
        return;
    };
    let cfg: postgres::Config = url.parse().unwrap();
    let host = match &cfg.get_hosts()[0] {
        postgres::config::Host::Tcp(h) => h.clone(),
        #[allow(unreachable_patterns)]
        _ => panic!("INSPECTD_TEST_PG must be a TCP URL"),
    };
    let port = cfg.get_ports().first().copied().unwrap_or(5432);
    let user = cfg.get_user().unwrap_or("postgres");
    let relay = Relay::start((host, port));
    let db = url.rsplit('/').next().unwrap();
    let via = format!("postgres://{user}@127.0.0.1:{}/{db}", relay.port);
    let s = PgStore::open(&via).unwrap();
    s.import_csv(
        "a",
        format!("{HEADER}D,P,C01X00T47,stolen,,,,a1\n").as_bytes(),
        true,
        1,
    )
    .unwrap();
    assert!(s.try_lookup(&q("D", "P", "C01X00T47")).unwrap().listed);
    assert!(!s.try_lookup(&q("D", "P", "C01X00T48")).unwrap().listed);
    relay.cut();
    for n in ["C01X00T47", "C01X00T48"] {
        match s.try_lookup(&q("D", "P", n)) {
            Err(SourceError::Unavailable { backend, .. }) => assert_eq!(backend, "postgresql"),
            other => panic!("outage answered {other:?}"),
        }
    }
    // Nothing listening at all: open fails.
    assert!(PgStore::open(&via).is_err());
}

#[test]
fn slow_server_is_a_timeout() {
    let Some(url) = database("timeout") else {
        return;
    };
    let s = PgStore::open(&format!("{url}?options=-c%20statement_timeout%3D300")).unwrap();
    s.import_csv(
        "a",
        format!("{HEADER}D,P,C01X00T47,stolen,,,,a1\n").as_bytes(),
        true,
        1,
    )
    .unwrap();
    // Another session holds the table: the lookup waits, then is cancelled by the timeout.
    let mut blocker = postgres::Client::connect(&url, NoTls).unwrap();
    let mut tx = blocker.transaction().unwrap();
    tx.batch_execute("LOCK TABLE wl_records IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    match s.try_lookup(&q("D", "P", "C01X00T47")) {
        Err(SourceError::Timeout { .. }) => {}
        other => panic!("{other:?}"),
    }
    tx.rollback().unwrap();
    assert!(s.try_lookup(&q("D", "P", "C01X00T47")).unwrap().listed);
}

#[test]
fn newer_schema_is_refused() {
    let Some(url) = database("schema") else {
        return;
    };
    PgStore::open(&url).unwrap();
    let mut c = postgres::Client::connect(&url, NoTls).unwrap();
    c.batch_execute("INSERT INTO inspectd_schema (version) VALUES (999)")
        .unwrap();
    assert!(matches!(
        PgStore::open(&url),
        Err(PgError::SchemaTooNew { found: 999, .. })
    ));
}

fn cli(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_inspectd"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn cli_on_postgresql() {
    let Some(url) = database("cli") else { return };
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("l.csv");
    std::fs::write(
        &f,
        format!("{HEADER}D,P,C01X00T47,stolen,,,,a1\nDEU,P,1,lost,,,,\n"),
    )
    .unwrap();
    let (code, out, _) = cli(&[
        "watchlist",
        "import",
        "--store",
        &url,
        "--list",
        "a",
        "--json",
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["accepted"].as_u64(), Some(1));
    assert_eq!(v["rejected"][0]["line"].as_u64(), Some(3));
    let check = |n: &str| {
        cli(&[
            "watchlist",
            "check",
            "--store",
            &url,
            "--issuing-state",
            "D",
            "--document-type",
            "P",
            "--document-number",
            n,
            "--json",
        ])
    };
    let (code, out, _) = check("C01X00T47");
    assert_eq!(code, 1);
    assert!(out.contains("\"listed\":true"));
    let (code, out, _) = check("CO1X00T47");
    assert_eq!(code, 0);
    assert!(out.contains("\"listed\":false") && out.contains("C01X00T47"));
    let dl = d.path().join("d.csv");
    std::fs::write(
        &dl,
        "issuing_state,document_type,document_number,status,action\nD,P,C01X00T47,,remove\n",
    )
    .unwrap();
    assert_eq!(
        cli(&[
            "watchlist",
            "import",
            "--store",
            &url,
            "--list",
            "a",
            "--delta",
            dl.to_str().unwrap()
        ])
        .0,
        0
    );
    assert_eq!(check("C01X00T47").0, 0);
    let (code, out, _) = cli(&["watchlist", "stats", "--store", &url, "--json"]);
    assert_eq!(code, 0);
    assert!(out.contains("\"records\":0"), "{out}");
    // No server: exit 2 with an error, never "not listed" (exit 0).
    let (code, _, err) = cli(&[
        "watchlist",
        "check",
        "--store",
        "postgres://postgres@127.0.0.1:1/x",
        "--issuing-state",
        "D",
        "--document-type",
        "P",
        "--document-number",
        "C01X00T47",
    ]);
    assert_eq!(code, 2);
    assert!(!err.contains("C01X00T47"));
}
