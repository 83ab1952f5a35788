//! Short Weierstrass curves `y² = x³ + ax + b` over prime fields, for the standardized PACE
//! domain parameters (Doc 9303-11 §9.5.1, parameterIds 8-18: NIST P-192/224/256/384/521 and
//! brainpoolP192r1-P512r1, RFC 5639), and the Integrated Mapping point encoding
//! (Doc 9303-11 §4.4.3.4.2, BSI TR-03110-3 §A.3.5).

use std::sync::OnceLock;

use num_bigint::BigUint;

use super::{hex_uint, to_fixed_bytes};

/// A curve table entry (hex).
#[derive(Debug, Clone, Copy)]
pub struct CurveHex {
    /// Name.
    pub name: &'static str,
    /// PACE standardized parameterId.
    pub parameter_id: u64,
    /// Field prime.
    pub p: &'static str,
    /// Coefficient a.
    pub a: &'static str,
    /// Coefficient b.
    pub b: &'static str,
    /// Generator x.
    pub gx: &'static str,
    /// Generator y.
    pub gy: &'static str,
    /// Order of G.
    pub n: &'static str,
    /// Cofactor.
    pub h: u32,
}

/// An affine point other than the identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcPoint {
    /// x-coordinate.
    pub x: BigUint,
    /// y-coordinate.
    pub y: BigUint,
}

/// A prime-field curve with its generator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Curve {
    /// Name.
    pub name: &'static str,
    /// PACE standardized parameterId.
    pub parameter_id: u64,
    /// Field prime p.
    pub p: BigUint,
    /// a.
    pub a: BigUint,
    /// b.
    pub b: BigUint,
    /// Generator G.
    pub g: EcPoint,
    /// Order n of G.
    pub n: BigUint,
    /// Cofactor h.
    pub h: BigUint,
    /// Field element length in bytes.
    pub field_len: usize,
}

/// Why a point is refused.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EcError {
    /// Not `04 ‖ x ‖ y` at the field length (compressed points and the identity encoding
    /// included).
    #[error("not an uncompressed point of the curve's size")]
    Encoding,
    /// A coordinate is not below p.
    #[error("coordinate not in the field")]
    OutOfField,
    /// The point does not satisfy the curve equation (invalid-curve attack).
    #[error("point not on the curve")]
    NotOnCurve,
    /// The point's order is not n (only possible when h > 1).
    #[error("point of the wrong order")]
    WrongOrder,
    /// A computation gave the point at infinity.
    #[error("point at infinity")]
    Identity,
}

/// Jacobian coordinates (X, Y, Z) with x = X/Z², y = Y/Z³; Z = 0 is the identity.
#[derive(Clone)]
struct Jacobian {
    x: BigUint,
    y: BigUint,
    z: BigUint,
}

impl Curve {
    fn from_hex(c: &CurveHex) -> Self {
        let p = hex_uint(c.p);
        let field_len = usize::try_from(p.bits().div_ceil(8)).unwrap_or(0);
        Curve {
            name: c.name,
            parameter_id: c.parameter_id,
            a: hex_uint(c.a),
            b: hex_uint(c.b),
            g: EcPoint {
                x: hex_uint(c.gx),
                y: hex_uint(c.gy),
            },
            n: hex_uint(c.n),
            h: BigUint::from(c.h),
            p,
            field_len,
        }
    }

    /// The curve of a standardized parameterId (8-18).
    pub fn by_parameter_id(id: u64) -> Option<&'static Curve> {
        all().iter().find(|c| c.parameter_id == id)
    }

    /// The curve whose p, a, b, G, n (and h, when given) equal the given values exactly
    /// (explicit parameters are accepted only as an exact match; pitfalls #6).
    pub fn by_explicit(
        p: &[u8],
        a: &[u8],
        b: &[u8],
        g: &[u8],
        n: &[u8],
        h: Option<&[u8]>,
    ) -> Option<&'static Curve> {
        let u = BigUint::from_bytes_be;
        all().iter().find(|c| {
            c.p == u(p)
                && c.a == u(a)
                && c.b == u(b)
                && c.encode(&c.g) == g
                && c.n == u(n)
                && h.is_none_or(|h| c.h == u(h))
        })
    }

    fn add_mod(&self, a: &BigUint, b: &BigUint) -> BigUint {
        (a + b) % &self.p
    }

    fn sub_mod(&self, a: &BigUint, b: &BigUint) -> BigUint {
        ((a + &self.p) - (b % &self.p)) % &self.p
    }

    fn mul_mod(&self, a: &BigUint, b: &BigUint) -> BigUint {
        (a * b) % &self.p
    }

    /// `a⁻¹ mod p` (Fermat; p is prime). Zero maps to zero.
    fn inv(&self, a: &BigUint) -> BigUint {
        a.modpow(&(&self.p - 2u8), &self.p)
    }

    /// `x³ + ax + b mod p`.
    fn rhs(&self, x: &BigUint) -> BigUint {
        let x3 = self.mul_mod(&self.mul_mod(x, x), x);
        self.add_mod(&self.add_mod(&x3, &self.mul_mod(&self.a, x)), &self.b)
    }

    /// Whether `pt` satisfies the curve equation with coordinates in the field.
    pub fn is_on_curve(&self, pt: &EcPoint) -> bool {
        pt.x < self.p && pt.y < self.p && self.mul_mod(&pt.y, &pt.y) == self.rhs(&pt.x)
    }

    /// `04 ‖ x ‖ y`.
    pub fn encode(&self, pt: &EcPoint) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.field_len.saturating_mul(2).saturating_add(1));
        out.push(0x04);
        out.extend(to_fixed_bytes(&pt.x, self.field_len).unwrap_or_default());
        out.extend(to_fixed_bytes(&pt.y, self.field_len).unwrap_or_default());
        out
    }

    /// The x-coordinate at the field length (the ECDH shared secret, TR-03111 §4.3.1).
    pub fn x_bytes(&self, pt: &EcPoint) -> Vec<u8> {
        to_fixed_bytes(&pt.x, self.field_len).unwrap_or_default()
    }

    /// Decodes and validates a public point: uncompressed, in the field, on the curve, and of
    /// order n (checked by multiplication only when h > 1; for h = 1 every point has order n).
    pub fn decode_point(&self, bytes: &[u8]) -> Result<EcPoint, EcError> {
        let l = self.field_len;
        if bytes.len() != l.saturating_mul(2).saturating_add(1) || bytes.first() != Some(&0x04) {
            return Err(EcError::Encoding);
        }
        let x = BigUint::from_bytes_be(bytes.get(1..=l).ok_or(EcError::Encoding)?);
        let y = BigUint::from_bytes_be(bytes.get(l.saturating_add(1)..).ok_or(EcError::Encoding)?);
        if x >= self.p || y >= self.p {
            return Err(EcError::OutOfField);
        }
        let pt = EcPoint { x, y };
        if !self.is_on_curve(&pt) {
            return Err(EcError::NotOnCurve);
        }
        if self.h != BigUint::from(1u8) && self.mul(&self.n, &pt).is_some() {
            return Err(EcError::WrongOrder);
        }
        Ok(pt)
    }

    fn to_jacobian(pt: &EcPoint) -> Jacobian {
        Jacobian {
            x: pt.x.clone(),
            y: pt.y.clone(),
            z: BigUint::from(1u8),
        }
    }

    fn to_affine(&self, j: &Jacobian) -> Option<EcPoint> {
        if j.z == BigUint::ZERO {
            return None;
        }
        let zi = self.inv(&j.z);
        let zi2 = self.mul_mod(&zi, &zi);
        Some(EcPoint {
            x: self.mul_mod(&j.x, &zi2),
            y: self.mul_mod(&j.y, &self.mul_mod(&zi2, &zi)),
        })
    }

    fn double(&self, j: &Jacobian) -> Jacobian {
        if j.z == BigUint::ZERO || j.y == BigUint::ZERO {
            return Jacobian {
                x: BigUint::from(1u8),
                y: BigUint::from(1u8),
                z: BigUint::ZERO,
            };
        }
        let xx = self.mul_mod(&j.x, &j.x);
        let yy = self.mul_mod(&j.y, &j.y);
        let yyyy = self.mul_mod(&yy, &yy);
        let zz = self.mul_mod(&j.z, &j.z);
        let s = self.mul_mod(&BigUint::from(4u8), &self.mul_mod(&j.x, &yy));
        let m = self.add_mod(
            &self.mul_mod(&BigUint::from(3u8), &xx),
            &self.mul_mod(&self.a, &self.mul_mod(&zz, &zz)),
        );
        let x3 = self.sub_mod(&self.mul_mod(&m, &m), &self.add_mod(&s, &s));
        let y3 = self.sub_mod(
            &self.mul_mod(&m, &self.sub_mod(&s, &x3)),
            &self.mul_mod(&BigUint::from(8u8), &yyyy),
        );
        let z3 = self.mul_mod(&BigUint::from(2u8), &self.mul_mod(&j.y, &j.z));
        Jacobian {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// Jacobian + affine.
    fn add_mixed(&self, j: &Jacobian, q: &EcPoint) -> Jacobian {
        if j.z == BigUint::ZERO {
            return Self::to_jacobian(q);
        }
        let z1z1 = self.mul_mod(&j.z, &j.z);
        let u2 = self.mul_mod(&q.x, &z1z1);
        let s2 = self.mul_mod(&q.y, &self.mul_mod(&j.z, &z1z1));
        let h = self.sub_mod(&u2, &j.x);
        let r = self.sub_mod(&s2, &j.y);
        if h == BigUint::ZERO {
            if r == BigUint::ZERO {
                return self.double(j);
            }
            return Jacobian {
                x: BigUint::from(1u8),
                y: BigUint::from(1u8),
                z: BigUint::ZERO,
            };
        }
        let hh = self.mul_mod(&h, &h);
        let hhh = self.mul_mod(&h, &hh);
        let v = self.mul_mod(&j.x, &hh);
        let x3 = self.sub_mod(
            &self.sub_mod(&self.mul_mod(&r, &r), &hhh),
            &self.add_mod(&v, &v),
        );
        let y3 = self.sub_mod(
            &self.mul_mod(&r, &self.sub_mod(&v, &x3)),
            &self.mul_mod(&j.y, &hhh),
        );
        let z3 = self.mul_mod(&j.z, &h);
        Jacobian {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// `k · pt`; `None` for the identity.
    pub fn mul(&self, k: &BigUint, pt: &EcPoint) -> Option<EcPoint> {
        let mut acc = Jacobian {
            x: BigUint::from(1u8),
            y: BigUint::from(1u8),
            z: BigUint::ZERO,
        };
        for i in (0..k.bits()).rev() {
            acc = self.double(&acc);
            if k.bit(i) {
                acc = self.add_mixed(&acc, pt);
            }
        }
        self.to_affine(&acc)
    }

    /// `a + b`; `None` for the identity.
    pub fn add(&self, a: &EcPoint, b: &EcPoint) -> Option<EcPoint> {
        self.to_affine(&self.add_mixed(&Self::to_jacobian(a), b))
    }

    /// The Integrated Mapping point encoding f_G (Doc 9303-11 §4.4.3.4.2.2, after Brier et
    /// al., "Efficient indifferentiable hashing into ordinary elliptic curves"; TR-03110-3
    /// §A.3.5.2), defined for p ≡ 3 mod 4. `None` if the curve does not qualify or t is a
    /// degenerate input (t = 0, a = 0); the result is multiplied by the cofactor.
    pub fn encode_to_point(&self, t: &BigUint) -> Option<EcPoint> {
        let p = &self.p;
        let four = BigUint::from(4u8);
        if p % &four != BigUint::from(3u8) || self.a == BigUint::ZERO {
            return None;
        }
        let t = t % p;
        if t == BigUint::ZERO {
            return None;
        }
        // 1. α = -t² mod p
        let alpha = self.sub_mod(&BigUint::ZERO, &self.mul_mod(&t, &t));
        // 2. X2 = -b·a⁻¹·(1 + (α + α²)⁻¹) mod p
        let aa = self.add_mod(&alpha, &self.mul_mod(&alpha, &alpha));
        if aa == BigUint::ZERO {
            return None;
        }
        let one = BigUint::from(1u8);
        let x2 = self.mul_mod(
            &self.sub_mod(&BigUint::ZERO, &self.mul_mod(&self.b, &self.inv(&self.a))),
            &self.add_mod(&one, &self.inv(&aa)),
        );
        // 3. X3 = α·X2 mod p
        let x3 = self.mul_mod(&alpha, &x2);
        // 4. h2 = X2³ + a·X2 + b
        let h2 = self.rhs(&x2);
        // 6. U = t³·h2
        let u = self.mul_mod(&self.mul_mod(&self.mul_mod(&t, &t), &t), &h2);
        // 7. A = h2^(p - 1 - (p+1)/4)
        let e = (p - &one) - ((p + &one) / &four);
        let a = h2.modpow(&e, p);
        // 8./9.
        let pt = if self.mul_mod(&self.mul_mod(&a, &a), &h2) == one {
            EcPoint {
                x: x2,
                y: self.mul_mod(&a, &h2),
            }
        } else {
            EcPoint {
                x: x3,
                y: self.mul_mod(&a, &u),
            }
        };
        if !self.is_on_curve(&pt) {
            return None;
        }
        if self.h == one {
            Some(pt)
        } else {
            self.mul(&self.h, &pt)
        }
    }
}

include!("ec_params.rs");

/// Every built-in curve, by parameterId.
pub fn all() -> &'static [Curve] {
    static ALL: OnceLock<Vec<Curve>> = OnceLock::new();
    ALL.get_or_init(|| {
        [
            P192, BP192R1, P224, BP224R1, P256, BP256R1, BP320R1, P384, BP384R1, BP512R1, P521,
        ]
        .iter()
        .map(Curve::from_hex)
        .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_consistent() {
        assert_eq!(all().len(), 11);
        for (c, id) in all().iter().zip(8u64..) {
            assert_eq!(c.parameter_id, id);
            assert!(c.is_on_curve(&c.g), "{}", c.name);
            assert_eq!(c.mul(&c.n, &c.g), None, "{}: n·G = O", c.name);
            let two_g = c.add(&c.g, &c.g).unwrap();
            assert_eq!(c.mul(&BigUint::from(2u8), &c.g), Some(two_g.clone()));
            let three = c.add(&two_g, &c.g).unwrap();
            assert_eq!(c.mul(&BigUint::from(3u8), &c.g), Some(three));
            assert_eq!(c.decode_point(&c.encode(&c.g)), Ok(c.g.clone()));
        }
    }

    #[test]
    fn matches_p256_crate() {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        let c = Curve::by_parameter_id(12).unwrap();
        let d = hex::decode("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721")
            .unwrap();
        let sk = p256::SecretKey::from_slice(&d).unwrap();
        let want = sk.public_key().to_encoded_point(false).as_bytes().to_vec();
        let got = c.mul(&BigUint::from_bytes_be(&d), &c.g).unwrap();
        assert_eq!(c.encode(&got), want);
    }

    #[test]
    fn rejects_bad_points() {
        let c = Curve::by_parameter_id(13).unwrap();
        let mut g = c.encode(&c.g);
        assert_eq!(c.decode_point(&g[..33]), Err(EcError::Encoding));
        let last = g.len() - 1;
        g[last] ^= 1;
        assert_eq!(c.decode_point(&g), Err(EcError::NotOnCurve));
        let mut big = vec![0x04];
        big.extend(vec![0xFF; 64]);
        assert_eq!(c.decode_point(&big), Err(EcError::OutOfField));
        let mut zero = vec![0x04];
        zero.extend(vec![0; 64]);
        assert!(c.decode_point(&zero).is_err());
    }

    #[test]
    fn explicit_parameters_match_exactly() {
        let c = Curve::by_parameter_id(13).unwrap();
        let (p, a, b, n) = (
            c.p.to_bytes_be(),
            c.a.to_bytes_be(),
            c.b.to_bytes_be(),
            c.n.to_bytes_be(),
        );
        let g = c.encode(&c.g);
        assert_eq!(Curve::by_explicit(&p, &a, &b, &g, &n, Some(&[1])), Some(c));
        let mut b2 = b.clone();
        b2[0] ^= 1;
        assert_eq!(Curve::by_explicit(&p, &a, &b2, &g, &n, Some(&[1])), None);
    }
}
