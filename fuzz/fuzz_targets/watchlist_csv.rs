#![no_main]
use inspectd::watchlist::csv::{DeltaRows, Rows};
use inspectd::watchlist::Query;
use libfuzzer_sys::fuzz_target;

// The watchlist CSV readers (full and delta) on arbitrary bytes: no panic, bounded work, and
// every row they accept is found by an exact query built from its own fields (the reader and
// the query normalise alike).
fuzz_target!(|data: &[u8]| {
    if let Ok(rows) = Rows::new(data, "fuzz") {
        for row in rows.take(10_000) {
            let Ok((_line, Ok(r))) = row else { continue };
            if let Ok(q) = Query::new(
                &r.issuing_state,
                r.document_type.as_str(),
                &r.document_number,
            ) {
                assert!(q.matches_exact(&r), "{r:?}");
            }
        }
    }
    if let Ok(rows) = DeltaRows::new(data, "fuzz") {
        for row in rows.take(10_000) {
            let _ = row;
        }
    }
});
