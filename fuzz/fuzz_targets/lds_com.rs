#![no_main]
use inspectd::lds::com::Com;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = Com::parse(data) {
        let _ = (c.files(), c.unknown_tags(), c.lds_version.dotted());
    }
});
