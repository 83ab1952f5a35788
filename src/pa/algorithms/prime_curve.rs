//! ECDSA verification (ANSI X9.62 §7.4.1, BSI TR-03111 §4.2.1.2) for the Brainpool curves of
//! RFC 5639 that no maintained crate of this stack implements: brainpoolP192r1, P224r1,
//! P320r1 and P512r1 (the RustCrypto line has only bp256/bp384). The curve arithmetic is the
//! crate's prime-field implementation for PACE ([`crate::crypto::ec`]); this adds the ECDSA
//! equations.
//!
//! Verification handles public values only (point, signature, digest), so variable-time
//! arithmetic leaks nothing. [`EcdsaCurve::public_key`] and [`EcdsaCurve::sign`] exist for the
//! synthetic test PKI (`testkit::pki`); they are NOT constant-time and must never see a real
//! private key. Cross-checked against the bp384 crate in the tests.

use super::{AlgError, NamedCurve};
use crate::crypto::ec::{self, Curve, EcPoint};
use num_bigint::BigUint;

/// ECDSA over one curve of [`crate::crypto::ec`].
#[derive(Debug, Clone, Copy)]
pub struct EcdsaCurve(&'static Curve);

impl EcdsaCurve {
    /// The curve, when [`crate::crypto::ec`] has it (every Brainpool r1 curve and NIST P-*).
    pub fn of(curve: NamedCurve) -> Option<Self> {
        let name = match curve {
            NamedCurve::BrainpoolP192r1 => "brainpoolP192r1",
            NamedCurve::BrainpoolP224r1 => "brainpoolP224r1",
            NamedCurve::BrainpoolP256r1 => "brainpoolP256r1",
            NamedCurve::BrainpoolP320r1 => "brainpoolP320r1",
            NamedCurve::BrainpoolP384r1 => "brainpoolP384r1",
            NamedCurve::BrainpoolP512r1 => "brainpoolP512r1",
            _ => return None,
        };
        ec::all().iter().find(|c| c.name == name).map(EcdsaCurve)
    }

    /// Field element size in bytes (also the size of r and s for these curves).
    pub fn field_len(&self) -> usize {
        self.0.field_len
    }

    /// The leftmost min(|digest|, |n|) bits of the digest as an integer (X9.62 §7.4.1 step 2).
    fn digest_int(&self, digest: &[u8]) -> BigUint {
        let e = BigUint::from_bytes_be(digest);
        let dbits = u64::try_from(digest.len())
            .unwrap_or(u64::MAX)
            .saturating_mul(8);
        let nbits = self.0.n.bits();
        if dbits > nbits {
            e >> (dbits - nbits)
        } else {
            e
        }
    }

    fn inv_n(&self, x: &BigUint) -> BigUint {
        // n is prime.
        x.modpow(&(&self.0.n - 2u8), &self.0.n)
    }

    /// Verifies plain `r || s` (each [`Self::field_len`] bytes) over `digest` for the
    /// uncompressed public `point` (which must lie on the curve).
    pub fn verify(&self, point: &[u8], digest: &[u8], plain: &[u8]) -> Result<(), AlgError> {
        let c = self.0;
        let q = c.decode_point(point).map_err(|_| AlgError::Malformed {
            what: "EC public point (not on the curve)",
        })?;
        if plain.len() != c.field_len.saturating_mul(2) {
            return Err(AlgError::Malformed {
                what: "ECDSA signature",
            });
        }
        let (r, s) = plain.split_at(c.field_len);
        let (r, s) = (BigUint::from_bytes_be(r), BigUint::from_bytes_be(s));
        if r == BigUint::ZERO || s == BigUint::ZERO || r >= c.n || s >= c.n {
            return Err(AlgError::BadSignature);
        }
        let w = self.inv_n(&s);
        let u1 = (self.digest_int(digest) * &w) % &c.n;
        let u2 = (&r * &w) % &c.n;
        // R = u1·G + u2·Q; a zero term is the identity.
        let sum = match (c.mul(&u1, &c.g), c.mul(&u2, &q)) {
            (Some(a), Some(b)) => c.add(&a, &b),
            (a, b) => a.or(b),
        };
        match sum {
            Some(EcPoint { x, .. }) if &x % &c.n == r => Ok(()),
            _ => Err(AlgError::BadSignature),
        }
    }

    fn fixed(&self, v: &BigUint) -> Vec<u8> {
        let b = v.to_bytes_be();
        let mut out = vec![0u8; self.0.field_len.saturating_sub(b.len())];
        out.extend_from_slice(&b);
        out
    }

    /// Test data only (variable time): the uncompressed public point of scalar `d`, or None
    /// when `d` is not in [1, n-1].
    pub fn public_key(&self, d: &[u8]) -> Option<Vec<u8>> {
        let c = self.0;
        let d = BigUint::from_bytes_be(d);
        if d == BigUint::ZERO || d >= c.n {
            return None;
        }
        c.mul(&d, &c.g).map(|q| c.encode(&q))
    }

    /// Test data only (variable time): a plain signature with nonce `k` (None when `d` or `k`
    /// is out of range or r or s is zero; the caller draws another `k`).
    pub fn sign(&self, d: &[u8], digest: &[u8], k: &[u8]) -> Option<Vec<u8>> {
        let c = self.0;
        let d = BigUint::from_bytes_be(d);
        let k = BigUint::from_bytes_be(k);
        if d == BigUint::ZERO || d >= c.n || k == BigUint::ZERO || k >= c.n {
            return None;
        }
        let r = c.mul(&k, &c.g)?.x % &c.n;
        let s = (self.inv_n(&k) * (self.digest_int(digest) + &r * &d)) % &c.n;
        if r == BigUint::ZERO || s == BigUint::ZERO {
            return None;
        }
        Some([self.fixed(&r), self.fixed(&s)].concat())
    }
}

#[cfg(test)]
mod tests {
    use super::super::brainpool;
    use super::*;

    fn curve(c: NamedCurve) -> EcdsaCurve {
        EcdsaCurve::of(c).unwrap()
    }

    #[test]
    fn every_brainpool_curve_is_available_and_matches_the_pa_table() {
        for c in [
            NamedCurve::BrainpoolP192r1,
            NamedCurve::BrainpoolP224r1,
            NamedCurve::BrainpoolP256r1,
            NamedCurve::BrainpoolP320r1,
            NamedCurve::BrainpoolP384r1,
            NamedCurve::BrainpoolP512r1,
        ] {
            let k = curve(c).0;
            // The PACE table and the PA table (RFC 5639 both) agree on p, n and G.
            let t = c.params().unwrap();
            assert_eq!(
                k.p,
                BigUint::parse_bytes(t.p.as_bytes(), 16).unwrap(),
                "{c:?}"
            );
            assert_eq!(
                k.n,
                BigUint::parse_bytes(t.n.as_bytes(), 16).unwrap(),
                "{c:?}"
            );
            assert_eq!(hex::encode_upper(k.encode(&k.g)), t.g, "{c:?}");
        }
        assert!(EcdsaCurve::of(NamedCurve::P256).is_none());
    }

    /// Cross-check against the maintained bp384 implementation.
    #[test]
    fn agrees_with_the_bp384_crate() {
        let d = [0x17u8; 48];
        let k = curve(NamedCurve::BrainpoolP384r1);
        let q = brainpool::public_p384r1(&d).unwrap();
        assert_eq!(k.public_key(&d).unwrap(), q);
        let digest = [0xA5u8; 48];
        let sig = brainpool::sign_p384r1(&d, &digest).unwrap();
        assert_eq!(k.verify(&q, &digest, &sig), Ok(()));
        let mut bad = sig.clone();
        bad[5] ^= 1;
        assert_eq!(k.verify(&q, &digest, &bad), Err(AlgError::BadSignature));
        // And the crate verifies what this module signs.
        let mine = k.sign(&d, &digest, &[0x33u8; 48]).unwrap();
        assert_eq!(brainpool::verify_p384r1(&q, &digest, &mine), Ok(()));
    }

    #[test]
    fn p512r1_sign_verify_and_rejections() {
        let k = curve(NamedCurve::BrainpoolP512r1);
        let d = [0x5Cu8; 64];
        let q = k.public_key(&d).unwrap();
        assert_eq!(q.len(), 129);
        let digest = [0x3Cu8; 64];
        let sig = k.sign(&d, &digest, &[0x29u8; 64]).unwrap();
        assert_eq!(k.verify(&q, &digest, &sig), Ok(()));
        let mut other = digest;
        other[0] ^= 0x80;
        assert_eq!(k.verify(&q, &other, &sig), Err(AlgError::BadSignature));
        // r = 0, s ≥ n, wrong length, point off the curve.
        let mut zero_r = sig.clone();
        zero_r[..64].fill(0);
        assert_eq!(k.verify(&q, &digest, &zero_r), Err(AlgError::BadSignature));
        let mut big_s = sig.clone();
        big_s[64..].fill(0xFF);
        assert_eq!(k.verify(&q, &digest, &big_s), Err(AlgError::BadSignature));
        assert!(matches!(
            k.verify(&q, &digest, &sig[1..]),
            Err(AlgError::Malformed { .. })
        ));
        let mut off = q.clone();
        off[128] ^= 1;
        assert!(matches!(
            k.verify(&off, &digest, &sig),
            Err(AlgError::Malformed { .. })
        ));
    }
}
