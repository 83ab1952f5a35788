//! Who is calling and may they: the client certificate (mTLS) names the terminal (subject CN)
//! and its role (subject OU `terminal` or `admin`); anything else is refused (deny by default).
//! Per-terminal rate limits (token bucket) and concurrency limits live here too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::error::ServiceError;

/// A caller's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Checkpoint terminals and desk applications: InspectionService.
    Terminal,
    /// Operators: everything, AdminService included.
    Admin,
}

impl Role {
    /// `terminal` / `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Terminal => "terminal",
            Role::Admin => "admin",
        }
    }
}

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Terminal id (certificate CN, or `local` without TLS client auth).
    pub terminal: String,
    /// Role.
    pub role: Role,
}

/// How callers are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `--insecure` (local development): every caller is the local operator, admin.
    Insecure,
    /// TLS without client certificates: every caller is an anonymous terminal; admin calls
    /// are refused (an operator needs a certificate).
    ServerTlsOnly,
    /// mTLS: the client certificate names terminal and role.
    Mutual,
}

/// Reads the caller from the client certificate (leaf first), per the server's [`ClientAuth`].
pub fn caller_from_certs(
    auth: ClientAuth,
    certs: Option<&[tonic::transport::CertificateDer<'static>]>,
) -> Result<Caller, ServiceError> {
    match auth {
        ClientAuth::Insecure => {
            return Ok(Caller {
                terminal: "local".into(),
                role: Role::Admin,
            })
        }
        ClientAuth::ServerTlsOnly => {
            return Ok(Caller {
                terminal: "anonymous".into(),
                role: Role::Terminal,
            })
        }
        ClientAuth::Mutual => {}
    }
    let leaf = certs
        .and_then(|c| c.first())
        .ok_or(ServiceError::Unauthenticated("no client certificate"))?;
    let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref())
        .map_err(|_| ServiceError::Unauthenticated("client certificate unreadable"))?;
    let subject = cert.subject();
    let cn = subject
        .iter_common_name()
        .next()
        .and_then(|a| a.as_str().ok())
        .filter(|s| !s.is_empty() && s.len() <= 128)
        .ok_or(ServiceError::Unauthenticated(
            "client certificate has no CN",
        ))?;
    let ous: Vec<&str> = subject
        .iter_organizational_unit()
        .filter_map(|a| a.as_str().ok())
        .collect();
    let role = if ous.contains(&"admin") {
        Role::Admin
    } else if ous.contains(&"terminal") {
        Role::Terminal
    } else {
        return Err(ServiceError::Unauthenticated(
            "client certificate names no role (OU terminal or admin)",
        ));
    };
    Ok(Caller {
        terminal: cn.to_string(),
        role,
    })
}

struct Bucket {
    tokens: f64,
    last: Instant,
    in_flight: usize,
}

/// Per-terminal token buckets and in-flight counts.
pub struct Limiter {
    rate: f64,
    burst: f64,
    concurrent: usize,
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// Held for the length of a call; releases the concurrency slot when dropped.
pub struct Permit {
    limiter: Arc<Limiter>,
    terminal: String,
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Ok(mut b) = self.limiter.buckets.lock() {
            if let Some(x) = b.get_mut(&self.terminal) {
                x.in_flight = x.in_flight.saturating_sub(1);
            }
        }
    }
}

impl Limiter {
    /// `rate` requests per second, bursts of `burst`, `concurrent` calls at once.
    pub fn new(rate: f64, burst: f64, concurrent: usize) -> Arc<Self> {
        Arc::new(Limiter {
            rate,
            burst,
            concurrent,
            buckets: Mutex::new(HashMap::new()),
        })
    }

    /// Takes one token and one concurrency slot for `terminal` at time `now`.
    pub fn admit(self: &Arc<Self>, terminal: &str, now: Instant) -> Result<Permit, ServiceError> {
        let mut map = self
            .buckets
            .lock()
            .map_err(|_| ServiceError::Internal("limiter lock poisoned".into()))?;
        // Bounded: one entry per authenticated terminal; forget idle ones when it grows.
        if map.len() > 10_000 {
            map.retain(|_, b| b.in_flight > 0);
        }
        let b = map.entry(terminal.to_string()).or_insert(Bucket {
            tokens: self.burst,
            last: now,
            in_flight: 0,
        });
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.rate).min(self.burst);
        b.last = now;
        if b.tokens < 1.0 {
            return Err(ServiceError::Limited(
                "rate limit reached for this terminal",
            ));
        }
        if b.in_flight >= self.concurrent {
            return Err(ServiceError::Limited(
                "concurrency limit reached for this terminal",
            ));
        }
        b.tokens -= 1.0;
        b.in_flight = b.in_flight.saturating_add(1);
        Ok(Permit {
            limiter: Arc::clone(self),
            terminal: terminal.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn token_bucket_refills_and_concurrency_is_capped() {
        let l = Limiter::new(2.0, 2.0, 2);
        let t0 = Instant::now();
        let a = l.admit("t1", t0).unwrap();
        let _b = l.admit("t1", t0).unwrap();
        // Bucket empty.
        assert!(matches!(l.admit("t1", t0), Err(ServiceError::Limited(_))));
        // Another terminal has its own bucket.
        let _c = l.admit("t2", t0).unwrap();
        // One second later two tokens, but two calls in flight.
        let t1 = t0 + Duration::from_secs(1);
        assert!(matches!(l.admit("t1", t1), Err(ServiceError::Limited(_))));
        drop(a);
        assert!(l.admit("t1", t1).is_ok());
    }

    #[test]
    fn roles_per_client_auth_mode() {
        let c = caller_from_certs(ClientAuth::Insecure, None).unwrap();
        assert_eq!(c.role, Role::Admin);
        let c = caller_from_certs(ClientAuth::ServerTlsOnly, None).unwrap();
        assert_eq!(c.role, Role::Terminal);
        assert!(matches!(
            caller_from_certs(ClientAuth::Mutual, None),
            Err(ServiceError::Unauthenticated(_))
        ));
    }
}
