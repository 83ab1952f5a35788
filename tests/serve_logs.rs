//! `inspectd serve` application logs (JSON lines when asked, one line per call, and never
//! personal data: document numbers, names, dates of birth, MRZ, even at trace level) and the
//! effective configuration its flags produce.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_inspectd"))
}

const PKI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/pki");
const MRZ1: &str = "P<UTOSPECIMEN<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
const MRZ2: &str = "U123456784UTO8501019F3512311<<<<<<<<<<<<<<06";

#[test]
fn json_logs_one_line_per_call_and_no_personal_data_at_trace_level() {
    let dir = std::env::temp_dir().join(format!("inspectd-logs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = format!("http://127.0.0.1:{port}");
    let mut serve = bin()
        .args([
            "--log-format",
            "json",
            "serve",
            "--insecure",
            "--virtual-reader",
            "--no-pcsc",
        ])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg("--trust-store")
        .arg(dir.join("trust"))
        .arg("--watchlist")
        .arg(dir.join("watchlist"))
        .env("INSPECTD_LOG", "inspectd=trace,info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let client = |args: &[&str]| {
        bin()
            .args(["client", "--server", &server])
            .args(args)
            .output()
            .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while !client(&["readers"]).status.success() {
        assert!(Instant::now() < deadline, "service did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let o = client(&[
        "import-trust",
        &format!("{PKI}/csca-rsa.der"),
        &format!("{PKI}/crl-rsa.der"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = dir.join("list.csv");
    std::fs::write(
        &csv,
        "issuing_state,document_type,document_number,status\nUTO,P,U12345678,stolen\n",
    )
    .unwrap();
    let o = client(&["import-watchlist", "--list", "sltd", csv.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = client(&[
        "read",
        "--reader",
        "inspectd virtual reader",
        "--mrz",
        MRZ1,
        MRZ2,
    ]);
    // Listed: the verdict is invalid (exit 1) and the report says so.
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("INVALID"));
    let o = client(&[
        "check",
        "--issuing-state",
        "UTO",
        "--document-type",
        "P",
        "--document-number",
        "U12345678",
    ]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("stolen"));
    let _ = serve.kill();
    let _ = serve.wait();
    let mut log = String::new();
    serve
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    let mut calls = Vec::new();
    for line in log.lines().filter(|l| l.starts_with('{')) {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            v["level"].is_string() && v["timestamp"].is_string(),
            "{line}"
        );
        if v["message"] == "call" {
            calls.push(v["method"].as_str().unwrap().to_string());
        }
    }
    for m in [
        "ImportTrust",
        "ImportWatchlist",
        "ReadDocument",
        "CheckDocument",
    ] {
        assert!(
            calls.iter().any(|c| c.starts_with(m)),
            "no log line for {m}: {calls:?}"
        );
    }
    for personal in [
        "U12345678",
        "SPECIMEN",
        "ANNA",
        "MARIA",
        "850101",
        "19850101",
        "351231",
        MRZ2,
        "TESTER",
    ] {
        assert!(!log.contains(personal), "the log holds {personal}:\n{log}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// `serve --terminal-chain/--terminal-key` replace the config file's EAC credentials, and
/// one without the other is an argument error.
#[test]
fn terminal_credentials_flags_reach_the_effective_config() {
    let dir = std::env::temp_dir().join(format!("inspectd-serve-ta-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("c.toml");
    std::fs::write(
        &cfg,
        "insecure = true\nterminal_chain = [\"old-dv\", \"old-is\"]\nterminal_key = \"old-key\"\n",
    )
    .unwrap();
    let out = bin()
        .args(["serve", "--print-config", "--config"])
        .arg(&cfg)
        .args(["--terminal-chain", "dv.cvcert", "is.cvcert"])
        .args(["--terminal-key", "is.pkcs8.der"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let c: toml::Value = toml::from_str(&text).unwrap();
    assert_eq!(
        c["terminal_chain"].as_array().unwrap(),
        &vec![
            toml::Value::from("dv.cvcert"),
            toml::Value::from("is.cvcert")
        ],
        "{text}"
    );
    assert_eq!(c["terminal_key"].as_str(), Some("is.pkcs8.der"), "{text}");
    // Without flags the file's pair stands.
    let out = bin()
        .args(["serve", "--print-config", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("old-key"));
    let out = bin()
        .args(["serve", "--print-config", "--insecure"])
        .args(["--terminal-key", "is.pkcs8.der"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).ok();
}
