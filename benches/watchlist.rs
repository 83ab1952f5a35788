//! Watchlist store benchmark: build a store of `WATCHLIST_N` synthetic records (default
//! 1 000 000), then report build time, disk bytes per record, resident memory added by the
//! open, open time and single-thread lookups per second (and ns per lookup) for misses and
//! hits. `WATCHLIST_NOREF=1` drops the reference field, to show what it costs on disk;
//! `WATCHLIST_DIR` builds in that directory instead of a temporary one; `WATCHLIST_CSV=file`
//! writes the synthetic list to that CSV file first (kept when it already exists) and times the
//! import of the file (`Store::import_csv`, what `inspectd watchlist import` runs) instead of
//! the in-process generator. With `WATCHLIST_PG` (or `INSPECTD_TEST_PG`) set to a
//! `postgres://` URL, the same list is imported into the PostgreSQL backend too and both are
//! compared (the database's watchlist tables are replaced). `WATCHLIST_PROFILE=1` first prints
//! the record codec's bits per field over the same records, format 3 beside format 4.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // benchmark harness, like tests

use std::hint::black_box;
use std::time::{Duration, Instant};

use inspectd::watchlist::pg::PgStore;
use inspectd::watchlist::snap3::{bit_profile, PROFILE_FIELDS};
use inspectd::watchlist::{synth, DocumentStatusSource, Query, Store};

/// `VmRSS` of this process in KiB (Linux).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn queries(n: u64, seed: u64, count: usize, step: u64) -> Vec<Query> {
    synth::generate(n, seed)
        .step_by(usize::try_from(step.max(1)).unwrap())
        .take(count)
        .map(|r| {
            Query::new(
                &r.issuing_state,
                r.document_type.as_str(),
                &r.document_number,
            )
            .unwrap()
        })
        .collect()
}

/// This thread's time on a CPU and waiting for one, in ns (Linux `schedstat`): on a loaded
/// machine the wall-clock rate includes time the thread was not running at all.
fn sched_ns() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let mut f = s.split_whitespace().map(|v| v.parse().unwrap_or(0));
    (f.next().unwrap_or(0), f.next().unwrap_or(0))
}

/// Lookups per second over `qs` on one thread, and how many were listed.
fn rate(src: &dyn DocumentStatusSource, qs: &[Query]) -> (f64, usize) {
    let (r, listed, _) = rate_sched(src, qs);
    (r, listed)
}

/// [`rate`], and a note of the ns per lookup on the CPU and the share of the time spent
/// waiting for a CPU.
fn rate_sched(src: &dyn DocumentStatusSource, qs: &[Query]) -> (f64, usize, String) {
    let (cpu0, wait0) = sched_ns();
    let t = Instant::now();
    let mut listed = 0usize;
    for q in qs {
        if black_box(src.try_lookup(q).unwrap()).listed {
            listed += 1;
        }
    }
    let wall = t.elapsed().as_secs_f64();
    let (cpu1, wait1) = sched_ns();
    let note = format!(
        "on CPU {:.0} ns/lookup, {:.0} % of the time waiting for a CPU",
        (cpu1 - cpu0) as f64 / qs.len().max(1) as f64,
        (wait1 - wait0) as f64 / 1e9 / wall * 100.0
    );
    (qs.len() as f64 / wall, listed, note)
}

/// Writes records as an import CSV (every column).
fn write_csv(
    p: &std::path::Path,
    records: impl Iterator<Item = inspectd::watchlist::Record>,
) -> std::io::Result<()> {
    use std::io::Write;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(p)?);
    writeln!(w, "issuing_state,document_type,document_number,status,issue_date,expiry_date,reported_date,reference")?;
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    for r in records {
        writeln!(
            w,
            "{},{},{},{},{},{},{},{}",
            r.issuing_state,
            r.document_type.as_str(),
            r.document_number,
            r.status.as_str(),
            o(&r.issue_date),
            o(&r.expiry_date),
            o(&r.reported_date),
            o(&r.reference)
        )?;
    }
    w.into_inner().map_err(|e| e.into_error())?.sync_all()
}

struct Figures {
    import: Duration,
    bytes_per_record: f64,
    miss: f64,
    hit: f64,
}

fn main() {
    let n: u64 = std::env::var("WATCHLIST_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let noref = std::env::var("WATCHLIST_NOREF").is_ok_and(|v| v == "1");
    let tmp = match std::env::var("WATCHLIST_DIR") {
        Ok(d) => tempfile::tempdir_in(d).unwrap(),
        Err(_) => tempfile::tempdir().unwrap(),
    };
    let dir = tmp.path().join("store");
    let records = || {
        synth::generate(n, 42).map(move |mut r| {
            if noref {
                r.reference = None;
            }
            r
        })
    };
    if std::env::var("WATCHLIST_PROFILE").is_ok_and(|v| v == "1") {
        let (p3, p4) = (bit_profile(records(), 3), bit_profile(records(), 4));
        println!(
            "| bits per record ({} records) | format 3 | format 4 |",
            p4.records
        );
        println!("| --- | --- | --- |");
        let per = |b: u64, n: u64| b as f64 / n.max(1) as f64;
        for (i, f) in PROFILE_FIELDS.iter().enumerate() {
            println!(
                "| {f} | {:.2} | {:.2} |",
                per(p3.bits[i], p3.records),
                per(p4.bits[i], p4.records)
            );
        }
        let total =
            |p: &inspectd::watchlist::snap3::BitProfile| per(p.bits.iter().sum(), p.records);
        println!(
            "| all fields | {:.2} ({:.2} B) | {:.2} ({:.2} B) |\n",
            total(&p3),
            total(&p3) / 8.0,
            total(&p4),
            total(&p4) / 8.0
        );
    }
    let csv = std::env::var_os("WATCHLIST_CSV").map(std::path::PathBuf::from);
    if let Some(p) = csv.as_deref().filter(|p| !p.exists()) {
        let t = Instant::now();
        write_csv(p, records()).unwrap();
        println!(
            "(wrote {} in {:.1} s)",
            p.display(),
            t.elapsed().as_secs_f64()
        );
    }

    let t = Instant::now();
    let rep = match &csv {
        Some(p) => {
            let f = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(p).unwrap());
            Store::import_csv(&dir, "synthetic", f, true, 1_700_000_000).unwrap()
        }
        None => Store::import_records(&dir, "synthetic", records(), 1_700_000_000).unwrap(),
    };
    let build = t.elapsed();

    // The generator's own share of the build (timed on up to 2M records, scaled to n).
    let sample = n.min(2_000_000);
    let t = Instant::now();
    let mut sink = 0usize;
    for r in synth::generate(sample, 42) {
        sink = sink.wrapping_add(r.document_number.len());
    }
    black_box(sink);
    let gen = t.elapsed().as_secs_f64() * n as f64 / sample.max(1) as f64;

    let rss0 = rss_kib();
    let t = Instant::now();
    let store = Store::open(&dir).unwrap();
    let open = t.elapsed();
    let rss1 = rss_kib();
    let stats = store.stats();

    let probes = 200_000usize;
    let hits = queries(n, 42, probes, n / probes as u64);
    // Another seed: almost all misses (a few may collide with listed numbers by chance).
    let misses = queries(probes as u64, 4242, probes, 1);

    let (miss_rate, miss_listed, miss_note) = rate_sched(&store, &misses);
    let (hit_rate, hit_listed, hit_note) = rate_sched(&store, &hits);
    assert_eq!(hit_listed, hits.len());
    // Again after reading every snapshot file once, as a warm page cache would hold them (the
    // build's writes may have been evicted by other processes' memory use).
    let snap_dir = dir.join(store.snapshot());
    let t = Instant::now();
    for e in std::fs::read_dir(&snap_dir).unwrap() {
        let mut f = std::fs::File::open(e.unwrap().path()).unwrap();
        std::io::copy(&mut f, &mut std::io::sink()).unwrap();
    }
    let preread = t.elapsed();
    let (warm_rate, _, warm_note) = rate_sched(&store, &hits);

    println!("| metric | value |");
    println!("| --- | --- |");
    println!(
        "| records | {}{} |",
        rep.total_records,
        if noref {
            " (reference field dropped)"
        } else {
            ""
        }
    );
    if csv.is_some() {
        println!(
            "| build (read CSV + import + sort + fsync) | {:.2} s |",
            build.as_secs_f64()
        );
    } else {
        println!(
            "| build (generate + import + sort + fsync) | {:.2} s |",
            build.as_secs_f64()
        );
        println!(
            "| of which generating the synthetic records | {gen:.2} s{} |",
            if sample < n {
                " (timed on 2M, scaled)"
            } else {
                ""
            }
        );
    }
    println!("| disk bytes | {} |", stats.disk_bytes);
    let bpr = stats.disk_bytes as f64 / rep.total_records.max(1) as f64;
    println!("| disk bytes per record | {bpr:.1} |");
    println!(
        "| open (read + validate index) | {:.1} ms |",
        open.as_secs_f64() * 1e3
    );
    println!(
        "| resident memory added by the open (VmRSS) | {:.1} MiB |",
        rss1.saturating_sub(rss0) as f64 / 1024.0
    );
    println!("| lookups/s, misses (1 thread) | {miss_rate:.0} = {:.0} ns/lookup ({miss_listed} of {} happened to be listed; {miss_note}) |", 1e9 / miss_rate, misses.len());
    println!(
        "| lookups/s, hits (1 thread) | {hit_rate:.0} = {:.0} ns/lookup ({hit_note}) |",
        1e9 / hit_rate
    );
    println!(
        "| lookups/s, hits, after reading the snapshot once ({:.1} s) | {warm_rate:.0} = {:.0} ns/lookup ({warm_note}) |",
        preread.as_secs_f64(),
        1e9 / warm_rate
    );
    let embedded = Figures {
        import: build,
        bytes_per_record: bpr,
        miss: miss_rate,
        hit: hit_rate,
    };

    let Some(url) = std::env::var("WATCHLIST_PG")
        .ok()
        .or_else(|| std::env::var("INSPECTD_TEST_PG").ok())
    else {
        println!("\n(set WATCHLIST_PG=postgres://... to compare with the PostgreSQL backend)");
        return;
    };
    let pg = PgStore::open(&url).unwrap();
    let t = Instant::now();
    let prep = pg
        .import_records("synthetic", synth::generate(n, 42), 1_700_000_000)
        .unwrap();
    let pg_import = t.elapsed();
    assert_eq!(prep.accepted, rep.total_records);
    let pst = pg.stats().unwrap();
    // Fewer probes: a database round trip costs far more than an in-process lookup.
    let pg_probes = 20_000usize;
    let pg_hits = queries(n, 42, pg_probes, n / pg_probes as u64);
    let pg_misses = queries(pg_probes as u64, 4242, pg_probes, 1);
    let _ = rate(&pg, &pg_misses[..1000]); // warm the pool and the index pages
    let (pmiss, _) = rate(&pg, &pg_misses);
    let (phit, phit_listed) = rate(&pg, &pg_hits);
    assert_eq!(phit_listed, pg_hits.len());
    let postgres = Figures {
        import: pg_import,
        bytes_per_record: pst.disk_bytes as f64 / pst.records.max(1) as f64,
        miss: pmiss,
        hit: phit,
    };

    println!("\n| {n} records | embedded | PostgreSQL | embedded / PostgreSQL |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| import (generate + write + index) | {:.2} s | {:.2} s | {:.2}x faster |",
        embedded.import.as_secs_f64(),
        postgres.import.as_secs_f64(),
        postgres.import.as_secs_f64() / embedded.import.as_secs_f64()
    );
    println!(
        "| disk bytes per record | {:.1} | {:.1} | {:.2}x smaller |",
        embedded.bytes_per_record,
        postgres.bytes_per_record,
        postgres.bytes_per_record / embedded.bytes_per_record
    );
    println!(
        "| lookups/s, misses (1 thread) | {:.0} | {:.0} | {:.1}x |",
        embedded.miss,
        postgres.miss,
        embedded.miss / postgres.miss
    );
    println!(
        "| lookups/s, hits (1 thread) | {:.0} | {:.0} | {:.1}x |",
        embedded.hit,
        postgres.hit,
        embedded.hit / postgres.hit
    );
}
