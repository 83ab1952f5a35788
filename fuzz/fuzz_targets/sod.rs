#![no_main]
use inspectd::lds::sod::{LdsSecurityObject, Sod};
use inspectd::lds::FileId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Sod::parse(data);
    let _ = Sod::parse(&inspectd::tlv::encode(0x77, data));
    let _ = LdsSecurityObject::parse(FileId::Sod, data, 0);
});
