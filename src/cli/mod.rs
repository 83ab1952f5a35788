//! Subcommands. Each prints readable text by default and JSON with `--json`.
//! Exit codes: 0 success/valid, 1 checked-and-failed, 2 unusable input or usage error.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod client;
mod lds;
mod mrz;
mod read;
mod readers;
mod report;
mod serve;
mod sim;
mod trust;
mod verify;
mod watchlist;

/// inspectd: ICAO Doc 9303 eMRTD inspection system.
#[derive(Debug, Parser)]
#[command(name = "inspectd", version, about)]
pub struct Cli {
    /// Log line format on stderr: `text` or `json` (one JSON object per line, for log
    /// collectors). The level comes from INSPECTD_LOG (e.g. `info`, `inspectd=debug`); the
    /// default is `info` for `serve` and `warn` otherwise.
    #[arg(
        long,
        global = true,
        env = "INSPECTD_LOG_FORMAT",
        default_value = "text"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Logs go to stderr. Payloads and personal data are never logged at any level (APDU headers
/// and lengths at most, document numbers only as the audit log's keyed hash).
fn init_logging(format: LogFormat, default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("INSPECTD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => b.try_init(),
        LogFormat::Json => b.json().flatten_event(true).try_init(),
    };
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse and check a machine readable zone (TD1, TD2, TD3, MRV-A, MRV-B).
    Mrz(mrz::Args),
    /// Identify and describe LDS files (EF.COM, EF.SOD, DG1..DG16, EF.CardAccess, ...).
    Lds(lds::Args),
    /// Read a document's chip (BAC, secure messaging, every file EF.SOD lists).
    Read(read::Args),
    /// List PC/SC readers and card presence.
    Readers(readers::Args),
    /// Serve the virtual chip to the vsmartcard virtual reader (vpcd) behind pcscd.
    Sim(sim::Args),
    /// The trust store: import CSCAs and CRLs, list them with provenance.
    Trust(trust::Args),
    /// Passive Authentication of a dump: EF.SOD signature, DS chain to a CSCA, DG hashes.
    Verify(verify::Args),
    /// Stolen/lost document watchlist: import, check, stats
    Watchlist(watchlist::Args),
    /// The gRPC service (InspectionService, AdminService, health, reflection, metrics).
    Serve(serve::Args),
    /// Call a running `inspectd serve` over gRPC (read, verify, check, admin imports).
    Client(client::Args),
}

/// Parses the command line and runs the subcommand.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let level = if matches!(cli.command, Command::Serve(_)) {
        "info"
    } else {
        "warn"
    };
    init_logging(cli.log_format, level);
    match cli.command {
        Command::Mrz(a) => mrz::run(a),
        Command::Lds(a) => lds::run(a),
        Command::Read(a) => read::run(a),
        Command::Readers(a) => readers::run(a),
        Command::Sim(a) => sim::run(a),
        Command::Trust(a) => trust::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Watchlist(a) => watchlist::run(a),
        Command::Serve(a) => serve::run(a),
        Command::Client(a) => client::run(a),
    }
}
