//! `inspectd lds FILE... [--json]`: identifies each LDS file by its tag or structure and prints
//! what it holds. Images are never printed (format and size only). Nothing is logged.
//! Exit 0 when every file parsed, 2 when any file is unusable (the others are still reported).

use inspectd::lds::biometric::BiometricGroup;
use inspectd::lds::security_infos::{SecurityInfo, SecurityInfos};
use inspectd::lds::spki::{AlgorithmIdentifier, DomainParameters, PublicKey, SubjectPublicKeyInfo};
use inspectd::lds::{self, cms::SignedData, oid, DateField, LdsFile, TextField};
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// LDS files (EF.COM, EF.SOD, EF.DGx, EF.CardAccess, EF.CardSecurity ...), as read.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print JSON (an array with one object per file) instead of text.
    #[arg(long)]
    json: bool,
}

/// Cap on the size of a file we read: Doc 9303 files are far below this (DG2 a few tens of KB).
const MAX_FILE: u64 = 16 * 1024 * 1024;

/// Runs the subcommand.
pub fn run(args: Args) -> ExitCode {
    let mut out = Vec::new();
    let mut all_ok = true;
    for path in &args.files {
        let (v, ok) = describe_path(path);
        all_ok &= ok;
        out.push(v);
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&Value::Array(out)).unwrap_or_default()
        );
    } else {
        for v in &out {
            print_text(v);
        }
    }
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

fn describe_path(path: &PathBuf) -> (Value, bool) {
    let name = path.display().to_string();
    let bytes = match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_FILE => {
            return (json!({"file": name, "error": "file too large"}), false)
        }
        Ok(_) => match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => return (json!({"file": name, "error": e.to_string()}), false),
        },
        Err(e) => return (json!({"file": name, "error": e.to_string()}), false),
    };
    match lds::parse(&bytes) {
        Ok(f) => {
            let mut m = Map::new();
            m.insert("file".into(), json!(name));
            m.insert("type".into(), json!(f.id().name()));
            m.insert("size".into(), json!(bytes.len()));
            describe(&f, &mut m);
            (Value::Object(m), true)
        }
        Err(e) => {
            let mut m = Map::new();
            m.insert("file".into(), json!(name));
            if let Some(id) = lds::identify(&bytes) {
                m.insert("type".into(), json!(id.name()));
            }
            m.insert("size".into(), json!(bytes.len()));
            m.insert("error".into(), json!(e.to_string()));
            if let Some(o) = e.offset() {
                m.insert("offset".into(), json!(o));
            }
            (Value::Object(m), false)
        }
    }
}

fn text(t: &Option<TextField<'_>>) -> Value {
    t.as_ref().map_or(Value::Null, |t| json!(t.lossy()))
}

fn date(d: &Option<DateField<'_>>) -> Value {
    d.as_ref().map_or(Value::Null, |d| match d.digits() {
        Some(s) => json!(s),
        None => json!(hex::encode_upper(d.bytes())),
    })
}

fn image_len(b: &Option<&[u8]>) -> Value {
    b.map_or(
        Value::Null,
        |b| json!({"format": lds::image::ImageFormat::from_magic(b).name(), "size": b.len()}),
    )
}

fn insert_nonnull(m: &mut Map<String, Value>, k: &str, v: Value) {
    if !v.is_null() {
        m.insert(k.into(), v);
    }
}

fn describe(f: &LdsFile<'_>, m: &mut Map<String, Value>) {
    match f {
        LdsFile::Com(c) => {
            m.insert("lds_version".into(), json!(c.lds_version.dotted()));
            m.insert("unicode_version".into(), json!(c.unicode_version.dotted()));
            let files: Vec<&str> = c.files().iter().map(|f| f.name()).collect();
            m.insert("tag_list".into(), json!(hex::encode_upper(c.tag_list)));
            m.insert("data_groups".into(), json!(files));
            m.insert(
                "note".into(),
                json!("EF.COM is not protected by Passive Authentication; informational only"),
            );
        }
        LdsFile::Dg1(d) => {
            match d.mrz() {
                Ok(mrz) => m.insert("mrz".into(), json!(mrz.lines())),
                Err(e) => m.insert("mrz_error".into(), json!(e.to_string())),
            };
        }
        LdsFile::Dg2(d) => {
            m.insert("biometric".into(), biometric(&d.group));
            let faces: Vec<Value> = d
                .faces
                .iter()
                .map(|f| {
                    json!({
                        "encoding": match f.encoding {
                            lds::dg2::FaceEncoding::Iso19794_5 => "ISO/IEC 19794-5",
                            lds::dg2::FaceEncoding::Iso39794_5 => "ISO/IEC 39794-5",
                        },
                        "version": f.version,
                        "width": f.width,
                        "height": f.height,
                        "image_data_type": f.image_data_type,
                        "image_format": f.format.name(),
                        "image_size": f.image.len(),
                    })
                })
                .collect();
            m.insert("faces".into(), json!(faces));
        }
        LdsFile::Dg3(g) | LdsFile::Dg4(g) => {
            m.insert("biometric".into(), biometric(g));
        }
        LdsFile::Dg5(d) | LdsFile::Dg7(d) => {
            let imgs: Vec<Value> = d
                .images
                .iter()
                .map(|i| json!({"format": i.format.name(), "size": i.bytes.len()}))
                .collect();
            m.insert("images".into(), json!(imgs));
        }
        LdsFile::Dg11(d) => {
            m.insert("tag_list".into(), json!(hex::encode_upper(d.tag_list)));
            insert_nonnull(m, "full_name", text(&d.full_name));
            let others: Vec<String> = d.other_names.iter().map(TextField::lossy).collect();
            if !others.is_empty() {
                m.insert("other_names".into(), json!(others));
            }
            insert_nonnull(m, "personal_number", text(&d.personal_number));
            insert_nonnull(m, "full_date_of_birth", date(&d.full_date_of_birth));
            insert_nonnull(m, "place_of_birth", text(&d.place_of_birth));
            insert_nonnull(m, "address", text(&d.address));
            insert_nonnull(m, "telephone", text(&d.telephone));
            insert_nonnull(m, "profession", text(&d.profession));
            insert_nonnull(m, "title", text(&d.title));
            insert_nonnull(m, "personal_summary", text(&d.personal_summary));
            insert_nonnull(
                m,
                "proof_of_citizenship",
                image_len(&d.proof_of_citizenship),
            );
            insert_nonnull(m, "other_td_numbers", text(&d.other_td_numbers));
            insert_nonnull(m, "custody_information", text(&d.custody_information));
        }
        LdsFile::Dg12(d) => {
            m.insert("tag_list".into(), json!(hex::encode_upper(d.tag_list)));
            insert_nonnull(m, "issuing_authority", text(&d.issuing_authority));
            insert_nonnull(m, "date_of_issue", date(&d.date_of_issue));
            let others: Vec<String> = d.other_persons.iter().map(TextField::lossy).collect();
            if !others.is_empty() {
                m.insert("other_persons".into(), json!(others));
            }
            insert_nonnull(m, "endorsements", text(&d.endorsements));
            insert_nonnull(m, "tax_exit_requirements", text(&d.tax_exit_requirements));
            insert_nonnull(m, "image_front", image_len(&d.image_front));
            insert_nonnull(m, "image_rear", image_len(&d.image_rear));
            insert_nonnull(m, "personalization_time", date(&d.personalization_time));
            insert_nonnull(
                m,
                "personalization_device_serial",
                text(&d.personalization_device_serial),
            );
        }
        LdsFile::Dg14(s) | LdsFile::CardAccess(s) => {
            m.insert("security_infos".into(), security_infos(s));
        }
        LdsFile::CardSecurity(c) => {
            m.insert("signed_data".into(), signed_data(&c.signed_data));
            m.insert("security_infos".into(), security_infos(&c.security_infos));
        }
        LdsFile::Dg15(d) => {
            m.insert("public_key".into(), spki(&d.public_key));
        }
        LdsFile::Sod(s) => {
            let l = &s.lds_security_object;
            m.insert("signed_data".into(), signed_data(&s.signed_data));
            m.insert("legacy_content_type".into(), json!(s.legacy_content_type));
            let hashes: Vec<Value> = l
                .data_group_hashes
                .iter()
                .map(|h| json!({"data_group": h.number, "hash": hex::encode_upper(h.hash)}))
                .collect();
            m.insert(
                "lds_security_object".into(),
                json!({
                    "version": l.version,
                    "hash_algorithm": alg(&l.hash_algorithm),
                    "data_group_hashes": hashes,
                    "lds_version": l.lds_version_info.map(|v| String::from_utf8_lossy(v.lds_version).into_owned()),
                    "unicode_version": l.lds_version_info.map(|v| String::from_utf8_lossy(v.unicode_version).into_owned()),
                }),
            );
            m.insert(
                "note".into(),
                json!("structure only: signatures are not verified by `inspectd lds`"),
            );
        }
        LdsFile::Raw(r) => {
            m.insert("tag".into(), json!(format!("{:02X}", r.tag)));
            m.insert("value_size".into(), json!(r.value.len()));
        }
        _ => {}
    }
}

fn biometric(g: &BiometricGroup<'_>) -> Value {
    let t: Vec<Value> = g
        .templates
        .iter()
        .map(|t| {
            json!({
                "format_owner": t.bht.format_owner.map(|v| format!("{v:04X}")),
                "format_type": t.bht.format_type.map(|v| format!("{v:04X}")),
                "biometric_type": t.bht.biometric_type.map(hex::encode_upper),
                "biometric_subtype": t.bht.biometric_subtype.map(hex::encode_upper),
                "data_block_tag": format!("{:X}", t.bdb_tag),
                "data_block_size": t.bdb.len(),
            })
        })
        .collect();
    json!({"count": g.count, "templates": t})
}

fn oid_json(o: lds::asn1::Oid<'_>) -> Value {
    match oid::name(o) {
        Some(n) => json!(format!("{} ({n})", o.dotted())),
        None => json!(o.dotted()),
    }
}

fn alg(a: &AlgorithmIdentifier<'_>) -> Value {
    let params = match &a.domain {
        DomainParameters::None => Value::Null,
        DomainParameters::Standardized(id) => json!({"standardized": id}),
        DomainParameters::NamedCurve(c) => json!({"named_curve": oid_json(*c)}),
        DomainParameters::ExplicitEc(e) => json!({
            "explicit_ec": {
                "p": hex::encode_upper(e.p), "a": hex::encode_upper(e.a), "b": hex::encode_upper(e.b),
                "g": hex::encode_upper(e.g), "n": hex::encode_upper(e.n), "h": e.h.map(hex::encode_upper),
            }
        }),
        DomainParameters::Dh(d) => json!({
            "dh": {"p_bits": d.p.len() * 8, "g": hex::encode_upper(d.g), "q_size": d.q.map(<[u8]>::len)}
        }),
        DomainParameters::Other(raw) => json!({"raw": hex::encode_upper(raw)}),
        _ => Value::Null,
    };
    json!({"algorithm": oid_json(a.algorithm), "parameters": params})
}

fn spki(s: &SubjectPublicKeyInfo<'_>) -> Value {
    let key = match &s.key {
        PublicKey::Rsa { modulus, exponent } => json!({
            "rsa": {"modulus_bits": modulus.len() * 8, "exponent": hex::encode_upper(exponent)}
        }),
        PublicKey::Ec { point } => json!({"ec_point": hex::encode_upper(point)}),
        PublicKey::Dh { y } => json!({"dh_public_size": y.len()}),
        PublicKey::Unknown { bytes } => json!({"unknown_size": bytes.len()}),
        _ => Value::Null,
    };
    json!({"algorithm": alg(&s.algorithm), "key": key})
}

fn security_infos(s: &SecurityInfos<'_>) -> Value {
    let v: Vec<Value> = s
        .infos
        .iter()
        .map(|i| {
            let mut m = Map::new();
            m.insert("kind".into(), json!(i.kind()));
            m.insert("protocol".into(), json!(i.protocol_dotted()));
            match i {
                SecurityInfo::Pace(p) => {
                    m.insert("version".into(), json!(p.version));
                    m.insert("parameter_id".into(), json!(p.parameter_id));
                    if let Some(d) = p.decoded {
                        m.insert("key_agreement".into(), json!(d.key_agreement));
                        m.insert("mapping".into(), json!(d.mapping));
                        m.insert("cipher".into(), json!(d.cipher));
                    }
                }
                SecurityInfo::PaceDomainParameter(p) => {
                    m.insert("domain_parameter".into(), alg(&p.domain_parameter));
                    m.insert("parameter_id".into(), json!(p.parameter_id));
                }
                SecurityInfo::ChipAuthentication(c) => {
                    m.insert("version".into(), json!(c.version));
                    m.insert("key_id".into(), json!(c.key_id));
                    if let Some(d) = c.decoded {
                        m.insert("key_agreement".into(), json!(d.key_agreement));
                        m.insert("cipher".into(), json!(d.cipher));
                    }
                }
                SecurityInfo::ChipAuthenticationDomainParameter(c) => {
                    m.insert("domain_parameter".into(), alg(&c.domain_parameter));
                    m.insert("key_id".into(), json!(c.key_id));
                }
                SecurityInfo::ChipAuthenticationPublicKey(c) => {
                    m.insert("key_agreement".into(), json!(c.key_agreement));
                    m.insert("public_key".into(), spki(&c.public_key));
                    m.insert("key_id".into(), json!(c.key_id));
                }
                SecurityInfo::ActiveAuthentication(a) => {
                    m.insert("version".into(), json!(a.version));
                    m.insert(
                        "signature_algorithm".into(),
                        oid_json(a.signature_algorithm),
                    );
                }
                SecurityInfo::TerminalAuthentication(t) => {
                    m.insert("version".into(), json!(t.version));
                }
                _ => {
                    m.insert("size".into(), json!(i.raw().len()));
                }
            }
            Value::Object(m)
        })
        .collect();
    json!(v)
}

fn signed_data(s: &SignedData<'_>) -> Value {
    let signers: Vec<Value> = s
        .signer_infos
        .iter()
        .map(|si| {
            json!({
                "version": si.version,
                "sid": format!("{:?}", si.sid_kind),
                "digest_algorithm": oid_json(si.digest_algorithm.algorithm),
                "signature_algorithm": oid_json(si.signature_algorithm.algorithm),
                "signed_attrs": si.signed_attrs.is_some(),
                "signature_size": si.signature.len(),
            })
        })
        .collect();
    let digests: Vec<Value> = s
        .digest_algorithms
        .iter()
        .map(|a| oid_json(a.algorithm))
        .collect();
    json!({
        "version": s.version,
        "digest_algorithms": digests,
        "econtent_type": oid_json(s.econtent_type),
        "certificates": s.certificates.len(),
        "crls": s.crls.len(),
        "signer_infos": signers,
    })
}

fn print_text(v: &Value) {
    let file = v.get("file").and_then(Value::as_str).unwrap_or("?");
    let ty = v
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("unidentified");
    println!("{file}: {ty}");
    if let Value::Object(m) = v {
        for (k, val) in m {
            if k == "file" || k == "type" {
                continue;
            }
            print_value(k, val, 1);
        }
    }
}

fn print_value(key: &str, v: &Value, depth: usize) {
    let pad = "  ".repeat(depth);
    match v {
        Value::Object(m) => {
            println!("{pad}{key}:");
            for (k, val) in m {
                print_value(k, val, depth + 1);
            }
        }
        Value::Array(a) if a.iter().any(|x| x.is_object()) => {
            println!("{pad}{key}:");
            for (i, x) in a.iter().enumerate() {
                print_value(&format!("[{i}]"), x, depth + 1);
            }
        }
        Value::Array(a) => {
            let items: Vec<String> = a
                .iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                .collect();
            println!("{pad}{key}: {}", items.join(", "));
        }
        Value::String(s) => println!("{pad}{key}: {s}"),
        Value::Null => {}
        other => println!("{pad}{key}: {other}"),
    }
}
