//! One chip inspection (Doc 9303-11 §§4-6 and Doc 9303-10 §4, in the order of the inspection
//! procedure): access control and reading every file EF.SOD lists ([`ReadSession`]; with
//! PACE-CAM also EF.CardSecurity and the CAM check, §4.4.3.5), then Chip Authentication (§6.2)
//! when EF.DG14 offers it, then Active Authentication (§6.1) when DG15 was read. A failed Chip
//! Authentication leaves no secure channel (the chip dropped it), so access control runs again
//! before Active Authentication, which is then judged on its own. The CLI and the gRPC service
//! both call [`inspect_chip`]; they differ only in the transport and in how they show progress.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand_core::CryptoRngCore;

use super::report::{FileSummary, Outcome, ReadInfo, Timing};
use crate::chip::aa::{self, AaPolicy, ActiveAuthentication};
use crate::chip::ca;
use crate::chip::chain::Chained;
use crate::chip::ta::{self, TerminalCredentials};
use crate::chip::{
    drive, drive_observed, drive_with_stats, AccessKey, CardTransport, ChipError, ChipRead,
    ChipStats, FileOutcome, Phase, ReadFile, ReadOptions, ReadSession, Secured, SessionFile,
    SessionOptions, TransportError, MAX_SIZE_BIOMETRIC,
};
use crate::lds::dg15::Dg15;
use crate::lds::security_infos::SecurityInfos;
use crate::lds::{FileId, RawFile};
use crate::pa::CheckStatus;

/// What to read and how.
#[derive(Debug, Clone)]
pub struct ChipOptions {
    /// Basic Access Control allowed (policy): when false, only PACE opens a chip, and a chip
    /// that offers no usable PACE is refused rather than read over BAC.
    pub allow_bac: bool,
    /// Data groups to read among those EF.SOD lists; `None` reads all readable ones. DG14 and
    /// DG15 are always added: chip authentication needs them.
    pub data_groups: Option<Vec<u8>>,
    /// The Active Authentication challenge chosen by the caller (a server binding it to its
    /// own transaction); `None` draws it from the RNG.
    pub aa_challenge: Option<[u8; 8]>,
    /// Active Authentication policy (minimum RSA modulus etc.).
    pub aa_policy: AaPolicy,
    /// The operator's inspection-system credentials for Terminal Authentication (BSI
    /// TR-03110-1 §3.5); without them DG3/DG4 stay unread, as before.
    pub terminal: Option<TerminalCredentials>,
}

impl Default for ChipOptions {
    fn default() -> Self {
        ChipOptions {
            allow_bac: true,
            data_groups: None,
            aa_challenge: None,
            aa_policy: AaPolicy::default(),
            terminal: None,
        }
    }
}

/// A step, reported as it starts.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChipEvent {
    /// Access control (BAC or PACE) and selecting the application.
    AccessControl,
    /// Bytes of a file read so far (`total` once the chip declared it).
    File {
        /// Which file.
        id: FileId,
        /// Bytes read so far.
        read: usize,
        /// Declared length.
        total: Option<usize>,
    },
    /// Chip Authentication started.
    ChipAuthentication,
    /// Active Authentication started.
    ActiveAuthentication,
}

/// Everything the chip gave.
#[derive(Debug)]
pub struct ChipInspection {
    /// The session result (raw bytes of every file).
    pub read: ChipRead,
    /// Counts and timings.
    pub info: ReadInfo,
    /// Outcome of Active Authentication (`aa`).
    pub aa: Outcome,
    /// Outcome of Chip Authentication (`ca`) from DG14, carrying the PACE-CAM result when
    /// PACE-CAM ran ([`Outcome::cam`]); `assess` decides the `ca` check from both.
    pub ca: Outcome,
    /// Outcome of Terminal Authentication (`ta`) and with it the DG3/DG4 reads.
    pub ta: Outcome,
}

impl ChipInspection {
    /// The `access_control` check: which protocol opened the chip. A chip that offers PACE
    /// but was read over BAC is a downgrade, reported as a warning with the reason (never
    /// silently).
    pub fn access_outcome(&self) -> Outcome {
        let proto = self.info.access_protocol.to_uppercase();
        match (&self.read.access, &self.read.pace_skipped) {
            (crate::chip::AccessProtocol::Bac, Some(why)) if self.read.pace_offered => {
                Outcome::new(
                    CheckStatus::Warning,
                    format!("BAC established; the chip offers PACE but it was not used: {why}"),
                )
            }
            (crate::chip::AccessProtocol::Pace(p), _) => Outcome::new(
                CheckStatus::Passed,
                format!(
                    "PACE established ({:?} mapping, {:?}, {:?}, parameterId {}, password {:?})",
                    p.mapping, p.key_agreement, p.cipher, p.group_id, p.password
                ),
            ),
            _ => Outcome::new(CheckStatus::Passed, format!("{proto} established")),
        }
    }

    /// The evidence this chip read gives [`super::assess`]: `files` (normally
    /// [`ChipInspection::raw_files`]) with the access, AA, CA and TA outcomes and the read
    /// statistics, beside what was printed.
    pub fn evidence<'a>(
        &self,
        files: &'a [RawFile],
        printed: super::Printed<'a>,
        include_faces: bool,
    ) -> super::Evidence<'a> {
        super::Evidence {
            files,
            printed,
            access: Some(self.access_outcome()),
            aa: self.aa.clone(),
            ca: self.ca.clone(),
            ta: Some(self.ta.clone()),
            include_faces,
            read: Some(self.info.clone()),
        }
    }

    /// The files read, for Passive Authentication (exactly the bytes the chip returned).
    pub fn raw_files(&self) -> Vec<RawFile> {
        self.read
            .files
            .iter()
            .filter_map(|f| {
                f.bytes().map(|b| RawFile {
                    id: f.id,
                    bytes: b.to_vec(),
                })
            })
            .collect()
    }
}

/// A transport that fails with [`TransportError::Cancelled`] once `flag` is set, so a caller
/// that went away stops the read between two APDUs and the reader is released.
pub struct Cancellable<'a> {
    inner: &'a mut dyn CardTransport,
    flag: Arc<AtomicBool>,
}

impl<'a> Cancellable<'a> {
    /// Wraps `inner`.
    pub fn new(inner: &'a mut dyn CardTransport, flag: Arc<AtomicBool>) -> Self {
        Cancellable { inner, flag }
    }
}

impl CardTransport for Cancellable<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.flag.load(Ordering::Relaxed) {
            return Err(TransportError::Cancelled);
        }
        self.inner.transmit(command)
    }
    fn max_response_len(&self) -> usize {
        self.inner.max_response_len()
    }
}

/// Counts the APDUs and bytes of the steps that run outside the read session (CA, AA), so
/// the report's totals cover the whole inspection.
struct Counted<'a> {
    inner: &'a mut dyn CardTransport,
    stats: &'a mut ChipStats,
}

impl<'a> Counted<'a> {
    fn new(inner: &'a mut dyn CardTransport, stats: &'a mut ChipStats) -> Self {
        Counted { inner, stats }
    }
}

impl CardTransport for Counted<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.stats.apdus = self.stats.apdus.saturating_add(1);
        self.stats.bytes_sent = self.stats.bytes_sent.saturating_add(command.len() as u64);
        let r = self.inner.transmit(command)?;
        self.stats.bytes_received = self.stats.bytes_received.saturating_add(r.len() as u64);
        Ok(r)
    }
    fn max_response_len(&self) -> usize {
        self.inner.max_response_len()
    }
}

fn phase_name(p: Phase) -> String {
    match p {
        Phase::AtrInfo => "read EF.ATR/INFO".into(),
        Phase::CardAccess => "read EF.CardAccess".into(),
        Phase::SelectApplication => "select eMRTD application".into(),
        Phase::Bac => "BAC".into(),
        Phase::Pace => "PACE".into(),
        Phase::ReadFile(id) => format!("read {}", id.name()),
        Phase::Done => "done".into(),
        #[allow(unreachable_patterns)]
        _ => "other".into(),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs the whole chip side of an inspection over `t`. A failed access control or a broken
/// secure channel is an error; CA and AA failures are outcomes in the result.
pub fn inspect_chip(
    t: &mut dyn CardTransport,
    key: &AccessKey,
    opts: &ChipOptions,
    rng: &mut dyn CryptoRngCore,
    events: &mut dyn FnMut(ChipEvent),
) -> Result<ChipInspection, ChipError> {
    let data_groups = opts.data_groups.clone().map(|mut d| {
        for n in [14, 15] {
            if !d.contains(&n) {
                d.push(n);
            }
        }
        d
    });
    let sopts = SessionOptions {
        max_response_len: t.max_response_len(),
        data_groups,
        allow_bac_fallback: opts.allow_bac,
        // CA v2 keys of eIDs without DG14 (only useful with terminal credentials).
        read_card_security: opts.terminal.is_some(),
        ..SessionOptions::default()
    };
    let session = ReadSession::new(key, sopts.clone(), rng)?;
    let started = Instant::now();
    let mut timings: Vec<Timing> = Vec::new();
    let mut last = (Phase::AtrInfo, Instant::now(), 0u64);
    let mut stats = ChipStats::default();
    let mut access_reported = false;
    let read = drive_observed(session, t, &mut stats, &mut |s, st| {
        let p = s.progress();
        if p.phase != last.0 {
            timings.push(Timing {
                step: phase_name(last.0),
                milliseconds: ms(last.1.elapsed()),
                apdus: st.apdus.saturating_sub(last.2),
            });
            last = (p.phase, Instant::now(), st.apdus);
        }
        match p.phase {
            Phase::ReadFile(id) => events(ChipEvent::File {
                id,
                read: p.file_bytes,
                total: p.file_total,
            }),
            Phase::Bac | Phase::Pace | Phase::SelectApplication if !access_reported => {
                access_reported = true;
                events(ChipEvent::AccessControl);
            }
            _ => {}
        }
    });
    timings.push(Timing {
        step: phase_name(last.0),
        milliseconds: ms(last.1.elapsed()),
        apdus: stats.apdus.saturating_sub(last.2),
    });
    let mut read = read?;

    let t_ca = Instant::now();
    let apdus_before = stats.apdus;
    let mut ca_done = None;
    let ca = chip_authentication(
        &mut read,
        &mut Counted::new(t, &mut stats),
        rng,
        events,
        &mut ca_done,
    );
    // CA v2 only (eIDs): TA v2 first, then CA v2 (TR-03110-2 §3.3).
    let mut ta_v2 = None;
    let ca = if ca.status == CheckStatus::NotPerformed && read.session.is_some() {
        match eac_v2(
            &mut read,
            &mut Counted::new(t, &mut stats),
            opts,
            key,
            rng,
            events,
        ) {
            Some((c, t2)) => {
                ta_v2 = Some(t2);
                c
            }
            None => ca,
        }
    } else {
        ca
    };
    // PACE-CAM ran during access control; `assess` binds it to PA of EF.CardSecurity.
    let ca = match &read.cam {
        Some(cam) => ca.with_cam(cam.clone()),
        None => ca,
    };
    if ca.status != CheckStatus::NotPerformed {
        timings.push(Timing {
            step: "chip authentication".into(),
            milliseconds: ms(t_ca.elapsed()),
            apdus: stats.apdus.saturating_sub(apdus_before),
        });
    }
    // EAC1 (TR-03110-1 §3.5): Terminal Authentication after CA, then DG3/DG4.
    let (t_ta, ta_before) = (Instant::now(), stats.apdus);
    let ta = match ta_v2 {
        Some(o) => o,
        None => terminal_authentication(
            &mut read,
            &mut Counted::new(t, &mut stats),
            opts,
            key,
            ca_done.as_ref(),
        ),
    };
    if stats.apdus > ta_before {
        timings.push(Timing {
            step: "terminal authentication".into(),
            milliseconds: ms(t_ta.elapsed()),
            apdus: stats.apdus.saturating_sub(ta_before),
        });
    }
    // Doc 9303-11 §6.2: after a failed CA the terminal restarts access control.
    let mut reopen_error = None;
    if ca.status == CheckStatus::Failed
        && read.session.is_none()
        && read.file(FileId::Dg15).is_some()
    {
        let reopen = SessionOptions {
            max_response_len: read.max_response_len,
            ..sopts
        };
        let (t_re, before) = (Instant::now(), stats.apdus);
        match ReadSession::access_only(key, reopen, rng)
            .and_then(|s| drive_with_stats(s, t, &mut stats))
        {
            Ok(mut again) => read.session = again.session.take(),
            Err(e) => reopen_error = Some(e),
        }
        timings.push(Timing {
            step: "access control (restarted)".into(),
            milliseconds: ms(t_re.elapsed()),
            apdus: stats.apdus.saturating_sub(before),
        });
    }
    let (t_aa, aa_before) = (Instant::now(), stats.apdus);
    let aa = match reopen_error {
        Some(e) => Outcome::new(
            CheckStatus::NotPerformed,
            format!("access control failed when restarted after Chip Authentication: {e}"),
        ),
        None => active_authentication(
            &mut read,
            &mut Counted::new(t, &mut stats),
            opts,
            rng,
            events,
        ),
    };
    if aa.status != CheckStatus::NotPerformed {
        timings.push(Timing {
            step: "active authentication".into(),
            milliseconds: ms(t_aa.elapsed()),
            apdus: stats.apdus.saturating_sub(aa_before),
        });
    }
    timings.push(Timing {
        step: "chip total".into(),
        milliseconds: ms(started.elapsed()),
        apdus: stats.apdus,
    });
    let files = read
        .files
        .iter()
        .map(|f| {
            let (status, bytes, apdus) = match &f.outcome {
                FileOutcome::Read(r) => ("read", r.bytes.len(), r.stats.apdus),
                FileOutcome::NotFound => ("not_found", 0, 0),
                FileOutcome::AccessDenied => ("access_denied", 0, 0),
                FileOutcome::Skipped { .. } => ("skipped", 0, 0),
                #[allow(unreachable_patterns)]
                _ => ("other", 0, 0),
            };
            FileSummary {
                file: f.id.name().to_string(),
                status: status.to_string(),
                bytes: u64::try_from(bytes).unwrap_or(u64::MAX),
                apdus: u64::from(apdus),
            }
        })
        .collect();
    let access = match read.access {
        crate::chip::AccessProtocol::Plain => "plain",
        crate::chip::AccessProtocol::Bac => "bac",
        crate::chip::AccessProtocol::Pace(_) => "pace",
        #[allow(unreachable_patterns)]
        _ => "other",
    }
    .to_string();
    let info = ReadInfo {
        access_protocol: access,
        apdus: stats.apdus,
        bytes_sent: stats.bytes_sent,
        bytes_received: stats.bytes_received,
        files,
        timings,
    };
    Ok(ChipInspection {
        read,
        info,
        aa,
        ca,
        ta,
    })
}

/// Chip Authentication v1 (Doc 9303-11 §6.2, ECDH or DH) when EF.DG14 holds
/// ChipAuthenticationInfo. On success the read session continues under the new keys (AA then
/// runs under them); parameters unusable before any exchange leave the session as it was.
fn chip_authentication(
    read: &mut ChipRead,
    t: &mut dyn CardTransport,
    rng: &mut dyn CryptoRngCore,
    events: &mut dyn FnMut(ChipEvent),
    done: &mut Option<ca::ChipAuthenticated>,
) -> Outcome {
    let Some(dg14) = read.file(FileId::Dg14).map(<[u8]>::to_vec) else {
        return Outcome::new(
            CheckStatus::NotPerformed,
            "DG14 not read (EF.SOD does not list it, or the chip did not return it)",
        );
    };
    let infos = match SecurityInfos::parse_dg14(&dg14) {
        Ok(i) => i,
        Err(e) => return Outcome::new(CheckStatus::Failed, format!("DG14 unusable: {e}")),
    };
    if infos.chip_authentication_infos().next().is_none() {
        return Outcome::new(
            CheckStatus::NotPerformed,
            "DG14 offers no Chip Authentication",
        );
    }
    let params = match ca::select_key(&infos) {
        Ok(p) => p,
        // Unsupported key types are not a clone signal; report them honestly.
        Err(e @ ca::CaError::Unsupported { .. }) => {
            return Outcome::new(CheckStatus::NotPerformed, e.to_string())
        }
        // Only CA v2 offered: it needs Terminal Authentication first (TR-03110-1 §3.4).
        Err(ca::CaError::MissingChipAuthenticationInfo) => {
            return Outcome::new(
                CheckStatus::NotPerformed,
                "DG14 offers Chip Authentication version 2 only (needs Terminal Authentication)",
            )
        }
        Err(e) => return Outcome::new(CheckStatus::Failed, format!("chip authentication: {e}")),
    };
    let Some(session) = read.session.take() else {
        return Outcome::new(CheckStatus::NotPerformed, "no secure session");
    };
    events(ChipEvent::ChipAuthentication);
    let max_data = max_command_data(t);
    match ca::run_chained(t, session, params, rng, max_data) {
        Ok((new_session, token)) => {
            read.session = Some(new_session);
            let outcome = Outcome::new(
                CheckStatus::Passed,
                format!(
                    "{} key agreement with the chip's DG14 key, secure messaging ({:?}) restarted and confirmed",
                    token.group().describe(),
                    token.cipher()
                ),
            );
            *done = Some(token);
            outcome
        }
        // Unsupported key types are not a clone signal; report them honestly.
        Err(ca::CaFailure::Ca(e @ ca::CaError::Unsupported { .. })) => {
            Outcome::new(CheckStatus::NotPerformed, e.to_string())
        }
        Err(e) => Outcome::new(CheckStatus::Failed, e.to_string()),
    }
}

/// Terminal Authentication (BSI TR-03110-1 §3.5, EAC1 after Chip Authentication v1) when
/// EF.SOD lists DG3 or DG4 and the operator gave credentials; on success reads them under the
/// session (PA then hashes them like any other data group). A refusal is `failed` with the
/// reason and leaves DG3/DG4 unread; the session stays for Active Authentication when the
/// chip answered under intact secure messaging.
fn terminal_authentication(
    read: &mut ChipRead,
    t: &mut dyn CardTransport,
    opts: &ChipOptions,
    key: &AccessKey,
    ca_done: Option<&ca::ChipAuthenticated>,
) -> Outcome {
    let wanted = eac_files_wanted(read, opts);
    if wanted.is_empty() {
        return Outcome::new(
            CheckStatus::NotPerformed,
            "EF.SOD lists neither DG3 nor DG4 (or they were not asked for)",
        );
    }
    let Some(creds) = &opts.terminal else {
        return Outcome::new(
            CheckStatus::NotPerformed,
            "no terminal credentials: DG3/DG4 not read",
        );
    };
    let Some(ca_done) = ca_done else {
        return Outcome::new(
            CheckStatus::NotPerformed,
            "Chip Authentication did not pass; EAC1 Terminal Authentication follows it: DG3/DG4 not read",
        );
    };
    let Some(id_picc) = id_picc(read, key) else {
        return Outcome::new(
            CheckStatus::NotPerformed,
            "no ID_PICC for Terminal Authentication (no BAC key or PACE key): DG3/DG4 not read",
        );
    };
    let Some(session) = read.session.take() else {
        return Outcome::new(CheckStatus::NotPerformed, "no secure session");
    };
    let comp = ta::compress_public_key(ca_done.group(), ca_done.ephemeral_public_key());
    let max_data = max_command_data(t);
    let (trust_points, session) = read_trust_points(t, session, read.max_response_len);
    let Some(session) = session else {
        return Outcome::new(
            CheckStatus::Failed,
            "secure messaging broke while reading EF.CVCA: DG3/DG4 not read",
        );
    };
    let (session, result) = ta::run(t, session, creds, &trust_points, id_picc, comp, 1, max_data);
    read.session = session;
    let auth = match result {
        Ok(a) => a,
        Err(e) => {
            return Outcome::new(CheckStatus::Failed, format!("{e}; DG3/DG4 not read"));
        }
    };
    let notes = read_eac_files(read, t, wanted);
    Outcome::new(
        CheckStatus::Passed,
        format!(
            "terminal {} authenticated to the chip ({} certificates verified by the chip); {}",
            auth.chr,
            auth.certificates,
            notes.join(", ")
        ),
    )
}

/// ID_PICC (TR-03110-1 §3.5, TR-03110-3 §B.11.5): the document number after BAC,
/// Comp(the chip's ephemeral PACE key) after PACE.
fn id_picc(read: &ChipRead, key: &AccessKey) -> Option<Vec<u8>> {
    match (&read.access, key) {
        (crate::chip::AccessProtocol::Bac, AccessKey::Mrz { mrz_information }) => {
            ta::id_picc_from_mrz_information(mrz_information)
        }
        (crate::chip::AccessProtocol::Pace(p), _) => ta::id_picc_from_pace(
            read.pace_chip_ephemeral.as_deref()?,
            p.key_agreement != crate::lds::oid::KeyAgreement::Dh,
        ),
        _ => None,
    }
}

/// The chip's trust points from EF.CVCA (TR-03110-3 §A.6.2.2; the first CAR, which the read
/// covers through its TLV length), empty when the chip has none or refuses it. The session
/// comes back unless secure messaging broke.
fn read_trust_points(
    t: &mut dyn CardTransport,
    session: crate::chip::SecureSession,
    max_response_len: usize,
) -> (Vec<Vec<u8>>, Option<crate::chip::SecureSession>) {
    let opts = ReadOptions::secured(&session, max_response_len).with_max_file_size(64);
    let mut secured = Secured::new(session, ReadFile::by_sfi(FileId::Cvca.sfi(), opts));
    let cars = match drive(&mut secured, t) {
        Ok(f) => crate::lds::cvc::ef_cvca_cars(&f.bytes),
        Err(_) => Vec::new(),
    };
    let (session, _) = secured.into_parts();
    (cars, session.is_open().then_some(session))
}

/// The longest command data field sent in one piece: unlimited over extended length (the
/// reader path takes long responses), else what still fits a short protected APDU; longer
/// ones are chained.
fn max_command_data(t: &dyn CardTransport) -> usize {
    if t.max_response_len() > 256 {
        usize::MAX
    } else {
        crate::chip::chain::MAX_SECURED_SHORT_DATA
    }
}

/// Reads `wanted` (DG3/DG4) under the session after Terminal Authentication and records them
/// in `read.files`; returns one note per file.
fn read_eac_files(
    read: &mut ChipRead,
    t: &mut dyn CardTransport,
    wanted: Vec<FileId>,
) -> Vec<String> {
    let mut notes = Vec::new();
    for id in wanted {
        let Some(session) = read.session.take() else {
            notes.push(format!("{} not read: secure messaging lost", id.name()));
            continue;
        };
        let ropts = ReadOptions::secured(&session, read.max_response_len)
            .with_max_file_size(MAX_SIZE_BIOMETRIC);
        let mut secured = Secured::new(session, ReadFile::by_sfi(id.sfi(), ropts));
        let outcome = match drive(&mut secured, t) {
            Ok(f) => FileOutcome::Read(f),
            Err(ChipError::AccessDenied { .. }) => FileOutcome::AccessDenied,
            Err(ChipError::NotFound { .. }) => FileOutcome::NotFound,
            Err(e) => {
                notes.push(format!("{}: {e}", id.name()));
                FileOutcome::Skipped {
                    reason: "read failed after Terminal Authentication",
                }
            }
        };
        let (session, _) = secured.into_parts();
        read.session = session.is_open().then_some(session);
        let status = match &outcome {
            FileOutcome::Read(_) => "read",
            FileOutcome::AccessDenied => "access denied",
            FileOutcome::NotFound => "not found",
            _ => "not read",
        };
        notes.push(format!("{} {status}", id.name()));
        match read.files.iter_mut().find(|f| f.id == id) {
            Some(f) => f.outcome = outcome,
            None => read.files.push(SessionFile { id, outcome }),
        }
    }
    notes
}

/// DG3/DG4 if EF.SOD lists them and the caller asked for them.
fn eac_files_wanted(read: &ChipRead, opts: &ChipOptions) -> Vec<FileId> {
    [3u8, 4]
        .into_iter()
        .filter(|n| read.sod_data_groups.contains(n))
        .filter(|n| opts.data_groups.as_ref().is_none_or(|d| d.contains(n)))
        .filter_map(FileId::data_group)
        .collect()
}

/// EAC version 2 (TR-03110-2 §3.3; TR-03110-3 §B.3, §B.11) when DG14 (or, without one,
/// EF.CardSecurity) offers Chip Authentication version 2 only, after PACE and with terminal credentials: the ephemeral CA
/// key is drawn first, TA v2 commits to Comp(it) in MSE:Set AT and signs ID_PICC ‖ r_PICC ‖
/// Comp(it), then CA v2 (nonce and token) restarts secure messaging and DG3/DG4 are read.
/// `None` when it does not apply (the outcomes stay as they were). Returns (`ca`, `ta`).
fn eac_v2(
    read: &mut ChipRead,
    t: &mut dyn CardTransport,
    opts: &ChipOptions,
    key: &AccessKey,
    rng: &mut dyn CryptoRngCore,
    events: &mut dyn FnMut(ChipEvent),
) -> Option<(Outcome, Outcome)> {
    let creds = opts.terminal.as_ref()?;
    // The CA v2 key from DG14, else from EF.CardSecurity (PA-checked as pa.card_security).
    let from_dg14 = read
        .file(FileId::Dg14)
        .and_then(|b| SecurityInfos::parse_dg14(b).ok())
        .and_then(|i| ca::select_key_version(&i, 2).ok());
    let (params, source) = match from_dg14 {
        Some(p) => (p, "DG14"),
        None => {
            let cs = read.file(FileId::CardSecurity)?;
            let cs = crate::lds::card_security::CardSecurity::parse(cs).ok()?;
            let p = ca::select_key_version(&cs.security_infos, 2).ok()?;
            (p, "EF.CardSecurity (bound by pa.card_security)")
        }
    };
    if !matches!(read.access, crate::chip::AccessProtocol::Pace(_)) {
        return None;
    }
    let id_picc = id_picc(read, key)?;
    let session = read.session.take()?;
    events(ChipEvent::ChipAuthentication);
    let not_read = |why: String| Outcome::new(CheckStatus::NotPerformed, why);
    let chip_auth = match ca::ChipAuthentication::new(params, rng) {
        Ok(c) => c,
        Err(e) => {
            read.session = Some(session);
            return Some((
                Outcome::new(CheckStatus::Failed, format!("chip authentication v2: {e}")),
                not_read("Chip Authentication v2 could not start: DG3/DG4 not read".into()),
            ));
        }
    };
    let group = chip_auth.params().group;
    let comp = ta::compress_public_key(group, chip_auth.ephemeral_public_key());
    let (trust_points, session) = read_trust_points(t, session, read.max_response_len);
    let Some(session) = session else {
        return Some((
            not_read("secure messaging broke while reading EF.CVCA".into()),
            Outcome::new(
                CheckStatus::Failed,
                "secure messaging broke while reading EF.CVCA: DG3/DG4 not read",
            ),
        ));
    };
    let max_data = max_command_data(t);
    let (session, ta_result) =
        ta::run(t, session, creds, &trust_points, id_picc, comp, 2, max_data);
    let auth = match ta_result {
        Ok(a) => a,
        Err(e) => {
            read.session = session;
            return Some((
                not_read(
                    "Chip Authentication v2 follows Terminal Authentication, which failed".into(),
                ),
                Outcome::new(
                    CheckStatus::Failed,
                    format!("{e} (TA v2); DG3/DG4 not read"),
                ),
            ));
        }
    };
    let Some(session) = session else {
        return Some((
            Outcome::new(
                CheckStatus::Failed,
                "chip authentication v2: secure messaging lost after Terminal Authentication",
            ),
            not_read("secure messaging lost after TA v2: DG3/DG4 not read".into()),
        ));
    };
    let agreed = drive(Secured::new(session, Chained::new(chip_auth, max_data)), t)
        .and_then(|agreed| drive(ca::CaConfirm::new(agreed), t));
    let (new_session, token) = match agreed {
        Ok(x) => x,
        Err(e) => {
            return Some((
                Outcome::new(CheckStatus::Failed, format!("chip authentication v2: {e}")),
                Outcome::new(
                    CheckStatus::Passed,
                    format!(
                        "terminal {} authenticated (TA v2), but Chip Authentication v2 failed: DG3/DG4 not read",
                        auth.chr
                    ),
                ),
            ))
        }
    };
    read.session = Some(new_session);
    let ca_outcome = Outcome::new(
        CheckStatus::Passed,
        format!(
            "Chip Authentication v2: {} key agreement with the chip's key from {source}, token T_PICC verified, secure messaging ({:?}) restarted and confirmed",
            token.group().describe(),
            token.cipher()
        ),
    );
    let notes = read_eac_files(read, t, eac_files_wanted(read, opts));
    Some((
        ca_outcome,
        Outcome::new(
            CheckStatus::Passed,
            format!(
                "terminal {} authenticated to the chip (TA v2, {} certificates verified by the chip); {}",
                auth.chr,
                auth.certificates,
                notes.join(", ")
            ),
        ),
    ))
}

/// Active Authentication (Doc 9303-11 §6.1), run whenever DG15 was read; whether a DG15 is
/// required is decided by EF.SOD (it was read because EF.SOD lists it).
fn active_authentication(
    read: &mut ChipRead,
    t: &mut dyn CardTransport,
    opts: &ChipOptions,
    rng: &mut dyn CryptoRngCore,
    events: &mut dyn FnMut(ChipEvent),
) -> Outcome {
    let Some(dg15_bytes) = read.file(FileId::Dg15).map(<[u8]>::to_vec) else {
        return Outcome::new(
            CheckStatus::NotPerformed,
            "DG15 not read (EF.SOD does not list it, or the chip did not return it)",
        );
    };
    let dg15 = match Dg15::parse(&dg15_bytes) {
        Ok(d) => d,
        Err(e) => return Outcome::new(CheckStatus::Failed, format!("DG15 unusable: {e}")),
    };
    let Some(session) = read.session.take() else {
        return Outcome::new(CheckStatus::NotPerformed, "no secure session");
    };
    let dg14 = read.file(FileId::Dg14).map(<[u8]>::to_vec);
    let infos = dg14
        .as_deref()
        .and_then(|b| SecurityInfos::parse_dg14(b).ok());
    let info = infos.as_ref().and_then(aa::find_aa_info);
    let Some(len) = aa::expected_signature_len(&dg15.public_key) else {
        read.session = Some(session);
        return Outcome::new(CheckStatus::Failed, "DG15 key type not supported");
    };
    events(ChipEvent::ActiveAuthentication);
    let protocol = match opts.aa_challenge {
        Some(c) => ActiveAuthentication::with_challenge(c),
        None => ActiveAuthentication::new(rng),
    }
    .for_signature_len(len, t.max_response_len() > 256);
    let challenge = protocol.challenge();
    let mut secured = Secured::new(session, protocol);
    let outcome = match drive(&mut secured, t) {
        Ok(rsp) => verify_aa(&dg15, info, &challenge, &rsp.signature, &opts.aa_policy),
        Err(e) => Outcome::new(CheckStatus::Failed, e.to_string()),
    };
    read.session = Some(secured.into_parts().0);
    outcome
}

/// Checks an Active Authentication signature against DG15 (also used for AA done elsewhere
/// and handed in with the files).
pub fn verify_aa(
    dg15: &Dg15<'_>,
    info: Option<&crate::lds::security_infos::ActiveAuthenticationInfo<'_>>,
    challenge: &[u8; 8],
    signature: &[u8],
    policy: &AaPolicy,
) -> Outcome {
    match aa::verify_dg15(dg15, info, challenge, signature, policy) {
        Ok(v) => Outcome::new(
            CheckStatus::Passed,
            format!(
                "{} signature over the challenge verified with the DG15 key",
                v.algorithm()
            ),
        ),
        Err(e) => Outcome::new(CheckStatus::Failed, e.to_string()),
    }
}
