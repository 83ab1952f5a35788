//! The chip half of PACE (Doc 9303-11 §4.4), for the virtual chip: MSE:Set AT and the four
//! GENERAL AUTHENTICATE steps, with fault switches for the negative tests of BSI TR-03105
//! Part 5.1 unit ISO7816_G (wrong tags, invalid or identical keys, wrong tokens, CAM errors).

use num_bigint::BigUint;
use rand_core::CryptoRngCore;

use super::{
    auth_token, cam_encrypt, encrypt_nonce, im_prf, session_keys, Element, PaceGroup, PaceParams,
    PacePassword, PasswordKind,
};
use crate::apdu::{CommandApdu, ResponseApdu, StatusWord};
use crate::lds::oid::Mapping;
use crate::sm::SmKeys;
use crate::tlv;

/// Fault switches of the chip side (each reproduces a misbehaving or hostile chip).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaceFault {
    /// The nonce, mapping or key-agreement answer uses tag + 1 instead of 80/82/84.
    WrongTag,
    /// The mapping public key is not on the curve / not in the subgroup.
    InvalidMappingKey,
    /// The ephemeral public key is not on the curve / not in the subgroup.
    InvalidEphemeralKey,
    /// The chip sends the terminal's own mapping public key back (GM/CAM).
    IdenticalMappingKey,
    /// The chip sends the terminal's own ephemeral public key back.
    IdenticalEphemeralKey,
    /// T_IC is corrupted.
    WrongToken,
    /// CAM: A_IC is left out.
    CamMissing,
    /// CAM: CA_IC is computed for another static key (a clone without the private key).
    CamWrongData,
    /// The 7C response carries trailing garbage inside the object.
    MalformedTlv,
}

/// What the chip holds for PACE.
#[derive(Clone)]
pub struct PaceChipConfig {
    /// The protocols the chip offers (as in EF.CardAccess).
    pub protocols: Vec<PaceParams>,
    /// The passwords it accepts.
    pub passwords: Vec<PacePassword>,
    /// CAM: the static private key SK_IC on the PACE curve (its public key is in
    /// EF.CardSecurity).
    pub cam_secret: Option<BigUint>,
}

impl std::fmt::Debug for PaceChipConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaceChipConfig")
            .field("protocols", &self.protocols.len())
            .finish_non_exhaustive()
    }
}

/// An answer of the chip side: a response, and the SM keys once PACE is established.
#[derive(Debug)]
pub struct ChipAnswer {
    /// The response APDU.
    pub response: ResponseApdu,
    /// KS_enc/KS_mac, when this answer completes PACE.
    pub established: Option<SmKeys>,
    /// The chip's ephemeral public key and whether the group is an elliptic curve, when this
    /// answer completes PACE (its compressed form is ID_PICC for Terminal Authentication,
    /// TR-03110-3 §B.11.5).
    pub chip_ephemeral: Option<(Vec<u8>, bool)>,
}

fn sw(code: u16) -> ChipAnswer {
    ChipAnswer {
        response: ResponseApdu::new(Vec::new(), StatusWord(code)),
        established: None,
        chip_ephemeral: None,
    }
}

fn ok(data: Vec<u8>) -> ChipAnswer {
    ChipAnswer {
        response: ResponseApdu::new(tlv::encode(0x7C, &data), StatusWord(0x9000)),
        established: None,
        chip_ephemeral: None,
    }
}

#[derive(Default)]
enum ChipState {
    #[default]
    Idle,
    Selected {
        params: PaceParams,
        password: PacePassword,
    },
    NonceSent {
        params: PaceParams,
        s: Vec<u8>,
    },
    Mapped {
        params: PaceParams,
        g_hat: Element,
        sk_map: Option<BigUint>,
    },
    Agreed {
        params: PaceParams,
        keys: SmKeys,
        pk_eph_ifd: Vec<u8>,
        pk_eph_ic: Vec<u8>,
        sk_map: Option<BigUint>,
    },
}

/// Fixed chip secrets (to reproduce a worked example's chip answers).
#[derive(Clone)]
pub struct ChipSecrets {
    /// The nonce s.
    pub s: Vec<u8>,
    /// SK_map,IC (GM, CAM).
    pub sk_map: BigUint,
    /// SK_eph,IC.
    pub sk_eph: BigUint,
}

/// The chip's PACE state (one per card session).
#[derive(Default)]
pub struct PaceChip {
    state: ChipState,
    fixed: Option<ChipSecrets>,
}

impl std::fmt::Debug for PaceChip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PaceChip(..)")
    }
}

/// A corrupted copy of `pk` that fails validation (last byte flipped: off the curve for
/// points, out of the subgroup for DH values with overwhelming probability).
fn corrupt(mut pk: Vec<u8>) -> Vec<u8> {
    if let Some(b) = pk.last_mut() {
        *b ^= 0x01;
    }
    pk
}

impl PaceChip {
    /// A chip with no PACE in progress.
    pub fn new() -> Self {
        Self::default()
    }

    /// A chip that uses `secrets` instead of drawing them (worked examples).
    pub fn with_secrets(secrets: ChipSecrets) -> Self {
        PaceChip {
            state: ChipState::Idle,
            fixed: Some(secrets),
        }
    }

    /// Whether a PACE run is in progress (MSE:Set AT done, not yet finished).
    pub fn in_progress(&self) -> bool {
        !matches!(self.state, ChipState::Idle)
    }

    /// Forgets any run in progress.
    pub fn reset(&mut self) {
        self.state = ChipState::Idle;
    }

    /// MSE:Set AT (`00 22 C1 A4`): DO'80' protocol, DO'83' password reference, DO'84'
    /// parameterId (optional).
    pub fn mse_set_at(&mut self, cfg: &PaceChipConfig, data: &[u8]) -> ChipAnswer {
        self.state = ChipState::Idle;
        let mut r = tlv::Reader::new(data);
        let (mut proto, mut pw, mut pid) = (None, None, None);
        loop {
            match r.next() {
                Ok(Some(t)) => match t.tag.0 {
                    0x80 => proto = Some(t.value),
                    0x83 => pw = Some(t.value),
                    0x84 => pid = Some(t.value),
                    _ => return sw(0x6A80),
                },
                Ok(None) => break,
                Err(_) => return sw(0x6A80),
            }
        }
        let (Some(proto), Some(&[pw])) = (proto, pw) else {
            return sw(0x6A80);
        };
        let pid = pid.map(|v| v.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b)));
        let Some(params) = cfg
            .protocols
            .iter()
            .find(|p| p.protocol_oid == proto && pid.is_none_or(|id| p.parameter_id == Some(id)))
        else {
            return sw(0x6A80);
        };
        let Some(kind) = PasswordKind::from_reference(pw) else {
            return sw(0x6A80);
        };
        let Some(password) = cfg.passwords.iter().find(|p| p.kind() == kind) else {
            return sw(0x6A88);
        };
        self.state = ChipState::Selected {
            params: params.clone(),
            password: password.clone(),
        };
        sw(0x9000)
    }

    /// One GENERAL AUTHENTICATE command.
    pub fn general_authenticate(
        &mut self,
        cfg: &PaceChipConfig,
        cmd: &CommandApdu,
        rng: &mut dyn CryptoRngCore,
        faults: &[PaceFault],
    ) -> ChipAnswer {
        let state = std::mem::take(&mut self.state);
        let inner = match tlv::Reader::new(&cmd.data).expect(0x7C) {
            Ok(t) => t.value,
            Err(_) => return sw(0x6A80),
        };
        let first_do = tlv::Reader::new(inner).next().ok().flatten();
        let last = cmd.cla & 0x10 == 0;
        let wrong_tag = faults.contains(&PaceFault::WrongTag);
        let tag = |t: u32| if wrong_tag { t + 1 } else { t };
        match state {
            ChipState::Selected { params, password } if !last && inner.is_empty() => {
                let cipher = params.cipher();
                // 16 bytes, 32 for AES-192/256: R(s,t) uses E(t, s) as the next key, so s
                // is as long as the Integrated Mapping constants (no vector fixes this).
                let mut s = vec![0u8; if cipher.key_len() > 16 { 32 } else { 16 }];
                rng.fill_bytes(&mut s);
                if let Some(f) = &self.fixed {
                    s.clone_from(&f.s);
                }
                let Ok(z) = encrypt_nonce(&password.k_pi(cipher), cipher, &s) else {
                    return sw(0x6985);
                };
                self.state = ChipState::NonceSent { params, s };
                let mut body = tlv::encode(tag(0x80), &z);
                if faults.contains(&PaceFault::MalformedTlv) {
                    body.push(0x81);
                }
                ok(body)
            }
            ChipState::NonceSent { params, s } if !last => {
                let Some(d) = first_do.filter(|d| d.tag.0 == 0x81) else {
                    return sw(0x6A80);
                };
                let group = params.group;
                match params.protocol.mapping {
                    Mapping::Integrated => {
                        let Ok(raw) = im_prf(params.cipher(), &s, d.value, group.prime()) else {
                            return sw(0x6A80);
                        };
                        let r = BigUint::from_bytes_be(&raw) % group.prime();
                        let Some(g_hat) = group.integrated_map(&r) else {
                            return sw(0x6985);
                        };
                        self.state = ChipState::Mapped {
                            params,
                            g_hat,
                            sk_map: None,
                        };
                        ok(Vec::new())
                    }
                    Mapping::Generic | Mapping::ChipAuthentication => {
                        let Ok(pk_ifd) = group.decode(d.value) else {
                            return sw(0x6A80);
                        };
                        let sk = match &self.fixed {
                            Some(f) => f.sk_map.clone(),
                            None => group.random_scalar(rng),
                        };
                        let (Some(pk), Some(h)) =
                            (group.exp(&group.generator(), &sk), group.exp(&pk_ifd, &sk))
                        else {
                            return sw(0x6985);
                        };
                        let Some(g_hat) = group.generic_map(&BigUint::from_bytes_be(&s), &h) else {
                            return sw(0x6985);
                        };
                        let mut enc = group.encode(&pk);
                        if faults.contains(&PaceFault::InvalidMappingKey) {
                            enc = corrupt(enc);
                        }
                        if faults.contains(&PaceFault::IdenticalMappingKey) {
                            enc = d.value.to_vec();
                        }
                        self.state = ChipState::Mapped {
                            params,
                            g_hat,
                            sk_map: Some(sk),
                        };
                        ok(tlv::encode(tag(0x82), &enc))
                    }
                }
            }
            ChipState::Mapped {
                params,
                g_hat,
                sk_map,
            } if !last => {
                let Some(d) = first_do.filter(|d| d.tag.0 == 0x83) else {
                    return sw(0x6A80);
                };
                let group = params.group;
                let Ok(pk_ifd) = group.decode(d.value) else {
                    return sw(0x6A80);
                };
                let sk = match &self.fixed {
                    Some(f) => f.sk_eph.clone(),
                    None => group.random_scalar(rng),
                };
                let (Some(pk), Some(k)) = (group.exp(&g_hat, &sk), group.exp(&pk_ifd, &sk)) else {
                    return sw(0x6985);
                };
                let Ok(keys) = session_keys(&group.shared_bytes(&k), params.cipher()) else {
                    return sw(0x6985);
                };
                let mut enc = group.encode(&pk);
                if enc == d.value {
                    // Doc 9303-11 §4.4.3.3.2: the chip refuses an identical key too.
                    return sw(0x6A80);
                }
                if faults.contains(&PaceFault::InvalidEphemeralKey) {
                    enc = corrupt(enc);
                }
                if faults.contains(&PaceFault::IdenticalEphemeralKey) {
                    enc = d.value.to_vec();
                }
                self.state = ChipState::Agreed {
                    params,
                    keys,
                    pk_eph_ifd: d.value.to_vec(),
                    pk_eph_ic: enc.clone(),
                    sk_map,
                };
                ok(tlv::encode(tag(0x84), &enc))
            }
            ChipState::Agreed {
                params,
                keys,
                pk_eph_ifd,
                pk_eph_ic,
                sk_map,
            } if last => {
                let Some(d) = first_do.filter(|d| d.tag.0 == 0x85) else {
                    return sw(0x6A80);
                };
                let Ok(expected) = auth_token(&keys, &params, &pk_eph_ic) else {
                    return sw(0x6985);
                };
                if !crate::sm::ct_eq(&expected, d.value) {
                    // Wrong password (or a tampered exchange).
                    return sw(0x6300);
                }
                let Ok(mut t_ic) = auth_token(&keys, &params, &pk_eph_ifd) else {
                    return sw(0x6985);
                };
                if let (true, Some(b)) = (faults.contains(&PaceFault::WrongToken), t_ic.first_mut())
                {
                    *b ^= 0x01;
                }
                let mut body = tlv::encode(0x86, &t_ic);
                if params.protocol.mapping == Mapping::ChipAuthentication
                    && !faults.contains(&PaceFault::CamMissing)
                {
                    let Some(ca) = cam_data(cfg, &params, sk_map.as_ref(), faults, rng) else {
                        return sw(0x6985);
                    };
                    let Ok(a_ic) = cam_encrypt(&keys, &ca) else {
                        return sw(0x6985);
                    };
                    body.extend(tlv::encode(0x8A, &a_ic));
                }
                ChipAnswer {
                    response: ResponseApdu::new(tlv::encode(0x7C, &body), StatusWord(0x9000)),
                    established: Some(keys),
                    chip_ephemeral: Some((pk_eph_ic, matches!(params.group, PaceGroup::Ec(_)))),
                }
            }
            _ => sw(0x6985),
        }
    }
}

/// CA_IC = SK_map,IC · SK_IC⁻¹ mod n (Doc 9303-11 §4.4.3.5.1), at the field length.
fn cam_data(
    cfg: &PaceChipConfig,
    params: &PaceParams,
    sk_map: Option<&BigUint>,
    faults: &[PaceFault],
    rng: &mut dyn CryptoRngCore,
) -> Option<Vec<u8>> {
    let PaceGroup::Ec(curve) = params.group else {
        return None;
    };
    let sk_ic = if faults.contains(&PaceFault::CamWrongData) {
        params.group.random_scalar(rng)
    } else {
        cfg.cam_secret.clone()?
    };
    let n = &curve.n;
    let inv = sk_ic.modpow(&(n - 2u8), n);
    let ca = (sk_map? * inv) % n;
    Some(params.group.scalar_bytes(&ca))
}
