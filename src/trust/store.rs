//! The on-disk trust store: a directory with `csca/<sha256>.der`, `crl/<issuer-sha256>.der`,
//! `ds/<sha256>.der`, `dl/<sha256>.der` (verified deviation lists, as received) and
//! `provenance.json`. Imports are idempotent (files are named by content or issuer), a CRL
//! replaces an older one of the same issuer only when its thisUpdate is later, and a failed
//! import writes nothing (every input is parsed before any file is touched; files are written
//! to a temporary name and renamed).

use super::{Provenance, TrustSnapshot};
use crate::pa::cert::{CertError, Certificate, Crl};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A trust store error.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// File system error.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// An entry does not parse.
    #[error("{path}: {source}")]
    Parse {
        /// The path or source name.
        path: String,
        /// The error.
        #[source]
        source: CertError,
    },
    /// A master list was refused (malformed, bad signature, or untrusted signer).
    #[error("{path}: master list refused: {detail}")]
    MasterList {
        /// The source name.
        path: String,
        /// Why.
        detail: String,
    },
    /// A deviation list was refused (malformed, bad signature, or untrusted signer).
    #[error("{path}: deviation list refused: {source}")]
    DeviationList {
        /// The source name.
        path: String,
        /// Why.
        #[source]
        source: super::deviation::DeviationListError,
    },
    /// An LDIF file is malformed.
    #[error("{path}: LDIF: {detail}")]
    Ldif {
        /// The source name.
        path: String,
        /// Why.
        detail: String,
    },
    /// provenance.json is malformed.
    #[error("{path}: malformed provenance.json: {detail}")]
    Provenance {
        /// The path.
        path: PathBuf,
        /// The parser's message.
        detail: String,
    },
}

/// True when `bytes` look like a CSCA master list (CMS with id-icao-cscaMasterList).
pub fn is_master_list(bytes: &[u8]) -> bool {
    matches!(
        super::master_list::parse_unverified(bytes),
        Ok(_) | Err(super::master_list::MasterListError::TooManyCertificates { .. })
    )
}

/// What an LDIF import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LdifSummary {
    /// DS certificates stored.
    pub ds_certificates: usize,
    /// CRLs stored (or unchanged).
    pub crls: usize,
    /// Master lists accepted.
    pub master_lists: usize,
    /// CSCA certificates those master lists carried.
    pub cscas_from_master_lists: usize,
    /// Deviation lists accepted (signer verified) and stored.
    pub deviation_lists: usize,
    /// Objects refused, with the reason.
    pub refused: Vec<String>,
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    /// A new entry was stored.
    Added,
    /// The same entry was already there.
    Unchanged,
    /// A CRL replaced an older one of the same issuer.
    Replaced,
    /// A CRL was older than the stored one and ignored.
    Older,
}

/// The directory-backed store.
#[derive(Debug, Clone)]
pub struct TrustStore {
    dir: PathBuf,
    provenance: BTreeMap<String, Provenance>,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

impl TrustStore {
    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        for sub in ["csca", "crl", "ds", "dl"] {
            let p = dir.join(sub);
            std::fs::create_dir_all(&p).map_err(io(&p))?;
        }
        let pf = dir.join("provenance.json");
        let provenance = match std::fs::read(&pf) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| StoreError::Provenance {
                path: pf.clone(),
                detail: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(io(&pf)(e)),
        };
        Ok(TrustStore {
            dir: dir.to_path_buf(),
            provenance,
        })
    }

    fn save_provenance(&self) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec_pretty(&self.provenance).unwrap_or_default();
        write_atomic(&self.dir.join("provenance.json"), &bytes)
    }

    /// Imports CSCA certificates (DER or PEM). All certificates are parsed first.
    pub fn import_csca(
        &mut self,
        bytes: &[u8],
        source: &str,
        now: i64,
    ) -> Result<ImportOutcome, StoreError> {
        self.import_certs("csca", bytes, source, now)
    }

    /// Imports DS certificates (e.g. from the ICAO PKD), used only for an EF.SOD that carries
    /// none; they are never trust anchors.
    pub fn import_ds(
        &mut self,
        bytes: &[u8],
        source: &str,
        now: i64,
    ) -> Result<ImportOutcome, StoreError> {
        self.import_certs("ds", bytes, source, now)
    }

    fn import_certs(
        &mut self,
        sub: &str,
        bytes: &[u8],
        source: &str,
        now: i64,
    ) -> Result<ImportOutcome, StoreError> {
        let certs =
            Certificate::from_pem_or_der(bytes).map_err(|source_err| StoreError::Parse {
                path: source.to_owned(),
                source: source_err,
            })?;
        let mut outcome = ImportOutcome::Unchanged;
        for c in certs {
            let name = format!("{sub}/{}.der", hex::encode(Sha256::digest(&c.der)));
            let path = self.dir.join(&name);
            if path.exists() {
                continue;
            }
            write_atomic(&path, &c.der)?;
            self.provenance.insert(
                name,
                Provenance {
                    source: source.to_owned(),
                    imported_at: now,
                },
            );
            outcome = ImportOutcome::Added;
        }
        if outcome == ImportOutcome::Added {
            self.save_provenance()?;
        }
        Ok(outcome)
    }

    /// Imports a DER CRL; it replaces the stored CRL of the same issuer only if newer.
    pub fn import_crl(
        &mut self,
        der: &[u8],
        source: &str,
        now: i64,
    ) -> Result<ImportOutcome, StoreError> {
        let crl = Crl::from_der(der).map_err(|e| StoreError::Parse {
            path: source.to_owned(),
            source: e,
        })?;
        let name = format!("crl/{}.der", hex::encode(Sha256::digest(&crl.issuer_raw)));
        let path = self.dir.join(&name);
        let outcome = match std::fs::read(&path) {
            Ok(old) if old == der => return Ok(ImportOutcome::Unchanged),
            Ok(old) => match Crl::from_der(&old) {
                Ok(o) if o.this_update >= crl.this_update => return Ok(ImportOutcome::Older),
                _ => ImportOutcome::Replaced,
            },
            Err(_) => ImportOutcome::Added,
        };
        write_atomic(&path, der)?;
        self.provenance.insert(
            name,
            Provenance {
                source: source.to_owned(),
                imported_at: now,
            },
        );
        self.save_provenance()?;
        Ok(outcome)
    }

    /// Imports the CSCA certificates of a master list (see [`super::master_list`]): accepted only
    /// when its signer chains to one of `anchors`, unless `unverified` (the operator's explicit
    /// choice, recorded in the provenance). Nothing is stored when the list is refused.
    pub fn import_master_list(
        &mut self,
        bytes: &[u8],
        anchors: &[Certificate],
        unverified: bool,
        source: &str,
        now: i64,
        min_rsa_bits: usize,
    ) -> Result<(ImportOutcome, usize), StoreError> {
        let ml = if unverified {
            super::master_list::parse_unverified(bytes)
        } else {
            super::master_list::parse_and_verify(bytes, anchors, now, min_rsa_bits)
        }
        .map_err(|e| StoreError::MasterList {
            path: source.to_owned(),
            detail: e.to_string(),
        })?;
        let provenance = match &ml.signer {
            Some(signer) => format!("master list {source} signed by {signer}"),
            None => format!("master list {source} (imported UNVERIFIED by the operator)"),
        };
        let mut outcome = ImportOutcome::Unchanged;
        for c in &ml.certificates {
            if self.import_csca(&c.der, &provenance, now)? == ImportOutcome::Added {
                outcome = ImportOutcome::Added;
            }
        }
        Ok((outcome, ml.certificates.len()))
    }

    /// Imports a deviation list (Doc 9303-12 §10): accepted only when its signer verifies and
    /// chains, at `now`, to one of `anchors` or to a CSCA already in the store. There is no
    /// unverified import: a deviation list relaxes checks, so its origin must be proven.
    /// Stored as received under `dl/<sha256>.der`.
    pub fn import_deviation_list(
        &mut self,
        bytes: &[u8],
        anchors: &[Certificate],
        source: &str,
        now: i64,
        min_rsa_bits: usize,
    ) -> Result<(ImportOutcome, usize), StoreError> {
        let mut all: Vec<Certificate> = anchors.to_vec();
        all.extend(self.snapshot()?.cscas().iter().map(|c| (*c.cert).clone()));
        let list =
            super::deviation::parse_and_verify(bytes, &all, now, min_rsa_bits).map_err(|e| {
                StoreError::DeviationList {
                    path: source.to_owned(),
                    source: e,
                }
            })?;
        let name = format!("dl/{}.der", hex::encode(Sha256::digest(bytes)));
        let path = self.dir.join(&name);
        if path.exists() {
            return Ok((ImportOutcome::Unchanged, list.deviations.len()));
        }
        write_atomic(&path, bytes)?;
        self.provenance.insert(
            name,
            Provenance {
                source: format!(
                    "deviation list {source} signed by {}",
                    list.signer.as_deref().unwrap_or("?")
                ),
                imported_at: now,
            },
        );
        self.save_provenance()?;
        Ok((ImportOutcome::Added, list.deviations.len()))
    }

    /// Imports an ICAO PKD LDIF file: DS certificates (into `ds/`, never anchors), CRLs, and
    /// master lists (verified against `anchors` unless `unverified`), deviation lists (always
    /// verified, see [`Self::import_deviation_list`]). Each object is imported on its own;
    /// refusals are listed and change nothing.
    pub fn import_ldif(
        &mut self,
        text: &[u8],
        anchors: &[Certificate],
        unverified: bool,
        source: &str,
        now: i64,
        min_rsa_bits: usize,
    ) -> Result<LdifSummary, StoreError> {
        use super::ldif::{parse, LdifObject};
        let entries = parse(text).map_err(|e| StoreError::Ldif {
            path: source.to_owned(),
            detail: e.to_string(),
        })?;
        let mut sum = LdifSummary::default();
        for e in &entries {
            let src = format!("{source} ({})", e.dn);
            for o in &e.objects {
                let r = match o {
                    LdifObject::Certificate(d) => self.import_ds(d, &src, now).map(|_| {
                        sum.ds_certificates += 1;
                    }),
                    LdifObject::Crl(d) => self.import_crl(d, &src, now).map(|_| sum.crls += 1),
                    LdifObject::MasterList(d) => self
                        .import_master_list(d, anchors, unverified, &src, now, min_rsa_bits)
                        .map(|(_, n)| {
                            sum.master_lists += 1;
                            sum.cscas_from_master_lists += n;
                        }),
                    LdifObject::DeviationList(d) => self
                        .import_deviation_list(d, anchors, &src, now, min_rsa_bits)
                        .map(|_| sum.deviation_lists += 1),
                };
                if let Err(err) = r {
                    sum.refused.push(format!("{}: {err}", e.dn));
                }
            }
        }
        Ok(sum)
    }

    /// Imports a certificate or a CRL, whichever the bytes are.
    pub fn import_any(
        &mut self,
        bytes: &[u8],
        source: &str,
        now: i64,
    ) -> Result<ImportOutcome, StoreError> {
        if Certificate::from_pem_or_der(bytes).is_ok() {
            self.import_csca(bytes, source, now)
        } else {
            self.import_crl(bytes, source, now)
        }
    }

    /// Reads the whole store into a snapshot.
    pub fn snapshot(&self) -> Result<TrustSnapshot, StoreError> {
        let mut b = TrustSnapshot::builder();
        for sub in ["csca", "crl", "ds", "dl"] {
            let d = self.dir.join(sub);
            if sub == "dl" && !d.exists() {
                continue; // a store from before deviation lists
            }
            let mut names: Vec<_> = std::fs::read_dir(&d)
                .map_err(io(&d))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "der"))
                .collect();
            names.sort();
            for p in names {
                let bytes = std::fs::read(&p).map_err(io(&p))?;
                let key = format!(
                    "{sub}/{}",
                    p.file_name().and_then(|n| n.to_str()).unwrap_or_default()
                );
                let prov = self.provenance.get(&key).cloned().unwrap_or(Provenance {
                    source: key.clone(),
                    imported_at: 0,
                });
                let perr = |e| StoreError::Parse {
                    path: key.clone(),
                    source: e,
                };
                match sub {
                    "csca" => b.push_csca(Certificate::from_der(&bytes).map_err(perr)?, prov),
                    "ds" => b = b.ds_certificate(&bytes, prov).map_err(perr)?,
                    // Verified when imported; the store directory is trusted as a whole.
                    "dl" => b.push_deviation_list(
                        super::deviation::parse_stored(&bytes).map_err(|e| {
                            StoreError::DeviationList {
                                path: key.clone(),
                                source: e,
                            }
                        })?,
                        prov,
                    ),
                    _ => b.push_crl(Crl::from_der(&bytes).map_err(perr)?, prov),
                }
            }
        }
        Ok(b.build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pki(name: &str) -> Vec<u8> {
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("testdata/pki")
                .join(name),
        )
        .unwrap()
    }

    #[test]
    fn import_idempotent_newer_crl_failed_import() {
        let dir = std::env::temp_dir().join(format!("inspectd-trust-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut s = TrustStore::open(&dir).unwrap();
        let csca = pki("csca-rsa.der");
        assert_eq!(
            s.import_csca(&csca, "csca-rsa.der", 1).unwrap(),
            ImportOutcome::Added
        );
        assert_eq!(
            s.import_csca(&csca, "again", 2).unwrap(),
            ImportOutcome::Unchanged
        );
        let crl = pki("crl-rsa.der");
        assert_eq!(
            s.import_any(&crl, "crl-rsa.der", 3).unwrap(),
            ImportOutcome::Added
        );
        assert_eq!(
            s.import_crl(&crl, "crl-rsa.der", 4).unwrap(),
            ImportOutcome::Unchanged
        );
        // A failed import changes nothing.
        let before = s.snapshot().unwrap();
        assert!(s.import_any(b"not a certificate", "junk", 5).is_err());
        let reopened = TrustStore::open(&dir).unwrap();
        let after = reopened.snapshot().unwrap();
        assert_eq!(before, after);
        assert_eq!(after.cscas().len(), 1);
        assert_eq!(after.crls().len(), 1);
        assert_eq!(after.cscas()[0].provenance.source, "csca-rsa.der");
        assert_eq!(after.cscas()[0].provenance.imported_at, 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
