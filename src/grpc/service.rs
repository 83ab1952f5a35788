//! `InspectionService` and `AdminService` (proto/inspectd/v1/service.proto). Every call goes
//! through [`State::call`]: caller identity and role, rate and concurrency limits, metrics,
//! the audit record. The verification itself is the library's (`inspection::assess`).

use std::io::Read;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use super::audit::{AuditLog, AuditRecord};
use super::auth::{caller_from_certs, Caller, ClientAuth, Limiter, Role};
use super::config::Config;
use super::convert;
use super::error::ServiceError;
use super::metrics::Metrics;
use super::pb;
use super::readers::Readers;
use crate::chip::AccessKey;
use crate::inspection::{
    self, assess, AssessPolicy, Cancellable, ChipEvent, ChipOptions, Context, Evidence,
    InspectionReport, Outcome, Printed,
};
use crate::lds::dg15::Dg15;
use crate::lds::security_infos::SecurityInfos;
use crate::lds::{FileId, RawFile};
use crate::mrz::Mrz;
use crate::pa::CheckStatus;
use crate::trust::TrustSnapshot;
use crate::trust::TrustStore;
use crate::watchlist::pg::PgStore;
use crate::watchlist::store::Store;
use crate::watchlist::{DocumentStatusSource, LookupResult, Query};

/// The wall clock in Unix seconds (the service's one clock; the library takes time as input).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The watchlist the service answers from.
pub enum Watchlist {
    /// The embedded on-disk store.
    Embedded {
        /// Its directory.
        dir: std::path::PathBuf,
        /// The live snapshot; none until the first import into an empty directory.
        store: Option<Arc<Store>>,
    },
    /// A PostgreSQL database shared by several servers.
    Postgres {
        /// The store (a small connection pool).
        store: Arc<PgStore>,
    },
}

/// A configured embedded store that holds no list yet: every lookup is an error, so the
/// verdict cannot be valid by mistake.
struct EmptyStore;

impl DocumentStatusSource for EmptyStore {
    fn try_lookup(&self, _q: &Query) -> Result<LookupResult, crate::watchlist::SourceError> {
        Err(crate::watchlist::SourceError::Unavailable {
            backend: "embedded",
            reason: "the store holds no list yet".into(),
        })
    }
}

/// Runs blocking PostgreSQL client code from async code (the sync client runs its own
/// runtime, which must not nest in a tokio worker's context).
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

impl Watchlist {
    /// The lookup source; an empty store has none, so lookups say "unavailable" rather than
    /// "not listed" (a misconfigured path must never clear every document).
    fn source(&self) -> Option<&(dyn DocumentStatusSource + Send + Sync)> {
        match self {
            Watchlist::Embedded { store, .. } => store
                .as_deref()
                .map(|s| s as &(dyn DocumentStatusSource + Send + Sync)),
            Watchlist::Postgres { store } => {
                Some(store.as_ref() as &(dyn DocumentStatusSource + Send + Sync))
            }
        }
    }

    /// Records per list.
    fn lists(&self) -> Vec<crate::watchlist::store::ListInfo> {
        match self {
            Watchlist::Embedded { store, .. } => store
                .as_ref()
                .map(|s| s.stats().manifest.lists.clone())
                .unwrap_or_default(),
            Watchlist::Postgres { store } => blocking(|| store.stats())
                .map(|s| s.lists)
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "watchlist statistics unavailable");
                    Vec::new()
                }),
        }
    }
}

/// Shared server state.
pub struct State {
    /// Effective configuration.
    pub config: Config,
    /// Live trust anchors (swapped whole on reload).
    pub trust: RwLock<Arc<TrustSnapshot>>,
    /// Live watchlist.
    pub watchlist: RwLock<Option<Arc<Watchlist>>>,
    /// Readers.
    pub readers: Arc<Readers>,
    /// Audit log.
    pub audit: AuditLog,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Per-terminal limits.
    pub limiter: Arc<Limiter>,
    /// How callers authenticate.
    pub client_auth: ClientAuth,
    /// Start time.
    pub started: Instant,
    /// Clock.
    pub clock: Clock,
    /// Verification policy.
    pub policy: AssessPolicy,
    /// Set on shutdown: in-flight chip reads stop between two APDUs.
    pub shutting_down: Arc<AtomicBool>,
    /// Terminal Authentication credentials (from `terminal_chain` / `terminal_key`).
    pub terminal: Option<crate::chip::ta::TerminalCredentials>,
}

/// What a call contributes to its audit record.
#[derive(Default)]
struct AuditInfo {
    verdict: Option<&'static str>,
    document: Option<String>,
}

/// The code's name as `Debug` prints it (`Ok`, `PermissionDenied`...), without a
/// per-call allocation.
fn code_name(c: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match c {
        Ok => "Ok",
        Cancelled => "Cancelled",
        Unknown => "Unknown",
        InvalidArgument => "InvalidArgument",
        DeadlineExceeded => "DeadlineExceeded",
        NotFound => "NotFound",
        AlreadyExists => "AlreadyExists",
        PermissionDenied => "PermissionDenied",
        ResourceExhausted => "ResourceExhausted",
        FailedPrecondition => "FailedPrecondition",
        Aborted => "Aborted",
        OutOfRange => "OutOfRange",
        Unimplemented => "Unimplemented",
        Internal => "Internal",
        Unavailable => "Unavailable",
        DataLoss => "DataLoss",
        Unauthenticated => "Unauthenticated",
    }
}

impl State {
    /// Loads the trust store from `config.trust_store` (an empty snapshot without one).
    pub fn load_trust(config: &Config) -> Result<TrustSnapshot, ServiceError> {
        match &config.trust_store {
            Some(dir) => TrustStore::open(dir)
                .and_then(|s| s.snapshot())
                .map_err(|e| ServiceError::Unavailable("trust store", e.to_string())),
            None => Ok(TrustSnapshot::empty()),
        }
    }

    /// Opens the watchlist named by `config.watchlist`.
    pub fn load_watchlist(config: &Config) -> Result<Option<Watchlist>, ServiceError> {
        match &config.watchlist {
            None => Ok(None),
            Some(s) if crate::watchlist::pg::is_url(s) => {
                let store = blocking(|| PgStore::open(s))
                    .map_err(|e| ServiceError::Unavailable("watchlist", e.to_string()))?;
                Ok(Some(Watchlist::Postgres {
                    store: Arc::new(store),
                }))
            }
            Some(s) => {
                let dir = std::path::PathBuf::from(s);
                let store = match Store::open(&dir) {
                    Ok(st) => Some(Arc::new(st)),
                    Err(crate::watchlist::store::StoreError::Empty { .. }) => {
                        tracing::warn!(
                            "watchlist store is empty: lookups are unavailable until an import"
                        );
                        None
                    }
                    Err(e) => return Err(ServiceError::Unavailable("watchlist", e.to_string())),
                };
                Ok(Some(Watchlist::Embedded { dir, store }))
            }
        }
    }

    /// Re-reads the trust store and the watchlist (SIGHUP, after admin imports).
    pub fn reload(&self) -> Result<(), ServiceError> {
        let t = State::load_trust(&self.config)?;
        self.metrics
            .trust_cscas
            .set(i64::try_from(t.cscas().len()).unwrap_or(i64::MAX));
        if let Ok(mut g) = self.trust.write() {
            *g = Arc::new(t);
        }
        // A database is live already: keep its pool; an embedded store is re-opened.
        let w: Option<Arc<Watchlist>> = match self.watchlist() {
            Some(cur) if matches!(cur.as_ref(), Watchlist::Postgres { .. }) => Some(cur),
            _ => State::load_watchlist(&self.config)?.map(Arc::new),
        };
        if let Some(w) = &w {
            let n: u64 = w.lists().iter().map(|l| l.records).sum();
            self.metrics
                .watchlist_records
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        if let Ok(mut g) = self.watchlist.write() {
            *g = w;
        }
        Ok(())
    }

    fn trust(&self) -> Arc<TrustSnapshot> {
        self.trust
            .read()
            .map(|g| Arc::clone(&g))
            .unwrap_or_else(|_| Arc::new(TrustSnapshot::empty()))
    }

    fn watchlist(&self) -> Option<Arc<Watchlist>> {
        self.watchlist.read().ok().and_then(|g| g.clone())
    }

    /// Is the service ready to verify (health): a trust store with at least one CSCA, not
    /// older than the configured age.
    pub fn ready(&self) -> bool {
        let t = self.trust();
        if t.cscas().is_empty() {
            return false;
        }
        let max = self.config.policy.trust_max_age_hours;
        if max == 0 {
            return true;
        }
        let newest = t
            .cscas()
            .iter()
            .map(|c| c.provenance.imported_at)
            .chain(t.crls().iter().map(|c| c.provenance.imported_at))
            .max()
            .unwrap_or(0);
        let age = (self.clock)().saturating_sub(newest);
        age <= i64::try_from(max.saturating_mul(3600)).unwrap_or(i64::MAX)
    }

    fn admit(
        self: &Arc<Self>,
        certs: Option<&[tonic::transport::CertificateDer<'static>]>,
        method: &'static str,
        need: Role,
    ) -> Result<(Caller, super::auth::Permit), ServiceError> {
        let caller = caller_from_certs(self.client_auth, certs)?;
        if need == Role::Admin && caller.role != Role::Admin {
            return Err(ServiceError::PermissionDenied {
                role: caller.role.as_str(),
                method,
            });
        }
        let permit = self.limiter.admit(&caller.terminal, Instant::now())?;
        Ok((caller, permit))
    }

    fn finish(
        &self,
        method: &'static str,
        caller: Option<&Caller>,
        started: Instant,
        code: tonic::Code,
        info: &AuditInfo,
    ) {
        self.metrics
            .requests
            .with_label_values(&[method, code_name(code)])
            .inc();
        self.metrics
            .latency
            .with_label_values(&[method])
            .observe(started.elapsed().as_secs_f64());
        if let Some(v) = info.verdict {
            self.metrics.inspections.with_label_values(&[v]).inc();
        }
        // One line per call for operators; the same fields as the audit record, so the same
        // rule: terminal id, method, outcome, verdict, never document data.
        tracing::info!(
            method,
            terminal = caller.map_or("unauthenticated", |c| c.terminal.as_str()),
            code = %code_name(code),
            ms = started.elapsed().as_secs_f64() * 1e3,
            verdict = info.verdict.unwrap_or(""),
            "call"
        );
        self.audit.record(&AuditRecord {
            time: (self.clock)(),
            terminal: caller.map_or_else(|| "unauthenticated".into(), |c| c.terminal.clone()),
            role: caller.map_or("none", |c| c.role.as_str()),
            method,
            outcome: code_name(code).to_owned(),
            verdict: info.verdict,
            document: info.document.clone(),
        });
    }

    /// Runs a unary call with identity, limits, metrics and audit around it.
    async fn call<Req, T, F, Fut>(
        self: &Arc<Self>,
        req: Request<Req>,
        method: &'static str,
        need: Role,
        f: F,
    ) -> Result<Response<T>, Status>
    where
        F: FnOnce(Arc<Self>, Caller, Req) -> Fut,
        Fut: std::future::Future<Output = Result<(T, AuditInfo), ServiceError>>,
    {
        self.call_holding(req, method, need, |st, c, r, permit| async move {
            let out = f(st, c, r).await;
            drop(permit);
            out
        })
        .await
    }

    /// As [`State::call`], handing the concurrency permit to `f`, which keeps it as long as
    /// the work lasts (a streamed read holds it until the chip session ends).
    async fn call_holding<Req, T, F, Fut>(
        self: &Arc<Self>,
        req: Request<Req>,
        method: &'static str,
        need: Role,
        f: F,
    ) -> Result<Response<T>, Status>
    where
        F: FnOnce(Arc<Self>, Caller, Req, crate::grpc::auth::Permit) -> Fut,
        Fut: std::future::Future<Output = Result<(T, AuditInfo), ServiceError>>,
    {
        let started = Instant::now();
        let certs = req.peer_certs();
        let (caller, permit) =
            match self.admit(certs.as_deref().map(|v| v.as_slice()), method, need) {
                Ok(x) => x,
                Err(e) => {
                    let s = Status::from(e);
                    self.finish(method, None, started, s.code(), &AuditInfo::default());
                    return Err(s);
                }
            };
        let r = f(Arc::clone(self), caller.clone(), req.into_inner(), permit).await;
        match r {
            Ok((t, info)) => {
                self.finish(method, Some(&caller), started, tonic::Code::Ok, &info);
                Ok(Response::new(t))
            }
            Err(e) => {
                let s = Status::from(e);
                self.finish(
                    method,
                    Some(&caller),
                    started,
                    s.code(),
                    &AuditInfo::default(),
                );
                Err(s)
            }
        }
    }

    fn document_hash(&self, m: Option<&Mrz>) -> Option<String> {
        m.map(|m| {
            self.audit
                .document_hash(&m.issuing_state, &m.document_number)
        })
    }

    /// Decides with the live trust store and watchlist.
    fn assess(&self, e: &Evidence<'_>) -> InspectionReport {
        let trust = self.trust();
        let wl = self.watchlist();
        let source: Option<&dyn DocumentStatusSource> = match &wl {
            Some(w) => {
                self.metrics.watchlist_lookups.inc();
                Some(match w.source() {
                    Some(src) => src as &dyn DocumentStatusSource,
                    None => &EmptyStore,
                })
            }
            None => None,
        };
        let cx = Context {
            trust: &trust,
            now: (self.clock)(),
            watchlist: source,
            policy: &self.policy,
        };
        assess(e, &cx)
    }
}

/// Parses the printed MRZ lines of a request.
fn parse_mrz(text: &str) -> Result<Mrz, ServiceError> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    crate::mrz::parse(&lines).map_err(|e| ServiceError::InvalidArgument {
        field: "mrz",
        reason: e.to_string(),
    })
}

/// MRZ information (Doc 9303-11 §9.7.2) from the three fields.
fn mrz_information(d: &pb::DocumentKey) -> Result<String, ServiceError> {
    crate::mrz::mrz_information_from_fields(&d.document_number, &d.date_of_birth, &d.date_of_expiry)
        .map_err(|reason| ServiceError::InvalidArgument {
            field: "document",
            reason: reason.into(),
        })
}

/// The chip key and the printed data (kept owned for the blocking thread).
enum PrintedOwned {
    Mrz(Box<Mrz>),
    Fields(pb::DocumentKey),
    None,
}

impl PrintedOwned {
    fn as_printed(&self) -> Printed<'_> {
        match self {
            PrintedOwned::Mrz(m) => Printed::Mrz(m),
            PrintedOwned::Fields(d) => Printed::Fields {
                document_number: &d.document_number,
                date_of_birth: &d.date_of_birth,
                date_of_expiry: &d.date_of_expiry,
            },
            PrintedOwned::None => Printed::None,
        }
    }
}

fn access_key(k: Option<&pb::AccessKey>) -> Result<(AccessKey, PrintedOwned), ServiceError> {
    let missing = || ServiceError::InvalidArgument {
        field: "access_key",
        reason: "give the MRZ, the document number and dates, or the CAN".into(),
    };
    match k.and_then(|k| k.key.as_ref()).ok_or_else(missing)? {
        pb::access_key::Key::Mrz(text) => {
            let m = parse_mrz(text)?;
            Ok((
                AccessKey::Mrz {
                    mrz_information: m.mrz_information(),
                },
                PrintedOwned::Mrz(Box::new(m)),
            ))
        }
        pb::access_key::Key::Document(d) => Ok((
            AccessKey::Mrz {
                mrz_information: mrz_information(d)?,
            },
            PrintedOwned::Fields(d.clone()),
        )),
        pb::access_key::Key::Can(c) => {
            if c.is_empty() || c.len() > 12 || !c.chars().all(|x| x.is_ascii_digit()) {
                return Err(ServiceError::InvalidArgument {
                    field: "can",
                    reason: "a CAN is 6 digits".into(),
                });
            }
            Ok((AccessKey::Can(c.clone()), PrintedOwned::None))
        }
    }
}

fn file_name(id: FileId) -> String {
    id.name().to_string()
}

fn progress(step: pb::ReadStep, file: String, read: u64, total: u64) -> pb::ReadDocumentResponse {
    pb::ReadDocumentResponse {
        event: Some(pb::read_document_response::Event::Progress(
            pb::ReadProgress {
                step: step as i32,
                file,
                bytes_read: read,
                bytes_total: total,
            },
        )),
    }
}

/// The InspectionService implementation.
#[derive(Clone)]
pub struct InspectionApi(pub Arc<State>);

/// The AdminService implementation.
#[derive(Clone)]
pub struct AdminApi(pub Arc<State>);

type ReadStream = Pin<Box<dyn Stream<Item = Result<pb::ReadDocumentResponse, Status>> + Send>>;
type ReaderStream = Pin<Box<dyn Stream<Item = Result<pb::ReaderEvent, Status>> + Send>>;

fn reader_state(card: bool, reading: bool) -> pb::ReaderState {
    if reading {
        pb::ReaderState::Reading
    } else if card {
        pb::ReaderState::CardPresent
    } else {
        pb::ReaderState::Empty
    }
}

#[tonic::async_trait]
impl pb::inspection_service_server::InspectionService for InspectionApi {
    async fn list_readers(
        &self,
        req: Request<pb::ListReadersRequest>,
    ) -> Result<Response<pb::ListReadersResponse>, Status> {
        self.0
            .call(
                req,
                "ListReaders",
                Role::Terminal,
                |st, _c, _r| async move {
                    let readers = Arc::clone(&st.readers);
                    let list = tokio::task::spawn_blocking(move || readers.list())
                        .await
                        .map_err(|e| ServiceError::Internal(e.to_string()))??;
                    st.metrics.reader_state.reset();
                    let readers = list
                        .into_iter()
                        .map(|(r, reading)| {
                            let s = reader_state(r.card_present, reading);
                            st.metrics
                                .reader_state
                                .with_label_values(&[&r.name, s.as_str_name()])
                                .set(1);
                            pb::Reader {
                                name: r.name,
                                state: s as i32,
                                atr: r.atr.unwrap_or_default(),
                            }
                        })
                        .collect();
                    Ok((pb::ListReadersResponse { readers }, AuditInfo::default()))
                },
            )
            .await
    }

    type WatchReadersStream = ReaderStream;

    async fn watch_readers(
        &self,
        req: Request<pb::WatchReadersRequest>,
    ) -> Result<Response<ReaderStream>, Status> {
        self.0
            .call(
                req,
                "WatchReaders",
                Role::Terminal,
                |st, _c, _r| async move {
                    let (tx, rx) = std::sync::mpsc::sync_channel(64);
                    let (atx, arx) = mpsc::channel(64);
                    let running = Arc::new(AtomicBool::new(true));
                    let r2 = Arc::clone(&running);
                    let stop = Arc::clone(&st.shutting_down);
                    st.readers.watch(
                        Arc::new(move || {
                            r2.load(Ordering::Relaxed) && !stop.load(Ordering::Relaxed)
                        }),
                        tx,
                    );
                    // Bridge: blocking receiver to the async stream; stops the watchers when the
                    // client goes away.
                    std::thread::spawn(move || {
                        while let Ok(e) = rx.recv() {
                            use crate::transport::pcsc::ReaderEvent as E;
                            let (kind, reader) = match e {
                                E::ReaderAdded { reader } => {
                                    (pb::ReaderEventKind::ReaderAdded, reader)
                                }
                                E::ReaderRemoved { reader } => {
                                    (pb::ReaderEventKind::ReaderRemoved, reader)
                                }
                                E::CardInserted { reader, .. } => {
                                    (pb::ReaderEventKind::CardInserted, reader)
                                }
                                E::CardRemoved { reader } => {
                                    (pb::ReaderEventKind::CardRemoved, reader)
                                }
                                _ => continue,
                            };
                            let ev = pb::ReaderEvent {
                                kind: kind as i32,
                                reader,
                            };
                            if atx.blocking_send(Ok(ev)).is_err() {
                                break;
                            }
                        }
                        running.store(false, Ordering::Relaxed);
                    });
                    let s: ReaderStream = Box::pin(ReceiverStream::new(arx));
                    Ok((s, AuditInfo::default()))
                },
            )
            .await
    }

    type ReadDocumentStream = ReadStream;

    async fn read_document(
        &self,
        req: Request<pb::ReadDocumentRequest>,
    ) -> Result<Response<ReadStream>, Status> {
        self.0
            .call_holding(
                req,
                "ReadDocument",
                Role::Terminal,
                |st, caller, r, permit| async move {
                    let (key, printed) = access_key(r.access_key.as_ref())?;
                    let challenge = match r.aa_challenge.len() {
                        0 => None,
                        8 => {
                            let mut c = [0u8; 8];
                            c.copy_from_slice(&r.aa_challenge);
                            Some(c)
                        }
                        _ => {
                            return Err(ServiceError::InvalidArgument {
                                field: "aa_challenge",
                                reason: "8 bytes".into(),
                            })
                        }
                    };
                    let data_groups = (!r.data_groups.is_empty())
                        .then(|| {
                            r.data_groups
                                .iter()
                                .map(|d| u8::try_from(*d).ok().filter(|d| (1..=16).contains(d)))
                                .collect::<Option<Vec<u8>>>()
                        })
                        .map(|o| {
                            o.ok_or(ServiceError::InvalidArgument {
                                field: "data_groups",
                                reason: "1..16".into(),
                            })
                        })
                        .transpose()?;
                    let lease = st.readers.lease(&r.reader)?;
                    let wait = Duration::from_secs(u64::from(if r.card_wait_seconds == 0 {
                        10
                    } else {
                        r.card_wait_seconds.min(300)
                    }));
                    let (tx, rx) = mpsc::channel::<Result<pb::ReadDocumentResponse, Status>>(32);
                    let cancel = Arc::new(AtomicBool::new(false));
                    // Ends the watcher when the read is over, so its sender clone goes and the
                    // stream ends after the report.
                    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
                    {
                        // The client going away (stream dropped) cancels the read.
                        let tx = tx.clone();
                        let cancel = Arc::clone(&cancel);
                        let stop = Arc::clone(&st.shutting_down);
                        tokio::spawn(async move {
                            tokio::select! {
                                _ = done_rx => return,
                                _ = tx.closed() => {}
                                _ = async {
                                    while !stop.load(Ordering::Relaxed) {
                                        tokio::time::sleep(Duration::from_millis(100)).await;
                                    }
                                } => {}
                            }
                            cancel.store(true, Ordering::Relaxed);
                        });
                    }
                    let include_faces = r.include_face_images;
                    let st2 = Arc::clone(&st);
                    tokio::task::spawn_blocking(move || {
                        // The terminal's concurrency permit lasts as long as the chip session.
                        let _permit = permit;
                        let started = Instant::now();
                        let send = |m: pb::ReadDocumentResponse| {
                            let _ = tx.blocking_send(Ok(m));
                        };
                        send(progress(pb::ReadStep::WaitingForCard, String::new(), 0, 0));
                        let result = (|| -> Result<InspectionReport, ServiceError> {
                            let mut transport = st2.readers.connect(&lease, wait)?;
                            let mut t = Cancellable::new(transport.as_mut(), Arc::clone(&cancel));
                            let opts = ChipOptions {
                                allow_bac: st2.config.policy.bac_allowed,
                                data_groups,
                                aa_challenge: challenge,
                                terminal: st2.terminal.clone(),
                                ..ChipOptions::default()
                            };
                            let mut rng = rand_core::OsRng;
                            let chip = inspection::inspect_chip(
                                &mut t,
                                &key,
                                &opts,
                                &mut rng,
                                &mut |e| {
                                    let m = match e {
                                        ChipEvent::AccessControl => progress(
                                            pb::ReadStep::AccessControl,
                                            String::new(),
                                            0,
                                            0,
                                        ),
                                        ChipEvent::File { id, read, total } => progress(
                                            pb::ReadStep::ReadingFile,
                                            file_name(id),
                                            read as u64,
                                            total.map_or(0, |t| t as u64),
                                        ),
                                        ChipEvent::ChipAuthentication => progress(
                                            pb::ReadStep::ChipAuthentication,
                                            String::new(),
                                            0,
                                            0,
                                        ),
                                        ChipEvent::ActiveAuthentication => progress(
                                            pb::ReadStep::ActiveAuthentication,
                                            String::new(),
                                            0,
                                            0,
                                        ),
                                        #[allow(unreachable_patterns)]
                                        _ => return,
                                    };
                                    send(m);
                                },
                            )?;
                            drop(lease);
                            send(progress(
                                pb::ReadStep::PassiveAuthentication,
                                String::new(),
                                0,
                                0,
                            ));
                            let files = chip.raw_files();
                            let evidence =
                                chip.evidence(&files, printed.as_printed(), include_faces);
                            Ok(st2.assess(&evidence))
                        })();
                        let code;
                        let mut info = AuditInfo::default();
                        match result {
                            Ok(report) => {
                                info.verdict = Some(report.verdict.as_str());
                                info.document = st2.document_hash(report.mrz.as_ref());
                                let pa_ms = 0.0;
                                let msg = convert::report(
                                    &report,
                                    &[("total", started.elapsed().as_secs_f64() * 1e3 + pa_ms)],
                                );
                                send(pb::ReadDocumentResponse {
                                    event: Some(pb::read_document_response::Event::Report(msg)),
                                });
                                code = tonic::Code::Ok;
                            }
                            Err(e) => {
                                let s = Status::from(e);
                                code = s.code();
                                let _ = tx.blocking_send(Err(s));
                            }
                        }
                        st2.finish("ReadDocument.stream", Some(&caller), started, code, &info);
                        let _ = done_tx.send(());
                    });
                    let s: ReadStream = Box::pin(ReceiverStream::new(rx));
                    Ok((s, AuditInfo::default()))
                },
            )
            .await
    }

    async fn verify_document(
        &self,
        req: Request<pb::VerifyDocumentRequest>,
    ) -> Result<Response<pb::VerifyDocumentResponse>, Status> {
        self.0
            .call(req, "VerifyDocument", Role::Terminal, |st, _c, r| async move {
                let mut files: Vec<RawFile> = Vec::new();
                for f in r.files {
                    let id = FileId::from_name(&f.name).ok_or_else(|| {
                        ServiceError::InvalidArgument {
                            field: "files.name",
                            reason: format!("unknown file name {:?}", f.name.chars().take(32).collect::<String>()),
                        }
                    })?;
                    if files.iter().any(|x| x.id == id) {
                        return Err(ServiceError::InvalidArgument {
                            field: "files",
                            reason: format!("{} given twice", id.name()),
                        });
                    }
                    files.push(RawFile {
                        id,
                        bytes: f.content,
                    });
                }
                let printed = match &r.printed {
                    Some(pb::verify_document_request::Printed::Mrz(t)) => {
                        PrintedOwned::Mrz(Box::new(parse_mrz(t)?))
                    }
                    Some(pb::verify_document_request::Printed::Document(d)) => {
                        PrintedOwned::Fields(d.clone())
                    }
                    None => PrintedOwned::None,
                };
                let include_faces = r.include_face_images;
                let st2 = Arc::clone(&st);
                let report = tokio::task::spawn_blocking(move || {
                    let aa = offline_aa(&files, &r.aa_challenge, &r.aa_signature);
                    let evidence = Evidence {
                        files: &files,
                        printed: printed.as_printed(),
                        access: None,
                        aa,
                        ca: Outcome::new(
                            CheckStatus::NotPerformed,
                            "Chip Authentication needs the chip; not possible on files read elsewhere",
                        ),
                        ta: None,
                        include_faces,
                        read: None,
                    };
                    st2.assess(&evidence)
                })
                .await
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
                let info = AuditInfo {
                    verdict: Some(report.verdict.as_str()),
                    document: st.document_hash(report.mrz.as_ref()),
                };
                Ok((
                    pb::VerifyDocumentResponse {
                        report: Some(convert::report(&report, &[])),
                    },
                    info,
                ))
            })
            .await
    }

    async fn check_document(
        &self,
        req: Request<pb::CheckDocumentRequest>,
    ) -> Result<Response<pb::CheckDocumentResponse>, Status> {
        self.0
            .call(
                req,
                "CheckDocument",
                Role::Terminal,
                |st, _c, r| async move {
                    let q = Query::new(&r.issuing_state, &r.document_type, &r.document_number)
                        .map_err(|e| ServiceError::InvalidArgument {
                            field: "document",
                            reason: e.to_string(),
                        })?;
                    let wl = st.watchlist().ok_or(ServiceError::Unavailable(
                        "watchlist",
                        "no watchlist configured".into(),
                    ))?;
                    let src = wl.source().ok_or(ServiceError::Unavailable(
                        "watchlist",
                        "the watchlist store is empty: import a list first".into(),
                    ))?;
                    st.metrics.watchlist_lookups.inc();
                    // The embedded store answers from memory and the page cache in about a
                    // microsecond: inline, since handing the worker to another thread costs
                    // more than the lookup. PostgreSQL waits on the network.
                    let result: LookupResult = match wl.as_ref() {
                        Watchlist::Embedded { .. } => src.try_lookup(&q),
                        Watchlist::Postgres { .. } => blocking(|| src.try_lookup(&q)),
                    }
                    .map_err(|e| ServiceError::Unavailable("watchlist", e.to_string()))?;
                    let info = AuditInfo {
                        verdict: None,
                        document: Some(
                            st.audit
                                .document_hash(&q.key.issuing_state, &q.key.document_number),
                        ),
                    };
                    Ok((
                        pb::CheckDocumentResponse {
                            result: Some(convert::watchlist(&result)),
                        },
                        info,
                    ))
                },
            )
            .await
    }
}

/// Active Authentication done by another reader: the challenge and the signature it got.
fn offline_aa(files: &[RawFile], challenge: &[u8], signature: &[u8]) -> Outcome {
    let Some(dg15) = files.iter().find(|f| f.id == FileId::Dg15) else {
        return Outcome::new(CheckStatus::NotPerformed, "no DG15 given");
    };
    if challenge.is_empty() && signature.is_empty() {
        return Outcome::new(
            CheckStatus::NotPerformed,
            "no Active Authentication challenge and response given",
        );
    }
    let Ok(c) = <[u8; 8]>::try_from(challenge) else {
        return Outcome::new(CheckStatus::Failed, "AA challenge must be 8 bytes");
    };
    let dg15 = match Dg15::parse(&dg15.bytes) {
        Ok(d) => d,
        Err(e) => return Outcome::new(CheckStatus::Failed, format!("DG15 unusable: {e}")),
    };
    let dg14 = files.iter().find(|f| f.id == FileId::Dg14);
    let infos = dg14.and_then(|f| SecurityInfos::parse_dg14(&f.bytes).ok());
    let info = infos.as_ref().and_then(crate::chip::aa::find_aa_info);
    inspection::chip::verify_aa(&dg15, info, &c, signature, &Default::default())
}

/// Collects a streamed upload (metadata first, then chunks) up to `max` bytes.
/// The CSV columns of a single-record delta (after `action`).
const DELTA_COLUMNS: &str = "issuing_state,document_type,document_number,status,issue_date,expiry_date,reported_date,reference";

/// One CSV field, quoted when it must be (RFC 4180), so an operator's text cannot add rows
/// or columns.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.trim() != s {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Fields joined into one CSV row, each quoted as it must be.
fn csv_row(fields: &[&str]) -> String {
    fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",")
}

/// The key fields of a single-record RPC, checked up front for a clear InvalidArgument.
fn check_key(state: &str, doc_type: &str, number: &str) -> Result<(), ServiceError> {
    Query::new(state, doc_type, number)
        .map(|_| ())
        .map_err(|e| ServiceError::InvalidArgument {
            field: "record",
            reason: e.to_string(),
        })
}

/// Applies a small delta CSV (strict: one bad row refuses it) to `list` and reloads;
/// returns (added, removed).
async fn single_row_delta(
    st: &Arc<State>,
    list: &str,
    csv: String,
) -> Result<(u64, u64), ServiceError> {
    let Some(wl) = st.watchlist() else {
        return Err(ServiceError::Unavailable(
            "watchlist",
            "no watchlist configured".into(),
        ));
    };
    if !crate::watchlist::store::valid_list_name(list) {
        return Err(ServiceError::InvalidArgument {
            field: "list",
            reason: "a list name is 1-64 letters, digits, '-', '_' or '.'".into(),
        });
    }
    let now = (st.clock)();
    let list = list.to_string();
    let r = tokio::task::spawn_blocking(move || {
        let input = std::io::Cursor::new(csv.into_bytes());
        match wl.as_ref() {
            Watchlist::Embedded { dir, .. } => Store::import_delta_csv(dir, &list, input, true)
                .map(|r| (r.added, r.removed))
                .map_err(|e| e.to_string()),
            Watchlist::Postgres { store } => store
                .import_delta_csv(&list, input, true, now)
                .map(|r| (r.added, r.removed))
                .map_err(|e| e.to_string()),
        }
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?
    .map_err(ServiceError::ImportRefused)?;
    st.reload()?;
    Ok(r)
}

async fn collect_upload<M>(
    mut s: Streaming<M>,
    max: usize,
    split: impl Fn(M) -> Option<Result<Vec<u8>, Box<dyn std::any::Any + Send>>>,
) -> Result<(Option<Box<dyn std::any::Any + Send>>, Vec<u8>), ServiceError>
where
    M: Send + 'static,
{
    let mut meta = None;
    let mut data = Vec::new();
    while let Some(m) = s.next().await {
        let m = m.map_err(|e| ServiceError::InvalidArgument {
            field: "stream",
            reason: e.message().to_string(),
        })?;
        match split(m) {
            Some(Ok(chunk)) => {
                if data.len().saturating_add(chunk.len()) > max {
                    return Err(ServiceError::Limited(
                        "upload larger than limits.max_upload_bytes",
                    ));
                }
                data.extend_from_slice(&chunk);
            }
            Some(Err(md)) => {
                if meta.is_some() || !data.is_empty() {
                    return Err(ServiceError::InvalidArgument {
                        field: "metadata",
                        reason: "metadata must come once, first".into(),
                    });
                }
                meta = Some(md);
            }
            None => {}
        }
    }
    Ok((meta, data))
}

/// A blocking reader over chunks arriving from an async stream (bounded channel: the import
/// streams with bounded memory).
struct ChunkReader {
    rx: std::sync::mpsc::Receiver<Result<Vec<u8>, ()>>,
    buf: Vec<u8>,
    pos: usize,
}

impl Read for ChunkReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.buf.len() {
            match self.rx.recv() {
                Ok(Ok(b)) => {
                    self.buf = b;
                    self.pos = 0;
                }
                Ok(Err(())) => {
                    return Err(std::io::Error::other("upload aborted"));
                }
                Err(_) => return Ok(0),
            }
        }
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let n = rest.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), rest.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.pos = self.pos.saturating_add(n);
        Ok(n)
    }
}

#[tonic::async_trait]
impl pb::admin_service_server::AdminService for AdminApi {
    async fn import_trust(
        &self,
        req: Request<Streaming<pb::ImportTrustRequest>>,
    ) -> Result<Response<pb::ImportTrustResponse>, Status> {
        self.0
            .call(req, "ImportTrust", Role::Admin, |st, _c, s| async move {
                let dir = st
                    .config
                    .trust_store
                    .clone()
                    .ok_or(ServiceError::Unavailable(
                        "trust store",
                        "no trust_store configured".into(),
                    ))?;
                let (meta, data) =
                    collect_upload(s, st.config.limits.max_upload_bytes, |m| match m.part {
                        Some(pb::import_trust_request::Part::Chunk(c)) => Some(Ok(c)),
                        Some(pb::import_trust_request::Part::Metadata(md)) => {
                            Some(Err(Box::new(md) as Box<dyn std::any::Any + Send>))
                        }
                        None => None,
                    })
                    .await?;
                let meta = meta
                    .and_then(|m| m.downcast::<pb::ImportTrustMetadata>().ok())
                    .map(|b| *b)
                    .unwrap_or_default();
                if data.is_empty() {
                    return Err(ServiceError::InvalidArgument {
                        field: "chunk",
                        reason: "no data".into(),
                    });
                }
                let st2 = Arc::clone(&st);
                let resp =
                    tokio::task::spawn_blocking(move || import_trust(&st2, &dir, &meta, &data))
                        .await
                        .map_err(|e| ServiceError::Internal(e.to_string()))??;
                st.reload()?;
                Ok((resp, AuditInfo::default()))
            })
            .await
    }

    async fn list_trust(
        &self,
        req: Request<pb::ListTrustRequest>,
    ) -> Result<Response<pb::ListTrustResponse>, Status> {
        self.0
            .call(req, "ListTrust", Role::Admin, |st, _c, r| async move {
                let t = st.trust();
                let fmt = |s: i64| crate::pa::time::format_rfc3339(s);
                let country = r.country.to_ascii_uppercase();
                let mut entries = Vec::new();
                for (kind, list) in [("csca", t.cscas()), ("ds", t.ds_certificates())] {
                    for c in list {
                        let cc = c.cert.subject_country.clone().unwrap_or_default();
                        if !country.is_empty() && cc != country {
                            continue;
                        }
                        entries.push(pb::TrustEntry {
                            kind: kind.into(),
                            country: cc,
                            subject: c.cert.subject.clone(),
                            not_before: fmt(c.cert.not_before),
                            not_after: fmt(c.cert.not_after),
                            source: c.provenance.source.clone(),
                            fingerprint: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
                                &c.cert.der,
                            )),
                        });
                    }
                }
                for c in t.crls() {
                    entries.push(pb::TrustEntry {
                        kind: "crl".into(),
                        country: String::new(),
                        subject: c.crl.issuer.clone(),
                        not_before: fmt(c.crl.this_update),
                        not_after: c.crl.next_update.map(fmt).unwrap_or_default(),
                        source: c.provenance.source.clone(),
                        fingerprint: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
                            &c.crl.der,
                        )),
                    });
                }
                Ok((pb::ListTrustResponse { entries }, AuditInfo::default()))
            })
            .await
    }

    async fn import_watchlist(
        &self,
        req: Request<Streaming<pb::ImportWatchlistRequest>>,
    ) -> Result<Response<pb::ImportWatchlistResponse>, Status> {
        self.0
            .call(
                req,
                "ImportWatchlist",
                Role::Admin,
                |st, _c, mut s| async move {
                    let Some(wl) = st.watchlist() else {
                        return Err(ServiceError::Unavailable(
                            "watchlist",
                            "no watchlist configured".into(),
                        ));
                    };
                    let wl2 = Arc::clone(&wl);
                    let first = s
                        .next()
                        .await
                        .ok_or(ServiceError::InvalidArgument {
                            field: "metadata",
                            reason: "empty stream".into(),
                        })?
                        .map_err(|e| ServiceError::InvalidArgument {
                            field: "stream",
                            reason: e.message().to_string(),
                        })?;
                    let Some(pb::import_watchlist_request::Part::Metadata(meta)) = first.part
                    else {
                        return Err(ServiceError::InvalidArgument {
                            field: "metadata",
                            reason: "the first message must carry the metadata".into(),
                        });
                    };
                    if meta.list.is_empty() {
                        return Err(ServiceError::InvalidArgument {
                            field: "list",
                            reason: "name the list".into(),
                        });
                    }
                    let (ctx, crx) = std::sync::mpsc::sync_channel::<Result<Vec<u8>, ()>>(16);
                    let now = (st.clock)();
                    let strict = meta.strict;
                    let delta = meta.delta;
                    let list = meta.list.clone();
                    let job = tokio::task::spawn_blocking(move || {
                        let reader = std::io::BufReader::new(ChunkReader {
                            rx: crx,
                            buf: Vec::new(),
                            pos: 0,
                        });
                        match (wl2.as_ref(), delta) {
                            (Watchlist::Embedded { dir, .. }, false) => {
                                Store::import_csv(dir, &list, reader, strict, now)
                                    .map(|r| (r.accepted, 0, r.rejected_total, r.rejected))
                                    .map_err(|e| e.to_string())
                            }
                            (Watchlist::Embedded { dir, .. }, true) => {
                                Store::import_delta_csv(dir, &list, reader, strict)
                                    .map(|r| (r.added, r.removed, r.rejected_total, r.rejected))
                                    .map_err(|e| e.to_string())
                            }
                            (Watchlist::Postgres { store }, false) => store
                                .import_csv(&list, reader, strict, now)
                                .map(|r| (r.accepted, 0, r.rejected_total, r.rejected))
                                .map_err(|e| e.to_string()),
                            (Watchlist::Postgres { store }, true) => store
                                .import_delta_csv(&list, reader, strict, now)
                                .map(|r| (r.added, r.removed, r.rejected_total, r.rejected))
                                .map_err(|e| e.to_string()),
                        }
                    });
                    let max = st.config.limits.max_upload_bytes;
                    let mut total = 0usize;
                    let mut upload_err = None;
                    while let Some(m) = s.next().await {
                        match m.map(|m| m.part) {
                            Ok(Some(pb::import_watchlist_request::Part::Chunk(c))) => {
                                total = total.saturating_add(c.len());
                                if total > max {
                                    upload_err = Some(ServiceError::Limited(
                                        "upload larger than limits.max_upload_bytes",
                                    ));
                                    break;
                                }
                                // Blocking send from async: the channel is small, so hand over
                                // on a blocking thread.
                                let tx = ctx.clone();
                                let sent =
                                    tokio::task::spawn_blocking(move || tx.send(Ok(c)).is_ok())
                                        .await
                                        .unwrap_or(false);
                                if !sent {
                                    break;
                                }
                            }
                            Ok(_) => {
                                upload_err = Some(ServiceError::InvalidArgument {
                                    field: "metadata",
                                    reason: "metadata must come once, first".into(),
                                });
                                break;
                            }
                            Err(e) => {
                                upload_err = Some(ServiceError::InvalidArgument {
                                    field: "stream",
                                    reason: e.message().to_string(),
                                });
                                break;
                            }
                        }
                    }
                    if upload_err.is_some() {
                        // The reader fails, which aborts the import: a truncated upload must not
                        // replace the list.
                        let tx = ctx.clone();
                        let _ = tokio::task::spawn_blocking(move || tx.send(Err(()))).await;
                    }
                    drop(ctx);
                    let report = job
                        .await
                        .map_err(|e| ServiceError::Internal(e.to_string()))?;
                    if let Some(e) = upload_err {
                        return Err(e);
                    }
                    let (accepted, removed, rejected_total, rejected) =
                        report.map_err(ServiceError::ImportRefused)?;
                    st.reload()?;
                    Ok((
                        pb::ImportWatchlistResponse {
                            records_imported: accepted,
                            records_removed: removed,
                            rows_rejected: rejected_total,
                            rejected: rejected
                                .iter()
                                .take(100)
                                .map(|r| pb::RejectedRow {
                                    line: r.line,
                                    reason: r.reason.clone(),
                                })
                                .collect(),
                        },
                        AuditInfo::default(),
                    ))
                },
            )
            .await
    }

    async fn upsert_watchlist_record(
        &self,
        req: Request<pb::UpsertWatchlistRecordRequest>,
    ) -> Result<Response<pb::UpsertWatchlistRecordResponse>, Status> {
        self.0
            .call(
                req,
                "UpsertWatchlistRecord",
                Role::Admin,
                |st, _c, r| async move {
                    let rec = r.record.ok_or(ServiceError::InvalidArgument {
                        field: "record",
                        reason: "missing".into(),
                    })?;
                    check_key(&rec.issuing_state, &rec.document_type, &rec.document_number)?;
                    if crate::watchlist::Status::parse(&rec.status).is_none() {
                        return Err(ServiceError::InvalidArgument {
                            field: "record.status",
                            reason:
                                "one of stolen_blank, stolen, lost, revoked, invalidated, other"
                                    .into(),
                        });
                    }
                    let fields = [
                        rec.issuing_state.as_str(),
                        &rec.document_type,
                        &rec.document_number,
                        &rec.status,
                        &rec.issue_date,
                        &rec.expiry_date,
                        &rec.reported_date,
                        &rec.reference,
                    ];
                    let row = csv_row(&fields);
                    let (key, status_col) = (csv_row(&fields[..3]), csv_field(&rec.status));
                    // Remove, then add: the delta applies rows in order, so this replaces.
                    let csv = format!(
                        "action,{DELTA_COLUMNS}\nremove,{key},{status_col},,,,\nadd,{row}\n"
                    );
                    let (_, removed) = single_row_delta(&st, &r.list, csv).await?;
                    Ok((
                        pb::UpsertWatchlistRecordResponse {
                            records_replaced: removed,
                        },
                        AuditInfo::default(),
                    ))
                },
            )
            .await
    }

    async fn delete_watchlist_record(
        &self,
        req: Request<pb::DeleteWatchlistRecordRequest>,
    ) -> Result<Response<pb::DeleteWatchlistRecordResponse>, Status> {
        self.0
            .call(
                req,
                "DeleteWatchlistRecord",
                Role::Admin,
                |st, _c, r| async move {
                    check_key(&r.issuing_state, &r.document_type, &r.document_number)?;
                    let key = csv_row(&[&r.issuing_state, &r.document_type, &r.document_number]);
                    let csv = format!("action,{DELTA_COLUMNS}\nremove,{key},other,,,,\n");
                    let (_, removed) = single_row_delta(&st, &r.list, csv).await?;
                    Ok((
                        pb::DeleteWatchlistRecordResponse {
                            records_removed: removed,
                        },
                        AuditInfo::default(),
                    ))
                },
            )
            .await
    }

    async fn get_status(
        &self,
        req: Request<pb::GetStatusRequest>,
    ) -> Result<Response<pb::GetStatusResponse>, Status> {
        self.0
            .call(req, "GetStatus", Role::Admin, |st, _c, _r| async move {
                let t = st.trust();
                let oldest = t.crls().iter().filter_map(|c| c.crl.next_update).min();
                let mut watchlists = Vec::new();
                let mut total = 0;
                if let Some(wl) = st.watchlist() {
                    for l in &wl.lists() {
                        total += l.records;
                        watchlists.push(pb::WatchlistInfo {
                            list: l.name.clone(),
                            records: l.records,
                            updated: crate::pa::time::format_rfc3339(l.updated_unix),
                        });
                    }
                }
                Ok((
                    pb::GetStatusResponse {
                        cscas: u32::try_from(t.cscas().len()).unwrap_or(u32::MAX),
                        crls: u32::try_from(t.crls().len()).unwrap_or(u32::MAX),
                        oldest_crl_next_update: oldest
                            .map(crate::pa::time::format_rfc3339)
                            .unwrap_or_default(),
                        watchlists,
                        watchlist_records: total,
                        uptime_seconds: st.started.elapsed().as_secs(),
                    },
                    AuditInfo::default(),
                ))
            })
            .await
    }
}

/// One trust import (blocking): detects or takes the kind, imports, reports counts.
fn import_trust(
    st: &State,
    dir: &std::path::Path,
    meta: &pb::ImportTrustMetadata,
    data: &[u8],
) -> Result<pb::ImportTrustResponse, ServiceError> {
    use crate::trust::is_master_list;
    let mut store = TrustStore::open(dir)
        .map_err(|e| ServiceError::Unavailable("trust store", e.to_string()))?;
    let now = (st.clock)();
    let source = if meta.source.is_empty() {
        "grpc upload".to_string()
    } else {
        meta.source.chars().take(200).collect()
    };
    let anchors = st.master_list_anchors();
    let min_rsa = st.config.policy.min_rsa_bits;
    let kind = pb::TrustFileKind::try_from(meta.kind).unwrap_or(pb::TrustFileKind::Unspecified);
    let ldif = crate::trust::ldif::looks_like_ldif(data);
    let refused = |e: crate::trust::StoreError| ServiceError::ImportRefused(e.to_string());
    let mut r = pb::ImportTrustResponse::default();
    match kind {
        pb::TrustFileKind::Ldif => {
            let s = store
                .import_ldif(data, &anchors, meta.unverified, &source, now, min_rsa)
                .map_err(refused)?;
            r.ds_certificates_added = u32::try_from(s.ds_certificates).unwrap_or(u32::MAX);
            r.crls_added = u32::try_from(s.crls).unwrap_or(u32::MAX);
            r.cscas_added = u32::try_from(s.cscas_from_master_lists).unwrap_or(u32::MAX);
            r.warnings = s.refused.iter().take(100).cloned().collect();
        }
        pb::TrustFileKind::Unspecified if ldif => {
            return import_trust(
                st,
                dir,
                &pb::ImportTrustMetadata {
                    kind: pb::TrustFileKind::Ldif as i32,
                    ..meta.clone()
                },
                data,
            )
        }
        pb::TrustFileKind::MasterList => {
            let (_, n) = store
                .import_master_list(data, &anchors, meta.unverified, &source, now, min_rsa)
                .map_err(refused)?;
            r.cscas_added = u32::try_from(n).unwrap_or(u32::MAX);
        }
        pb::TrustFileKind::Unspecified if is_master_list(data) => {
            return import_trust(
                st,
                dir,
                &pb::ImportTrustMetadata {
                    kind: pb::TrustFileKind::MasterList as i32,
                    ..meta.clone()
                },
                data,
            )
        }
        pb::TrustFileKind::Csca => {
            store.import_csca(data, &source, now).map_err(refused)?;
            r.cscas_added = 1;
        }
        pb::TrustFileKind::Crl => {
            store.import_crl(data, &source, now).map_err(refused)?;
            r.crls_added = 1;
        }
        pb::TrustFileKind::Unspecified => {
            if crate::pa::cert::Certificate::from_pem_or_der(data).is_ok() {
                store.import_csca(data, &source, now).map_err(refused)?;
                r.cscas_added = 1;
            } else {
                store.import_crl(data, &source, now).map_err(refused)?;
                r.crls_added = 1;
            }
        }
    }
    Ok(r)
}

impl State {
    /// Master-list signer anchors from the configuration (unreadable files are skipped and
    /// logged: a master list then cannot be verified, which refuses it).
    fn master_list_anchors(&self) -> Vec<crate::pa::cert::Certificate> {
        let mut out = Vec::new();
        for p in &self.config.master_list_anchors {
            match std::fs::read(p)
                .ok()
                .and_then(|b| crate::pa::cert::Certificate::from_pem_or_der(&b).ok())
            {
                Some(c) => out.extend(c),
                None => tracing::warn!(path = %p.display(), "master list anchor unreadable"),
            }
        }
        out
    }
}
