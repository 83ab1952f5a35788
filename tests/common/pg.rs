//! A PostgreSQL database per test, on the server `scripts/test.sh` starts through
//! `scripts/pg.sh` (`INSPECTD_TEST_PG`); shared by the test files that need one.
#![allow(clippy::unwrap_used, clippy::panic, dead_code)]

use postgres::NoTls;

/// A fresh database for one test; `None` (skip) only when no server is configured and the
/// environment does not require one.
pub fn database(name: &str) -> Option<String> {
    let require = std::env::var_os("INSPECTD_REQUIRE_PG").is_some();
    let Ok(url) = std::env::var("INSPECTD_TEST_PG") else {
        assert!(
            !require,
            "INSPECTD_REQUIRE_PG is set but INSPECTD_TEST_PG is not"
        );
        eprintln!("skipping {name}: INSPECTD_TEST_PG not set (scripts/test.sh starts a PostgreSQL server)");
        return None;
    };
    let mut admin = match postgres::Client::connect(&url, NoTls) {
        Ok(c) => c,
        Err(e) if !require => {
            eprintln!("skipping {name}: PostgreSQL at INSPECTD_TEST_PG unreachable: {e}");
            return None;
        }
        Err(e) => panic!("INSPECTD_REQUIRE_PG is set but PostgreSQL is unreachable: {e}"),
    };
    let db = format!("inspectd_t_{name}");
    // Two statements: neither may run inside a transaction block.
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .unwrap();
    Some(with_db(&url, &db))
}

fn with_db(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let (head, _) = base.rsplit_once('/').unwrap();
    format!("{head}/{db}{query}")
}
