//! `inspectd watchlist`: the stolen/lost travel document watchlist, in an embedded store
//! directory or a PostgreSQL database (`--store postgres://...`). `import` a CSV list (full:
//! atomic switch; `--delta`: add/remove rows), `check` a document, `stats`.
//! Document numbers are never logged; `check` prints the answer on stdout only.
//!
//! `check` exit codes: 0 not listed, 1 listed, 2 usage or store error. Possible (OCR-confusable)
//! matches are shown but do not make the document listed.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use inspectd::watchlist::pg::{self, PgStore};
use inspectd::watchlist::store::Rejected;
use inspectd::watchlist::{DocumentStatusSource, Hit, Query, Store};
use serde_json::json;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Import a CSV list into the store (replaces that list; a failed import changes nothing).
    Import {
        /// The store directory (created if missing) or a postgres:// URL.
        #[arg(long)]
        store: String,
        /// The list name (A-Z a-z 0-9 _ . -).
        #[arg(long, default_value = "default")]
        list: String,
        /// Abort on the first malformed row instead of skipping it.
        #[arg(long)]
        strict: bool,
        /// Apply the file as a delta (optional `action` column: add or remove) instead of
        /// replacing the list.
        #[arg(long)]
        delta: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// The CSV file (header: issuing_state,document_type,document_number,status[,issue_date,expiry_date,reported_date,reference]).
        file: PathBuf,
    },
    /// Check one document.
    Check {
        /// The store directory or a postgres:// URL.
        #[arg(long)]
        store: String,
        /// Issuing state (Doc 9303-3 code, e.g. D, NLD, XXA).
        #[arg(long)]
        issuing_state: String,
        /// Document type: P, I, A, C, V or ANY.
        #[arg(long)]
        document_type: String,
        /// Document number (fillers, spaces, dashes and case are ignored).
        #[arg(long)]
        document_number: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Lists in the store, record counts, update times, size on disk.
    Stats {
        /// The store directory or a postgres:// URL.
        #[arg(long)]
        store: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs the subcommand.
pub fn run(args: Args) -> ExitCode {
    match args.command {
        Command::Import {
            store,
            list,
            strict,
            delta,
            json,
            file,
        } => import(&store, &list, strict, delta, json, &file),
        Command::Check {
            store,
            issuing_state,
            document_type,
            document_number,
            json,
        } => check(
            &store,
            &issuing_state,
            &document_type,
            &document_number,
            json,
        ),
        Command::Stats { store, json } => stats(&store, json),
    }
}

fn print_rejects(rejected: &[Rejected], total: u64) {
    for rej in rejected {
        println!("  line {}: {}", rej.line, rej.reason);
    }
    if total > u64::try_from(rejected.len()).unwrap_or(0) {
        println!("  ... and more");
    }
}

fn import(store: &str, list: &str, strict: bool, delta: bool, json: bool, file: &Path) -> ExitCode {
    let f = match std::fs::File::open(file) {
        Ok(f) => {
            // A byte-progress bar on a terminal; imports of 100M+ rows take minutes.
            let size = f.metadata().map(|m| m.len()).unwrap_or(0);
            let bar = if !json && std::io::stderr().is_terminal() {
                let b = indicatif::ProgressBar::new(size);
                b.set_style(
                    indicatif::ProgressStyle::with_template(
                        "importing [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                b
            } else {
                indicatif::ProgressBar::hidden()
            };
            std::io::BufReader::with_capacity(1 << 16, bar.wrap_read(f))
        }
        Err(e) => {
            eprintln!("inspectd watchlist: {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let now = super::verify::now();
    let fail = |e: &dyn std::fmt::Display| {
        eprintln!("inspectd watchlist: import failed, store unchanged: {e}");
        ExitCode::from(2)
    };
    if pg::is_url(store) {
        let db = match PgStore::open(store) {
            Ok(db) => db,
            Err(e) => return fail(&e),
        };
        if delta {
            match db.import_delta_csv(list, f, strict, now) {
                Ok(r) if json => println!("{}", json!(r)),
                Ok(r) => {
                    println!(
                        "list {}: {} records added, {} removed, {} rows rejected",
                        r.list, r.added, r.removed, r.rejected_total
                    );
                    print_rejects(&r.rejected, r.rejected_total);
                }
                Err(e) => return fail(&e),
            }
        } else {
            match db.import_csv(list, f, strict, now) {
                Ok(r) if json => println!("{}", json!(r)),
                Ok(r) => {
                    println!(
                        "list {}: {} records imported, {} rows rejected; partition {}",
                        r.list, r.accepted, r.rejected_total, r.partition
                    );
                    print_rejects(&r.rejected, r.rejected_total);
                }
                Err(e) => return fail(&e),
            }
        }
        return ExitCode::SUCCESS;
    }
    let dir = Path::new(store);
    if delta {
        match Store::import_delta_csv(dir, list, f, strict) {
            Ok(r) if json => println!("{}", json!(r)),
            Ok(r) => {
                println!(
                    "list {}: {} records added, {} keys removed, {} rows rejected; {} over {}",
                    r.list, r.added, r.removed, r.rejected_total, r.delta, r.snapshot
                );
                print_rejects(&r.rejected, r.rejected_total);
            }
            Err(e) => return fail(&e),
        }
        return ExitCode::SUCCESS;
    }
    match Store::import_csv(dir, list, f, strict, now) {
        Ok(r) => {
            if json {
                println!("{}", json!(r));
            } else {
                println!(
                    "list {}: {} records imported, {} rows rejected; snapshot {} ({} records in all lists)",
                    r.list, r.accepted, r.rejected_total, r.snapshot, r.total_records
                );
                print_rejects(&r.rejected, r.rejected_total);
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn hit_json(h: &Hit) -> serde_json::Value {
    let r = &h.record;
    json!({
        "list": r.list,
        "status": r.status.as_str(),
        "reference": r.reference,
        "issuing_state": r.issuing_state,
        "document_type": r.document_type.as_str(),
        "document_number": r.document_number,
        "issue_date": r.issue_date,
        "expiry_date": r.expiry_date,
        "reported_date": r.reported_date,
    })
}

/// Opens a watchlist store for lookups: a directory (embedded) or a `postgres://` URL.
pub(super) fn open_source(store: &str) -> Result<Box<dyn DocumentStatusSource>, String> {
    if pg::is_url(store) {
        PgStore::open(store)
            .map(|s| Box::new(s) as Box<dyn DocumentStatusSource>)
            .map_err(|e| e.to_string())
    } else {
        Store::open(Path::new(store))
            .map(|s| Box::new(s) as Box<dyn DocumentStatusSource>)
            .map_err(|e| e.to_string())
    }
}

fn check(store: &str, state: &str, dtype: &str, number: &str, json: bool) -> ExitCode {
    let q = match Query::new(state, dtype, number) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("inspectd watchlist: {e}");
            return ExitCode::from(2);
        }
    };
    let source = match open_source(store) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("inspectd watchlist: {e}");
            return ExitCode::from(2);
        }
    };
    // An unreachable backend is an error (exit 2), never "not listed".
    let r = match source.try_lookup(&q) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("inspectd watchlist: {e}");
            return ExitCode::from(2);
        }
    };
    tracing::debug!(
        listed = r.listed,
        hits = r.records.len(),
        possible = r.possible_matches.len(),
        "watchlist check"
    );
    if json {
        println!(
            "{}",
            json!({
                "listed": r.listed,
                "records": r.records.iter().map(hit_json).collect::<Vec<_>>(),
                "possible_matches": r.possible_matches.iter().map(hit_json).collect::<Vec<_>>(),
            })
        );
    } else {
        println!("{}", if r.listed { "LISTED" } else { "not listed" });
        for h in &r.records {
            let rec = &h.record;
            println!(
                "  list {}: {} (type {}, reference {})",
                rec.list,
                rec.status.as_str(),
                rec.document_type.as_str(),
                rec.reference.as_deref().unwrap_or("-")
            );
        }
        for h in &r.possible_matches {
            let rec = &h.record;
            println!(
                "  possible match (OCR confusion) {} in list {}: {} (reference {})",
                rec.document_number,
                rec.list,
                rec.status.as_str(),
                rec.reference.as_deref().unwrap_or("-")
            );
        }
    }
    if r.listed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn stats(store: &str, json: bool) -> ExitCode {
    if pg::is_url(store) {
        let s = match PgStore::open(store).and_then(|db| db.stats()) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("inspectd watchlist: {e}");
                return ExitCode::from(2);
            }
        };
        if json {
            println!("{}", json!(s));
        } else {
            println!(
                "PostgreSQL: {} records, {} bytes on disk",
                s.records, s.disk_bytes
            );
            for l in &s.lists {
                println!(
                    "  {}: {} records, updated {}",
                    l.name, l.records, l.updated_unix
                );
            }
        }
        return ExitCode::SUCCESS;
    }
    let dir = Path::new(store);
    let store = match Store::open(dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("inspectd watchlist: {e}");
            return ExitCode::from(2);
        }
    };
    let s = store.stats();
    if json {
        println!("{}", json!(s));
    } else {
        println!(
            "snapshot {} (generation {}): {} records, {} bytes on disk",
            s.snapshot, s.manifest.generation, s.manifest.records, s.disk_bytes
        );
        if let Some(d) = &s.delta {
            println!(
                "  delta {d}: {} records added, {} keys removed",
                s.delta_added, s.delta_removed
            );
        }
        for l in &s.manifest.lists {
            let by: Vec<String> = l
                .by_status
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            println!(
                "  {}: {} records, updated {} ({})",
                l.name,
                l.records,
                l.updated_unix,
                by.join(", ")
            );
        }
    }
    ExitCode::SUCCESS
}
