//! MRZ parsing, check digits and `inspectd mrz`, against the shared Doc 9303 vectors
//! (`testdata/vectors/doc9303-worked-examples.json`; each test names its entry) and property
//! tests over generated MRZs.
// Test helpers outside #[test] functions: the test-only lint exemptions apply to them too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use inspectd::mrz::{
    self, check_digit, CheckedField, Date, DateKind, Finding, MrzBuilder, MrzError, MrzFormat, Sex,
};
use proptest::prelude::*;
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};

const MRZ_ENTRY: &str =
    "MRZ specimens TD1/TD2/TD3 with check digits, long document numbers, and negative cases";
const PART3_ENTRY: &str =
    "Doc 9303 Part 3 §4.9 check-digit examples (single field and composite for TD3/TD1/TD2)";
const BAC_ENTRY: &str = "BAC key derivation + mutual authentication (Doc 9303-11 App. D.2/D.3)";
const LDS_ENTRY: &str =
    "LDS parsing vectors: EF.COM, EF.DG1 (TD3), EF.CardAccess (PACEInfo), SecurityInfos";
const BSI_ENTRY: &str =
    "BSI TR-03105 Part 5 Reference Data Set ('Mustermann' EAC passport): EF.COM, DG1, EF.SOD (RSASSA-PSS)";

fn entry(name: &str) -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/vectors/doc9303-worked-examples.json"
    );
    let all: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("vector entry {name:?} missing"))
        .clone()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

fn today() -> Date {
    Date::new(2025, 6, 15).unwrap()
}

fn field_name(name: &str) -> CheckedField {
    match name {
        "document_number" => CheckedField::DocumentNumber,
        "date_of_birth" => CheckedField::DateOfBirth,
        "date_of_expiry" => CheckedField::DateOfExpiry,
        "personal_number" => CheckedField::PersonalNumber,
        "composite" => CheckedField::Composite,
        other => panic!("unknown check {other}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Check digits

#[test]
fn check_digits_mrz_entry() {
    // Entry: "MRZ specimens TD1/TD2/TD3 with check digits, long document numbers, and negative cases"
    let e = entry(MRZ_ENTRY);
    let cases = e["fields"]["simple_check_digits"].as_array().unwrap();
    assert_eq!(cases.len(), 12);
    for c in cases {
        let want: u8 = s(&c["check_digit"]).parse().unwrap();
        assert_eq!(check_digit(s(&c["data"])), Some(want), "{}", c["data"]);
    }
}

#[test]
fn check_digits_part3_entry() {
    // Entry: "Doc 9303 Part 3 §4.9 check-digit examples (single field and composite for TD3/TD1/TD2)"
    let e = entry(PART3_ENTRY);
    for c in e["fields"]["examples"].as_array().unwrap() {
        let want: u8 = s(&c["check_digit"]).parse().unwrap();
        assert_eq!(check_digit(s(&c["input"])), Some(want), "{}", c["input"]);
    }
    assert_eq!(check_digit("a"), None);
    assert_eq!(check_digit("L898902C "), None);
}

#[test]
fn part3_source_lines_composites() {
    // Entry: "Doc 9303 Part 3 §4.9 check-digit examples (single field and composite for TD3/TD1/TD2)".
    // The source lines lack their composite digit (8, 2 and 8 per the examples); completed
    // with it and a name line, each must parse with every check digit holding.
    let e = entry(PART3_ENTRY);
    let src = &e["fields"]["source_lines"];
    let td3_l2 = format!("{}8", s(&src["TD3_line2"]));
    let td3_l1 = format!("P<YTO{:<<39}", "ERIKSSON<<ANNA");
    let m = mrz::parse(&[&td3_l1, &td3_l2]).unwrap();
    assert_eq!(m.format, MrzFormat::Td3);
    assert!(m.valid(), "{:?}", m.check_digits);
    assert_eq!(m.check(CheckedField::PersonalNumber).unwrap().expected, '0');
    assert_eq!(m.document_number, "HA672242");
    assert_eq!(m.mrz_information(), "HA672242<658022549601086");

    let td2_l1 = format!("I<YTO{:<<31}", "ERIKSSON<<ANNA");
    let td2_l2 = format!("{}8", s(&src["TD2_line2"]));
    let m = mrz::parse(&[&td2_l1, &td2_l2]).unwrap();
    assert_eq!(m.format, MrzFormat::Td2);
    assert!(m.valid(), "{:?}", m.check_digits);

    let td1_l2 = format!("{}2", s(&src["TD1_line2"]));
    let m = mrz::parse(&[
        s(&src["TD1_line1"]),
        &td1_l2,
        "ERIKSSON<<ANNA<<<<<<<<<<<<<<<<",
    ])
    .unwrap();
    assert_eq!(m.format, MrzFormat::Td1);
    assert!(m.valid(), "{:?}", m.check_digits);
    assert_eq!(m.document_number, "D23145890");
}

// ---------------------------------------------------------------------------------------------
// Specimens

#[test]
fn specimens_parse_with_expected_fields() {
    // Entry: "MRZ specimens TD1/TD2/TD3 with check digits, long document numbers, and negative cases"
    let e = entry(MRZ_ENTRY);
    let specimens = e["fields"]["specimens"].as_array().unwrap();
    assert_eq!(specimens.len(), 7);
    for sp in specimens {
        let label = s(&sp["label"]);
        let lines: Vec<&str> = sp["lines"].as_array().unwrap().iter().map(s).collect();
        let m = mrz::parse_at(&lines, today()).unwrap_or_else(|err| panic!("{label}: {err}"));
        assert_eq!(m.format.name(), s(&sp["format"]), "{label}");
        let exp = &sp["expected"];
        assert_eq!(m.document_number, s(&exp["document_number"]), "{label}");
        assert_eq!(m.date_of_birth.raw, s(&exp["dob"]), "{label}");
        assert_eq!(m.date_of_expiry.raw, s(&exp["doe"]), "{label}");
        assert_eq!(m.sex.as_char().to_string(), s(&exp["sex"]), "{label}");
        if let Some(n) = exp.get("nationality") {
            assert_eq!(m.nationality, s(n), "{label}");
        }
        if let Some(o) = exp.get("optional") {
            assert_eq!(m.optional_data, s(o), "{label}");
        }
        // Every check digit the vector lists, given and computed.
        let cds = sp["check_digits"].as_object().unwrap();
        // The vector lists the TD3 personal-number digit only where the field is used.
        assert!(cds.len() <= m.check_digits.len(), "{label}");
        for (name, c) in cds {
            let got = m
                .check(field_name(name))
                .unwrap_or_else(|| panic!("{label}: {name}"));
            assert_eq!(got.expected.to_string(), s(&c["given"]), "{label} {name}");
            assert_eq!(
                got.computed.to_string(),
                s(&c["computed"]),
                "{label} {name}"
            );
            assert_eq!(
                check_digit(s(&c["data"])).unwrap().to_string(),
                s(&c["computed"])
            );
            assert!(got.valid, "{label} {name}");
        }
        assert_eq!(m.valid(), sp["valid"].as_bool().unwrap(), "{label}");
        // The lines round-trip, and the DG1 form parses to the same MRZ.
        assert_eq!(m.lines(), lines, "{label}");
        assert_eq!(
            mrz::parse_dg1_at(&lines.concat(), today()).unwrap(),
            m,
            "{label}"
        );
        assert!(
            !m.findings
                .iter()
                .any(|f| matches!(f, Finding::InvalidDate { .. })),
            "{label}"
        );
    }
}

#[test]
fn specimen_details() {
    // Entry: "MRZ specimens TD1/TD2/TD3 with check digits, long document numbers, and negative cases"
    let e = entry(MRZ_ENTRY);
    let sp = &e["fields"]["specimens"];
    let lines = |i: usize| -> Vec<String> {
        sp[i]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| s(l).to_string())
            .collect()
    };
    let parse = |i: usize| {
        let l = lines(i);
        let r: Vec<&str> = l.iter().map(String::as_str).collect();
        mrz::parse_at(&r, today()).unwrap()
    };

    let td3 = parse(0);
    assert_eq!(td3.document_code, "P");
    assert_eq!(td3.issuing_state, "UTO");
    assert_eq!(td3.issuing_state_name, None);
    assert_eq!(td3.primary_identifier, "ERIKSSON");
    assert_eq!(td3.secondary_identifier, "ANNA MARIA");
    assert_eq!(td3.sex, Sex::Female);
    assert_eq!(td3.date_of_birth.resolved.as_deref(), Some("1974-08-12"));
    assert_eq!(td3.date_of_expiry.resolved.as_deref(), Some("2012-04-15"));
    assert_eq!(td3.optional_data_2, None);
    assert!(!td3.long_document_number);
    // UTO (Utopia) is a specimen state, not a Doc 9303-3 code: reported, not malformed.
    assert!(td3.findings.contains(&Finding::UnknownIssuingState {
        value: "UTO".into()
    }));
    assert!(td3.findings.contains(&Finding::UnknownNationality {
        value: "UTO".into()
    }));
    assert_eq!(td3.mrz_information(), "L898902C3674081221204159");

    let td1 = parse(1);
    assert_eq!(td1.document_code, "I");
    assert_eq!(td1.primary_identifier, "ERIKSSON");
    assert_eq!(td1.secondary_identifier, "ANNA MARIA");
    assert_eq!(td1.optional_data, "");
    assert_eq!(td1.optional_data_2.as_deref(), Some(""));
    assert_eq!(td1.nationality, "UTO");

    let td1_long = parse(2);
    assert!(td1_long.long_document_number);
    assert_eq!(td1_long.document_number, "D23145890734");
    assert_eq!(td1_long.primary_identifier, "STEVENSON");
    assert_eq!(td1_long.secondary_identifier, "PETER JOHN");
    // The document-number check digit sits after the continuation in the optional data.
    let dn = td1_long.check(CheckedField::DocumentNumber).unwrap();
    assert_eq!((dn.line, dn.column, dn.expected), (1, 19, '9'));
    assert_eq!(td1_long.optional_data, "");
    // Born 1934 (a 2034 birth would be in the future); expired 1995.
    assert_eq!(
        td1_long.date_of_birth.resolved.as_deref(),
        Some("1934-07-12")
    );
    assert_eq!(
        td1_long.date_of_expiry.resolved.as_deref(),
        Some("1995-07-12")
    );
    // Key seed input for a long number: full number + its check digit (JMRTD's choice).
    assert_eq!(td1_long.mrz_information(), "D23145890734934071279507122");

    let td2_long = parse(4);
    assert!(td2_long.long_document_number);
    assert_eq!(td2_long.document_number, "D23145890734");
    let dn = td2_long.check(CheckedField::DocumentNumber).unwrap();
    assert_eq!((dn.line, dn.column, dn.expected), (2, 32, '9'));
    assert_eq!(td2_long.optional_data, "");

    // Issuing state 'D' (Germany) padded with fillers.
    let d = parse(5);
    assert_eq!(d.issuing_state, "D");
    assert_eq!(d.issuing_state_name, Some("Germany"));
    assert_eq!(d.primary_identifier, "DOE");
    assert_eq!(d.secondary_identifier, "JOHN");
    assert_eq!(d.date_of_expiry.resolved.as_deref(), Some("2035-05-20"));
}

#[test]
fn bac_mrz_information() {
    // Entry: "BAC key derivation + mutual authentication (Doc 9303-11 App. D.2/D.3)"
    let e = entry(BAC_ENTRY);
    let f = &e["fields"];
    let l1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
    let m = mrz::parse(&[l1, s(&f["mrz_line2_old_specimen"])]).unwrap();
    assert_eq!(m.mrz_information(), s(&f["mrz_information"]));
    assert!(m.valid(), "{:?}", m.check_digits);
    // The document number field keeps its filler in the key seed input.
    assert_eq!(
        m.document_number,
        s(&f["document_number"]).trim_end_matches('<')
    );
    let cd = |c| m.check(c).unwrap().expected.to_string();
    assert_eq!(
        cd(CheckedField::DocumentNumber),
        s(&f["document_number_cd"])
    );
    assert_eq!(cd(CheckedField::DateOfBirth), s(&f["dob_cd"]));
    assert_eq!(cd(CheckedField::DateOfExpiry), s(&f["doe_cd"]));
    assert_eq!(m.date_of_birth.raw, s(&f["date_of_birth"]));
    assert_eq!(m.date_of_expiry.raw, s(&f["date_of_expiry"]));
}

#[test]
fn dg1_samples() {
    // Entries: "LDS parsing vectors: EF.COM, EF.DG1 (TD3), ..." and "BSI TR-03105 Part 5 Reference
    // Data Set ('Mustermann' EAC passport): ..."
    let e = entry(LDS_ENTRY);
    let text = e["fields"]["EF.DG1_TD3"]["mrz"].as_str().unwrap();
    let m = mrz::parse_dg1(text).unwrap();
    assert_eq!(m.format, MrzFormat::Td3);
    assert!(m.valid());
    assert_eq!(m.primary_identifier, "ANDERSON");
    assert_eq!(m.lines().concat(), text);

    let e = entry(BSI_ENTRY);
    let m = mrz::parse_dg1_at(s(&e["fields"]["DG1_MRZ"]), today()).unwrap();
    assert!(m.valid(), "{:?}", m.check_digits);
    assert_eq!(m.issuing_state, "D");
    assert_eq!(m.nationality, "D");
    assert_eq!(m.nationality_name, Some("Germany"));
    assert_eq!(m.document_number, "C11T002JM");
    assert_eq!(m.primary_identifier, "MUSTERMANN");
    assert_eq!(m.secondary_identifier, "ERIKA");
    assert!(m.findings.is_empty(), "{:?}", m.findings);
    assert_eq!(m.mrz_information(), "C11T002JM496081222310314");
}

// ---------------------------------------------------------------------------------------------
// Negative cases

#[test]
fn negative_check_digit_cases() {
    // Entry: "MRZ specimens TD1/TD2/TD3 with check digits, long document numbers, and negative cases"
    let e = entry(MRZ_ENTRY);
    let cases = e["fields"]["negative_check_digit_cases"]
        .as_array()
        .unwrap();
    assert_eq!(cases.len(), 13);
    for c in cases {
        let text = s(&c["mrz"]);
        let m = mrz::parse_dg1(text).unwrap();
        assert_eq!(m.format.name(), s(&c["format"]));
        let mut want: Vec<CheckedField> = c["failing_checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| field_name(s(f)))
            .collect();
        let mut got = m.failing_checks();
        want.sort_by_key(|f| f.name());
        got.sort_by_key(|f| f.name());
        assert_eq!(got, want, "{}", c["corrupted_field"]);
        assert!(!m.valid());
        // The corrupted field's own check reports printed vs computed.
        let f = m.check(field_name(s(&c["corrupted_field"]))).unwrap();
        assert_ne!(f.expected, f.computed);
    }
}

#[test]
fn negative_structure_cases() {
    // Entry: "MRZ specimens TD1/TD2/TD3 with check digits, long document numbers, and negative cases"
    let e = entry(MRZ_ENTRY);
    let cases = e["fields"]["negative_structure_cases"].as_array().unwrap();
    let errs: Vec<MrzError> = cases
        .iter()
        .map(|c| mrz::parse_dg1(s(&c["mrz"])).unwrap_err())
        .collect();
    assert!(
        matches!(
            errs[0],
            MrzError::TextLength {
                found: 89,
                line: 1,
                ..
            }
        ),
        "{:?}",
        errs[0]
    );
    assert!(
        matches!(
            errs[1],
            MrzError::TextLength {
                found: 71,
                line: 1,
                column: 72
            }
        ),
        "{:?}",
        errs[1]
    );
    assert!(
        matches!(
            errs[2],
            MrzError::TextLength {
                found: 87,
                line: 1,
                column: 88
            }
        ),
        "{:?}",
        errs[2]
    );
    assert_eq!(
        errs[3],
        MrzError::LongDocumentNumber {
            line: 1,
            column: 16
        }
    );
    // The same cases split into printed lines give line-level errors.
    let t = s(&cases[1]["mrz"]);
    let err = mrz::parse(&[&t[..36], &t[36..]]).unwrap_err();
    assert_eq!(
        err,
        MrzError::LineLength {
            line: 2,
            column: 36,
            found: 35,
            expected: 36
        }
    );
    let t = s(&cases[3]["mrz"]);
    let err = mrz::parse(&[&t[..30], &t[30..60], &t[60..]]).unwrap_err();
    assert_eq!((err.line(), err.column()), (1, 16));
}

#[test]
fn second_double_filler_in_name_is_accepted() {
    // Entry "MRZ specimens TD1/TD2/TD3 with check digits, long document numbers, and negative
    // cases", "implementation_specific_negative (gmrtd only)": ICAO does not make a second '<<'
    // in the name an error, so it parses (the extra separator becomes a space).
    let e = entry(MRZ_ENTRY);
    let note = s(&e["fields"]["implementation_specific_negative (gmrtd only)"][0]);
    let text = note.split(' ').next().unwrap();
    let m = mrz::parse_dg1(text).unwrap();
    assert!(m.valid());
    assert_eq!(m.primary_identifier, "STEVENSON");
    assert_eq!(m.secondary_identifier, "PETER JOHN");
}

#[test]
fn structure_errors_name_line_and_column() {
    let l1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
    let l2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10";
    assert!(matches!(
        mrz::parse(&[]).unwrap_err(),
        MrzError::LineCount {
            found: 0,
            line: 1,
            column: 1,
            ..
        }
    ));
    assert_eq!(
        mrz::parse(&[l1]).unwrap_err(),
        MrzError::LineCount {
            found: 1,
            expected: 2,
            line: 2,
            column: 1
        }
    );
    assert_eq!(
        mrz::parse(&[l1, l2, l2]).unwrap_err(),
        MrzError::LineCount {
            found: 3,
            expected: 2,
            line: 3,
            column: 1
        }
    );
    // A TD1-length first line needs three lines.
    let t1 = "I<UTOD231458907<<<<<<<<<<<<<<<";
    assert!(matches!(
        mrz::parse(&[t1, t1]).unwrap_err(),
        MrzError::LineCount { expected: 3, .. }
    ));
    let lower = l2.replace("ZE", "zE");
    assert_eq!(
        mrz::parse(&[l1, &lower]).unwrap_err(),
        MrzError::InvalidCharacter {
            line: 2,
            column: 29,
            found: 'z'
        }
    );
    let spaced = format!("{l2} ");
    assert_eq!(
        mrz::parse(&[l1, &spaced]).unwrap_err(),
        MrzError::InvalidCharacter {
            line: 2,
            column: 45,
            found: ' '
        }
    );
    let long = format!("{l2}<");
    assert_eq!(
        mrz::parse(&[l1, &long]).unwrap_err(),
        MrzError::LineLength {
            line: 2,
            column: 45,
            found: 45,
            expected: 44
        }
    );
    let non_ascii = l1.replace("ANNA", "ÄNNA");
    assert_eq!(
        mrz::parse(&[&non_ascii, l2]).unwrap_err(),
        MrzError::InvalidCharacter {
            line: 1,
            column: 16,
            found: 'Ä'
        }
    );
    // DG1 text positions map onto the split lines.
    let dg1 = format!("{l1}{}", l2.replace('Z', "é"));
    assert_eq!(
        mrz::parse_dg1(&dg1).unwrap_err(),
        MrzError::InvalidCharacter {
            line: 2,
            column: 29,
            found: 'é'
        }
    );
    assert!(matches!(
        mrz::parse_dg1("").unwrap_err(),
        MrzError::TextLength {
            found: 0,
            column: 1,
            ..
        }
    ));
    // Messages name the position.
    assert!(mrz::parse(&[l1, &lower])
        .unwrap_err()
        .to_string()
        .contains("line 2, column 29"));
}

// ---------------------------------------------------------------------------------------------
// Filler check digits, unknown date parts, findings, visas

#[test]
fn td3_personal_number_filler_check_digit() {
    // Entry notes: "TD3 optional-data check digit may be '<' or '0' when the field is all fillers"
    let l1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
    let zero = MrzBuilder::new(MrzFormat::Td3).build().unwrap();
    assert_eq!(zero[1], "L898902C36UTO7408122F1204159<<<<<<<<<<<<<<08");
    assert!(mrz::parse(&[l1, &zero[1]]).unwrap().valid());
    let filler = "L898902C36UTO7408122F1204159<<<<<<<<<<<<<<<8";
    let m = mrz::parse(&[l1, filler]).unwrap();
    assert!(m.valid(), "{:?}", m.check_digits);
    let pn = m.check(CheckedField::PersonalNumber).unwrap();
    assert_eq!((pn.expected, pn.computed, pn.valid), ('<', '0', true));
    // With a personal number present, '<' is not a check digit.
    let body = "L898902C36UTO7408122F1204159ZE184226B<<<<<<";
    let comp = check_digit(&format!(
        "{}{}{}",
        &body[..10],
        &body[13..20],
        &body[21..43]
    ))
    .unwrap();
    let used = format!("{body}{comp}");
    let m = mrz::parse(&[l1, &used]).unwrap();
    assert_eq!(m.failing_checks(), [CheckedField::PersonalNumber]);
    // Nor is it anywhere else (TD3 has no long-number rule).
    let dn = "L898902C<<UTO7408122F1204159<<<<<<<<<<<<<<<8";
    let m = mrz::parse(&[l1, dn]).unwrap();
    assert!(!m.long_document_number);
    assert!(m.failing_checks().contains(&CheckedField::DocumentNumber));
}

#[test]
fn unknown_date_parts_and_findings() {
    let mut b = MrzBuilder::new(MrzFormat::Td3);
    b.date_of_birth = "7408<<".into();
    b.sex = '<';
    b.issuing_state = "XXA".into();
    b.nationality = "XXB".into();
    let lines = b.build().unwrap();
    let r: Vec<&str> = lines.iter().map(String::as_str).collect();
    let m = mrz::parse_at(&r, today()).unwrap();
    assert!(m.valid());
    assert_eq!(m.date_of_birth.resolved.as_deref(), Some("1974-08"));
    assert_eq!(
        (m.date_of_birth.month, m.date_of_birth.day),
        (Some(8), None)
    );
    assert_eq!(m.sex, Sex::Filler);
    assert!(m.findings.is_empty(), "{:?}", m.findings);
    assert_eq!(
        m.issuing_state_name.unwrap(),
        mrz::country::lookup("XXA").unwrap().name
    );

    b.date_of_birth = "741341".into();
    b.sex = 'Q';
    b.document_code = "I".into();
    let lines = b.build().unwrap();
    let r: Vec<&str> = lines.iter().map(String::as_str).collect();
    let m = mrz::parse_at(&r, today()).unwrap();
    assert!(m.valid(), "check digits still hold over an impossible date");
    assert_eq!(m.date_of_birth.resolved, None);
    assert!(m.findings.contains(&Finding::InvalidDate {
        field: DateKind::Birth
    }));
    assert!(m.findings.contains(&Finding::InvalidSex { value: 'Q' }));
    assert!(m
        .findings
        .contains(&Finding::UnexpectedDocumentCode { value: "I".into() }));
    // Without a reference date nothing is resolved.
    let m = mrz::parse(&r).unwrap();
    assert_eq!(m.date_of_expiry.resolved, None);
}

#[test]
fn visas() {
    for (format, len) in [(MrzFormat::MrvA, 44), (MrzFormat::MrvB, 36)] {
        let mut b = MrzBuilder::new(format);
        b.optional_data = "AB12".into();
        let lines = b.build().unwrap();
        assert!(lines.iter().all(|l| l.len() == len));
        let r: Vec<&str> = lines.iter().map(String::as_str).collect();
        let m = mrz::parse(&r).unwrap();
        assert_eq!(m.format, format);
        assert_eq!(m.document_code, "V");
        assert_eq!(m.optional_data, "AB12");
        assert!(m.check(CheckedField::Composite).is_none());
        let fields: Vec<_> = m.check_digits.iter().map(|c| c.field).collect();
        assert_eq!(
            fields,
            [
                CheckedField::DocumentNumber,
                CheckedField::DateOfBirth,
                CheckedField::DateOfExpiry
            ]
        );
        assert!(m.valid());
        assert_eq!(mrz::parse_dg1(&lines.concat()).unwrap(), m);
    }
}

// ---------------------------------------------------------------------------------------------
// The CLI

fn cli(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_inspectd"));
    cmd.arg("mrz")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        let mut sin = child.stdin.take().unwrap();
        if let Some(input) = stdin {
            sin.write_all(input.as_bytes()).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn cli_json(args: &[&str]) -> (i32, Value) {
    let mut a = args.to_vec();
    a.extend(["--json", "--today", "2025-06-15"]);
    let (code, out, _) = cli(&a, None);
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}")),
    )
}

#[test]
fn cli_specimens() {
    // Entry: "MRZ specimens TD1/TD2/TD3 with check digits, long document numbers, and negative cases"
    let e = entry(MRZ_ENTRY);
    for sp in e["fields"]["specimens"].as_array().unwrap() {
        let lines: Vec<&str> = sp["lines"].as_array().unwrap().iter().map(s).collect();
        let (code, j) = cli_json(&lines);
        assert_eq!(code, 0, "{}", sp["label"]);
        assert_eq!(j["format"], sp["format"]);
        assert_eq!(j["valid"], true);
        assert_eq!(j["document_number"], sp["expected"]["document_number"]);
        assert_eq!(j["date_of_birth"]["raw"], sp["expected"]["dob"]);
        assert_eq!(j["date_of_expiry"]["raw"], sp["expected"]["doe"]);
        assert_eq!(j["sex"], sp["expected"]["sex"]);
        for key in [
            "document_code",
            "issuing_state",
            "issuing_state_name",
            "nationality",
            "nationality_name",
            "primary_identifier",
            "secondary_identifier",
            "optional_data",
        ] {
            assert!(j.get(key).is_some(), "{key}");
        }
        assert!(j["date_of_birth"].get("resolved").is_some());
        assert_eq!(j.get("optional_data_2").is_some(), sp["format"] == "TD1");
        let cds = j["check_digits"].as_array().unwrap();
        assert!(cds.len() >= sp["check_digits"].as_object().unwrap().len());
        for c in cds {
            let want = &sp["check_digits"][s(&c["field"])];
            if !want.is_null() {
                assert_eq!(c["expected"], want["given"]);
                assert_eq!(c["computed"], want["computed"]);
            }
            assert_eq!(c["valid"], true);
        }
        // The DG1 form as one argument gives the same answer.
        let (code, j2) = cli_json(&[&lines.concat()]);
        assert_eq!(code, 0);
        assert_eq!(j2, j);
    }
    let (code, j) = cli_json(&[
        "P<D<<DOE<<JOHN<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<",
        "D123456785UTO6508092M3505207<<<<<<<<<<<<<<<0",
    ]);
    assert_eq!(code, 0);
    assert_eq!(j["issuing_state_name"], "Germany");
    assert_eq!(j["date_of_birth"]["resolved"], "1965-08-09");
    assert_eq!(j["date_of_expiry"]["resolved"], "2035-05-20");
}

#[test]
fn cli_negative_check_digits() {
    // Entry: "MRZ specimens TD1/TD2/TD3 with check digits, long document numbers, and negative cases"
    let e = entry(MRZ_ENTRY);
    for c in e["fields"]["negative_check_digit_cases"]
        .as_array()
        .unwrap()
    {
        let (code, j) = cli_json(&[s(&c["mrz"])]);
        assert_eq!(code, 1, "{}", c["corrupted_field"]);
        assert_eq!(j["valid"], false);
        let mut failing: Vec<&str> = j["check_digits"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["valid"] == false)
            .map(|d| s(&d["field"]))
            .collect();
        let mut want: Vec<&str> = c["failing_checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(s)
            .collect();
        failing.sort_unstable();
        want.sort_unstable();
        assert_eq!(failing, want);
    }
    let (code, out, _) = cli(
        &[s(&e["fields"]["negative_check_digit_cases"][3]["mrz"])],
        None,
    );
    assert_eq!(code, 1);
    assert!(out.contains("CHECK DIGIT FAILURE: composite"), "{out}");
}

#[test]
fn cli_malformed() {
    // Entry: "MRZ specimens TD1/TD2/TD3 with check digits, long document numbers, and negative cases"
    let e = entry(MRZ_ENTRY);
    let cases = e["fields"]["negative_structure_cases"].as_array().unwrap();
    for c in cases {
        let (code, j) = cli_json(&[s(&c["mrz"])]);
        assert_eq!(code, 2, "{}", c["expect"]);
        assert!(j["error"]["line"].as_u64().unwrap() >= 1);
        assert!(j["error"]["column"].as_u64().unwrap() >= 1);
        assert!(j["error"]["message"].as_str().unwrap().contains("line"));
    }
    let (_, j) = cli_json(&[s(&cases[3]["mrz"])]);
    assert_eq!(
        (j["error"]["line"].as_u64(), j["error"]["column"].as_u64()),
        (Some(1), Some(16))
    );

    let (code, j) = cli_json(&[
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<1o",
    ]);
    assert_eq!(code, 2);
    assert_eq!(j["error"]["line"], 2);
    assert_eq!(j["error"]["column"], 44);
    let (code, _, err) = cli(&["I<UTO"], None);
    assert_eq!(code, 2);
    assert!(err.contains("line"), "{err}");
    let (code, _, _) = cli(&["--today", "2025-02-30", "-"], Some(""));
    assert_eq!(code, 2);
}

#[test]
fn cli_input_forms() {
    let text = "I<UTOD23145890<7349<<<<<<<<<<<\n3407127M9507122UTO<<<<<<<<<<<2\r\nSTEVENSON<<PETER<JOHN<<<<<<<<<\n";
    let (code, out, _) = cli(&["-", "--today", "2025-06-15"], Some(text));
    assert_eq!(code, 0);
    assert!(out.contains("VALID"), "{out}");
    assert!(out.contains("D23145890734"), "{out}");
    assert!(out.contains("1934-07-12"), "{out}");
    let (code, out, _) = cli(&[text, "--json"], None);
    assert_eq!(code, 0);
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["format"], "TD1");
    assert_eq!(j["optional_data_2"], "");
}

// ---------------------------------------------------------------------------------------------
// Properties

const FORMATS: [MrzFormat; 5] = [
    MrzFormat::Td1,
    MrzFormat::Td2,
    MrzFormat::Td3,
    MrzFormat::MrvA,
    MrzFormat::MrvB,
];

fn arb_date() -> impl Strategy<Value = String> {
    (0u8..100, 1u8..=12, 1u8..=28, 0u8..10).prop_map(|(y, m, d, unknown)| match unknown {
        0 => format!("{y:02}{m:02}<<"),
        1 => format!("{y:02}<<<<"),
        _ => format!("{y:02}{m:02}{d:02}"),
    })
}

fn arb_builder() -> impl Strategy<Value = MrzBuilder> {
    (0usize..5, any::<bool>()).prop_flat_map(|(fi, long)| {
        let format = FORMATS[fi];
        // TD1/TD2 long numbers: continuation + check digit must fit the optional data.
        let dn = match (format, long) {
            (MrzFormat::Td1, true) => "[A-Z0-9]{10,22}",
            (MrzFormat::Td2, true) => "[A-Z0-9]{10,14}",
            _ => "[A-Z0-9]{1,9}",
        };
        let code = match format {
            MrzFormat::Td3 => "P[A-Z<]?",
            MrzFormat::Td1 | MrzFormat::Td2 => "[ACI][A-Z<]?",
            _ => "V[A-Z<]?",
        };
        (
            Just(format),
            code,
            prop::sample::select(vec!["D", "UTO", "NLD", "XXA", "GBN", "EUE", "ZZZ"]),
            "[A-Z]{1,8}( [A-Z]{1,6})?",
            "([A-Z]{1,6}( [A-Z]{1,6})?)?",
            dn,
            prop::sample::select(vec!["D", "UTO", "FRA", "XXX"]),
            arb_date(),
            arb_date(),
            prop::sample::select(vec!['M', 'F', 'X', '<']),
            "[A-Z0-9][A-Z0-9<]{0,15}|",
            "[A-Z0-9<]{0,11}",
        )
            .prop_map(
                |(format, code, state, p, sname, dn, nat, dob, doe, sex, opt, opt2)| {
                    let opt_len: usize = match format {
                        MrzFormat::Td1 => 15,
                        MrzFormat::Td2 => 7,
                        MrzFormat::Td3 => 14,
                        MrzFormat::MrvA => 16,
                        MrzFormat::MrvB => 8,
                    };
                    let room = if dn.len() > 9 {
                        opt_len.saturating_sub(dn.len() - 9 + 3)
                    } else {
                        opt_len
                    };
                    let opt: String = opt.chars().take(room).collect();
                    MrzBuilder {
                        format,
                        document_code: code,
                        issuing_state: state.into(),
                        primary_identifier: p,
                        secondary_identifier: sname,
                        document_number: dn,
                        nationality: nat.into(),
                        date_of_birth: dob,
                        date_of_expiry: doe,
                        sex,
                        optional_data: opt.trim_end_matches('<').to_string(),
                        optional_data_2: opt2,
                    }
                },
            )
    })
}

/// Positions (0-based line, column) of data characters protected by a check digit, with
/// whether a `<` may be written there without changing the layout (not inside a
/// long-document-number continuation).
fn protected_positions(m: &mrz::Mrz) -> Vec<(usize, usize, bool)> {
    let mut out = Vec::new();
    let ext = m.document_number.len().saturating_sub(9);
    let mut range = |line: usize, cols: std::ops::Range<usize>, filler_ok: bool| {
        out.extend(cols.map(|c| (line, c, filler_ok)));
    };
    match m.format {
        MrzFormat::Td1 => {
            range(0, 5..14, true);
            if m.long_document_number {
                range(0, 15..15 + ext, false);
                range(0, 15 + ext + 2..30, true);
            } else {
                range(0, 15..30, true);
            }
            range(1, 0..6, true);
            range(1, 8..14, true);
            range(1, 18..29, true);
        }
        MrzFormat::Td2 | MrzFormat::Td3 | MrzFormat::MrvA | MrzFormat::MrvB => {
            range(1, 0..9, true);
            range(1, 13..19, true);
            range(1, 21..27, true);
            match m.format {
                MrzFormat::Td2 if m.long_document_number => {
                    range(1, 28..28 + ext, false);
                    range(1, 28 + ext + 2..35, true);
                }
                MrzFormat::Td2 => range(1, 28..35, true),
                MrzFormat::Td3 => range(1, 28..42, true),
                _ => {}
            }
        }
    }
    out
}

const MRZ_CHARS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<";

fn value(c: char) -> u32 {
    if c == '<' {
        0
    } else {
        c.to_digit(36).unwrap()
    }
}

fn substitute(lines: &[String], line: usize, col: usize, c: char) -> Vec<String> {
    let mut out = lines.to_vec();
    let mut chars: Vec<char> = out[line].chars().collect();
    chars[col] = c;
    out[line] = chars.into_iter().collect();
    out
}

/// Checks one substitution: detected exactly when the character values differ modulo 10
/// (weights 7, 3, 1 are invertible mod 10, so only such a change keeps every weighted sum); an
/// undetected change leaves every printed check digit equal to one recomputed from the text.
/// One exception: a TD3 personal number whose check digit is the filler `<` (allowed only for an
/// all-filler field) is detected once any character is written into it.
/// Returns whether it was detected.
fn check_substitution(lines: &[String], line: usize, col: usize, c: char) -> bool {
    let old = lines[line].chars().nth(col).unwrap();
    let changed = substitute(lines, line, col, c);
    let r: Vec<&str> = changed.iter().map(String::as_str).collect();
    let m = mrz::parse(&r).unwrap();
    let detected = !m.valid();
    let filler_pn = m.format == MrzFormat::Td3
        && line == 1
        && (28..42).contains(&col)
        && lines[1].chars().nth(42) == Some('<');
    let expect = value(old) % 10 != value(c) % 10 || (filler_pn && c != '<');
    assert_eq!(detected, expect, "{old}->{c} at {line}:{col} {changed:?}");
    if !detected {
        for cd in &m.check_digits {
            let printed = changed[cd.line - 1].chars().nth(cd.column - 1).unwrap();
            assert_eq!(printed, cd.expected);
            if !(cd.field == CheckedField::PersonalNumber && printed == '<') {
                assert_eq!(cd.computed, printed);
            }
        }
    }
    detected
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn build_parse_round_trip(b in arb_builder()) {
        let lines = b.build().unwrap();
        let r: Vec<&str> = lines.iter().map(String::as_str).collect();
        let m = mrz::parse_at(&r, today()).unwrap();
        prop_assert!(m.valid(), "{:?}", m.check_digits);
        prop_assert_eq!(m.format, b.format);
        prop_assert_eq!(&m.document_code, b.document_code.trim_end_matches('<'));
        prop_assert_eq!(&m.issuing_state, &b.issuing_state);
        prop_assert_eq!(&m.nationality, &b.nationality);
        prop_assert_eq!(&m.document_number, &b.document_number);
        prop_assert_eq!(m.long_document_number, b.document_number.len() > 9);
        prop_assert_eq!(&m.primary_identifier, &b.primary_identifier);
        prop_assert_eq!(&m.secondary_identifier, &b.secondary_identifier);
        prop_assert_eq!(&m.date_of_birth.raw, &b.date_of_birth);
        prop_assert_eq!(&m.date_of_expiry.raw, &b.date_of_expiry);
        prop_assert!(m.date_of_birth.well_formed && m.date_of_expiry.well_formed);
        prop_assert_eq!(m.sex.as_char(), b.sex);
        prop_assert_eq!(&m.optional_data, &b.optional_data);
        if b.format == MrzFormat::Td1 {
            prop_assert_eq!(m.optional_data_2.as_deref(), Some(b.optional_data_2.trim_end_matches('<')));
        }
        prop_assert_eq!(m.lines(), lines.clone());
        prop_assert_eq!(&mrz::parse_dg1_at(&lines.concat(), today()).unwrap(), &m);
        // Key seed input: number (padded to 9) + check digit + dates + check digits.
        let info = m.mrz_information();
        prop_assert_eq!(info.len(), b.document_number.len().max(9) + 1 + 14);
        prop_assert!(info.starts_with(&b.document_number));
        // A birth date resolves into the past.
        if let Some(y) = m.date_of_birth.year {
            prop_assert!((1925..=2025).contains(&y));
        }
        if let Some(y) = m.date_of_expiry.year {
            prop_assert!((1946..=2045).contains(&y));
        }
    }

    #[test]
    fn single_substitution_detected_or_collides(
        b in arb_builder(),
        pick in any::<prop::sample::Index>(),
        ci in 0usize..37,
    ) {
        let lines = b.build().unwrap();
        let r: Vec<&str> = lines.iter().map(String::as_str).collect();
        let m = mrz::parse(&r).unwrap();
        let positions = protected_positions(&m);
        let (line, col, filler_ok) = positions[pick.index(positions.len())];
        let old = lines[line].chars().nth(col).unwrap();
        let alphabet: Vec<char> =
            MRZ_CHARS.chars().filter(|&c| c != old && (filler_ok || c != '<')).collect();
        let c = alphabet[ci % alphabet.len()];
        check_substitution(&lines, line, col, c);
    }

    #[test]
    fn parse_never_panics(lines in prop::collection::vec("[A-Z0-9<a ]{0,46}", 0..5)) {
        let r: Vec<&str> = lines.iter().map(String::as_str).collect();
        let _ = mrz::parse(&r);
        let _ = mrz::parse_dg1(&lines.concat());
    }
}

#[test]
fn substitution_detection_rate() {
    // Every protected position of every specimen of the entry "MRZ specimens TD1/TD2/TD3 with
    // check digits, long document numbers, and negative cases", with every other character.
    let e = entry(MRZ_ENTRY);
    let (mut detected, mut total) = (0u32, 0u32);
    for sp in e["fields"]["specimens"].as_array().unwrap() {
        let lines: Vec<String> = sp["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| s(l).to_string())
            .collect();
        let r: Vec<&str> = lines.iter().map(String::as_str).collect();
        let m = mrz::parse(&r).unwrap();
        for (line, col, filler_ok) in protected_positions(&m) {
            let old = lines[line].chars().nth(col).unwrap();
            for c in MRZ_CHARS
                .chars()
                .filter(|&c| c != old && (filler_ok || c != '<'))
            {
                total += 1;
                detected += u32::from(check_substitution(&lines, line, col, c));
            }
        }
    }
    let rate = f64::from(detected) / f64::from(total);
    assert!(total > 5000, "{total}");
    // At most 4 of the 36 other characters share a value modulo 10 with any character.
    assert!(rate > 0.88, "detected {detected} of {total}");
}

/// Doc 9303-11 §9.7.2: the key typed as three fields gives the same MRZ information as the
/// scanned MRZ.
#[test]
fn mrz_information_from_fields_equals_the_scanned_mrz() {
    let m = mrz::parse(&[
        "P<UTOSPECIMEN<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "U123456784UTO8501019F3512311<<<<<<<<<<<<<<06",
    ])
    .unwrap();
    assert_eq!(
        // Typed in lower case: normalised like the scanned MRZ.
        mrz::mrz_information_from_fields("u12345678", "850101", "351231").unwrap(),
        m.mrz_information()
    );
    assert!(mrz::mrz_information_from_fields("", "850101", "351231").is_err());
    assert!(mrz::mrz_information_from_fields("U12345678", "8501", "351231").is_err());
}
