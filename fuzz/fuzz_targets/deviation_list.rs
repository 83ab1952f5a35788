#![no_main]
//! Deviation-list parsing (Doc 9303-12 §10) over hostile bytes: never panics, and never
//! accepts a list whose signer does not chain to the (fixed) anchor.
use inspectd::pa::cert::Certificate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = inspectd::trust::deviation::parse_stored(data);
    let anchor = Certificate::from_der(include_bytes!("../../testdata/pki/csca-p256.der"));
    if let Ok(a) = anchor {
        // csca-p256 signed no deviation-list signer in the test PKI.
        let r = inspectd::trust::deviation::parse_and_verify(data, &[a], 1_780_000_000, 2048);
        assert!(r.is_err());
    }
});
