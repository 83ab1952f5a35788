//! APDU efficiency of a full read session (bench binary, not a timed test).
//!
//! For the synthetic passport with a 25 KB DG2, against chips with different maximum response
//! sizes, prints the APDUs and bytes a full BAC read session uses and the minimum for that
//! chip: setup (EF.CardAccess, SELECT, GET CHALLENGE, EXTERNAL AUTHENTICATE) plus, per file,
//! ceil(length / largest plain block the chip and SM allow). Target: at most 5% above the
//! minimum. Run: `cargo bench --bench read_efficiency`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use inspectd::chip::CardTransport;
use inspectd::chip::{drive_with_stats, AccessKey, ChipStats, ReadSession, SessionOptions};
use inspectd::sm::{max_plain_response_len, SmCipher};
use inspectd::testkit::dataset::{
    synthetic_bac_passport, synthetic_mrz_information, with_extended_length,
};
use inspectd::testkit::lds_gen::GenParams;
use inspectd::testkit::{Fault, VirtualChip};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn main() {
    let params = GenParams {
        jpeg_size: 25 * 1024,
        ..GenParams::default()
    };
    println!(
        "{:<34} {:>6} {:>8} {:>9} {:>9} {:>8}",
        "chip", "block", "APDUs", "minimum", "overhead", "bytes"
    );
    for (name, extended, max_le) in [
        ("short APDUs, Le up to 256", false, None),
        ("short APDUs, chip takes Le <= 160", false, Some(160usize)),
        ("short APDUs, chip takes Le <= 128", false, Some(128)),
        ("extended length", true, None),
    ] {
        let mut profile = synthetic_bac_passport(params);
        if extended {
            profile = with_extended_length(profile);
        }
        let mut chip = VirtualChip::new(profile.clone(), 1);
        if let Some(l) = max_le {
            chip = chip.with_fault(Fault::MaxLe(l));
        }
        let max_resp = chip.max_response_len();
        let key = AccessKey::Mrz {
            mrz_information: synthetic_mrz_information(),
        };
        let opts = SessionOptions {
            max_response_len: max_resp,
            ..SessionOptions::default()
        };
        let s = ReadSession::new(&key, opts, &mut ChaCha20Rng::seed_from_u64(2)).unwrap();
        let mut stats = ChipStats::default();
        let read = drive_with_stats(s, &mut chip, &mut stats).unwrap();
        let sm_block = max_plain_response_len(SmCipher::Tdes, max_resp, false);
        let block = max_le.map_or(sm_block, |l| l.min(sm_block));
        // EF.CardAccess is read before SM, with the plain block.
        let plain_block = max_le.map_or(max_resp, |l| l.min(max_resp));
        // SELECT, GET CHALLENGE, EXTERNAL AUTHENTICATE (+ EF.ATR/INFO when it is read).
        let mut minimum = 3u64;
        for f in &read.files {
            if let Some(b) = f.bytes() {
                let blk = if f.id.in_master_file() {
                    plain_block
                } else {
                    block
                };
                minimum += b.len().div_ceil(blk) as u64;
            }
        }
        let overhead = (stats.apdus as f64 / minimum as f64 - 1.0) * 100.0;
        println!(
            "{:<34} {:>6} {:>8} {:>9} {:>8.1}% {:>8}",
            name,
            block,
            stats.apdus,
            minimum,
            overhead,
            stats.bytes_sent + stats.bytes_received
        );
    }
}
