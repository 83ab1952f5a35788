#![no_main]
use inspectd::tlv::{Limits, Reader};
use libfuzzer_sys::fuzz_target;

// Walks every TLV recursively (depth capped by Limits) in both DER and BER modes.
fn walk(mut r: Reader<'_>) {
    while let Ok(Some(t)) = r.next() {
        if t.tag.is_constructed() {
            if let Ok(c) = t.children() {
                walk(c);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    walk(Reader::new(data));
    let ber = Limits { allow_indefinite: true, ..Limits::default() };
    walk(Reader::with_limits(data, ber));
});
