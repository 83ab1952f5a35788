//! Block-cipher primitives for secure messaging (Doc 9303-11 §9.8.6).

use aes::{Aes128, Aes192, Aes256};
use cipher::block_padding::NoPadding;
use cipher::generic_array::GenericArray;
use cipher::{BlockDecryptMut, BlockEncrypt, BlockEncryptMut, KeyInit, KeyIvInit};
use cmac::{Cmac, Mac};
use des::{Des, TdesEde2};

use super::SmError;

/// The secure-messaging cipher suite (Doc 9303-11 §9.8.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SmCipher {
    /// Two-key 3DES-CBC (IV 0) + retail MAC (ISO/IEC 9797-1 MAC algorithm 3).
    Tdes,
    /// AES-128-CBC + CMAC.
    Aes128,
    /// AES-192-CBC + CMAC.
    Aes192,
    /// AES-256-CBC + CMAC.
    Aes256,
}

impl SmCipher {
    /// Block size in bytes: 8 for 3DES, 16 for AES. Also the SSC length.
    pub fn block_len(self) -> usize {
        match self {
            SmCipher::Tdes => 8,
            _ => 16,
        }
    }

    /// Key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            SmCipher::Tdes | SmCipher::Aes128 => 16,
            SmCipher::Aes192 => 24,
            SmCipher::Aes256 => 32,
        }
    }
}

/// Session keys K_enc and K_mac with their cipher.
#[derive(Clone)]
pub struct SmKeys {
    cipher: SmCipher,
    k_enc: Vec<u8>,
    k_mac: Vec<u8>,
}

// Never print key material.
impl std::fmt::Debug for SmKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmKeys")
            .field("cipher", &self.cipher)
            .finish_non_exhaustive()
    }
}

impl SmKeys {
    /// Keys for `cipher`; errors when a key has the wrong length (3DES: 16 bytes, K1 ‖ K2).
    pub fn new(cipher: SmCipher, k_enc: &[u8], k_mac: &[u8]) -> Result<Self, SmError> {
        for (what, k) in [("K_enc", k_enc), ("K_mac", k_mac)] {
            if k.len() != cipher.key_len() {
                return Err(SmError::BadKeyLength {
                    what,
                    len: k.len(),
                    cipher,
                });
            }
        }
        Ok(SmKeys {
            cipher,
            k_enc: k_enc.to_vec(),
            k_mac: k_mac.to_vec(),
        })
    }

    /// The cipher suite.
    pub fn cipher(&self) -> SmCipher {
        self.cipher
    }

    /// CBC encryption with K_enc of block-aligned `data` (no padding added).
    pub fn encrypt(&self, iv: &[u8], data: &[u8]) -> Result<Vec<u8>, SmError> {
        let mut buf = data.to_vec();
        let len = buf.len();
        let bad = SmError::BadCryptogram { tag: 0x87 };
        if len % self.cipher.block_len() != 0 {
            return Err(bad);
        }
        let out = match self.cipher {
            SmCipher::Tdes => cbc::Encryptor::<TdesEde2>::new_from_slices(&self.k_enc, iv)
                .map_err(|_| bad.clone())?
                .encrypt_padded_mut::<NoPadding>(&mut buf, len)
                .map(<[u8]>::len),
            SmCipher::Aes128 => cbc::Encryptor::<Aes128>::new_from_slices(&self.k_enc, iv)
                .map_err(|_| bad.clone())?
                .encrypt_padded_mut::<NoPadding>(&mut buf, len)
                .map(<[u8]>::len),
            SmCipher::Aes192 => cbc::Encryptor::<Aes192>::new_from_slices(&self.k_enc, iv)
                .map_err(|_| bad.clone())?
                .encrypt_padded_mut::<NoPadding>(&mut buf, len)
                .map(<[u8]>::len),
            SmCipher::Aes256 => cbc::Encryptor::<Aes256>::new_from_slices(&self.k_enc, iv)
                .map_err(|_| bad.clone())?
                .encrypt_padded_mut::<NoPadding>(&mut buf, len)
                .map(<[u8]>::len),
        };
        out.map_err(|_| bad)?;
        Ok(buf)
    }

    /// CBC decryption with K_enc of block-aligned `data` (padding left in place).
    pub fn decrypt(&self, iv: &[u8], data: &[u8], tag: u8) -> Result<Vec<u8>, SmError> {
        let mut buf = data.to_vec();
        let bad = SmError::BadCryptogram { tag };
        if buf.is_empty() || buf.len() % self.cipher.block_len() != 0 {
            return Err(bad);
        }
        let out = match self.cipher {
            SmCipher::Tdes => cbc::Decryptor::<TdesEde2>::new_from_slices(&self.k_enc, iv)
                .map_err(|_| bad.clone())?
                .decrypt_padded_mut::<NoPadding>(&mut buf)
                .map(<[u8]>::len),
            SmCipher::Aes128 => cbc::Decryptor::<Aes128>::new_from_slices(&self.k_enc, iv)
                .map_err(|_| bad.clone())?
                .decrypt_padded_mut::<NoPadding>(&mut buf)
                .map(<[u8]>::len),
            SmCipher::Aes192 => cbc::Decryptor::<Aes192>::new_from_slices(&self.k_enc, iv)
                .map_err(|_| bad.clone())?
                .decrypt_padded_mut::<NoPadding>(&mut buf)
                .map(<[u8]>::len),
            SmCipher::Aes256 => cbc::Decryptor::<Aes256>::new_from_slices(&self.k_enc, iv)
                .map_err(|_| bad.clone())?
                .decrypt_padded_mut::<NoPadding>(&mut buf)
                .map(<[u8]>::len),
        };
        out.map_err(|_| bad)?;
        Ok(buf)
    }

    /// The CBC IV for an APDU: zero for 3DES, `E(K_enc, SSC)` for AES (Doc 9303-11 §9.8.6.2).
    pub fn iv_for(&self, ssc: &[u8]) -> Result<Vec<u8>, SmError> {
        let bad = SmError::BadSscLength {
            len: ssc.len(),
            expected: self.cipher.block_len(),
        };
        if ssc.len() != self.cipher.block_len() {
            return Err(bad);
        }
        if self.cipher == SmCipher::Tdes {
            return Ok(vec![0; 8]);
        }
        // Length checked above: 16 bytes for AES.
        let mut block = GenericArray::from([0u8; 16]);
        block.copy_from_slice(ssc);
        match self.cipher {
            SmCipher::Tdes => {}
            SmCipher::Aes128 => Aes128::new_from_slice(&self.k_enc)
                .map_err(|_| bad)?
                .encrypt_block(&mut block),
            SmCipher::Aes192 => Aes192::new_from_slice(&self.k_enc)
                .map_err(|_| bad)?
                .encrypt_block(&mut block),
            SmCipher::Aes256 => Aes256::new_from_slice(&self.k_enc)
                .map_err(|_| bad)?
                .encrypt_block(&mut block),
        }
        Ok(block.to_vec())
    }

    /// The SM checksum over `data` as Doc 9303-11 §9.8 uses it: padding method 2 is applied
    /// once, then retail MAC (3DES) or CMAC truncated to 8 bytes (AES).
    pub fn mac(&self, data: &[u8]) -> Result<[u8; 8], SmError> {
        let padded = pad(data, self.cipher.block_len());
        self.mac_block_aligned(&padded)
    }

    /// The MAC without the SM padding step: CMAC(data) truncated to 8 bytes for AES (as PACE
    /// authentication tokens use it), retail MAC over pad(data) for 3DES.
    pub fn mac_unpadded(&self, data: &[u8]) -> Result<[u8; 8], SmError> {
        match self.cipher {
            SmCipher::Tdes => self.mac(data),
            _ => self.mac_block_aligned(data),
        }
    }

    fn mac_block_aligned(&self, data: &[u8]) -> Result<[u8; 8], SmError> {
        let bad = SmError::BadKeyLength {
            what: "K_mac",
            len: self.k_mac.len(),
            cipher: self.cipher,
        };
        let full = match self.cipher {
            SmCipher::Tdes => return retail_mac(&self.k_mac, data).ok_or(bad),
            SmCipher::Aes128 => {
                let mut m =
                    <Cmac<Aes128> as KeyInit>::new_from_slice(&self.k_mac).map_err(|_| bad)?;
                m.update(data);
                m.finalize().into_bytes().to_vec()
            }
            SmCipher::Aes192 => {
                let mut m =
                    <Cmac<Aes192> as KeyInit>::new_from_slice(&self.k_mac).map_err(|_| bad)?;
                m.update(data);
                m.finalize().into_bytes().to_vec()
            }
            SmCipher::Aes256 => {
                let mut m =
                    <Cmac<Aes256> as KeyInit>::new_from_slice(&self.k_mac).map_err(|_| bad)?;
                m.update(data);
                m.finalize().into_bytes().to_vec()
            }
        };
        let mut out = [0u8; 8];
        for (o, b) in out.iter_mut().zip(full.iter()) {
            *o = *b;
        }
        Ok(out)
    }
}

/// ISO/IEC 9797-1 MAC algorithm 3 over block-aligned data: single-DES CBC-MAC with K1, then
/// the last block through 3DES (E_K1 ∘ D_K2 ∘ E_K1). `None` for a bad key or unaligned data.
fn retail_mac(key: &[u8], data: &[u8]) -> Option<[u8; 8]> {
    if data.is_empty() || data.len() % 8 != 0 {
        return None;
    }
    let des = Des::new_from_slice(key.get(..8)?).ok()?;
    let tdes = TdesEde2::new_from_slice(key).ok()?;
    let mut state = GenericArray::from([0u8; 8]);
    let blocks = data.len() / 8;
    for (i, chunk) in data.chunks_exact(8).enumerate() {
        for (s, b) in state.iter_mut().zip(chunk) {
            *s ^= *b;
        }
        if i.saturating_add(1) == blocks {
            tdes.encrypt_block(&mut state);
        } else {
            des.encrypt_block(&mut state);
        }
    }
    Some(state.into())
}

/// ISO/IEC 9797-1 padding method 2: `80` then zeros up to a multiple of `block` (always adds
/// at least one byte).
pub fn pad(data: &[u8], block: usize) -> Vec<u8> {
    let block = block.max(1);
    let padded_len = (data.len() / block).saturating_add(1).saturating_mul(block);
    let mut out = Vec::with_capacity(padded_len);
    out.extend_from_slice(data);
    out.push(0x80);
    out.resize(padded_len, 0);
    out
}

/// Removes padding method 2: trailing zeros (fewer than one block) preceded by `80`.
pub fn unpad(data: &[u8], block: usize) -> Result<&[u8], SmError> {
    let zeros = data.iter().rev().take_while(|b| **b == 0).count();
    if zeros >= block {
        return Err(SmError::BadPadding);
    }
    let end = data.len().saturating_sub(zeros);
    match end
        .checked_sub(1)
        .and_then(|i| data.get(i).map(|b| (i, *b)))
    {
        Some((i, 0x80)) => data.get(..i).ok_or(SmError::BadPadding),
        _ => Err(SmError::BadPadding),
    }
}

/// Constant-time equality for MAC comparison.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    // "BAC key derivation + mutual authentication (Doc 9303-11 App. D.2/D.3)": E.IFD and M.IFD.
    #[test]
    fn bac_cryptogram_and_retail_mac() {
        let k = SmKeys::new(
            SmCipher::Tdes,
            &h("AB94FDECF2674FDFB9B391F85D7F76F2"),
            &h("7962D9ECE03D1ACD4C76089DCE131543"),
        )
        .unwrap();
        let s = h("781723860C06C2264608F919887022120B795240CB7049B01C19B33E32804F0B");
        let e = k.encrypt(&[0; 8], &s).unwrap();
        assert_eq!(
            e,
            h("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2")
        );
        assert_eq!(k.mac(&e).unwrap().to_vec(), h("5F1448EEA8AD90A7"));
        assert_eq!(k.decrypt(&[0; 8], &e, 0x87).unwrap(), s);
    }

    // "BSI TR-03110 'Worked Example for EAC v1.01' - ECDH ...": AES_SM_examples.
    #[test]
    fn aes_iv_encrypt_and_mac() {
        let k = SmKeys::new(
            SmCipher::Aes128,
            &h("68406B4162100563D9C901A6154D2901"),
            &h("73FF268784F72AF833FDC9464049AFC9"),
        )
        .unwrap();
        let mut ssc = [0u8; 16];
        ssc[15] = 1;
        let iv = k.iv_for(&ssc).unwrap();
        assert_eq!(iv, h("7E2796A6F180223866E9DDB94F3E69A4"));
        let c = k
            .encrypt(&iv, &pad(&h("830D44454356434141543030303031"), 16))
            .unwrap();
        assert_eq!(c, h("BE90237EEB4BA0FF253EA246AE31C8B8"));
        ssc[15] = 2;
        let mut input = ssc.to_vec();
        input.extend_from_slice(&h("99029000"));
        assert_eq!(k.mac(&input).unwrap().to_vec(), h("A89570A68664A7D6"));
    }

    #[test]
    fn padding() {
        assert_eq!(pad(&[1, 2], 8), h("0102800000000000"));
        assert_eq!(pad(&[], 8), h("8000000000000000"));
        assert_eq!(pad(&[0; 8], 8).len(), 16);
        assert_eq!(unpad(&h("0102800000000000"), 8).unwrap(), &[1, 2]);
        assert_eq!(unpad(&h("0102000000000000"), 8), Err(SmError::BadPadding));
        assert_eq!(unpad(&h("8000000000000000"), 8).unwrap(), &[] as &[u8]);
        assert_eq!(
            unpad(&h("80000000000000000000"), 8),
            Err(SmError::BadPadding)
        );
        assert_eq!(unpad(&[], 8), Err(SmError::BadPadding));
        assert!(ct_eq(&[1, 2], &[1, 2]));
        assert!(!ct_eq(&[1, 2], &[1, 3]));
        assert!(!ct_eq(&[1, 2], &[1]));
    }
}
