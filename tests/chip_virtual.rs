//! Full protocol runs against the in-process virtual chip: BAC + SM + reads, every fault switch
//! giving its typed error (never a panic or a hang), and transcripts replayed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::time::Duration;

use inspectd::apdu::StatusWord;
use inspectd::chip::{
    drive, drive_with_stats, Bac, BacKey, CardTransport, ChipError, ChipStats, ReadFile,
    ReadOptions, SecureSession, Secured, SelectApplication, TransportError, MAX_SIZE_BIOMETRIC,
};
use inspectd::sm::SmError;
use inspectd::testkit::{Access, ChipProfile, Fault, Replay, VirtualChip};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// MRZ information of the Doc 9303-11 App. D.2 specimen (document L898902C<, born 690806,
/// expiring 940623): synthetic, as published by ICAO.
const MRZ_INFO: &str = "L898902C<369080619406236";

fn tlv(tag: u32, v: &[u8]) -> Vec<u8> {
    inspectd::tlv::encode(tag, v)
}

/// A data set with a DG2 of about `dg2_len` bytes (deterministic filler, not a real image).
fn files(dg2_len: usize) -> BTreeMap<u16, Vec<u8>> {
    let mut m = BTreeMap::new();
    m.insert(
        0x011E,
        tlv(
            0x60,
            &[tlv(0x5F01, b"0107"), tlv(0x5C, &[0x61, 0x75])].concat(),
        ),
    );
    let mrz =
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10";
    m.insert(0x0101, tlv(0x61, &tlv(0x5F1F, mrz.as_bytes())));
    let img: Vec<u8> = (0..dg2_len).map(|i| (i * 7 + i / 256) as u8).collect();
    m.insert(0x0102, tlv(0x75, &tlv(0x7F61, &img)));
    m
}

fn chip(dg2_len: usize) -> VirtualChip {
    VirtualChip::new(ChipProfile::bac(MRZ_INFO, files(dg2_len)), 7)
}

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(42)
}

fn open(t: &mut dyn CardTransport) -> Result<SecureSession, ChipError> {
    drive(SelectApplication::emrtd(), t)?;
    let key = BacKey::from_mrz_information(MRZ_INFO);
    drive(Bac::new(&key, &mut rng()), t)
}

fn read(
    t: &mut dyn CardTransport,
    s: SecureSession,
    sfi: u8,
) -> (Result<Vec<u8>, ChipError>, SecureSession) {
    let opts =
        ReadOptions::secured(&s, t.max_response_len()).with_max_file_size(MAX_SIZE_BIOMETRIC);
    let mut p = Secured::new(s, ReadFile::by_sfi(sfi, opts));
    let r = drive(&mut p, t).map(|f| f.bytes);
    (r, p.into_parts().0)
}

#[test]
fn bac_session_reads_every_file_byte_for_byte() {
    let mut c = chip(25_000);
    let s = open(&mut c).unwrap();
    assert!(c.sm_active());
    let want = files(25_000);
    let (com, s) = read(&mut c, s, 0x1E);
    assert_eq!(com.unwrap(), want[&0x011E]);
    let (dg1, s) = read(&mut c, s, 0x01);
    assert_eq!(dg1.unwrap(), want[&0x0101]);
    let (dg2, s) = read(&mut c, s, 0x02);
    assert_eq!(dg2.unwrap(), want[&0x0102]);
    assert!(s.is_open());
}

#[test]
fn wrong_mrz_is_refused_by_the_chip() {
    let mut c = VirtualChip::new(ChipProfile::bac("L898902C<369080619406244", files(10)), 1);
    let e = open(&mut c).unwrap_err();
    assert!(matches!(e, ChipError::AuthenticationFailed { .. }), "{e:?}");
}

#[test]
fn reading_without_access_control_is_denied_on_a_bac_chip() {
    let mut c = chip(100);
    drive(SelectApplication::emrtd(), &mut c).unwrap();
    let e = drive(ReadFile::by_sfi(0x01, ReadOptions::plain(256)), &mut c).unwrap_err();
    assert!(matches!(e, ChipError::AccessDenied { .. }), "{e:?}");
}

#[test]
fn plain_chip_reads_without_sm() {
    let mut p = ChipProfile::bac(MRZ_INFO, files(600));
    p.access = Access::Plain;
    let mut c = VirtualChip::new(p, 3);
    drive(SelectApplication::emrtd(), &mut c).unwrap();
    let f = drive(ReadFile::by_sfi(0x02, ReadOptions::plain(256)), &mut c).unwrap();
    assert_eq!(f.bytes, files(600)[&0x0102]);
}

#[test]
fn eac_protected_dg3_is_access_denied_inside_sm_and_session_survives() {
    let mut m = files(100);
    m.insert(0x0103, tlv(0x63, &[1, 2, 3]));
    let mut c = VirtualChip::new(ChipProfile::bac(MRZ_INFO, m), 9);
    let s = open(&mut c).unwrap();
    let (dg3, s) = read(&mut c, s, 0x03);
    assert!(matches!(dg3.unwrap_err(), ChipError::AccessDenied { .. }));
    assert!(s.is_open());
    let (dg1, _) = read(&mut c, s, 0x01);
    assert!(dg1.is_ok());
}

#[test]
fn wrong_mac_ends_the_session() {
    // APDUs: 1 SELECT, 2 GET CHALLENGE, 3 EXTERNAL AUTHENTICATE, 4 first protected READ.
    let mut c = chip(2000).with_fault(Fault::WrongMacAt(5));
    let s = open(&mut c).unwrap();
    let (r, s) = read(&mut c, s, 0x02);
    assert!(matches!(
        r.unwrap_err(),
        ChipError::Sm(SmError::MacMismatch { .. })
    ));
    assert!(!s.is_open());
    // A closed session never produces data again.
    let (again, _) = read(&mut c, s, 0x01);
    assert!(matches!(
        again.unwrap_err(),
        ChipError::Sm(SmError::SessionClosed)
    ));
}

#[test]
fn plain_status_word_inside_sm_ends_the_session() {
    let mut c = chip(500).with_fault(Fault::WrongSwAt(4, 0x6982));
    let s = open(&mut c).unwrap();
    let (r, s) = read(&mut c, s, 0x01);
    assert!(
        matches!(r.unwrap_err(), ChipError::Sm(SmError::PlainResponse { sw }) if sw == StatusWord(0x6982))
    );
    assert!(!s.is_open());
}

#[test]
fn truncated_response_is_a_typed_error() {
    let mut c = chip(500).with_fault(Fault::TruncatedResponseAt(4));
    let s = open(&mut c).unwrap();
    let (r, _) = read(&mut c, s, 0x01);
    assert!(matches!(r.unwrap_err(), ChipError::Apdu(_)));
}

#[test]
fn card_removed_mid_read_is_reported_at_once() {
    let mut c = chip(25_000).with_fault(Fault::CardRemovedAt(20));
    let s = open(&mut c).unwrap();
    let (r, _) = read(&mut c, s, 0x02);
    assert_eq!(
        r.unwrap_err(),
        ChipError::Transport(TransportError::CardRemoved)
    );
    // Every later command fails the same way (no partial data passed off as complete).
    assert_eq!(
        c.transmit(&[0, 0xA4, 4, 0x0C]),
        Err(TransportError::CardRemoved)
    );
}

#[test]
fn chip_that_takes_only_160_bytes_is_read_with_smaller_blocks() {
    let mut c = chip(5_000).with_fault(Fault::MaxLe(160));
    let s = open(&mut c).unwrap();
    let (r, _) = read(&mut c, s, 0x02);
    assert_eq!(r.unwrap(), files(5_000)[&0x0102]);
}

#[test]
fn huge_declared_length_is_refused_before_reading_it() {
    let mut c = chip(500).with_fault(Fault::HugeDeclaredLength(0x0102));
    let s = open(&mut c).unwrap();
    let before = c.apdu_count();
    let (r, _) = read(&mut c, s, 0x02);
    assert!(matches!(r.unwrap_err(), ChipError::FileTooLarge { .. }));
    assert_eq!(
        c.apdu_count() - before,
        1,
        "one READ BINARY, then the cap applies"
    );
}

#[test]
fn slow_chip_still_completes() {
    let mut c = chip(300).with_fault(Fault::Slow(Duration::from_millis(2)));
    let s = open(&mut c).unwrap();
    let (r, _) = read(&mut c, s, 0x01);
    assert!(r.is_ok());
}

#[test]
fn extended_length_chip_reads_dg2_in_few_apdus() {
    let mut p = ChipProfile::bac(MRZ_INFO, files(25_000));
    p.extended_length = true;
    let mut c = VirtualChip::new(p, 5);
    let s = open(&mut c).unwrap();
    let before = c.apdu_count();
    let (r, _) = read(&mut c, s, 0x02);
    assert_eq!(r.unwrap(), files(25_000)[&0x0102]);
    assert!(
        c.apdu_count() - before <= 2,
        "{} APDUs",
        c.apdu_count() - before
    );
}

/// Records every exchange, for turning a session into a replayable transcript.
struct Recorder<'a> {
    inner: &'a mut dyn CardTransport,
    log: String,
}

impl CardTransport for Recorder<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let r = self.inner.transmit(command)?;
        self.log += &format!(
            "> {}\n< {}\n",
            hex::encode_upper(command),
            hex::encode_upper(&r)
        );
        Ok(r)
    }
    fn max_response_len(&self) -> usize {
        self.inner.max_response_len()
    }
}

#[test]
fn a_recorded_session_replays_identically_and_detects_divergence() {
    let mut c = chip(3_000);
    let mut rec = Recorder {
        inner: &mut c,
        log: String::new(),
    };
    let s = open(&mut rec).unwrap();
    let (dg2, _) = read(&mut rec, s, 0x02);
    let dg2 = dg2.unwrap();
    let transcript = rec.log;

    let mut replay = Replay::parse_transcript(&transcript).unwrap();
    let s = open(&mut replay).unwrap();
    let (again, _) = read(&mut replay, s, 0x02);
    assert_eq!(again.unwrap(), dg2);
    assert_eq!(replay.remaining(), 0);

    // Another terminal nonce gives other commands: the replay refuses them.
    let mut replay = Replay::parse_transcript(&transcript).unwrap();
    drive(SelectApplication::emrtd(), &mut replay).unwrap();
    let key = BacKey::from_mrz_information(MRZ_INFO);
    let e = drive(
        Bac::new(&key, &mut ChaCha20Rng::seed_from_u64(1)),
        &mut replay,
    )
    .unwrap_err();
    assert!(matches!(e, ChipError::Transport(TransportError::Io { .. })));
}

#[test]
fn length_prefixed_traces_round_trip() {
    let rs = vec![vec![0x90, 0x00], vec![1, 2, 3, 0x62, 0x82]];
    let enc = Replay::encode_length_prefixed(&rs);
    let mut r = Replay::parse_length_prefixed(&enc).unwrap();
    assert_eq!(r.transmit(&[0]).unwrap(), rs[0]);
    assert_eq!(r.transmit(&[0]).unwrap(), rs[1]);
    assert_eq!(r.transmit(&[0]), Err(TransportError::CardRemoved));
    assert!(Replay::parse_length_prefixed(&[0, 5, 1]).is_err());
}

#[test]
fn stats_count_every_apdu() {
    let mut c = chip(1_000);
    let mut stats = ChipStats::default();
    drive_with_stats(SelectApplication::emrtd(), &mut c, &mut stats).unwrap();
    let key = BacKey::from_mrz_information(MRZ_INFO);
    drive_with_stats(Bac::new(&key, &mut rng()), &mut c, &mut stats).unwrap();
    assert_eq!(stats.apdus, 3);
    assert_eq!(stats.apdus as usize, c.apdu_count());
}
