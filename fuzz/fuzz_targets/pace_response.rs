#![no_main]
//! The PACE terminal (Doc 9303-11 §4.4) against fuzzer-chosen chip responses: fixed password
//! and secrets, a protocol chosen by the first byte (ECDH-GM, DH-GM, ECDH-IM, DH-IM, ECDH-CAM;
//! 3DES or AES), every response (MSE, the four GENERAL AUTHENTICATE steps) from the fuzzer.
//! Must never panic, and never establish a channel: that would need a token T_IC under keys
//! only the password holder can derive.
use inspectd::apdu::ResponseApdu;
use inspectd::chip::pace::{Pace, PaceParams, PacePassword, PaceSecrets};
use inspectd::chip::{ChipProtocol, Step};
use libfuzzer_sys::fuzz_target;
use num_bigint::BigUint;

/// Splits the input into responses: `len_hi len_lo ‖ bytes` (DH answers exceed 255 bytes).
fn responses(mut data: &[u8]) -> Vec<ResponseApdu> {
    let mut out = Vec::new();
    while let [hi, lo, rest @ ..] = data {
        let n = (usize::from(*hi) << 8 | usize::from(*lo)).min(rest.len());
        let (r, tail) = rest.split_at(n);
        if let Ok(rsp) = ResponseApdu::parse(r) {
            out.push(rsp);
        }
        data = tail;
        if out.len() > 8 {
            break;
        }
    }
    out
}

const PROTOCOLS: [(&[u8], u64); 6] = [
    (&[2, 2], 13), // ECDH-GM AES-128 brainpoolP256r1
    (&[2, 1], 12), // ECDH-GM 3DES P-256
    (&[1, 2], 0),  // DH-GM AES-128 1024-bit
    (&[4, 2], 13), // ECDH-IM AES-128
    (&[3, 4], 0),  // DH-IM AES-256
    (&[6, 2], 13), // ECDH-CAM AES-128
];

fuzz_target!(|data: &[u8]| {
    let [sel, rest @ ..] = data else { return };
    let (arcs, id) = PROTOCOLS[usize::from(*sel) % PROTOCOLS.len()];
    let mut oid = vec![0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04];
    oid.extend_from_slice(arcs);
    let mut params = PaceParams::standardized(&oid, id).expect("fixed protocol");
    params.send_parameter_ref = sel & 0x80 != 0;
    let secrets = PaceSecrets {
        sk_map: BigUint::from(0x1234_5678_9abc_u64),
        sk_eph: BigUint::from(0x0fed_cba9_8765_u64),
        t: vec![0x5A; params.cipher().key_len()],
    };
    let mut p = Pace::with_secrets(params, &PacePassword::Can("271828".into()), secrets);
    let mut rsps = responses(rest).into_iter();
    let mut last = None;
    loop {
        match p.resume(last.take()) {
            Ok(Step::Done(_)) => panic!("PACE established from forged responses"),
            Ok(Step::Transmit(_)) => match rsps.next() {
                Some(r) => last = Some(r),
                None => return,
            },
            Err(_) => return,
        }
    }
});
