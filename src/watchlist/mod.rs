//! Stolen and lost travel document watchlist (the national counterpart of INTERPOL's SLTD
//! database): is this document (issuing state, type, number — Doc 9303-3 §4.2.2) listed?
//!
//! - [`key`]: normalisation of the three key fields and the OCR "confusable" form;
//! - [`store`]: the embedded, immutable on-disk snapshot store with atomic replacement;
//! - [`snap3`]: snapshot formats 3 and 4 (bit-packed record blocks, binary fuse filters; format
//!   4 codes learned from the first rows);
//! - [`csv`]: the CSV import format;
//! - [`pg`]: the PostgreSQL backend, for sites where several servers share one list;
//! - [`synth`]: a deterministic generator of synthetic lists (never real data).
//!
//! Both backends implement [`DocumentStatusSource`] and fetch *candidates* (records of the
//! queried state whose OCR-confusable number equals the query's); [`classify`] alone decides
//! which candidates are exact hits and which are possible matches, so the matching policy
//! lives in one place.

pub mod csv;
pub mod key;
pub mod pg;
pub mod snap3;
pub mod store;
pub mod synth;

use serde::{Deserialize, Serialize};

pub use key::{DocType, Key, KeyError};
pub use store::{ImportReport, Rejected, Store, StoreError};

/// Why a document is listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A blank (unpersonalised) document stolen before issuance.
    StolenBlank,
    /// An issued document reported stolen.
    Stolen,
    /// An issued document reported lost.
    Lost,
    /// Revoked by the issuer.
    Revoked,
    /// Invalidated (e.g. replaced, damaged, holder deceased).
    Invalidated,
    /// Any other reason.
    Other,
}

impl Status {
    /// Every status, in the on-disk code order.
    pub const ALL: [Status; 6] = [
        Status::StolenBlank,
        Status::Stolen,
        Status::Lost,
        Status::Revoked,
        Status::Invalidated,
        Status::Other,
    ];

    /// Parses the CSV spelling (`stolen_blank`, `stolen`, `lost`, `revoked`, `invalidated`,
    /// `other`; case-insensitive, `-` or space accepted for `_`).
    pub fn parse(s: &str) -> Option<Self> {
        // The canonical spellings first: no allocation for the common case.
        if let Some(st) = Status::ALL.iter().find(|st| st.as_str() == s) {
            return Some(*st);
        }
        let t = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Some(match t.as_str() {
            "stolen_blank" | "stolenblank" => Status::StolenBlank,
            "stolen" => Status::Stolen,
            "lost" => Status::Lost,
            "revoked" => Status::Revoked,
            "invalidated" => Status::Invalidated,
            "other" => Status::Other,
            _ => return None,
        })
    }

    /// The CSV / JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::StolenBlank => "stolen_blank",
            Status::Stolen => "stolen",
            Status::Lost => "lost",
            Status::Revoked => "revoked",
            Status::Invalidated => "invalidated",
            Status::Other => "other",
        }
    }

    pub(crate) fn code(self) -> u8 {
        match self {
            Status::StolenBlank => 0,
            Status::Stolen => 1,
            Status::Lost => 2,
            Status::Revoked => 3,
            Status::Invalidated => 4,
            Status::Other => 5,
        }
    }

    pub(crate) fn from_code(c: u8) -> Option<Self> {
        Status::ALL.get(usize::from(c)).copied()
    }
}

/// One listed document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Doc 9303-3 §5 code, normalised (no fillers).
    pub issuing_state: String,
    /// Document type (or any).
    pub document_type: DocType,
    /// Normalised document number (see [`key::normalize_number`]).
    pub document_number: String,
    /// Why it is listed.
    pub status: Status,
    /// Date of issue, `YYYY-MM-DD`.
    pub issue_date: Option<String>,
    /// Date of expiry, `YYYY-MM-DD`.
    pub expiry_date: Option<String>,
    /// Date reported, `YYYY-MM-DD`.
    pub reported_date: Option<String>,
    /// The list this record belongs to.
    pub list: String,
    /// Opaque reference of the listing authority (case number etc.).
    pub reference: Option<String>,
}

impl Record {
    /// An empty record for parsers to fill in place (reused across rows: no allocation per row).
    pub(crate) fn blank() -> Record {
        Record {
            issuing_state: String::new(),
            document_type: DocType::Any,
            document_number: String::new(),
            status: Status::Other,
            issue_date: None,
            expiry_date: None,
            reported_date: None,
            list: String::new(),
            reference: None,
        }
    }
}

impl Record {
    /// The record's key.
    pub fn key(&self) -> Key {
        Key {
            issuing_state: self.issuing_state.clone(),
            document_type: self.document_type,
            document_number: self.document_number.clone(),
        }
    }
}

/// A lookup request; build it with [`Query::new`] so the fields are normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The normalised key. A `document_type` of [`DocType::Any`] asks about every type.
    pub key: Key,
}

impl Query {
    /// Normalises and validates the fields (see [`key`]).
    pub fn new(
        issuing_state: &str,
        document_type: &str,
        document_number: &str,
    ) -> Result<Self, KeyError> {
        Ok(Query {
            key: Key::new(issuing_state, document_type, document_number)?,
        })
    }

    /// The exact keys a record may be listed under to answer this query: the query's type and
    /// `ANY`, or every type when the query is for any type.
    pub fn candidate_keys(&self) -> Vec<Key> {
        match self.key.document_type {
            DocType::Any => DocType::CONCRETE
                .iter()
                .chain(std::iter::once(&DocType::Any))
                .map(|t| self.key.with_type(*t))
                .collect(),
            t => vec![self.key.with_type(t), self.key.with_type(DocType::Any)],
        }
    }

    /// Does a record answer this query exactly?
    pub fn matches_exact(&self, r: &Record) -> bool {
        r.issuing_state == self.key.issuing_state
            && r.document_number == self.key.document_number
            && type_matches(self.key.document_type, r.document_type)
    }

    /// Is a record a possible (OCR-confusable) match but not an exact one?
    pub fn matches_possible(&self, r: &Record) -> bool {
        r.issuing_state == self.key.issuing_state
            && type_matches(self.key.document_type, r.document_type)
            && r.document_number != self.key.document_number
            && key::confusable(&r.document_number) == key::confusable(&self.key.document_number)
    }
}

fn type_matches(query: DocType, record: DocType) -> bool {
    query == DocType::Any || record == DocType::Any || query == record
}

/// One matching record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// The listed record.
    pub record: Record,
}

/// The answer to a [`Query`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct LookupResult {
    /// True when at least one record matches exactly.
    pub listed: bool,
    /// Exact matches.
    pub records: Vec<Hit>,
    /// Records whose number differs only by OCR confusions (O/0, I/1, S/5, B/8, Z/2); never
    /// exact matches, and they do not set `listed`.
    pub possible_matches: Vec<Hit>,
}

/// Why a backend could not answer. Never a "not listed": a caller must treat it as "unknown".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The backend cannot be reached or refused the query (server down, connection lost).
    #[error("{backend} unavailable: {reason}")]
    Unavailable {
        /// Which backend (`embedded`, `postgresql`).
        backend: &'static str,
        /// What failed (no document data).
        reason: String,
    },
    /// The backend did not answer in time.
    #[error("{backend} did not answer in time")]
    Timeout {
        /// Which backend.
        backend: &'static str,
    },
    /// The backend answered with data that does not decode.
    #[error("{backend} returned a malformed record: {what}")]
    Corrupt {
        /// Which backend.
        backend: &'static str,
        /// What is wrong.
        what: String,
    },
}

/// Anything that can say whether a document is listed: the embedded [`Store`] and
/// [`pg::PgStore`]. `Err` means "could not look": a backend outage never reads as "not listed".
pub trait DocumentStatusSource: Send + Sync {
    /// Looks the document up.
    fn try_lookup(&self, q: &Query) -> Result<LookupResult, SourceError>;
}

/// The matching policy, shared by every backend: sorts `candidates` (records a backend found
/// under the query's state and OCR-confusable number; `id` identifies a stored record so one
/// found twice counts once) into exact hits and possible matches. A record that is neither is
/// dropped, so a backend may over-fetch (hash collisions, other types). The output order is
/// deterministic (list, type, number, status, reference), whatever the backend's order.
pub fn classify<I>(q: &Query, candidates: I) -> LookupResult
where
    I: IntoIterator<Item = (u64, Record)>,
{
    let mut out = LookupResult::default();
    let mut seen = std::collections::HashSet::new();
    for (id, r) in candidates {
        if !seen.insert(id) {
            continue;
        }
        if q.matches_exact(&r) {
            out.records.push(Hit { record: r });
        } else if q.matches_possible(&r) {
            out.possible_matches.push(Hit { record: r });
        }
    }
    let order = |h: &Hit| {
        let r = &h.record;
        (
            r.list.clone(),
            r.document_type,
            r.document_number.clone(),
            r.status.code(),
            r.reference.clone(),
            r.issue_date.clone(),
            r.expiry_date.clone(),
            r.reported_date.clone(),
        )
    };
    out.records.sort_by_cached_key(order);
    out.possible_matches.sort_by_cached_key(order);
    out.listed = !out.records.is_empty();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(t: DocType, n: &str, list: &str) -> Record {
        Record {
            issuing_state: "D".into(),
            document_type: t,
            document_number: n.into(),
            status: Status::Lost,
            issue_date: None,
            expiry_date: None,
            reported_date: None,
            list: list.into(),
            reference: None,
        }
    }

    #[test]
    fn classify_tiers_dedup_and_order() {
        let q = Query::new("D", "P", "C01X00T47").unwrap();
        let cands = vec![
            (1, rec(DocType::P, "C01X00T47", "b")),
            (2, rec(DocType::Any, "C01X00T47", "a")),
            (1, rec(DocType::P, "C01X00T47", "b")), // the same stored record found twice
            (3, rec(DocType::P, "CO1X00T47", "a")), // OCR twin: possible only
            (4, rec(DocType::I, "C01X00T47", "a")), // other type: neither
            (5, rec(DocType::P, "C01X00T48", "a")), // hash collision: neither
        ];
        let r = classify(&q, cands);
        assert!(r.listed);
        let lists: Vec<&str> = r.records.iter().map(|h| h.record.list.as_str()).collect();
        assert_eq!(lists, vec!["a", "b"]);
        assert_eq!(r.possible_matches.len(), 1);
        assert_eq!(r.possible_matches[0].record.document_number, "CO1X00T47");
        assert_eq!(classify(&q, Vec::new()), LookupResult::default());
    }
}
