//! Inspection policy switches that change what the chip session may do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use inspectd::chip::{AccessKey, ChipError};
use inspectd::inspection::{inspect_chip, ChipOptions};
use inspectd::pa::CheckStatus;
use inspectd::testkit::dataset::{
    synthetic_bac_only_passport, synthetic_mrz_information, synthetic_pace_ca_passport,
};
use inspectd::testkit::lds_gen::GenParams;
use inspectd::testkit::VirtualChip;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn mrz_key() -> AccessKey {
    AccessKey::Mrz {
        mrz_information: synthetic_mrz_information(),
    }
}

#[test]
fn bac_not_allowed_refuses_a_bac_only_chip_and_still_reads_a_pace_chip() {
    let no_bac = ChipOptions {
        allow_bac: false,
        ..ChipOptions::default()
    };
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    // A BAC-only chip: refused, never read over BAC.
    let mut chip = VirtualChip::new(
        synthetic_bac_only_passport(GenParams::default()).unwrap(),
        1,
    );
    let e = inspect_chip(&mut chip, &mrz_key(), &no_bac, &mut rng, &mut |_| {}).unwrap_err();
    assert!(matches!(e, ChipError::Pace(_)), "{e:?}");
    // The same chip with BAC allowed (the default) is read.
    let mut chip = VirtualChip::new(
        synthetic_bac_only_passport(GenParams::default()).unwrap(),
        1,
    );
    let r = inspect_chip(
        &mut chip,
        &mrz_key(),
        &ChipOptions::default(),
        &mut rng,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(r.info.access_protocol, "bac");
    // A PACE chip is read with PACE either way.
    let pace = synthetic_pace_ca_passport(GenParams::default(), &[("0.4.0.127.0.7.2.2.4.2.2", 13)])
        .unwrap();
    let mut chip = VirtualChip::new(pace, 1);
    let r = inspect_chip(&mut chip, &mrz_key(), &no_bac, &mut rng, &mut |_| {}).unwrap();
    assert_eq!(r.info.access_protocol, "pace");
    assert_eq!(r.access_outcome().status, CheckStatus::Passed);
    assert_eq!(r.ca.status, CheckStatus::Passed);
    assert_eq!(r.aa.status, CheckStatus::Passed);
}
