//! A deterministic synthetic Extended Access Control PKI (BSI TR-03110-3 Appendix C): a CVCA,
//! a domestic DV and an inspection system on brainpoolP256r1 with id-TA-ECDSA-SHA-256, plus a
//! second CVCA (a trust point no chip of the tests knows) and a key that matches no certificate.
//!
//! SYNTHETIC TEST KEYS ONLY: private scalars come from fixed seeds, signatures are
//! deterministic (RFC 6979), dates are fixed, so the output is byte-for-byte stable and is
//! committed under `testdata/eac/` (checked by `tests/testdata_fresh.rs`).

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::chip::ta::SoftwareSigner;
use crate::lds::cvc::{
    ec_public_key_dos, CvDate, TaAlgorithm, OID_ROLES, RIGHT_READ_DG3, RIGHT_READ_DG4,
};
use crate::pa::algorithms::{DigestAlg, EcdsaFormat, NamedCurve, SignatureScheme};
use crate::testkit::pki::TestKey;
use crate::tlv::encode;

/// The curve of the test PKI.
pub const CURVE: NamedCurve = NamedCurve::BrainpoolP256r1;
/// The algorithm of every key.
pub const ALGORITHM: TaAlgorithm = TaAlgorithm::Ecdsa(DigestAlg::Sha256);
/// CHAT role bits (TR-03110-3 §C.4.1): CVCA.
pub const ROLE_CVCA: u8 = 0xC0;
/// DV, official domestic.
pub const ROLE_DV_DOMESTIC: u8 = 0x80;
/// Terminal (inspection system).
pub const ROLE_IS: u8 = 0x00;

/// The CVCA's CHR (country code, mnemonic, sequence number; TR-03110-3 §A.6.2).
pub const CVCA_CHR: &str = "UTCVCA00001";
/// The DV's CHR.
pub const DV_CHR: &str = "UTDVDOM00001";
/// The inspection system's CHR.
pub const IS_CHR: &str = "UTISTERM00001";
/// Another country's CVCA.
pub const OTHER_CVCA_CHR: &str = "ZZCVCA00001";

/// The virtual chip's current date in the tests: inside every validity period.
pub fn chip_date() -> CvDate {
    CvDate {
        year: 2026,
        month: 11,
        day: 15,
    }
}

/// A chip date after the IS (and DV) certificates expired.
pub fn chip_date_expired() -> CvDate {
    CvDate {
        year: 2027,
        month: 6,
        day: 1,
    }
}

/// One certificate to build.
#[derive(Debug, Clone)]
pub struct CvSpec<'a> {
    /// Issuer's CHR.
    pub car: &'a str,
    /// Holder's CHR.
    pub chr: &'a str,
    /// CHAT first byte: role bits | rights.
    pub chat: u8,
    /// Effective date.
    pub effective: CvDate,
    /// Expiration date.
    pub expiration: CvDate,
    /// The holder's public point.
    pub point: Vec<u8>,
    /// Domain parameters in the key (CVCA certificates).
    pub domain: bool,
}

/// The certificate body `7F4E { ... }` (TR-03110-3 §C.1).
pub fn cv_body(spec: &CvSpec<'_>) -> Vec<u8> {
    cv_body_with(spec, ALGORITHM)
}

/// [`cv_body`] with the holder key's algorithm `key_algorithm` (an EC key: `spec.point`).
pub fn cv_body_with(spec: &CvSpec<'_>, key_algorithm: TaAlgorithm) -> Vec<u8> {
    body_with_key(
        spec,
        key_algorithm,
        ec_public_key_dos(CURVE, &spec.point, spec.domain),
    )
}

/// The body with the holder key's data objects `key_dos` (TR-03110-3 §D.3).
fn body_with_key(spec: &CvSpec<'_>, key_algorithm: TaAlgorithm, key_dos: Vec<u8>) -> Vec<u8> {
    let mut key = encode(0x06, &key_algorithm.oid());
    key.extend(key_dos);
    let mut chat = encode(0x06, &[OID_ROLES, &[1]].concat());
    chat.extend(encode(0x53, &[spec.chat]));
    let mut body = encode(0x5F29, &[0]);
    body.extend(encode(0x42, spec.car.as_bytes()));
    body.extend(encode(0x7F49, &key));
    body.extend(encode(0x5F20, spec.chr.as_bytes()));
    body.extend(encode(0x7F4C, &chat));
    body.extend(encode(0x5F25, &spec.effective.encode()));
    body.extend(encode(0x5F24, &spec.expiration.encode()));
    encode(0x7F4E, &body)
}

/// A certificate signed by `issuer`.
pub fn cv_certificate(spec: &CvSpec<'_>, issuer: &TestKey) -> Vec<u8> {
    cv_certificate_with(spec, ALGORITHM, issuer, ALGORITHM)
}

/// A certificate whose key is for `key_algorithm`, signed by `issuer` under the issuer key's
/// `issuer_algorithm` (they differ in a CVCA link certificate that changes the hash).
pub fn cv_certificate_with(
    spec: &CvSpec<'_>,
    key_algorithm: TaAlgorithm,
    issuer: &TestKey,
    issuer_algorithm: TaAlgorithm,
) -> Vec<u8> {
    sign_body(cv_body_with(spec, key_algorithm), issuer, issuer_algorithm)
}

/// A certificate for an RSA holder key (TR-03110-3 §D.3.1: DO'81' modulus, DO'82' exponent;
/// `spec.point` and `spec.domain` are not used), signed by `issuer` under `issuer_algorithm`.
pub fn cv_certificate_rsa(
    spec: &CvSpec<'_>,
    holder: &rsa::RsaPublicKey,
    key_algorithm: TaAlgorithm,
    issuer: &TestKey,
    issuer_algorithm: TaAlgorithm,
) -> Vec<u8> {
    use rsa::traits::PublicKeyParts;
    let dos = [
        encode(0x81, &holder.n().to_bytes_be()),
        encode(0x82, &holder.e().to_bytes_be()),
    ]
    .concat();
    sign_body(
        body_with_key(spec, key_algorithm, dos),
        issuer,
        issuer_algorithm,
    )
}

fn sign_body(body: Vec<u8>, issuer: &TestKey, issuer_algorithm: TaAlgorithm) -> Vec<u8> {
    let scheme = match issuer_algorithm {
        TaAlgorithm::Ecdsa(hash) => SignatureScheme::Ecdsa {
            hash,
            format: EcdsaFormat::Plain,
        },
        TaAlgorithm::RsaV15(hash) => SignatureScheme::RsaPkcs1 { hash },
        TaAlgorithm::RsaPss(hash) => SignatureScheme::RsaPss {
            hash,
            salt_len: hash.len(),
        },
    };
    // brainpool signatures are RFC 6979: the RNG is not drawn from.
    let mut rng = ChaCha20Rng::seed_from_u64(0);
    let sig = issuer.sign(&scheme, &body, &mut rng);
    let mut inner = body;
    inner.extend(encode(0x5F37, &sig));
    encode(0x7F21, &inner)
}

/// The test EAC PKI.
#[derive(Debug, Clone)]
pub struct CvPki {
    /// The CVCA certificate (self-signed, with domain parameters): the chip's trust point.
    pub cvca: Vec<u8>,
    /// The DV certificate (DG3 + DG4 rights).
    pub dv: Vec<u8>,
    /// The IS certificate (DG3 + DG4 rights).
    pub is: Vec<u8>,
    /// The IS key.
    pub is_key: SoftwareSigner,
    /// Another CVCA (unknown to the chips of the tests).
    pub other_cvca: Vec<u8>,
    /// A key that matches no certificate.
    pub rogue_key: SoftwareSigner,
}

fn date(y: u16, m: u8, d: u8) -> CvDate {
    CvDate {
        year: y,
        month: m,
        day: d,
    }
}

/// Seed of the IS key (its PKCS #8 file is written by [`generate`]).
const IS_KEY_SEED: u64 = 0x0EAC_0003;

/// An EC private scalar on `curve` as PKCS #8 DER (`PrivateKeyInfo` holding a SEC 1
/// `ECPrivateKey` with the public key), as operators hand the IS key to `--terminal-key`.
pub fn ec_pkcs8_der(curve: NamedCurve, d: &[u8]) -> Vec<u8> {
    use crate::testkit::lds_gen::der_oid;
    let point = SoftwareSigner::new(curve, d)
        .map(|s| s.public_point())
        .unwrap_or_default();
    let curve_oid = der_oid(curve.params().map(|p| p.oid).unwrap_or_default());
    let ec_pk = encode(
        0x30,
        &[
            encode(0x02, &[1]),
            encode(0x04, d),
            encode(0xA1, &encode(0x03, &[&[0u8][..], &point].concat())),
        ]
        .concat(),
    );
    let alg = encode(0x30, &[der_oid("1.2.840.10045.2.1"), curve_oid].concat());
    encode(
        0x30,
        &[encode(0x02, &[0]), alg, encode(0x04, &ec_pk)].concat(),
    )
}

fn signer(k: &TestKey) -> Option<SoftwareSigner> {
    match k {
        TestKey::Ec { curve, d } => SoftwareSigner::new(*curve, d),
        _ => None,
    }
}

/// Builds the PKI (deterministic); `None` only if a seeded key were out of range.
pub fn cv_pki() -> Option<CvPki> {
    let cvca_key = TestKey::ec(CURVE, 0x0EAC_0001);
    let dv_key = TestKey::ec(CURVE, 0x0EAC_0002);
    let is_key = TestKey::ec(CURVE, IS_KEY_SEED);
    let other_key = TestKey::ec(CURVE, 0x0EAC_0004);
    let rogue_key = TestKey::ec(CURVE, 0x0EAC_0005);
    let rights = RIGHT_READ_DG3 | RIGHT_READ_DG4;
    let cvca = cv_certificate(
        &CvSpec {
            car: CVCA_CHR,
            chr: CVCA_CHR,
            chat: ROLE_CVCA | rights,
            effective: date(2024, 1, 1),
            expiration: date(2029, 12, 31),
            point: cvca_key.ec_point(),
            domain: true,
        },
        &cvca_key,
    );
    let dv = cv_certificate(
        &CvSpec {
            car: CVCA_CHR,
            chr: DV_CHR,
            chat: ROLE_DV_DOMESTIC | rights,
            effective: date(2026, 1, 1),
            expiration: date(2027, 3, 31),
            point: dv_key.ec_point(),
            domain: false,
        },
        &cvca_key,
    );
    let is = cv_certificate(
        &CvSpec {
            car: DV_CHR,
            chr: IS_CHR,
            chat: ROLE_IS | rights,
            effective: date(2026, 11, 1),
            expiration: date(2026, 12, 31),
            point: is_key.ec_point(),
            domain: false,
        },
        &dv_key,
    );
    let other_cvca = cv_certificate(
        &CvSpec {
            car: OTHER_CVCA_CHR,
            chr: OTHER_CVCA_CHR,
            chat: ROLE_CVCA | rights,
            effective: date(2024, 1, 1),
            expiration: date(2029, 12, 31),
            point: other_key.ec_point(),
            domain: true,
        },
        &other_key,
    );
    Some(CvPki {
        cvca,
        dv,
        is,
        is_key: signer(&is_key)?,
        other_cvca,
        rogue_key: signer(&rogue_key)?,
    })
}

/// The files committed under `testdata/eac/`.
pub fn generate() -> Vec<(String, Vec<u8>)> {
    let Some(p) = cv_pki() else {
        return Vec::new();
    };
    let is_pkcs8 = match TestKey::ec(CURVE, IS_KEY_SEED) {
        TestKey::Ec { curve, d } => ec_pkcs8_der(curve, &d),
        _ => Vec::new(),
    };
    vec![
        ("cvca.cvcert".into(), p.cvca),
        ("dv.cvcert".into(), p.dv),
        ("is.cvcert".into(), p.is),
        ("is.pkcs8.der".into(), is_pkcs8),
        ("other-cvca.cvcert".into(), p.other_cvca),
    ]
}
