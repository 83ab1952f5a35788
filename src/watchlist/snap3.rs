//! Snapshot format 3: a compact, positionally read layout for lists of ~10^8 records.
//!
//! ```text
//! snap-N/manifest.json  as before (format 3)
//!       /index.bin      header, bucket offset table, state and reference-prefix dictionaries,
//!                       binary fuse filters, CRC-32 of all of it; read into memory at open
//!       /blocks.bin     one block per hash bucket: CRC-32 of the block, then a bit stream
//!                       (record count, then the bit-packed records); read with `read_at`
//! ```
//!
//! Every record is filed under its *probe hash*: SipHash of (state, OCR-confusable number),
//! without the document type, so one probe answers a query of any type. The hash's top
//! `bucket_bits` select a bucket; a lookup first asks the bucket's binary fuse filter
//! (Graf & Lemire 2022, crate `xorf`; ~9 bits per distinct hash, < 0.4 % false positives), and
//! only when it says "maybe" reads the bucket's block (a few hundred bytes) from the file with a
//! positional read: the OS page cache keeps hot blocks in memory, and no `mmap` (hence no
//! `unsafe`) is needed. The block's records whose state and confusable number equal the query's
//! are the candidates; [`super::classify`] alone decides exact and possible matches, so neither
//! a hash collision nor a filter false positive can become a hit.
//!
//! Record bit layout (LSB first; `eg` = order-0 Exp-Golomb code):
//! state (eg, index in the state dictionary) | number kind (2: digits, base 36, 6-bit chars,
//! bytes) | length (6) | number value | type (3) | status (3) | list index (eg) | issue, expiry,
//! reported date: present (1) then a date code | reference kind (2: none, dictionary prefix +
//! decimal suffix, raw bytes) and its fields. Dates are day counts from 1900-01-01 (16 bits);
//! expiry and reported dates on the issue date's month and day are coded as a 5-bit year offset
//! (passports run whole years); any other text is kept verbatim.
//!
//! Import is streaming with bounded memory: records are encoded as they arrive (on a second
//! thread); up to [`SPILL_BYTES`] of them are sorted in memory, beyond that they are spilled to
//! 256 temporary partition files by the top 8 hash bits inside the new snapshot directory, and
//! each partition (about n/256 records) is then sorted and encoded by one of two workers, the
//! importing thread writing their output in partition order.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use xorf::{BinaryFuse8, Filter};

#[cfg(test)]
use super::key::confusable;
use super::key::{DocType, MAX_NUMBER_LEN};
use super::store::StoreError;
use super::{Record, Status};

/// Index file magic.
const MAGIC: &[u8; 8] = b"IWL3IDX1";
/// In-memory encoded bytes kept before spilling to partition files.
pub const SPILL_BYTES: usize = 256 << 20;
/// Spill partitions (by the top [`PART_BITS`] hash bits).
const PART_BITS: u32 = 8;
/// Partitions built ahead of the one being written, at most.
const PART_AHEAD: usize = 4;

type PartResult = Result<PartOut, StoreError>;
/// Most states in the dictionary (the Doc 9303-3 list has fewer than 300 codes).
const MAX_STATES: usize = 4096;
/// Most reference prefixes in the dictionary; further prefixes are stored verbatim.
const MAX_PREFIXES: usize = 1 << 16;
/// Longest reference prefix put in the dictionary.
const MAX_PREFIX_LEN: usize = 64;
/// Longest reference the codec takes (bytes; the CSV allows 256). A record must also fit in
/// 65,535 bits, so references beyond ~8 KB are refused too.
pub const MAX_REFERENCE_BYTES: usize = u16::MAX as usize;
/// Average records per bucket aimed at (a hit decodes about this many).
const BUCKET_TARGET: u64 = 16;
/// Blocks up to this size are read into a stack buffer by a lookup.
const HIT_BUF: usize = 2048;
/// Largest block read in one go by [`Snap3::records`].
const SCAN_CHUNK: u64 = 1 << 20;

pub(crate) const INDEX: &str = "index.bin";
pub(crate) const BLOCKS: &str = "blocks.bin";

/// [`probe_hash_bytes`] of a number given as text.
#[cfg(test)]
pub(crate) fn probe_hash(state: &str, confusable_number: &str) -> u64 {
    probe_hash_bytes(state, confusable_number.as_bytes())
}

/// The probe hash of a state and an OCR-confusable number (type left out on purpose).
fn probe_hash_bytes(state: &str, confusable_number: &[u8]) -> u64 {
    super::key::key_hash_bytes(b'S', state, DocType::Any, confusable_number)
}

fn bucket_of(h: u64, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        usize::try_from(h >> (64 - bits)).unwrap_or(usize::MAX)
    }
}

// ---------------------------------------------------------------------------------------------
// Bit I/O

/// LSB-first bit writer.
#[derive(Default)]
pub(crate) struct BitWriter {
    buf: Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter {
    /// Appends the low `bits` (≤ 56) bits of `v`.
    fn put(&mut self, v: u64, bits: u32) {
        debug_assert!(bits <= 56);
        if bits == 0 {
            return;
        }
        let v = v & ((1u64 << bits) - 1);
        self.acc |= v << self.n;
        self.n += bits;
        while self.n >= 8 {
            self.buf.push((self.acc & 0xff) as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    fn put_u128(&mut self, mut v: u128, mut bits: u32) {
        while bits > 0 {
            let b = bits.min(56);
            self.put((v & ((1u128 << b) - 1)) as u64, b);
            v >>= b;
            bits -= b;
        }
    }

    /// Order-0 Exp-Golomb: small values in few bits.
    fn put_eg(&mut self, v: u64) {
        let x = v.saturating_add(1);
        let nb = 64 - x.leading_zeros();
        let z = nb - 1;
        // z zeros, a one, then the low z bits of x.
        let mut left = z;
        while left > 0 {
            let b = left.min(56);
            self.put(0, b);
            left -= b;
        }
        self.put(1, 1);
        self.put_u128(u128::from(x), z);
    }

    fn bits(&self) -> u64 {
        (self.buf.len() as u64) * 8 + u64::from(self.n)
    }

    /// Appends a bit string of `nbits` bits held LSB first in `bytes`.
    fn append(&mut self, bytes: &[u8], nbits: u64) {
        let mut left = nbits;
        // 56 bits at a time (block building appends every record).
        for c in bytes.chunks(7) {
            if left == 0 {
                break;
            }
            let mut a = [0u8; 8];
            for (d, s) in a.iter_mut().zip(c) {
                *d = *s;
            }
            let take = left.min(8 * c.len() as u64) as u32;
            self.put(u64::from_le_bytes(a), take);
            left -= u64::from(take);
        }
    }

    fn finish(mut self) -> (Vec<u8>, u64) {
        let bits = self.bits();
        if self.n > 0 {
            self.buf.push((self.acc & 0xff) as u8);
        }
        (self.buf, bits)
    }
}

/// LSB-first bit reader; every read is bounds-checked (`None` past the end).
pub(crate) struct BitReader<'a> {
    b: &'a [u8],
    pos: u64,
    end: u64,
}

impl<'a> BitReader<'a> {
    fn new(b: &'a [u8]) -> Self {
        BitReader {
            b,
            pos: 0,
            end: (b.len() as u64).saturating_mul(8),
        }
    }

    /// The next (up to) 57 bits at the position, zero-padded past the end.
    fn peek(&self) -> u64 {
        let byte = usize::try_from(self.pos / 8).unwrap_or(usize::MAX);
        let shift = self.pos % 8;
        if let Some(w) = byte.checked_add(8).and_then(|e| self.b.get(byte..e)) {
            let mut a = [0u8; 8];
            a.copy_from_slice(w);
            return u64::from_le_bytes(a) >> shift;
        }
        let mut a = [0u8; 8];
        let tail = self.b.get(byte..).unwrap_or(&[]);
        for (d, s) in a.iter_mut().zip(tail) {
            *d = *s;
        }
        u64::from_le_bytes(a) >> shift
    }

    fn get(&mut self, bits: u32) -> Option<u64> {
        if bits == 0 {
            return Some(0);
        }
        if bits > 56 || self.pos.checked_add(u64::from(bits))? > self.end {
            return None;
        }
        let v = self.peek() & ((1u64 << bits) - 1);
        self.pos += u64::from(bits);
        Some(v)
    }

    fn get_u128(&mut self, bits: u32) -> Option<u128> {
        let mut v = 0u128;
        let mut shift = 0u32;
        while shift < bits {
            let b = (bits - shift).min(56);
            v |= u128::from(self.get(b)?) << shift;
            shift += b;
        }
        Some(v)
    }

    fn get_eg(&mut self) -> Option<u64> {
        // Codes here have at most 40 leading zeros: a longer run is corrupt.
        let z = self.peek().trailing_zeros();
        if z > 40 || self.pos.checked_add(u64::from(z) + 1)? > self.end {
            return None;
        }
        self.pos += u64::from(z) + 1;
        let rest = self.get(z)?;
        ((1u64 << z) | rest).checked_sub(1)
    }
}

// ---------------------------------------------------------------------------------------------
// Record codec

/// The dictionaries a snapshot's records refer to.
#[derive(Debug, Default, Clone)]
pub(crate) struct Dicts {
    pub states: Vec<String>,
    pub prefixes: Vec<String>,
    state_ids: HashMap<String, u32>,
    prefix_ids: HashMap<String, u32>,
    /// The last prefix interned: a list's references mostly share one.
    last_prefix: Option<(String, u32)>,
}

impl Dicts {
    fn from_lists(states: Vec<String>, prefixes: Vec<String>) -> Self {
        let state_ids = states
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((s.clone(), u32::try_from(i).ok()?)))
            .collect();
        Dicts {
            states,
            prefixes,
            state_ids,
            prefix_ids: HashMap::new(),
            last_prefix: None,
        }
    }

    pub(crate) fn state_id(&self, s: &str) -> Option<u32> {
        self.state_ids.get(s).copied()
    }

    fn intern_state(&mut self, s: &str) -> Option<u32> {
        if let Some(i) = self.state_ids.get(s) {
            return Some(*i);
        }
        if self.states.len() >= MAX_STATES || s.len() > 255 {
            return None;
        }
        let i = u32::try_from(self.states.len()).ok()?;
        self.states.push(s.to_string());
        self.state_ids.insert(s.to_string(), i);
        Some(i)
    }

    fn intern_prefix(&mut self, p: &str) -> Option<u32> {
        if let Some((last, i)) = &self.last_prefix {
            if last == p {
                return Some(*i);
            }
        }
        if let Some(i) = self.prefix_ids.get(p) {
            let i = *i;
            self.last_prefix = Some((p.to_string(), i));
            return Some(i);
        }
        if self.prefixes.len() >= MAX_PREFIXES || p.len() > MAX_PREFIX_LEN {
            return None;
        }
        let i = u32::try_from(self.prefixes.len()).ok()?;
        self.prefixes.push(p.to_string());
        self.prefix_ids.insert(p.to_string(), i);
        Some(i)
    }
}

fn type_code(t: DocType) -> u64 {
    match t {
        DocType::P => 0,
        DocType::I => 1,
        DocType::A => 2,
        DocType::C => 3,
        DocType::V => 4,
        DocType::Any => 5,
    }
}

fn type_from(c: u64) -> Option<DocType> {
    Some(match c {
        0 => DocType::P,
        1 => DocType::I,
        2 => DocType::A,
        3 => DocType::C,
        4 => DocType::V,
        5 => DocType::Any,
        _ => return None,
    })
}

fn alnum_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'Z' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn alnum_char(v: u128) -> Option<u8> {
    match v {
        0..=9 => Some(b'0' + v as u8),
        10..=35 => Some(b'A' + (v as u8 - 10)),
        _ => None,
    }
}

/// Bits needed for any value below radix^len.
fn value_bits(radix: u128, len: usize) -> Option<u32> {
    let max = radix
        .checked_pow(u32::try_from(len).ok()?)?
        .checked_sub(1)?;
    Some(128 - max.leading_zeros())
}

const NUM_DIGITS: u64 = 0;
const NUM_BASE36: u64 = 1;
const NUM_SIX: u64 = 2;
const NUM_BYTES: u64 = 3;

fn put_number(w: &mut BitWriter, n: &[u8]) -> Result<(), &'static str> {
    if n.is_empty() || n.len() > 63 {
        return Err("document number length out of range");
    }
    let len = n.len();
    let mut buf = [0u8; 63];
    let mut alnum = true;
    for (v, c) in buf.iter_mut().zip(n) {
        match alnum_value(*c) {
            Some(x) => *v = x,
            None => alnum = false,
        }
    }
    let vals = buf.get(..len).unwrap_or(&[]);
    if !alnum {
        w.put(NUM_BYTES, 2);
        w.put(len as u64, 6);
        for c in n {
            w.put(u64::from(*c), 8);
        }
        return Ok(());
    }
    let digits = vals.iter().all(|v| *v < 10);
    let (kind, radix) = if digits {
        (NUM_DIGITS, 10u128)
    } else {
        (NUM_BASE36, 36u128)
    };
    match value_bits(radix, len) {
        Some(bits) => {
            let mut v = 0u128;
            for d in vals {
                v = v * radix + u128::from(*d);
            }
            w.put(kind, 2);
            w.put(len as u64, 6);
            w.put_u128(v, bits);
        }
        None => {
            w.put(NUM_SIX, 2);
            w.put(len as u64, 6);
            for d in vals {
                w.put(u64::from(*d), 6);
            }
        }
    }
    Ok(())
}

/// Decodes a number into `out` (or only skips it when `!chars`); returns its length.
fn get_number(r: &mut BitReader<'_>, out: &mut [u8; 64], chars: bool) -> Option<usize> {
    let kl = r.get(8)?;
    let (kind, len) = (kl & 3, usize::try_from(kl >> 2).ok()?);
    if len == 0 {
        return None;
    }
    let dst = out.get_mut(..len)?;
    match kind {
        NUM_DIGITS | NUM_BASE36 => {
            let radix = if kind == NUM_DIGITS { 10u64 } else { 36u64 };
            let bits = value_bits(u128::from(radix), len)?;
            if bits <= 56 {
                // The common case: u64 arithmetic (u128 division is slow).
                let mut v = r.get(bits)?;
                if chars {
                    for c in dst.iter_mut().rev() {
                        *c = alnum_char(u128::from(v % radix))?;
                        v /= radix;
                    }
                }
                if v != 0 && chars {
                    return None;
                }
            } else {
                let radix = u128::from(radix);
                let mut v = r.get_u128(bits)?;
                if chars {
                    for c in dst.iter_mut().rev() {
                        *c = alnum_char(v % radix)?;
                        v /= radix;
                    }
                    if v != 0 {
                        return None;
                    }
                }
            }
        }
        NUM_SIX => {
            for c in dst.iter_mut() {
                *c = alnum_char(u128::from(r.get(6)?))?;
            }
        }
        _ => {
            for c in dst.iter_mut() {
                *c = u8::try_from(r.get(8)?).ok()?;
            }
        }
    }
    Some(len)
}

/// `YYYY-MM-DD` as (y, m, d) when it is canonical and a real date.
fn parse_date(s: &str) -> Option<(u32, u32, u32)> {
    super::csv::parse_ymd(s)
}

/// Days since 1970-01-01 (the project's civil-date arithmetic, `pa::time`).
fn days_from_civil(y: u32, m: u32, d: u32) -> i64 {
    crate::pa::time::unix_from_civil(i64::from(y), m, d, 0, 0, 0).div_euclid(86_400)
}

/// The civil date of a day count (`mrz::Date::from_unix`); `None` outside years 0..=65535.
fn civil_from_days(z: i64) -> Option<(u32, u32, u32)> {
    let d = crate::mrz::Date::from_unix(z.checked_mul(86_400)?)?;
    Some((u32::from(d.year), u32::from(d.month), u32::from(d.day)))
}

/// 1900-01-01 in days since 1970-01-01.
const DAY0: i64 = -25_567;

#[cfg(test)]
fn day_code(s: &str) -> Option<u64> {
    let (y, m, d) = parse_date(s)?;
    ymd_code(y, m, d)
}

fn ymd_code(y: u32, m: u32, d: u32) -> Option<u64> {
    let n = days_from_civil(y, m, d) - DAY0;
    u64::try_from(n).ok().filter(|n| *n <= 0xffff)
}

fn day_text(code: u64) -> Option<String> {
    let (y, m, d) = civil_from_days(i64::try_from(code).ok()? + DAY0)?;
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

fn put_raw(w: &mut BitWriter, s: &str, len_bits: u32) {
    w.put(s.len() as u64, len_bits);
    for b in s.bytes() {
        w.put(u64::from(b), 8);
    }
}

fn get_raw(r: &mut BitReader<'_>, len_bits: u32) -> Option<String> {
    let n = usize::try_from(r.get(len_bits)?).ok()?;
    let mut v = Vec::with_capacity(n.min(4096));
    for _ in 0..n {
        v.push(u8::try_from(r.get(8)?).ok()?);
    }
    String::from_utf8(v).ok()
}

/// A date that is not a day count is kept verbatim, up to 255 bytes (CSV dates always are
/// `YYYY-MM-DD`; records given directly may hold anything).
fn check_date_text(s: &str) -> Result<(), &'static str> {
    if s.len() > 255 {
        return Err("date text too long");
    }
    Ok(())
}

fn put_issue(w: &mut BitWriter, s: &str, parsed: Option<(u32, u32, u32)>) {
    match parsed.and_then(|(y, m, d)| ymd_code(y, m, d)) {
        Some(c) => {
            w.put(0, 1);
            w.put(c, 16);
        }
        None => {
            w.put(1, 1);
            put_raw(w, s, 8);
        }
    }
}

/// The issue date as (y, m, d) when it is a date, and its text when `keep`.
type Issue = (Option<(u32, u32, u32)>, Option<String>);

fn get_issue(r: &mut BitReader<'_>, keep: bool) -> Option<Issue> {
    if r.get(1)? == 0 {
        let c = r.get(16)?;
        if !keep {
            return Some((None, None));
        }
        let (y, m, d) = civil_from_days(i64::try_from(c).ok()? + DAY0)?;
        let ymd = (y, m, d);
        Some((Some(ymd), keep.then(|| format!("{y:04}-{m:02}-{d:02}"))))
    } else {
        let s = get_raw(r, 8)?;
        Some((parse_date(&s).filter(|_| keep), keep.then_some(s)))
    }
}

fn put_later(w: &mut BitWriter, s: &str, issue: Option<(u32, u32, u32)>) {
    let parsed = parse_date(s);
    if let (Some((iy, im, id)), Some((y, m, d))) = (issue, parsed) {
        if m == im && d == id && y >= iy && y - iy < 32 {
            w.put(0, 2);
            w.put(u64::from(y - iy), 5);
            return;
        }
    }
    match parsed.and_then(|(y, m, d)| ymd_code(y, m, d)) {
        Some(c) => {
            w.put(1, 2);
            w.put(c, 16);
        }
        None => {
            w.put(2, 2);
            put_raw(w, s, 8);
        }
    }
}

fn get_later(
    r: &mut BitReader<'_>,
    issue: Option<(u32, u32, u32)>,
    keep: bool,
) -> Option<Option<String>> {
    match r.get(2)? {
        0 => {
            let k = u32::try_from(r.get(5)?).ok()?;
            if !keep {
                return Some(None);
            }
            let (iy, im, id) = issue?;
            Some(Some(format!("{:04}-{im:02}-{id:02}", iy + k)))
        }
        1 => {
            let c = r.get(16)?;
            Some(if keep { Some(day_text(c)?) } else { None })
        }
        2 => {
            let s = get_raw(r, 8)?;
            Some(keep.then_some(s))
        }
        _ => None,
    }
}

/// A record's fields, borrowed (from a [`Record`] or from an import batch's text buffer).
pub(crate) struct RecView<'a> {
    pub issuing_state: &'a str,
    pub document_type: DocType,
    pub document_number: &'a str,
    pub status: Status,
    pub issue_date: Option<&'a str>,
    pub expiry_date: Option<&'a str>,
    pub reported_date: Option<&'a str>,
    pub reference: Option<&'a str>,
}

#[cfg(test)]
impl<'a> RecView<'a> {
    pub(crate) fn of(r: &'a Record) -> Self {
        RecView {
            issuing_state: &r.issuing_state,
            document_type: r.document_type,
            document_number: &r.document_number,
            status: r.status,
            issue_date: r.issue_date.as_deref(),
            expiry_date: r.expiry_date.as_deref(),
            reported_date: r.reported_date.as_deref(),
            reference: r.reference.as_deref(),
        }
    }
}

/// Longest decimal suffix carried as a number (10^31 < 2^104).
const MAX_SUFFIX_DIGITS: usize = 31;

/// Encodes one record (list `list_idx`) into `w`.
pub(crate) fn encode(
    r: &RecView<'_>,
    list_idx: u32,
    d: &mut Dicts,
    w: &mut BitWriter,
) -> Result<(), &'static str> {
    let sid = d
        .intern_state(r.issuing_state)
        .ok_or("too many issuing states")?;
    if r.document_number.len() > MAX_NUMBER_LEN {
        return Err("document number too long");
    }
    w.put_eg(u64::from(sid));
    put_number(w, r.document_number.as_bytes())?;
    w.put(type_code(r.document_type), 3);
    w.put(u64::from(r.status.code()), 3);
    w.put_eg(u64::from(list_idx));
    let issue = r.issue_date;
    let parsed_issue = issue.and_then(parse_date);
    w.put(u64::from(issue.is_some()), 1);
    if let Some(s) = issue {
        check_date_text(s)?;
        put_issue(w, s, parsed_issue);
    }
    for s in [r.expiry_date, r.reported_date] {
        w.put(u64::from(s.is_some()), 1);
        if let Some(s) = s {
            check_date_text(s)?;
            put_later(w, s, parsed_issue);
        }
    }
    match r.reference {
        None => w.put(0, 2),
        Some(s) => {
            if s.len() > MAX_REFERENCE_BYTES {
                return Err("reference too long");
            }
            let b = s.as_bytes();
            let digits = b.iter().rev().take_while(|c| c.is_ascii_digit()).count();
            let digits = digits.min(MAX_SUFFIX_DIGITS);
            let split = b.len() - digits;
            let (prefix, suffix) = s.split_at(split);
            match d.intern_prefix(prefix) {
                Some(pid) => {
                    w.put(1, 2);
                    w.put_eg(u64::from(pid));
                    w.put(digits as u64, 5);
                    let v: u128 = suffix
                        .bytes()
                        .fold(0u128, |v, c| v * 10 + u128::from(c - b'0'));
                    w.put_u128(v, value_bits(10, digits).unwrap_or(0));
                }
                None => {
                    w.put(2, 2);
                    put_raw(w, s, 16);
                }
            }
        }
    }
    Ok(())
}

/// What a lookup looks for in a block: the state's dictionary id, the confusable number and
/// their probe hash.
pub(crate) struct Want<'a> {
    pub state: u32,
    pub confusable: &'a [u8],
    pub hash: u64,
}

/// One record decoded for a lookup.
enum Step {
    /// Selected (every record without a `Want`).
    Keep(Record),
    /// Not the query's.
    Skip,
    /// Not the query's, and its probe hash differs from the query's after a match: a block
    /// is sorted by probe hash, so no later record can match.
    Past,
}

fn confusable_byte(c: u8) -> u8 {
    u8::try_from(super::key::confusable_char(char::from(c))).unwrap_or(c)
}

/// The OCR-confusable form of `number` (each byte by [`confusable_byte`]) in `buf`, without
/// allocating; `None` for a number longer than the buffer (no record holds one).
fn confusable_into<'b>(number: &[u8], buf: &'b mut [u8; 64]) -> Option<&'b [u8]> {
    let out = buf.get_mut(..number.len())?;
    for (o, c) in out.iter_mut().zip(number) {
        *o = confusable_byte(*c);
    }
    Some(out)
}

/// Decodes the next record; with `want`, a record that does not match is parsed past
/// ([`Step::Skip`]), or, once `matched`, is the end of the query's records when its probe hash
/// differs ([`Step::Past`]). `None`: the bit stream is malformed.
fn decode(
    r: &mut BitReader<'_>,
    d: &Dicts,
    lists: &[String],
    want: Option<&Want<'_>>,
    matched: bool,
) -> Option<Step> {
    let sid = u32::try_from(r.get_eg()?).ok()?;
    let mut num = [0u8; 64];
    // Only a record of the wanted state needs its number's characters (and, after a match,
    // any record, for the hash).
    let chars = matched || want.is_none_or(|w| w.state == sid);
    let len = get_number(r, &mut num, chars)?;
    let number = num.get(..len)?;
    let keep = chars
        && want.is_none_or(|w| {
            w.state == sid
                && w.confusable.len() == len
                && number
                    .iter()
                    .zip(w.confusable)
                    .all(|(a, b)| confusable_byte(*a) == *b)
        });
    if let (Some(w), true, false) = (want, matched, keep) {
        let mut cbuf = [0u8; 64];
        let conf = confusable_into(number, &mut cbuf)?;
        let state = d.states.get(usize::try_from(sid).ok()?)?;
        if probe_hash_bytes(state, conf) != w.hash {
            return Some(Step::Past);
        }
    }
    let ts = r.get(6)?;
    let t = type_from(ts & 7)?;
    let status = Status::from_code(u8::try_from(ts >> 3).ok()?)?;
    let list_idx = usize::try_from(r.get_eg()?).ok()?;
    let mut issue = None;
    let mut issue_parsed = None;
    if r.get(1)? == 1 {
        // The issue date is needed for the relative codes even when the record is skipped.
        (issue_parsed, issue) = get_issue(r, keep)?;
    }
    let mut later = [None, None];
    for slot in later.iter_mut() {
        if r.get(1)? == 1 {
            *slot = get_later(r, issue_parsed, keep)?;
        }
    }
    let reference = match r.get(2)? {
        0 => None,
        1 => {
            let pid = usize::try_from(r.get_eg()?).ok()?;
            let digits = usize::try_from(r.get(5)?).ok()?;
            let v = r.get_u128(value_bits(10, digits)?)?;
            if keep {
                let p = d.prefixes.get(pid)?;
                Some(if digits == 0 {
                    p.clone()
                } else {
                    format!("{p}{v:0digits$}")
                })
            } else {
                None
            }
        }
        2 => get_raw(r, 16).filter(|_| keep),
        _ => return None,
    };
    if !keep {
        return Some(Step::Skip);
    }
    let [expiry_date, reported_date] = later;
    Some(Step::Keep(Record {
        issuing_state: d.states.get(usize::try_from(sid).ok()?)?.clone(),
        document_type: t,
        document_number: String::from_utf8(number.to_vec()).ok()?,
        status,
        issue_date: issue,
        expiry_date,
        reported_date,
        list: lists.get(list_idx)?.clone(),
        reference,
    }))
}

/// Decodes a block (CRC-32 | bit stream), keeping the records `want` selects (all without).
fn decode_block(
    block: &[u8],
    d: &Dicts,
    lists: &[String],
    want: Option<&Want<'_>>,
    out: &mut Vec<(u64, Record)>,
) -> Result<(), &'static str> {
    let (Some(crc), Some(body)) = (block.get(..4), block.get(4..)) else {
        return Err("block shorter than its checksum");
    };
    if Some(crc32fast::hash(body)) != le_u32(crc) {
        return Err("block checksum mismatch");
    }
    let mut r = BitReader::new(body);
    let count = r.get_eg().ok_or("malformed block")?;
    // Each record takes well over 8 bits: a larger count is corrupt.
    if count > (body.len() as u64) {
        return Err("block record count too large");
    }
    let mut matched = false;
    for i in 0..count {
        match decode(&mut r, d, lists, want, matched) {
            Some(Step::Keep(rec)) => {
                matched = true;
                out.push((i, rec));
            }
            Some(Step::Skip) => {}
            // The checksum covered the rest of the block.
            Some(Step::Past) => break,
            None => return Err("undecodable record"),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reader

/// An opened format-3 snapshot.
#[derive(Debug)]
pub(crate) struct Snap3 {
    blocks: File,
    blocks_path: PathBuf,
    bucket_bits: u32,
    filter_bits: u32,
    offsets: Vec<u64>,
    filters: Vec<Option<BinaryFuse8>>,
    dicts: Dicts,
    lists: Vec<String>,
    pub records: u64,
    pub disk_bytes: u64,
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
    file: &'a Path,
}

impl<'a> Cursor<'a> {
    fn corrupt(&self, what: &'static str) -> StoreError {
        StoreError::Corrupt {
            file: self.file.to_path_buf(),
            offset: self.pos as u64,
            what,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or_else(|| self.corrupt("length overflow"))?;
        let s = self
            .b
            .get(self.pos..end)
            .ok_or_else(|| self.corrupt("index file truncated"))?;
        self.pos = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, StoreError> {
        Ok(self.take(1)?.first().copied().unwrap_or(0))
    }

    fn u32(&mut self) -> Result<u32, StoreError> {
        let s = self.take(4)?;
        let mut a = [0u8; 4];
        a.copy_from_slice(s);
        Ok(u32::from_le_bytes(a))
    }

    fn u64(&mut self) -> Result<u64, StoreError> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_le_bytes(a))
    }

    fn short_str(&mut self) -> Result<String, StoreError> {
        let n = usize::from(self.u8()?);
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| self.corrupt("dictionary entry is not UTF-8"))
    }
}

impl Snap3 {
    /// Opens `snap/index.bin` and `snap/blocks.bin`, validating everything that a lookup
    /// relies on (checksum, table shape, filter geometry), so lookups cannot index out of range.
    pub(crate) fn open(snap: &Path, lists: Vec<String>) -> Result<Snap3, StoreError> {
        let ip = snap.join(INDEX);
        let idx = std::fs::read(&ip).map_err(|source| StoreError::Io {
            path: ip.clone(),
            source,
        })?;
        let corrupt = |offset: usize, what| StoreError::Corrupt {
            file: ip.clone(),
            offset: offset as u64,
            what,
        };
        let body_len = idx
            .len()
            .checked_sub(4)
            .ok_or_else(|| corrupt(0, "index file truncated"))?;
        let (body, tail) = idx.split_at(body_len);
        if Some(crc32fast::hash(body)) != le_u32(tail) {
            return Err(corrupt(body_len, "index checksum mismatch"));
        }
        let mut c = Cursor {
            b: body,
            pos: 0,
            file: &ip,
        };
        if c.take(8)? != MAGIC {
            return Err(corrupt(0, "not a format-3 index"));
        }
        let bucket_bits = c.u32()?;
        let filter_bits = c.u32()?;
        if bucket_bits > 32 || filter_bits > 16 {
            return Err(corrupt(8, "bucket or filter bits out of range"));
        }
        let records = c.u64()?;
        let payload_len = c.u64()?;
        let n_states = usize::try_from(c.u32()?).unwrap_or(usize::MAX);
        let n_prefixes = usize::try_from(c.u32()?).unwrap_or(usize::MAX);
        if n_states > MAX_STATES || n_prefixes > MAX_PREFIXES {
            return Err(corrupt(c.pos, "dictionary too large"));
        }
        let buckets = 1usize << bucket_bits;
        let table = buckets
            .checked_add(1)
            .and_then(|n| n.checked_mul(8))
            .ok_or_else(|| corrupt(c.pos, "bucket table too large"))?;
        let raw = c.take(table)?;
        let offsets: Vec<u64> = raw
            .chunks_exact(8)
            .map(|w| {
                let mut a = [0u8; 8];
                a.copy_from_slice(w);
                u64::from_le_bytes(a)
            })
            .collect();
        if offsets.first() != Some(&0)
            || offsets.last() != Some(&payload_len)
            || offsets.windows(2).any(|w| matches!(w, [a, b] if a > b))
        {
            return Err(corrupt(
                c.pos,
                "bucket offsets not ascending from 0 to the block size",
            ));
        }
        let mut states = Vec::with_capacity(n_states);
        for _ in 0..n_states {
            states.push(c.short_str()?);
        }
        let mut prefixes = Vec::with_capacity(n_prefixes);
        for _ in 0..n_prefixes {
            prefixes.push(c.short_str()?);
        }
        let mut filters = Vec::with_capacity(1usize << filter_bits);
        for _ in 0..(1usize << filter_bits) {
            if c.u8()? == 0 {
                filters.push(None);
                continue;
            }
            let at = c.pos;
            let seed = c.u64()?;
            let sl = c.u32()?;
            let mask = c.u32()?;
            let scl = c.u32()?;
            let len = usize::try_from(c.u32()?).unwrap_or(usize::MAX);
            // The geometry `contains` indexes with: every probe then falls inside the array.
            let ok = sl.is_power_of_two()
                && mask == sl - 1
                && scl % sl == 0
                && u64::from(scl) + 2 * u64::from(sl) == len as u64;
            if !ok {
                return Err(corrupt(at, "filter geometry inconsistent"));
            }
            let fp = c.take(len)?;
            filters.push(Some(BinaryFuse8 {
                descriptor: xorf::Descriptor {
                    seed,
                    segment_length: sl,
                    segment_length_mask: mask,
                    segment_count_length: scl,
                },
                fingerprints: fp.to_vec().into_boxed_slice(),
            }));
        }
        if c.pos != body.len() {
            return Err(corrupt(c.pos, "trailing bytes in the index"));
        }
        let bp = snap.join(BLOCKS);
        let blocks = File::open(&bp).map_err(|source| StoreError::Io {
            path: bp.clone(),
            source,
        })?;
        let blen = blocks
            .metadata()
            .map_err(|source| StoreError::Io {
                path: bp.clone(),
                source,
            })?
            .len();
        if blen != payload_len {
            return Err(StoreError::Corrupt {
                file: bp,
                offset: blen,
                what: "block file size differs from the index",
            });
        }
        Ok(Snap3 {
            blocks,
            blocks_path: bp,
            bucket_bits,
            filter_bits,
            offsets,
            filters,
            dicts: Dicts::from_lists(states, prefixes),
            lists,
            records,
            disk_bytes: (idx.len() as u64).saturating_add(blen),
        })
    }

    fn read_range(&self, start: u64, end: u64) -> Result<Vec<u8>, StoreError> {
        let n = usize::try_from(end.saturating_sub(start)).map_err(|_| StoreError::Corrupt {
            file: self.blocks_path.clone(),
            offset: start,
            what: "block too large",
        })?;
        let mut buf = vec![0u8; n];
        self.blocks
            .read_exact_at(&mut buf, start)
            .map_err(|source| StoreError::Io {
                path: self.blocks_path.clone(),
                source,
            })?;
        Ok(buf)
    }

    fn block_error(&self, offset: u64, what: &'static str) -> StoreError {
        StoreError::Corrupt {
            file: self.blocks_path.clone(),
            offset,
            what,
        }
    }

    /// The filter's answer for a probe hash: `false` = certainly not stored.
    fn maybe(&self, h: u64) -> bool {
        self.filters
            .get(bucket_of(h, self.filter_bits))
            .and_then(Option::as_ref)
            .is_some_and(|f| f.contains(&h))
    }

    /// Does the filter let this (state, number) through to a block read? (Tests count the
    /// false positives with it.)
    #[cfg(test)]
    pub(crate) fn filter_passes(&self, state: &str, number: &str) -> bool {
        self.maybe(probe_hash(state, &confusable(number)))
    }

    /// The records under the query's state and confusable number; ids are indexes in the one
    /// block read (unique within a lookup).
    pub(crate) fn candidates(
        &self,
        state: &str,
        number: &str,
    ) -> Result<Vec<(u64, Record)>, StoreError> {
        let Some(sid) = self.dicts.state_id(state) else {
            return Ok(Vec::new());
        };
        // The confusable form on the stack (a number longer than the buffer is never stored).
        let mut cbuf = [0u8; 64];
        let Some(conf) = confusable_into(number.as_bytes(), &mut cbuf) else {
            return Ok(Vec::new());
        };
        let h = probe_hash_bytes(state, conf);
        if !self.maybe(h) {
            return Ok(Vec::new());
        }
        let b = bucket_of(h, self.bucket_bits);
        let (Some(&start), Some(&end)) = (self.offsets.get(b), self.offsets.get(b + 1)) else {
            return Ok(Vec::new());
        };
        if start == end {
            return Ok(Vec::new());
        }
        // A block is a few hundred bytes: read it into the stack, not a new buffer.
        let mut small = [0u8; HIT_BUF];
        let heap;
        let block: &[u8] = match usize::try_from(end - start)
            .ok()
            .and_then(|n| small.get_mut(..n))
        {
            Some(buf) => {
                self.blocks
                    .read_exact_at(buf, start)
                    .map_err(|source| StoreError::Io {
                        path: self.blocks_path.clone(),
                        source,
                    })?;
                buf
            }
            None => {
                heap = self.read_range(start, end)?;
                &heap
            }
        };
        let want = Want {
            state: sid,
            confusable: conf,
            hash: h,
        };
        let mut out = Vec::new();
        decode_block(block, &self.dicts, &self.lists, Some(&want), &mut out)
            .map_err(|what| self.block_error(start, what))?;
        Ok(out)
    }

    /// Every record, bucket by bucket (blocks read in chunks of about [`SCAN_CHUNK`] bytes).
    pub(crate) fn records(&self) -> impl Iterator<Item = Result<Record, StoreError>> + '_ {
        let mut bucket = 0usize;
        let mut queue: VecDeque<Record> = VecDeque::new();
        let mut failed = false;
        let nb = self.offsets.len().saturating_sub(1);
        std::iter::from_fn(move || loop {
            if let Some(r) = queue.pop_front() {
                return Some(Ok(r));
            }
            if failed || bucket >= nb {
                return None;
            }
            let start = self.offsets.get(bucket).copied().unwrap_or(0);
            let mut last = bucket + 1;
            while last < nb
                && self.offsets.get(last + 1).copied().unwrap_or(u64::MAX) - start <= SCAN_CHUNK
            {
                last += 1;
            }
            let end = self.offsets.get(last).copied().unwrap_or(start);
            let chunk = match self.read_range(start, end) {
                Ok(c) => c,
                Err(e) => {
                    failed = true;
                    return Some(Err(e));
                }
            };
            let mut out = Vec::new();
            for b in bucket..last {
                let (Some(&s), Some(&e)) = (self.offsets.get(b), self.offsets.get(b + 1)) else {
                    break;
                };
                if s == e {
                    continue;
                }
                let blk = chunk.get(
                    usize::try_from(s - start).unwrap_or(usize::MAX)
                        ..usize::try_from(e - start).unwrap_or(usize::MAX),
                );
                let res = match blk {
                    Some(blk) => decode_block(blk, &self.dicts, &self.lists, None, &mut out),
                    None => Err("block outside the chunk"),
                };
                if let Err(what) = res {
                    failed = true;
                    return Some(Err(self.block_error(s, what)));
                }
            }
            queue.extend(out.into_iter().map(|(_, r)| r));
            bucket = last;
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Writer

/// One encoded record in the import's arena: hash, bit length, bytes.
struct Entry {
    hash: u64,
    at: usize,
}

/// Encoded records held in memory: `hash u64 | nbits u16 | bytes` each.
#[derive(Default)]
struct Arena {
    bytes: Vec<u8>,
    entries: Vec<Entry>,
}

impl Arena {
    fn push(&mut self, hash: u64, data: &[u8], nbits: u64) {
        self.entries.push(Entry {
            hash,
            at: self.bytes.len(),
        });
        push_entry(&mut self.bytes, hash, data, nbits);
    }

    fn get(&self, e: &Entry) -> Option<(&[u8], u64)> {
        let hdr = self.bytes.get(e.at + 8..e.at + 10)?;
        let nbits = u64::from(le_u16(hdr)?);
        let n = usize::try_from(nbits.div_ceil(8)).ok()?;
        Some((self.bytes.get(e.at + 10..e.at + 10 + n)?, nbits))
    }

    /// Parses a spilled partition file's contents.
    fn from_bytes(bytes: Vec<u8>) -> Option<Arena> {
        let mut entries = Vec::new();
        let mut at = 0usize;
        while at < bytes.len() {
            let h = bytes.get(at..at + 8)?;
            let mut a = [0u8; 8];
            a.copy_from_slice(h);
            let n = bytes.get(at + 8..at + 10)?;
            let nbits = le_u16(n)?;
            entries.push(Entry {
                hash: u64::from_le_bytes(a),
                at,
            });
            at = at.checked_add(10 + usize::from(nbits).div_ceil(8))?;
        }
        (at == bytes.len()).then_some(Arena { bytes, entries })
    }
}

fn le_u16(b: &[u8]) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(..2)?.try_into().ok()?))
}

fn le_u32(b: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(..4)?.try_into().ok()?))
}

fn push_entry(out: &mut Vec<u8>, hash: u64, data: &[u8], nbits: u64) {
    out.extend_from_slice(&hash.to_le_bytes());
    out.extend_from_slice(&(nbits as u16).to_le_bytes());
    out.extend_from_slice(data);
}

/// Encodes records as they arrive and keeps them sorted-ready, spilling to partition files.
pub(crate) struct Builder {
    snap: PathBuf,
    dicts: Dicts,
    arena: Arena,
    parts: Option<Vec<BufWriter<File>>>,
    records: u64,
    scratch: Vec<u8>,
    record: Vec<u8>,
    spill_bytes: usize,
}

fn io_err(p: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: p.to_path_buf(),
        source,
    }
}

fn part_path(snap: &Path, p: usize) -> PathBuf {
    snap.join(format!("part-{p:03}.tmp"))
}

impl Builder {
    pub(crate) fn new(snap: &Path) -> Self {
        Builder {
            snap: snap.to_path_buf(),
            dicts: Dicts::default(),
            arena: Arena::default(),
            parts: None,
            records: 0,
            scratch: Vec::new(),
            record: Vec::new(),
            spill_bytes: SPILL_BYTES,
        }
    }

    /// Adds a record of list `list_idx`; `Err(reason)` when it cannot be stored.
    pub(crate) fn add(
        &mut self,
        r: &RecView<'_>,
        list_idx: u32,
    ) -> Result<Result<(), &'static str>, StoreError> {
        let mut w = BitWriter {
            buf: std::mem::take(&mut self.record),
            acc: 0,
            n: 0,
        };
        w.buf.clear();
        let res = encode(r, list_idx, &mut self.dicts, &mut w);
        let (data, nbits) = w.finish();
        self.record = data;
        let data = &self.record;
        if let Err(e) = res {
            return Ok(Err(e));
        }
        if nbits > u64::from(u16::MAX) {
            return Ok(Err("record too large"));
        }
        let mut cbuf = [0u8; 64];
        // encode() refused numbers beyond MAX_NUMBER_LEN; never file one under a wrong hash.
        let Some(conf) = confusable_into(r.document_number.as_bytes(), &mut cbuf) else {
            return Ok(Err("document number too long"));
        };
        let h = probe_hash_bytes(r.issuing_state, conf);
        self.records = self.records.saturating_add(1);
        match &mut self.parts {
            Some(parts) => {
                self.scratch.clear();
                push_entry(&mut self.scratch, h, data, nbits);
                let p = bucket_of(h, PART_BITS);
                if let Some(w) = parts.get_mut(p) {
                    if let Err(e) = w.write_all(&self.scratch) {
                        return Err(io_err(&part_path(&self.snap, p))(e));
                    }
                }
            }
            None => {
                self.arena.push(h, data, nbits);
                if self.arena.bytes.len() >= self.spill_bytes {
                    self.spill()?;
                }
            }
        }
        Ok(Ok(()))
    }

    fn spill(&mut self) -> Result<(), StoreError> {
        let mut parts = Vec::with_capacity(1 << PART_BITS);
        for p in 0..(1usize << PART_BITS) {
            let path = part_path(&self.snap, p);
            let f = File::create(&path).map_err(io_err(&path))?;
            parts.push(BufWriter::with_capacity(64 << 10, f));
        }
        let arena = std::mem::take(&mut self.arena);
        for e in &arena.entries {
            let start = e.at;
            let n = arena.get(e).map(|(d, _)| d.len() + 10).unwrap_or_default();
            let p = bucket_of(e.hash, PART_BITS);
            if let (Some(w), Some(b)) = (parts.get_mut(p), arena.bytes.get(start..start + n)) {
                if let Err(e) = w.write_all(b) {
                    return Err(io_err(&part_path(&self.snap, p))(e));
                }
            }
        }
        self.parts = Some(parts);
        Ok(())
    }

    /// Sorts, writes `blocks.bin` and `index.bin` (both synced) and removes the spill files.
    /// Returns the record count.
    pub(crate) fn finish(self) -> Result<u64, StoreError> {
        let n = self.records;
        let mut bucket_bits = 0u32;
        while bucket_bits < 32 && (BUCKET_TARGET << bucket_bits) < n {
            bucket_bits += 1;
        }
        let bp = self.snap.join(BLOCKS);
        let mut out = Output {
            blocks: BufWriter::with_capacity(1 << 20, File::create(&bp).map_err(io_err(&bp))?),
            path: bp.clone(),
            offsets: vec![0],
            filters: Vec::new(),
        };
        let corrupt = |file: PathBuf| {
            move |what| StoreError::Corrupt {
                file,
                offset: 0,
                what,
            }
        };
        let filter_bits = match self.parts {
            None => {
                let part =
                    build_part(self.arena, bucket_bits, 0, 0).map_err(corrupt(bp.clone()))?;
                out.push(part)?;
                0
            }
            Some(parts) => {
                bucket_bits = bucket_bits.max(PART_BITS);
                for (p, w) in parts.into_iter().enumerate() {
                    let f = w
                        .into_inner()
                        .map_err(|e| io_err(&part_path(&self.snap, p))(e.into_error()))?;
                    drop(f);
                }
                let snap = self.snap.as_path();
                let load = |p: usize| -> Result<PartOut, StoreError> {
                    let path = part_path(snap, p);
                    let mut bytes = Vec::new();
                    File::open(&path)
                        .and_then(|mut f| f.read_to_end(&mut bytes))
                        .map_err(io_err(&path))?;
                    let _ = std::fs::remove_file(&path);
                    let arena = Arena::from_bytes(bytes).ok_or(StoreError::Corrupt {
                        file: path.clone(),
                        offset: 0,
                        what: "spill file malformed",
                    })?;
                    build_part(arena, bucket_bits, PART_BITS, p).map_err(corrupt(path))
                };
                // One partition worker per core, each taking the next partition; this thread
                // writes their output in partition order. A worker waits when it is
                // [`PART_AHEAD`] partitions ahead of the writer (memory stays bounded).
                let parts = 1usize << PART_BITS;
                let next = AtomicUsize::new(0);
                let written = AtomicUsize::new(0);
                let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, PartResult)>(PART_AHEAD);
                std::thread::scope(|s| -> Result<(), StoreError> {
                    let mut workers = Vec::new();
                    for _ in 0..2 {
                        let (tx, next, written, load) = (tx.clone(), &next, &written, &load);
                        workers.push(s.spawn(move || loop {
                            let p = next.fetch_add(1, Ordering::Relaxed);
                            if p >= parts {
                                break;
                            }
                            while p > written.load(Ordering::Acquire) + PART_AHEAD {
                                std::thread::sleep(std::time::Duration::from_millis(1));
                            }
                            // A closed channel: the writer failed and reports why.
                            if tx.send((p, load(p))).is_err() {
                                break;
                            }
                        }));
                    }
                    drop(tx);
                    let mut want = 0usize;
                    let res = (|| -> Result<(), StoreError> {
                        let mut pending = std::collections::BTreeMap::new();
                        for (p, r) in rx {
                            pending.insert(p, r);
                            while let Some(r) = pending.remove(&want) {
                                out.push(r?)?;
                                want += 1;
                                written.store(want, Ordering::Release);
                            }
                        }
                        Ok(())
                    })();
                    // Releases a worker waiting for the writer (which failed, or is done).
                    written.store(usize::MAX / 2, Ordering::Release);
                    // Joined here, a worker's panic is an error (not re-raised by the scope).
                    let joined = workers.into_iter().all(|w| w.join().is_ok());
                    res?;
                    if !joined || want != parts {
                        return Err(StoreError::Corrupt {
                            file: part_path(snap, want),
                            offset: 0,
                            what: "partition worker failed",
                        });
                    }
                    Ok(())
                })?;
                PART_BITS
            }
        };
        finish_files(&self.snap, out, bucket_bits, filter_bits, n, &self.dicts)?;
        Ok(n)
    }
}

struct Output {
    blocks: BufWriter<File>,
    path: PathBuf,
    offsets: Vec<u64>,
    filters: Vec<Option<BinaryFuse8>>,
}

impl Output {
    fn push(&mut self, part: PartOut) -> Result<(), StoreError> {
        self.blocks
            .write_all(&part.blocks)
            .map_err(io_err(&self.path))?;
        let mut pos = self.offsets.last().copied().unwrap_or(0);
        for len in part.lens {
            pos += len;
            self.offsets.push(pos);
        }
        self.filters.push(part.filter);
        Ok(())
    }
}

fn finish_files(
    snap: &Path,
    out: Output,
    bucket_bits: u32,
    filter_bits: u32,
    n: u64,
    dicts: &Dicts,
) -> Result<(), StoreError> {
    let Output {
        blocks,
        path: bp,
        offsets,
        filters,
    } = out;
    let f = blocks
        .into_inner()
        .map_err(|e| io_err(&bp)(e.into_error()))?;
    f.sync_all().map_err(io_err(&bp))?;
    drop(f);
    let payload_len = offsets.last().copied().unwrap_or(0);
    let mut idx = Vec::with_capacity(offsets.len() * 8 + 1024);
    idx.extend_from_slice(MAGIC);
    idx.extend_from_slice(&bucket_bits.to_le_bytes());
    idx.extend_from_slice(&filter_bits.to_le_bytes());
    idx.extend_from_slice(&n.to_le_bytes());
    idx.extend_from_slice(&payload_len.to_le_bytes());
    idx.extend_from_slice(&(dicts.states.len() as u32).to_le_bytes());
    idx.extend_from_slice(&(dicts.prefixes.len() as u32).to_le_bytes());
    for o in &offsets {
        idx.extend_from_slice(&o.to_le_bytes());
    }
    for s in dicts.states.iter().chain(&dicts.prefixes) {
        idx.push(s.len() as u8);
        idx.extend_from_slice(s.as_bytes());
    }
    for f in &filters {
        match f {
            None => idx.push(0),
            Some(f) => {
                idx.push(1);
                let d = &f.descriptor;
                idx.extend_from_slice(&d.seed.to_le_bytes());
                idx.extend_from_slice(&d.segment_length.to_le_bytes());
                idx.extend_from_slice(&d.segment_length_mask.to_le_bytes());
                idx.extend_from_slice(&d.segment_count_length.to_le_bytes());
                idx.extend_from_slice(&(f.fingerprints.len() as u32).to_le_bytes());
                idx.extend_from_slice(&f.fingerprints);
            }
        }
    }
    let crc = crc32fast::hash(&idx);
    idx.extend_from_slice(&crc.to_le_bytes());
    let ip = snap.join(INDEX);
    let mut f = File::create(&ip).map_err(io_err(&ip))?;
    f.write_all(&idx).map_err(io_err(&ip))?;
    f.sync_all().map_err(io_err(&ip))
}

/// One partition's output: block bytes, each bucket's block length, the filter.
struct PartOut {
    blocks: Vec<u8>,
    lens: Vec<u64>,
    filter: Option<BinaryFuse8>,
}

/// Sorts one partition (hash prefix `part` of `part_bits` bits) and encodes its buckets.
fn build_part(
    mut arena: Arena,
    bucket_bits: u32,
    part_bits: u32,
    part: usize,
) -> Result<PartOut, &'static str> {
    arena.entries.sort_unstable_by_key(|e| e.hash);
    let per_part = 1usize << (bucket_bits - part_bits);
    let first = part * per_part;
    let mut lens = Vec::with_capacity(per_part);
    let mut blocks = Vec::new();
    let mut i = 0usize;
    let entries = &arena.entries;
    for b in first..first + per_part {
        let start = i;
        while entries
            .get(i)
            .is_some_and(|e| bucket_of(e.hash, bucket_bits) == b)
        {
            i += 1;
        }
        if i == start {
            lens.push(0);
            continue;
        }
        let mut w = BitWriter::default();
        w.put_eg((i - start) as u64);
        for e in entries.get(start..i).unwrap_or(&[]) {
            let (d, nbits) = arena.get(e).ok_or("arena entry out of range")?;
            w.append(d, nbits);
        }
        let (body, _) = w.finish();
        let at = blocks.len();
        blocks.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        blocks.extend_from_slice(&body);
        lens.push((blocks.len() - at) as u64);
    }
    if i != entries.len() {
        return Err("records outside their partition");
    }
    let mut keys: Vec<u64> = entries.iter().map(|e| e.hash).collect();
    keys.dedup();
    let filter = if keys.is_empty() {
        None
    } else {
        Some(BinaryFuse8::try_from(&keys).map_err(|_| "filter construction failed")?)
    };
    Ok(PartOut {
        blocks,
        lens,
        filter,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip() {
        let mut w = BitWriter::default();
        for v in 0..300u64 {
            w.put_eg(v);
            w.put(v, 9);
        }
        w.put_u128(u128::MAX >> 3, 125);
        let (b, _) = w.finish();
        let mut r = BitReader::new(&b);
        for v in 0..300u64 {
            assert_eq!(r.get_eg(), Some(v));
            assert_eq!(r.get(9), Some(v & 511));
        }
        assert_eq!(r.get_u128(125), Some(u128::MAX >> 3));
        // Past the end: None, never a panic.
        assert_eq!(r.get(56), None);
        assert_eq!(r.get_eg(), None);
    }

    #[test]
    fn dates_round_trip() {
        for s in ["1900-01-01", "2024-02-29", "2079-06-06", "1999-12-31"] {
            assert_eq!(day_text(day_code(s).unwrap()).unwrap(), s);
        }
        assert_eq!(day_code("1899-12-31"), None);
        assert_eq!(day_code("2079-06-07"), None);
    }

    fn rec(state: &str, t: DocType, n: &str) -> Record {
        Record {
            issuing_state: state.into(),
            document_type: t,
            document_number: n.into(),
            status: Status::Lost,
            issue_date: None,
            expiry_date: None,
            reported_date: None,
            list: "a".into(),
            reference: None,
        }
    }

    /// Records of every field shape the codec distinguishes.
    fn shapes() -> Vec<Record> {
        let d = |s: &str| Some(s.to_string());
        let mut v = Vec::new();
        for (n, t) in [
            ("1", DocType::P),
            ("000123", DocType::I),    // digits, leading zeros
            ("C01X00T47", DocType::A), // base 36
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", DocType::C), // > 24 chars: 6-bit chars
            ("12345678901234567890123456789012345", DocType::Any), // 35 digits: u128
        ] {
            v.push(rec("D", t, n));
        }
        let mut r = rec("UTO", DocType::V, "L898902C3");
        r.issue_date = d("2024-02-29");
        r.expiry_date = d("2034-02-28"); // not on the issue day: absolute
        r.reported_date = d("2024-02-29"); // same day: year offset 0
        r.reference = d("SYN-7-000042"); // prefix + suffix with leading zeros
        r.status = Status::StolenBlank;
        r.list = "c".into();
        v.push(r);
        let mut r = rec("XXA", DocType::P, "77");
        r.issue_date = d("1850-01-01"); // outside the day-count range: verbatim
        r.expiry_date = d("1860-01-01"); // relative to a verbatim issue date
        r.reported_date = d("2100-12-31");
        r.reference = d("Fall \u{e4}-12 / 2024 case"); // no trailing digits, non-ASCII
        r.status = Status::Other;
        v.push(r);
        let mut r = rec("GBD", DocType::P, "9");
        r.expiry_date = d("2030-01-01"); // no issue date: absolute
        r.reference = d(&format!("{}{}", "R", "9".repeat(40))); // > 31 digits of suffix
        v.push(r);
        let mut r = rec("NLD", DocType::P, "X");
        r.reference = d(&"x".repeat(300)); // longer than a dictionary prefix: verbatim
        r.reported_date = d("1900-01-01");
        v.push(r);
        let mut r = rec("FRA", DocType::P, "Y");
        r.reference = d("12345"); // digits only: empty prefix
        v.push(r);
        v
    }

    #[test]
    fn codec_round_trips_every_field_shape() {
        let lists: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let mut d = Dicts::default();
        let mut w = BitWriter::default();
        let recs = shapes();
        w.put_eg(recs.len() as u64);
        for r in &recs {
            let idx = lists.iter().position(|l| *l == r.list).unwrap() as u32;
            encode(&RecView::of(r), idx, &mut d, &mut w).unwrap();
        }
        let (body, _) = w.finish();
        let mut block = crc32fast::hash(&body).to_le_bytes().to_vec();
        block.extend_from_slice(&body);
        let d = Dicts::from_lists(d.states, d.prefixes);
        let mut out = Vec::new();
        decode_block(&block, &d, &lists, None, &mut out).unwrap();
        let got: Vec<Record> = out.into_iter().map(|(_, r)| r).collect();
        assert_eq!(got, recs);
        // A wanted key selects only its records (the OCR twin too: classify decides later).
        let want = Want {
            state: d.state_id("D").unwrap(),
            confusable: b"C01X00T47",
            hash: probe_hash("D", "C01X00T47"),
        };
        let mut out = Vec::new();
        decode_block(&block, &d, &lists, Some(&want), &mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].1, recs[2]);
        // Every truncation and every single-bit flip: an error, never a panic.
        for cut in 0..block.len() {
            assert!(decode_block(&block[..cut], &d, &lists, None, &mut Vec::new()).is_err());
        }
        for i in 0..block.len() * 8 {
            let mut b = block.clone();
            b[i / 8] ^= 1 << (i % 8);
            assert!(decode_block(&b, &d, &lists, None, &mut Vec::new()).is_err());
        }
        // An over-long reference is refused, not truncated.
        let mut r = rec("D", DocType::P, "1");
        r.reference = Some("x".repeat(MAX_REFERENCE_BYTES + 1));
        let view = RecView::of(&r);
        assert!(encode(&view, 0, &mut Dicts::default(), &mut BitWriter::default()).is_err());
        // So is an over-long date text (multi-byte characters: no slicing inside one).
        let mut r = rec("D", DocType::P, "1");
        r.expiry_date = Some("\u{e4}".repeat(200));
        let view = RecView::of(&r);
        assert!(encode(&view, 0, &mut Dicts::default(), &mut BitWriter::default()).is_err());
    }

    /// Builds a snapshot directly (optionally spilling to partition files after `spill` bytes).
    fn build(dir: &Path, recs: &[Record], spill: usize) -> Snap3 {
        let mut b = Builder::new(dir);
        b.spill_bytes = spill;
        for r in recs {
            b.add(&RecView::of(r), 0).unwrap().unwrap();
        }
        assert_eq!(b.finish().unwrap(), recs.len() as u64);
        Snap3::open(dir, vec!["synthetic".into()]).unwrap()
    }

    #[test]
    fn spilled_and_in_memory_builds_agree_and_find_every_record() {
        let recs: Vec<Record> = super::super::synth::generate(20_000, 5).collect();
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let mem = build(a.path(), &recs, SPILL_BYTES);
        // 64 KiB of encoded records before spilling: 256 partitions, built two at a time.
        let spilled = build(b.path(), &recs, 64 << 10);
        assert_eq!((mem.filter_bits, spilled.filter_bits), (0, PART_BITS));
        // No spill file is left behind.
        let left: Vec<_> = std::fs::read_dir(b.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(left.is_empty());
        for s in [&mem, &spilled] {
            // Every record, wherever it sits in its block (first, middle, last).
            for r in &recs {
                let c = s.candidates(&r.issuing_state, &r.document_number).unwrap();
                assert!(c.iter().any(|(_, x)| x == r), "{r:?}");
                assert!(c.iter().all(|(_, x)| x.issuing_state == r.issuing_state
                    && confusable(&x.document_number) == confusable(&r.document_number)));
            }
            let mut all: Vec<Record> = s.records().map(|r| r.unwrap()).collect();
            assert_eq!(all.len(), recs.len());
            let mut want = recs.clone();
            let k = |r: &Record| {
                (
                    r.issuing_state.clone(),
                    r.document_number.clone(),
                    r.reference.clone(),
                )
            };
            all.sort_by_key(k);
            want.sort_by_key(k);
            assert_eq!(all, want);
        }
    }

    #[test]
    fn a_lookup_finds_every_record_of_its_key_among_many() {
        // One key (and its OCR twins) listed many times among other records: a lookup stops
        // decoding after the key's records (sorted by probe hash) and must still get them all.
        let mut recs: Vec<Record> = super::super::synth::generate(5_000, 11).collect();
        let types = [
            DocType::P,
            DocType::I,
            DocType::A,
            DocType::C,
            DocType::V,
            DocType::Any,
        ];
        for (i, n) in ["C01X00T47", "CO1XOOT47", "C01X00T47", "CO1X0OT47"]
            .iter()
            .enumerate()
        {
            for t in types {
                let mut r = rec("D", t, n);
                r.list = "synthetic".into();
                r.reference = Some(format!("dup-{i}"));
                recs.push(r);
            }
        }
        for spill in [SPILL_BYTES, 16 << 10] {
            let dir = tempfile::tempdir().unwrap();
            let s = build(dir.path(), &recs, spill);
            let got = s.candidates("D", "C01X00T47").unwrap();
            assert_eq!(got.len(), 24, "spill {spill}");
            assert!(got
                .iter()
                .all(|(_, r)| confusable(&r.document_number) == "C01X00T47"));
            // Every other record is still found wherever it sits.
            for r in recs.iter().take(5_000) {
                let c = s.candidates(&r.issuing_state, &r.document_number).unwrap();
                assert!(c.iter().any(|(_, x)| x == r), "{r:?}");
            }
        }
    }

    #[test]
    fn empty_and_single_record_snapshots() {
        let d = tempfile::tempdir().unwrap();
        let s = build(d.path(), &[], SPILL_BYTES);
        assert_eq!(s.records().count(), 0);
        assert!(s.candidates("D", "1").unwrap().is_empty());
        let d = tempfile::tempdir().unwrap();
        let mut one = rec("D", DocType::P, "C01X00T47");
        one.list = "synthetic".into();
        let s = build(d.path(), std::slice::from_ref(&one), SPILL_BYTES);
        assert_eq!(s.candidates("D", "CO1XOOT47").unwrap()[0].1, one);
        assert!(s.candidates("D", "C01X00T48").unwrap().is_empty());
        assert!(s.candidates("FRA", "C01X00T47").unwrap().is_empty());
    }

    /// Rewrites index.bin with `f` applied to its body and a correct checksum.
    fn patch_index(dir: &Path, f: impl FnOnce(&mut Vec<u8>)) {
        let p = dir.join(INDEX);
        let mut b = std::fs::read(&p).unwrap();
        b.truncate(b.len() - 4);
        f(&mut b);
        let crc = crc32fast::hash(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        std::fs::write(&p, b).unwrap();
    }

    #[test]
    fn corrupt_index_is_a_typed_error_at_open() {
        let recs: Vec<Record> = super::super::synth::generate(300, 9).collect();
        let d = tempfile::tempdir().unwrap();
        build(d.path(), &recs, SPILL_BYTES);
        let good = std::fs::read(d.path().join(INDEX)).unwrap();
        let open = || Snap3::open(d.path(), vec!["synthetic".into()]);
        let corrupt = |r: Result<Snap3, StoreError>| matches!(r, Err(StoreError::Corrupt { .. }));
        // Truncations and bit flips: the checksum catches them.
        for cut in [0, 3, 4, 40, good.len() / 2, good.len() - 1] {
            std::fs::write(d.path().join(INDEX), &good[..cut]).unwrap();
            assert!(corrupt(open()), "cut {cut}");
        }
        for i in (0..good.len()).step_by(7) {
            let mut b = good.clone();
            b[i] ^= 0x10;
            std::fs::write(d.path().join(INDEX), &b).unwrap();
            assert!(corrupt(open()), "flip {i}");
        }
        // Well-checksummed but inconsistent: bucket bits, offsets, filter geometry.
        std::fs::write(d.path().join(INDEX), &good).unwrap();
        patch_index(d.path(), |b| b[8..12].copy_from_slice(&31u32.to_le_bytes()));
        assert!(corrupt(open()));
        std::fs::write(d.path().join(INDEX), &good).unwrap();
        patch_index(d.path(), |b| b[40..48].copy_from_slice(&7u64.to_le_bytes()));
        assert!(corrupt(open()));
        std::fs::write(d.path().join(INDEX), &good).unwrap();
        // The filter descriptor follows the dictionaries; find it by its segment length mask.
        patch_index(d.path(), |b| {
            let body = b.len();
            // The only filter: flag, seed, sl, mask, scl, len, fingerprints (to the end).
            let start = (0..body - 25)
                .find(|&i| {
                    b[i] == 1 && {
                        let len = u32::from_le_bytes(b[i + 21..i + 25].try_into().unwrap());
                        i + 25 + len as usize == body
                    }
                })
                .unwrap();
            // Segment count length beyond the fingerprint array.
            b[start + 17..start + 21].copy_from_slice(&u32::MAX.to_le_bytes());
        });
        assert!(corrupt(open()));
        // A block file of the wrong size.
        std::fs::write(d.path().join(INDEX), &good).unwrap();
        let bp = d.path().join(BLOCKS);
        let blocks = std::fs::read(&bp).unwrap();
        std::fs::write(&bp, &blocks[..blocks.len() - 1]).unwrap();
        assert!(corrupt(open()));
        std::fs::write(&bp, &blocks).unwrap();
        assert!(open().is_ok());
    }
}
