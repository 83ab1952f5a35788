//! A thin ASN.1 layer over [`crate::tlv`]: typed readers for INTEGER, OBJECT IDENTIFIER,
//! OCTET STRING, BIT STRING and SEQUENCE/SET iteration, with errors that name the LDS file and
//! carry the absolute byte offset (X.690 BER/DER as profiled by Doc 9303-10 §4.5 and Part 11 §9.2).

use super::{FileId, Invalid, LdsError};
use crate::tlv::{Limits, Reader, Tlv, TlvError};

/// Universal tags used by the LDS structures (X.680).
pub mod tag {
    /// BOOLEAN.
    pub const BOOLEAN: u32 = 0x01;
    /// INTEGER.
    pub const INTEGER: u32 = 0x02;
    /// BIT STRING.
    pub const BIT_STRING: u32 = 0x03;
    /// OCTET STRING.
    pub const OCTET_STRING: u32 = 0x04;
    /// NULL.
    pub const NULL: u32 = 0x05;
    /// OBJECT IDENTIFIER.
    pub const OID: u32 = 0x06;
    /// UTF8String.
    pub const UTF8_STRING: u32 = 0x0C;
    /// PrintableString.
    pub const PRINTABLE_STRING: u32 = 0x13;
    /// IA5String.
    pub const IA5_STRING: u32 = 0x16;
    /// SEQUENCE (constructed).
    pub const SEQUENCE: u32 = 0x30;
    /// SET (constructed).
    pub const SET: u32 = 0x31;
}

/// DER limits for the ASN.1 structures of Part 11 §9.2 / Part 10 §4.6.2 (definite, minimal lengths).
pub const DER: Limits = Limits {
    max_depth: 16,
    max_len: 16 * 1024 * 1024,
    allow_indefinite: false,
    strict_der: true,
};

/// BER limits for the ICAO BER-TLV data groups (Doc 9303-10 §4.5): definite lengths, not
/// necessarily minimal.
pub const BER_TLV: Limits = Limits {
    max_depth: 16,
    max_len: 16 * 1024 * 1024,
    allow_indefinite: false,
    strict_der: false,
};

/// An OBJECT IDENTIFIER, kept as its encoded content octets (X.690 §8.19).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Oid<'a>(pub &'a [u8]);

impl<'a> Oid<'a> {
    /// The content octets.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }
    /// True when this OID starts with `prefix` (whole arcs, as encoded).
    pub fn starts_with(&self, prefix: &[u8]) -> bool {
        self.0.starts_with(prefix)
    }
    /// The arcs after `prefix`, if this OID starts with it.
    pub fn arcs_after(&self, prefix: &[u8]) -> Option<Vec<u64>> {
        let rest = self.0.strip_prefix(prefix)?;
        let mut arcs = Vec::new();
        (rest.is_empty() || for_each_arc(rest, |_, a| arcs.push(a))).then_some(arcs)
    }
    /// Dotted decimal form, e.g. `0.4.0.127.0.7.2.2.4.2.2`.
    pub fn dotted(&self) -> String {
        oid_to_dotted(self.0).unwrap_or_else(|| String::from("<invalid OID>"))
    }
}

impl Oid<'_> {
    /// The dotted form in a stack buffer, for matching against known OIDs without a heap
    /// allocation; `"<invalid OID>"` for an invalid or over-long (beyond 96 characters) OID,
    /// which then matches nothing. Messages should use [`Oid::dotted`].
    pub fn dotted_small(&self) -> DottedOid {
        let mut d = DottedOid {
            buf: [0; DottedOid::CAP],
            len: 0,
        };
        if !write_dotted(self.0, &mut d) {
            d.len = 0;
        }
        d
    }
}

/// A dotted OID held on the stack (see [`Oid::dotted_small`]).
#[derive(Clone, Copy)]
pub struct DottedOid {
    buf: [u8; DottedOid::CAP],
    len: usize,
}

impl DottedOid {
    const CAP: usize = 96;
    /// The dotted text.
    pub fn as_str(&self) -> &str {
        match self.buf.get(..self.len).map(std::str::from_utf8) {
            Some(Ok(s)) if !s.is_empty() => s,
            _ => "<invalid OID>",
        }
    }
}

impl std::fmt::Write for DottedOid {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(std::fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl std::fmt::Display for Oid<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.dotted())
    }
}

/// Calls `f(index, arc)` for each base-128 arc (no first-arc split); `false` on an empty
/// encoding, a truncated, non-minimal or over-long arc.
fn for_each_arc(bytes: &[u8], mut f: impl FnMut(usize, u64)) -> bool {
    if bytes.is_empty() {
        return false;
    }
    let mut v: u64 = 0;
    let mut in_arc = false;
    let mut i = 0usize;
    for &b in bytes {
        if !in_arc && b == 0x80 {
            return false; // non-minimal arc encoding
        }
        let Some(next) = v
            .checked_mul(128)
            .and_then(|x| x.checked_add(u64::from(b & 0x7F)))
        else {
            return false;
        };
        v = next;
        in_arc = true;
        if b & 0x80 == 0 {
            f(i, v);
            i += 1;
            v = 0;
            in_arc = false;
        }
    }
    !in_arc
}

/// The dotted decimal form of OID content octets; `None` if they are not a valid encoding.
pub fn oid_to_dotted(bytes: &[u8]) -> Option<String> {
    let mut s = String::with_capacity(bytes.len().saturating_mul(3));
    write_dotted(bytes, &mut s).then_some(s)
}

/// Writes the dotted form of OID content octets to `w` (the first arc split per X.690
/// §8.19.4); false if the encoding is invalid or `w` refused a write.
fn write_dotted(bytes: &[u8], w: &mut impl std::fmt::Write) -> bool {
    let mut ok = true;
    let valid = for_each_arc(bytes, |i, arc| {
        let r = if i == 0 {
            let (a, b) = match arc {
                0..=39 => (0, arc),
                40..=79 => (1, arc - 40),
                _ => (2, arc - 80),
            };
            write!(w, "{a}.{b}")
        } else {
            write!(w, ".{arc}")
        };
        ok &= r.is_ok();
    });
    valid && ok
}

/// Is `bytes` a valid OID content encoding (what [`oid_to_dotted`] accepts), without building
/// the string.
pub fn oid_is_valid(bytes: &[u8]) -> bool {
    for_each_arc(bytes, |_, _| {})
}

/// The content octets of a dotted OID (for builders and tests); `None` if malformed.
pub fn oid_from_dotted(dotted: &str) -> Option<Vec<u8>> {
    let arcs: Vec<u64> = dotted
        .split('.')
        .map(|p| p.parse::<u64>().ok())
        .collect::<Option<_>>()?;
    let (first, second) = (*arcs.first()?, *arcs.get(1)?);
    if first > 2 || (first < 2 && second > 39) {
        return None;
    }
    let mut out = Vec::new();
    let head = first.checked_mul(40)?.checked_add(second)?;
    for arc in std::iter::once(head).chain(arcs.iter().skip(2).copied()) {
        let mut tmp = [0u8; 10];
        let mut n = 0usize;
        let mut v = arc;
        loop {
            let slot = tmp.get_mut(n)?;
            *slot = u8::try_from(v & 0x7F).ok()? | if n == 0 { 0 } else { 0x80 };
            n += 1;
            v >>= 7;
            if v == 0 {
                break;
            }
        }
        out.extend(tmp.iter().take(n).rev());
    }
    Some(out)
}

/// A BIT STRING: the unused-bit count and the bytes after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitString<'a> {
    /// Number of unused bits in the last byte (0..=7).
    pub unused_bits: u8,
    /// The bit bytes.
    pub bytes: &'a [u8],
}

/// An INTEGER's content octets (two's complement, big-endian, as encoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Integer<'a>(pub &'a [u8]);

impl<'a> Integer<'a> {
    /// The encoded content octets.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }
    /// True when the value is negative.
    pub fn is_negative(&self) -> bool {
        self.0.first().is_some_and(|b| b & 0x80 != 0)
    }
    /// The magnitude of a non-negative integer without the leading zero octet (for moduli,
    /// field primes and coordinates).
    pub fn unsigned_bytes(&self) -> &'a [u8] {
        match self.0 {
            [0, rest @ ..] if !rest.is_empty() => rest,
            b => b,
        }
    }
    /// The value as `u64` if it is non-negative and fits.
    pub fn to_u64(&self) -> Option<u64> {
        if self.is_negative() {
            return None;
        }
        let mag = self.unsigned_bytes();
        if mag.len() > 8 {
            return None;
        }
        Some(mag.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }
}

/// Shifts every offset of a `TlvError` by `base` (for readers over re-based sub-slices).
pub(crate) fn shift(e: TlvError, base: usize) -> TlvError {
    let s = |o: usize| o.saturating_add(base);
    match e {
        TlvError::Truncated { offset } => TlvError::Truncated { offset: s(offset) },
        TlvError::TagTooLong { offset } => TlvError::TagTooLong { offset: s(offset) },
        TlvError::BadLength { offset } => TlvError::BadLength { offset: s(offset) },
        TlvError::LengthExceedsInput {
            offset,
            declared,
            available,
        } => TlvError::LengthExceedsInput {
            offset: s(offset),
            declared,
            available,
        },
        TlvError::TooLarge {
            offset,
            declared,
            max,
        } => TlvError::TooLarge {
            offset: s(offset),
            declared,
            max,
        },
        TlvError::TooDeep { offset, max } => TlvError::TooDeep {
            offset: s(offset),
            max,
        },
        TlvError::IndefiniteNotAllowed { offset } => {
            TlvError::IndefiniteNotAllowed { offset: s(offset) }
        }
        TlvError::MissingEndOfContents { offset } => {
            TlvError::MissingEndOfContents { offset: s(offset) }
        }
        TlvError::UnexpectedTag {
            offset,
            expected,
            found,
        } => TlvError::UnexpectedTag {
            offset: s(offset),
            expected,
            found,
        },
        TlvError::TrailingData { offset, len } => TlvError::TrailingData {
            offset: s(offset),
            len,
        },
        TlvError::Missing { offset, expected } => TlvError::Missing {
            offset: s(offset),
            expected,
        },
    }
}

/// A cursor over TLVs that reports [`LdsError`]s naming `file`.
///
/// `base` is added to every offset so that a cursor over a re-based sub-slice (for example
/// the DER eContent inside a BER SOD) still reports offsets in the whole file.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    r: Reader<'a>,
    file: FileId,
    base: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor over `bytes` (offsets start at 0).
    pub fn new(bytes: &'a [u8], file: FileId, limits: Limits) -> Self {
        Self::at(bytes, file, limits, 0)
    }

    /// A cursor over `bytes`, which start at absolute offset `base` in the file.
    pub fn at(bytes: &'a [u8], file: FileId, limits: Limits, base: usize) -> Self {
        Cursor {
            r: Reader::with_limits(bytes, limits),
            file,
            base,
        }
    }

    /// The file errors are reported against.
    pub fn file(&self) -> FileId {
        self.file
    }

    /// Absolute offset of the next byte.
    pub fn offset(&self) -> usize {
        self.r.offset().saturating_add(self.base)
    }

    /// The absolute offset of `t`.
    pub fn abs(&self, t: &Tlv<'_>) -> usize {
        t.offset.saturating_add(self.base)
    }

    /// The absolute offset of `t`'s value.
    pub fn abs_value(&self, t: &Tlv<'_>) -> usize {
        t.value_offset.saturating_add(self.base)
    }

    /// True when nothing is left.
    pub fn is_empty(&self) -> bool {
        self.r.is_empty()
    }

    /// Wraps a TLV error with this cursor's file and base.
    pub fn err(&self, e: TlvError) -> LdsError {
        LdsError::Tlv {
            file: self.file,
            source: shift(e, self.base),
        }
    }

    /// An [`LdsError::Invalid`] at absolute offset `offset`.
    pub fn invalid(&self, offset: usize, what: Invalid) -> LdsError {
        LdsError::Invalid {
            file: self.file,
            offset,
            what,
        }
    }

    /// The next TLV, or `None` at the end.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Tlv<'a>>, LdsError> {
        self.r.next().map_err(|e| self.err(e))
    }

    /// The next TLV; errors at the end.
    pub fn read(&mut self) -> Result<Tlv<'a>, LdsError> {
        self.r.read().map_err(|e| self.err(e))
    }

    /// The next TLV, which must have `tag`.
    pub fn expect(&mut self, tag: u32) -> Result<Tlv<'a>, LdsError> {
        self.r.expect(tag).map_err(|e| self.err(e))
    }

    /// The next TLV if it has `tag`.
    pub fn optional(&mut self, tag: u32) -> Result<Option<Tlv<'a>>, LdsError> {
        self.r.optional(tag).map_err(|e| self.err(e))
    }

    /// The tag of the next TLV.
    pub fn peek_tag(&self) -> Result<Option<u32>, LdsError> {
        self.r
            .peek_tag()
            .map(|t| t.map(|t| t.0))
            .map_err(|e| self.err(e))
    }

    /// Errors if bytes remain.
    pub fn finish(&self) -> Result<(), LdsError> {
        self.r.finish().map_err(|e| self.err(e))
    }

    /// A cursor over the children of `t` (depth-checked).
    pub fn children(&self, t: &Tlv<'a>) -> Result<Cursor<'a>, LdsError> {
        let r = t.children().map_err(|e| self.err(e))?;
        Ok(Cursor {
            r,
            file: self.file,
            base: self.base,
        })
    }

    /// Reads a constructed TLV with `tag` and returns it with a cursor over its children.
    pub fn constructed(&mut self, tag: u32) -> Result<(Tlv<'a>, Cursor<'a>), LdsError> {
        let t = self.expect(tag)?;
        let c = self.children(&t)?;
        Ok((t, c))
    }

    /// Reads a SEQUENCE.
    pub fn sequence(&mut self) -> Result<(Tlv<'a>, Cursor<'a>), LdsError> {
        self.constructed(tag::SEQUENCE)
    }

    /// Reads a SET.
    pub fn set(&mut self) -> Result<(Tlv<'a>, Cursor<'a>), LdsError> {
        self.constructed(tag::SET)
    }

    /// Reads an INTEGER (non-empty content).
    pub fn integer(&mut self) -> Result<Integer<'a>, LdsError> {
        let t = self.expect(tag::INTEGER)?;
        self.integer_value(&t)
    }

    /// Interprets `t`'s value as INTEGER content octets (any tag, for implicit tagging).
    pub fn integer_value(&self, t: &Tlv<'a>) -> Result<Integer<'a>, LdsError> {
        if t.value.is_empty() {
            return Err(self.invalid(self.abs(t), Invalid::Integer));
        }
        Ok(Integer(t.value))
    }

    /// Reads an INTEGER that must be a non-negative `u64`.
    pub fn uint(&mut self) -> Result<u64, LdsError> {
        let t = self.expect(tag::INTEGER)?;
        self.uint_value(&t)
    }

    /// Interprets `t`'s value as a non-negative INTEGER fitting `u64`.
    pub fn uint_value(&self, t: &Tlv<'a>) -> Result<u64, LdsError> {
        self.integer_value(t)?
            .to_u64()
            .ok_or_else(|| self.invalid(self.abs(t), Invalid::IntegerRange))
    }

    /// Reads an OBJECT IDENTIFIER (validated encoding).
    pub fn oid(&mut self) -> Result<Oid<'a>, LdsError> {
        let t = self.expect(tag::OID)?;
        if !oid_is_valid(t.value) {
            return Err(self.invalid(self.abs(&t), Invalid::Oid));
        }
        Ok(Oid(t.value))
    }

    /// Reads an OCTET STRING (primitive).
    pub fn octet_string(&mut self) -> Result<&'a [u8], LdsError> {
        Ok(self.expect(tag::OCTET_STRING)?.value)
    }

    /// Reads a BIT STRING (primitive).
    pub fn bit_string(&mut self) -> Result<BitString<'a>, LdsError> {
        let t = self.expect(tag::BIT_STRING)?;
        self.bit_string_value(&t)
    }

    /// Interprets `t`'s value as BIT STRING content (unused-bits octet, then the bits).
    pub fn bit_string_value(&self, t: &Tlv<'a>) -> Result<BitString<'a>, LdsError> {
        let (&unused_bits, bytes) = t
            .value
            .split_first()
            .ok_or_else(|| self.invalid(self.abs(t), Invalid::BitString))?;
        if unused_bits > 7 || (bytes.is_empty() && unused_bits != 0) {
            return Err(self.invalid(self.abs(t), Invalid::BitString));
        }
        Ok(BitString { unused_bits, bytes })
    }
}

/// Caps the number of elements collected from one SET/SEQUENCE OF; the cap is per structure.
pub(crate) fn check_count(
    c: &Cursor<'_>,
    count: usize,
    max: usize,
    offset: usize,
) -> Result<(), LdsError> {
    if count >= max {
        return Err(LdsError::TooManyElements {
            file: c.file(),
            offset,
            max,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oid_round_trip() {
        for d in [
            "0.4.0.127.0.7.2.2.4.2.2",
            "2.23.136.1.1.1",
            "1.2.840.113549.1.7.2",
            "1.3.27.1.1.1",
            "2.999.3",
        ] {
            let b = oid_from_dotted(d).unwrap();
            assert_eq!(oid_to_dotted(&b).unwrap(), d);
            assert_eq!(Oid(&b).dotted_small().as_str(), d);
        }
        // Invalid, and valid but longer than the stack form holds: neither matches anything.
        assert_eq!(Oid(&[0x2A, 0x86]).dotted_small().as_str(), "<invalid OID>");
        assert_eq!(Oid(&[]).dotted_small().as_str(), "<invalid OID>");
        let long = oid_from_dotted(&format!("1.2{}", ".123456789".repeat(12))).unwrap();
        assert!(oid_to_dotted(&long).unwrap().len() > 96);
        assert_eq!(Oid(&long).dotted_small().as_str(), "<invalid OID>");
        assert_eq!(
            oid_from_dotted("0.4.0.127.0.7.2.2.4.2.2").unwrap(),
            [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02]
        );
        assert_eq!(oid_to_dotted(&[0x2A, 0x86]), None); // truncated arc
        assert_eq!(oid_to_dotted(&[0x80, 0x01]), None); // non-minimal
        assert_eq!(oid_to_dotted(&[]), None);
    }

    #[test]
    fn integers() {
        assert_eq!(Integer(&[0x00, 0x80]).to_u64(), Some(128));
        assert_eq!(Integer(&[0x80]).to_u64(), None);
        assert_eq!(Integer(&[0x00, 0xFF]).unsigned_bytes(), &[0xFF]);
        assert_eq!(Integer(&[1; 9]).to_u64(), None);
    }
}
