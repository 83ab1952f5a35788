#![no_main]
//! Terminal Authentication (BSI TR-03110-3 §B.11) terminal side against fuzzer-chosen chip
//! responses: the synthetic EAC chain (DV, IS) presented through command chaining (pieces of
//! at most 100 bytes), every answer (MSE, PSO, GET CHALLENGE, EXTERNAL AUTHENTICATE, chained
//! pieces) from the fuzzer; plus EF.CVCA parsing of the input. Must never panic.
use inspectd::apdu::ResponseApdu;
use inspectd::chip::chain::Chained;
use inspectd::chip::ta::{TerminalAuthentication, TerminalSigner};
use inspectd::chip::{ChipProtocol, Step};
use inspectd::testkit::cv_pki::{cv_pki, CvPki};
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};

fn pki() -> &'static CvPki {
    static P: OnceLock<CvPki> = OnceLock::new();
    P.get_or_init(|| cv_pki().expect("fixed test PKI"))
}

fuzz_target!(|data: &[u8]| {
    let _ = inspectd::lds::cvc::ef_cvca_cars(data);
    let p = pki();
    let signer: Arc<dyn TerminalSigner> = Arc::new(p.is_key.clone());
    let Ok(ta) = TerminalAuthentication::new(
        vec![p.dv.clone(), p.is.clone()],
        signer,
        b"U123456784".to_vec(),
        vec![0x11; 32],
        2,
    ) else {
        return;
    };
    let mut proto = Chained::new(ta, 100);
    // Responses: `len(1) ‖ bytes`, at most 40.
    let mut rest = data;
    let mut last = None;
    for _ in 0..40 {
        match proto.resume(last.take()) {
            Ok(Step::Done(_)) | Err(_) => return,
            Ok(Step::Transmit(_)) => {}
        }
        let [len, tail @ ..] = rest else { return };
        let n = usize::from(*len).min(tail.len());
        let (r, t) = tail.split_at(n);
        rest = t;
        match ResponseApdu::parse(r) {
            Ok(rsp) => last = Some(rsp),
            Err(_) => return,
        }
    }
});
