#![no_main]
//! Active Authentication verification (Doc 9303-11 §6.1) over fuzzer-chosen signature bytes
//! and challenge, with fixed synthetic keys: must never panic and never verify.
use inspectd::chip::aa::{self, decode_message_representative, AaPolicy};
use inspectd::lds::dg15::Dg15;
use inspectd::lds::security_infos::SecurityInfos;
use inspectd::testkit::{aa_keys, lds_gen};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

struct Keys {
    rsa: Vec<u8>,
    p256: Vec<u8>,
    dg14: Vec<u8>,
}

fn keys() -> &'static Keys {
    static K: OnceLock<Keys> = OnceLock::new();
    K.get_or_init(|| {
        let rsa = aa_keys::RSA_1024_A.key().expect("committed key");
        let (n, e) = aa_keys::rsa_public_parts(&rsa);
        let p = aa_keys::p256_key();
        Keys {
            rsa: lds_gen::encode_dg15(&lds_gen::spki_rsa(&n, &e)),
            p256: lds_gen::encode_dg15(&lds_gen::spki_ec_named(
                "1.2.840.10045.3.1.7",
                &aa_keys::p256_point(&p),
            )),
            dg14: lds_gen::encode_dg14(&[lds_gen::active_authentication_info(
                "0.4.0.127.0.7.1.1.4.1.3",
            )]),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = decode_message_representative(data);
    let [sel, c0, c1, c2, c3, c4, c5, c6, c7, sig @ ..] = data else {
        return;
    };
    let challenge = [*c0, *c1, *c2, *c3, *c4, *c5, *c6, *c7];
    let k = keys();
    let infos = SecurityInfos::parse_dg14(&k.dg14).expect("fixed DG14");
    let info = aa::find_aa_info(&infos);
    let dg15 = if sel & 1 == 0 { &k.rsa } else { &k.p256 };
    let dg15 = Dg15::parse(dg15).expect("fixed DG15");
    let policy = AaPolicy::default();
    assert!(aa::verify_dg15(&dg15, info, &challenge, sig, &policy).is_err());
});
