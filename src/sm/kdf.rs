//! Key derivation function (Doc 9303-11 §9.7.1).
//!
//! `K = H(seed ‖ counter)` truncated: SHA-1 for 3DES (16 bytes, DES parity adjusted) and
//! AES-128 (16 bytes); SHA-256 for AES-192 (24 bytes) and AES-256 (32 bytes).

use sha1::{Digest, Sha1};
use sha2::Sha256;

use super::SmCipher;

/// Counter for the encryption key K_enc (Doc 9303-11 §9.7.1).
pub const KDF_ENC: u32 = 1;
/// Counter for the MAC key K_mac.
pub const KDF_MAC: u32 = 2;
/// Counter for the PACE password key K_π.
pub const KDF_PACE: u32 = 3;

/// Derives a key from `seed` and `counter` (Doc 9303-11 §9.7.1.1).
pub fn derive_key(seed: &[u8], counter: u32, cipher: SmCipher) -> Vec<u8> {
    let ctr = counter.to_be_bytes();
    match cipher {
        SmCipher::Tdes | SmCipher::Aes128 => {
            let d = Sha1::new().chain_update(seed).chain_update(ctr).finalize();
            let mut k: Vec<u8> = d.iter().take(16).copied().collect();
            if cipher == SmCipher::Tdes {
                adjust_des_parity(&mut k);
            }
            k
        }
        SmCipher::Aes192 | SmCipher::Aes256 => {
            let d = Sha256::new()
                .chain_update(seed)
                .chain_update(ctr)
                .finalize();
            d.iter().take(cipher.key_len()).copied().collect()
        }
    }
}

/// Sets the least significant bit of each byte so that every byte has odd parity (the DES
/// key convention; DES ignores these bits, but Doc 9303-11 App. D lists adjusted keys).
pub fn adjust_des_parity(key: &mut [u8]) {
    for b in key.iter_mut() {
        let upper = *b & 0xFE;
        *b = upper | u8::from(upper.count_ones() % 2 == 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    // "BAC key derivation + mutual authentication (Doc 9303-11 App. D.2/D.3)"
    #[test]
    fn bac_key_derivation() {
        let seed = h("239AB9CB282DAF66231DC5A4DF6BFBAE");
        assert_eq!(
            derive_key(&seed, KDF_ENC, SmCipher::Tdes),
            h("AB94FDECF2674FDFB9B391F85D7F76F2")
        );
        assert_eq!(
            derive_key(&seed, KDF_MAC, SmCipher::Tdes),
            h("7962D9ECE03D1ACD4C76089DCE131543")
        );
        let session_seed = h("0036D272F5C350ACAC50C3F572D23600");
        assert_eq!(
            derive_key(&session_seed, KDF_ENC, SmCipher::Tdes),
            h("979EC13B1CBFE9DCD01AB0FED307EAE5")
        );
        assert_eq!(
            derive_key(&session_seed, KDF_MAC, SmCipher::Tdes),
            h("F1CB1F1FB5ADF208806B89DC579DC1F8")
        );
    }

    #[test]
    fn aes256_and_192_lengths() {
        assert_eq!(derive_key(b"x", 1, SmCipher::Aes192).len(), 24);
        assert_eq!(derive_key(b"x", 1, SmCipher::Aes256).len(), 32);
        // AES-256 keys are a prefix of SHA-256(seed || counter).
        let full = Sha256::new()
            .chain_update(b"x")
            .chain_update([0, 0, 0, 2])
            .finalize();
        assert_eq!(derive_key(b"x", 2, SmCipher::Aes256), full.to_vec());
        assert_eq!(derive_key(b"x", 2, SmCipher::Aes192), full[..24].to_vec());
    }
}
