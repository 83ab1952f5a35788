#![no_main]
//! Passive Authentication over a fuzzed EF.SOD (raw and 77-wrapped), and over the same bytes as
//! EF.CardSecurity, against the synthetic PKI trust anchors embedded at build time: must never
//! panic.
use inspectd::lds::{FileId, RawFile};
use inspectd::pa::{self, PaPolicy};
use inspectd::trust::{Provenance, TrustSnapshot};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn trust() -> &'static TrustSnapshot {
    static T: OnceLock<TrustSnapshot> = OnceLock::new();
    T.get_or_init(|| {
        let p = || Provenance {
            source: "fuzz".into(),
            imported_at: 0,
        };
        TrustSnapshot::builder()
            .any(include_bytes!("../../testdata/pki/csca-rsa.der"), p())
            .and_then(|b| b.any(include_bytes!("../../testdata/pki/csca-p256.der"), p()))
            .and_then(|b| b.any(include_bytes!("../../testdata/pki/crl-rsa.der"), p()))
            .map(|b| b.build())
            .unwrap_or_default()
    })
}

fuzz_target!(|data: &[u8]| {
    let dg1 = include_bytes!("../../testdata/lds/generated/DG1.bin").to_vec();
    for sod in [data.to_vec(), inspectd::tlv::encode(0x77, data)] {
        let files = vec![
            RawFile { id: FileId::Sod, bytes: sod },
            RawFile { id: FileId::Dg1, bytes: dg1.clone() },
        ];
        let _ = pa::verify(&files, trust(), 1_780_000_000, &PaPolicy::default());
    }
    let _ = pa::verify_card_security(Some(data), trust(), 1_780_000_000, &PaPolicy::default());
});
