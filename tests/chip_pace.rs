//! PACE (Doc 9303-11 §4.4): the worked examples of Appendices G, H and I and the BSI TR-03110
//! "Worked Example for EAC v1.01" reproduced byte for byte through the terminal state machine,
//! from `testdata/vectors/doc9303-worked-examples.json` (copied from the project's shared
//! reference set; each entry names its source).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use inspectd::apdu::{CommandApdu, ResponseApdu};
use inspectd::chip::pace::{
    Pace, PaceError, PaceEstablished, PaceParams, PacePassword, PaceSecrets,
};
use inspectd::chip::{ChipError, ChipProtocol, Step};
use inspectd::lds::oid::Mapping;
use inspectd::lds::security_infos::SecurityInfos;
use inspectd::sm::{derive_key, SmCipher, KDF_ENC, KDF_MAC};
use num_bigint::BigUint;
use rand_core::SeedableRng;
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let s = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/vectors/doc9303-worked-examples.json"
    ))
    .unwrap();
    serde_json::from_str(&s).unwrap()
}

fn vector(prefix: &str) -> Value {
    vectors()
        .into_iter()
        .find(|v| v["name"].as_str().unwrap().starts_with(prefix))
        .unwrap_or_else(|| panic!("vector {prefix}"))["fields"]
        .clone()
}

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}

fn hv(v: &Value) -> Vec<u8> {
    h(v.as_str().unwrap())
}

fn point(v: &Value) -> Vec<u8> {
    match v {
        Value::String(s) => h(s),
        _ => {
            let mut p = vec![0x04];
            p.extend(hv(&v["x"]));
            p.extend(hv(&v["y"]));
            p
        }
    }
}

fn uint(v: &Value) -> BigUint {
    BigUint::from_bytes_be(&hv(v))
}

fn rsp(hex_with_sw: &str) -> ResponseApdu {
    ResponseApdu::parse(&h(hex_with_sw)).unwrap()
}

/// Drives `pace` through `steps`: each is (expected command or None, response with SW).
fn run(
    mut pace: Pace,
    steps: &[(Option<Vec<u8>>, ResponseApdu)],
) -> Result<PaceEstablished, ChipError> {
    let mut last = None;
    let mut i = 0;
    loop {
        match pace.resume(last.take())? {
            Step::Done(out) => {
                assert_eq!(i, steps.len(), "finished early");
                return Ok(out);
            }
            Step::Transmit(cmd) => {
                let (want, r) = &steps[i];
                if let Some(want) = want {
                    assert_eq!(
                        hex::encode_upper(cmd.encode()),
                        hex::encode_upper(want),
                        "command {i}"
                    );
                }
                last = Some(r.clone());
                i += 1;
            }
        }
    }
}

fn transcript(f: &Value) -> Vec<(Option<Vec<u8>>, ResponseApdu)> {
    f["apdus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                Some(hv(&a["command"])),
                rsp(a["response"].as_str().unwrap()),
            )
        })
        .collect()
}

fn oid_bytes(dotted_tail: &[u8]) -> Vec<u8> {
    // id-PACE 0.4.0.127.0.7.2.2.4 followed by the mapping and cipher arcs.
    let mut o = vec![0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04];
    o.extend_from_slice(dotted_tail);
    o
}

#[test]
fn g1_ecdh_gm_brainpool_p256() {
    // "PACE ECDH Generic Mapping, brainpoolP256r1, AES-128 (Doc 9303-11 App. G.1)"
    let f = vector("PACE ECDH Generic Mapping");
    let ca = hv(&f["EF.CardAccess"]);
    let infos = SecurityInfos::parse_card_access(&ca).unwrap();
    let params = PaceParams::select(&infos).unwrap();
    assert!(
        !params.send_parameter_ref,
        "one PACEInfo: no DO'84' (as the ICAO transcript)"
    );
    let pw = PacePassword::Mrz(f["MRZ_information"].as_str().unwrap().into());
    assert_eq!(pw.k_pi(SmCipher::Aes128), hv(&f["K_pi"]));
    let secrets = PaceSecrets {
        sk_map: uint(&f["SK_map_IFD"]),
        sk_eph: uint(&f["SK_eph_IFD"]),
        t: Vec::new(),
    };
    let out = run(Pace::with_secrets(params, &pw, secrets), &transcript(&f)).unwrap();
    assert_eq!(out.summary.mapping, Mapping::Generic);
    assert_eq!(out.chip_ephemeral_public_key, point(&f["PK_eph_IC"]));
    assert!(out.cam.is_none());
    // KS from the example's K (the tokens above already prove K and KS_mac).
    let k = hv(&f["K (x-coordinate of shared point)"]);
    assert_eq!(derive_key(&k, KDF_ENC, SmCipher::Aes128), hv(&f["KS_enc"]));
    assert_eq!(derive_key(&k, KDF_MAC, SmCipher::Aes128), hv(&f["KS_mac"]));
}

#[test]
fn g1_with_parameter_reference_as_gmrtd_sends_it() {
    // The same run with DO'84' (gmrtd's transcript): MSE differs, the rest is identical.
    let f = vector("PACE ECDH Generic Mapping");
    let mut params = PaceParams::standardized(&oid_bytes(&[2, 2]), 13).unwrap();
    params.send_parameter_ref = true;
    let pw = PacePassword::Mrz(f["MRZ_information"].as_str().unwrap().into());
    let secrets = PaceSecrets {
        sk_map: uint(&f["SK_map_IFD"]),
        sk_eph: uint(&f["SK_eph_IFD"]),
        t: Vec::new(),
    };
    let mut steps = transcript(&f);
    steps[0].0 = Some(h("0022C1A412800A04007F0007020204020283010184010D"));
    run(Pace::with_secrets(params, &pw, secrets), &steps).unwrap();
}

#[test]
fn mse_retries_once_without_parameter_reference() {
    let f = vector("PACE ECDH Generic Mapping");
    let mut params = PaceParams::standardized(&oid_bytes(&[2, 2]), 13).unwrap();
    params.send_parameter_ref = true;
    let pw = PacePassword::Mrz(f["MRZ_information"].as_str().unwrap().into());
    let secrets = PaceSecrets {
        sk_map: uint(&f["SK_map_IFD"]),
        sk_eph: uint(&f["SK_eph_IFD"]),
        t: Vec::new(),
    };
    let mut steps = vec![(
        Some(h("0022C1A412800A04007F0007020204020283010184010D")),
        rsp("6A80"),
    )];
    steps.extend(transcript(&f));
    run(Pace::with_secrets(params, &pw, secrets), &steps).unwrap();
}

#[test]
fn g2_dh_gm_modp1024() {
    // "PACE DH Generic Mapping, 1024-bit MODP group (RFC 5114 §2.1, parameterId 0), AES-128
    // (Doc 9303-11 App. G.2)"
    let f = vector("PACE DH Generic Mapping");
    let ca = hv(&f["EF.CardAccess"]);
    let params = PaceParams::select(&SecurityInfos::parse_card_access(&ca).unwrap()).unwrap();
    let pw = PacePassword::Mrz(f["MRZ_information"].as_str().unwrap().into());
    let secrets = PaceSecrets {
        sk_map: uint(&f["SK_map_IFD"]),
        sk_eph: uint(&f["SK_eph_IFD"]),
        t: Vec::new(),
    };
    let out = run(Pace::with_secrets(params, &pw, secrets), &transcript(&f)).unwrap();
    assert_eq!(out.chip_ephemeral_public_key, hv(&f["PK_eph_IC"]));
    // The chip's GA4 answer carries the CAR 'DETESTCVCA00003' in DO'87'.
    assert_eq!(out.car, vec![b"DETESTCVCA00003".to_vec()]);
}

#[test]
fn h1_ecdh_im_brainpool_p256() {
    // "PACE ECDH Integrated Mapping, brainpoolP256r1, AES-128 (Doc 9303-11 App. H.1)";
    // password "123456" (see the vector's notes). The transcript has no MSE:Set AT.
    let f = vector("PACE ECDH Integrated Mapping");
    let params = PaceParams::standardized(&oid_bytes(&[4, 2]), 13).unwrap();
    let pw = PacePassword::Pin("123456".into());
    assert_eq!(pw.k_pi(SmCipher::Aes128), hv(&f["K_pi"]));
    let t = hv(&f["terminal_nonce_t (sent in GA step2 tag 81)"]);
    // R(s,t) itself (Appendix H.1 lists the raw PRF output).
    let raw = inspectd::chip::pace::im_prf(
        SmCipher::Aes128,
        &hv(&f["nonce_s"]),
        &t,
        params.group.prime(),
    )
    .unwrap();
    assert_eq!(raw, hv(&f["R(s,t)_raw_output"]));
    let secrets = PaceSecrets {
        sk_map: BigUint::from(1u8),
        sk_eph: uint(&f["SK_eph_IFD"]),
        t,
    };
    let mut steps = vec![(None, rsp("9000"))];
    steps.extend(transcript(&f));
    let out = run(Pace::with_secrets(params, &pw, secrets), &steps).unwrap();
    assert_eq!(out.summary.mapping, Mapping::Integrated);
    assert_eq!(out.chip_ephemeral_public_key, point(&f["PK_eph_IC"]));
}

#[test]
fn h2_dh_im_modp1024() {
    // "PACE DH Integrated Mapping, 1024-bit MODP (parameterId 0), AES-128 (Doc 9303-11 App.
    // H.2)"; password "123456".
    let f = vector("PACE DH Integrated Mapping");
    let params = PaceParams::standardized(&oid_bytes(&[3, 2]), 0).unwrap();
    let pw = PacePassword::Pin("123456".into());
    let t = hv(&f["terminal_nonce_t"]);
    let raw = inspectd::chip::pace::im_prf(
        SmCipher::Aes128,
        &hv(&f["nonce_s"]),
        &t,
        params.group.prime(),
    )
    .unwrap();
    assert_eq!(raw, hv(&f["R(s,t)_raw_output"]));
    let secrets = PaceSecrets {
        sk_map: BigUint::from(1u8),
        sk_eph: uint(&f["SK_eph_IFD"]),
        t,
    };
    let mut steps = vec![(None, rsp("9000"))];
    steps.extend(transcript(&f));
    let out = run(Pace::with_secrets(params, &pw, secrets), &steps).unwrap();
    assert_eq!(out.chip_ephemeral_public_key, hv(&f["PK_eph_IC"]));
}

#[test]
fn i1_ecdh_cam_brainpool_p256() {
    // "PACE-CAM (ECDH Chip Authentication Mapping), brainpoolP256r1, AES-128 (Doc 9303-11
    // App. I.1)"
    let f = vector("PACE-CAM");
    let params = PaceParams::standardized(&oid_bytes(&[6, 2]), 13).unwrap();
    let pw = PacePassword::Mrz(f["MRZ_information"].as_str().unwrap().into());
    assert_eq!(pw.k_pi(SmCipher::Aes128), hv(&f["K_pi"]));
    let secrets = PaceSecrets {
        sk_map: uint(&f["SK_map_IFD"]),
        sk_eph: uint(&f["SK_eph_IFD"]),
        t: Vec::new(),
    };
    let out = run(Pace::with_secrets(params, &pw, secrets), &transcript(&f)).unwrap();
    let cam = out.cam.expect("CAM data");
    // The static key from ChipAuthenticationPublicKeyInfo, found the way EF.CardSecurity is
    // searched (wrapped in a SET as SecurityInfos).
    let pk_info = hv(&f["ChipAuthenticationPublicKeyInfo (EF.CardSecurity/DG14)"]);
    let mut set = vec![0x31, pk_info.len() as u8];
    set.extend(&pk_info);
    let infos = SecurityInfos::parse_in(inspectd::lds::FileId::CardSecurity, &set, 0).unwrap();
    let ok = cam.verify_with_infos(&infos).unwrap();
    assert_eq!(ok.static_public_key(), point(&f["PK_IC_static"]).as_slice());
    // Another static key (the generator) does not match: a clone.
    let g = inspectd::crypto::ec::Curve::by_parameter_id(13).unwrap();
    assert_eq!(cam.verify(&g.encode(&g.g)), Err(PaceError::CamMismatch));
}

#[test]
fn bsi_eac_worked_example_ecdh_gm_pin() {
    // "BSI TR-03110 'Worked Example for EAC v1.01' - ECDH (brainpoolP256r1): PACE-GM with PIN"
    let f = vector("BSI TR-03110 'Worked Example for EAC v1.01' - ECDH");
    let p = &f["PACE"];
    let ca = hv(&f["EF.CardAccess"]);
    let infos = SecurityInfos::parse_card_access(&ca).unwrap();
    let params = PaceParams::select(&infos).unwrap();
    assert_eq!(params.parameter_id, Some(13));
    let pw = PacePassword::Pin("123456".into());
    assert_eq!(pw.k_pi(SmCipher::Aes128), hv(&p["K_pi"]));
    let secrets = PaceSecrets {
        sk_map: uint(&p["SK_map_PCD"]),
        sk_eph: uint(&p["SK_eph_PCD"]),
        t: Vec::new(),
    };
    let ga = |cla: u8, tag: u8, v: &[u8]| {
        let mut inner = vec![tag, v.len() as u8];
        inner.extend(v);
        let mut d = vec![0x7C, inner.len() as u8];
        d.extend(inner);
        Some(
            CommandApdu::new(cla, 0x86, 0, 0)
                .with_data(d)
                .with_le(256)
                .encode(),
        )
    };
    let resp = |tag: u8, v: &[u8]| {
        let mut d = vec![0x7C, (v.len() + 2) as u8, tag, v.len() as u8];
        d.extend(v);
        ResponseApdu::new(d, inspectd::apdu::StatusWord(0x9000))
    };
    let steps = vec![
        (None, rsp("9000")),
        (
            Some(h("10860000027C0000")),
            resp(0x80, &hv(&p["encrypted_nonce"])),
        ),
        (
            ga(0x10, 0x81, &hv(&p["PK_map_PCD"])),
            resp(0x82, &hv(&p["PK_map_PICC"])),
        ),
        (
            ga(0x10, 0x83, &hv(&p["PK_eph_PCD"])),
            resp(0x84, &hv(&p["PK_eph_PICC"])),
        ),
        (
            ga(0x00, 0x85, &hv(&p["T_PCD"])),
            resp(0x86, &hv(&p["T_PICC"])),
        ),
    ];
    run(Pace::with_secrets(params, &pw, secrets), &steps).unwrap();
}

#[test]
fn bsi_eac_worked_example_dh_gm_pin() {
    // "BSI TR-03110 'Worked Example for EAC v1.01' - DH (1024-bit MODP, parameterId 0)": the
    // same keys as G.2 with the PIN as password and a 1024-bit SK_map,PCD.
    let g2 = vector("PACE DH Generic Mapping");
    let f = vector("BSI TR-03110 'Worked Example for EAC v1.01' - DH");
    let p = &f["PACE"];
    let params = PaceParams::standardized(&oid_bytes(&[1, 2]), 0).unwrap();
    let pw = PacePassword::Pin("123456".into());
    let secrets = PaceSecrets {
        sk_map: uint(&p["SK_map_PCD(1024-bit)"]),
        sk_eph: uint(&g2["SK_eph_IFD"]),
        t: Vec::new(),
    };
    let mut steps = transcript(&g2);
    steps[0].0 = Some(h("0022C1A40F800A04007F00070202040102830103"));
    let z = hv(&p["encrypted_nonce"]);
    let mut d = vec![0x7C, 0x12, 0x80, 0x10];
    d.extend(&z);
    steps[1].1 = ResponseApdu::new(d, inspectd::apdu::StatusWord(0x9000));
    run(Pace::with_secrets(params, &pw, secrets), &steps).unwrap();
}

#[test]
fn oversized_or_unaligned_nonce_is_refused() {
    let f = vector("PACE ECDH Generic Mapping");
    let pw = PacePassword::Mrz(f["MRZ_information"].as_str().unwrap().into());
    for len in [15usize, 80] {
        let params = PaceParams::standardized(&oid_bytes(&[2, 2]), 13).unwrap();
        let secrets = PaceSecrets {
            sk_map: uint(&f["SK_map_IFD"]),
            sk_eph: uint(&f["SK_eph_IFD"]),
            t: Vec::new(),
        };
        let mut d = vec![0x7C, (len + 2) as u8, 0x80, len as u8];
        d.extend(vec![0xAB; len]);
        let steps = vec![
            (None, rsp("9000")),
            (
                None,
                ResponseApdu::new(d, inspectd::apdu::StatusWord(0x9000)),
            ),
        ];
        let e = run(Pace::with_secrets(params, &pw, secrets), &steps).unwrap_err();
        assert_eq!(e, ChipError::Pace(PaceError::BadNonce { len }));
    }
}

/// The chip side answers the example's commands with the example's responses, byte for byte.
fn chip_side_reproduces(prefix: &str, oid_tail: &[u8], id: u64) {
    use inspectd::chip::pace::chip_side::{ChipSecrets, PaceChip, PaceChipConfig};
    let f = vector(prefix);
    let cfg = PaceChipConfig {
        protocols: vec![PaceParams::standardized(&oid_bytes(oid_tail), id).unwrap()],
        passwords: vec![PacePassword::Mrz(
            f["MRZ_information"].as_str().unwrap().into(),
        )],
        cam_secret: None,
    };
    let mut chip = PaceChip::with_secrets(ChipSecrets {
        s: hv(&f["nonce_s"]),
        sk_map: uint(&f["SK_map_IC"]),
        sk_eph: uint(&f["SK_eph_IC"]),
    });
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(0);
    for (i, a) in f["apdus"].as_array().unwrap().iter().enumerate() {
        let cmd = CommandApdu::parse(&hv(&a["command"])).unwrap();
        let r = if cmd.ins == 0x22 {
            chip.mse_set_at(&cfg, &cmd.data)
        } else {
            chip.general_authenticate(&cfg, &cmd, &mut rng, &[])
        };
        let mut want = hv(&a["response"]);
        if a.get("note").is_some() {
            // G.2's chip also sends a CAR in DO'87' (EAC); ours sends T_IC only.
            want = [&[0x7C, 0x0A], &want[2..12], &[0x90, 0x00][..]].concat();
        }
        assert_eq!(
            hex::encode_upper(r.response.encode()),
            hex::encode_upper(&want),
            "{prefix} step {i}"
        );
        assert_eq!(r.established.is_some(), i == 4);
    }
}

#[test]
fn chip_side_reproduces_g1_and_g2() {
    chip_side_reproduces("PACE ECDH Generic Mapping", &[2, 2], 13);
    chip_side_reproduces("PACE DH Generic Mapping", &[1, 2], 0);
}
