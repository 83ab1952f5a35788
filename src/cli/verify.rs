//! `inspectd verify [--trust-store DIR] [--trust FILE]... [--master-list-anchor CERT]...
//! [--at RFC3339] [--json] (DIR | --sod FILE [--dg N=FILE]...)`: Passive Authentication (Doc 9303-11 §5.1) of a dump,
//! and of EF.CardSecurity when the dump holds one (`pa.card_security`).
//! Exit 0 valid, 1 invalid or inconclusive, 2 unusable input.

use inspectd::lds::{FileId, RawFile};
use inspectd::pa::cert::Certificate;
use inspectd::pa::{self, CheckStatus, PaPolicy, PaVerdict};
use inspectd::testkit::dataset::file_for_name;
use inspectd::trust::ldif::LdifObject;
use inspectd::trust::{
    deviation, is_master_list, master_list, Provenance, TrustSnapshot, TrustSnapshotBuilder,
    TrustStore,
};
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
    /// A CSCA certificate (DER/PEM), CRL (DER), CSCA master list, deviation list or ICAO PKD
    /// LDIF file, repeatable. Master lists are used only when their signer chains to a
    /// --master-list-anchor; deviation lists when their signer chains to an anchor or a CSCA
    /// given before them.
    #[arg(long = "trust", value_name = "FILE")]
    trust: Vec<PathBuf>,
    /// A master-list signer anchor (a CSCA or the signer's own certificate), repeatable.
    #[arg(long = "master-list-anchor", value_name = "CERT")]
    anchors: Vec<PathBuf>,
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

/// Builds the trust snapshot from a store directory and/or loose files: CSCAs, CRLs, master
/// lists (signer chained to one of `anchors`), deviation lists and ICAO PKD LDIF files.
pub(super) fn load_trust(
    trust_store: Option<&Path>,
    trust: &[PathBuf],
    anchors: &[PathBuf],
    at: i64,
) -> Result<TrustSnapshot, String> {
    let mut anchor_certs = Vec::new();
    for a in anchors {
        let certs = Certificate::from_pem_or_der(&read(a)?)
            .map_err(|e| format!("--master-list-anchor {}: {e}", a.display()))?;
        anchor_certs.extend(certs);
    }
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
        for c in snap.ds_certificates() {
            b = b
                .ds_certificate(&c.cert.der, c.provenance.clone())
                .map_err(|e| e.to_string())?;
        }
        for d in snap.deviation_lists() {
            b.push_deviation_list((*d.list).clone(), d.provenance.clone());
        }
    }
    for p in trust {
        let bytes = read(p)?;
        let source = p.display().to_string();
        let is_ldif = p
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("ldif"))
            || inspectd::trust::ldif::looks_like_ldif(&bytes);
        if is_ldif {
            let entries =
                inspectd::trust::ldif::parse(&bytes).map_err(|e| format!("{source}: {e}"))?;
            for e in &entries {
                let src = format!("{source} ({})", e.dn);
                for o in &e.objects {
                    b = add_object(b, o, &src, &anchor_certs, at, true)?;
                }
            }
        } else {
            let o = LdifObject::Certificate(bytes);
            b = add_object(b, &o, &source, &anchor_certs, at, false)?;
        }
    }
    Ok(b.build())
}

/// Adds one trust object; loose files come in as `Certificate` and are told apart here.
/// Certificates from an LDIF file are PKD DS certificates, never anchors.
fn add_object(
    mut b: TrustSnapshotBuilder,
    o: &LdifObject,
    source: &str,
    anchors: &[Certificate],
    at: i64,
    from_ldif: bool,
) -> Result<TrustSnapshotBuilder, String> {
    let prov = |s: String| Provenance {
        source: s,
        imported_at: at,
    };
    let err = |e: &dyn std::fmt::Display| format!("{source}: {e}");
    let bytes = match o {
        LdifObject::Certificate(d) | LdifObject::MasterList(d) | LdifObject::DeviationList(d) => d,
        LdifObject::Crl(d) => {
            return b.crl(d, prov(source.to_owned())).map_err(|e| err(&e));
        }
        _ => return Ok(b),
    };
    let from_ldif_as_ds = from_ldif && matches!(o, LdifObject::Certificate(_));
    if deviation::is_deviation_list(bytes) {
        // Verified against the anchors and the CSCAs given before it.
        b.deviation_list(bytes, anchors, at, 2048, prov(source.to_owned()))
            .map_err(|e| err(&e))
    } else if is_master_list(bytes) {
        if anchors.is_empty() {
            return Err(err(&"a master list needs a --master-list-anchor"));
        }
        let ml = master_list::parse_and_verify(bytes, anchors, at, 2048).map_err(|e| err(&e))?;
        let signer = ml.signer.unwrap_or_default();
        for c in ml.certificates {
            b.push_csca(c, prov(format!("master list {source} signed by {signer}")));
        }
        Ok(b)
    } else if from_ldif_as_ds {
        b.ds_certificate(bytes, prov(source.to_owned()))
            .map_err(|e| err(&e))
    } else {
        b.any(bytes, prov(source.to_owned())).map_err(|e| err(&e))
    }
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
    let trust = match load_trust(args.trust_store.as_deref(), &args.trust, &args.anchors, at) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let report = pa::verify(&files, &trust, at, &PaPolicy::default());
    // EF.CardSecurity in the dump: its own PA (`pa.card_security`, Doc 9303-11 §9.2.9); an
    // invalid one makes the dump invalid, as in the inspection report.
    let card_security = files
        .iter()
        .find(|f| f.id == FileId::CardSecurity)
        .map(|f| pa::verify_card_security(Some(&f.bytes), &trust, at, &PaPolicy::default()));
    let verdict = match &card_security {
        Some(cs) if cs.verdict == PaVerdict::Invalid => PaVerdict::Invalid,
        _ => report.verdict,
    };
    let checks: Vec<&pa::Check> = report
        .checks
        .iter()
        .chain(card_security.as_ref().map(|cs| &cs.check))
        .collect();
    if args.json {
        let out = serde_json::json!({ "verdict": verdict, "checks": checks });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        let v = match verdict {
            PaVerdict::Valid => "VALID",
            PaVerdict::Invalid => "INVALID",
            PaVerdict::Inconclusive => "INCONCLUSIVE",
        };
        println!("Passive Authentication: {v}");
        for c in checks {
            println!("  {:<24} {:<13} {}", c.id, status_word(c.status), c.reason);
        }
    }
    match verdict {
        PaVerdict::Valid => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    }
}
