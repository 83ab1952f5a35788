//! Finite-field Diffie-Hellman groups for PACE (Doc 9303-11 §9.5.1, parameterIds 0-2: the
//! RFC 5114 §2.1-2.3 MODP groups with prime-order subgroups).

use std::sync::OnceLock;

use num_bigint::BigUint;

use super::{hex_uint, to_fixed_bytes};

/// A DH group table entry (hex, as RFC 5114 prints it).
#[derive(Debug, Clone, Copy)]
pub struct DhHex {
    /// Name.
    pub name: &'static str,
    /// PACE standardized parameterId.
    pub parameter_id: u64,
    /// Prime modulus.
    pub p: &'static str,
    /// Generator of the order-q subgroup.
    pub g: &'static str,
    /// Subgroup order.
    pub q: &'static str,
}

/// A MODP group with a prime-order subgroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhGroup {
    /// Name.
    pub name: &'static str,
    /// PACE standardized parameterId.
    pub parameter_id: u64,
    /// Prime modulus p.
    pub p: BigUint,
    /// Generator g.
    pub g: BigUint,
    /// Order q of g.
    pub q: BigUint,
    /// Length of p in bytes (public keys and shared secrets are encoded at this length).
    pub len: usize,
}

/// Why a DH public value is refused.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DhError {
    /// Not encoded at the length of p.
    #[error("public value is {len} bytes, expected {expected}")]
    Length {
        /// Length given.
        len: usize,
        /// Length of p.
        expected: usize,
    },
    /// y <= 1 or y >= p - 1 (the trivial elements).
    #[error("public value out of range")]
    OutOfRange,
    /// y^q != 1 mod p: not in the prime-order subgroup (small-subgroup attack).
    #[error("public value not in the order-q subgroup")]
    NotInSubgroup,
}

impl DhGroup {
    fn from_hex(h: &DhHex) -> Self {
        let p = hex_uint(h.p);
        let len = usize::try_from(p.bits().div_ceil(8)).unwrap_or(0);
        DhGroup {
            name: h.name,
            parameter_id: h.parameter_id,
            g: hex_uint(h.g),
            q: hex_uint(h.q),
            p,
            len,
        }
    }

    /// The group of a standardized parameterId (0, 1 or 2).
    pub fn by_parameter_id(id: u64) -> Option<&'static DhGroup> {
        all().iter().find(|g| g.parameter_id == id)
    }

    /// The group whose p, g and q equal the given big-endian values exactly (for explicit
    /// PACEDomainParameterInfo parameters; no near matches).
    pub fn by_explicit(p: &[u8], g: &[u8], q: Option<&[u8]>) -> Option<&'static DhGroup> {
        let (p, g) = (BigUint::from_bytes_be(p), BigUint::from_bytes_be(g));
        let q = q.map(BigUint::from_bytes_be);
        all()
            .iter()
            .find(|d| d.p == p && d.g == g && q.as_ref().is_none_or(|q| *q == d.q))
    }

    /// `base^e mod p`.
    pub fn pow(&self, base: &BigUint, e: &BigUint) -> BigUint {
        base.modpow(e, &self.p)
    }

    /// `a * b mod p`.
    pub fn mul(&self, a: &BigUint, b: &BigUint) -> BigUint {
        (a * b) % &self.p
    }

    /// Encodes an element at the length of p.
    pub fn encode(&self, y: &BigUint) -> Vec<u8> {
        to_fixed_bytes(y, self.len).unwrap_or_default()
    }

    /// Decodes and validates a public value: length of p, 1 < y < p-1, y^q = 1.
    pub fn decode_public(&self, bytes: &[u8]) -> Result<BigUint, DhError> {
        if bytes.len() != self.len {
            return Err(DhError::Length {
                len: bytes.len(),
                expected: self.len,
            });
        }
        let y = BigUint::from_bytes_be(bytes);
        self.validate(&y)?;
        Ok(y)
    }

    /// Validates an element: 1 < y < p-1 and y in the order-q subgroup.
    pub fn validate(&self, y: &BigUint) -> Result<(), DhError> {
        let one = BigUint::from(1u8);
        if *y <= one || *y >= &self.p - &one {
            return Err(DhError::OutOfRange);
        }
        if y.modpow(&self.q, &self.p) != one {
            return Err(DhError::NotInSubgroup);
        }
        Ok(())
    }
}

include!("dh_params.rs");

/// Every built-in group.
pub fn all() -> &'static [DhGroup] {
    static ALL: OnceLock<Vec<DhGroup>> = OnceLock::new();
    ALL.get_or_init(|| {
        [MODP_1024_160, MODP_2048_224, MODP_2048_256]
            .iter()
            .map(DhGroup::from_hex)
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_consistent() {
        for g in all() {
            // g generates the order-q subgroup and p is of the declared size.
            assert_eq!(g.g.modpow(&g.q, &g.p), BigUint::from(1u8), "{}", g.name);
            assert!(g.validate(&g.g).is_ok());
            assert_eq!((&g.p - 1u8) % &g.q, BigUint::from(0u8));
        }
        assert_eq!(DhGroup::by_parameter_id(0).map(|g| g.len), Some(128));
        assert_eq!(DhGroup::by_parameter_id(2).map(|g| g.len), Some(256));
    }

    #[test]
    fn explicit_parameters_match_exactly() {
        let g = DhGroup::by_parameter_id(1).unwrap();
        let (p, gg, q) = (g.p.to_bytes_be(), g.g.to_bytes_be(), g.q.to_bytes_be());
        assert_eq!(DhGroup::by_explicit(&p, &gg, Some(&q)), Some(g));
        assert_eq!(DhGroup::by_explicit(&p, &gg, None), Some(g));
        let mut g2 = gg.clone();
        g2[3] ^= 1;
        assert_eq!(DhGroup::by_explicit(&p, &g2, Some(&q)), None);
        assert_eq!(DhGroup::by_explicit(&p, &gg, Some(&[7])), None);
    }

    #[test]
    fn rejects_trivial_and_small_subgroup_values() {
        let g = DhGroup::by_parameter_id(0).unwrap();
        let one = g.encode(&BigUint::from(1u8));
        assert_eq!(g.decode_public(&one), Err(DhError::OutOfRange));
        let pm1 = g.encode(&(&g.p - 1u8));
        assert_eq!(g.decode_public(&pm1), Err(DhError::OutOfRange));
        // 2 is not in the order-q subgroup of the RFC 5114 1024-bit group.
        let two = g.encode(&BigUint::from(2u8));
        assert_eq!(g.decode_public(&two), Err(DhError::NotInSubgroup));
        assert!(matches!(
            g.decode_public(&[1, 2, 3]),
            Err(DhError::Length { .. })
        ));
    }
}
