#![no_main]
use inspectd::lds::dg1::Dg1;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = Dg1::parse(data) {
        let _ = d.mrz();
    }
});
