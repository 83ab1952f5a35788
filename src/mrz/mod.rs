//! TEMPORARY stub of the mrz API so that `lds` compiles in its own worktree.
//! The real module is written on the `mrz` branch; the lead drops this commit at merge.
#![allow(missing_docs)]

/// Stub MRZ error.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MrzError {
    /// Stub: bad input.
    #[error("invalid MRZ")]
    Invalid,
}

/// Stub parsed MRZ: only the lines.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mrz {
    lines: Vec<String>,
}

impl Mrz {
    /// The MRZ lines.
    pub fn lines(&self) -> Vec<String> {
        self.lines.clone()
    }
}

/// Stub: splits DG1 MRZ text into lines of 30 (TD1), 36 (TD2) or 44 (TD3) characters.
pub fn parse_dg1(text: &str) -> Result<Mrz, MrzError> {
    let width = match text.len() {
        90 => 30,
        72 => 36,
        88 => 44,
        _ => return Err(MrzError::Invalid),
    };
    if !text.is_ascii() {
        return Err(MrzError::Invalid);
    }
    let lines = text
        .as_bytes()
        .chunks(width)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    Ok(Mrz { lines })
}

/// Stub: joins the lines and parses them as DG1 text.
pub fn parse(lines: &[&str]) -> Result<Mrz, MrzError> {
    parse_dg1(&lines.concat())
}

/// Check digit (Doc 9303-3 §4.9, weights 7-3-1); `None` outside `A-Z 0-9 <`.
pub fn check_digit(field: &str) -> Option<u8> {
    let mut sum: u32 = 0;
    for (c, w) in field.chars().zip([7u32, 3, 1].iter().cycle()) {
        let v = match c {
            '<' => 0,
            '0'..='9' | 'A'..='Z' => c.to_digit(36)?,
            _ => return None,
        };
        sum = (sum + v * w) % 10;
    }
    u8::try_from(sum).ok()
}
