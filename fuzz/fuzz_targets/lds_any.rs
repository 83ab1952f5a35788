#![no_main]
use inspectd::lds::{self, FileId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = lds::identify(data);
    let _ = lds::parse(data);
    // Every parser on the same bytes, with the first byte selecting the file type.
    if let Some((sel, rest)) = data.split_first() {
        let all = FileId::ALL;
        if let Some(id) = all.get(usize::from(*sel) % all.len()) {
            let _ = lds::parse_as(*id, rest);
        }
    }
});
