//! The gRPC service end to end over loopback: an in-process server (embedded defaults, the
//! virtual reader) and tonic clients. Every RPC, streaming reads and their cancellation, the
//! admin imports, health transitions, reflection, metrics, the audit log's privacy, limits,
//! and mTLS roles with certificates made here (rcgen).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::field_reassign_with_default
)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use inspectd::chip::{CardTransport, TransportError};
use inspectd::grpc::config::Config;
use inspectd::grpc::pb;
use inspectd::grpc::pb::admin_service_client::AdminServiceClient;
use inspectd::grpc::pb::inspection_service_client::InspectionServiceClient;
use inspectd::grpc::readers::{BoxTransport, ReaderBackend, VirtualBackend, VIRTUAL_READER};
use inspectd::grpc::server::{self, Running};
use inspectd::testkit::dataset::{synthetic_ca_passport, synthetic_signed_passport};
use inspectd::testkit::lds_gen::GenParams;
use inspectd::testkit::pki::unix;
use inspectd::testkit::VirtualChip;
use inspectd::transport::pcsc::{ReaderEvent, ReaderInfo};
use tokio_stream::StreamExt;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use tonic::Code;

const MRZ: &str =
    "P<UTOSPECIMEN<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nU123456784UTO8501019F3512311<<<<<<<<<<<<<<06";
const DOC: &str = "U12345678";

fn pki(f: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/pki")
            .join(f),
    )
    .unwrap()
}

/// A fixed clock inside the test PKI's validity (CRL fresh, document not expired).
fn clock() -> inspectd::grpc::service::Clock {
    Arc::new(|| unix(2026, 6, 1))
}

struct Env {
    _dir: tempfile::TempDir,
    root: PathBuf,
    running: Running,
}

impl Env {
    fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.running.addr.port())
    }
    async fn channel(&self) -> Channel {
        Channel::from_shared(self.url("http"))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }
    fn audit(&self) -> String {
        std::fs::read_to_string(self.root.join("audit.log")).unwrap_or_default()
    }
}

fn base_config(root: &Path) -> Config {
    let mut c = Config::default();
    c.listen = "127.0.0.1:0".parse().unwrap();
    c.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    c.insecure = true;
    c.trust_store = Some(root.join("trust"));
    c.watchlist = Some(root.join("watchlist").display().to_string());
    c.audit_log = Some(root.join("audit.log"));
    c.audit_key = Some(root.join("audit.key"));
    c
}

async fn start_with(
    tweak: impl FnOnce(&mut Config, &Path),
    backends: Vec<Arc<dyn ReaderBackend>>,
) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    std::fs::create_dir_all(root.join("trust")).unwrap();
    let mut c = base_config(&root);
    tweak(&mut c, &root);
    let running = server::start(c, backends, clock(), [7u8; 32])
        .await
        .unwrap();
    Env {
        _dir: dir,
        root,
        running,
    }
}

fn virtual_reader() -> Vec<Arc<dyn ReaderBackend>> {
    vec![Arc::new(VirtualBackend {
        name: VIRTUAL_READER.into(),
    })]
}

fn upload_trust(source: &str, bytes: Vec<u8>) -> Vec<pb::ImportTrustRequest> {
    let mut v = vec![pb::ImportTrustRequest {
        part: Some(pb::import_trust_request::Part::Metadata(
            pb::ImportTrustMetadata {
                source: source.into(),
                ..Default::default()
            },
        )),
    }];
    for c in bytes.chunks(700) {
        v.push(pb::ImportTrustRequest {
            part: Some(pb::import_trust_request::Part::Chunk(c.to_vec())),
        });
    }
    v
}

fn upload_watchlist(list: &str, csv: &str) -> Vec<pb::ImportWatchlistRequest> {
    upload_watchlist_as(list, csv, false)
}

fn upload_watchlist_as(list: &str, csv: &str, delta: bool) -> Vec<pb::ImportWatchlistRequest> {
    let mut v = vec![pb::ImportWatchlistRequest {
        part: Some(pb::import_watchlist_request::Part::Metadata(
            pb::ImportWatchlistMetadata {
                list: list.into(),
                strict: false,
                delta,
            },
        )),
    }];
    for c in csv.as_bytes().chunks(13) {
        v.push(pb::ImportWatchlistRequest {
            part: Some(pb::import_watchlist_request::Part::Chunk(c.to_vec())),
        });
    }
    v
}

const CSV_HEADER: &str = "issuing_state,document_type,document_number,status\n";

async fn import_test_pki(admin: &mut AdminServiceClient<Channel>) {
    let r = admin
        .import_trust(tokio_stream::iter(upload_trust(
            "csca-rsa.der",
            pki("csca-rsa.der"),
        )))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.cscas_added, 1);
    let r = admin
        .import_trust(tokio_stream::iter(upload_trust(
            "crl-rsa.der",
            pki("crl-rsa.der"),
        )))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.crls_added, 1);
}

async fn health(ch: Channel, service: &str) -> Result<i32, tonic::Status> {
    let mut h = tonic_health::pb::health_client::HealthClient::new(ch);
    h.check(tonic_health::pb::HealthCheckRequest {
        service: service.into(),
    })
    .await
    .map(|r| r.into_inner().status)
}

async fn wait_health(ch: &Channel, want: tonic_health::pb::health_check_response::ServingStatus) {
    for _ in 0..40 {
        if health(ch.clone(), "").await.ok() == Some(want as i32) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("health never became {want:?}");
}

fn read_request(mrz: &str) -> pb::ReadDocumentRequest {
    pb::ReadDocumentRequest {
        reader: VIRTUAL_READER.into(),
        access_key: Some(pb::AccessKey {
            key: Some(pb::access_key::Key::Mrz(mrz.into())),
        }),
        ..Default::default()
    }
}

/// Runs a streamed read to its end: the progress steps and the report.
async fn read_document(
    client: &mut InspectionServiceClient<Channel>,
    req: pb::ReadDocumentRequest,
) -> Result<(Vec<pb::ReadProgress>, pb::Report), tonic::Status> {
    let mut s = client.read_document(req).await?.into_inner();
    let mut progress = Vec::new();
    while let Some(m) = s.next().await {
        match m?.event {
            Some(pb::read_document_response::Event::Progress(p)) => progress.push(p),
            Some(pb::read_document_response::Event::Report(r)) => {
                assert!(s.next().await.is_none(), "the report is the last message");
                return Ok((progress, r));
            }
            None => panic!("empty event"),
        }
    }
    panic!("stream ended without a report")
}

fn check<'a>(r: &'a pb::Report, id: &str) -> &'a pb::Check {
    r.checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id} in {:?}", r.checks))
}

fn status(r: &pb::Report, id: &str) -> pb::CheckStatus {
    pb::CheckStatus::try_from(check(r, id).status).unwrap()
}

fn verdict(r: &pb::Report) -> pb::Verdict {
    pb::Verdict::try_from(r.verdict).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspection_flow_over_grpc() {
    use tonic_health::pb::health_check_response::ServingStatus;
    let env = start_with(|_, _| {}, virtual_reader()).await;
    let ch = env.channel().await;
    let mut insp = InspectionServiceClient::new(ch.clone());
    let mut admin = AdminServiceClient::new(ch.clone());

    // No CSCA yet: not ready, and a read is never valid.
    wait_health(&ch, ServingStatus::NotServing).await;
    let (_, r) = read_document(&mut insp, read_request(MRZ)).await.unwrap();
    assert_eq!(verdict(&r), pb::Verdict::Inconclusive, "{r:?}");

    // An empty watchlist store answers "unavailable", never "not listed".
    let e = insp
        .check_document(pb::CheckDocumentRequest {
            issuing_state: "UTO".into(),
            document_type: "P".into(),
            document_number: DOC.into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unavailable, "{e:?}");

    import_test_pki(&mut admin).await;
    wait_health(&ch, ServingStatus::Serving).await;
    let trust = admin
        .list_trust(pb::ListTrustRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(trust
        .entries
        .iter()
        .any(|e| e.kind == "csca" && e.source == "csca-rsa.der"));
    assert!(trust.entries.iter().any(|e| e.kind == "crl"));

    // Readers.
    let readers = insp
        .list_readers(pb::ListReadersRequest {})
        .await
        .unwrap()
        .into_inner()
        .readers;
    assert_eq!(readers.len(), 1);
    assert_eq!(readers[0].name, VIRTUAL_READER);
    assert_eq!(readers[0].state, pb::ReaderState::CardPresent as i32);
    let mut events = insp
        .watch_readers(pb::WatchReadersRequest {})
        .await
        .unwrap()
        .into_inner();
    let first = events.next().await.unwrap().unwrap();
    assert_eq!(first.kind, pb::ReaderEventKind::ReaderAdded as i32);
    drop(events);

    // Trusted now, but the configured watchlist holds nothing yet: it cannot say the document
    // is not listed, so the verdict is not valid.
    let (_, r) = read_document(&mut insp, read_request(MRZ)).await.unwrap();
    assert_eq!(verdict(&r), pb::Verdict::Inconclusive, "{r:?}");
    assert_eq!(status(&r, "watchlist"), pb::CheckStatus::NotPerformed);
    let csv = format!("{CSV_HEADER}UTO,P,X00000001,lost\n");
    admin
        .import_watchlist(tokio_stream::iter(upload_watchlist("national", &csv)))
        .await
        .unwrap();

    // The genuine chip: VALID, with its progress streamed.
    let (progress, r) = read_document(&mut insp, read_request(MRZ)).await.unwrap();
    assert_eq!(verdict(&r), pb::Verdict::Valid, "{r:?}");
    let steps: Vec<i32> = progress.iter().map(|p| p.step).collect();
    for want in [
        pb::ReadStep::WaitingForCard,
        pb::ReadStep::AccessControl,
        pb::ReadStep::ReadingFile,
        pb::ReadStep::ActiveAuthentication,
        pb::ReadStep::PassiveAuthentication,
    ] {
        assert!(steps.contains(&(want as i32)), "no {want:?} in {steps:?}");
    }
    assert!(progress.iter().any(|p| p.file == "EF.DG1"), "{progress:?}");
    assert!(progress
        .iter()
        .any(|p| p.file == "EF.DG2" && p.bytes_read > 0 && p.bytes_total > 20_000));
    assert_eq!(status(&r, "aa"), pb::CheckStatus::Passed);
    assert_eq!(status(&r, "ca"), pb::CheckStatus::Passed);
    assert_eq!(
        status(&r, "dg1.matches_printed_mrz"),
        pb::CheckStatus::Passed
    );
    assert_eq!(r.mrz.as_ref().unwrap().document_number, DOC);
    let stats = r.statistics.as_ref().unwrap();
    assert!(stats.apdus > 5 && stats.bytes_received > 1000, "{stats:?}");

    // A wrong printed MRZ (date of expiry off by one): the chip refuses access.
    let wrong = MRZ.replace("3512311", "3512300");
    let e = read_document(&mut insp, read_request(&wrong))
        .await
        .unwrap_err();
    assert_ne!(e.code(), Code::Ok);
    assert!(
        !e.message().contains(DOC),
        "status leaks the document number"
    );

    // Bad requests are refused before the chip is touched.
    let e = read_document(&mut insp, pb::ReadDocumentRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    let mut unknown = read_request(MRZ);
    unknown.reader = "no such reader".into();
    let e = read_document(&mut insp, unknown).await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);

    // The watchlist: the document is reported stolen; reads of it become INVALID.
    let csv = format!("{CSV_HEADER}UTO,P,{DOC},stolen\nUTO,P,X00000001,lost\nnot,a,row\n");
    let w = admin
        .import_watchlist(tokio_stream::iter(upload_watchlist("national", &csv)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(w.records_imported, 2);
    assert_eq!(w.rows_rejected, 1);
    assert_eq!(w.rejected[0].line, 4);
    let hit = insp
        .check_document(pb::CheckDocumentRequest {
            issuing_state: "UTO".into(),
            document_type: "P".into(),
            document_number: DOC.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .result
        .unwrap();
    assert!(hit.listed, "{hit:?}");
    let miss = insp
        .check_document(pb::CheckDocumentRequest {
            issuing_state: "UTO".into(),
            document_type: "P".into(),
            document_number: "X00000002".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .result
        .unwrap();
    assert!(!miss.listed);
    let (_, r) = read_document(&mut insp, read_request(MRZ)).await.unwrap();
    assert_eq!(verdict(&r), pb::Verdict::Invalid);
    assert_eq!(status(&r, "watchlist"), pb::CheckStatus::Failed);

    // A delta takes one document off the list and adds another; the rest stays.
    let delta = format!("issuing_state,document_type,document_number,status,action\nUTO,P,{DOC},,remove\nUTO,P,X00000003,lost,add\n");
    let d = admin
        .import_watchlist(tokio_stream::iter(upload_watchlist_as(
            "national", &delta, true,
        )))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((d.records_imported, d.records_removed), (1, 1), "{d:?}");
    let listed = |n: &'static str| {
        let mut insp = insp.clone();
        async move {
            insp.check_document(pb::CheckDocumentRequest {
                issuing_state: "UTO".into(),
                document_type: "P".into(),
                document_number: n.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .result
            .unwrap()
            .listed
        }
    };
    assert!(!listed(DOC).await);
    assert!(listed("X00000003").await);
    assert!(listed("X00000001").await);

    let status = admin
        .get_status(pb::GetStatusRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.cscas, 1);
    assert_eq!(status.crls, 1);
    assert_eq!(
        status.watchlist_records, 2,
        "after the delta: X00000001 and X00000003"
    );
    assert_eq!(status.watchlists[0].list, "national");

    // The audit log: every call, and no personal data.
    let audit = env.audit();
    for method in ["ImportTrust", "ReadDocument", "CheckDocument", "GetStatus"] {
        assert!(audit.contains(method), "no {method} in the audit log");
    }
    for personal in [DOC, "SPECIMEN", "ANNA", "850101", "X00000001"] {
        assert!(!audit.contains(personal), "audit log holds {personal}");
    }
    assert!(audit.contains("\"verdict\":\"invalid\""));

    // Metrics.
    let metrics = http_get(env.running.metrics_addr.unwrap(), "/metrics").await;
    assert!(
        metrics.contains("inspectd_grpc_requests_total"),
        "{metrics}"
    );
    assert!(metrics.contains("ReadDocument"));
    assert!(
        metrics.contains("inspectd_inspections_total{verdict=\"valid\"} 1"),
        "{metrics}"
    );

    env.running.shutdown(Duration::from_secs(2)).await;
}

async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

/// The chip files of the synthetic passport, as a reader elsewhere would send them.
fn passport_files() -> Vec<pb::ChipFile> {
    use inspectd::lds::FileId;
    let p = synthetic_ca_passport(GenParams::default()).unwrap();
    [FileId::Com, FileId::Sod]
        .into_iter()
        .chain((1..=16).filter_map(FileId::data_group))
        .filter_map(|id| {
            Some(pb::ChipFile {
                name: id.name().into(),
                content: p.app_files.get(&id.fid())?.clone(),
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_verification() {
    let env = start_with(|_, _| {}, virtual_reader()).await;
    let ch = env.channel().await;
    let mut insp = InspectionServiceClient::new(ch.clone());
    import_test_pki(&mut AdminServiceClient::new(ch.clone())).await;

    let files = passport_files();
    assert!(
        files.iter().any(|f| f.name == "EF.SOD"),
        "{:?}",
        files.iter().map(|f| &f.name).collect::<Vec<_>>()
    );
    let req = |files: Vec<pb::ChipFile>| pb::VerifyDocumentRequest {
        files,
        printed: Some(pb::verify_document_request::Printed::Mrz(MRZ.into())),
        ..Default::default()
    };
    // Genuine files, but no Active Authentication possible offline: PA passes, the verdict
    // stays inconclusive (a clone would look the same).
    let r = insp
        .verify_document(req(files.clone()))
        .await
        .unwrap()
        .into_inner()
        .report
        .unwrap();
    assert_eq!(verdict(&r), pb::Verdict::Inconclusive, "{r:?}");
    assert!(r
        .checks
        .iter()
        .filter(|c| c.id.starts_with("pa."))
        .all(|c| c.status != pb::CheckStatus::Failed as i32));
    assert_eq!(status(&r, "aa"), pb::CheckStatus::NotPerformed);

    // One byte of DG1 changed: INVALID.
    let mut tampered = files.clone();
    let dg1 = tampered.iter_mut().find(|f| f.name == "EF.DG1").unwrap();
    let last = dg1.content.len() - 3;
    dg1.content[last] ^= 0x01;
    let r = insp
        .verify_document(req(tampered))
        .await
        .unwrap()
        .into_inner()
        .report
        .unwrap();
    assert_eq!(verdict(&r), pb::Verdict::Invalid);

    // A file named twice or an unknown name is a request error.
    let mut twice = files.clone();
    twice.push(files[0].clone());
    let e = insp.verify_document(req(twice)).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    let e = insp
        .verify_document(req(vec![pb::ChipFile {
            name: "DG99".into(),
            content: vec![1],
        }]))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    env.running.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_lists_the_services() {
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    let env = start_with(|_, _| {}, virtual_reader()).await;
    let mut c = ServerReflectionClient::new(env.channel().await);
    let mut s = c
        .server_reflection_info(tokio_stream::iter(vec![ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        }]))
        .await
        .unwrap()
        .into_inner();
    let resp = s.next().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(l)) = resp.message_response else {
        panic!("{resp:?}")
    };
    let names: Vec<String> = l.service.into_iter().map(|s| s.name).collect();
    for want in [
        "inspectd.v1.InspectionService",
        "inspectd.v1.AdminService",
        "grpc.health.v1.Health",
    ] {
        assert!(names.iter().any(|n| n == want), "{names:?}");
    }
    env.running.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_rate_and_message_size() {
    let env = start_with(
        |c, _| {
            c.limits.rate_per_second = 0.5;
            c.limits.rate_burst = 3.0;
            c.limits.max_message_bytes = 64 * 1024;
        },
        virtual_reader(),
    )
    .await;
    let ch = env.channel().await;
    let mut insp = InspectionServiceClient::new(ch);
    // Too large a request: refused by size, before any work.
    let e = insp
        .verify_document(pb::VerifyDocumentRequest {
            files: vec![pb::ChipFile {
                name: "EF.DG2".into(),
                content: vec![0u8; 100 * 1024],
            }],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::OutOfRange, "{e:?}");
    // Three calls in the bucket, the fourth is refused.
    let mut codes = Vec::new();
    for _ in 0..4 {
        let r = insp.list_readers(pb::ListReadersRequest {}).await;
        codes.push(r.err().map(|e| e.code()));
    }
    assert_eq!(codes, vec![None, None, None, Some(Code::ResourceExhausted)]);
    env.running.shutdown(Duration::from_secs(2)).await;
}

/// A reader whose chip answers slowly and counts the APDUs it gets.
struct SlowBackend {
    apdus: Arc<AtomicUsize>,
    delay: Duration,
    profile: fn() -> inspectd::testkit::virtual_chip::ChipProfile,
}

struct SlowChip {
    chip: VirtualChip,
    apdus: Arc<AtomicUsize>,
    delay: Duration,
}

impl CardTransport for SlowChip {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        std::thread::sleep(self.delay);
        self.apdus.fetch_add(1, Ordering::SeqCst);
        self.chip.transmit(command)
    }
}

impl ReaderBackend for SlowBackend {
    fn list(&self) -> Result<Vec<ReaderInfo>, TransportError> {
        Ok(vec![ReaderInfo {
            name: "slow".into(),
            card_present: true,
            atr: None,
        }])
    }
    fn connect(&self, _reader: &str, _wait: Duration) -> Result<BoxTransport, TransportError> {
        Ok(Box::new(SlowChip {
            chip: VirtualChip::new((self.profile)(), 1),
            apdus: Arc::clone(&self.apdus),
            delay: self.delay,
        }))
    }
    fn watch(&self, running: &dyn Fn() -> bool, _on: &mut dyn FnMut(ReaderEvent) -> bool) {
        while running() {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A service whose only reader holds a slow chip (15 ms per APDU) counting into `apdus`.
async fn slow_reader_env(tweak: impl FnOnce(&mut Config, &Path), apdus: &Arc<AtomicUsize>) -> Env {
    start_with(
        tweak,
        vec![Arc::new(SlowBackend {
            apdus: Arc::clone(apdus),
            delay: Duration::from_millis(15),
            profile: || synthetic_ca_passport(GenParams::default()).unwrap(),
        })],
    )
    .await
}

/// Reads a ReadDocument stream until files are being read.
async fn wait_reading_files(s: &mut tonic::Streaming<pb::ReadDocumentResponse>) {
    loop {
        let m = s.next().await.unwrap().unwrap();
        if let Some(pb::read_document_response::Event::Progress(p)) = m.event {
            if p.step == pb::ReadStep::ReadingFile as i32 {
                break;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_read_stops_the_chip_and_frees_the_reader() {
    let apdus = Arc::new(AtomicUsize::new(0));
    let env = slow_reader_env(|_, _| {}, &apdus).await;
    let mut insp = InspectionServiceClient::new(env.channel().await);
    let mut req = read_request(MRZ);
    req.reader = String::new(); // the only reader with a card
    let mut s = insp.read_document(req.clone()).await.unwrap().into_inner();
    // Wait until files are being read.
    wait_reading_files(&mut s).await;
    // The reader is busy meanwhile.
    let e = read_document(&mut insp, req.clone()).await.unwrap_err();
    assert_eq!(e.code(), Code::Unavailable, "{e:?}");
    drop(s);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let at_cancel = apdus.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        apdus.load(Ordering::SeqCst) <= at_cancel + 1,
        "the chip is still being read after the client went away"
    );
    // The reader is free again: a whole read succeeds.
    let (_, r) = read_document(&mut insp, req).await.unwrap();
    assert_eq!(verdict(&r), pb::Verdict::Inconclusive);
    env.running.shutdown(Duration::from_secs(2)).await;
}

// ---- mTLS ----

struct Pki {
    ca_pem: String,
    server: (String, String),
    terminal: (String, String),
    admin: (String, String),
    no_role: (String, String),
    rogue: (String, String),
}

fn make_pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "inspectd test operator CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let leaf = |sans: Vec<String>, cn: &str, ou: Option<&str>, issuer: &Issuer<'_, KeyPair>| {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(sans).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        if let Some(ou) = ou {
            p.distinguished_name
                .push(DnType::OrganizationalUnitName, ou);
        }
        let c = p.signed_by(&key, issuer).unwrap();
        (c.pem(), key.serialize_pem())
    };
    let rogue_key = KeyPair::generate().unwrap();
    let mut rogue_ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    rogue_ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    rogue_ca
        .distinguished_name
        .push(DnType::CommonName, "inspectd test operator CA");
    let rogue_issuer = Issuer::new(rogue_ca, rogue_key);
    Pki {
        ca_pem: ca_cert.pem(),
        server: leaf(vec!["localhost".into()], "inspectd", None, &issuer),
        terminal: leaf(vec![], "gate-07", Some("terminal"), &issuer),
        admin: leaf(vec![], "ops-1", Some("admin"), &issuer),
        no_role: leaf(vec![], "gate-08", None, &issuer),
        rogue: leaf(vec![], "gate-09", Some("admin"), &rogue_issuer),
    }
}

async fn tls_channel(
    env: &Env,
    ca: &str,
    id: Option<&(String, String)>,
) -> Result<Channel, String> {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca))
        .domain_name("localhost");
    if let Some((c, k)) = id {
        tls = tls.identity(Identity::from_pem(c, k));
    }
    Channel::from_shared(env.url("https"))
        .unwrap()
        .tls_config(tls)
        .map_err(|e| e.to_string())?
        .connect()
        .await
        .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_roles() {
    let pki = make_pki();
    let env = start_with(
        |c, root| {
            c.insecure = false;
            std::fs::write(root.join("server.pem"), &pki.server.0).unwrap();
            std::fs::write(root.join("server.key"), &pki.server.1).unwrap();
            std::fs::write(root.join("ca.pem"), &pki.ca_pem).unwrap();
            c.tls_cert = Some(root.join("server.pem"));
            c.tls_key = Some(root.join("server.key"));
            c.client_ca = Some(root.join("ca.pem"));
        },
        virtual_reader(),
    )
    .await;

    // A terminal may inspect, not administer.
    let ch = tls_channel(&env, &pki.ca_pem, Some(&pki.terminal))
        .await
        .unwrap();
    let r = InspectionServiceClient::new(ch.clone())
        .list_readers(pb::ListReadersRequest {})
        .await;
    assert!(r.is_ok(), "{r:?}");
    let e = AdminServiceClient::new(ch)
        .get_status(pb::GetStatusRequest {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);

    // An admin may.
    let ch = tls_channel(&env, &pki.ca_pem, Some(&pki.admin))
        .await
        .unwrap();
    let s = AdminServiceClient::new(ch)
        .get_status(pb::GetStatusRequest {})
        .await;
    assert!(s.is_ok(), "{s:?}");

    // A certificate of the operator CA without a role: refused.
    let ch = tls_channel(&env, &pki.ca_pem, Some(&pki.no_role))
        .await
        .unwrap();
    let e = InspectionServiceClient::new(ch)
        .list_readers(pb::ListReadersRequest {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);

    // No certificate, or one from another CA: the TLS handshake fails.
    for id in [None, Some(&pki.rogue)] {
        let r = match tls_channel(&env, &pki.ca_pem, id).await {
            Err(_) => Err(()),
            Ok(ch) => InspectionServiceClient::new(ch)
                .list_readers(pb::ListReadersRequest {})
                .await
                .map(|_| ())
                .map_err(|_| ()),
        };
        assert!(r.is_err(), "a client without a valid certificate got in");
    }

    // The audit log names the terminals by certificate CN.
    let audit = env.audit();
    assert!(audit.contains("gate-07") && audit.contains("ops-1"));
    env.running.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chip_that_fails_the_chip_authentication_its_dg14_announces_is_invalid() {
    // The files are genuine (PA passes), but the chip cannot prove the DG14 key: a clone.
    let env = start_with(
        |_, _| {},
        vec![Arc::new(SlowBackend {
            apdus: Arc::new(AtomicUsize::new(0)),
            delay: Duration::ZERO,
            profile: || synthetic_signed_passport(GenParams::default()),
        })],
    )
    .await;
    let ch = env.channel().await;
    import_test_pki(&mut AdminServiceClient::new(ch.clone())).await;
    let mut insp = InspectionServiceClient::new(ch);
    let mut req = read_request(MRZ);
    req.reader = "slow".into();
    let (_, r) = read_document(&mut insp, req).await.unwrap();
    assert_eq!(verdict(&r), pb::Verdict::Invalid, "{r:?}");
    assert_eq!(status(&r, "ca"), pb::CheckStatus::Failed);
    // Access control was restarted after the failed CA, so AA ran and passed on its own.
    assert_eq!(status(&r, "aa"), pb::CheckStatus::Passed);
    assert_eq!(status(&r, "pa.dg_hashes"), pb::CheckStatus::Passed);
    env.running.shutdown(Duration::from_secs(2)).await;
}

#[path = "common/pg.rs"]
mod pg;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_watchlist_behind_the_service() {
    let Some(url) = tokio::task::block_in_place(|| pg::database("grpc_e2e")) else {
        return;
    };
    let env = start_with(move |c, _| c.watchlist = Some(url), virtual_reader()).await;
    let ch = env.channel().await;
    let mut admin = AdminServiceClient::new(ch.clone());
    let mut insp = InspectionServiceClient::new(ch);
    import_test_pki(&mut admin).await;
    let csv = format!("{CSV_HEADER}UTO,P,{DOC},stolen\nUTO,P,X00000001,lost\n");
    let w = admin
        .import_watchlist(tokio_stream::iter(upload_watchlist("sltd", &csv)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(w.records_imported, 2);
    let hit = insp
        .check_document(pb::CheckDocumentRequest {
            issuing_state: "UTO".into(),
            document_type: "P".into(),
            document_number: DOC.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .result
        .unwrap();
    assert!(hit.listed);
    let (_, r) = read_document(&mut insp, read_request(MRZ)).await.unwrap();
    assert_eq!(verdict(&r), pb::Verdict::Invalid);
    assert_eq!(status(&r, "watchlist"), pb::CheckStatus::Failed);
    let s = admin
        .get_status(pb::GetStatusRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(s.watchlist_records, 2);
    let delta =
        format!("issuing_state,document_type,document_number,status,action\nUTO,P,{DOC},,remove\n");
    let d = admin
        .import_watchlist(tokio_stream::iter(upload_watchlist_as(
            "sltd", &delta, true,
        )))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(d.records_removed, 1, "{d:?}");
    let (_, r) = read_document(&mut insp, read_request(MRZ)).await.unwrap();
    assert_eq!(status(&r, "watchlist"), pb::CheckStatus::Passed);
    env.running.shutdown(Duration::from_secs(2)).await;
}

/// Upsert, replace and delete one record through AdminService; `check` sees each step.
async fn single_record_updates(env: &Env) {
    let ch = env.channel().await;
    let mut admin = AdminServiceClient::new(ch.clone());
    let mut insp = InspectionServiceClient::new(ch);
    let lookup = |insp: &mut InspectionServiceClient<Channel>| {
        let mut insp = insp.clone();
        async move {
            insp.check_document(pb::CheckDocumentRequest {
                issuing_state: "UTO".into(),
                document_type: "P".into(),
                document_number: "C01X00T47".into(),
            })
            .await
            .unwrap()
            .into_inner()
            .result
            .unwrap()
        }
    };
    let upsert = |status: &str, reference: &str| pb::UpsertWatchlistRecordRequest {
        list: "national".into(),
        record: Some(pb::WatchlistRecordInput {
            issuing_state: "UTO".into(),
            document_type: "P".into(),
            document_number: "C01X00T47".into(),
            status: status.into(),
            reference: reference.into(),
            ..pb::WatchlistRecordInput::default()
        }),
    };
    let csv = format!("{CSV_HEADER}UTO,P,X00000001,lost\n");
    admin
        .import_watchlist(tokio_stream::iter(upload_watchlist("sltd", &csv)))
        .await
        .unwrap();
    assert!(!lookup(&mut insp).await.listed);
    // A reference with a comma and a quote stays one field (no row or column injection).
    admin
        .upsert_watchlist_record(upsert("lost", "case 1, \"A\""))
        .await
        .unwrap();
    let r = lookup(&mut insp).await;
    assert!(r.listed);
    assert_eq!(r.records.len(), 1);
    assert_eq!(r.records[0].status, "lost");
    assert_eq!(r.records[0].reference, "case 1, \"A\"");
    // The same key again replaces the record: still one, now stolen.
    admin
        .upsert_watchlist_record(upsert("stolen", "case 2"))
        .await
        .unwrap();
    let r = lookup(&mut insp).await;
    assert_eq!(r.records.len(), 1, "{r:?}");
    assert_eq!(r.records[0].status, "stolen");
    // Bad input is refused as such, and changes nothing.
    let e = admin
        .upsert_watchlist_record(upsert("misplaced", ""))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    let mut bad = upsert("lost", "");
    bad.list = "no/slashes".into();
    let e = admin.upsert_watchlist_record(bad).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(lookup(&mut insp).await.records[0].status, "stolen");
    admin
        .delete_watchlist_record(pb::DeleteWatchlistRecordRequest {
            list: "national".into(),
            issuing_state: "UTO".into(),
            document_type: "P".into(),
            document_number: "C01X00T47".into(),
        })
        .await
        .unwrap();
    assert!(!lookup(&mut insp).await.listed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_record_upsert_and_delete_embedded() {
    let env = start_with(|_, _| {}, virtual_reader()).await;
    single_record_updates(&env).await;
    env.running.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_record_upsert_and_delete_postgresql() {
    let Some(url) = tokio::task::block_in_place(|| pg::database("grpc_e2e_single")) else {
        return;
    };
    let env = start_with(move |c, _| c.watchlist = Some(url), virtual_reader()).await;
    single_record_updates(&env).await;
    env.running.shutdown(Duration::from_secs(2)).await;
}

/// The PACE-CAM passport (as `inspectd sim --profile pace-cam`): EF.CardSecurity signed by the
/// test DS, Chip and Active Authentication.
fn pace_cam_chip() -> inspectd::testkit::virtual_chip::ChipProfile {
    inspectd::testkit::dataset::synthetic_pace_ca_passport(
        GenParams::default(),
        &[("0.4.0.127.0.7.2.2.4.6.2", 13)],
    )
    .unwrap()
}

/// The same with one byte of EF.CardSecurity's signed SecurityInfos changed (the PACEInfo
/// parameterId, so CAM itself still verifies).
fn pace_cam_chip_tampered_card_security() -> inspectd::testkit::virtual_chip::ChipProfile {
    let mut p = pace_cam_chip();
    let fid = inspectd::lds::FileId::CardSecurity.fid();
    let pace = inspectd::testkit::lds_gen::pace_info("0.4.0.127.0.7.2.2.4.6.2", 2, Some(13));
    let cs = p.mf_files.get_mut(&fid).unwrap();
    let at = cs
        .windows(pace.len())
        .position(|w| w == pace.as_slice())
        .unwrap()
        + pace.len()
        - 1;
    cs[at] ^= 0x01;
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pace_cam_counts_only_with_a_valid_ef_card_security() {
    for (profile, want) in [
        (
            pace_cam_chip as fn() -> inspectd::testkit::virtual_chip::ChipProfile,
            pb::Verdict::Valid,
        ),
        (pace_cam_chip_tampered_card_security, pb::Verdict::Invalid),
    ] {
        let env = start_with(
            |_, _| {},
            vec![Arc::new(SlowBackend {
                apdus: Arc::new(AtomicUsize::new(0)),
                delay: Duration::ZERO,
                profile,
            })],
        )
        .await;
        let ch = env.channel().await;
        let mut admin = AdminServiceClient::new(ch.clone());
        import_test_pki(&mut admin).await;
        // A watchlist that does not list the document (an unanswered one keeps it inconclusive).
        let csv = format!("{CSV_HEADER}UTO,P,X00000001,lost\n");
        admin
            .import_watchlist(tokio_stream::iter(upload_watchlist("national", &csv)))
            .await
            .unwrap();
        let mut insp = InspectionServiceClient::new(ch);
        let mut req = read_request(MRZ);
        req.reader = "slow".into();
        let (_, r) = read_document(&mut insp, req).await.unwrap();
        assert_eq!(r.access_protocol, "pace");
        assert_eq!(verdict(&r), want, "{r:?}");
        let (cs, ca) = if want == pb::Verdict::Valid {
            (pb::CheckStatus::Passed, pb::CheckStatus::Passed)
        } else {
            (pb::CheckStatus::Failed, pb::CheckStatus::Failed)
        };
        assert_eq!(status(&r, "pa.card_security"), cs, "{r:?}");
        assert_eq!(status(&r, "ca"), ca, "{r:?}");
        assert!(check(&r, "ca").reason.starts_with("PACE-CAM: "));
        assert_eq!(status(&r, "pa.dg_hashes"), pb::CheckStatus::Passed);
        env.running.shutdown(Duration::from_secs(2)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_read_holds_its_terminal_concurrency_permit_until_it_ends() {
    let apdus = Arc::new(AtomicUsize::new(0));
    let env = slow_reader_env(|c, _| c.limits.concurrent_per_terminal = 1, &apdus).await;
    let mut insp = InspectionServiceClient::new(env.channel().await);
    let mut req = read_request(MRZ);
    req.reader = String::new();
    let mut s = insp.read_document(req.clone()).await.unwrap().into_inner();
    wait_reading_files(&mut s).await;
    // While the chip is being read, the same terminal's next call is over its limit of one.
    let e = insp
        .check_document(pb::CheckDocumentRequest {
            issuing_state: "UTO".into(),
            document_type: "P".into(),
            document_number: DOC.into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::ResourceExhausted, "{e:?}");
    // Once the read has ended, the permit is back.
    while s.next().await.is_some() {}
    tokio::time::sleep(Duration::from_millis(100)).await;
    let r = insp
        .check_document(pb::CheckDocumentRequest {
            issuing_state: "UTO".into(),
            document_type: "P".into(),
            document_number: DOC.into(),
        })
        .await;
    assert!(
        !matches!(&r, Err(e) if e.code() == Code::ResourceExhausted),
        "{r:?}"
    );
    env.running.shutdown(Duration::from_secs(2)).await;
}
