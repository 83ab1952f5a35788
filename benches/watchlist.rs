//! Watchlist store benchmark: build a store of `WATCHLIST_N` synthetic records (default
//! 1 000 000), then report build time, disk bytes per record, open time and single-thread
//! lookups per second for misses and hits.
#![allow(clippy::unwrap_used)] // benchmark harness, like tests

use std::hint::black_box;
use std::time::Instant;

use inspectd::watchlist::{synth, Query, Store};

fn main() {
    let n: u64 = std::env::var("WATCHLIST_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();

    let t = Instant::now();
    let rep = Store::import_records(
        dir.path(),
        "synthetic",
        synth::generate(n, 42),
        1_700_000_000,
    )
    .unwrap();
    let build = t.elapsed();

    let t = Instant::now();
    let store = Store::open(dir.path()).unwrap();
    let open = t.elapsed();
    let stats = store.stats();

    let probes = 200_000usize;
    let hits: Vec<Query> = synth::generate(n, 42)
        .step_by(usize::try_from((n / probes as u64).max(1)).unwrap())
        .take(probes)
        .map(|r| {
            Query::new(
                &r.issuing_state,
                r.document_type.as_str(),
                &r.document_number,
            )
            .unwrap()
        })
        .collect();
    // Another seed: almost all misses (a few may collide with listed numbers by chance).
    let misses: Vec<Query> = synth::generate(probes as u64, 4242)
        .map(|r| {
            Query::new(
                &r.issuing_state,
                r.document_type.as_str(),
                &r.document_number,
            )
            .unwrap()
        })
        .collect();

    let run = |qs: &[Query]| {
        let t = Instant::now();
        let mut listed = 0usize;
        for q in qs {
            if black_box(store.lookup(q)).listed {
                listed += 1;
            }
        }
        (qs.len() as f64 / t.elapsed().as_secs_f64(), listed)
    };
    let (miss_rate, miss_listed) = run(&misses);
    let (hit_rate, hit_listed) = run(&hits);
    assert_eq!(hit_listed, hits.len());

    println!("| metric | value |");
    println!("| --- | --- |");
    println!("| records | {} |", rep.total_records);
    println!(
        "| build (generate + import + sort + fsync) | {:.2} s |",
        build.as_secs_f64()
    );
    println!("| disk bytes | {} |", stats.disk_bytes);
    println!(
        "| disk bytes per record | {:.1} |",
        stats.disk_bytes as f64 / rep.total_records.max(1) as f64
    );
    println!(
        "| open (read + validate) | {:.1} ms |",
        open.as_secs_f64() * 1e3
    );
    println!("| lookups/s, misses (1 thread) | {miss_rate:.0} ({miss_listed} of {} happened to be listed) |", misses.len());
    println!("| lookups/s, hits (1 thread) | {hit_rate:.0} |");
}
