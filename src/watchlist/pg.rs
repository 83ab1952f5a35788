//! The PostgreSQL watchlist backend, for sites where several inspectd servers share one list.
//!
//! Same record model, CSV format and matching policy as the embedded [`super::Store`]: a lookup
//! fetches the records under the query's state and OCR-confusable number (an indexed,
//! precomputed `conf` column) and [`super::classify`] decides exact hits and possible matches.
//!
//! Schema (migrations in [`MIGRATIONS`], run by [`PgStore::open`] under an advisory lock, the
//! applied versions kept in `inspectd_schema`):
//! - `wl_lists`: one row per list (id, name, update time, record count, generation, partition);
//! - `wl_records`: partitioned by list (`PARTITION BY LIST (list_id)`), one partition per list.
//!
//! A full import of a list COPYs into a fresh staging table, indexes and analyses it, and only
//! then, in one transaction, detaches and drops the list's old partition and attaches the new
//! one: a concurrent reader sees the old list or the new one, never part of an import, and a
//! failed or killed import leaves the old partition live (the stale staging table is dropped
//! by the next import). Delta imports add and delete rows of a list in one transaction.
//!
//! Client choice: the synchronous `postgres` crate (a small pool of clients behind a mutex),
//! because [`super::DocumentStatusSource`] is synchronous and called from synchronous code
//! (CLI, inspection report). It runs its own Tokio runtime per call, so inside an async task
//! call it through `spawn_blocking`. Every session sets `statement_timeout` so a hung server
//! answers [`SourceError::Timeout`], never "not listed".

use std::io::{BufRead, Write};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use postgres::error::SqlState;
use postgres::{Client, Config, NoTls, Statement};
use serde::Serialize;

use super::csv::{Action, CsvError, DeltaRows, RowError, Rows};
use super::key::{confusable, DocType, Key};
use super::store::{ListInfo, Rejected, MAX_LIST_NAME, MAX_REPORTED_REJECTS};
use super::{classify, DocumentStatusSource, LookupResult, Query, Record, SourceError, Status};

const BACKEND: &str = "postgresql";
/// Idle connections kept for lookups.
pub const MAX_POOL: usize = 8;
/// Lookup statement timeout (set per session unless the URL sets `options`).
pub const STATEMENT_TIMEOUT_MS: u64 = 5000;
/// Connect timeout when the URL sets none.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Most candidate rows one lookup reads (a confusable bucket is tiny in real lists).
pub const MAX_CANDIDATES: i64 = 10_000;
/// Advisory lock keys (arbitrary, fixed): schema migration and imports.
const LOCK_MIGRATE: i64 = 0x7770_6d69_6772_6174;
const LOCK_IMPORT: i64 = 0x7770_696d_706f_7274;

/// Schema migrations, applied in order, each once.
pub const MIGRATIONS: &[(i32, &str)] = &[(
    1,
    "CREATE TABLE wl_lists (
        id integer PRIMARY KEY,
        name text NOT NULL UNIQUE,
        updated_unix bigint NOT NULL,
        records bigint NOT NULL,
        generation bigint NOT NULL,
        part text NOT NULL
    );
    CREATE SEQUENCE wl_list_id_seq;
    CREATE SEQUENCE wl_generation_seq;
    -- Delta-added rows number from 2^39, above any full-import row number.
    CREATE SEQUENCE wl_delta_seq START WITH 549755813888;
    CREATE TABLE wl_records (
        list_id integer NOT NULL,
        seq bigint NOT NULL,
        state text NOT NULL,
        doc_type text NOT NULL,
        number text NOT NULL,
        conf text NOT NULL,
        status smallint NOT NULL,
        issue_date date,
        expiry_date date,
        reported_date date,
        reference text
    ) PARTITION BY LIST (list_id);",
)];

/// PostgreSQL backend errors (never carry document numbers).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgError {
    /// The URL does not parse.
    #[error("bad PostgreSQL URL: {0}")]
    Url(String),
    /// The server or a statement failed.
    #[error("PostgreSQL: {0}")]
    Db(#[from] postgres::Error),
    /// Writing to a COPY stream failed.
    #[error("PostgreSQL COPY: {0}")]
    Copy(#[from] std::io::Error),
    /// The CSV header or input stream is unusable.
    #[error("{0}")]
    Csv(#[from] CsvError),
    /// A row was rejected in strict mode.
    #[error("line {line}: {reason}")]
    Row {
        /// 1-based line number.
        line: u64,
        /// Why.
        reason: RowError,
    },
    /// Bad list name.
    #[error("bad list name (1..={MAX_LIST_NAME} of A-Z a-z 0-9 _ . -)")]
    BadListName,
    /// The TLS settings are unusable (CA file unreadable or holding no certificate).
    #[error("PostgreSQL TLS: {0}")]
    Tls(String),
    /// The database schema is newer than this build.
    #[error("database schema version {found} is newer than this build knows ({known})")]
    SchemaTooNew {
        /// In the database.
        found: i32,
        /// Known here.
        known: i32,
    },
    /// A stored value does not decode.
    #[error("malformed stored record: {0}")]
    Corrupt(&'static str),
}

/// What a full import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PgImportReport {
    /// The list imported.
    pub list: String,
    /// Its new partition table.
    pub partition: String,
    /// Records accepted.
    pub accepted: u64,
    /// Rows rejected in total.
    pub rejected_total: u64,
    /// The first [`MAX_REPORTED_REJECTS`] rejected rows.
    pub rejected: Vec<Rejected>,
}

/// What a delta import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PgDeltaReport {
    /// The list changed.
    pub list: String,
    /// Rows added.
    pub added: u64,
    /// Stored records deleted by `remove` rows.
    pub removed: u64,
    /// Rows rejected in total.
    pub rejected_total: u64,
    /// The first [`MAX_REPORTED_REJECTS`] rejected rows.
    pub rejected: Vec<Rejected>,
}

/// Database statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PgStats {
    /// The lists.
    pub lists: Vec<ListInfo>,
    /// Records in all lists.
    pub records: u64,
    /// Bytes of the record partitions with their indexes and TOAST.
    pub disk_bytes: u64,
}

struct Conn {
    client: Client,
    lookup: Statement,
}

/// A PostgreSQL-backed watchlist (see the module documentation).
pub struct PgStore {
    config: Config,
    tls: Tls,
    pool: Mutex<Vec<Conn>>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The config may hold a password.
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

const LOOKUP_SQL: &str = "SELECT l.name, r.doc_type, r.number, r.status, \
     to_char(r.issue_date, 'YYYY-MM-DD'), to_char(r.expiry_date, 'YYYY-MM-DD'), \
     to_char(r.reported_date, 'YYYY-MM-DD'), r.reference, r.list_id, r.seq \
     FROM wl_records r JOIN wl_lists l ON l.id = r.list_id \
     WHERE r.state = $1 AND r.conf = $2 LIMIT $3";

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn source_error(e: &postgres::Error) -> SourceError {
    if e.code() == Some(&SqlState::QUERY_CANCELED) {
        SourceError::Timeout { backend: BACKEND }
    } else {
        SourceError::Unavailable {
            backend: BACKEND,
            reason: e.to_string(),
        }
    }
}

fn check_list_name(list: &str) -> Result<(), PgError> {
    super::store::valid_list_name(list)
        .then_some(())
        .ok_or(PgError::BadListName)
}

/// Environment variable naming the PEM file of the CA that signed the PostgreSQL server's
/// certificate (for `sslmode=require` or `prefer`).
pub const PG_CA_ENV: &str = "INSPECTD_PG_CA";

/// How connections are made (libpq's sslmode, as tokio-postgres reads it from the URL):
/// * `disable`: plain;
/// * `prefer` (the default) without a CA configured: plain, as before TLS support (a server
///   that requires TLS refuses, which is an error, never a silent downgrade of `require`);
/// * `prefer` with a CA: TLS verified against it whenever the server offers TLS;
/// * `require`: TLS verified against the CA (webpki checks, host name included); without a
///   CA configured this is an error. An unverified TLS session is never made.
#[derive(Clone)]
enum Tls {
    Plain,
    Rustls(tokio_postgres_rustls::MakeRustlsConnect),
}

impl Tls {
    fn for_config(config: &Config, ca: Option<&std::path::Path>) -> Result<Tls, PgError> {
        use postgres::config::SslMode;
        let mode = config.get_ssl_mode();
        let Some(path) = ca else {
            return match mode {
                SslMode::Require => Err(PgError::Tls(format!(
                    "sslmode=require needs the server's CA certificate ({PG_CA_ENV})"
                ))),
                _ => Ok(Tls::Plain),
            };
        };
        if mode == SslMode::Disable {
            return Ok(Tls::Plain);
        }
        use rustls::pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        let certs = rustls::pki_types::CertificateDer::pem_file_iter(path)
            .map_err(|e| PgError::Tls(format!("{}: {e}", path.display())))?;
        for c in certs {
            let c = c.map_err(|e| PgError::Tls(format!("{}: {e}", path.display())))?;
            roots
                .add(c)
                .map_err(|e| PgError::Tls(format!("{}: {e}", path.display())))?;
        }
        if roots.is_empty() {
            return Err(PgError::Tls(format!(
                "{}: no certificate in the file",
                path.display()
            )));
        }
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| PgError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Tls::Rustls(tokio_postgres_rustls::MakeRustlsConnect::new(
            tls,
        )))
    }
}

/// Is this `--store` value a PostgreSQL URL?
pub fn is_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

impl PgStore {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/db[?...]`) and runs the schema
    /// migrations. An unreachable server is an error here; later outages are lookup errors.
    pub fn open(url: &str) -> Result<PgStore, PgError> {
        let ca = std::env::var_os(PG_CA_ENV).map(std::path::PathBuf::from);
        Self::open_with_ca(url, ca.as_deref())
    }

    /// As [`PgStore::open`], with the CA that signed the server's certificate given here
    /// rather than in [`PG_CA_ENV`] (see [`Tls`] for how `sslmode` uses it).
    pub fn open_with_ca(url: &str, ca: Option<&std::path::Path>) -> Result<PgStore, PgError> {
        let mut config: Config = url.parse().map_err(|e: postgres::Error| {
            // The parse error names the bad part, never the password.
            PgError::Url(e.to_string())
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_options().is_none() {
            config.options(&format!("-c statement_timeout={STATEMENT_TIMEOUT_MS}"));
        }
        let tls = Tls::for_config(&config, ca)?;
        let store = PgStore {
            config,
            tls,
            pool: Mutex::new(Vec::new()),
        };
        let mut c = store.connect()?;
        migrate(&mut c)?;
        let lookup = c.prepare(LOOKUP_SQL)?;
        lock(&store.pool).push(Conn { client: c, lookup });
        Ok(store)
    }

    /// Whether this store's connections are TLS-encrypted (from the server's view,
    /// `pg_stat_ssl`).
    pub fn connection_encrypted(&self) -> Result<bool, PgError> {
        let mut c = self.conn()?;
        let row = c.client.query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )?;
        let encrypted: bool = row.get(0);
        self.give_back(c);
        Ok(encrypted)
    }

    fn connect(&self) -> Result<Client, postgres::Error> {
        match &self.tls {
            Tls::Plain => self.config.connect(NoTls),
            Tls::Rustls(t) => self.config.connect(t.clone()),
        }
    }

    fn conn(&self) -> Result<Conn, postgres::Error> {
        if let Some(c) = lock(&self.pool).pop() {
            if !c.client.is_closed() {
                return Ok(c);
            }
        }
        let mut client = self.connect()?;
        let lookup = client.prepare(LOOKUP_SQL)?;
        Ok(Conn { client, lookup })
    }

    fn give_back(&self, c: Conn) {
        let mut p = lock(&self.pool);
        if p.len() < MAX_POOL && !c.client.is_closed() {
            p.push(c);
        }
    }

    /// A connection for imports: no statement timeout (COPY and index builds take long).
    fn admin(&self) -> Result<Client, PgError> {
        let mut c = self.connect()?;
        c.batch_execute("SET statement_timeout = 0")?;
        Ok(c)
    }

    fn lookup_once(&self, q: &Query) -> Result<LookupResult, postgres::Error> {
        let mut c = self.conn()?;
        let conf = confusable(&q.key.document_number);
        let rows = c
            .client
            .query(&c.lookup, &[&q.key.issuing_state, &conf, &MAX_CANDIDATES]);
        let rows = match rows {
            Ok(r) => {
                self.give_back(c);
                r
            }
            Err(e) => return Err(e),
        };
        let mut candidates = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(r) = decode_row(&q.key.issuing_state, &row) else {
                tracing::warn!("watchlist: undecodable PostgreSQL row skipped");
                continue;
            };
            candidates.push(r);
        }
        Ok(classify(q, candidates))
    }

    /// Imports a CSV list (see [`super::csv`]), replacing the list `list` atomically.
    /// Malformed rows are reported and skipped unless `strict`, where the first aborts the
    /// import. Any error leaves the previous list live.
    pub fn import_csv<R: BufRead>(
        &self,
        list: &str,
        input: R,
        strict: bool,
        updated_unix: i64,
    ) -> Result<PgImportReport, PgError> {
        check_list_name(list)?;
        let rows = Rows::new(input, list)?;
        self.import_rows(list, rows, strict, updated_unix)
    }

    /// Imports records (e.g. from [`super::synth::generate`]) as the list `list`, through the
    /// same normalisation checks as CSV rows.
    pub fn import_records<I: IntoIterator<Item = Record>>(
        &self,
        list: &str,
        records: I,
        updated_unix: i64,
    ) -> Result<PgImportReport, PgError> {
        check_list_name(list)?;
        let rows = records.into_iter().enumerate().map(|(i, r)| {
            let line = u64::try_from(i).unwrap_or(u64::MAX).saturating_add(1);
            Ok((line, renormalise(r, list)))
        });
        self.import_rows(list, rows, false, updated_unix)
    }

    fn import_rows<I>(
        &self,
        list: &str,
        rows: I,
        strict: bool,
        updated_unix: i64,
    ) -> Result<PgImportReport, PgError>
    where
        I: Iterator<Item = Result<(u64, Result<Record, RowError>), CsvError>>,
    {
        let mut c = self.admin()?;
        // One import at a time; released when the connection closes, whatever happens.
        c.execute("SELECT pg_advisory_lock($1)", &[&LOCK_IMPORT])?;
        let existing = c.query_opt("SELECT id, part FROM wl_lists WHERE name = $1", &[&list])?;
        let (list_id, old_part): (i32, Option<String>) = match existing {
            Some(r) => (r.try_get(0)?, Some(r.try_get(1)?)),
            None => (
                c.query_one("SELECT nextval('wl_list_id_seq')::integer", &[])?
                    .try_get(0)?,
                None,
            ),
        };
        let generation: i64 = c
            .query_one("SELECT nextval('wl_generation_seq')", &[])?
            .try_get(0)?;
        let stage = format!("wl_stage_{list_id}");
        let part = format!("wl_part_{list_id}_{generation}");
        // Identifiers are built from integers only: nothing from the input reaches the SQL text.
        c.batch_execute(&format!(
            "DROP TABLE IF EXISTS {stage};
             CREATE TABLE {stage} (LIKE wl_records);
             ALTER TABLE {stage} ADD CONSTRAINT {stage}_list CHECK (list_id = {list_id});"
        ))?;

        let mut accepted = 0u64;
        let mut rejected = Vec::new();
        let mut rejected_total = 0u64;
        {
            let mut w = c.copy_in(&format!(
                "COPY {stage} (list_id, seq, state, doc_type, number, conf, status, \
                 issue_date, expiry_date, reported_date, reference) FROM STDIN"
            ))?;
            let mut w2 = std::io::BufWriter::with_capacity(1 << 16, &mut w);
            let mut line_buf = String::new();
            for row in rows {
                let (line, r) = row?;
                match r {
                    Ok(r) => {
                        accepted = accepted.saturating_add(1);
                        line_buf.clear();
                        copy_line(&mut line_buf, list_id, accepted, &r);
                        w2.write_all(line_buf.as_bytes())?;
                    }
                    // Dropping the writer unfinished aborts the COPY.
                    Err(reason) if strict => return Err(PgError::Row { line, reason }),
                    Err(reason) => {
                        rejected_total = rejected_total.saturating_add(1);
                        if rejected.len() < MAX_REPORTED_REJECTS {
                            rejected.push(Rejected {
                                line,
                                reason: reason.to_string(),
                            });
                        }
                    }
                }
            }
            w2.flush()?;
            drop(w2);
            w.finish()?;
        }
        c.batch_execute(&format!(
            "CREATE INDEX {stage}_conf ON {stage} (state, conf); ANALYZE {stage};"
        ))?;
        // The switch, in one transaction: readers see the old partition or the new one.
        let mut tx = c.transaction()?;
        if let Some(old) = &old_part {
            if valid_part_name(old) {
                tx.batch_execute(&format!(
                    "ALTER TABLE wl_records DETACH PARTITION {old}; DROP TABLE {old};"
                ))?;
            } else {
                return Err(PgError::Corrupt("partition name in wl_lists"));
            }
        }
        tx.batch_execute(&format!(
            "ALTER TABLE {stage} RENAME TO {part};
             ALTER INDEX {stage}_conf RENAME TO {part}_conf;
             ALTER TABLE wl_records ATTACH PARTITION {part} FOR VALUES IN ({list_id});"
        ))?;
        let records = i64::try_from(accepted).unwrap_or(i64::MAX);
        tx.execute(
            "INSERT INTO wl_lists (id, name, updated_unix, records, generation, part) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (id) DO UPDATE SET updated_unix = $3, records = $4, \
             generation = $5, part = $6",
            &[&list_id, &list, &updated_unix, &records, &generation, &part],
        )?;
        tx.commit()?;
        tracing::info!(
            list,
            accepted,
            rejected_total,
            "watchlist PostgreSQL import done"
        );
        Ok(PgImportReport {
            list: list.to_string(),
            partition: part,
            accepted,
            rejected_total,
            rejected,
        })
    }

    /// Applies a delta CSV (optional `action` column: `add` or `remove`) to `list` in one
    /// transaction. `remove` deletes every record of the list with the row's key. A list that
    /// does not exist yet is created empty first.
    pub fn import_delta_csv<R: BufRead>(
        &self,
        list: &str,
        input: R,
        strict: bool,
        updated_unix: i64,
    ) -> Result<PgDeltaReport, PgError> {
        check_list_name(list)?;
        let rows = DeltaRows::new(input, list)?;
        let mut c = self.admin()?;
        let id = |c: &mut Client| -> Result<Option<i32>, PgError> {
            Ok(
                c.query_opt("SELECT id FROM wl_lists WHERE name = $1", &[&list])?
                    .map(|r| r.try_get(0))
                    .transpose()?,
            )
        };
        let list_id = match id(&mut c)? {
            Some(i) => i,
            None => {
                self.import_rows(list, std::iter::empty(), false, updated_unix)?;
                id(&mut c)?.ok_or(PgError::Corrupt("list vanished"))?
            }
        };
        let mut tx = c.transaction()?;
        // Serialises with full imports of the list (which replace the partition).
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_IMPORT])?;
        let ins = tx.prepare(
            "INSERT INTO wl_records (list_id, seq, state, doc_type, number, conf, status, \
             issue_date, expiry_date, reported_date, reference) VALUES \
             ($1, nextval('wl_delta_seq'), $2, $3, $4, $5, $6, $7::text::date, $8::text::date, \
             $9::text::date, $10)",
        )?;
        let del = tx.prepare(
            "DELETE FROM wl_records WHERE list_id = $1 AND state = $2 AND conf = $3 \
             AND number = $4 AND doc_type = $5",
        )?;
        let (mut added, mut removed, mut rejected_total) = (0u64, 0u64, 0u64);
        let mut rejected = Vec::new();
        for row in rows {
            let (line, r) = row?;
            match r {
                Ok((Action::Add, r)) => {
                    let status = i16::from(r.status.code());
                    tx.execute(
                        &ins,
                        &[
                            &list_id,
                            &r.issuing_state,
                            &r.document_type.as_str(),
                            &r.document_number,
                            &confusable(&r.document_number),
                            &status,
                            &r.issue_date,
                            &r.expiry_date,
                            &r.reported_date,
                            &r.reference,
                        ],
                    )?;
                    added = added.saturating_add(1);
                }
                Ok((Action::Remove, r)) => {
                    let n = tx.execute(
                        &del,
                        &[
                            &list_id,
                            &r.issuing_state,
                            &confusable(&r.document_number),
                            &r.document_number,
                            &r.document_type.as_str(),
                        ],
                    )?;
                    removed = removed.saturating_add(n);
                }
                Err(reason) if strict => return Err(PgError::Row { line, reason }),
                Err(reason) => {
                    rejected_total = rejected_total.saturating_add(1);
                    if rejected.len() < MAX_REPORTED_REJECTS {
                        rejected.push(Rejected {
                            line,
                            reason: reason.to_string(),
                        });
                    }
                }
            }
        }
        tx.execute(
            "UPDATE wl_lists SET updated_unix = $2, \
             records = (SELECT count(*) FROM wl_records WHERE list_id = $1) WHERE id = $1",
            &[&list_id, &updated_unix],
        )?;
        tx.commit()?;
        Ok(PgDeltaReport {
            list: list.to_string(),
            added,
            removed,
            rejected_total,
            rejected,
        })
    }

    /// Deletes every record of `list` under `key` (revocation of a listing); returns how many.
    pub fn remove(&self, list: &str, key: &Key) -> Result<u64, PgError> {
        let csv = format!(
            "issuing_state,document_type,document_number,status,action\n{},{},{},,remove\n",
            key.issuing_state,
            key.document_type.as_str(),
            key.document_number
        );
        let now: i64 = self
            .admin()?
            .query_one("SELECT extract(epoch FROM now())::bigint", &[])?
            .try_get(0)?;
        Ok(self
            .import_delta_csv(list, csv.as_bytes(), true, now)?
            .removed)
    }

    /// Lists, counts and disk use.
    pub fn stats(&self) -> Result<PgStats, PgError> {
        let mut c = self.admin()?;
        let mut lists = Vec::new();
        let mut total = 0u64;
        for r in c.query(
            "SELECT id, name, updated_unix, records FROM wl_lists ORDER BY name",
            &[],
        )? {
            let id: i32 = r.try_get(0)?;
            let records = u64::try_from(r.try_get::<_, i64>(3)?).unwrap_or(0);
            total = total.saturating_add(records);
            let mut by_status = std::collections::BTreeMap::new();
            for s in c.query(
                "SELECT status, count(*) FROM wl_records WHERE list_id = $1 GROUP BY status",
                &[&id],
            )? {
                let code = u8::try_from(s.try_get::<_, i16>(0)?).unwrap_or(u8::MAX);
                let st = Status::from_code(code).ok_or(PgError::Corrupt("status code"))?;
                by_status.insert(
                    st.as_str().to_string(),
                    u64::try_from(s.try_get::<_, i64>(1)?).unwrap_or(0),
                );
            }
            lists.push(ListInfo {
                name: r.try_get(1)?,
                updated_unix: r.try_get(2)?,
                records,
                by_status,
            });
        }
        let disk: i64 = c
            .query_one(
                "SELECT COALESCE(sum(pg_total_relation_size(inhrelid)), 0)::bigint \
                 FROM pg_inherits WHERE inhparent = 'wl_records'::regclass",
                &[],
            )?
            .try_get(0)?;
        Ok(PgStats {
            lists,
            records: total,
            disk_bytes: u64::try_from(disk).unwrap_or(0),
        })
    }
}

impl DocumentStatusSource for PgStore {
    fn try_lookup(&self, q: &Query) -> Result<LookupResult, SourceError> {
        match self.lookup_once(q) {
            Ok(r) => Ok(r),
            // A pooled connection may have died since (server restart): one fresh try.
            Err(e) if e.is_closed() => self.lookup_once(q).map_err(|e| source_error(&e)),
            Err(e) => Err(source_error(&e)),
        }
    }
}

fn valid_part_name(s: &str) -> bool {
    s.strip_prefix("wl_part_")
        .is_some_and(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'_'))
}

fn decode_row(state: &str, row: &postgres::Row) -> Option<(u64, Record)> {
    let list: String = row.try_get(0).ok()?;
    let dt: String = row.try_get(1).ok()?;
    let status: i16 = row.try_get(3).ok()?;
    let list_id: i32 = row.try_get(8).ok()?;
    let seq: i64 = row.try_get(9).ok()?;
    let id = (u64::try_from(list_id).ok()? << 40) ^ u64::try_from(seq).ok()?;
    Some((
        id,
        Record {
            issuing_state: state.to_string(),
            document_type: DocType::parse(&dt).ok()?,
            document_number: row.try_get(2).ok()?,
            status: Status::from_code(u8::try_from(status).ok()?)?,
            issue_date: row.try_get(4).ok()?,
            expiry_date: row.try_get(5).ok()?,
            reported_date: row.try_get(6).ok()?,
            list,
            reference: row.try_get(7).ok()?,
        },
    ))
}

/// One row of COPY text format (tab-separated, `\N` for NULL, backslash escapes).
fn copy_line(out: &mut String, list_id: i32, seq: u64, r: &Record) {
    use std::fmt::Write as _;
    let _ = write!(
        out,
        "{list_id}\t{seq}\t{}\t{}\t{}\t{}\t{}\t",
        r.issuing_state,
        r.document_type.as_str(),
        r.document_number,
        confusable(&r.document_number),
        r.status.code()
    );
    for d in [&r.issue_date, &r.expiry_date, &r.reported_date] {
        copy_field(out, d.as_deref());
        out.push('\t');
    }
    copy_field(out, r.reference.as_deref());
    out.push('\n');
}

fn copy_field(out: &mut String, v: Option<&str>) {
    let Some(v) = v else {
        out.push_str("\\N");
        return;
    };
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

fn renormalise(r: Record, list: &str) -> Result<Record, RowError> {
    let k = |field: &'static str| move |source| RowError::Key { field, source };
    Ok(Record {
        issuing_state: super::key::normalize_state(&r.issuing_state).map_err(k("issuing_state"))?,
        document_number: super::key::normalize_number(&r.document_number)
            .map_err(k("document_number"))?,
        list: list.to_string(),
        ..r
    })
}

fn migrate(c: &mut Client) -> Result<(), PgError> {
    let mut tx = c.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_MIGRATE])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS inspectd_schema (
            version integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )?;
    let current: i32 = tx
        .query_one("SELECT COALESCE(max(version), 0) FROM inspectd_schema", &[])?
        .try_get(0)?;
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    if current > known {
        return Err(PgError::SchemaTooNew {
            found: current,
            known,
        });
    }
    for (v, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql)?;
        tx.execute("INSERT INTO inspectd_schema (version) VALUES ($1)", &[v])?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_escapes() {
        let mut s = String::new();
        copy_field(&mut s, Some("a\tb\\c\nd"));
        assert_eq!(s, "a\\tb\\\\c\\nd");
        s.clear();
        copy_field(&mut s, None);
        assert_eq!(s, "\\N");
        assert!(valid_part_name("wl_part_3_17"));
        assert!(!valid_part_name("wl_part_3; DROP"));
        assert!(is_url("postgres://u@h/db") && !is_url("/var/lib/wl"));
    }
}
