//! Deterministic, synthetic Active Authentication test keys (Doc 9303-11 §6.1). NOT real
//! document keys: every key here is generated from a public seed and must never sign anything
//! outside tests and the simulator.
//!
//! RSA key generation is slow in debug builds, so the RSA keys are committed as PKCS #8 DER
//! under `testdata/aa/` and embedded; [`generate_rsa`] recreates them from their seeds
//! (`tests/chip_aa.rs::committed_aa_keys_match_the_generator` checks that the files match and
//! rewrites them when `INSPECTD_WRITE_AA_KEYS=1`).
//! The P-256 key is fast to make and is derived at run time.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;

/// A committed RSA test key: file name, bits and seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RsaTestKey {
    /// File name under `testdata/aa/`.
    pub file: &'static str,
    /// Modulus size.
    pub bits: usize,
    /// Seed of the ChaCha20 RNG it was generated from.
    pub seed: u64,
    der: &'static [u8],
}

/// RSA-1024, seed 9303 (the key of most AA tests).
pub const RSA_1024_A: RsaTestKey = RsaTestKey {
    file: "rsa1024-a.pk8.der",
    bits: 1024,
    seed: 9303,
    der: include_bytes!("../../testdata/aa/rsa1024-a.pk8.der"),
};

/// A second RSA-1024 key, seed 9304 (the "chip signs with another key" fault).
pub const RSA_1024_B: RsaTestKey = RsaTestKey {
    file: "rsa1024-b.pk8.der",
    bits: 1024,
    seed: 9304,
    der: include_bytes!("../../testdata/aa/rsa1024-b.pk8.der"),
};

/// RSA-2048, seed 9305.
pub const RSA_2048: RsaTestKey = RsaTestKey {
    file: "rsa2048.pk8.der",
    bits: 2048,
    seed: 9305,
    der: include_bytes!("../../testdata/aa/rsa2048.pk8.der"),
};

/// Every committed RSA key.
pub const RSA_KEYS: [RsaTestKey; 3] = [RSA_1024_A, RSA_1024_B, RSA_2048];

/// Seed of the synthetic P-256 AA key.
pub const P256_SEED: u64 = 9306;

/// Errors of this module.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum AaKeyError {
    /// The embedded DER does not decode.
    #[error("{file}: not a PKCS #8 RSA key")]
    Decode {
        /// The file.
        file: &'static str,
    },
    /// Key generation failed.
    #[error("RSA-{bits} generation failed")]
    Generate {
        /// Size asked for.
        bits: usize,
    },
    /// Encoding failed.
    #[error("PKCS #8 encoding failed")]
    Encode,
}

impl RsaTestKey {
    /// The committed PKCS #8 DER.
    pub fn der(&self) -> &'static [u8] {
        self.der
    }

    /// The private key.
    pub fn key(&self) -> Result<RsaPrivateKey, AaKeyError> {
        RsaPrivateKey::from_pkcs8_der(self.der).map_err(|_| AaKeyError::Decode { file: self.file })
    }
}

/// Generates an RSA key (e = 65537) from a ChaCha20 RNG seeded with `seed`. Deterministic for
/// a given `rsa` crate version.
pub fn generate_rsa(bits: usize, seed: u64) -> Result<RsaPrivateKey, AaKeyError> {
    RsaPrivateKey::new(&mut ChaCha20Rng::seed_from_u64(seed), bits)
        .map_err(|_| AaKeyError::Generate { bits })
}

/// PKCS #8 DER of `key`.
pub fn to_pkcs8_der(key: &RsaPrivateKey) -> Result<Vec<u8>, AaKeyError> {
    key.to_pkcs8_der()
        .map(|d| d.as_bytes().to_vec())
        .map_err(|_| AaKeyError::Encode)
}

/// Regenerates every committed RSA key as `(file name, DER)`; slow in debug builds.
pub fn regenerate_files() -> Result<Vec<(&'static str, Vec<u8>)>, AaKeyError> {
    RSA_KEYS
        .iter()
        .map(|k| Ok((k.file, to_pkcs8_der(&generate_rsa(k.bits, k.seed)?)?)))
        .collect()
}

/// Unsigned big-endian modulus and exponent of `key` (for `lds_gen::spki_rsa`).
pub fn rsa_public_parts(key: &RsaPrivateKey) -> (Vec<u8>, Vec<u8>) {
    (key.n().to_bytes_be(), key.e().to_bytes_be())
}

/// The synthetic P-256 AA key.
pub fn p256_key() -> p256::ecdsa::SigningKey {
    p256_key_from_seed(P256_SEED)
}

/// A P-256 key from a ChaCha20 RNG seeded with `seed`.
pub fn p256_key_from_seed(seed: u64) -> p256::ecdsa::SigningKey {
    p256::ecdsa::SigningKey::random(&mut ChaCha20Rng::seed_from_u64(seed))
}

/// Uncompressed SEC 1 point of a P-256 key (for `lds_gen::spki_ec_named`).
pub fn p256_point(key: &p256::ecdsa::SigningKey) -> Vec<u8> {
    key.verifying_key()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_keys_decode_with_their_sizes() {
        for k in RSA_KEYS {
            let key = k.key().unwrap();
            assert_eq!(key.n().bits(), k.bits, "{}", k.file);
            key.validate().unwrap();
        }
    }

    #[test]
    fn p256_key_is_deterministic() {
        assert_eq!(p256_point(&p256_key()), p256_point(&p256_key()));
        assert_eq!(p256_point(&p256_key()).len(), 65);
    }
}
