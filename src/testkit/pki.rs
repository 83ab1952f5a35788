//! A deterministic synthetic eMRTD PKI for Passive Authentication tests (Doc 9303-12 §5-§7):
//! CSCAs (RSA PKCS#1, RSA-PSS, ECDSA P-256 named, brainpoolP256r1 explicit), DS certificates,
//! a link certificate, a CRL, and signed EF.SODs over the synthetic passport of
//! [`super::lds_gen`], with the mutations the conformance table needs.
//!
//! SYNTHETIC TEST KEYS ONLY. RSA keys are slow to generate in debug builds, so they are made
//! once from a seeded ChaCha20 RNG and committed (`testdata/pki/keys/*.key.der`, PKCS #1);
//! [`generate`] takes them as input. EC keys and every random value (PSS salts, ECDSA nonces)
//! come from seeded RNGs, and all dates are fixed, so the output is byte-for-byte stable.

use crate::lds::oid;
use crate::pa::algorithms::{CurveParams, DigestAlg, EcdsaFormat, NamedCurve, SignatureScheme};
use crate::testkit::lds_gen::{self, der_oid, der_small, der_uint, EcDomain};
use crate::tlv::encode;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::traits::PublicKeyParts;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

/// The RSA keys the PKI uses: (file name under `testdata/pki/keys/`, bits, seed).
pub const RSA_KEYS: &[(&str, usize, u64)] = &[
    ("csca-rsa2048.key.der", 2048, 0x9303_0001),
    ("csca-rsa3072.key.der", 3072, 0x9303_0002),
    ("ds-rsa2048.key.der", 2048, 0x9303_0003),
    ("csca-rsa4096.key.der", 4096, 0x9303_0004),
    ("ds-rsa4096.key.der", 4096, 0x9303_0005),
];

/// Generates one RSA key (slow in debug builds) as PKCS #1 DER.
pub fn generate_rsa_key(bits: usize, seed: u64) -> Vec<u8> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    rsa::RsaPrivateKey::new(&mut rng, bits)
        .ok()
        .and_then(|k| k.to_pkcs1_der().ok())
        .map(|d| d.as_bytes().to_vec())
        .unwrap_or_default()
}

/// Unix seconds of a UTC civil date (proleptic Gregorian; Howard Hinnant's algorithm).
pub fn unix(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) * 86_400
}

/// UTC civil date and time of Unix seconds: (y, m, d, hh, mm, ss).
pub fn civil(t: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        m,
        d,
        (secs / 3600) as u32,
        (secs / 60 % 60) as u32,
        (secs % 60) as u32,
    )
}

/// RFC 5280 §4.1.2.5 time: UTCTime before 2050, GeneralizedTime from 2050.
pub fn x509_time(t: i64) -> Vec<u8> {
    let (y, m, d, hh, mm, ss) = civil(t);
    if y < 2050 {
        let s = format!("{:02}{m:02}{d:02}{hh:02}{mm:02}{ss:02}Z", y % 100);
        encode(0x17, s.as_bytes())
    } else {
        let s = format!("{y:04}{m:02}{d:02}{hh:02}{mm:02}{ss:02}Z");
        encode(0x18, s.as_bytes())
    }
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    encode(0x30, &parts.concat())
}

/// A Name `C, O, OU, CN` (PrintableString values).
pub fn name(c: &str, o: &str, ou: &str, cn: &str) -> Vec<u8> {
    let rdn =
        |oid_s: &str, v: &str| encode(0x31, &seq(&[&der_oid(oid_s), &encode(0x13, v.as_bytes())]));
    seq(&[
        &rdn("2.5.4.6", c),
        &rdn("2.5.4.10", o),
        &rdn("2.5.4.11", ou),
        &rdn("2.5.4.3", cn),
    ])
}

fn digest_alg_id(h: DigestAlg) -> Vec<u8> {
    seq(&[&der_oid(h.dotted()), &[0x05, 0x00]])
}

/// The AlgorithmIdentifier DER of a signature scheme.
pub fn signature_alg_id(s: &SignatureScheme) -> Vec<u8> {
    use DigestAlg::*;
    match *s {
        SignatureScheme::RsaPkcs1 { hash } => {
            let o = match hash {
                Sha1 => "1.2.840.113549.1.1.5",
                Sha224 => "1.2.840.113549.1.1.14",
                Sha256 => "1.2.840.113549.1.1.11",
                Sha384 => "1.2.840.113549.1.1.12",
                Sha512 => "1.2.840.113549.1.1.13",
            };
            seq(&[&der_oid(o), &[0x05, 0x00]])
        }
        SignatureScheme::RsaPss { hash, salt_len } => {
            let h = digest_alg_id(hash);
            let mgf = seq(&[&der_oid("1.2.840.113549.1.1.8"), &h]);
            let params = seq(&[
                &encode(0xA0, &h),
                &encode(0xA1, &mgf),
                &encode(0xA2, &der_small(salt_len as u64)),
            ]);
            seq(&[&der_oid("1.2.840.113549.1.1.10"), &params])
        }
        SignatureScheme::Ecdsa { hash, format } => {
            let o = match (format, hash) {
                (EcdsaFormat::Der, Sha1) => "1.2.840.10045.4.1",
                (EcdsaFormat::Der, Sha224) => "1.2.840.10045.4.3.1",
                (EcdsaFormat::Der, Sha256) => "1.2.840.10045.4.3.2",
                (EcdsaFormat::Der, Sha384) => "1.2.840.10045.4.3.3",
                (EcdsaFormat::Der, Sha512) => "1.2.840.10045.4.3.4",
                (EcdsaFormat::Plain, Sha1) => "0.4.0.127.0.7.1.1.4.1.1",
                (EcdsaFormat::Plain, Sha224) => "0.4.0.127.0.7.1.1.4.1.2",
                (EcdsaFormat::Plain, Sha256) => "0.4.0.127.0.7.1.1.4.1.3",
                (EcdsaFormat::Plain, Sha384) => "0.4.0.127.0.7.1.1.4.1.4",
                (EcdsaFormat::Plain, Sha512) => "0.4.0.127.0.7.1.1.4.1.5",
            };
            seq(&[&der_oid(o)])
        }
        SignatureScheme::Dsa { hash } => {
            let o = match hash {
                Sha1 => "1.2.840.10040.4.3",
                Sha224 => "2.16.840.1.101.3.4.3.1",
                _ => "2.16.840.1.101.3.4.3.2",
            };
            seq(&[&der_oid(o)])
        }
    }
}

/// A synthetic signing key.
#[derive(Debug, Clone)]
pub enum TestKey {
    /// RSA.
    Rsa(Box<rsa::RsaPrivateKey>),
    /// EC: curve and private scalar (big-endian, field size).
    Ec {
        /// The curve (P-256, brainpoolP256r1 or brainpoolP384r1).
        curve: NamedCurve,
        /// The private scalar.
        d: Vec<u8>,
    },
    /// DSA.
    Dsa(Box<dsa::SigningKey>),
}

/// The DSA 2048/256 key of RFC 6979 Appendix A.2.2 (p, q, g, x; a published test key).
pub fn rfc6979_dsa2048() -> Option<TestKey> {
    const P: &str = "9DB6FB5951B66BB6FE1E140F1D2CE5502374161FD6538DF1648218642F0B5C48\
C8F7A41AADFA187324B87674FA1822B00F1ECF8136943D7C55757264E5A1A44F\
FE012E9936E00C1D3E9310B01C7D179805D3058B2A9F4BB6F9716BFE6117C6B5\
B3CC4D9BE341104AD4A80AD6C94E005F4B993E14F091EB51743BF33050C38DE2\
35567E1B34C3D6A5C0CEAA1A0F368213C3D19843D0B4B09DCB9FC72D39C8DE41\
F1BF14D4BB4563CA28371621CAD3324B6A2D392145BEBFAC748805236F5CA2FE\
92B871CD8F9C36D3292B5509CA8CAA77A2ADFC7BFD77DDA6F71125A7456FEA15\
3E433256A2261C6A06ED3693797E7995FAD5AABBCFBE3EDA2741E375404AE25B";
    const Q: &str = "F2C3119374CE76C9356990B465374A17F23F9ED35089BD969F61C6DDE9998C1F";
    const G: &str = "5C7FF6B06F8F143FE8288433493E4769C4D988ACE5BE25A0E24809670716C613\
D7B0CEE6932F8FAA7C44D2CB24523DA53FBE4F6EC3595892D1AA58C4328A06C4\
6A15662E7EAA703A1DECF8BBB2D05DBE2EB956C142A338661D10461C0D135472\
085057F3494309FFA73C611F78B32ADBB5740C361C9F35BE90997DB2014E2EF5\
AA61782F52ABEB8BD6432C4DD097BC5423B285DAFB60DC364E8161F4A2A35ACA\
3A10B1C4D203CC76A470A33AFDCBDD92959859ABD8B56E1725252D78EAC66E71\
BA9AE3F1DD2487199874393CD4D832186800654760E1E34C09E4D155179F9EC0\
DC4473F996BDCE6EED1CABED8B6F116F7AD9CF505DF0F998E34AB27514B0FFE7";
    const X: &str = "69C7548C21D0DFEA6B9A51C9EAD4E27C33D3B3F180316E5BCAB92C933F0E4DBC";
    let n = |h: &str| hex::decode(h).ok().map(|b| dsa::BigUint::from_bytes_be(&b));
    let (p, q, g, x) = (n(P)?, n(Q)?, n(G)?, n(X)?);
    let y = g.modpow(&x, &p);
    let comp = dsa::Components::from_components(p, q, g).ok()?;
    let vk = dsa::VerifyingKey::from_components(comp, y).ok()?;
    dsa::SigningKey::from_components(vk, x)
        .ok()
        .map(|k| TestKey::Dsa(Box::new(k)))
}

macro_rules! ec_ops {
    ($curve:ty) => {
        (
            |rng: &mut ChaCha20Rng| -> Vec<u8> {
                ecdsa::elliptic_curve::SecretKey::<$curve>::random(rng)
                    .to_bytes()
                    .to_vec()
            },
            |d: &[u8]| -> Vec<u8> {
                use ecdsa::elliptic_curve::sec1::ToEncodedPoint;
                ecdsa::elliptic_curve::SecretKey::<$curve>::from_slice(d)
                    .map(|k| k.public_key().to_encoded_point(false).as_bytes().to_vec())
                    .unwrap_or_default()
            },
            |d: &[u8], z: &[u8], rng: &mut ChaCha20Rng| -> Vec<u8> {
                use ecdsa::elliptic_curve::Field;
                let Ok(sk) = ecdsa::elliptic_curve::SecretKey::<$curve>::from_slice(d) else {
                    return Vec::new();
                };
                let Ok(zf) = ecdsa::hazmat::bits2field::<$curve>(z) else {
                    return Vec::new();
                };
                let scalar = *sk.to_nonzero_scalar();
                loop {
                    let k = <ecdsa::elliptic_curve::Scalar<$curve> as Field>::random(&mut *rng);
                    if let Ok((sig, _)) =
                        ecdsa::hazmat::sign_prehashed::<$curve, _>(&scalar, k, &zf)
                    {
                        return sig.to_bytes().to_vec();
                    }
                }
            },
        )
    };
}

use crate::pa::algorithms::brainpool;
use crate::pa::algorithms::prime_curve::EcdsaCurve;

fn ec_generate(curve: NamedCurve, rng: &mut ChaCha20Rng) -> Vec<u8> {
    use rand_core::RngCore;
    let fl: usize = match curve {
        NamedCurve::P256 => return (ec_ops!(p256::NistP256).0)(rng),
        NamedCurve::BrainpoolP384r1 => 48,
        NamedCurve::BrainpoolP256r1 => 32,
        c => EcdsaCurve::of(c).map_or(32, |k| k.field_len()),
    };
    // Rejection sampling: a scalar in [1, n-1].
    loop {
        let mut d = vec![0u8; fl];
        rng.fill_bytes(&mut d);
        if !ec_public(curve, &d).is_empty() {
            return d;
        }
    }
}

fn ec_public(curve: NamedCurve, d: &[u8]) -> Vec<u8> {
    match curve {
        NamedCurve::P256 => (ec_ops!(p256::NistP256).1)(d),
        NamedCurve::BrainpoolP384r1 => brainpool::public_p384r1(d).unwrap_or_default(),
        NamedCurve::BrainpoolP256r1 => brainpool::public_p256r1(d).unwrap_or_default(),
        c => EcdsaCurve::of(c)
            .and_then(|k| k.public_key(d))
            .unwrap_or_default(),
    }
}

fn ec_sign(curve: NamedCurve, d: &[u8], z: &[u8], rng: &mut ChaCha20Rng) -> Vec<u8> {
    let fl: usize = match curve {
        NamedCurve::P256 => return (ec_ops!(p256::NistP256).2)(d, z, rng),
        NamedCurve::BrainpoolP384r1 => 48,
        NamedCurve::BrainpoolP256r1 => 32,
        c => {
            // Generic curves (test keys only): a random nonce, redrawn until usable.
            use rand_core::RngCore;
            let Some(k) = EcdsaCurve::of(c) else {
                return Vec::new();
            };
            for _ in 0..64 {
                let mut nonce = vec![0u8; k.field_len()];
                rng.fill_bytes(&mut nonce);
                if let Some(sig) = k.sign(d, z, &nonce) {
                    return sig;
                }
            }
            return Vec::new();
        }
    };
    let mut zp = vec![0u8; fl.saturating_sub(z.len())];
    zp.extend_from_slice(z);
    match curve {
        NamedCurve::BrainpoolP384r1 => brainpool::sign_p384r1(d, &zp),
        _ => brainpool::sign_p256r1(d, &zp),
    }
    .unwrap_or_default()
}

fn plain_to_der(plain: &[u8]) -> Vec<u8> {
    let (r, s) = plain.split_at(plain.len() / 2);
    seq(&[&encode(0x02, &der_uint(r)), &encode(0x02, &der_uint(s))])
}

/// Domain parameters of a table curve for [`lds_gen::spki_ec_explicit`].
pub fn ec_domain(p: &CurveParams) -> EcDomain {
    let [pp, a, b, g, n] = p.bytes();
    EcDomain {
        p: pp,
        a,
        b,
        g,
        n,
        h: p.h,
    }
}

impl TestKey {
    /// An RSA key from PKCS #1 DER.
    pub fn rsa_from_der(der: &[u8]) -> Option<Self> {
        rsa::RsaPrivateKey::from_pkcs1_der(der)
            .ok()
            .map(|k| TestKey::Rsa(Box::new(k)))
    }

    /// A new EC key from `seed`.
    pub fn ec(curve: NamedCurve, seed: u64) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        TestKey::Ec {
            curve,
            d: ec_generate(curve, &mut rng),
        }
    }

    /// The SubjectPublicKeyInfo; EC keys use explicit parameters when `explicit`.
    pub fn spki(&self, explicit: bool) -> Vec<u8> {
        match self {
            TestKey::Rsa(k) => lds_gen::spki_rsa(&k.n().to_bytes_be(), &k.e().to_bytes_be()),
            TestKey::Dsa(k) => {
                let c = k.verifying_key().components();
                let int = |v: &dsa::BigUint| encode(0x02, &der_uint(&v.to_bytes_be()));
                let params = seq(&[&int(c.p()), &int(c.q()), &int(c.g())]);
                let mut bits = vec![0u8];
                bits.extend_from_slice(&int(k.verifying_key().y()));
                seq(&[
                    &seq(&[&der_oid("1.2.840.10040.4.1"), &params]),
                    &encode(0x03, &bits),
                ])
            }
            TestKey::Ec { curve, d } => {
                let point = ec_public(*curve, d);
                match curve.params() {
                    Some(p) if explicit => lds_gen::spki_ec_explicit(&ec_domain(p), &point),
                    Some(p) => lds_gen::spki_ec_named(p.oid, &point),
                    None => Vec::new(),
                }
            }
        }
    }

    /// The EC public point (empty for RSA).
    pub fn ec_point(&self) -> Vec<u8> {
        match self {
            TestKey::Ec { curve, d } => ec_public(*curve, d),
            TestKey::Rsa(_) | TestKey::Dsa(_) => Vec::new(),
        }
    }

    /// Signs `msg` under `scheme` (randomness from `rng`).
    pub fn sign(&self, scheme: &SignatureScheme, msg: &[u8], rng: &mut ChaCha20Rng) -> Vec<u8> {
        let h = scheme.hash().digest(msg);
        match (self, scheme) {
            (TestKey::Rsa(k), SignatureScheme::RsaPkcs1 { hash }) => {
                let pad = rsa::Pkcs1v15Sign {
                    hash_len: Some(hash.len()),
                    prefix: hash.digest_info_prefix().into(),
                };
                k.sign(pad, &h).unwrap_or_default()
            }
            (TestKey::Rsa(k), SignatureScheme::RsaPss { hash, salt_len }) => {
                let pad = match hash {
                    DigestAlg::Sha1 => rsa::Pss::new_with_salt::<Sha1>(*salt_len),
                    DigestAlg::Sha224 => rsa::Pss::new_with_salt::<Sha224>(*salt_len),
                    DigestAlg::Sha256 => rsa::Pss::new_with_salt::<Sha256>(*salt_len),
                    DigestAlg::Sha384 => rsa::Pss::new_with_salt::<Sha384>(*salt_len),
                    DigestAlg::Sha512 => rsa::Pss::new_with_salt::<Sha512>(*salt_len),
                };
                k.sign_with_rng(rng, pad, &h).unwrap_or_default()
            }
            (TestKey::Ec { curve, d }, SignatureScheme::Ecdsa { format, .. }) => {
                let plain = ec_sign(*curve, d, &h, rng);
                match format {
                    EcdsaFormat::Plain => plain,
                    EcdsaFormat::Der => plain_to_der(&plain),
                }
            }
            (TestKey::Dsa(k), SignatureScheme::Dsa { hash }) => {
                // RFC 6979 deterministic k with the scheme's hash.
                let sig = match hash {
                    DigestAlg::Sha1 => k.sign_prehashed_rfc6979::<Sha1>(&h),
                    DigestAlg::Sha224 => k.sign_prehashed_rfc6979::<Sha224>(&h),
                    _ => k.sign_prehashed_rfc6979::<Sha256>(&h),
                };
                sig.map(|s| {
                    seq(&[
                        &encode(0x02, &der_uint(&s.r().to_bytes_be())),
                        &encode(0x02, &der_uint(&s.s().to_bytes_be())),
                    ])
                })
                .unwrap_or_default()
            }
            _ => Vec::new(),
        }
    }
}

/// SKI (RFC 5280 §4.2.1.2 method 1 style): SHA-1 of the SPKI encoding.
pub fn key_id(spki: &[u8]) -> Vec<u8> {
    Sha1::digest(spki).to_vec()
}

/// What a certificate should contain.
#[derive(Debug, Clone)]
pub struct CertSpec {
    /// Serial number (unsigned).
    pub serial: u64,
    /// Issuer Name DER.
    pub issuer: Vec<u8>,
    /// Subject Name DER.
    pub subject: Vec<u8>,
    /// notBefore (Unix seconds).
    pub not_before: i64,
    /// notAfter.
    pub not_after: i64,
    /// SubjectPublicKeyInfo DER.
    pub spki: Vec<u8>,
    /// authorityKeyIdentifier.
    pub aki: Option<Vec<u8>>,
    /// keyUsage BIT STRING content (unused-bits octet first).
    pub key_usage: Vec<u8>,
    /// basicConstraints: Some(pathLen) for a CA, None for an end entity.
    pub ca_path_len: Option<u64>,
    /// The issuer's signature scheme.
    pub scheme: SignatureScheme,
    /// Further complete Extension encodings, appended in order.
    pub extensions: Vec<Vec<u8>>,
}

/// keyUsage digitalSignature.
pub const KU_DIGITAL_SIGNATURE: &[u8] = &[0x07, 0x80];
/// keyUsage keyCertSign + cRLSign.
pub const KU_CERT_CRL_SIGN: &[u8] = &[0x01, 0x06];

fn extension(oid_s: &str, critical: bool, value: &[u8]) -> Vec<u8> {
    let crit: &[u8] = if critical { &[0x01, 0x01, 0xFF] } else { &[] };
    seq(&[&der_oid(oid_s), crit, &encode(0x04, value)])
}

/// GeneralizedTime `YYYYMMDDHHMMSSZ` (whatever the year, unlike [`x509_time`]).
fn generalized_time(t: i64) -> String {
    let (y, m, d, hh, mm, ss) = civil(t);
    format!("{y:04}{m:02}{d:02}{hh:02}{mm:02}{ss:02}Z")
}

/// privateKeyUsagePeriod (RFC 5280 §4.2.1.4, OID 2.5.29.16; non-critical) with both bounds.
pub fn ext_private_key_usage_period(not_before: i64, not_after: i64) -> Vec<u8> {
    let v = seq(&[
        &encode(0x80, generalized_time(not_before).as_bytes()),
        &encode(0x81, generalized_time(not_after).as_bytes()),
    ]);
    extension("2.5.29.16", false, &v)
}

/// extKeyUsage (RFC 5280 §4.2.1.12) with the given KeyPurposeIds (dotted), critical as ICAO's
/// signer profiles have it (Doc 9303-12 §7.1.2, Table 6).
pub fn ext_extended_key_usage(purposes: &[&str]) -> Vec<u8> {
    let ids: Vec<u8> = purposes.iter().flat_map(|p| der_oid(p)).collect();
    extension("2.5.29.37", true, &encode(0x30, &ids))
}

/// Builds and signs a certificate.
pub fn certificate(spec: &CertSpec, issuer_key: &TestKey, rng: &mut ChaCha20Rng) -> Vec<u8> {
    let alg = signature_alg_id(&spec.scheme);
    let mut exts = vec![extension(
        "2.5.29.14",
        false,
        &encode(0x04, &key_id(&spec.spki)),
    )];
    if let Some(aki) = &spec.aki {
        exts.push(extension("2.5.29.35", false, &seq(&[&encode(0x80, aki)])));
    }
    exts.push(extension("2.5.29.15", true, &encode(0x03, &spec.key_usage)));
    if let Some(pl) = spec.ca_path_len {
        exts.push(extension(
            "2.5.29.19",
            true,
            &seq(&[&[0x01, 0x01, 0xFF], &der_small(pl)]),
        ));
    }
    exts.extend(spec.extensions.iter().cloned());
    let tbs = seq(&[
        &encode(0xA0, &der_small(2)),
        &encode(0x02, &der_uint(&spec.serial.to_be_bytes())),
        &alg,
        &spec.issuer,
        &seq(&[&x509_time(spec.not_before), &x509_time(spec.not_after)]),
        &spec.subject,
        &spec.spki,
        &encode(
            0xA3,
            &seq(&exts.iter().map(Vec::as_slice).collect::<Vec<_>>()),
        ),
    ]);
    let sig = issuer_key.sign(&spec.scheme, &tbs, rng);
    let mut bits = vec![0u8];
    bits.extend_from_slice(&sig);
    seq(&[&tbs, &alg, &encode(0x03, &bits)])
}

/// Builds and signs a v2 CRL with AKI and cRLNumber.
#[allow(clippy::too_many_arguments)]
pub fn crl(
    issuer: &[u8],
    aki: &[u8],
    this_update: i64,
    next_update: i64,
    revoked: &[(u64, i64)],
    number: u64,
    scheme: &SignatureScheme,
    key: &TestKey,
    rng: &mut ChaCha20Rng,
) -> Vec<u8> {
    let alg = signature_alg_id(scheme);
    let mut parts: Vec<Vec<u8>> = vec![
        der_small(1),
        alg.clone(),
        issuer.to_vec(),
        x509_time(this_update),
        x509_time(next_update),
    ];
    if !revoked.is_empty() {
        let entries: Vec<u8> = revoked
            .iter()
            .flat_map(|(s, t)| seq(&[&encode(0x02, &der_uint(&s.to_be_bytes())), &x509_time(*t)]))
            .collect();
        parts.push(encode(0x30, &entries));
    }
    let exts = seq(&[
        &extension("2.5.29.35", false, &seq(&[&encode(0x80, aki)])),
        &extension("2.5.29.20", false, &der_small(number)),
    ]);
    parts.push(encode(0xA0, &exts));
    let tbs = encode(0x30, &parts.concat());
    let sig = key.sign(scheme, &tbs, rng);
    let mut bits = vec![0u8];
    bits.extend_from_slice(&sig);
    seq(&[&tbs, &alg, &encode(0x03, &bits)])
}

/// How the messageDigest attribute is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageDigest {
    /// The correct digest of eContent.
    Correct,
    /// A wrong value.
    Wrong,
    /// Left out.
    Missing,
}

/// What an EF.SOD should contain.
#[derive(Debug, Clone)]
pub struct SodSpec {
    /// (DG number, exact file bytes) to list.
    pub data_groups: Vec<(u8, Vec<u8>)>,
    /// LDSSecurityObject hashAlgorithm OID (dotted) and the hash used (None: MD5-style
    /// garbage of 16 bytes).
    pub lso_hash: (String, Option<DigestAlg>),
    /// SignerInfo digestAlgorithm OID and the hash used for messageDigest.
    pub signer_digest: (String, Option<DigestAlg>),
    /// The signature scheme (also written as signatureAlgorithm).
    pub scheme: SignatureScheme,
    /// eContentType (dotted).
    pub econtent_type: String,
    /// The contentType attribute value (dotted).
    pub content_type_attr: String,
    /// messageDigest handling.
    pub message_digest: MessageDigest,
    /// The DS certificate (included in the SOD when `include_certificate`).
    pub ds_certificate: Vec<u8>,
    /// Include the certificate.
    pub include_certificate: bool,
    /// Flip a bit of the signature.
    pub corrupt_signature: bool,
    /// Indefinite lengths on the outer containers (77, ContentInfo, [0], SignedData).
    pub indefinite: bool,
    /// Identify the signer by `[0] subjectKeyIdentifier` instead of issuerAndSerialNumber.
    pub sid_ski: bool,
    /// SignerInfo version to write (None: 1 for issuerAndSerialNumber, 3 for SKI).
    pub signer_info_version: Option<u64>,
    /// signatureAlgorithm written instead of the scheme's (the signature still follows
    /// `scheme`): an OID and whether to add NULL parameters.
    pub signature_oid: Option<(String, bool)>,
    /// LDSSecurityObject version written (None: 1 with ldsVersionInfo, as usual); with
    /// `Some(v)`, `lso_version_info` decides whether ldsVersionInfo is present.
    pub lso_version: Option<u64>,
    /// With `lso_version`: include ldsVersionInfo.
    pub lso_version_info: bool,
    /// A signingTime signed attribute (RFC 5652 §11.3) with this time.
    pub signing_time: Option<i64>,
}

impl SodSpec {
    /// A well-formed signer: `ds_certificate` included and named by issuerAndSerialNumber,
    /// `scheme` with its hash for every digest, eContentType and contentType `econtent_type`
    /// (dotted), no data groups.
    pub fn signed_by(
        ds_certificate: Vec<u8>,
        scheme: SignatureScheme,
        econtent_type: &str,
    ) -> Self {
        let h = scheme.hash();
        SodSpec {
            data_groups: Vec::new(),
            lso_hash: (h.dotted().into(), Some(h)),
            signer_digest: (h.dotted().into(), Some(h)),
            scheme,
            econtent_type: econtent_type.into(),
            content_type_attr: econtent_type.into(),
            message_digest: MessageDigest::Correct,
            ds_certificate,
            include_certificate: true,
            corrupt_signature: false,
            indefinite: false,
            sid_ski: false,
            signer_info_version: None,
            signature_oid: None,
            lso_version: None,
            lso_version_info: false,
            signing_time: None,
        }
    }
}

/// eContentType of EF.CardSecurity: id-SecurityObject (BSI TR-03110-3 §A.1.2.5, Doc 9303-11
/// §9.2.9).
pub const ID_SECURITY_OBJECT: &str = "0.4.0.127.0.7.3.2.1";

/// EF.CardSecurity: `security_infos` (a DER SET OF SecurityInfo) as the eContent of type
/// id-SecurityObject, signed by `key` (the private half of `ds_certificate`) with `scheme`.
/// Deterministic for deterministic schemes (the RNG is fixed).
pub fn card_security(
    security_infos: &[u8],
    ds_certificate: &[u8],
    key: &TestKey,
    scheme: SignatureScheme,
) -> Vec<u8> {
    let spec = SodSpec::signed_by(ds_certificate.to_vec(), scheme, ID_SECURITY_OBJECT);
    signed_content_info(
        &spec,
        security_infos,
        key,
        &mut ChaCha20Rng::seed_from_u64(0xCA5E),
    )
}

fn cert_issuer_and_serial(cert_der: &[u8]) -> Vec<u8> {
    // tbs: [0] version, serial, sigAlg, issuer ...
    let c = crate::pa::cert::Certificate::from_der(cert_der).ok();
    match c {
        Some(c) => seq(&[&c.issuer_raw, &encode(0x02, &c.serial)]),
        None => Vec::new(),
    }
}

/// The EF.SOD per `spec`, signed with `key`.
pub fn sod(spec: &SodSpec, key: &TestKey, rng: &mut ChaCha20Rng) -> Vec<u8> {
    let hashes: Vec<(u8, Vec<u8>)> = spec
        .data_groups
        .iter()
        .map(|(n, b)| {
            let h = match spec.lso_hash.1 {
                Some(a) => a.digest(b),
                None => Sha256::digest(b).get(..16).unwrap_or_default().to_vec(),
            };
            (*n, h)
        })
        .collect();
    let lso_alg = seq(&[&der_oid(&spec.lso_hash.0), &[0x05, 0x00]]);
    let lso = match spec.lso_version {
        None => lds_gen::encode_lds_security_object(&lso_alg, &hashes, Some(("0108", "040000"))),
        Some(v) => {
            // A version that may contradict the ldsVersionInfo presence (TR-03105 LDS_H_86..89).
            let list: Vec<u8> = hashes
                .iter()
                .flat_map(|(n, h)| seq(&[&der_small(u64::from(*n)), &encode(0x04, h)]))
                .collect();
            let vi = if spec.lso_version_info {
                seq(&[&encode(0x13, b"0108"), &encode(0x13, b"040000")])
            } else {
                Vec::new()
            };
            seq(&[&der_small(v), &lso_alg, &encode(0x30, &list), &vi])
        }
    };
    let ci = signed_content_info(spec, &lso, key, rng);
    if spec.indefinite {
        [&[0x77, 0x80][..], &ci, &[0, 0]].concat()
    } else {
        encode(0x77, &ci)
    }
}

/// A CMS ContentInfo with SignedData (RFC 5652 §5) around `econtent`, signed with `key` per
/// `spec`'s signer fields (`signer_digest`, `scheme`, `econtent_type`, `content_type_attr`,
/// `message_digest`, `ds_certificate`, `include_certificate`, `corrupt_signature`,
/// `indefinite`, `sid_ski`, `signer_info_version`, `signature_oid`; the LDS fields are not
/// used). EF.SOD wraps it in tag 77; EF.CardSecurity is it as is.
pub fn signed_content_info(
    spec: &SodSpec,
    econtent: &[u8],
    key: &TestKey,
    rng: &mut ChaCha20Rng,
) -> Vec<u8> {
    let md = match spec.signer_digest.1 {
        Some(a) => a.digest(econtent),
        None => Sha256::digest(econtent)
            .get(..16)
            .unwrap_or_default()
            .to_vec(),
    };
    let mut attrs = vec![seq(&[
        &der_oid("1.2.840.113549.1.9.3"),
        &encode(0x31, &der_oid(&spec.content_type_attr)),
    ])];
    match spec.message_digest {
        MessageDigest::Correct => attrs.push(seq(&[
            &der_oid("1.2.840.113549.1.9.4"),
            &encode(0x31, &encode(0x04, &md)),
        ])),
        MessageDigest::Wrong => {
            let mut bad = md.clone();
            if let Some(b) = bad.first_mut() {
                *b ^= 0xFF;
            }
            attrs.push(seq(&[
                &der_oid("1.2.840.113549.1.9.4"),
                &encode(0x31, &encode(0x04, &bad)),
            ]))
        }
        MessageDigest::Missing => {}
    }
    if let Some(t) = spec.signing_time {
        attrs.push(seq(&[
            &der_oid("1.2.840.113549.1.9.5"),
            &encode(0x31, &x509_time(t)),
        ]));
    }
    // DER SET OF: sorted by encoding.
    attrs.sort();
    let attrs_body = attrs.concat();
    let to_sign = encode(0x31, &attrs_body);
    let mut sig = key.sign(&spec.scheme, &to_sign, rng);
    if spec.corrupt_signature {
        let mid = sig.len() / 2;
        if let Some(b) = sig.get_mut(mid) {
            *b ^= 0x01;
        }
    }
    let digest_alg = seq(&[&der_oid(&spec.signer_digest.0), &[0x05, 0x00]]);
    let (sid, default_version) = if spec.sid_ski {
        let ski = crate::pa::cert::Certificate::from_der(&spec.ds_certificate)
            .ok()
            .and_then(|c| c.ski)
            .unwrap_or_default();
        (encode(0x80, &ski), 3)
    } else {
        (cert_issuer_and_serial(&spec.ds_certificate), 1)
    };
    let sig_alg = match &spec.signature_oid {
        Some((o, true)) => seq(&[&der_oid(o), &[0x05, 0x00]]),
        Some((o, false)) => seq(&[&der_oid(o)]),
        None => signature_alg_id(&spec.scheme),
    };
    let signer_info = seq(&[
        &der_small(spec.signer_info_version.unwrap_or(default_version)),
        &sid,
        &digest_alg,
        &encode(0xA0, &attrs_body),
        &sig_alg,
        &encode(0x04, &sig),
    ]);
    let econtent_oid = der_oid(&spec.econtent_type);
    let encap = seq(&[&econtent_oid, &encode(0xA0, &encode(0x04, econtent))]);
    let certs = if spec.include_certificate {
        encode(0xA0, &spec.ds_certificate)
    } else {
        Vec::new()
    };
    let sd_body = [
        der_small(3),
        encode(0x31, &digest_alg),
        encap,
        certs,
        encode(0x31, &signer_info),
    ]
    .concat();
    let sd_oid = encode(0x06, oid::ID_SIGNED_DATA);
    if spec.indefinite {
        let indef = |t: u8, body: &[u8]| [&[t, 0x80][..], body, &[0, 0]].concat();
        let sd = indef(0x30, &sd_body);
        indef(0x30, &[sd_oid, indef(0xA0, &sd)].concat())
    } else {
        let sd = encode(0x30, &sd_body);
        seq(&[&sd_oid, &encode(0xA0, &sd)])
    }
}

/// Inputs of [`generate`]: the committed RSA keys (PKCS #1 DER, in [`RSA_KEYS`] order) and
/// the synthetic passport files (`lds_gen::generate()`).
pub struct PkiInputs<'a> {
    /// RSA keys by file name.
    pub rsa_keys: &'a [(String, Vec<u8>)],
    /// Passport files by name.
    pub passport: &'a [(String, Vec<u8>)],
}

/// Validity of CSCAs, DSs and the CRL (fixed dates).
pub mod dates {
    /// CSCA notBefore 2024-01-01.
    pub fn csca_from() -> i64 {
        super::unix(2024, 1, 1)
    }
    /// CSCA notAfter 2044-01-01.
    pub fn csca_to() -> i64 {
        super::unix(2044, 1, 1)
    }
    /// DS notBefore 2025-01-01.
    pub fn ds_from() -> i64 {
        super::unix(2025, 1, 1)
    }
    /// DS notAfter 2036-01-01.
    pub fn ds_to() -> i64 {
        super::unix(2036, 1, 1)
    }
    /// CRL thisUpdate 2026-01-01.
    pub fn crl_this() -> i64 {
        super::unix(2026, 1, 1)
    }
    /// CRL nextUpdate 2026-12-31.
    pub fn crl_next() -> i64 {
        super::unix(2026, 12, 31)
    }
}

const ORG: &str = "Utopia Synthetic Test PKI";

/// Generates every file of `testdata/pki/` except the keys: `(relative path, bytes)`.
pub fn generate(inp: &PkiInputs<'_>) -> Vec<(String, Vec<u8>)> {
    use DigestAlg::*;
    let mut rng = ChaCha20Rng::seed_from_u64(0x9303_1200);
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let rsa_key = |n: &str| {
        inp.rsa_keys
            .iter()
            .find(|(k, _)| k == n)
            .and_then(|(_, d)| TestKey::rsa_from_der(d))
    };
    let (Some(k_csca_rsa), Some(k_csca_pss), Some(k_ds_rsa)) = (
        rsa_key("csca-rsa2048.key.der"),
        rsa_key("csca-rsa3072.key.der"),
        rsa_key("ds-rsa2048.key.der"),
    ) else {
        return out;
    };
    let k_csca_p256 = TestKey::ec(NamedCurve::P256, 0x9303_0101);
    let k_ds_p256 = TestKey::ec(NamedCurve::P256, 0x9303_0102);
    let k_rogue = TestKey::ec(NamedCurve::P256, 0x9303_0103);
    let k_csca_old = TestKey::ec(NamedCurve::P256, 0x9303_0104);
    let k_csca_bp = TestKey::ec(NamedCurve::BrainpoolP256r1, 0x9303_0201);
    let k_ds_bp = TestKey::ec(NamedCurve::BrainpoolP256r1, 0x9303_0202);

    let pkcs1 = SignatureScheme::RsaPkcs1 { hash: Sha256 };
    let pss = SignatureScheme::RsaPss {
        hash: Sha256,
        salt_len: 32,
    };
    let ecdsa = SignatureScheme::Ecdsa {
        hash: Sha256,
        format: EcdsaFormat::Der,
    };
    let ecdsa_plain = SignatureScheme::Ecdsa {
        hash: Sha256,
        format: EcdsaFormat::Plain,
    };

    let n_csca_rsa = name("UT", ORG, "CSCA", "CSCA RSA");
    let n_csca_pss = name("UT", ORG, "CSCA", "CSCA PSS");
    let n_csca_p256 = name("UT", ORG, "CSCA", "CSCA P256");
    let n_csca_bp = name("UT", ORG, "CSCA", "CSCA BP256");
    let ds_name = |cn: &str| name("UT", ORG, "Document Signer", cn);

    let csca = |serial: u64,
                n: &[u8],
                _key: &TestKey,
                spki: Vec<u8>,
                signer: &TestKey,
                aki: Option<Vec<u8>>,
                scheme: SignatureScheme,
                (from, to): (i64, i64),
                rng: &mut ChaCha20Rng| {
        certificate(
            &CertSpec {
                serial,
                issuer: n.to_vec(),
                subject: n.to_vec(),
                not_before: from,
                not_after: to,
                aki: aki.or_else(|| Some(key_id(&spki))),
                spki,
                key_usage: KU_CERT_CRL_SIGN.to_vec(),
                ca_path_len: Some(0),
                scheme,
                extensions: Vec::new(),
            },
            signer,
            rng,
        )
    };
    let csca_dates = (dates::csca_from(), dates::csca_to());
    let spki_csca_rsa = k_csca_rsa.spki(false);
    let spki_csca_pss = k_csca_pss.spki(false);
    let spki_csca_p256 = k_csca_p256.spki(false);
    let spki_csca_bp = k_csca_bp.spki(true);
    let spki_csca_old = k_csca_old.spki(false);
    let c_csca_rsa = csca(
        0x1001,
        &n_csca_rsa,
        &k_csca_rsa,
        spki_csca_rsa.clone(),
        &k_csca_rsa,
        None,
        pkcs1,
        csca_dates,
        &mut rng,
    );
    let c_csca_old = csca(
        0x1000,
        &n_csca_rsa,
        &k_csca_old,
        spki_csca_old.clone(),
        &k_csca_old,
        None,
        ecdsa,
        (unix(2020, 1, 1), unix(2040, 1, 1)),
        &mut rng,
    );
    // Link certificate: the new RSA CSCA key certified by the old key (same DN, pitfalls #4).
    let c_link = csca(
        0x1002,
        &n_csca_rsa,
        &k_csca_rsa,
        spki_csca_rsa.clone(),
        &k_csca_old,
        Some(key_id(&spki_csca_old)),
        ecdsa,
        csca_dates,
        &mut rng,
    );
    let c_csca_pss = csca(
        0x1101,
        &n_csca_pss,
        &k_csca_pss,
        spki_csca_pss.clone(),
        &k_csca_pss,
        None,
        pss,
        csca_dates,
        &mut rng,
    );
    let c_csca_p256 = csca(
        0x1201,
        &n_csca_p256,
        &k_csca_p256,
        spki_csca_p256.clone(),
        &k_csca_p256,
        None,
        ecdsa,
        csca_dates,
        &mut rng,
    );
    let c_rogue = csca(
        0x1202,
        &n_csca_p256,
        &k_rogue,
        k_rogue.spki(false),
        &k_rogue,
        None,
        ecdsa,
        csca_dates,
        &mut rng,
    );
    let c_csca_bp = csca(
        0x1301,
        &n_csca_bp,
        &k_csca_bp,
        spki_csca_bp.clone(),
        &k_csca_bp,
        None,
        ecdsa,
        csca_dates,
        &mut rng,
    );

    let ds = |serial: u64,
              cn: &str,
              issuer: &[u8],
              spki: Vec<u8>,
              aki: Vec<u8>,
              ku: &[u8],
              scheme: SignatureScheme,
              signer: &TestKey,
              rng: &mut ChaCha20Rng| {
        certificate(
            &CertSpec {
                serial,
                issuer: issuer.to_vec(),
                subject: ds_name(cn),
                not_before: dates::ds_from(),
                not_after: dates::ds_to(),
                spki,
                aki: Some(aki),
                key_usage: ku.to_vec(),
                ca_path_len: None,
                scheme,
                extensions: Vec::new(),
            },
            signer,
            rng,
        )
    };
    let aki_rsa = key_id(&spki_csca_rsa);
    let aki_p256 = key_id(&spki_csca_p256);
    let aki_bp = key_id(&spki_csca_bp);
    let spki_ds_rsa = k_ds_rsa.spki(false);
    let c_ds_rsa = ds(
        0x2001,
        "DS RSA",
        &n_csca_rsa,
        spki_ds_rsa.clone(),
        aki_rsa.clone(),
        KU_DIGITAL_SIGNATURE,
        pkcs1,
        &k_csca_rsa,
        &mut rng,
    );
    let c_ds_rsa_revoked = ds(
        0x2002,
        "DS RSA revoked",
        &n_csca_rsa,
        spki_ds_rsa.clone(),
        aki_rsa.clone(),
        KU_DIGITAL_SIGNATURE,
        pkcs1,
        &k_csca_rsa,
        &mut rng,
    );
    let c_ds_rsa_ku = ds(
        0x2003,
        "DS RSA keyCertSign",
        &n_csca_rsa,
        spki_ds_rsa.clone(),
        aki_rsa.clone(),
        KU_CERT_CRL_SIGN,
        pkcs1,
        &k_csca_rsa,
        &mut rng,
    );
    let c_ds_rsa_aki = ds(
        0x2004,
        "DS RSA wrong AKI",
        &n_csca_rsa,
        spki_ds_rsa.clone(),
        vec![0x5A; 20],
        KU_DIGITAL_SIGNATURE,
        pkcs1,
        &k_csca_rsa,
        &mut rng,
    );
    let c_ds_pss = ds(
        0x2101,
        "DS PSS",
        &n_csca_pss,
        spki_ds_rsa.clone(),
        key_id(&spki_csca_pss),
        KU_DIGITAL_SIGNATURE,
        pss,
        &k_csca_pss,
        &mut rng,
    );
    let c_ds_p256 = ds(
        0x2201,
        "DS P256",
        &n_csca_p256,
        k_ds_p256.spki(false),
        aki_p256.clone(),
        KU_DIGITAL_SIGNATURE,
        ecdsa,
        &k_csca_p256,
        &mut rng,
    );
    let c_ds_p256_rogue = ds(
        0x2202,
        "DS P256 rogue",
        &n_csca_p256,
        k_ds_p256.spki(false),
        aki_p256.clone(),
        KU_DIGITAL_SIGNATURE,
        ecdsa,
        &k_rogue,
        &mut rng,
    );
    let c_ds_bp = ds(
        0x2301,
        "DS BP256",
        &n_csca_bp,
        k_ds_bp.spki(true),
        aki_bp.clone(),
        KU_DIGITAL_SIGNATURE,
        ecdsa,
        &k_csca_bp,
        &mut rng,
    );
    // The DS key with a tweaked curve coefficient b in its explicit parameters (CurveBall).
    let tweaked = NamedCurve::BrainpoolP256r1.params().map(|p| {
        let mut d = ec_domain(p);
        if let Some(b) = d.b.last_mut() {
            *b ^= 0x01;
        }
        lds_gen::spki_ec_explicit(&d, &k_ds_bp.ec_point())
    });
    let c_ds_bp_tweak = ds(
        0x2302,
        "DS BP256 tweaked b",
        &n_csca_bp,
        tweaked.unwrap_or_default(),
        aki_bp,
        KU_DIGITAL_SIGNATURE,
        ecdsa,
        &k_csca_bp,
        &mut rng,
    );

    let crl_rsa = crl(
        &n_csca_rsa,
        &aki_rsa,
        dates::crl_this(),
        dates::crl_next(),
        &[(0x2002, unix(2025, 6, 1))],
        1,
        &pkcs1,
        &k_csca_rsa,
        &mut rng,
    );
    let crl_p256 = crl(
        &n_csca_p256,
        &aki_p256,
        dates::crl_this(),
        dates::crl_next(),
        &[],
        1,
        &ecdsa,
        &k_csca_p256,
        &mut rng,
    );

    for (n, b) in [
        ("csca-rsa.der", &c_csca_rsa),
        ("csca-rsa-old.der", &c_csca_old),
        ("link-rsa.der", &c_link),
        ("csca-pss.der", &c_csca_pss),
        ("csca-p256.der", &c_csca_p256),
        ("csca-rogue.der", &c_rogue),
        ("csca-bp256.der", &c_csca_bp),
        ("ds-rsa.der", &c_ds_rsa),
        ("ds-rsa-revoked.der", &c_ds_rsa_revoked),
        ("ds-rsa-keyusage.der", &c_ds_rsa_ku),
        ("ds-rsa-aki.der", &c_ds_rsa_aki),
        ("ds-pss.der", &c_ds_pss),
        ("ds-p256.der", &c_ds_p256),
        ("ds-p256-rogue.der", &c_ds_p256_rogue),
        ("ds-bp256.der", &c_ds_bp),
        ("ds-bp256-tweaked-b.der", &c_ds_bp_tweak),
        ("crl-rsa.der", &crl_rsa),
        ("crl-p256.der", &crl_p256),
    ] {
        out.push((n.to_owned(), b.clone()));
    }

    // Data groups of the synthetic passport, and DG1 with issuing state D (country mismatch).
    let dgs: Vec<(u8, Vec<u8>)> = inp
        .passport
        .iter()
        .filter_map(|(n, b)| {
            let id = crate::testkit::dataset::file_for_name(n)?;
            Some((id.dg_number()?, b.clone()))
        })
        .collect();
    let mrz = lds_gen::specimen_mrz();
    let line1_d = mrz[0].replacen("P<UTO", "P<D<<", 1);
    let dg1_d = lds_gen::encode_dg1(&[line1_d.as_str(), mrz[1].as_str()]);
    let dgs_d: Vec<(u8, Vec<u8>)> = dgs
        .iter()
        .map(|(n, b)| (*n, if *n == 1 { dg1_d.clone() } else { b.clone() }))
        .collect();
    out.push(("DG1-issuing-state-D.bin".to_owned(), dg1_d));

    let base = SodSpec {
        data_groups: dgs.clone(),
        lso_hash: (Sha256.dotted().into(), Some(Sha256)),
        signer_digest: (Sha256.dotted().into(), Some(Sha256)),
        scheme: pkcs1,
        econtent_type: "2.23.136.1.1.1".into(),
        content_type_attr: "2.23.136.1.1.1".into(),
        message_digest: MessageDigest::Correct,
        ds_certificate: c_ds_rsa.clone(),
        include_certificate: true,
        corrupt_signature: false,
        indefinite: false,
        sid_ski: false,
        signer_info_version: None,
        signature_oid: None,
        lso_version: None,
        lso_version_info: false,
        signing_time: None,
    };
    let sha1 = SodSpec {
        lso_hash: (Sha1.dotted().into(), Some(Sha1)),
        signer_digest: (Sha1.dotted().into(), Some(Sha1)),
        scheme: SignatureScheme::RsaPkcs1 { hash: Sha1 },
        ..base.clone()
    };
    let md5 = SodSpec {
        lso_hash: (crate::pa::algorithms::OID_MD5.into(), None),
        signer_digest: (crate::pa::algorithms::OID_MD5.into(), None),
        ..base.clone()
    };
    let sods: Vec<(&str, SodSpec, &TestKey)> = vec![
        ("rsa", base.clone(), &k_ds_rsa),
        (
            "rsa-no-cert",
            SodSpec {
                include_certificate: false,
                ..base.clone()
            },
            &k_ds_rsa,
        ),
        (
            "rsa-revoked",
            SodSpec {
                ds_certificate: c_ds_rsa_revoked.clone(),
                ..base.clone()
            },
            &k_ds_rsa,
        ),
        (
            "rsa-keyusage",
            SodSpec {
                ds_certificate: c_ds_rsa_ku.clone(),
                ..base.clone()
            },
            &k_ds_rsa,
        ),
        (
            "rsa-aki",
            SodSpec {
                ds_certificate: c_ds_rsa_aki.clone(),
                ..base.clone()
            },
            &k_ds_rsa,
        ),
        (
            "rsa-signer-pss",
            SodSpec {
                scheme: pss,
                ..base.clone()
            },
            &k_ds_rsa,
        ),
        ("rsa-sha1", sha1, &k_ds_rsa),
        ("rsa-md5", md5, &k_ds_rsa),
        (
            "rsa-md-wrong",
            SodSpec {
                message_digest: MessageDigest::Wrong,
                ..base.clone()
            },
            &k_ds_rsa,
        ),
        (
            "rsa-md-missing",
            SodSpec {
                message_digest: MessageDigest::Missing,
                ..base.clone()
            },
            &k_ds_rsa,
        ),
        (
            "rsa-ct-wrong",
            SodSpec {
                content_type_attr: "1.2.840.113549.1.7.1".into(),
                ..base.clone()
            },
            &k_ds_rsa,
        ),
        (
            "rsa-sig-corrupt",
            SodSpec {
                corrupt_signature: true,
                ..base.clone()
            },
            &k_ds_rsa,
        ),
        (
            "rsa-legacy-oid",
            SodSpec {
                econtent_type: "1.3.27.1.1.1".into(),
                content_type_attr: "1.3.27.1.1.1".into(),
                ..base.clone()
            },
            &k_ds_rsa,
        ),
        (
            "rsa-ber-indefinite",
            SodSpec {
                indefinite: true,
                ..base.clone()
            },
            &k_ds_rsa,
        ),
        (
            "pss",
            SodSpec {
                scheme: pss,
                ds_certificate: c_ds_pss.clone(),
                ..base.clone()
            },
            &k_ds_rsa,
        ),
        (
            "p256",
            SodSpec {
                scheme: ecdsa,
                ds_certificate: c_ds_p256.clone(),
                ..base.clone()
            },
            &k_ds_p256,
        ),
        (
            "p256-rogue",
            SodSpec {
                scheme: ecdsa,
                ds_certificate: c_ds_p256_rogue.clone(),
                ..base.clone()
            },
            &k_ds_p256,
        ),
        (
            "p256-country-d",
            SodSpec {
                scheme: ecdsa,
                ds_certificate: c_ds_p256.clone(),
                data_groups: dgs_d.clone(),
                ..base.clone()
            },
            &k_ds_p256,
        ),
        (
            "bp256",
            SodSpec {
                scheme: ecdsa_plain,
                ds_certificate: c_ds_bp.clone(),
                ..base.clone()
            },
            &k_ds_bp,
        ),
        (
            "bp256-tweaked-b",
            SodSpec {
                scheme: ecdsa_plain,
                ds_certificate: c_ds_bp_tweak.clone(),
                ..base.clone()
            },
            &k_ds_bp,
        ),
    ];
    for (n, spec, key) in sods {
        out.push((format!("sod/{n}.bin"), sod(&spec, key, &mut rng)));
    }

    // A CSCA master list signed by a master-list signer that CSCA RSA issued (after every other
    // use of the RNG, so the files above do not change when this part does).
    let c_ml_signer = ds(
        0x3001,
        "Master List Signer",
        &n_csca_rsa,
        spki_ds_rsa.clone(),
        aki_rsa.clone(),
        KU_DIGITAL_SIGNATURE,
        pkcs1,
        &k_csca_rsa,
        &mut rng,
    );
    let listed = [&c_csca_rsa, &c_csca_p256, &c_csca_pss, &c_link];
    let ml = master_list(&listed, &c_ml_signer, &k_ds_rsa, &pkcs1, &mut rng);
    out.push(("ml-signer.der".to_owned(), c_ml_signer));
    out.push(("masterlist.der".to_owned(), ml));

    // Deviation lists (Doc 9303-12 §10), after every other use of the RNG. The signer is
    // issued by CSCA RSA (country UT), so the list speaks for UT documents.
    // The signer carries the deviation-list-signing EKU (id-icao-mrtd-security-
    // deviationListSigningKey 2.23.136.1.1.8) that import requires.
    let dl_signer_spec = |serial: u64, cn: &str, eku: bool| CertSpec {
        serial,
        issuer: n_csca_rsa.clone(),
        subject: ds_name(cn),
        not_before: dates::ds_from(),
        not_after: dates::ds_to(),
        spki: spki_ds_rsa.clone(),
        aki: Some(aki_rsa.clone()),
        key_usage: KU_DIGITAL_SIGNATURE.to_vec(),
        ca_path_len: None,
        scheme: pkcs1,
        extensions: if eku {
            vec![ext_extended_key_usage(&[
                crate::trust::deviation::ID_ICAO_DEVIATION_LIST_SIGNING_KEY,
            ])]
        } else {
            Vec::new()
        },
    };
    let c_dl_signer = certificate(
        &dl_signer_spec(0x3002, "Deviation List Signer", true),
        &k_csca_rsa,
        &mut rng,
    );
    // [1] IMPLICIT IssuerAndSerialNumber: the SEQUENCE's contents.
    let ias = |c: &[u8]| {
        crate::pa::cert::Certificate::from_der(c)
            .map(|c| [c.issuer_raw.clone(), encode(0x02, &c.serial)].concat())
            .unwrap_or_default()
    };
    let doc_number = lds_gen::specimen_mrz()[1]
        .get(..9)
        .unwrap_or_default()
        .to_owned();
    let ski_ds_p256 = key_id(&k_ds_p256.spki(false));
    let entries = [
        // The DS with keyCertSign instead of digitalSignature (ds-rsa-keyusage).
        deviation_entry(
            &[encode(0xA1, &ias(&c_ds_rsa_ku))],
            &[dev_desc(
                "DS keyUsage keyCertSign instead of digitalSignature",
                "2.23.136.1.1.7.1.2",
                Some(der_oid("2.5.29.15")),
            )],
        ),
        // The specimen document, issued in December 2025, with a wrong DG2 hash.
        deviation_entry(
            &[
                issuance_period(unix(2025, 12, 1), unix(2025, 12, 31) + 86_399),
                encode(0xA5, &encode(0x13, doc_number.as_bytes())),
            ],
            &[dev_desc(
                "DG2 rewritten after signing",
                "2.23.136.1.1.7.2.2",
                Some(der_small(2)),
            )],
        ),
        // Passports under DS RSA: the SOD signature value is wrong.
        deviation_entry(
            &[encode(0x80, b"P<"), encode(0xA1, &ias(&c_ds_rsa))],
            &[dev_desc(
                "SOD signature value wrong",
                "2.23.136.1.1.7.2.3",
                None,
            )],
        ),
        // Another document number: DG1 hash wrong (must not apply to the specimen).
        deviation_entry(
            &[encode(0xA5, &encode(0x13, b"Z99999997"))],
            &[dev_desc(
                "DG1 hash wrong",
                "2.23.136.1.1.7.2.2",
                Some(der_small(1)),
            )],
        ),
        // Documents under DS P256: the AA key is compromised (not a PA check; reported).
        deviation_entry(
            &[encode(0x82, &ski_ds_p256)],
            &[dev_desc("AA key compromised", "2.23.136.1.1.7.1.4", None)],
        ),
    ];
    let dl = deviation_list(&entries, &c_dl_signer, &k_ds_rsa, &pkcs1, &mut rng);
    // The same list signed by a signer that a rogue key issued under the CSCA P256 name.
    let c_dl_rogue = ds(
        0x3003,
        "Rogue Deviation List Signer",
        &n_csca_p256,
        k_ds_p256.spki(false),
        aki_p256.clone(),
        KU_DIGITAL_SIGNATURE,
        ecdsa,
        &k_rogue,
        &mut rng,
    );
    let dl_rogue = deviation_list(&entries, &c_dl_rogue, &k_ds_p256, &ecdsa, &mut rng);
    out.push(("dl-signer.der".to_owned(), c_dl_signer.clone()));
    out.push(("deviations.der".to_owned(), dl));
    out.push(("deviations-untrusted.der".to_owned(), dl_rogue));

    // DSA (TR-03105 5.1 LDS_H_13 DSA-SHA1, H_97/98 DSA-SHA224/256): a DS with the RFC 6979
    // A.2.2 DSA-2048/256 key, certified by CSCA RSA; signatures use RFC 6979 nonces.
    if let Some(k_ds_dsa) = rfc6979_dsa2048() {
        let c_ds_dsa = ds(
            0x2401,
            "DS DSA",
            &n_csca_rsa,
            k_ds_dsa.spki(false),
            aki_rsa.clone(),
            KU_DIGITAL_SIGNATURE,
            pkcs1,
            &k_csca_rsa,
            &mut rng,
        );
        for (n, hash) in [("dsa", Sha256), ("dsa-sha224", Sha224), ("dsa-sha1", Sha1)] {
            let spec = SodSpec {
                scheme: SignatureScheme::Dsa { hash },
                signer_digest: (hash.dotted().into(), Some(hash)),
                ds_certificate: c_ds_dsa.clone(),
                ..base.clone()
            };
            out.push((format!("sod/{n}.bin"), sod(&spec, &k_ds_dsa, &mut rng)));
        }
        let corrupt = SodSpec {
            scheme: SignatureScheme::Dsa { hash: Sha256 },
            ds_certificate: c_ds_dsa.clone(),
            corrupt_signature: true,
            ..base.clone()
        };
        out.push((
            "sod/dsa-sig-corrupt.bin".to_owned(),
            sod(&corrupt, &k_ds_dsa, &mut rng),
        ));
        out.push(("ds-dsa.der".to_owned(), c_ds_dsa));
    }

    // RSA-4096 with RSASSA-PSS throughout (issue 6 benchmark family): CSCA, DS and SOD.
    if let (Some(k_csca_4096), Some(k_ds_4096)) = (
        rsa_key("csca-rsa4096.key.der"),
        rsa_key("ds-rsa4096.key.der"),
    ) {
        let n_csca_4096 = name("UT", ORG, "CSCA", "CSCA RSA4096 PSS");
        let spki_csca_4096 = k_csca_4096.spki(false);
        let c_csca_4096 = csca(
            0x1401,
            &n_csca_4096,
            &k_csca_4096,
            spki_csca_4096.clone(),
            &k_csca_4096,
            None,
            pss,
            csca_dates,
            &mut rng,
        );
        let c_ds_4096 = ds(
            0x2501,
            "DS RSA4096 PSS",
            &n_csca_4096,
            k_ds_4096.spki(false),
            key_id(&spki_csca_4096),
            KU_DIGITAL_SIGNATURE,
            pss,
            &k_csca_4096,
            &mut rng,
        );
        let spec = SodSpec {
            scheme: pss,
            ds_certificate: c_ds_4096.clone(),
            ..base.clone()
        };
        out.push((
            "sod/rsa4096-pss.bin".to_owned(),
            sod(&spec, &k_ds_4096, &mut rng),
        ));
        out.push(("csca-rsa4096-pss.der".to_owned(), c_csca_4096));
        out.push(("ds-rsa4096-pss.der".to_owned(), c_ds_4096));
    }

    // More TR-03105 5.1 LDS_H structure cases over the RSA passport.
    let more: Vec<(&str, SodSpec)> = vec![
        // H_44: no DG1 hash (DG1 is read).
        (
            "rsa-no-dg1",
            SodSpec {
                data_groups: dgs.iter().filter(|(n, _)| *n != 1).cloned().collect(),
                ..base.clone()
            },
        ),
        // H_74: LDSSecurityObject SHA-512, SignerInfo digest and signature SHA-256.
        (
            "rsa-lso-sha512",
            SodSpec {
                lso_hash: (Sha512.dotted().into(), Some(Sha512)),
                ..base.clone()
            },
        ),
        // H_79: rsaEncryption as the signature algorithm (hash from the SignerInfo digest).
        (
            "rsa-sigalg-rsaencryption",
            SodSpec {
                signature_oid: Some(("1.2.840.113549.1.1.1".into(), true)),
                ..base.clone()
            },
        ),
        // H_36: a signature algorithm that is not allowed (md5WithRSAEncryption).
        (
            "rsa-sigalg-md5rsa",
            SodSpec {
                signature_oid: Some(("1.2.840.113549.1.1.4".into(), true)),
                ..base.clone()
            },
        ),
        // Signer identified by subjectKeyIdentifier (SignerInfo v3), Doc 9303-10 §4.6.2.
        (
            "rsa-sid-ski",
            SodSpec {
                sid_ski: true,
                ..base.clone()
            },
        ),
        // H_84: SignerInfo version 3 with issuerAndSerialNumber.
        (
            "rsa-si-v3-issuer-serial",
            SodSpec {
                signer_info_version: Some(3),
                ..base.clone()
            },
        ),
        // H_85: SignerInfo version 1 with subjectKeyIdentifier.
        (
            "rsa-si-v1-ski",
            SodSpec {
                sid_ski: true,
                signer_info_version: Some(1),
                ..base.clone()
            },
        ),
        // H_86..89 family: LDSSecurityObject v0 with ldsVersionInfo, v1 without it.
        (
            "rsa-lso-v0-with-versioninfo",
            SodSpec {
                lso_version: Some(0),
                lso_version_info: true,
                ..base.clone()
            },
        ),
        (
            "rsa-lso-v1-without-versioninfo",
            SodSpec {
                lso_version: Some(1),
                lso_version_info: false,
                ..base.clone()
            },
        ),
    ];
    for (n, spec) in more {
        out.push((format!("sod/{n}.bin"), sod(&spec, &k_ds_rsa, &mut rng)));
    }

    // DG12 whose date of issue (2024-06-01) precedes the DS certificate (2025-01-01), and a
    // SOD over it (pitfalls #5).
    let dg12_early = lds_gen::encode_dg12(&lds_gen::Dg12Fields {
        issuing_authority: Some("UTOPIA PASSPORT OFFICE".into()),
        date_of_issue: Some("20240601".into()),
        endorsements: Some("NONE".into()),
        personalization_time: Some("20240531120000".into()),
        personalization_device_serial: Some("SYNTH-0001".into()),
        ..lds_gen::Dg12Fields::default()
    });
    let dgs_early: Vec<(u8, Vec<u8>)> = dgs
        .iter()
        .map(|(n, b)| {
            (
                *n,
                if *n == 12 {
                    dg12_early.clone()
                } else {
                    b.clone()
                },
            )
        })
        .collect();
    let spec = SodSpec {
        data_groups: dgs_early,
        ..base.clone()
    };
    out.push((
        "sod/rsa-dg12-before-ds.bin".to_owned(),
        sod(&spec, &k_ds_rsa, &mut rng),
    ));
    out.push(("DG12-issued-2024.bin".to_owned(), dg12_early));

    // brainpoolP384r1 with explicit parameters (Doc 9303-12 §4.1.6.3), ECDSA with SHA-384.
    let ecdsa384 = SignatureScheme::Ecdsa {
        hash: Sha384,
        format: EcdsaFormat::Der,
    };
    let k_csca_bp384 = TestKey::ec(NamedCurve::BrainpoolP384r1, 0x9303_0301);
    let k_ds_bp384 = TestKey::ec(NamedCurve::BrainpoolP384r1, 0x9303_0302);
    let n_csca_bp384 = name("UT", ORG, "CSCA", "CSCA BP384");
    let spki_csca_bp384 = k_csca_bp384.spki(true);
    let c_csca_bp384 = csca(
        0x1501,
        &n_csca_bp384,
        &k_csca_bp384,
        spki_csca_bp384.clone(),
        &k_csca_bp384,
        None,
        ecdsa384,
        csca_dates,
        &mut rng,
    );
    let c_ds_bp384 = ds(
        0x2601,
        "DS BP384",
        &n_csca_bp384,
        k_ds_bp384.spki(true),
        key_id(&spki_csca_bp384),
        KU_DIGITAL_SIGNATURE,
        ecdsa384,
        &k_csca_bp384,
        &mut rng,
    );
    let spec = SodSpec {
        scheme: ecdsa384,
        signer_digest: (Sha384.dotted().into(), Some(Sha384)),
        ds_certificate: c_ds_bp384.clone(),
        ..base.clone()
    };
    out.push((
        "sod/bp384.bin".to_owned(),
        sod(&spec, &k_ds_bp384, &mut rng),
    ));
    out.push(("csca-bp384.der".to_owned(), c_csca_bp384));
    out.push(("ds-bp384.der".to_owned(), c_ds_bp384));

    // DS validity models (Doc 9303-12 §7.1.1): a DS certificate valid 2025-01-01..2027-01-01
    // whose privateKeyUsagePeriod is 2025-01-01..2026-01-01, and SODs signed inside and
    // outside that period (signingTime, RFC 5652 §11.3), and one without signingTime (the
    // specimen DG12 date of issue, 2025-12-31, stands in).
    let c_ds_pkup = certificate(
        &CertSpec {
            serial: 0x2005,
            issuer: n_csca_rsa.clone(),
            subject: ds_name("DS RSA key usage period"),
            not_before: dates::ds_from(),
            not_after: unix(2027, 1, 1),
            spki: spki_ds_rsa.clone(),
            aki: Some(aki_rsa.clone()),
            key_usage: KU_DIGITAL_SIGNATURE.to_vec(),
            ca_path_len: None,
            scheme: pkcs1,
            extensions: vec![ext_private_key_usage_period(
                dates::ds_from(),
                unix(2026, 1, 1),
            )],
        },
        &k_csca_rsa,
        &mut rng,
    );
    // A DS whose certificate is signed sha1WithRSAEncryption (SOD itself SHA-256).
    let c_ds_sha1 = certificate(
        &CertSpec {
            serial: 0x2006,
            issuer: n_csca_rsa.clone(),
            subject: ds_name("DS RSA SHA-1 certificate"),
            not_before: dates::ds_from(),
            not_after: dates::ds_to(),
            spki: spki_ds_rsa.clone(),
            aki: Some(aki_rsa.clone()),
            key_usage: KU_DIGITAL_SIGNATURE.to_vec(),
            ca_path_len: None,
            scheme: SignatureScheme::RsaPkcs1 { hash: Sha1 },
            extensions: Vec::new(),
        },
        &k_csca_rsa,
        &mut rng,
    );
    let timed: Vec<(&str, SodSpec)> = vec![
        (
            "rsa-pkup-signingtime",
            SodSpec {
                ds_certificate: c_ds_pkup.clone(),
                signing_time: Some(unix(2025, 12, 31) + 12 * 3600),
                ..base.clone()
            },
        ),
        (
            "rsa-pkup-signingtime-late",
            SodSpec {
                ds_certificate: c_ds_pkup.clone(),
                signing_time: Some(unix(2026, 6, 1)),
                ..base.clone()
            },
        ),
        (
            "rsa-pkup",
            SodSpec {
                ds_certificate: c_ds_pkup.clone(),
                ..base.clone()
            },
        ),
        (
            "rsa-signingtime",
            SodSpec {
                signing_time: Some(unix(2025, 12, 31) + 12 * 3600),
                ..base.clone()
            },
        ),
        (
            "rsa-signingtime-before-ds",
            SodSpec {
                signing_time: Some(unix(2024, 6, 1)),
                ..base.clone()
            },
        ),
        (
            "rsa-ds-sha1-cert",
            SodSpec {
                ds_certificate: c_ds_sha1.clone(),
                ..base.clone()
            },
        ),
    ];
    for (n, spec) in timed {
        out.push((format!("sod/{n}.bin"), sod(&spec, &k_ds_rsa, &mut rng)));
    }
    out.push(("ds-rsa-pkup.der".to_owned(), c_ds_pkup));
    out.push(("ds-rsa-sha1-cert.der".to_owned(), c_ds_sha1));

    // The deviation list signed by a CSCA-issued signer WITHOUT the deviation-list-signing EKU
    // (refused at import).
    let c_dl_no_eku = certificate(
        &dl_signer_spec(0x3004, "Deviation List Signer without EKU", false),
        &k_csca_rsa,
        &mut rng,
    );
    let dl_no_eku = deviation_list(&entries, &c_dl_no_eku, &k_ds_rsa, &pkcs1, &mut rng);
    out.push(("deviations-signer-no-eku.der".to_owned(), dl_no_eku));

    // brainpoolP512r1 (named curve), ECDSA with SHA-512: CSCA, DS and SOD (issue 6 benchmark
    // family).
    let ecdsa512 = SignatureScheme::Ecdsa {
        hash: Sha512,
        format: EcdsaFormat::Der,
    };
    let k_csca_bp512 = TestKey::ec(NamedCurve::BrainpoolP512r1, 0x9303_0401);
    let k_ds_bp512 = TestKey::ec(NamedCurve::BrainpoolP512r1, 0x9303_0402);
    let n_csca_bp512 = name("UT", ORG, "CSCA", "CSCA BP512");
    let spki_csca_bp512 = k_csca_bp512.spki(false);
    let c_csca_bp512 = csca(
        0x1601,
        &n_csca_bp512,
        &k_csca_bp512,
        spki_csca_bp512.clone(),
        &k_csca_bp512,
        None,
        ecdsa512,
        csca_dates,
        &mut rng,
    );
    let c_ds_bp512 = ds(
        0x2701,
        "DS BP512",
        &n_csca_bp512,
        k_ds_bp512.spki(false),
        key_id(&spki_csca_bp512),
        KU_DIGITAL_SIGNATURE,
        ecdsa512,
        &k_csca_bp512,
        &mut rng,
    );
    let spec = SodSpec {
        scheme: ecdsa512,
        signer_digest: (Sha512.dotted().into(), Some(Sha512)),
        ds_certificate: c_ds_bp512.clone(),
        ..base.clone()
    };
    out.push((
        "sod/bp512.bin".to_owned(),
        sod(&spec, &k_ds_bp512, &mut rng),
    ));
    out.push(("csca-bp512.der".to_owned(), c_csca_bp512));
    out.push(("ds-bp512.der".to_owned(), c_ds_bp512));
    // The RSA CSCA's CRL signed sha1WithRSAEncryption, one cRLNumber newer than crl-rsa.der
    // (same revoked DS): the SHA-1 policy applies to CRL signatures too.
    let crl_rsa_sha1 = crl(
        &n_csca_rsa,
        &aki_rsa,
        dates::crl_this() + 3600,
        dates::crl_next(),
        &[(0x2002, unix(2025, 6, 1))],
        2,
        &SignatureScheme::RsaPkcs1 { hash: Sha1 },
        &k_csca_rsa,
        &mut rng,
    );
    out.push(("crl-rsa-sha1.der".to_owned(), crl_rsa_sha1));
    // Deviations outside PA for passports under DS RSA (the synthetic passports' DS): the AA
    // key is compromised, the MRZ carries a wrong check digit and wrong data (inspection::assess
    // applies them).
    let dl_aa_mrz = deviation_list(
        &[deviation_entry(
            &[encode(0x80, b"P<"), encode(0xA1, &ias(&c_ds_rsa))],
            &[
                dev_desc("AA key compromised", "2.23.136.1.1.7.1.4", None),
                dev_desc("MRZ check digit wrong", "2.23.136.1.1.7.3.2", None),
                dev_desc("MRZ data wrong", "2.23.136.1.1.7.3.1", None),
            ],
        )],
        &c_dl_signer,
        &k_ds_rsa,
        &pkcs1,
        &mut rng,
    );
    out.push(("deviations-aa-mrz.der".to_owned(), dl_aa_mrz));
    out
}

/// A Deviation: DeviationDocuments fields (already tagged, in order) and descriptions.
pub fn deviation_entry(documents: &[Vec<u8>], descriptions: &[Vec<u8>]) -> Vec<u8> {
    let mut d: Vec<Vec<u8>> = descriptions.to_vec();
    d.sort();
    seq(&[
        &encode(0x30, &documents.concat()),
        &encode(0x31, &d.concat()),
    ])
}

/// A DeviationDescription; `parameter` is the encoded value put under the explicit [0].
pub fn dev_desc(text: &str, oid_s: &str, parameter: Option<Vec<u8>>) -> Vec<u8> {
    let p = parameter.map(|v| encode(0xA0, &v)).unwrap_or_default();
    seq(&[&encode(0x13, text.as_bytes()), &der_oid(oid_s), &p])
}

/// issuingDate [4] IssuancePeriod (GeneralizedTime bounds).
pub fn issuance_period(first: i64, last: i64) -> Vec<u8> {
    let gt = |t: i64| {
        let (y, m, d, hh, mm, ss) = civil(t);
        encode(
            0x18,
            format!("{y:04}{m:02}{d:02}{hh:02}{mm:02}{ss:02}Z").as_bytes(),
        )
    };
    encode(0xA4, &[gt(first), gt(last)].concat())
}

/// A deviation list (CMS SignedData, eContentType id-icao-DeviationList, Doc 9303-12 §10)
/// with `deviations` (encoded Deviation values), digestAlgorithm SHA-256, signed like
/// [`master_list`].
pub fn deviation_list(
    deviations: &[Vec<u8>],
    signer_cert: &[u8],
    signer_key: &TestKey,
    scheme: &SignatureScheme,
    rng: &mut ChaCha20Rng,
) -> Vec<u8> {
    let mut set: Vec<Vec<u8>> = deviations.to_vec();
    set.sort();
    let econtent = seq(&[
        &der_small(0),
        &seq(&[&der_oid(DigestAlg::Sha256.dotted())]),
        &encode(0x31, &set.concat()),
    ]);
    signed_list(
        "2.23.136.1.1.7",
        &econtent,
        signer_cert,
        signer_key,
        scheme,
        rng,
    )
}

/// A CSCA master list (CMS SignedData, eContentType id-icao-cscaMasterList) carrying
/// `certificates`, signed by `signer_key` whose certificate `signer_cert` it includes.
pub fn master_list(
    certificates: &[&Vec<u8>],
    signer_cert: &[u8],
    signer_key: &TestKey,
    scheme: &SignatureScheme,
    rng: &mut ChaCha20Rng,
) -> Vec<u8> {
    const ML: &str = "2.23.136.1.1.2";
    let mut set: Vec<Vec<u8>> = certificates.iter().map(|c| (*c).clone()).collect();
    set.sort();
    let econtent = seq(&[&der_small(0), &encode(0x31, &set.concat())]);
    signed_list(ML, &econtent, signer_cert, signer_key, scheme, rng)
}

/// CMS SignedData over `econtent` of type `content_type` (an ICAO signed list), with the
/// signer certificate included and contentType + messageDigest signed attributes.
fn signed_list(
    content_type: &str,
    econtent: &[u8],
    signer_cert: &[u8],
    signer_key: &TestKey,
    scheme: &SignatureScheme,
    rng: &mut ChaCha20Rng,
) -> Vec<u8> {
    let md = Sha256::digest(econtent).to_vec();
    let mut attrs = [
        seq(&[
            &der_oid("1.2.840.113549.1.9.3"),
            &encode(0x31, &der_oid(content_type)),
        ]),
        seq(&[
            &der_oid("1.2.840.113549.1.9.4"),
            &encode(0x31, &encode(0x04, &md)),
        ]),
    ];
    attrs.sort();
    let attrs_body = attrs.concat();
    let sig = signer_key.sign(scheme, &encode(0x31, &attrs_body), rng);
    let digest_alg = seq(&[&der_oid(DigestAlg::Sha256.dotted()), &[0x05, 0x00]]);
    let signer_info = seq(&[
        &der_small(1),
        &cert_issuer_and_serial(signer_cert),
        &digest_alg,
        &encode(0xA0, &attrs_body),
        &signature_alg_id(scheme),
        &encode(0x04, &sig),
    ]);
    let encap = seq(&[
        &der_oid(content_type),
        &encode(0xA0, &encode(0x04, econtent)),
    ]);
    let sd = seq(&[
        &der_small(3),
        &encode(0x31, &digest_alg),
        &encap,
        &encode(0xA0, signer_cert),
        &encode(0x31, &signer_info),
    ]);
    seq(&[&encode(0x06, oid::ID_SIGNED_DATA), &encode(0xA0, &sd)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_roundtrip() {
        for (y, m, d) in [
            (1970, 1, 1),
            (2000, 2, 29),
            (2049, 12, 31),
            (2050, 1, 1),
            (2026, 6, 1),
        ] {
            let (yy, mm, dd, ..) = civil(unix(y, m, d));
            assert_eq!((yy, mm, dd), (y, m, d));
        }
        assert_eq!(x509_time(unix(2049, 12, 31))[0], 0x17);
        assert_eq!(x509_time(unix(2050, 1, 1))[0], 0x18);
    }

    #[test]
    fn dsa_sign_verify_and_size_caps() {
        use crate::pa::algorithms::{verify, AlgError, VerifyingKey};
        let k = rfc6979_dsa2048().unwrap();
        let vk = VerifyingKey::from_spki_der(&k.spki(false)).unwrap();
        assert_eq!(vk.describe(), "DSA-2048");
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        for hash in [DigestAlg::Sha1, DigestAlg::Sha224, DigestAlg::Sha256] {
            let s = SignatureScheme::Dsa { hash };
            let sig = k.sign(&s, b"msg", &mut rng);
            verify(&vk, &s, b"msg", &sig, 2048).unwrap();
            assert_eq!(
                verify(&vk, &s, b"msh", &sig, 2048),
                Err(AlgError::BadSignature)
            );
            // The RSA floor applies to p.
            assert!(matches!(
                verify(&vk, &s, b"msg", &sig, 3072),
                Err(AlgError::Disallowed { .. })
            ));
        }
        // A p beyond FIPS 186-4 sizes is refused before any arithmetic.
        let big = |n: usize| encode(0x02, &der_uint(&vec![0xC3; n]));
        let params = seq(&[&big(513), &big(32), &big(2)]);
        let mut bits = vec![0u8];
        bits.extend_from_slice(&big(4));
        let spki = seq(&[
            &seq(&[&der_oid("1.2.840.10040.4.1"), &params]),
            &encode(0x03, &bits),
        ]);
        assert!(matches!(
            VerifyingKey::from_spki_der(&spki),
            Err(AlgError::Unsupported { .. })
        ));
    }

    #[test]
    fn ec_sign_verify() {
        use crate::pa::algorithms::{verify, VerifyingKey};
        for (curve, explicit) in [(NamedCurve::P256, false)] {
            let k = TestKey::ec(curve, 7);
            let vk = VerifyingKey::from_spki_der(&k.spki(explicit)).unwrap();
            let mut rng = ChaCha20Rng::seed_from_u64(1);
            for format in [EcdsaFormat::Der, EcdsaFormat::Plain] {
                let s = SignatureScheme::Ecdsa {
                    hash: DigestAlg::Sha256,
                    format,
                };
                let sig = k.sign(&s, b"msg", &mut rng);
                verify(&vk, &s, b"msg", &sig, 2048).unwrap();
                assert!(verify(&vk, &s, b"msh", &sig, 2048).is_err());
            }
        }
    }
}
