//! Record keys: issuing state, document type and document number, normalised
//! (the fields of the MRZ, Doc 9303-3 §4.2.2 and Doc 9303-4 §4.2.2.1).
//!
//! Normalisation, applied to both listed records and queries before any comparison:
//! - issuing state: upper case, fillers `<` removed, must be a Doc 9303-3 §5 code
//!   ([`crate::mrz::country::lookup`]; includes `D`, `GBD`, `UNO`, `XXA`, ...);
//! - document type: the first letter of the MRZ document code (`P`, `I`, `A`, `C`, `V`), or
//!   `ANY` for a record that applies to every type of that state and number;
//! - document number: upper case, fillers `<`, spaces and dashes removed. **Leading zeros are
//!   kept**: a document number is an identifier, not a number, and `012345` and `12345` are
//!   different documents.
//!
//! OCR confusions (`O`/`0`, `I`/`1`, `S`/`5`, `B`/`8`, `Z`/`2`) are handled by a separate
//! *confusable* form that maps each pair to one representative (the digit). Two numbers with the
//! same confusable form but different normalised forms are a *possible match*, never an exact hit.
//!
//! Keys are hashed with SipHash-1-3 under a fixed, published key ([`HASH_K0`], [`HASH_K1`]) so
//! that on-disk snapshots stay valid across Rust versions (std's `DefaultHasher` does not promise
//! that). The hash only narrows the search: every candidate is confirmed against the stored record.

use std::hash::Hasher;

use serde::{Deserialize, Serialize};
use siphasher::sip::SipHasher13;

/// Longest accepted normalised document number. The MRZ field is 9 characters, with the
/// optional-data extension a few more (Doc 9303-4 §4.2.4); national lists may hold longer ones.
pub const MAX_NUMBER_LEN: usize = 35;

/// First half of the fixed SipHash-1-3 key used for snapshot key hashes (format version 1).
pub const HASH_K0: u64 = 0x6970_6d61_7466_6c77; // "wlftampi" little-endian-ish, arbitrary but fixed
/// Second half of the fixed SipHash-1-3 key.
pub const HASH_K1: u64 = 0x3130_7473_696c_6863;

/// Errors in a key field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The issuing state is not a Doc 9303-3 §5 code.
    #[error("issuing state {code:?} is not a Doc 9303-3 code")]
    UnknownState {
        /// The value as given (a state code, not personal data).
        code: String,
    },
    /// The document type is not P, I, A, C, V or ANY.
    #[error("document type {value:?} is not P, I, A, C, V or ANY")]
    BadDocumentType {
        /// The value as given.
        value: String,
    },
    /// The document number is empty after normalisation.
    #[error("document number is empty")]
    EmptyNumber,
    /// The document number is longer than [`MAX_NUMBER_LEN`].
    #[error("document number is {len} characters long (max {MAX_NUMBER_LEN})")]
    NumberTooLong {
        /// Normalised length.
        len: usize,
    },
    /// The document number holds a character other than A-Z, 0-9 (after normalisation).
    #[error("document number has an invalid character at position {position}")]
    NumberBadChar {
        /// 0-based character position in the input (the character itself is not reported).
        position: usize,
    },
}

/// Document type: the first character of the MRZ document code (Doc 9303-3 §4.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DocType {
    /// `P`: passport (TD3).
    P,
    /// `I`: identity card (TD1/TD2).
    I,
    /// `A`: other official travel document (TD1/TD2).
    A,
    /// `C`: other official travel document (TD1/TD2).
    C,
    /// `V`: visa (MRV-A/MRV-B).
    V,
    /// Any type: a record listing the number for every document type of the state.
    Any,
}

impl DocType {
    /// Every concrete type (not [`DocType::Any`]).
    pub const CONCRETE: [DocType; 5] = [DocType::P, DocType::I, DocType::A, DocType::C, DocType::V];

    /// Parses `P`, `I`, `A`, `C`, `V` (or a longer MRZ document code such as `PM`, `ID`,
    /// whose first letter counts) and `ANY` (any case).
    pub fn parse(s: &str) -> Result<Self, KeyError> {
        let t = s.trim().trim_end_matches('<').to_ascii_uppercase();
        if t == "ANY" {
            return Ok(DocType::Any);
        }
        let bad = || KeyError::BadDocumentType {
            value: s.chars().take(8).collect(),
        };
        if t.len() > 2 {
            return Err(bad());
        }
        match t.chars().next() {
            Some('P') => Ok(DocType::P),
            Some('I') => Ok(DocType::I),
            Some('A') => Ok(DocType::A),
            Some('C') => Ok(DocType::C),
            Some('V') => Ok(DocType::V),
            _ => Err(bad()),
        }
    }

    /// The canonical text: `P`, `I`, `A`, `C`, `V` or `ANY`.
    pub fn as_str(self) -> &'static str {
        match self {
            DocType::P => "P",
            DocType::I => "I",
            DocType::A => "A",
            DocType::C => "C",
            DocType::V => "V",
            DocType::Any => "ANY",
        }
    }

    pub(crate) fn to_byte(self) -> u8 {
        match self {
            DocType::P => b'P',
            DocType::I => b'I',
            DocType::A => b'A',
            DocType::C => b'C',
            DocType::V => b'V',
            DocType::Any => b'*',
        }
    }

    pub(crate) fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            b'P' => DocType::P,
            b'I' => DocType::I,
            b'A' => DocType::A,
            b'C' => DocType::C,
            b'V' => DocType::V,
            b'*' => DocType::Any,
            _ => return None,
        })
    }
}

/// Normalises an issuing state code: upper case, fillers and spaces removed, and checked
/// against the Doc 9303-3 §5 list. Returns the code without fillers (e.g. `D`, `GBD`).
pub fn normalize_state(s: &str) -> Result<String, KeyError> {
    // Already normalised (every row of a well-formed list): one table probe.
    if let Some(code) = packed_code(s).and_then(|i| state_table().get(i).copied().flatten()) {
        return Ok(code.to_string());
    }
    let t: String = s
        .chars()
        .filter(|c| *c != '<' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    match crate::mrz::country::lookup(&t) {
        Some(c) => Ok(c.code.to_string()),
        // Utopia, the specimen state of every Doc 9303 example: specimen and test documents
        // are listed too (training, conformance labs).
        None if t == "UTO" => Ok(t),
        None => Err(KeyError::UnknownState {
            code: s.chars().take(8).collect(),
        }),
    }
}

/// [`normalize_state`] into `out` (its memory reused).
pub(crate) fn normalize_state_into(s: &str, out: &mut String) -> Result<(), KeyError> {
    match packed_code(s).and_then(|i| state_table().get(i).copied().flatten()) {
        Some(code) => {
            out.clear();
            out.push_str(code);
        }
        None => *out = normalize_state(s)?,
    }
    Ok(())
}

/// [`normalize_number`] into `out` (its memory reused).
pub(crate) fn normalize_number_into(s: &str, out: &mut String) -> Result<(), KeyError> {
    if is_normal_number(s) {
        out.clear();
        out.push_str(s);
    } else {
        *out = normalize_number(s)?;
    }
    Ok(())
}

/// Is `s` already a normalised document number?
fn is_normal_number(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_NUMBER_LEN
        && s.bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// A code of one to three upper-case letters as a base-27 number (below 27^3).
fn packed_code(s: &str) -> Option<usize> {
    if s.is_empty() || s.len() > 3 {
        return None;
    }
    s.bytes().try_fold(0usize, |acc, c| {
        c.is_ascii_uppercase()
            .then(|| acc * 27 + usize::from(c - b'A') + 1)
    })
}

/// The Doc 9303-3 §5 codes (and `UTO`) indexed by [`packed_code`], built once.
fn state_table() -> &'static [Option<&'static str>] {
    static TABLE: std::sync::OnceLock<Vec<Option<&'static str>>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = vec![None; 27 * 27 * 27];
        let codes = crate::mrz::country::all().iter().map(|c| c.code);
        for code in codes.chain(["UTO"]) {
            if let Some(slot) = packed_code(code).and_then(|i| t.get_mut(i)) {
                *slot = Some(code);
            }
        }
        t
    })
}

/// Normalises a document number: upper case; `<`, spaces (any whitespace) and dashes removed;
/// leading zeros kept. Only A-Z and 0-9 may remain.
pub fn normalize_number(s: &str) -> Result<String, KeyError> {
    // Already normalised: a copy.
    if is_normal_number(s) {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len().min(MAX_NUMBER_LEN));
    for (position, c) in s.chars().enumerate() {
        if c == '<' || c == '-' || c.is_whitespace() {
            continue;
        }
        let u = c.to_ascii_uppercase();
        if !u.is_ascii_uppercase() && !u.is_ascii_digit() {
            return Err(KeyError::NumberBadChar { position });
        }
        if out.len() >= MAX_NUMBER_LEN {
            return Err(KeyError::NumberTooLong {
                len: s.chars().filter(|c| c.is_ascii_alphanumeric()).count(),
            });
        }
        out.push(u);
    }
    if out.is_empty() {
        return Err(KeyError::EmptyNumber);
    }
    Ok(out)
}

/// The confusable form of a *normalised* number: `O`→`0`, `I`→`1`, `S`→`5`, `B`→`8`, `Z`→`2`.
pub fn confusable(normalized: &str) -> String {
    normalized.chars().map(confusable_char).collect()
}

/// One character's confusable form (see [`confusable`]).
pub fn confusable_char(c: char) -> char {
    match c {
        'O' => '0',
        'I' => '1',
        'S' => '5',
        'B' => '8',
        'Z' => '2',
        other => other,
    }
}

/// A normalised key: what a record is listed under and what a query asks for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
    /// Doc 9303-3 §5 code without fillers.
    pub issuing_state: String,
    /// Document type.
    pub document_type: DocType,
    /// Normalised document number.
    pub document_number: String,
}

impl Key {
    /// Normalises and validates the three fields.
    pub fn new(
        issuing_state: &str,
        document_type: &str,
        document_number: &str,
    ) -> Result<Self, KeyError> {
        Ok(Key {
            issuing_state: normalize_state(issuing_state)?,
            document_type: DocType::parse(document_type)?,
            document_number: normalize_number(document_number)?,
        })
    }

    /// The stable 64-bit hash of the exact key.
    pub fn exact_hash(&self) -> u64 {
        key_hash(
            b'E',
            &self.issuing_state,
            self.document_type,
            &self.document_number,
        )
    }

    /// The stable 64-bit hash of the confusable form.
    pub fn confusable_hash(&self) -> u64 {
        key_hash(
            b'C',
            &self.issuing_state,
            self.document_type,
            &confusable(&self.document_number),
        )
    }

    /// The same key with another document type.
    pub fn with_type(&self, t: DocType) -> Key {
        Key {
            document_type: t,
            ..self.clone()
        }
    }
}

/// SipHash-1-3 (fixed key) of `domain | state | 0 | type | number`.
pub fn key_hash(domain: u8, state: &str, t: DocType, number: &str) -> u64 {
    key_hash_bytes(domain, state, t, number.as_bytes())
}

/// [`key_hash`] of a number given as bytes.
pub(crate) fn key_hash_bytes(domain: u8, state: &str, t: DocType, number: &[u8]) -> u64 {
    let mut h = SipHasher13::new_with_keys(HASH_K0, HASH_K1);
    h.write(&[domain]);
    h.write(state.as_bytes());
    h.write(&[0, t.to_byte()]);
    h.write(number);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_number() {
        assert_eq!(normalize_number("l898-902 c<").unwrap(), "L898902C");
        assert_eq!(normalize_number("007").unwrap(), "007");
        assert_eq!(normalize_number("<<"), Err(KeyError::EmptyNumber));
        assert!(matches!(
            normalize_number("AB/1"),
            Err(KeyError::NumberBadChar { position: 2 })
        ));
    }

    #[test]
    fn states_and_types() {
        assert_eq!(normalize_state("d<<").unwrap(), "D");
        assert_eq!(normalize_state("xxa").unwrap(), "XXA");
        assert!(normalize_state("DEU").is_err());
        // The table fast path agrees with the full normalisation for every listed code.
        for c in crate::mrz::country::all() {
            let slow = normalize_state(&c.code.to_ascii_lowercase()).unwrap();
            assert_eq!(normalize_state(c.code).unwrap(), slow);
        }
        assert_eq!(normalize_state("UTO").unwrap(), "UTO");
        assert!(normalize_state("ZZZ").is_err());
        assert!(normalize_state("").is_err());
        assert_eq!(DocType::parse("pm").unwrap(), DocType::P);
        assert_eq!(DocType::parse("any").unwrap(), DocType::Any);
        assert!(DocType::parse("X").is_err());
    }

    #[test]
    fn confusable_and_hash_stable() {
        assert_eq!(confusable("OISBZ9"), "015829");
        let k = Key::new("NLD", "P", "SPECI2014").unwrap();
        // Stable across builds and Rust versions: a changed value would break on-disk snapshots.
        assert_eq!(k.exact_hash(), 14_634_248_539_452_291_736);
        assert_ne!(k.exact_hash(), k.confusable_hash());
    }
}
