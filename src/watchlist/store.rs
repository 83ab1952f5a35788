//! The embedded watchlist store: immutable on-disk snapshots, replaced atomically.
//!
//! Layout of a store directory:
//!
//! ```text
//! DIR/current                 name of the live snapshot (replaced by write-to-temp + rename)
//! DIR/snap-00000007/manifest.json  format, generation, lists (name, update time, counts)
//!                  /payload.bin    records, each length-prefixed (see `encode`)
//!                  /exact.keys     sorted u64 LE: SipHash-1-3 of the exact key of each record
//!                  /exact.offs     u64 LE payload offset for each entry of exact.keys
//!                  /conf.keys      sorted u64 LE: hash of the OCR-confusable key
//!                  /conf.offs      u64 LE payload offset for each entry of conf.keys
//! ```
//!
//! A lookup binary-searches the key array, then decodes each candidate record and compares the
//! full normalised key, so a hash collision is never reported as a hit. An import writes a *new*
//! snapshot directory, syncs it, and only then points `current` at it: a crash or bad input at
//! any step leaves the previous snapshot live. Snapshots are read into memory with `std::fs::read`
//! (memory-mapping needs `unsafe`, which this crate forbids). Several lists share one snapshot;
//! importing a list replaces that list only.

use std::collections::BTreeMap;
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::csv::{CsvError, RowError, Rows};
use super::key::{DocType, MAX_NUMBER_LEN};
use super::{DocumentStatusSource, Hit, LookupResult, Query, Record, Status};

/// On-disk format version.
pub const FORMAT: u32 = 1;
/// Rejected rows kept in an [`ImportReport`] (the rest are only counted).
pub const MAX_REPORTED_REJECTS: usize = 1000;
/// Most lists one store holds.
pub const MAX_LISTS: usize = 1024;
/// Longest list name.
pub const MAX_LIST_NAME: usize = 64;

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
    /// Bytes of the snapshot files on disk.
    pub disk_bytes: u64,
}

/// An opened snapshot, held in memory; immutable.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    snapshot: String,
    manifest: Manifest,
    payload: Vec<u8>,
    exact_keys: Vec<u64>,
    exact_offs: Vec<u64>,
    conf_keys: Vec<u64>,
    conf_offs: Vec<u64>,
    disk_bytes: u64,
}

impl Store {
    /// Opens the live snapshot of a store directory.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let cur = dir.join(CURRENT);
        let name = match std::fs::read_to_string(&cur) {
            Ok(s) => s.trim().to_string(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::Empty {
                    path: dir.to_path_buf(),
                })
            }
            Err(e) => return Err(io(&cur)(e)),
        };
        if !valid_snapshot_name(&name) {
            return Err(StoreError::Corrupt {
                file: cur,
                offset: 0,
                what: "not a snapshot name",
            });
        }
        Self::open_snapshot(dir, &name)
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
        if manifest.format != FORMAT {
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
        let (_, payload) = read("payload.bin")?;
        let plen = u64::try_from(payload.len()).unwrap_or(u64::MAX);
        let mut disk = u64::try_from(mbytes.len())
            .unwrap_or(0)
            .saturating_add(plen);
        let mut arrays = Vec::new();
        for f in ["exact.keys", "exact.offs", "conf.keys", "conf.offs"] {
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
        let (Some((ekp, ek)), Some((eop, eo)), Some((ckp, ck)), Some((cop, co))) =
            (it.next(), it.next(), it.next(), it.next())
        else {
            return Err(StoreError::Empty {
                path: dir.to_path_buf(),
            });
        };
        check_pair(&ekp, &ek, &eop, &eo, plen)?;
        check_pair(&ckp, &ck, &cop, &co, plen)?;
        if u64::try_from(ek.len()).ok() != Some(manifest.records) {
            return Err(StoreError::Corrupt {
                file: ekp,
                offset: 0,
                what: "record count differs from the manifest",
            });
        }
        Ok(Store {
            dir: dir.to_path_buf(),
            snapshot: name.to_string(),
            manifest,
            payload,
            exact_keys: ek,
            exact_offs: eo,
            conf_keys: ck,
            conf_offs: co,
            disk_bytes: disk,
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
        }
    }

    /// Every record, in payload order (records that fail to decode are skipped).
    pub fn records(&self) -> impl Iterator<Item = Record> + '_ {
        let mut off = 0usize;
        std::iter::from_fn(move || {
            let (r, next) = decode(&self.payload, off, &self.manifest)?;
            off = next;
            Some(r)
        })
    }

    fn candidates<'a>(
        &'a self,
        keys: &'a [u64],
        offs: &'a [u64],
        h: u64,
    ) -> impl Iterator<Item = (u64, Record)> + 'a {
        let start = keys.partition_point(|k| *k < h);
        keys.get(start..)
            .unwrap_or(&[])
            .iter()
            .zip(offs.get(start..).unwrap_or(&[]))
            .take_while(move |(k, _)| **k == h)
            .filter_map(move |(_, o)| {
                let off = usize::try_from(*o).ok()?;
                match decode(&self.payload, off, &self.manifest) {
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
        build(dir, list, rows, strict, updated_unix)
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
        build(dir, list, rows, false, updated_unix)
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
    fn lookup(&self, q: &Query) -> LookupResult {
        let mut out = LookupResult::default();
        let mut seen: Vec<u64> = Vec::new();
        for k in q.candidate_keys() {
            for (off, r) in self.candidates(&self.exact_keys, &self.exact_offs, k.exact_hash()) {
                if q.matches_exact(&r) && !seen.contains(&off) {
                    seen.push(off);
                    out.records.push(Hit { record: r });
                }
            }
        }
        for k in q.candidate_keys() {
            for (off, r) in self.candidates(&self.conf_keys, &self.conf_offs, k.confusable_hash()) {
                if q.matches_possible(&r) && !seen.contains(&off) {
                    seen.push(off);
                    out.possible_matches.push(Hit { record: r });
                }
            }
        }
        out.listed = !out.records.is_empty();
        out
    }
}

fn check_list_name(list: &str) -> Result<(), StoreError> {
    let ok = !list.is_empty()
        && list.len() <= MAX_LIST_NAME
        && list
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(StoreError::BadListName)
    }
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

// Record encoding: u8 len + state | type byte | u8 len + number | status code | u16 LE list
// index | 3 × (u8 len + date) | u16 LE len + reference.
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

/// Writes a new snapshot from the old one's other lists plus `rows`, then switches `current`.
fn build<I>(
    dir: &Path,
    list: &str,
    rows: I,
    strict: bool,
    updated_unix: i64,
) -> Result<ImportReport, StoreError>
where
    I: Iterator<Item = Result<(u64, Result<Record, RowError>), CsvError>>,
{
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

    let pp = snap.join("payload.bin");
    let mut payload = BufWriter::new(std::fs::File::create(&pp).map_err(io(&pp))?);
    let mut offset = 0u64;
    let mut exact: Vec<(u64, u64)> = Vec::new();
    let mut conf: Vec<(u64, u64)> = Vec::new();
    let mut buf = Vec::new();
    let mut add =
        |r: &Record, idx: u16, payload: &mut BufWriter<std::fs::File>| -> Result<(), StoreError> {
            buf.clear();
            encode(r, idx, &mut buf);
            payload.write_all(&buf).map_err(io(&pp))?;
            let k = r.key();
            exact.push((k.exact_hash(), offset));
            conf.push((k.confusable_hash(), offset));
            offset = offset.saturating_add(u64::try_from(buf.len()).unwrap_or(u64::MAX));
            Ok(())
        };
    if let Some(old) = &old {
        for r in old.records().filter(|r| r.list != list) {
            let idx = lists
                .iter()
                .position(|l| l.name == r.list)
                .and_then(|i| u16::try_from(i).ok());
            if let Some(idx) = idx {
                add(&r, idx, &mut payload)?;
            }
        }
    }
    let mut accepted = 0u64;
    let mut rejected = Vec::new();
    let mut rejected_total = 0u64;
    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    for row in rows {
        let (line, r) = row?;
        match r {
            Ok(r) => {
                add(&r, new_idx, &mut payload)?;
                accepted = accepted.saturating_add(1);
                let c = by_status.entry(r.status.as_str().to_string()).or_insert(0);
                *c = c.saturating_add(1);
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
    let file = payload.into_inner().map_err(|e| io(&pp)(e.into_error()))?;
    file.sync_all().map_err(io(&pp))?;
    drop(file);
    if let Some(l) = lists.last_mut() {
        l.records = accepted;
        l.by_status = by_status;
    }
    exact.sort_unstable();
    conf.sort_unstable();
    let total = u64::try_from(exact.len()).unwrap_or(u64::MAX);
    write_pairs(&snap, "exact", &exact)?;
    write_pairs(&snap, "conf", &conf)?;
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

    // The switch: write-to-temp + rename is atomic on POSIX file systems.
    let tmp = dir.join("current.tmp");
    write_synced(&tmp, name.as_bytes())?;
    let cur = dir.join(CURRENT);
    std::fs::rename(&tmp, &cur).map_err(io(&cur))?;
    sync_dir(dir)?;
    tracing::info!(snapshot = %name, list, accepted, rejected_total, total, "watchlist import done");

    // Keep the previous snapshot (readers may still be opening it); drop older ones.
    let prev = old.as_ref().map(|s| s.snapshot.clone());
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let n = e.file_name().to_string_lossy().to_string();
            if valid_snapshot_name(&n) && n != name && Some(&n) != prev.as_ref() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    Ok(ImportReport {
        snapshot: name,
        list: list.to_string(),
        accepted,
        rejected_total,
        rejected,
        total_records: total,
    })
}

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
