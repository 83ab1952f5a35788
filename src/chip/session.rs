//! The read session (Doc 9303-11 §4 and Doc 9303-10 §3; inspection order after Doc 9303-11
//! Appendix J): EF.CardAccess → SELECT eMRTD application → access control → EF.COM → EF.SOD →
//! the data groups that **EF.SOD** lists. EF.COM is read and kept, but never decides which data
//! groups exist: it is not protected by Passive Authentication (TR-03105 discussion,
//! pitfalls #2).
//!
//! [`ReadSession::access_only`] runs access control again without reading (SELECT MF, then
//! EF.CardAccess, PACE or BAC, the application): after a failed Chip Authentication the chip
//! has dropped secure messaging and the terminal must restart access control (Doc 9303-11
//! §6.2) before Active Authentication.
//!
//! Still sans-IO: [`ReadSession`] is a [`ChipProtocol`] that runs the smaller protocols in turn.
//! Observers (progress bars, gRPC progress streams, timing) use [`ReadSession::progress`]
//! between exchanges via [`drive_observed`](super::drive_observed).

use rand_core::{CryptoRngCore, SeedableRng};

use super::pace::{
    CamPending, CamVerified, Pace, PaceError, PaceParams, PacePassword, PaceSummary,
};
use super::{
    Bac, BacKey, ChipError, ChipProtocol, FileRead, ReadFile, ReadOptions, SecureSession, Secured,
    SelectApplication, Step, MAX_SIZE_BIOMETRIC, MAX_SIZE_DEFAULT,
};
use crate::apdu::ResponseApdu;
use crate::lds::atr_info::AtrInfo;
use crate::lds::card_security::CardSecurity;
use crate::lds::security_infos::{SecurityInfo, SecurityInfos};
use crate::lds::sod::Sod;
use crate::lds::FileId;

/// The key that opens the chip.
#[non_exhaustive]
#[derive(Clone, PartialEq, Eq)]
pub enum AccessKey {
    /// The MRZ information (document number, birth and expiry dates with check digits).
    Mrz {
        /// Doc 9303-11 §9.7.2 key seed input.
        mrz_information: String,
    },
    /// A card access number (PACE only).
    Can(String),
    /// An eID PIN (PACE only).
    Pin(String),
    /// An eID PUK (PACE only; Doc 9303-11 §9.7.3, BSI TR-03110-2 §3.2: password reference 4).
    Puk(String),
}

impl AccessKey {
    /// The PACE password for this key.
    pub fn pace_password(&self) -> PacePassword {
        match self {
            AccessKey::Mrz { mrz_information } => PacePassword::Mrz(mrz_information.clone()),
            AccessKey::Can(c) => PacePassword::Can(c.clone()),
            AccessKey::Pin(p) => PacePassword::Pin(p.clone()),
            AccessKey::Puk(p) => PacePassword::Puk(p.clone()),
        }
    }
}

impl std::fmt::Debug for AccessKey {
    // Never print the key material: it is personal data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccessKey::Mrz { .. } => f.write_str("AccessKey::Mrz(..)"),
            AccessKey::Can(_) => f.write_str("AccessKey::Can(..)"),
            AccessKey::Pin(_) => f.write_str("AccessKey::Pin(..)"),
            AccessKey::Puk(_) => f.write_str("AccessKey::Puk(..)"),
        }
    }
}

/// The access-control protocol a session used.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessProtocol {
    /// No access control (plain reads).
    Plain,
    /// Basic Access Control (Doc 9303-11 §4.3).
    Bac,
    /// PACE (Doc 9303-11 §4.4).
    Pace(PaceSummary),
}

/// Options of a [`ReadSession`].
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Largest response data field of the reader path (256 short; more with extended length).
    pub max_response_len: usize,
    /// Data groups to read among those EF.SOD lists; `None` reads all readable ones.
    pub data_groups: Option<Vec<u8>>,
    /// Read DG3/DG4 (they need Extended Access Control, which this session does not run, so by
    /// default they are skipped and reported as such).
    pub read_eac_protected: bool,
    /// Allow a chip without access control (plain reads after a failed GET CHALLENGE).
    pub allow_plain: bool,
    /// Use BAC when EF.CardAccess offers no usable PACE or the chip refuses MSE:Set AT
    /// (only with an MRZ key; a failed PACE run never falls back).
    pub allow_bac_fallback: bool,
    /// After PACE, read EF.CardSecurity even without PACE-CAM: it holds the Chip
    /// Authentication v2 keys of chips without DG14 (TR-03110-3 §A.1.2.5).
    pub read_card_security: bool,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            max_response_len: 256,
            data_groups: None,
            read_eac_protected: false,
            allow_plain: false,
            allow_bac_fallback: true,
            read_card_security: false,
        }
    }
}

/// What happened to one file.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// Read completely.
    Read(FileRead),
    /// The chip does not have it (`6A82`).
    NotFound,
    /// The chip refused it (`6982`: needs EAC).
    AccessDenied,
    /// Not attempted.
    Skipped {
        /// Why.
        reason: &'static str,
    },
}

/// One file of the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFile {
    /// Which file.
    pub id: FileId,
    /// The outcome.
    pub outcome: FileOutcome,
}

impl SessionFile {
    /// The bytes, when read.
    pub fn bytes(&self) -> Option<&[u8]> {
        match &self.outcome {
            FileOutcome::Read(r) => Some(&r.bytes),
            _ => None,
        }
    }
}

/// The result of a read session: the raw bytes of every file read (Passive Authentication
/// hashes these), what was not read and why, and the protocol used.
#[derive(Debug)]
pub struct ChipRead {
    /// Access control used.
    pub access: AccessProtocol,
    /// Every file attempted, in reading order.
    pub files: Vec<SessionFile>,
    /// The secure session, still open, for Active/Chip Authentication that follow.
    pub session: Option<SecureSession>,
    /// Data-group numbers EF.SOD lists (empty if EF.SOD could not be read or parsed).
    pub sod_data_groups: Vec<u8>,
    /// Why EF.SOD could not be parsed, if it could not.
    pub sod_error: Option<String>,
    /// EF.CardAccess offers PACE.
    pub pace_offered: bool,
    /// Why PACE was not used although EF.CardAccess was read (unusable EF.CardAccess,
    /// unsupported parameters, MSE:Set AT refused), when BAC was used instead.
    pub pace_skipped: Option<PaceError>,
    /// PACE-CAM: the check of the chip's authentication data against the static key in
    /// EF.CardSecurity (read in this session). It counts as chip authentication only when
    /// EF.CardSecurity passes Passive Authentication; [`CamVerified::static_public_key`] is
    /// the key to bind to it.
    pub cam: Option<Result<CamVerified, PaceError>>,
    /// The largest response data field used for reading (after EF.ATR/INFO).
    pub max_response_len: usize,
    /// PACE: the chip's ephemeral public key (encoded as exchanged); its compressed form is
    /// ID_PICC for Terminal Authentication (TR-03110-3 §B.11.5).
    pub pace_chip_ephemeral: Option<Vec<u8>>,
}

impl ChipRead {
    /// The bytes of `id`, when read.
    pub fn file(&self, id: FileId) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|f| f.id == id)
            .and_then(|f| f.bytes())
    }
}

/// The step a session is in (for progress reporting and per-step timing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Reading EF.ATR/INFO (extended-length support).
    AtrInfo,
    /// Reading EF.CardAccess.
    CardAccess,
    /// Selecting the eMRTD application.
    SelectApplication,
    /// Basic Access Control.
    Bac,
    /// PACE (including the EF.CardSecurity read of PACE-CAM).
    Pace,
    /// Reading a file.
    ReadFile(FileId),
    /// Finished.
    Done,
}

/// Progress between two exchanges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The current phase.
    pub phase: Phase,
    /// Bytes of the current file read so far.
    pub file_bytes: usize,
    /// Declared length of the current file, once known.
    pub file_total: Option<usize>,
}

/// A data-group read, in secure messaging or (on a chip without access control) plain.
enum FileReader {
    Plain(ReadFile),
    Secure(Secured<ReadFile>),
}

impl FileReader {
    fn read_file(&self) -> &ReadFile {
        match self {
            FileReader::Plain(r) => r,
            FileReader::Secure(s) => s.inner(),
        }
    }

    /// Whether the session can go on after a survivable error: a plain read always can; a
    /// secured one only while SM is intact (the error came through a verified response).
    fn can_continue(&self) -> bool {
        match self {
            FileReader::Plain(_) => true,
            FileReader::Secure(s) => s.session().is_open(),
        }
    }

    fn into_session(self) -> Option<SecureSession> {
        match self {
            FileReader::Plain(_) => None,
            FileReader::Secure(s) => Some(s.into_parts().0),
        }
    }
}

impl ChipProtocol for FileReader {
    type Output = FileRead;
    fn resume(&mut self, response: Option<ResponseApdu>) -> Result<Step<FileRead>, ChipError> {
        match self {
            FileReader::Plain(r) => r.resume(response),
            FileReader::Secure(s) => s.resume(response),
        }
    }
}

enum State {
    Start,
    /// Access-only sessions: SELECT MF first (the chip may still be in the application).
    SelectMf,
    /// An optional master-file EF read before access control (EF.ATR/INFO, EF.CardAccess).
    Mf {
        id: FileId,
        read: ReadFile,
    },
    SelectApp(SelectApplication),
    Bac(Bac),
    Pace(Box<Pace>),
    /// PACE-CAM: EF.CardSecurity (master file) under the new SM, for the static key.
    CardSecurity {
        read: Secured<ReadFile>,
        /// PACE-CAM's pending check; `None` when read for other protocols.
        cam: Option<CamPending>,
    },
    SecureSelectApp(Secured<SelectApplication>),
    File {
        id: FileId,
        read: FileReader,
        queue: Vec<FileId>,
    },
    Done,
    Failed,
}

/// The read session (see the module documentation).
pub struct ReadSession {
    opts: SessionOptions,
    state: State,
    bac: Option<Bac>,
    access: AccessProtocol,
    files: Vec<SessionFile>,
    sod_data_groups: Vec<u8>,
    sod_error: Option<String>,
    session_out: Option<SecureSession>,
    /// Block size a chip forced on an earlier file; later files start there instead of
    /// stepping down again (each step-down costs an APDU per file).
    learned_le: Option<usize>,
    pace_offered: bool,
    key: AccessKey,
    /// Seed for the PACE secrets, drawn at construction (the protocol is chosen later).
    pace_seed: [u8; 32],
    pace_skipped: Option<PaceError>,
    cam: Option<Result<CamVerified, PaceError>>,
    pace_chip_ephemeral: Option<Vec<u8>>,
    /// Stop after access control and SELECT of the application (no files).
    access_only: bool,
}

impl std::fmt::Debug for ReadSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadSession")
            .field("phase", &self.phase())
            .finish_non_exhaustive()
    }
}

const FIXED_HEAD: [FileId; 2] = [FileId::Com, FileId::Sod];

impl ReadSession {
    /// A session that opens the chip with `key`. Randomness for access control is drawn now.
    pub fn new(
        key: &AccessKey,
        opts: SessionOptions,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Self, ChipError> {
        let bac = match key {
            AccessKey::Mrz { mrz_information } => Some(Bac::new(
                &BacKey::from_mrz_information(mrz_information),
                rng,
            )),
            // A CAN, PIN or PUK opens PACE only.
            AccessKey::Can(_) | AccessKey::Pin(_) | AccessKey::Puk(_) => None,
        };
        let mut pace_seed = [0u8; 32];
        rng.fill_bytes(&mut pace_seed);
        Ok(ReadSession {
            opts,
            state: State::Start,
            bac,
            access: AccessProtocol::Plain,
            files: Vec::new(),
            sod_data_groups: Vec::new(),
            sod_error: None,
            session_out: None,
            learned_le: None,
            pace_offered: false,
            key: key.clone(),
            pace_seed,
            pace_skipped: None,
            cam: None,
            pace_chip_ephemeral: None,
            access_only: false,
        })
    }

    /// A session that only re-establishes access control (see the module documentation); its
    /// [`ChipRead`] holds the new secure session (and EF.CardAccess/EF.CardSecurity as read
    /// on the way) but no application files. EF.ATR/INFO is not read again: pass the
    /// `max_response_len` the first session found.
    pub fn access_only(
        key: &AccessKey,
        opts: SessionOptions,
        rng: &mut dyn CryptoRngCore,
    ) -> Result<Self, ChipError> {
        let mut s = Self::new(key, opts, rng)?;
        s.access_only = true;
        Ok(s)
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        match &self.state {
            State::Start => Phase::AtrInfo,
            State::SelectMf => Phase::SelectApplication,
            State::Mf { id, .. } if *id == FileId::AtrInfo => Phase::AtrInfo,
            State::Mf { .. } => Phase::CardAccess,
            State::SelectApp(_) => Phase::SelectApplication,
            State::Bac(_) => Phase::Bac,
            State::Pace(_) | State::CardSecurity { .. } => Phase::Pace,
            State::SecureSelectApp(_) => Phase::SelectApplication,
            State::File { id, .. } => Phase::ReadFile(*id),
            State::Done | State::Failed => Phase::Done,
        }
    }

    /// Progress for observers.
    pub fn progress(&self) -> Progress {
        let (file_bytes, file_total) = match &self.state {
            State::File { read, .. } => {
                let r = read.read_file();
                (r.bytes_read(), r.declared_len())
            }
            State::Mf { read, .. } => (read.bytes_read(), read.declared_len()),
            State::CardSecurity { read, .. } => {
                (read.inner().bytes_read(), read.inner().declared_len())
            }
            _ => (0, None),
        };
        Progress {
            phase: self.phase(),
            file_bytes,
            file_total,
        }
    }

    fn read_options(&self, id: FileId, session: Option<&SecureSession>) -> ReadOptions {
        let base = match session {
            Some(s) => ReadOptions::secured(s, self.opts.max_response_len),
            None => ReadOptions::plain(self.opts.max_response_len),
        };
        let cap = match id {
            FileId::Dg2 | FileId::Dg3 | FileId::Dg4 => MAX_SIZE_BIOMETRIC,
            _ => MAX_SIZE_DEFAULT,
        };
        let mut opts = base.with_max_file_size(cap);
        if let Some(l) = self.learned_le {
            opts.max_le = opts.max_le.min(l);
        }
        opts
    }

    /// Starts the next file in `queue`, or finishes.
    fn next_file(
        &mut self,
        mut queue: Vec<FileId>,
        session: Option<SecureSession>,
    ) -> Result<Step<ChipRead>, ChipError> {
        loop {
            if queue.is_empty() {
                return self.finish(session);
            }
            let id = queue.remove(0);
            if matches!(id, FileId::Dg3 | FileId::Dg4) && !self.opts.read_eac_protected {
                self.files.push(SessionFile {
                    id,
                    outcome: FileOutcome::Skipped {
                        reason: "needs Extended Access Control",
                    },
                });
                continue;
            }
            let sfi = id.sfi();
            let opts = self.read_options(id, session.as_ref());
            let plain = ReadFile::by_sfi(sfi, opts);
            let mut read = match session {
                Some(s) => FileReader::Secure(Secured::new(s, plain)),
                None => FileReader::Plain(plain),
            };
            let step = read.resume(None)?;
            self.state = State::File { id, read, queue };
            return first(step);
        }
    }

    /// Access control done: read EF.COM, EF.SOD and the rest, or stop (access-only).
    fn after_access(
        &mut self,
        session: Option<SecureSession>,
    ) -> Result<Step<ChipRead>, ChipError> {
        if self.access_only {
            return self.finish(session);
        }
        self.next_file(FIXED_HEAD.to_vec(), session)
    }

    fn finish(&mut self, session: Option<SecureSession>) -> Result<Step<ChipRead>, ChipError> {
        self.state = State::Done;
        self.session_out = session;
        Ok(Step::Done(ChipRead {
            access: self.access,
            files: std::mem::take(&mut self.files),
            session: self.session_out.take(),
            sod_data_groups: std::mem::take(&mut self.sod_data_groups),
            sod_error: self.sod_error.take(),
            pace_offered: self.pace_offered,
            pace_skipped: self.pace_skipped.take(),
            cam: self.cam.take(),
            max_response_len: self.opts.max_response_len,
            pace_chip_ephemeral: self.pace_chip_ephemeral.take(),
        }))
    }

    /// EF.ATR/INFO caps the reader path; EF.CardAccess tells whether PACE is offered. Then the
    /// next step: EF.CardAccess after EF.ATR/INFO, the application after EF.CardAccess.
    fn mf_file_done(
        &mut self,
        id: FileId,
        outcome: FileOutcome,
    ) -> Result<Step<ChipRead>, ChipError> {
        self.learn_block(&outcome);
        let mut pace = None;
        if let FileOutcome::Read(f) = &outcome {
            if id == FileId::AtrInfo {
                // A declaration caps what the reader path allows; without one the transport's
                // own view (e.g. from the ATR historical bytes) stands.
                if let Some(max) = AtrInfo::parse(&f.bytes)
                    .ok()
                    .and_then(|i| i.max_response_len)
                {
                    let data = usize::try_from(max.saturating_sub(2)).unwrap_or(usize::MAX);
                    self.opts.max_response_len = self.opts.max_response_len.min(data.max(256));
                }
            } else {
                match SecurityInfos::parse_card_access(&f.bytes) {
                    Ok(s) => {
                        self.pace_offered =
                            s.infos.iter().any(|i| matches!(i, SecurityInfo::Pace(_)));
                        if self.pace_offered {
                            match PaceParams::select(&s) {
                                Ok(p) => pace = Some(p),
                                Err(e) => self.pace_skipped = Some(e),
                            }
                        }
                    }
                    // A broken EF.CardAccess cannot be trusted to choose PACE parameters.
                    Err(_) => {
                        self.pace_skipped = Some(PaceError::Unsupported {
                            reason: "EF.CardAccess is not a valid SecurityInfos SET",
                        })
                    }
                }
            }
        }
        self.files.push(SessionFile { id, outcome });
        if id == FileId::AtrInfo {
            return self.start_card_access();
        }
        if let Some(params) = pace {
            let mut rng = rand_chacha::ChaCha20Rng::from_seed(self.pace_seed);
            let mut p = Box::new(Pace::new(params, &self.key.pace_password(), &mut rng));
            let step = p.resume(None)?;
            self.state = State::Pace(p);
            return first(step);
        }
        self.select_for_bac()
    }

    /// The application is selected plain and BAC follows (no usable PACE).
    fn select_for_bac(&mut self) -> Result<Step<ChipRead>, ChipError> {
        if self.bac.is_none() || !self.opts.allow_bac_fallback {
            return Err(match self.pace_skipped.take() {
                Some(e) => ChipError::Pace(e),
                None => ChipError::Pace(PaceError::NotOffered),
            });
        }
        let mut sel = SelectApplication::emrtd();
        let step = sel.resume(None)?;
        self.state = State::SelectApp(sel);
        first(step)
    }

    /// PACE finished: CAM reads EF.CardSecurity first, then the application is selected under
    /// the new secure messaging.
    fn pace_done(&mut self, est: super::PaceEstablished) -> Result<Step<ChipRead>, ChipError> {
        self.access = AccessProtocol::Pace(est.summary);
        self.pace_chip_ephemeral = Some(est.chip_ephemeral_public_key);
        let session = est.session;
        if est.cam.is_some() || self.opts.read_card_security {
            let cam = est.cam;
            // EF.CardSecurity (SFI 1D of the master file) carries the static key.
            let opts = self
                .read_options(FileId::CardSecurity, Some(&session))
                .with_max_file_size(MAX_SIZE_DEFAULT);
            let mut read = Secured::new(session, ReadFile::by_sfi(0x1D, opts));
            let step = read.resume(None)?;
            self.state = State::CardSecurity { read, cam };
            return first(step);
        }
        self.secure_select(session)
    }

    fn secure_select(&mut self, session: SecureSession) -> Result<Step<ChipRead>, ChipError> {
        let mut sel = Secured::new(session, SelectApplication::emrtd());
        let step = sel.resume(None)?;
        self.state = State::SecureSelectApp(sel);
        first(step)
    }

    fn start_card_access(&mut self) -> Result<Step<ChipRead>, ChipError> {
        // EF.CardAccess (SFI 1C) announces PACE; absent on BAC-only chips.
        let mut read = ReadFile::by_sfi(0x1C, ReadOptions::plain(self.opts.max_response_len));
        let step = read.resume(None)?;
        self.state = State::Mf {
            id: FileId::CardAccess,
            read,
        };
        first(step)
    }

    fn learn_block(&mut self, outcome: &FileOutcome) {
        if let FileOutcome::Read(r) = outcome {
            if r.stats.step_downs > 0 {
                let b = r.stats.block_size;
                self.learned_le = Some(self.learned_le.map_or(b, |l| l.min(b)));
            }
        }
    }

    /// Records a finished (or failed-but-survivable) file and decides what follows it.
    fn file_done(&mut self, id: FileId, outcome: FileOutcome, queue: &mut Vec<FileId>) {
        self.learn_block(&outcome);
        if id == FileId::Sod {
            match &outcome {
                FileOutcome::Read(r) => match Sod::parse(&r.bytes) {
                    Ok(sod) => {
                        let dgs = sod.lds_security_object.data_groups();
                        self.sod_data_groups = dgs.iter().filter_map(|d| d.dg_number()).collect();
                        let wanted = self.opts.data_groups.as_ref();
                        queue.extend(dgs.into_iter().filter(|d| {
                            wanted.is_none_or(|w| d.dg_number().is_some_and(|n| w.contains(&n)))
                        }));
                    }
                    Err(e) => {
                        self.sod_error = Some(e.to_string());
                        // Without a usable EF.SOD nothing says which DGs exist; DG1 is still
                        // read so the officer can compare it with the printed MRZ.
                        queue.push(FileId::Dg1);
                    }
                },
                _ => {
                    self.sod_error = Some("EF.SOD not readable".to_string());
                    queue.push(FileId::Dg1);
                }
            }
        }
        self.files.push(SessionFile { id, outcome });
    }
}

/// The first step of a sub-protocol is always a command; passes it on.
fn first<T>(step: Step<T>) -> Result<Step<ChipRead>, ChipError> {
    match step {
        Step::Transmit(c) => Ok(Step::Transmit(c)),
        Step::Done(_) => Err(ChipError::Protocol {
            step: "read session",
            detail: "sub-protocol finished before sending a command",
        }),
    }
}

/// Errors after which a session can go on with the next file (the chip answered cleanly, in
/// secure messaging where it is active). Everything else ends the session.
fn survivable(e: &ChipError) -> Option<FileOutcome> {
    match e {
        ChipError::NotFound { .. } => Some(FileOutcome::NotFound),
        ChipError::AccessDenied { .. } => Some(FileOutcome::AccessDenied),
        _ => None,
    }
}

impl ChipProtocol for ReadSession {
    type Output = ChipRead;

    fn resume(&mut self, response: Option<ResponseApdu>) -> Result<Step<ChipRead>, ChipError> {
        let state = std::mem::replace(&mut self.state, State::Failed);
        match (state, response) {
            (State::Start, None) if self.access_only => {
                // `00 A4 00 0C`: SELECT MF, no response data (ISO/IEC 7816-4 §11.2.2).
                self.state = State::SelectMf;
                Ok(Step::Transmit(crate::apdu::CommandApdu::new(
                    0x00, 0xA4, 0x00, 0x0C,
                )))
            }
            // Whatever the chip answers (some refuse SELECT MF), EF.CardAccess comes next.
            (State::SelectMf, Some(_)) => self.start_card_access(),
            (State::Start, None) => {
                if self.opts.max_response_len > 256 {
                    // EF.ATR/INFO (SFI 01 of the master file) says whether the chip takes
                    // extended length (Doc 9303-10 §3.11.1).
                    let mut read = ReadFile::by_sfi(0x01, ReadOptions::plain(256));
                    let step = read.resume(None)?;
                    self.state = State::Mf {
                        id: FileId::AtrInfo,
                        read,
                    };
                    return first(step);
                }
                self.start_card_access()
            }
            (State::Mf { id, mut read }, Some(r)) => {
                let outcome = match read.resume(Some(r)) {
                    Ok(Step::Transmit(c)) => {
                        self.state = State::Mf { id, read };
                        return Ok(Step::Transmit(c));
                    }
                    Ok(Step::Done(f)) => FileOutcome::Read(f),
                    Err(ChipError::AccessDenied { .. }) => FileOutcome::AccessDenied,
                    // Chips answer 6A82 or other errors for an SFI they lack: the file is absent.
                    Err(ChipError::NotFound { .. }) | Err(ChipError::Status { .. }) => {
                        FileOutcome::NotFound
                    }
                    Err(e) => return Err(e),
                };
                self.mf_file_done(id, outcome)
            }
            (State::SelectApp(mut sel), Some(r)) => match sel.resume(Some(r))? {
                Step::Transmit(c) => {
                    self.state = State::SelectApp(sel);
                    Ok(Step::Transmit(c))
                }
                Step::Done(()) => {
                    let mut bac = self.bac.take().ok_or(ChipError::Finished)?;
                    let step = bac.resume(None)?;
                    self.state = State::Bac(bac);
                    first(step)
                }
            },
            (State::Pace(mut pace), Some(r)) => match pace.resume(Some(r)) {
                Ok(Step::Transmit(c)) => {
                    self.state = State::Pace(pace);
                    Ok(Step::Transmit(c))
                }
                Ok(Step::Done(est)) => self.pace_done(est),
                // A chip that announces PACE but refuses MSE:Set AT: BAC, if the key allows.
                Err(ChipError::Pace(e @ PaceError::MseRefused { .. })) if self.bac.is_some() => {
                    self.pace_skipped = Some(e);
                    self.select_for_bac()
                }
                Err(e) => Err(e),
            },
            (State::CardSecurity { mut read, cam }, Some(r)) => {
                let (outcome, verdict) = match read.resume(Some(r)) {
                    Ok(Step::Transmit(c)) => {
                        self.state = State::CardSecurity { read, cam };
                        return Ok(Step::Transmit(c));
                    }
                    Ok(Step::Done(f)) => {
                        let v = cam.map(|cam| match CardSecurity::parse(&f.bytes) {
                            Ok(cs) => cam.verify_with_infos(&cs.security_infos),
                            Err(_) => Err(PaceError::CamNoStaticKey),
                        });
                        (FileOutcome::Read(f), v)
                    }
                    Err(e) => match survivable(&e) {
                        Some(o) if read.session().is_open() => {
                            (o, cam.map(|_| Err(PaceError::CamNoStaticKey)))
                        }
                        // Not asked for by CAM: any clean refusal means "not there".
                        None if cam.is_none()
                            && read.session().is_open()
                            && matches!(e, ChipError::Status { .. }) =>
                        {
                            (FileOutcome::NotFound, None)
                        }
                        _ => return Err(e),
                    },
                };
                if verdict.is_some() {
                    self.cam = verdict;
                }
                self.files.push(SessionFile {
                    id: FileId::CardSecurity,
                    outcome,
                });
                let (session, _) = read.into_parts();
                self.secure_select(session)
            }
            (State::SecureSelectApp(mut sel), Some(r)) => match sel.resume(Some(r))? {
                Step::Transmit(c) => {
                    self.state = State::SecureSelectApp(sel);
                    Ok(Step::Transmit(c))
                }
                Step::Done(()) => {
                    let (session, _) = sel.into_parts();
                    self.after_access(Some(session))
                }
            },
            (State::Bac(mut bac), Some(r)) => match bac.resume(Some(r)) {
                Ok(Step::Transmit(c)) => {
                    self.state = State::Bac(bac);
                    Ok(Step::Transmit(c))
                }
                Ok(Step::Done(session)) => {
                    self.access = AccessProtocol::Bac;
                    self.after_access(Some(session))
                }
                // A chip without BAC answers GET CHALLENGE with "instruction not supported".
                Err(ChipError::Status { sw, .. })
                    if self.opts.allow_plain && matches!(sw.0, 0x6D00 | 0x6E00) =>
                {
                    self.access = AccessProtocol::Plain;
                    self.after_access(None)
                }
                Err(e) => Err(e),
            },
            (
                State::File {
                    id,
                    mut read,
                    mut queue,
                },
                Some(r),
            ) => match read.resume(Some(r)) {
                Ok(Step::Transmit(c)) => {
                    self.state = State::File { id, read, queue };
                    Ok(Step::Transmit(c))
                }
                Ok(Step::Done(f)) => {
                    self.file_done(id, FileOutcome::Read(f), &mut queue);
                    self.next_file(queue, read.into_session())
                }
                Err(e) => match survivable(&e) {
                    Some(outcome) if read.can_continue() => {
                        self.file_done(id, outcome, &mut queue);
                        self.next_file(queue, read.into_session())
                    }
                    _ => Err(e),
                },
            },
            (State::Done, _) => Err(ChipError::Finished),
            _ => Err(ChipError::Protocol {
                step: "read session",
                detail: "response does not fit the session state",
            }),
        }
    }
}
