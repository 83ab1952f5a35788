//! An in-process ICAO eMRTD chip: implements the chip side of selection, BAC, secure messaging,
//! READ BINARY, Active Authentication and Chip Authentication over ECDH and DH, 3DES and AES
//! (v1; v2's nonce and token with [`CaChipKey::with_version_2`]) (Doc 9303-11 §4.3, §9.8, §6.1,
//! §6.2; TR-03110-3 §B.3; ISO/IEC 7816-4), personalised from a data set,
//! with fault switches that reproduce what real chips and readers do.
//!
//! It implements [`CardTransport`], so every protocol of the terminal side runs end to end
//! against it without hardware; `inspectd sim` serves it to a real pcscd.

use std::collections::BTreeMap;
use std::time::Duration;

use rand_core::{CryptoRngCore, SeedableRng};

use crate::apdu::{CommandApdu, ResponseApdu, StatusWord};
use crate::chip::aa::{encode_message_representative, m1_len, AaHash, Trailer};
use crate::chip::ca::{CaCurve, CaGroup};
use crate::chip::pace::chip_side::{PaceChip, PaceChipConfig, PaceFault};
use crate::chip::ta::{compress_public_key, id_picc_from_mrz_information};
use crate::chip::{bac_chip_respond, BacKey, CardTransport, TransportError};
use crate::lds::cvc::{
    verify_ta_signature, CvCertificate, CvDate, CvRole, TaAlgorithm, TaPublicKey, RIGHT_READ_DG3,
    RIGHT_READ_DG4,
};
use crate::lds::FileId;
use crate::sm::{derive_key, ChipSmSession, SmCipher, SmKeys, KDF_ENC, KDF_MAC};

/// The eMRTD application identifier (Doc 9303-10 §3.1).
const EMRTD_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];

/// Status words the chip answers with (ISO/IEC 7816-4 §5.6).
mod sw {
    pub(super) const OK: u16 = 0x9000;
    pub(super) const EOF_BEFORE_LE: u16 = 0x6282;
    pub(super) const AUTH_FAILED: u16 = 0x6300;
    pub(super) const WRONG_LENGTH: u16 = 0x6700;
    pub(super) const WRONG_DATA: u16 = 0x6A80;
    pub(super) const REF_DATA_NOT_FOUND: u16 = 0x6A88;
    pub(super) const SECURITY_NOT_SATISFIED: u16 = 0x6982;
    pub(super) const CONDITIONS_NOT_SATISFIED: u16 = 0x6985;
    pub(super) const SM_DATA_OBJECTS_INCORRECT: u16 = 0x6988;
    pub(super) const FILE_NOT_FOUND: u16 = 0x6A82;
    pub(super) const WRONG_P1P2: u16 = 0x6A86;
    pub(super) const OFFSET_OUTSIDE_EF: u16 = 0x6B00;
    pub(super) const INS_NOT_SUPPORTED: u16 = 0x6D00;
    pub(super) const CLA_NOT_SUPPORTED: u16 = 0x6E00;
    pub(super) const LAST_COMMAND_OF_CHAIN_EXPECTED: u16 = 0x6883;
}

/// How the chip protects its data groups.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// No access control: plain reads (very early passports; e.g. some 2006 issues).
    Plain,
    /// Basic Access Control with the MRZ information (Doc 9303-11 §4.3).
    Bac {
        /// Document number ‖ check digit ‖ date of birth ‖ check digit ‖ expiry ‖ check digit.
        mrz_information: String,
    },
}

/// A fault to inject. APDU numbers are 1-based and count every APDU the chip receives.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The card leaves the field when APDU `n` arrives (the reader reports removal).
    CardRemovedAt(usize),
    /// The response to APDU `n` carries a corrupted MAC.
    WrongMacAt(usize),
    /// The response to APDU `n` is cut to its first byte.
    TruncatedResponseAt(usize),
    /// APDU `n` is answered with this plain status word (under SM: unprotected).
    WrongSwAt(usize, u16),
    /// The chip takes at most this Le in READ BINARY and answers 6700 above it (older chips
    /// take no more than 160 bytes; NFCPassportReader issue 24).
    MaxLe(usize),
    /// Every response is delayed by this long.
    Slow(Duration),
    /// The file with this FID declares a length of about 16 MB in its first TLV header.
    HugeDeclaredLength(u16),
    /// INTERNAL AUTHENTICATE answers a signature with one bit flipped.
    AaWrongSignature,
    /// INTERNAL AUTHENTICATE signs with this key instead of the one matching EF.DG15 (a clone
    /// that copied the data groups but not the chip's private key).
    AaSignWith(Box<AaChipKey>),
    /// RSA Active Authentication: the last byte of the message representative is replaced by
    /// this byte before signing (BSI TR-03105 Part 5.1 ISO7816_F_08, wrong trailer).
    AaTrailerByte(u8),
    /// Chip Authentication: the chip computes the shared secret with another private key than
    /// the one EF.DG14 announces (a clone); its answers under the new keys fail the MAC.
    CaKeyMismatch,
    /// Chip Authentication: EF.DG14 carries an invalid public key for the chip's CA key (an EC
    /// point off the curve, or the DH value 1), as a broken or forged chip would (BSI TR-03105
    /// Part 5.1 ISO7816_D, corrupted public key).
    CaInvalidPublicKey,
    /// Chip Authentication: the chip holds its key under another key reference than EF.DG14
    /// announces, and refuses MSE:Set with the announced one (or with none) with 6A88.
    CaKeyReferenceMismatch,
    /// A PACE misbehaviour of the chip side (BSI TR-03105 Part 5.1 ISO7816_G negatives).
    Pace(PaceFault),
    /// Terminal Authentication: the EXTERNAL AUTHENTICATE signature arrives with one bit
    /// flipped (a terminal without the IS key); the chip refuses it with 6300.
    TaWrongSignature,
    /// Terminal Authentication: the chip's trust point is another CVCA than the terminal's, so
    /// MSE:Set DST names an unknown CAR (6A88).
    TaUnknownCar,
    /// Terminal Authentication: the chip's current date is this one (e.g. after the IS
    /// certificate expired: PSO:Verify Certificate answers 6300).
    TaChipDate(CvDate),
}

/// Extended Access Control on the chip (BSI TR-03110-1 §3.5, TR-03110-3 §2.5): the trust
/// point (a CVCA certificate) and the chip's current date, which the effective dates of
/// verified CVCA and domestic DV certificates move forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EacChipConfig {
    /// The CVCA certificate the chip trusts.
    pub trust_point: Vec<u8>,
    /// The chip's current date.
    pub current_date: CvDate,
}

/// A key the chip knows for certificate verification (trust point or imported temporarily).
#[derive(Debug, Clone)]
struct TaKey {
    chr: Vec<u8>,
    key: TaPublicKey,
    role: CvRole,
    rights: u8,
    algorithm: TaAlgorithm,
}

/// Terminal Authentication state of the chip.
#[derive(Debug, Clone, Default)]
struct TaChip {
    /// Keys verified in this session (the trust point is added on first use).
    keys: Vec<TaKey>,
    /// The key MSE:Set DST selected.
    selected: Option<TaKey>,
    /// The verified terminal certificate's key.
    terminal: Option<TaKey>,
    /// MSE:Set AT named the terminal.
    at_set: bool,
    challenge: Option<[u8; 8]>,
    /// Comp(ephemeral key) of the Chip Authentication that ran in this session.
    ca_comp: Option<Vec<u8>>,
    /// TA v2: Comp(ephemeral key) from MSE:Set AT (DO'91'), for the CA v2 that follows.
    v2_comp: Option<Vec<u8>>,
    /// Rights granted by a successful EXTERNAL AUTHENTICATE.
    granted: u8,
    /// The current date, once moved by a certificate.
    date: Option<CvDate>,
}

/// The chip's Chip Authentication private key (Doc 9303-11 §6.2). Synthetic test keys only.
#[derive(Clone)]
pub struct CaChipKey {
    group: CaGroup,
    secret: Vec<u8>,
    key_id: Option<u64>,
    version: u64,
}

impl CaChipKey {
    /// An ECDH key from its private scalar (big-endian, field length); `None` if out of range.
    pub fn new(curve: CaCurve, secret: &[u8], key_id: Option<u64>) -> Option<Self> {
        Self::in_group(CaGroup::Ec(curve), secret, key_id)
    }

    /// A key of any group (a DH key: its private exponent); `None` if out of range.
    pub fn in_group(group: CaGroup, secret: &[u8], key_id: Option<u64>) -> Option<Self> {
        group.public_key(secret)?;
        Some(CaChipKey {
            group,
            secret: secret.to_vec(),
            key_id,
            version: 1,
        })
    }

    /// The same key answering Chip Authentication version 2 (TR-03110-3 §B.3): GENERAL
    /// AUTHENTICATE returns a nonce and a token, the keys are derived from K ‖ nonce.
    /// Terminal Authentication is not required first.
    pub fn with_version_2(mut self) -> Self {
        self.version = 2;
        self
    }

    /// The group.
    pub fn group(&self) -> CaGroup {
        self.group
    }

    /// The curve (ECDH keys).
    pub fn curve(&self) -> Option<CaCurve> {
        self.group.curve()
    }

    /// The keyId announced in EF.DG14.
    pub fn key_id(&self) -> Option<u64> {
        self.key_id
    }

    /// The public key (for ChipAuthenticationPublicKeyInfo): the uncompressed point, or the
    /// DH value at the length of p.
    pub fn public_point(&self) -> Vec<u8> {
        self.group.public_key(&self.secret).unwrap_or_default()
    }
}

impl std::fmt::Debug for CaChipKey {
    // Never print private key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CaChipKey({}, keyId {:?}, ..)",
            self.group.describe(),
            self.key_id
        )
    }
}

impl PartialEq for CaChipKey {
    fn eq(&self, other: &Self) -> bool {
        self.group == other.group
            && self.key_id == other.key_id
            && self.version == other.version
            && self.public_point() == other.public_point()
    }
}

impl Eq for CaChipKey {}

/// The chip's Active Authentication private key (Doc 9303-11 §6.1.2). Synthetic test keys only
/// (see `testkit::aa_keys`).
#[non_exhaustive]
#[derive(Clone)]
pub enum AaChipKey {
    /// RSA, ISO/IEC 9796-2 scheme 1 with partial recovery and this trailer.
    Rsa {
        /// The private key.
        key: Box<rsa::RsaPrivateKey>,
        /// `BC` (SHA-1) or `hash-id ‖ CC`.
        trailer: Trailer,
    },
    /// ECDSA on P-256 with a plain `r ‖ s` signature over hash(challenge).
    EcdsaP256 {
        /// The private key.
        key: p256::ecdsa::SigningKey,
        /// The hash ActiveAuthenticationInfo names.
        hash: AaHash,
    },
}

impl AaChipKey {
    /// Public key bytes (RSA modulus, or SEC 1 point), for comparisons.
    fn public_bytes(&self) -> Vec<u8> {
        use rsa::traits::PublicKeyParts;
        match self {
            AaChipKey::Rsa { key, .. } => key.n().to_bytes_be(),
            AaChipKey::EcdsaP256 { key, .. } => key
                .verifying_key()
                .to_encoded_point(false)
                .as_bytes()
                .to_vec(),
        }
    }

    /// Signs `challenge` as a chip does; `trailer_byte` overrides the last byte of an RSA
    /// representative. `None` when signing fails.
    fn sign(
        &self,
        challenge: &[u8],
        trailer_byte: Option<u8>,
        rng: &mut (dyn CryptoRngCore + Send),
    ) -> Option<Vec<u8>> {
        match self {
            AaChipKey::Rsa { key, trailer } => {
                use rsa::traits::PublicKeyParts;
                let k = key.size();
                let mut m1 = vec![0u8; m1_len(k, *trailer)?];
                rng.fill_bytes(&mut m1);
                let mut f = encode_message_representative(&m1, challenge, *trailer);
                if let (Some(b), Some(last)) = (trailer_byte, f.last_mut()) {
                    *last = b;
                }
                let s = rsa::hazmat::rsa_decrypt_and_check(
                    key.as_ref(),
                    Some(rng),
                    &rsa::BigUint::from_bytes_be(&f),
                )
                .ok()?;
                let b = s.to_bytes_be();
                let mut out = vec![0u8; k.saturating_sub(b.len())];
                out.extend_from_slice(&b);
                Some(out)
            }
            AaChipKey::EcdsaP256 { key, hash } => {
                use p256::ecdsa::signature::hazmat::PrehashSigner;
                let digest = hash.digest(&[challenge]);
                let sig: p256::ecdsa::Signature = key.sign_prehash(&digest).ok()?;
                Some(sig.to_bytes().to_vec())
            }
        }
    }
}

impl std::fmt::Debug for AaChipKey {
    // Never print private key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AaChipKey::Rsa { trailer, .. } => write!(f, "AaChipKey::Rsa({trailer:?}, ..)"),
            AaChipKey::EcdsaP256 { hash, .. } => write!(f, "AaChipKey::EcdsaP256({hash:?}, ..)"),
        }
    }
}

impl PartialEq for AaChipKey {
    fn eq(&self, other: &Self) -> bool {
        self.public_bytes() == other.public_bytes()
    }
}

impl Eq for AaChipKey {}

/// The data a chip is personalised with.
#[derive(Debug, Clone)]
pub struct ChipProfile {
    /// Files of the eMRTD application, by FID (EF.COM 011E, EF.SOD 011D, DG1 0101, ...).
    pub app_files: BTreeMap<u16, Vec<u8>>,
    /// Files of the master file (EF.CardAccess 011C, EF.ATR/INFO 2F01, EF.CardSecurity 011D).
    pub mf_files: BTreeMap<u16, Vec<u8>>,
    /// Access control.
    pub access: Access,
    /// Whether the chip accepts extended-length APDUs.
    pub extended_length: bool,
    /// Data groups that need Extended Access Control (DG3, DG4): reading them gives 6982.
    pub eac_protected: Vec<u16>,
    /// The Active Authentication key; `None`: INTERNAL AUTHENTICATE is not supported (6D00).
    pub aa_key: Option<AaChipKey>,
    /// The Chip Authentication key; `None`: MSE:Set KAT/AT for CA is refused (6D00/6A88).
    pub ca_key: Option<CaChipKey>,
    /// PACE (Doc 9303-11 §4.4); `None`: MSE:Set AT for PACE is refused (6A88).
    pub pace: Option<PaceChipConfig>,
}

impl ChipProfile {
    /// A BAC chip holding `app_files`.
    pub fn bac(mrz_information: &str, app_files: BTreeMap<u16, Vec<u8>>) -> Self {
        ChipProfile {
            app_files,
            mf_files: BTreeMap::new(),
            access: Access::Bac {
                mrz_information: mrz_information.to_string(),
            },
            extended_length: false,
            eac_protected: vec![0x0103, 0x0104],
            aa_key: None,
            ca_key: None,
            pace: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Df {
    Master,
    Application,
}

/// The in-process virtual chip.
pub struct VirtualChip {
    profile: ChipProfile,
    faults: Vec<Fault>,
    rng: Box<dyn CryptoRngCore + Send>,
    df: Df,
    current: Option<u16>,
    challenge: Option<[u8; 8]>,
    sm: Option<ChipSmSession>,
    // CA: the cipher and protocol OID chosen by MSE:Set AT, waiting for GENERAL AUTHENTICATE.
    ca_cipher: Option<(SmCipher, Vec<u8>)>,
    // CA: the session that replaces `sm` once the current response is wrapped.
    sm_next: Option<ChipSmSession>,
    pace: PaceChip,
    eac: Option<EacChipConfig>,
    ta: TaChip,
    // PACE: the chip's ephemeral public key of the session (ID_PICC for TA).
    pace_ephemeral: Option<(Vec<u8>, bool)>,
    // Command chaining: (INS, P1, P2, data so far).
    chain: Option<(u8, u8, u8, Vec<u8>)>,
    apdus: usize,
    removed: bool,
}

impl std::fmt::Debug for VirtualChip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VirtualChip")
            .field("apdus", &self.apdus)
            .field("df", &self.df)
            .field("sm", &self.sm.is_some())
            .finish_non_exhaustive()
    }
}

impl VirtualChip {
    /// A chip with a deterministic RNG seeded from `seed`.
    pub fn new(profile: ChipProfile, seed: u64) -> Self {
        Self::with_rng(
            profile,
            Box::new(rand_chacha::ChaCha20Rng::seed_from_u64(seed)),
        )
    }

    /// A chip drawing its challenges and keys from `rng`.
    pub fn with_rng(profile: ChipProfile, rng: Box<dyn CryptoRngCore + Send>) -> Self {
        VirtualChip {
            profile,
            faults: Vec::new(),
            rng,
            df: Df::Master,
            current: None,
            challenge: None,
            sm: None,
            ca_cipher: None,
            sm_next: None,
            pace: PaceChip::new(),
            eac: None,
            ta: TaChip::default(),
            pace_ephemeral: None,
            chain: None,
            apdus: 0,
            removed: false,
        }
    }

    /// Gives the chip Extended Access Control: DG3/DG4 (`profile.eac_protected`) open after
    /// Chip Authentication and a Terminal Authentication whose chain ends at `config`'s trust
    /// point and grants the right to read them.
    pub fn with_eac(mut self, config: EacChipConfig) -> Self {
        self.eac = Some(config);
        self
    }

    /// Adds a fault.
    pub fn with_fault(mut self, fault: Fault) -> Self {
        if fault == Fault::CaInvalidPublicKey {
            self.corrupt_ca_public_key();
        }
        self.faults.push(fault);
        self
    }

    /// [`Fault::CaInvalidPublicKey`]: rewrites the CA public key inside EF.DG14 in place (same
    /// length): the last byte of an EC point flipped (off the curve), a DH value set to 1.
    fn corrupt_ca_public_key(&mut self) {
        let Some(key) = &self.profile.ca_key else {
            return;
        };
        let public = key.public_point();
        let dh = matches!(key.group, CaGroup::Dh(_));
        let Some(dg14) = self.profile.app_files.get_mut(&FileId::Dg14.fid()) else {
            return;
        };
        let Some(at) = dg14
            .windows(public.len().max(1))
            .position(|w| w == public.as_slice())
        else {
            return;
        };
        let Some(field) = dg14.get_mut(at..at + public.len()) else {
            return;
        };
        if dh {
            field.fill(0);
            if let Some(last) = field.last_mut() {
                *last = 1;
            }
        } else if let Some(last) = field.last_mut() {
            *last ^= 0x01;
        }
    }

    /// Number of APDUs received.
    pub fn apdu_count(&self) -> usize {
        self.apdus
    }

    /// Whether secure messaging is active.
    pub fn sm_active(&self) -> bool {
        self.sm.is_some()
    }

    /// Power cycle: back to the state after reset (SM and selection lost).
    pub fn reset(&mut self) {
        self.df = Df::Master;
        self.current = None;
        self.challenge = None;
        self.sm = None;
        self.ca_cipher = None;
        self.sm_next = None;
        self.pace.reset();
        self.ta = TaChip::default();
        self.pace_ephemeral = None;
        self.chain = None;
        self.removed = false;
    }

    fn max_le(&self) -> usize {
        self.faults
            .iter()
            .find_map(|f| match f {
                Fault::MaxLe(n) => Some(*n),
                _ => None,
            })
            .unwrap_or(if self.profile.extended_length {
                65536
            } else {
                256
            })
    }

    fn files(&self) -> &BTreeMap<u16, Vec<u8>> {
        match self.df {
            Df::Master => &self.profile.mf_files,
            Df::Application => &self.profile.app_files,
        }
    }

    fn file_bytes(&self, fid: u16) -> Option<std::borrow::Cow<'_, [u8]>> {
        let bytes = self.files().get(&fid)?;
        let huge = self.faults.contains(&Fault::HugeDeclaredLength(fid));
        if huge {
            // Keep the tag, declare 0xFFFFFF bytes.
            let mut b = Vec::with_capacity(bytes.len() + 4);
            b.extend_from_slice(bytes.get(..1).unwrap_or(&[0x75]));
            b.extend_from_slice(&[0x83, 0xFF, 0xFF, 0xFF]);
            b.extend_from_slice(bytes.get(1..).unwrap_or(&[]));
            return Some(std::borrow::Cow::Owned(b));
        }
        Some(std::borrow::Cow::Borrowed(bytes))
    }

    fn readable(&self, fid: u16) -> bool {
        if self.df == Df::Master {
            return true;
        }
        if self.profile.eac_protected.contains(&fid) {
            // Only after Terminal Authentication granted the right (TR-03110-3 §C.4.1).
            let need = match fid {
                0x0103 => RIGHT_READ_DG3,
                0x0104 => RIGHT_READ_DG4,
                _ => return false,
            };
            return self.sm.is_some() && self.ta.granted & need != 0;
        }
        match self.profile.access {
            Access::Plain => true,
            Access::Bac { .. } => self.sm.is_some(),
        }
    }

    /// Handles one plain (already unwrapped) command; joins chained pieces (ISO/IEC 7816-4
    /// §5.3.3) of PSO, MSE, EXTERNAL AUTHENTICATE (RSA signatures) and (outside PACE) GENERAL
    /// AUTHENTICATE first.
    fn process(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let r = |sw: u16| ResponseApdu::new(Vec::new(), StatusWord(sw));
        let chainable = matches!(cmd.ins, 0x2A | 0x22 | 0x82 | 0x86) && !self.pace.in_progress();
        if chainable && cmd.cla & 0x10 != 0 {
            let buf = self
                .chain
                .get_or_insert_with(|| (cmd.ins, cmd.p1, cmd.p2, Vec::new()));
            if (buf.0, buf.1, buf.2) != (cmd.ins, cmd.p1, cmd.p2)
                || buf.3.len().saturating_add(cmd.data.len()) > 65_536
            {
                self.chain = None;
                return r(sw::LAST_COMMAND_OF_CHAIN_EXPECTED);
            }
            buf.3.extend_from_slice(&cmd.data);
            return r(sw::OK);
        }
        if let Some((ins, p1, p2, mut data)) = self.chain.take() {
            if (ins, p1, p2) != (cmd.ins, cmd.p1, cmd.p2) {
                return r(sw::LAST_COMMAND_OF_CHAIN_EXPECTED);
            }
            data.extend_from_slice(&cmd.data);
            let mut whole = cmd.clone();
            whole.data = data;
            return self.dispatch(&whole);
        }
        self.dispatch(cmd)
    }

    fn dispatch(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let r = |sw: u16| ResponseApdu::new(Vec::new(), StatusWord(sw));
        // CLA 10: command chaining (PACE GENERAL AUTHENTICATE).
        if cmd.cla & 0xE0 != 0 && cmd.cla & 0x0C == 0 {
            return r(sw::CLA_NOT_SUPPORTED);
        }
        match cmd.ins {
            0xA4 => self.select(cmd),
            0x84 if self.sm.is_some() => self.ta_get_challenge(cmd),
            0x84 => self.get_challenge(cmd),
            0x82 if self.sm.is_some() => self.ta_external_authenticate(cmd),
            0x82 => self.external_authenticate(cmd),
            0x2A => self.ta_verify_certificate(cmd),
            0xB0 | 0xB1 => self.read_binary(cmd),
            0x88 => self.internal_authenticate(cmd),
            0x22 => self.mse_set(cmd),
            0x86 => self.general_authenticate(cmd),
            _ => r(sw::INS_NOT_SUPPORTED),
        }
    }

    fn select(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let r = |sw: u16| ResponseApdu::new(Vec::new(), StatusWord(sw));
        match cmd.p1 {
            0x04 => {
                if cmd.data == EMRTD_AID {
                    self.df = Df::Application;
                    self.current = None;
                    r(sw::OK)
                } else {
                    r(sw::FILE_NOT_FOUND)
                }
            }
            0x00 if cmd.data.is_empty() || cmd.data == [0x3F, 0x00] => {
                self.df = Df::Master;
                self.current = None;
                r(sw::OK)
            }
            0x00 | 0x02 => {
                let fid = match <[u8; 2]>::try_from(cmd.data.as_slice()) {
                    Ok(b) => u16::from_be_bytes(b),
                    Err(_) => return r(sw::WRONG_LENGTH),
                };
                if self.files().contains_key(&fid) {
                    self.current = Some(fid);
                    r(sw::OK)
                } else {
                    r(sw::FILE_NOT_FOUND)
                }
            }
            _ => r(sw::WRONG_P1P2),
        }
    }

    fn get_challenge(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        if !matches!(self.profile.access, Access::Bac { .. }) {
            return ResponseApdu::new(Vec::new(), StatusWord(sw::INS_NOT_SUPPORTED));
        }
        if cmd.le != Some(8) {
            return ResponseApdu::new(Vec::new(), StatusWord(sw::WRONG_LENGTH));
        }
        let mut c = [0u8; 8];
        self.rng.fill_bytes(&mut c);
        self.challenge = Some(c);
        ResponseApdu::new(c.to_vec(), StatusWord(sw::OK))
    }

    fn external_authenticate(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let r = |sw: u16| ResponseApdu::new(Vec::new(), StatusWord(sw));
        let Access::Bac { mrz_information } = &self.profile.access else {
            return r(sw::INS_NOT_SUPPORTED);
        };
        // One challenge, one attempt (Doc 9303-11 §4.3.3).
        let Some(rnd_ic) = self.challenge.take() else {
            return r(sw::CONDITIONS_NOT_SATISFIED);
        };
        let key = BacKey::from_mrz_information(mrz_information);
        let mut k_ic = [0u8; 16];
        self.rng.fill_bytes(&mut k_ic);
        match bac_chip_respond(&key, &rnd_ic, &k_ic, &cmd.data) {
            Ok((data, keys, ssc)) => match ChipSmSession::new(keys, &ssc) {
                Ok(sm) => {
                    self.sm = Some(sm);
                    ResponseApdu::new(data, StatusWord(sw::OK))
                }
                Err(_) => r(sw::AUTH_FAILED),
            },
            Err(_) => r(sw::AUTH_FAILED),
        }
    }

    /// INTERNAL AUTHENTICATE for Active Authentication (Doc 9303-11 §6.1.2).
    fn internal_authenticate(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let r = |sw: u16| ResponseApdu::new(Vec::new(), StatusWord(sw));
        let other = self.faults.iter().find_map(|f| match f {
            Fault::AaSignWith(k) => Some(k.as_ref().clone()),
            _ => None,
        });
        let Some(key) = other.or_else(|| self.profile.aa_key.clone()) else {
            return r(sw::INS_NOT_SUPPORTED);
        };
        if cmd.p1 != 0 || cmd.p2 != 0 {
            return r(sw::WRONG_P1P2);
        }
        // After access control only (Doc 9303-11 §6.1: AA follows BAC/PACE).
        if matches!(self.profile.access, Access::Bac { .. }) && self.sm.is_none() {
            return r(sw::SECURITY_NOT_SATISFIED);
        }
        if cmd.data.len() != 8 || cmd.le.unwrap_or(0) == 0 {
            return r(sw::WRONG_LENGTH);
        }
        let trailer_byte = self.faults.iter().find_map(|f| match f {
            Fault::AaTrailerByte(b) => Some(*b),
            _ => None,
        });
        let Some(mut sig) = key.sign(&cmd.data, trailer_byte, self.rng.as_mut()) else {
            return r(sw::CONDITIONS_NOT_SATISFIED);
        };
        if sig.len() > cmd.le.unwrap_or(0) {
            return r(sw::WRONG_LENGTH);
        }
        if self.faults.contains(&Fault::AaWrongSignature) {
            let mid = sig.len() / 2;
            if let Some(b) = sig.get_mut(mid) {
                *b ^= 0x01;
            }
        }
        ResponseApdu::new(sig, StatusWord(sw::OK))
    }

    /// MSE:Set KAT (3DES: DO'91' ephemeral key, DO'84' keyId) or MSE:Set AT (AES: DO'80'
    /// protocol OID, DO'84' keyId) for Chip Authentication (Doc 9303-11 §6.2.1).
    fn mse_set(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let r = |sw: u16| ResponseApdu::new(Vec::new(), StatusWord(sw));
        if cmd.p1 == 0xC1 && cmd.p2 == 0xA4 {
            // MSE:Set AT for PACE (Doc 9303-11 §4.4.4.1), before any secure messaging.
            let Some(cfg) = self.profile.pace.as_ref() else {
                return r(sw::REF_DATA_NOT_FOUND);
            };
            if cmd.le.is_some() {
                return r(sw::WRONG_LENGTH);
            }
            return self.pace.mse_set_at(cfg, &cmd.data).response;
        }
        if cmd.p1 == 0x81 {
            return self.ta_mse(cmd);
        }
        self.ca_cipher = None;
        let Some(key) = self.profile.ca_key.clone() else {
            return r(sw::REF_DATA_NOT_FOUND);
        };
        if cmd.p1 != 0x41 || !(cmd.p2 == 0xA6 || cmd.p2 == 0xA4) {
            return r(sw::WRONG_P1P2);
        }
        if self.sm.is_none() {
            return r(sw::SECURITY_NOT_SATISFIED);
        }
        let mut dos = BTreeMap::new();
        let mut rd = crate::tlv::Reader::new(&cmd.data);
        loop {
            match rd.next() {
                Ok(Some(t)) => {
                    dos.insert(t.tag.0, t.value.to_vec());
                }
                Ok(None) => break,
                Err(_) => return r(sw::WRONG_DATA),
            }
        }
        if self.faults.contains(&Fault::CaKeyReferenceMismatch) {
            // The chip's own reference is another one than EF.DG14 announces.
            let own = crate::chip::ca::key_id_bytes(key.key_id.map_or(2, |k| k.saturating_add(1)));
            if dos.get(&0x84) != Some(&own) {
                return r(sw::REF_DATA_NOT_FOUND);
            }
        }
        if let (Some(want), Some(got)) = (key.key_id, dos.get(&0x84)) {
            if *got != crate::chip::ca::key_id_bytes(want) {
                return r(sw::REF_DATA_NOT_FOUND);
            }
        }
        if cmd.p2 == 0xA6 {
            let Some(eph) = dos.get(&0x91) else {
                return r(sw::WRONG_DATA);
            };
            if key.version != 1 {
                return r(sw::WRONG_P1P2);
            }
            self.ca_agree(&key, SmCipher::Tdes, eph, None)
        } else {
            let cipher = dos
                .get(&0x80)
                .and_then(|o| crate::lds::oid::ca_protocol(crate::lds::asn1::Oid(o)))
                .filter(|p| p.key_agreement == key.group.key_agreement())
                .and_then(|p| crate::chip::ca::sm_cipher(p.cipher));
            match cipher {
                Some(c) => {
                    self.ca_cipher = Some((c, dos.get(&0x80).cloned().unwrap_or_default()));
                    r(sw::OK)
                }
                None => r(sw::REF_DATA_NOT_FOUND),
            }
        }
    }

    /// GENERAL AUTHENTICATE `7C { 80 ephemeral key }` after MSE:Set AT (Doc 9303-11 §6.2.1).
    fn general_authenticate(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let r = |sw: u16| ResponseApdu::new(Vec::new(), StatusWord(sw));
        if self.pace.in_progress() {
            let Some(cfg) = self.profile.pace.as_ref() else {
                return r(sw::CONDITIONS_NOT_SATISFIED);
            };
            let faults: Vec<PaceFault> = self
                .faults
                .iter()
                .filter_map(|f| match f {
                    Fault::Pace(p) => Some(*p),
                    _ => None,
                })
                .collect();
            let answer = self
                .pace
                .general_authenticate(cfg, cmd, self.rng.as_mut(), &faults);
            if let Some(keys) = answer.established {
                self.pace_ephemeral = answer.chip_ephemeral.clone();
                let ssc = vec![0u8; keys.cipher().block_len()];
                match ChipSmSession::new(keys, &ssc) {
                    Ok(sm) => self.sm = Some(sm),
                    Err(_) => return r(sw::CONDITIONS_NOT_SATISFIED),
                }
            }
            return answer.response;
        }
        let (Some((cipher, oid)), Some(key)) = (self.ca_cipher.take(), self.profile.ca_key.clone())
        else {
            return r(sw::CONDITIONS_NOT_SATISFIED);
        };
        let eph = crate::tlv::Reader::new(&cmd.data)
            .expect(0x7C)
            .ok()
            .and_then(|t| {
                t.children()
                    .ok()?
                    .expect(0x80)
                    .ok()
                    .map(|d| d.value.to_vec())
            });
        let Some(eph) = eph else {
            return r(sw::WRONG_DATA);
        };
        let v2 = (key.version == 2).then_some(oid.as_slice());
        let rsp = self.ca_agree(&key, cipher, &eph, v2);
        if rsp.sw.is_success() && rsp.data.is_empty() {
            ResponseApdu::new(vec![0x7C, 0x00], rsp.sw)
        } else {
            rsp
        }
    }

    /// Computes the shared secret and schedules the switch to the new session. CA v2
    /// (`v2_oid` given): draws the nonce r, derives the keys from K ‖ r and answers
    /// `7C { 81 r, 82 T }` with T = MAC(K_mac, 7F49 { 06 OID, 86|84 eph }).
    fn ca_agree(
        &mut self,
        key: &CaChipKey,
        cipher: SmCipher,
        eph: &[u8],
        v2_oid: Option<&[u8]>,
    ) -> ResponseApdu {
        let r = |sw: u16| ResponseApdu::new(Vec::new(), StatusWord(sw));
        // An ephemeral key equal to the static one is refused (TR-03110-3 §B.1 checks).
        if eph == key.public_point().as_slice() {
            return r(sw::WRONG_DATA);
        }
        // EAC2 (TR-03110-3 §B.3): with TA v2 before, the key must be the one TA committed to.
        if let Some(c) = &self.ta.v2_comp {
            if *c != compress_public_key(key.group, eph) {
                return r(sw::WRONG_DATA);
            }
        }
        let secret = if self.faults.contains(&Fault::CaKeyMismatch) {
            match key.group.random_secret(self.rng.as_mut()) {
                Some(s) => s,
                None => return r(sw::CONDITIONS_NOT_SATISFIED),
            }
        } else {
            key.secret.clone()
        };
        // `agree` validates the terminal's key (curve point, or DH range and subgroup).
        let Some(k) = key.group.agree(&secret, eph) else {
            return r(sw::WRONG_DATA);
        };
        let mut answer = Vec::new();
        let keys = match v2_oid {
            None => SmKeys::new(
                cipher,
                &derive_key(&k, KDF_ENC, cipher),
                &derive_key(&k, KDF_MAC, cipher),
            ),
            Some(oid) => {
                let mut nonce = [0u8; 8];
                self.rng.fill_bytes(&mut nonce);
                crate::chip::ca::session_keys_v2(&k, &nonce, cipher).and_then(|keys| {
                    let t = crate::chip::ca::auth_token_v2(&keys, oid, key.group, eph)?;
                    let mut inner = crate::tlv::encode(0x81, &nonce);
                    inner.extend(crate::tlv::encode(0x82, &t));
                    answer = crate::tlv::encode(0x7C, &inner);
                    Ok(keys)
                })
            }
        };
        let next = keys.and_then(|keys| ChipSmSession::new(keys, &vec![0u8; cipher.block_len()]));
        match next {
            Ok(s) => {
                self.sm_next = Some(s);
                self.ta.ca_comp = Some(compress_public_key(key.group, eph));
                ResponseApdu::new(answer, StatusWord(sw::OK))
            }
            Err(_) => r(sw::CONDITIONS_NOT_SATISFIED),
        }
    }

    fn read_binary(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let r = |sw: u16| ResponseApdu::new(Vec::new(), StatusWord(sw));
        let offset = if cmd.ins == 0xB0 {
            if cmd.p1 & 0x80 != 0 {
                // Short EF identifier in P1 b5..b1 (ISO/IEC 7816-4 §7.2.2); the eMRTD SFIs are
                // the low byte of the FID.
                let sfi = u16::from(cmd.p1 & 0x1F);
                let fid = self
                    .files()
                    .keys()
                    .copied()
                    .find(|f| f & 0xFF == sfi && (*f >> 8 == 0x01 || *f >> 8 == 0x2F));
                match fid {
                    Some(f) => self.current = Some(f),
                    None => return r(sw::FILE_NOT_FOUND),
                }
                usize::from(cmd.p2)
            } else {
                usize::from(u16::from_be_bytes([cmd.p1 & 0x7F, cmd.p2]))
            }
        } else {
            // Odd INS: offset in DO'54' (ISO/IEC 7816-4 §7.2.3).
            match parse_do54(&cmd.data) {
                Some(o) => o,
                None => return r(sw::WRONG_P1P2),
            }
        };
        let Some(fid) = self.current else {
            return r(sw::CONDITIONS_NOT_SATISFIED);
        };
        if !self.readable(fid) {
            return r(sw::SECURITY_NOT_SATISFIED);
        }
        let le = cmd.le.unwrap_or(0);
        if le == 0 || le > self.max_le() {
            return r(sw::WRONG_LENGTH);
        }
        let Some(bytes) = self.file_bytes(fid) else {
            return r(sw::FILE_NOT_FOUND);
        };
        if offset > bytes.len() {
            return r(sw::OFFSET_OUTSIDE_EF);
        }
        let end = offset.saturating_add(le).min(bytes.len());
        let chunk = bytes.get(offset..end).unwrap_or(&[]).to_vec();
        let short = chunk.len() < le;
        let data = if cmd.ins == 0xB1 {
            // Odd INS answers are wrapped in DO'53'.
            crate::tlv::encode(0x53, &chunk)
        } else {
            chunk
        };
        let status = if short { sw::EOF_BEFORE_LE } else { sw::OK };
        ResponseApdu::new(data, StatusWord(status))
    }

    fn ta_date(&self) -> Option<CvDate> {
        let forced = self.faults.iter().find_map(|f| match f {
            Fault::TaChipDate(d) => Some(*d),
            _ => None,
        });
        forced
            .or(self.ta.date)
            .or(self.eac.as_ref().map(|e| e.current_date))
    }

    /// The trust point's key (TR-03110-3 §2.3), unless [`Fault::TaUnknownCar`].
    fn ta_trust_point(&self) -> Option<TaKey> {
        if self.faults.contains(&Fault::TaUnknownCar) {
            return None;
        }
        let cfg = self.eac.as_ref()?;
        let c = CvCertificate::parse(&cfg.trust_point).ok()?;
        // A CVCA's EC key carries its domain parameters; an RSA key needs none.
        Some(TaKey {
            chr: c.chr.to_vec(),
            key: c.public_key.to_ta_key(None)?,
            role: c.chat.role()?,
            rights: c.chat.rights().first().copied().unwrap_or(0),
            algorithm: c.algorithm,
        })
    }

    /// MSE:Set DST (`81 B6`, DO'83' CAR) and MSE:Set AT (`81 A4`, DO'83' the terminal's CHR)
    /// for Terminal Authentication (TR-03110-3 §B.11.1, §B.11.3).
    fn ta_mse(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let r = |sw: u16| ResponseApdu::new(Vec::new(), StatusWord(sw));
        if self.eac.is_none() || self.sm.is_none() {
            return r(sw::CONDITIONS_NOT_SATISFIED);
        }
        let mut rd = crate::tlv::Reader::new(&cmd.data);
        let mut reference = None;
        let mut comp = None;
        loop {
            match rd.next() {
                Ok(Some(t)) if t.tag.0 == 0x83 => reference = Some(t.value.to_vec()),
                Ok(Some(t)) if t.tag.0 == 0x91 => comp = Some(t.value.to_vec()),
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return r(sw::WRONG_DATA),
            }
        }
        let Some(reference) = reference else {
            return r(sw::WRONG_DATA);
        };
        match cmd.p2 {
            0xB6 => {
                let key = self
                    .ta
                    .keys
                    .iter()
                    .find(|k| k.chr == reference)
                    .cloned()
                    .or_else(|| self.ta_trust_point().filter(|k| k.chr == reference));
                self.ta.selected = key;
                match self.ta.selected {
                    Some(_) => r(sw::OK),
                    None => r(sw::REF_DATA_NOT_FOUND),
                }
            }
            0xA4 => {
                let ok = self
                    .ta
                    .terminal
                    .as_ref()
                    .is_some_and(|k| k.chr == reference);
                self.ta.at_set = ok;
                self.ta.v2_comp = comp;
                if ok {
                    r(sw::OK)
                } else {
                    r(sw::REF_DATA_NOT_FOUND)
                }
            }
            _ => r(sw::WRONG_P1P2),
        }
    }

    /// PSO:Verify Certificate (`00 2A 00 BE`, body ‖ signature; TR-03110-3 §B.11.2): the
    /// signature with the selected key, CAR = the key's CHR, the issuer's role may issue the
    /// certificate's, not expired at the chip's current date; rights narrow down the chain.
    fn ta_verify_certificate(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let r = |sw: u16| ResponseApdu::new(Vec::new(), StatusWord(sw));
        if cmd.p1 != 0x00 || cmd.p2 != 0xBE {
            return r(sw::WRONG_P1P2);
        }
        let (Some(issuer), Some(today)) = (self.ta.selected.take(), self.ta_date()) else {
            return r(sw::CONDITIONS_NOT_SATISFIED);
        };
        let Ok(cert) = CvCertificate::parse_parts(&cmd.data) else {
            return r(sw::WRONG_DATA);
        };
        // The holder key in the issuer's family: an EC key inherits the issuer's curve.
        let issuer_curve = match &issuer.key {
            TaPublicKey::Ec { curve, .. } => Some(*curve),
            TaPublicKey::Rsa { .. } => None,
        };
        let (Some(role), Some(key)) = (cert.chat.role(), cert.public_key.to_ta_key(issuer_curve))
        else {
            return r(sw::WRONG_DATA);
        };
        let same_family = match (&key, &issuer.key) {
            (TaPublicKey::Ec { curve: a, .. }, TaPublicKey::Ec { curve: b, .. }) => a == b,
            (TaPublicKey::Rsa { .. }, TaPublicKey::Rsa { .. }) => true,
            _ => false,
        };
        // Only CVCA link certificates may bring domain parameters, and only the same curve;
        // only they may move the key to another algorithm (hash).
        if !same_family
            || cert.car != issuer.chr.as_slice()
            || !issuer.role.may_issue(role)
            || (cert.algorithm != issuer.algorithm && role != CvRole::Cvca)
        {
            return r(sw::WRONG_DATA);
        }
        if cert.verify_with(&issuer.key, issuer.algorithm).is_err() || cert.expiration < today {
            return r(sw::AUTH_FAILED);
        }
        if matches!(role, CvRole::Cvca | CvRole::DvDomestic) && cert.effective > today {
            self.ta.date = Some(cert.effective);
        }
        let key = TaKey {
            chr: cert.chr.to_vec(),
            key,
            role,
            rights: issuer.rights & cert.chat.rights().first().copied().unwrap_or(0),
            algorithm: cert.algorithm,
        };
        if role == CvRole::Terminal {
            self.ta.terminal = Some(key);
        } else {
            self.ta.keys.push(key);
        }
        r(sw::OK)
    }

    fn ta_get_challenge(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        if cmd.le != Some(8) {
            return ResponseApdu::new(Vec::new(), StatusWord(sw::WRONG_LENGTH));
        }
        let mut c = [0u8; 8];
        self.rng.fill_bytes(&mut c);
        self.ta.challenge = Some(c);
        ResponseApdu::new(c.to_vec(), StatusWord(sw::OK))
    }

    /// EXTERNAL AUTHENTICATE for Terminal Authentication (TR-03110-3 §B.11.5): the terminal's
    /// signature over ID_PICC ‖ r_PICC ‖ Comp(CA ephemeral key).
    fn ta_external_authenticate(&mut self, cmd: &CommandApdu) -> ResponseApdu {
        let r = |sw: u16| ResponseApdu::new(Vec::new(), StatusWord(sw));
        let challenge = self.ta.challenge.take();
        // After PACE: Comp(the chip's ephemeral PACE key); after BAC: the document number.
        let id_picc = match (&self.pace_ephemeral, &self.profile.access) {
            (Some((e, ec)), _) => crate::chip::ta::id_picc_from_pace(e, *ec),
            (None, Access::Bac { mrz_information }) => {
                id_picc_from_mrz_information(mrz_information)
            }
            _ => None,
        };
        // EAC1: the key of the CA that ran before; v2: the one MSE:Set AT committed to.
        let comp = self.ta.v2_comp.clone().or_else(|| self.ta.ca_comp.clone());
        let (Some(key), true, Some(challenge), Some(comp), Some(id_picc)) = (
            self.ta.terminal.clone(),
            self.ta.at_set,
            challenge,
            comp,
            id_picc,
        ) else {
            return r(sw::CONDITIONS_NOT_SATISFIED);
        };
        let mut sig = cmd.data.clone();
        if self.faults.contains(&Fault::TaWrongSignature) {
            if let Some(b) = sig.get_mut(3) {
                *b ^= 0x01;
            }
        }
        let msg = [id_picc.as_slice(), &challenge, &comp].concat();
        match verify_ta_signature(&key.key, key.algorithm, &msg, &sig) {
            Ok(()) => {
                self.ta.granted = key.rights;
                r(sw::OK)
            }
            Err(_) => r(sw::AUTH_FAILED),
        }
    }

    fn fault_at(&self, n: usize) -> Option<&Fault> {
        self.faults.iter().find(|f| match f {
            Fault::CardRemovedAt(k)
            | Fault::WrongMacAt(k)
            | Fault::TruncatedResponseAt(k)
            | Fault::WrongSwAt(k, _) => *k == n,
            _ => false,
        })
    }
}

fn parse_do54(data: &[u8]) -> Option<usize> {
    let mut r = crate::tlv::Reader::new(data);
    let t = r.expect(0x54).ok()?;
    if t.value.len() > 4 {
        return None;
    }
    Some(
        t.value
            .iter()
            .fold(0usize, |a, b| (a << 8) | usize::from(*b)),
    )
}

impl CardTransport for VirtualChip {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.removed {
            return Err(TransportError::CardRemoved);
        }
        self.apdus += 1;
        let n = self.apdus;
        if let Some(Fault::Slow(d)) = self.faults.iter().find(|f| matches!(f, Fault::Slow(_))) {
            std::thread::sleep(*d);
        }
        match self.fault_at(n).cloned() {
            Some(Fault::CardRemovedAt(_)) => {
                self.removed = true;
                self.sm = None;
                return Err(TransportError::CardRemoved);
            }
            Some(Fault::WrongSwAt(_, sw)) => {
                return Ok(sw.to_be_bytes().to_vec());
            }
            _ => {}
        }
        let response = match CommandApdu::parse(command) {
            Err(_) => ResponseApdu::new(Vec::new(), StatusWord(sw::WRONG_LENGTH)),
            Ok(cmd) => {
                if cmd.is_extended() && !self.profile.extended_length {
                    ResponseApdu::new(Vec::new(), StatusWord(sw::WRONG_LENGTH))
                } else if let Some(mut sm) = self.sm.take() {
                    // Under SM every command must be protected; anything else ends the session
                    // (Doc 9303-11 §9.8.5), as real chips do.
                    if cmd.cla & 0x0C != 0x0C {
                        ResponseApdu::new(Vec::new(), StatusWord(sw::SM_DATA_OBJECTS_INCORRECT))
                    } else {
                        match sm.unwrap_command(&cmd) {
                            Err(_) => ResponseApdu::new(
                                Vec::new(),
                                StatusWord(sw::SM_DATA_OBJECTS_INCORRECT),
                            ),
                            Ok(plain) => {
                                self.sm = Some(sm);
                                let rsp = self.process(&plain);
                                match self.sm.as_mut().map(|s| s.wrap_response(&rsp)) {
                                    Some(Ok(w)) => {
                                        // Chip Authentication: answer under the old keys,
                                        // then switch (Doc 9303-11 §6.2.1).
                                        if let Some(next) = self.sm_next.take() {
                                            self.sm = Some(next);
                                        }
                                        w
                                    }
                                    _ => {
                                        self.sm = None;
                                        ResponseApdu::new(
                                            Vec::new(),
                                            StatusWord(sw::SM_DATA_OBJECTS_INCORRECT),
                                        )
                                    }
                                }
                            }
                        }
                    }
                } else {
                    self.process(&cmd)
                }
            }
        };
        let mut out = response.encode();
        match self.fault_at(n) {
            Some(Fault::WrongMacAt(_)) => {
                // The MAC is the last 8 bytes of DO'8E', just before SW1 SW2.
                let l = out.len();
                if let Some(b) = l.checked_sub(3).and_then(|i| out.get_mut(i)) {
                    *b ^= 0x01;
                }
            }
            Some(Fault::TruncatedResponseAt(_)) => out.truncate(1),
            _ => {}
        }
        Ok(out)
    }

    fn max_response_len(&self) -> usize {
        if self.profile.extended_length {
            65536
        } else {
            256
        }
    }
}
