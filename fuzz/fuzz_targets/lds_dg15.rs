#![no_main]
use inspectd::lds::dg15::Dg15;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Dg15::parse(data);
    // Also as a bare SubjectPublicKeyInfo wrapped in 6F.
    let _ = Dg15::parse(&inspectd::tlv::encode(0x6F, data));
});
