//! SM wrapping and unwrapping (Doc 9303-11 §9.8.4 - §9.8.6) on both sides of the channel.

use crate::apdu::{CommandApdu, ResponseApdu, StatusWord};
use crate::tlv::{self, Limits, Reader};

use super::cipher::ct_eq;
use super::{pad, unpad, SmCipher, SmError, SmKeys};

const DO_CRYPTO_ODD: u32 = 0x85;
const DO_CRYPTO: u32 = 0x87;
const DO_LE: u32 = 0x97;
const DO_STATUS: u32 = 0x99;
const DO_MAC: u32 = 0x8E;
/// Padding-content indicator in DO'87': `01` = padding method 2 (ISO/IEC 7816-4 §10.2.2).
const PADDING_INDICATOR: u8 = 0x01;
/// Bits b4 b3 of CLA: "command header authenticated" secure messaging (ISO/IEC 7816-4 §5.4.1).
const CLA_SM: u8 = 0x0C;

/// The send sequence counter (Doc 9303-11 §9.8.2): 8 bytes for 3DES, 16 for AES, big-endian,
/// incremented before every command and every response.
#[derive(Clone, PartialEq, Eq)]
pub struct Ssc {
    bytes: [u8; 16],
    len: usize,
}

impl std::fmt::Debug for Ssc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ssc({})", hex::encode_upper(self.as_bytes()))
    }
}

impl Ssc {
    /// An SSC of the cipher's block length.
    pub fn new(cipher: SmCipher, bytes: &[u8]) -> Result<Self, SmError> {
        let expected = cipher.block_len();
        let mut out = [0u8; 16];
        match out.get_mut(..expected) {
            Some(dst) if bytes.len() == expected => dst.copy_from_slice(bytes),
            _ => {
                return Err(SmError::BadSscLength {
                    len: bytes.len(),
                    expected,
                })
            }
        }
        Ok(Ssc {
            bytes: out,
            len: expected,
        })
    }

    /// The counter bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }

    /// Adds one, wrapping at 2^(8·len).
    pub fn increment(&mut self) {
        if let Some(b) = self.bytes.get_mut(..self.len) {
            for byte in b.iter_mut().rev() {
                let (v, carry) = byte.overflowing_add(1);
                *byte = v;
                if !carry {
                    break;
                }
            }
        }
    }

    /// The low 64 bits, for error context.
    pub fn low_u64(&self) -> u64 {
        let b = self.as_bytes();
        let tail = b.get(b.len().saturating_sub(8)..).unwrap_or(&[]);
        tail.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x))
    }
}

/// Length of the protected response data field for `n` plain bytes:
/// DO'87' (or DO'85' for odd INS) + DO'99' (4 bytes) + DO'8E' (10 bytes).
pub fn protected_response_len(cipher: SmCipher, n: usize, odd_ins: bool) -> usize {
    let mut len = 4usize.saturating_add(10);
    if n > 0 {
        let block = cipher.block_len();
        let padded = (n / block).saturating_add(1).saturating_mul(block);
        let value = padded.saturating_add(usize::from(!odd_ins));
        let len_field = match value {
            0..=0x7F => 1,
            0x80..=0xFF => 2,
            0x100..=0xFFFF => 3,
            _ => 4,
        };
        len = len
            .saturating_add(1)
            .saturating_add(len_field)
            .saturating_add(value);
    }
    len
}

/// The largest plain Ne whose protected response data field fits `max_protected` bytes.
///
/// With short APDUs (`max_protected` = 256): 3DES gives 231 (DO'87' = 87 81 E9 01 ‖ 232 bytes
/// of cryptogram, 250 bytes in all) and AES gives 223 (87 81 E1 01 ‖ 224 bytes, 242 in all);
/// one more plain byte adds a whole padding block and overflows 256. Capped at 65 536.
pub fn max_plain_response_len(cipher: SmCipher, max_protected: usize, odd_ins: bool) -> usize {
    let mut n = max_protected.min(65_536);
    // The overhead is at most 14 + 5 + one block, so this runs at most ~40 times.
    while n > 0 && protected_response_len(cipher, n, odd_ins) > max_protected {
        n = n.saturating_sub(1);
    }
    n
}

/// Le as DO'97' carries it: one byte up to 256 (256 → `00`), else two bytes (65 536 → `00 00`).
fn encode_le(ne: usize) -> Vec<u8> {
    let b = ne.to_be_bytes();
    let n = b.len();
    if ne <= 256 {
        vec![b.get(n.wrapping_sub(1)).copied().unwrap_or(0)]
    } else {
        vec![
            b.get(n.wrapping_sub(2)).copied().unwrap_or(0),
            b.get(n.wrapping_sub(1)).copied().unwrap_or(0),
        ]
    }
}

fn decode_le(v: &[u8]) -> Result<usize, SmError> {
    match v {
        [0] => Ok(256),
        [b] => Ok(usize::from(*b)),
        [0, 0] => Ok(65_536),
        [a, b] => Ok(usize::from(u16::from_be_bytes([*a, *b]))),
        _ => Err(SmError::BadLeObject { len: v.len() }),
    }
}

/// Data objects of a protected APDU, in the order found. `mac_input` is the raw prefix that
/// precedes DO'8E' (the MAC covers exactly the bytes received, never a re-encoding).
struct ProtectedDos<'a> {
    crypto: Option<(u8, &'a [u8])>,
    le: Option<&'a [u8]>,
    status: Option<&'a [u8]>,
    mac: &'a [u8],
    mac_input: &'a [u8],
}

fn parse_dos(data: &[u8], allow_le: bool, allow_status: bool) -> Result<ProtectedDos<'_>, SmError> {
    let limits = Limits {
        max_depth: 1,
        max_len: 65_536,
        allow_indefinite: false,
        strict_der: false,
    };
    let mut r = Reader::with_limits(data, limits);
    let mut crypto = None;
    let mut le = None;
    let mut status = None;
    while let Some(t) = r.next()? {
        let unexpected = SmError::UnexpectedDataObject {
            tag: t.tag.0,
            offset: t.offset,
        };
        match t.tag.0 {
            // Doc 9303-11 §9.8.4/§9.8.5 fix the order: cryptogram first, then DO'97'/DO'99'.
            DO_CRYPTO | DO_CRYPTO_ODD if crypto.is_none() && le.is_none() && status.is_none() => {
                let tag = if t.tag.0 == DO_CRYPTO { 0x87 } else { 0x85 };
                crypto = Some((tag, t.value));
            }
            DO_LE if allow_le && le.is_none() => le = Some(t.value),
            DO_STATUS if allow_status && status.is_none() => status = Some(t.value),
            DO_MAC => {
                // DO'8E' must be last.
                r.finish().map_err(|_| SmError::UnexpectedDataObject {
                    tag: r.peek_tag().ok().flatten().map_or(0, |t| t.0),
                    offset: r.offset(),
                })?;
                return Ok(ProtectedDos {
                    crypto,
                    le,
                    status,
                    mac: t.value,
                    mac_input: data.get(..t.offset).unwrap_or(&[]),
                });
            }
            _ => return Err(unexpected),
        }
    }
    Err(SmError::MissingMac)
}

fn check_mac(
    keys: &SmKeys,
    ssc: &Ssc,
    prefix: &[u8],
    body: &[u8],
    mac: &[u8],
) -> Result<(), SmError> {
    let mut input = Vec::with_capacity(
        ssc.as_bytes()
            .len()
            .saturating_add(prefix.len())
            .saturating_add(body.len()),
    );
    input.extend_from_slice(ssc.as_bytes());
    input.extend_from_slice(prefix);
    input.extend_from_slice(body);
    let expected = keys.mac(&input)?;
    if ct_eq(&expected, mac) {
        Ok(())
    } else {
        Err(SmError::MacMismatch { ssc: ssc.low_u64() })
    }
}

fn decrypt_do(keys: &SmKeys, ssc: &Ssc, crypto: Option<(u8, &[u8])>) -> Result<Vec<u8>, SmError> {
    let Some((tag, value)) = crypto else {
        return Ok(Vec::new());
    };
    let cryptogram = if tag == 0x87 {
        match value.split_first() {
            Some((&PADDING_INDICATOR, rest)) => rest,
            _ => return Err(SmError::BadCryptogram { tag }),
        }
    } else {
        value
    };
    let iv = keys.iv_for(ssc.as_bytes())?;
    let plain = keys.decrypt(&iv, cryptogram, tag)?;
    Ok(unpad(&plain, keys.cipher().block_len())?.to_vec())
}

fn encrypt_do(keys: &SmKeys, ssc: &Ssc, data: &[u8], odd_ins: bool) -> Result<Vec<u8>, SmError> {
    let iv = keys.iv_for(ssc.as_bytes())?;
    let c = keys.encrypt(&iv, &pad(data, keys.cipher().block_len()))?;
    Ok(if odd_ins {
        tlv::encode(DO_CRYPTO_ODD, &c)
    } else {
        let mut v = Vec::with_capacity(c.len().saturating_add(1));
        v.push(PADDING_INDICATOR);
        v.extend_from_slice(&c);
        tlv::encode(DO_CRYPTO, &v)
    })
}

fn padded_header(cla: u8, ins: u8, p1: u8, p2: u8, block: usize) -> Vec<u8> {
    pad(&[cla, ins, p1, p2], block)
}

/// Terminal-side secure messaging (Doc 9303-11 §9.8): protects commands, verifies responses.
/// After any error every later call returns [`SmError::SessionClosed`].
pub struct SmSession {
    keys: SmKeys,
    ssc: Ssc,
    closed: bool,
    // A command was wrapped and its response not yet unwrapped: wrapping again would put the
    // SSC out of step with the chip, so that closes the session.
    pending: bool,
}

impl std::fmt::Debug for SmSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmSession")
            .field("cipher", &self.keys.cipher())
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl SmSession {
    /// A session with its keys and initial SSC.
    pub fn new(keys: SmKeys, ssc: &[u8]) -> Result<Self, SmError> {
        let ssc = Ssc::new(keys.cipher(), ssc)?;
        Ok(SmSession {
            keys,
            ssc,
            closed: false,
            pending: false,
        })
    }

    /// The current SSC.
    pub fn ssc(&self) -> &[u8] {
        self.ssc.as_bytes()
    }

    /// The cipher suite.
    pub fn cipher(&self) -> SmCipher {
        self.keys.cipher()
    }

    /// False after any error.
    pub fn is_open(&self) -> bool {
        !self.closed
    }

    /// Closes the session; every later call fails.
    pub fn close(&mut self) {
        self.closed = true;
    }

    /// Protects a command (Doc 9303-11 §9.8.4): SSC+1, DO'87' (DO'85' for odd INS), DO'97',
    /// DO'8E' over SSC ‖ padded header ‖ DOs. The protected command carries Le = `00` (or
    /// `00 00` when it needs extended length).
    pub fn wrap(&mut self, cmd: &CommandApdu) -> Result<CommandApdu, SmError> {
        if self.closed || self.pending {
            self.closed = true;
            return Err(SmError::SessionClosed);
        }
        let r = wrap_command(&self.keys, &mut self.ssc, cmd);
        match r {
            Ok(_) => self.pending = true,
            Err(_) => self.closed = true,
        }
        r
    }

    /// Verifies and decrypts a protected response (Doc 9303-11 §9.8.5): SSC+1, the MAC is
    /// checked first, then DO'99' and the cryptogram. Wrapping a second command before the
    /// response to the first was unwrapped closes the session.
    pub fn unwrap(&mut self, rsp: &ResponseApdu) -> Result<ResponseApdu, SmError> {
        if self.closed {
            return Err(SmError::SessionClosed);
        }
        self.pending = false;
        let r = unwrap_response(&self.keys, &mut self.ssc, rsp);
        if r.is_err() {
            self.closed = true;
        }
        r
    }
}

fn wrap_command(keys: &SmKeys, ssc: &mut Ssc, cmd: &CommandApdu) -> Result<CommandApdu, SmError> {
    ssc.increment();
    let block = keys.cipher().block_len();
    let cla = cmd.cla | CLA_SM;
    let odd = cmd.ins & 1 == 1;
    let mut dos = Vec::new();
    if !cmd.data.is_empty() {
        dos.extend_from_slice(&encrypt_do(keys, ssc, &cmd.data, odd)?);
    }
    let ne = cmd.le.filter(|n| *n > 0).map(|n| n.min(65_536));
    if let Some(n) = ne {
        dos.extend_from_slice(&tlv::encode(DO_LE, &encode_le(n)));
    }
    let header = padded_header(cla, cmd.ins, cmd.p1, cmd.p2, block);
    let mut input = Vec::with_capacity(block.saturating_mul(2).saturating_add(dos.len()));
    input.extend_from_slice(ssc.as_bytes());
    input.extend_from_slice(&header);
    input.extend_from_slice(&dos);
    let mac = keys.mac(&input)?;
    dos.extend_from_slice(&tlv::encode(DO_MAC, &mac));
    if dos.len() > 65_535 {
        return Err(SmError::CommandTooLong { len: dos.len() });
    }
    let extended = cmd.is_extended() || dos.len() > 255;
    Ok(CommandApdu {
        cla,
        ins: cmd.ins,
        p1: cmd.p1,
        p2: cmd.p2,
        data: dos,
        le: Some(if extended { 65_536 } else { 256 }),
    })
}

fn unwrap_response(
    keys: &SmKeys,
    ssc: &mut Ssc,
    rsp: &ResponseApdu,
) -> Result<ResponseApdu, SmError> {
    ssc.increment();
    if rsp.data.is_empty() {
        return Err(SmError::PlainResponse { sw: rsp.sw });
    }
    let dos = parse_dos(&rsp.data, false, true)?;
    check_mac(keys, ssc, &[], dos.mac_input, dos.mac)?;
    let status = dos.status.ok_or(SmError::MissingStatus)?;
    let sw = match status {
        [a, b] => StatusWord(u16::from_be_bytes([*a, *b])),
        _ => return Err(SmError::BadStatusObject { len: status.len() }),
    };
    if sw != rsp.sw {
        return Err(SmError::StatusMismatch {
            protected: sw,
            plain: rsp.sw,
        });
    }
    let data = decrypt_do(keys, ssc, dos.crypto)?;
    Ok(ResponseApdu::new(data, sw))
}

/// Chip-side secure messaging, for the virtual chip: verifies commands and protects responses.
/// After any error every later call returns [`SmError::SessionClosed`] (the chip then answers
/// plain `6987`/`6988`, Doc 9303-11 §9.8.5).
pub struct ChipSmSession {
    keys: SmKeys,
    ssc: Ssc,
    closed: bool,
    last_ins_odd: bool,
}

impl std::fmt::Debug for ChipSmSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChipSmSession")
            .field("cipher", &self.keys.cipher())
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl ChipSmSession {
    /// A chip session with its keys and initial SSC.
    pub fn new(keys: SmKeys, ssc: &[u8]) -> Result<Self, SmError> {
        let ssc = Ssc::new(keys.cipher(), ssc)?;
        Ok(ChipSmSession {
            keys,
            ssc,
            closed: false,
            last_ins_odd: false,
        })
    }

    /// The current SSC.
    pub fn ssc(&self) -> &[u8] {
        self.ssc.as_bytes()
    }

    /// False after any error.
    pub fn is_open(&self) -> bool {
        !self.closed
    }

    /// Verifies (MAC first) and decrypts a protected command; returns the plain command with
    /// the SM bits of CLA cleared and Ne taken from DO'97'.
    pub fn unwrap_command(&mut self, cmd: &CommandApdu) -> Result<CommandApdu, SmError> {
        if self.closed {
            return Err(SmError::SessionClosed);
        }
        let r = self.unwrap_command_inner(cmd);
        if r.is_err() {
            self.closed = true;
        }
        r
    }

    fn unwrap_command_inner(&mut self, cmd: &CommandApdu) -> Result<CommandApdu, SmError> {
        self.ssc.increment();
        if cmd.cla & CLA_SM != CLA_SM {
            return Err(SmError::PlainCommand { cla: cmd.cla });
        }
        let dos = parse_dos(&cmd.data, true, false)?;
        let header = padded_header(
            cmd.cla,
            cmd.ins,
            cmd.p1,
            cmd.p2,
            self.keys.cipher().block_len(),
        );
        check_mac(&self.keys, &self.ssc, &header, dos.mac_input, dos.mac)?;
        let le = dos.le.map(decode_le).transpose()?;
        let data = decrypt_do(&self.keys, &self.ssc, dos.crypto)?;
        self.last_ins_odd = cmd.ins & 1 == 1;
        Ok(CommandApdu {
            cla: cmd.cla & !CLA_SM,
            ins: cmd.ins,
            p1: cmd.p1,
            p2: cmd.p2,
            data,
            le,
        })
    }

    /// Protects a response: SSC+1, DO'87' (DO'85' if the last command had an odd INS),
    /// DO'99' with the status word, DO'8E'.
    pub fn wrap_response(&mut self, rsp: &ResponseApdu) -> Result<ResponseApdu, SmError> {
        if self.closed {
            return Err(SmError::SessionClosed);
        }
        self.ssc.increment();
        let r = (|| {
            let mut dos = Vec::new();
            if !rsp.data.is_empty() {
                dos.extend_from_slice(&encrypt_do(
                    &self.keys,
                    &self.ssc,
                    &rsp.data,
                    self.last_ins_odd,
                )?);
            }
            dos.extend_from_slice(&tlv::encode(DO_STATUS, &rsp.sw.0.to_be_bytes()));
            let mut input = self.ssc.as_bytes().to_vec();
            input.extend_from_slice(&dos);
            let mac = self.keys.mac(&input)?;
            dos.extend_from_slice(&tlv::encode(DO_MAC, &mac));
            Ok(ResponseApdu::new(dos, rsp.sw))
        })();
        if r.is_err() {
            self.closed = true;
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    fn tdes_keys() -> SmKeys {
        SmKeys::new(
            SmCipher::Tdes,
            &h("979EC13B1CBFE9DCD01AB0FED307EAE5"),
            &h("F1CB1F1FB5ADF208806B89DC579DC1F8"),
        )
        .unwrap()
    }

    #[test]
    fn ssc_increment_wraps() {
        let mut s = Ssc::new(SmCipher::Tdes, &h("00000000000000FF")).unwrap();
        s.increment();
        assert_eq!(s.as_bytes(), h("0000000000000100").as_slice());
        let mut s = Ssc::new(SmCipher::Tdes, &[0xFF; 8]).unwrap();
        s.increment();
        assert_eq!(s.as_bytes(), &[0; 8]);
        assert!(Ssc::new(SmCipher::Aes128, &[0; 8]).is_err());
        assert_eq!(
            Ssc::new(SmCipher::Aes128, &[1; 16]).unwrap().low_u64(),
            0x0101010101010101
        );
    }

    #[test]
    fn overhead_is_exact() {
        assert_eq!(max_plain_response_len(SmCipher::Tdes, 256, false), 231);
        assert_eq!(protected_response_len(SmCipher::Tdes, 231, false), 250);
        assert_eq!(protected_response_len(SmCipher::Tdes, 232, false), 258);
        assert_eq!(max_plain_response_len(SmCipher::Aes128, 256, false), 223);
        assert_eq!(protected_response_len(SmCipher::Aes128, 223, false), 242);
        assert_eq!(protected_response_len(SmCipher::Aes128, 224, false), 258);
        // D.4: 4 plain bytes -> 8709 01 8 bytes + 99029000 + 8E08 mac = 27 bytes.
        assert_eq!(protected_response_len(SmCipher::Tdes, 4, false), 25);
        assert_eq!(protected_response_len(SmCipher::Tdes, 0, false), 14);
        for max in [16usize, 100, 256, 1000, 4096, 65_536, 70_000] {
            for c in [SmCipher::Tdes, SmCipher::Aes256] {
                for odd in [false, true] {
                    let n = max_plain_response_len(c, max, odd);
                    assert!(protected_response_len(c, n, odd) <= max);
                    if n < 65_536 {
                        assert!(
                            protected_response_len(c, n + 1, odd) > max,
                            "{max} {c:?} {odd}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn wrapped_le_encoding() {
        assert_eq!(encode_le(4), vec![4]);
        assert_eq!(encode_le(256), vec![0]);
        assert_eq!(encode_le(257), vec![1, 1]);
        assert_eq!(encode_le(65_536), vec![0, 0]);
        for n in [1usize, 4, 255, 256, 257, 4000, 65_535, 65_536] {
            assert_eq!(decode_le(&encode_le(n)).unwrap(), n);
        }
        assert!(decode_le(&[]).is_err());
    }

    #[test]
    fn closed_after_error() {
        let mut s = SmSession::new(tdes_keys(), &[0; 8]).unwrap();
        assert!(s.unwrap(&ResponseApdu::status(StatusWord::OK)).is_err());
        assert!(!s.is_open());
        assert_eq!(
            s.wrap(&CommandApdu::new(0, 0xB0, 0, 0).with_le(4)),
            Err(SmError::SessionClosed)
        );
    }

    #[test]
    fn odd_ins_uses_do85_both_ways() {
        let mut t = SmSession::new(tdes_keys(), &[0; 8]).unwrap();
        let mut c = ChipSmSession::new(tdes_keys(), &[0; 8]).unwrap();
        let cmd = CommandApdu::new(0, 0xB1, 0, 0)
            .with_data(h("54028000"))
            .with_le(100);
        let p = t.wrap(&cmd).unwrap();
        assert_eq!(p.data[0], 0x85);
        assert_eq!(c.unwrap_command(&p).unwrap(), cmd);
        let rsp = ResponseApdu::new(vec![0x53, 2, 1, 2], StatusWord::OK);
        let pr = c.wrap_response(&rsp).unwrap();
        assert_eq!(pr.data[0], 0x85);
        assert_eq!(t.unwrap(&pr).unwrap(), rsp);
    }
}
