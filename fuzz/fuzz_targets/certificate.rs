#![no_main]
//! Certificate parsing, key extraction (incl. explicit EC parameters) and signature checks.
use inspectd::pa::algorithms::VerifyingKey;
use inspectd::pa::cert::Certificate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = VerifyingKey::from_spki_der(data);
    if let Ok(c) = Certificate::from_der(data) {
        if let Ok(k) = c.public_key() {
            let _ = c.verify_signed_by(&k, 2048);
        }
        let _ = c.signature_scheme();
    }
    let _ = Certificate::from_pem_or_der(data);
});
