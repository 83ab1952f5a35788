#![no_main]
//! CV certificates (BSI TR-03110-3 Appendix C.1) from fuzzer bytes: the whole-certificate and
//! PSO-data parsers, the chain-file splitter (DER and PEM), and for what parses the signature
//! check with a fixed brainpoolP256r1 key and the Terminal Authentication credential checks.
//! Must never panic, and a forged certificate never verifies.
use inspectd::chip::ta::{SoftwareSigner, TerminalCredentials, TerminalSigner};
use inspectd::lds::cvc::{split_certificates, CvCertificate};
use inspectd::pa::algorithms::NamedCurve;
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};

fn signer() -> &'static SoftwareSigner {
    static S: OnceLock<SoftwareSigner> = OnceLock::new();
    S.get_or_init(|| {
        SoftwareSigner::new(NamedCurve::BrainpoolP256r1, &[7u8; 32]).expect("fixed scalar")
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = inspectd::lds::cvc::ef_cvca_cars(data);
    let _ = CvCertificate::parse_parts(data);
    if let Ok(c) = CvCertificate::parse(data) {
        let _ = c.pso_data();
        let _ = c.chat.role();
        let _ = c.chat.rights();
        // The fuzzer does not hold the fixed key's private half.
        assert!(c
            .verify_with(&signer().public_key(), c.algorithm)
            .is_err());
    }
    if let Ok(certs) = split_certificates(data, 8) {
        let s: Arc<dyn TerminalSigner> = Arc::new(signer().clone());
        if let Ok(creds) = TerminalCredentials::new(certs, s) {
            let _ = creds.to_present(&[]);
        }
    }
});
