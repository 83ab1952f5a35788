//! Secure messaging as a protocol wrapper (Doc 9303-11 §9.8), like a TLS record layer.

use super::{ChipError, ChipProtocol, Step};
use crate::apdu::ResponseApdu;
use crate::sm::{max_plain_response_len, SmCipher, SmSession};

/// An established secure-messaging session. Only access-control protocols of this module
/// (BAC; later PACE and Chip Authentication) can create one.
#[derive(Debug)]
pub struct SecureSession {
    sm: SmSession,
}

impl SecureSession {
    pub(crate) fn new(sm: SmSession) -> Self {
        SecureSession { sm }
    }

    /// The cipher suite.
    pub fn cipher(&self) -> SmCipher {
        self.sm.cipher()
    }

    /// False once any SM error happened.
    pub fn is_open(&self) -> bool {
        self.sm.is_open()
    }

    /// The current send sequence counter.
    pub fn ssc(&self) -> &[u8] {
        self.sm.ssc()
    }

    /// The largest plain Ne whose protected response fits `max_response_len` bytes
    /// (see [`max_plain_response_len`]).
    pub fn max_plain_le(&self, max_response_len: usize) -> usize {
        max_plain_response_len(self.sm.cipher(), max_response_len, false)
    }
}

/// Runs `P` under secure messaging: each emitted command is wrapped, each response is
/// unwrapped (MAC first) before `P` sees it. Any SM error ends the run and closes the session.
#[derive(Debug)]
pub struct Secured<P> {
    session: SecureSession,
    inner: P,
}

impl<P> Secured<P> {
    /// Wraps `inner` in `session`.
    pub fn new(session: SecureSession, inner: P) -> Self {
        Secured { session, inner }
    }

    /// The session and the inner protocol (to run the next protocol on the same session).
    pub fn into_parts(self) -> (SecureSession, P) {
        (self.session, self.inner)
    }

    /// The session.
    pub fn session(&self) -> &SecureSession {
        &self.session
    }

    /// The inner protocol.
    pub fn inner(&self) -> &P {
        &self.inner
    }
}

impl<P: ChipProtocol> ChipProtocol for Secured<P> {
    type Output = P::Output;

    fn resume(&mut self, response: Option<ResponseApdu>) -> Result<Step<P::Output>, ChipError> {
        let plain = match response {
            None => None,
            Some(r) => Some(self.session.sm.unwrap(&r)?),
        };
        match self.inner.resume(plain)? {
            Step::Done(out) => Ok(Step::Done(out)),
            Step::Transmit(cmd) => Ok(Step::Transmit(self.session.sm.wrap(&cmd)?)),
        }
    }
}
