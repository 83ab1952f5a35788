#![no_main]
use inspectd::apdu::ResponseApdu;
use inspectd::sm::{SmCipher, SmKeys, SmSession};
use libfuzzer_sys::fuzz_target;

// Terminal-side unwrap with fixed keys of fuzzer-chosen responses. Must never panic, and Ok is
// only possible if the fuzzer produced a valid MAC (vanishingly unlikely: 2^-64), so any Ok is
// reported as a finding.
fuzz_target!(|data: &[u8]| {
    let (first, rest) = match data.split_first() {
        Some(x) => x,
        None => return,
    };
    let cipher = match first % 4 {
        0 => SmCipher::Tdes,
        1 => SmCipher::Aes128,
        2 => SmCipher::Aes192,
        _ => SmCipher::Aes256,
    };
    let keys = SmKeys::new(cipher, &vec![0x11; cipher.key_len()], &vec![0x22; cipher.key_len()])
        .expect("fixed key lengths");
    let mut s = SmSession::new(keys, &vec![0; cipher.block_len()]).expect("fixed SSC length");
    if let Ok(rsp) = ResponseApdu::parse(rest) {
        let r = s.unwrap(&rsp);
        assert!(r.is_err(), "unwrap accepted a response with an unverified MAC");
        assert!(!s.is_open());
        assert!(s.unwrap(&rsp).is_err());
    }
});
