//! `inspectd serve`: the gRPC service. Configuration: `--config FILE` (TOML), then
//! `INSPECTD_*` environment variables, then flags (flags win).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use inspectd::grpc::config::Config;
use inspectd::grpc::readers::{PcscBackend, ReaderBackend, VirtualBackend, VIRTUAL_READER};
use inspectd::grpc::server;

/// Arguments (each also readable from the environment variable named beside it).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// TOML configuration file (lowest precedence).
    #[arg(long, env = "INSPECTD_CONFIG")]
    config: Option<PathBuf>,
    /// Print the effective configuration as TOML and exit.
    #[arg(long)]
    print_config: bool,
    /// gRPC listen address.
    #[arg(long, env = "INSPECTD_LISTEN")]
    listen: Option<SocketAddr>,
    /// Prometheus metrics listen address (HTTP GET /metrics).
    #[arg(long, env = "INSPECTD_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// Plain-text gRPC without client authentication (local development only).
    #[arg(long, env = "INSPECTD_INSECURE")]
    insecure: bool,
    /// Server certificate chain (PEM).
    #[arg(long, env = "INSPECTD_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// Server private key (PEM).
    #[arg(long, env = "INSPECTD_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// Operator CA for client certificates (PEM): enables mTLS (CN = terminal id,
    /// OU = terminal | admin).
    #[arg(long, env = "INSPECTD_CLIENT_CA")]
    client_ca: Option<PathBuf>,
    /// Trust store directory.
    #[arg(long, env = "INSPECTD_TRUST_STORE")]
    trust_store: Option<PathBuf>,
    /// Master-list signer anchor (repeatable).
    #[arg(
        long = "master-list-anchor",
        env = "INSPECTD_MASTER_LIST_ANCHORS",
        value_delimiter = ','
    )]
    master_list_anchors: Vec<PathBuf>,
    /// Watchlist store directory (or postgres:// URL).
    #[arg(long, env = "INSPECTD_WATCHLIST")]
    watchlist: Option<String>,
    /// PC/SC readers to use (repeatable; default all).
    #[arg(long = "reader", env = "INSPECTD_READERS", value_delimiter = ',')]
    readers: Vec<String>,
    /// Also offer the in-process virtual reader with the synthetic passport (demos, tests).
    #[arg(long, env = "INSPECTD_VIRTUAL_READER")]
    virtual_reader: bool,
    /// Do not use PC/SC at all (only the virtual reader, if enabled).
    #[arg(long, env = "INSPECTD_NO_PCSC")]
    no_pcsc: bool,
    /// Audit log (JSON lines, appended).
    #[arg(long, env = "INSPECTD_AUDIT_LOG")]
    audit_log: Option<PathBuf>,
    /// Audit hash key file (created when missing).
    #[arg(long, env = "INSPECTD_AUDIT_KEY")]
    audit_key: Option<PathBuf>,
    /// Requests per second per terminal.
    #[arg(long, env = "INSPECTD_RATE_PER_SECOND")]
    rate_per_second: Option<f64>,
    /// Largest request message, bytes.
    #[arg(long, env = "INSPECTD_MAX_MESSAGE_BYTES")]
    max_message_bytes: Option<usize>,
    /// Refuse Basic Access Control: only PACE opens a chip (policy.bac_allowed = false).
    #[arg(long, env = "INSPECTD_NO_BAC")]
    no_bac: bool,
    /// Document Signer validity model: at_inspection or private_key_usage_period.
    #[arg(long, env = "INSPECTD_DS_VALIDITY", value_parser = ["at_inspection", "private_key_usage_period"])]
    ds_validity: Option<String>,
    /// SHA-1 in EF.SOD: warn or reject.
    #[arg(long, env = "INSPECTD_SHA1", value_parser = ["warn", "reject"])]
    sha1: Option<String>,
    /// Terminal Authentication (EAC): the terminal's CV certificate chain, DV then IS
    /// (BSI TR-03110-3 App. C), replacing `terminal_chain` of the config; with
    /// --terminal-key, DG3/DG4 are read from chips that grant them.
    #[arg(long, num_args = 1.., requires = "terminal_key")]
    terminal_chain: Vec<PathBuf>,
    /// The IS private key of --terminal-chain: EC in PKCS #8 or SEC 1, RSA in PKCS #8 or
    /// PKCS #1; DER or PEM.
    #[arg(long, requires = "terminal_chain")]
    terminal_key: Option<PathBuf>,
}

fn effective(a: &Args) -> Result<Config, String> {
    let mut c = match &a.config {
        Some(p) => Config::from_file(p).map_err(|e| e.to_string())?,
        None => Config::default(),
    };
    if let Some(v) = a.listen {
        c.listen = v;
    }
    if a.metrics_listen.is_some() {
        c.metrics_listen = a.metrics_listen;
    }
    c.insecure |= a.insecure;
    macro_rules! opt {
        ($f:ident) => {
            if a.$f.is_some() {
                c.$f = a.$f.clone();
            }
        };
    }
    opt!(tls_cert);
    opt!(tls_key);
    opt!(client_ca);
    opt!(trust_store);
    opt!(watchlist);
    opt!(audit_log);
    opt!(audit_key);
    if !a.master_list_anchors.is_empty() {
        c.master_list_anchors = a.master_list_anchors.clone();
    }
    // Chain and key come as a pair (clap requires both), so they replace the file's pair.
    if !a.terminal_chain.is_empty() {
        c.terminal_chain = a.terminal_chain.clone();
        c.terminal_key = a.terminal_key.clone();
    }
    if !a.readers.is_empty() {
        c.readers = a.readers.clone();
    }
    c.virtual_reader |= a.virtual_reader;
    if let Some(v) = a.rate_per_second {
        c.limits.rate_per_second = v;
        c.limits.rate_burst = c.limits.rate_burst.max(v);
    }
    if let Some(v) = a.max_message_bytes {
        c.limits.max_message_bytes = v;
    }
    if a.no_bac {
        c.policy.bac_allowed = false;
    }
    match a.ds_validity.as_deref() {
        Some("private_key_usage_period") => {
            c.policy.ds_validity = inspectd::pa::DsValidity::PrivateKeyUsagePeriod;
        }
        Some(_) => c.policy.ds_validity = inspectd::pa::DsValidity::AtInspection,
        None => {}
    }
    match a.sha1.as_deref() {
        Some("reject") => c.policy.sha1 = inspectd::pa::Sha1Policy::Reject,
        Some(_) => c.policy.sha1 = inspectd::pa::Sha1Policy::Warn,
        None => {}
    }
    Ok(c)
}

/// Runs the subcommand.
pub fn run(a: Args) -> ExitCode {
    let config = match effective(&a) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("inspectd serve: {e}");
            return ExitCode::from(2);
        }
    };
    if a.print_config {
        print!("{}", config.to_toml());
        return ExitCode::SUCCESS;
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("inspectd serve: runtime: {e}");
            return ExitCode::from(2);
        }
    };
    rt.block_on(serve(config, a.no_pcsc))
}

async fn serve(config: Config, no_pcsc: bool) -> ExitCode {
    let mut backends: Vec<Arc<dyn ReaderBackend>> = Vec::new();
    if config.virtual_reader {
        backends.push(Arc::new(VirtualBackend {
            name: VIRTUAL_READER.into(),
        }));
    }
    if !no_pcsc {
        backends.push(Arc::new(PcscBackend {
            allow: config.readers.clone(),
        }));
    }
    let clock = Arc::new(super::verify::now);
    let mut key = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut key);
    let grace = Duration::from_secs(config.limits.shutdown_grace_secs);
    let running = match server::start(config, backends, clock, key).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("inspectd serve: {e}");
            return ExitCode::from(2);
        }
    };
    eprintln!("inspectd serve: listening on {}", running.addr);
    if let Some(m) = running.metrics_addr {
        eprintln!("inspectd serve: metrics on http://{m}/metrics");
    }
    let (Ok(mut term), Ok(mut hup)) = (
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()),
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()),
    ) else {
        eprintln!("inspectd serve: cannot install signal handlers");
        return ExitCode::from(2);
    };
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
            _ = hup.recv() => {
                match running.state.reload() {
                    Ok(()) => eprintln!("inspectd serve: trust store and watchlist reloaded"),
                    Err(e) => eprintln!("inspectd serve: reload failed, keeping the previous data: {e}"),
                }
            }
        }
    }
    eprintln!("inspectd serve: shutting down");
    running.shutdown(grace).await;
    ExitCode::SUCCESS
}
