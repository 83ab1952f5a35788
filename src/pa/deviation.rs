//! Applying ICAO deviation lists (Doc 9303-12 §10) in Passive Authentication: check id
//! `pa.deviations`.
//!
//! Documented default ([`DeviationPolicy::Warn`]): a failure is accepted only when a verified
//! deviation list, signed for the state whose DS signed the document, names exactly that
//! defect for a range that contains this document (DS certificate, document type, issue date
//! of DG12, document number; every bound given must match, and an entry with no bound at all
//! is never applied). The failing check then becomes a **warning** whose reason names the
//! deviation and the list, and `pa.deviations` is a warning too: never a silent pass.
//! Deviations that remove a proof (DS certificate signature, SOD signature, a data group hash)
//! leave the verdict at most inconclusive: the issuer declared the defect, so it is no sign of
//! forgery, but nothing then shows that the issuer wrote that data, and a consumer that reads
//! only the verdict must not show it as authentic. Encoding deviations, after which every
//! signature and hash still verifies, allow a valid verdict. Which failures a type covers:
//!
//! | deviation type | failure it covers |
//! | --- | --- |
//! | id-Deviation-CertOrKey-DSSignature | `pa.ds_certificate`: no candidate CSCA verifies the DS signature (verdict at most inconclusive) |
//! | id-Deviation-CertOrKey-DSEncoding | `pa.ds_certificate`: DS keyUsage / basicConstraints profile (parameter: the extension OID, or none for any) |
//! | id-Deviation-CertOrKey-CSCAEncoding | `pa.ds_certificate`: CSCA keyUsage / basicConstraints profile |
//! | id-Deviation-LDS-DGHashWrong | `pa.dg_hashes`: the hash of the data group named by the parameter (verdict at most inconclusive) |
//! | id-Deviation-LDS-SODSignatureWrong | `pa.sod_signature`: the signature value does not verify (verdict at most inconclusive) |
//!
//! Validity periods, revocation, algorithms, country codes and a data group read but not
//! listed are never relaxed. Other deviation types are not PA checks: when listed for the
//! document, `pa.deviations` is a warning naming them, and [`ListedDeviation`]s reach
//! `inspection::assess`, which applies two of them: id-Deviation-CertOrKey-AAKeyCompromised
//! turns a passed `aa` into a warning (a signature from a compromised key proves no chip
//! genuine, so AA then does not count as chip authentication), and
//! id-Deviation-MRZ-WrongCheckDigit turns a failed `mrz.check_digits` into a warning naming
//! the deviation, and id-Deviation-MRZ-WrongData a failed `dg1.matches_printed_mrz` (the
//! officer then compares with the visual zone). Chip, COMInconsistent, DGMalformed and
//! national-use types are only reported: none of them excuses a failed check (a dead chip
//! gives no EF.SOD to match the list against).

use super::{ids, Check, CheckStatus};
use crate::lds::{FileId, RawFile};
use crate::pa::algorithms::DigestAlg;
use crate::pa::cert::Certificate;
use crate::trust::deviation::{DeviationDescription, DeviationKind, DsIdentifier};
use crate::trust::TrustSnapshot;

/// How deviation lists affect Passive Authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviationPolicy {
    /// Listed failures become warnings naming the deviation (the documented default).
    #[default]
    Warn,
    /// Deviation lists are not applied; `pa.deviations` is not performed.
    Ignore,
}

/// One failed item of a check, and the deviation type (with its parameter) that could
/// cover it; `None` when no deviation can.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub what: String,
    pub covered_by: Option<(DeviationKind, Param)>,
}

/// The parameter a covering deviation must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Param {
    /// None needed.
    Any,
    /// A data group number (Datagroup INTEGER).
    DataGroup(u64),
    /// A certificate extension (CertField extension OID); a deviation without a parameter,
    /// or with CertificateBodyField generic(0), also covers it.
    Extension(&'static str),
}

impl Failure {
    pub(crate) fn new(what: impl Into<String>, covered_by: Option<(DeviationKind, Param)>) -> Self {
        Failure {
            what: what.into(),
            covered_by,
        }
    }
}

/// A deviation listed for this document: the description and the list's provenance.
#[derive(Debug, Clone)]
struct Listed<'a> {
    desc: &'a DeviationDescription,
    source: &'a str,
}

impl Listed<'_> {
    fn name(&self) -> String {
        format!("{} [{}]", self.desc.describe(), self.source)
    }
    fn covers(&self, kind: DeviationKind, p: &Param) -> bool {
        if self.desc.kind != kind {
            return false;
        }
        match p {
            Param::Any => true,
            Param::DataGroup(n) => self.desc.parameter_int == Some(*n),
            Param::Extension(oid) => match (&self.desc.parameter_oid, self.desc.parameter_int) {
                (Some(o), _) => o == oid,
                (None, Some(0)) | (None, None) => true,
                (None, Some(_)) => false,
            },
        }
    }
}

/// What the document says about itself, for matching DeviationDocuments.
struct Facts<'a> {
    ds: &'a Certificate,
    document_type: Option<String>,
    document_number: Option<String>,
    date_of_issue: Option<i64>,
}

fn facts<'a>(ds: &'a Certificate, files: &[RawFile]) -> Facts<'a> {
    let mrz = files
        .iter()
        .find(|f| f.id == FileId::Dg1)
        .and_then(|f| crate::lds::dg1::Dg1::parse(&f.bytes).ok())
        .and_then(|d| d.mrz().ok());
    let date_of_issue = files
        .iter()
        .find(|f| f.id == FileId::Dg12)
        .and_then(|f| crate::lds::dg12::Dg12::parse(&f.bytes).ok())
        .and_then(|d| d.date_of_issue.and_then(|x| x.digits()))
        .and_then(|s| super::time::parse_yyyymmdd(&s));
    Facts {
        ds,
        document_type: mrz.as_ref().map(|m| m.document_code.clone()),
        document_number: mrz.map(|m| m.document_number),
        date_of_issue,
    }
}

/// Every description of every verified list that covers this document.
fn listed<'a>(trust: &'a TrustSnapshot, f: &Facts<'_>) -> Vec<Listed<'a>> {
    let trim = |s: &str| s.trim_end_matches('<').to_owned();
    let mut out = Vec::new();
    for t in trust.deviation_lists() {
        let l = &t.list;
        // A state declares deviations of its own documents only.
        let same_state = match (&l.signer_country, &f.ds.issuer_country) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        };
        if !same_state {
            continue;
        }
        for dev in &l.deviations {
            let d = &dev.documents;
            if d.is_unbounded() {
                continue;
            }
            let type_ok = d.document_type.as_ref().is_none_or(|want| {
                f.document_type
                    .as_ref()
                    .is_some_and(|have| trim(want) == trim(have))
            });
            let ds_ok = d.ds.as_ref().is_none_or(|id| match id {
                DsIdentifier::IssuerAndSerial { issuer_raw, serial } => {
                    *issuer_raw == f.ds.issuer_raw && f.ds.serial_eq(serial)
                }
                DsIdentifier::Ski(k) => f.ds.ski.as_deref() == Some(k.as_slice()),
                DsIdentifier::CertificateDigest(h) => {
                    l.digest.unwrap_or(DigestAlg::Sha256).digest(&f.ds.der) == *h
                }
            });
            let date_ok = d.issuing_period.is_none_or(|(first, last)| {
                f.date_of_issue
                    .is_some_and(|doi| doi >= first.div_euclid(86_400) * 86_400 && doi <= last)
            });
            let number_ok = d.document_numbers.is_empty()
                || f.document_number
                    .as_ref()
                    .is_some_and(|n| d.document_numbers.iter().any(|x| trim(x) == trim(n)));
            if type_ok && ds_ok && date_ok && number_ok {
                out.extend(dev.descriptions.iter().map(|desc| Listed {
                    desc,
                    source: &t.provenance.source,
                }));
            }
        }
    }
    out
}

/// A deviation that a verified deviation list of the document's issuing state declares for
/// this document, for the checks outside Passive Authentication (Active Authentication, the
/// printed MRZ) to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedDeviation {
    /// The deviation type.
    pub kind: DeviationKind,
    /// The description and the list it comes from, for reasons.
    pub name: String,
}

/// What [`apply`] returns: the `pa.deviations` check, whether the verdict must stay below
/// valid (a signature deviation was applied), and the deviations listed for the document
/// (empty under [`DeviationPolicy::Ignore`]).
pub(crate) struct Applied {
    pub check: Check,
    pub cap: bool,
    pub listed: Vec<ListedDeviation>,
}

/// Applies the deviation lists to the failed checks in `checks` (whose failure items are in
/// `failures`, by check id).
pub(crate) fn apply(
    checks: &mut [Check],
    failures: &[(&'static str, Vec<Failure>)],
    ds: Option<&Certificate>,
    files: &[RawFile],
    trust: &TrustSnapshot,
    policy: DeviationPolicy,
) -> Applied {
    use CheckStatus::*;
    let id = ids::DEVIATIONS;
    let none = |check| Applied {
        check,
        cap: false,
        listed: Vec::new(),
    };
    if trust.deviation_lists().is_empty() {
        return none(Check::new(
            id,
            NotPerformed,
            "no deviation list in the trust snapshot",
        ));
    }
    let Some(ds) = ds else {
        return none(Check::new(
            id,
            NotPerformed,
            "no DS certificate to match deviations",
        ));
    };
    let f = facts(ds, files);
    let listed = listed(trust, &f);
    if policy == DeviationPolicy::Ignore {
        let mut c = Check::new(id, NotPerformed, "deviation lists not applied (policy)");
        for (i, l) in listed.iter().enumerate() {
            c = c.detail(format!("listed_{i}"), l.name());
        }
        return none(c);
    }
    let mut applied: Vec<String> = Vec::new();
    let mut cap = false;
    for (check_id, items) in failures {
        let Some(check) = checks.iter_mut().find(|c| c.id == *check_id) else {
            continue;
        };
        if check.status != Failed || items.is_empty() {
            continue;
        }
        let cover: Vec<Option<&Listed<'_>>> = items
            .iter()
            .map(|it| {
                it.covered_by
                    .as_ref()
                    .and_then(|(k, p)| listed.iter().find(|l| l.covers(*k, p)))
            })
            .collect();
        if cover.iter().all(Option::is_some) {
            let names: Vec<String> = cover.iter().flatten().map(|l| l.name()).collect();
            check.status = Warning;
            check.reason = format!(
                "{}; accepted as listed deviation: {}",
                check.reason,
                names.join("; ")
            );
            check.details.insert("deviation".into(), names.join("; "));
            for (it, l) in items.iter().zip(cover.iter().flatten()) {
                if matches!(
                    l.desc.kind,
                    DeviationKind::DsSignature
                        | DeviationKind::SodSignatureWrong
                        | DeviationKind::DgHashWrong
                ) {
                    cap = true;
                }
                applied.push(format!("{check_id}: {} ({})", it.what, l.name()));
            }
        } else {
            let uncovered: Vec<&str> = items
                .iter()
                .zip(&cover)
                .filter(|(_, c)| c.is_none())
                .map(|(i, _)| i.what.as_str())
                .collect();
            if uncovered.len() < items.len() {
                check.details.insert(
                    "deviation".into(),
                    format!(
                        "not applied: not every failure is listed (unlisted: {})",
                        uncovered.join("; ")
                    ),
                );
            }
        }
    }
    // Listed types PA does not evaluate are still reported (e.g. AA key compromised).
    let not_pa: Vec<String> = listed
        .iter()
        .filter(|l| {
            !matches!(
                l.desc.kind,
                DeviationKind::DsSignature
                    | DeviationKind::DsEncoding
                    | DeviationKind::CscaEncoding
                    | DeviationKind::DgHashWrong
                    | DeviationKind::SodSignatureWrong
            )
        })
        .map(Listed::name)
        .collect();
    let mut c = if !applied.is_empty() {
        let mut r = format!("{} failure(s) accepted as listed deviations", applied.len());
        if cap {
            r.push_str(
                " (a signature or hash is unproven: the verdict stays inconclusive at best)",
            );
        }
        Check::new(id, Warning, r)
    } else if !not_pa.is_empty() {
        Check::new(
            id,
            Warning,
            format!("listed for this document: {}", not_pa.join("; ")),
        )
    } else if listed.is_empty() {
        Check::new(id, Passed, "no deviation listed for this document")
    } else {
        Check::new(
            id,
            Passed,
            "deviations listed for this document, none needed",
        )
    };
    for (i, a) in applied.iter().enumerate() {
        c = c.detail(format!("applied_{i}"), a.clone());
    }
    for (i, l) in listed.iter().enumerate() {
        c = c.detail(format!("listed_{i}"), l.name());
    }
    Applied {
        check: c,
        cap,
        listed: listed
            .iter()
            .map(|l| ListedDeviation {
                kind: l.desc.kind,
                name: l.name(),
            })
            .collect(),
    }
}
