//! The read session (sans-IO) against the virtual chip: which files are read is decided by
//! EF.SOD, never by EF.COM; outcomes, progress and failures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use inspectd::chip::{
    drive, drive_observed, AccessKey, AccessProtocol, CardTransport, ChipError, ChipRead,
    ChipStats, FileOutcome, Phase, ReadSession, SessionOptions, TransportError,
};
use inspectd::lds::FileId;
use inspectd::testkit::dataset::{
    load_dir, profile_from_files, synthetic_bac_passport, synthetic_mrz_information,
};
use inspectd::testkit::lds_gen::{self, GenParams};
use inspectd::testkit::{Access, ChipProfile, Fault, VirtualChip};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha2::{Digest, Sha256};

fn key() -> AccessKey {
    AccessKey::Mrz {
        mrz_information: synthetic_mrz_information(),
    }
}

fn session(opts: SessionOptions) -> ReadSession {
    ReadSession::new(&key(), opts, &mut ChaCha20Rng::seed_from_u64(11)).unwrap()
}

fn run(t: &mut dyn CardTransport, opts: SessionOptions) -> Result<ChipRead, ChipError> {
    drive(session(opts), t)
}

fn generated() -> Vec<(String, Vec<u8>)> {
    lds_gen::generate_with(GenParams::default())
}

fn bytes_of(files: &[(String, Vec<u8>)], name: &str) -> Vec<u8> {
    files.iter().find(|(n, _)| n == name).unwrap().1.clone()
}

/// Rebuilds the generated passport with another EF.SOD listing exactly `dgs` (SHA-256 of the
/// generated files where they exist, else of an empty string).
fn with_sod_listing(dgs: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut files = generated();
    let hashes: Vec<(u8, Vec<u8>)> = dgs
        .iter()
        .map(|n| {
            let b = files
                .iter()
                .find(|(name, _)| *name == format!("DG{n}.bin"))
                .map(|(_, b)| b.clone())
                .unwrap_or_default();
            (*n, Sha256::digest(&b).to_vec())
        })
        .collect();
    let lso = lds_gen::encode_lds_security_object(&lds_gen::sha256_algorithm(), &hashes, None);
    let sod = lds_gen::encode_unsigned_sod(&lso);
    for f in files.iter_mut() {
        if f.0 == "EF_SOD.bin" {
            f.1 = sod.clone();
        }
    }
    files
}

fn outcome(r: &ChipRead, id: FileId) -> &FileOutcome {
    &r.files
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("{id:?} not attempted"))
        .outcome
}

#[test]
fn full_bac_session_reads_what_the_sod_lists_byte_for_byte() {
    let files = generated();
    let mut chip = VirtualChip::new(synthetic_bac_passport(GenParams::default()), 1);
    let r = run(&mut chip, SessionOptions::default()).unwrap();
    assert_eq!(r.access, AccessProtocol::Bac);
    assert_eq!(r.sod_data_groups, vec![1, 2, 11, 12, 14, 15]);
    assert!(r.sod_error.is_none());
    let order: Vec<FileId> = r.files.iter().map(|f| f.id).collect();
    assert_eq!(
        order,
        vec![
            FileId::CardAccess,
            FileId::Com,
            FileId::Sod,
            FileId::Dg1,
            FileId::Dg2,
            FileId::Dg11,
            FileId::Dg12,
            FileId::Dg14,
            FileId::Dg15
        ]
    );
    for (name, id) in [
        ("EF_CardAccess.bin", FileId::CardAccess),
        ("EF_COM.bin", FileId::Com),
        ("EF_SOD.bin", FileId::Sod),
        ("DG1.bin", FileId::Dg1),
        ("DG2.bin", FileId::Dg2),
        ("DG15.bin", FileId::Dg15),
    ] {
        assert_eq!(r.file(id).unwrap(), bytes_of(&files, name), "{name}");
    }
    assert!(r.session.as_ref().unwrap().is_open());
}

#[test]
fn ef_com_that_hides_dg15_does_not_hide_it_from_the_session() {
    // A clone drops DG15 from EF.COM to avoid Active Authentication (pitfalls #2).
    let mut files = generated();
    for f in files.iter_mut() {
        if f.0 == "EF_COM.bin" {
            f.1 = lds_gen::encode_com("0108", "040000", &[0x61, 0x75]);
        }
    }
    let p = profile_from_files(&files, Some(&synthetic_mrz_information())).unwrap();
    let r = run(&mut VirtualChip::new(p, 2), SessionOptions::default()).unwrap();
    assert_eq!(r.file(FileId::Dg15).unwrap(), bytes_of(&files, "DG15.bin"));
}

#[test]
fn a_data_group_on_the_chip_but_not_in_the_sod_is_not_read() {
    let files = with_sod_listing(&[1, 2]);
    let p = profile_from_files(&files, Some(&synthetic_mrz_information())).unwrap();
    let r = run(&mut VirtualChip::new(p, 3), SessionOptions::default()).unwrap();
    assert_eq!(r.sod_data_groups, vec![1, 2]);
    assert!(r
        .files
        .iter()
        .all(|f| f.id != FileId::Dg11 && f.id != FileId::Dg15));
}

#[test]
fn listed_but_missing_and_eac_protected_groups_are_reported() {
    let files = with_sod_listing(&[1, 3, 16]);
    let p = profile_from_files(&files, Some(&synthetic_mrz_information())).unwrap();
    let r = run(&mut VirtualChip::new(p, 4), SessionOptions::default()).unwrap();
    assert!(matches!(
        outcome(&r, FileId::Dg3),
        FileOutcome::Skipped { .. }
    ));
    assert_eq!(outcome(&r, FileId::Dg16), &FileOutcome::NotFound);
    assert!(matches!(outcome(&r, FileId::Dg1), FileOutcome::Read(_)));
    // Asking for DG3 anyway: the chip refuses inside SM and the session goes on.
    let mut files = with_sod_listing(&[3, 1]);
    files.push((
        "DG3.bin".into(),
        inspectd::tlv::encode(0x63, &[0x02, 0x01, 0x00]),
    ));
    let p = profile_from_files(&files, Some(&synthetic_mrz_information())).unwrap();
    let opts = SessionOptions {
        read_eac_protected: true,
        ..SessionOptions::default()
    };
    let r = run(&mut VirtualChip::new(p, 4), opts).unwrap();
    assert_eq!(outcome(&r, FileId::Dg3), &FileOutcome::AccessDenied);
    assert!(matches!(outcome(&r, FileId::Dg1), FileOutcome::Read(_)));
}

#[test]
fn selected_data_groups_only() {
    let mut chip = VirtualChip::new(synthetic_bac_passport(GenParams::default()), 5);
    let opts = SessionOptions {
        data_groups: Some(vec![1]),
        ..SessionOptions::default()
    };
    let r = run(&mut chip, opts).unwrap();
    let dgs: Vec<FileId> = r
        .files
        .iter()
        .map(|f| f.id)
        .filter(|f| f.dg_number().is_some())
        .collect();
    assert_eq!(dgs, vec![FileId::Dg1]);
}

#[test]
fn unusable_sod_still_reads_dg1_and_says_why() {
    let mut files = generated();
    for f in files.iter_mut() {
        if f.0 == "EF_SOD.bin" {
            f.1 = inspectd::tlv::encode(0x77, &[0x30, 0x03, 0x02, 0x01, 0x00]);
        }
    }
    let p = profile_from_files(&files, Some(&synthetic_mrz_information())).unwrap();
    let r = run(&mut VirtualChip::new(p, 6), SessionOptions::default()).unwrap();
    assert!(r.sod_error.is_some());
    assert!(r.sod_data_groups.is_empty());
    assert_eq!(r.file(FileId::Dg1).unwrap(), bytes_of(&files, "DG1.bin"));
    assert!(r.file(FileId::Dg2).is_none());
}

#[test]
fn wrong_key_fails_with_authentication_refused() {
    let mut chip = VirtualChip::new(synthetic_bac_passport(GenParams::default()), 7);
    let bad = AccessKey::Mrz {
        mrz_information: "U12345678<850101<351231<".into(),
    };
    let s = ReadSession::new(
        &bad,
        SessionOptions::default(),
        &mut ChaCha20Rng::seed_from_u64(1),
    )
    .unwrap();
    let e = drive(s, &mut chip).unwrap_err();
    assert!(matches!(e, ChipError::AuthenticationFailed { .. }), "{e:?}");
}

#[test]
fn card_removed_mid_session_is_an_error_not_a_partial_result() {
    let mut chip = VirtualChip::new(synthetic_bac_passport(GenParams::default()), 8)
        .with_fault(Fault::CardRemovedAt(40));
    let e = run(&mut chip, SessionOptions::default()).unwrap_err();
    assert_eq!(e, ChipError::Transport(TransportError::CardRemoved));
}

#[test]
fn wrong_mac_anywhere_ends_the_session() {
    for at in [6, 12, 30, 60] {
        let mut chip = VirtualChip::new(synthetic_bac_passport(GenParams::default()), 8)
            .with_fault(Fault::WrongMacAt(at));
        let e = run(&mut chip, SessionOptions::default()).unwrap_err();
        assert!(matches!(e, ChipError::Sm(_)), "at {at}: {e:?}");
    }
}

#[test]
fn plain_chip_needs_the_policy_switch() {
    let mut p = synthetic_bac_passport(GenParams::default());
    p.access = Access::Plain;
    let e = run(
        &mut VirtualChip::new(p.clone(), 9),
        SessionOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, ChipError::Status { .. }), "{e:?}");
    let opts = SessionOptions {
        allow_plain: true,
        ..SessionOptions::default()
    };
    let r = run(&mut VirtualChip::new(p, 9), opts).unwrap();
    assert_eq!(r.access, AccessProtocol::Plain);
    assert!(r.session.is_none());
    assert!(r.file(FileId::Dg2).is_some());
}

#[test]
fn can_opens_pace_and_the_files_read_under_its_secure_messaging() {
    // Doc 9303-11 §4.4: a CAN is a PACE password (the BAC chip cannot take it).
    let p = inspectd::testkit::dataset::synthetic_pace_passport(
        GenParams::default(),
        &[("0.4.0.127.0.7.2.2.4.2.2", 13)],
    );
    let mut chip = VirtualChip::new(p, 21);
    let s = ReadSession::new(
        &AccessKey::Can(inspectd::testkit::dataset::SYNTHETIC_CAN.into()),
        SessionOptions::default(),
        &mut ChaCha20Rng::seed_from_u64(1),
    )
    .unwrap();
    let r = drive(s, &mut chip).unwrap();
    assert!(
        matches!(r.access, AccessProtocol::Pace(_)),
        "{:?}",
        r.access
    );
    let files = generated();
    assert_eq!(r.file(FileId::Dg2).unwrap(), bytes_of(&files, "DG2.bin"));
    assert!(r.session.as_ref().unwrap().is_open());
    let e = drive(
        ReadSession::new(
            &AccessKey::Can("123456".into()),
            SessionOptions::default(),
            &mut ChaCha20Rng::seed_from_u64(1),
        )
        .unwrap(),
        &mut VirtualChip::new(synthetic_bac_passport(GenParams::default()), 21),
    )
    .unwrap_err();
    assert!(matches!(e, ChipError::Pace(_)), "{e}");
}

#[test]
fn progress_goes_through_every_phase_and_counts_dg2_bytes() {
    let mut chip = VirtualChip::new(synthetic_bac_passport(GenParams::default()), 10);
    let mut phases: Vec<Phase> = Vec::new();
    let mut dg2_progress = Vec::new();
    let mut stats = ChipStats::default();
    let r = drive_observed(
        session(SessionOptions::default()),
        &mut chip,
        &mut stats,
        &mut |s, _| {
            let p = s.progress();
            if phases.last() != Some(&p.phase) {
                phases.push(p.phase);
            }
            if p.phase == Phase::ReadFile(FileId::Dg2) {
                dg2_progress.push((p.file_bytes, p.file_total));
            }
        },
    )
    .unwrap();
    // PACE is tried first (EF.CardAccess offers it; this chip refuses MSE:Set AT), then BAC.
    assert_eq!(
        &phases[..4],
        &[
            Phase::CardAccess,
            Phase::Pace,
            Phase::SelectApplication,
            Phase::Bac
        ]
    );
    assert!(phases.contains(&Phase::ReadFile(FileId::Sod)));
    // The observer runs between exchanges, so the last phase it sees is the last file.
    assert_eq!(phases.last(), Some(&Phase::ReadFile(FileId::Dg15)));
    let total = r.file(FileId::Dg2).unwrap().len();
    assert!(dg2_progress.windows(2).all(|w| w[0].0 <= w[1].0));
    assert!(dg2_progress.iter().any(|(_, t)| *t == Some(total)));
    assert_eq!(stats.apdus as usize, chip.apdu_count());
}

#[test]
fn bsi_reference_data_set_layout_loads_as_is() {
    // Entry "BSI TR-03105 Part 5 Reference Data Set ('Mustermann' EAC passport)" of
    // testdata/vectors/doc9303-worked-examples.json: EF.COM, DG1 and EF.SOD as published.
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/vectors/doc9303-worked-examples.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let e = v
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["name"]
                .as_str()
                .unwrap()
                .starts_with("BSI TR-03105 Part 5 Reference Data Set")
        })
        .unwrap();
    let hexf = |k: &str| {
        let s = e["fields"][k]
            .as_str()
            .or_else(|| e["fields"][k]["hex"].as_str())
            .unwrap();
        hex::decode(s.replace([' ', '\n'], "")).unwrap()
    };
    let dir = std::env::temp_dir().join(format!("inspectd-bsi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("EF_COM.bin"), hexf("EF.COM")).unwrap();
    std::fs::write(dir.join("Datagroup1.bin"), hexf("EF.DG1")).unwrap();
    std::fs::write(dir.join("EF_SOD.bin"), hexf("EF.SOD_hex")).unwrap();
    let profile: ChipProfile = load_dir(&dir, None).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let info = match &profile.access {
        Access::Bac { mrz_information } => mrz_information.clone(),
        other => panic!("{other:?}"),
    };
    let mut chip = VirtualChip::new(profile, 12);
    let s = ReadSession::new(
        &AccessKey::Mrz {
            mrz_information: info,
        },
        SessionOptions::default(),
        &mut ChaCha20Rng::seed_from_u64(3),
    )
    .unwrap();
    let r = drive(s, &mut chip).unwrap();
    assert_eq!(r.file(FileId::Dg1).unwrap(), hexf("EF.DG1"));
    assert_eq!(r.file(FileId::Sod).unwrap(), hexf("EF.SOD_hex"));
    // The reference SOD lists more groups than the three published files.
    assert!(r.sod_data_groups.contains(&1) && r.sod_data_groups.len() > 1);
    assert_eq!(outcome(&r, FileId::Dg2), &FileOutcome::NotFound);
}

#[test]
fn a_block_size_forced_by_the_chip_is_kept_for_later_files() {
    // The chip answers 6700 above Le 160: only the first file pays for the step-downs.
    let mut chip = VirtualChip::new(synthetic_bac_passport(GenParams::default()), 13)
        .with_fault(Fault::MaxLe(160));
    let mut stats = ChipStats::default();
    let r =
        inspectd::chip::drive_with_stats(session(SessionOptions::default()), &mut chip, &mut stats)
            .unwrap();
    let step_downs: u32 = r
        .files
        .iter()
        .filter_map(|f| match &f.outcome {
            FileOutcome::Read(x) => Some(x.stats.step_downs),
            _ => None,
        })
        .sum();
    let per_file: Vec<_> = r
        .files
        .iter()
        .map(|f| match &f.outcome {
            FileOutcome::Read(x) => (f.id, x.stats.step_downs, x.stats.block_size),
            _ => (f.id, 0, 0),
        })
        .collect();
    assert!(step_downs <= 3, "{step_downs} step-downs: {per_file:?}");
    let dg2 = r.file(FileId::Dg2).unwrap().len();
    assert!(dg2 > 25_000);
}

fn run_ext(p: ChipProfile) -> (ChipRead, usize) {
    let mut chip = VirtualChip::new(p, 14);
    chip_extended_transport(&mut chip)
}

/// Runs a session telling it that the reader path takes extended length.
fn chip_extended_transport(chip: &mut VirtualChip) -> (ChipRead, usize) {
    let opts = SessionOptions {
        max_response_len: 65_536,
        ..SessionOptions::default()
    };
    let r = run(chip, opts).unwrap();
    (r, chip.apdu_count())
}

#[test]
fn ef_atr_info_declaring_extended_length_is_used() {
    let p = inspectd::testkit::dataset::with_extended_length(synthetic_bac_passport(
        GenParams::default(),
    ));
    let (r, apdus) = run_ext(p);
    assert!(matches!(outcome(&r, FileId::AtrInfo), FileOutcome::Read(_)));
    assert_eq!(r.max_response_len, 65_536);
    // ATR/INFO, CardAccess, MSE:Set AT for PACE (refused: this chip announces PACE in
    // EF.CardAccess but runs BAC only), SELECT, 2 BAC, then one READ per file.
    assert_eq!(apdus, 6 + 8);
}

#[test]
fn ef_atr_info_declaring_short_only_caps_the_reader_path() {
    let mut p = synthetic_bac_passport(GenParams::default());
    p.extended_length = true;
    p.mf_files
        .insert(0x2F01, inspectd::lds::atr_info::encode(261, 258));
    let (r, _) = run_ext(p);
    assert_eq!(r.max_response_len, 256);
    assert!(r.file(FileId::Dg2).unwrap().len() > 25_000);
}

#[test]
fn without_ef_atr_info_the_transport_view_stands_and_step_down_recovers() {
    // A short-only chip behind an extended-length reader: 6700 on big Le, then learnt.
    let p = synthetic_bac_passport(GenParams::default());
    let (r, _) = run_ext(p);
    assert_eq!(outcome(&r, FileId::AtrInfo), &FileOutcome::NotFound);
    assert_eq!(
        r.file(FileId::Dg2).unwrap().len(),
        generated()
            .iter()
            .find(|f| f.0 == "DG2.bin")
            .unwrap()
            .1
            .len()
    );
}

#[test]
fn pace_in_ef_card_access_is_noticed() {
    let mut chip = VirtualChip::new(synthetic_bac_passport(GenParams::default()), 15);
    let r = run(&mut chip, SessionOptions::default()).unwrap();
    assert!(r.pace_offered);
    let mut p = synthetic_bac_passport(GenParams::default());
    p.mf_files.clear();
    let r = run(&mut VirtualChip::new(p, 15), SessionOptions::default()).unwrap();
    assert!(!r.pace_offered);
    assert_eq!(outcome(&r, FileId::CardAccess), &FileOutcome::NotFound);
}
