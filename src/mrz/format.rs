//! Line layouts of TD1 (Doc 9303-5 §4.2), TD2 (Doc 9303-6 §4.2), TD3 (Doc 9303-4 §4.2) and
//! MRV-A/MRV-B (Doc 9303-7 §4.2), and the parser over them.

use super::check_digit::{check_digit_char, is_mrz_char};
use super::country;
use super::date::{Date, DateKind, MrzDate};
use super::{CheckDigit, CheckedField, Finding, Mrz, MrzError, MrzFormat, Sex};

/// Line lengths that identify a format: 30 (TD1), 36 (TD2/MRV-B), 44 (TD3/MRV-A).
const LENGTHS: [usize; 3] = [30, 36, 44];

/// Parses an MRZ given as printed lines. Dates are not resolved (`resolved` is `None`); use
/// [`parse_at`] or [`Mrz::resolve_dates`] for that.
///
/// # Errors
/// [`MrzError`] for a wrong line count or length, a character outside `A-Z 0-9 <`, or a TD1/TD2
/// long-document-number marker without continuation.
pub fn parse(lines: &[&str]) -> Result<Mrz, MrzError> {
    let format = detect(lines)?;
    Parser { lines, format }.run()
}

/// [`parse`], then resolves the centuries of the dates against `today`.
///
/// # Errors
/// As [`parse`].
pub fn parse_at(lines: &[&str], today: Date) -> Result<Mrz, MrzError> {
    let mut m = parse(lines)?;
    m.resolve_dates(today);
    Ok(m)
}

/// Parses the MRZ as stored in DG1 (Doc 9303-10 §4.7.1, tag `5F1F`): the lines concatenated,
/// 90 characters for TD1, 72 for TD2/MRV-B, 88 for TD3/MRV-A. Error positions refer to the
/// lines the text is split into.
///
/// # Errors
/// [`MrzError::TextLength`] for any other length, otherwise as [`parse`].
pub fn parse_dg1(text: &str) -> Result<Mrz, MrzError> {
    let found = text.chars().count();
    let line_len = match found {
        90 => 30,
        72 => 36,
        88 => 44,
        _ => {
            let nearest = [72, 88, 90]
                .into_iter()
                .min_by_key(|n: &usize| n.abs_diff(found))
                .unwrap_or(88);
            return Err(MrzError::TextLength {
                found,
                line: 1,
                column: found.min(nearest).saturating_add(1),
            });
        }
    };
    // Split on character boundaries (the text may hold non-ASCII characters that `parse`
    // will reject with their position).
    let mut bounds: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .enumerate()
        .filter(|(n, _)| n % line_len == 0)
        .map(|(_, i)| i)
        .collect();
    bounds.push(text.len());
    let lines: Vec<&str> = bounds
        .windows(2)
        .filter_map(|w| text.get(w.first().copied()?..w.get(1).copied()?))
        .collect();
    parse(&lines)
}

/// [`parse_dg1`], then resolves the centuries of the dates against `today`.
///
/// # Errors
/// As [`parse_dg1`].
pub fn parse_dg1_at(text: &str, today: Date) -> Result<Mrz, MrzError> {
    let mut m = parse_dg1(text)?;
    m.resolve_dates(today);
    Ok(m)
}

/// Decides the format from the line count and lengths, and validates the characters and the
/// shape of every line.
fn detect(lines: &[&str]) -> Result<MrzFormat, MrzError> {
    let first_len = lines.first().map_or(0, |l| l.chars().count());
    // The first line's length decides when it is a known one, else the line count does.
    let line_len = if LENGTHS.contains(&first_len) {
        first_len
    } else if lines.len() == 3 {
        30
    } else {
        let candidates: &[usize] = if lines.len() == 2 {
            &[36, 44]
        } else {
            &LENGTHS
        };
        candidates
            .iter()
            .copied()
            .min_by_key(|n| n.abs_diff(first_len))
            .unwrap_or(44)
    };
    let expected = if line_len == 30 { 3 } else { 2 };
    if lines.len() != expected {
        return Err(MrzError::LineCount {
            found: lines.len(),
            expected,
            line: lines.len().min(expected).saturating_add(1),
            column: 1,
        });
    }
    for (i, l) in lines.iter().enumerate() {
        let line = i.saturating_add(1);
        let mut count = 0usize;
        for (j, c) in l.chars().enumerate() {
            if !is_mrz_char(c) {
                return Err(MrzError::InvalidCharacter {
                    line,
                    column: j.saturating_add(1),
                    found: c,
                });
            }
            count = j.saturating_add(1);
        }
        if count != line_len {
            return Err(MrzError::LineLength {
                line,
                column: count.min(line_len).saturating_add(1),
                found: count,
                expected: line_len,
            });
        }
    }
    let visa = lines.first().is_some_and(|l| l.starts_with('V'));
    Ok(match (line_len, visa) {
        (30, _) => MrzFormat::Td1,
        (36, false) => MrzFormat::Td2,
        (36, true) => MrzFormat::MrvB,
        (_, false) => MrzFormat::Td3,
        (_, true) => MrzFormat::MrvA,
    })
}

/// Reads fields from validated lines (ASCII only, exact lengths).
struct Parser<'a> {
    lines: &'a [&'a str],
    format: MrzFormat,
}

/// Drops trailing fillers.
fn trim(s: &str) -> String {
    s.trim_end_matches('<').to_string()
}

/// Name components separated by `<`, joined by single spaces.
fn name_part(s: &str) -> String {
    s.split('<')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Splits the name field at the first `<<` into primary and secondary identifier
/// (Doc 9303-3 §4.6).
fn split_name(field: &str) -> (String, String) {
    let field = field.trim_end_matches('<');
    match field.split_once("<<") {
        Some((p, s)) => (name_part(p), name_part(s)),
        None => (name_part(field), String::new()),
    }
}

impl Parser<'_> {
    /// Characters `start..end` (0-based) of line `line` (0-based).
    fn get(&self, line: usize, start: usize, end: usize) -> &str {
        self.lines
            .get(line)
            .and_then(|l| l.get(start..end))
            .unwrap_or("")
    }

    fn char_at(&self, line: usize, col: usize) -> char {
        self.get(line, col, col.saturating_add(1))
            .chars()
            .next()
            .unwrap_or('<')
    }

    /// A check digit over `data` printed at (`line`, `col`), both 0-based.
    fn check(&self, field: CheckedField, data: &str, line: usize, col: usize) -> CheckDigit {
        let expected = self.char_at(line, col);
        let computed = check_digit_char(data).unwrap_or('?');
        CheckDigit {
            field,
            expected,
            computed,
            valid: expected == computed,
            line: line.saturating_add(1),
            column: col.saturating_add(1),
        }
    }

    fn run(&self) -> Result<Mrz, MrzError> {
        let f = self.format;
        let len = f.line_len();
        let td1 = f == MrzFormat::Td1;
        // Line/column (0-based) of each element, per Doc 9303-4/-5/-6/-7 §4.2.
        let (name_line, name_start) = if td1 { (2, 0) } else { (0, 5) };
        let (dn_line, dn_col) = if td1 { (0, 5) } else { (1, 0) };
        let (l2, dob_col, sex_col, doe_col) = if td1 { (1, 0, 7, 8) } else { (1, 13, 20, 21) };
        let nat_col = if td1 { 15 } else { 10 };
        let (opt_line, opt_start, opt_end) = match f {
            MrzFormat::Td1 => (0, 15, 30),
            MrzFormat::Td2 => (1, 28, 35),
            MrzFormat::Td3 => (1, 28, 42),
            MrzFormat::MrvA | MrzFormat::MrvB => (1, 28, len),
        };

        let document_code = trim(self.get(0, 0, 2));
        let issuing_state = trim(self.get(0, 2, 5));
        let nationality = trim(self.get(l2, nat_col, nat_col + 3));
        let (primary_identifier, secondary_identifier) =
            split_name(self.get(name_line, name_start, len));
        let dob_raw = self.get(l2, dob_col, dob_col + 6);
        let doe_raw = self.get(l2, doe_col, doe_col + 6);
        let sex = Sex::from_char(self.char_at(l2, sex_col));
        let mut optional = self.get(opt_line, opt_start, opt_end);

        let mut checks = Vec::new();

        // Document number, with the TD1/TD2 long-number rule (Doc 9303-5/-6 §4.2.2).
        let dn_field = self.get(dn_line, dn_col, dn_col + 9);
        let dn_cd = self.char_at(dn_line, dn_col + 9);
        let long = dn_cd == '<' && matches!(f, MrzFormat::Td1 | MrzFormat::Td2);
        let document_number = if long {
            let cont_len = optional.find('<').unwrap_or(optional.len());
            // At least one more character of the number plus its check digit.
            if cont_len < 2 {
                return Err(MrzError::LongDocumentNumber {
                    line: opt_line + 1,
                    column: opt_start + 1,
                });
            }
            let rest = optional.get(..cont_len - 1).unwrap_or("");
            let full = format!("{dn_field}{rest}");
            checks.push(self.check(
                CheckedField::DocumentNumber,
                &full,
                opt_line,
                opt_start + cont_len - 1,
            ));
            // Optional data proper starts after the check digit and one filler.
            optional = optional.get(cont_len + 1..).unwrap_or("");
            full
        } else {
            checks.push(self.check(CheckedField::DocumentNumber, dn_field, dn_line, dn_col + 9));
            trim(dn_field)
        };

        checks.push(self.check(CheckedField::DateOfBirth, dob_raw, l2, dob_col + 6));
        checks.push(self.check(CheckedField::DateOfExpiry, doe_raw, l2, doe_col + 6));

        if f == MrzFormat::Td3 {
            let pn = self.get(1, 28, 42);
            let mut c = self.check(CheckedField::PersonalNumber, pn, 1, 42);
            // Doc 9303-4 §4.2.2: an unused (all-filler) personal number may have '<' as its
            // check digit.
            if c.expected == '<' && pn.chars().all(|ch| ch == '<') {
                c.valid = true;
            }
            checks.push(c);
        }

        // Composite check digit over the characters as printed (Doc 9303-4/-5/-6 §4.2.2).
        let composite = match f {
            MrzFormat::Td1 => Some((
                [
                    self.get(0, 5, 30),
                    self.get(1, 0, 7),
                    self.get(1, 8, 15),
                    self.get(1, 18, 29),
                ]
                .concat(),
                1,
                29,
            )),
            MrzFormat::Td2 => Some((
                [self.get(1, 0, 10), self.get(1, 13, 20), self.get(1, 21, 35)].concat(),
                1,
                35,
            )),
            MrzFormat::Td3 => Some((
                [self.get(1, 0, 10), self.get(1, 13, 20), self.get(1, 21, 43)].concat(),
                1,
                43,
            )),
            MrzFormat::MrvA | MrzFormat::MrvB => None,
        };
        if let Some((data, line, col)) = composite {
            checks.push(self.check(CheckedField::Composite, &data, line, col));
        }

        let mut findings = Vec::new();
        let expected_code = match f {
            MrzFormat::Td3 => "P",
            MrzFormat::Td1 | MrzFormat::Td2 => "ACI",
            MrzFormat::MrvA | MrzFormat::MrvB => "V",
        };
        if !document_code
            .chars()
            .next()
            .is_some_and(|c| expected_code.contains(c))
        {
            findings.push(Finding::UnexpectedDocumentCode {
                value: document_code.clone(),
            });
        }
        let issuing_state_name = country::lookup(&issuing_state).map(|c| c.name);
        if issuing_state_name.is_none() {
            findings.push(Finding::UnknownIssuingState {
                value: issuing_state.clone(),
            });
        }
        let nationality_name = country::lookup(&nationality).map(|c| c.name);
        if nationality_name.is_none() {
            findings.push(Finding::UnknownNationality {
                value: nationality.clone(),
            });
        }
        let date_of_birth = MrzDate::parse(dob_raw);
        if !date_of_birth.well_formed {
            findings.push(Finding::InvalidDate {
                field: DateKind::Birth,
            });
        }
        let date_of_expiry = MrzDate::parse(doe_raw);
        if !date_of_expiry.well_formed {
            findings.push(Finding::InvalidDate {
                field: DateKind::Expiry,
            });
        }
        if let Sex::Other(value) = sex {
            findings.push(Finding::InvalidSex { value });
        }

        Ok(Mrz {
            format: f,
            document_code,
            issuing_state,
            issuing_state_name,
            document_number,
            long_document_number: long,
            date_of_birth,
            date_of_expiry,
            sex,
            nationality,
            nationality_name,
            primary_identifier,
            secondary_identifier,
            optional_data: trim(optional),
            optional_data_2: td1.then(|| trim(self.get(1, 18, 29))),
            check_digits: checks,
            findings,
            raw_lines: self.lines.iter().map(|l| (*l).to_string()).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            split_name("ERIKSSON<<ANNA<MARIA<<<<<"),
            ("ERIKSSON".into(), "ANNA MARIA".into())
        );
        assert_eq!(
            split_name("VAN<DER<BERG<<JAN"),
            ("VAN DER BERG".into(), "JAN".into())
        );
        assert_eq!(
            split_name("MADONNA<<<<<<"),
            ("MADONNA".into(), String::new())
        );
        assert_eq!(split_name("<<JOHN<<<"), (String::new(), "JOHN".into()));
        assert_eq!(split_name("A<<B<<C"), ("A".into(), "B C".into()));
        assert_eq!(split_name("<<<<"), (String::new(), String::new()));
    }

    #[test]
    fn formats() {
        let l44 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
        let v44 = "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
        let l36 = &l44[..36];
        let v36 = &v44[..36];
        let l30 = &l44[..30];
        assert_eq!(detect(&[l44, l44]), Ok(MrzFormat::Td3));
        assert_eq!(detect(&[v44, l44]), Ok(MrzFormat::MrvA));
        assert_eq!(detect(&[l36, l36]), Ok(MrzFormat::Td2));
        assert_eq!(detect(&[v36, l36]), Ok(MrzFormat::MrvB));
        assert_eq!(detect(&[l30, l30, l30]), Ok(MrzFormat::Td1));
        // Mixed lengths: the first line decides.
        assert_eq!(
            detect(&[l44, l36]),
            Err(MrzError::LineLength {
                line: 2,
                column: 37,
                found: 36,
                expected: 44
            })
        );
        // An unknown first length with two lines is measured against the nearest of 36/44.
        assert_eq!(
            detect(&[&l44[..41], l44]),
            Err(MrzError::LineLength {
                line: 1,
                column: 42,
                found: 41,
                expected: 44
            })
        );
    }

    #[test]
    fn dg1_split() {
        let t = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<D231458907UTO7408122F1204159<<<<<<<6";
        let m = parse_dg1(t).unwrap();
        assert_eq!(m.format, MrzFormat::Td2);
        assert_eq!(m.raw_lines, [&t[..36], &t[36..]]);
        assert!(matches!(
            parse_dg1(&t[1..]),
            Err(MrzError::TextLength { found: 71, .. })
        ));
    }
}
