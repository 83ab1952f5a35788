//! LDS parser tests: spec vectors (named by their entry in
//! `testdata/vectors/doc9303-worked-examples.json`), generated round trips, malformed input.
// Helpers outside #[test] fns are test code too.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use inspectd::lds::dg2::FaceEncoding;
use inspectd::lds::image::ImageFormat;
use inspectd::lds::oid::{Cipher, KeyAgreement, Mapping};
use inspectd::lds::security_infos::{SecurityInfo, SecurityInfos};
use inspectd::lds::spki::{DomainParameters, PublicKey};
use inspectd::lds::{self, FileId, Invalid, LdsError, LdsFile};
use inspectd::testkit::lds_gen::{self, FaceSpec};
use inspectd::tlv::TlvError;
use proptest::prelude::*;
use sha2::{Digest, Sha256};

const VECTORS: &str = include_str!("../testdata/vectors/doc9303-worked-examples.json");

fn entry(name_prefix: &str) -> serde_json::Value {
    let all: serde_json::Value = serde_json::from_str(VECTORS).unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"].as_str().unwrap().starts_with(name_prefix))
        .unwrap_or_else(|| panic!("no entry {name_prefix}"))
        .clone()
}

fn hx(v: &serde_json::Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

const LDS_VECTORS: &str =
    "LDS parsing vectors: EF.COM, EF.DG1 (TD3), EF.CardAccess (PACEInfo), SecurityInfos";
const MUSTERMANN: &str = "BSI TR-03105 Part 5 Reference Data Set ('Mustermann' EAC passport)";
const G1: &str = "PACE ECDH Generic Mapping, brainpoolP256r1, AES-128 (Doc 9303-11 App. G.1)";
const I1: &str =
    "PACE-CAM (ECDH Chip Authentication Mapping), brainpoolP256r1, AES-128 (Doc 9303-11 App. I.1)";
const D4: &str =
    "Secure messaging 3DES worked example: SELECT EF.COM + 2x READ BINARY (Doc 9303-11 App. D.4)";
const BSI_EAC: &str = "BSI TR-03110 'Worked Example for EAC v1.01' - ECDH";

// ------------------------------------------------------------------------------------------
// Spec vectors
// ------------------------------------------------------------------------------------------

#[test]
fn lds_vectors_ef_com() {
    let e = entry(LDS_VECTORS);
    for key in ["EF.COM_1", "EF.COM_2"] {
        let f = &e["fields"][key];
        let bytes = hx(&f["hex"]);
        let LdsFile::Com(com) = lds::parse(&bytes).unwrap() else {
            panic!("not EF.COM")
        };
        assert_eq!(com.lds_version.raw, f["LDS_version"].as_str().unwrap());
        assert_eq!(
            com.unicode_version.raw,
            f["unicode_version"].as_str().unwrap()
        );
        assert_eq!(com.tag_list, hx(&f["tag_list"]).as_slice());
    }
    let com2 = hx(&e["fields"]["EF.COM_2"]["hex"]);
    let LdsFile::Com(com) = lds::parse(&com2).unwrap() else {
        panic!()
    };
    assert_eq!(com.lds_version.dotted(), "1.7");
    assert_eq!(
        com.files(),
        vec![FileId::Dg1, FileId::Dg2, FileId::Dg3, FileId::Dg14]
    );
}

#[test]
fn lds_vectors_dg1_td3() {
    let e = entry(LDS_VECTORS);
    let f = &e["fields"]["EF.DG1_TD3"];
    let bytes = hx(&f["hex"]);
    let LdsFile::Dg1(dg1) = lds::parse(&bytes).unwrap() else {
        panic!()
    };
    assert_eq!(dg1.mrz_text, f["mrz"].as_str().unwrap());
    assert_eq!(dg1.raw, bytes.as_slice());
}

#[test]
fn lds_vectors_card_access_pace_info() {
    let e = entry(LDS_VECTORS);
    let f = &e["fields"]["EF.CardAccess_ICAO_G1"];
    let bytes = hx(&f["hex"]);
    let LdsFile::CardAccess(ca) = lds::parse(&bytes).unwrap() else {
        panic!()
    };
    let p = ca.pace_infos().next().unwrap();
    assert_eq!(
        p.protocol.dotted(),
        f["PACEInfo"]["protocol"].as_str().unwrap()
    );
    assert_eq!(p.version, f["PACEInfo"]["version"].as_u64().unwrap());
    assert_eq!(p.parameter_id, f["PACEInfo"]["parameterId"].as_u64());
}

#[test]
fn bsi_worked_example_card_access() {
    let e = entry(LDS_VECTORS);
    let f = &e["fields"]["EF.CardAccess_BSI_worked_example"];
    let bytes = hx(&f["hex"]);
    // The same file is in the BSI EAC worked example entry.
    assert_eq!(bytes, hx(&entry(BSI_EAC)["fields"]["EF.CardAccess"]));
    let LdsFile::CardAccess(ca) = lds::parse(&bytes).unwrap() else {
        panic!()
    };
    let oids: Vec<String> = ca.infos.iter().map(SecurityInfo::protocol_dotted).collect();
    let want: Vec<String> = f["SecurityInfo_OIDs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(oids, want);
    let SecurityInfo::TerminalAuthentication(ta) = &ca.infos[0] else {
        panic!()
    };
    assert_eq!(ta.version, 2);
    let SecurityInfo::ChipAuthentication(cai) = &ca.infos[1] else {
        panic!()
    };
    assert_eq!(cai.version, 2);
    assert_eq!(cai.key_id, Some(1));
    let d = cai.decoded.unwrap();
    assert_eq!(
        (d.key_agreement, d.cipher),
        (KeyAgreement::Ecdh, Cipher::Aes128CbcCmac)
    );
    let SecurityInfo::Pace(p) = &ca.infos[2] else {
        panic!()
    };
    assert_eq!(p.decoded.unwrap().mapping, Mapping::Generic);
    assert_eq!(p.parameter_id, Some(13));
    let SecurityInfo::ChipAuthenticationDomainParameter(dp) = &ca.infos[3] else {
        panic!()
    };
    assert_eq!(dp.key_agreement, Some(KeyAgreement::Ecdh));
    assert_eq!(
        dp.domain_parameter.domain,
        DomainParameters::Standardized(13)
    );
    assert_eq!(dp.key_id, Some(1));
    assert!(matches!(ca.infos[4], SecurityInfo::Other(_))); // CardInfoLocator
    assert!(matches!(ca.infos[5], SecurityInfo::Other(_))); // PrivilegedTerminalInfo
                                                            // Raw spans are exact sub-slices, in file order.
    let joined: Vec<u8> = ca.infos.iter().flat_map(|i| i.raw().to_vec()).collect();
    assert!(bytes.ends_with(&joined));
}

#[test]
fn g1_card_access() {
    let bytes = hx(&entry(G1)["fields"]["EF.CardAccess"]);
    let s = SecurityInfos::parse_card_access(&bytes).unwrap();
    let p = s.pace_infos().next().unwrap();
    assert_eq!(p.protocol.dotted(), "0.4.0.127.0.7.2.2.4.2.2");
    assert_eq!((p.version, p.parameter_id), (2, Some(13)));
    let d = p.decoded.unwrap();
    assert_eq!(
        (d.key_agreement, d.mapping, d.cipher),
        (KeyAgreement::Ecdh, Mapping::Generic, Cipher::Aes128CbcCmac)
    );
}

#[test]
fn i1_chip_authentication_public_key_info() {
    let e = entry(I1);
    let info = hx(&e["fields"]["ChipAuthenticationPublicKeyInfo (EF.CardSecurity/DG14)"]);
    let set = lds_gen::encode_security_infos(std::slice::from_ref(&info));
    let s = SecurityInfos::parse_card_access(&set).unwrap();
    let pk = s.chip_authentication_public_keys().next().unwrap();
    assert_eq!(pk.protocol.dotted(), "0.4.0.127.0.7.2.2.1.2");
    assert_eq!(pk.key_agreement, KeyAgreement::Ecdh);
    assert_eq!(pk.key_id, Some(13));
    assert_eq!(pk.raw, info.as_slice());
    assert_eq!(
        pk.public_key.algorithm.algorithm.dotted(),
        "0.4.0.127.0.7.1.2"
    );
    assert_eq!(
        pk.public_key.algorithm.domain,
        DomainParameters::Standardized(13)
    );
    let PublicKey::Ec { point } = pk.public_key.key else {
        panic!()
    };
    let x = hx(&e["fields"]["PK_IC_static"]["x"]);
    let y = hx(&e["fields"]["PK_IC_static"]["y"]);
    assert_eq!(point, [&[0x04][..], &x, &y].concat().as_slice());
    // Also inside DG14.
    let dg14 = lds_gen::encode_dg14(&[info]);
    let LdsFile::Dg14(d) = lds::parse(&dg14).unwrap() else {
        panic!()
    };
    assert_eq!(d.chip_authentication_public_keys().count(), 1);
}

#[test]
fn d4_ef_com() {
    let e = entry(D4);
    let bytes = hx(&e["fields"]["EF.COM"]);
    let LdsFile::Com(com) = lds::parse(&bytes).unwrap() else {
        panic!()
    };
    assert_eq!(com.lds_version.raw, "0106");
    assert_eq!(com.unicode_version.raw, "040000");
    assert_eq!(com.files(), vec![FileId::Dg1, FileId::Dg2]);
}

#[test]
fn mustermann_com_dg1() {
    let e = entry(MUSTERMANN);
    let com = hx(&e["fields"]["EF.COM"]);
    let LdsFile::Com(c) = lds::parse(&com).unwrap() else {
        panic!()
    };
    assert_eq!(c.lds_version.dotted(), "1.7");
    assert_eq!(
        c.files(),
        vec![
            FileId::Dg1,
            FileId::Dg2,
            FileId::Dg3,
            FileId::Dg4,
            FileId::Dg14
        ]
    );
    let dg1 = hx(&e["fields"]["EF.DG1"]);
    let LdsFile::Dg1(d) = lds::parse(&dg1).unwrap() else {
        panic!()
    };
    assert_eq!(d.mrz_text, e["fields"]["DG1_MRZ"].as_str().unwrap());
}

#[test]
fn mustermann_sod() {
    let e = entry(MUSTERMANN);
    let sod_bytes = hx(&e["fields"]["EF.SOD_hex"]);
    let LdsFile::Sod(sod) = lds::parse(&sod_bytes).unwrap() else {
        panic!()
    };
    let lso = &sod.lds_security_object;
    let want = &e["fields"]["LDSSecurityObject"];
    assert_eq!(lso.version, want["version"].as_u64().unwrap());
    assert_eq!(
        lso.hash_algorithm.algorithm.dotted(),
        "2.16.840.1.101.3.4.2.1" // sha256
    );
    let hashes = want["dataGroupHashes"].as_object().unwrap();
    assert_eq!(lso.data_group_hashes.len(), hashes.len());
    for (n, h) in hashes {
        let n: u8 = n.parse().unwrap();
        assert_eq!(lso.hash_of(n).unwrap(), hx(h).as_slice(), "DG{n}");
    }
    assert!(!sod.legacy_content_type);
    // DG1's hash in the SOD is SHA-256 of the raw DG1 bytes.
    let dg1 = hx(&e["fields"]["EF.DG1"]);
    assert_eq!(lso.hash_of(1).unwrap(), Sha256::digest(&dg1).as_slice());
    let sd = &sod.signed_data;
    assert_eq!(sd.version, 3);
    assert_eq!(sd.digest_algorithms.len(), 1);
    assert_eq!(sd.certificates.len(), 1);
    // The DS certificate is kept as raw DER: its hash matches the entry.
    assert_eq!(
        hex::encode_upper(Sha256::digest(sd.certificates[0])),
        e["fields"]["DS_cert"]["sha256"].as_str().unwrap()
    );
    assert!(sd.crls.is_empty());
    assert_eq!(sd.signer_infos.len(), 1);
    let si = &sd.signer_infos[0];
    assert_eq!(si.version, 1);
    assert_eq!(si.sid_kind, lds::cms::SidKind::IssuerAndSerialNumber);
    assert_eq!(
        si.digest_algorithm.algorithm.dotted(),
        "2.16.840.1.101.3.4.2.1"
    );
    assert_eq!(
        si.signature_algorithm.algorithm.dotted(),
        "1.2.840.113549.1.1.10"
    );
    assert_eq!(si.signature.len(), 256);
    let sa = si.signed_attrs.unwrap();
    assert_eq!(sa[0], 0xA0);
    // messageDigest (inside signedAttrs) is SHA-256 of eContent: the span is exact.
    let md = Sha256::digest(sd.econtent);
    assert!(sa.windows(32).any(|w| w == md.as_slice()));
}

// ------------------------------------------------------------------------------------------
// Generated files round trip
// ------------------------------------------------------------------------------------------

fn generated(name: &str) -> Vec<u8> {
    lds_gen::generate()
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap()
        .1
}

#[test]
fn generated_files_identify_and_parse() {
    let expect = [
        ("EF_COM.bin", FileId::Com),
        ("DG1.bin", FileId::Dg1),
        ("DG2.bin", FileId::Dg2),
        ("DG11.bin", FileId::Dg11),
        ("DG12.bin", FileId::Dg12),
        ("DG14.bin", FileId::Dg14),
        ("DG15.bin", FileId::Dg15),
        ("EF_CardAccess.bin", FileId::CardAccess),
        ("EF_SOD.bin", FileId::Sod),
    ];
    let files = lds_gen::generate();
    assert_eq!(files.len(), expect.len());
    for ((name, bytes), (want_name, id)) in files.iter().zip(expect) {
        assert_eq!(name, want_name);
        assert_eq!(lds::identify(bytes), Some(id), "{name}");
        assert_eq!(lds::parse(bytes).unwrap().id(), id, "{name}");
    }
}

#[test]
fn generated_round_trip_fields() {
    let mrz = lds_gen::specimen_mrz();
    let dg1_bytes = generated("DG1.bin");
    let LdsFile::Dg1(d) = lds::parse(&dg1_bytes).unwrap() else {
        panic!()
    };
    assert_eq!(d.mrz_text, format!("{}{}", mrz[0], mrz[1]));
    assert_eq!(d.mrz().unwrap().lines(), mrz.to_vec());

    let com_bytes = generated("EF_COM.bin");
    let LdsFile::Com(c) = lds::parse(&com_bytes).unwrap() else {
        panic!()
    };
    assert_eq!(c.lds_version.dotted(), "1.8");
    assert_eq!(c.files().len(), 6);

    let dg2_bytes = generated("DG2.bin");
    let LdsFile::Dg2(d) = lds::parse(&dg2_bytes).unwrap() else {
        panic!()
    };
    assert_eq!(d.faces.len(), 1);
    let f = &d.faces[0];
    assert_eq!(f.encoding, FaceEncoding::Iso19794_5);
    assert_eq!((f.width, f.height), (Some(413), Some(531)));
    assert_eq!(f.format, ImageFormat::Jpeg);
    assert_eq!(f.image.len(), 25 * 1024);
    assert_eq!(
        f.image,
        lds_gen::fake_jpeg(25 * 1024, lds_gen::GenParams::default().seed)
    );
    assert_eq!(
        &dg2_bytes[f.image_offset..f.image_offset + 4],
        &f.image[..4]
    );
    assert_eq!(d.group.templates[0].bht.format_type, Some(0x0008));

    let dg11_bytes = generated("DG11.bin");
    let LdsFile::Dg11(d) = lds::parse(&dg11_bytes).unwrap() else {
        panic!()
    };
    assert_eq!(d.full_name.unwrap().text(), Some("SPECIMEN<<ANNA<MARIA"));
    assert_eq!(d.other_names.len(), 1);
    assert_eq!(d.full_date_of_birth.unwrap().digits().unwrap(), "19850101");
    assert_eq!(d.place_of_birth.unwrap().text(), Some("UTOPIA CITY"));
    assert!(d.telephone.unwrap().is_empty());
    assert_eq!(d.profession.unwrap().text(), Some("TESTER"));
    assert!(d.tag_list.starts_with(&[0x5F, 0x0E]));

    let dg12_bytes = generated("DG12.bin");
    let LdsFile::Dg12(d) = lds::parse(&dg12_bytes).unwrap() else {
        panic!()
    };
    assert_eq!(
        d.issuing_authority.unwrap().text(),
        Some("UTOPIA PASSPORT OFFICE")
    );
    assert_eq!(d.date_of_issue.unwrap().digits().unwrap(), "20251231");
    assert_eq!(
        d.personalization_time.unwrap().digits().unwrap(),
        "20251230120000"
    );
    assert_eq!(
        d.personalization_device_serial.unwrap().text(),
        Some("SYNTH-0001")
    );

    let dg14_bytes = generated("DG14.bin");
    let LdsFile::Dg14(s) = lds::parse(&dg14_bytes).unwrap() else {
        panic!()
    };
    assert_eq!(s.infos.len(), 5);
    assert_eq!(s.chip_authentication_infos().next().unwrap().version, 1);
    assert!(s
        .infos
        .iter()
        .any(|i| matches!(i, SecurityInfo::ActiveAuthentication(_))));
    assert_eq!(s.chip_authentication_public_keys().count(), 1);

    let dg15_bytes = generated("DG15.bin");
    let LdsFile::Dg15(d) = lds::parse(&dg15_bytes).unwrap() else {
        panic!()
    };
    // The synthetic passport's Active Authentication key: P-256, uncompressed point.
    let PublicKey::Ec { point } = d.public_key.key else {
        panic!()
    };
    assert_eq!(point.len(), 65);
    assert_eq!(point[0], 0x04);

    let sod_bytes = generated("EF_SOD.bin");
    let LdsFile::Sod(s) = lds::parse(&sod_bytes).unwrap() else {
        panic!()
    };
    let lso = &s.lds_security_object;
    assert_eq!(lso.version, 1);
    let vi = lso.lds_version_info.unwrap();
    assert_eq!(
        (vi.lds_version, vi.unicode_version),
        (&b"0108"[..], &b"040000"[..])
    );
    for (n, name) in [
        (1, "DG1.bin"),
        (2, "DG2.bin"),
        (11, "DG11.bin"),
        (12, "DG12.bin"),
        (14, "DG14.bin"),
        (15, "DG15.bin"),
    ] {
        assert_eq!(
            lso.hash_of(n).unwrap(),
            Sha256::digest(generated(name)).as_slice()
        );
    }
    assert!(s.signed_data.signer_infos.is_empty()); // unsigned structure for now
}

#[test]
fn dg2_39794_5_round_trip() {
    let img = [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A];
    let b = lds_gen::encode_dg2_39794_5(&img, 480, 640, 4);
    let LdsFile::Dg2(d) = lds::parse(&b).unwrap() else {
        panic!()
    };
    let f = &d.faces[0];
    assert_eq!(f.encoding, FaceEncoding::Iso39794_5);
    assert_eq!(f.version.as_deref(), Some("3.2020"));
    assert_eq!((f.width, f.height), (Some(480), Some(640)));
    assert_eq!(f.image_data_type, Some(4));
    assert_eq!(f.image, &img);
    assert_eq!(f.format, ImageFormat::Jp2);
    assert_eq!(&b[f.image_offset..f.image_offset + img.len()], &img);
}

#[test]
fn dg2_jpeg2000_codestream() {
    let img = [0xFF, 0x4F, 0xFF, 0x51, 0x00];
    let b = lds_gen::encode_dg2_19794_5(
        &img,
        FaceSpec {
            width: 1,
            height: 2,
            image_data_type: 1,
        },
    );
    let LdsFile::Dg2(d) = lds::parse(&b).unwrap() else {
        panic!()
    };
    assert_eq!(d.faces[0].format, ImageFormat::Jpeg2000Codestream);
    assert_eq!(d.faces[0].image_data_type, Some(1));
}

#[test]
fn dg2_record_length_skew_is_typed_error() {
    let img = lds_gen::fake_jpeg(64, 7);
    let spec = FaceSpec {
        width: 10,
        height: 10,
        image_data_type: 0,
    };
    let mut rec = lds_gen::face_record_19794_5(&img, spec);
    // Record length field (bytes 8..12) off by +3, as seen on some issued documents.
    let len = u32::from_be_bytes(rec[8..12].try_into().unwrap()) + 3;
    rec[8..12].copy_from_slice(&len.to_be_bytes());
    let dg2 = inspectd::tlv::Builder::new()
        .cons(0x75, |b| {
            b.cons(0x7F61, |b| {
                b.prim(0x02, &[1]).cons(0x7F60, |b| {
                    b.cons(0xA1, |b| b.prim(0x88, &[0, 8])).prim(0x5F2E, &rec)
                })
            })
        })
        .finish();
    match lds::parse(&dg2) {
        Err(LdsError::RecordLengthMismatch {
            file: FileId::Dg2,
            declared,
            actual,
            ..
        }) => {
            assert_eq!(declared, actual + 3);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn dg15_ec_explicit_parameters_kept_as_bytes() {
    let dom = lds_gen::EcDomain {
        p: vec![0xA9; 32],
        a: vec![0x7D; 32],
        b: vec![0x26; 32],
        g: [&[0x04][..], &[0x8B; 64]].concat(),
        n: vec![0xA9, 0xFB],
        h: 1,
    };
    let point = [&[0x04][..], &[0x11; 64]].concat();
    let b = lds_gen::encode_dg15(&lds_gen::spki_ec_explicit(&dom, &point));
    let LdsFile::Dg15(d) = lds::parse(&b).unwrap() else {
        panic!()
    };
    let DomainParameters::ExplicitEc(ec) = &d.public_key.algorithm.domain else {
        panic!()
    };
    assert_eq!(ec.version, 1);
    assert_eq!(ec.field_type.dotted(), "1.2.840.10045.1.1");
    assert_eq!(ec.p, [&[0][..], &dom.p].concat().as_slice()); // INTEGER content, as encoded
    assert_eq!(ec.a, dom.a.as_slice());
    assert_eq!(ec.b, dom.b.as_slice());
    assert_eq!(ec.g, dom.g.as_slice());
    assert_eq!(ec.h, Some(&[1u8][..]));
    assert!(b.windows(ec.raw.len()).any(|w| w == ec.raw));
    assert_eq!(d.public_key.key, PublicKey::Ec { point: &point });
    // Named curve form.
    let b = lds_gen::encode_dg15(&lds_gen::spki_ec_named("1.3.36.3.3.2.8.1.1.7", &point));
    let LdsFile::Dg15(d) = lds::parse(&b).unwrap() else {
        panic!()
    };
    let DomainParameters::NamedCurve(c) = d.public_key.algorithm.domain else {
        panic!()
    };
    assert_eq!(c.dotted(), "1.3.36.3.3.2.8.1.1.7");
}

#[test]
fn card_security_unsigned_structure() {
    let infos = lds_gen::encode_security_infos(&[
        lds_gen::pace_info("0.4.0.127.0.7.2.2.4.6.2", 2, Some(13)),
        lds_gen::active_authentication_info("0.4.0.127.0.7.1.1.4.1.3"),
    ]);
    let cs = lds_gen::encode_unsigned_card_security(&infos);
    assert_eq!(lds::identify(&cs), Some(FileId::CardSecurity));
    let LdsFile::CardSecurity(c) = lds::parse(&cs).unwrap() else {
        panic!()
    };
    assert_eq!(c.security_infos.infos.len(), 2);
    assert_eq!(c.signed_data.econtent, infos.as_slice());
    let p = c.security_infos.pace_infos().next().unwrap();
    assert_eq!(p.decoded.unwrap().mapping, Mapping::ChipAuthentication);
    let SecurityInfo::ActiveAuthentication(aa) = &c.security_infos.infos[1] else {
        panic!()
    };
    assert_eq!(aa.signature_algorithm.dotted(), "0.4.0.127.0.7.1.1.4.1.3");
}

/// Re-encodes a definite-length constructed TLV at the top of `der` with indefinite length.
fn indefinite(der: &[u8]) -> Vec<u8> {
    let mut r = inspectd::tlv::Reader::new(der);
    let t = r.read().unwrap();
    let mut out = Vec::new();
    inspectd::tlv::encode_tag(t.tag.0, &mut out);
    out.push(0x80);
    out.extend_from_slice(t.value);
    out.extend_from_slice(&[0, 0]);
    out
}

#[test]
fn ber_indefinite_sod_accepted() {
    let sod = generated("EF_SOD.bin");
    // 77 80 { 30 80 { OID, A0 80 { SignedData } 00 00 } 00 00 } 00 00
    let mut r = inspectd::tlv::Reader::new(&sod);
    let outer = r.read().unwrap();
    let mut ci = inspectd::tlv::Reader::new(outer.value);
    let ci_t = ci.read().unwrap();
    let mut parts = inspectd::tlv::Reader::new(ci_t.value);
    let oid = parts.read().unwrap();
    let a0 = parts.read().unwrap();
    let inner = [oid.raw, &indefinite(a0.raw)].concat();
    let ci_ber = [&[0x30, 0x80][..], &inner, &[0, 0]].concat();
    let ber = [&[0x77, 0x80][..], &ci_ber, &[0, 0]].concat();
    let LdsFile::Sod(s) = lds::parse(&ber).unwrap() else {
        panic!()
    };
    let LdsFile::Sod(d) = lds::parse(&sod).unwrap() else {
        panic!()
    };
    assert_eq!(s.lds_security_object, d.lds_security_object);
    // The eContent itself must stay DER: indefinite length inside it is rejected.
    let bad_lso = [&[0x30, 0x80][..], &d.lds_security_object.raw[2..], &[0, 0]].concat();
    assert!(lds::parse(&lds_gen::encode_unsigned_sod(&bad_lso)).is_err());
}

#[test]
fn legacy_lds_security_object_oid_flagged() {
    let lso = lds_gen::encode_lds_security_object(
        &lds_gen::sha256_algorithm(),
        &[(1, vec![0; 32]), (2, vec![1; 32])],
        None,
    );
    let ci = lds_gen::unsigned_content_info(&[0x2B, 0x1B, 0x01, 0x01, 0x01], &lso);
    let sod = inspectd::tlv::encode(0x77, &ci);
    let LdsFile::Sod(s) = lds::parse(&sod).unwrap() else {
        panic!()
    };
    assert!(s.legacy_content_type);
    assert_eq!(s.lds_security_object.version, 0);
    assert_eq!(
        s.lds_security_object.data_groups(),
        vec![FileId::Dg1, FileId::Dg2]
    );
}

// ------------------------------------------------------------------------------------------
// Malformed input
// ------------------------------------------------------------------------------------------

fn samples() -> Vec<(FileId, Vec<u8>)> {
    static CACHE: std::sync::OnceLock<Vec<(FileId, Vec<u8>)>> = std::sync::OnceLock::new();
    CACHE.get_or_init(build_samples).clone()
}

fn build_samples() -> Vec<(FileId, Vec<u8>)> {
    let mut v: Vec<(FileId, Vec<u8>)> = lds_gen::generate_with(lds_gen::GenParams {
        jpeg_size: 300,
        ..Default::default()
    })
    .into_iter()
    .map(|(_, b)| (lds::identify(&b).unwrap(), b))
    .collect();
    let m = entry(MUSTERMANN);
    v.push((FileId::Sod, hx(&m["fields"]["EF.SOD_hex"])));
    v.push((FileId::Com, hx(&m["fields"]["EF.COM"])));
    v.push((FileId::Dg1, hx(&m["fields"]["EF.DG1"])));
    let l = entry(LDS_VECTORS);
    v.push((
        FileId::CardAccess,
        hx(&l["fields"]["EF.CardAccess_BSI_worked_example"]["hex"]),
    ));
    v.push((
        FileId::Dg2,
        lds_gen::encode_dg2_39794_5(&[0xFF, 0xD8, 0xFF], 1, 1, 2),
    ));
    v.push((FileId::Dg3, dg3_sample()));
    v.push((FileId::Cvca, cvca_sample()));
    let infos = lds_gen::encode_security_infos(&[lds_gen::pace_info(
        "0.4.0.127.0.7.2.2.4.2.2",
        2,
        Some(13),
    )]);
    v.push((
        FileId::CardSecurity,
        lds_gen::encode_unsigned_card_security(&infos),
    ));
    v
}

#[test]
fn truncation_at_every_offset_is_a_typed_error() {
    for (id, bytes) in samples() {
        lds::parse_as(id, &bytes).unwrap();
        for n in 0..bytes.len() {
            // EF.CVCA's zero padding may legitimately be cut short.
            if id == FileId::Cvca && n >= 13 {
                continue;
            }
            let r = lds::parse_as(id, &bytes[..n]);
            assert!(r.is_err(), "{id} truncated to {n} parsed");
            let _ = lds::parse(&bytes[..n]);
        }
    }
}

#[test]
fn over_long_length() {
    for id in [
        FileId::Com,
        FileId::Dg1,
        FileId::Dg2,
        FileId::Dg11,
        FileId::Dg14,
        FileId::Dg15,
        FileId::Sod,
    ] {
        let tag = id.tag().unwrap();
        // Declared 0xFFFFFFFF, far beyond the input and the cap.
        let b = [tag, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x00];
        assert!(
            matches!(
                lds::parse_as(id, &b),
                Err(LdsError::Tlv {
                    source: TlvError::TooLarge { .. },
                    ..
                })
            ),
            "{id}"
        );
        let b = [tag, 0x82, 0x10, 0x00, 0x00];
        assert!(
            matches!(
                lds::parse_as(id, &b),
                Err(LdsError::Tlv {
                    source: TlvError::LengthExceedsInput { .. },
                    ..
                })
            ),
            "{id}"
        );
    }
}

#[test]
fn deep_nesting_is_rejected() {
    let mut b = vec![0x77, 0x80];
    for _ in 0..10_000 {
        b.extend_from_slice(&[0x30, 0x80]);
    }
    assert!(matches!(
        lds::parse(&b),
        Err(LdsError::Tlv {
            file: FileId::Sod,
            source: TlvError::TooDeep { .. } | TlvError::MissingEndOfContents { .. }
        })
    ));
    b.extend(std::iter::repeat_n(0u8, 20_002));
    assert!(matches!(
        lds::parse(&b),
        Err(LdsError::Tlv {
            file: FileId::Sod,
            source: TlvError::TooDeep { .. }
        })
    ));
    // Definite-length nesting in a SecurityInfos SET.
    let mut v: Vec<u8> = Vec::new();
    for _ in 0..10_000 {
        v = inspectd::tlv::encode(0x30, &v);
    }
    let set = inspectd::tlv::encode(0x31, &v);
    assert!(lds::parse_as(FileId::CardAccess, &set).is_err());
    let mut v: Vec<u8> = Vec::new();
    for _ in 0..5_000 {
        v = inspectd::tlv::encode(0x7F61, &v);
    }
    assert!(lds::parse_as(FileId::Dg2, &inspectd::tlv::encode(0x75, &v)).is_err());
}

#[test]
fn wrong_outer_tags() {
    let com = generated("EF_COM.bin");
    for id in [
        FileId::Dg1,
        FileId::Dg2,
        FileId::Dg11,
        FileId::Dg12,
        FileId::Dg14,
        FileId::Dg15,
        FileId::Sod,
    ] {
        assert!(
            matches!(
                lds::parse_as(id, &com),
                Err(LdsError::WrongOuterTag { found: 0x60, .. })
            ),
            "{id}"
        );
    }
    assert!(matches!(
        lds::parse(&[0x99, 0x00]),
        Err(LdsError::Unidentified {
            first_byte: Some(0x99)
        })
    ));
    assert!(matches!(
        lds::parse(&[]),
        Err(LdsError::Unidentified { first_byte: None })
    ));
    assert!(matches!(
        lds::parse_as(FileId::Dg1, &[]),
        Err(LdsError::Empty { file: FileId::Dg1 })
    ));
    // Trailing data after the outer TLV.
    let mut dg1 = generated("DG1.bin");
    dg1.push(0);
    assert!(matches!(
        lds::parse(&dg1),
        Err(LdsError::Tlv {
            source: TlvError::TrailingData { .. },
            ..
        })
    ));
}

#[test]
fn duplicate_and_out_of_range_dg_numbers() {
    let alg = lds_gen::sha256_algorithm();
    let lso = lds_gen::encode_lds_security_object(
        &alg,
        &[(1, vec![0; 32]), (2, vec![0; 32]), (1, vec![1; 32])],
        None,
    );
    assert!(matches!(
        lds::parse(&lds_gen::encode_unsigned_sod(&lso)),
        Err(LdsError::DuplicateDataGroup {
            file: FileId::Sod,
            number: 1,
            ..
        })
    ));
    for n in [0u8, 17, 200] {
        let lso =
            lds_gen::encode_lds_security_object(&alg, &[(1, vec![0; 32]), (n, vec![0; 32])], None);
        assert!(matches!(
            lds::parse(&lds_gen::encode_unsigned_sod(&lso)),
            Err(LdsError::DataGroupOutOfRange { number, .. }) if number == u64::from(n)
        ));
    }
    // Version 2 and version/ldsVersionInfo mismatch.
    let mut lso =
        lds_gen::encode_lds_security_object(&alg, &[(1, vec![0; 32]), (2, vec![0; 32])], None);
    assert_eq!(&lso[2..5], &[0x02, 0x01, 0x00]);
    lso[4] = 1; // v1 without ldsVersionInfo
    assert!(matches!(
        lds::parse(&lds_gen::encode_unsigned_sod(&lso)),
        Err(LdsError::Invalid {
            what: Invalid::Version,
            ..
        })
    ));
    lso[4] = 2;
    assert!(matches!(
        lds::parse(&lds_gen::encode_unsigned_sod(&lso)),
        Err(LdsError::Invalid {
            what: Invalid::Version,
            ..
        })
    ));
}

#[test]
fn errors_carry_offsets() {
    // A bad OID inside the BSI CardAccess: the offset points at the OID TLV.
    let l = entry(LDS_VECTORS);
    let mut b = hx(&l["fields"]["EF.CardAccess_ICAO_G1"]["hex"]);
    // 31 14 30 12 06 0A <oid...>: make the last OID byte a continuation byte.
    b[15] = 0x82;
    match lds::parse_as(FileId::CardAccess, &b) {
        Err(LdsError::Invalid {
            offset,
            what: Invalid::Oid,
            ..
        }) => assert_eq!(offset, 4),
        other => panic!("{other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = lds::parse(&bytes);
        let _ = lds::identify(&bytes);
        for id in FileId::ALL {
            let _ = lds::parse_as(id, &bytes);
        }
    }

    #[test]
    fn mutated_samples_never_panic(idx in 0usize..15, pos in any::<usize>(), val in any::<u8>()) {
        let s = samples();
        let (id, mut bytes) = s[idx % s.len()].clone();
        let p = pos % bytes.len();
        bytes[p] = val;
        let _ = lds::parse_as(id, &bytes);
        let _ = lds::parse(&bytes);
    }
}

// ------------------------------------------------------------------------------------------
// CLI
// ------------------------------------------------------------------------------------------

#[test]
fn cli_exit_codes_and_json() {
    let exe = env!("CARGO_BIN_EXE_inspectd");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/lds/generated");
    let good: Vec<_> = [
        "EF_COM.bin",
        "DG1.bin",
        "DG2.bin",
        "EF_SOD.bin",
        "EF_CardAccess.bin",
    ]
    .iter()
    .map(|n| dir.join(n))
    .collect();
    let out = std::process::Command::new(exe)
        .arg("lds")
        .arg("--json")
        .args(&good)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 5);
    assert_eq!(arr[0]["type"], "EF.COM");
    assert_eq!(arr[2]["type"], "EF.DG2");
    assert_eq!(arr[2]["faces"][0]["image_format"], "jpeg");
    assert_eq!(arr[2]["faces"][0]["image_size"], 25 * 1024);
    assert_eq!(
        arr[3]["lds_security_object"]["data_group_hashes"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    // The image bytes themselves are never printed.
    let dg2 = std::fs::read(dir.join("DG2.bin")).unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains(&hex::encode_upper(&dg2[100..116])));

    let bad = std::env::temp_dir().join(format!("inspectd-lds-bad-{}.bin", std::process::id()));
    std::fs::write(&bad, [0x77, 0x82, 0xFF]).unwrap();
    let out = std::process::Command::new(exe)
        .args(["lds", "--json"])
        .arg(&good[0])
        .arg(&bad)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&bad);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["type"], "EF.COM");
    assert_eq!(v[1]["type"], "EF.SOD");
    assert!(v[1]["error"].is_string());
    assert_eq!(v[1]["offset"], 1); // the truncated length field
}

// ------------------------------------------------------------------------------------------
// Other data groups and SecurityInfo kinds
// ------------------------------------------------------------------------------------------

fn dg3_sample() -> Vec<u8> {
    use inspectd::tlv::Builder;
    let bit = |finger: u8, size: usize| {
        Builder::new()
            .cons(0x7F60, |b| {
                b.cons(0xA1, |b| {
                    b.prim(0x80, &[1, 1])
                        .prim(0x81, &[0x08])
                        .prim(0x82, &[finger])
                        .prim(0x87, &[1, 1])
                        .prim(0x88, &[0, 7])
                })
                .prim(0x5F2E, &vec![0x46; size])
            })
            .finish()
    };
    Builder::new()
        .cons(0x63, |b| {
            b.cons(0x7F61, |b| {
                b.prim(0x02, &[2]).raw(&bit(0x05, 40)).raw(&bit(0x09, 50))
            })
        })
        .finish()
}

fn cvca_sample() -> Vec<u8> {
    let mut v = inspectd::tlv::encode(0x42, b"UTCVCA00001");
    v.resize(36, 0);
    v
}

#[test]
fn dg3_structure_only() {
    let b = dg3_sample();
    let LdsFile::Dg3(g) = lds::parse(&b).unwrap() else {
        panic!()
    };
    assert_eq!(g.count, 2);
    assert_eq!(g.templates.len(), 2);
    assert_eq!(g.templates[0].bht.biometric_subtype, Some(&[0x05][..]));
    assert_eq!(g.templates[0].bht.format_type, Some(7));
    assert_eq!(g.templates[1].bdb.len(), 50);
    // Count disagreeing with the templates present.
    let mut bad = b.clone();
    let pos = bad
        .windows(3)
        .position(|w| w == [0x02, 0x01, 0x02])
        .unwrap();
    bad[pos + 2] = 3;
    assert!(matches!(
        lds::parse(&bad),
        Err(LdsError::Invalid {
            what: Invalid::Count,
            ..
        })
    ));
}

#[test]
fn dg5_dg7_images() {
    use inspectd::tlv::Builder;
    let dg7 = Builder::new()
        .cons(0x67, |b| {
            b.prim(0x02, &[1])
                .prim(0x5F43, &[0xFF, 0x4F, 0xFF, 0x51, 1, 2])
        })
        .finish();
    let LdsFile::Dg7(d) = lds::parse(&dg7).unwrap() else {
        panic!()
    };
    assert_eq!(d.images[0].format, ImageFormat::Jpeg2000Codestream);
    let dg5 = Builder::new()
        .cons(0x65, |b| {
            b.prim(0x02, &[1]).prim(0x5F40, &lds_gen::fake_jpeg(50, 3))
        })
        .finish();
    let LdsFile::Dg5(d) = lds::parse(&dg5).unwrap() else {
        panic!()
    };
    assert_eq!(
        (d.images[0].format, d.images[0].bytes.len()),
        (ImageFormat::Jpeg, 50)
    );
}

#[test]
fn dg12_bcd_dates_and_other_persons() {
    use inspectd::tlv::Builder;
    let b = Builder::new()
        .cons(0x6C, |b| {
            b.prim(0x5C, &[0x5F, 0x26, 0x5F, 0x55, 0xA0])
                .prim(0x5F26, &[0x20, 0x24, 0x02, 0x29])
                .cons(0xA0, |b| {
                    b.prim(0x02, &[1]).prim(0x5F1A, b"SPECIMEN<<CHILD")
                })
                .prim(0x5F55, &[0x20, 0x24, 0x02, 0x29, 0x13, 0x45, 0x00])
                .prim(0x5F1D, &[0xFF, 0xD8, 0xFF])
        })
        .finish();
    let LdsFile::Dg12(d) = lds::parse(&b).unwrap() else {
        panic!()
    };
    assert_eq!(d.date_of_issue.unwrap().digits().unwrap(), "20240229");
    assert_eq!(
        d.personalization_time.unwrap().digits().unwrap(),
        "20240229134500"
    );
    assert_eq!(d.other_persons[0].text(), Some("SPECIMEN<<CHILD"));
    assert_eq!(d.image_front.unwrap().len(), 3);
}

#[test]
fn pace_domain_parameter_infos_explicit() {
    let dom = lds_gen::EcDomain {
        p: vec![0xA9; 32],
        a: vec![0x7D; 32],
        b: vec![0x26; 32],
        g: [&[0x04][..], &[0x8B; 64]].concat(),
        n: vec![0xA9, 0xFB],
        h: 1,
    };
    // AlgorithmIdentifier { id-ecPublicKey, ECParameters } taken from an explicit SPKI.
    let spki = lds_gen::spki_ec_explicit(&dom, &[0x04; 65]);
    let mut r = inspectd::tlv::Reader::new(&spki);
    let alg = r
        .read()
        .unwrap()
        .children()
        .unwrap()
        .read()
        .unwrap()
        .raw
        .to_vec();
    let seq = |parts: &[&[u8]]| inspectd::tlv::encode(0x30, &parts.concat());
    let ec_info = seq(&[
        &lds_gen::der_oid("0.4.0.127.0.7.2.2.4.4"),
        &alg,
        &lds_gen::der_small(31),
    ]);
    // DH: dhpublicnumber { p, g, q }.
    let int = |b: &[u8]| inspectd::tlv::encode(0x02, &lds_gen::der_uint(b));
    let dh_params = seq(&[&int(&[0xFF; 128]), &int(&[2]), &int(&[0x7F; 20])]);
    let dh_alg = seq(&[&lds_gen::der_oid("1.2.840.10046.2.1"), &dh_params]);
    let dh_info = seq(&[
        &lds_gen::der_oid("0.4.0.127.0.7.2.2.4.1"),
        &dh_alg,
        &lds_gen::der_small(0),
    ]);
    let set = lds_gen::encode_security_infos(&[ec_info, dh_info]);
    let s = SecurityInfos::parse_card_access(&set).unwrap();
    let SecurityInfo::PaceDomainParameter(e) = &s.infos[0] else {
        panic!()
    };
    assert_eq!(e.family, Some((KeyAgreement::Ecdh, Mapping::Integrated)));
    assert_eq!(e.parameter_id, Some(31));
    let DomainParameters::ExplicitEc(ec) = &e.domain_parameter.domain else {
        panic!()
    };
    assert_eq!(
        (ec.a, ec.b, ec.g),
        (dom.a.as_slice(), dom.b.as_slice(), dom.g.as_slice())
    );
    assert_eq!(ec.n, &[0x00, 0xA9, 0xFB]);
    let SecurityInfo::PaceDomainParameter(d) = &s.infos[1] else {
        panic!()
    };
    assert_eq!(d.family, Some((KeyAgreement::Dh, Mapping::Generic)));
    let DomainParameters::Dh(dh) = &d.domain_parameter.domain else {
        panic!()
    };
    assert_eq!(dh.p.len(), 129); // INTEGER content with its leading 00
    assert_eq!(dh.g, &[2]);
    assert_eq!(dh.q.unwrap().len(), 20);
}

#[test]
fn cvca_and_dir() {
    let b = cvca_sample();
    assert_eq!(lds::identify(&b), Some(FileId::Cvca));
    let LdsFile::Raw(r) = lds::parse(&b).unwrap() else {
        panic!()
    };
    assert_eq!(r.value, b"UTCVCA00001");
    let mut bad = b.clone();
    bad[30] = 1;
    assert!(matches!(
        lds::parse(&bad),
        Err(LdsError::Invalid { offset: 30, .. })
    ));
    let dir = [
        inspectd::tlv::encode(
            0x61,
            &inspectd::tlv::encode(0x4F, &[0xA0, 0, 0, 2, 0x47, 0x10, 1]),
        ),
        inspectd::tlv::encode(0x61, &inspectd::tlv::encode(0x4F, &[0xE8, 0x07])),
    ]
    .concat();
    assert_eq!(lds::identify(&dir), Some(FileId::Dir));
    assert_eq!(lds::parse(&dir).unwrap().id(), FileId::Dir);
}

#[test]
fn dg2_39794_5_in_constructed_block() {
    // Same members as the [APPLICATION 5] form, carried directly in a 7F2E data block.
    let block = lds_gen::face_block_39794_5(&[0xFF, 0xD8, 0xFF, 0xDB], 10, 20, 2);
    let mut r = inspectd::tlv::Reader::new(&block);
    let members = r.read().unwrap().value.to_vec();
    let dg2 = inspectd::tlv::Builder::new()
        .cons(0x75, |b| {
            b.cons(0x7F61, |b| {
                b.prim(0x02, &[1]).cons(0x7F60, |b| {
                    b.cons(0xA1, |b| b.prim(0x88, &[0, 0x40]))
                        .prim(0x7F2E, &members)
                })
            })
        })
        .finish();
    let LdsFile::Dg2(d) = lds::parse(&dg2).unwrap() else {
        panic!()
    };
    assert_eq!((d.faces[0].width, d.faces[0].height), (Some(10), Some(20)));
    assert_eq!(d.faces[0].format, ImageFormat::Jpeg);
}
