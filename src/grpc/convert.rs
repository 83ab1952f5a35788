//! Library results to the `inspectd.v1` messages (the only place that maps them, so the CLI's
//! `--json` and gRPC answer with one schema).

use super::pb;
use crate::inspection::report::{InspectionReport, ReadInfo, Verdict};
use crate::mrz::{Mrz, MrzDate, MrzFormat};
use crate::pa::CheckStatus;
use crate::watchlist::{Hit, LookupResult};

fn format(f: MrzFormat) -> pb::MrzFormat {
    match f {
        MrzFormat::Td1 => pb::MrzFormat::Td1,
        MrzFormat::Td2 => pb::MrzFormat::Td2,
        MrzFormat::Td3 => pb::MrzFormat::Td3,
        MrzFormat::MrvA => pb::MrzFormat::Mrva,
        MrzFormat::MrvB => pb::MrzFormat::Mrvb,
        #[allow(unreachable_patterns)]
        _ => pb::MrzFormat::Unspecified,
    }
}

fn date(d: &MrzDate) -> pb::MrzDate {
    pb::MrzDate {
        raw: d.raw.clone(),
        resolved: d.resolved.clone().unwrap_or_default(),
    }
}

/// A parsed MRZ.
pub fn mrz(m: &Mrz) -> pb::Mrz {
    pb::Mrz {
        format: format(m.format) as i32,
        document_code: m.document_code.clone(),
        issuing_state: m.issuing_state.clone(),
        issuing_state_name: m.issuing_state_name.unwrap_or_default().to_string(),
        document_number: m.document_number.clone(),
        primary_identifier: m.primary_identifier.clone(),
        secondary_identifier: m.secondary_identifier.clone(),
        nationality: m.nationality.clone(),
        nationality_name: m.nationality_name.unwrap_or_default().to_string(),
        date_of_birth: Some(date(&m.date_of_birth)),
        date_of_expiry: Some(date(&m.date_of_expiry)),
        sex: m.sex.as_char().to_string(),
        optional_data: m.optional_data.clone(),
        optional_data_2: m.optional_data_2.clone().unwrap_or_default(),
        check_digits: m
            .check_digits
            .iter()
            .map(|c| pb::CheckDigit {
                field: c.field.name().to_string(),
                expected: c.expected.to_string(),
                computed: c.computed.to_string(),
                valid: c.valid,
            })
            .collect(),
        valid: m.valid(),
    }
}

/// The proto enum of a check status.
pub fn status(s: CheckStatus) -> pb::CheckStatus {
    match s {
        CheckStatus::Passed => pb::CheckStatus::Passed,
        CheckStatus::Failed => pb::CheckStatus::Failed,
        CheckStatus::Warning => pb::CheckStatus::Warning,
        CheckStatus::NotPerformed => pb::CheckStatus::NotPerformed,
    }
}

/// The proto enum of a verdict.
pub fn verdict(v: Verdict) -> pb::Verdict {
    match v {
        Verdict::Valid => pb::Verdict::Valid,
        Verdict::Invalid => pb::Verdict::Invalid,
        Verdict::Inconclusive => pb::Verdict::Inconclusive,
    }
}

fn hit(h: &Hit) -> pb::WatchlistRecord {
    let r = &h.record;
    pb::WatchlistRecord {
        list: r.list.clone(),
        issuing_state: r.issuing_state.clone(),
        document_type: r.document_type.as_str().to_string(),
        document_number: r.document_number.clone(),
        status: r.status.as_str().to_string(),
        reference: r.reference.clone().unwrap_or_default(),
        reported_date: r.reported_date.clone().unwrap_or_default(),
    }
}

/// A watchlist answer.
pub fn watchlist(r: &LookupResult) -> pb::WatchlistResult {
    pb::WatchlistResult {
        listed: r.listed,
        records: r.records.iter().map(hit).collect(),
        possible_matches: r.possible_matches.iter().map(hit).collect(),
    }
}

fn statistics(r: &ReadInfo) -> pb::ReadStatistics {
    pb::ReadStatistics {
        apdus: r.apdus,
        bytes_sent: r.bytes_sent,
        bytes_received: r.bytes_received,
        files: r
            .files
            .iter()
            .map(|f| pb::FileRead {
                file: f.file.clone(),
                status: f.status.clone(),
                bytes: f.bytes,
                apdus: f.apdus,
            })
            .collect(),
    }
}

/// The whole report. `extra_timings` are steps the caller measured (PA, watchlist).
pub fn report(r: &InspectionReport, extra_timings: &[(&str, f64)]) -> pb::Report {
    let mut timings: Vec<pb::StepTiming> = r
        .read
        .iter()
        .flat_map(|i| i.timings.iter())
        .map(|t| pb::StepTiming {
            step: t.step.clone(),
            milliseconds: t.milliseconds,
            apdus: t.apdus,
        })
        .collect();
    timings.extend(extra_timings.iter().map(|(s, ms)| pb::StepTiming {
        step: (*s).to_string(),
        milliseconds: *ms,
        apdus: 0,
    }));
    pb::Report {
        verdict: verdict(r.verdict) as i32,
        checks: r
            .checks
            .iter()
            .map(|c| pb::Check {
                id: c.id.clone(),
                status: status(c.status) as i32,
                reason: c.reason.clone(),
                details: c
                    .details
                    .iter()
                    .map(|(k, v)| pb::Check {
                        id: k.clone(),
                        status: detail_status(v) as i32,
                        reason: v.clone(),
                        details: Vec::new(),
                    })
                    .collect(),
            })
            .collect(),
        mrz: r.mrz.as_ref().map(mrz),
        access_protocol: r
            .read
            .as_ref()
            .map(|i| i.access_protocol.clone())
            .unwrap_or_default(),
        statistics: r.read.as_ref().map(statistics),
        timings,
        watchlist: r.watchlist.as_ref().map(watchlist),
        details: r.details.as_ref().map(|d| pb::DocumentDetails {
            full_name: d.full_name.clone().unwrap_or_default(),
            personal_number: d.personal_number.clone().unwrap_or_default(),
            full_date_of_birth: d.full_date_of_birth.clone().unwrap_or_default(),
            place_of_birth: d.place_of_birth.clone().unwrap_or_default(),
            address: d.address.clone().unwrap_or_default(),
            profession: d.profession.clone().unwrap_or_default(),
            issuing_authority: d.issuing_authority.clone().unwrap_or_default(),
            date_of_issue: d.date_of_issue.clone().unwrap_or_default(),
        }),
        faces: r
            .faces
            .iter()
            .map(|f| pb::FaceImage {
                format: f.format.clone(),
                data: f.data.clone(),
                width: f.width.unwrap_or(0),
                height: f.height.unwrap_or(0),
            })
            .collect(),
    }
}

/// Per-item details: PA writes `passed`, `failed: ...`, `not_performed: ...` for items with
/// an outcome (data groups) and plain values (subjects, serials) for the rest.
fn detail_status(v: &str) -> pb::CheckStatus {
    if v.starts_with("passed") {
        pb::CheckStatus::Passed
    } else if v.starts_with("failed") {
        pb::CheckStatus::Failed
    } else if v.starts_with("not_performed") {
        pb::CheckStatus::NotPerformed
    } else {
        pb::CheckStatus::Unspecified
    }
}

/// The report as proto3 JSON (the CLI's `--json`).
pub fn report_json(r: &pb::Report) -> String {
    serde_json::to_string_pretty(r).unwrap_or_default()
}
