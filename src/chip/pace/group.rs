//! The PACE group abstraction (Doc 9303-11 §4.4.3): the same protocol runs over an elliptic
//! curve (ECDH, parameterIds 8-18) or a MODP group (DH, parameterIds 0-2); this module gives
//! both one interface (exponentiation, group operation, encoding, validation, mappings).

use num_bigint::BigUint;
use rand_core::CryptoRngCore;

use crate::crypto::dh::{DhError, DhGroup};
use crate::crypto::ec::{Curve, EcError, EcPoint};
use crate::crypto::to_fixed_bytes;
use crate::lds::oid::KeyAgreement;

/// A PACE group: a standardized curve or MODP group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaceGroup {
    /// An elliptic curve (ECDH).
    Ec(&'static Curve),
    /// A MODP group (DH).
    Dh(&'static DhGroup),
}

/// An element of a [`PaceGroup`] other than the identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Element {
    /// A curve point.
    Ec(EcPoint),
    /// A residue mod p.
    Dh(BigUint),
}

/// Why a public key from the chip (or the terminal, on the chip side) is refused.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// An elliptic-curve point failed validation.
    #[error("{0}")]
    Ec(#[from] EcError),
    /// A DH public value failed validation.
    #[error("{0}")]
    Dh(#[from] DhError),
}

impl PaceGroup {
    /// The group of a standardized parameterId (Doc 9303-11 §9.5.1): 0-2 DH, 8-18 ECDH.
    pub fn by_parameter_id(id: u64) -> Option<Self> {
        Curve::by_parameter_id(id)
            .map(PaceGroup::Ec)
            .or_else(|| DhGroup::by_parameter_id(id).map(PaceGroup::Dh))
    }

    /// DH or ECDH.
    pub fn key_agreement(&self) -> KeyAgreement {
        match self {
            PaceGroup::Ec(_) => KeyAgreement::Ecdh,
            PaceGroup::Dh(_) => KeyAgreement::Dh,
        }
    }

    /// The standardized parameterId.
    pub fn parameter_id(&self) -> u64 {
        match self {
            PaceGroup::Ec(c) => c.parameter_id,
            PaceGroup::Dh(d) => d.parameter_id,
        }
    }

    /// The group's name.
    pub fn name(&self) -> &'static str {
        match self {
            PaceGroup::Ec(c) => c.name,
            PaceGroup::Dh(d) => d.name,
        }
    }

    /// The static generator (G or g).
    pub fn generator(&self) -> Element {
        match self {
            PaceGroup::Ec(c) => Element::Ec(c.g.clone()),
            PaceGroup::Dh(d) => Element::Dh(d.g.clone()),
        }
    }

    /// The order of the generator (n or q).
    pub fn order(&self) -> &BigUint {
        match self {
            PaceGroup::Ec(c) => &c.n,
            PaceGroup::Dh(d) => &d.q,
        }
    }

    /// A uniformly random scalar in [1, order-1] (64 extra bits, then reduction).
    pub fn random_scalar(&self, rng: &mut dyn CryptoRngCore) -> BigUint {
        let n = self.order();
        let len = usize::try_from(n.bits().div_ceil(8))
            .unwrap_or(0)
            .saturating_add(8);
        let mut b = vec![0u8; len];
        rng.fill_bytes(&mut b);
        let m = n - 1u8;
        BigUint::from_bytes_be(&b) % m + 1u8
    }

    /// `k · base` (ECDH) or `base^k` (DH); `None` for the identity or a mismatched element.
    pub fn exp(&self, base: &Element, k: &BigUint) -> Option<Element> {
        match (self, base) {
            (PaceGroup::Ec(c), Element::Ec(p)) => c.mul(k, p).map(Element::Ec),
            (PaceGroup::Dh(d), Element::Dh(y)) => {
                let r = d.pow(y, k);
                (r > BigUint::from(1u8)).then_some(Element::Dh(r))
            }
            _ => None,
        }
    }

    /// The group operation `a + b` / `a · b`; `None` for the identity.
    pub fn op(&self, a: &Element, b: &Element) -> Option<Element> {
        match (self, a, b) {
            (PaceGroup::Ec(c), Element::Ec(p), Element::Ec(q)) => c.add(p, q).map(Element::Ec),
            (PaceGroup::Dh(d), Element::Dh(x), Element::Dh(y)) => {
                let r = d.mul(x, y);
                (r > BigUint::from(1u8)).then_some(Element::Dh(r))
            }
            _ => None,
        }
    }

    /// The public key encoding (Doc 9303-11 §9.4.4 / TR-03110-3 §D.3.4): `04 ‖ x ‖ y` for a
    /// point, the value at the length of p for DH.
    pub fn encode(&self, e: &Element) -> Vec<u8> {
        match (self, e) {
            (PaceGroup::Ec(c), Element::Ec(p)) => c.encode(p),
            (PaceGroup::Dh(d), Element::Dh(y)) => d.encode(y),
            _ => Vec::new(),
        }
    }

    /// Decodes and validates a public key (on the curve / in the subgroup, not the identity).
    pub fn decode(&self, bytes: &[u8]) -> Result<Element, KeyError> {
        Ok(match self {
            PaceGroup::Ec(c) => Element::Ec(c.decode_point(bytes)?),
            PaceGroup::Dh(d) => Element::Dh(d.decode_public(bytes)?),
        })
    }

    /// The shared secret as an octet string: the x-coordinate (ECDH) or the value at the
    /// length of p (DH) (Doc 9303-11 §4.4.3.3 and §9.6).
    pub fn shared_bytes(&self, e: &Element) -> Vec<u8> {
        match (self, e) {
            (PaceGroup::Ec(c), Element::Ec(p)) => c.x_bytes(p),
            (PaceGroup::Dh(d), Element::Dh(y)) => d.encode(y),
            _ => Vec::new(),
        }
    }

    /// The data-object tag of a public key in the authentication token input: 86 (EC public
    /// point) or 84 (DH public value) (TR-03110-3 §D.3.3).
    pub fn public_key_tag(&self) -> u32 {
        match self {
            PaceGroup::Ec(_) => 0x86,
            PaceGroup::Dh(_) => 0x84,
        }
    }

    /// Generic Mapping (Doc 9303-11 §4.4.3.3.1): Ĝ = s·G + H, or ĝ = g^s · h.
    pub fn generic_map(&self, s: &BigUint, h: &Element) -> Option<Element> {
        let sg = self.exp(&self.generator(), s)?;
        self.op(&sg, h)
    }

    /// Integrated Mapping (Doc 9303-11 §4.4.3.4.2): Ĝ = f_G(R(s,t)) on a curve,
    /// ĝ = R(s,t)^((p-1)/q) mod p for DH. `None` when the curve has no point encoding
    /// (p ≢ 3 mod 4) or the result is trivial.
    pub fn integrated_map(&self, r: &BigUint) -> Option<Element> {
        match self {
            PaceGroup::Ec(c) => c.encode_to_point(r).map(Element::Ec),
            PaceGroup::Dh(d) => {
                let e = (&d.p - 1u8) / &d.q;
                let g = d.pow(&(r % &d.p), &e);
                (g > BigUint::from(1u8)).then_some(Element::Dh(g))
            }
        }
    }

    /// Whether the Integrated Mapping is defined for this group.
    pub fn supports_integrated_mapping(&self) -> bool {
        match self {
            PaceGroup::Ec(c) => &c.p % 4u8 == BigUint::from(3u8) && c.a != BigUint::ZERO,
            PaceGroup::Dh(_) => true,
        }
    }

    /// The field prime (R(s,t) is reduced modulo it).
    pub fn prime(&self) -> &BigUint {
        match self {
            PaceGroup::Ec(c) => &c.p,
            PaceGroup::Dh(d) => &d.p,
        }
    }

    /// A scalar at the length of the order (for CAM chip authentication data).
    pub fn scalar_bytes(&self, k: &BigUint) -> Vec<u8> {
        let len = match self {
            PaceGroup::Ec(c) => c.field_len,
            PaceGroup::Dh(d) => usize::try_from(d.q.bits().div_ceil(8)).unwrap_or(0),
        };
        to_fixed_bytes(k, len).unwrap_or_else(|| k.to_bytes_be())
    }
}
