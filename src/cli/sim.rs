//! `inspectd sim`: serves the virtual chip to the vsmartcard virtual reader (vpcd), so any PC/SC
//! application (inspectd itself, a terminal vendor's software, a lab's tools) sees a passport.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use inspectd::testkit::dataset::{
    load_dir, synthetic_bac_only_passport, synthetic_ca_dh_passport, synthetic_ca_passport,
    synthetic_eac_config, synthetic_eac_passport, synthetic_pace_ca_passport,
    synthetic_pace_eac2_passport, synthetic_td1_can_card, with_extended_length, CA_DH_AES128,
};
use inspectd::testkit::lds_gen::GenParams;
use inspectd::testkit::virtual_chip::EacChipConfig;
use inspectd::testkit::vpcd::{serve, VpcdOptions};
use inspectd::testkit::{ChipProfile, Fault, VirtualChip};

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// vpcd address (pcscd's vsmartcard driver listens on 127.0.0.1:35963 and :35964).
    #[arg(long, default_value = "127.0.0.1:35963")]
    vpcd: String,
    /// Personalise the chip from a data set (dump layout or BSI TR-03105 layout).
    #[arg(long, conflicts_with = "profile")]
    dataset: Option<PathBuf>,
    /// A built-in profile: `bac` (a BAC-only passport with Chip and Active Authentication,
    /// EF.SOD signed by the test PKI), `ca` (the same whose EF.CardAccess also lists PACE,
    /// which the chip refuses: a downgrade the report warns about), `ca-dh` (the same with a
    /// CA-DH key, RFC 5114 1024-bit MODP, AES-128), `pace-ca-aa` (PACE-GM ECDH AES with
    /// Chip and Active Authentication: a current passport), `bac-extended` (extended length
    /// declared in EF.ATR/INFO and the ATR), `short-le` (a chip that takes Le <= 160),
    /// `pace-gm`, `pace-im`, `pace-cam` (PACE ECDH brainpoolP256r1 AES-128 with the generic,
    /// integrated or chip-authentication mapping; `pace-cam` with EF.CardSecurity signed by the
    /// test PKI), `pace-dh` (PACE DH-GM, RFC 5114 1024-bit);
    /// the PACE chips take the MRZ or the CAN 271828; `td1-can` (a TD1 eID card, PACE-GM with
    /// the CAN 271828, EF.SOD signed by the test PKI); `eac` (BAC, Chip Authentication v1 and
    /// Terminal Authentication guarding DG3/DG4: EAC1) and `pace-eac2` (PACE-GM, TA v2 then
    /// CA v2, DG3/DG4), both trusting the test CVCA in testdata/eac (`inspectd read
    /// --terminal-chain testdata/eac/dv.cvcert testdata/eac/is.cvcert --terminal-key
    /// testdata/eac/is.pkcs8.der` opens DG3/DG4).
    #[arg(long, default_value = "bac")]
    profile: String,
    /// Leave the field after this many APDUs (card removed mid-read).
    #[arg(long)]
    remove_after: Option<usize>,
    /// Insert the card again after it leaves the field or the reader resets, until killed.
    #[arg(long)]
    repeat: bool,
}

/// The synthetic PACE passport offering one protocol, with Chip and Active Authentication and
/// EF.SOD signed by the test PKI (genuine in every respect).
fn pace(oid: &'static str, parameter_id: u64) -> Result<ChipProfile, String> {
    synthetic_pace_ca_passport(GenParams::default(), &[(oid, parameter_id)])
        .ok_or_else(|| "the test PKI key is unusable".to_string())
}

/// A chip to serve: its files and keys, fault switches, and Terminal Authentication.
struct Chip {
    profile: ChipProfile,
    faults: Vec<Fault>,
    eac: Option<EacChipConfig>,
}

fn chip(args: &Args) -> Result<Chip, String> {
    let eac = |p: Option<ChipProfile>| -> Result<Chip, String> {
        let unusable = || format!("{}: the test PKI key is unusable", args.profile);
        Ok(Chip {
            profile: p.ok_or_else(unusable)?,
            faults: Vec::new(),
            eac: Some(synthetic_eac_config().ok_or_else(unusable)?),
        })
    };
    match args.profile.as_str() {
        _ if args.dataset.is_some() => {}
        "eac" => return eac(synthetic_eac_passport(GenParams::default())),
        "pace-eac2" => {
            return eac(synthetic_pace_eac2_passport(
                GenParams::default(),
                &[("0.4.0.127.0.7.2.2.4.2.2", 13)],
            ))
        }
        _ => {}
    }
    let (profile, faults) = profile(args)?;
    Ok(Chip {
        profile,
        faults,
        eac: None,
    })
}

fn profile(args: &Args) -> Result<(ChipProfile, Vec<Fault>), String> {
    if let Some(d) = &args.dataset {
        return load_dir(d, None)
            .map(|p| (p, Vec::new()))
            .map_err(|e| e.to_string());
    }
    // Genuine in every respect (PA, CA, AA against the test PKI).
    let base = synthetic_bac_only_passport(GenParams::default())
        .ok_or_else(|| "the test PKI key is unusable".to_string())?;
    match args.profile.as_str() {
        "bac" => Ok((base, Vec::new())),
        "ca" => synthetic_ca_passport(GenParams::default())
            .map(|p| (p, Vec::new()))
            .ok_or_else(|| "ca: the test PKI key is unusable".to_string()),
        "pace-ca-aa" => pace("0.4.0.127.0.7.2.2.4.2.2", 13).map(|p| (p, Vec::new())),
        "ca-dh" => synthetic_ca_dh_passport(GenParams::default(), 0, false, CA_DH_AES128)
            .map(|p| (p, Vec::new()))
            .ok_or_else(|| "ca-dh: the test PKI key is unusable".to_string()),
        "bac-extended" => Ok((with_extended_length(base), Vec::new())),
        "short-le" => Ok((base, vec![Fault::MaxLe(160)])),
        "pace-gm" => pace("0.4.0.127.0.7.2.2.4.2.2", 13).map(|p| (p, Vec::new())),
        "pace-im" => pace("0.4.0.127.0.7.2.2.4.4.2", 13).map(|p| (p, Vec::new())),
        "pace-cam" => pace("0.4.0.127.0.7.2.2.4.6.2", 13).map(|p| (p, Vec::new())),
        "pace-dh" => pace("0.4.0.127.0.7.2.2.4.1.2", 0).map(|p| (p, Vec::new())),
        "td1-can" => synthetic_td1_can_card()
            .map(|p| (p, Vec::new()))
            .ok_or_else(|| "td1-can: the test PKI key is unusable".to_string()),
        other => Err(format!(
            "unknown profile {other:?} (bac, ca, ca-dh, pace-ca-aa, bac-extended, short-le, pace-gm, pace-im, pace-cam, pace-dh, td1-can, eac, pace-eac2)"
        )),
    }
}

/// Runs the subcommand.
pub fn run(args: Args) -> ExitCode {
    let Chip {
        profile: p,
        faults,
        eac,
    } = match chip(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("inspectd sim: {e}");
            return ExitCode::from(2);
        }
    };
    let opts = VpcdOptions {
        remove_after: args.remove_after,
        extended_length: p.extended_length,
    };
    let stop = AtomicBool::new(false);
    loop {
        let mut chip = VirtualChip::new(p.clone(), 0x9303);
        if let Some(e) = &eac {
            chip = chip.with_eac(e.clone());
        }
        for f in &faults {
            chip = chip.with_fault(f.clone());
        }
        match serve(&args.vpcd, &mut chip, &opts, &stop) {
            Ok(stats) => eprintln!(
                "inspectd sim: card left the field after {} APDUs",
                stats.apdus
            ),
            Err(e) => {
                eprintln!("inspectd sim: vpcd at {}: {e}", args.vpcd);
                if !args.repeat {
                    return ExitCode::from(1);
                }
            }
        }
        if !args.repeat {
            return ExitCode::SUCCESS;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}
