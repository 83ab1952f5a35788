//! Spec vectors through the sans-IO state machines, plus drive/read/SM behaviour tests.
//! Vector sources are the entry names of testdata/vectors/doc9303-worked-examples.json.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // test code

use inspectd::apdu::{CommandApdu, ResponseApdu, StatusWord};
use inspectd::chip::{
    bac_chip_respond, drive, drive_with_stats, Bac, BacKey, CardTransport, ChipError, ChipStats,
    FileRef, ReadFile, ReadOptions, SecureSession, Secured, SelectFile, TransportError,
};
use inspectd::sm::{
    derive_key, max_plain_response_len, ChipSmSession, SmCipher, SmError, SmKeys, SmSession,
    KDF_ENC, KDF_MAC, KDF_PACE,
};
use proptest::prelude::*;
use serde_json::Value;
use sha1::{Digest, Sha1};

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}

fn vectors() -> Vec<Value> {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/vectors/doc9303-worked-examples.json"
    );
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn entry(name_prefix: &str) -> Value {
    vectors()
        .into_iter()
        .find(|e| e["name"].as_str().unwrap().starts_with(name_prefix))
        .unwrap_or_else(|| panic!("no vector {name_prefix}"))
}

fn f(e: &Value, k: &str) -> Vec<u8> {
    h(e["fields"][k]
        .as_str()
        .unwrap_or_else(|| panic!("field {k}")))
}

/// Checks every command against the script and answers the scripted response.
struct Scripted {
    steps: Vec<(Vec<u8>, Vec<u8>)>,
    pos: usize,
}

impl Scripted {
    fn new(steps: Vec<(Vec<u8>, Vec<u8>)>) -> Self {
        Scripted { steps, pos: 0 }
    }
    fn done(&self) -> bool {
        self.pos == self.steps.len()
    }
}

impl CardTransport for Scripted {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let (cmd, rsp) = self.steps.get(self.pos).expect("unexpected extra command");
        assert_eq!(
            hex::encode_upper(command),
            hex::encode_upper(cmd),
            "command {} differs",
            self.pos
        );
        self.pos += 1;
        Ok(rsp.clone())
    }
}

const BAC: &str = "BAC key derivation + mutual authentication";
const D4: &str = "Secure messaging 3DES worked example";
const NEG: &str = "Secure messaging 3DES negative response cases";

fn bac_session() -> SecureSession {
    let e = entry(BAC);
    let key = BacKey::from_mrz_information(e["fields"]["mrz_information"].as_str().unwrap());
    assert_eq!(key.k_enc().to_vec(), f(&e, "K_enc"));
    assert_eq!(key.k_mac().to_vec(), f(&e, "K_mac"));
    let mut ext_rsp = f(&e, "EXTERNAL_AUTHENTICATE_rsp_data");
    ext_rsp.extend(f(&e, "EXTERNAL_AUTHENTICATE_rsp_SW"));
    let mut t = Scripted::new(vec![
        (f(&e, "GET_CHALLENGE_cmd"), f(&e, "GET_CHALLENGE_rsp")),
        (f(&e, "EXTERNAL_AUTHENTICATE_cmd"), ext_rsp),
    ]);
    let bac = Bac::new_with(
        &key,
        f(&e, "RND.IFD").try_into().unwrap(),
        f(&e, "K.IFD").try_into().unwrap(),
    );
    let session = drive(bac, &mut t).unwrap();
    assert!(t.done());
    assert_eq!(session.ssc(), f(&e, "SSC").as_slice());
    assert_eq!(session.cipher(), SmCipher::Tdes);
    session
}

// "BAC key derivation + mutual authentication (Doc 9303-11 App. D.2/D.3)"
#[test]
fn bac_appendix_d3_through_state_machine() {
    bac_session();
}

#[test]
fn bac_wrong_mrz_is_refused_and_bad_chip_proof_detected() {
    let e = entry(BAC);
    let key = BacKey::from_mrz_information(e["fields"]["mrz_information"].as_str().unwrap());
    let mk = || {
        Bac::new_with(
            &key,
            f(&e, "RND.IFD").try_into().unwrap(),
            f(&e, "K.IFD").try_into().unwrap(),
        )
    };
    let mut t = Scripted::new(vec![
        (f(&e, "GET_CHALLENGE_cmd"), f(&e, "GET_CHALLENGE_rsp")),
        (f(&e, "EXTERNAL_AUTHENTICATE_cmd"), h("6300")),
    ]);
    assert!(matches!(
        drive(mk(), &mut t),
        Err(ChipError::AuthenticationFailed {
            sw: StatusWord(0x6300),
            ..
        })
    ));
    let mut bad = f(&e, "EXTERNAL_AUTHENTICATE_rsp_data");
    bad[3] ^= 1;
    bad.extend(h("9000"));
    let mut t = Scripted::new(vec![
        (f(&e, "GET_CHALLENGE_cmd"), f(&e, "GET_CHALLENGE_rsp")),
        (f(&e, "EXTERNAL_AUTHENTICATE_cmd"), bad),
    ]);
    assert!(matches!(
        drive(mk(), &mut t),
        Err(ChipError::AuthenticationMismatch { .. })
    ));
}

fn d4_script(e: &Value) -> Vec<(Vec<u8>, Vec<u8>)> {
    (1..=3)
        .map(|i| {
            (
                f(e, &format!("cmd{i}_protected")),
                f(e, &format!("rsp{i}_protected")),
            )
        })
        .collect()
}

// "Secure messaging 3DES worked example: SELECT EF.COM + 2x READ BINARY (Doc 9303-11 App. D.4)"
#[test]
fn sm_appendix_d4_select_then_read_through_state_machines() {
    let e = entry(D4);
    let session = bac_session();
    assert_eq!(session.ssc(), f(&e, "SSC_initial").as_slice());
    let mut t = Scripted::new(d4_script(&e));
    let mut sel = Secured::new(session, SelectFile::new(0x011E));
    drive(&mut sel, &mut t).unwrap();
    let (session, _) = sel.into_parts();
    assert_eq!(session.ssc(), f(&e, "rsp1_SSC").as_slice());
    let opts = ReadOptions::secured(&session, 256).with_header_probe(4);
    let mut read = Secured::new(session, ReadFile::current(opts));
    let file = drive(&mut read, &mut t).unwrap();
    assert!(t.done());
    assert_eq!(file.bytes, f(&e, "EF.COM"));
    assert_eq!(file.stats.apdus, 2);
    assert_eq!(read.session().ssc(), f(&e, "rsp3_SSC").as_slice());
}

#[test]
fn sm_appendix_d4_read_by_fid() {
    let e = entry(D4);
    let session = bac_session();
    let mut t = Scripted::new(d4_script(&e));
    let opts = ReadOptions::secured(&session, 256).with_header_probe(4);
    let file = drive(
        Secured::new(session, ReadFile::by_fid(0x011E, opts)),
        &mut t,
    )
    .unwrap();
    assert_eq!(file.bytes, f(&e, "EF.COM"));
    assert_eq!(file.stats.apdus, 3);
}

fn neg_session(e: &Value) -> SmSession {
    let keys = SmKeys::new(SmCipher::Tdes, &f(e, "KS_enc"), &f(e, "KS_mac")).unwrap();
    SmSession::new(keys, &f(e, "SSC_before_response")).unwrap()
}

// "Secure messaging 3DES negative response cases"
#[test]
fn sm_negative_cases_direct() {
    let e = entry(NEG);
    let cases = e["fields"]["cases"].as_array().unwrap();
    type Check = fn(&Result<ResponseApdu, SmError>) -> bool;
    let expected: Vec<Check> = vec![
        |_| true, // "99": rejected by ResponseApdu::parse, below
        |r| matches!(r, Err(SmError::Tlv(_))),
        |r| matches!(r, Err(SmError::MissingMac)),
        |r| {
            matches!(
                r,
                Err(SmError::MacMismatch {
                    ssc: 0x887022120C06C228
                })
            )
        },
        |r| {
            matches!(
                r,
                Err(SmError::StatusMismatch {
                    protected: StatusWord(0x6200),
                    plain: StatusWord(0x9000)
                })
            )
        },
        |r| matches!(r, Err(SmError::BadStatusObject { len: 1 })),
        // "99029000850201008E08..": the vector's MAC is computed over DO'85' ‖ DO'99' (canonical
        // order) although DO'99' comes first. Doc 9303-11 §9.8.5 fixes the order DO'85'/'87',
        // DO'99', DO'8E', so we reject the out-of-order object before any MAC or decryption.
        |r| {
            matches!(
                r,
                Err(SmError::UnexpectedDataObject {
                    tag: 0x85,
                    offset: 4
                })
            )
        },
    ];
    assert!(ResponseApdu::parse(&h(cases[0]["rapdu"].as_str().unwrap())).is_err());
    for (i, c) in cases.iter().enumerate().take(7).skip(1) {
        let mut s = neg_session(&e);
        let rsp = ResponseApdu::parse(&h(c["rapdu"].as_str().unwrap())).unwrap();
        let r = s.unwrap(&rsp);
        assert!(expected[i](&r), "case {i}: {r:?} ({})", c["expect"]);
        // The session is dead afterwards.
        assert_eq!(s.unwrap(&rsp), Err(SmError::SessionClosed));
        assert_eq!(
            s.wrap(&CommandApdu::new(0, 0xB0, 0, 0).with_le(1)),
            Err(SmError::SessionClosed)
        );
    }
    // Last case: a plain 9000 in an AES session (SSC ..0B after increment).
    let keys = SmKeys::new(SmCipher::Aes128, &[1; 16], &[2; 16]).unwrap();
    let mut ssc = [0u8; 16];
    ssc[15] = 0x0A;
    let mut s = SmSession::new(keys, &ssc).unwrap();
    assert_eq!(
        s.unwrap(&ResponseApdu::status(StatusWord::OK)),
        Err(SmError::PlainResponse { sw: StatusWord::OK })
    );
    assert_eq!(s.ssc()[15], 0x0B);
    assert!(!s.is_open());
}

#[test]
fn sm_negative_cases_through_secured_select() {
    let e = entry(NEG);
    let d4 = entry(D4);
    let cases = e["fields"]["cases"].as_array().unwrap();
    for (i, c) in cases.iter().enumerate().take(7) {
        let session = bac_session();
        // The chip answers SELECT EF.COM (cmd1, SSC ..27) with the negative response (SSC ..28).
        let mut t = Scripted::new(vec![
            (f(&d4, "cmd1_protected"), h(c["rapdu"].as_str().unwrap())),
            (f(&d4, "cmd2_protected"), h("9000")),
        ]);
        let mut sel = Secured::new(session, SelectFile::new(0x011E));
        let err = drive(&mut sel, &mut t).unwrap_err();
        match i {
            0 => assert!(matches!(err, ChipError::Apdu(_)), "{err:?}"),
            _ => assert!(matches!(err, ChipError::Sm(_)), "{err:?}"),
        }
        // Whatever failed, no further command goes out under this session.
        let (session, _) = sel.into_parts();
        let opts = ReadOptions::secured(&session, 256).with_header_probe(4);
        let err = drive(Secured::new(session, ReadFile::current(opts)), &mut t).unwrap_err();
        assert_eq!(err, ChipError::Sm(SmError::SessionClosed), "case {i}");
        assert_eq!(t.pos, 1);
    }
}

const ECDH: &str = "BSI TR-03110 'Worked Example for EAC v1.01' - ECDH";
const DH: &str = "BSI TR-03110 'Worked Example for EAC v1.01' - DH";

// "BSI TR-03110 'Worked Example for EAC v1.01' - ECDH ..." and "... - DH ...": AES_SM_examples.
#[test]
fn aes_sm_examples_wrap_and_unwrap() {
    for (name, mse_data) in [
        (ECDH, "830D44454356434141543030303031"),
        (DH, "830F444554455354435643413030303033"),
    ] {
        let e = entry(name);
        let p = &e["fields"]["PACE"];
        let ex = &e["fields"]["AES_SM_examples"];
        let keys = || {
            SmKeys::new(
                SmCipher::Aes128,
                &h(p["KS_enc"].as_str().unwrap()),
                &h(p["KS_mac"].as_str().unwrap()),
            )
            .unwrap()
        };
        assert_eq!(h(ex["encrypt"]["plain"].as_str().unwrap()), h(mse_data));
        let mut term = SmSession::new(keys(), &[0; 16]).unwrap();
        let mut chip = ChipSmSession::new(keys(), &[0; 16]).unwrap();
        // MSE:Set DST with the example's plaintext; protected at SSC = 1.
        let cmd = CommandApdu::new(0x00, 0x22, 0x81, 0xB6).with_data(h(mse_data));
        let prot = term.wrap(&cmd).unwrap();
        assert_eq!(term.ssc()[15], 1);
        let cipher = h(ex["encrypt"]["cipher"].as_str().unwrap());
        let mut do87 = vec![0x87, (cipher.len() + 1) as u8, 0x01];
        do87.extend(&cipher);
        assert_eq!(&prot.data[..do87.len()], do87.as_slice());
        assert_eq!(prot.cla, 0x0C);
        assert_eq!(chip.unwrap_command(&prot).unwrap(), cmd);
        // Response 9000 at SSC = 2: DO'99' ‖ DO'8E' with the example MAC.
        let mac = h(ex["mac"]["mac"].as_str().unwrap());
        let mut rsp_data = h("99029000 8E08");
        rsp_data.extend(&mac);
        let wrapped = chip
            .wrap_response(&ResponseApdu::status(StatusWord::OK))
            .unwrap();
        assert_eq!(wrapped.data, rsp_data);
        let plain = term
            .unwrap(&ResponseApdu::new(rsp_data, StatusWord::OK))
            .unwrap();
        assert_eq!(plain, ResponseApdu::status(StatusWord::OK));
        assert_eq!(term.ssc()[15], 2);
    }
}

// KDF against the PACE entries (Doc 9303-11 App. G/H/I) and the TR-03110 CA example.
#[test]
fn kdf_against_pace_vectors() {
    let g1 = entry("PACE ECDH Generic Mapping");
    let seed = Sha1::digest(g1["fields"]["MRZ_information"].as_str().unwrap().as_bytes());
    assert_eq!(
        seed.to_vec(),
        f(&g1, "K_seed=SHA1(MRZ_information) (full 20 bytes)")
    );
    assert_eq!(
        derive_key(&seed, KDF_PACE, SmCipher::Aes128),
        f(&g1, "K_pi")
    );
    let i1 = entry("PACE-CAM");
    let seed = Sha1::digest(i1["fields"]["MRZ_information"].as_str().unwrap().as_bytes());
    assert_eq!(
        derive_key(&seed, KDF_PACE, SmCipher::Aes128),
        f(&i1, "K_pi")
    );
    let h1 = entry("PACE ECDH Integrated Mapping");
    assert_eq!(
        derive_key(b"123456", KDF_PACE, SmCipher::Aes128),
        f(&h1, "K_pi")
    );
    for (name, k) in [
        (
            "PACE ECDH Generic Mapping",
            "K (x-coordinate of shared point)",
        ),
        ("PACE DH Generic Mapping", "K (shared secret)"),
        ("PACE ECDH Integrated Mapping", "K"),
        ("PACE DH Integrated Mapping", "K"),
        ("PACE-CAM", "K"),
    ] {
        let e = entry(name);
        let k = f(&e, k);
        assert_eq!(
            derive_key(&k, KDF_ENC, SmCipher::Aes128),
            f(&e, "KS_enc"),
            "{name}"
        );
        assert_eq!(
            derive_key(&k, KDF_MAC, SmCipher::Aes128),
            f(&e, "KS_mac"),
            "{name}"
        );
    }
    let ca = &entry(ECDH)["fields"]["ChipAuthentication_v2"];
    let mut seed = h(ca["K"].as_str().unwrap());
    seed.extend(h(ca["r_PICC"].as_str().unwrap()));
    assert_eq!(
        derive_key(&seed, KDF_ENC, SmCipher::Aes128),
        h(ca["KS_enc=SHA1(K||r||00000001)[0:16]"].as_str().unwrap())
    );
    assert_eq!(
        derive_key(&seed, KDF_MAC, SmCipher::Aes128),
        h(ca["KS_mac=SHA1(K||r||00000002)[0:16]"].as_str().unwrap())
    );
}

// ---------------------------------------------------------------- drive: 61xx / 6Cxx

#[test]
fn drive_handles_get_response_and_wrong_le() {
    // 61xx: GET CHALLENGE answered in two pieces.
    let mut t = Scripted::new(vec![
        (h("0084000008"), h("46086104")),
        (h("00C0000004"), h("F91988706102")),
        (h("00C0000002"), h("22129000")),
    ]);
    let mut stats = ChipStats::default();
    let file = drive_with_stats(GetChallenge(false), &mut t, &mut stats).unwrap();
    assert_eq!(file, h("4608F91988702212"));
    assert_eq!(stats.apdus, 3);
    assert_eq!(stats.get_responses, 2);
    assert_eq!(stats.bytes_sent, 15);
    // 6Cxx: READ BINARY with Le 256 resent with Le 0x16.
    let mut t = Scripted::new(vec![
        (h("00B0000000"), h("6C16")),
        (h("00B0000016"), {
            let mut v = h("60145F0104303130365F36063034303030305C026175");
            v.extend(h("9000"));
            v
        }),
    ]);
    let mut stats = ChipStats::default();
    let file = drive_with_stats(
        ReadFile::current(ReadOptions::plain(256)),
        &mut t,
        &mut stats,
    )
    .unwrap();
    assert_eq!(file.bytes.len(), 22);
    assert_eq!(stats.le_resends, 1);
}

/// A one-command protocol: GET CHALLENGE, 8 bytes.
struct GetChallenge(bool);
impl inspectd::chip::ChipProtocol for GetChallenge {
    type Output = Vec<u8>;
    fn resume(
        &mut self,
        response: Option<ResponseApdu>,
    ) -> Result<inspectd::chip::Step<Vec<u8>>, ChipError> {
        match response {
            None if !self.0 => {
                self.0 = true;
                Ok(inspectd::chip::Step::Transmit(
                    CommandApdu::new(0, 0x84, 0, 0).with_le(8),
                ))
            }
            Some(r) => Ok(inspectd::chip::Step::Done(r.data)),
            None => Err(ChipError::Finished),
        }
    }
}

// ---------------------------------------------------------------- adaptive READ BINARY

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Quirk {
    None,
    /// Answers 6700 to Le above this.
    WrongLengthAbove(usize),
    /// Silently returns at most this many bytes with 9000.
    SilentCap(usize),
    /// Answers 6B00 when offset + Le runs past the end (instead of 6282).
    StrictEnd,
}

/// A chip holding one EF (SFI 2, FID 0102), optionally BAC + SM, with a quirk.
struct FileChip {
    file: Vec<u8>,
    quirk: Quirk,
    max_response: usize,
    selected: bool,
    log: Vec<CommandApdu>,
    bac: Option<(BacKey, [u8; 8])>,
    sm: Option<ChipSmSession>,
    max_seen_response: usize,
}

impl FileChip {
    fn new(file: Vec<u8>, quirk: Quirk) -> Self {
        FileChip {
            file,
            quirk,
            max_response: 256,
            selected: false,
            log: Vec::new(),
            bac: None,
            sm: None,
            max_seen_response: 0,
        }
    }

    fn plain(&mut self, c: &CommandApdu) -> ResponseApdu {
        let sw = |v: u16| ResponseApdu::status(StatusWord(v));
        match c.ins {
            0xA4 => {
                if c.data == [0x01, 0x02] {
                    self.selected = true;
                    sw(0x9000)
                } else {
                    sw(0x6A82)
                }
            }
            0x84 => {
                let rnd = self.bac.as_ref().unwrap().1;
                ResponseApdu::new(rnd.to_vec(), StatusWord::OK)
            }
            0x82 => {
                let (key, rnd) = self.bac.clone().unwrap();
                let (data, keys, ssc) = bac_chip_respond(&key, &rnd, &[7; 16], &c.data).unwrap();
                self.sm = Some(ChipSmSession::new(keys, &ssc).unwrap());
                ResponseApdu::new(data, StatusWord::OK)
            }
            0xB0 | 0xB1 => {
                let (offset, odd) = if c.ins == 0xB1 {
                    let v = &c.data;
                    assert_eq!(v[0], 0x54);
                    let off = v[2..].iter().fold(0usize, |a, b| (a << 8) | *b as usize);
                    (off, true)
                } else if c.p1 & 0x80 != 0 {
                    assert_eq!(c.p1 & 0x1F, 2);
                    self.selected = true;
                    (c.p2 as usize, false)
                } else {
                    (((c.p1 as usize) << 8) | c.p2 as usize, false)
                };
                assert!(self.selected, "READ BINARY without a selected file");
                let le = c.le.unwrap();
                match self.quirk {
                    Quirk::WrongLengthAbove(n) if le > n => return sw(0x6700),
                    Quirk::StrictEnd if offset + le > self.file.len() && !odd => return sw(0x6B00),
                    _ => {}
                }
                if offset >= self.file.len() {
                    return sw(0x6B00);
                }
                let mut n = le;
                if let Quirk::SilentCap(cap) = self.quirk {
                    n = n.min(cap);
                }
                if odd {
                    n -= if n - 2 < 128 {
                        2
                    } else if n - 3 < 256 {
                        3
                    } else {
                        4
                    };
                }
                let end = (offset + n).min(self.file.len());
                let chunk = self.file[offset..end].to_vec();
                let status = if end - offset < n { 0x6282 } else { 0x9000 };
                let data = if odd {
                    inspectd::tlv::encode(0x53, &chunk)
                } else {
                    chunk
                };
                ResponseApdu::new(data, StatusWord(status))
            }
            _ => sw(0x6D00),
        }
    }
}

impl CardTransport for FileChip {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let c = CommandApdu::parse(command).unwrap();
        let rsp = if c.cla & 0x0C == 0x0C {
            let sm = self.sm.as_mut().unwrap();
            let plain = sm.unwrap_command(&c).unwrap();
            self.log.push(plain.clone());
            let r = self.plain(&plain);
            self.sm.as_mut().unwrap().wrap_response(&r).unwrap()
        } else {
            self.log.push(c.clone());
            self.plain(&c)
        };
        self.max_seen_response = self.max_seen_response.max(rsp.data.len());
        assert!(rsp.data.len() <= self.max_response, "response too long");
        Ok(rsp.encode())
    }
    fn max_response_len(&self) -> usize {
        self.max_response
    }
}

/// A DER-ish EF: tag 75 (DG2), definite length, `n` content bytes.
fn ef(n: usize) -> Vec<u8> {
    let mut v = vec![0x75];
    inspectd::tlv::encode_len(n, &mut v);
    v.extend((0..n).map(|i| (i * 7 + 3) as u8));
    v
}

#[test]
fn read_steps_down_on_6700() {
    let file = ef(1000);
    let mut chip = FileChip::new(file.clone(), Quirk::WrongLengthAbove(160));
    let r = drive(ReadFile::by_sfi(2, ReadOptions::plain(256)), &mut chip).unwrap();
    assert_eq!(r.bytes, file);
    assert_eq!(r.stats.block_size, 160);
    assert_eq!(r.stats.step_downs, 2); // 256 -> 224 -> 160
    assert_eq!(chip.log[0].p1, 0x82); // SFI 2 in the first READ BINARY
    assert_eq!(chip.log[0].le, Some(256));
}

#[test]
fn read_adapts_to_a_chip_that_caps_at_160() {
    let file = ef(700);
    let mut chip = FileChip::new(file.clone(), Quirk::SilentCap(160));
    let r = drive(ReadFile::by_fid(0x0102, ReadOptions::plain(256)), &mut chip).unwrap();
    assert_eq!(r.bytes, file);
    assert_eq!(r.stats.block_size, 160);
    assert_eq!(chip.log[0].ins, 0xA4);
}

#[test]
fn read_short_file_on_a_strict_end_chip() {
    let file = ef(48);
    let mut chip = FileChip::new(file.clone(), Quirk::StrictEnd);
    let r = drive(ReadFile::by_sfi(2, ReadOptions::plain(256)), &mut chip).unwrap();
    assert_eq!(r.bytes, file);
    assert!(r.stats.step_downs >= 1);
}

#[test]
fn read_short_file_with_6282() {
    let file = ef(20);
    let mut chip = FileChip::new(file.clone(), Quirk::None);
    let r = drive(ReadFile::by_sfi(2, ReadOptions::plain(256)), &mut chip).unwrap();
    assert_eq!(r.bytes, file);
    assert_eq!(r.stats.apdus, 1);
}

#[test]
fn read_beyond_32767_uses_odd_ins() {
    let file = ef(40_000);
    let mut chip = FileChip::new(file.clone(), Quirk::None);
    let opts = ReadOptions::plain(256).with_max_file_size(1 << 20);
    let r = drive(ReadFile::by_sfi(2, opts), &mut chip).unwrap();
    assert_eq!(r.bytes, file);
    assert!(chip.log.iter().any(|c| c.ins == 0xB1));
    assert!(chip
        .log
        .iter()
        .filter(|c| c.ins == 0xB0)
        .all(|c| c.p1 & 0x80 != 0 || ((c.p1 as usize) << 8 | c.p2 as usize) <= 0x7FFF));
}

#[test]
fn read_larger_than_cap_is_a_typed_error() {
    let mut chip = FileChip::new(ef(70_000), Quirk::None);
    let err = drive(ReadFile::by_sfi(2, ReadOptions::plain(256)), &mut chip).unwrap_err();
    assert_eq!(
        err,
        ChipError::FileTooLarge {
            declared: 70_005,
            max: 65_536
        }
    );
    assert_eq!(chip.log.len(), 1);
}

#[test]
fn read_missing_file_is_not_found() {
    let mut chip = FileChip::new(ef(10), Quirk::None);
    let err = drive(ReadFile::by_fid(0x0103, ReadOptions::plain(256)), &mut chip).unwrap_err();
    assert!(matches!(err, ChipError::NotFound { .. }));
}

#[test]
fn read_extended_length_path() {
    let file = ef(5000);
    let mut chip = FileChip::new(file.clone(), Quirk::None);
    chip.max_response = 65_536;
    let r = drive(ReadFile::by_sfi(2, ReadOptions::plain(65_536)), &mut chip).unwrap();
    assert_eq!(r.bytes, file);
    assert_eq!(r.stats.apdus, 1);
}

fn bac_chip(file: Vec<u8>, quirk: Quirk) -> (FileChip, SecureSession) {
    let key = BacKey::from_mrz_information("T22000129364081251010318");
    let mut chip = FileChip::new(file, quirk);
    chip.bac = Some((key.clone(), [9, 8, 7, 6, 5, 4, 3, 2]));
    let session = drive(Bac::new_with(&key, [1; 8], [2; 16]), &mut chip).unwrap();
    (chip, session)
}

#[test]
fn secured_read_fits_short_responses_exactly() {
    let file = ef(3000);
    let (mut chip, session) = bac_chip(file.clone(), Quirk::None);
    let opts = ReadOptions::secured(&session, 256);
    assert_eq!(opts.max_le, 231);
    let mut rd = Secured::new(session, ReadFile::by_fid(0x0102, opts));
    let r = drive(&mut rd, &mut chip).unwrap();
    assert_eq!(r.bytes, file);
    assert_eq!(r.stats.block_size, 231);
    assert_eq!(chip.max_seen_response, 250);
    assert!(rd.session().is_open());
}

#[test]
fn secured_read_beyond_32767_and_with_step_down() {
    let file = ef(33_000);
    let (mut chip, session) = bac_chip(file.clone(), Quirk::WrongLengthAbove(160));
    let opts = ReadOptions::secured(&session, 256).with_max_file_size(1 << 20);
    let r = drive(Secured::new(session, ReadFile::by_sfi(2, opts)), &mut chip).unwrap();
    assert_eq!(r.bytes, file);
    assert_eq!(r.stats.block_size, 160);
    assert!(chip.log.iter().any(|c| c.ins == 0xB1));
}

#[test]
fn sm_wrap_of_extended_commands() {
    for cipher in [SmCipher::Tdes, SmCipher::Aes256] {
        let keys = || {
            SmKeys::new(
                cipher,
                &vec![3; cipher.key_len()],
                &vec![4; cipher.key_len()],
            )
            .unwrap()
        };
        let ssc = vec![0; cipher.block_len()];
        let mut t = SmSession::new(keys(), &ssc).unwrap();
        let mut c = ChipSmSession::new(keys(), &ssc).unwrap();
        let cmd = CommandApdu::new(0, 0x2A, 0x00, 0xBE)
            .with_data(vec![5; 600])
            .with_le(1000);
        let p = t.wrap(&cmd).unwrap();
        assert!(p.is_extended());
        assert_eq!(p.le, Some(65_536));
        let enc = p.encode();
        assert_eq!(&enc[enc.len() - 2..], &[0, 0]);
        let parsed = CommandApdu::parse(&enc).unwrap();
        assert_eq!(c.unwrap_command(&parsed).unwrap(), cmd);
        let rsp = ResponseApdu::new(vec![6; 1000], StatusWord::OK);
        let pr = c.wrap_response(&rsp).unwrap();
        assert_eq!(t.unwrap(&pr).unwrap(), rsp);
    }
    assert_eq!(max_plain_response_len(SmCipher::Aes128, 256, false), 223);
}

// ---------------------------------------------------------------- properties

fn cipher_strategy() -> impl Strategy<Value = SmCipher> {
    prop_oneof![
        Just(SmCipher::Tdes),
        Just(SmCipher::Aes128),
        Just(SmCipher::Aes192),
        Just(SmCipher::Aes256)
    ]
}

fn setup(cipher: SmCipher, seed: &[u8], ssc_seed: u64) -> (SmSession, ChipSmSession) {
    let ke = derive_key(seed, 1, cipher);
    let km = derive_key(seed, 2, cipher);
    let mut ssc = vec![0u8; cipher.block_len()];
    let n = ssc.len();
    ssc[n - 8..].copy_from_slice(&ssc_seed.to_be_bytes());
    (
        SmSession::new(SmKeys::new(cipher, &ke, &km).unwrap(), &ssc).unwrap(),
        ChipSmSession::new(SmKeys::new(cipher, &ke, &km).unwrap(), &ssc).unwrap(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn sm_round_trip(
        cipher in cipher_strategy(),
        seed in proptest::collection::vec(any::<u8>(), 1..40),
        ssc in any::<u64>(),
        cla in prop_oneof![Just(0u8), Just(0x10u8)],
        ins in any::<u8>(), p1 in any::<u8>(), p2 in any::<u8>(),
        data in proptest::collection::vec(any::<u8>(), 0..400),
        le in proptest::option::of(1usize..=65_536),
        rdata in proptest::collection::vec(any::<u8>(), 0..400),
        sw in any::<u16>(),
    ) {
        let (mut t, mut c) = setup(cipher, &seed, ssc);
        let mut cmd = CommandApdu::new(cla, ins, p1, p2).with_data(data);
        cmd.le = le;
        let p = t.wrap(&cmd).unwrap();
        let wire = CommandApdu::parse(&p.encode()).unwrap();
        prop_assert_eq!(c.unwrap_command(&wire).unwrap(), cmd);
        let rsp = ResponseApdu::new(rdata, StatusWord(sw));
        let pr = c.wrap_response(&rsp).unwrap();
        let wire = ResponseApdu::parse(&pr.encode()).unwrap();
        prop_assert_eq!(t.unwrap(&wire).unwrap(), rsp);
        prop_assert_eq!(t.ssc(), c.ssc());
    }

    #[test]
    fn sm_any_bit_flip_is_an_error(
        cipher in cipher_strategy(),
        seed in proptest::collection::vec(any::<u8>(), 1..40),
        ssc in any::<u64>(),
        rdata in proptest::collection::vec(any::<u8>(), 0..300),
        bit in any::<proptest::sample::Index>(),
    ) {
        let (mut t, mut c) = setup(cipher, &seed, ssc);
        let p = t.wrap(&CommandApdu::new(0, 0xB0, 0, 0).with_le(200)).unwrap();
        c.unwrap_command(&p).unwrap();
        let pr = c.wrap_response(&ResponseApdu::new(rdata, StatusWord::OK)).unwrap();
        let mut wire = pr.encode();
        let i = bit.index(wire.len() * 8);
        wire[i / 8] ^= 1 << (i % 8);
        let r = ResponseApdu::parse(&wire).map_err(|_| ()).and_then(|r| t.unwrap(&r).map_err(|_| ()));
        prop_assert!(r.is_err());
    }

    #[test]
    fn command_apdu_round_trip(
        cla in any::<u8>(), ins in any::<u8>(), p1 in any::<u8>(), p2 in any::<u8>(),
        data in proptest::collection::vec(any::<u8>(), 0..600),
        le in proptest::option::of(1usize..=65_536),
    ) {
        let mut cmd = CommandApdu::new(cla, ins, p1, p2).with_data(data);
        cmd.le = le;
        prop_assert_eq!(CommandApdu::parse(&cmd.encode()).unwrap(), cmd);
    }
}

#[test]
fn file_ref_is_copy() {
    let r = FileRef::Sfi(1);
    let _ = (r, r);
}

#[test]
fn sm_in_order_do85_with_valid_mac_but_bad_cryptogram() {
    // The negative case above with its data objects in Doc 9303 order: the MAC verifies
    // (computed over DO'85' ‖ DO'99'), then the 1-byte cryptogram cannot be decrypted.
    let e = entry(NEG);
    let mut s = neg_session(&e);
    let rsp = ResponseApdu::parse(&h("85020100990290008E08194723B5965AA0819000")).unwrap();
    assert_eq!(s.unwrap(&rsp), Err(SmError::BadCryptogram { tag: 0x85 }));
    assert!(!s.is_open());
}
