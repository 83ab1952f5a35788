//! Starting and stopping the server: listeners, TLS/mTLS, health, reflection, metrics,
//! graceful shutdown.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};

use super::audit::AuditLog;
use super::auth::Limiter;
use super::config::Config;
use super::metrics::Metrics;
use super::pb;
use super::readers::{ReaderBackend, Readers};
use super::service::{AdminApi, Clock, InspectionApi, State};
use crate::inspection::AssessPolicy;

/// Why the server could not start.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] super::config::ConfigError),
    /// A file (TLS material, audit log) could not be read.
    #[error("{path}: {source}")]
    Io {
        /// File or address.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Audit log setup.
    #[error(transparent)]
    Audit(#[from] super::audit::AuditError),
    /// Trust store or watchlist unusable.
    #[error(transparent)]
    Service(#[from] super::error::ServiceError),
    /// tonic refused the setup (TLS material, reflection descriptors).
    #[error("server setup: {0}")]
    Setup(String),
}

/// A running server.
pub struct Running {
    /// The gRPC address bound.
    pub addr: SocketAddr,
    /// The metrics address bound.
    pub metrics_addr: Option<SocketAddr>,
    /// Shared state (reload, readiness).
    pub state: Arc<State>,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
}

impl Running {
    /// Graceful shutdown: stops accepting, cancels chip reads between two APDUs, waits for
    /// in-flight calls up to `grace`.
    pub async fn shutdown(mut self, grace: Duration) {
        self.state.shutting_down.store(true, Ordering::Relaxed);
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = tokio::time::timeout(grace, &mut self.task).await;
        self.task.abort();
    }
}

fn read(p: &std::path::Path) -> Result<Vec<u8>, ServeError> {
    std::fs::read(p).map_err(|source| ServeError::Io {
        path: p.display().to_string(),
        source,
    })
}

/// Binds the listeners and starts serving. `backends` supply the readers; `clock` is the
/// wall clock (Unix seconds); `audit_key` seeds a new audit key file.
pub async fn start(
    config: Config,
    backends: Vec<Arc<dyn ReaderBackend>>,
    clock: Clock,
    audit_key: [u8; 32],
) -> Result<Running, ServeError> {
    config.validate()?;
    if config.insecure {
        tracing::warn!(
            "INSECURE: serving plain-text gRPC without TLS or client authentication; every caller is treated as the local operator. Local development only."
        );
        eprintln!(
            "inspectd serve: WARNING: --insecure: plain-text gRPC, no client authentication, every caller is admin. Local development only."
        );
    }
    let metrics = Arc::new(Metrics::new().map_err(|e| ServeError::Setup(e.to_string()))?);
    let audit = AuditLog::open(
        config.audit_log.as_deref(),
        config.audit_key.as_deref(),
        audit_key,
    )?;
    let terminal = match &config.terminal_key {
        Some(key) => Some(
            crate::chip::ta::TerminalCredentials::load(&config.terminal_chain, key)
                .map_err(|e| ServeError::Setup(format!("terminal credentials: {e}")))?,
        ),
        None => None,
    };
    let trust = State::load_trust(&config)?;
    let watchlist = State::load_watchlist(&config)?;
    let mut policy = AssessPolicy::default();
    policy.pa.min_rsa_bits = config.policy.min_rsa_bits;
    policy.require_chip_authentication = config.policy.require_chip_authentication;
    policy.require_terminal_authentication = config.policy.require_terminal_authentication;
    policy.report_possible_matches = config.policy.report_possible_matches;
    policy.pa.ds_validity = config.policy.ds_validity;
    policy.pa.sha1 = config.policy.sha1;
    let limiter = Limiter::new(
        config.limits.rate_per_second,
        config.limits.rate_burst,
        config.limits.concurrent_per_terminal,
    );
    let mtls = config.client_ca.is_some();
    let client_auth = if mtls {
        super::auth::ClientAuth::Mutual
    } else if config.insecure {
        super::auth::ClientAuth::Insecure
    } else {
        super::auth::ClientAuth::ServerTlsOnly
    };
    let state = Arc::new(State {
        trust: RwLock::new(Arc::new(trust)),
        watchlist: RwLock::new(watchlist.map(Arc::new)),
        readers: Readers::new(backends),
        audit,
        metrics: Arc::clone(&metrics),
        limiter,
        client_auth,
        started: Instant::now(),
        clock,
        policy,
        shutting_down: Arc::new(AtomicBool::new(false)),
        terminal,
        config: config.clone(),
    });
    state.reload()?;

    let mut builder = Server::builder()
        .timeout(Duration::from_secs(
            config.limits.request_timeout_secs.max(1),
        ))
        .tcp_nodelay(true);
    if let (Some(cert), Some(key)) = (&config.tls_cert, &config.tls_key) {
        let mut tls = ServerTlsConfig::new().identity(Identity::from_pem(read(cert)?, read(key)?));
        if let Some(ca) = &config.client_ca {
            tls = tls.client_ca_root(Certificate::from_pem(read(ca)?));
        }
        builder = builder
            .tls_config(tls)
            .map_err(|e| ServeError::Setup(e.to_string()))?;
    }

    let (reporter, health) = tonic_health::server::health_reporter();
    {
        let st = Arc::clone(&state);
        tokio::spawn(async move {
            let mut last = None;
            loop {
                let ready = st.ready();
                if last != Some(ready) {
                    let status = if ready {
                        tonic_health::ServingStatus::Serving
                    } else {
                        tonic_health::ServingStatus::NotServing
                    };
                    reporter.set_service_status("", status).await;
                    reporter
                        .set_service_status("inspectd.v1.InspectionService", status)
                        .await;
                    last = Some(ready);
                }
                if st.shutting_down.load(Ordering::Relaxed) {
                    reporter
                        .set_service_status("", tonic_health::ServingStatus::NotServing)
                        .await;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        });
    }
    let max = config.limits.max_message_bytes;
    let inspection = pb::inspection_service_server::InspectionServiceServer::new(InspectionApi(
        Arc::clone(&state),
    ))
    .max_decoding_message_size(max)
    .max_encoding_message_size(max.max(64 * 1024 * 1024));
    let admin = pb::admin_service_server::AdminServiceServer::new(AdminApi(Arc::clone(&state)))
        .max_decoding_message_size(max);
    let mut router = builder
        .add_service(health)
        .add_service(inspection)
        .add_service(admin);
    if config.reflection {
        let reflection = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(super::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()
            .map_err(|e| ServeError::Setup(e.to_string()))?;
        router = router.add_service(reflection);
    }

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Io {
            path: config.listen.to_string(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Io {
        path: config.listen.to_string(),
        source,
    })?;
    let metrics_addr = match config.metrics_listen {
        Some(a) => {
            let l = tokio::net::TcpListener::bind(a)
                .await
                .map_err(|source| ServeError::Io {
                    path: a.to_string(),
                    source,
                })?;
            let bound = l.local_addr().ok();
            tokio::spawn(Arc::clone(&metrics).serve(l));
            bound
        }
        None => None,
    };
    let (tx, rx) = oneshot::channel::<()>();
    // Our own listener: the builder's tcp_nodelay does not reach these sockets, and Nagle's
    // algorithm with delayed ACKs stalls responses by ~40 ms.
    let incoming = tokio_stream::StreamExt::map(TcpListenerStream::new(listener), |s| {
        if let Ok(sock) = &s {
            let _ = sock.set_nodelay(true);
        }
        s
    });
    let task = tokio::spawn(router.serve_with_incoming_shutdown(incoming, async {
        let _ = rx.await;
    }));
    tracing::info!(%addr, tls = config.tls_cert.is_some(), mtls, "inspectd serving");
    Ok(Running {
        addr,
        metrics_addr,
        state,
        shutdown: Some(tx),
        task,
    })
}
