//! The BER-TLV reader.

use super::TlvError;

/// A BER tag, stored as its encoded bytes big-endian in a `u32` (e.g. `0x5F1F`, `0x7F61`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(pub u32);

impl Tag {
    /// The first (leading) byte of the tag.
    pub fn first_byte(self) -> u8 {
        let bytes = self.0.to_be_bytes();
        bytes.iter().copied().find(|b| *b != 0).unwrap_or(0)
    }
    /// True when the constructed bit (b6 of the first byte) is set.
    pub fn is_constructed(self) -> bool {
        self.first_byte() & 0x20 != 0
    }
    /// The class bits (b8 b7 of the first byte): 0 universal, 1 application, 2 context, 3 private.
    pub fn class(self) -> u8 {
        self.first_byte() >> 6
    }
}

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02X}", self.0)
    }
}

/// Caps applied while reading. Sources: a 16-level depth is far beyond any Doc 9303 structure
/// (EF.SOD is the deepest at about 10); the value cap defaults to the largest LDS file size we
/// accept (see `chip::read`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum nesting depth (the outermost reader is depth 0).
    pub max_depth: usize,
    /// Maximum declared value length.
    pub max_len: usize,
    /// Accept BER indefinite lengths (0x80) on constructed encodings.
    pub allow_indefinite: bool,
    /// Reject non-minimal length encodings (DER).
    pub strict_der: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 16,
            max_len: 16 * 1024 * 1024,
            allow_indefinite: false,
            strict_der: false,
        }
    }
}

/// One decoded TLV: borrowed value and raw encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag.
    pub tag: Tag,
    /// The value bytes (for an indefinite length, without the end-of-contents octets).
    pub value: &'a [u8],
    /// The complete encoding: tag, length and value (and end-of-contents if indefinite).
    pub raw: &'a [u8],
    /// Absolute offset of the tag in the outermost input.
    pub offset: usize,
    /// Absolute offset of the value.
    pub value_offset: usize,
    depth: usize,
    limits: Limits,
}

impl<'a> Tlv<'a> {
    /// A reader over the children of this (constructed) TLV, one nesting level deeper.
    pub fn children(&self) -> Result<Reader<'a>, TlvError> {
        let depth = self.depth.saturating_add(1);
        if depth > self.limits.max_depth {
            return Err(TlvError::TooDeep {
                offset: self.offset,
                max: self.limits.max_depth,
            });
        }
        Ok(Reader {
            data: self.value,
            pos: 0,
            base: self.value_offset,
            depth,
            limits: self.limits,
        })
    }

    /// Errors unless the tag is `expected`.
    pub fn expect_tag(&self, expected: u32) -> Result<&Self, TlvError> {
        if self.tag.0 == expected {
            Ok(self)
        } else {
            Err(TlvError::UnexpectedTag {
                offset: self.offset,
                expected,
                found: self.tag.0,
            })
        }
    }
}

/// A cursor over a sequence of TLVs.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
    depth: usize,
    limits: Limits,
}

impl<'a> Reader<'a> {
    /// A reader with default limits.
    pub fn new(data: &'a [u8]) -> Self {
        Self::with_limits(data, Limits::default())
    }

    /// A reader with explicit limits.
    pub fn with_limits(data: &'a [u8], limits: Limits) -> Self {
        Reader {
            data,
            pos: 0,
            base: 0,
            depth: 0,
            limits,
        }
    }

    /// True when every byte has been consumed.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// The unread bytes.
    pub fn remaining(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }

    /// Absolute offset of the next byte.
    pub fn offset(&self) -> usize {
        self.base.saturating_add(self.pos)
    }

    /// Reads the next TLV, or `None` at the end.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Tlv<'a>>, TlvError> {
        if self.is_empty() {
            return Ok(None);
        }
        let (tlv, consumed) = parse_one(self.remaining(), self.offset(), self.depth, self.limits)?;
        self.pos = self.pos.saturating_add(consumed);
        Ok(Some(tlv))
    }

    /// Reads the next TLV; errors at the end of input.
    pub fn read(&mut self) -> Result<Tlv<'a>, TlvError> {
        let offset = self.offset();
        self.next()?.ok_or(TlvError::Truncated { offset })
    }

    /// Reads the next TLV and requires its tag.
    pub fn expect(&mut self, tag: u32) -> Result<Tlv<'a>, TlvError> {
        let offset = self.offset();
        match self.next()? {
            Some(t) => {
                t.expect_tag(tag)?;
                Ok(t)
            }
            None => Err(TlvError::Missing {
                offset,
                expected: tag,
            }),
        }
    }

    /// Reads the next TLV only if it has `tag`.
    pub fn optional(&mut self, tag: u32) -> Result<Option<Tlv<'a>>, TlvError> {
        match self.peek_tag()? {
            Some(t) if t.0 == tag => self.next(),
            _ => Ok(None),
        }
    }

    /// The tag of the next TLV without consuming it.
    pub fn peek_tag(&self) -> Result<Option<Tag>, TlvError> {
        if self.is_empty() {
            return Ok(None);
        }
        let (tag, _) = parse_tag(self.remaining(), self.offset())?;
        Ok(Some(tag))
    }

    /// Errors if any bytes remain.
    pub fn finish(&self) -> Result<(), TlvError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(TlvError::TrailingData {
                offset: self.offset(),
                len: self.data.len().saturating_sub(self.pos),
            })
        }
    }
}

fn parse_tag(data: &[u8], offset: usize) -> Result<(Tag, usize), TlvError> {
    let first = *data.first().ok_or(TlvError::Truncated { offset })?;
    let mut tag = u32::from(first);
    let mut len = 1usize;
    if first & 0x1F == 0x1F {
        loop {
            let b = *data.get(len).ok_or(TlvError::Truncated { offset })?;
            len += 1;
            if len > 4 {
                return Err(TlvError::TagTooLong { offset });
            }
            tag = (tag << 8) | u32::from(b);
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    Ok((Tag(tag), len))
}

/// Parses a length field; `None` means indefinite.
fn parse_len(data: &[u8], offset: usize, strict: bool) -> Result<(Option<usize>, usize), TlvError> {
    let first = *data.first().ok_or(TlvError::Truncated { offset })?;
    if first < 0x80 {
        return Ok((Some(usize::from(first)), 1));
    }
    if first == 0x80 {
        return Ok((None, 1));
    }
    let n = usize::from(first & 0x7F);
    if n > 4 {
        return Err(TlvError::BadLength { offset });
    }
    let bytes = data.get(1..=n).ok_or(TlvError::Truncated { offset })?;
    let mut v: usize = 0;
    for b in bytes {
        v = (v << 8) | usize::from(*b);
    }
    if strict && (v < 0x80 || bytes.first() == Some(&0)) {
        return Err(TlvError::BadLength { offset });
    }
    Ok((Some(v), n + 1))
}

fn parse_one<'a>(
    data: &'a [u8],
    offset: usize,
    depth: usize,
    limits: Limits,
) -> Result<(Tlv<'a>, usize), TlvError> {
    // 0x00/0xFF bytes between TLVs are padding in ISO 7816-4; inside ASN.1 they are errors and
    // are reported as such by the structure parsers that call `expect`.
    let (tag, tag_len) = parse_tag(data, offset)?;
    let len_data = data.get(tag_len..).ok_or(TlvError::Truncated { offset })?;
    let (len, len_len) = parse_len(len_data, offset.saturating_add(tag_len), limits.strict_der)?;
    let header = tag_len + len_len;
    let value_offset = offset.saturating_add(header);
    let rest = data.get(header..).unwrap_or(&[]);
    match len {
        Some(len) => {
            if len > limits.max_len {
                return Err(TlvError::TooLarge {
                    offset,
                    declared: len,
                    max: limits.max_len,
                });
            }
            let value = rest.get(..len).ok_or(TlvError::LengthExceedsInput {
                offset,
                declared: len,
                available: rest.len(),
            })?;
            let total = header + len;
            let raw = data.get(..total).unwrap_or(data);
            Ok((
                Tlv {
                    tag,
                    value,
                    raw,
                    offset,
                    value_offset,
                    depth,
                    limits,
                },
                total,
            ))
        }
        None => {
            if !limits.allow_indefinite || !tag.is_constructed() {
                return Err(TlvError::IndefiniteNotAllowed { offset });
            }
            if depth >= limits.max_depth {
                return Err(TlvError::TooDeep {
                    offset,
                    max: limits.max_depth,
                });
            }
            // Walk the children (bounded by max_depth) to find the end-of-contents octets.
            let mut pos = 0usize;
            loop {
                let child = rest.get(pos..).unwrap_or(&[]);
                if child.len() < 2 {
                    return Err(TlvError::MissingEndOfContents { offset });
                }
                if child.first() == Some(&0) && child.get(1) == Some(&0) {
                    break;
                }
                let (_, used) =
                    parse_one(child, value_offset.saturating_add(pos), depth + 1, limits)?;
                pos += used;
            }
            let value = rest.get(..pos).unwrap_or(&[]);
            let total = header + pos + 2;
            let raw = data.get(..total).unwrap_or(data);
            Ok((
                Tlv {
                    tag,
                    value,
                    raw,
                    offset,
                    value_offset,
                    depth,
                    limits,
                },
                total,
            ))
        }
    }
}
