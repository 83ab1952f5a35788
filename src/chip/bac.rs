//! Basic Access Control (Doc 9303-11 §4.3, worked example in Appendix D.2/D.3).
//!
//! `Start → ExpectChallenge → ExpectMutualAuth → Done(SecureSession)`:
//! GET CHALLENGE returns RND.IC; EXTERNAL AUTHENTICATE sends
//! `E.IFD = 3DES(K_enc, RND.IFD ‖ RND.IC ‖ K.IFD)` and `M.IFD = MAC(K_mac, E.IFD)`; the chip
//! answers `E.IC ‖ M.IC` over `RND.IC ‖ RND.IFD ‖ K.IC`. Session keys come from
//! `K.IFD ⊕ K.IC`, and SSC = RND.IC[4..8] ‖ RND.IFD[4..8].

use rand_core::CryptoRngCore;
use sha1::{Digest, Sha1};

use super::{ChipError, ChipProtocol, SecureSession, Step};
use crate::apdu::{CommandApdu, ResponseApdu};
use crate::sm::{derive_key, SmCipher, SmKeys, SmSession, KDF_ENC, KDF_MAC};

const STEP_CHALLENGE: &str = "GET CHALLENGE";
const STEP_EXT_AUTH: &str = "EXTERNAL AUTHENTICATE";

/// The BAC document basic access keys K_enc and K_mac (Doc 9303-11 §4.3.2, §9.7.2).
#[derive(Clone, PartialEq, Eq)]
pub struct BacKey {
    k_enc: [u8; 16],
    k_mac: [u8; 16],
}

// Never print key material.
impl std::fmt::Debug for BacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BacKey(..)")
    }
}

impl BacKey {
    /// Keys from MRZ_information (document number ‖ check digit ‖ date of birth ‖ check digit ‖
    /// date of expiry ‖ check digit): K_seed = SHA-1(MRZ_information)[0..16].
    pub fn from_mrz_information(mrz_information: &str) -> Self {
        let digest = Sha1::digest(mrz_information.as_bytes());
        let mut seed = [0u8; 16];
        for (s, d) in seed.iter_mut().zip(digest.iter()) {
            *s = *d;
        }
        Self::from_seed(&seed)
    }

    /// Keys from a 16-byte K_seed.
    pub fn from_seed(k_seed: &[u8; 16]) -> Self {
        BacKey {
            k_enc: to16(&derive_key(k_seed, KDF_ENC, SmCipher::Tdes)),
            k_mac: to16(&derive_key(k_seed, KDF_MAC, SmCipher::Tdes)),
        }
    }

    /// K_enc (parity-adjusted two-key 3DES).
    pub fn k_enc(&self) -> &[u8; 16] {
        &self.k_enc
    }

    /// K_mac (parity-adjusted two-key 3DES).
    pub fn k_mac(&self) -> &[u8; 16] {
        &self.k_mac
    }

    fn sm_keys(&self) -> Result<SmKeys, ChipError> {
        Ok(SmKeys::new(SmCipher::Tdes, &self.k_enc, &self.k_mac)?)
    }
}

fn to16(v: &[u8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (o, b) in out.iter_mut().zip(v) {
        *o = *b;
    }
    out
}

fn to8(v: &[u8]) -> [u8; 8] {
    let mut out = [0u8; 8];
    for (o, b) in out.iter_mut().zip(v) {
        *o = *b;
    }
    out
}

/// Session keys and SSC from K.IFD, K.IC, RND.IC, RND.IFD (Doc 9303-11 §4.3.3.3, §9.8.2).
fn session_keys(
    k_ifd: &[u8; 16],
    k_ic: &[u8],
    rnd_ic: &[u8; 8],
    rnd_ifd: &[u8; 8],
) -> Result<(SmKeys, [u8; 8]), ChipError> {
    let mut seed = [0u8; 16];
    for ((s, a), b) in seed.iter_mut().zip(k_ifd).zip(k_ic) {
        *s = a ^ b;
    }
    let keys = SmKeys::new(
        SmCipher::Tdes,
        &derive_key(&seed, KDF_ENC, SmCipher::Tdes),
        &derive_key(&seed, KDF_MAC, SmCipher::Tdes),
    )?;
    let mut ssc = [0u8; 8];
    for (o, b) in ssc
        .iter_mut()
        .zip(rnd_ic.iter().skip(4).chain(rnd_ifd.iter().skip(4)))
    {
        *o = *b;
    }
    Ok((keys, ssc))
}

/// Splits `cryptogram(32) ‖ MAC(8)` and verifies the MAC.
fn check_and_decrypt(keys: &SmKeys, data: &[u8], step: &'static str) -> Result<Vec<u8>, ChipError> {
    let (e, m) = match (data.get(..32), data.get(32..)) {
        (Some(e), Some(m)) if data.len() == 40 => (e, m),
        _ => {
            return Err(ChipError::Protocol {
                step,
                detail: "authentication data is not 40 bytes",
            })
        }
    };
    let expected = keys.mac(e)?;
    if !crate::sm::ct_eq(&expected, m) {
        return Err(ChipError::AuthenticationMismatch {
            step,
            detail: "MAC over the cryptogram does not verify",
        });
    }
    Ok(keys.decrypt(&[0; 8], e, 0x87)?)
}

fn encrypt_and_mac(keys: &SmKeys, plain: &[u8]) -> Result<Vec<u8>, ChipError> {
    let mut out = keys.encrypt(&[0; 8], plain)?;
    let mac = keys.mac(&out)?;
    out.extend_from_slice(&mac);
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BacState {
    Start,
    ExpectChallenge,
    ExpectMutualAuth { rnd_ic: [u8; 8] },
    Done,
}

/// Basic Access Control, terminal side (Doc 9303-11 §4.3).
pub struct Bac {
    key: BacKey,
    rnd_ifd: [u8; 8],
    k_ifd: [u8; 16],
    state: BacState,
}

impl std::fmt::Debug for Bac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bac")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Bac {
    /// BAC with RND.IFD and K.IFD drawn from `rng`.
    pub fn new(key: &BacKey, rng: &mut dyn CryptoRngCore) -> Self {
        let mut rnd_ifd = [0u8; 8];
        let mut k_ifd = [0u8; 16];
        rng.fill_bytes(&mut rnd_ifd);
        rng.fill_bytes(&mut k_ifd);
        Self::new_with(key, rnd_ifd, k_ifd)
    }

    /// BAC with given RND.IFD and K.IFD (for test vectors).
    pub fn new_with(key: &BacKey, rnd_ifd: [u8; 8], k_ifd: [u8; 16]) -> Self {
        Bac {
            key: key.clone(),
            rnd_ifd,
            k_ifd,
            state: BacState::Start,
        }
    }

    fn on_challenge(&mut self, r: &ResponseApdu) -> Result<Step<SecureSession>, ChipError> {
        if !r.sw.is_success() {
            return Err(ChipError::from_status(STEP_CHALLENGE, r.sw));
        }
        let rnd_ic: [u8; 8] = r
            .data
            .as_slice()
            .try_into()
            .map_err(|_| ChipError::Protocol {
                step: STEP_CHALLENGE,
                detail: "challenge is not 8 bytes",
            })?;
        let mut s = Vec::with_capacity(32);
        s.extend_from_slice(&self.rnd_ifd);
        s.extend_from_slice(&rnd_ic);
        s.extend_from_slice(&self.k_ifd);
        let data = encrypt_and_mac(&self.key.sm_keys()?, &s)?;
        self.state = BacState::ExpectMutualAuth { rnd_ic };
        Ok(Step::Transmit(
            CommandApdu::new(0x00, 0x82, 0x00, 0x00)
                .with_data(data)
                .with_le(40),
        ))
    }

    fn on_mutual_auth(
        &mut self,
        rnd_ic: [u8; 8],
        r: &ResponseApdu,
    ) -> Result<Step<SecureSession>, ChipError> {
        if !r.sw.is_success() {
            return Err(ChipError::AuthenticationFailed {
                step: STEP_EXT_AUTH,
                sw: r.sw,
            });
        }
        let plain = check_and_decrypt(&self.key.sm_keys()?, &r.data, STEP_EXT_AUTH)?;
        // R = RND.IC ‖ RND.IFD ‖ K.IC
        if plain.get(..8) != Some(&rnd_ic[..]) || plain.get(8..16) != Some(&self.rnd_ifd[..]) {
            return Err(ChipError::AuthenticationMismatch {
                step: STEP_EXT_AUTH,
                detail: "RND.IC or RND.IFD not echoed",
            });
        }
        let k_ic = plain.get(16..32).unwrap_or(&[]);
        let (keys, ssc) = session_keys(&self.k_ifd, k_ic, &rnd_ic, &self.rnd_ifd)?;
        Ok(Step::Done(SecureSession::new(SmSession::new(keys, &ssc)?)))
    }
}

impl ChipProtocol for Bac {
    type Output = SecureSession;

    fn resume(&mut self, response: Option<ResponseApdu>) -> Result<Step<SecureSession>, ChipError> {
        let state = std::mem::replace(&mut self.state, BacState::Done);
        match (state, response) {
            (BacState::Start, None) => {
                self.state = BacState::ExpectChallenge;
                Ok(Step::Transmit(
                    CommandApdu::new(0x00, 0x84, 0x00, 0x00).with_le(8),
                ))
            }
            (BacState::ExpectChallenge, Some(r)) => self.on_challenge(&r),
            (BacState::ExpectMutualAuth { rnd_ic }, Some(r)) => self.on_mutual_auth(rnd_ic, &r),
            (BacState::Done, _) => Err(ChipError::Finished),
            _ => Err(ChipError::Protocol {
                step: "BAC",
                detail: "response does not fit the protocol state",
            }),
        }
    }
}

/// Chip side of EXTERNAL AUTHENTICATE (for the virtual chip): verifies `E.IFD ‖ M.IFD`
/// against RND.IC and returns the response data `E.IC ‖ M.IC`, the session keys and the SSC.
pub fn bac_chip_respond(
    key: &BacKey,
    rnd_ic: &[u8; 8],
    k_ic: &[u8; 16],
    ext_auth_data: &[u8],
) -> Result<(Vec<u8>, SmKeys, [u8; 8]), ChipError> {
    let keys = key.sm_keys()?;
    let s = check_and_decrypt(&keys, ext_auth_data, STEP_EXT_AUTH)?;
    // S = RND.IFD ‖ RND.IC ‖ K.IFD
    if s.get(8..16) != Some(&rnd_ic[..]) {
        return Err(ChipError::AuthenticationMismatch {
            step: STEP_EXT_AUTH,
            detail: "RND.IC not echoed",
        });
    }
    let rnd_ifd = to8(s.get(..8).unwrap_or(&[]));
    let k_ifd = to16(s.get(16..32).unwrap_or(&[]));
    let mut r = Vec::with_capacity(32);
    r.extend_from_slice(rnd_ic);
    r.extend_from_slice(&rnd_ifd);
    r.extend_from_slice(k_ic);
    let data = encrypt_and_mac(&keys, &r)?;
    let (session, ssc) = session_keys(&k_ifd, k_ic, rnd_ic, &rnd_ifd)?;
    Ok((data, session, ssc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    // "BAC key derivation + mutual authentication (Doc 9303-11 App. D.2/D.3)"
    #[test]
    fn key_from_mrz_information() {
        let k = BacKey::from_mrz_information("L898902C<369080619406236");
        assert_eq!(k.k_enc().to_vec(), h("AB94FDECF2674FDFB9B391F85D7F76F2"));
        assert_eq!(k.k_mac().to_vec(), h("7962D9ECE03D1ACD4C76089DCE131543"));
        assert_eq!(format!("{k:?}"), "BacKey(..)");
    }

    #[test]
    fn chip_side_matches_vector() {
        let k = BacKey::from_mrz_information("L898902C<369080619406236");
        let ext =
            h("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A7");
        let rnd_ic = to8(&h("4608F91988702212"));
        let k_ic = to16(&h("0B4F80323EB3191CB04970CB4052790B"));
        let (data, _keys, ssc) = bac_chip_respond(&k, &rnd_ic, &k_ic, &ext).unwrap();
        assert_eq!(
            data,
            h("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449")
        );
        assert_eq!(ssc.to_vec(), h("887022120C06C226"));
        // Wrong RND.IC -> refused.
        let other = to8(&h("0000000000000000"));
        assert!(matches!(
            bac_chip_respond(&k, &other, &k_ic, &ext),
            Err(ChipError::AuthenticationMismatch { .. })
        ));
    }

    #[test]
    fn out_of_order_response_is_an_error() {
        let k = BacKey::from_mrz_information("L898902C<369080619406236");
        let mut bac = Bac::new_with(&k, [0; 8], [0; 16]);
        assert!(bac
            .resume(Some(ResponseApdu::status(crate::apdu::StatusWord::OK)))
            .is_err());
    }
}
