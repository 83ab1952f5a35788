//! BER-TLV encoding (DER lengths), used by the chip core, the virtual chip and generators.

/// Appends the minimal encoding of `len`.
pub fn encode_len(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let sig = bytes.get(skip..).unwrap_or(&[]);
    out.push(0x80 | sig.len() as u8);
    out.extend_from_slice(sig);
}

/// Appends the encoding of `tag` (big-endian, leading zero bytes dropped).
pub fn encode_tag(tag: u32, out: &mut Vec<u8>) {
    let bytes = tag.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(3);
    out.extend_from_slice(bytes.get(skip..).unwrap_or(&[]));
}

/// Encodes one TLV.
pub fn encode(tag: u32, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 8);
    encode_tag(tag, &mut out);
    encode_len(value.len(), &mut out);
    out.extend_from_slice(value);
    out
}

/// Builds nested TLV structures.
#[derive(Debug, Default, Clone)]
pub struct Builder {
    buf: Vec<u8>,
}

impl Builder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }
    /// Appends a primitive TLV.
    pub fn prim(mut self, tag: u32, value: &[u8]) -> Self {
        encode_tag(tag, &mut self.buf);
        encode_len(value.len(), &mut self.buf);
        self.buf.extend_from_slice(value);
        self
    }
    /// Appends a constructed TLV built by `inner`.
    pub fn cons(self, tag: u32, inner: impl FnOnce(Builder) -> Builder) -> Self {
        let v = inner(Builder::new()).finish();
        self.prim(tag, &v)
    }
    /// Appends raw bytes.
    pub fn raw(mut self, bytes: &[u8]) -> Self {
        self.buf.extend_from_slice(bytes);
        self
    }
    /// The encoded bytes.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}
