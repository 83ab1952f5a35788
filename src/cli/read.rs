//! `inspectd read`: one inspection of a chip (Doc 9303-11 §§4-6, Doc 9303-12 §5): access
//! control, every file EF.SOD lists, Chip Authentication, Active Authentication, Passive
//! Authentication, the printed-MRZ and expiry checks and, with `--watchlist`, the watchlist.
//!
//! The chip side is [`inspection::inspect_chip`] and the verdict [`inspection::assess`], the
//! same code the gRPC service runs; the report printed is the `inspectd.v1.Report` message
//! (`--json` prints its proto3 JSON form), so CLI and service share one schema. From a PC/SC
//! reader (`--reader NAME`) or the in-process virtual chip (`--virtual [DATASET_DIR]`).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use inspectd::chip::ta::TerminalCredentials;
use inspectd::chip::{AccessKey, CardTransport};
use inspectd::grpc::convert;
use inspectd::inspection::{self, ChipEvent, ChipOptions, Printed};
use inspectd::lds::FileId;
use inspectd::testkit::dataset::{
    dump_name, load_dir, synthetic_bac_only_passport, synthetic_eac_config, synthetic_eac_passport,
    synthetic_pace_ca_passport,
};
use inspectd::testkit::lds_gen::GenParams;
use inspectd::testkit::VirtualChip;
use inspectd::transport::pcsc::Pcsc;
use serde_json::json;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Read from the in-process virtual chip, personalised from DATASET_DIR (dump layout or the
    /// BSI TR-03105 reference layout); without a directory, the built-in synthetic passport.
    #[arg(long = "virtual", value_name = "DATASET_DIR", num_args = 0..=1)]
    virtual_chip: Option<Option<PathBuf>>,
    /// Read from this PC/SC reader (see `inspectd readers`); waits for a card.
    #[arg(
        long,
        conflicts_with = "virtual_chip",
        required_unless_present = "virtual_chip"
    )]
    reader: Option<String>,
    /// How long to wait for a card, in seconds.
    #[arg(long, default_value_t = 30)]
    wait: u64,
    /// The printed MRZ (all lines, as separate arguments or one with newlines); the access
    /// key comes from it.
    #[arg(long, num_args = 1..=3, conflicts_with_all = ["document_number"])]
    mrz: Vec<String>,
    /// Document number (with --date-of-birth and --date-of-expiry instead of --mrz).
    #[arg(long, requires_all = ["date_of_birth", "date_of_expiry"])]
    document_number: Option<String>,
    /// Date of birth, YYMMDD.
    #[arg(long)]
    date_of_birth: Option<String>,
    /// Date of expiry, YYMMDD.
    #[arg(long)]
    date_of_expiry: Option<String>,
    /// The card access number (opens the chip with PACE; Doc 9303-11 §4.4) instead of the MRZ.
    #[arg(long, conflicts_with_all = ["mrz", "document_number"])]
    can: Option<String>,
    /// Write the files read into DIR (the layout `inspectd verify` and `inspectd lds` take).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Data groups to read (e.g. 1,2,11); default: all that EF.SOD lists. DG14 and DG15 are
    /// always read: chip authentication needs them.
    #[arg(long, value_delimiter = ',')]
    dg: Vec<u8>,
    /// Trust store directory for Passive Authentication (see `inspectd trust`).
    #[arg(long)]
    trust_store: Option<PathBuf>,
    /// A CSCA certificate (DER/PEM), CRL, master list or ICAO PKD LDIF file for Passive
    /// Authentication, repeatable.
    #[arg(long = "trust", value_name = "FILE")]
    trust: Vec<PathBuf>,
    /// A master-list signer anchor: master lists given with --trust are used only when their
    /// signer chains to one of these (repeatable).
    #[arg(long = "master-list-anchor", value_name = "CERT")]
    master_list_anchors: Vec<PathBuf>,
    /// Check the document against this watchlist store (directory or postgres:// URL).
    #[arg(long)]
    watchlist: Option<String>,
    /// Refuse Basic Access Control: only PACE may open the chip.
    #[arg(long)]
    no_bac: bool,
    /// Terminal Authentication (EAC, BSI TR-03110) to read DG3/DG4: the inspection system's
    /// CV certificate chain (DV and IS certificates, CVCA optional; DER or PEM, in any order).
    #[arg(
        long = "terminal-chain",
        value_name = "FILE",
        num_args = 1..,
        requires = "terminal_key"
    )]
    terminal_chain: Vec<PathBuf>,
    /// The IS private key for Terminal Authentication (EC in PKCS #8 or SEC 1, RSA in PKCS #8
    /// or PKCS #1; DER or PEM).
    #[arg(
        long = "terminal-key",
        value_name = "FILE",
        requires = "terminal_chain"
    )]
    terminal_key: Option<PathBuf>,
    /// Include the face images of DG2 in the JSON report.
    #[arg(long)]
    faces: bool,
    /// Print the report as proto3 JSON (the `inspectd.v1.Report` message) instead of text.
    #[arg(long)]
    json: bool,
}

fn key_from_args(a: &Args) -> Result<AccessKey, String> {
    if let Some(can) = &a.can {
        if can.is_empty() || !can.bytes().all(|b| b.is_ascii_digit()) {
            return Err("--can takes the digits printed on the document".into());
        }
        return Ok(AccessKey::Can(can.clone()));
    }
    if !a.mrz.is_empty() {
        let mrz = printed(a).map_err(|e| format!("--mrz: {e}"))?;
        return Ok(AccessKey::Mrz {
            mrz_information: mrz.mrz_information(),
        });
    }
    match (&a.document_number, &a.date_of_birth, &a.date_of_expiry) {
        (Some(n), Some(b), Some(e)) => Ok(AccessKey::Mrz {
            mrz_information: inspectd::mrz::mrz_information_from_fields(n, b, e)?,
        }),
        _ => Err(
            "give --mrz, --can, or --document-number with --date-of-birth and --date-of-expiry"
                .into(),
        ),
    }
}

/// The printed MRZ as the officer gave it (`--mrz` lines).
fn printed(args: &Args) -> Result<inspectd::mrz::Mrz, String> {
    let joined = args.mrz.join("\n");
    let lines: Vec<&str> = joined
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    inspectd::mrz::parse(&lines).map_err(|e| e.to_string())
}

fn open_transport(args: &Args) -> Result<Box<dyn CardTransport>, String> {
    if let Some(name) = &args.reader {
        // Survives pcscd starting late or restarting while we wait.
        let card = Pcsc::wait_and_connect(name, Duration::from_secs(args.wait))
            .map_err(|e| format!("reader {name:?} (waited up to {} s): {e}", args.wait))?;
        return Ok(Box::new(card));
    }
    let profile = match args.virtual_chip.as_ref().and_then(|d| d.as_ref()) {
        Some(dir) => load_dir(dir, None).map_err(|e| e.to_string())?,
        // The built-in chip is genuine in every respect (PA, CA and AA pass against the test
        // PKI); a CAN needs PACE, so then it is the PACE passport.
        None if args.can.is_some() => {
            synthetic_pace_ca_passport(GenParams::default(), &[("0.4.0.127.0.7.2.2.4.2.2", 13)])
                .ok_or("the test PKI key is unusable")?
        }
        // With terminal credentials: the EAC1 passport (DG3/DG4 behind Terminal Authentication,
        // trusting the test CVCA of `testdata/eac`).
        None if !args.terminal_chain.is_empty() => {
            let profile = synthetic_eac_passport(GenParams::default())
                .ok_or("the test PKI key is unusable")?;
            let eac = synthetic_eac_config().ok_or("the test CV PKI is unusable")?;
            return Ok(Box::new(VirtualChip::new(profile, 0x9303).with_eac(eac)));
        }
        None => synthetic_bac_only_passport(GenParams::default())
            .ok_or("the test PKI key is unusable")?,
    };
    // The virtual chip's own randomness is deterministic; the terminal's is not.
    Ok(Box::new(VirtualChip::new(profile, 0x9303)))
}

/// A progress line per file on a terminal (stderr), nothing otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    file: Option<FileId>,
}

impl Progress {
    fn new(enabled: bool) -> Self {
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let b = ProgressBar::new(0);
            b.set_style(
                ProgressStyle::with_template("{msg:<18} [{bar:30}] {bytes:>9}/{total_bytes:<9}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            b
        });
        Progress { bar, file: None }
    }

    fn event(&mut self, e: ChipEvent) {
        let Some(bar) = &self.bar else { return };
        match e {
            ChipEvent::AccessControl => bar.set_message("access control"),
            ChipEvent::File { id, read, total } => {
                if self.file != Some(id) {
                    if self.file.is_some() {
                        bar.println(format!(
                            "{:<18} {} bytes",
                            self.file.map(|f| f.name()).unwrap_or(""),
                            bar.position()
                        ));
                    }
                    self.file = Some(id);
                    bar.set_message(id.name());
                    bar.set_position(0);
                }
                bar.set_length(total.unwrap_or(read) as u64);
                bar.set_position(read as u64);
            }
            ChipEvent::ChipAuthentication => bar.set_message("chip authentication"),
            ChipEvent::ActiveAuthentication => bar.set_message("active authentication"),
            _ => {}
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

fn fail(args: &Args, code: u8, e: &str) -> ExitCode {
    if args.json {
        println!("{}", json!({ "error": e }));
    }
    eprintln!("inspectd read: {e}");
    ExitCode::from(code)
}

/// Runs the subcommand. Exit 0: valid; 1: invalid, inconclusive or the chip session failed;
/// 2: unusable arguments, trust material or reader.
pub fn run(args: Args) -> ExitCode {
    let key = match key_from_args(&args) {
        Ok(k) => k,
        Err(e) => return fail(&args, 2, &e),
    };
    let at = super::verify::now();
    // Trust material and watchlist first: a bad file fails before the card is touched.
    let trust = match super::verify::load_trust(
        args.trust_store.as_deref(),
        &args.trust,
        &args.master_list_anchors,
        at,
    ) {
        Ok(t) => t,
        Err(e) => return fail(&args, 2, &e),
    };
    let watchlist = match args.watchlist.as_deref().map(super::watchlist::open_source) {
        None => None,
        Some(Ok(w)) => Some(w),
        Some(Err(e)) => return fail(&args, 2, &format!("--watchlist: {e}")),
    };
    // Terminal credentials are checked before the card is touched too.
    let terminal = match &args.terminal_key {
        Some(k) => match TerminalCredentials::load(&args.terminal_chain, k) {
            Ok(c) => Some(c),
            Err(e) => return fail(&args, 2, &format!("--terminal-chain/--terminal-key: {e}")),
        },
        None => None,
    };
    let mut transport = match open_transport(&args) {
        Ok(t) => t,
        Err(e) => return fail(&args, 2, &e),
    };
    let opts = ChipOptions {
        allow_bac: !args.no_bac,
        data_groups: (!args.dg.is_empty()).then(|| args.dg.clone()),
        terminal,
        ..ChipOptions::default()
    };
    let mut progress = Progress::new(!args.json);
    let mut rng = rand_core::OsRng;
    let chip = inspection::inspect_chip(transport.as_mut(), &key, &opts, &mut rng, &mut |e| {
        progress.event(e);
    });
    progress.finish();
    drop(transport);
    let chip = match chip {
        Ok(c) => c,
        Err(e) => return fail(&args, 1, &format!("chip session failed: {e}")),
    };
    if let Some(dir) = &args.out {
        if let Err(e) = write_dump(dir, &chip) {
            return fail(&args, 2, &format!("{}: {e}", dir.display()));
        }
    }
    let files = chip.raw_files();
    let mrz = if args.mrz.is_empty() {
        None
    } else {
        printed(&args).ok()
    };
    let given = match (
        &mrz,
        &args.document_number,
        &args.date_of_birth,
        &args.date_of_expiry,
    ) {
        (Some(m), ..) => Printed::Mrz(m),
        (None, Some(n), Some(b), Some(e)) => Printed::Fields {
            document_number: n,
            date_of_birth: b,
            date_of_expiry: e,
        },
        _ => Printed::None,
    };
    let started = Instant::now();
    let report = inspection::assess(
        &chip.evidence(&files, given, args.faces),
        &inspection::Context {
            trust: &trust,
            now: at,
            watchlist: watchlist.as_deref(),
            policy: &inspection::AssessPolicy::default(),
        },
    );
    let verify_ms = started.elapsed().as_secs_f64() * 1e3;
    let valid = report.verdict == inspection::Verdict::Valid;
    let msg = convert::report(
        &report,
        &[("verification (PA, checks, watchlist)", verify_ms)],
    );
    if args.json {
        super::report::print_json(&msg);
    } else {
        super::report::print_text(&msg);
        if let Some(dir) = &args.out {
            println!("files written to {}", dir.display());
        }
    }
    if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Writes every file read, exactly as the chip returned it, in the dump layout.
fn write_dump(dir: &std::path::Path, chip: &inspection::ChipInspection) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for f in &chip.read.files {
        if let Some(b) = f.bytes() {
            std::fs::write(dir.join(dump_name(f.id)), b)?;
        }
    }
    Ok(())
}
