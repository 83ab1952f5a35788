//! The trust store: CSCA certificates and CRLs that Passive Authentication anchors on
//! (Doc 9303-12 §5-§7). A [`TrustSnapshot`] is immutable; a new import builds a new snapshot
//! (pitfalls #16: swaps are atomic, every entry keeps its provenance).

pub mod deviation;
pub mod ldif;
pub mod master_list;
mod store;

pub use store::{is_master_list, ImportOutcome, LdifSummary, StoreError, TrustStore};

use crate::pa::cert::{CertError, Certificate, Crl};
use std::sync::Arc;

/// Where an entry came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Provenance {
    /// The file (or other source) it was imported from.
    pub source: String,
    /// Import time, Unix seconds (passed in by the caller).
    pub imported_at: i64,
}

/// A trusted certificate with its provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedCert {
    /// The certificate.
    pub cert: Arc<Certificate>,
    /// Where it came from.
    pub provenance: Provenance,
}

/// A CRL with its provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedCrl {
    /// The CRL.
    pub crl: Arc<Crl>,
    /// Where it came from.
    pub provenance: Provenance,
}

/// A verified deviation list (Doc 9303-12 §10) with its provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedDeviationList {
    /// The list.
    pub list: Arc<deviation::DeviationList>,
    /// Where it came from (and who signed it).
    pub provenance: Provenance,
}

/// An immutable set of trust anchors (CSCAs), CRLs and optionally DS certificates (for
/// documents whose EF.SOD carries none, TR-03105 LDS_H_15/16).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustSnapshot {
    cscas: Vec<TrustedCert>,
    crls: Vec<TrustedCrl>,
    ds_certificates: Vec<TrustedCert>,
    deviation_lists: Vec<TrustedDeviationList>,
}

/// Builds a [`TrustSnapshot`].
#[derive(Debug, Clone, Default)]
pub struct TrustSnapshotBuilder {
    inner: TrustSnapshot,
}

impl TrustSnapshotBuilder {
    /// Adds CSCA certificates from DER or PEM bytes.
    pub fn csca(mut self, bytes: &[u8], provenance: Provenance) -> Result<Self, CertError> {
        for cert in Certificate::from_pem_or_der(bytes)? {
            self.push_csca(cert, provenance.clone());
        }
        Ok(self)
    }

    /// Adds a parsed CSCA certificate (duplicates by DER are ignored).
    pub fn push_csca(&mut self, cert: Certificate, provenance: Provenance) {
        if !self.inner.cscas.iter().any(|c| c.cert.der == cert.der) {
            self.inner.cscas.push(TrustedCert {
                cert: Arc::new(cert),
                provenance,
            });
        }
    }

    /// Adds a DS certificate (used only when an EF.SOD carries none).
    pub fn ds_certificate(
        mut self,
        bytes: &[u8],
        provenance: Provenance,
    ) -> Result<Self, CertError> {
        for cert in Certificate::from_pem_or_der(bytes)? {
            if !self
                .inner
                .ds_certificates
                .iter()
                .any(|c| c.cert.der == cert.der)
            {
                self.inner.ds_certificates.push(TrustedCert {
                    cert: Arc::new(cert),
                    provenance: provenance.clone(),
                });
            }
        }
        Ok(self)
    }

    /// Adds a DER CRL.
    pub fn crl(mut self, der: &[u8], provenance: Provenance) -> Result<Self, CertError> {
        let crl = Crl::from_der(der)?;
        self.push_crl(crl, provenance);
        Ok(self)
    }

    /// Adds a parsed CRL.
    pub fn push_crl(&mut self, crl: Crl, provenance: Provenance) {
        if !self.inner.crls.iter().any(|c| c.crl.der == crl.der) {
            self.inner.crls.push(TrustedCrl {
                crl: Arc::new(crl),
                provenance,
            });
        }
    }

    /// Adds a deviation list after verifying its signer at `at` against `anchors` and the
    /// CSCAs already added (Doc 9303-12 §10; see [`deviation`]).
    pub fn deviation_list(
        mut self,
        bytes: &[u8],
        anchors: &[Certificate],
        at: i64,
        min_rsa_bits: usize,
        provenance: Provenance,
    ) -> Result<Self, deviation::DeviationListError> {
        let mut all: Vec<Certificate> = anchors.to_vec();
        all.extend(self.inner.cscas.iter().map(|c| (*c.cert).clone()));
        let list = deviation::parse_and_verify(bytes, &all, at, min_rsa_bits)?;
        self.push_deviation_list(list, provenance);
        Ok(self)
    }

    /// Adds a deviation list that was verified before (e.g. read back from the store).
    pub fn push_deviation_list(&mut self, list: deviation::DeviationList, provenance: Provenance) {
        if !self.inner.deviation_lists.iter().any(|d| *d.list == list) {
            self.inner.deviation_lists.push(TrustedDeviationList {
                list: Arc::new(list),
                provenance,
            });
        }
    }

    /// Adds a CSCA certificate or a CRL, whichever `bytes` parse as.
    pub fn any(self, bytes: &[u8], provenance: Provenance) -> Result<Self, CertError> {
        match Certificate::from_pem_or_der(bytes) {
            Ok(_) => self.csca(bytes, provenance),
            Err(e) => match Crl::from_der(bytes) {
                Ok(_) => self.crl(bytes, provenance),
                Err(_) => Err(e),
            },
        }
    }

    /// The finished snapshot.
    pub fn build(self) -> TrustSnapshot {
        self.inner
    }
}

impl TrustSnapshot {
    /// An empty snapshot (no anchors: every document is inconclusive).
    pub fn empty() -> Self {
        Self::default()
    }

    /// A builder.
    pub fn builder() -> TrustSnapshotBuilder {
        TrustSnapshotBuilder::default()
    }

    /// The CSCA certificates.
    pub fn cscas(&self) -> &[TrustedCert] {
        &self.cscas
    }

    /// The CRLs.
    pub fn crls(&self) -> &[TrustedCrl] {
        &self.crls
    }

    /// DS certificates known out of band.
    pub fn ds_certificates(&self) -> &[TrustedCert] {
        &self.ds_certificates
    }

    /// Verified deviation lists.
    pub fn deviation_lists(&self) -> &[TrustedDeviationList] {
        &self.deviation_lists
    }
}
