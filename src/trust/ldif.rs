//! ICAO PKD downloads in LDIF (RFC 2849): DS certificates and CRLs (`icaopkd-001-...ldif`),
//! CSCA master lists (`icaopkd-002-...ldif`) and deviation lists (`icaopkd-003-...ldif`).
//! Only the binary attributes matter here; every value is a DER object parsed elsewhere.

use base64::Engine;

/// Caps: the full ICAO PKD download is some tens of MB with tens of thousands of entries.
const MAX_ENTRIES: usize = 1_000_000;
const MAX_VALUE: usize = 16 * 1024 * 1024;

/// One object an entry carries.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LdifObject {
    /// `userCertificate;binary` or `cACertificate;binary` (DER).
    Certificate(Vec<u8>),
    /// `certificateRevocationList;binary` (DER).
    Crl(Vec<u8>),
    /// `pkdMasterListContent` (CMS).
    MasterList(Vec<u8>),
    /// `pkdDlContent` / `pkdDeviationListContent` (CMS).
    DeviationList(Vec<u8>),
}

/// An LDIF record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdifEntry {
    /// Its distinguished name.
    pub dn: String,
    /// The objects it carries.
    pub objects: Vec<LdifObject>,
}

/// A malformed LDIF file.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LdifError {
    /// A line that is neither `name: value`, `name:: base64`, a continuation nor a comment.
    #[error("line {line}: {detail}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        detail: &'static str,
    },
    /// Over a cap.
    #[error("LDIF larger than the caps ({what})")]
    TooLarge {
        /// Which cap.
        what: &'static str,
    },
}

fn object(name: &str, value: Vec<u8>) -> Option<LdifObject> {
    let n = name.to_ascii_lowercase();
    match n.as_str() {
        "usercertificate;binary" | "cacertificate;binary" | "usercertificate" => {
            Some(LdifObject::Certificate(value))
        }
        "certificaterevocationlist;binary" | "certificaterevocationlist" => {
            Some(LdifObject::Crl(value))
        }
        "pkdmasterlistcontent" | "pkdmasterlistcontent;binary" => {
            Some(LdifObject::MasterList(value))
        }
        "pkddlcontent" | "pkddeviationlistcontent" | "pkddlcontent;binary" => {
            Some(LdifObject::DeviationList(value))
        }
        _ => None,
    }
}

/// Parses an LDIF file into its entries (values of other attributes are ignored).
pub fn parse(text: &[u8]) -> Result<Vec<LdifEntry>, LdifError> {
    // Unfold continuation lines (a line starting with one space continues the previous one).
    let mut logical: Vec<(usize, Vec<u8>)> = Vec::new();
    for (i, raw) in text.split(|b| *b == b'\n').enumerate() {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if let Some(rest) = line.strip_prefix(b" ") {
            match logical.last_mut() {
                Some((_, l)) if !l.is_empty() => {
                    if l.len().saturating_add(rest.len()) > MAX_VALUE * 2 {
                        return Err(LdifError::TooLarge { what: "value" });
                    }
                    l.extend_from_slice(rest);
                }
                _ => {
                    return Err(LdifError::Line {
                        line: i + 1,
                        detail: "continuation without a line to continue",
                    })
                }
            }
        } else {
            logical.push((i + 1, line.to_vec()));
        }
    }
    let mut entries = Vec::new();
    let mut current: Option<LdifEntry> = None;
    for (line_no, line) in logical {
        if line.is_empty() {
            if let Some(e) = current.take() {
                if entries.len() >= MAX_ENTRIES {
                    return Err(LdifError::TooLarge { what: "entries" });
                }
                entries.push(e);
            }
            continue;
        }
        if line.first() == Some(&b'#') {
            continue;
        }
        let bad = |detail| LdifError::Line {
            line: line_no,
            detail,
        };
        let colon = line.iter().position(|b| *b == b':').ok_or(bad("no ':'"))?;
        let name = std::str::from_utf8(line.get(..colon).unwrap_or_default())
            .map_err(|_| bad("attribute name not UTF-8"))?;
        let rest = line.get(colon + 1..).unwrap_or_default();
        let value = if let Some(b64) = rest.strip_prefix(b":") {
            let t: Vec<u8> = b64
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            if t.len() > MAX_VALUE * 4 / 3 + 4 {
                return Err(LdifError::TooLarge { what: "value" });
            }
            base64::engine::general_purpose::STANDARD
                .decode(&t)
                .map_err(|_| bad("invalid base64"))?
        } else {
            rest.strip_prefix(b" ").unwrap_or(rest).to_vec()
        };
        if name.eq_ignore_ascii_case("dn") {
            if let Some(e) = current.take() {
                entries.push(e);
            }
            current = Some(LdifEntry {
                dn: String::from_utf8_lossy(&value).into_owned(),
                objects: Vec::new(),
            });
            continue;
        }
        if name.eq_ignore_ascii_case("version") && current.is_none() {
            continue;
        }
        let entry = current.as_mut().ok_or(bad("attribute before any dn"))?;
        if let Some(o) = object(name, value) {
            entry.objects.push(o);
        }
    }
    if let Some(e) = current.take() {
        entries.push(e);
    }
    Ok(entries)
}

/// Encodes entries as LDIF (for the test PKI and tests): 76-column folded base64.
pub fn encode(entries: &[(&str, &str, &[u8])]) -> String {
    let mut out = String::from("version: 1\n\n");
    for (dn, attr, der) in entries {
        out.push_str(&format!("dn: {dn}\nobjectClass: top\n"));
        let line = format!(
            "{attr}:: {}",
            base64::engine::general_purpose::STANDARD.encode(der)
        );
        let mut first = true;
        let mut rest = line.as_str();
        while !rest.is_empty() {
            let take = if first { 76 } else { 75 }.min(rest.len());
            let (a, b) = rest.split_at(take);
            if !first {
                out.push(' ');
            }
            out.push_str(a);
            out.push('\n');
            rest = b;
            first = false;
        }
        out.push('\n');
    }
    out
}

/// Does `bytes` start like an LDIF file (RFC 2849: a `version:` line or a first `dn:`)? How
/// imports tell ICAO PKD LDIF downloads from DER/PEM objects.
pub fn looks_like_ldif(bytes: &[u8]) -> bool {
    bytes.starts_with(b"version:") || bytes.starts_with(b"dn:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_folded_and_typed() {
        let cert = vec![0x30u8; 200];
        let crl = vec![0x31u8; 90];
        let text = encode(&[
            ("cn=a,o=dsc,c=UT", "userCertificate;binary", &cert),
            ("cn=b,o=crl,c=UT", "certificateRevocationList;binary", &crl),
        ]);
        assert!(text.lines().all(|l| l.len() <= 76));
        let e = parse(text.as_bytes()).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].objects, vec![LdifObject::Certificate(cert)]);
        assert_eq!(e[1].objects, vec![LdifObject::Crl(crl)]);
        assert_eq!(e[1].dn, "cn=b,o=crl,c=UT");
    }

    #[test]
    fn malformed_lines_are_typed_errors() {
        assert!(matches!(
            parse(b" x\n"),
            Err(LdifError::Line { line: 1, .. })
        ));
        assert!(matches!(
            parse(b"dn: x\nuserCertificate;binary:: !!!\n"),
            Err(LdifError::Line { line: 2, .. })
        ));
        assert!(matches!(
            parse(b"objectClass: top\n"),
            Err(LdifError::Line { .. })
        ));
        assert!(parse(b"").unwrap().is_empty());
    }
}
