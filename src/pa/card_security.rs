//! Passive Authentication of EF.CardSecurity (Doc 9303-11 §4.4.3.5 and §9.2.9, Appendix I;
//! BSI TR-03110-3 §A.1.2.5): its CMS SignedData, eContentType id-SecurityObject
//! (0.4.0.127.0.7.3.2.1), signed attributes and signature, and the Document Signer chained to a
//! trusted CSCA with validity and revocation, by the same functions as EF.SOD.
//!
//! PACE-CAM proves that the chip holds the private half of the static key EF.CardSecurity
//! announces; that is chip authentication only when EF.CardSecurity passes this check. The
//! outcome is one report check, [`CHECK_ID`]; a [`CardSecurityVerified`] token exists only for a
//! valid outcome, and carries the static keys that may be bound to CAM.

use super::algorithms::DigestAlg;
use super::{
    algorithms_check, chain_check, revocation_check, signed_data_problems, signer_check, AlgNotes,
    Check, CheckStatus, MissingCrl, PaPolicy, PaVerdict, SignedFile, UnixTime,
};
use crate::lds::card_security::CardSecurity;
use crate::lds::spki::PublicKey;
use crate::trust::TrustSnapshot;

/// The stable report check id.
pub const CHECK_ID: &str = "pa.card_security";

/// id-SecurityObject, the only eContentType (and contentType attribute) accepted.
const OID_SECURITY_OBJECT: &str = "0.4.0.127.0.7.3.2.1";

/// Proof that [`verify_card_security`] found EF.CardSecurity valid; only this module creates
/// it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardSecurityVerified {
    sha256: Vec<u8>,
    static_keys: Vec<Vec<u8>>,
}

impl CardSecurityVerified {
    /// SHA-256 of the EF.CardSecurity bytes verified.
    pub fn sha256(&self) -> &[u8] {
        &self.sha256
    }

    /// Whether `point` (an encoded EC point, as PACE-CAM checked it) is a
    /// ChipAuthenticationPublicKeyInfo key of the verified EF.CardSecurity.
    pub fn holds_static_key(&self, point: &[u8]) -> bool {
        self.static_keys.iter().any(|k| k == point)
    }
}

/// The outcome of Passive Authentication of EF.CardSecurity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardSecurityReport {
    /// Valid, invalid, or inconclusive (e.g. no CSCA for its DS; never valid then).
    pub verdict: PaVerdict,
    /// The `pa.card_security` check (reason and per-step details).
    pub check: Check,
    verified: Option<CardSecurityVerified>,
}

impl CardSecurityReport {
    /// The token, present only when the verdict is valid.
    pub fn verified(&self) -> Option<&CardSecurityVerified> {
        self.verified.as_ref()
    }

    fn without_token(status: CheckStatus, reason: impl Into<String>) -> Self {
        CardSecurityReport {
            verdict: verdict_of(status),
            check: Check::new(CHECK_ID, status, reason),
            verified: None,
        }
    }
}

fn verdict_of(status: CheckStatus) -> PaVerdict {
    match status {
        CheckStatus::Passed | CheckStatus::Warning => PaVerdict::Valid,
        CheckStatus::Failed => PaVerdict::Invalid,
        CheckStatus::NotPerformed => PaVerdict::Inconclusive,
    }
}

fn status_word(s: CheckStatus) -> &'static str {
    match s {
        CheckStatus::Passed => "passed",
        CheckStatus::Failed => "failed",
        CheckStatus::Warning => "warning",
        CheckStatus::NotPerformed => "not_performed",
    }
}

/// Verifies EF.CardSecurity (`None`: not read or not given, the check is not performed) at
/// time `at` under `policy`, exactly as EF.SOD's signer is verified.
pub fn verify_card_security(
    bytes: Option<&[u8]>,
    trust: &TrustSnapshot,
    at: UnixTime,
    policy: &PaPolicy,
) -> CardSecurityReport {
    use CheckStatus::*;
    let Some(bytes) = bytes else {
        return CardSecurityReport::without_token(NotPerformed, "EF.CardSecurity not read");
    };
    // The parse also rejects an eContentType other than id-SecurityObject.
    let cs = match CardSecurity::parse(bytes) {
        Ok(cs) => cs,
        Err(e) => {
            return CardSecurityReport::without_token(
                Failed,
                format!("EF.CardSecurity does not parse: {e}"),
            )
        }
    };
    let sd = &cs.signed_data;
    let mut notes = AlgNotes::default();
    // Deviation lists (Doc 9303-12 §10) name EF.SOD defects; none applies here.
    let mut no_deviations = Vec::new();
    let problems = signed_data_problems(sd);
    let structure = if problems.is_empty() {
        Check::new(CHECK_ID, Passed, "well formed")
    } else {
        Check::new(CHECK_ID, Failed, problems.join("; "))
    };
    let accept = |ct: &str| {
        if ct == OID_SECURITY_OBJECT {
            Ok(None)
        } else {
            Err(format!("contentType {ct} is not id-SecurityObject"))
        }
    };
    let file = SignedFile {
        id: CHECK_ID,
        name: "EF.CardSecurity",
        signature_label: "CardSecurity signature",
        signature_deviation: None,
        accept: &accept,
    };
    let signing_time = sd
        .signer_infos
        .first()
        .map_or(super::SigningTime::Absent, super::signing_time_attribute);
    let (signature, ds) = signer_check(
        &file,
        sd,
        trust,
        policy,
        &signing_time,
        &mut notes,
        &mut no_deviations,
    );
    // The DS validity model applies as for EF.SOD, with the signingTime as the time of signing.
    let signed_at = match signing_time {
        super::SigningTime::At(t) => Some(super::SignedAt {
            at: t,
            until: t,
            source: "signingTime",
        }),
        _ => None,
    };
    let (chain, csca) = match &ds {
        Some(ds) => chain_check(
            ds,
            trust,
            at,
            policy,
            signed_at.as_ref(),
            &mut notes,
            &mut no_deviations,
        ),
        None => (
            Check::new(CHECK_ID, NotPerformed, "no DS certificate to check"),
            None,
        ),
    };
    let revocation = match (&ds, &csca) {
        (Some(ds), Some(csca)) => revocation_check(ds, csca, trust, at, policy, &mut notes),
        _ => Check::new(CHECK_ID, NotPerformed, "no verified DS/CSCA pair"),
    };
    let algorithms = algorithms_check(&mut notes);
    let steps = [
        ("structure", &structure),
        ("signature", &signature),
        ("ds_certificate", &chain),
        ("ds_revocation", &revocation),
        ("algorithms", &algorithms),
    ];
    let with = |s: CheckStatus| -> Vec<String> {
        steps
            .iter()
            .filter(|(_, c)| c.status == s)
            .map(|(n, c)| format!("{n}: {}", c.reason))
            .collect()
    };
    // As for EF.SOD: signature, DS chain and algorithms are mandatory; a missing CRL counts
    // only under MissingCrl::Fail (revocation_check then already failed).
    let missing: Vec<String> = steps
        .iter()
        .filter(|(n, c)| {
            c.status == NotPerformed
                && (*n != "ds_revocation" || policy.missing_crl == MissingCrl::Fail)
        })
        .map(|(n, c)| format!("{n}: {}", c.reason))
        .collect();
    let (status, reason) = if !with(Failed).is_empty() {
        (Failed, with(Failed).join("; "))
    } else if !missing.is_empty() {
        (NotPerformed, missing.join("; "))
    } else if !with(Warning).is_empty() {
        (
            Warning,
            format!(
                "signed by a Document Signer under a trusted CSCA; {}",
                with(Warning).join("; ")
            ),
        )
    } else {
        (
            Passed,
            "signed by a Document Signer under a trusted CSCA, valid and not revoked".to_owned(),
        )
    };
    let mut check = Check::new(CHECK_ID, status, reason);
    for (n, c) in &steps {
        check = check.detail(*n, format!("{}: {}", status_word(c.status), c.reason));
    }
    for c in [&signature, &chain] {
        for k in [
            "ds_subject",
            "ds_serial",
            "signature_algorithm",
            "csca_subject",
        ] {
            if let Some(v) = c.details.get(k) {
                check = check.detail(k, v.clone());
            }
        }
    }
    let verdict = verdict_of(status);
    let verified = (verdict == PaVerdict::Valid).then(|| CardSecurityVerified {
        sha256: DigestAlg::Sha256.digest(bytes),
        static_keys: cs
            .security_infos
            .chip_authentication_public_keys()
            .filter_map(|k| match &k.public_key.key {
                PublicKey::Ec { point } => Some(point.to_vec()),
                _ => None,
            })
            .collect(),
    });
    CardSecurityReport {
        verdict,
        check,
        verified,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::testkit::dataset::signed_card_security;
    use crate::testkit::lds_gen::{
        chip_authentication_public_key_info_ecdh, encode_security_infos,
        encode_unsigned_card_security, pace_info,
    };
    use crate::testkit::pki::{self, dates, SodSpec, TestKey};
    use crate::trust::Provenance;

    fn infos() -> Vec<u8> {
        encode_security_infos(&[
            pace_info("0.4.0.127.0.7.2.2.4.6.2", 2, Some(13)),
            chip_authentication_public_key_info_ecdh(13, &[0x04; 65], None),
        ])
    }

    fn trust() -> TrustSnapshot {
        let p = || Provenance {
            source: "test".into(),
            imported_at: 0,
        };
        TrustSnapshot::builder()
            .csca(include_bytes!("../../testdata/pki/csca-rsa.der"), p())
            .unwrap()
            .crl(include_bytes!("../../testdata/pki/crl-rsa.der"), p())
            .unwrap()
            .build()
    }

    fn at() -> UnixTime {
        pki::unix(2026, 6, 1)
    }

    fn run(bytes: &[u8], trust: &TrustSnapshot) -> CardSecurityReport {
        verify_card_security(Some(bytes), trust, at(), &PaPolicy::default())
    }

    #[test]
    fn signed_by_the_test_ds_passes_and_holds_the_key() {
        let r = run(&signed_card_security(&infos()).unwrap(), &trust());
        assert_eq!(r.check.status, CheckStatus::Passed, "{:?}", r.check);
        assert_eq!(r.verdict, PaVerdict::Valid);
        let v = r.verified().unwrap();
        assert!(v.holds_static_key(&[0x04; 65]));
        assert!(!v.holds_static_key(&[0x04; 64]));
        assert!(dates::ds_from() < at());
    }

    #[test]
    fn unsigned_tampered_and_wrong_type_fail() {
        let unsigned = encode_unsigned_card_security(&infos());
        let r = run(&unsigned, &trust());
        assert_eq!(r.check.status, CheckStatus::Failed, "{:?}", r.check);
        assert!(r.verified().is_none());

        let mut tampered = signed_card_security(&infos()).unwrap();
        let cs = CardSecurity::parse(&tampered).unwrap();
        let at = cs.signed_data.econtent_offset + cs.signed_data.econtent.len() - 1;
        tampered[at] ^= 0x01;
        let r = run(&tampered, &trust());
        assert_eq!(r.check.status, CheckStatus::Failed);
        assert!(
            r.check.reason.contains("messageDigest"),
            "{}",
            r.check.reason
        );

        // An EF.SOD-typed SignedData is not EF.CardSecurity.
        let key =
            TestKey::rsa_from_der(include_bytes!("../../testdata/pki/keys/ds-rsa2048.key.der"))
                .unwrap();
        let spec = SodSpec::signed_by(
            include_bytes!("../../testdata/pki/ds-rsa.der").to_vec(),
            crate::pa::algorithms::SignatureScheme::RsaPkcs1 {
                hash: DigestAlg::Sha256,
            },
            "2.23.136.1.1.1",
        );
        let wrong = pki::signed_content_info(
            &spec,
            &infos(),
            &key,
            &mut <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(1),
        );
        assert_eq!(run(&wrong, &trust()).check.status, CheckStatus::Failed);
        assert_eq!(
            run(b"\x30\x03\x02\x01\x00", &trust()).check.status,
            CheckStatus::Failed
        );
    }

    #[test]
    fn unknown_csca_is_never_passed() {
        let r = run(
            &signed_card_security(&infos()).unwrap(),
            &TrustSnapshot::empty(),
        );
        assert_eq!(r.check.status, CheckStatus::NotPerformed, "{:?}", r.check);
        assert_eq!(r.verdict, PaVerdict::Inconclusive);
        assert!(r.verified().is_none());
        let absent = verify_card_security(None, &trust(), at(), &PaPolicy::default());
        assert_eq!(absent.check.status, CheckStatus::NotPerformed);
    }

    #[test]
    fn hostile_bytes_never_pass_or_panic() {
        let good = signed_card_security(&infos()).unwrap();
        let t = trust();
        for len in 0..good.len() {
            let r = run(&good[..len], &t);
            assert_eq!(r.check.status, CheckStatus::Failed, "prefix {len}");
        }
        for i in (0..good.len()).step_by(5) {
            let mut b = good.clone();
            b[i] ^= 0x80;
            // A flip may leave it unparsable, unsigned, or (in an unsigned part such as the
            // certificate's outer length) still valid only if the signed bytes are unchanged.
            let r = run(&b, &t);
            if r.verified().is_some() {
                let cs = CardSecurity::parse(&b).unwrap();
                assert_eq!(
                    cs.signed_data.econtent,
                    CardSecurity::parse(&good).unwrap().signed_data.econtent
                );
            }
        }
    }

    #[test]
    fn expired_ds_fails() {
        let late = verify_card_security(
            Some(&signed_card_security(&infos()).unwrap()),
            &trust(),
            dates::ds_to() + 86_400,
            &PaPolicy::default(),
        );
        assert_eq!(late.check.status, CheckStatus::Failed, "{:?}", late.check);
        assert!(late.check.reason.contains("expired"));
    }
}
