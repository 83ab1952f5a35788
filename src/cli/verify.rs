//! `inspectd verify [--trust-store DIR] [--trust FILE]... [--at RFC3339] [--json]
//! (DIR | --sod FILE [--dg N=FILE]...)`: Passive Authentication (Doc 9303-11 §5.1) of a dump.
//! Exit 0 valid, 1 invalid or inconclusive, 2 unusable input.

use inspectd::lds::{FileId, RawFile};
use inspectd::pa::{self, CheckStatus, PaPolicy, PaVerdict};
use inspectd::testkit::dataset::file_for_name;
use inspectd::trust::{Provenance, TrustSnapshot, TrustStore};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A dump directory (EF_SOD.bin, DG1.bin.. or the BSI names Datagroup1.bin..).
    dir: Option<PathBuf>,
    /// EF.SOD file (instead of DIR).
    #[arg(long, conflicts_with = "dir")]
    sod: Option<PathBuf>,
    /// A data group as N=FILE (with --sod), repeatable.
    #[arg(long = "dg", value_name = "N=FILE")]
    dgs: Vec<String>,
    /// Trust store directory (csca/, crl/, provenance.json).
    #[arg(long)]
    trust_store: Option<PathBuf>,
    /// A CSCA certificate (DER/PEM) or CRL (DER), repeatable.
    #[arg(long = "trust", value_name = "FILE")]
    trust: Vec<PathBuf>,
    /// Inspection time (RFC 3339, UTC); defaults to now.
    #[arg(long)]
    at: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

const MAX_FILE: u64 = 16 * 1024 * 1024;

fn read(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.len() > MAX_FILE {
        return Err(format!("{}: larger than {MAX_FILE} bytes", path.display()));
    }
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

pub(super) fn now() -> i64 {
    // The CLI is the one place that reads the clock; the library always takes time as input.
    #[allow(clippy::disallowed_methods)]
    let t = std::time::SystemTime::now();
    t.duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn load_files(args: &Args) -> Result<Vec<RawFile>, String> {
    let mut files = Vec::new();
    if let Some(dir) = &args.dir {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if let Some(id) = file_for_name(name) {
                if !files.iter().any(|f: &RawFile| f.id == id) {
                    files.push(RawFile {
                        id,
                        bytes: read(&p)?,
                    });
                }
            }
        }
    } else if let Some(sod) = &args.sod {
        files.push(RawFile {
            id: FileId::Sod,
            bytes: read(sod)?,
        });
        for spec in &args.dgs {
            let (n, path) = spec
                .split_once('=')
                .ok_or_else(|| format!("--dg {spec}: expected N=FILE"))?;
            let id = n
                .parse::<u8>()
                .ok()
                .and_then(FileId::data_group)
                .ok_or_else(|| format!("--dg {spec}: N must be 1..16"))?;
            files.push(RawFile {
                id,
                bytes: read(Path::new(path))?,
            });
        }
    } else {
        return Err("give a dump DIR or --sod FILE".into());
    }
    if !files.iter().any(|f| f.id == FileId::Sod) {
        return Err("no EF.SOD found".into());
    }
    Ok(files)
}

/// Builds the trust snapshot from a store directory and/or loose files (CSCAs, CRLs).
pub(super) fn load_trust(
    trust_store: Option<&Path>,
    trust: &[PathBuf],
    at: i64,
) -> Result<TrustSnapshot, String> {
    let mut b = TrustSnapshot::builder();
    if let Some(dir) = trust_store {
        let store = TrustStore::open(dir).map_err(|e| e.to_string())?;
        let snap = store.snapshot().map_err(|e| e.to_string())?;
        for c in snap.cscas() {
            b.push_csca((*c.cert).clone(), c.provenance.clone());
        }
        for c in snap.crls() {
            b.push_crl((*c.crl).clone(), c.provenance.clone());
        }
        for d in snap.deviation_lists() {
            b.push_deviation_list((*d.list).clone(), d.provenance.clone());
        }
    }
    for p in trust {
        let bytes = read(p)?;
        let prov = Provenance {
            source: p.display().to_string(),
            imported_at: at,
        };
        // A deviation list must chain to a CSCA given before it (or in the store).
        b = if inspectd::trust::deviation::is_deviation_list(&bytes) {
            b.deviation_list(&bytes, &[], at, 2048, prov)
                .map_err(|e| format!("{}: {e}", p.display()))?
        } else {
            b.any(&bytes, prov)
                .map_err(|e| format!("{}: {e}", p.display()))?
        };
    }
    Ok(b.build())
}

pub(super) fn status_word(s: CheckStatus) -> &'static str {
    match s {
        CheckStatus::Passed => "passed",
        CheckStatus::Failed => "FAILED",
        CheckStatus::Warning => "warning",
        CheckStatus::NotPerformed => "not performed",
    }
}

/// Runs the subcommand.
pub fn run(args: Args) -> ExitCode {
    let at = match &args.at {
        Some(s) => match pa::time::parse_rfc3339(s) {
            Some(t) => t,
            None => {
                eprintln!("--at {s}: not an RFC 3339 time");
                return ExitCode::from(2);
            }
        },
        None => now(),
    };
    let files = match load_files(&args) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let trust = match load_trust(args.trust_store.as_deref(), &args.trust, at) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let report = pa::verify(&files, &trust, at, &PaPolicy::default());
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        let v = match report.verdict {
            PaVerdict::Valid => "VALID",
            PaVerdict::Invalid => "INVALID",
            PaVerdict::Inconclusive => "INCONCLUSIVE",
        };
        println!("Passive Authentication: {v}");
        for c in &report.checks {
            println!("  {:<24} {:<13} {}", c.id, status_word(c.status), c.reason);
        }
    }
    match report.verdict {
        PaVerdict::Valid => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    }
}
