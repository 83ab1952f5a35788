#![no_main]
//! CRL parsing and signature check against a fixed CSCA key (the parse happens before any
//! signature check, as in RUSTSEC-2026-0104; it must never panic).
use inspectd::pa::cert::{Certificate, Crl};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(crl) = Crl::from_der(data) {
        if let Ok(c) = Certificate::from_der(include_bytes!("../../testdata/pki/csca-rsa.der")) {
            if let Ok(k) = c.public_key() {
                let _ = crl.verify_signed_by(&k, 2048);
            }
        }
        let _ = crl.lists(&[1]);
    }
});
