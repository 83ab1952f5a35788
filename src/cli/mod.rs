//! Subcommands. Each prints readable text by default and JSON with `--json`.
//! Exit codes: 0 success/valid, 1 checked-and-failed, 2 unusable input or usage error.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod lds;
mod mrz;
mod verify;

/// inspectd: ICAO Doc 9303 eMRTD inspection system.
#[derive(Debug, Parser)]
#[command(name = "inspectd", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse and check a machine readable zone (TD1, TD2, TD3, MRV-A, MRV-B).
    Mrz(mrz::Args),
    /// Identify and describe LDS files (EF.COM, EF.SOD, DG1..DG16, EF.CardAccess, ...).
    Lds(lds::Args),
    /// Passive Authentication of a dump: EF.SOD signature, DS chain to a CSCA, DG hashes.
    Verify(verify::Args),
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
    match cli.command {
        Command::Mrz(a) => mrz::run(a),
        Command::Lds(a) => lds::run(a),
        Command::Verify(a) => verify::run(a),
    }
}
