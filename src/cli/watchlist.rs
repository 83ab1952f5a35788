//! `inspectd watchlist`: the stolen/lost travel document watchlist (embedded store).
//! `import` a CSV list into a store (atomic snapshot switch), `check` a document, `stats`.
//! Document numbers are never logged; `check` prints the answer on stdout only.
//!
//! `check` exit codes: 0 not listed, 1 listed, 2 usage or store error. Possible (OCR-confusable)
//! matches are shown but do not make the document listed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use inspectd::watchlist::{Hit, Query, Store};
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
        /// The store directory (created if missing).
        #[arg(long)]
        store: PathBuf,
        /// The list name (A-Z a-z 0-9 _ . -).
        #[arg(long, default_value = "default")]
        list: String,
        /// Abort on the first malformed row instead of skipping it.
        #[arg(long)]
        strict: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// The CSV file (header: issuing_state,document_type,document_number,status[,issue_date,expiry_date,reported_date,reference]).
        file: PathBuf,
    },
    /// Check one document.
    Check {
        /// The store directory.
        #[arg(long)]
        store: PathBuf,
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
        /// The store directory.
        #[arg(long)]
        store: PathBuf,
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
            json,
            file,
        } => import(&store, &list, strict, json, &file),
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

fn import(dir: &Path, list: &str, strict: bool, json: bool, file: &Path) -> ExitCode {
    let f = match std::fs::File::open(file) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("inspectd watchlist: {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let now = super::verify::now();
    match Store::import_csv(dir, list, std::io::BufReader::new(f), strict, now) {
        Ok(r) => {
            if json {
                println!("{}", json!(r));
            } else {
                println!(
                    "list {}: {} records imported, {} rows rejected; snapshot {} ({} records in all lists)",
                    r.list, r.accepted, r.rejected_total, r.snapshot, r.total_records
                );
                for rej in &r.rejected {
                    println!("  line {}: {}", rej.line, rej.reason);
                }
                if r.rejected_total > u64::try_from(r.rejected.len()).unwrap_or(0) {
                    println!("  ... and more");
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("inspectd watchlist: import failed, store unchanged: {e}");
            ExitCode::from(2)
        }
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

fn check(dir: &Path, state: &str, dtype: &str, number: &str, json: bool) -> ExitCode {
    let q = match Query::new(state, dtype, number) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("inspectd watchlist: {e}");
            return ExitCode::from(2);
        }
    };
    let store = match Store::open(dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("inspectd watchlist: {e}");
            return ExitCode::from(2);
        }
    };
    let r = store.lookup(&q);
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

fn stats(dir: &Path, json: bool) -> ExitCode {
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
