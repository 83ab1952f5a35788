//! `inspectd read`: runs the read session against a chip and prints what was read.
//!
//! From a PC/SC reader (`--reader NAME`) or the in-process virtual chip
//! (`--virtual [DATASET_DIR]`); both are a `CardTransport` under the same session.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use inspectd::chip::aa::{self, AaPolicy, ActiveAuthentication};
use inspectd::chip::CardTransport;
use inspectd::chip::{drive, Secured};
use inspectd::chip::{
    drive_observed, AccessKey, ChipError, ChipRead, ChipStats, FileOutcome, Phase, ReadSession,
    SessionOptions,
};
use inspectd::inspection::{self, Printed};
use inspectd::lds::dg15::Dg15;
use inspectd::lds::security_infos::SecurityInfos;
use inspectd::lds::FileId;
use inspectd::lds::RawFile;
use inspectd::pa::{self, PaPolicy, PaReport};
use inspectd::testkit::dataset::{dump_name, load_dir, synthetic_signed_passport};
use inspectd::testkit::lds_gen::GenParams;
use inspectd::testkit::VirtualChip;
use inspectd::transport::pcsc::Pcsc;
use serde_json::{json, Value};

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
    /// The printed MRZ (all lines, as separate arguments or one with newlines); the BAC key
    /// comes from it.
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
    /// Data groups to read (e.g. 1,2,11); default: all that EF.SOD lists.
    #[arg(long, value_delimiter = ',')]
    dg: Vec<u8>,
    /// Trust store directory for Passive Authentication (see `inspectd trust`).
    #[arg(long)]
    trust_store: Option<PathBuf>,
    /// A CSCA certificate (DER/PEM) or CRL for Passive Authentication, repeatable.
    #[arg(long = "trust", value_name = "FILE")]
    trust: Vec<PathBuf>,
    /// Print JSON instead of text.
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
        let joined = a.mrz.join("\n");
        let lines: Vec<&str> = joined
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let mrz = inspectd::mrz::parse(&lines).map_err(|e| format!("--mrz: {e}"))?;
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

fn phase_name(p: Phase) -> String {
    match p {
        Phase::AtrInfo => "read EF.ATR/INFO".into(),
        Phase::CardAccess => "read EF.CardAccess".into(),
        Phase::SelectApplication => "select eMRTD application".into(),
        Phase::Bac => "BAC".into(),
        Phase::Pace => "PACE".into(),
        Phase::ReadFile(id) => format!("read {}", id.name()),
        Phase::Done => "done".into(),
    }
}

/// Runs the subcommand.
pub fn run(args: Args) -> ExitCode {
    let key = match key_from_args(&args) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("inspectd read: {e}");
            return ExitCode::from(2);
        }
    };
    let mut transport: Box<dyn CardTransport> = match &args.reader {
        Some(name) => {
            let card = Pcsc::establish().and_then(|p| {
                p.wait_for_card(name, Duration::from_secs(args.wait))?;
                p.connect(name)
            });
            match card {
                Ok(c) => Box::new(c),
                Err(e) => {
                    eprintln!("inspectd read: reader {name:?}: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        None => {
            let profile = match args.virtual_chip.as_ref().and_then(|d| d.as_ref()) {
                Some(dir) => match load_dir(dir, None) {
                    Ok(p) => p,
                    Err(e) => {
                        eprintln!("inspectd read: {e}");
                        return ExitCode::from(2);
                    }
                },
                // A CAN needs PACE: the synthetic passport as a PACE-GM chip.
                None if args.can.is_some() => {
                    let mut p = inspectd::testkit::dataset::synthetic_pace_passport(
                        GenParams::default(),
                        &[("0.4.0.127.0.7.2.2.4.2.2", 13)],
                    );
                    p.app_files.insert(
                        FileId::Sod.fid(),
                        inspectd::testkit::dataset::SIGNED_SOD.to_vec(),
                    );
                    p
                }
                None => synthetic_signed_passport(GenParams::default()),
            };
            // The virtual chip's own randomness is deterministic; the terminal's is not.
            Box::new(VirtualChip::new(profile, 0x9303))
        }
    };
    let opts = SessionOptions {
        max_response_len: transport.max_response_len(),
        data_groups: (!args.dg.is_empty()).then(|| args.dg.clone()),
        ..SessionOptions::default()
    };
    let mut rng = rand_core::OsRng;
    let session = match ReadSession::new(&key, opts, &mut rng) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("inspectd read: {e}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let mut phases: Vec<(Phase, Duration, u64)> = Vec::new();
    let mut last = (Phase::AtrInfo, started, 0u64);
    let mut stats = ChipStats::default();
    let result = drive_observed(session, transport.as_mut(), &mut stats, &mut |s, st| {
        let p = s.phase();
        if p != last.0 {
            phases.push((last.0, last.1.elapsed(), st.apdus.saturating_sub(last.2)));
            last = (p, Instant::now(), st.apdus);
        }
    });
    phases.push((last.0, last.1.elapsed(), stats.apdus.saturating_sub(last.2)));
    let total = started.elapsed();
    match result {
        Ok(mut read) => {
            let aa = active_authentication(&mut read, transport.as_mut(), &mut rng);
            let at = super::verify::now();
            let trust = match super::verify::load_trust(
                args.trust_store.as_deref(),
                &args.trust,
                &[],
                at,
            ) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("inspectd read: {e}");
                    return ExitCode::from(2);
                }
            };
            let files: Vec<RawFile> = read
                .files
                .iter()
                .filter_map(|f| {
                    f.bytes().map(|b| RawFile {
                        id: f.id,
                        bytes: b.to_vec(),
                    })
                })
                .collect();
            let pa = pa::verify(&files, &trust, at, &PaPolicy::default());
            let mrz = printed(&args);
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
            let doc = inspection::document_checks(
                read.file(FileId::Dg1),
                &given,
                super::mrz::clock_today(),
            );
            // The one verdict rule (`inspection::assess`), as the service uses it. CA is not
            // run here yet: a chip that offers it still needs AA to pass for VALID.
            let status = |s: &str| match s {
                "passed" => pa::CheckStatus::Passed,
                "failed" => pa::CheckStatus::Failed,
                "warning" => pa::CheckStatus::Warning,
                _ => pa::CheckStatus::NotPerformed,
            };
            let assessed = inspection::assess(
                &inspection::Evidence {
                    files: &files,
                    printed: given,
                    access: None,
                    aa: inspection::Outcome::new(status(aa.0), aa.1.clone()),
                    ca: inspection::Outcome::new(
                        pa::CheckStatus::NotPerformed,
                        "not run by inspectd read",
                    ),
                    include_faces: false,
                    read: None,
                },
                &inspection::Context {
                    trust: &trust,
                    now: at,
                    watchlist: None,
                    policy: &inspection::AssessPolicy::default(),
                },
            );
            let verdict = assessed.verdict.as_str();
            let outcome = Outcome {
                read: &read,
                stats: &stats,
                phases: &phases,
                total,
                aa: &aa,
                pa: &pa,
                doc: &doc,
                verdict,
            };
            let code = report(&args, &outcome);
            if verdict == "valid" {
                code
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            print_error(&args, &e);
            ExitCode::from(1)
        }
    }
}

/// The printed MRZ as the officer gave it: `--mrz` lines, or the three fields.
fn printed(args: &Args) -> Option<inspectd::mrz::Mrz> {
    if args.mrz.is_empty() {
        return None;
    }
    let joined = args.mrz.join("\n");
    let lines: Vec<&str> = joined
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    inspectd::mrz::parse(&lines).ok()
}

/// Outcome of Active Authentication (Doc 9303-11 §6.1): `("passed" | "failed" |
/// "not_performed", reason)`. Run whenever DG15 was read; whether a DG15 is required is decided
/// by EF.SOD (it was read because EF.SOD lists it).
fn active_authentication(
    read: &mut ChipRead,
    t: &mut dyn CardTransport,
    rng: &mut dyn rand_core::CryptoRngCore,
) -> (&'static str, String) {
    let Some(dg15_bytes) = read.file(FileId::Dg15).map(<[u8]>::to_vec) else {
        return (
            "not_performed",
            "the document has no DG15 (EF.SOD does not list it)".into(),
        );
    };
    let dg15 = match Dg15::parse(&dg15_bytes) {
        Ok(d) => d,
        Err(e) => return ("failed", format!("DG15 unusable: {e}")),
    };
    let Some(session) = read.session.take() else {
        return ("not_performed", "no secure session".into());
    };
    let dg14 = read.file(FileId::Dg14).map(<[u8]>::to_vec);
    let infos = dg14
        .as_deref()
        .and_then(|b| SecurityInfos::parse_dg14(b).ok());
    let info = infos.as_ref().and_then(aa::find_aa_info);
    let Some(len) = aa::expected_signature_len(&dg15.public_key) else {
        return ("failed", "DG15 key type not supported".into());
    };
    let protocol =
        ActiveAuthentication::new(rng).for_signature_len(len, t.max_response_len() > 256);
    let challenge = protocol.challenge();
    let mut secured = Secured::new(session, protocol);
    let outcome = match drive(&mut secured, t) {
        Ok(rsp) => match aa::verify_dg15(
            &dg15,
            info,
            &challenge,
            &rsp.signature,
            &AaPolicy::default(),
        ) {
            Ok(v) => (
                "passed",
                format!("{:?} signature over the challenge verified", v.algorithm()),
            ),
            Err(e) => ("failed", e.to_string()),
        },
        Err(e) => ("failed", e.to_string()),
    };
    read.session = Some(secured.into_parts().0);
    outcome
}

fn print_error(args: &Args, e: &ChipError) {
    if args.json {
        println!("{}", json!({"error": e.to_string()}));
    } else {
        eprintln!("inspectd read: chip session failed: {e}");
    }
}

/// Everything one inspection produced, for printing.
struct Outcome<'a> {
    read: &'a ChipRead,
    stats: &'a ChipStats,
    phases: &'a [(Phase, Duration, u64)],
    total: Duration,
    aa: &'a (&'static str, String),
    pa: &'a PaReport,
    doc: &'a [(&'static str, &'static str, String)],
    verdict: &'a str,
}

fn report(args: &Args, o: &Outcome<'_>) -> ExitCode {
    let Outcome {
        read,
        stats,
        phases,
        total,
        aa,
        pa,
        doc,
        verdict,
    } = *o;
    if let Some(dir) = &args.out {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("inspectd read: {}: {e}", dir.display());
            return ExitCode::from(2);
        }
        for f in &read.files {
            if let Some(b) = f.bytes() {
                if let Err(e) = std::fs::write(dir.join(dump_name(f.id)), b) {
                    eprintln!("inspectd read: {}: {e}", dir.display());
                    return ExitCode::from(2);
                }
            }
        }
    }
    let mrz = read
        .file(FileId::Dg1)
        .and_then(|b| inspectd::lds::dg1::Dg1::parse(b).ok())
        .and_then(|d| d.mrz().ok());
    let files: Vec<Value> = read
        .files
        .iter()
        .map(|f| {
            let (status, bytes, apdus) = match &f.outcome {
                FileOutcome::Read(r) => ("read", r.bytes.len(), r.stats.apdus),
                FileOutcome::NotFound => ("not_found", 0, 0),
                FileOutcome::AccessDenied => ("access_denied", 0, 0),
                FileOutcome::Skipped { .. } => ("skipped", 0, 0),
                _ => ("other", 0, 0),
            };
            json!({"file": f.id.name(), "status": status, "bytes": bytes, "apdus": apdus})
        })
        .collect();
    // PACE-CAM (Doc 9303-11 §4.4.3.5): chip authentication once EF.CardSecurity, which holds
    // the static key, passes Passive Authentication (not yet part of the verdict).
    let cam = read.cam.as_ref().map(|c| match c {
        Ok(_) => (
            "passed",
            "chip authentication data matches the EF.CardSecurity key".to_string(),
        ),
        Err(e) => ("failed", e.to_string()),
    });
    let pace_skipped = read.pace_skipped.as_ref().map(ToString::to_string);
    if args.json {
        let v = json!({
            "access_protocol": read.access,
            "pace_skipped": pace_skipped,
            "pace_cam": cam.as_ref().map(|(st, r)| json!({"status": st, "reason": r})),
            "files": files,
            "sod_data_groups": read.sod_data_groups,
            "sod_error": read.sod_error,
            "apdus": stats.apdus,
            "bytes_sent": stats.bytes_sent,
            "bytes_received": stats.bytes_received,
            "total_ms": total.as_secs_f64() * 1e3,
            "phases": phases.iter().map(|(p, d, a)| json!({"phase": phase_name(*p), "ms": d.as_secs_f64() * 1e3, "apdus": a})).collect::<Vec<_>>(),
            "mrz": mrz,
            "active_authentication": {"status": aa.0, "reason": aa.1},
            "passive_authentication": pa,
            "document_checks": doc.iter().map(|(id, st, r)| json!({"id": id, "status": st, "reason": r})).collect::<Vec<_>>(),
            "verdict": verdict,
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    println!("VERDICT          {}", verdict.to_uppercase());
    println!("access control   {:?}", read.access);
    if let Some(why) = &pace_skipped {
        println!("PACE not used    {why}");
    }
    if let Some((st, why)) = &cam {
        println!("PACE-CAM         {st} ({why})");
    }
    if let Some(m) = &mrz {
        println!(
            "document         {} {} {}",
            m.document_code, m.issuing_state, m.document_number
        );
        println!(
            "holder           {}, {}",
            m.primary_identifier, m.secondary_identifier
        );
    }
    println!("EF.SOD lists     DG{:?}", read.sod_data_groups);
    if let Some(e) = &read.sod_error {
        println!("EF.SOD problem   {e}");
    }
    for f in &files {
        println!(
            "  {:<16} {:<14} {:>7} bytes {:>4} APDUs",
            f["file"].as_str().unwrap_or(""),
            f["status"].as_str().unwrap_or(""),
            f["bytes"],
            f["apdus"]
        );
    }
    println!("active auth      {} ({})", aa.0, aa.1);
    for (id, st, r) in doc {
        println!("{:<16} {st} ({r})", id);
    }
    println!("passive auth     {:?}", pa.verdict);
    for c in &pa.checks {
        println!(
            "  {:<24} {:<13} {}",
            c.id,
            super::verify::status_word(c.status),
            c.reason
        );
    }
    println!(
        "{} APDUs, {} bytes sent, {} bytes received, {:.1} ms",
        stats.apdus,
        stats.bytes_sent,
        stats.bytes_received,
        total.as_secs_f64() * 1e3
    );
    if let Some(dir) = &args.out {
        println!("files written to {}", dir.display());
    }
    ExitCode::SUCCESS
}
