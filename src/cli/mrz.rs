//! `inspectd mrz LINE... [--json] [--today YYYY-MM-DD]`: parse and check a machine readable
//! zone (Doc 9303 Parts 3-7).
//!
//! Lines come as separate arguments, as one argument with newlines, as one argument holding
//! the DG1 form (lines concatenated: 90, 72 or 88 characters), or from stdin with `-`.
//! Surrounding whitespace and empty lines are ignored. Exit codes: 0 well formed and every
//! check digit holds, 1 well formed with a failing check digit, 2 malformed input or usage.
use inspectd::mrz::{self, Date, Finding, Mrz, MrzError};
use serde::Serialize;
use std::io::Read;
use std::process::ExitCode;

/// Upper bound on stdin input: an MRZ is under 100 characters, this leaves room for noise.
const MAX_STDIN: u64 = 64 * 1024;

/// Arguments of `inspectd mrz`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// MRZ lines as printed; or one argument with newlines; or '-' to read stdin.
    #[arg(required = true, value_name = "LINE")]
    lines: Vec<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Reference date for the century of two-digit years (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    today: Option<String>,
}

/// JSON output: the parsed MRZ plus the verdict.
#[derive(Serialize)]
struct Report<'a> {
    #[serde(flatten)]
    mrz: &'a Mrz,
    valid: bool,
    reference_date: String,
}

#[derive(Serialize)]
struct ErrorBody {
    line: usize,
    column: usize,
    message: String,
}

#[derive(Serialize)]
struct ErrorReport {
    error: ErrorBody,
}

/// Runs the subcommand.
pub fn run(args: Args) -> ExitCode {
    let today = match args.today.as_deref() {
        Some(s) => match Date::parse_iso(s) {
            Some(d) => d,
            None => {
                eprintln!("error: --today must be a date written YYYY-MM-DD");
                return ExitCode::from(2);
            }
        },
        None => clock_today(),
    };
    let lines = match collect_lines(&args.lines) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot read stdin: {e}");
            return ExitCode::from(2);
        }
    };
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let parsed = match refs.as_slice() {
        // One line longer than any printed line: the DG1 form (lines concatenated).
        [one] if one.chars().count() > 44 => mrz::parse_dg1_at(one, today),
        _ => mrz::parse_at(&refs, today),
    };
    match parsed {
        Ok(m) => {
            let valid = m.valid();
            if args.json {
                let r = Report {
                    mrz: &m,
                    valid,
                    reference_date: today.to_string(),
                };
                print_json(&r);
            } else {
                print_text(&m, today);
            }
            if valid {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            if args.json {
                print_json(&error_report(&e));
            } else {
                eprintln!("error: malformed MRZ: {e}");
            }
            ExitCode::from(2)
        }
    }
}

fn error_report(e: &MrzError) -> ErrorReport {
    ErrorReport {
        error: ErrorBody {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        },
    }
}

fn print_json<T: Serialize>(v: &T) {
    match serde_json::to_string_pretty(v) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: cannot encode JSON: {e}"),
    }
}

/// The MRZ lines from the arguments (see the module docs).
fn collect_lines(args: &[String]) -> std::io::Result<Vec<String>> {
    let split = |s: &str| -> Vec<String> {
        s.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    };
    match args {
        [one] if one == "-" => {
            let mut s = String::new();
            std::io::stdin().take(MAX_STDIN).read_to_string(&mut s)?;
            Ok(split(&s))
        }
        [one] => Ok(split(one)),
        many => Ok(many.iter().map(|a| a.trim().to_string()).collect()),
    }
}

/// Today's date (UTC) from the system clock.
// The CLI is an edge where reading the clock is allowed (architecture rule 4); it is only the
// default for --today.
#[allow(clippy::disallowed_methods)]
pub(super) fn clock_today() -> Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    civil_from_days(days).unwrap_or(Date {
        year: 1970,
        month: 1,
        day: 1,
    })
}

/// Days since 1970-01-01 to a Gregorian date (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> Option<Date> {
    let z = z.checked_add(719_468)?;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Date::new(
        u16::try_from(year).ok()?,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
    )
}

fn or_unknown(name: Option<&str>) -> String {
    name.map_or_else(|| "unknown code".to_string(), str::to_string)
}

fn date_text(d: &mrz::MrzDate) -> String {
    match (&d.resolved, d.well_formed) {
        (Some(r), _) => format!("{} ({r})", d.raw),
        (None, false) => format!("{} (not a valid date)", d.raw),
        (None, true) => d.raw.clone(),
    }
}

fn finding_text(f: &Finding) -> String {
    match f {
        Finding::UnknownIssuingState { value } => {
            format!("issuing state code {value:?} is unknown")
        }
        Finding::UnknownNationality { value } => format!("nationality code {value:?} is unknown"),
        Finding::InvalidDate { field } => {
            format!("date of {field:?} is not a valid date").to_lowercase()
        }
        Finding::InvalidSex { value } => format!("sex {value:?} is not M, F, X or <"),
        Finding::UnexpectedDocumentCode { value } => {
            format!("document code {value:?} does not fit the format")
        }
        other => format!("{other:?}"),
    }
}

fn print_text(m: &Mrz, today: Date) {
    let mut rows: Vec<(&str, String)> = vec![
        ("Format", m.format.name().to_string()),
        ("Document code", m.document_code.clone()),
        (
            "Issuing state",
            format!("{} ({})", m.issuing_state, or_unknown(m.issuing_state_name)),
        ),
        ("Document number", m.document_number.clone()),
        ("Primary identifier", m.primary_identifier.clone()),
        ("Secondary identifier", m.secondary_identifier.clone()),
        (
            "Nationality",
            format!("{} ({})", m.nationality, or_unknown(m.nationality_name)),
        ),
        ("Date of birth", date_text(&m.date_of_birth)),
        ("Sex", m.sex.as_char().to_string()),
        ("Date of expiry", date_text(&m.date_of_expiry)),
        ("Optional data", m.optional_data.clone()),
    ];
    if let Some(o) = &m.optional_data_2 {
        rows.push(("Optional data 2", o.clone()));
    }
    rows.push(("Reference date", today.to_string()));
    for (k, v) in rows {
        println!("{k:<22}{v}");
    }
    println!("Check digits:");
    for c in &m.check_digits {
        let verdict = if c.valid { "ok" } else { "FAIL" };
        println!(
            "  {:<20}printed {} computed {}  {verdict}  (line {}, column {})",
            c.field.name(),
            c.expected,
            c.computed,
            c.line,
            c.column
        );
    }
    for f in &m.findings {
        println!("Finding: {}", finding_text(f));
    }
    if m.valid() {
        println!("VALID: every check digit holds");
    } else {
        let failing: Vec<&str> = m.failing_checks().into_iter().map(|f| f.name()).collect();
        println!("CHECK DIGIT FAILURE: {}", failing.join(", "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil() {
        assert_eq!(civil_from_days(0), Date::new(1970, 1, 1));
        assert_eq!(civil_from_days(11_016), Date::new(2000, 2, 29));
        assert_eq!(civil_from_days(20_254), Date::new(2025, 6, 15));
    }
}
