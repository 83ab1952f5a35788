//! Prometheus metrics, served as text on `GET /metrics` of a separate HTTP listener.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    /// Requests by method and gRPC code.
    pub requests: IntCounterVec,
    /// Latency by method, seconds.
    pub latency: HistogramVec,
    /// Inspections by verdict.
    pub inspections: IntCounterVec,
    /// Reader state (1 for the current state of each reader).
    pub reader_state: IntGaugeVec,
    /// Watchlist records.
    pub watchlist_records: IntGauge,
    /// Watchlist lookups.
    pub watchlist_lookups: IntCounter,
    /// CSCAs in the trust store.
    pub trust_cscas: IntGauge,
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new_custom(Some("inspectd".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new("grpc_requests_total", "gRPC requests by method and code"),
            &["method", "code"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("grpc_request_seconds", "gRPC request latency").buckets(vec![
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                1.0, 2.5, 5.0, 10.0,
            ]),
            &["method"],
        )?;
        let inspections = IntCounterVec::new(
            Opts::new("inspections_total", "Inspections by verdict"),
            &["verdict"],
        )?;
        let reader_state = IntGaugeVec::new(
            Opts::new("reader_state", "1 for the current state of each reader"),
            &["reader", "state"],
        )?;
        let watchlist_records = IntGauge::new("watchlist_records", "Watchlist records")?;
        let watchlist_lookups = IntCounter::new("watchlist_lookups_total", "Watchlist lookups")?;
        let trust_cscas = IntGauge::new("trust_cscas", "CSCA certificates in the trust store")?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(inspections.clone()))?;
        registry.register(Box::new(reader_state.clone()))?;
        registry.register(Box::new(watchlist_records.clone()))?;
        registry.register(Box::new(watchlist_lookups.clone()))?;
        registry.register(Box::new(trust_cscas.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            latency,
            inspections,
            reader_state,
            watchlist_records,
            watchlist_lookups,
            trust_cscas,
        })
    }

    /// The text exposition.
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        out
    }

    /// Serves `GET /metrics` on `listener` until the task is dropped. A minimal HTTP/1.0
    /// responder: one request per connection, bounded request size.
    pub async fn serve(self: std::sync::Arc<Self>, listener: tokio::net::TcpListener) {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                continue;
            };
            let me = std::sync::Arc::clone(&self);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let mut n = 0;
                // Read the request head (bounded to 4 KiB, 5 s).
                let read = tokio::time::timeout(std::time::Duration::from_secs(5), async {
                    while n < buf.len() {
                        match sock.read(buf.get_mut(n..).unwrap_or_default()).await {
                            Ok(0) | Err(_) => break,
                            Ok(k) => {
                                n = n.saturating_add(k);
                                if buf
                                    .get(..n)
                                    .is_some_and(|b| b.windows(4).any(|w| w == b"\r\n\r\n"))
                                {
                                    break;
                                }
                            }
                        }
                    }
                })
                .await;
                if read.is_err() {
                    return;
                }
                let head = buf.get(..n).unwrap_or_default();
                let (status, body, ctype) = if head.starts_with(b"GET /metrics ") {
                    ("200 OK", me.render(), "text/plain; version=0.0.4")
                } else {
                    ("404 Not Found", b"not found\n".to_vec(), "text/plain")
                };
                let hdr = format!(
                    "HTTP/1.0 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = sock.write_all(hdr.as_bytes()).await;
                let _ = sock.write_all(&body).await;
                let _ = sock.shutdown().await;
            });
        }
    }
}
