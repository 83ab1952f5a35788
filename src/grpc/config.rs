//! `inspectd serve` configuration: a TOML file, then `INSPECTD_*` environment variables, then
//! flags (flags win over the environment, the environment over the file). The CLI resolves
//! flags and environment (clap), this module merges them over the file and validates.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The effective server configuration (`inspectd serve --print-config` prints it as TOML).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// gRPC listener.
    pub listen: SocketAddr,
    /// Prometheus metrics listener (HTTP, `/metrics`); none when absent.
    pub metrics_listen: Option<SocketAddr>,
    /// Plain-text gRPC (local development only; logged loudly). Without it TLS is required.
    pub insecure: bool,
    /// Server certificate chain (PEM).
    pub tls_cert: Option<PathBuf>,
    /// Server private key (PEM).
    pub tls_key: Option<PathBuf>,
    /// Operator CA for client certificates (PEM). With it, every client must present a
    /// certificate it issued (mTLS); the subject CN is the terminal id and the OU the role
    /// (`terminal` or `admin`).
    pub client_ca: Option<PathBuf>,
    /// Trust store directory (CSCAs, CRLs; see `inspectd trust`).
    pub trust_store: Option<PathBuf>,
    /// Master-list signer anchors (CSCA certificates, PEM/DER): a master list is imported only
    /// when its signer chains to one of them (or the import says `unverified`).
    pub master_list_anchors: Vec<PathBuf>,
    /// Watchlist store: a directory (embedded) or a `postgres://` URL.
    pub watchlist: Option<String>,
    /// Readers to use (PC/SC names); empty: all.
    pub readers: Vec<String>,
    /// Also offer an in-process virtual reader holding the built-in synthetic passport
    /// (demos and tests; never on a production checkpoint).
    pub virtual_reader: bool,
    /// Append-only audit log (JSON lines).
    pub audit_log: Option<PathBuf>,
    /// Key for the keyed hash of document numbers in the audit log (32+ bytes in the file);
    /// created with random content when missing.
    pub audit_key: Option<PathBuf>,
    /// Server reflection (grpcurl, grpcui).
    pub reflection: bool,
    /// Terminal Authentication (EAC, BSI TR-03110) for DG3/DG4: the inspection system's CV
    /// certificate files (DER or PEM); with `terminal_key`.
    pub terminal_chain: Vec<PathBuf>,
    /// The IS private key (PKCS #8 or SEC 1 EC key, DER or PEM).
    pub terminal_key: Option<PathBuf>,
    /// Policy switches.
    pub policy: PolicyConfig,
    /// Limits.
    pub limits: LimitsConfig,
}

/// Policy switches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyConfig {
    /// Allow Basic Access Control (PACE preferred where offered).
    pub bac_allowed: bool,
    /// Minimum RSA modulus for DS and CSCA keys, bits.
    pub min_rsa_bits: usize,
    /// A chip that offers AA or CA must pass one of them for a valid verdict.
    pub require_chip_authentication: bool,
    /// Report OCR-confusable watchlist matches as warnings.
    pub report_possible_matches: bool,
    /// A chip whose EF.SOD lists DG3/DG4 must pass Terminal Authentication for a valid
    /// verdict (inconclusive otherwise); needs `terminal_chain` / `terminal_key`.
    pub require_terminal_authentication: bool,
    /// Document Signer validity model (Doc 9303-12 §7.1): `at_inspection` (the DS certificate
    /// valid at the inspection time) or `private_key_usage_period` (an expired DS still counts
    /// when the document was signed inside its privateKeyUsagePeriod).
    pub ds_validity: crate::pa::DsValidity,
    /// SHA-1 in EF.SOD hashes and signatures: `warn` (passes with a warning) or `reject`.
    pub sha1: crate::pa::Sha1Policy,
    /// Health reports NOT_SERVING when the newest trust store import is older than this
    /// (hours; 0 disables).
    pub trust_max_age_hours: u64,
}

/// Limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest request message (bytes).
    pub max_message_bytes: usize,
    /// Largest upload (admin imports, bytes).
    pub max_upload_bytes: usize,
    /// Requests per second per terminal (token bucket refill).
    pub rate_per_second: f64,
    /// Bucket size.
    pub rate_burst: f64,
    /// Concurrent requests per terminal.
    pub concurrent_per_terminal: usize,
    /// Deadline of a unary request (seconds).
    pub request_timeout_secs: u64,
    /// Deadline of a chip read, card wait included (seconds).
    pub read_timeout_secs: u64,
    /// Graceful shutdown: how long in-flight calls may finish (seconds).
    pub shutdown_grace_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            metrics_listen: None,
            insecure: false,
            tls_cert: None,
            tls_key: None,
            client_ca: None,
            trust_store: None,
            master_list_anchors: Vec::new(),
            watchlist: None,
            readers: Vec::new(),
            virtual_reader: false,
            audit_log: None,
            audit_key: None,
            reflection: true,
            terminal_chain: Vec::new(),
            terminal_key: None,
            policy: PolicyConfig::default(),
            limits: LimitsConfig::default(),
        }
    }
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            bac_allowed: true,
            min_rsa_bits: 2048,
            require_chip_authentication: true,
            require_terminal_authentication: false,
            ds_validity: crate::pa::DsValidity::default(),
            sha1: crate::pa::Sha1Policy::default(),
            report_possible_matches: true,
            trust_max_age_hours: 0,
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_message_bytes: 4 * 1024 * 1024,
            max_upload_bytes: 512 * 1024 * 1024,
            rate_per_second: 200.0,
            rate_burst: 400.0,
            concurrent_per_terminal: 64,
            request_timeout_secs: 30,
            read_timeout_secs: 120,
            shutdown_grace_secs: 10,
        }
    }
}

/// A configuration problem.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema.
    #[error("{path}: {detail}")]
    Parse {
        /// File.
        path: PathBuf,
        /// Parser message (line and column).
        detail: String,
    },
    /// Inconsistent settings.
    #[error("configuration: {0}")]
    Invalid(&'static str),
}

impl Config {
    /// Reads a TOML file.
    pub fn from_file(path: &std::path::Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::from_toml(&text).map_err(|detail| ConfigError::Parse {
            path: path.to_path_buf(),
            detail,
        })
    }

    /// Parses TOML text.
    pub fn from_toml(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// TOML text of the effective configuration.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks consistency: TLS material unless insecure, both halves of the key pair.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.insecure && (self.tls_cert.is_none() || self.tls_key.is_none()) {
            return Err(ConfigError::Invalid(
                "TLS needs tls_cert and tls_key (or --insecure for local development)",
            ));
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err(ConfigError::Invalid("tls_cert and tls_key go together"));
        }
        if self.client_ca.is_some() && self.tls_cert.is_none() {
            return Err(ConfigError::Invalid("client_ca needs TLS"));
        }
        if !(self.limits.rate_per_second > 0.0 && self.limits.rate_burst >= 1.0) {
            return Err(ConfigError::Invalid(
                "limits.rate_per_second must be > 0 and rate_burst >= 1",
            ));
        }
        if self.terminal_chain.is_empty() != self.terminal_key.is_none() {
            return Err(ConfigError::Invalid(
                "terminal_chain and terminal_key go together",
            ));
        }
        // Requiring TA without credentials would make every EAC passport inconclusive.
        if self.policy.require_terminal_authentication && self.terminal_key.is_none() {
            return Err(ConfigError::Invalid(
                "policy.require_terminal_authentication needs terminal_chain and terminal_key",
            ));
        }
        if self.limits.concurrent_per_terminal == 0 {
            return Err(ConfigError::Invalid(
                "limits.concurrent_per_terminal must be >= 1",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use super::*;

    #[test]
    fn toml_round_trip_and_unknown_keys_rejected() {
        let mut c = Config::default();
        c.insecure = true;
        c.watchlist = Some("/var/lib/inspectd/wl".into());
        c.limits.rate_per_second = 5.0;
        let text = c.to_toml();
        assert_eq!(Config::from_toml(&text).unwrap(), c);
        let partial = Config::from_toml("insecure = true\n[limits]\nrate_burst = 3.0\n").unwrap();
        assert!(partial.insecure);
        assert_eq!(partial.limits.rate_burst, 3.0);
        assert_eq!(partial.limits.rate_per_second, 200.0);
        let e = Config::from_toml("insecur = true\n").unwrap_err();
        assert!(e.contains("insecur"), "{e}");
    }

    #[test]
    fn terminal_credentials_go_together() {
        let c = Config::from_toml(
            "insecure = true\nterminal_chain = [\"dv.cvcert\", \"is.cvcert\"]\nterminal_key = \"is.pkcs8.der\"\n",
        )
        .unwrap();
        assert_eq!(c.terminal_chain.len(), 2);
        assert!(c.validate().is_ok());
        let c = Config::from_toml(
            "insecure = true\n[policy]\nrequire_terminal_authentication = true\n",
        )
        .unwrap();
        assert!(c.validate().is_err());
        let c = Config::from_toml("insecure = true\nterminal_key = \"is.pkcs8.der\"\n").unwrap();
        assert!(c.validate().is_err());
    }

    #[test]
    fn tls_is_required_unless_insecure() {
        let c = Config::default();
        assert!(c.validate().is_err());
        let mut c = Config::default();
        c.insecure = true;
        assert!(c.validate().is_ok());
        c.client_ca = Some("ca.pem".into());
        assert!(c.validate().is_err());
    }
}
