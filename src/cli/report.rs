//! Printing an inspection report (the `inspectd.v1.Report` message) for an officer: the
//! verdict first, then every check. `--json` prints the proto3 JSON form instead.

use inspectd::grpc::pb;

fn status(s: i32) -> &'static str {
    match pb::CheckStatus::try_from(s).unwrap_or(pb::CheckStatus::Unspecified) {
        pb::CheckStatus::Passed => "passed",
        pb::CheckStatus::Failed => "FAILED",
        pb::CheckStatus::Warning => "warning",
        pb::CheckStatus::NotPerformed => "not performed",
        pb::CheckStatus::Unspecified => "-",
    }
}

/// `VALID`, `INVALID`, `INCONCLUSIVE`.
pub fn verdict_word(r: &pb::Report) -> &'static str {
    match pb::Verdict::try_from(r.verdict).unwrap_or(pb::Verdict::Unspecified) {
        pb::Verdict::Valid => "VALID",
        pb::Verdict::Invalid => "INVALID",
        pb::Verdict::Inconclusive => "INCONCLUSIVE",
        pb::Verdict::Unspecified => "UNKNOWN",
    }
}

/// Prints the report as text.
pub fn print_text(r: &pb::Report) {
    println!("VERDICT          {}", verdict_word(r));
    if !r.access_protocol.is_empty() {
        println!("access control   {}", r.access_protocol.to_uppercase());
    }
    if let Some(m) = &r.mrz {
        println!(
            "document         {} {} {}",
            m.document_code, m.issuing_state, m.document_number
        );
        println!(
            "holder           {}, {}",
            m.primary_identifier, m.secondary_identifier
        );
        // The MRZ gives YYMMDD; the century is resolved only where the parser could.
        if let Some(e) = &m.date_of_expiry {
            let shown = if e.resolved.is_empty() {
                &e.raw
            } else {
                &e.resolved
            };
            println!("expires          {shown}");
        }
    }
    println!("checks");
    for c in &r.checks {
        println!("  {:<24} {:<13} {}", c.id, status(c.status), c.reason);
        if c.id == "pa.dg_hashes" {
            for d in &c.details {
                println!("    {:<22} {}", d.id, d.reason);
            }
        }
    }
    if let Some(w) = &r.watchlist {
        for h in &w.records {
            println!(
                "  watchlist hit: list {} status {} reference {}",
                h.list, h.status, h.reference
            );
        }
        for h in &w.possible_matches {
            println!(
                "  possible match: list {} number {} status {}",
                h.list, h.document_number, h.status
            );
        }
    }
    if let Some(s) = &r.statistics {
        println!("files");
        for f in &s.files {
            println!(
                "  {:<16} {:<14} {:>7} bytes {:>4} APDUs",
                f.file, f.status, f.bytes, f.apdus
            );
        }
        let total = r
            .timings
            .iter()
            .find(|t| t.step == "total" || t.step == "chip total")
            .map_or(0.0, |t| t.milliseconds);
        println!(
            "{} APDUs, {} bytes sent, {} bytes received, {:.1} ms",
            s.apdus, s.bytes_sent, s.bytes_received, total
        );
    }
    if !r.timings.is_empty() {
        println!("timings");
        for t in &r.timings {
            if t.apdus > 0 {
                println!(
                    "  {:<36} {:>8.1} ms {:>4} APDUs",
                    t.step, t.milliseconds, t.apdus
                );
            } else {
                println!("  {:<36} {:>8.1} ms", t.step, t.milliseconds);
            }
        }
    }
    for f in &r.faces {
        println!(
            "face image       {} {}x{} ({} bytes)",
            f.format,
            f.width,
            f.height,
            f.data.len()
        );
    }
}

/// Prints the report as proto3 JSON.
pub fn print_json(r: &pb::Report) {
    println!("{}", inspectd::grpc::convert::report_json(r));
}
