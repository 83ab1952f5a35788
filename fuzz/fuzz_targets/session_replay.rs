#![no_main]
//! The read session driven by fuzzer-chosen chip responses (length-prefixed trace, the
//! `testkit::Replay` format): once with BAC (responses must get through SM), once on the
//! plain-access path so that reading, length learning and EF.SOD parsing see hostile data.
use inspectd::chip::{drive, AccessKey, ReadSession, SessionOptions};
use inspectd::testkit::Replay;
use libfuzzer_sys::fuzz_target;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fuzz_target!(|data: &[u8]| {
    let Ok(replay) = Replay::parse_length_prefixed(data) else {
        return;
    };
    let key = AccessKey::Mrz {
        mrz_information: "L898902C<369080619406236".to_string(),
    };
    for allow_plain in [false, true] {
        let opts = SessionOptions {
            allow_plain,
            ..SessionOptions::default()
        };
        let mut t = replay.clone();
        if let Ok(s) = ReadSession::new(&key, opts, &mut ChaCha20Rng::seed_from_u64(1)) {
            let _ = drive(s, &mut t);
        }
    }
});
