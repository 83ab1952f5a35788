//! Active Authentication (Doc 9303-11 §6.1): ISO/IEC 9796-2 decoding vectors, the Doc 9303-11
//! Appendix F worked example, and full BAC + AA runs against the virtual chip with faults
//! (BSI TR-03105 Part 5.1 unit ISO7816_F).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use inspectd::chip::aa::{
    self, decode_message_representative, encode_message_representative, m1_len, AaAlgorithm,
    AaCurve, AaError, AaHash, AaPolicy, AaResponse, AaVerified, ActiveAuthentication,
    RepresentativeError, Trailer,
};
use inspectd::chip::{drive, AccessKey, ChipError, ReadSession, Secured, SessionOptions};
use inspectd::lds::dg15::Dg15;
use inspectd::lds::security_infos::SecurityInfos;
use inspectd::lds::FileId;
use inspectd::testkit::aa_keys::{self, RSA_1024_A, RSA_1024_B, RSA_2048, RSA_KEYS};
use inspectd::testkit::dataset::{synthetic_bac_passport, synthetic_mrz_information};
use inspectd::testkit::lds_gen::{self, GenParams};
use inspectd::testkit::{AaChipKey, ChipProfile, Fault, VirtualChip};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPrivateKey};

const ECDSA_PLAIN_SHA256: &str = "0.4.0.127.0.7.1.1.4.1.3";
const P256_OID: &str = "1.2.840.10045.3.1.7";

fn vectors_entry(prefix: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/vectors/doc9303-worked-examples.json"
        ))
        .unwrap(),
    )
    .unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"].as_str().unwrap().starts_with(prefix))
        .unwrap_or_else(|| panic!("no entry {prefix}"))
        .clone()
}

fn hx(v: &serde_json::Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap().replace([' ', '\n'], "")).unwrap()
}

fn rsa_dg15(key: &RsaPrivateKey) -> Vec<u8> {
    let (n, e) = aa_keys::rsa_public_parts(key);
    lds_gen::encode_dg15(&lds_gen::spki_rsa(&n, &e))
}

fn p256_dg15(key: &p256::ecdsa::SigningKey) -> Vec<u8> {
    lds_gen::encode_dg15(&lds_gen::spki_ec_named(P256_OID, &aa_keys::p256_point(key)))
}

/// Raw RSA private operation on a representative (the chip's signature).
fn rsa_sign_raw(key: &RsaPrivateKey, f: &[u8]) -> Vec<u8> {
    let s = rsa::hazmat::rsa_decrypt_and_check(
        key,
        None::<&mut ChaCha20Rng>,
        &BigUint::from_bytes_be(f),
    )
    .unwrap();
    let b = s.to_bytes_be();
    let mut out = vec![0u8; key.size() - b.len()];
    out.extend_from_slice(&b);
    out
}

fn verify_with(
    dg15: &[u8],
    dg14: Option<&[u8]>,
    challenge: &[u8; 8],
    sig: &[u8],
    policy: &AaPolicy,
) -> Result<AaVerified, AaError> {
    let dg15 = Dg15::parse(dg15).unwrap();
    let infos = dg14.map(|b| SecurityInfos::parse_dg14(b).unwrap());
    let info = infos.as_ref().and_then(aa::find_aa_info);
    aa::verify_dg15(&dg15, info, challenge, sig, policy)
}

// ---------------------------------------------------------------------------------------------
// Spec vectors

#[test]
fn iso9796_2_decoding_vectors_positive() {
    // Entry "ISO/IEC 9796-2 message-representative decoding (trailer BC / hash-id||CC for
    // SHA-224/256/384/512)".
    let e = vectors_entry("ISO/IEC 9796-2 message-representative decoding");
    let ids = &e["fields"]["hash_identifiers(ISO/IEC 10118-3)"];
    for (name, hash) in [
        ("SHA-1", AaHash::Sha1),
        ("SHA-224", AaHash::Sha224),
        ("SHA-256", AaHash::Sha256),
        ("SHA-384", AaHash::Sha384),
        ("SHA-512", AaHash::Sha512),
    ] {
        assert_eq!(hx(&ids[name]), vec![hash.iso10118_id()], "{name}");
    }
    let cases = e["fields"]["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for c in cases {
        let f = hx(&c["F"]);
        let rep = decode_message_representative(&f).unwrap();
        assert_eq!(rep.m1, hx(&c["M1"]).as_slice());
        assert_eq!(rep.digest, hx(&c["D"]).as_slice());
        assert_eq!(rep.trailer.bytes(), hx(&c["trailer"]));
        let want = match c["hash"].as_str().unwrap() {
            "SHA1" => AaHash::Sha1,
            "SHA224" => AaHash::Sha224,
            "SHA256" => AaHash::Sha256,
            "SHA384" => AaHash::Sha384,
            "SHA512" => AaHash::Sha512,
            other => panic!("{other}"),
        };
        assert_eq!(rep.trailer.hash(), want);
        let rnd = hx(&c["RND.IFD"]);
        assert!(rep.matches(&rnd));
        assert!(!rep.matches(&[0u8; 8]));
        // The chip-side encoder produces exactly this representative.
        assert_eq!(encode_message_representative(rep.m1, &rnd, rep.trailer), f);
    }
}

#[test]
fn iso9796_2_decoding_vectors_negative() {
    // Entry "ISO/IEC 9796-2 message-representative decoding ...", field "negative".
    let e = vectors_entry("ISO/IEC 9796-2 message-representative decoding");
    let neg = e["fields"]["negative"].as_array().unwrap();
    assert_eq!(neg.len(), 4);
    for c in neg {
        let f = hx(&c["F"]);
        let err = decode_message_representative(&f).unwrap_err();
        let expect = c["expect"].as_str().unwrap();
        let ok = match err {
            AaError::Representative(RepresentativeError::BadHeader { found }) => {
                expect.contains("header not 6A") && found == 0x6B
            }
            AaError::Representative(RepresentativeError::UnknownTrailer { found }) => {
                expect.contains("unknown trailer") && found == 0x00
            }
            AaError::Representative(RepresentativeError::UnknownHashId { id }) => {
                expect.contains("unknown hash id") && id == 0x00
            }
            AaError::Representative(RepresentativeError::TooShort { len, .. }) => {
                expect.contains("too short") && len == f.len()
            }
            _ => false,
        };
        assert!(ok, "{expect}: got {err:?}");
    }
}

#[test]
fn doc9303_appendix_f_worked_example() {
    // Entry "Active Authentication worked example (Doc 9303-11 App. F): ISO/IEC 9796-2 scheme
    // 1, RSA-1024, SHA-1". ICAO publishes no key pair: sign with a synthetic RSA-1024 key.
    let e = vectors_entry("Active Authentication worked example (Doc 9303-11 App. F)");
    let f = &e["fields"];
    let m1 = hx(&f["M1"]);
    let m2: [u8; 8] = hx(&f["RND.IFD (M2)"]).try_into().unwrap();
    let h = hx(&f["H = SHA-1(M1||M2)"]);
    assert_eq!(m1.len() * 8, f["L_M1 = c - 4"].as_u64().unwrap() as usize);
    assert_eq!(m1_len(128, Trailer::Implicit), Some(m1.len()));
    let rep = encode_message_representative(&m1, &m2, Trailer::Implicit);
    assert_eq!(rep, hx(&f["F = 6A||M1||H||BC"]));

    let key = RSA_1024_A.key().unwrap();
    assert_eq!(
        key.n().bits(),
        f["k (modulus bits)"].as_u64().unwrap() as usize
    );
    let sig = rsa_sign_raw(&key, &rep);
    let v = verify_with(&rsa_dg15(&key), None, &m2, &sig, &AaPolicy::default()).unwrap();
    assert_eq!(v.m1(), m1.as_slice());
    assert_eq!(v.digest(), h.as_slice());
    assert_eq!(v.challenge(), m2);
    assert_eq!(
        v.algorithm(),
        AaAlgorithm::RsaIso9796_2 {
            modulus_bits: 1024,
            trailer: Trailer::Implicit,
            complemented: false
        }
    );
    // Another challenge does not verify.
    let mut other = m2;
    other[0] ^= 1;
    assert_eq!(
        verify_with(&rsa_dg15(&key), None, &other, &sig, &AaPolicy::default()).unwrap_err(),
        AaError::DigestMismatch
    );
}

#[test]
fn complemented_representative_is_accepted_only_by_policy() {
    // ISO/IEC 9796-2 lets the signer send n − s; the verifier then recovers n − J.
    let key = RSA_1024_A.key().unwrap();
    let ch = [7u8; 8];
    let rep = encode_message_representative(&[0x55; 106], &ch, Trailer::Implicit);
    let s = BigUint::from_bytes_be(&rsa_sign_raw(&key, &rep));
    let comp = (key.n() - s).to_bytes_be();
    let mut sig = vec![0u8; 128 - comp.len()];
    sig.extend_from_slice(&comp);
    let v = verify_with(&rsa_dg15(&key), None, &ch, &sig, &AaPolicy::default()).unwrap();
    assert!(matches!(
        v.algorithm(),
        AaAlgorithm::RsaIso9796_2 {
            complemented: true,
            ..
        }
    ));
    let strict = AaPolicy {
        allow_complemented_representative: false,
        ..AaPolicy::default()
    };
    let e = verify_with(&rsa_dg15(&key), None, &ch, &sig, &strict).unwrap_err();
    assert!(e.is_signature_invalid(), "{e:?}");
}

#[test]
fn rsa_length_and_range_checks() {
    let key = RSA_1024_A.key().unwrap();
    let dg15 = rsa_dg15(&key);
    let p = AaPolicy::default();
    let ch = [0u8; 8];
    assert_eq!(
        verify_with(&dg15, None, &ch, &[0x01; 127], &p).unwrap_err(),
        AaError::SignatureLength {
            len: 127,
            expected: 128
        }
    );
    assert_eq!(
        verify_with(&dg15, None, &ch, &[0xFF; 128], &p).unwrap_err(),
        AaError::SignatureOutOfRange
    );
    assert!(verify_with(&dg15, None, &ch, &[], &p).is_err());
    // SHA-1 refused by policy.
    let rep = encode_message_representative(&[1; 106], &ch, Trailer::Implicit);
    let sig = rsa_sign_raw(&key, &rep);
    let no_sha1 = AaPolicy {
        allow_sha1: false,
        ..AaPolicy::default()
    };
    assert_eq!(
        verify_with(&dg15, None, &ch, &sig, &no_sha1).unwrap_err(),
        AaError::HashNotAllowed { hash: AaHash::Sha1 }
    );
}

#[test]
fn ecdsa_other_curves_and_der_variant() {
    use p384::ecdsa::signature::hazmat::PrehashSigner;
    // P-384 with SHA-1: a digest shorter than half the field still verifies (left-padded).
    let sk = p384::ecdsa::SigningKey::random(&mut ChaCha20Rng::seed_from_u64(384));
    let point = sk.verifying_key().to_encoded_point(false);
    let dg15 = lds_gen::encode_dg15(&lds_gen::spki_ec_named("1.3.132.0.34", point.as_bytes()));
    let dg14 = lds_gen::encode_dg14(&[lds_gen::active_authentication_info(
        "0.4.0.127.0.7.1.1.4.1.1",
    )]);
    let ch = [3u8; 8];
    let digest = AaHash::Sha1.digest(&[&ch]);
    let mut z = vec![0u8; 48 - 20];
    z.extend_from_slice(&digest);
    let sig: p384::ecdsa::Signature = sk.sign_prehash(&z).unwrap();
    let v = verify_with(
        &dg15,
        Some(&dg14),
        &ch,
        &sig.to_bytes(),
        &AaPolicy::default(),
    )
    .unwrap();
    assert_eq!(
        v.algorithm(),
        AaAlgorithm::Ecdsa {
            curve: AaCurve::P384,
            hash: AaHash::Sha1,
            der_encoded: false
        }
    );
    // DER is tolerated by default, refused by a strict policy.
    let der = sig.to_der();
    let v = verify_with(
        &dg15,
        Some(&dg14),
        &ch,
        der.as_bytes(),
        &AaPolicy::default(),
    )
    .unwrap();
    assert!(matches!(
        v.algorithm(),
        AaAlgorithm::Ecdsa {
            der_encoded: true,
            ..
        }
    ));
    let strict = AaPolicy {
        allow_der_ecdsa: false,
        ..AaPolicy::default()
    };
    assert!(matches!(
        verify_with(&dg15, Some(&dg14), &ch, der.as_bytes(), &strict),
        Err(AaError::MalformedEcdsaSignature { .. })
    ));
    // Without ActiveAuthenticationInfo the hash is unknown.
    assert_eq!(
        verify_with(&dg15, None, &ch, &sig.to_bytes(), &AaPolicy::default()).unwrap_err(),
        AaError::MissingActiveAuthenticationInfo
    );
}

#[test]
fn brainpool_p256r1_verifies() {
    let sk = ecdsa17::SigningKey::<bp256::BrainpoolP256r1>::from_slice(&[0x42; 32]).unwrap();
    let point = sk.verifying_key().to_sec1_point(false);
    let dg15 = lds_gen::encode_dg15(&lds_gen::spki_ec_named(
        "1.3.36.3.3.2.8.1.1.7",
        point.as_bytes(),
    ));
    let dg14 = lds_gen::encode_dg14(&[lds_gen::active_authentication_info(ECDSA_PLAIN_SHA256)]);
    let ch = [9u8; 8];
    let z = AaHash::Sha256.digest(&[&ch]);
    let k = ecdsa17::SigningKey::<bp256::BrainpoolP256r1>::from_slice(&[0x17; 32]).unwrap();
    let (sig, _) =
        ecdsa17::hazmat::sign_prehashed(sk.as_nonzero_scalar(), k.as_nonzero_scalar(), &z).unwrap();
    let bytes = sig.to_bytes();
    let v = verify_with(&dg15, Some(&dg14), &ch, &bytes, &AaPolicy::default()).unwrap();
    assert!(matches!(
        v.algorithm(),
        AaAlgorithm::Ecdsa {
            curve: AaCurve::BrainpoolP256r1,
            ..
        }
    ));
    let mut bad = bytes.to_vec();
    bad[40] ^= 0x10;
    assert_eq!(
        verify_with(&dg15, Some(&dg14), &ch, &bad, &AaPolicy::default()).unwrap_err(),
        AaError::EcdsaInvalid
    );
}

#[test]
fn explicit_ec_parameters_are_unsupported() {
    // brainpoolP256r1 domain (RFC 5639 §3.4), explicit form.
    let dom = lds_gen::EcDomain {
        p: hex::decode("A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377").unwrap(),
        a: hex::decode("7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9").unwrap(),
        b: hex::decode("26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6").unwrap(),
        g: hex::decode(concat!(
            "04",
            "8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262",
            "547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997"
        ))
        .unwrap(),
        n: hex::decode("A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7").unwrap(),
        h: 1,
    };
    let key = aa_keys::p256_key();
    let dg15 = lds_gen::encode_dg15(&lds_gen::spki_ec_explicit(&dom, &aa_keys::p256_point(&key)));
    let dg14 = lds_gen::encode_dg14(&[lds_gen::active_authentication_info(ECDSA_PLAIN_SHA256)]);
    let e = verify_with(&dg15, Some(&dg14), &[0; 8], &[0; 64], &AaPolicy::default()).unwrap_err();
    assert!(matches!(e, AaError::UnsupportedKey { .. }), "{e:?}");
}

// ---------------------------------------------------------------------------------------------
// Full runs: BAC read session, then AA on the session it leaves open

/// The synthetic passport with `dg15`, an optional replacement `dg14`, and `aa_key`.
fn profile(dg15: Vec<u8>, dg14: Option<Vec<u8>>, aa_key: AaChipKey) -> ChipProfile {
    let mut p = synthetic_bac_passport(GenParams::default());
    p.app_files.insert(FileId::Dg15.fid(), dg15);
    if let Some(d) = dg14 {
        p.app_files.insert(FileId::Dg14.fid(), d);
    }
    p.aa_key = Some(aa_key);
    p
}

fn rsa_chip_key(key: &RsaPrivateKey, trailer: Trailer) -> AaChipKey {
    AaChipKey::Rsa {
        key: Box::new(key.clone()),
        trailer,
    }
}

/// Reads the chip with BAC, then runs AA on the open session and verifies.
fn read_then_aa(chip: &mut VirtualChip, policy: &AaPolicy) -> Result<AaVerified, AaError> {
    let key = AccessKey::Mrz {
        mrz_information: synthetic_mrz_information(),
    };
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    let s = ReadSession::new(&key, SessionOptions::default(), &mut rng).unwrap();
    let mut read = drive(s, chip).unwrap();
    let session = read.session.take().unwrap();
    let dg15_bytes = read.file(FileId::Dg15).unwrap().to_vec();
    let dg14_bytes = read.file(FileId::Dg14).map(<[u8]>::to_vec);
    let dg15 = Dg15::parse(&dg15_bytes).unwrap();
    let sig_len = aa::expected_signature_len(&dg15.public_key).unwrap();
    let protocol = ActiveAuthentication::new(&mut rng).for_signature_len(sig_len, false);
    let challenge = protocol.challenge();
    let AaResponse {
        challenge: sent,
        signature,
    } = drive(Secured::new(session, protocol), chip).unwrap();
    assert_eq!(sent, challenge);
    let infos = dg14_bytes
        .as_deref()
        .map(|b| SecurityInfos::parse_dg14(b).unwrap());
    let info = infos.as_ref().and_then(aa::find_aa_info);
    aa::verify_dg15(&dg15, info, &challenge, &signature, policy)
}

#[test]
fn full_run_rsa_1024_sha1_bc() {
    let key = RSA_1024_A.key().unwrap();
    let p = profile(rsa_dg15(&key), None, rsa_chip_key(&key, Trailer::Implicit));
    let v = read_then_aa(&mut VirtualChip::new(p, 1), &AaPolicy::default()).unwrap();
    assert_eq!(
        v.algorithm(),
        AaAlgorithm::RsaIso9796_2 {
            modulus_bits: 1024,
            trailer: Trailer::Implicit,
            complemented: false
        }
    );
    assert_eq!(v.m1().len(), 106);
}

#[test]
fn full_run_rsa_2048_sha256_34cc() {
    let key = RSA_2048.key().unwrap();
    let trailer = Trailer::Explicit(AaHash::Sha256);
    let p = profile(rsa_dg15(&key), None, rsa_chip_key(&key, trailer));
    let v = read_then_aa(&mut VirtualChip::new(p, 2), &AaPolicy::default()).unwrap();
    assert_eq!(
        v.algorithm(),
        AaAlgorithm::RsaIso9796_2 {
            modulus_bits: 2048,
            trailer,
            complemented: false
        }
    );
    assert_eq!(trailer.bytes(), vec![0x34, 0xCC]);
    assert_eq!(v.m1().len(), 256 - 1 - 32 - 2);
    // A 3072-bit policy refuses the key.
    let p = profile(rsa_dg15(&key), None, rsa_chip_key(&key, trailer));
    let strict = AaPolicy {
        min_rsa_modulus_bits: 3072,
        ..AaPolicy::default()
    };
    assert_eq!(
        read_then_aa(&mut VirtualChip::new(p, 2), &strict).unwrap_err(),
        AaError::ModulusTooSmall {
            bits: 2048,
            min: 3072
        }
    );
}

fn p256_profile(oid: &str) -> ChipProfile {
    let key = aa_keys::p256_key();
    let dg14 = lds_gen::encode_dg14(&[lds_gen::active_authentication_info(oid)]);
    profile(
        p256_dg15(&key),
        Some(dg14),
        AaChipKey::EcdsaP256 {
            key,
            hash: AaHash::Sha256,
        },
    )
}

#[test]
fn full_run_ecdsa_p256_sha256() {
    let v = read_then_aa(
        &mut VirtualChip::new(p256_profile(ECDSA_PLAIN_SHA256), 3),
        &AaPolicy::default(),
    )
    .unwrap();
    assert_eq!(
        v.algorithm(),
        AaAlgorithm::Ecdsa {
            curve: AaCurve::P256,
            hash: AaHash::Sha256,
            der_encoded: false
        }
    );
    assert!(v.m1().is_empty());
}

#[test]
fn fault_wrong_signature_fails_verification() {
    let key = RSA_1024_A.key().unwrap();
    let p = profile(rsa_dg15(&key), None, rsa_chip_key(&key, Trailer::Implicit));
    let mut chip = VirtualChip::new(p, 4).with_fault(Fault::AaWrongSignature);
    let e = read_then_aa(&mut chip, &AaPolicy::default()).unwrap_err();
    assert!(e.is_signature_invalid(), "{e:?}");

    let mut chip =
        VirtualChip::new(p256_profile(ECDSA_PLAIN_SHA256), 4).with_fault(Fault::AaWrongSignature);
    let e = read_then_aa(&mut chip, &AaPolicy::default()).unwrap_err();
    assert_eq!(e, AaError::EcdsaInvalid);
}

#[test]
fn fault_key_not_matching_dg15_fails_verification() {
    // A clone with the data groups of a genuine chip but its own key.
    let key = RSA_1024_A.key().unwrap();
    let other = RSA_1024_B.key().unwrap();
    let p = profile(rsa_dg15(&key), None, rsa_chip_key(&key, Trailer::Implicit));
    let mut chip = VirtualChip::new(p, 5).with_fault(Fault::AaSignWith(Box::new(rsa_chip_key(
        &other,
        Trailer::Implicit,
    ))));
    let e = read_then_aa(&mut chip, &AaPolicy::default()).unwrap_err();
    assert!(e.is_signature_invalid(), "{e:?}");

    let mut chip = VirtualChip::new(p256_profile(ECDSA_PLAIN_SHA256), 5).with_fault(
        Fault::AaSignWith(Box::new(AaChipKey::EcdsaP256 {
            key: aa_keys::p256_key_from_seed(1),
            hash: AaHash::Sha256,
        })),
    );
    assert_eq!(
        read_then_aa(&mut chip, &AaPolicy::default()).unwrap_err(),
        AaError::EcdsaInvalid
    );
}

#[test]
fn iso7816_f_08_wrong_trailer() {
    // BSI TR-03105 Part 5.1 ISO7816_F_08: the recovered representative has a wrong trailer.
    let key = RSA_1024_A.key().unwrap();
    let p = profile(rsa_dg15(&key), None, rsa_chip_key(&key, Trailer::Implicit));
    let mut chip = VirtualChip::new(p, 6).with_fault(Fault::AaTrailerByte(0xBD));
    assert_eq!(
        read_then_aa(&mut chip, &AaPolicy::default()).unwrap_err(),
        AaError::Representative(RepresentativeError::UnknownTrailer { found: 0xBD })
    );
    // An explicit trailer with an unknown hash identifier.
    let trailer = Trailer::Explicit(AaHash::Sha256);
    let rep = encode_message_representative(&[1; 93], &[2; 8], trailer);
    let mut bad = rep.clone();
    let n = bad.len();
    bad[n - 2] = 0x31;
    let sig = rsa_sign_raw(&key, &bad);
    let e = verify_with(&rsa_dg15(&key), None, &[2; 8], &sig, &AaPolicy::default());
    assert_eq!(
        e.unwrap_err(),
        AaError::Representative(RepresentativeError::UnknownHashId { id: 0x31 })
    );
}

#[test]
fn iso7816_f_09_invalid_signature_oid_in_aa_info() {
    // BSI TR-03105 Part 5.1 ISO7816_F_09: ActiveAuthenticationInfo names an unknown algorithm.
    for oid in ["1.2.3.4", "1.2.840.113549.1.1.11"] {
        let e = read_then_aa(
            &mut VirtualChip::new(p256_profile(oid), 7),
            &AaPolicy::default(),
        )
        .unwrap_err();
        assert_eq!(
            e,
            AaError::UnknownSignatureAlgorithm {
                oid: oid.to_string()
            }
        );
    }
    // X9.62 OIDs only by policy.
    let strict = AaPolicy {
        allow_x962_signature_oids: false,
        ..AaPolicy::default()
    };
    let mut chip = VirtualChip::new(p256_profile("1.2.840.10045.4.3.2"), 7);
    assert!(matches!(
        read_then_aa(&mut chip, &strict),
        Err(AaError::UnknownSignatureAlgorithm { .. })
    ));
    let mut chip = VirtualChip::new(p256_profile("1.2.840.10045.4.3.2"), 7);
    assert!(read_then_aa(&mut chip, &AaPolicy::default()).is_ok());
}

#[test]
fn modulus_below_policy() {
    // BSI TR-03105 Part 5.1 ISO7816_F: an RSA key below the policy minimum.
    let key = RSA_1024_A.key().unwrap();
    let p = profile(rsa_dg15(&key), None, rsa_chip_key(&key, Trailer::Implicit));
    let policy = AaPolicy {
        min_rsa_modulus_bits: 2048,
        ..AaPolicy::default()
    };
    assert_eq!(
        read_then_aa(&mut VirtualChip::new(p, 8), &policy).unwrap_err(),
        AaError::ModulusTooSmall {
            bits: 1024,
            min: 2048
        }
    );
}

#[test]
fn internal_authenticate_before_access_control_is_refused() {
    let key = RSA_1024_A.key().unwrap();
    let p = profile(rsa_dg15(&key), None, rsa_chip_key(&key, Trailer::Implicit));
    let mut chip = VirtualChip::new(p, 9);
    let e = drive(ActiveAuthentication::with_challenge([1; 8]), &mut chip).unwrap_err();
    assert!(matches!(e, ChipError::AccessDenied { .. }), "{e:?}");
}

#[test]
fn chip_without_aa_answers_ins_not_supported() {
    let mut p = synthetic_bac_passport(GenParams::default());
    p.access = inspectd::testkit::Access::Plain;
    p.aa_key = None;
    let mut chip = VirtualChip::new(p, 10);
    let e = drive(ActiveAuthentication::with_challenge([1; 8]), &mut chip).unwrap_err();
    match e {
        ChipError::Status { sw, .. } => assert_eq!(sw.0, 0x6D00),
        other => panic!("{other:?}"),
    }
}

#[test]
#[ignore = "RSA key generation takes about a minute in debug builds; run with --release: \
            cargo test --release --test chip_aa -- --include-ignored committed_aa_keys"]
fn committed_aa_keys_match_the_generator() {
    let files = aa_keys::regenerate_files().unwrap();
    if std::env::var_os("INSPECTD_WRITE_AA_KEYS").is_some() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/aa");
        for (name, der) in &files {
            std::fs::write(dir.join(name), der).unwrap();
        }
        return;
    }
    for (k, (name, der)) in RSA_KEYS.iter().zip(&files) {
        assert_eq!(k.file, *name);
        assert_eq!(k.der(), der.as_slice(), "{name} differs from generate_rsa");
    }
}
