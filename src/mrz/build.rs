//! MRZ generation for test-data generators and property tests: fills in fillers and every
//! check digit (Doc 9303-3 §4.9) for the layouts of Doc 9303 Parts 4-7.

use super::check_digit::{check_digit_char, is_mrz_char};
use super::MrzFormat;

/// A field that cannot be encoded.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// A character outside `A-Z 0-9 <` (names may also use spaces).
    #[error("field {field}: character {found:?} is not allowed")]
    InvalidCharacter {
        /// The field.
        field: &'static str,
        /// The character.
        found: char,
    },
    /// The field does not fit.
    #[error("field {field}: {found} characters, at most {max} fit")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Characters given.
        found: usize,
        /// Characters that fit.
        max: usize,
    },
    /// A date that is not six characters.
    #[error("field {field}: dates are 6 characters (YYMMDD)")]
    DateLength {
        /// The field.
        field: &'static str,
    },
}

/// Field values for one MRZ. Text is given without fillers (they are added); names use spaces
/// between components. [`MrzBuilder::build`] returns the printed lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MrzBuilder {
    /// Layout.
    pub format: MrzFormat,
    /// Document code, 1-2 characters (`P`, `I`, `ID`, `V`...).
    pub document_code: String,
    /// Issuing state, 1-3 characters.
    pub issuing_state: String,
    /// Primary identifier (surname).
    pub primary_identifier: String,
    /// Secondary identifier (given names).
    pub secondary_identifier: String,
    /// Document number; more than 9 characters only for TD1/TD2 (long-number rule).
    pub document_number: String,
    /// Nationality, 1-3 characters.
    pub nationality: String,
    /// `YYMMDD` (parts may be `<<`).
    pub date_of_birth: String,
    /// `YYMMDD`.
    pub date_of_expiry: String,
    /// `M`, `F`, `X` or `<`.
    pub sex: char,
    /// Optional data (TD3: personal number; TD1: line 1 optional data).
    pub optional_data: String,
    /// TD1 line 2 optional data (ignored for other formats).
    pub optional_data_2: String,
}

impl MrzBuilder {
    /// A builder with the Doc 9303 specimen defaults for `format` (Utopia, Anna Maria
    /// Eriksson), to be changed field by field.
    pub fn new(format: MrzFormat) -> Self {
        let code = match format {
            MrzFormat::Td3 => "P",
            MrzFormat::Td1 | MrzFormat::Td2 => "I",
            MrzFormat::MrvA | MrzFormat::MrvB => "V",
        };
        Self {
            format,
            document_code: code.into(),
            issuing_state: "UTO".into(),
            primary_identifier: "ERIKSSON".into(),
            secondary_identifier: "ANNA MARIA".into(),
            document_number: "L898902C3".into(),
            nationality: "UTO".into(),
            date_of_birth: "740812".into(),
            date_of_expiry: "120415".into(),
            sex: 'F',
            optional_data: String::new(),
            optional_data_2: String::new(),
        }
    }

    /// The printed lines, with fillers and check digits.
    ///
    /// # Errors
    /// [`BuildError`] for a character outside the MRZ set, a field that does not fit, or a
    /// long document number in a format without the long-number rule.
    pub fn build(&self) -> Result<Vec<String>, BuildError> {
        let f = self.format;
        let len = f.line_len();
        let code = pad("document_code", &self.document_code, 2)?;
        let state = pad("issuing_state", &self.issuing_state, 3)?;
        let nat = pad("nationality", &self.nationality, 3)?;
        let dob = date("date_of_birth", &self.date_of_birth)?;
        let doe = date("date_of_expiry", &self.date_of_expiry)?;
        let sex = pad("sex", &self.sex.to_string(), 1)?;
        let name_len = if f == MrzFormat::Td1 { 30 } else { len - 5 };
        let name = pad(
            "name",
            &name_field(&self.primary_identifier, &self.secondary_identifier)?,
            name_len,
        )?;
        let opt_len: usize = match f {
            MrzFormat::Td1 => 15,
            MrzFormat::Td2 => 7,
            MrzFormat::Td3 => 14,
            MrzFormat::MrvA => 16,
            MrzFormat::MrvB => 8,
        };
        check_chars("document_number", &self.document_number)?;
        check_chars("optional_data", &self.optional_data)?;
        let dn_len = self.document_number.chars().count();
        let (dn_field, dn_cd, opt) = if dn_len > 9 {
            if !matches!(f, MrzFormat::Td1 | MrzFormat::Td2) {
                return Err(BuildError::TooLong {
                    field: "document_number",
                    found: dn_len,
                    max: 9,
                });
            }
            let (head, rest) =
                self.document_number
                    .split_at_checked(9)
                    .ok_or(BuildError::InvalidCharacter {
                        field: "document_number",
                        found: '?',
                    })?;
            if rest.contains('<') {
                return Err(BuildError::InvalidCharacter {
                    field: "document_number",
                    found: '<',
                });
            }
            let cd = cd(&self.document_number)?;
            // Continuation, its check digit, one filler, then the optional data proper.
            let max = opt_len.saturating_sub(2);
            if rest.len() > max {
                return Err(BuildError::TooLong {
                    field: "document_number",
                    found: dn_len,
                    max: 9 + max,
                });
            }
            let opt = if self.optional_data.is_empty() {
                format!("{rest}{cd}")
            } else {
                format!("{rest}{cd}<{}", self.optional_data)
            };
            (head.to_string(), '<', pad("optional_data", &opt, opt_len)?)
        } else {
            let dn = pad("document_number", &self.document_number, 9)?;
            let c = cd(&dn)?;
            (dn, c, pad("optional_data", &self.optional_data, opt_len)?)
        };
        let dob_cd = cd(&dob)?;
        let doe_cd = cd(&doe)?;

        let lines = match f {
            MrzFormat::Td1 => {
                let opt2 = pad("optional_data_2", &self.optional_data_2, 11)?;
                let l1 = format!("{code}{state}{dn_field}{dn_cd}{opt}");
                let l2_body = format!("{dob}{dob_cd}{sex}{doe}{doe_cd}{nat}{opt2}");
                let comp = cd(&format!(
                    "{dn_field}{dn_cd}{opt}{dob}{dob_cd}{doe}{doe_cd}{opt2}"
                ))?;
                vec![l1, format!("{l2_body}{comp}"), name]
            }
            _ => {
                let l1 = format!("{code}{state}{name}");
                let mut l2 = format!("{dn_field}{dn_cd}{nat}{dob}{dob_cd}{sex}{doe}{doe_cd}{opt}");
                let head = format!("{dn_field}{dn_cd}{dob}{dob_cd}{doe}{doe_cd}{opt}");
                match f {
                    MrzFormat::Td3 => {
                        let pn_cd = cd(&opt)?;
                        l2.push(pn_cd);
                        let comp = cd(&format!("{head}{pn_cd}"))?;
                        l2.push(comp);
                    }
                    MrzFormat::Td2 => l2.push(cd(&head)?),
                    _ => {}
                }
                vec![l1, l2]
            }
        };
        Ok(lines)
    }
}

fn cd(s: &str) -> Result<char, BuildError> {
    check_digit_char(s).ok_or(BuildError::InvalidCharacter {
        field: "check digit input",
        found: '?',
    })
}

fn check_chars(field: &'static str, s: &str) -> Result<(), BuildError> {
    match s.chars().find(|c| !is_mrz_char(*c)) {
        Some(found) => Err(BuildError::InvalidCharacter { field, found }),
        None => Ok(()),
    }
}

/// `s` padded with fillers to `n` characters.
fn pad(field: &'static str, s: &str, n: usize) -> Result<String, BuildError> {
    check_chars(field, s)?;
    let found = s.chars().count();
    if found > n {
        return Err(BuildError::TooLong {
            field,
            found,
            max: n,
        });
    }
    let mut out = s.to_string();
    out.extend(std::iter::repeat_n('<', n - found));
    Ok(out)
}

fn date(field: &'static str, s: &str) -> Result<String, BuildError> {
    check_chars(field, s)?;
    if s.chars().count() != 6 {
        return Err(BuildError::DateLength { field });
    }
    Ok(s.to_string())
}

/// `PRIMARY<<SECONDARY` with spaces as `<` (Doc 9303-3 §4.6); no truncation.
fn name_field(primary: &str, secondary: &str) -> Result<String, BuildError> {
    let p = primary.replace(' ', "<");
    let s = secondary.replace(' ', "<");
    check_chars("primary_identifier", &p)?;
    check_chars("secondary_identifier", &s)?;
    Ok(if s.is_empty() { p } else { format!("{p}<<{s}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn td3_specimen() {
        // MRZ specimens TD1/TD2/TD3 with check digits, long document numbers, and negative cases
        let mut b = MrzBuilder::new(MrzFormat::Td3);
        b.optional_data = "ZE184226B".into();
        assert_eq!(
            b.build().unwrap(),
            [
                "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
            ]
        );
    }

    #[test]
    fn td1_long_number() {
        // MRZ specimens TD1/TD2/TD3 with check digits, long document numbers, and negative cases
        let mut b = MrzBuilder::new(MrzFormat::Td1);
        b.document_number = "D23145890734".into();
        b.primary_identifier = "STEVENSON".into();
        b.secondary_identifier = "PETER JOHN".into();
        b.date_of_birth = "340712".into();
        b.date_of_expiry = "950712".into();
        b.sex = 'M';
        assert_eq!(
            b.build().unwrap(),
            [
                "I<UTOD23145890<7349<<<<<<<<<<<",
                "3407127M9507122UTO<<<<<<<<<<<2",
                "STEVENSON<<PETER<JOHN<<<<<<<<<"
            ]
        );
        b.format = MrzFormat::Td3;
        assert!(matches!(b.build(), Err(BuildError::TooLong { .. })));
    }

    #[test]
    fn rejects() {
        let mut b = MrzBuilder::new(MrzFormat::Td2);
        b.primary_identifier = "A".repeat(40);
        assert!(matches!(
            b.build(),
            Err(BuildError::TooLong { field: "name", .. })
        ));
        let mut b = MrzBuilder::new(MrzFormat::Td2);
        b.issuing_state = "utö".into();
        assert!(matches!(
            b.build(),
            Err(BuildError::InvalidCharacter { .. })
        ));
        let mut b = MrzBuilder::new(MrzFormat::Td2);
        b.date_of_birth = "7408".into();
        assert!(matches!(b.build(), Err(BuildError::DateLength { .. })));
    }
}
