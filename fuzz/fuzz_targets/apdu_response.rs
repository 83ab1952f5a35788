#![no_main]
use inspectd::apdu::{CommandApdu, ResponseApdu};
use libfuzzer_sys::fuzz_target;

// Both parsers on arbitrary bytes; whatever parses must re-encode to the same bytes where the
// encoding is canonical, and never panic.
fuzz_target!(|data: &[u8]| {
    if let Ok(r) = ResponseApdu::parse(data) {
        assert_eq!(r.encode(), data);
        let _ = r.sw.meaning();
    }
    if let Ok(c) = CommandApdu::parse(data) {
        let _ = c.is_extended();
        let re = c.encode();
        assert_eq!(CommandApdu::parse(&re).ok(), Some(c));
    }
});
