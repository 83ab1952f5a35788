//! The PostgreSQL watchlist backend over TLS: `sslmode=require` with the server's CA gives an
//! encrypted, verified connection; a wrong CA or no CA is an error, never an unverified or
//! plain connection. Runs on the server `scripts/pg.sh` starts with TLS on
//! (`INSPECTD_TEST_PG_CA`); skips with a message elsewhere, fails when PostgreSQL is required.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/pg.rs"]
mod pg;

use inspectd::watchlist::pg::{PgError, PgStore};
use inspectd::watchlist::{DocumentStatusSource, Query};

fn with_param(url: &str, p: &str) -> String {
    if url.contains('?') {
        format!("{url}&{p}")
    } else {
        format!("{url}?{p}")
    }
}

#[test]
fn sslmode_require_is_encrypted_and_verified() {
    let Some(url) = pg::database("tls") else {
        return;
    };
    let Some(ca) = std::env::var_os("INSPECTD_TEST_PG_CA") else {
        assert!(
            std::env::var_os("INSPECTD_REQUIRE_PG").is_none(),
            "INSPECTD_REQUIRE_PG is set but the server has no TLS (INSPECTD_TEST_PG_CA unset)"
        );
        eprintln!(
            "skipping: INSPECTD_TEST_PG_CA not set (scripts/pg.sh starts PostgreSQL with TLS)"
        );
        return;
    };
    let ca = std::path::PathBuf::from(ca);
    let require = with_param(&url, "sslmode=require");
    // Verified TLS: lookups work and the server sees an encrypted connection.
    let store = PgStore::open_with_ca(&require, Some(&ca)).unwrap();
    assert!(store.connection_encrypted().unwrap());
    store
        .import_csv(
            "sltd",
            std::io::Cursor::new(
                "issuing_state,document_type,document_number,status\nUTO,P,X00000001,lost\n",
            ),
            false,
            0,
        )
        .unwrap();
    let r = store
        .try_lookup(&Query::new("UTO", "P", "X00000001").unwrap())
        .unwrap();
    assert!(r.listed);
    // Without TLS asked for, and no CA, the connection is plain (the server allows both).
    let plain = PgStore::open_with_ca(&url, None).unwrap();
    assert!(!plain.connection_encrypted().unwrap());
    // require without a CA: refused before connecting.
    assert!(matches!(
        PgStore::open_with_ca(&require, None),
        Err(PgError::Tls(_))
    ));
    // A CA that did not sign the server certificate: the handshake fails.
    let dir = std::env::temp_dir().join(format!("inspectd-pg-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let wrong = dir.join("other-ca.pem");
    std::fs::write(&wrong, other.cert.pem()).unwrap();
    let e = PgStore::open_with_ca(&require, Some(&wrong)).unwrap_err();
    assert!(matches!(e, PgError::Db(_)), "{e:?}");
    // A file without a certificate is a clear error.
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    assert!(matches!(
        PgStore::open_with_ca(&require, Some(&empty)),
        Err(PgError::Tls(_))
    ));
    std::fs::remove_dir_all(&dir).ok();
}
