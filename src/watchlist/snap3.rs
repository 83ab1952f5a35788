//! Snapshot formats 3 and 4: a compact, positionally read layout for lists of ~10^8 records.
//! Format 4 is written; format 3 (the same layout with fixed record codes) still opens.
//!
//! ```text
//! snap-N/manifest.json  as before (format 3 or 4)
//!       /index.bin      header, bucket table (format 3: 2^b + 1 u64 offsets; format 4: 2^b u32
//!                       block lengths), state and reference-prefix dictionaries, format 4's
//!                       learned codes, binary fuse filters, CRC-32 of all of it; read at open
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
//! Record bit layout (LSB first; `eg` = order-0 Exp-Golomb code), format 3:
//! state (eg, index in the state dictionary) | number kind (2: digits, base 36, 6-bit chars,
//! bytes) | length (6) | number value | type (3) | status (3) | list index (eg) | issue, expiry,
//! reported date: present (1) then a date code | reference kind (2: none, dictionary prefix +
//! decimal suffix, raw bytes) and its fields. Dates are day counts from 1900-01-01 (16 bits);
//! expiry and reported dates on the issue date's month and day are coded as a 5-bit year offset
//! (passports run whole years); any other text is kept verbatim.
//!
//! Format 4 keeps the field order and learns its codes (`Model`) from the first
//! [`SAMPLE_ROWS`] rows of the import (buffered, then encoded), storing them in the index:
//! states and reference prefixes are numbered by falling frequency (short `eg` codes); the
//! number is an `eg` template index and a mixed-radix value when it fits one of its state's
//! templates (per position a digit, letter, alphanumeric or literal character: national
//! number formats are per-state patterns), else the template count and the format-3 code;
//! type, status and reference kind are truncated-unary codes of their frequency rank; the list
//! index takes `ceil(log2(lists))` bits; an issue date inside the sample's date window is a day
//! offset of the window's width; an expiry or reported date that is the issue date plus the
//! snapshot's usual number of years for that field takes one bit, another anniversary an `eg`
//! year count, any other date 16 bits; unusual text is kept verbatim as before. Every record
//! round-trips exactly whatever the model (property tests).
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

/// Index file magic, format 3 (read only).
const MAGIC3: &[u8; 8] = b"IWL3IDX1";
/// Index file magic, format 4 (written).
const MAGIC4: &[u8; 8] = b"IWL4IDX1";
/// Rows buffered at the start of an import to learn the format-4 model from.
pub const SAMPLE_ROWS: usize = 1 << 18;
/// Most number templates per state.
const MAX_TEMPLATES: usize = 4;
/// Fewest sample rows of one (state, length) that make a template.
const MIN_TEMPLATE_ROWS: u64 = 32;
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
    /// Format 4's learned codes; `None`: the format-3 codes.
    pub model: Option<Model>,
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
            model: None,
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

// ---------------------------------------------------------------------------------------------
// Format-4 model: codes learned from a sample of the import's first rows, kept in the index

/// Template position classes; any other byte is a literal character (`0-9A-Z`).
const CL_DIGIT: u8 = 0;
const CL_LETTER: u8 = 1;
const CL_ALNUM: u8 = 2;

fn class_radix(c: u8) -> u64 {
    match c {
        CL_DIGIT => 10,
        CL_LETTER => 26,
        CL_ALNUM => 36,
        _ => 1,
    }
}

fn class_value(c: u8, ch: u8) -> Option<u64> {
    match c {
        CL_DIGIT => ch.is_ascii_digit().then(|| u64::from(ch - b'0')),
        CL_LETTER => ch.is_ascii_uppercase().then(|| u64::from(ch - b'A')),
        CL_ALNUM => alnum_value(ch).map(u64::from),
        lit => (ch == lit).then_some(0),
    }
}

fn class_char(c: u8, v: u64) -> Option<u8> {
    match c {
        CL_DIGIT => u8::try_from(v).ok().filter(|v| *v < 10).map(|v| b'0' + v),
        CL_LETTER => u8::try_from(v).ok().filter(|v| *v < 26).map(|v| b'A' + v),
        CL_ALNUM => alnum_char(u128::from(v)),
        lit => (v == 0).then_some(lit),
    }
}

/// A document-number template (a state's number format): per position a digit, a letter, an
/// alphanumeric or a literal character. A matching number is coded as one mixed-radix value of
/// `bits` bits; national formats are per-state patterns, so most numbers match one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    classes: Vec<u8>,
    bits: u32,
}

impl Template {
    /// `None` for an invalid class byte, a length outside 1..=[`MAX_NUMBER_LEN`], or a value
    /// wider than 56 bits.
    fn new(classes: Vec<u8>) -> Option<Template> {
        if classes.is_empty() || classes.len() > MAX_NUMBER_LEN {
            return None;
        }
        let mut count = 1u64;
        for c in &classes {
            if !matches!(*c, CL_DIGIT | CL_LETTER | CL_ALNUM | b'0'..=b'9' | b'A'..=b'Z') {
                return None;
            }
            count = count.checked_mul(class_radix(*c))?;
        }
        let bits = 64 - (count - 1).leading_zeros();
        (bits <= 56).then_some(Template { classes, bits })
    }

    /// The template with each literal position made its class (digit or letter); `None`
    /// without literals.
    fn widened(&self) -> Option<Template> {
        if self.classes.iter().all(|c| *c <= CL_ALNUM) {
            return None;
        }
        let classes = self
            .classes
            .iter()
            .map(|c| match *c {
                b'0'..=b'9' => CL_DIGIT,
                b'A'..=b'Z' => CL_LETTER,
                c => c,
            })
            .collect();
        Template::new(classes)
    }

    fn value(&self, n: &[u8]) -> Option<u64> {
        if n.len() != self.classes.len() {
            return None;
        }
        let mut v = 0u64;
        for (c, ch) in self.classes.iter().zip(n) {
            v = v * class_radix(*c) + class_value(*c, *ch)?;
        }
        Some(v)
    }

    /// Writes the number of value `v` into `out` (exactly the template's length).
    fn chars(&self, mut v: u64, out: &mut [u8]) -> Option<()> {
        if out.len() != self.classes.len() {
            return None;
        }
        for (c, o) in self.classes.iter().zip(out.iter_mut()).rev() {
            let r = class_radix(*c);
            *o = class_char(*c, v % r)?;
            v /= r;
        }
        (v == 0).then_some(())
    }
}

/// Symbols ranked by falling sample frequency, coded as truncated unary of the rank (the
/// commonest in one bit); for document type, status and reference kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ranks {
    by_rank: Vec<u8>,
    rank_of: Vec<u8>,
}

impl Ranks {
    fn from_counts(counts: &[u64]) -> Ranks {
        let mut order: Vec<u8> = (0..counts.len())
            .filter_map(|i| u8::try_from(i).ok())
            .collect();
        // Stable: ties keep code order, so an empty sample gives the identity.
        order.sort_by_key(|c| std::cmp::Reverse(counts.get(usize::from(*c)).copied()));
        Ranks::from_order(order).unwrap_or_else(|| Ranks {
            by_rank: Vec::new(),
            rank_of: Vec::new(),
        })
    }

    /// `None` unless `by_rank` is a permutation of `0..len`.
    fn from_order(by_rank: Vec<u8>) -> Option<Ranks> {
        let mut rank_of = vec![u8::MAX; by_rank.len()];
        for (r, c) in by_rank.iter().enumerate() {
            let slot = rank_of.get_mut(usize::from(*c))?;
            if *slot != u8::MAX {
                return None;
            }
            *slot = u8::try_from(r).ok()?;
        }
        Some(Ranks { by_rank, rank_of })
    }

    fn put(&self, w: &mut BitWriter, code: u8) -> Result<(), &'static str> {
        let r = u32::from(
            *self
                .rank_of
                .get(usize::from(code))
                .ok_or("code outside its ranks")?,
        );
        let last = u32::try_from(self.by_rank.len().saturating_sub(1)).unwrap_or(0);
        // r ones, then a zero unless r is the last rank.
        w.put((1u64 << r) - 1, if r < last { r + 1 } else { r });
        Ok(())
    }

    fn get(&self, r: &mut BitReader<'_>) -> Option<u8> {
        let last = u32::try_from(self.by_rank.len().checked_sub(1)?).ok()?;
        let t = r.peek().trailing_ones().min(last);
        r.get(if t < last { t + 1 } else { t })?;
        self.by_rank.get(usize::try_from(t).ok()?).copied()
    }
}

/// Reference kinds (ranked in [`Model::ref_rank`]).
const REF_NONE: u8 = 0;
const REF_DICT: u8 = 1;
const REF_RAW: u8 = 2;

/// The format-4 codes of one snapshot, learned from a sample of its first rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Model {
    /// Width of the list index.
    list_bits: u32,
    type_rank: Ranks,
    status_rank: Ranks,
    ref_rank: Ranks,
    /// Issue dates are coded as `issue_bits` bits above this day code when they fit.
    issue_base: u64,
    issue_bits: u32,
    /// The commonest year offset of the expiry and the reported date from the issue date
    /// (same month and day), coded in one bit.
    later_usual: [u32; 2],
    /// Number templates by state id, commonest first (states after the sample have none).
    templates: Vec<Vec<Template>>,
}

/// Per-position statistics of a (state, length) group of sample numbers.
#[derive(Clone, Copy, Default)]
struct PosStat {
    digit: bool,
    letter: bool,
    first: u8,
    varies: bool,
}

fn bits_for(max: u64) -> u32 {
    64 - max.leading_zeros()
}

impl Model {
    /// Learns the codes from sample rows, interning their states and reference prefixes in
    /// falling frequency (small Exp-Golomb codes for the common ones).
    fn learn<'a>(rows: impl Iterator<Item = RecView<'a>>, d: &mut Dicts, n_lists: usize) -> Model {
        let mut states: HashMap<&str, u64> = HashMap::new();
        let mut prefixes: HashMap<&str, u64> = HashMap::new();
        // (rows, a character outside 0-9A-Z seen, per position)
        let mut groups: HashMap<(&str, usize), (u64, bool, Vec<PosStat>)> = HashMap::new();
        let mut types = [0u64; 6];
        let mut statuses = [0u64; Status::ALL.len()];
        let mut refs = [0u64; 3];
        let (mut lo, mut hi) = (u64::MAX, 0u64);
        let mut later = [[0u64; 32]; 2];
        for r in rows {
            *states.entry(r.issuing_state).or_default() += 1;
            if let Some(c) = types.get_mut(usize::try_from(type_code(r.document_type)).unwrap_or(9))
            {
                *c += 1;
            }
            if let Some(c) = statuses.get_mut(usize::from(r.status.code())) {
                *c += 1;
            }
            let n = r.document_number.as_bytes();
            let g = groups
                .entry((r.issuing_state, n.len()))
                .or_insert_with(|| (0, false, vec![PosStat::default(); n.len()]));
            g.0 += 1;
            for (p, ch) in g.2.iter_mut().zip(n) {
                if g.0 == 1 {
                    p.first = *ch;
                }
                p.varies |= *ch != p.first;
                p.digit |= ch.is_ascii_digit();
                p.letter |= !ch.is_ascii_digit();
                g.1 |= alnum_value(*ch).is_none();
            }
            let issue = r.issue_date.and_then(parse_date);
            if let Some(c) = issue.and_then(|(y, m, d)| ymd_code(y, m, d)) {
                lo = lo.min(c);
                hi = hi.max(c);
            }
            for (slot, s) in later.iter_mut().zip([r.expiry_date, r.reported_date]) {
                if let (Some((iy, im, id)), Some((y, m, dd))) = (issue, s.and_then(parse_date)) {
                    if m == im && dd == id && y >= iy {
                        if let Some(c) = slot.get_mut(usize::try_from(y - iy).unwrap_or(99)) {
                            *c += 1;
                        }
                    }
                }
            }
            let kind = match r.reference {
                None => REF_NONE,
                Some(s) => {
                    let (prefix, _) = split_reference(s);
                    if prefix.len() <= MAX_PREFIX_LEN {
                        *prefixes.entry(prefix).or_default() += 1;
                        REF_DICT
                    } else {
                        REF_RAW
                    }
                }
            };
            if let Some(c) = refs.get_mut(usize::from(kind)) {
                *c += 1;
            }
        }
        let mut by_count: Vec<(&str, u64)> = states.iter().map(|(k, v)| (*k, *v)).collect();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        for (s, _) in &by_count {
            let _ = d.intern_state(s);
        }
        let mut by_count: Vec<(&str, u64)> = prefixes.iter().map(|(k, v)| (*k, *v)).collect();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        for (p, _) in &by_count {
            let _ = d.intern_prefix(p);
        }
        let mut templates: Vec<Vec<(u64, Template)>> = vec![Vec::new(); d.states.len()];
        for ((state, _), (count, bad, pos)) in groups {
            let total = states.get(state).copied().unwrap_or(0);
            // At least MIN_TEMPLATE_ROWS rows and 2 % of the state's.
            if bad || count < MIN_TEMPLATE_ROWS || count.saturating_mul(50) < total {
                continue;
            }
            let classes = pos
                .iter()
                .map(|p| match (p.varies, p.digit, p.letter) {
                    (false, _, _) => p.first,
                    (true, true, false) => CL_DIGIT,
                    (true, false, true) => CL_LETTER,
                    _ => CL_ALNUM,
                })
                .collect();
            let (Some(t), Some(sid)) = (Template::new(classes), d.state_id(state)) else {
                continue;
            };
            if let Some(v) = templates.get_mut(usize::try_from(sid).unwrap_or(usize::MAX)) {
                v.push((count, t));
            }
        }
        let templates = templates
            .into_iter()
            .map(|mut v| {
                v.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.classes.cmp(&b.1.classes)));
                let mut ts: Vec<Template> =
                    v.into_iter().take(MAX_TEMPLATES).map(|(_, t)| t).collect();
                // A literal may be an accident of the sample (a list sorted by number shares
                // its leading characters for the first rows): each template with literals gets
                // a widened twin in a free slot, so later numbers still fit one.
                for i in 0..ts.len() {
                    let Some(w) = ts.get(i).and_then(Template::widened) else {
                        continue;
                    };
                    if ts.len() < MAX_TEMPLATES && !ts.contains(&w) {
                        ts.push(w);
                    }
                }
                ts
            })
            .collect();
        // The issue-date window: the sample's span, centred in its power of two.
        let (issue_base, issue_bits) = if lo > hi {
            (0, 0)
        } else {
            let bits = bits_for(hi - lo);
            let spare = ((1u64 << bits) - 1) - (hi - lo);
            (lo.saturating_sub(spare / 2), bits)
        };
        let usual = |c: &[u64; 32]| {
            let mut best = 0u32;
            for (k, n) in (0u32..).zip(c.iter()) {
                if *n > c.get(best as usize).copied().unwrap_or(0) {
                    best = k;
                }
            }
            best
        };
        let [e, r] = &later;
        Model {
            list_bits: bits_for(u64::try_from(n_lists.saturating_sub(1)).unwrap_or(u64::MAX)),
            type_rank: Ranks::from_counts(&types),
            status_rank: Ranks::from_counts(&statuses),
            ref_rank: Ranks::from_counts(&refs),
            issue_base,
            issue_bits,
            later_usual: [usual(e), usual(r)],
            templates,
        }
    }

    /// Appends the model to the index (after the dictionaries).
    fn write(&self, idx: &mut Vec<u8>, n_states: usize) {
        idx.push(self.list_bits as u8);
        for r in [&self.type_rank, &self.status_rank, &self.ref_rank] {
            idx.push(r.by_rank.len() as u8);
            idx.extend_from_slice(&r.by_rank);
        }
        idx.extend_from_slice(&(self.issue_base as u16).to_le_bytes());
        idx.push(self.issue_bits as u8);
        idx.extend(self.later_usual.iter().map(|u| *u as u8));
        for sid in 0..n_states {
            let ts = self.templates.get(sid).map(Vec::as_slice).unwrap_or(&[]);
            idx.push(ts.len() as u8);
            for t in ts {
                idx.push(t.classes.len() as u8);
                idx.extend_from_slice(&t.classes);
            }
        }
    }

    /// Reads and checks a model written by [`Model::write`].
    fn read(c: &mut Cursor<'_>, n_states: usize) -> Result<Model, StoreError> {
        let list_bits = u32::from(c.u8()?);
        if list_bits > 16 {
            return Err(c.corrupt("list index width out of range"));
        }
        let mut ranks = Vec::new();
        for want in [6usize, Status::ALL.len(), 3] {
            let n = usize::from(c.u8()?);
            let order = c.take(n)?.to_vec();
            match Ranks::from_order(order).filter(|_| n == want) {
                Some(r) => ranks.push(r),
                None => return Err(c.corrupt("symbol ranks are not a permutation")),
            }
        }
        let mut it = ranks.into_iter();
        let (Some(type_rank), Some(status_rank), Some(ref_rank)) =
            (it.next(), it.next(), it.next())
        else {
            return Err(c.corrupt("symbol ranks missing"));
        };
        let base = c.take(2)?;
        let issue_base = u64::from(le_u16(base).unwrap_or(0));
        let issue_bits = u32::from(c.u8()?);
        let later_usual = [u32::from(c.u8()?), u32::from(c.u8()?)];
        if issue_bits > 16 || later_usual.iter().any(|u| *u >= 32) {
            return Err(c.corrupt("date code parameters out of range"));
        }
        let mut templates = Vec::with_capacity(n_states);
        for _ in 0..n_states {
            let n = usize::from(c.u8()?);
            if n > MAX_TEMPLATES {
                return Err(c.corrupt("too many number templates"));
            }
            let mut ts = Vec::with_capacity(n);
            for _ in 0..n {
                let len = usize::from(c.u8()?);
                let classes = c.take(len)?.to_vec();
                ts.push(
                    Template::new(classes).ok_or_else(|| c.corrupt("invalid number template"))?,
                );
            }
            templates.push(ts);
        }
        Ok(Model {
            list_bits,
            type_rank,
            status_rank,
            ref_rank,
            issue_base,
            issue_bits,
            later_usual,
            templates,
        })
    }

    fn templates_of(&self, sid: u32) -> &[Template] {
        self.templates
            .get(usize::try_from(sid).unwrap_or(usize::MAX))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// A reference split into its prefix and its trailing decimal digits (at most
/// [`MAX_SUFFIX_DIGITS`]).
fn split_reference(s: &str) -> (&str, &str) {
    let b = s.as_bytes();
    let digits = b.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    let digits = digits.min(MAX_SUFFIX_DIGITS);
    // ASCII digits end the string: the split is on a character boundary.
    s.split_at(b.len() - digits)
}

/// Bits spent per record field (see [`bit_profile`]).
#[derive(Debug, Default, Clone)]
pub struct BitProfile {
    /// Records encoded.
    pub records: u64,
    /// Bits per field, in the order of [`PROFILE_FIELDS`].
    pub bits: [u64; 9],
}

/// Field names of [`BitProfile::bits`] (the record codec's field order).
pub const PROFILE_FIELDS: [&str; 9] = [
    "state",
    "number",
    "type",
    "status",
    "list index",
    "issue date",
    "expiry date",
    "reported date",
    "reference",
];

const F_STATE: usize = 0;
const F_NUMBER: usize = 1;
const F_TYPE: usize = 2;
const F_STATUS: usize = 3;
const F_LIST: usize = 4;
const F_ISSUE: usize = 5;
const F_LATER: usize = 6;
const F_REFERENCE: usize = 8;

/// The record codec's bits per field over `records` (one list), for the benchmark: `format`
/// 4 learns its model from the first [`SAMPLE_ROWS`] as an import does; 3 uses the format-3
/// codes. Records the codec refuses are skipped.
pub fn bit_profile(records: impl IntoIterator<Item = Record>, format: u32) -> BitProfile {
    let mut d = Dicts::default();
    let mut prof = BitProfile::default();
    let mut it = records.into_iter();
    let sample: Vec<Record> = it.by_ref().take(SAMPLE_ROWS).collect();
    if format >= 4 {
        d.model = Some(Model::learn(sample.iter().map(RecView::of), &mut d, 1));
    }
    let mut w = BitWriter::default();
    for r in sample.into_iter().chain(it) {
        w.buf.clear();
        if encode_profiled(&RecView::of(&r), 0, &mut d, &mut w, Some(&mut prof)).is_ok() {
            prof.records += 1;
        }
    }
    prof
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

/// Format 4: the issue date as `0` + a day code in the snapshot's window, `10` + a 16-bit day
/// code, or `11` + the text.
fn put_issue4(w: &mut BitWriter, m: &Model, s: &str, parsed: Option<(u32, u32, u32)>) {
    let code = parsed.and_then(|(y, mo, d)| ymd_code(y, mo, d));
    match code {
        Some(c) if c >= m.issue_base && c - m.issue_base < (1u64 << m.issue_bits) => {
            w.put(0, 1);
            w.put(c - m.issue_base, m.issue_bits);
        }
        Some(c) => {
            w.put(0b01, 2);
            w.put(c, 16);
        }
        None => {
            w.put(0b11, 2);
            put_raw(w, s, 8);
        }
    }
}

fn get_issue4(r: &mut BitReader<'_>, m: &Model, keep: bool) -> Option<Issue> {
    let c = if r.get(1)? == 0 {
        m.issue_base + r.get(m.issue_bits)?
    } else if r.get(1)? == 0 {
        r.get(16)?
    } else {
        let s = get_raw(r, 8)?;
        return Some((parse_date(&s).filter(|_| keep), keep.then_some(s)));
    };
    if !keep {
        return Some((None, None));
    }
    let (y, mo, d) = civil_from_days(i64::try_from(c).ok()? + DAY0)?;
    Some((
        Some((y, mo, d)),
        keep.then(|| format!("{y:04}-{mo:02}-{d:02}")),
    ))
}

/// Format 4: an expiry or reported date as `1` (the issue date plus the snapshot's usual
/// years for this field), `01` + Exp-Golomb years after the issue date (same month and day),
/// `001` + a 16-bit day code, or `000` + the text.
fn put_later4(w: &mut BitWriter, usual: u32, s: &str, issue: Option<(u32, u32, u32)>) {
    let parsed = parse_date(s);
    if let (Some((iy, im, id)), Some((y, m, d))) = (issue, parsed) {
        if m == im && d == id && y >= iy && y - iy < 32 {
            if y - iy == usual {
                w.put(1, 1);
            } else {
                w.put(0b10, 2);
                w.put_eg(u64::from(y - iy));
            }
            return;
        }
    }
    match parsed.and_then(|(y, m, d)| ymd_code(y, m, d)) {
        Some(c) => {
            w.put(0b100, 3);
            w.put(c, 16);
        }
        None => {
            w.put(0, 3);
            put_raw(w, s, 8);
        }
    }
}

fn get_later4(
    r: &mut BitReader<'_>,
    usual: u32,
    issue: Option<(u32, u32, u32)>,
    keep: bool,
) -> Option<Option<String>> {
    let years = if r.get(1)? == 1 {
        usual
    } else if r.get(1)? == 1 {
        u32::try_from(r.get_eg()?).ok().filter(|k| *k < 32)?
    } else if r.get(1)? == 1 {
        let c = r.get(16)?;
        return Some(if keep { Some(day_text(c)?) } else { None });
    } else {
        let s = get_raw(r, 8)?;
        return Some(keep.then_some(s));
    };
    if !keep {
        return Some(None);
    }
    let (iy, im, id) = issue?;
    Some(Some(format!("{:04}-{im:02}-{id:02}", iy + years)))
}

/// Format 4: the number as a template index (Exp-Golomb; the template count = none fits)
/// and the template's value, or the format-3 code. A state without templates has no index.
fn put_number4(w: &mut BitWriter, m: &Model, sid: u32, n: &[u8]) -> Result<(), &'static str> {
    let ts = m.templates_of(sid);
    if !ts.is_empty() {
        for (i, t) in (0u64..).zip(ts) {
            if let Some(v) = t.value(n) {
                w.put_eg(i);
                w.put(v, t.bits);
                return Ok(());
            }
        }
        w.put_eg(ts.len() as u64);
    }
    put_number(w, n)
}

fn get_number4(
    r: &mut BitReader<'_>,
    m: &Model,
    sid: u32,
    out: &mut [u8; 64],
    chars: bool,
) -> Option<usize> {
    let ts = m.templates_of(sid);
    if !ts.is_empty() {
        let i = usize::try_from(r.get_eg()?).ok()?;
        if let Some(t) = ts.get(i) {
            let v = r.get(t.bits)?;
            let len = t.classes.len();
            if chars {
                t.chars(v, out.get_mut(..len)?)?;
            }
            return Some(len);
        }
        if i != ts.len() {
            return None;
        }
    }
    get_number(r, out, chars)
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
    encode_profiled(r, list_idx, d, w, None)
}

/// [`encode`], adding each field's bits to `prof` when given.
fn encode_profiled(
    r: &RecView<'_>,
    list_idx: u32,
    d: &mut Dicts,
    w: &mut BitWriter,
    mut prof: Option<&mut BitProfile>,
) -> Result<(), &'static str> {
    let sid = d
        .intern_state(r.issuing_state)
        .ok_or("too many issuing states")?;
    if r.document_number.len() > MAX_NUMBER_LEN {
        return Err("document number too long");
    }
    // The reference prefix is interned first: the rest of the record reads `d` only.
    let reference = match r.reference {
        None => None,
        Some(s) => {
            if s.len() > MAX_REFERENCE_BYTES {
                return Err("reference too long");
            }
            let (prefix, suffix) = split_reference(s);
            Some((s, suffix, d.intern_prefix(prefix)))
        }
    };
    for s in [r.issue_date, r.expiry_date, r.reported_date]
        .into_iter()
        .flatten()
    {
        check_date_text(s)?;
    }
    let d: &Dicts = d;
    let m = d.model.as_ref();
    let mut last = w.bits();
    let mut tally = |field: usize, now: u64| {
        if let Some(b) = prof.as_deref_mut().and_then(|p| p.bits.get_mut(field)) {
            *b += now - last;
        }
        last = now;
    };
    w.put_eg(u64::from(sid));
    tally(F_STATE, w.bits());
    match m {
        Some(m) => put_number4(w, m, sid, r.document_number.as_bytes())?,
        None => put_number(w, r.document_number.as_bytes())?,
    }
    tally(F_NUMBER, w.bits());
    let tc = type_code(r.document_type);
    match m {
        Some(m) => m.type_rank.put(w, tc as u8)?,
        None => w.put(tc, 3),
    }
    tally(F_TYPE, w.bits());
    match m {
        Some(m) => m.status_rank.put(w, r.status.code())?,
        None => w.put(u64::from(r.status.code()), 3),
    }
    tally(F_STATUS, w.bits());
    match m {
        Some(m) => {
            if u64::from(list_idx) >> m.list_bits != 0 {
                return Err("list index out of range");
            }
            w.put(u64::from(list_idx), m.list_bits);
        }
        None => w.put_eg(u64::from(list_idx)),
    }
    tally(F_LIST, w.bits());
    let issue = r.issue_date;
    let parsed_issue = issue.and_then(parse_date);
    w.put(u64::from(issue.is_some()), 1);
    if let Some(s) = issue {
        match m {
            Some(m) => put_issue4(w, m, s, parsed_issue),
            None => put_issue(w, s, parsed_issue),
        }
    }
    tally(F_ISSUE, w.bits());
    for (i, s) in [r.expiry_date, r.reported_date].into_iter().enumerate() {
        w.put(u64::from(s.is_some()), 1);
        if let Some(s) = s {
            match m {
                Some(m) => {
                    let usual = m.later_usual.get(i).copied().unwrap_or(0);
                    put_later4(w, usual, s, parsed_issue);
                }
                None => put_later(w, s, parsed_issue),
            }
        }
        tally(F_LATER + i, w.bits());
    }
    let kind = |w: &mut BitWriter, k: u8| -> Result<(), &'static str> {
        match m {
            Some(m) => m.ref_rank.put(w, k),
            None => {
                w.put(u64::from(k), 2);
                Ok(())
            }
        }
    };
    match reference {
        None => kind(w, REF_NONE)?,
        Some((_, suffix, Some(pid))) => {
            kind(w, REF_DICT)?;
            w.put_eg(u64::from(pid));
            let digits = suffix.len();
            w.put(digits as u64, 5);
            let v: u128 = suffix
                .bytes()
                .fold(0u128, |v, c| v * 10 + u128::from(c - b'0'));
            w.put_u128(v, value_bits(10, digits).unwrap_or(0));
        }
        Some((s, _, None)) => {
            kind(w, REF_RAW)?;
            put_raw(w, s, 16);
        }
    }
    tally(F_REFERENCE, w.bits());
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
    let m = d.model.as_ref();
    let mut num = [0u8; 64];
    // Only a record of the wanted state needs its number's characters (and, after a match,
    // any record, for the hash).
    let chars = matched || want.is_none_or(|w| w.state == sid);
    let len = match m {
        Some(m) => get_number4(r, m, sid, &mut num, chars)?,
        None => get_number(r, &mut num, chars)?,
    };
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
    let (t, status, list_idx) = match m {
        Some(m) => {
            let t = type_from(u64::from(m.type_rank.get(r)?))?;
            let status = Status::from_code(m.status_rank.get(r)?)?;
            let list_idx = usize::try_from(r.get(m.list_bits)?).ok()?;
            (t, status, list_idx)
        }
        None => {
            let ts = r.get(6)?;
            let t = type_from(ts & 7)?;
            let status = Status::from_code(u8::try_from(ts >> 3).ok()?)?;
            (t, status, usize::try_from(r.get_eg()?).ok()?)
        }
    };
    let mut issue = None;
    let mut issue_parsed = None;
    if r.get(1)? == 1 {
        // The issue date is needed for the relative codes even when the record is skipped.
        (issue_parsed, issue) = match m {
            Some(m) => get_issue4(r, m, keep)?,
            None => get_issue(r, keep)?,
        };
    }
    let mut later = [None, None];
    for (i, slot) in later.iter_mut().enumerate() {
        if r.get(1)? == 1 {
            *slot = match m {
                Some(m) => {
                    let usual = m.later_usual.get(i).copied().unwrap_or(0);
                    get_later4(r, usual, issue_parsed, keep)?
                }
                None => get_later(r, issue_parsed, keep)?,
            };
        }
    }
    let kind = match m {
        Some(m) => m.ref_rank.get(r)?,
        None => u8::try_from(r.get(2)?).ok()?,
    };
    let reference = match kind {
        REF_NONE => None,
        REF_DICT => {
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
        REF_RAW => get_raw(r, 16).filter(|_| keep),
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
    /// 3 or 4 (by the index's magic).
    pub format: u32,
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
        let format = match c.take(8)? {
            m if m == MAGIC3 => 3,
            m if m == MAGIC4 => 4,
            _ => return Err(corrupt(0, "not a format-3 or format-4 index")),
        };
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
        // Format 3: the 2^b + 1 block offsets (u64); format 4: the 2^b block lengths (u32).
        let offsets: Vec<u64> = if format == 3 {
            let table = buckets
                .checked_add(1)
                .and_then(|n| n.checked_mul(8))
                .ok_or_else(|| corrupt(c.pos, "bucket table too large"))?;
            c.take(table)?
                .chunks_exact(8)
                .map(|w| {
                    let mut a = [0u8; 8];
                    a.copy_from_slice(w);
                    u64::from_le_bytes(a)
                })
                .collect()
        } else {
            let table = buckets
                .checked_mul(4)
                .ok_or_else(|| corrupt(c.pos, "bucket table too large"))?;
            let mut at = 0u64;
            let mut offsets = Vec::with_capacity(buckets.saturating_add(1));
            offsets.push(0);
            for w in c.take(table)?.chunks_exact(4) {
                at = at.saturating_add(u64::from(le_u32(w).unwrap_or(0)));
                offsets.push(at);
            }
            offsets
        };
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
        let model = if format == 4 {
            Some(Model::read(&mut c, n_states)?)
        } else {
            None
        };
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
            dicts: Dicts {
                model,
                ..Dicts::from_lists(states, prefixes)
            },
            format,
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

/// Records packed with their text fields in one buffer: the rows buffered to learn the
/// format-4 model from, and the batches the import hands to its encoding thread (a record's
/// own heap strings would cost that thread a cache miss each).
#[derive(Default)]
pub(crate) struct Packed {
    pub(crate) text: String,
    pub(crate) rows: Vec<PackedRow>,
}

/// A packed record: state, number, issue, expiry, reported date and reference are
/// `text[start..ends[0]]`, `text[ends[0]..ends[1]]`, ...; bit i of `present` says whether
/// field i is there (state and number always are).
pub(crate) struct PackedRow {
    pub(crate) line: u64,
    pub(crate) list: u32,
    pub(crate) document_type: DocType,
    pub(crate) status: Status,
    present: u8,
    start: usize,
    ends: [usize; 6],
}

impl Packed {
    pub(crate) fn push(&mut self, r: &RecView<'_>, list: u32, line: u64) {
        let start = self.text.len();
        let mut ends = [0usize; 6];
        let mut present = 0u8;
        let fields = [
            Some(r.issuing_state),
            Some(r.document_number),
            r.issue_date,
            r.expiry_date,
            r.reported_date,
            r.reference,
        ];
        for (i, (f, end)) in fields.iter().zip(ends.iter_mut()).enumerate() {
            if let Some(f) = f {
                self.text.push_str(f);
                present |= 1 << i;
            }
            *end = self.text.len();
        }
        self.rows.push(PackedRow {
            line,
            list,
            document_type: r.document_type,
            status: r.status,
            present,
            start,
            ends,
        });
    }

    /// A packed record's fields (`None` only if the row does not fit the text: a bug).
    pub(crate) fn view(&self, row: &PackedRow) -> Option<RecView<'_>> {
        let mut f: [Option<&str>; 6] = [None; 6];
        let mut at = row.start;
        for (i, (slot, end)) in f.iter_mut().zip(row.ends).enumerate() {
            if row.present & (1 << i) != 0 {
                *slot = Some(self.text.get(at..end)?);
            }
            at = end;
        }
        let [state, number, issue, expiry, reported, reference] = f;
        Some(RecView {
            issuing_state: state?,
            document_type: row.document_type,
            document_number: number?,
            status: row.status,
            issue_date: issue,
            expiry_date: expiry,
            reported_date: reported,
            reference,
        })
    }
}

/// A record the codec refused: its line, status and why.
pub(crate) type Unstored = (u64, Status, &'static str);

/// Encodes records as they arrive and keeps them sorted-ready, spilling to partition files.
/// The first [`SAMPLE_ROWS`] are buffered to learn the format-4 model, then encoded.
pub(crate) struct Builder {
    snap: PathBuf,
    n_lists: usize,
    sample: Option<Packed>,
    unstored: Vec<Unstored>,
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
    /// A builder for records of `n_lists` lists (list indexes below it).
    pub(crate) fn new(snap: &Path, n_lists: usize) -> Self {
        Builder {
            snap: snap.to_path_buf(),
            n_lists,
            sample: Some(Packed::default()),
            unstored: Vec::new(),
            dicts: Dicts::default(),
            arena: Arena::default(),
            parts: None,
            records: 0,
            scratch: Vec::new(),
            record: Vec::new(),
            spill_bytes: SPILL_BYTES,
        }
    }

    /// Adds a record of list `list_idx` from input line `line`; a record the codec cannot store
    /// is listed in [`Builder::finish`]'s answer.
    pub(crate) fn add(
        &mut self,
        r: &RecView<'_>,
        list_idx: u32,
        line: u64,
    ) -> Result<(), StoreError> {
        if let Some(s) = &mut self.sample {
            if s.rows.len() < SAMPLE_ROWS {
                s.push(r, list_idx, line);
                return Ok(());
            }
            self.end_sample()?;
        }
        if let Err(what) = self.encode_one(r, list_idx)? {
            self.unstored.push((line, r.status, what));
        }
        Ok(())
    }

    /// Learns the model from the buffered rows and encodes them.
    fn end_sample(&mut self) -> Result<(), StoreError> {
        let Some(s) = self.sample.take() else {
            return Ok(());
        };
        let model = Model::learn(
            s.rows.iter().filter_map(|row| s.view(row)),
            &mut self.dicts,
            self.n_lists,
        );
        self.dicts.model = Some(model);
        for row in &s.rows {
            let res = match s.view(row) {
                Some(r) => self.encode_one(&r, row.list)?,
                None => Err("sample row malformed"),
            };
            if let Err(what) = res {
                self.unstored.push((row.line, row.status, what));
            }
        }
        Ok(())
    }

    fn encode_one(
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
    /// Returns the record count and the records that could not be stored.
    pub(crate) fn finish(mut self) -> Result<(u64, Vec<Unstored>), StoreError> {
        self.end_sample()?;
        let unstored = std::mem::take(&mut self.unstored);
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
        Ok((n, unstored))
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
    let mut idx = Vec::with_capacity(offsets.len() * 4 + 1024);
    idx.extend_from_slice(MAGIC4);
    idx.extend_from_slice(&bucket_bits.to_le_bytes());
    idx.extend_from_slice(&filter_bits.to_le_bytes());
    idx.extend_from_slice(&n.to_le_bytes());
    idx.extend_from_slice(&payload_len.to_le_bytes());
    idx.extend_from_slice(&(dicts.states.len() as u32).to_le_bytes());
    idx.extend_from_slice(&(dicts.prefixes.len() as u32).to_le_bytes());
    for w in offsets.windows(2) {
        if let [a, b] = w {
            // Blocks over 4 GiB were refused when built.
            idx.extend_from_slice(&((b - a) as u32).to_le_bytes());
        }
    }
    for s in dicts.states.iter().chain(&dicts.prefixes) {
        idx.push(s.len() as u8);
        idx.extend_from_slice(s.as_bytes());
    }
    let Some(model) = &dicts.model else {
        return Err(StoreError::Corrupt {
            file: snap.join(INDEX),
            offset: 0,
            what: "records encoded without a format-4 model",
        });
    };
    model.write(&mut idx, dicts.states.len());
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
        let len = blocks.len() - at;
        if u32::try_from(len).is_err() {
            return Err("block larger than 4 GiB");
        }
        lens.push(len as u64);
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
        // Format 4: a number of the state's template, then ones that fit none of its templates.
        for n in ["12AB34567", "12AB3456", "123456789", "12ab34567"] {
            let mut r = rec("FRA", DocType::I, n);
            r.issue_date = d("2020-05-31");
            r.expiry_date = d("2030-05-31"); // the usual ten years
            r.reported_date = d("2025-05-31"); // another year offset
            r.reference = d(""); // empty
            r.status = Status::Invalidated;
            v.push(r);
        }
        let mut r = rec("CHN", DocType::Any, "E12345678"); // a literal position
        r.issue_date = d("1950-01-01"); // outside the snapshot's issue window
        r.expiry_date = d("1950-01-02"); // not an anniversary
        r.reported_date = d("2019-13-01"); // not a date
        v.push(r);
        let mut r = rec("CHN", DocType::P, "F12345678"); // not the literal
        r.issue_date = d("");
        r.expiry_date = d("");
        v.push(r);
        v
    }

    /// A format-4 model learned from synthetic records plus `extra`, through its index bytes.
    fn learn_model(d: &mut Dicts, extra: &[Record], n_lists: usize) {
        let sample: Vec<Record> = super::super::synth::generate(3_000, 3).collect();
        let rows = sample.iter().chain(extra).map(RecView::of);
        d.model = Some(Model::learn(rows, d, n_lists));
    }

    /// `d` as a reader sees it: dictionaries and model read back from their index bytes.
    fn reopened(d: Dicts) -> Dicts {
        let model = d.model.map(|mut m| {
            // States interned after the sample have no templates.
            m.templates.resize(d.states.len(), Vec::new());
            let mut b = Vec::new();
            m.write(&mut b, d.states.len());
            let p = PathBuf::from("index.bin");
            let mut c = Cursor {
                b: &b,
                pos: 0,
                file: &p,
            };
            let back = Model::read(&mut c, d.states.len()).unwrap();
            assert_eq!(c.pos, b.len());
            assert_eq!(back, m);
            back
        });
        Dicts {
            model,
            ..Dicts::from_lists(d.states, d.prefixes)
        }
    }

    /// Encodes `recs` as one block (CRC + count + records).
    fn encode_block(recs: &[Record], lists: &[String], d: &mut Dicts) -> Vec<u8> {
        let mut w = BitWriter::default();
        w.put_eg(recs.len() as u64);
        for r in recs {
            let idx = lists.iter().position(|l| *l == r.list).unwrap() as u32;
            encode(&RecView::of(r), idx, d, &mut w).unwrap();
        }
        let (body, _) = w.finish();
        let mut block = crc32fast::hash(&body).to_le_bytes().to_vec();
        block.extend_from_slice(&body);
        block
    }

    #[test]
    fn codec_round_trips_every_field_shape() {
        for format4 in [false, true] {
            codec_round_trips_every_field_shape_in(format4);
        }
    }

    fn codec_round_trips_every_field_shape_in(format4: bool) {
        let lists: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let mut d = Dicts::default();
        if format4 {
            learn_model(&mut d, &[], lists.len());
        }
        let recs = shapes();
        let block = encode_block(&recs, &lists, &mut d);
        let d = reopened(d);
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
        if format4 {
            // A list index beyond the model's width is refused, not wrapped.
            let mut d = Dicts::default();
            learn_model(&mut d, &[], 3);
            let view = RecView::of(&recs[0]);
            assert!(encode(&view, 4, &mut d, &mut BitWriter::default()).is_err());
            assert!(encode(&view, 3, &mut d, &mut BitWriter::default()).is_ok());
        }
    }

    #[test]
    fn learned_model_has_the_generators_formats_and_ranks() {
        let mut d = Dicts::default();
        learn_model(&mut d, &[], 1);
        let m = d.model.clone().unwrap();
        let t = |state: &str| m.templates_of(d.state_id(state).unwrap()).to_vec();
        // CHN "E99999999": a literal E, then eight digits (10^8 values: 27 bits).
        let chn = t("CHN");
        assert_eq!(chn.len(), 2);
        assert_eq!(chn[0].classes[0], b'E');
        assert!(chn[0].classes[1..].iter().all(|c| *c == CL_DIGIT));
        assert_eq!(chn[0].bits, 27);
        // Its widened twin: a letter, then eight digits.
        assert_eq!(chn[1].classes, [1, 0, 0, 0, 0, 0, 0, 0, 0]);
        // FRA "99AA99999": 26^2 * 10^7 values, 33 bits (base 36 took 47).
        let fra = t("FRA");
        assert_eq!(fra[0].classes, [0, 0, 1, 1, 0, 0, 0, 0, 0]);
        assert_eq!(fra[0].bits, 33);
        assert_eq!(fra[0].value(b"12AB34567").map(|v| v < 1 << 33), Some(true));
        assert_eq!(fra[0].value(b"1XAB34567"), None);
        // The commonest state, type and status take one bit; one list, no bits.
        assert_eq!(d.states[0], "D");
        assert_eq!(m.type_rank.by_rank[0], type_code(DocType::P) as u8);
        assert_eq!(m.status_rank.by_rank[0], Status::Lost.code());
        assert_eq!(m.list_bits, 0);
        // Expiry ten years after issue; reported 0-2 years after (0, 1 or 2 is the commonest).
        assert_eq!(m.later_usual[0], 10);
        assert!(m.later_usual[1] <= 2);
        // The issue window covers the generator's 2015-2025 in 12 bits.
        let (lo, hi) = (
            day_code("2015-01-01").unwrap(),
            day_code("2025-12-28").unwrap(),
        );
        assert_eq!(m.issue_bits, 12);
        assert!(m.issue_base <= lo && hi < m.issue_base + (1 << 12));
        // An empty sample: identity ranks, no templates, still a usable model.
        let mut d = Dicts::default();
        let m = Model::learn(std::iter::empty(), &mut d, 1);
        assert_eq!(m.type_rank.by_rank, [0, 1, 2, 3, 4, 5]);
        assert!(m.templates.is_empty());
        let r = rec("ZZZ", DocType::V, "Q1");
        d.model = Some(m);
        let block = encode_block(std::slice::from_ref(&r), &["a".to_string()], &mut d);
        let mut out = Vec::new();
        decode_block(&block, &reopened(d), &["a".into()], None, &mut out).unwrap();
        assert_eq!(out[0].1, r);
    }

    #[test]
    fn numbers_after_a_sorted_sample_fit_the_widened_template() {
        // A list sorted by number: the sample's numbers all start "00"; later ones do not.
        let mk = |i: u32| {
            let mut r = rec("UTO", DocType::P, &format!("{i:08}"));
            r.list = "a".into();
            r
        };
        let sample: Vec<Record> = (0..1000).map(mk).collect();
        let mut d = Dicts::default();
        d.model = Some(Model::learn(sample.iter().map(RecView::of), &mut d, 1));
        let ts = d.model.as_ref().unwrap().templates_of(0).to_vec();
        assert_eq!(ts[0].classes, [b'0', b'0', b'0', b'0', b'0', 0, 0, 0]);
        assert_eq!(ts[1].classes, [0; 8]);
        let late = [mk(98_765_432), mk(1)];
        // The widened twin: index 1 (3 bits) and 27 bits of value, not the escape and base 10;
        // a number of the sample's shape: index 0 (1 bit) and its three digits (10 bits).
        for (r, bits) in late.iter().zip([3 + 27, 1 + 10]) {
            let mut p = BitProfile::default();
            let mut w = BitWriter::default();
            encode_profiled(&RecView::of(r), 0, &mut d, &mut w, Some(&mut p)).unwrap();
            assert_eq!(p.bits[F_NUMBER], bits);
        }
        let block = encode_block(&late, &["a".to_string()], &mut d);
        let mut out = Vec::new();
        decode_block(&block, &reopened(d), &["a".into()], None, &mut out).unwrap();
        let got: Vec<Record> = out.into_iter().map(|(_, r)| r).collect();
        assert_eq!(got, late);
    }

    #[test]
    fn ranked_codes_round_trip_and_reject_non_permutations() {
        let r = Ranks::from_counts(&[5, 50, 0, 7, 7, 1]);
        assert_eq!(r.by_rank, [1, 3, 4, 0, 5, 2]);
        let mut w = BitWriter::default();
        for c in 0..6u8 {
            r.put(&mut w, c).unwrap();
        }
        assert!(r.put(&mut w, 6).is_err());
        let (b, bits) = w.finish();
        // Ranks 0..5 in 1, 2, 3, 4, 5 and 5 bits.
        assert_eq!(bits, 20);
        let mut rd = BitReader::new(&b);
        for c in 0..6u8 {
            assert_eq!(r.get(&mut rd), Some(c));
        }
        assert_eq!(Ranks::from_order(vec![0, 0, 1]), None);
        assert_eq!(Ranks::from_order(vec![0, 3, 1]), None);
        assert!(Ranks::from_order(vec![2, 0, 1]).is_some());
        // A model with bad ranks or templates is refused at open.
        let mut d = Dicts::default();
        learn_model(&mut d, &[], 1);
        let mut good = Vec::new();
        d.model.unwrap().write(&mut good, d.states.len());
        let p = PathBuf::from("index.bin");
        let read = |b: &[u8]| {
            let mut c = Cursor {
                b,
                pos: 0,
                file: &p,
            };
            Model::read(&mut c, d.states.len())
        };
        assert!(read(&good).is_ok());
        let mut bad = good.clone();
        bad[2] = bad[3]; // type ranks: a repeated code
        assert!(read(&bad).is_err());
        let mut bad = good.clone();
        bad[0] = 17; // list width
        assert!(read(&bad).is_err());
        for cut in 0..good.len() {
            assert!(read(&good[..cut]).is_err());
        }
    }

    fn arb_date() -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            Just(None),
            (1890u32..2110, 1u32..=12, 1u32..=31)
                .prop_map(|(y, m, d)| Some(format!("{y:04}-{m:02}-{d:02}"))),
            "[0-9-]{0,12}".prop_map(Some),
            ".{0,12}".prop_map(Some),
        ]
    }

    /// An expiry or reported date near an issue date: anniversaries or any date.
    fn arb_later(issue: Option<String>) -> impl Strategy<Value = Option<String>> {
        (0u32..40, arb_date(), any::<bool>()).prop_map(move |(k, other, anniversary)| {
            match (&issue, parse_date(issue.as_deref().unwrap_or(""))) {
                (Some(_), Some((y, m, d))) if anniversary => {
                    Some(format!("{:04}-{m:02}-{d:02}", y + k))
                }
                _ => other,
            }
        })
    }

    fn arb_number() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9]{2}[A-Z]{2}[0-9]{5}",
            "E[0-9]{8}",
            "[CFGHJKLMNPRTVWXYZ0-9]{9}",
            "[A-Z0-9]{1,35}",
            "[ -~]{1,35}",
        ]
    }

    fn arb_record() -> impl Strategy<Value = Record> {
        let states = prop_oneof![
            Just("D".to_string()),
            Just("FRA".to_string()),
            Just("CHN".to_string()),
            "[A-Z]{1,3}",
        ];
        let reference = prop_oneof![
            Just(None),
            "[A-Z-]{0,6}[0-9]{0,35}".prop_map(Some),
            ".{0,40}".prop_map(Some),
        ];
        (
            states,
            arb_number(),
            0u64..6,
            0u8..6,
            0usize..3,
            arb_date(),
            reference,
        )
            .prop_flat_map(|(st, n, t, status, list, issue, reference)| {
                (arb_later(issue.clone()), arb_later(issue.clone())).prop_map(
                    move |(expiry, reported)| Record {
                        issuing_state: st.clone(),
                        document_type: type_from(t).unwrap(),
                        document_number: n.clone(),
                        status: Status::from_code(status).unwrap(),
                        issue_date: issue.clone(),
                        expiry_date: expiry,
                        reported_date: reported,
                        list: ["a", "b", "c"][list].to_string(),
                        reference: reference.clone(),
                    },
                )
            })
    }

    use proptest::prelude::*;

    proptest! {
        /// Any record round-trips exactly under a learned model, whether or not it fits the
        /// model's templates, date window and usual year offsets, and with the model learned
        /// from part of the records too.
        #[test]
        fn format4_codec_round_trips_any_record(
            recs in prop::collection::vec(arb_record(), 1..40),
            learn_from in 0usize..40,
        ) {
            let lists: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
            let mut d = Dicts::default();
            learn_model(&mut d, &recs[..learn_from.min(recs.len())], lists.len());
            let block = encode_block(&recs, &lists, &mut d);
            let d = reopened(d);
            let mut out = Vec::new();
            decode_block(&block, &d, &lists, None, &mut out).unwrap();
            let got: Vec<Record> = out.into_iter().map(|(_, r)| r).collect();
            prop_assert_eq!(got, recs);
        }
    }

    /// Builds a snapshot directly (optionally spilling to partition files after `spill` bytes).
    fn build(dir: &Path, recs: &[Record], spill: usize) -> Snap3 {
        let mut b = Builder::new(dir, 1);
        b.spill_bytes = spill;
        for (i, r) in recs.iter().enumerate() {
            b.add(&RecView::of(r), 0, i as u64 + 1).unwrap();
        }
        let (n, unstored) = b.finish().unwrap();
        assert!(unstored.is_empty(), "{unstored:?}");
        assert_eq!(n, recs.len() as u64);
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
