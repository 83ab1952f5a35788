//! The CSV import format.
//!
//! The first line is a header naming the columns, in any order:
//!
//! | column | required | content |
//! | --- | --- | --- |
//! | `issuing_state` | yes | Doc 9303-3 §5 code (`D`, `NLD`, `XXA`, ...; fillers allowed) |
//! | `document_type` | yes | `P`, `I`, `A`, `C`, `V` (first letter of the MRZ code) or `ANY` |
//! | `document_number` | yes | fillers, spaces, dashes and lower case are normalised away |
//! | `status` | yes | `stolen_blank`, `stolen`, `lost`, `revoked`, `invalidated`, `other` |
//! | `issue_date` | no | `YYYY-MM-DD` or empty |
//! | `expiry_date` | no | `YYYY-MM-DD` or empty |
//! | `reported_date` | no | `YYYY-MM-DD` or empty |
//! | `reference` | no | opaque text, at most [`MAX_REFERENCE_LEN`] bytes |
//! | `action` | delta imports only | `add` (default when empty) or `remove`; a `remove` row needs the key fields and may leave `status` empty |
//!
//! Fields are separated by `,`; a field may be enclosed in `"` (with `""` for a quote) but may
//! not span lines. Blank lines and lines starting with `#` are skipped. Lines are read one at a
//! time with a length cap ([`MAX_LINE_LEN`]), so memory stays bounded whatever the input.

use std::io::BufRead;

use super::key::{self, KeyError};
use super::{Record, Status};

/// Longest accepted line in bytes (longer lines are rejected and skipped).
pub const MAX_LINE_LEN: usize = 4096;
/// Longest accepted reference in bytes.
pub const MAX_REFERENCE_LEN: usize = 256;

/// Why a row was rejected. Messages never contain the document number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RowError {
    /// Wrong number of fields.
    #[error("expected {expected} fields, found {found}")]
    FieldCount {
        /// Columns in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
    },
    /// A key field is invalid.
    #[error("{field}: {source}")]
    Key {
        /// Column name.
        field: &'static str,
        /// The problem.
        source: KeyError,
    },
    /// Unknown status.
    #[error(
        "status {value:?} is not one of stolen_blank, stolen, lost, revoked, invalidated, other"
    )]
    Status {
        /// The value (truncated).
        value: String,
    },
    /// A date is not `YYYY-MM-DD`.
    #[error("{field} is not a YYYY-MM-DD date")]
    Date {
        /// Column name.
        field: &'static str,
    },
    /// The reference is too long.
    #[error("reference is {len} bytes (max {MAX_REFERENCE_LEN})")]
    ReferenceTooLong {
        /// Its length.
        len: usize,
    },
    /// Unbalanced or misplaced quote.
    #[error("bad quoting at column {column}")]
    Quote {
        /// 1-based byte column.
        column: usize,
    },
    /// The line is longer than [`MAX_LINE_LEN`].
    #[error("line longer than {MAX_LINE_LEN} bytes")]
    LineTooLong,
    /// The line is not UTF-8.
    #[error("line is not UTF-8")]
    NotUtf8,
    /// The `action` is not `add` or `remove`.
    #[error("action is not add or remove")]
    Action,
}

/// Errors that stop reading the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CsvError {
    /// The header is missing, names an unknown column, repeats one or lacks a required one.
    #[error("line {line}: bad header: {reason}")]
    Header {
        /// Line number (1-based).
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// Reading failed.
    #[error("line {line}: read error: {source}")]
    Io {
        /// Line number being read.
        line: u64,
        /// The I/O error.
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    State,
    Type,
    Number,
    Status,
    Issue,
    Expiry,
    Reported,
    Reference,
    Action,
}

const COLS: [(&str, Col, bool); 9] = [
    ("issuing_state", Col::State, true),
    ("document_type", Col::Type, true),
    ("document_number", Col::Number, true),
    ("status", Col::Status, true),
    ("issue_date", Col::Issue, false),
    ("expiry_date", Col::Expiry, false),
    ("reported_date", Col::Reported, false),
    ("reference", Col::Reference, false),
    ("action", Col::Action, false),
];

/// What a delta row does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Add the record to the list.
    Add,
    /// Remove every record of the list with this (state, type, number) key.
    Remove,
}

/// A row's line and what parsing it gave, or a reading error.
pub(crate) type LineResult<T> = Result<(u64, Result<T, RowError>), CsvError>;

type RowItem = Result<(u64, Result<(Action, Record), RowError>), CsvError>;

/// A streaming reader of rows: yields `(line, Ok(record))` or `(line, Err(reason))`.
pub struct Rows<R> {
    reader: R,
    columns: Vec<Col>,
    line: u64,
    list: String,
    buf: Vec<u8>,
    failed: bool,
}

/// A streaming reader of delta rows (the header may hold an `action` column): yields
/// `(line, Ok((action, record)))` or `(line, Err(reason))`.
pub struct DeltaRows<R>(Rows<R>);

impl<R: BufRead> DeltaRows<R> {
    /// Reads the header. Records get `list` as their list name.
    pub fn new(reader: R, list: &str) -> Result<Self, CsvError> {
        Rows::with_header(reader, list, true).map(DeltaRows)
    }
}

impl<R: BufRead> Iterator for DeltaRows<R> {
    type Item = RowItem;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next_row()
    }
}

impl<R: BufRead> Rows<R> {
    /// Reads the header. Records get `list` as their list name.
    pub fn new(reader: R, list: &str) -> Result<Self, CsvError> {
        Self::with_header(reader, list, false)
    }

    fn with_header(mut reader: R, list: &str, delta: bool) -> Result<Self, CsvError> {
        let mut buf = Vec::new();
        let mut line = 0u64;
        loop {
            line = line.saturating_add(1);
            match read_line(&mut reader, &mut buf) {
                Err(source) => return Err(CsvError::Io { line, source }),
                Ok(None) => {
                    return Err(CsvError::Header {
                        line,
                        reason: "empty file".into(),
                    })
                }
                Ok(Some(false)) => {
                    return Err(CsvError::Header {
                        line,
                        reason: "header line too long".into(),
                    })
                }
                Ok(Some(true)) => {}
            }
            let text = std::str::from_utf8(&buf).map_err(|_| CsvError::Header {
                line,
                reason: "not UTF-8".into(),
            })?;
            let text = text.trim_start_matches('\u{feff}').trim();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            let fields = split(text).map_err(|e| CsvError::Header {
                line,
                reason: e.to_string(),
            })?;
            let mut columns = Vec::new();
            for f in fields {
                let name = f.trim().to_ascii_lowercase();
                let Some((_, col, _)) = COLS.iter().find(|(n, _, _)| *n == name) else {
                    return Err(CsvError::Header {
                        line,
                        reason: format!(
                            "unknown column {:?}",
                            name.chars().take(32).collect::<String>()
                        ),
                    });
                };
                if *col == Col::Action && !delta {
                    return Err(CsvError::Header {
                        line,
                        reason: "column action is only for delta imports".into(),
                    });
                }
                if columns.contains(col) {
                    return Err(CsvError::Header {
                        line,
                        reason: format!("column {name} repeated"),
                    });
                }
                columns.push(*col);
            }
            for (name, col, required) in COLS {
                if required && !columns.contains(&col) {
                    return Err(CsvError::Header {
                        line,
                        reason: format!("missing column {name}"),
                    });
                }
            }
            return Ok(Rows {
                reader,
                columns,
                line,
                list: list.to_string(),
                buf,
                failed: false,
            });
        }
    }

    fn parse_row(&self, text: &str) -> Result<(Action, Record), RowError> {
        let mut r = Record::blank();
        let action = self.parse_row_into(text, &mut r)?;
        Ok((action, r))
    }

    /// Parses a row into `rec`, reusing its strings' memory (an import parses 10^8 rows); on
    /// error `rec` holds a mix of fields and must not be used.
    fn parse_row_into(&self, text: &str, rec: &mut Record) -> Result<Action, RowError> {
        // Without quotes the fields are the comma-separated slices (no allocation per field).
        let owned;
        let mut slots = [""; COLS.len()];
        let found = if text.contains('"') {
            owned = split(text)?;
            for (slot, f) in slots.iter_mut().zip(&owned) {
                *slot = f.as_str();
            }
            owned.len()
        } else {
            let mut n = 0usize;
            for f in text.split(',') {
                if let Some(slot) = slots.get_mut(n) {
                    *slot = f;
                }
                n = n.saturating_add(1);
            }
            n
        };
        if found != self.columns.len() {
            return Err(RowError::FieldCount {
                expected: self.columns.len(),
                found,
            });
        }
        let fields = slots.get(..found).unwrap_or(&[]);
        let (mut state, mut dtype, mut number, mut status) = ("", "", "", "");
        let (mut issue, mut expiry, mut reported, mut reference) = (None, None, None, None);
        let mut action = Action::Add;
        for (col, f) in self.columns.iter().zip(fields.iter()) {
            let f = *f;
            match col {
                Col::State => state = f,
                Col::Type => dtype = f,
                Col::Number => number = f,
                Col::Status => status = f,
                Col::Issue => issue = date(f, "issue_date")?,
                Col::Expiry => expiry = date(f, "expiry_date")?,
                Col::Reported => reported = date(f, "reported_date")?,
                Col::Reference => {
                    let t = f.trim();
                    if t.len() > MAX_REFERENCE_LEN {
                        return Err(RowError::ReferenceTooLong { len: t.len() });
                    }
                    if !t.is_empty() {
                        reference = Some(t);
                    }
                }
                Col::Action => {
                    action = match f.trim().to_ascii_lowercase().as_str() {
                        "" | "add" => Action::Add,
                        "remove" => Action::Remove,
                        _ => return Err(RowError::Action),
                    }
                }
            }
        }
        // A removal names a key; its status (if any) is not stored.
        let parsed_status = match (action, status.trim()) {
            (Action::Remove, "") => Some(Status::Other),
            _ => Status::parse(status),
        };
        let k = |field: &'static str| move |source| RowError::Key { field, source };
        key::normalize_state_into(state, &mut rec.issuing_state).map_err(k("issuing_state"))?;
        rec.document_type = key::DocType::parse(dtype).map_err(k("document_type"))?;
        key::normalize_number_into(number, &mut rec.document_number)
            .map_err(k("document_number"))?;
        rec.status = parsed_status.ok_or_else(|| RowError::Status {
            value: status.chars().take(20).collect(),
        })?;
        set_opt(&mut rec.issue_date, issue);
        set_opt(&mut rec.expiry_date, expiry);
        set_opt(&mut rec.reported_date, reported);
        set_opt(&mut rec.reference, reference);
        rec.list.clear();
        rec.list.push_str(&self.list);
        Ok(action)
    }
}

/// Sets an optional text field, reusing its memory.
fn set_opt(dst: &mut Option<String>, v: Option<&str>) {
    match (dst.as_mut(), v) {
        (Some(d), Some(v)) => {
            d.clear();
            d.push_str(v);
        }
        (_, v) => *dst = v.map(str::to_string),
    }
}

impl<R: BufRead> Iterator for Rows<R> {
    type Item = Result<(u64, Result<Record, RowError>), CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_row()
            .map(|r| r.map(|(line, row)| (line, row.map(|(_, rec)| rec))))
    }
}

impl<R: BufRead> Rows<R> {
    fn next_row(&mut self) -> Option<RowItem> {
        self.next_line(|rows, t| rows.parse_row(t))
    }

    /// The next row parsed into `rec` (its memory reused; see [`Rows::parse_row_into`]):
    /// `(line, Ok(()))` when `rec` now holds the row's record.
    pub(crate) fn next_into(&mut self, rec: &mut Record) -> Option<LineResult<()>> {
        self.next_line(|rows, t| rows.parse_row_into(t, rec).map(|_| ()))
    }

    fn next_line<T>(
        &mut self,
        mut parse: impl FnMut(&Self, &str) -> Result<T, RowError>,
    ) -> Option<LineResult<T>> {
        if self.failed {
            return None;
        }
        loop {
            self.line = self.line.saturating_add(1);
            let line = self.line;
            let mut buf = std::mem::take(&mut self.buf);
            let r = read_line(&mut self.reader, &mut buf);
            let out = match r {
                Err(source) => {
                    self.failed = true;
                    Some(Err(CsvError::Io { line, source }))
                }
                Ok(None) => None,
                Ok(Some(false)) => Some(Ok((line, Err(RowError::LineTooLong)))),
                Ok(Some(true)) => match std::str::from_utf8(&buf) {
                    Err(_) => Some(Ok((line, Err(RowError::NotUtf8)))),
                    Ok(t) => {
                        let t = t.trim_end_matches(['\r', '\n']);
                        if t.trim().is_empty() || t.starts_with('#') {
                            self.buf = buf;
                            continue;
                        }
                        Some(Ok((line, parse(self, t))))
                    }
                },
            };
            self.buf = buf;
            return out;
        }
    }
}

/// Reads one line into `buf` (without allocation beyond [`MAX_LINE_LEN`]). `Ok(None)` at end,
/// `Ok(Some(false))` when the line was too long (its rest is skipped).
fn read_line<R: BufRead>(r: &mut R, buf: &mut Vec<u8>) -> std::io::Result<Option<bool>> {
    buf.clear();
    let limit = u64::try_from(MAX_LINE_LEN)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let n = std::io::Read::take(&mut *r, limit).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.len() > MAX_LINE_LEN && buf.last() != Some(&b'\n') {
        // Skip the rest of the overlong line in bounded chunks.
        loop {
            let chunk = r.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            if let Some(p) = chunk.iter().position(|b| *b == b'\n') {
                r.consume(p.saturating_add(1));
                break;
            }
            let l = chunk.len();
            r.consume(l);
        }
        buf.clear();
        return Ok(Some(false));
    }
    Ok(Some(true))
}

/// Splits a line into fields (RFC 4180 quoting within one line).
fn split(line: &str) -> Result<Vec<String>, RowError> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = line.char_indices().peekable();
    let mut in_quotes = false;
    let mut was_quoted = false;
    while let Some((i, c)) = chars.next() {
        let column = i.saturating_add(1);
        if in_quotes {
            if c == '"' {
                if chars.peek().map(|(_, n)| *n) == Some('"') {
                    cur.push('"');
                    chars.next();
                } else {
                    in_quotes = false;
                }
            } else {
                cur.push(c);
            }
        } else {
            match c {
                ',' => {
                    fields.push(std::mem::take(&mut cur));
                    was_quoted = false;
                }
                '"' if cur.trim().is_empty() && !was_quoted => {
                    cur.clear();
                    in_quotes = true;
                    was_quoted = true;
                }
                '"' => return Err(RowError::Quote { column }),
                _ if was_quoted && !c.is_whitespace() => return Err(RowError::Quote { column }),
                _ => cur.push(c),
            }
        }
    }
    if in_quotes {
        return Err(RowError::Quote {
            column: line.len().saturating_add(1),
        });
    }
    fields.push(cur);
    Ok(fields)
}

/// Validates an optional `YYYY-MM-DD` date (empty = absent).
fn date<'a>(f: &'a str, field: &'static str) -> Result<Option<&'a str>, RowError> {
    let t = f.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if valid_date(t) {
        Ok(Some(t))
    } else {
        Err(RowError::Date { field })
    }
}

/// Is `s` a valid proleptic Gregorian `YYYY-MM-DD` date?
pub fn valid_date(s: &str) -> bool {
    parse_ymd(s).is_some()
}

/// `YYYY-MM-DD` as (year, month, day) when it is a valid proleptic Gregorian date. Parsed
/// byte by byte: imports call it for every date of every row.
pub(crate) fn parse_ymd(s: &str) -> Option<(u32, u32, u32)> {
    let b: &[u8; 10] = s.as_bytes().try_into().ok()?;
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *b else {
        return None;
    };
    let mut v = [0u32; 8];
    for (o, c) in v.iter_mut().zip([y0, y1, y2, y3, m0, m1, d0, d1]) {
        if !c.is_ascii_digit() {
            return None;
        }
        *o = u32::from(c - b'0');
    }
    let [a, b, c, d, e, f, g, h] = v;
    let (y, m, d) = (a * 1000 + b * 100 + c * 10 + d, e * 10 + f, g * 10 + h);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&d).then_some((y, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quotes() {
        assert_eq!(
            split(r#"a,"b,c","d""e""#).unwrap(),
            vec!["a", "b,c", "d\"e"]
        );
        assert!(split(r#"a,"b"#).is_err());
        assert!(split(r#"a,b"c"#).is_err());
    }

    #[test]
    fn dates() {
        assert!(valid_date("2024-02-29"));
        assert!(!valid_date("2023-02-29"));
        assert!(!valid_date("2023-13-01"));
        assert!(!valid_date("20230101"));
        assert_eq!(parse_ymd("2000-02-29"), Some((2000, 2, 29)));
        assert_eq!(parse_ymd("1900-02-29"), None);
        assert_eq!(parse_ymd("0000-01-01"), Some((0, 1, 1)));
        for bad in [
            "2024-1-011",
            "2024-01-00",
            "2024-04-31",
            "+024-01-01",
            "2024-01-0\u{e4}",
            "",
        ] {
            assert!(!valid_date(bad), "{bad}");
        }
    }

    #[test]
    fn quoted_and_unquoted_rows_parse_alike() {
        let hdr = "issuing_state,document_type,document_number,status,issue_date,reference\n";
        let plain =
            format!("{hdr}NLD,P,X1,lost,2020-01-02, R-1 \nNLD,P,X1,lost\nNLD,P,X1,lost,,,\n");
        let quoted = format!(
            "{hdr}\"NLD\",P,\"X1\",lost,\"2020-01-02\",\" R-1 \"\n\"NLD\",P,X1,lost\nNLD,P,X1,\"lost\",,,\n"
        );
        let a: Vec<_> = Rows::new(plain.as_bytes(), "l")
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let b: Vec<_> = Rows::new(quoted.as_bytes(), "l")
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(a, b);
        let r = a[0].1.as_ref().unwrap();
        assert_eq!(
            (r.issue_date.as_deref(), r.reference.as_deref()),
            (Some("2020-01-02"), Some("R-1"))
        );
        assert_eq!(
            a[1].1,
            Err(RowError::FieldCount {
                expected: 6,
                found: 4
            })
        );
        assert_eq!(
            a[2].1,
            Err(RowError::FieldCount {
                expected: 6,
                found: 7
            })
        );
    }

    #[test]
    fn overlong_line_is_skipped() {
        let mut data = b"issuing_state,document_type,document_number,status\n".to_vec();
        data.extend(std::iter::repeat_n(b'A', MAX_LINE_LEN * 3));
        data.extend(b"\nNLD,P,X1,lost\n");
        let rows: Vec<_> = Rows::new(&data[..], "l")
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], (2, Err(RowError::LineTooLong)));
        assert_eq!(rows[1].0, 3);
        assert!(rows[1].1.is_ok());
    }
}
