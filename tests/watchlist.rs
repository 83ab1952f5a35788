//! Watchlist: normalisation and matching rules, CSV import rejects, atomic snapshot replacement,
//! CLI exit codes and JSON. All data is synthetic (`watchlist::synth`).
// Test helpers outside #[test] functions: the test-only lint exemptions apply to them too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use inspectd::watchlist::key::confusable;
use inspectd::watchlist::store::StoreError;
use inspectd::watchlist::{synth, DocType, DocumentStatusSource, Query, Record, Status, Store};
use proptest::prelude::*;

const HEADER: &str = "issuing_state,document_type,document_number,status,issue_date,expiry_date,reported_date,reference\n";

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    records: Vec<Record>,
    numbers: HashSet<(String, String)>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let records: Vec<Record> = synth::generate(3000, 7).collect();
        let rep =
            Store::import_records(dir.path(), "synthetic", records.clone(), 1_700_000_000).unwrap();
        assert_eq!(rep.accepted, 3000);
        let numbers = records
            .iter()
            .map(|r| (r.issuing_state.clone(), confusable(&r.document_number)))
            .collect();
        let store = Store::open(dir.path()).unwrap();
        Fixture {
            _dir: dir,
            store,
            records,
            numbers,
        }
    })
}

fn import(
    dir: &Path,
    list: &str,
    csv: &str,
    strict: bool,
) -> Result<inspectd::watchlist::ImportReport, StoreError> {
    Store::import_csv(dir, list, csv.as_bytes(), strict, 1_700_000_000)
}

fn q(state: &str, t: &str, n: &str) -> Query {
    Query::new(state, t, n).unwrap()
}

/// Writes a number the way a human or an MRZ might: lower case, fillers, spaces, dashes.
fn mangle(n: &str, seps: &[u8]) -> String {
    let mut out = String::new();
    for (i, c) in n.chars().enumerate() {
        let c = if seps.get(i).copied().unwrap_or(0) % 2 == 0 {
            c.to_ascii_lowercase()
        } else {
            c
        };
        out.push(c);
        match seps.get(i).copied().unwrap_or(0) % 5 {
            1 => out.push('<'),
            2 => out.push(' '),
            3 => out.push('-'),
            _ => {}
        }
    }
    out.push_str("<<");
    out
}

fn swap(c: char) -> Option<char> {
    Some(match c {
        'O' => '0',
        '0' => 'O',
        'I' => '1',
        '1' => 'I',
        'S' => '5',
        '5' => 'S',
        'B' => '8',
        '8' => 'B',
        'Z' => '2',
        '2' => 'Z',
        _ => return None,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn listed_number_found_whatever_its_spelling(i in 0usize..3000, seps in proptest::collection::vec(any::<u8>(), 0..12)) {
        let f = fixture();
        let r = &f.records[i];
        let state = format!("{}<<", r.issuing_state.to_ascii_lowercase());
        let res = f.store.lookup(&q(&state, r.document_type.as_str(), &mangle(&r.document_number, &seps))).unwrap();
        prop_assert!(res.listed);
        prop_assert!(res.records.iter().any(|h| h.record == *r));
        for h in &res.records {
            prop_assert_eq!(&h.record.document_number, &r.document_number);
        }
    }

    #[test]
    fn ocr_variant_is_possible_match_never_exact(i in 0usize..3000, pick in any::<prop::sample::Index>()) {
        let f = fixture();
        let r = &f.records[i];
        let positions: Vec<usize> = r.document_number.chars().enumerate().filter(|(_, c)| swap(*c).is_some()).map(|(p, _)| p).collect();
        prop_assume!(!positions.is_empty());
        let p = positions[pick.index(positions.len())];
        let variant: String = r.document_number.chars().enumerate().map(|(j, c)| if j == p { swap(c).unwrap() } else { c }).collect();
        let res = f.store.lookup(&q(&r.issuing_state, r.document_type.as_str(), &variant)).unwrap();
        prop_assert!(res.possible_matches.iter().any(|h| h.record == *r));
        prop_assert!(!res.records.iter().any(|h| h.record == *r));
        for h in &res.records {
            prop_assert_eq!(&h.record.document_number, &variant);
        }
        for h in &res.possible_matches {
            prop_assert_ne!(&h.record.document_number, &variant);
        }
        prop_assert_eq!(res.listed, !res.records.is_empty());
    }

    #[test]
    fn random_unlisted_number_not_listed(n in "[A-Z0-9]{6,12}", t in prop::sample::select(vec!["P", "I", "A", "C", "V", "ANY"])) {
        let f = fixture();
        prop_assume!(!f.numbers.contains(&("D".to_string(), confusable(&n))));
        let res = f.store.lookup(&q("D", t, &n)).unwrap();
        prop_assert!(!res.listed);
        prop_assert!(res.records.is_empty());
        prop_assert!(res.possible_matches.is_empty());
    }
}

#[test]
fn leading_zeros_and_types() {
    let d = tempfile::tempdir().unwrap();
    let csv = format!(
        "{HEADER}NLD,P,012345,lost,,,,\nXXA,ANY,77,stolen,,,,\nD<<,I,L01X00T47,revoked,,,,\n"
    );
    import(d.path(), "a", &csv, true).unwrap();
    let s = Store::open(d.path()).unwrap();
    // Leading zeros are part of the identifier.
    assert!(s.lookup(&q("NLD", "P", "012345")).unwrap().listed);
    assert!(!s.lookup(&q("NLD", "P", "12345")).unwrap().listed);
    // Type must match unless one side is ANY.
    assert!(!s.lookup(&q("NLD", "I", "012345")).unwrap().listed);
    assert!(s.lookup(&q("NLD", "ANY", "012345")).unwrap().listed);
    assert!(s.lookup(&q("XXA", "V", "77")).unwrap().listed);
    assert!(s.lookup(&q("D", "ID", "l01x00t47")).unwrap().listed);
    assert!(!s
        .lookup(&q("NLD", "P", "012345"))
        .unwrap()
        .possible_matches
        .iter()
        .any(|h| h.record.document_number == "012345"));
    // A different state never matches.
    assert!(!s.lookup(&q("FRA", "P", "012345")).unwrap().listed);
}

#[test]
fn import_rejects_with_line_numbers() {
    let d = tempfile::tempdir().unwrap();
    let csv = format!(
        "# synthetic\n{HEADER}NLD,P,AB1234567,lost,2020-01-01,2030-01-01,2024-05-05,r1\n\
         ZZZ,P,1,lost,,,,\n\
         NLD,Q,1,lost,,,,\n\
         NLD,P,,lost,,,,\n\
         NLD,P,A/B,lost,,,,\n\
         NLD,P,1,gone,,,,\n\
         NLD,P,1,lost,2020-02-30,,,\n\
         NLD,P,1,lost\n\
         \n\
         NLD,P,\"unterminated,lost,,,,\n\
         D,P,C01X00T47,stolen_blank,,,,\"ref, with comma\"\n"
    );
    let rep = import(d.path(), "a", &csv, false).unwrap();
    assert_eq!(rep.accepted, 2);
    assert_eq!(rep.rejected_total, 8);
    let lines: Vec<u64> = rep.rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![4, 5, 6, 7, 8, 9, 10, 12]);
    assert!(rep.rejected[0].reason.contains("issuing_state"));
    assert!(rep.rejected[1].reason.contains("document_type"));
    assert!(rep.rejected[4].reason.contains("status"));
    assert!(rep.rejected[5].reason.contains("issue_date"));
    assert!(rep.rejected[6].reason.contains("expected 8 fields"));
    // Reasons never carry the document number.
    assert!(rep.rejected.iter().all(|r| !r.reason.contains("A/B")));
    let s = Store::open(d.path()).unwrap();
    let h = s.lookup(&q("D", "P", "C01X00T47")).unwrap();
    assert_eq!(
        h.records[0].record.reference.as_deref(),
        Some("ref, with comma")
    );
    assert_eq!(h.records[0].record.status, Status::StolenBlank);
    // Strict mode stops at the first bad row and names its line.
    match import(d.path(), "a", &csv, true) {
        Err(StoreError::Row { line, .. }) => assert_eq!(line, 4),
        other => panic!("{other:?}"),
    }
    // Header problems are errors.
    assert!(matches!(
        import(d.path(), "a", "issuing_state,document_type,status\n", false),
        Err(StoreError::Csv(_))
    ));
    assert!(matches!(
        import(d.path(), "a", "", false),
        Err(StoreError::Csv(_))
    ));
    assert!(matches!(
        import(d.path(), "a/../x", HEADER, false),
        Err(StoreError::BadListName)
    ));
}

#[test]
fn lists_are_replaced_independently() {
    let d = tempfile::tempdir().unwrap();
    import(
        d.path(),
        "police",
        &format!("{HEADER}D,P,C01X00T47,stolen,,,,p1\n"),
        true,
    )
    .unwrap();
    import(
        d.path(),
        "interpol",
        &format!("{HEADER}D,P,C01X00T47,lost,,,,i1\nFRA,P,12AB34567,lost,,,,i2\n"),
        true,
    )
    .unwrap();
    let s = Store::open(d.path()).unwrap();
    let lists: Vec<String> = s
        .lookup(&q("D", "P", "C01X00T47"))
        .unwrap()
        .records
        .iter()
        .map(|h| h.record.list.clone())
        .collect();
    assert_eq!(lists.len(), 2);
    assert!(lists.contains(&"police".to_string()) && lists.contains(&"interpol".to_string()));
    // Re-importing police replaces only police.
    import(
        d.path(),
        "police",
        &format!("{HEADER}NLD,I,X1,lost,,,,p2\n"),
        true,
    )
    .unwrap();
    let s = Store::open(d.path()).unwrap();
    let r = s.lookup(&q("D", "P", "C01X00T47")).unwrap();
    assert_eq!(r.records.len(), 1);
    assert_eq!(r.records[0].record.list, "interpol");
    assert!(s.lookup(&q("NLD", "I", "X1")).unwrap().listed);
    assert!(s.lookup(&q("FRA", "P", "12AB34567")).unwrap().listed);
    let st = s.stats();
    assert_eq!(st.manifest.records, 3);
    assert_eq!(st.manifest.generation, 3);
    assert_eq!(st.manifest.lists.len(), 2);
    // Only the live and the previous snapshot are kept.
    let snaps = std::fs::read_dir(d.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("snap-")
        })
        .count();
    assert_eq!(snaps, 2);
}

/// Yields `ok` bytes, then fails: a disk or network error in the middle of an import.
struct FailingReader {
    data: Vec<u8>,
    pos: usize,
}

impl Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.data.len() {
            return Err(std::io::Error::other("injected failure"));
        }
        let n = buf.len().min(self.data.len() - self.pos).min(7);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[test]
fn failed_import_keeps_the_old_snapshot() {
    let d = tempfile::tempdir().unwrap();
    import(
        d.path(),
        "a",
        &format!("{HEADER}D,P,OLD000001,stolen,,,,\n"),
        true,
    )
    .unwrap();
    let before = std::fs::read_to_string(d.path().join("current")).unwrap();

    // Bad input in strict mode, midway.
    let csv = format!("{HEADER}D,P,NEW000001,stolen,,,,\nD,P,NEW000002,bogus,,,,\n");
    assert!(import(d.path(), "a", &csv, true).is_err());
    // I/O failure midway (even non-strict).
    let data = format!("{HEADER}D,P,NEW000003,stolen,,,,\nD,P,NEW0000").into_bytes();
    let r = Store::import_csv(
        d.path(),
        "a",
        std::io::BufReader::new(FailingReader { data, pos: 0 }),
        false,
        1,
    );
    assert!(matches!(r, Err(StoreError::Csv(_))));
    // A crash that left a half-written snapshot directory and a stray temp pointer.
    std::fs::create_dir_all(d.path().join("snap-00000002")).unwrap();
    std::fs::write(d.path().join("snap-00000002/payload.bin"), b"garbage").unwrap();
    std::fs::write(d.path().join("current.tmp"), b"snap-00000002").unwrap();

    assert_eq!(
        std::fs::read_to_string(d.path().join("current")).unwrap(),
        before
    );
    let s = Store::open(d.path()).unwrap();
    assert!(s.lookup(&q("D", "P", "OLD000001")).unwrap().listed);
    for n in ["NEW000001", "NEW000003"] {
        assert!(!s.lookup(&q("D", "P", n)).unwrap().listed);
    }
    // The next good import cleans up and switches.
    import(
        d.path(),
        "a",
        &format!("{HEADER}D,P,NEW000004,lost,,,,\n"),
        true,
    )
    .unwrap();
    let s = Store::open(d.path()).unwrap();
    assert!(s.lookup(&q("D", "P", "NEW000004")).unwrap().listed);
    assert!(!s.lookup(&q("D", "P", "OLD000001")).unwrap().listed);
}

#[test]
fn corrupt_snapshot_is_an_error_not_a_panic() {
    let d = tempfile::tempdir().unwrap();
    import(
        d.path(),
        "a",
        &format!("{HEADER}D,P,C01X00T47,stolen,,,,\n"),
        true,
    )
    .unwrap();
    let cur = std::fs::read_to_string(d.path().join("current")).unwrap();
    let snap = d.path().join(cur.trim());
    std::fs::write(snap.join("index.bin"), [1u8, 2, 3]).unwrap();
    assert!(matches!(
        Store::open(d.path()),
        Err(StoreError::Corrupt { .. })
    ));
    std::fs::write(d.path().join("current"), "../../etc").unwrap();
    assert!(matches!(
        Store::open(d.path()),
        Err(StoreError::Corrupt { .. })
    ));
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        Store::open(empty.path()),
        Err(StoreError::Empty { .. })
    ));
}

#[test]
fn truncated_payload_yields_no_false_hit() {
    let d = tempfile::tempdir().unwrap();
    import(
        d.path(),
        "a",
        &format!("{HEADER}D,P,C01X00T47,stolen,,,,\nD,P,C01X00T48,stolen,,,,\n"),
        true,
    )
    .unwrap();
    let cur = std::fs::read_to_string(d.path().join("current")).unwrap();
    let p = d.path().join(cur.trim()).join("blocks.bin");
    let mut b = std::fs::read(&p).unwrap();
    let len = b.len();
    b.truncate(len - 3);
    std::fs::write(&p, b).unwrap();
    if let Ok(s) = Store::open(d.path()) {
        // Whatever decodes is confirmed against the query; nothing else is reported.
        for n in ["C01X00T47", "C01X00T48"] {
            let r = s.lookup(&q("D", "P", n)).unwrap();
            assert!(r.records.iter().all(|h| h.record.document_number == n));
        }
    }
}

#[test]
fn synth_is_deterministic_and_valid() {
    let a: Vec<Record> = synth::generate(500, 1).collect();
    let b: Vec<Record> = synth::generate(500, 1).collect();
    let c: Vec<Record> = synth::generate(500, 2).collect();
    assert_eq!(a, b);
    assert_ne!(a, c);
    for r in &a {
        assert!(inspectd::mrz::country::lookup(&r.issuing_state).is_some());
        assert_eq!(
            Query::new(
                &r.issuing_state,
                r.document_type.as_str(),
                &r.document_number
            )
            .unwrap()
            .key,
            r.key()
        );
        assert_ne!(r.document_type, DocType::Any);
    }
    let states: HashSet<&str> = a.iter().map(|r| r.issuing_state.as_str()).collect();
    assert!(states.len() > 8);
}

fn cli(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_inspectd"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn cli_exit_codes_and_json() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    let csv = d.path().join("l.csv");
    std::fs::write(&csv, format!("{HEADER}D,P,C01X00T47,stolen,2020-01-01,2030-01-01,2024-01-01,case-9\nZZZ,P,1,lost,,,,\n")).unwrap();
    let s = store.to_str().unwrap();
    let (code, out) = cli(&[
        "watchlist",
        "import",
        "--store",
        s,
        "--list",
        "police",
        "--json",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["accepted"], 1);
    assert_eq!(v["rejected"][0]["line"], 3);
    // --strict fails with exit 2.
    let (code, _) = cli(&[
        "watchlist",
        "import",
        "--store",
        s,
        "--strict",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);

    let (code, out) = cli(&[
        "watchlist",
        "check",
        "--store",
        s,
        "--issuing-state",
        "D",
        "--document-type",
        "P",
        "--document-number",
        "c01x-00t47",
        "--json",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["listed"], true);
    assert_eq!(v["records"][0]["list"], "police");
    assert_eq!(v["records"][0]["status"], "stolen");
    assert_eq!(v["records"][0]["reference"], "case-9");
    assert_eq!(v["possible_matches"].as_array().unwrap().len(), 0);

    let (code, out) = cli(&[
        "watchlist",
        "check",
        "--store",
        s,
        "--issuing-state",
        "D",
        "--document-type",
        "P",
        "--document-number",
        "CO1XOOT47",
        "--json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["listed"], false);
    assert_eq!(v["records"].as_array().unwrap().len(), 0);
    assert_eq!(v["possible_matches"][0]["status"], "stolen");

    let (code, _) = cli(&[
        "watchlist",
        "check",
        "--store",
        s,
        "--issuing-state",
        "DEU",
        "--document-type",
        "P",
        "--document-number",
        "1",
    ]);
    assert_eq!(code, 2);
    let (code, _) = cli(&["watchlist", "check", "--store", s, "--issuing-state", "D"]);
    assert_eq!(code, 2);
    let (code, _) = cli(&[
        "watchlist",
        "check",
        "--store",
        d.path().join("none").to_str().unwrap(),
        "--issuing-state",
        "D",
        "--document-type",
        "P",
        "--document-number",
        "1",
    ]);
    assert_eq!(code, 2);

    let (code, out) = cli(&["watchlist", "stats", "--store", s, "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["manifest"]["records"], 1);
    assert_eq!(v["manifest"]["lists"][0]["name"], "police");
}

#[test]
fn cli_logs_never_contain_document_numbers() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    let csv = d.path().join("l.csv");
    std::fs::write(
        &csv,
        format!("{HEADER}D,P,C01X00T47,stolen,,,,\nD,P,QQ7/7,lost,,,,\n"),
    )
    .unwrap();
    let s = store.to_str().unwrap();
    for args in [
        vec!["watchlist", "import", "--store", s, csv.to_str().unwrap()],
        vec![
            "watchlist",
            "check",
            "--store",
            s,
            "--issuing-state",
            "D",
            "--document-type",
            "P",
            "--document-number",
            "C01X00T47",
        ],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_inspectd"))
            .args(&args)
            .env("INSPECTD_LOG", "trace")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("C01X00T47") && !err.contains("QQ7"), "{err}");
    }
}

// ---- Delta imports (add/remove over the immutable snapshot) ----

const DELTA_HEADER: &str = "issuing_state,document_type,document_number,status,reference,action\n";

fn delta(
    dir: &Path,
    list: &str,
    rows: &str,
    strict: bool,
) -> Result<inspectd::watchlist::store::DeltaReport, StoreError> {
    let csv = format!("{DELTA_HEADER}{rows}");
    Store::import_delta_csv(dir, list, csv.as_bytes(), strict)
}

fn refs(s: &Store, state: &str, t: &str, n: &str) -> Vec<String> {
    s.try_lookup(&q(state, t, n))
        .unwrap()
        .records
        .into_iter()
        .map(|h| h.record.reference.unwrap_or_default())
        .collect()
}

#[test]
fn delta_adds_and_removes_over_the_snapshot() {
    let d = tempfile::tempdir().unwrap();
    import(
        d.path(),
        "nat",
        &format!("{HEADER}D,P,C01X00T47,stolen,,,,s1\nFRA,P,12AB34567,lost,,,,s2\n"),
        true,
    )
    .unwrap();
    let snap_before = std::fs::read_to_string(d.path().join("current")).unwrap();
    let rep = delta(
        d.path(),
        "nat",
        "NLD,P,AB12CD345,stolen,d1,add\nD,P,c01x00t47,,,remove\nGBR,P,123456789,lost,d2,\n",
        true,
    )
    .unwrap();
    assert_eq!((rep.added, rep.removed, rep.rejected_total), (2, 1, 0));
    // The snapshot directory is untouched; `current` names it and the delta file.
    let cur = std::fs::read_to_string(d.path().join("current")).unwrap();
    assert!(cur.starts_with(snap_before.trim()));
    assert!(cur.contains(&rep.delta));

    let s = Store::open(d.path()).unwrap();
    assert!(refs(&s, "D", "P", "C01X00T47").is_empty());
    assert_eq!(refs(&s, "NLD", "P", "AB12CD345"), vec!["d1"]);
    assert_eq!(refs(&s, "GBR", "P", "123456789"), vec!["d2"]);
    assert_eq!(refs(&s, "FRA", "P", "12AB34567"), vec!["s2"]);
    // Delta records take part in the possible-match tier like snapshot ones.
    let pm = s.lookup(&q("NLD", "P", "A812CD345")).unwrap();
    assert!(!pm.listed);
    assert_eq!(pm.possible_matches.len(), 1);
    let st = s.stats();
    assert_eq!((st.delta_added, st.delta_removed), (2, 1));
    assert_eq!(s.records().count(), 3);

    // A second delta builds on the first: re-add the removed key, remove a delta addition.
    delta(
        d.path(),
        "nat",
        "D,P,C01X00T47,revoked,d3,add\nNLD,P,AB12CD345,,,remove\n",
        true,
    )
    .unwrap();
    let s = Store::open(d.path()).unwrap();
    assert_eq!(refs(&s, "D", "P", "C01X00T47"), vec!["d3"]);
    assert!(refs(&s, "NLD", "P", "AB12CD345").is_empty());
    // Only the live and the previous delta files are kept.
    let deltas = std::fs::read_dir(d.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("delta-")
        })
        .count();
    assert!(deltas <= 2, "{deltas} delta files");
}

#[test]
fn delta_removal_is_per_list() {
    let d = tempfile::tempdir().unwrap();
    import(
        d.path(),
        "a",
        &format!("{HEADER}D,P,C01X00T47,stolen,,,,a\n"),
        true,
    )
    .unwrap();
    import(
        d.path(),
        "b",
        &format!("{HEADER}D,P,C01X00T47,lost,,,,b\n"),
        true,
    )
    .unwrap();
    delta(d.path(), "a", "D,P,C01X00T47,,,remove\n", true).unwrap();
    let s = Store::open(d.path()).unwrap();
    assert_eq!(refs(&s, "D", "P", "C01X00T47"), vec!["b"]);
}

#[test]
fn full_import_compacts_the_delta() {
    let d = tempfile::tempdir().unwrap();
    import(
        d.path(),
        "a",
        &format!("{HEADER}D,P,C01X00T47,stolen,,,,a1\n"),
        true,
    )
    .unwrap();
    import(
        d.path(),
        "b",
        &format!("{HEADER}FRA,P,12AB34567,lost,,,,b1\n"),
        true,
    )
    .unwrap();
    delta(
        d.path(),
        "a",
        "NLD,P,AB12CD345,stolen,a2,add\nD,P,C01X00T47,,,remove\n",
        true,
    )
    .unwrap();
    // Full import of list b: list a's delta is folded into the new snapshot.
    import(
        d.path(),
        "b",
        &format!("{HEADER}FRA,P,99AB34567,lost,,,,b2\n"),
        true,
    )
    .unwrap();
    let cur = std::fs::read_to_string(d.path().join("current")).unwrap();
    assert!(!cur.contains("delta-"), "{cur}");
    let s = Store::open(d.path()).unwrap();
    assert_eq!(s.stats().delta, None);
    assert!(refs(&s, "D", "P", "C01X00T47").is_empty());
    assert_eq!(refs(&s, "NLD", "P", "AB12CD345"), vec!["a2"]);
    assert_eq!(refs(&s, "FRA", "P", "99AB34567"), vec!["b2"]);
    assert!(refs(&s, "FRA", "P", "12AB34567").is_empty());
    // No delta file is left beyond the previous one (kept for readers still opening it).
    let n = std::fs::read_dir(d.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("delta-")
        })
        .count();
    assert!(n <= 1);
    // A full import of the same list as the delta replaces the delta's changes too.
    delta(d.path(), "a", "ESP,P,ABC123456,stolen,a3,add\n", true).unwrap();
    import(
        d.path(),
        "a",
        &format!("{HEADER}D,P,C01X00T47,stolen,,,,a4\n"),
        true,
    )
    .unwrap();
    let s = Store::open(d.path()).unwrap();
    assert!(refs(&s, "ESP", "P", "ABC123456").is_empty());
    assert!(refs(&s, "NLD", "P", "AB12CD345").is_empty());
    assert_eq!(refs(&s, "D", "P", "C01X00T47"), vec!["a4"]);
}

#[test]
fn delta_rejects_with_line_numbers_and_strict_changes_nothing() {
    let d = tempfile::tempdir().unwrap();
    import(
        d.path(),
        "a",
        &format!("{HEADER}D,P,C01X00T47,stolen,,,,a1\n"),
        true,
    )
    .unwrap();
    let before = std::fs::read_to_string(d.path().join("current")).unwrap();
    let rows = "NLD,P,AB12CD345,stolen,x,add\nDEU,P,X1,lost,,add\nD,P,C01X00T47,,,delete\nD,P,C01X00T47,,,remove\n";
    // Strict: the first bad row (line 3: DEU is not a Doc 9303 code) aborts; nothing changes.
    match delta(d.path(), "a", rows, true) {
        Err(StoreError::Row { line, .. }) => assert_eq!(line, 3),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        std::fs::read_to_string(d.path().join("current")).unwrap(),
        before
    );
    // Not strict: lines 3 (state) and 4 (action) rejected, the rest applied.
    let rep = delta(d.path(), "a", rows, false).unwrap();
    let lines: Vec<u64> = rep.rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![3, 4]);
    assert!(rep.rejected[1].reason.contains("action"));
    assert_eq!((rep.added, rep.removed), (1, 1));
    // A remove row needs a valid key even without status; an add row needs a status.
    match delta(d.path(), "a", "NLD,P,AB12CD346,,x,add\n", true) {
        Err(StoreError::Row { line: 2, .. }) => {}
        other => panic!("{other:?}"),
    }
    // The action column is refused in a full import.
    let full = format!("{DELTA_HEADER}NLD,P,AB12CD345,stolen,x,add\n");
    assert!(matches!(
        Store::import_csv(d.path(), "a", full.as_bytes(), false, 1),
        Err(StoreError::Csv(_))
    ));
}

#[test]
fn delta_on_an_empty_store_and_corrupt_delta_file() {
    let d = tempfile::tempdir().unwrap();
    let rep = delta(d.path(), "a", "NLD,P,AB12CD345,stolen,x,add\n", true).unwrap();
    let s = Store::open(d.path()).unwrap();
    assert_eq!(refs(&s, "NLD", "P", "AB12CD345"), vec!["x"]);
    // A damaged delta file is an error at open, never a silently smaller list.
    std::fs::write(
        d.path().join(&rep.delta),
        b"{\"op\":\"add\",\"record\":{}}\n",
    )
    .unwrap();
    assert!(matches!(
        Store::open(d.path()),
        Err(StoreError::Corrupt { .. })
    ));
}

#[test]
fn cli_delta_import() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    let full = d.path().join("full.csv");
    std::fs::write(&full, format!("{HEADER}D,P,C01X00T47,stolen,,,,a1\n")).unwrap();
    let s = store.to_str().unwrap();
    assert_eq!(
        cli(&[
            "watchlist",
            "import",
            "--store",
            s,
            "--list",
            "a",
            full.to_str().unwrap()
        ])
        .0,
        0
    );
    let dcsv = d.path().join("delta.csv");
    std::fs::write(
        &dcsv,
        format!(
            "{DELTA_HEADER}D,P,C01X00T47,,,remove\nNLD,P,AB12CD345,lost,x,add\nXYZ,P,1,lost,,add\n"
        ),
    )
    .unwrap();
    let (code, out) = cli(&[
        "watchlist",
        "import",
        "--store",
        s,
        "--list",
        "a",
        "--delta",
        "--json",
        dcsv.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (v["added"].as_u64(), v["removed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(v["rejected"][0]["line"].as_u64(), Some(4));
    let chk = |n: &str| {
        cli(&[
            "watchlist",
            "check",
            "--store",
            s,
            "--issuing-state",
            "D",
            "--document-type",
            "P",
            "--document-number",
            n,
        ])
        .0
    };
    assert_eq!(chk("C01X00T47"), 0);
    let (code, _) = cli(&[
        "watchlist",
        "check",
        "--store",
        s,
        "--issuing-state",
        "NLD",
        "--document-type",
        "P",
        "--document-number",
        "AB12CD345",
    ]);
    assert_eq!(code, 1);
    let (code, out) = cli(&["watchlist", "stats", "--store", s, "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (v["delta_added"].as_u64(), v["delta_removed"].as_u64()),
        (Some(1), Some(1))
    );
}

#[test]
fn killed_delta_import_leaves_the_previous_state() {
    let d = tempfile::tempdir().unwrap();
    import(
        d.path(),
        "a",
        &format!("{HEADER}D,P,C01X00T47,stolen,,,,a1\n"),
        true,
    )
    .unwrap();
    let rep = delta(d.path(), "a", "NLD,P,AB12CD345,lost,x,add\n", true).unwrap();
    let before = std::fs::read_to_string(d.path().join("current")).unwrap();
    // A crash after writing the next delta file (half of it) but before the switch, and a
    // stray temp pointer naming it.
    let next = rep.delta.replace("00000001.jsonl", "00000002.jsonl");
    assert_ne!(next, rep.delta);
    std::fs::write(
        d.path().join(&next),
        b"{\"op\":\"remove\",\"list\":\"a\",\"ke",
    )
    .unwrap();
    let snap = before.split_whitespace().next().unwrap();
    std::fs::write(d.path().join("current.tmp"), format!("{snap} {next}")).unwrap();
    let s = Store::open(d.path()).unwrap();
    assert_eq!(refs(&s, "D", "P", "C01X00T47"), vec!["a1"]);
    assert_eq!(refs(&s, "NLD", "P", "AB12CD345"), vec!["x"]);
    // The next delta import overwrites the leftover and switches cleanly.
    delta(d.path(), "a", "D,P,C01X00T47,,,remove\n", true).unwrap();
    let s = Store::open(d.path()).unwrap();
    assert!(refs(&s, "D", "P", "C01X00T47").is_empty());
    assert_eq!(refs(&s, "NLD", "P", "AB12CD345"), vec!["x"]);
}

/// The records of the committed format-3 store `testdata/watchlist-format3` (two lists, odd
/// dates and references beside the generator's).
fn format3_records() -> (Vec<Record>, Vec<Record>) {
    let a: Vec<Record> = synth::generate(400, 77).collect();
    let mut b: Vec<Record> = synth::generate(60, 78)
        .map(|mut r| {
            r.list = "national".into();
            r
        })
        .collect();
    let d = |s: &str| Some(s.to_string());
    let mut odd = b[0].clone();
    odd.document_number = "C01X00T47".into();
    odd.issuing_state = "D".into();
    odd.issue_date = d("1901-03-04");
    odd.expiry_date = d("2079-06-06");
    odd.reported_date = None;
    odd.reference = None;
    b.push(odd);
    let mut odd = b[1].clone();
    odd.issue_date = None;
    odd.expiry_date = d("2031-12-31");
    odd.reference = d("case 7/2024");
    b.push(odd);
    (a, b)
}

// testdata/watchlist-format3 was written once by the format-3 writer of commit 52f0fbb
// (its test `write_format3_testdata`, since removed: today's code writes format 4) from
// `format3_records()`; the test below checks it against those same records.

#[test]
fn format3_store_written_by_the_old_code_still_opens_and_answers_the_same() {
    // Copied: an import would write into the committed directory.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/watchlist-format3");
    let tmp = tempfile::tempdir().unwrap();
    let copy = |from: &Path, to: &Path| {
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                std::fs::create_dir(to.join(e.file_name())).unwrap();
                for f in std::fs::read_dir(e.path()).unwrap() {
                    let f = f.unwrap();
                    std::fs::copy(f.path(), to.join(e.file_name()).join(f.file_name())).unwrap();
                }
            } else {
                std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
            }
        }
    };
    copy(&src, tmp.path());
    let s = Store::open(tmp.path()).unwrap();
    assert_eq!(s.stats().manifest.format, 3);
    let (a, b) = format3_records();
    let mut want: Vec<Record> = a.iter().chain(&b).cloned().collect();
    let mut got: Vec<Record> = s.records().collect();
    let key = |r: &Record| format!("{r:?}");
    want.sort_by_key(key);
    got.sort_by_key(key);
    assert_eq!(got, want);
    for r in &want {
        let res = s
            .lookup(&q(
                &r.issuing_state,
                r.document_type.as_str(),
                &r.document_number,
            ))
            .unwrap();
        assert!(res.records.iter().any(|h| h.record == *r), "{r:?}");
    }
    assert!(!s.lookup(&q("D", "P", "C01X00T48")).unwrap().listed);
    // The next import rewrites it in the current format with every record kept.
    Store::import_records(tmp.path(), "national", b.clone(), 1_700_000_200).unwrap();
    let s = Store::open(tmp.path()).unwrap();
    assert_eq!(
        s.stats().manifest.format,
        inspectd::watchlist::store::FORMAT
    );
    let mut got: Vec<Record> = s.records().collect();
    got.sort_by_key(key);
    assert_eq!(got, want);
}

#[test]
fn a_record_the_codec_refuses_is_reported_with_its_line_before_and_after_the_sample() {
    // The first rows are buffered to learn the snapshot's codes, then encoded: a refused record
    // there is still reported with its own line, and the others are stored.
    let d = tempfile::tempdir().unwrap();
    let mut recs: Vec<Record> = synth::generate(2_000, 21).collect();
    recs[3].expiry_date = Some("x".repeat(300)); // longer than a date text may be
    let rep = Store::import_records(d.path(), "synthetic", recs.clone(), 1_700_000_000).unwrap();
    assert_eq!(rep.accepted, 1_999);
    assert_eq!(rep.rejected_total, 1);
    assert_eq!(rep.rejected[0].line, 4);
    assert!(rep.rejected[0].reason.contains("date text too long"));
    let s = Store::open(d.path()).unwrap();
    assert_eq!(s.stats().manifest.records, 1_999);
    assert_eq!(
        s.stats().manifest.format,
        inspectd::watchlist::store::FORMAT
    );
    for (i, r) in recs.iter().enumerate() {
        let found = s
            .lookup(&q(
                &r.issuing_state,
                r.document_type.as_str(),
                &r.document_number,
            ))
            .unwrap()
            .records
            .iter()
            .any(|h| h.record == *r);
        assert_eq!(found, i != 3, "record {i}");
    }
}
