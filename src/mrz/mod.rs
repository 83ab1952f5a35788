//! Machine readable zone (ICAO Doc 9303 Parts 3-7).
//!
//! Parses the MRZ of TD1 (3x30, Part 5), TD2 (2x36, Part 6), TD3 (2x44, Part 4) documents and
//! of MRV-A (2x44) / MRV-B (2x36) visas (Part 7), checks every check digit (Part 3 §4.9) and
//! builds the BAC/PACE key seed input (Part 11 §9.7.2).
//!
//! Parsing separates two outcomes:
//! - **malformed** input (wrong line count or length, a character outside `A-Z 0-9 <`, a
//!   long-document-number marker without continuation) is an [`MrzError`] naming the line and
//!   column (1-based);
//! - a **well-formed** MRZ always yields an [`Mrz`], whose [`Mrz::check_digits`] say which check
//!   digits hold and whose [`Mrz::findings`] list non-fatal issues (unknown country code,
//!   impossible date, unexpected document code or sex).
//!
//! Filler `<` in a check-digit position counts as 0 only where Doc 9303 allows it: the TD3
//! personal-number check digit when the personal-number field is all fillers (Doc 9303-4
//! §4.2.2, "zero or filler"). In TD1/TD2 a `<` as document-number check digit is the
//! long-document-number marker (Doc 9303-5/-6 §4.2.2, note on long document numbers): the
//! number continues at the start of the optional data, followed by its check digit.
//! Everywhere else a `<` check digit fails. Doc 9303-4 and -7 define no long document numbers
//! for TD3 and visas.

mod build;
mod check_digit;
pub mod country;
mod date;
mod format;

pub use build::{BuildError, MrzBuilder};
pub use check_digit::{check_digit, check_digit_char, is_mrz_char};
pub use country::{Country, CountryKind};
pub use date::{Date, DateKind, MrzDate};
pub use format::{parse, parse_at, parse_dg1, parse_dg1_at};

use serde::{Serialize, Serializer};

/// The MRZ layouts of Doc 9303 Parts 4-7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum MrzFormat {
    /// Size-1 card, 3 lines of 30 (Doc 9303-5).
    #[serde(rename = "TD1")]
    Td1,
    /// Size-2 card, 2 lines of 36 (Doc 9303-6).
    #[serde(rename = "TD2")]
    Td2,
    /// Passport booklet, 2 lines of 44 (Doc 9303-4).
    #[serde(rename = "TD3")]
    Td3,
    /// Format-A visa, 2 lines of 44 (Doc 9303-7).
    #[serde(rename = "MRVA")]
    MrvA,
    /// Format-B visa, 2 lines of 36 (Doc 9303-7).
    #[serde(rename = "MRVB")]
    MrvB,
}

impl MrzFormat {
    /// Number of lines.
    pub fn line_count(self) -> usize {
        match self {
            Self::Td1 => 3,
            _ => 2,
        }
    }

    /// Characters per line.
    pub fn line_len(self) -> usize {
        match self {
            Self::Td1 => 30,
            Self::Td2 | Self::MrvB => 36,
            Self::Td3 | Self::MrvA => 44,
        }
    }

    /// The name used in JSON and text output.
    pub fn name(self) -> &'static str {
        match self {
            Self::Td1 => "TD1",
            Self::Td2 => "TD2",
            Self::Td3 => "TD3",
            Self::MrvA => "MRVA",
            Self::MrvB => "MRVB",
        }
    }
}

/// Sex (Doc 9303-4 §4.2.2): `M`, `F`, `X`, or filler `<` for unspecified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// `M`.
    Male,
    /// `F`.
    Female,
    /// `X` (unspecified).
    Unspecified,
    /// `<` (unspecified, filler).
    Filler,
    /// Any other MRZ character (reported as a finding).
    Other(char),
}

impl Sex {
    /// From the printed character.
    pub fn from_char(c: char) -> Self {
        match c {
            'M' => Self::Male,
            'F' => Self::Female,
            'X' => Self::Unspecified,
            '<' => Self::Filler,
            o => Self::Other(o),
        }
    }

    /// The printed character.
    pub fn as_char(self) -> char {
        match self {
            Self::Male => 'M',
            Self::Female => 'F',
            Self::Unspecified => 'X',
            Self::Filler => '<',
            Self::Other(c) => c,
        }
    }
}

impl Serialize for Sex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_char(self.as_char())
    }
}

/// The field a check digit protects (Doc 9303-3 §4.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckedField {
    /// Document number (the full number for long document numbers).
    DocumentNumber,
    /// Date of birth.
    DateOfBirth,
    /// Date of expiry.
    DateOfExpiry,
    /// TD3 personal number / optional data (Doc 9303-4 line 2 positions 29-42).
    PersonalNumber,
    /// Composite check digit (TD1, TD2, TD3; visas have none).
    Composite,
}

impl CheckedField {
    /// The snake_case name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::DocumentNumber => "document_number",
            Self::DateOfBirth => "date_of_birth",
            Self::DateOfExpiry => "date_of_expiry",
            Self::PersonalNumber => "personal_number",
            Self::Composite => "composite",
        }
    }
}

/// One check digit: the printed one against the one computed over the data.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct CheckDigit {
    /// What it protects.
    pub field: CheckedField,
    /// The character printed in the MRZ.
    pub expected: char,
    /// The digit computed over the protected characters (Doc 9303-3 §4.9).
    pub computed: char,
    /// True when the printed digit equals the computed one (or is an allowed filler).
    pub valid: bool,
    /// 1-based line of the printed check digit.
    pub line: usize,
    /// 1-based column of the printed check digit.
    pub column: usize,
}

/// A non-fatal observation about a well-formed MRZ.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Finding {
    /// The issuing state code is not in the Doc 9303-3 §5 table.
    UnknownIssuingState {
        /// The code as printed (fillers trimmed).
        value: String,
    },
    /// The nationality code is not in the Doc 9303-3 §5 table.
    UnknownNationality {
        /// The code as printed (fillers trimmed).
        value: String,
    },
    /// A date field is neither `YYMMDD` digits (with optional `<<` parts) nor a real date.
    InvalidDate {
        /// Which date.
        field: DateKind,
    },
    /// The sex is not `M`, `F`, `X` or `<`.
    InvalidSex {
        /// The character printed.
        value: char,
    },
    /// The first character of the document code does not fit the format (TD3 `P`; TD1/TD2
    /// `A`, `C`, `I`; visas `V`).
    UnexpectedDocumentCode {
        /// The document code (fillers trimmed).
        value: String,
    },
}

/// A parsed machine readable zone.
///
/// Text fields have trailing fillers removed; names have `<` replaced by spaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mrz {
    /// Layout.
    pub format: MrzFormat,
    /// Document code (e.g. `P`, `I`, `ID`, `V`), fillers trimmed.
    pub document_code: String,
    /// Issuing state or organization code, fillers trimmed (e.g. `D`, `UTO`).
    pub issuing_state: String,
    /// Name from the Doc 9303-3 §5 table, `None` for an unknown code.
    pub issuing_state_name: Option<&'static str>,
    /// Document number, fillers trimmed; the full number for long document numbers.
    pub document_number: String,
    /// True when the TD1/TD2 long-document-number rule was applied.
    pub long_document_number: bool,
    /// Date of birth.
    pub date_of_birth: MrzDate,
    /// Date of expiry (visas: valid until).
    pub date_of_expiry: MrzDate,
    /// Sex.
    pub sex: Sex,
    /// Nationality code, fillers trimmed.
    pub nationality: String,
    /// Name from the Doc 9303-3 §5 table, `None` for an unknown code.
    pub nationality_name: Option<&'static str>,
    /// Primary identifier (surname), components joined by single spaces.
    pub primary_identifier: String,
    /// Secondary identifier (given names), components joined by single spaces.
    pub secondary_identifier: String,
    /// Optional data (TD3: personal number; TD1: line 1 optional data after any document
    /// number continuation), trailing fillers trimmed.
    pub optional_data: String,
    /// TD1 only: optional data of line 2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optional_data_2: Option<String>,
    /// Every check digit of the format, in MRZ order.
    pub check_digits: Vec<CheckDigit>,
    /// Non-fatal findings.
    pub findings: Vec<Finding>,
    /// The lines as printed (not serialised: it repeats every field).
    #[serde(skip)]
    pub raw_lines: Vec<String>,
}

impl Mrz {
    /// The check digit record for `field`, if the format has one.
    pub fn check(&self, field: CheckedField) -> Option<&CheckDigit> {
        self.check_digits.iter().find(|c| c.field == field)
    }

    /// The fields whose check digit fails.
    pub fn failing_checks(&self) -> Vec<CheckedField> {
        self.check_digits
            .iter()
            .filter(|c| !c.valid)
            .map(|c| c.field)
            .collect()
    }

    /// True when every check digit holds.
    pub fn valid(&self) -> bool {
        self.check_digits.iter().all(|c| c.valid)
    }

    /// The MRZ lines as printed.
    pub fn lines(&self) -> Vec<String> {
        self.raw_lines.clone()
    }

    /// The MRZ information used as BAC/PACE key seed input (Doc 9303-11 §9.7.2, App. D.2):
    /// document number (padded with fillers to 9) + check digit + date of birth + check digit
    /// + date of expiry + check digit, with the check digits as printed.
    ///
    /// For a long document number the full number and the check digit from the optional data
    /// are used, as JMRTD does (its key-seed computation takes the whole number and a check
    /// digit over it).
    pub fn mrz_information(&self) -> String {
        let cd = |f| self.check(f).map_or('<', |c| c.expected);
        let mut s = self.document_number.clone();
        while s.chars().count() < 9 {
            s.push('<');
        }
        s.push(cd(CheckedField::DocumentNumber));
        s.push_str(&self.date_of_birth.raw);
        s.push(cd(CheckedField::DateOfBirth));
        s.push_str(&self.date_of_expiry.raw);
        s.push(cd(CheckedField::DateOfExpiry));
        s
    }

    /// Resolves the centuries of both dates against `today` (see [`date`](MrzDate::resolve));
    /// adds an [`Finding::InvalidDate`] for a date that turns out not to exist.
    pub fn resolve_dates(&mut self, today: Date) {
        for (d, kind) in [
            (&mut self.date_of_birth, DateKind::Birth),
            (&mut self.date_of_expiry, DateKind::Expiry),
        ] {
            let was = d.well_formed;
            if !d.resolve(kind, today) && was {
                self.findings.push(Finding::InvalidDate { field: kind });
            }
        }
    }
}

/// A malformed MRZ. Positions are 1-based; for DG1 text they refer to the lines the text is
/// split into (or line 1 when the total length is wrong).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MrzError {
    /// Not 3 lines (TD1) or 2 lines (TD2/TD3/MRV).
    #[error("line {line}: expected {expected} MRZ lines, found {found}")]
    LineCount {
        /// Lines given.
        found: usize,
        /// Lines the format needs.
        expected: usize,
        /// First missing or first extra line.
        line: usize,
        /// Always 1.
        column: usize,
    },
    /// A line of the wrong length.
    #[error("line {line}, column {column}: line has {found} characters, expected {expected}")]
    LineLength {
        /// The line.
        line: usize,
        /// First missing or first extra position.
        column: usize,
        /// Characters in the line.
        found: usize,
        /// Characters the format needs.
        expected: usize,
    },
    /// DG1 MRZ text whose length is not 90 (TD1), 72 (TD2/MRV-B) or 88 (TD3/MRV-A).
    #[error(
        "line {line}, column {column}: MRZ text has {found} characters, expected 90 (TD1), \
         72 (TD2/MRV-B) or 88 (TD3/MRV-A)"
    )]
    TextLength {
        /// Characters given.
        found: usize,
        /// Always 1.
        line: usize,
        /// First missing or first extra position of the nearest length.
        column: usize,
    },
    /// A character outside `A-Z 0-9 <` (Doc 9303-3 §4.3).
    #[error("line {line}, column {column}: character {found:?} is not allowed (A-Z, 0-9, <)")]
    InvalidCharacter {
        /// The line.
        line: usize,
        /// The column.
        column: usize,
        /// The character.
        found: char,
    },
    /// TD1/TD2 document-number check digit `<` (long-number marker) but the optional data does
    /// not start with the rest of the number and its check digit (Doc 9303-5/-6 §4.2.2).
    #[error(
        "line {line}, column {column}: long document number marker '<' but the optional data \
         holds no continuation and check digit"
    )]
    LongDocumentNumber {
        /// The line of the optional data.
        line: usize,
        /// The first column of the optional data.
        column: usize,
    },
}

impl MrzError {
    /// 1-based line of the problem.
    pub fn line(&self) -> usize {
        match self {
            Self::LineCount { line, .. }
            | Self::LineLength { line, .. }
            | Self::TextLength { line, .. }
            | Self::InvalidCharacter { line, .. }
            | Self::LongDocumentNumber { line, .. } => *line,
        }
    }

    /// 1-based column of the problem.
    pub fn column(&self) -> usize {
        match self {
            Self::LineCount { column, .. }
            | Self::LineLength { column, .. }
            | Self::TextLength { column, .. }
            | Self::InvalidCharacter { column, .. }
            | Self::LongDocumentNumber { column, .. } => *column,
        }
    }
}

/// The MRZ information (Doc 9303-11 §9.7.2) from the three printed fields, for a key typed in
/// instead of the whole MRZ: document number (1..=22 letters and digits, padded with fillers to
/// 9) and the two YYMMDD dates, each followed by its computed check digit. The error names the
/// field; it never holds the value.
pub fn mrz_information_from_fields(
    document_number: &str,
    date_of_birth: &str,
    date_of_expiry: &str,
) -> Result<String, &'static str> {
    let mut num = document_number.trim().to_ascii_uppercase();
    if num.is_empty() || num.len() > 22 || !num.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err("document_number must be 1-22 letters and digits");
    }
    for d in [date_of_birth, date_of_expiry] {
        if d.len() != 6 || !d.chars().all(|c| c.is_ascii_digit() || c == '<') {
            return Err("dates are YYMMDD");
        }
    }
    while num.len() < 9 {
        num.push('<');
    }
    let cd = |s: &str| {
        check_digit(s)
            .map(|d| char::from(b'0'.saturating_add(d)))
            .ok_or("invalid characters")
    };
    Ok(format!(
        "{num}{}{date_of_birth}{}{date_of_expiry}{}",
        cd(&num)?,
        cd(date_of_birth)?,
        cd(date_of_expiry)?
    ))
}
