#![no_main]
use inspectd::mrz;
use libfuzzer_sys::fuzz_target;

// The MRZ parser on arbitrary text: as DG1 content (lines concatenated) and as printed lines.
// A successful parse must also survive the derived accessors.
fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let today = mrz::Date {
        year: 2025,
        month: 6,
        day: 15,
    };
    if let Ok(m) = mrz::parse_dg1_at(text, today) {
        let _ = (m.valid(), m.mrz_information(), m.lines());
    }
    let lines: Vec<&str> = text.split('\n').collect();
    if let Ok(m) = mrz::parse_at(&lines, today) {
        let _ = (m.valid(), m.mrz_information());
        assert_eq!(m.lines(), lines);
    }
});
