//! LDS encoders and a deterministic synthetic passport (Doc 9303-10 structures), used by
//! tests, benchmarks, `examples/gen_testdata.rs` and (later) the virtual chip.
//!
//! Everything here is deterministic: no clock, no OS randomness; the only pseudo-random bytes
//! (the fake JPEG body and the fake RSA modulus) come from a fixed-seed SplitMix64 stream.
//! Identities are synthetic ("UTOPIA", `UTO`, "SPECIMEN").

use crate::lds::asn1::oid_from_dotted;
use crate::lds::oid;
use crate::tlv::{encode, Builder};
use sha2::{Digest, Sha256};

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny fixed-seed generator, enough for filler bytes.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A stream from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Fills `out`.
    pub fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let v = self.next_u64().to_be_bytes();
            for (d, s) in chunk.iter_mut().zip(v.iter()) {
                *d = *s;
            }
        }
    }
}

/// DER INTEGER content for an unsigned big-endian magnitude (adds a 00 if the top bit is set,
/// strips redundant leading zeros).
pub fn der_uint(magnitude: &[u8]) -> Vec<u8> {
    let skip = magnitude
        .iter()
        .take_while(|b| **b == 0)
        .count()
        .min(magnitude.len().saturating_sub(1));
    let m = magnitude.get(skip..).unwrap_or(&[]);
    let mut v = Vec::with_capacity(m.len() + 1);
    if m.is_empty() || m.first().is_some_and(|b| b & 0x80 != 0) {
        v.push(0);
    }
    v.extend_from_slice(m);
    v
}

/// DER INTEGER TLV of a small unsigned value.
pub fn der_small(v: u64) -> Vec<u8> {
    encode(0x02, &der_uint(&v.to_be_bytes()))
}

/// DER OBJECT IDENTIFIER TLV of a dotted OID. Panics are impossible: an invalid dotted string
/// yields an empty OID, which the parsers reject (builders take trusted, literal input).
pub fn der_oid(dotted: &str) -> Vec<u8> {
    encode(0x06, &oid_from_dotted(dotted).unwrap_or_default())
}

fn der_oid_bytes(content: &[u8]) -> Vec<u8> {
    encode(0x06, content)
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    encode(0x30, &parts.concat())
}

// ---------------------------------------------------------------------------------------------
// BER-TLV data groups
// ---------------------------------------------------------------------------------------------

/// EF.COM (Doc 9303-10 §4.6.1): `lds_version` "0107", `unicode_version` "040000", tag list.
pub fn encode_com(lds_version: &str, unicode_version: &str, tags: &[u8]) -> Vec<u8> {
    Builder::new()
        .cons(0x60, |b| {
            b.prim(0x5F01, lds_version.as_bytes())
                .prim(0x5F36, unicode_version.as_bytes())
                .prim(0x5C, tags)
        })
        .finish()
}

/// EF.DG1 (Doc 9303-10 §4.7.1) from MRZ lines.
pub fn encode_dg1(lines: &[&str]) -> Vec<u8> {
    Builder::new()
        .cons(0x61, |b| b.prim(0x5F1F, lines.concat().as_bytes()))
        .finish()
}

/// Face image description for the DG2 encoders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaceSpec {
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// 19794-5 image data type (0 JPEG, 1 JPEG 2000).
    pub image_data_type: u8,
}

fn biometric_group(tag: u32, bdb: &[u8], format_type: [u8; 2]) -> Vec<u8> {
    Builder::new()
        .cons(tag, |b| {
            b.cons(0x7F61, |b| {
                b.prim(0x02, &[1]).cons(0x7F60, |b| {
                    b.cons(0xA1, |b| {
                        b.prim(0x80, &[0x01, 0x01])
                            .prim(0x81, &[0x02])
                            .prim(0x87, &[0x01, 0x01])
                            .prim(0x88, &format_type)
                    })
                    .prim(0x5F2E, bdb)
                })
            })
        })
        .finish()
}

/// An ISO/IEC 19794-5:2005 face record around `image` (one face, no feature points).
pub fn face_record_19794_5(image: &[u8], spec: FaceSpec) -> Vec<u8> {
    let face_len = 20 + 12 + image.len();
    let record_len = 14 + face_len;
    let mut r = Vec::with_capacity(record_len);
    r.extend_from_slice(b"FAC\x00010\x00");
    r.extend_from_slice(&u32::try_from(record_len).unwrap_or(u32::MAX).to_be_bytes());
    r.extend_from_slice(&1u16.to_be_bytes());
    // Facial information block.
    r.extend_from_slice(&u32::try_from(face_len).unwrap_or(u32::MAX).to_be_bytes());
    r.extend_from_slice(&0u16.to_be_bytes()); // feature points
    r.push(0); // gender unspecified
    r.push(0); // eye colour unspecified
    r.push(0); // hair colour unspecified
    r.extend_from_slice(&[0, 0, 0]); // feature mask
    r.extend_from_slice(&[0, 0]); // expression
    r.extend_from_slice(&[0, 0, 0]); // pose angles
    r.extend_from_slice(&[0, 0, 0]); // pose uncertainty
                                     // Image information block.
    r.push(1); // full frontal
    r.push(spec.image_data_type);
    r.extend_from_slice(&spec.width.to_be_bytes());
    r.extend_from_slice(&spec.height.to_be_bytes());
    r.push(1); // 24-bit RGB
    r.push(2); // digital camera
    r.extend_from_slice(&[0, 0]); // device type
    r.extend_from_slice(&[0, 0]); // quality
    r.extend_from_slice(image);
    r
}

/// EF.DG2 with one ISO/IEC 19794-5:2005 face (format owner 0101, format type 0008).
pub fn encode_dg2_19794_5(image: &[u8], spec: FaceSpec) -> Vec<u8> {
    biometric_group(0x75, &face_record_19794_5(image, spec), [0x00, 0x08])
}

/// An ISO/IEC 39794-5 FaceImageDataBlock (version 3.2020) with one 2D representation.
/// `format_code` is the 39794-5 ImageDataFormatCode (e.g. 2 = JPEG, 4 = JPEG 2000 lossless).
pub fn face_block_39794_5(image: &[u8], width: u32, height: u32, format_code: u8) -> Vec<u8> {
    let u = |v: u64| der_uint(&v.to_be_bytes());
    Builder::new()
        .cons(0x65, |b| {
            b.cons(0xA0, |b| b.prim(0x80, &u(3)).prim(0x81, &u(2020)))
                .cons(0xA1, |b| {
                    b.cons(0x30, |b| {
                        b.prim(0x80, &u(1)).cons(0xA1, |b| {
                            b.cons(0xA0, |b| {
                                b.cons(0xA0, |b| {
                                    b.prim(0x80, image).cons(0xA1, |b| {
                                        b.cons(0xA0, |b| b.prim(0x80, &u(u64::from(format_code))))
                                            .cons(0xA7, |b| {
                                                b.prim(0x80, &u(u64::from(width)))
                                                    .prim(0x81, &u(u64::from(height)))
                                            })
                                    })
                                })
                            })
                        })
                    })
                })
        })
        .finish()
}

/// EF.DG2 with one ISO/IEC 39794-5 face (format owner 0101, format type 0040).
pub fn encode_dg2_39794_5(image: &[u8], width: u32, height: u32, format_code: u8) -> Vec<u8> {
    biometric_group(
        0x75,
        &face_block_39794_5(image, width, height, format_code),
        [0x00, 0x40],
    )
}

/// DG11 content (Doc 9303-10 §4.7.11); `None` fields are omitted, `Some("")` encodes empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Dg11Fields {
    pub full_name: Option<String>,
    pub other_names: Vec<String>,
    pub personal_number: Option<String>,
    /// 8 ASCII digits YYYYMMDD.
    pub full_date_of_birth: Option<String>,
    pub place_of_birth: Option<String>,
    pub address: Option<String>,
    pub telephone: Option<String>,
    pub profession: Option<String>,
    pub title: Option<String>,
    pub personal_summary: Option<String>,
    pub other_td_numbers: Option<String>,
    pub custody_information: Option<String>,
}

fn tagged_fields(
    outer: u32,
    tag_list: &[u8],
    fields: &[(u32, Option<&[u8]>)],
    a0: Option<Vec<u8>>,
) -> Vec<u8> {
    let mut b = Builder::new().prim(0x5C, tag_list);
    let mut a0 = a0;
    for (i, (tag, v)) in fields.iter().enumerate() {
        if let Some(v) = v {
            b = b.prim(*tag, v);
        }
        // The A0 template goes after the first field (full name / date of issue).
        if i == 1 {
            if let Some(t) = a0.take() {
                b = b.raw(&t);
            }
        }
    }
    if let Some(t) = a0 {
        b = b.raw(&t);
    }
    encode(outer, &b.finish())
}

fn repeated_template(tag: u32, names: &[String]) -> Option<Vec<u8>> {
    if names.is_empty() {
        return None;
    }
    let mut b = Builder::new().prim(0x02, &der_uint(&names.len().to_be_bytes()));
    for n in names {
        b = b.prim(tag, n.as_bytes());
    }
    Some(encode(0xA0, &b.finish()))
}

fn tag_list(fields: &[(u32, Option<&[u8]>)], extra: Option<u32>) -> Vec<u8> {
    let mut out = Vec::new();
    for (t, v) in fields {
        if v.is_some() {
            crate::tlv::encode_tag(*t, &mut out);
        }
    }
    if let Some(t) = extra {
        crate::tlv::encode_tag(t, &mut out);
    }
    out
}

/// EF.DG11.
pub fn encode_dg11(f: &Dg11Fields) -> Vec<u8> {
    let s = |o: &Option<String>| o.as_ref().map(|s| s.as_bytes().to_vec());
    let vals: Vec<(u32, Option<Vec<u8>>)> = vec![
        (0x5F0E, s(&f.full_name)),
        (0x5F10, s(&f.personal_number)),
        (0x5F2B, s(&f.full_date_of_birth)),
        (0x5F11, s(&f.place_of_birth)),
        (0x5F42, s(&f.address)),
        (0x5F12, s(&f.telephone)),
        (0x5F13, s(&f.profession)),
        (0x5F14, s(&f.title)),
        (0x5F15, s(&f.personal_summary)),
        (0x5F17, s(&f.other_td_numbers)),
        (0x5F18, s(&f.custody_information)),
    ];
    let fields: Vec<(u32, Option<&[u8]>)> = vals.iter().map(|(t, v)| (*t, v.as_deref())).collect();
    let a0 = repeated_template(0x5F0F, &f.other_names);
    let extra = a0.as_ref().map(|_| 0x5F0F);
    // The A0 template follows the full name (index 0): pass it after field 0.
    let mut b = Builder::new().prim(0x5C, &tag_list(&fields, extra));
    let mut a0 = a0;
    for (i, (tag, v)) in fields.iter().enumerate() {
        if let Some(v) = v {
            b = b.prim(*tag, v);
        }
        if i == 0 {
            if let Some(t) = a0.take() {
                b = b.raw(&t);
            }
        }
    }
    encode(0x6B, &b.finish())
}

/// DG12 content (Doc 9303-10 §4.7.12); `None` fields are omitted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Dg12Fields {
    pub issuing_authority: Option<String>,
    /// 8 ASCII digits YYYYMMDD.
    pub date_of_issue: Option<String>,
    pub other_persons: Vec<String>,
    pub endorsements: Option<String>,
    pub tax_exit_requirements: Option<String>,
    /// 14 ASCII digits YYYYMMDDhhmmss.
    pub personalization_time: Option<String>,
    pub personalization_device_serial: Option<String>,
}

/// EF.DG12.
pub fn encode_dg12(f: &Dg12Fields) -> Vec<u8> {
    let s = |o: &Option<String>| o.as_ref().map(|s| s.as_bytes().to_vec());
    let vals: Vec<(u32, Option<Vec<u8>>)> = vec![
        (0x5F19, s(&f.issuing_authority)),
        (0x5F26, s(&f.date_of_issue)),
        (0x5F1B, s(&f.endorsements)),
        (0x5F1C, s(&f.tax_exit_requirements)),
        (0x5F55, s(&f.personalization_time)),
        (0x5F56, s(&f.personalization_device_serial)),
    ];
    let fields: Vec<(u32, Option<&[u8]>)> = vals.iter().map(|(t, v)| (*t, v.as_deref())).collect();
    let a0 = repeated_template(0x5F1A, &f.other_persons);
    let extra = a0.as_ref().map(|_| 0x5F1A);
    let tl = tag_list(&fields, extra);
    tagged_fields(0x6C, &tl, &fields, a0)
}

// ---------------------------------------------------------------------------------------------
// ASN.1 (DER): SecurityInfos, SPKI, LDSSecurityObject, CMS wrappers
// ---------------------------------------------------------------------------------------------

/// PACEInfo (Doc 9303-11 §9.2.1).
pub fn pace_info(protocol: &str, version: u64, parameter_id: Option<u64>) -> Vec<u8> {
    let p = parameter_id.map(der_small).unwrap_or_default();
    seq(&[&der_oid(protocol), &der_small(version), &p])
}

/// ChipAuthenticationInfo (Doc 9303-11 §9.2.5).
pub fn chip_authentication_info(protocol: &str, version: u64, key_id: Option<u64>) -> Vec<u8> {
    let k = key_id.map(der_small).unwrap_or_default();
    seq(&[&der_oid(protocol), &der_small(version), &k])
}

/// ChipAuthenticationPublicKeyInfo with id-PK-ECDH and standardized domain parameters
/// (TR-03110 form, as in Doc 9303-11 App. I.1).
pub fn chip_authentication_public_key_info_ecdh(
    parameter_id: u64,
    point: &[u8],
    key_id: Option<u64>,
) -> Vec<u8> {
    let alg = seq(&[
        &der_oid_bytes(oid::STANDARDIZED_DOMAIN_PARAMETERS),
        &der_small(parameter_id),
    ]);
    let mut bits = vec![0u8];
    bits.extend_from_slice(point);
    let spki = seq(&[&alg, &encode(0x03, &bits)]);
    let k = key_id.map(der_small).unwrap_or_default();
    seq(&[&der_oid_bytes(oid::ID_PK_ECDH), &spki, &k])
}

/// A DH SubjectPublicKeyInfo (TR-03110-3 §A.1.1.1, Doc 9303-11 §9.2.6): standardizedDomainParameters
/// with `parameter_id` (0-2), or, with `explicit = Some((p, g, q))`, dhpublicnumber with X9.42
/// DomainParameters; the public value `y` (unsigned) as a DER INTEGER in the BIT STRING.
pub fn spki_dh(parameter_id: u64, explicit: Option<(&[u8], &[u8], &[u8])>, y: &[u8]) -> Vec<u8> {
    let alg = match explicit {
        None => seq(&[
            &der_oid_bytes(oid::STANDARDIZED_DOMAIN_PARAMETERS),
            &der_small(parameter_id),
        ]),
        Some((p, g, q)) => seq(&[
            &der_oid_bytes(oid::DH_PUBLIC_NUMBER),
            &seq(&[
                &encode(0x02, &der_uint(p)),
                &encode(0x02, &der_uint(g)),
                &encode(0x02, &der_uint(q)),
            ]),
        ]),
    };
    let mut bits = vec![0u8];
    bits.extend_from_slice(&encode(0x02, &der_uint(y)));
    seq(&[&alg, &encode(0x03, &bits)])
}

/// ChipAuthenticationPublicKeyInfo with id-PK-DH and the SPKI of [`spki_dh`].
pub fn chip_authentication_public_key_info_dh(spki: &[u8], key_id: Option<u64>) -> Vec<u8> {
    let k = key_id.map(der_small).unwrap_or_default();
    seq(&[&der_oid_bytes(oid::ID_PK_DH), spki, &k])
}

/// ActiveAuthenticationInfo (Doc 9303-11 §9.2.8).
pub fn active_authentication_info(signature_algorithm: &str) -> Vec<u8> {
    seq(&[
        &der_oid_bytes(oid::ID_ICAO_AA),
        &der_small(1),
        &der_oid(signature_algorithm),
    ])
}

/// TerminalAuthenticationInfo.
pub fn terminal_authentication_info(version: u64) -> Vec<u8> {
    seq(&[&der_oid_bytes(oid::ID_TA), &der_small(version)])
}

/// A SecurityInfos SET of the given encoded infos, in the given order (EF.CardAccess).
pub fn encode_security_infos(infos: &[Vec<u8>]) -> Vec<u8> {
    encode(0x31, &infos.concat())
}

/// EF.DG14: `6E L SecurityInfos`.
pub fn encode_dg14(infos: &[Vec<u8>]) -> Vec<u8> {
    encode(0x6E, &encode_security_infos(infos))
}

/// An RSA SubjectPublicKeyInfo from unsigned modulus and exponent.
pub fn spki_rsa(modulus: &[u8], exponent: &[u8]) -> Vec<u8> {
    let alg = seq(&[&der_oid_bytes(oid::RSA_ENCRYPTION), &[0x05, 0x00]]);
    let key = seq(&[
        &encode(0x02, &der_uint(modulus)),
        &encode(0x02, &der_uint(exponent)),
    ]);
    let mut bits = vec![0u8];
    bits.extend_from_slice(&key);
    seq(&[&alg, &encode(0x03, &bits)])
}

/// Explicit prime-field EC domain parameters (X9.62 ECParameters), unsigned big-endian values.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct EcDomain {
    pub p: Vec<u8>,
    pub a: Vec<u8>,
    pub b: Vec<u8>,
    /// Encoded base point (04 || x || y).
    pub g: Vec<u8>,
    pub n: Vec<u8>,
    pub h: u64,
}

/// An EC SubjectPublicKeyInfo with explicit parameters (the form Doc 9303-12 requires).
pub fn spki_ec_explicit(domain: &EcDomain, point: &[u8]) -> Vec<u8> {
    let field = seq(&[
        &der_oid_bytes(oid::PRIME_FIELD),
        &encode(0x02, &der_uint(&domain.p)),
    ]);
    let curve = seq(&[&encode(0x04, &domain.a), &encode(0x04, &domain.b)]);
    let params = seq(&[
        &der_small(1),
        &field,
        &curve,
        &encode(0x04, &domain.g),
        &encode(0x02, &der_uint(&domain.n)),
        &der_small(domain.h),
    ]);
    let alg = seq(&[&der_oid_bytes(oid::EC_PUBLIC_KEY), &params]);
    let mut bits = vec![0u8];
    bits.extend_from_slice(point);
    seq(&[&alg, &encode(0x03, &bits)])
}

/// An EC SubjectPublicKeyInfo with a named curve.
pub fn spki_ec_named(curve: &str, point: &[u8]) -> Vec<u8> {
    let alg = seq(&[&der_oid_bytes(oid::EC_PUBLIC_KEY), &der_oid(curve)]);
    let mut bits = vec![0u8];
    bits.extend_from_slice(point);
    seq(&[&alg, &encode(0x03, &bits)])
}

/// EF.DG15: `6F L SubjectPublicKeyInfo`.
pub fn encode_dg15(spki: &[u8]) -> Vec<u8> {
    encode(0x6F, spki)
}

/// The id-sha256 AlgorithmIdentifier (with NULL parameters, as in the BSI reference SOD).
pub fn sha256_algorithm() -> Vec<u8> {
    seq(&[&der_oid("2.16.840.1.101.3.4.2.1"), &[0x05, 0x00]])
}

/// An LDSSecurityObject (Doc 9303-10 §4.6.2.2): v0 without, v1 with `version_info`
/// (ldsVersion, unicodeVersion).
pub fn encode_lds_security_object(
    hash_algorithm: &[u8],
    hashes: &[(u8, Vec<u8>)],
    version_info: Option<(&str, &str)>,
) -> Vec<u8> {
    let list: Vec<u8> = hashes
        .iter()
        .flat_map(|(n, h)| seq(&[&der_small(u64::from(*n)), &encode(0x04, h)]))
        .collect();
    let (version, vi) = match version_info {
        Some((l, u)) => (
            1,
            seq(&[&encode(0x13, l.as_bytes()), &encode(0x13, u.as_bytes())]),
        ),
        None => (0, Vec::new()),
    };
    seq(&[
        &der_small(version),
        hash_algorithm,
        &encode(0x30, &list),
        &vi,
    ])
}

/// A ContentInfo with an UNSIGNED SignedData (no certificates, empty signerInfos) around
/// `econtent` of type `econtent_type` (content octets of the OID). For structure tests only;
/// signing comes with the test PKI.
pub fn unsigned_content_info(econtent_type: &[u8], econtent: &[u8]) -> Vec<u8> {
    let encap = seq(&[
        &der_oid_bytes(econtent_type),
        &encode(0xA0, &encode(0x04, econtent)),
    ]);
    let signed_data = seq(&[
        &der_small(3),
        &encode(0x31, &sha256_algorithm()),
        &encap,
        &encode(0x31, &[]),
    ]);
    seq(&[
        &der_oid_bytes(oid::ID_SIGNED_DATA),
        &encode(0xA0, &signed_data),
    ])
}

/// EF.SOD (`77 L ContentInfo`) with an unsigned SignedData around `lds_security_object`.
pub fn encode_unsigned_sod(lds_security_object: &[u8]) -> Vec<u8> {
    encode(
        0x77,
        &unsigned_content_info(oid::ID_ICAO_LDS_SECURITY_OBJECT, lds_security_object),
    )
}

/// EF.CardSecurity with an unsigned SignedData around `security_infos` (a SET).
pub fn encode_unsigned_card_security(security_infos: &[u8]) -> Vec<u8> {
    unsigned_content_info(oid::ID_SECURITY_OBJECT, security_infos)
}

// ---------------------------------------------------------------------------------------------
// The synthetic passport
// ---------------------------------------------------------------------------------------------

/// A deterministic fake JPEG of exactly `size` bytes (minimum 8): SOI + APP0 "JFIF" header,
/// pseudo-random filler from `seed`, EOI. It has valid magic but is not a decodable image.
pub fn fake_jpeg(size: usize, seed: u64) -> Vec<u8> {
    let head: [u8; 20] = [
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00,
        0x01, 0x00, 0x01, 0x00, 0x00,
    ];
    let size = size.max(8);
    let mut out = Vec::with_capacity(size);
    out.extend(head.iter().take(size.saturating_sub(2)));
    let fill = size.saturating_sub(out.len()).saturating_sub(2);
    let mut body = vec![0u8; fill];
    SplitMix64::new(seed).fill(&mut body);
    out.extend_from_slice(&body);
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

/// Parameters of the synthetic passport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenParams {
    /// Size of the fake JPEG in DG2 (bytes).
    pub jpeg_size: usize,
    /// Seed for the filler bytes.
    pub seed: u64,
}

impl Default for GenParams {
    fn default() -> Self {
        GenParams {
            jpeg_size: 25 * 1024,
            seed: 0x1CA0_9303,
        }
    }
}

/// The synthetic holder's TD3 MRZ (Doc 9303-4): UTOPIA, SPECIMEN ANNA MARIA, with check
/// digits computed by [`crate::mrz::check_digit`].
pub fn specimen_mrz() -> [String; 2] {
    let cd = |s: &str| {
        crate::mrz::check_digit(s)
            .map(|d| char::from(b'0'.saturating_add(d)))
            .unwrap_or('<')
    };
    let line1 = format!("{:<<44}", "P<UTOSPECIMEN<<ANNA<MARIA");
    let doc = "U12345678";
    let dob = "850101";
    let doe = "351231";
    let opt = "<<<<<<<<<<<<<<";
    let part_doc = format!("{doc}{}", cd(doc));
    let part_dob = format!("{dob}{}", cd(dob));
    let part_doe = format!("{doe}{}", cd(doe));
    let part_opt = format!("{opt}{}", cd(opt));
    let composite = cd(&format!("{part_doc}{part_dob}{part_doe}{part_opt}"));
    let line2 = format!("{part_doc}UTO{part_dob}F{part_doe}{part_opt}{composite}");
    [line1, line2]
}

/// The static Chip Authentication public key of Doc 9303-11 App. I.1 (a valid
/// brainpoolP256r1 point), reused so the synthetic DG14 holds a real curve point.
pub const CA_PUBLIC_POINT_I1: &str = "041872709494399E7470A6431BE25E83EEE24FEA568C2ED28DB48E05DB3A610DC884D256A40E35EFCB59BF6753D3A489D28C7A4D973C2DA138A6E7A4A08F68E16F";

/// Generates the synthetic passport with default parameters.
pub fn generate() -> Vec<(String, Vec<u8>)> {
    generate_with(GenParams::default())
}

/// Generates the synthetic passport: `(file name, bytes)` for EF.COM, DG1, DG2, DG11, DG12,
/// DG14, DG15, EF.CardAccess and an unsigned EF.SOD whose LDSSecurityObject holds the SHA-256
/// of every generated data group.
pub fn generate_with(p: GenParams) -> Vec<(String, Vec<u8>)> {
    let mrz = specimen_mrz();
    let com = encode_com("0108", "040000", &[0x61, 0x75, 0x6B, 0x6C, 0x6E, 0x6F]);
    let dg1 = encode_dg1(&[mrz[0].as_str(), mrz[1].as_str()]);
    let dg2 = encode_dg2_19794_5(
        &fake_jpeg(p.jpeg_size, p.seed),
        FaceSpec {
            width: 413,
            height: 531,
            image_data_type: 0,
        },
    );
    let dg11 = encode_dg11(&Dg11Fields {
        full_name: Some("SPECIMEN<<ANNA<MARIA".into()),
        other_names: vec!["SPECIMEN<<ANNE".into()],
        personal_number: Some("123456789".into()),
        full_date_of_birth: Some("19850101".into()),
        place_of_birth: Some("UTOPIA CITY".into()),
        address: Some("1 SPECIMEN STREET<UTOPIA CITY".into()),
        telephone: Some("".into()),
        profession: Some("TESTER".into()),
        ..Dg11Fields::default()
    });
    let dg12 = encode_dg12(&Dg12Fields {
        issuing_authority: Some("UTOPIA PASSPORT OFFICE".into()),
        date_of_issue: Some("20251231".into()),
        endorsements: Some("NONE".into()),
        personalization_time: Some("20251230120000".into()),
        personalization_device_serial: Some("SYNTH-0001".into()),
        ..Dg12Fields::default()
    });
    let point = hex::decode(CA_PUBLIC_POINT_I1).unwrap_or_default();
    let dg14 = encode_dg14(&[
        pace_info("0.4.0.127.0.7.2.2.4.2.2", 2, Some(13)),
        chip_authentication_info("0.4.0.127.0.7.2.2.3.2.2", 1, None),
        chip_authentication_public_key_info_ecdh(13, &point, None),
        terminal_authentication_info(1),
        // ecdsa-plain-SHA256 (BSI TR-03111): the hash of Active Authentication.
        active_authentication_info("0.4.0.127.0.7.1.1.4.1.3"),
    ]);
    // The Active Authentication key: synthetic P-256 test key (testkit::aa_keys).
    let aa_point = super::aa_keys::p256_point(&super::aa_keys::p256_key());
    let dg15 = encode_dg15(&spki_ec_named("1.2.840.10045.3.1.7", &aa_point));
    let card_access = encode_security_infos(&[pace_info("0.4.0.127.0.7.2.2.4.2.2", 2, Some(13))]);
    let hashes: Vec<(u8, Vec<u8>)> = [
        (1u8, &dg1),
        (2, &dg2),
        (11, &dg11),
        (12, &dg12),
        (14, &dg14),
        (15, &dg15),
    ]
    .iter()
    .map(|(n, b)| (*n, Sha256::digest(b.as_slice()).to_vec()))
    .collect();
    let lso = encode_lds_security_object(&sha256_algorithm(), &hashes, Some(("0108", "040000")));
    let sod = encode_unsigned_sod(&lso);
    vec![
        ("EF_COM.bin".into(), com),
        ("DG1.bin".into(), dg1),
        ("DG2.bin".into(), dg2),
        ("DG11.bin".into(), dg11),
        ("DG12.bin".into(), dg12),
        ("DG14.bin".into(), dg14),
        ("DG15.bin".into(), dg15),
        ("EF_CardAccess.bin".into(), card_access),
        ("EF_SOD.bin".into(), sod),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic() {
        assert_eq!(generate(), generate());
        let small = generate_with(GenParams {
            jpeg_size: 100,
            ..GenParams::default()
        });
        let dg2 = &small.iter().find(|(n, _)| n == "DG2.bin").unwrap().1;
        assert!(dg2.len() < 200);
    }

    #[test]
    fn fake_jpeg_size_and_magic() {
        for size in [0, 8, 21, 100, 25 * 1024] {
            let j = fake_jpeg(size, 1);
            assert_eq!(j.len(), size.max(8));
            assert!(j.starts_with(&[0xFF, 0xD8, 0xFF]));
            assert!(j.ends_with(&[0xFF, 0xD9]));
        }
    }

    #[test]
    fn mrz_check_digits() {
        let [l1, l2] = specimen_mrz();
        assert_eq!(l1.len(), 44);
        assert_eq!(l2.len(), 44);
        assert_eq!(
            &l2[9..10],
            &crate::mrz::check_digit("U12345678").unwrap().to_string()
        );
    }

    #[test]
    fn der_uint_forms() {
        assert_eq!(der_uint(&[0x80]), vec![0x00, 0x80]);
        assert_eq!(der_uint(&[0x00, 0x00, 0x05]), vec![0x05]);
        assert_eq!(der_uint(&[0, 0]), vec![0]);
        assert_eq!(der_small(0), vec![0x02, 0x01, 0x00]);
    }
}
