//! MRZ dates (Doc 9303-3 §4.5 / Parts 4-7: `YYMMDD`) and their century.
//!
//! Dates are kept exactly as printed (`raw`); the parts are read as numbers where they are
//! two digits. Doc 9303 lets an unknown part be written with fillers (`<<`), e.g. an unknown
//! day of birth `7408<<`; such a part stays `None` and the date is still well formed.
//!
//! The MRZ carries no century. It is resolved against a caller-supplied reference date
//! ("today"; library code never reads the clock):
//! - **date of birth**: the latest year ending in `YY` such that the date is not after the
//!   reference date (unknown month/day count as January/the 1st), i.e. birth is in the past and
//!   at most 99 years before the reference;
//! - **date of expiry**: the year ending in `YY` within `[ref_year - 79, ref_year + 20]`
//!   (documents are valid for at most about 10 years, expired ones may be old).

use serde::Serialize;
use std::fmt;

/// A calendar date, used as the reference date for century resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Date {
    /// Four-digit year.
    pub year: u16,
    /// Month, 1-12.
    pub month: u8,
    /// Day of month, 1-31 (valid for the month).
    pub day: u8,
}

impl Date {
    /// The UTC calendar date of a Unix time (H. Hinnant's `civil_from_days`); `None` outside
    /// years 0..=65535.
    pub fn from_unix(secs: i64) -> Option<Date> {
        let z = secs.div_euclid(86_400).checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = (yoe + era.checked_mul(400)?).checked_add(i64::from(month <= 2))?;
        Date::new(
            u16::try_from(year).ok()?,
            u8::try_from(month).ok()?,
            u8::try_from(day).ok()?,
        )
    }

    /// A validated date (proleptic Gregorian calendar); `None` if it does not exist.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        (day >= 1 && day <= days_in_month(Some(year), month)?).then_some(Self { year, month, day })
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse_iso(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return None;
        }
        let year = s.get(0..4).filter(|p| all_digits(p))?.parse().ok()?;
        let month = s.get(5..7).filter(|p| all_digits(p))?.parse().ok()?;
        let day = s.get(8..10).filter(|p| all_digits(p))?.parse().ok()?;
        Self::new(year, month, day)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

fn is_leap(year: u16) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in `month`; with an unknown year February has 29. `None` for a month outside 1-12.
fn days_in_month(year: Option<u16>, month: u8) -> Option<u8> {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => Some(31),
        4 | 6 | 9 | 11 => Some(30),
        2 => Some(if year.is_none_or(is_leap) { 29 } else { 28 }),
        _ => None,
    }
}

/// Which date field, for the century rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DateKind {
    /// Date of birth: in the past.
    Birth,
    /// Date of expiry: at most 20 years ahead.
    Expiry,
}

/// A date field of the MRZ (`YYMMDD`, Doc 9303-3 §4.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct MrzDate {
    /// The six characters as printed.
    pub raw: String,
    /// The resolved date as ISO 8601 text: `YYYY-MM-DD`, or `YYYY-MM` when the day is unknown,
    /// or `YYYY` when the month is unknown. `None` when the year is unknown, the date is not
    /// a valid calendar date, or no reference date was given.
    pub resolved: Option<String>,
    /// Resolved four-digit year (needs a reference date).
    pub year: Option<u16>,
    /// Month 1-12, `None` when written `<<` (or invalid).
    pub month: Option<u8>,
    /// Day 1-31, `None` when written `<<` (or invalid).
    pub day: Option<u8>,
    /// False when a part is neither two digits nor `<<`, or the month/day does not exist.
    pub well_formed: bool,
}

/// One `YY`/`MM`/`DD` part: `Ok(Some(n))` digits, `Ok(None)` fillers, `Err(())` otherwise.
fn part(s: Option<&str>) -> Result<Option<u8>, ()> {
    match s {
        Some("<<") => Ok(None),
        Some(p) if p.len() == 2 && all_digits(p) => p.parse().map(Some).map_err(|_| ()),
        _ => Err(()),
    }
}

impl MrzDate {
    /// Reads a printed `YYMMDD` field without resolving the century.
    pub fn parse(raw: &str) -> Self {
        let yy = part(raw.get(0..2));
        let mm = part(raw.get(2..4));
        let dd = part(raw.get(4..6));
        let mut d = Self {
            raw: raw.to_string(),
            resolved: None,
            year: None,
            month: None,
            day: None,
            well_formed: false,
        };
        if let (Ok(yy), Ok(month), Ok(day)) = (yy, mm, dd) {
            let month_ok = month.is_none_or(|m| (1..=12).contains(&m));
            // Without a century, 29 February is accepted whenever YY is divisible by 4.
            let leap_hint = yy.map(|y| if y % 4 == 0 { 2000 } else { 2001 });
            let day_ok = day.is_none_or(|dd| {
                dd >= 1 && month.map_or(31, |m| days_in_month(leap_hint, m).unwrap_or(0)) >= dd
            });
            if month_ok && day_ok {
                d.month = month;
                d.day = day;
                d.well_formed = true;
            }
        }
        d
    }

    /// Two-digit year as printed, if digits.
    pub fn yy(&self) -> Option<u16> {
        part(self.raw.get(0..2)).ok().flatten().map(u16::from)
    }

    /// Resolves the century against `today` (see the module docs for the rule). Returns false
    /// if the resolved date does not exist (29 February in a non-leap year).
    pub fn resolve(&mut self, kind: DateKind, today: Date) -> bool {
        self.year = None;
        self.resolved = None;
        let Some(yy) = self.yy().filter(|_| self.well_formed) else {
            return self.well_formed;
        };
        let century = today.year / 100 * 100;
        let mut year = century + yy;
        match kind {
            DateKind::Birth => {
                let key = (year, self.month.unwrap_or(1), self.day.unwrap_or(1));
                if key > (today.year, today.month, today.day) {
                    year = year.saturating_sub(100);
                }
            }
            DateKind::Expiry => {
                if year > today.year.saturating_add(20) {
                    year = year.saturating_sub(100);
                } else if year.saturating_add(79) < today.year {
                    year = year.saturating_add(100);
                }
            }
        }
        if let (Some(m), Some(dd)) = (self.month, self.day) {
            if days_in_month(Some(year), m).is_none_or(|max| dd > max) {
                self.well_formed = false;
                self.month = None;
                self.day = None;
                return false;
            }
        }
        self.year = Some(year);
        self.resolved = Some(match (self.month, self.day) {
            (Some(m), Some(d)) => format!("{year:04}-{m:02}-{d:02}"),
            (Some(m), None) => format!("{year:04}-{m:02}"),
            (None, _) => format!("{year:04}"),
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::new(2025, 6, 15).unwrap()
    }

    fn resolved(raw: &str, kind: DateKind, t: Date) -> Option<String> {
        let mut d = MrzDate::parse(raw);
        d.resolve(kind, t);
        d.resolved
    }

    #[test]
    fn iso() {
        assert_eq!(Date::parse_iso("2025-06-15"), Some(today()));
        assert_eq!(today().to_string(), "2025-06-15");
        assert_eq!(Date::parse_iso("2025-02-29"), None);
        assert_eq!(Date::parse_iso("2024-02-29").unwrap().day, 29);
        assert_eq!(Date::parse_iso("2025-6-15"), None);
        assert_eq!(Date::parse_iso("2025-13-01"), None);
        assert_eq!(Date::parse_iso("+025-01-01"), None);
    }

    #[test]
    fn birth_century() {
        let t = today();
        assert_eq!(
            resolved("740812", DateKind::Birth, t).unwrap(),
            "1974-08-12"
        );
        assert_eq!(
            resolved("250615", DateKind::Birth, t).unwrap(),
            "2025-06-15"
        );
        assert_eq!(
            resolved("250616", DateKind::Birth, t).unwrap(),
            "1925-06-16"
        );
        assert_eq!(
            resolved("100101", DateKind::Birth, t).unwrap(),
            "2010-01-01"
        );
        assert_eq!(resolved("2506<<", DateKind::Birth, t).unwrap(), "2025-06");
        assert_eq!(resolved("2507<<", DateKind::Birth, t).unwrap(), "1925-07");
        assert_eq!(resolved("74<<<<", DateKind::Birth, t).unwrap(), "1974");
        assert_eq!(resolved("<<<<<<", DateKind::Birth, t), None);
    }

    #[test]
    fn expiry_century() {
        let t = today();
        assert_eq!(
            resolved("120415", DateKind::Expiry, t).unwrap(),
            "2012-04-15"
        );
        assert_eq!(
            resolved("451231", DateKind::Expiry, t).unwrap(),
            "2045-12-31"
        );
        assert_eq!(
            resolved("460101", DateKind::Expiry, t).unwrap(),
            "1946-01-01"
        );
        assert_eq!(
            resolved("940623", DateKind::Expiry, t).unwrap(),
            "1994-06-23"
        );
        // A reference in the 1990s pulls an "05" expiry forward into the 2000s.
        let t95 = Date::new(1995, 1, 1).unwrap();
        assert_eq!(
            resolved("050101", DateKind::Expiry, t95).unwrap(),
            "2005-01-01"
        );
    }

    #[test]
    fn malformed_and_leap() {
        assert!(!MrzDate::parse("741312").well_formed);
        assert!(!MrzDate::parse("740832").well_formed);
        assert!(!MrzDate::parse("7408A2").well_formed);
        assert!(!MrzDate::parse("7408<2").well_formed);
        assert!(!MrzDate::parse("74081").well_formed);
        assert!(MrzDate::parse("000229").well_formed);
        assert!(!MrzDate::parse("010229").well_formed);
        // 00-02-29 is valid in 2000 but not in 1900.
        let mut d = MrzDate::parse("000229");
        assert!(d.resolve(DateKind::Birth, today()));
        assert_eq!(d.resolved.as_deref(), Some("2000-02-29"));
        let mut d = MrzDate::parse("000229");
        assert!(!d.resolve(DateKind::Birth, Date::new(1999, 1, 1).unwrap()));
        assert_eq!(d.resolved, None);
        assert!(!d.well_formed);
    }
}
