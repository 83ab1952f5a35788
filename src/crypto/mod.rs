//! Group arithmetic for PACE (Doc 9303-11 §4.4, §9.5.1): generic prime-field elliptic curves
//! ([`ec`]) over every standardized PACE curve (parameterIds 8-18) and the RFC 5114 MODP groups
//! ([`dh`], parameterIds 0-2).
//!
//! Written over `num-bigint` because PACE needs operations the RustCrypto curve crates do not
//! expose for all eleven curves (point addition with a mapped generator, the Integrated Mapping
//! point encoding, brainpoolP192/224/320/512r1). Public keys are always validated before use
//! (pitfalls #14). Scalar multiplication is not constant-time: the terminal's secrets are
//! single-use ephemeral keys, and the host is not the chip's side-channel surface.

pub mod dh;
pub mod ec;

use num_bigint::BigUint;

/// Big-endian bytes of `v`, left-padded with zeros to `len` (`None` if `v` does not fit).
pub fn to_fixed_bytes(v: &BigUint, len: usize) -> Option<Vec<u8>> {
    let b = v.to_bytes_be();
    let b: &[u8] = if b == [0] { &[] } else { &b };
    let pad = len.checked_sub(b.len())?;
    let mut out = vec![0u8; pad];
    out.extend_from_slice(b);
    Some(out)
}

/// Parses a hex constant of the built-in tables (all are valid; an empty result never reaches
/// a computation because the tables are checked by tests).
pub(crate) fn hex_uint(s: &str) -> BigUint {
    BigUint::parse_bytes(s.as_bytes(), 16).unwrap_or_default()
}
