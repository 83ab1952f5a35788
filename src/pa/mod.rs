//! Passive Authentication (Doc 9303-11 §5.1, Doc 9303-12 §4-§7; RFC 5652 §5.4, RFC 5280 §6).
//!
//! [`verify`] takes the files exactly as read, a [`TrustSnapshot`] and the inspection time, and
//! returns a [`PaReport`]: one [`Check`] per stable id, and a [`PaVerdict`]. A document whose
//! issuer has no CSCA in the snapshot is [`PaVerdict::Inconclusive`], never valid (pitfalls
//! #3). A [`PaVerified`] token exists only for valid reports. EF.CardSecurity (PACE-CAM's
//! static key) is verified by the same signer, chain and revocation code in [`card_security`].
//! Policy switches: [`PaPolicy`] (DS validity model [`DsValidity`], SHA-1 handling
//! [`Sha1Policy`], CRLs, deviation lists, the issuing-state → countryName map).

pub mod algorithms;
pub mod card_security;
pub mod cert;
pub mod deviation;
pub mod time;

use crate::lds::asn1::{self, tag, Cursor};
use crate::lds::cms::{SidKind, SignerInfo};
use crate::lds::sod::Sod;
use crate::lds::{FileId, RawFile};
use crate::trust::{TrustSnapshot, TrustedCert};
use algorithms::{AlgError, DigestAlg, SignatureScheme};
use cert::{key_usage, Certificate};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Seconds since the Unix epoch (UTC), always passed in.
pub type UnixTime = i64;

/// Stable check ids.
pub mod ids {
    /// EF.SOD parses (CMS SignedData + LDSSecurityObject).
    pub const SOD_STRUCTURE: &str = "pa.sod_structure";
    /// The SignerInfo signature and signed attributes.
    pub const SOD_SIGNATURE: &str = "pa.sod_signature";
    /// DS certificate to CSCA.
    pub const DS_CERTIFICATE: &str = "pa.ds_certificate";
    /// DS revocation (CRL).
    pub const DS_REVOCATION: &str = "pa.ds_revocation";
    /// Data group hashes.
    pub const DG_HASHES: &str = "pa.dg_hashes";
    /// Country codes agree.
    pub const COUNTRY_CONSISTENCY: &str = "pa.country_consistency";
    /// Algorithms allowed / weak.
    pub const ALGORITHMS: &str = "pa.algorithms";
    /// ICAO deviation lists (Doc 9303-12 §10) applied to this document (see
    /// [`super::deviation`]): warning when a failure was accepted as a listed deviation or a
    /// deviation PA does not evaluate is listed; never a silent pass.
    pub const DEVIATIONS: &str = "pa.deviations";
    /// Every id, in report order (stable; new ids are appended).
    pub const ALL: [&str; 8] = [
        SOD_STRUCTURE,
        SOD_SIGNATURE,
        DS_CERTIFICATE,
        DS_REVOCATION,
        DG_HASHES,
        COUNTRY_CONSISTENCY,
        ALGORITHMS,
        DEVIATIONS,
    ];
}

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Checked and fine.
    Passed,
    /// Checked and wrong.
    Failed,
    /// Acceptable with a finding (SHA-1, stale CRL, legacy OID...).
    Warning,
    /// Could not be performed (missing input or anchor).
    NotPerformed,
}

/// One check of the report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Check {
    /// Stable id (see [`ids`]).
    pub id: &'static str,
    /// Outcome.
    pub status: CheckStatus,
    /// Why, in one line.
    pub reason: String,
    /// Per-item details (e.g. per data group).
    pub details: BTreeMap<String, String>,
}

impl Check {
    fn new(id: &'static str, status: CheckStatus, reason: impl Into<String>) -> Self {
        Check {
            id,
            status,
            reason: reason.into(),
            details: BTreeMap::new(),
        }
    }
    fn detail(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.details.insert(k.into(), v.into());
        self
    }
}

/// The overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaVerdict {
    /// Every mandatory check passed (possibly with warnings).
    Valid,
    /// At least one check failed.
    Invalid,
    /// Nothing failed, but something mandatory could not be checked (e.g. no CSCA).
    Inconclusive,
}

pub use card_security::{verify_card_security, CardSecurityReport, CardSecurityVerified};
pub use deviation::ListedDeviation;

/// Proof that [`verify`] returned a valid report; only this module can create it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaVerified {
    sod_sha256: Vec<u8>,
    data_groups: Vec<u8>,
}

impl PaVerified {
    /// SHA-256 of the EF.SOD that was verified.
    pub fn sod_sha256(&self) -> &[u8] {
        &self.sod_sha256
    }
    /// The data group numbers whose bytes were read and matched.
    pub fn data_groups(&self) -> &[u8] {
        &self.data_groups
    }
}

/// The result of Passive Authentication.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PaReport {
    /// The verdict.
    pub verdict: PaVerdict,
    /// One entry per id in [`ids::ALL`].
    pub checks: Vec<Check>,
    #[serde(skip)]
    verified: Option<PaVerified>,
    #[serde(skip)]
    deviations: Vec<ListedDeviation>,
    #[serde(skip)]
    sod_data_groups: Vec<u8>,
}

impl PaReport {
    /// The check with `id`.
    pub fn check(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }
    /// The token, present only when the verdict is valid.
    pub fn verified(&self) -> Option<&PaVerified> {
        self.verified.as_ref()
    }
    /// The deviations verified deviation lists declare for this document (Doc 9303-12 §10).
    pub fn listed_deviations(&self) -> &[ListedDeviation] {
        &self.deviations
    }
    /// The data group numbers EF.SOD lists, in its order (empty when EF.SOD was not read or
    /// does not parse). Which data groups a document has is decided from this, not EF.COM.
    pub fn sod_data_groups(&self) -> &[u8] {
        &self.sod_data_groups
    }
}

/// What to do when no CRL from the CSCA is available.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingCrl {
    /// Report `NotPerformed` (does not affect a valid verdict).
    NotPerformed,
    /// Report a warning.
    Warning,
    /// Treat as a failure.
    Fail,
}

/// Which validity model applies to the DS certificate (Doc 9303-12 §7.1, §7.1.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DsValidity {
    /// The DS (and CSCA) certificate must be valid at the inspection time: the shell model
    /// applied at inspection time (Doc 9303-12 §7.1). The default.
    #[default]
    AtInspection,
    /// A DS certificate that has expired at the inspection time is still accepted when the
    /// document was signed inside the DS certificate's privateKeyUsagePeriod (RFC 5280
    /// §4.2.1.4, Doc 9303-12 §7.1.1) and the CSCA is valid at the inspection time. The signing
    /// time is the SOD's signingTime signed attribute (RFC 5652 §11.3; the signer's own signed
    /// claim); without a well-formed one, the DG12 date of issue (the whole day, Doc 9303-10
    /// §4.7.12); with neither, nothing places the signing inside the
    /// period and the expired DS fails as under [`DsValidity::AtInspection`]. A DS without the
    /// extension, or one not yet valid, is never accepted this way.
    PrivateKeyUsagePeriod,
}

/// What SHA-1 (in DG hashes, the SOD signature and certificate signatures) leads to. MD5 always
/// fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sha1Policy {
    /// Accepted with a `pa.algorithms` warning (documents signed with SHA-1 are still in
    /// circulation). The default.
    #[default]
    Warn,
    /// `pa.algorithms` fails.
    Reject,
}

/// Policy knobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaPolicy {
    /// Minimum RSA modulus size in bits; smaller keys fail.
    pub min_rsa_bits: usize,
    /// Maximum CSCA candidates tried for one DS (budget, pitfalls #4).
    pub max_candidates: usize,
    /// Without a CRL.
    pub missing_crl: MissingCrl,
    /// MRZ issuing-state code → certificate countryName (ISO 3166-1 alpha-2), e.g. D → DE.
    /// The default holds every state of Doc 9303-3 §5; a code without an entry (organizations,
    /// XXA..) makes `pa.country_consistency` a warning.
    pub country_map: BTreeMap<String, String>,
    /// How ICAO deviation lists in the trust snapshot are applied.
    pub deviations: deviation::DeviationPolicy,
    /// The DS certificate validity model.
    pub ds_validity: DsValidity,
    /// SHA-1 handling.
    pub sha1: Sha1Policy,
}

impl Default for PaPolicy {
    fn default() -> Self {
        // Every Doc 9303-3 §5 code that names a state, mapped to the ISO 3166-1 alpha-2 code
        // certificates carry (crate::mrz::country::iso_alpha2: the full ISO table, D → DE,
        // GBD/GBN/GBO/GBP/GBS → GB, RKS → XK; organizations and XXA.. have no country), plus
        // DEU (ISO, not Doc 9303) and the specimen state Utopia, UTO → UT.
        let mut country_map: BTreeMap<String, String> = crate::mrz::country::all()
            .iter()
            .filter_map(|c| Some((c.code.to_owned(), crate::mrz::country::iso_alpha2(c.code)?)))
            .map(|(a, b)| (a, b.to_owned()))
            .collect();
        country_map.insert("DEU".into(), "DE".into());
        country_map.insert("UTO".into(), "UT".into());
        PaPolicy {
            min_rsa_bits: 2048,
            max_candidates: 8,
            missing_crl: MissingCrl::Warning,
            country_map,
            deviations: deviation::DeviationPolicy::default(),
            ds_validity: DsValidity::default(),
            sha1: Sha1Policy::default(),
        }
    }
}

const OID_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
const OID_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
const OID_SIGNING_TIME: &str = "1.2.840.113549.1.9.5";
const OID_LDS_SO: &str = "2.23.136.1.1.1";
const OID_LDS_SO_LEGACY: &str = "1.3.27.1.1.1";

/// Algorithm findings gathered along the way for `pa.algorithms`.
#[derive(Default)]
pub(crate) struct AlgNotes {
    /// SHA-1 findings go to `refused` instead of `weak`.
    reject_sha1: bool,
    weak: Vec<String>,
    refused: Vec<String>,
    unsupported: Vec<String>,
    used: BTreeMap<String, String>,
}

impl AlgNotes {
    pub(crate) fn digest(&mut self, what: &str, r: &Result<DigestAlg, AlgError>) {
        match r {
            Ok(d) => {
                self.used.insert(what.into(), d.name().into());
                if d.is_weak() {
                    self.weak_found(format!("{what}: {}", d.name()));
                }
            }
            Err(e) => self.err(what, e),
        }
    }
    pub(crate) fn scheme(&mut self, what: &str, r: &Result<SignatureScheme, AlgError>) {
        match r {
            Ok(s) => {
                self.used.insert(what.into(), s.describe());
                if s.hash().is_weak() {
                    self.weak_found(format!("{what}: {}", s.describe()));
                }
            }
            Err(e) => self.err(what, e),
        }
    }
    fn weak_found(&mut self, finding: String) {
        if self.reject_sha1 {
            self.refused
                .push(format!("{finding} (SHA-1 rejected by policy)"));
        } else {
            self.weak.push(finding);
        }
    }
    pub(crate) fn err(&mut self, what: &str, e: &AlgError) {
        match e {
            AlgError::Disallowed { .. } | AlgError::UnknownExplicitCurve { .. } => {
                self.refused.push(format!("{what}: {e}"))
            }
            AlgError::Unsupported { .. } => self.unsupported.push(format!("{what}: {e}")),
            _ => {}
        }
    }
}

fn hex_up(b: &[u8]) -> String {
    hex::encode_upper(b)
}

/// Runs Passive Authentication over `files` (exactly as read) at time `at`.
pub fn verify(
    files: &[RawFile],
    trust: &TrustSnapshot,
    at: UnixTime,
    policy: &PaPolicy,
) -> PaReport {
    use CheckStatus::*;
    let mut notes = AlgNotes {
        reject_sha1: policy.sha1 == Sha1Policy::Reject,
        ..AlgNotes::default()
    };
    let sod_file = files.iter().find(|f| f.id == FileId::Sod);
    let sod = match sod_file.map(|f| Sod::parse(&f.bytes)) {
        None => {
            return early(Check::new(
                ids::SOD_STRUCTURE,
                NotPerformed,
                "EF.SOD not read",
            ))
        }
        Some(Err(e)) => {
            return early(Check::new(
                ids::SOD_STRUCTURE,
                Failed,
                format!("EF.SOD does not parse: {e}"),
            ))
        }
        Some(Ok(s)) => s,
    };
    let structure = structure_check(&sod);
    let mut sig_failures = Vec::new();
    let mut chain_failures = Vec::new();
    let mut dg_failures = Vec::new();
    let signing_time = sod
        .signed_data
        .signer_infos
        .first()
        .map_or(SigningTime::Absent, signing_time_attribute);
    let (sig_check, ds) = signature_check(
        &sod,
        trust,
        policy,
        &signing_time,
        &mut notes,
        &mut sig_failures,
    );
    let signed_at = match signing_time {
        SigningTime::At(t) => Some(SignedAt {
            at: t,
            until: t,
            source: "signingTime",
        }),
        // No usable signingTime: the DG12 date of issue (the whole day) stands in.
        _ => dg12_date_of_issue(files).map(|d| SignedAt {
            at: d,
            until: d.saturating_add(86_399),
            source: "DG12 date of issue",
        }),
    };
    let (chain_check, csca) = match &ds {
        Some(ds) => chain_check(
            ds,
            trust,
            at,
            policy,
            signed_at.as_ref(),
            &mut notes,
            &mut chain_failures,
        ),
        None => (
            Check::new(
                ids::DS_CERTIFICATE,
                NotPerformed,
                "no DS certificate to check",
            ),
            None,
        ),
    };
    let chain_check = match &ds {
        Some(ds) => issue_date_check(chain_check, ds, files),
        None => chain_check,
    };
    let revocation = match (&ds, &csca) {
        (Some(ds), Some(csca)) => revocation_check(ds, csca, trust, at, policy, &mut notes),
        _ => Check::new(ids::DS_REVOCATION, NotPerformed, "no verified DS/CSCA pair"),
    };
    let (dg_check, matched) = dg_hash_check(&sod, files, &mut notes, &mut dg_failures);
    let country = country_check(
        ds.as_deref(),
        csca.as_ref().map(|c| &*c.cert),
        files,
        policy,
    );
    let alg = algorithms_check(&mut notes);
    let mut checks = vec![
        structure,
        sig_check,
        chain_check,
        revocation,
        dg_check,
        country,
        alg,
    ];
    let deviation::Applied {
        check: dev_check,
        cap,
        listed: deviations,
    } = deviation::apply(
        &mut checks,
        &[
            (ids::SOD_SIGNATURE, sig_failures),
            (ids::DS_CERTIFICATE, chain_failures),
            (ids::DG_HASHES, dg_failures),
        ],
        ds.as_deref(),
        files,
        trust,
        policy.deviations,
    );
    checks.push(dev_check);
    let mut verdict = verdict_of(&checks, policy);
    if cap && verdict == PaVerdict::Valid {
        verdict = PaVerdict::Inconclusive;
    }
    let verified = (verdict == PaVerdict::Valid).then(|| PaVerified {
        sod_sha256: DigestAlg::Sha256.digest(sod.raw),
        data_groups: matched,
    });
    PaReport {
        verdict,
        checks,
        verified,
        deviations,
        sod_data_groups: sod
            .lds_security_object
            .data_group_hashes
            .iter()
            .map(|d| d.number)
            .collect(),
    }
}

/// `pa.algorithms` from the findings gathered: refused fails, unsupported is not performed,
/// weak is a warning.
pub(crate) fn algorithms_check(notes: &mut AlgNotes) -> Check {
    use CheckStatus::*;
    let mut alg = if !notes.refused.is_empty() {
        Check::new(ids::ALGORITHMS, Failed, notes.refused.join("; "))
    } else if !notes.unsupported.is_empty() {
        Check::new(
            ids::ALGORITHMS,
            NotPerformed,
            format!("not supported yet: {}", notes.unsupported.join("; ")),
        )
    } else if !notes.weak.is_empty() {
        Check::new(
            ids::ALGORITHMS,
            Warning,
            format!("weak algorithm accepted: {}", notes.weak.join("; ")),
        )
    } else {
        Check::new(ids::ALGORITHMS, Passed, "all algorithms on the allow-list")
    };
    alg.details = std::mem::take(&mut notes.used);
    alg
}

fn early(first: Check) -> PaReport {
    let mut checks = vec![first];
    for id in ids::ALL.iter().skip(1) {
        checks.push(Check::new(id, CheckStatus::NotPerformed, "EF.SOD unusable"));
    }
    let verdict = if checks.iter().any(|c| c.status == CheckStatus::Failed) {
        PaVerdict::Invalid
    } else {
        PaVerdict::Inconclusive
    };
    PaReport {
        verdict,
        checks,
        verified: None,
        deviations: Vec::new(),
        sod_data_groups: Vec::new(),
    }
}

fn verdict_of(checks: &[Check], policy: &PaPolicy) -> PaVerdict {
    if checks.iter().any(|c| c.status == CheckStatus::Failed) {
        return PaVerdict::Invalid;
    }
    let mandatory = [
        ids::SOD_STRUCTURE,
        ids::SOD_SIGNATURE,
        ids::DS_CERTIFICATE,
        ids::DG_HASHES,
        ids::ALGORITHMS,
    ];
    let missing = checks
        .iter()
        .any(|c| mandatory.contains(&c.id) && c.status == CheckStatus::NotPerformed);
    let crl_missing = policy.missing_crl == MissingCrl::Fail
        && checks
            .iter()
            .any(|c| c.id == ids::DS_REVOCATION && c.status == CheckStatus::NotPerformed);
    if missing || crl_missing {
        PaVerdict::Inconclusive
    } else {
        PaVerdict::Valid
    }
}

/// SignedData structure (RFC 5652 §5.1, §5.3; Doc 9303-10 §4.6.2): version, exactly one
/// SignerInfo, SignerInfo version matching its sid. Empty when well formed.
pub(crate) fn signed_data_problems(sd: &crate::lds::cms::SignedData<'_>) -> Vec<String> {
    let mut problems = Vec::new();
    if sd.version != 3 && sd.version != 1 {
        problems.push(format!("SignedData version {}", sd.version));
    }
    if sd.signer_infos.len() != 1 {
        problems.push(format!(
            "{} SignerInfos (exactly 1 expected)",
            sd.signer_infos.len()
        ));
    }
    // RFC 5652 §5.3: version 1 with issuerAndSerialNumber, 3 with subjectKeyIdentifier
    // (TR-03105 5.1 LDS_H_84/85).
    for si in &sd.signer_infos {
        let want = match si.sid_kind {
            SidKind::IssuerAndSerialNumber => 1,
            SidKind::SubjectKeyIdentifier => 3,
        };
        if si.version != want {
            problems.push(format!(
                "SignerInfo version {} with {} (version {want} required)",
                si.version,
                match si.sid_kind {
                    SidKind::IssuerAndSerialNumber => "issuerAndSerialNumber",
                    SidKind::SubjectKeyIdentifier => "subjectKeyIdentifier",
                }
            ));
        }
    }
    problems
}

fn structure_check(sod: &Sod<'_>) -> Check {
    let problems = signed_data_problems(&sod.signed_data);
    let c = if problems.is_empty() {
        Check::new(
            ids::SOD_STRUCTURE,
            CheckStatus::Passed,
            "EF.SOD well formed",
        )
    } else {
        Check::new(ids::SOD_STRUCTURE, CheckStatus::Failed, problems.join("; "))
    };
    c.detail(
        "lds_security_object_version",
        sod.lds_security_object.version.to_string(),
    )
    .detail(
        "certificates",
        sod.signed_data.certificates.len().to_string(),
    )
    .detail(
        "data_groups",
        sod.lds_security_object
            .data_group_hashes
            .iter()
            .map(|d| d.number.to_string())
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// The signingTime signed attribute (RFC 5652 §11.3) of the SOD's SignerInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SigningTime {
    /// No signedAttrs or no signingTime attribute.
    Absent,
    /// Present but not exactly one UTCTime / GeneralizedTime value, or repeated.
    Malformed,
    /// Unix seconds.
    At(UnixTime),
}

pub(crate) fn signing_time_attribute(si: &SignerInfo<'_>) -> SigningTime {
    let Some(attrs) = si.signed_attrs.and_then(signed_attributes) else {
        return SigningTime::Absent;
    };
    let found: Vec<_> = attrs
        .iter()
        .filter(|(t, _)| t.as_str() == OID_SIGNING_TIME)
        .collect();
    let value = match found.as_slice() {
        [] => return SigningTime::Absent,
        [(_, v)] if v.len() == 1 => v.first().copied(),
        _ => None,
    };
    let mut c = Cursor::new(value.unwrap_or_default(), FileId::Sod, asn1::DER);
    let t = match c.read() {
        Ok(t) if c.finish().is_ok() => t,
        _ => return SigningTime::Malformed,
    };
    let parsed = match t.tag.0 {
        0x17 => cert::utc_time(t.value),
        0x18 => cert::generalized_time(t.value),
        _ => None,
    };
    parsed.map_or(SigningTime::Malformed, SigningTime::At)
}

/// When the document was signed, as far as PA can tell: `at..=until` (a DG12 date is a day).
pub(crate) struct SignedAt {
    pub(crate) at: UnixTime,
    pub(crate) until: UnixTime,
    pub(crate) source: &'static str,
}

/// The DG12 date of issue (Doc 9303-10 §4.7.12) at 00:00 UTC, when DG12 was read and has one.
fn dg12_date_of_issue(files: &[RawFile]) -> Option<UnixTime> {
    files
        .iter()
        .find(|f| f.id == FileId::Dg12)
        .and_then(|f| crate::lds::dg12::Dg12::parse(&f.bytes).ok())
        .and_then(|d| d.date_of_issue.and_then(|x| x.digits()))
        .and_then(|s| time::parse_yyyymmdd(&s))
}

/// Under [`DsValidity::PrivateKeyUsagePeriod`]: Ok(explanation) when the DS certificate,
/// expired at `at`, was used inside its privateKeyUsagePeriod and its own validity, and not
/// after `at`; Err(why not) otherwise.
fn expired_ds_accepted(
    ds: &Certificate,
    at: UnixTime,
    signed: Option<&SignedAt>,
) -> Result<String, String> {
    let Some(p) = ds.private_key_usage_period else {
        return Err("the DS certificate has no privateKeyUsagePeriod".into());
    };
    let Some(s) = signed else {
        return Err(
            "no signingTime attribute and no DG12 date of issue to date the signature".into(),
        );
    };
    let lo = p.not_before.unwrap_or(ds.not_before).max(ds.not_before);
    let hi = p
        .not_after
        .unwrap_or(ds.not_after)
        .min(ds.not_after)
        .min(at);
    let period = format!(
        "{} to {}",
        p.not_before
            .map_or_else(|| "-".to_owned(), time::format_rfc3339),
        p.not_after
            .map_or_else(|| "-".to_owned(), time::format_rfc3339)
    );
    // Any overlap of the signing instant (or day) with the usable window.
    if s.until >= lo && s.at <= hi {
        Ok(format!(
            "DS certificate expired at inspection time, accepted: {} {} lies in its privateKeyUsagePeriod ({period})",
            s.source,
            time::format_rfc3339(s.at)
        ))
    } else {
        Err(format!(
            "{} {} lies outside its privateKeyUsagePeriod ({period}) within the certificate validity",
            s.source,
            time::format_rfc3339(s.at)
        ))
    }
}

/// Attribute values in signedAttrs: (type dotted, values' complete encodings).
/// One signed attribute: type (dotted) and the encodings of its values.
type Attribute<'a> = (asn1::DottedOid, Vec<&'a [u8]>);

fn signed_attributes(raw: &[u8]) -> Option<Vec<Attribute<'_>>> {
    let mut c = Cursor::new(raw, FileId::Sod, asn1::DER);
    let (_, mut set) = c.constructed(0xA0).ok()?;
    c.finish().ok()?;
    let mut out = Vec::new();
    while !set.is_empty() {
        if out.len() >= 32 {
            return None;
        }
        let (_, mut a) = set.sequence().ok()?;
        let t = a.oid().ok()?.dotted_small();
        let (_, mut vals) = a.set().ok()?;
        a.finish().ok()?;
        let mut vs = Vec::new();
        while let Some(v) = vals.next().ok()? {
            if vs.len() >= 8 {
                return None;
            }
            vs.push(v.raw);
        }
        out.push((t, vs));
    }
    Some(out)
}

/// True when the SignerInfo's sid (issuerAndSerialNumber or subjectKeyIdentifier) names `c`.
pub(crate) fn sid_matches(si: &SignerInfo<'_>, c: &Certificate) -> bool {
    match si.sid_kind {
        SidKind::IssuerAndSerialNumber => {
            let mut cur = Cursor::new(si.sid_raw, FileId::Sod, asn1::DER);
            let Ok((_, mut s)) = cur.sequence() else {
                return false;
            };
            let Ok(name) = s.expect(tag::SEQUENCE) else {
                return false;
            };
            let Ok(serial) = s.integer() else {
                return false;
            };
            name.raw == c.issuer_raw.as_slice() && c.serial_eq(serial.as_bytes())
        }
        SidKind::SubjectKeyIdentifier => {
            let mut cur = Cursor::new(si.sid_raw, FileId::Sod, asn1::DER);
            match cur.expect(0x80) {
                Ok(t) => c.ski.as_deref() == Some(t.value),
                Err(_) => false,
            }
        }
    }
}

/// Why a CMS signer did not verify.
pub(crate) enum SignerError {
    /// The algorithm or key is not supported here (never "valid").
    Unsupported(String),
    /// Verification failed: the reason, and the algorithm error when there was one.
    Failed(String, Option<AlgError>),
}

/// CMS SignedData signer verification (RFC 5652 §5.4, §5.6), shared by EF.SOD and master
/// lists: signedAttrs present and DER, exactly one contentType equal to eContentType and
/// accepted by `accept_content_type` (which may return a warning), exactly one messageDigest
/// equal to H(eContent) with the SignerInfo's digest, and the signature of `signer` over the
/// signedAttrs bytes as read with the SET OF tag. The signature algorithm comes from the
/// SignerInfo, never from the certificate.
pub(crate) fn verify_signer(
    sd: &crate::lds::cms::SignedData<'_>,
    si: &SignerInfo<'_>,
    signer: &Certificate,
    accept_content_type: &dyn Fn(&str) -> Result<Option<String>, String>,
    min_rsa_bits: usize,
) -> Result<(Vec<String>, SignatureScheme, algorithms::VerifyingKey), SignerError> {
    let failed = |r: String| SignerError::Failed(r, None);
    let mut warnings = Vec::new();
    let digest = DigestAlg::from_identifier(&si.digest_algorithm);
    let scheme = SignatureScheme::from_identifier(&si.signature_algorithm, digest.clone().ok());
    let Some(sa_raw) = si.signed_attrs else {
        return Err(failed(
            "signedAttrs absent (required by Doc 9303-10 §4.6.2)".into(),
        ));
    };
    let Some(attrs) = signed_attributes(sa_raw) else {
        return Err(failed("signedAttrs malformed (not DER)".into()));
    };
    let single = |oid: &str| -> Option<&[u8]> {
        let found: Vec<_> = attrs.iter().filter(|(t, _)| t.as_str() == oid).collect();
        match found.as_slice() {
            [(_, v)] if v.len() == 1 => v.first().copied(),
            _ => None,
        }
    };
    let ct_val = single(OID_CONTENT_TYPE).and_then(|raw| {
        let mut c = Cursor::new(raw, FileId::Sod, asn1::DER);
        c.oid().ok()
    });
    match ct_val {
        None => return Err(failed("contentType attribute missing or malformed".into())),
        Some(v) if v.as_bytes() != sd.econtent_type.as_bytes() => {
            return Err(failed(format!(
                "contentType attribute {} differs from eContentType {}",
                v.dotted(),
                sd.econtent_type.dotted()
            )))
        }
        Some(v) => match accept_content_type(v.dotted_small().as_str()) {
            Ok(w) => warnings.extend(w),
            Err(r) => return Err(failed(r)),
        },
    }
    let md_val = single(OID_MESSAGE_DIGEST).and_then(|raw| {
        let mut c = Cursor::new(raw, FileId::Sod, asn1::DER);
        c.octet_string().ok()
    });
    let Some(md_val) = md_val else {
        return Err(failed(
            "messageDigest attribute missing or malformed".into(),
        ));
    };
    let digest = digest.map_err(|e| failed(format!("SignerInfo digestAlgorithm: {e}")))?;
    if digest.digest(sd.econtent) != md_val {
        return Err(failed(format!(
            "messageDigest does not equal {}(eContent)",
            digest.name()
        )));
    }
    let scheme = scheme.map_err(|e| failed(format!("signatureAlgorithm: {e}")))?;
    let key = signer.key().map_err(|e| match e {
        AlgError::Unsupported { what } => SignerError::Unsupported(what),
        e => SignerError::Failed(format!("signer public key: {e}"), Some(e)),
    })?;
    // RFC 5652 §5.4: the signature covers the DER of signedAttrs with the SET OF tag, i.e.
    // the raw bytes read with A0 replaced by 31 (never a re-encoding).
    let mut signed = sa_raw.to_vec();
    if let Some(b) = signed.first_mut() {
        *b = tag::SET as u8;
    }
    match algorithms::verify(key, &scheme, &signed, si.signature, min_rsa_bits) {
        Ok(()) => Ok((warnings, scheme, key.clone())),
        Err(AlgError::Unsupported { what }) => Err(SignerError::Unsupported(what)),
        Err(e) => Err(SignerError::Failed(
            format!("signature ({}, {}): {e}", scheme.describe(), key.describe()),
            Some(e),
        )),
    }
}

fn signature_check(
    sod: &Sod<'_>,
    trust: &TrustSnapshot,
    policy: &PaPolicy,
    signing_time: &SigningTime,
    notes: &mut AlgNotes,
    failures: &mut Vec<deviation::Failure>,
) -> (Check, Option<Arc<Certificate>>) {
    let accept = |ct: &str| match ct {
        OID_LDS_SO => Ok(None),
        OID_LDS_SO_LEGACY => Ok(Some("legacy content type 1.3.27.1.1.1".to_owned())),
        v => Err(format!(
            "contentType {v} is not id-icao-mrtd-security-ldsSecurityObject"
        )),
    };
    let file = SignedFile {
        id: ids::SOD_SIGNATURE,
        name: "EF.SOD",
        signature_label: "SOD signature",
        signature_deviation: Some(crate::trust::deviation::DeviationKind::SodSignatureWrong),
        accept: &accept,
    };
    signer_check(
        &file,
        &sod.signed_data,
        trust,
        policy,
        signing_time,
        notes,
        failures,
    )
}

/// Which signed file [`signer_check`] verifies: the check id, the file name for reasons, the
/// `pa.algorithms` label of its signature, and the deviation type (Doc 9303-12 §10) that may
/// cover a signature value that does not verify.
pub(crate) struct SignedFile<'a> {
    pub(crate) id: &'static str,
    pub(crate) name: &'static str,
    pub(crate) signature_label: &'static str,
    pub(crate) signature_deviation: Option<crate::trust::deviation::DeviationKind>,
    /// Accepts the eContentType / contentType (Ok(Some(warning)) for a legacy one).
    pub(crate) accept: &'a dyn Fn(&str) -> Result<Option<String>, String>,
}

/// The Document Signer of a CMS SignedData (EF.SOD, EF.CardSecurity) and its signature
/// ([`verify_signer`]): the DS certificate from the SignedData when it carries any, else from
/// the trust snapshot by sid.
pub(crate) fn signer_check(
    file: &SignedFile<'_>,
    sd: &crate::lds::cms::SignedData<'_>,
    trust: &TrustSnapshot,
    policy: &PaPolicy,
    signing_time: &SigningTime,
    notes: &mut AlgNotes,
    failures: &mut Vec<deviation::Failure>,
) -> (Check, Option<Arc<Certificate>>) {
    use CheckStatus::*;
    let id = file.id;
    let Some(si) = sd.signer_infos.first() else {
        return (Check::new(id, Failed, "no SignerInfo"), None);
    };
    // The DS certificate: from the SignedData when it carries any, else from the trust snapshot.
    let mut parse_errors = Vec::new();
    let from_sd: Vec<Arc<Certificate>> = sd
        .certificates
        .iter()
        .filter_map(|d| match Certificate::from_der_shared(d) {
            Ok(c) => Some(c),
            Err(e) => {
                parse_errors.push(e.to_string());
                None
            }
        })
        .collect();
    let ds: Option<Arc<Certificate>> = if sd.certificates.is_empty() {
        trust
            .ds_certificates()
            .iter()
            .find(|t| sid_matches(si, &t.cert))
            .map(|t| t.cert.clone())
    } else {
        from_sd.into_iter().find(|c| sid_matches(si, c))
    };
    let digest = DigestAlg::from_identifier(&si.digest_algorithm);
    notes.digest("signer digest", &digest);
    let scheme = SignatureScheme::from_identifier(&si.signature_algorithm, digest.clone().ok());
    notes.scheme(file.signature_label, &scheme);
    let Some(ds) = ds else {
        let c = if sd.certificates.is_empty() {
            Check::new(
                id,
                NotPerformed,
                format!(
                    "{} carries no DS certificate and none in the trust store matches sid",
                    file.name
                ),
            )
        } else if !parse_errors.is_empty() {
            Check::new(
                id,
                Failed,
                format!("DS certificate malformed: {}", parse_errors.join("; ")),
            )
        } else {
            Check::new(
                id,
                Failed,
                format!("sid matches no certificate in {}", file.name),
            )
        };
        return (c, None);
    };
    let fail = |r: String, ds: &Arc<Certificate>| {
        (
            Check::new(id, Failed, r).detail("ds_subject", ds.subject.clone()),
            Some(ds.clone()),
        )
    };
    let (warnings, scheme, key) = match verify_signer(sd, si, &ds, file.accept, policy.min_rsa_bits)
    {
        Ok(ok) => ok,
        Err(SignerError::Unsupported(r)) => {
            notes.err("DS key", &AlgError::Unsupported { what: r.clone() });
            return (
                Check::new(id, NotPerformed, format!("cannot verify: {r}"))
                    .detail("ds_subject", ds.subject.clone()),
                Some(ds),
            );
        }
        Err(SignerError::Failed(r, e)) => {
            // Only a signature value that does not verify is deviable (e.g.
            // id-Deviation-LDS-SODSignatureWrong); signed-attribute and algorithm errors are not.
            let deviable = matches!(e, Some(AlgError::BadSignature));
            if let Some(e) = e {
                notes.err("DS key", &e);
            }
            failures.push(deviation::Failure::new(
                r.clone(),
                file.signature_deviation
                    .filter(|_| deviable)
                    .map(|k| (k, deviation::Param::Any)),
            ));
            return fail(r, &ds);
        }
    };
    notes.used.insert("DS key".into(), key.describe());
    let mut warnings = warnings;
    // RFC 5652 §11.3: the signer's claimed signing time; outside the DS validity it contradicts
    // the DS certificate (back-dated or forged), a warning (the claim is the signer's own).
    match signing_time {
        SigningTime::Absent => {}
        SigningTime::Malformed => warnings.push(
            "signingTime attribute malformed (not exactly one UTCTime/GeneralizedTime value)"
                .to_owned(),
        ),
        SigningTime::At(t) if !ds.valid_at(*t) => warnings.push(format!(
            "signingTime {} outside the DS certificate validity ({} to {})",
            time::format_rfc3339(*t),
            time::format_rfc3339(ds.not_before),
            time::format_rfc3339(ds.not_after)
        )),
        SigningTime::At(_) => {}
    }
    let (status, reason) = if warnings.is_empty() {
        (
            Passed,
            format!(
                "signature verifies ({}, {})",
                scheme.describe(),
                key.describe()
            ),
        )
    } else {
        (
            Warning,
            format!("signature verifies; {}", warnings.join("; ")),
        )
    };
    let mut c = Check::new(id, status, reason);
    if let SigningTime::At(t) = signing_time {
        c = c.detail("signing_time", time::format_rfc3339(*t));
    }
    (
        c.detail("ds_subject", ds.subject.clone())
            .detail("ds_serial", hex_up(&ds.serial))
            .detail("signature_algorithm", scheme.describe()),
        Some(ds),
    )
}

pub(crate) fn chain_check(
    ds: &Arc<Certificate>,
    trust: &TrustSnapshot,
    at: UnixTime,
    policy: &PaPolicy,
    signed_at: Option<&SignedAt>,
    notes: &mut AlgNotes,
    failures: &mut Vec<deviation::Failure>,
) -> (Check, Option<TrustedCert>) {
    use crate::trust::deviation::DeviationKind as K;
    use deviation::{Failure, Param};
    use CheckStatus::*;
    let id = ids::DS_CERTIFICATE;
    // Candidates: AKI ↔ SKI first, then issuer DN (pitfalls #4); a DN match whose SKI
    // contradicts the DS AKI is not a candidate.
    let mut candidates: Vec<&TrustedCert> = Vec::new();
    if let Some(aki) = &ds.aki {
        candidates.extend(
            trust
                .cscas()
                .iter()
                .filter(|c| c.cert.ski.as_deref() == Some(aki.as_slice())),
        );
    }
    let mut aki_conflicts = 0usize;
    for c in trust.cscas() {
        if c.cert.subject_raw != ds.issuer_raw
            || candidates.iter().any(|x| x.cert.der == c.cert.der)
        {
            continue;
        }
        match (&ds.aki, &c.cert.ski) {
            (Some(a), Some(s)) if a != s => aki_conflicts = aki_conflicts.saturating_add(1),
            _ => candidates.push(c),
        }
    }
    let scheme = ds.signature_scheme();
    notes.scheme("DS certificate signature", &scheme);
    if candidates.is_empty() {
        let reason = if aki_conflicts > 0 {
            format!(
                "no CSCA with SKI {} (issuer '{}'; {aki_conflicts} CSCA(s) with that DN have other key ids)",
                ds.aki.as_deref().map(hex_up).unwrap_or_default(),
                ds.issuer
            )
        } else {
            format!("no CSCA in the trust store for issuer '{}'", ds.issuer)
        };
        return (Check::new(id, NotPerformed, reason), None);
    }
    let mut tried = Vec::new();
    let mut chosen = None;
    let mut unsupported = 0usize;
    let mut bad_signature = 0usize;
    for c in candidates.iter().take(policy.max_candidates) {
        let r = c
            .cert
            .key()
            .and_then(|k| ds.verify_signed_by(k, policy.min_rsa_bits));
        match r {
            Ok(()) => {
                chosen = Some((*c).clone());
                break;
            }
            Err(e) => {
                notes.err("CSCA key", &e);
                if matches!(e, AlgError::Unsupported { .. }) {
                    unsupported = unsupported.saturating_add(1);
                }
                if matches!(e, AlgError::BadSignature) {
                    bad_signature = bad_signature.saturating_add(1);
                }
                tried.push(format!("{}: {e}", c.cert.subject));
            }
        }
    }
    let Some(csca) = chosen else {
        let all_unsupported = unsupported == tried.len();
        let mut c = Check::new(
            id,
            if all_unsupported {
                NotPerformed
            } else {
                Failed
            },
            format!(
                "DS certificate signature verifies under none of {} candidate CSCA(s)",
                candidates.len().min(policy.max_candidates)
            ),
        );
        for (i, t) in tried.iter().enumerate() {
            c = c.detail(format!("candidate_{i}"), t.clone());
        }
        // id-Deviation-CertOrKey-DSSignature covers a signature value that does not verify
        // under the DS's CSCA (every candidate tried, none with an unusable key).
        failures.push(Failure::new(
            c.reason.clone(),
            (bad_signature == tried.len() && !tried.is_empty())
                .then_some((K::DsSignature, Param::Any)),
        ));
        return (c, None);
    };
    // Each problem with the deviation type that may cover it (validity never is).
    const KU: &str = "2.5.29.15";
    const BC: &str = "2.5.29.19";
    let mut problems: Vec<(String, Option<(K, Param)>)> = Vec::new();
    if at < ds.not_before {
        problems.push(("DS certificate not yet valid".to_owned(), None));
    }
    let mut accepted_expired = None;
    if at > ds.not_after {
        match policy.ds_validity {
            DsValidity::AtInspection => {
                problems.push(("DS certificate expired".to_owned(), None));
            }
            DsValidity::PrivateKeyUsagePeriod => match expired_ds_accepted(ds, at, signed_at) {
                Ok(note) => accepted_expired = Some(note),
                Err(why) => problems.push((
                    format!("DS certificate expired (private-key-usage-period model: {why})"),
                    None,
                )),
            },
        }
    }
    if at < csca.cert.not_before {
        problems.push(("CSCA certificate not yet valid".to_owned(), None));
    }
    if at > csca.cert.not_after {
        problems.push(("CSCA certificate expired".to_owned(), None));
    }
    let ds_enc = Some((K::DsEncoding, Param::Extension(KU)));
    match ds.key_usage {
        Some(ku) if ku & key_usage::DIGITAL_SIGNATURE != 0 => {}
        Some(_) => problems.push(("DS keyUsage lacks digitalSignature".to_owned(), ds_enc)),
        None => problems.push(("DS keyUsage absent".to_owned(), ds_enc)),
    }
    if matches!(ds.basic_constraints, Some((true, _))) {
        problems.push((
            "DS certificate is a CA (basicConstraints cA=true)".to_owned(),
            Some((K::DsEncoding, Param::Extension(BC))),
        ));
    }
    match csca.cert.key_usage {
        Some(ku) if ku & key_usage::KEY_CERT_SIGN != 0 => {}
        _ => problems.push((
            "CSCA keyUsage lacks keyCertSign".to_owned(),
            Some((K::CscaEncoding, Param::Extension(KU))),
        )),
    }
    if !matches!(csca.cert.basic_constraints, Some((true, _))) {
        problems.push((
            "CSCA basicConstraints cA is not true".to_owned(),
            Some((K::CscaEncoding, Param::Extension(BC))),
        ));
    }
    let problems: Vec<String> = problems
        .into_iter()
        .map(|(what, cover)| {
            failures.push(Failure::new(what.clone(), cover));
            what
        })
        .collect();
    let c = match (problems.is_empty(), accepted_expired) {
        (true, None) => Check::new(
            id,
            Passed,
            "DS certificate issued by a trusted CSCA and valid",
        ),
        (true, Some(note)) => Check::new(
            id,
            Passed,
            format!("DS certificate issued by a trusted CSCA; {note}"),
        ),
        (false, _) => Check::new(id, Failed, problems.join("; ")),
    };
    let model = match policy.ds_validity {
        DsValidity::AtInspection => "at_inspection",
        DsValidity::PrivateKeyUsagePeriod => "private_key_usage_period",
    };
    (
        c.detail("ds_validity_model", model)
            .detail("csca_subject", csca.cert.subject.clone())
            .detail("csca_source", csca.provenance.source.clone())
            .detail("candidates", candidates.len().to_string()),
        Some(csca),
    )
}

/// Pitfalls #5 / Doc 9303-12 §5.3: a document is signed while its DS certificate is valid, so
/// a DG12 date of issue outside the DS validity is suspicious (forged DG12, or a back-dated
/// DS). A warning on `pa.ds_certificate`, never a failure: DG12 is optional and dates are
/// day-granular.
fn issue_date_check(mut c: Check, ds: &Certificate, files: &[RawFile]) -> Check {
    let Some(doi) = dg12_date_of_issue(files) else {
        return c;
    };
    let day = |t: i64| t.div_euclid(86_400).saturating_mul(86_400);
    let date = time::format_rfc3339(doi);
    let date = date.get(..10).unwrap_or(&date).to_owned();
    c = c.detail("dg12_date_of_issue", date.clone());
    if doi < day(ds.not_before) || doi > ds.not_after {
        let msg = format!(
            "DG12 date of issue {date} outside the DS certificate validity ({} to {})",
            time::format_rfc3339(ds.not_before),
            time::format_rfc3339(ds.not_after)
        );
        if c.status == CheckStatus::Passed {
            c.status = CheckStatus::Warning;
            c.reason = msg;
        } else {
            c.reason = format!("{}; {msg}", c.reason);
        }
    }
    c
}

pub(crate) fn revocation_check(
    ds: &Certificate,
    csca: &TrustedCert,
    trust: &TrustSnapshot,
    at: UnixTime,
    policy: &PaPolicy,
    notes: &mut AlgNotes,
) -> Check {
    use CheckStatus::*;
    let id = ids::DS_REVOCATION;
    let key = match csca.cert.key() {
        Ok(k) => k,
        Err(e) => return Check::new(id, NotPerformed, format!("CSCA key unusable: {e}")),
    };
    let mut bad = Vec::new();
    // The newest CRL from this CSCA whose signature verifies.
    let mut best: Option<&crate::trust::TrustedCrl> = None;
    for t in trust.crls() {
        if t.crl.issuer_raw != csca.cert.subject_raw {
            continue;
        }
        if let (Some(a), Some(s)) = (&t.crl.aki, &csca.cert.ski) {
            if a != s {
                continue;
            }
        }
        // Under Sha1Policy::Reject a SHA-1 CRL is unusable (the document is not at fault:
        // the missing-CRL policy decides); under Warn it is used and pa.algorithms warns.
        if policy.sha1 == Sha1Policy::Reject
            && t.crl.signature_scheme().is_ok_and(|s| s.hash().is_weak())
        {
            bad.push(format!(
                "{}: signed with SHA-1, rejected by policy",
                t.provenance.source
            ));
            continue;
        }
        match t.crl.verify_signed_by(key, policy.min_rsa_bits) {
            Ok(()) => {
                if best.is_none_or(|b| b.crl.this_update < t.crl.this_update) {
                    best = Some(t);
                }
            }
            Err(e) => bad.push(format!("{}: {e}", t.provenance.source)),
        }
    }
    let Some(crl) = best else {
        let reason = if bad.is_empty() {
            "no CRL from the CSCA in the trust store".to_owned()
        } else {
            format!("no CRL with a valid signature ({})", bad.join("; "))
        };
        let status = match policy.missing_crl {
            MissingCrl::NotPerformed => NotPerformed,
            MissingCrl::Warning => Warning,
            MissingCrl::Fail => Failed,
        };
        return Check::new(id, status, reason);
    };
    notes.scheme("CRL signature", &crl.crl.signature_scheme());
    let c = if crl.crl.lists(&ds.serial) {
        Check::new(
            id,
            Failed,
            format!("DS certificate serial {} is revoked", hex_up(&ds.serial)),
        )
    } else if crl.crl.next_update.is_some_and(|n| at > n) {
        Check::new(
            id,
            Warning,
            "not revoked, but the CRL is past its nextUpdate (stale)",
        )
    } else {
        Check::new(id, Passed, "DS certificate not revoked")
    };
    c.detail("crl_source", crl.provenance.source.clone())
}

fn dg_hash_check(
    sod: &Sod<'_>,
    files: &[RawFile],
    notes: &mut AlgNotes,
    failures: &mut Vec<deviation::Failure>,
) -> (Check, Vec<u8>) {
    use deviation::{Failure, Param};
    use CheckStatus::*;
    let id = ids::DG_HASHES;
    let lso = &sod.lds_security_object;
    let alg = DigestAlg::from_identifier(&lso.hash_algorithm);
    notes.digest("LDSSecurityObject hash", &alg);
    let alg = match alg {
        Ok(a) => a,
        Err(e) => {
            return (
                Check::new(id, Failed, format!("hashAlgorithm: {e}")),
                Vec::new(),
            )
        }
    };
    let mut c = Check::new(id, Passed, "");
    let mut failed = Vec::new();
    let mut matched = Vec::new();
    for f in files {
        let Some(n) = f.id.dg_number() else { continue };
        match lso.hash_of(n) {
            Some(h) if alg.digest(&f.bytes) == h => {
                matched.push(n);
                c = c.detail(format!("DG{n}"), "passed");
            }
            Some(_) => {
                failures.push(Failure::new(
                    format!("DG{n} hash mismatch"),
                    Some((
                        crate::trust::deviation::DeviationKind::DgHashWrong,
                        Param::DataGroup(u64::from(n)),
                    )),
                ));
                failed.push(format!("DG{n} hash mismatch"));
                c = c.detail(format!("DG{n}"), "failed: hash mismatch");
            }
            None => {
                failures.push(Failure::new(
                    format!("DG{n} read but not listed in EF.SOD"),
                    None,
                ));
                failed.push(format!("DG{n} read but not listed in EF.SOD"));
                c = c.detail(format!("DG{n}"), "failed: not listed in EF.SOD");
            }
        }
    }
    for d in &lso.data_group_hashes {
        if !files.iter().any(|f| f.id.dg_number() == Some(d.number)) {
            c = c.detail(format!("DG{}", d.number), "not_performed: not read");
        }
    }
    matched.sort_unstable();
    if !failed.is_empty() {
        c.status = Failed;
        c.reason = failed.join("; ");
    } else if matched.is_empty() {
        c.status = NotPerformed;
        c.reason = "no data group read".into();
    } else {
        c.reason = format!("{} data group(s) match ({})", matched.len(), alg.name());
    }
    (c, matched)
}

fn country_check(
    ds: Option<&Certificate>,
    csca: Option<&Certificate>,
    files: &[RawFile],
    policy: &PaPolicy,
) -> Check {
    use CheckStatus::*;
    let id = ids::COUNTRY_CONSISTENCY;
    let mut c = Check::new(id, Passed, "");
    let mut problems = Vec::new();
    let ds_issuer_c = ds.and_then(|d| d.issuer_country.clone());
    let ds_subject_c = ds.and_then(|d| d.subject_country.clone());
    let csca_c = csca.and_then(|d| d.subject_country.clone());
    if let Some(v) = &ds_issuer_c {
        c = c.detail("ds_issuer_c", v.clone());
    }
    if let Some(v) = &csca_c {
        c = c.detail("csca_c", v.clone());
    }
    if let (Some(a), Some(b)) = (&ds_issuer_c, &ds_subject_c) {
        if !a.eq_ignore_ascii_case(b) {
            problems.push(format!("DS subject C {b} differs from issuer C {a}"));
        }
    }
    if let (Some(a), Some(b)) = (&ds_issuer_c, &csca_c) {
        if !a.eq_ignore_ascii_case(b) {
            problems.push(format!("DS issuer C {a} differs from CSCA C {b}"));
        }
    }
    let state = files
        .iter()
        .find(|f| f.id == FileId::Dg1)
        .and_then(|f| crate::lds::dg1::Dg1::parse(&f.bytes).ok())
        .and_then(|d| d.mrz().ok())
        .map(|m| m.issuing_state);
    let mut unmapped = None;
    if let Some(state) = &state {
        c = c.detail("dg1_issuing_state", state.clone());
        match (policy.country_map.get(state), &ds_issuer_c) {
            (Some(mapped), Some(cert_c)) if !mapped.eq_ignore_ascii_case(cert_c) => problems.push(
                format!("DG1 issuing state {state} ({mapped}) differs from certificate C {cert_c}"),
            ),
            (None, Some(_)) => unmapped = Some(state.clone()),
            _ => {}
        }
    }
    if !problems.is_empty() {
        c.status = Failed;
        c.reason = problems.join("; ");
    } else if ds_issuer_c.is_none() {
        c.status = NotPerformed;
        c.reason = "no DS certificate country".into();
    } else if let Some(s) = unmapped {
        c.status = Warning;
        c.reason = format!("no policy mapping for issuing state {s}");
    } else {
        c.reason = "country codes agree".into();
    }
    c
}
