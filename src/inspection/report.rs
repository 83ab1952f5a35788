//! The inspection report and the one verdict rule. Every caller (CLI `read`, `verify`, the
//! gRPC service) hands its evidence to [`assess`]; nothing else decides a verdict.
//!
//! Verdict rule:
//! * any check `failed` (PA, AA, CA, DG1 against the printed MRZ, expiry, the printed MRZ's
//!   check digits, an exact watchlist hit) makes the document **invalid**;
//! * otherwise, PA not valid (e.g. no CSCA for the issuing state), or the chip offers chip
//!   authentication (DG15 for AA, DG14 with ChipAuthenticationInfo for CA, or it ran PACE-CAM)
//!   and neither AA nor CA passed, makes it **inconclusive**: the data is signed, but a copy of
//!   it on another chip would look the same ([`AssessPolicy::require_chip_authentication`]);
//! * `ca` passes through PACE-CAM (Doc 9303-11 §4.4.3.5) only when the CAM data verified AND
//!   EF.CardSecurity, which holds the static key, passed its own Passive Authentication
//!   (`pa.card_security`, [`pa::verify_card_security`]); CAM verified over an invalid
//!   EF.CardSecurity fails, over one whose CSCA is unknown is not performed. DG14 Chip
//!   Authentication still runs; either mechanism passing counts, a failure of either fails;
//! * `ta` (Terminal Authentication) failing or not performed never makes a document invalid;
//!   under [`AssessPolicy::require_terminal_authentication`] a chip read whose EF.SOD lists
//!   DG3/DG4 that were not read and hash-matched is **inconclusive**;
//! * a chip/print MRZ mismatch accepted under a listed id-Deviation-MRZ-WrongData is a
//!   warning and leaves the document **inconclusive** at best;
//! * otherwise **valid**. Warnings (SHA-1, stale CRL, possible watchlist match) never change
//!   the verdict; they are for the officer to read.

use serde::Serialize;

use super::{document_checks, Printed};
use crate::chip::pace::{CamVerified, PaceError};
use crate::lds::dg11::Dg11;
use crate::lds::dg12::Dg12;
use crate::lds::dg2::Dg2;
use crate::lds::security_infos::SecurityInfos;
use crate::lds::{FileId, RawFile};
use crate::mrz::{Date, Mrz};
use crate::pa::{self, CardSecurityReport, CheckStatus, PaPolicy, PaReport, PaVerdict};
use crate::trust::deviation::DeviationKind;
use crate::trust::TrustSnapshot;
use crate::watchlist::{DocumentStatusSource, LookupResult, Query};

/// The overall result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Genuine as far as every check can tell.
    Valid,
    /// At least one check failed.
    Invalid,
    /// Nothing failed but something mandatory could not be established; never "valid".
    Inconclusive,
}

impl Verdict {
    /// `valid`, `invalid`, `inconclusive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Invalid => "invalid",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// A status with its reason (the outcome of AA, CA or access control).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Status.
    pub status: CheckStatus,
    /// Why; never personal data.
    pub reason: String,
    /// On the `ca` outcome of a chip read that ran PACE-CAM: the check of the chip's
    /// authentication data against EF.CardSecurity's static key, for [`assess`] to bind to
    /// Passive Authentication of EF.CardSecurity.
    #[serde(skip)]
    cam: Option<Result<CamVerified, PaceError>>,
}

impl Outcome {
    /// An outcome.
    pub fn new(status: CheckStatus, reason: impl Into<String>) -> Self {
        Outcome {
            status,
            reason: reason.into(),
            cam: None,
        }
    }

    /// This (Chip Authentication) outcome with the PACE-CAM result of the same session
    /// (Doc 9303-11 §4.4.3.5, `ChipRead::cam`). It counts as chip authentication only once
    /// [`assess`] finds EF.CardSecurity valid under PA and holding the key CAM checked.
    pub fn with_cam(mut self, cam: Result<CamVerified, PaceError>) -> Self {
        self.cam = Some(cam);
        self
    }

    /// The PACE-CAM result attached by [`Outcome::with_cam`].
    pub fn cam(&self) -> Option<&Result<CamVerified, PaceError>> {
        self.cam.as_ref()
    }
}

/// One check of the report, with a stable id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportCheck {
    /// Stable id (`mrz.check_digits`, `access_control`, `pa.*` (with `pa.card_security`
    /// when EF.CardSecurity was read or given, or PACE-CAM ran), `aa`, `ca`, `ta` (chip reads),
    /// `dg1.matches_printed_mrz`, `document.expiry`, `watchlist`).
    pub id: String,
    /// Status.
    pub status: CheckStatus,
    /// Why; never personal data.
    pub reason: String,
    /// Per-item results (e.g. per data group for `pa.dg_hashes`): `(item, result)`.
    pub details: Vec<(String, String)>,
}

impl ReportCheck {
    fn new(id: &str, o: &Outcome) -> Self {
        ReportCheck {
            id: id.to_string(),
            status: o.status,
            reason: o.reason.clone(),
            details: Vec::new(),
        }
    }

    fn from_pa(c: &pa::Check) -> Self {
        ReportCheck {
            id: c.id.to_string(),
            status: c.status,
            reason: c.reason.clone(),
            details: c
                .details
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}

/// One file of a chip read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileSummary {
    /// Doc 9303 name.
    pub file: String,
    /// `read`, `not_found`, `access_denied`, `skipped`.
    pub status: String,
    /// Bytes read.
    pub bytes: u64,
    /// APDUs spent on it.
    pub apdus: u64,
}

/// Wall time of one step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timing {
    /// Step name.
    pub step: String,
    /// Milliseconds.
    pub milliseconds: f64,
    /// APDUs in the step.
    pub apdus: u64,
}

/// Counts and timings of a chip read.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReadInfo {
    /// `bac`, `pace`, `plain`.
    pub access_protocol: String,
    /// Command APDUs.
    pub apdus: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Bytes received.
    pub bytes_received: u64,
    /// Per file.
    pub files: Vec<FileSummary>,
    /// Per step.
    pub timings: Vec<Timing>,
}

/// DG11/DG12 fields (personal data: for the terminal that asked, never logged).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Details {
    /// DG11 full name.
    pub full_name: Option<String>,
    /// DG11 personal number.
    pub personal_number: Option<String>,
    /// DG11 full date of birth.
    pub full_date_of_birth: Option<String>,
    /// DG11 place of birth.
    pub place_of_birth: Option<String>,
    /// DG11 address.
    pub address: Option<String>,
    /// DG11 profession.
    pub profession: Option<String>,
    /// DG12 issuing authority.
    pub issuing_authority: Option<String>,
    /// DG12 date of issue.
    pub date_of_issue: Option<String>,
}

/// A face image from DG2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Face {
    /// `jpeg`, `jpeg2000`, `unknown`.
    pub format: String,
    /// The image bytes.
    #[serde(skip)]
    pub data: Vec<u8>,
    /// Width in pixels, when declared.
    pub width: Option<u32>,
    /// Height in pixels, when declared.
    pub height: Option<u32>,
}

/// The full report.
#[derive(Debug, Clone, Serialize)]
pub struct InspectionReport {
    /// The verdict.
    pub verdict: Verdict,
    /// Every check, in a fixed order.
    pub checks: Vec<ReportCheck>,
    /// The MRZ as the chip holds it (DG1).
    pub mrz: Option<Mrz>,
    /// Chip read counts and timings (absent for offline verification).
    pub read: Option<ReadInfo>,
    /// Watchlist answer, when a watchlist is configured and DG1 (or the printed MRZ) named
    /// the document.
    pub watchlist: Option<LookupResult>,
    /// DG11/DG12 fields, when read.
    pub details: Option<Details>,
    /// DG2 faces, only when asked for.
    pub faces: Vec<Face>,
    /// The typed PA result (its `verified()` token exists only for a valid PA).
    #[serde(skip)]
    pub pa: PaReport,
    /// The typed PA result of EF.CardSecurity, when it was checked (`pa.card_security`; its
    /// `verified()` token exists only when valid).
    #[serde(skip)]
    pub card_security: Option<CardSecurityReport>,
}

impl InspectionReport {
    /// The check with `id`.
    pub fn check(&self, id: &str) -> Option<&ReportCheck> {
        self.checks.iter().find(|c| c.id == id)
    }
}

/// Policy beside PA's own.
#[derive(Debug, Clone)]
pub struct AssessPolicy {
    /// PA policy.
    pub pa: PaPolicy,
    /// A chip that offers AA or CA must pass one of them for a valid verdict (default true).
    pub require_chip_authentication: bool,
    /// Report OCR-confusable watchlist matches as a warning (default true).
    pub report_possible_matches: bool,
    /// A chip read whose EF.SOD lists DG3 or DG4 must have them read (after Terminal
    /// Authentication) and matching their EF.SOD hashes for a valid verdict; otherwise the
    /// verdict is inconclusive (default false: `ta` is reported for the officer). A failed
    /// `ta` never makes a document invalid by itself: a chip refusing this terminal's
    /// certificates (a foreign CVCA, an expired DV) says nothing about forgery.
    pub require_terminal_authentication: bool,
}

impl Default for AssessPolicy {
    fn default() -> Self {
        AssessPolicy {
            pa: PaPolicy::default(),
            require_chip_authentication: true,
            report_possible_matches: true,
            require_terminal_authentication: false,
        }
    }
}

/// What an inspection has to decide on.
#[derive(Debug, Clone)]
pub struct Evidence<'a> {
    /// The chip files, exactly as read.
    pub files: &'a [RawFile],
    /// What the officer scanned or keyed from the printed page.
    pub printed: Printed<'a>,
    /// Access control outcome (`None` for offline verification: no check is reported).
    pub access: Option<Outcome>,
    /// Active Authentication outcome.
    pub aa: Outcome,
    /// Chip Authentication outcome.
    pub ca: Outcome,
    /// Terminal Authentication outcome (`None` offline: no check is reported). Reported, but
    /// never decides the verdict: a chip refusing this terminal says nothing about the
    /// document.
    pub ta: Option<Outcome>,
    /// Return DG2 face images.
    pub include_faces: bool,
    /// Counts and timings of the chip read.
    pub read: Option<ReadInfo>,
}

/// Where the inspection runs: trust anchors, time, watchlists, policy.
pub struct Context<'a> {
    /// CSCAs, CRLs.
    pub trust: &'a TrustSnapshot,
    /// Inspection time, Unix seconds.
    pub now: i64,
    /// Watchlists, if configured.
    pub watchlist: Option<&'a dyn DocumentStatusSource>,
    /// Policy.
    pub policy: &'a AssessPolicy,
}

fn file(files: &[RawFile], id: FileId) -> Option<&[u8]> {
    files
        .iter()
        .find(|f| f.id == id)
        .map(|f| f.bytes.as_slice())
}

fn status_of(s: &str) -> CheckStatus {
    match s {
        "passed" => CheckStatus::Passed,
        "failed" => CheckStatus::Failed,
        "warning" => CheckStatus::Warning,
        _ => CheckStatus::NotPerformed,
    }
}

/// The watchlist check for the document the chip (or the printed MRZ) names.
fn watchlist_check(
    mrz: Option<&Mrz>,
    printed: &Printed<'_>,
    cx: &Context<'_>,
) -> (Outcome, Option<LookupResult>) {
    let Some(source) = cx.watchlist else {
        return (
            Outcome::new(CheckStatus::NotPerformed, "no watchlist configured"),
            None,
        );
    };
    let named = mrz.or(match printed {
        Printed::Mrz(m) => Some(*m),
        _ => None,
    });
    let Some(m) = named else {
        return (
            Outcome::new(
                CheckStatus::NotPerformed,
                "no MRZ to take the document number from",
            ),
            None,
        );
    };
    // Doc 9303 document codes: the first letter is the type (P, I, A, C, V).
    let doc_type = m.document_code.get(..1).unwrap_or("P");
    let query = match Query::new(&m.issuing_state, doc_type, &m.document_number) {
        Ok(q) => q,
        Err(e) => {
            return (
                Outcome::new(
                    CheckStatus::NotPerformed,
                    format!("document not searchable: {e}"),
                ),
                None,
            )
        }
    };
    // A backend outage is "not performed", never "not listed".
    let result = match source.try_lookup(&query) {
        Ok(r) => r,
        Err(e) => {
            return (
                Outcome::new(
                    CheckStatus::NotPerformed,
                    format!("watchlist not consulted: {e}"),
                ),
                None,
            )
        }
    };
    let outcome = if let Some(hit) = result.records.first() {
        Outcome::new(
            CheckStatus::Failed,
            format!(
                "listed as {} in list {:?}{}",
                hit.record.status.as_str(),
                hit.record.list,
                if result.records.len() > 1 {
                    format!(" and {} more", result.records.len() - 1)
                } else {
                    String::new()
                }
            ),
        )
    } else if !result.possible_matches.is_empty() && cx.policy.report_possible_matches {
        Outcome::new(
            CheckStatus::Warning,
            format!(
                "not listed; {} possible match(es) differing only by OCR confusions (O/0, I/1, S/5, B/8, Z/2): for the officer to compare",
                result.possible_matches.len()
            ),
        )
    } else {
        Outcome::new(CheckStatus::Passed, "not listed")
    };
    (outcome, Some(result))
}

fn details(files: &[RawFile]) -> Option<Details> {
    let dg11 = file(files, FileId::Dg11).and_then(|b| Dg11::parse(b).ok());
    let dg12 = file(files, FileId::Dg12).and_then(|b| Dg12::parse(b).ok());
    if dg11.is_none() && dg12.is_none() {
        return None;
    }
    let mut d = Details::default();
    if let Some(g) = dg11 {
        d.full_name = g.full_name.map(|f| f.lossy());
        d.personal_number = g.personal_number.map(|f| f.lossy());
        d.full_date_of_birth = g.full_date_of_birth.and_then(|f| f.digits());
        d.place_of_birth = g.place_of_birth.map(|f| f.lossy());
        d.address = g.address.map(|f| f.lossy());
        d.profession = g.profession.map(|f| f.lossy());
    }
    if let Some(g) = dg12 {
        d.issuing_authority = g.issuing_authority.map(|f| f.lossy());
        d.date_of_issue = g.date_of_issue.and_then(|f| f.digits());
    }
    Some(d)
}

fn faces(files: &[RawFile]) -> Vec<Face> {
    let Some(dg2) = file(files, FileId::Dg2).and_then(|b| Dg2::parse(b).ok()) else {
        return Vec::new();
    };
    dg2.faces
        .iter()
        .map(|f| Face {
            format: format!("{:?}", f.format).to_ascii_lowercase(),
            data: f.image.to_vec(),
            width: f.width,
            height: f.height,
        })
        .collect()
}

/// Does the document offer chip authentication? DG15 (AA) listed in EF.SOD or given, or a
/// DG14 with ChipAuthenticationInfo; a DG14 that EF.SOD lists but that is not at hand counts
/// too (it cannot be shown not to offer CA).
fn offers_chip_authentication(files: &[RawFile], sod_listed: &[u8]) -> bool {
    let dg14 = file(files, FileId::Dg14);
    file(files, FileId::Dg15).is_some()
        || sod_listed.contains(&15)
        || (dg14.is_none() && sod_listed.contains(&14))
        || dg14
            .and_then(|b| SecurityInfos::parse_dg14(b).ok())
            .is_some_and(|i| i.chip_authentication_infos().next().is_some())
}

/// `pa.dg_presence` from the chip's answers (file "not found" for a data group EF.SOD lists).
fn dg_presence(read: Option<&ReadInfo>, listed: &[u8]) -> Outcome {
    let Some(read) = read else {
        return Outcome::new(
            CheckStatus::NotPerformed,
            "files given, not read from a chip: absence cannot be told from omission",
        );
    };
    let missing: Vec<String> = read
        .files
        .iter()
        .filter(|f| f.status == "not_found")
        .filter_map(|f| FileId::from_name(&f.file))
        .filter_map(|id| {
            let n = (1..=16u8).find(|n| FileId::data_group(*n) == Some(id))?;
            listed.contains(&n).then(|| format!("DG{n}"))
        })
        .collect();
    if missing.is_empty() {
        Outcome::new(
            CheckStatus::Passed,
            "every data group EF.SOD lists that was asked for is on the chip",
        )
    } else {
        Outcome::new(
            CheckStatus::Failed,
            format!(
                "EF.SOD lists {} but the chip has no such file",
                missing.join(", ")
            ),
        )
    }
}

/// PACE-CAM as chip authentication (Doc 9303-11 §4.4.3.5, Appendix I): the chip's
/// authentication data verified against a static key that a PA-valid EF.CardSecurity holds.
/// Verified but EF.CardSecurity invalid: failed; its CSCA unknown (inconclusive): not
/// performed, never passed.
fn cam_outcome(
    cam: &Result<CamVerified, PaceError>,
    card_security: Option<&CardSecurityReport>,
) -> Outcome {
    let verified = match cam {
        Ok(v) => v,
        Err(e) => return Outcome::new(CheckStatus::Failed, format!("PACE-CAM: {e}")),
    };
    let Some(cs) = card_security else {
        return Outcome::new(
            CheckStatus::NotPerformed,
            "PACE-CAM: chip authentication data verified, but EF.CardSecurity was not checked",
        );
    };
    match (cs.verified(), cs.verdict) {
        (Some(t), _) if t.holds_static_key(verified.static_public_key()) => Outcome::new(
            CheckStatus::Passed,
            "PACE-CAM: chip authentication data verified against the static key of EF.CardSecurity, which passed PA",
        ),
        (Some(_), _) => Outcome::new(
            CheckStatus::Failed,
            "PACE-CAM: the static key checked is not in the EF.CardSecurity that passed PA",
        ),
        (None, PaVerdict::Invalid) => Outcome::new(
            CheckStatus::Failed,
            format!(
                "PACE-CAM: chip authentication data verified, but EF.CardSecurity failed PA ({})",
                cs.check.reason
            ),
        ),
        (None, _) => Outcome::new(
            CheckStatus::NotPerformed,
            format!(
                "PACE-CAM: chip authentication data verified, but EF.CardSecurity could not be verified ({}); not chip authentication",
                cs.check.reason
            ),
        ),
    }
}

/// The `ca` check: Chip Authentication (DG14) as run, combined with PACE-CAM when it ran.
/// Either mechanism passing with its key PA-bound counts; a failure of either is a failure.
fn chip_authentication(ca: &Outcome, card_security: Option<&CardSecurityReport>) -> Outcome {
    let Some(cam) = ca.cam() else {
        return Outcome::new(ca.status, ca.reason.clone());
    };
    let cam = cam_outcome(cam, card_security);
    let dg14_ran = ca.status != CheckStatus::NotPerformed;
    let rank = |s: CheckStatus| match s {
        CheckStatus::Failed => 3,
        CheckStatus::Passed => 2,
        CheckStatus::Warning => 1,
        CheckStatus::NotPerformed => 0,
    };
    if !dg14_ran {
        return cam;
    }
    let status = if rank(ca.status) >= rank(cam.status) {
        ca.status
    } else {
        cam.status
    };
    Outcome::new(
        status,
        format!("{}; Chip Authentication (DG14): {}", cam.reason, ca.reason),
    )
}

/// The Terminal Authentication check id: reported, and part of the verdict only through
/// [`AssessPolicy::require_terminal_authentication`].
const TA_CHECK: &str = "ta";

/// Decides. See the module documentation for the rule.
pub fn assess(e: &Evidence<'_>, cx: &Context<'_>) -> InspectionReport {
    let mut checks = Vec::new();
    let pa = pa::verify(e.files, cx.trust, cx.now, &cx.policy.pa);
    let deviation = |kind: DeviationKind| {
        pa.listed_deviations()
            .iter()
            .find(|d| d.kind == kind)
            .map(|d| d.name.clone())
    };
    // mrz.check_digits: the printed MRZ as scanned (Doc 9303-3 §4.9).
    let printed_check = match &e.printed {
        Printed::Mrz(m) if m.valid() => {
            Outcome::new(CheckStatus::Passed, "every check digit holds")
        }
        Printed::Mrz(m) => Outcome::new(
            CheckStatus::Failed,
            format!(
                "check digit wrong in: {}",
                m.failing_checks()
                    .iter()
                    .map(|f| f.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        _ => Outcome::new(CheckStatus::NotPerformed, "no printed MRZ given"),
    };
    // The issuing state declared the wrong check digit (Doc 9303-12 §10): a warning that
    // names the deviation, never a silent pass.
    let printed_check = match deviation(DeviationKind::MrzWrongCheckDigit) {
        Some(name) if printed_check.status == CheckStatus::Failed => Outcome::new(
            CheckStatus::Warning,
            format!(
                "{}; accepted as listed deviation: {name}",
                printed_check.reason
            ),
        ),
        _ => printed_check,
    };
    checks.push(ReportCheck::new("mrz.check_digits", &printed_check));
    if let Some(a) = &e.access {
        checks.push(ReportCheck::new("access_control", a));
    }
    for c in &pa.checks {
        checks.push(ReportCheck::from_pa(c));
    }
    // EF.CardSecurity, when read or given, or when PACE-CAM needs it (absent: not performed).
    let card_security = (file(e.files, FileId::CardSecurity).is_some() || e.ca.cam().is_some())
        .then(|| {
            pa::verify_card_security(
                file(e.files, FileId::CardSecurity),
                cx.trust,
                cx.now,
                &cx.policy.pa,
            )
        });
    if let Some(cs) = &card_security {
        checks.push(ReportCheck::from_pa(&cs.check));
    }
    // pa.dg_presence: every data group EF.SOD lists exists on the chip (BSI TR-03105 5.1
    // LDS_H_45: an EF.SOD hash for a data group the chip does not have is a failure). Only a
    // chip read can tell: offline, a missing file may just not have been sent.
    let listed = pa.sod_data_groups();
    checks.push(ReportCheck::new(
        "pa.dg_presence",
        &dg_presence(e.read.as_ref(), listed),
    ));
    // Which chip authentication the document has is decided by EF.SOD, not by what the chip
    // chose to return: a chip that withholds a DG14 or DG15 its EF.SOD lists is what a clone
    // without the private keys would do.
    let withheld =
        |n: u8, id: FileId| e.read.is_some() && listed.contains(&n) && file(e.files, id).is_none();
    let aa = if withheld(15, FileId::Dg15) {
        Outcome::new(
            CheckStatus::Failed,
            "EF.SOD lists DG15 but the chip did not return it: its Active Authentication key is \
             withheld (a clone would do this)",
        )
    } else {
        e.aa.clone()
    };
    // A signature by a key the issuing state lists as compromised proves no chip genuine: a
    // warning, and AA then does not count as chip authentication.
    let aa = match deviation(DeviationKind::AaKeyCompromised) {
        Some(name) if aa.status == CheckStatus::Passed => Outcome::new(
            CheckStatus::Warning,
            format!(
                "the signature verifies, but the issuing state lists this document's Active \
                 Authentication key as compromised ({name}): it does not prove the chip genuine"
            ),
        ),
        _ => aa,
    };
    checks.push(ReportCheck::new("aa", &aa));
    let ca = if withheld(14, FileId::Dg14) {
        Outcome::new(
            CheckStatus::Failed,
            "EF.SOD lists DG14 but the chip did not return it: its Chip Authentication key is \
             withheld (a clone would do this)",
        )
    } else {
        chip_authentication(&e.ca, card_security.as_ref())
    };
    checks.push(ReportCheck::new("ca", &ca));
    if let Some(ta) = &e.ta {
        checks.push(ReportCheck::new(TA_CHECK, ta));
    }
    let today = Date::from_unix(cx.now).unwrap_or(Date {
        year: 1970,
        month: 1,
        day: 1,
    });
    let wrong_data = deviation(DeviationKind::MrzWrongData);
    // Set when a chip/print mismatch was accepted under that deviation: the verdict then
    // stays below valid.
    let mut mrz_mismatch_excused = false;
    for (id, st, reason) in document_checks(file(e.files, FileId::Dg1), &e.printed, today) {
        let (status, reason) = match &wrong_data {
            // The issuing state declared this document's MRZ data wrong (Doc 9303-12 §10,
            // id-Deviation-MRZ-WrongData), which may explain a chip/print mismatch, but a
            // substituted data page looks the same: a warning that sends the officer to the
            // visual zone, and the verdict at most inconclusive.
            Some(name) if id == "dg1.matches_printed_mrz" && st == "failed" => {
                mrz_mismatch_excused = true;
                (
                    CheckStatus::Warning,
                    format!(
                        "{reason}; the issuing state lists wrong MRZ data for this document \
                         ({name}): compare with the visual inspection zone"
                    ),
                )
            }
            _ => (status_of(st), reason),
        };
        checks.push(ReportCheck {
            id: id.to_string(),
            status,
            reason,
            details: Vec::new(),
        });
    }
    let mrz = file(e.files, FileId::Dg1)
        .and_then(|b| crate::lds::dg1::Dg1::parse(b).ok())
        .and_then(|d| d.mrz().ok());
    let (wl, watchlist) = watchlist_check(mrz.as_ref(), &e.printed, cx);
    checks.push(ReportCheck::new("watchlist", &wl));

    let any_failed = checks
        .iter()
        .any(|c| c.status == CheckStatus::Failed && c.id != TA_CHECK);
    // EAC-protected biometrics (EF.SOD lists DG3/DG4), where the site requires them: each
    // must have been read and matched its EF.SOD hash (a passed `ta` alone does not show
    // that: a chip may accept the terminal and still refuse the files).
    let opened = |n: u8| pa.verified().is_some_and(|v| v.data_groups().contains(&n));
    let ta_missing = cx.policy.require_terminal_authentication
        && e.ta.is_some()
        && [3u8, 4].iter().any(|n| listed.contains(n) && !opened(*n));
    // A configured watchlist that did not answer (outage, unsearchable number): the document
    // may be listed, so it cannot be valid.
    let watchlist_unanswered = cx.watchlist.is_some() && wl.status == CheckStatus::NotPerformed;
    let chip_auth_missing = cx.policy.require_chip_authentication
        && (offers_chip_authentication(e.files, listed) || e.ca.cam().is_some())
        && aa.status != CheckStatus::Passed
        && ca.status != CheckStatus::Passed;
    let verdict = if any_failed || pa.verdict == PaVerdict::Invalid {
        Verdict::Invalid
    } else if pa.verdict == PaVerdict::Inconclusive
        || chip_auth_missing
        || watchlist_unanswered
        || ta_missing
        || mrz_mismatch_excused
    {
        Verdict::Inconclusive
    } else {
        Verdict::Valid
    };
    InspectionReport {
        verdict,
        checks,
        mrz,
        read: e.read.clone(),
        watchlist,
        details: details(e.files),
        faces: if e.include_faces {
            faces(e.files)
        } else {
            Vec::new()
        },
        pa,
        card_security,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::testkit::dataset::synthetic_signed_passport;
    use crate::testkit::lds_gen::GenParams;
    use crate::trust::Provenance;
    use crate::watchlist::SourceError;

    fn files() -> Vec<RawFile> {
        let p = synthetic_signed_passport(GenParams::default());
        [FileId::Com, FileId::Sod]
            .into_iter()
            .chain((1..=16).filter_map(FileId::data_group))
            .filter_map(|id| {
                Some(RawFile {
                    id,
                    bytes: p.app_files.get(&id.fid())?.clone(),
                })
            })
            .collect()
    }

    fn trust() -> TrustSnapshot {
        crate::testkit::dataset::test_trust()
    }

    struct Down;
    impl DocumentStatusSource for Down {
        fn try_lookup(&self, _q: &Query) -> Result<LookupResult, SourceError> {
            Err(SourceError::Timeout { backend: "test" })
        }
    }

    fn decide(
        files: &[RawFile],
        trust: &TrustSnapshot,
        aa: CheckStatus,
        wl: Option<&dyn DocumentStatusSource>,
    ) -> Verdict {
        let e = Evidence {
            files,
            printed: Printed::None,
            access: None,
            aa: Outcome::new(aa, "test"),
            ca: Outcome::new(CheckStatus::NotPerformed, "test"),
            ta: None,
            include_faces: false,
            read: None,
        };
        let cx = Context {
            trust,
            now: crate::testkit::pki::unix(2026, 6, 1),
            watchlist: wl,
            policy: &AssessPolicy::default(),
        };
        assess(&e, &cx).verdict
    }

    #[test]
    fn the_verdict_rule() {
        let f = files();
        let t = trust();
        assert_eq!(decide(&f, &t, CheckStatus::Passed, None), Verdict::Valid);
        // No CSCA: never valid.
        let empty = TrustSnapshot::empty();
        assert_eq!(
            decide(&f, &empty, CheckStatus::Passed, None),
            Verdict::Inconclusive
        );
        // The chip offers AA (DG15) and CA (DG14); neither passed: not valid; AA failed: invalid.
        assert_eq!(
            decide(&f, &t, CheckStatus::NotPerformed, None),
            Verdict::Inconclusive
        );
        assert_eq!(decide(&f, &t, CheckStatus::Failed, None), Verdict::Invalid);
        // A configured watchlist that does not answer: not valid.
        assert_eq!(
            decide(&f, &t, CheckStatus::Passed, Some(&Down)),
            Verdict::Inconclusive
        );
        // One changed byte in a data group: invalid whatever else passed.
        let mut tampered = f.clone();
        let dg11 = tampered.iter_mut().find(|x| x.id == FileId::Dg11).unwrap();
        let last = dg11.bytes.len() - 1;
        dg11.bytes[last] ^= 1;
        assert_eq!(
            decide(&tampered, &t, CheckStatus::Passed, None),
            Verdict::Invalid
        );
        // Files given without DG14 and DG15 (EF.SOD lists both): chip authentication is still
        // required, so not valid offline; from a chip that withheld them, invalid.
        let dropped: Vec<RawFile> = f
            .iter()
            .filter(|x| x.id != FileId::Dg14 && x.id != FileId::Dg15)
            .cloned()
            .collect();
        assert_eq!(
            decide(&dropped, &t, CheckStatus::NotPerformed, None),
            Verdict::Inconclusive
        );
        let e = Evidence {
            files: &dropped,
            printed: Printed::None,
            access: None,
            aa: Outcome::new(CheckStatus::NotPerformed, "not read"),
            ca: Outcome::new(CheckStatus::NotPerformed, "not read"),
            ta: None,
            include_faces: false,
            read: Some(ReadInfo::default()),
        };
        let cx = Context {
            trust: &t,
            now: crate::testkit::pki::unix(2026, 6, 1),
            watchlist: None,
            policy: &AssessPolicy::default(),
        };
        let r = assess(&e, &cx);
        assert_eq!(r.verdict, Verdict::Invalid);
        for id in ["aa", "ca"] {
            let c = r.checks.iter().find(|c| c.id == id).unwrap();
            assert_eq!(c.status, CheckStatus::Failed, "{id}");
        }
    }

    /// Doc 9303-12 §10 deviations outside PA, from a verified deviation list of the issuing
    /// state (testdata/pki/deviations-aa-mrz.der, for passports under the RSA DS).
    #[test]
    fn listed_aa_key_compromise_wrong_check_digit_and_wrong_data() {
        let f = files();
        let prov = Provenance {
            source: "deviations-aa-mrz.der".into(),
            imported_at: 0,
        };
        let now = crate::testkit::pki::unix(2026, 6, 1);
        let with_list = TrustSnapshot::builder()
            .csca(
                include_bytes!("../../testdata/pki/csca-rsa.der"),
                prov.clone(),
            )
            .unwrap()
            .deviation_list(
                include_bytes!("../../testdata/pki/deviations-aa-mrz.der"),
                &[],
                now,
                2048,
                prov,
            )
            .unwrap()
            .build();
        let [l1, l2] = crate::testkit::lds_gen::specimen_mrz();
        // The composite check digit changed: one check digit wrong.
        let mut l2 = l2.into_bytes();
        let last = l2.len() - 1;
        l2[last] = if l2[last] == b'0' { b'1' } else { b'0' };
        let l2 = String::from_utf8(l2).unwrap();
        let printed = crate::mrz::parse(&[&l1, &l2]).unwrap();
        assert!(!printed.valid());
        let run = |trust: &TrustSnapshot| {
            let e = Evidence {
                files: &f,
                printed: Printed::Mrz(&printed),
                access: None,
                aa: Outcome::new(CheckStatus::Passed, "signature verified"),
                ca: Outcome::new(CheckStatus::Passed, "chip authenticated"),
                ta: None,
                include_faces: false,
                read: None,
            };
            let cx = Context {
                trust,
                now,
                watchlist: None,
                policy: &AssessPolicy::default(),
            };
            assess(&e, &cx)
        };
        let status =
            |r: &InspectionReport, id: &str| r.checks.iter().find(|c| c.id == id).unwrap().clone();
        // Without the list: the check digit fails, AA passes.
        let plain = run(&trust());
        assert_eq!(
            status(&plain, "mrz.check_digits").status,
            CheckStatus::Failed
        );
        assert_eq!(status(&plain, "aa").status, CheckStatus::Passed);
        assert_eq!(plain.verdict, Verdict::Invalid);
        // With it: both become warnings that name the deviation; nothing passes silently.
        let listed = run(&with_list);
        let mrz = status(&listed, "mrz.check_digits");
        assert_eq!(mrz.status, CheckStatus::Warning);
        assert!(
            mrz.reason.contains("id-Deviation-MRZ-WrongCheckDigit"),
            "{}",
            mrz.reason
        );
        let aa = status(&listed, "aa");
        assert_eq!(aa.status, CheckStatus::Warning);
        assert!(
            aa.reason
                .contains("id-Deviation-CertOrKey-AAKeyCompromised"),
            "{}",
            aa.reason
        );
        assert_eq!(
            status(&listed, "pa.deviations").status,
            CheckStatus::Warning
        );
        // The chip's MRZ differs from the printed one: without the list that fails; with
        // id-Deviation-MRZ-WrongData listed it is a warning naming the deviation.
        assert_eq!(
            status(&plain, "dg1.matches_printed_mrz").status,
            CheckStatus::Failed
        );
        let dg1 = status(&listed, "dg1.matches_printed_mrz");
        assert_eq!(dg1.status, CheckStatus::Warning);
        assert!(
            dg1.reason.contains("id-Deviation-MRZ-WrongData"),
            "{}",
            dg1.reason
        );
        assert!(
            dg1.reason.contains("visual inspection zone"),
            "{}",
            dg1.reason
        );
        let failed: Vec<&str> = listed
            .checks
            .iter()
            .filter(|c| c.status == CheckStatus::Failed)
            .map(|c| c.id.as_str())
            .collect();
        assert!(failed.is_empty(), "{failed:?}");
        // Nothing failed, every deviation is a warning, and the excused chip/print mismatch
        // keeps the document below valid.
        assert_eq!(listed.verdict, Verdict::Inconclusive);
    }
}
