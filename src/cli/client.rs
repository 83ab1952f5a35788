//! `inspectd client`: calls a running `inspectd serve` over gRPC (what a terminal does), for
//! the demo, scripts and operators.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use inspectd::grpc::pb;
use inspectd::grpc::pb::admin_service_client::AdminServiceClient;
use inspectd::grpc::pb::inspection_service_client::InspectionServiceClient;
use tokio_stream::StreamExt;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Server URL (`http://` plain-text, `https://` TLS).
    #[arg(
        long,
        env = "INSPECTD_SERVER",
        default_value = "http://127.0.0.1:50051"
    )]
    server: String,
    /// CA certificate that signed the server certificate (PEM).
    #[arg(long)]
    ca: Option<PathBuf>,
    /// Client certificate (PEM) for mTLS.
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// Client key (PEM).
    #[arg(long)]
    key: Option<PathBuf>,
    /// Print JSON (proto3 JSON mapping).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// ListReaders.
    Readers,
    /// ReadDocument on a reader, with progress, then the report.
    Read {
        /// Reader name (empty: the only one with a card).
        #[arg(long, default_value = "")]
        reader: String,
        /// The printed MRZ lines.
        #[arg(long, num_args = 1..=3)]
        mrz: Vec<String>,
        /// Card access number (PACE).
        #[arg(long, conflicts_with = "mrz")]
        can: Option<String>,
    },
    /// VerifyDocument with the files of a dump directory (the layout `inspectd read --out`
    /// writes).
    Verify {
        /// Dump directory.
        dir: PathBuf,
        /// The printed MRZ lines.
        #[arg(long, num_args = 1..=3)]
        mrz: Vec<String>,
    },
    /// CheckDocument against the watchlists.
    Check {
        /// Issuing state (ICAO code).
        #[arg(long)]
        issuing_state: String,
        /// Document type (P, I, A, C, V, ANY).
        #[arg(long, default_value = "P")]
        document_type: String,
        /// Document number.
        #[arg(long)]
        document_number: String,
    },
    /// GetStatus (admin).
    Status,
    /// ImportTrust (admin): CSCA, CRL, master list or LDIF files.
    ImportTrust {
        /// Files.
        files: Vec<PathBuf>,
        /// Accept master lists whose signer is not anchored.
        #[arg(long)]
        unverified: bool,
    },
    /// UpsertWatchlistRecord (admin): add one record, replacing the list's record with the
    /// same key.
    UpsertRecord {
        /// List name.
        #[arg(long)]
        list: String,
        /// ICAO 3-letter issuing state.
        #[arg(long)]
        issuing_state: String,
        /// Document type (P, I, A, C, V, ... or any).
        #[arg(long)]
        document_type: String,
        /// Document number.
        #[arg(long)]
        document_number: String,
        /// stolen_blank, stolen, lost, revoked, invalidated, other.
        #[arg(long)]
        status: String,
        /// Opaque reference for the officer.
        #[arg(long, default_value = "")]
        reference: String,
        /// Date reported, YYYY-MM-DD.
        #[arg(long, default_value = "")]
        reported_date: String,
    },
    /// DeleteWatchlistRecord (admin): remove the list's records with this key.
    DeleteRecord {
        /// List name.
        #[arg(long)]
        list: String,
        /// ICAO 3-letter issuing state.
        #[arg(long)]
        issuing_state: String,
        /// Document type.
        #[arg(long)]
        document_type: String,
        /// Document number.
        #[arg(long)]
        document_number: String,
    },
    /// ImportWatchlist (admin): a CSV file as list NAME.
    ImportWatchlist {
        /// List name.
        #[arg(long)]
        list: String,
        /// CSV file.
        file: PathBuf,
        /// A delta: rows add records, or remove them (`action` column `remove`).
        #[arg(long)]
        delta: bool,
    },
}

async fn channel(a: &Args) -> Result<Channel, String> {
    let mut ep = Endpoint::from_shared(a.server.clone()).map_err(|e| e.to_string())?;
    if a.server.starts_with("https://") {
        let mut tls = ClientTlsConfig::new();
        if let Some(ca) = &a.ca {
            let pem = std::fs::read(ca).map_err(|e| format!("{}: {e}", ca.display()))?;
            tls = tls.ca_certificate(Certificate::from_pem(pem));
        }
        if let (Some(c), Some(k)) = (&a.cert, &a.key) {
            let cert = std::fs::read(c).map_err(|e| format!("{}: {e}", c.display()))?;
            let key = std::fs::read(k).map_err(|e| format!("{}: {e}", k.display()))?;
            tls = tls.identity(Identity::from_pem(cert, key));
        }
        ep = ep.tls_config(tls).map_err(|e| e.to_string())?;
    }
    ep.connect().await.map_err(|e| format!("{}: {e}", a.server))
}

fn report_exit(r: &pb::Report, json: bool) -> ExitCode {
    if json {
        super::report::print_json(r);
    } else {
        super::report::print_text(r);
    }
    if r.verdict == pb::Verdict::Valid as i32 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Runs the subcommand.
pub fn run(a: Args) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("inspectd client: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(go(&a)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("inspectd client: {e}");
            ExitCode::from(2)
        }
    }
}

fn status_err(s: tonic::Status) -> String {
    format!("{:?}: {}", s.code(), s.message())
}

async fn go(a: &Args) -> Result<ExitCode, String> {
    let ch = channel(a).await?;
    let mut insp = InspectionServiceClient::new(ch.clone()).max_decoding_message_size(64 << 20);
    let mut admin = AdminServiceClient::new(ch);
    match &a.command {
        Cmd::Readers => {
            let r = insp
                .list_readers(pb::ListReadersRequest {})
                .await
                .map_err(status_err)?
                .into_inner();
            if a.json {
                println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
            } else {
                for x in &r.readers {
                    println!(
                        "{:<32} {}",
                        x.name,
                        pb::ReaderState::try_from(x.state)
                            .map(|s| s.as_str_name())
                            .unwrap_or("?")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Read { reader, mrz, can } => {
            let key = match can {
                Some(c) => pb::access_key::Key::Can(c.clone()),
                None => pb::access_key::Key::Mrz(mrz.join("\n")),
            };
            let req = pb::ReadDocumentRequest {
                reader: reader.clone(),
                access_key: Some(pb::AccessKey { key: Some(key) }),
                ..Default::default()
            };
            let mut s = insp
                .read_document(req)
                .await
                .map_err(status_err)?
                .into_inner();
            let mut last_file = String::new();
            while let Some(m) = s.next().await {
                let m = m.map_err(status_err)?;
                match m.event {
                    Some(pb::read_document_response::Event::Progress(p)) => {
                        if a.json {
                            continue;
                        }
                        let step = pb::ReadStep::try_from(p.step)
                            .map(|s| s.as_str_name())
                            .unwrap_or("?");
                        if p.step == pb::ReadStep::ReadingFile as i32 {
                            if p.file != last_file {
                                eprintln!("  .. {step} {}", p.file);
                                last_file = p.file.clone();
                            }
                        } else {
                            eprintln!("  .. {step}");
                        }
                    }
                    Some(pb::read_document_response::Event::Report(r)) => {
                        return Ok(report_exit(&r, a.json));
                    }
                    None => {}
                }
            }
            Err("the stream ended without a report".into())
        }
        Cmd::Verify { dir, mrz } => {
            let mut files = Vec::new();
            let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let mut paths: Vec<PathBuf> =
                entries.filter_map(Result::ok).map(|e| e.path()).collect();
            paths.sort();
            for p in paths {
                let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                if let Some(id) = inspectd::lds::FileId::from_name(name) {
                    files.push(pb::ChipFile {
                        name: id.name().to_string(),
                        content: std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?,
                    });
                }
            }
            let req = pb::VerifyDocumentRequest {
                files,
                printed: (!mrz.is_empty())
                    .then(|| pb::verify_document_request::Printed::Mrz(mrz.join("\n"))),
                ..Default::default()
            };
            let r = insp
                .verify_document(req)
                .await
                .map_err(status_err)?
                .into_inner();
            let report = r.report.ok_or("no report")?;
            Ok(report_exit(&report, a.json))
        }
        Cmd::Check {
            issuing_state,
            document_type,
            document_number,
        } => {
            let r = insp
                .check_document(pb::CheckDocumentRequest {
                    issuing_state: issuing_state.clone(),
                    document_type: document_type.clone(),
                    document_number: document_number.clone(),
                })
                .await
                .map_err(status_err)?
                .into_inner();
            let res = r.result.unwrap_or_default();
            if a.json {
                println!("{}", serde_json::to_string_pretty(&res).unwrap_or_default());
            } else {
                println!("{}", if res.listed { "LISTED" } else { "not listed" });
                for h in &res.records {
                    println!(
                        "  {} {} (list {}, ref {})",
                        h.status, h.document_number, h.list, h.reference
                    );
                }
                for h in &res.possible_matches {
                    println!(
                        "  possible match: {} {} (list {})",
                        h.status, h.document_number, h.list
                    );
                }
            }
            Ok(if res.listed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Cmd::Status => {
            let r = admin
                .get_status(pb::GetStatusRequest {})
                .await
                .map_err(status_err)?
                .into_inner();
            println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
        Cmd::ImportTrust { files, unverified } => {
            for f in files {
                let data = std::fs::read(f).map_err(|e| format!("{}: {e}", f.display()))?;
                let mut msgs = vec![pb::ImportTrustRequest {
                    part: Some(pb::import_trust_request::Part::Metadata(
                        pb::ImportTrustMetadata {
                            source: f.display().to_string(),
                            kind: 0,
                            unverified: *unverified,
                        },
                    )),
                }];
                for c in data.chunks(64 * 1024) {
                    msgs.push(pb::ImportTrustRequest {
                        part: Some(pb::import_trust_request::Part::Chunk(c.to_vec())),
                    });
                }
                let r = admin
                    .import_trust(tokio_stream::iter(msgs))
                    .await
                    .map_err(status_err)?
                    .into_inner();
                println!(
                    "{}: {} CSCA(s), {} CRL(s), {} DS certificate(s) added",
                    f.display(),
                    r.cscas_added,
                    r.crls_added,
                    r.ds_certificates_added
                );
                for w in &r.warnings {
                    println!("  {w}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::UpsertRecord {
            list,
            issuing_state,
            document_type,
            document_number,
            status,
            reference,
            reported_date,
        } => {
            let r = admin
                .upsert_watchlist_record(pb::UpsertWatchlistRecordRequest {
                    list: list.clone(),
                    record: Some(pb::WatchlistRecordInput {
                        issuing_state: issuing_state.clone(),
                        document_type: document_type.clone(),
                        document_number: document_number.clone(),
                        status: status.clone(),
                        reference: reference.clone(),
                        reported_date: reported_date.clone(),
                        ..pb::WatchlistRecordInput::default()
                    }),
                })
                .await
                .map_err(status_err)?
                .into_inner();
            println!(
                "list {list}: record stored ({} replaced)",
                r.records_replaced
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::DeleteRecord {
            list,
            issuing_state,
            document_type,
            document_number,
        } => {
            let r = admin
                .delete_watchlist_record(pb::DeleteWatchlistRecordRequest {
                    list: list.clone(),
                    issuing_state: issuing_state.clone(),
                    document_type: document_type.clone(),
                    document_number: document_number.clone(),
                })
                .await
                .map_err(status_err)?
                .into_inner();
            println!("list {list}: {} record(s) removed", r.records_removed);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::ImportWatchlist { list, file, delta } => {
            let data = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
            let mut msgs = vec![pb::ImportWatchlistRequest {
                part: Some(pb::import_watchlist_request::Part::Metadata(
                    pb::ImportWatchlistMetadata {
                        list: list.clone(),
                        strict: false,
                        delta: *delta,
                    },
                )),
            }];
            for c in data.chunks(64 * 1024) {
                msgs.push(pb::ImportWatchlistRequest {
                    part: Some(pb::import_watchlist_request::Part::Chunk(c.to_vec())),
                });
            }
            let r = admin
                .import_watchlist(tokio_stream::iter(msgs))
                .await
                .map_err(status_err)?
                .into_inner();
            println!(
                "{}: {} record(s) imported, {} row(s) rejected",
                file.display(),
                r.records_imported,
                r.rows_rejected
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
