//! The embedded watchlist store: immutable on-disk snapshots, replaced atomically.
//!
//! Layout of a store directory:
//!
//! ```text
//! DIR/current                 the live snapshot name, then optionally the live delta file
//!                             name (replaced by write-to-temp + rename)
//! DIR/delta-00000007-00000002.jsonl  additions and removals over snap-00000007 (JSON lines)
//! DIR/snap-00000007/manifest.json  format, generation, lists (name, update time, counts)
//!                  /index.bin      format 4: block lengths, dictionaries, codes, fuse filters
//!                  /blocks.bin     format 4: bit-packed records, one block per hash bucket
//! ```
//!
//! Format 4 ([`super::snap3`]) is written by every import: a lookup asks an in-memory binary
//! fuse filter first (the "not listed" fast path), and only on a "maybe" reads one small block
//! with a positional read; the candidates go to [`super::classify`], which compares the full
//! normalised keys, so a hash collision or filter false positive is never reported as a hit.
//! Formats 1 and 2 (`payload.bin` + sorted `conf.keys`/`conf.offs`, read whole into memory)
//! still open, and so does format 3 (the same layout with fixed codes); the next import of any
//! list rewrites the store as format 4.
//!
//! Delta imports ([`Store::import_delta_csv`]) add and remove records between full imports
//! without rewriting the snapshot: the live delta (every change since the snapshot, compacted:
//! removals, then additions) is rewritten to a new file and `current` switched to name it. A full
//! import folds the delta into the new snapshot (compaction). An import writes a *new*
//! snapshot directory, syncs it, and only then points `current` at it: a crash or bad input at
//! any step leaves the previous snapshot live. Memory-mapping needs `unsafe`, which this crate
//! forbids: formats 3 and 4 read blocks with `read_at` and lets the page cache do the rest. Several
//! lists share one snapshot; importing a list replaces that list only.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use super::csv::{Action, CsvError, DeltaRows, RowError, Rows};
use super::key::{confusable, DocType, Key, MAX_NUMBER_LEN};
use super::snap3::{self, Snap3};
use super::{classify, DocumentStatusSource, LookupResult, Query, Record, SourceError, Status};

/// On-disk format version written (1, 2 and 3 still open).
pub const FORMAT: u32 = 4;
/// Rejected rows kept in an [`ImportReport`] (the rest are only counted).
pub const MAX_REPORTED_REJECTS: usize = 1000;
/// Most lists one store holds.
pub const MAX_LISTS: usize = 1024;
/// Longest list name.
pub const MAX_LIST_NAME: usize = 64;
/// Most changes a delta holds (it is kept in memory); beyond that, do a full import.
pub const MAX_DELTA_OPS: usize = 2_000_000;
/// Largest delta file read.
pub const MAX_DELTA_BYTES: u64 = 1 << 30;

const CURRENT: &str = "current";

/// Store errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The store has no snapshot yet.
    #[error("{path}: no watchlist snapshot (run an import first)")]
    Empty {
        /// The store directory.
        path: PathBuf,
    },
    /// A snapshot file is malformed.
    #[error("{file}: corrupt at byte {offset}: {what}")]
    Corrupt {
        /// The file.
        file: PathBuf,
        /// Byte offset of the problem.
        offset: u64,
        /// What is wrong.
        what: &'static str,
    },
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
    /// A list name is empty, too long or has characters other than `A-Za-z0-9_.-`.
    #[error("bad list name (1..={MAX_LIST_NAME} of A-Z a-z 0-9 _ . -)")]
    BadListName,
    /// More than [`MAX_LISTS`] lists.
    #[error("too many lists (max {MAX_LISTS})")]
    TooManyLists,
    /// The delta would exceed [`MAX_DELTA_OPS`] changes.
    #[error("the delta holds more than {MAX_DELTA_OPS} changes: run a full import")]
    DeltaTooLarge,
    /// A record cannot be stored in the snapshot format (line 0: a record carried over from
    /// the previous snapshot or delta).
    #[error("line {line}: record cannot be stored: {what}")]
    Unstorable {
        /// 1-based line number, or 0.
        line: u64,
        /// Why.
        what: &'static str,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One list in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListInfo {
    /// List name.
    pub name: String,
    /// When it was last imported (Unix seconds, as passed to the import).
    pub updated_unix: i64,
    /// Records in it.
    pub records: u64,
    /// Records per status (`Status::as_str`).
    pub by_status: BTreeMap<String, u64>,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// Increases with each import.
    pub generation: u64,
    /// Records in the snapshot.
    pub records: u64,
    /// The lists.
    pub lists: Vec<ListInfo>,
}

/// A row the import skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// 1-based line number in the input.
    pub line: u64,
    /// Why (never contains the document number).
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// The new live snapshot.
    pub snapshot: String,
    /// The list imported.
    pub list: String,
    /// Records accepted into the list.
    pub accepted: u64,
    /// Rows rejected in total.
    pub rejected_total: u64,
    /// The first [`MAX_REPORTED_REJECTS`] rejected rows.
    pub rejected: Vec<Rejected>,
    /// Records in the whole snapshot (all lists).
    pub total_records: u64,
}

/// Store statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Live snapshot name.
    pub snapshot: String,
    /// Its manifest.
    pub manifest: Manifest,
    /// Bytes of the snapshot files on disk (the delta file included).
    pub disk_bytes: u64,
    /// Live delta file, if any.
    pub delta: Option<String>,
    /// Records the delta adds.
    pub delta_added: u64,
    /// Keys the delta removes.
    pub delta_removed: u64,
}

/// What a delta import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeltaReport {
    /// The live snapshot.
    pub snapshot: String,
    /// The new live delta file.
    pub delta: String,
    /// The list changed.
    pub list: String,
    /// Rows that added a record.
    pub added: u64,
    /// Rows that removed a key.
    pub removed: u64,
    /// Rows rejected in total.
    pub rejected_total: u64,
    /// The first [`MAX_REPORTED_REJECTS`] rejected rows.
    pub rejected: Vec<Rejected>,
}

/// One change in a delta file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum DeltaOp {
    Add { record: Record },
    Remove { list: String, key: Key },
}

/// The delta layer: changes since the snapshot, held in memory.
#[derive(Debug, Default, Clone)]
struct Delta {
    added: Vec<Record>,
    removed: HashSet<(String, Key)>,
    // (state, confusable number) -> indexes into `added`.
    by_conf: HashMap<(String, String), Vec<usize>>,
}

impl Delta {
    fn apply(&mut self, op: DeltaOp) {
        match op {
            DeltaOp::Add { record } => self.added.push(record),
            DeltaOp::Remove { list, key } => {
                self.added.retain(|r| !(r.list == list && r.key() == key));
                self.removed.insert((list, key));
            }
        }
    }

    fn reindex(&mut self) {
        self.by_conf.clear();
        for (i, r) in self.added.iter().enumerate() {
            self.by_conf
                .entry((r.issuing_state.clone(), confusable(&r.document_number)))
                .or_default()
                .push(i);
        }
    }

    fn hides(&self, r: &Record) -> bool {
        !self.removed.is_empty() && self.removed.contains(&(r.list.clone(), r.key()))
    }

    fn ops(&self) -> usize {
        self.added.len().saturating_add(self.removed.len())
    }
}

/// Format 1 and 2 snapshots, read whole into memory.
#[derive(Debug)]
struct Legacy {
    payload: Vec<u8>,
    conf_keys: Vec<u64>,
    conf_offs: Vec<u64>,
}

#[derive(Debug)]
enum Backing {
    Legacy(Legacy),
    V3(Box<Snap3>),
}

/// An opened snapshot (and its delta); immutable. Formats 3 and 4 keep the index in memory and
/// read record blocks from the file; formats 1 and 2 are held in memory whole.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    snapshot: String,
    manifest: Manifest,
    backing: Backing,
    disk_bytes: u64,
    delta_name: Option<String>,
    delta: Delta,
}

impl Store {
    /// Opens the live snapshot of a store directory.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let cur = dir.join(CURRENT);
        let text = match std::fs::read_to_string(&cur) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::Empty {
                    path: dir.to_path_buf(),
                })
            }
            Err(e) => return Err(io(&cur)(e)),
        };
        let mut words = text.split_whitespace();
        let name = words.next().unwrap_or("");
        if !valid_snapshot_name(name) {
            return Err(StoreError::Corrupt {
                file: cur,
                offset: 0,
                what: "not a snapshot name",
            });
        }
        let mut store = Self::open_snapshot(dir, name)?;
        if let Some(d) = words.next() {
            if !valid_delta_name(d) || words.next().is_some() {
                return Err(StoreError::Corrupt {
                    file: cur,
                    offset: 0,
                    what: "not a delta file name",
                });
            }
            let p = dir.join(d);
            let (delta, bytes) = read_delta(&p)?;
            store.delta = delta;
            store.delta_name = Some(d.to_string());
            store.disk_bytes = store.disk_bytes.saturating_add(bytes);
        }
        Ok(store)
    }

    fn open_snapshot(dir: &Path, name: &str) -> Result<Store, StoreError> {
        let snap = dir.join(name);
        let read = |f: &str| -> Result<(PathBuf, Vec<u8>), StoreError> {
            let p = snap.join(f);
            let b = std::fs::read(&p).map_err(io(&p))?;
            Ok((p, b))
        };
        let (mp, mbytes) = read("manifest.json")?;
        let manifest: Manifest =
            serde_json::from_slice(&mbytes).map_err(|e| StoreError::Corrupt {
                file: mp.clone(),
                offset: u64::try_from(e.column()).unwrap_or(0),
                what: "manifest is not valid JSON",
            })?;
        if !matches!(manifest.format, 1..=4) {
            return Err(StoreError::Corrupt {
                file: mp,
                offset: 0,
                what: "unsupported format version",
            });
        }
        if manifest.lists.len() > MAX_LISTS {
            return Err(StoreError::Corrupt {
                file: mp,
                offset: 0,
                what: "too many lists",
            });
        }
        if manifest.format >= 3 {
            let lists = manifest.lists.iter().map(|l| l.name.clone()).collect();
            let s3 = Snap3::open(&snap, lists)?;
            if s3.format != manifest.format {
                return Err(StoreError::Corrupt {
                    file: snap.join(snap3::INDEX),
                    offset: 0,
                    what: "index format differs from the manifest",
                });
            }
            if s3.records != manifest.records {
                return Err(StoreError::Corrupt {
                    file: snap.join(snap3::INDEX),
                    offset: 0,
                    what: "record count differs from the manifest",
                });
            }
            let disk = u64::try_from(mbytes.len())
                .unwrap_or(0)
                .saturating_add(s3.disk_bytes);
            return Ok(Store {
                dir: dir.to_path_buf(),
                snapshot: name.to_string(),
                manifest,
                backing: Backing::V3(Box::new(s3)),
                disk_bytes: disk,
                delta_name: None,
                delta: Delta::default(),
            });
        }
        let (_, payload) = read("payload.bin")?;
        let plen = u64::try_from(payload.len()).unwrap_or(u64::MAX);
        let mut disk = u64::try_from(mbytes.len())
            .unwrap_or(0)
            .saturating_add(plen);
        let mut arrays = Vec::new();
        for f in ["conf.keys", "conf.offs"] {
            let (p, b) = read(f)?;
            disk = disk.saturating_add(u64::try_from(b.len()).unwrap_or(0));
            arrays.push((
                p,
                u64_array(&b).ok_or(StoreError::Corrupt {
                    file: snap.join(f),
                    offset: 0,
                    what: "length is not a multiple of 8",
                })?,
            ));
        }
        let mut it = arrays.into_iter();
        let (Some((ckp, ck)), Some((cop, co))) = (it.next(), it.next()) else {
            return Err(StoreError::Empty {
                path: dir.to_path_buf(),
            });
        };
        check_pair(&ckp, &ck, &cop, &co, plen)?;
        if u64::try_from(ck.len()).ok() != Some(manifest.records) {
            return Err(StoreError::Corrupt {
                file: ckp,
                offset: 0,
                what: "record count differs from the manifest",
            });
        }
        Ok(Store {
            dir: dir.to_path_buf(),
            snapshot: name.to_string(),
            manifest,
            backing: Backing::Legacy(Legacy {
                payload,
                conf_keys: ck,
                conf_offs: co,
            }),
            disk_bytes: disk,
            delta_name: None,
            delta: Delta::default(),
        })
    }

    /// The live snapshot's name.
    pub fn snapshot(&self) -> &str {
        &self.snapshot
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Statistics.
    pub fn stats(&self) -> Stats {
        Stats {
            snapshot: self.snapshot.clone(),
            manifest: self.manifest.clone(),
            disk_bytes: self.disk_bytes,
            delta: self.delta_name.clone(),
            delta_added: u64::try_from(self.delta.added.len()).unwrap_or(u64::MAX),
            delta_removed: u64::try_from(self.delta.removed.len()).unwrap_or(u64::MAX),
        }
    }

    /// Every live record: the snapshot's in stored order (less those the delta removes), then
    /// the delta's additions. A record that fails to read ends the snapshot part (logged); an
    /// import uses the checked iterator instead and fails.
    pub fn records(&self) -> impl Iterator<Item = Record> + '_ {
        self.snapshot_records()
            .map_while(|r| {
                r.map_err(|e| tracing::warn!(error = %e, "watchlist: snapshot read failed"))
                    .ok()
            })
            .filter(|r| !self.delta.hides(r))
            .chain(self.delta.added.iter().cloned())
    }

    /// The snapshot's records (delta not applied); `Err` when one cannot be read.
    fn snapshot_records(&self) -> Box<dyn Iterator<Item = Result<Record, StoreError>> + '_> {
        match &self.backing {
            Backing::V3(s3) => Box::new(s3.records()),
            Backing::Legacy(l) => {
                let mut off = 0usize;
                let m = &self.manifest;
                let file = self.dir.join(&self.snapshot).join("payload.bin");
                Box::new(std::iter::from_fn(move || {
                    if off >= l.payload.len() {
                        return None;
                    }
                    match decode(&l.payload, off, m) {
                        Some((r, next)) => {
                            off = next;
                            Some(Ok(r))
                        }
                        None => {
                            let at = off;
                            off = l.payload.len();
                            Some(Err(StoreError::Corrupt {
                                file: file.clone(),
                                offset: u64::try_from(at).unwrap_or(u64::MAX),
                                what: "undecodable record",
                            }))
                        }
                    }
                }))
            }
        }
    }

    pub fn lookup(&self, q: &Query) -> Result<LookupResult, StoreError> {
        let snap: Vec<(u64, Record)> = match &self.backing {
            Backing::V3(s3) => s3
                .candidates(&q.key.issuing_state, &q.key.document_number)?
                .into_iter()
                .filter(|(_, r)| !self.delta.hides(r))
                .collect(),
            Backing::Legacy(l) => q
                .candidate_keys()
                .iter()
                .flat_map(|k| {
                    self.candidates(l, k.confusable_hash())
                        .filter(|(_, r)| !self.delta.hides(r))
                })
                .collect(),
        };
        if self.delta.by_conf.is_empty() {
            return Ok(classify(q, snap));
        }
        let conf = (
            q.key.issuing_state.clone(),
            confusable(&q.key.document_number),
        );
        // Delta records get ids above any snapshot id.
        let added = self
            .delta
            .by_conf
            .get(&conf)
            .into_iter()
            .flatten()
            .filter_map(|i| {
                let r = self.delta.added.get(*i)?;
                let id = u64::MAX.saturating_sub(u64::try_from(*i).ok()?);
                Some((id, r.clone()))
            });
        Ok(classify(q, snap.into_iter().chain(added)))
    }

    fn candidates<'a>(&'a self, l: &'a Legacy, h: u64) -> impl Iterator<Item = (u64, Record)> + 'a {
        let (keys, offs) = (&l.conf_keys, &l.conf_offs);
        let start = keys.partition_point(|k| *k < h);
        keys.get(start..)
            .unwrap_or(&[])
            .iter()
            .zip(offs.get(start..).unwrap_or(&[]))
            .take_while(move |(k, _)| **k == h)
            .filter_map(move |(_, o)| {
                let off = usize::try_from(*o).ok()?;
                match decode(&l.payload, off, &self.manifest) {
                    Some((r, _)) => Some((*o, r)),
                    None => {
                        tracing::warn!(offset = o, "watchlist: undecodable record skipped");
                        None
                    }
                }
            })
    }

    /// Imports a CSV list (see [`super::csv`]), replacing the list `list` in a new snapshot.
    /// Malformed rows are reported and skipped unless `strict`, where the first aborts the
    /// import. Any error leaves the previous snapshot live. `updated_unix` is the import time.
    pub fn import_csv<R: BufRead>(
        dir: &Path,
        list: &str,
        input: R,
        strict: bool,
        updated_unix: i64,
    ) -> Result<ImportReport, StoreError> {
        check_list_name(list)?;
        let rows = Rows::new(input, list)?;
        build(dir, list, CsvSource(rows), strict, updated_unix)
    }

    /// Imports records (e.g. from [`super::synth::generate`]) as the list `list`. Records are
    /// re-normalised through the same checks as CSV rows; failing ones are rejected.
    pub fn import_records<I: IntoIterator<Item = Record>>(
        dir: &Path,
        list: &str,
        records: I,
        updated_unix: i64,
    ) -> Result<ImportReport, StoreError> {
        check_list_name(list)?;
        let rows = records.into_iter().enumerate().map(|(i, r)| {
            let line = u64::try_from(i).unwrap_or(u64::MAX).saturating_add(1);
            Ok((line, renormalise(r, list)))
        });
        build(dir, list, IterSource(rows), false, updated_unix)
    }
}

impl Store {
    /// Applies a delta CSV (see [`super::csv`], with the optional `action` column: `add` or
    /// `remove`) to the list `list` without rewriting the snapshot: the new delta is written to a
    /// new file, synced, and `current` switched to it, so a failed or interrupted delta import
    /// leaves the previous state live. Removals take every record of `list` with the row's
    /// (state, type, number) key, in the snapshot and in earlier additions. The next full import
    /// of any list compacts the delta into its snapshot. An empty store gets an empty snapshot
    /// first.
    pub fn import_delta_csv<R: BufRead>(
        dir: &Path,
        list: &str,
        input: R,
        strict: bool,
    ) -> Result<DeltaReport, StoreError> {
        check_list_name(list)?;
        let rows = DeltaRows::new(input, list)?;
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let store = match Store::open(dir) {
            Ok(s) => s,
            Err(StoreError::Empty { .. }) => {
                build(dir, list, IterSource(std::iter::empty()), false, 0)?;
                Store::open(dir)?
            }
            Err(e) => return Err(e),
        };
        let mut delta = store.delta.clone();
        let (mut added, mut removed, mut rejected_total) = (0u64, 0u64, 0u64);
        let mut rejected = Vec::new();
        for row in rows {
            let (line, r) = row?;
            match r {
                Ok((Action::Add, record)) => {
                    delta.apply(DeltaOp::Add { record });
                    added = added.saturating_add(1);
                }
                Ok((Action::Remove, record)) => {
                    delta.apply(DeltaOp::Remove {
                        list: list.to_string(),
                        key: record.key(),
                    });
                    removed = removed.saturating_add(1);
                }
                Err(reason) if strict => return Err(StoreError::Row { line, reason }),
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
            if delta.ops() > MAX_DELTA_OPS {
                return Err(StoreError::DeltaTooLarge);
            }
        }
        let seq = store
            .delta_name
            .as_deref()
            .and_then(|n| n.get(15..23))
            .and_then(|t| t.parse::<u64>().ok())
            .unwrap_or(0)
            .saturating_add(1);
        let name = format!("delta-{:08}-{seq:08}.jsonl", store.manifest.generation);
        let p = dir.join(&name);
        let f = std::fs::File::create(&p).map_err(io(&p))?;
        let mut w = BufWriter::new(f);
        let removes = delta.removed.iter().map(|(l, k)| DeltaOp::Remove {
            list: l.clone(),
            key: k.clone(),
        });
        let adds = delta
            .added
            .iter()
            .map(|r| DeltaOp::Add { record: r.clone() });
        for op in removes.chain(adds) {
            serde_json::to_writer(&mut w, &op).map_err(|e| io(&p)(e.into()))?;
            w.write_all(b"\n").map_err(io(&p))?;
        }
        let f = w.into_inner().map_err(|e| io(&p)(e.into_error()))?;
        f.sync_all().map_err(io(&p))?;
        drop(f);
        switch_current(dir, &format!("{} {name}", store.snapshot))?;
        tracing::info!(delta = %name, list, added, removed, rejected_total, "watchlist delta import done");
        // Keep the previous delta (readers may still be opening it); drop older ones.
        remove_stale(
            dir,
            &[
                Some(store.snapshot.as_str()),
                Some(&name),
                store.delta_name.as_deref(),
            ],
        );
        Ok(DeltaReport {
            snapshot: store.snapshot.clone(),
            delta: name,
            list: list.to_string(),
            added,
            removed,
            rejected_total,
            rejected,
        })
    }
}

/// Points `current` at `content` (write-to-temp + rename: atomic on POSIX file systems).
fn switch_current(dir: &Path, content: &str) -> Result<(), StoreError> {
    let tmp = dir.join("current.tmp");
    write_synced(&tmp, content.as_bytes())?;
    let cur = dir.join(CURRENT);
    std::fs::rename(&tmp, &cur).map_err(io(&cur))?;
    sync_dir(dir)
}

/// Removes snapshot directories and delta files not named in `keep`.
fn remove_stale(dir: &Path, keep: &[Option<&str>]) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let n = e.file_name().to_string_lossy().to_string();
            if keep.contains(&Some(n.as_str())) {
                continue;
            }
            if valid_snapshot_name(&n) {
                let _ = std::fs::remove_dir_all(e.path());
            } else if valid_delta_name(&n) {
                let _ = std::fs::remove_file(e.path());
            }
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

impl DocumentStatusSource for Store {
    fn try_lookup(&self, q: &Query) -> Result<LookupResult, SourceError> {
        // The error names a file and offset, never document data.
        self.lookup(q).map_err(|e| SourceError::Corrupt {
            backend: "embedded",
            what: e.to_string(),
        })
    }
}

/// The list-name rule every backend applies: 1..=[`MAX_LIST_NAME`] bytes of `A-Za-z0-9_.-`
/// (names become file and partition names).
pub(crate) fn valid_list_name(list: &str) -> bool {
    !list.is_empty()
        && list.len() <= MAX_LIST_NAME
        && list
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

fn check_list_name(list: &str) -> Result<(), StoreError> {
    valid_list_name(list)
        .then_some(())
        .ok_or(StoreError::BadListName)
}

fn valid_delta_name(s: &str) -> bool {
    s.strip_prefix("delta-")
        .and_then(|t| t.strip_suffix(".jsonl"))
        .is_some_and(|g| {
            g.len() == 17
                && g.bytes().enumerate().all(|(i, b)| {
                    if i == 8 {
                        b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                })
        })
}

/// Reads and validates a delta file (every record re-normalised, list names checked).
fn read_delta(p: &Path) -> Result<(Delta, u64), StoreError> {
    let corrupt = |line: usize, what| StoreError::Corrupt {
        file: p.to_path_buf(),
        offset: u64::try_from(line).unwrap_or(u64::MAX),
        what,
    };
    let len = std::fs::metadata(p).map_err(io(p))?.len();
    if len > MAX_DELTA_BYTES {
        return Err(corrupt(0, "delta file too large"));
    }
    let text = std::fs::read_to_string(p).map_err(io(p))?;
    let mut delta = Delta::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if delta.ops() >= MAX_DELTA_OPS {
            return Err(corrupt(i, "delta holds too many changes"));
        }
        let op: DeltaOp = serde_json::from_str(line)
            .map_err(|_| corrupt(i, "delta line is not a change (offset = line index)"))?;
        let op = match op {
            DeltaOp::Add { record } => {
                let list = record.list.clone();
                check_list_name(&list).map_err(|_| corrupt(i, "bad list name in delta"))?;
                let record =
                    renormalise(record, &list).map_err(|_| corrupt(i, "bad record in delta"))?;
                DeltaOp::Add { record }
            }
            DeltaOp::Remove { list, key } => {
                check_list_name(&list).map_err(|_| corrupt(i, "bad list name in delta"))?;
                let key = Key::new(
                    &key.issuing_state,
                    key.document_type.as_str(),
                    &key.document_number,
                )
                .map_err(|_| corrupt(i, "bad key in delta"))?;
                DeltaOp::Remove { list, key }
            }
        };
        delta.apply(op);
    }
    delta.reindex();
    Ok((delta, len))
}

fn valid_snapshot_name(s: &str) -> bool {
    s.strip_prefix("snap-")
        .is_some_and(|g| !g.is_empty() && g.len() <= 20 && g.bytes().all(|b| b.is_ascii_digit()))
}

fn u64_array(b: &[u8]) -> Option<Vec<u64>> {
    if b.len() % 8 != 0 {
        return None;
    }
    Some(
        b.chunks_exact(8)
            .map(|c| {
                let mut a = [0u8; 8];
                a.copy_from_slice(c);
                u64::from_le_bytes(a)
            })
            .collect(),
    )
}

fn check_pair(
    kp: &Path,
    keys: &[u64],
    op: &Path,
    offs: &[u64],
    plen: u64,
) -> Result<(), StoreError> {
    if keys.len() != offs.len() {
        return Err(StoreError::Corrupt {
            file: op.to_path_buf(),
            offset: 0,
            what: "offset array length differs from key array",
        });
    }
    if let Some(i) = keys.windows(2).position(|w| matches!(w, [a, b] if a > b)) {
        return Err(StoreError::Corrupt {
            file: kp.to_path_buf(),
            offset: u64::try_from(i).unwrap_or(0).saturating_mul(8),
            what: "keys not sorted",
        });
    }
    if let Some(i) = offs.iter().position(|o| *o >= plen) {
        return Err(StoreError::Corrupt {
            file: op.to_path_buf(),
            offset: u64::try_from(i).unwrap_or(0).saturating_mul(8),
            what: "offset beyond the payload",
        });
    }
    Ok(())
}

// Format 1/2 record encoding (still decoded; written by the tests only): u8 len + state | type byte | u8 len + number | status code | u16 LE list
// index | 3 × (u8 len + date) | u16 LE len + reference.
#[cfg(test)]
fn encode(r: &Record, list_idx: u16, out: &mut Vec<u8>) {
    let short = |out: &mut Vec<u8>, s: &str| {
        let b = s.as_bytes();
        let b = b.get(..b.len().min(255)).unwrap_or(&[]);
        out.push(u8::try_from(b.len()).unwrap_or(0));
        out.extend_from_slice(b);
    };
    short(out, &r.issuing_state);
    out.push(r.document_type.to_byte());
    short(out, &r.document_number);
    out.push(r.status.code());
    out.extend_from_slice(&list_idx.to_le_bytes());
    for d in [&r.issue_date, &r.expiry_date, &r.reported_date] {
        short(out, d.as_deref().unwrap_or(""));
    }
    let rf = r.reference.as_deref().unwrap_or("").as_bytes();
    let rf = rf.get(..rf.len().min(usize::from(u16::MAX))).unwrap_or(&[]);
    out.extend_from_slice(&u16::try_from(rf.len()).unwrap_or(0).to_le_bytes());
    out.extend_from_slice(rf);
}

fn decode(p: &[u8], off: usize, m: &Manifest) -> Option<(Record, usize)> {
    let mut pos = off;
    let mut take = |n: usize| -> Option<&[u8]> {
        let s = p.get(pos..pos.checked_add(n)?)?;
        pos = pos.checked_add(n)?;
        Some(s)
    };
    fn text(b: &[u8]) -> Option<String> {
        std::str::from_utf8(b).ok().map(str::to_string)
    }
    let n = usize::from(*take(1)?.first()?);
    let state = text(take(n)?)?;
    let dt = DocType::from_byte(*take(1)?.first()?)?;
    let n = usize::from(*take(1)?.first()?);
    if n > MAX_NUMBER_LEN {
        return None;
    }
    let number = text(take(n)?)?;
    let status = Status::from_code(*take(1)?.first()?)?;
    let li = take(2)?;
    let list_idx = usize::from(u16::from_le_bytes([*li.first()?, *li.get(1)?]));
    let list = m.lists.get(list_idx)?.name.clone();
    let mut dates = [None, None, None];
    for d in dates.iter_mut() {
        let n = usize::from(*take(1)?.first()?);
        if n > 0 {
            *d = Some(text(take(n)?)?);
        }
    }
    let rl = take(2)?;
    let n = usize::from(u16::from_le_bytes([*rl.first()?, *rl.get(1)?]));
    let reference = if n > 0 { Some(text(take(n)?)?) } else { None };
    let [issue_date, expiry_date, reported_date] = dates;
    Some((
        Record {
            issuing_state: state,
            document_type: dt,
            document_number: number,
            status,
            issue_date,
            expiry_date,
            reported_date,
            list,
            reference,
        },
        pos,
    ))
}

/// A record the snapshot format refused: line (0 = carried over), status, why.
type Unstored = (u64, Status, &'static str);

/// One input row: its line and whether `slot` now holds its record.
type RowInto = Result<(u64, Result<(), RowError>), CsvError>;

/// The rows of an import, each written into a caller's record (whose memory a CSV reader
/// reuses: at 10^8 rows allocation would dominate the import).
trait RowSource {
    fn next_into(&mut self, slot: &mut Record) -> Option<RowInto>;
}

struct CsvSource<R>(Rows<R>);

impl<R: BufRead> RowSource for CsvSource<R> {
    fn next_into(&mut self, slot: &mut Record) -> Option<RowInto> {
        self.0.next_into(slot)
    }
}

struct IterSource<I>(I);

impl<I> RowSource for IterSource<I>
where
    I: Iterator<Item = Result<(u64, Result<Record, RowError>), CsvError>>,
{
    fn next_into(&mut self, slot: &mut Record) -> Option<RowInto> {
        Some(self.0.next()?.map(|(line, r)| {
            (
                line,
                r.map(|r| {
                    *slot = r;
                }),
            )
        }))
    }
}

/// Records handed to the encoding thread, packed (see [`snap3::Packed`]).
type Batch = snap3::Packed;

/// Writes a new snapshot from the old one's other lists plus `rows`, then switches `current`.
fn build<S: RowSource>(
    dir: &Path,
    list: &str,
    mut rows: S,
    strict: bool,
    updated_unix: i64,
) -> Result<ImportReport, StoreError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let old = match Store::open(dir) {
        Ok(s) => Some(s),
        Err(StoreError::Empty { .. }) => None,
        Err(e) => return Err(e),
    };
    let generation = old
        .as_ref()
        .map_or(0, |s| s.manifest.generation)
        .saturating_add(1);
    let name = format!("snap-{generation:08}");
    let snap = dir.join(&name);
    // A leftover of a crashed import with this generation is not live: start afresh.
    if snap.exists() {
        std::fs::remove_dir_all(&snap).map_err(io(&snap))?;
    }
    std::fs::create_dir(&snap).map_err(io(&snap))?;

    let mut lists: Vec<ListInfo> = old
        .as_ref()
        .map(|s| {
            s.manifest
                .lists
                .iter()
                .filter(|l| l.name != list)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if lists.len() >= MAX_LISTS {
        return Err(StoreError::TooManyLists);
    }
    let new_idx = u16::try_from(lists.len()).map_err(|_| StoreError::TooManyLists)?;
    lists.push(ListInfo {
        name: list.to_string(),
        updated_unix,
        records: 0,
        by_status: BTreeMap::new(),
    });

    // Encoding, hashing and spilling run on a second thread, fed in packed batches; this
    // thread parses the input into one reused record and carries the other lists over.
    // Encoded batches come back to be refilled: no allocation per row in the steady state
    // (at 10^8 rows, malloc and cross-thread frees dominated the import).
    const BATCH: usize = 1 << 12;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(4);
    let (back_tx, back_rx) = std::sync::mpsc::sync_channel::<Batch>(8);
    let snap_dir = snap.clone();
    let n_lists = lists.len();
    let mut accepted = 0u64;
    let mut rejected = Vec::new();
    let mut rejected_total = 0u64;
    // Per status code (a map entry per row would allocate).
    let mut by_code = [0u64; Status::ALL.len()];
    let aborted = AtomicBool::new(false);
    let (fed, worker) = std::thread::scope(|s| {
        let aborted = &aborted;
        let worker = s.spawn(move || -> Result<(u64, Vec<Unstored>), StoreError> {
            let mut b = snap3::Builder::new(&snap_dir, n_lists);
            let mut bad = Vec::new();
            for batch in rx {
                if aborted.load(Ordering::Relaxed) {
                    break;
                }
                for row in &batch.rows {
                    match batch.view(row) {
                        Some(r) => b.add(&r, row.list, row.line)?,
                        None => bad.push((row.line, row.status, "import batch malformed")),
                    }
                }
                // The feeding thread may have finished: then drop the batch here.
                let _ = back_tx.try_send(batch);
            }
            // A failed input leaves the snapshot unfinished (the next import removes it).
            if aborted.load(Ordering::Relaxed) {
                return Ok((0, bad));
            }
            let (n, unstored) = b.finish()?;
            bad.extend(unstored);
            Ok((n, bad))
        });
        let mut batch = Batch::default();
        let feed = |r: &Record, list: u32, line: u64, batch: &mut Batch| -> bool {
            batch.push(&snap3::RecView::of(r), list, line);
            if batch.rows.len() >= BATCH {
                let next = match back_rx.try_recv() {
                    Ok(mut done) => {
                        done.text.clear();
                        done.rows.clear();
                        done
                    }
                    Err(_) => Batch::default(),
                };
                let full = std::mem::replace(batch, next);
                // A closed channel: the worker failed; its error is reported below.
                return tx.send(full).is_ok();
            }
            true
        };
        let fed = (|| -> Result<(), StoreError> {
            if let Some(old) = &old {
                let idx_of = |name: &str| {
                    lists
                        .iter()
                        .position(|l| l.name == name)
                        .and_then(|i| u32::try_from(i).ok())
                };
                // Reading the old snapshot is only needed when it holds other lists.
                let others = old
                    .manifest
                    .lists
                    .iter()
                    .any(|l| l.name != list && l.records > 0);
                let carried = others.then(|| old.snapshot_records()).into_iter().flatten();
                for r in carried {
                    let r = r?;
                    if r.list == list || old.delta.hides(&r) {
                        continue;
                    }
                    if let Some(idx) = idx_of(&r.list) {
                        if !feed(&r, idx, 0, &mut batch) {
                            return Ok(());
                        }
                    }
                }
                for r in old.delta.added.iter().filter(|r| r.list != list) {
                    if let Some(idx) = idx_of(&r.list) {
                        if !feed(r, idx, 0, &mut batch) {
                            return Ok(());
                        }
                    }
                }
            }
            let mut r = Record::blank();
            while let Some(row) = rows.next_into(&mut r) {
                let (line, res) = row?;
                match res {
                    Ok(()) => {
                        accepted = accepted.saturating_add(1);
                        if let Some(c) = by_code.get_mut(usize::from(r.status.code())) {
                            *c = c.saturating_add(1);
                        }
                        if !feed(&r, u32::from(new_idx), line, &mut batch) {
                            return Ok(());
                        }
                    }
                    Err(reason) if strict => return Err(StoreError::Row { line, reason }),
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
            if !batch.rows.is_empty() {
                let _ = tx.send(std::mem::take(&mut batch));
            }
            Ok(())
        })();
        if fed.is_err() {
            aborted.store(true, Ordering::Relaxed);
        }
        drop(tx);
        (fed, worker.join())
    });
    let worker = worker.map_err(|_| StoreError::Unstorable {
        line: 0,
        what: "import worker failed",
    });
    // An input error first (it is what the operator must fix), then the worker's.
    fed?;
    let (total, bad) = worker??;
    for (line, status, what) in bad {
        if line == 0 || strict {
            return Err(StoreError::Unstorable { line, what });
        }
        accepted = accepted.saturating_sub(1);
        if let Some(c) = by_code.get_mut(usize::from(status.code())) {
            *c = c.saturating_sub(1);
        }
        rejected_total = rejected_total.saturating_add(1);
        if rejected.len() < MAX_REPORTED_REJECTS {
            rejected.push(Rejected {
                line,
                reason: format!("record cannot be stored: {what}"),
            });
        }
    }
    rejected.sort_by_key(|r| r.line);
    rejected.truncate(MAX_REPORTED_REJECTS);
    if let Some(l) = lists.last_mut() {
        l.records = accepted;
        l.by_status = Status::ALL
            .iter()
            .zip(by_code)
            .filter(|(_, n)| *n > 0)
            .map(|(st, n)| (st.as_str().to_string(), n))
            .collect();
    }
    let manifest = Manifest {
        format: FORMAT,
        generation,
        records: total,
        lists,
    };
    let mp = snap.join("manifest.json");
    let mj = serde_json::to_vec_pretty(&manifest).map_err(|e| io(&mp)(e.into()))?;
    write_synced(&mp, &mj)?;
    sync_dir(&snap)?;

    // The switch; the new snapshot has no delta (the old delta is folded into it).
    switch_current(dir, &name)?;
    tracing::info!(snapshot = %name, list, accepted, rejected_total, total, "watchlist import done");

    // Keep the previous snapshot and delta (readers may still be opening them); drop older ones.
    remove_stale(
        dir,
        &[
            Some(name.as_str()),
            old.as_ref().map(|s| s.snapshot.as_str()),
            old.as_ref().and_then(|s| s.delta_name.as_deref()),
        ],
    );
    Ok(ImportReport {
        snapshot: name,
        list: list.to_string(),
        accepted,
        rejected_total,
        rejected,
        total_records: total,
    })
}

#[cfg(test)]
fn write_pairs(snap: &Path, stem: &str, pairs: &[(u64, u64)]) -> Result<(), StoreError> {
    for (ext, sel) in [("keys", 0usize), ("offs", 1usize)] {
        let p = snap.join(format!("{stem}.{ext}"));
        let f = std::fs::File::create(&p).map_err(io(&p))?;
        let mut w = BufWriter::new(f);
        for (k, o) in pairs {
            let v = if sel == 0 { *k } else { *o };
            w.write_all(&v.to_le_bytes()).map_err(io(&p))?;
        }
        let f = w.into_inner().map_err(|e| io(&p)(e.into_error()))?;
        f.sync_all().map_err(io(&p))?;
    }
    Ok(())
}

fn write_synced(p: &Path, b: &[u8]) -> Result<(), StoreError> {
    let mut f = std::fs::File::create(p).map_err(io(p))?;
    f.write_all(b).map_err(io(p))?;
    f.sync_all().map_err(io(p))
}

fn sync_dir(d: &Path) -> Result<(), StoreError> {
    // Directory fsync makes the new entries durable; not all platforms allow opening a dir.
    match std::fs::File::open(d) {
        Ok(f) => {
            let _ = f.sync_all();
            Ok(())
        }
        Err(e) => Err(io(d)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watchlist::synth;

    fn q(state: &str, t: &str, n: &str) -> Query {
        Query::new(state, t, n).unwrap()
    }

    fn v3(s: &Store) -> &Snap3 {
        match &s.backing {
            Backing::V3(s3) => s3,
            Backing::Legacy(_) => panic!("not format 3 or 4"),
        }
    }

    /// Writes a format-2 snapshot the way the format-2 importer did.
    fn write_format2(dir: &Path, list: &str, recs: &[Record]) {
        let snap = dir.join("snap-00000001");
        std::fs::create_dir_all(&snap).unwrap();
        let mut payload = Vec::new();
        let mut conf = Vec::new();
        for r in recs {
            conf.push((r.key().confusable_hash(), payload.len() as u64));
            encode(r, 0, &mut payload);
        }
        conf.sort_unstable();
        std::fs::write(snap.join("payload.bin"), &payload).unwrap();
        write_pairs(&snap, "conf", &conf).unwrap();
        let manifest = Manifest {
            format: 2,
            generation: 1,
            records: recs.len() as u64,
            lists: vec![ListInfo {
                name: list.into(),
                updated_unix: 1,
                records: recs.len() as u64,
                by_status: BTreeMap::new(),
            }],
        };
        std::fs::write(
            snap.join("manifest.json"),
            serde_json::to_vec(&manifest).unwrap(),
        )
        .unwrap();
        std::fs::write(dir.join(CURRENT), "snap-00000001").unwrap();
    }

    #[test]
    fn format2_store_still_opens_and_the_next_import_rewrites_it_as_format3() {
        let d = tempfile::tempdir().unwrap();
        let recs: Vec<Record> = synth::generate(500, 3)
            .map(|mut r| {
                r.list = "old".into();
                r
            })
            .collect();
        write_format2(d.path(), "old", &recs);
        let s = Store::open(d.path()).unwrap();
        assert!(matches!(s.backing, Backing::Legacy(_)));
        assert_eq!(s.records().count(), recs.len());
        let r0 = &recs[0];
        let hit = s
            .lookup(&q(&r0.issuing_state, "ANY", &r0.document_number))
            .unwrap();
        assert!(hit.listed);
        assert_eq!(hit.records[0].record, *r0);
        // Importing another list carries the format-2 records over into format 4.
        Store::import_records(d.path(), "new", synth::generate(10, 4), 2).unwrap();
        let s = Store::open(d.path()).unwrap();
        assert_eq!(s.manifest.format, FORMAT);
        v3(&s);
        assert_eq!(s.records().count(), recs.len() + 10);
        for r in &recs {
            let res = s
                .lookup(&q(
                    &r.issuing_state,
                    r.document_type.as_str(),
                    &r.document_number,
                ))
                .unwrap();
            assert!(res.records.iter().any(|h| h.record == *r));
        }
    }

    #[test]
    fn unstorable_record_is_a_rejected_row() {
        let d = tempfile::tempdir().unwrap();
        let mut recs: Vec<Record> = synth::generate(5, 21).collect();
        recs[2].reported_date = Some("\u{e4}".repeat(200)); // 400 bytes: beyond the codec
        let rep = Store::import_records(d.path(), "x", recs.clone(), 1).unwrap();
        assert_eq!((rep.accepted, rep.rejected_total), (4, 1));
        assert_eq!(rep.rejected[0].line, 3);
        let s = Store::open(d.path()).unwrap();
        let counted: u64 = s.manifest.lists[0].by_status.values().sum();
        assert_eq!(counted, 4);
        assert_eq!(s.records().count(), 4);
    }

    #[test]
    fn filter_false_positives_resolve_to_not_listed() {
        let d = tempfile::tempdir().unwrap();
        let recs: Vec<Record> = synth::generate(20_000, 11).collect();
        Store::import_records(d.path(), "synthetic", recs.clone(), 1).unwrap();
        let s = Store::open(d.path()).unwrap();
        let listed: HashSet<(String, String)> = recs
            .iter()
            .map(|r| (r.issuing_state.clone(), confusable(&r.document_number)))
            .collect();
        // Unlisted numbers of listed states (another seed); the filter lets ~0.4 % through.
        let mut passed = 0;
        for r in synth::generate(60_000, 12) {
            if listed.contains(&(r.issuing_state.clone(), confusable(&r.document_number))) {
                continue;
            }
            if v3(&s).filter_passes(&r.issuing_state, &r.document_number) {
                passed += 1;
            }
            let res = s
                .lookup(&q(&r.issuing_state, "ANY", &r.document_number))
                .unwrap();
            assert_eq!(res, LookupResult::default());
        }
        assert!(
            passed > 20,
            "only {passed} filter false positives exercised"
        );
    }

    #[test]
    fn corrupt_block_is_an_error_at_lookup_never_a_hit() {
        let d = tempfile::tempdir().unwrap();
        let recs: Vec<Record> = synth::generate(2_000, 13).collect();
        Store::import_records(d.path(), "synthetic", recs.clone(), 1).unwrap();
        let cur = std::fs::read_to_string(d.path().join(CURRENT)).unwrap();
        let bp = d.path().join(cur.trim()).join(snap3::BLOCKS);
        let good = std::fs::read(&bp).unwrap();
        // Flip one bit in every 97th byte in turn: the block's checksum catches it.
        let mut errors = 0;
        for i in (0..good.len()).step_by(97) {
            let mut b = good.clone();
            b[i] ^= 0x04;
            std::fs::write(&bp, &b).unwrap();
            let s = Store::open(d.path()).unwrap();
            for r in recs.iter().step_by(7) {
                let qq = q(
                    &r.issuing_state,
                    r.document_type.as_str(),
                    &r.document_number,
                );
                match s.lookup(&qq) {
                    Ok(res) => assert!(res.records.iter().all(|h| h.record == *r)),
                    Err(StoreError::Corrupt { .. }) => {
                        errors += 1;
                        assert!(matches!(
                            s.try_lookup(&qq),
                            Err(SourceError::Corrupt { .. })
                        ));
                    }
                    Err(e) => panic!("{e}"),
                }
            }
            // Reading the whole snapshot (as an import of another list does) reports it too.
            assert!(s.snapshot_records().any(|r| r.is_err()));
        }
        assert!(errors > 0);
        // Truncated: an error at open.
        std::fs::write(&bp, &good[..good.len() - 3]).unwrap();
        assert!(matches!(
            Store::open(d.path()),
            Err(StoreError::Corrupt { .. })
        ));
    }
}
