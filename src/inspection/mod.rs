//! Inspection policy: the document checks beside the chip protocols, and how Passive
//! Authentication, Active Authentication and those checks combine into one verdict. The one
//! place this policy lives; the CLI and (later) the gRPC service call it. Time comes in.

pub mod chip;
pub mod report;

pub use chip::{inspect_chip, Cancellable, ChipEvent, ChipInspection, ChipOptions};
pub use report::{assess, AssessPolicy, Context, Evidence, InspectionReport, Outcome, Verdict};

use crate::mrz::Date;
use crate::mrz::Mrz;

/// A check beside PA/AA: `(stable id, "passed" | "failed" | "not_performed", reason)`.
pub type DocumentCheck = (&'static str, &'static str, String);

/// What the officer scanned or keyed from the printed page.
#[derive(Debug, Clone, Copy)]
pub enum Printed<'a> {
    /// The whole MRZ.
    Mrz(&'a Mrz),
    /// Only document number and the two dates (YYMMDD as printed).
    Fields {
        /// Document number.
        document_number: &'a str,
        /// Date of birth.
        date_of_birth: &'a str,
        /// Date of expiry.
        date_of_expiry: &'a str,
    },
    /// Nothing printed was given.
    None,
}

/// `dg1.matches_printed_mrz` and `document.expiry`: `(id, status, reason)`. The printed MRZ
/// is what the officer scanned or keyed (`--mrz`), or the fields given instead.
pub fn document_checks(
    dg1: Option<&[u8]>,
    printed: &Printed<'_>,
    today: Date,
) -> Vec<DocumentCheck> {
    let chip = dg1
        .and_then(|b| crate::lds::dg1::Dg1::parse(b).ok())
        .map(|d| d.mrz_text.to_string())
        .and_then(|t| crate::mrz::parse_dg1_at(&t, today).ok());
    let Some(chip) = chip else {
        return vec![
            (
                "dg1.matches_printed_mrz",
                "not_performed",
                "DG1 not read or unusable".into(),
            ),
            (
                "document.expiry",
                "not_performed",
                "DG1 not read or unusable".into(),
            ),
        ];
    };
    let matches = match printed {
        Printed::Mrz(p) => Some(p.lines() == chip.lines()),
        Printed::Fields {
            document_number,
            date_of_birth,
            date_of_expiry,
        } => Some(
            document_number.eq_ignore_ascii_case(&chip.document_number)
                && *date_of_birth == chip.date_of_birth.raw.as_str()
                && *date_of_expiry == chip.date_of_expiry.raw.as_str(),
        ),
        Printed::None => None,
    };
    let dg1 = match matches {
        Some(true) => (
            "dg1.matches_printed_mrz",
            "passed",
            "the chip's MRZ equals the printed one".into(),
        ),
        Some(false) => (
            "dg1.matches_printed_mrz",
            "failed",
            "the chip's MRZ differs from the printed one".into(),
        ),
        None => (
            "dg1.matches_printed_mrz",
            "not_performed",
            "no printed MRZ given".into(),
        ),
    };
    let e = &chip.date_of_expiry;
    let expiry = match (e.year, e.month, e.day) {
        (Some(y), Some(m), Some(d)) => {
            if (y, m, d) < (today.year, today.month, today.day) {
                (
                    "document.expiry",
                    "failed",
                    format!("expired on {}", e.resolved.clone().unwrap_or_default()),
                )
            } else {
                (
                    "document.expiry",
                    "passed",
                    format!("valid until {}", e.resolved.clone().unwrap_or_default()),
                )
            }
        }
        _ => (
            "document.expiry",
            "not_performed",
            "expiry date not fully known".into(),
        ),
    };
    vec![dg1, expiry]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_dg1_means_not_performed() {
        let today = Date::new(2026, 11, 28).unwrap();
        let c = document_checks(None, &Printed::None, today);
        assert!(c.iter().all(|x| x.1 == "not_performed"));
    }
}
