//! Load on the gRPC service over loopback: an in-process server (embedded watchlist of
//! `GRPC_LOAD_RECORDS` synthetic records, default 10 000 000; the test PKI's CSCA) and tonic
//! clients in the same process, `GRPC_LOAD_CONCURRENCY` requests in flight (default 64) over 4
//! HTTP/2 connections for `GRPC_LOAD_SECONDS` (default 10) per RPC. Reports requests/s and
//! p50/p99/max latency for CheckDocument (half hits, half misses) and VerifyDocument (the
//! synthetic passport's files: RSA-2048 DS, RSA CSCA). Client and server share the machine's
//! cores, so the figures are a floor for a dedicated server. `GRPC_LOAD_RPCS=check` (or
//! `verify`) runs one of the two; `GRPC_LOAD_AUDIT=1` writes the audit log as production does.
//!
//! `cargo bench --bench grpc_load`; under `cargo test` (no `--bench`) it runs a tiny smoke load.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::field_reassign_with_default
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use inspectd::grpc::config::Config;
use inspectd::grpc::pb;
use inspectd::grpc::pb::admin_service_client::AdminServiceClient;
use inspectd::grpc::pb::inspection_service_client::InspectionServiceClient;
use inspectd::grpc::server;
use inspectd::lds::FileId;
use inspectd::testkit::dataset::synthetic_ca_passport;
use inspectd::testkit::lds_gen::GenParams;
use inspectd::watchlist::{synth, Store};
use tonic::transport::Channel;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const MRZ: &str =
    "P<UTOSPECIMEN<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nU123456784UTO8501019F3512311<<<<<<<<<<<<<<06";

struct Load {
    requests: u64,
    errors: u64,
    elapsed: Duration,
    lat: Vec<Duration>,
}

impl Load {
    fn row(&mut self, name: &str) {
        self.lat.sort();
        let pct = |p: f64| {
            let i = ((self.lat.len() as f64 - 1.0) * p).round() as usize;
            self.lat.get(i).copied().unwrap_or_default()
        };
        println!(
            "| {name} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
            self.requests as f64 / self.elapsed.as_secs_f64(),
            pct(0.5).as_secs_f64() * 1e3,
            pct(0.99).as_secs_f64() * 1e3,
            self.lat.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
            self.errors
        );
    }
}

async fn run<F, Fut>(channels: &[Channel], concurrency: usize, dur: Duration, f: F) -> Load
where
    F: Fn(Channel, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let f = Arc::new(f);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let ch = channels[t % channels.len()].clone();
        let f = Arc::clone(&f);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0u64;
            let mut i = t as u64;
            while start.elapsed() < dur {
                let t0 = Instant::now();
                if !f(ch.clone(), i).await {
                    errors += 1;
                }
                lat.push(t0.elapsed());
                i += concurrency as u64;
            }
            (lat, errors)
        }));
    }
    let mut load = Load {
        requests: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        lat: Vec::new(),
    };
    for t in tasks {
        let (lat, errors) = t.await.unwrap();
        load.requests += lat.len() as u64;
        load.errors += errors;
        load.lat.extend(lat);
    }
    load.elapsed = start.elapsed();
    load
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let records = env("GRPC_LOAD_RECORDS", if bench { 10_000_000 } else { 10_000 });
    let concurrency = env("GRPC_LOAD_CONCURRENCY", 64) as usize;
    let secs = env("GRPC_LOAD_SECONDS", if bench { 10 } else { 0 });
    let dur = if secs == 0 {
        Duration::from_millis(300)
    } else {
        Duration::from_secs(secs)
    };

    let dir = tempfile::tempdir().unwrap();
    let wl = dir.path().join("watchlist");
    let t = Instant::now();
    Store::import_records(
        &wl,
        "synthetic",
        synth::generate(records, 42),
        1_700_000_000,
    )
    .unwrap();
    eprintln!(
        "watchlist: {records} records imported in {:.1?}",
        t.elapsed()
    );
    // Query documents: the even ones are listed (taken from the generated list), the odd ones
    // are not (same states, numbers the generator does not produce).
    let listed: Vec<(String, String, String)> = synth::generate(records, 42)
        .step_by((records / 4096).max(1) as usize)
        .take(4096)
        .map(|r| {
            (
                r.issuing_state.clone(),
                r.document_type.as_str().to_string(),
                r.document_number.clone(),
            )
        })
        .collect();
    let listed = Arc::new(listed);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let mut c = Config::default();
        c.listen = "127.0.0.1:0".parse().unwrap();
        c.insecure = true;
        c.trust_store = Some(dir.path().join("trust"));
        c.watchlist = Some(wl.display().to_string());
        c.limits.rate_per_second = 1e9;
        c.limits.rate_burst = 1e9;
        c.limits.concurrent_per_terminal = 100_000;
        // GRPC_LOAD_AUDIT=1: every call also appends its audit record, as in production.
        if env("GRPC_LOAD_AUDIT", 0) == 1 {
            c.audit_log = Some(dir.path().join("audit.jsonl"));
            c.audit_key = Some(dir.path().join("audit.key"));
        }
        std::fs::create_dir_all(dir.path().join("trust")).unwrap();
        let clock: inspectd::grpc::service::Clock =
            Arc::new(|| inspectd::testkit::pki::unix(2026, 6, 1));
        let running = server::start(c, Vec::new(), clock, [1; 32]).await.unwrap();
        let url = format!("http://{}", running.addr);
        let mut channels = Vec::new();
        for _ in 0..4 {
            channels.push(
                Channel::from_shared(url.clone())
                    .unwrap()
                    .tcp_nodelay(true)
                    .connect()
                    .await
                    .unwrap(),
            );
        }
        let csca = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/pki/csca-rsa.der"),
        )
        .unwrap();
        AdminServiceClient::new(channels[0].clone())
            .import_trust(tokio_stream::iter(vec![
                pb::ImportTrustRequest {
                    part: Some(pb::import_trust_request::Part::Metadata(
                        pb::ImportTrustMetadata::default(),
                    )),
                },
                pb::ImportTrustRequest {
                    part: Some(pb::import_trust_request::Part::Chunk(csca)),
                },
            ]))
            .await
            .unwrap();

        println!("| RPC | requests/s | p50 ms | p99 ms | max ms | errors |");
        println!("| --- | --- | --- | --- | --- | --- |");
        let rpcs = std::env::var("GRPC_LOAD_RPCS").unwrap_or_else(|_| "check,verify".into());
        let mut errors = 0;
        if rpcs.contains("check") {
        let l = Arc::clone(&listed);
        let mut check = run(&channels, concurrency, dur, move |ch, i| {
            let (s, t, n) = l[(i as usize / 2) % l.len()].clone();
            let hit = i % 2 == 0;
            async move {
                let r = InspectionServiceClient::new(ch)
                    .check_document(pb::CheckDocumentRequest {
                        issuing_state: s,
                        document_type: t,
                        // A miss: a number of a shape the generator never makes.
                        document_number: if hit { n } else { format!("Q{i:08}") },
                    })
                    .await;
                matches!(r, Ok(r) if r.get_ref().result.as_ref().is_some_and(|x| x.listed == hit))
            }
        })
        .await;
        check.row(&format!("CheckDocument ({records} records)"));
        errors += check.errors;
        }
        if rpcs.contains("verify") {

        let p = synthetic_ca_passport(GenParams::default()).unwrap();
        let files: Vec<pb::ChipFile> = [FileId::Com, FileId::Sod]
            .into_iter()
            .chain((1..=16).filter_map(FileId::data_group))
            .filter_map(|id| {
                Some(pb::ChipFile {
                    name: id.name().into(),
                    content: p.app_files.get(&id.fid())?.clone(),
                })
            })
            .collect();
        let files = Arc::new(files);
        let mut verify = run(&channels, concurrency, dur, move |ch, _| {
            let req = pb::VerifyDocumentRequest {
                files: files.as_ref().clone(),
                printed: Some(pb::verify_document_request::Printed::Mrz(MRZ.into())),
                ..Default::default()
            };
            async move {
                let r = InspectionServiceClient::new(ch).verify_document(req).await;
                // Without AA offline the verdict is inconclusive; PA must have passed.
                matches!(r, Ok(r) if r.get_ref().report.as_ref().is_some_and(|rep| rep
                    .checks
                    .iter()
                    .any(|c| c.id == "pa.sod_signature" && c.status == pb::CheckStatus::Passed as i32)))
            }
        })
        .await;
        verify.row("VerifyDocument (RSA-2048 DS, 26 KB DG2)");
        errors += verify.errors;
        }
        assert_eq!(errors, 0, "requests failed under load");
        running.shutdown(Duration::from_secs(1)).await;
    });
}
