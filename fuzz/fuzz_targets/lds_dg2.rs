#![no_main]
use inspectd::lds::biometric::BiometricGroup;
use inspectd::lds::dg2::Dg2;
use inspectd::lds::FileId;
use libfuzzer_sys::fuzz_target;

// DG2 (19794-5 and 39794-5 face records) plus the shared DG3/DG4 structure parser, with the
// first byte rewritten so each structure parser sees well-tagged input often.
fuzz_target!(|data: &[u8]| {
    let _ = Dg2::parse(data);
    let _ = BiometricGroup::parse_file(FileId::Dg3, data);
    let _ = BiometricGroup::parse_file(FileId::Dg4, data);
    if let Some((_, rest)) = data.split_first() {
        let mut v = Vec::with_capacity(data.len());
        v.push(0x75);
        v.extend_from_slice(rest);
        let _ = Dg2::parse(&v);
    }
});
