//! The audit log: one JSON line per call, append-only. Who (terminal id and role), what
//! (method), when, the outcome (gRPC code), the verdict, and a keyed hash of the document
//! number (HMAC-SHA-256 under a site key, truncated to 128 bits) so the same document can be
//! followed across records without the log holding it. Never names, MRZ, images or APDUs.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

/// One audit record.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuditRecord {
    /// Unix seconds.
    pub time: i64,
    /// Terminal id.
    pub terminal: String,
    /// Role.
    pub role: &'static str,
    /// gRPC method name.
    pub method: &'static str,
    /// gRPC code name (`OK`, `PERMISSION_DENIED`...).
    pub outcome: String,
    /// Verdict of an inspection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<&'static str>,
    /// Keyed hash of the document number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
}

/// An audit sink.
pub struct AuditLog {
    out: Option<Mutex<std::fs::File>>,
    key: Vec<u8>,
}

/// Audit setup failures.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// File error.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The key file is too short.
    #[error("{0}: audit key must hold at least 32 bytes")]
    ShortKey(String),
}

impl AuditLog {
    /// Opens `path` for appending (none: records are only counted, not written), with the
    /// HMAC key from `key_path` (created from `fresh_key` when missing).
    pub fn open(
        path: Option<&Path>,
        key_path: Option<&Path>,
        fresh_key: [u8; 32],
    ) -> Result<AuditLog, AuditError> {
        let io = |p: &Path| {
            let path = p.display().to_string();
            move |source| AuditError::Io { path, source }
        };
        let key = match key_path {
            Some(p) => match std::fs::read(p) {
                Ok(k) if k.len() >= 32 => k,
                Ok(_) => return Err(AuditError::ShortKey(p.display().to_string())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    std::fs::write(p, fresh_key).map_err(io(p))?;
                    fresh_key.to_vec()
                }
                Err(e) => return Err(io(p)(e)),
            },
            None => fresh_key.to_vec(),
        };
        let out = match path {
            Some(p) => Some(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .map_err(io(p))?,
            )),
            None => None,
        };
        Ok(AuditLog { out, key })
    }

    /// The keyed hash of a document number (upper-cased, fillers removed first).
    pub fn document_hash(&self, state: &str, number: &str) -> String {
        let norm: String = number
            .chars()
            .filter(|c| *c != '<' && !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return String::new();
        };
        mac.update(state.as_bytes());
        mac.update(&[0]);
        mac.update(norm.as_bytes());
        let tag = mac.finalize().into_bytes();
        hex::encode(tag.get(..16).unwrap_or_default())
    }

    /// Writes one record (a write failure is logged, never fails the call).
    pub fn record(&self, r: &AuditRecord) {
        let Some(out) = &self.out else { return };
        let Ok(mut line) = serde_json::to_vec(r) else {
            return;
        };
        line.push(b'\n');
        match out.lock() {
            Ok(mut f) => {
                if let Err(e) = f.write_all(&line) {
                    tracing::error!(error = %e, "audit log write failed");
                }
            }
            Err(_) => tracing::error!("audit log lock poisoned"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hash_is_stable_per_key_and_hides_the_number() {
        let dir = tempfile::tempdir().unwrap();
        let kp = dir.path().join("key");
        let a = AuditLog::open(None, Some(&kp), [7; 32]).unwrap();
        // The key file now exists; a second open with another fresh key reuses it.
        let b = AuditLog::open(None, Some(&kp), [9; 32]).unwrap();
        let h = a.document_hash("UTO", "l898902c<");
        assert_eq!(h, b.document_hash("UTO", "L898902C"));
        assert_eq!(h.len(), 32);
        assert!(!h.to_ascii_uppercase().contains("L898902C"));
        let other = AuditLog::open(None, None, [9; 32]).unwrap();
        assert_ne!(h, other.document_hash("UTO", "L898902C"));
    }

    #[test]
    fn records_are_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("audit.jsonl");
        let log = AuditLog::open(Some(&p), None, [1; 32]).unwrap();
        let r = AuditRecord {
            time: 1,
            terminal: "gate-1".into(),
            role: "terminal",
            method: "CheckDocument",
            outcome: "OK".into(),
            verdict: None,
            document: Some(log.document_hash("UTO", "X")),
        };
        log.record(&r);
        log.record(&r);
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(text.lines().count(), 2);
        let v: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(v["method"], "CheckDocument");
    }
}
