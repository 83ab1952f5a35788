#![no_main]
//! Chip Authentication (Doc 9303-11 §6.2) terminal side against fuzzer-chosen responses: a
//! fixed P-256 or RFC 5114 DH chip key, CA v1 (3DES, AES) and the CA v2 nonce/token answer
//! (TR-03110-3 §B.3), fixed ephemeral keys; every response (MSE, GA, confirmation) comes from
//! the fuzzer. Must never panic and never yield a `ChipAuthenticated` token (the fuzzer cannot
//! forge the token or MACs under the new keys).
use inspectd::apdu::ResponseApdu;
use inspectd::chip::ca::{self, CaConfirm, CaCurve, CaGroup, ChipAuthentication};
use inspectd::crypto::dh::DhGroup;
use inspectd::chip::{ChipProtocol, Step};
use inspectd::lds::security_infos::SecurityInfos;
use inspectd::testkit::lds_gen;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// (DG14, CA version).
fn dg14s() -> &'static [(Vec<u8>, u64); 4] {
    static D: OnceLock<[(Vec<u8>, u64); 4]> = OnceLock::new();
    D.get_or_init(|| {
        let point = CaCurve::P256.public_point(&[7u8; 32]).expect("fixed scalar");
        let mk = |oid: &str, version: u64| {
            lds_gen::encode_dg14(&[
                lds_gen::chip_authentication_info(oid, version, Some(1)),
                lds_gen::chip_authentication_public_key_info_ecdh(12, &point, Some(1)),
            ])
        };
        let dh = DhGroup::by_parameter_id(0).expect("RFC 5114 group");
        let y = CaGroup::Dh(dh).public_key(&[7u8; 20]).expect("fixed exponent");
        let dh14 = lds_gen::encode_dg14(&[
            lds_gen::chip_authentication_info("0.4.0.127.0.7.2.2.3.1.2", 1, None),
            lds_gen::chip_authentication_public_key_info_dh(&lds_gen::spki_dh(0, None, &y), None),
        ]);
        [
            (mk("0.4.0.127.0.7.2.2.3.2.1", 1), 1),
            (mk("0.4.0.127.0.7.2.2.3.2.2", 1), 1),
            (dh14, 1),
            (mk("0.4.0.127.0.7.2.2.3.2.2", 2), 2),
        ]
    })
}

/// Splits the input into responses: `len(1) ‖ bytes`.
fn responses(mut data: &[u8]) -> Vec<ResponseApdu> {
    let mut out = Vec::new();
    while let [len, rest @ ..] = data {
        let n = usize::from(*len).min(rest.len());
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

fuzz_target!(|data: &[u8]| {
    let [sel, rest @ ..] = data else { return };
    let (dg14, version) = &dg14s()[usize::from(sel & 3)];
    let infos = SecurityInfos::parse_dg14(dg14).expect("fixed DG14");
    let params = ca::select_key_version(&infos, *version).expect("fixed key");
    let Ok(mut p) = ChipAuthentication::with_ephemeral_secret(params, &[9u8; 32]) else {
        return;
    };
    let mut rsps = responses(rest).into_iter();
    // The key agreement runs unwrapped here: the fuzzer plays the (already unwrapped) chip.
    let mut last = None;
    let agreed = loop {
        match p.resume(last.take()) {
            Ok(Step::Done(a)) => break a,
            Ok(Step::Transmit(_)) => match rsps.next() {
                Some(r) => last = Some(r),
                None => return,
            },
            Err(_) => return,
        }
    };
    // The confirmation is protected with the new keys: forged answers must fail.
    let mut c = CaConfirm::new(agreed);
    let mut last = None;
    loop {
        match c.resume(last.take()) {
            Ok(Step::Done(_)) => panic!("token from forged responses"),
            Ok(Step::Transmit(_)) => match rsps.next() {
                Some(r) => last = Some(r),
                None => return,
            },
            Err(_) => return,
        }
    }
});
