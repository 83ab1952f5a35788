//! `inspectd trust`: the trust store that `inspectd verify`, `inspectd read` (and the service)
//! use: `import` CSCA certificates (DER/PEM) and CRLs, `list` what is there with provenance and
//! CRL freshness. Master lists and ICAO PKD LDIF import come next.

use std::path::PathBuf;
use std::process::ExitCode;

use inspectd::pa::cert::Certificate;
use inspectd::trust::deviation::DsIdentifier;
use inspectd::trust::{is_master_list, ImportOutcome, TrustStore};
use serde_json::json;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Import CSCA certificates, CRLs, CSCA master lists and deviation lists (a failed file changes nothing;
    /// re-import is a no-op).
    Import {
        /// The trust store directory (created if missing).
        #[arg(long)]
        trust_store: PathBuf,
        /// A master-list signer anchor (a CSCA or the signer's own certificate); a master list
        /// is accepted only when its signer chains to one of these. Repeatable.
        #[arg(long = "master-list-anchor", value_name = "CERT")]
        anchors: Vec<PathBuf>,
        /// Import master lists without verifying their signer (recorded in the provenance).
        #[arg(long)]
        unverified: bool,
        /// Files to import.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List the CSCAs and CRLs with their provenance.
    List {
        /// The trust store directory.
        #[arg(long)]
        trust_store: PathBuf,
        /// Only entries whose subject (CSCA) or issuer (CRL) has this country code.
        #[arg(long)]
        country: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs the subcommand.
pub fn run(args: Args) -> ExitCode {
    match args.command {
        Command::Import {
            trust_store,
            anchors,
            unverified,
            files,
        } => import(&trust_store, &anchors, unverified, &files),
        Command::List {
            trust_store,
            country,
            json,
        } => list(&trust_store, country.as_deref(), json),
    }
}

fn import(
    dir: &std::path::Path,
    anchor_files: &[PathBuf],
    unverified: bool,
    files: &[PathBuf],
) -> ExitCode {
    let mut anchors = Vec::new();
    for a in anchor_files {
        match std::fs::read(a)
            .map_err(|e| e.to_string())
            .and_then(|b| Certificate::from_pem_or_der(&b).map_err(|e| e.to_string()))
        {
            Ok(c) => anchors.extend(c),
            Err(e) => {
                eprintln!("inspectd trust: anchor {}: {e}", a.display());
                return ExitCode::from(2);
            }
        }
    }
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("inspectd trust: {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    let mut store = match TrustStore::open(dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("inspectd trust: {e}");
            return ExitCode::from(2);
        }
    };
    let now = super::verify::now();
    let mut failed = false;
    for f in files {
        let source = f.display().to_string();
        let r = std::fs::read(f).map_err(|e| e.to_string()).and_then(|b| {
            let ldif = f
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("ldif"))
                || inspectd::trust::ldif::looks_like_ldif(&b);
            if ldif {
                store
                    .import_ldif(&b, &anchors, unverified, &source, now, 2048)
                    .map(|sum| {
                        println!(
                            "{source}: LDIF: {} DS certificate(s), {} CRL(s), {} master list(s) \
                             with {} CSCA(s), {} deviation list(s), {} refused",
                            sum.ds_certificates,
                            sum.crls,
                            sum.master_lists,
                            sum.cscas_from_master_lists,
                            sum.deviation_lists,
                            sum.refused.len()
                        );
                        for r in &sum.refused {
                            println!("  refused: {r}");
                        }
                        ImportOutcome::Added
                    })
                    .map_err(|e| e.to_string())
            } else if inspectd::trust::deviation::is_deviation_list(&b) {
                store
                    .import_deviation_list(&b, &anchors, &source, now, 2048)
                    .map(|(o, n)| {
                        println!("{source}: deviation list with {n} deviation(s)");
                        o
                    })
                    .map_err(|e| e.to_string())
            } else if is_master_list(&b) {
                store
                    .import_master_list(&b, &anchors, unverified, &source, now, 2048)
                    .map(|(o, n)| {
                        println!("{source}: master list with {n} certificate(s)");
                        o
                    })
                    .map_err(|e| e.to_string())
            } else {
                store
                    .import_any(&b, &source, now)
                    .map_err(|e| e.to_string())
            }
        });
        match r {
            Ok(o) => {
                let what = match o {
                    ImportOutcome::Added => "added",
                    ImportOutcome::Unchanged => "unchanged",
                    ImportOutcome::Replaced => "replaced an older CRL",
                    ImportOutcome::Older => "ignored (older than the stored CRL)",
                };
                println!("{}: {what}", f.display());
            }
            Err(e) => {
                failed = true;
                eprintln!("{}: not imported: {e}", f.display());
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn list(dir: &std::path::Path, country: Option<&str>, as_json: bool) -> ExitCode {
    let snap = match TrustStore::open(dir).and_then(|s| s.snapshot()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("inspectd trust: {e}");
            return ExitCode::from(2);
        }
    };
    let now = super::verify::now();
    let want =
        |c: Option<&str>| country.is_none_or(|w| c.is_some_and(|c| c.eq_ignore_ascii_case(w)));
    let country_of = |dn: &str| {
        dn.split(", ")
            .find_map(|p| p.strip_prefix("C="))
            .map(str::to_string)
    };
    let cscas: Vec<_> = snap
        .cscas()
        .iter()
        .filter(|c| want(c.cert.subject_country.as_deref()))
        .map(|c| {
            json!({
                "subject": c.cert.subject,
                "serial": hex::encode_upper(&c.cert.serial),
                "ski": c.cert.ski.as_ref().map(hex::encode_upper),
                "not_before": c.cert.not_before,
                "not_after": c.cert.not_after,
                "expired": c.cert.not_after < now,
                "source": c.provenance.source,
                "imported_at": c.provenance.imported_at,
            })
        })
        .collect();
    let crls: Vec<_> = snap
        .crls()
        .iter()
        .filter(|c| want(country_of(&c.crl.issuer).as_deref()))
        .map(|c| {
            json!({
                "issuer": c.crl.issuer,
                "this_update": c.crl.this_update,
                "next_update": c.crl.next_update,
                "fresh": c.crl.next_update.is_some_and(|n| n >= now),
                "revoked": c.crl.revoked.len(),
                "source": c.provenance.source,
                "imported_at": c.provenance.imported_at,
            })
        })
        .collect();
    let deviation_lists: Vec<_> = snap
        .deviation_lists()
        .iter()
        .filter(|d| want(d.list.signer_country.as_deref()))
        .map(|d| {
            let entries: Vec<_> = d
                .list
                .deviations
                .iter()
                .map(|e| {
                    json!({
                        "document_type": e.documents.document_type,
                        "ds": e.documents.ds.as_ref().map(|id| match id {
                            DsIdentifier::IssuerAndSerial { serial, .. } =>
                                format!("issuer and serial {}", hex::encode_upper(serial)),
                            DsIdentifier::Ski(k) => format!("SKI {}", hex::encode_upper(k)),
                            DsIdentifier::CertificateDigest(h) =>
                                format!("certificate digest {}", hex::encode_upper(h)),
                        }),
                        "issuing_period": e.documents.issuing_period,
                        "document_numbers": e.documents.document_numbers.len(),
                        "deviations": e.descriptions.iter().map(|x| x.describe()).collect::<Vec<_>>(),
                    })
                })
                .collect();
            json!({
                "signer": d.list.signer,
                "signer_country": d.list.signer_country,
                "entries": entries,
                "source": d.provenance.source,
                "imported_at": d.provenance.imported_at,
            })
        })
        .collect();
    if as_json {
        let v = json!({
            "cscas": cscas,
            "crls": crls,
            "master_lists": [],
            "deviation_lists": deviation_lists,
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    println!("{} CSCA certificate(s)", cscas.len());
    for c in &cscas {
        println!(
            "  {}  {}",
            c["subject"].as_str().unwrap_or(""),
            if c["expired"] == true {
                "(expired)"
            } else {
                ""
            }
        );
    }
    println!("{} CRL(s)", crls.len());
    for c in &crls {
        println!(
            "  {}  {} revoked  {}",
            c["issuer"].as_str().unwrap_or(""),
            c["revoked"],
            if c["fresh"] == true { "fresh" } else { "STALE" }
        );
    }
    println!("{} deviation list(s)", deviation_lists.len());
    for d in &deviation_lists {
        println!(
            "  {}  ({} entries)",
            d["source"].as_str().unwrap_or(""),
            d["entries"].as_array().map_or(0, Vec::len)
        );
    }
    ExitCode::SUCCESS
}
