//! READ BINARY of a whole EF (ISO/IEC 7816-4 §11.2.3, Doc 9303-11 §4.1 / Doc 9303-10 §3.3).
//!
//! * The file is addressed by short EF identifier (SFI in P1 of the first READ BINARY), by
//!   file identifier (SELECT first), or is the current EF.
//! * Offsets up to 32 767 use INS `B0` with the offset in P1-P2; larger offsets use the odd INS
//!   `B1` with the offset in DO'54' and the data returned in DO'53'.
//! * The block size starts at the largest Ne the path supports (see [`ReadOptions`]) and steps
//!   down on `6700`, `6Cxx`, `6B00` before the declared end, and short reads (`6282` or `9000`
//!   with fewer bytes than asked): 256 → 224 → 160 → 128 … (older chips return at most 160
//!   bytes, AndyQ/NFCPassportReader issue 24).
//! * The file length is learnt from the first BER-TLV header; a length above the caller's cap
//!   is a typed error before any further read. A BER indefinite-length file (seen on EF.SOD)
//!   is read until its end-of-contents or the chip's end-of-file.

use super::{ChipError, ChipProtocol, SecureSession, Step};
use crate::apdu::{CommandApdu, ResponseApdu};
use crate::tlv::{self, Limits, Reader, TlvError};

/// Cap for the biometric data groups DG2-DG4: 1 MiB (a facial image JPEG2000 of ~20-100 KB
/// plus headers is typical; 1 MiB leaves ample room while bounding memory per read).
pub const MAX_SIZE_BIOMETRIC: usize = 1 << 20;
/// Cap for every other EF: 64 KiB (EF.SOD with a DS certificate is usually 2-8 KiB; DG11/12
/// and DG14/15 are a few hundred bytes to a few KiB).
pub const MAX_SIZE_DEFAULT: usize = 64 * 1024;

/// Largest offset P1-P2 of INS `B0` can carry (P1 b8 = 0).
const MAX_B0_OFFSET: usize = 0x7FFF;
/// Step-down budget per file (the ladder from 65 536 to 1 has 17 rungs).
const MAX_STEP_DOWNS: u32 = 24;
const STEP: &str = "READ BINARY";

/// Le ladder for step-downs (largest first).
const LADDER: [usize; 16] = [
    32_768, 16_384, 8_192, 4_096, 2_048, 1_024, 512, 256, 224, 160, 128, 64, 32, 16, 8, 1,
];

/// Which EF to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRef {
    /// By short EF identifier (1..=30), without a SELECT.
    Sfi(u8),
    /// SELECT by file identifier first (P1 = `02`, P2 = `0C`).
    Fid(u16),
    /// The currently selected EF.
    Current,
}

/// Parameters of a [`ReadFile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Largest plain Ne the path supports (first block size).
    pub max_le: usize,
    /// Largest file accepted; a larger declared length is [`ChipError::FileTooLarge`].
    pub max_file_size: usize,
    /// Read this many bytes first to learn the length (Doc 9303-11 App. D.4 reads 4).
    pub header_probe: Option<usize>,
}

impl ReadOptions {
    /// Plain reading over a path whose responses carry at most `max_response_len` data bytes
    /// (256 for short APDUs; up to 65 536 with extended length).
    pub fn plain(max_response_len: usize) -> Self {
        ReadOptions {
            max_le: max_response_len.clamp(1, 65_536),
            max_file_size: MAX_SIZE_DEFAULT,
            header_probe: None,
        }
    }

    /// Reading under `session`: Ne is lowered so the protected response fits
    /// `max_response_len` (short APDUs: 231 with 3DES, 223 with AES).
    pub fn secured(session: &SecureSession, max_response_len: usize) -> Self {
        ReadOptions {
            max_le: session.max_plain_le(max_response_len).clamp(1, 65_536),
            ..Self::plain(max_response_len)
        }
    }

    /// Sets the file-size cap.
    #[must_use]
    pub fn with_max_file_size(mut self, max: usize) -> Self {
        self.max_file_size = max;
        self
    }

    /// Reads `n` bytes first to learn the length.
    #[must_use]
    pub fn with_header_probe(mut self, n: usize) -> Self {
        self.header_probe = Some(n.max(1));
        self
    }
}

/// Per-file counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// APDUs this protocol emitted (SELECT included).
    pub apdus: u32,
    /// Bytes of file content read.
    pub bytes: usize,
    /// The block size in use at the end.
    pub block_size: usize,
    /// How often the block size was lowered.
    pub step_downs: u32,
}

/// A file read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRead {
    /// The file bytes exactly as read (PA hashes these).
    pub bytes: Vec<u8>,
    /// Counters.
    pub stats: ReadStats,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadState {
    Start,
    ExpectSelect,
    ExpectChunk { ne: usize, odd: bool },
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Length {
    Unknown,
    Definite(usize),
    /// BER indefinite: the end is found by end-of-contents or the chip's end of file.
    Indefinite,
}

/// Reads a whole EF (see the module documentation).
#[derive(Debug, Clone)]
pub struct ReadFile {
    file: FileRef,
    opts: ReadOptions,
    state: ReadState,
    buf: Vec<u8>,
    len: Length,
    block: usize,
    selected: bool,
    stats: ReadStats,
}

impl ReadFile {
    /// Reads `file` with `opts`.
    pub fn new(file: FileRef, opts: ReadOptions) -> Self {
        let block = opts.max_le.clamp(1, 65_536);
        ReadFile {
            file,
            opts,
            state: ReadState::Start,
            buf: Vec::new(),
            len: Length::Unknown,
            block,
            selected: !matches!(file, FileRef::Sfi(_)),
            stats: ReadStats {
                block_size: block,
                ..ReadStats::default()
            },
        }
    }

    /// Bytes of the file read so far (for progress reporting).
    pub fn bytes_read(&self) -> usize {
        self.buf.len()
    }

    /// The file length from its first TLV header, once known.
    pub fn declared_len(&self) -> Option<usize> {
        match self.len {
            Length::Definite(n) => Some(n),
            _ => None,
        }
    }

    /// Reads by short EF identifier.
    pub fn by_sfi(sfi: u8, opts: ReadOptions) -> Self {
        Self::new(FileRef::Sfi(sfi), opts)
    }

    /// SELECTs by file identifier, then reads.
    pub fn by_fid(fid: u16, opts: ReadOptions) -> Self {
        Self::new(FileRef::Fid(fid), opts)
    }

    /// Reads the currently selected EF.
    pub fn current(opts: ReadOptions) -> Self {
        Self::new(FileRef::Current, opts)
    }

    fn emit(&mut self, cmd: CommandApdu, state: ReadState) -> Result<Step<FileRead>, ChipError> {
        self.stats.apdus = self.stats.apdus.saturating_add(1);
        self.state = state;
        Ok(Step::Transmit(cmd))
    }

    fn finish(&mut self) -> Result<Step<FileRead>, ChipError> {
        self.state = ReadState::Done;
        self.stats.bytes = self.buf.len();
        self.stats.block_size = self.block;
        Ok(Step::Done(FileRead {
            bytes: std::mem::take(&mut self.buf),
            stats: self.stats,
        }))
    }

    fn next_chunk(&mut self) -> Result<Step<FileRead>, ChipError> {
        let offset = self.buf.len();
        let want = match self.len {
            Length::Definite(total) if offset >= total => return self.finish(),
            Length::Definite(total) => self.block.min(total.saturating_sub(offset)),
            _ if offset == 0 => self.opts.header_probe.unwrap_or(self.block).min(self.block),
            _ => self.block,
        };
        if offset <= MAX_B0_OFFSET {
            let [hi, lo] = u16::try_from(offset).unwrap_or(0).to_be_bytes();
            let (p1, p2) = match self.file {
                FileRef::Sfi(sfi) if !self.selected => (0x80 | (sfi & 0x1F), lo),
                _ => (hi, lo),
            };
            let cmd = CommandApdu::new(0x00, 0xB0, p1, p2).with_le(want);
            self.emit(
                cmd,
                ReadState::ExpectChunk {
                    ne: want,
                    odd: false,
                },
            )
        } else {
            // DO'54' offset, minimal big-endian encoding.
            let be = offset.to_be_bytes();
            let skip = be.iter().take_while(|b| **b == 0).count();
            let do54 = tlv::encode(0x54, be.get(skip..).unwrap_or(&[]));
            let ne = self.block.min(want.saturating_add(do53_header_len(want)));
            let cmd = CommandApdu::new(0x00, 0xB1, 0x00, 0x00)
                .with_data(do54)
                .with_le(ne);
            self.emit(cmd, ReadState::ExpectChunk { ne, odd: true })
        }
    }

    fn step_down(&mut self, from: usize) -> Result<(), ChipError> {
        self.stats.step_downs = self.stats.step_downs.saturating_add(1);
        let current = from.min(self.block);
        let next = LADDER.iter().copied().find(|n| *n < current);
        match next {
            Some(n) if self.stats.step_downs <= MAX_STEP_DOWNS => {
                self.block = n;
                Ok(())
            }
            _ => Err(ChipError::TooManyRetries { step: STEP }),
        }
    }

    fn truncated(&self) -> ChipError {
        match self.len {
            Length::Definite(declared) => ChipError::FileTruncated {
                declared,
                read: self.buf.len(),
            },
            _ => ChipError::Protocol {
                step: STEP,
                detail: "end of file before a complete TLV header",
            },
        }
    }

    fn learn_length(&mut self) -> Result<(), ChipError> {
        let max = self.opts.max_file_size;
        match self.len {
            Length::Definite(_) => return Ok(()),
            // Only a buffer ending in 00 00 can end with end-of-contents.
            Length::Indefinite if !self.buf.ends_with(&[0, 0]) => return Ok(()),
            _ => {}
        }
        let limits = Limits {
            max_depth: 32,
            max_len: usize::MAX / 2,
            allow_indefinite: self.len == Length::Indefinite,
            strict_der: false,
        };
        match Reader::with_limits(&self.buf, limits).read() {
            Ok(t) => self.len = Length::Definite(t.raw.len()),
            Err(TlvError::LengthExceedsInput {
                offset: 0,
                declared,
                available,
            }) => {
                let header = self.buf.len().saturating_sub(available);
                self.len = Length::Definite(header.saturating_add(declared));
            }
            Err(TlvError::IndefiniteNotAllowed { offset: 0 }) => self.len = Length::Indefinite,
            Err(TlvError::Truncated { .. })
            | Err(TlvError::LengthExceedsInput { .. })
            | Err(TlvError::MissingEndOfContents { .. }) => {}
            Err(_) if self.len == Length::Indefinite => {}
            Err(_) => {
                return Err(ChipError::Protocol {
                    step: STEP,
                    detail: "file does not start with a BER-TLV header",
                })
            }
        }
        if let Length::Definite(total) = self.len {
            if total > max {
                return Err(ChipError::FileTooLarge {
                    declared: total,
                    max,
                });
            }
            self.buf.truncate(total);
        }
        Ok(())
    }

    fn on_chunk(
        &mut self,
        ne: usize,
        odd: bool,
        r: ResponseApdu,
    ) -> Result<Step<FileRead>, ChipError> {
        let offset = self.buf.len();
        match r.sw.0 {
            0x9000 | 0x6282 => {
                if r.data.len() > ne {
                    return Err(ChipError::Protocol {
                        step: STEP,
                        detail: "more data than Le",
                    });
                }
                let data = if odd {
                    strip_do53(&r.data)?
                } else {
                    &r.data[..]
                };
                let asked = if odd {
                    ne.saturating_sub(do53_header_len(ne))
                } else {
                    ne
                };
                let eof = r.sw.0 == 0x6282;
                if data.is_empty() {
                    return if self.len == Length::Indefinite && offset > 0 {
                        self.finish()
                    } else {
                        Err(self.truncated())
                    };
                }
                let new_len = offset.saturating_add(data.len());
                if new_len > self.opts.max_file_size {
                    return Err(ChipError::FileTooLarge {
                        declared: new_len,
                        max: self.opts.max_file_size,
                    });
                }
                self.selected = true;
                self.buf.extend_from_slice(data);
                self.learn_length()?;
                let done = matches!(self.len, Length::Definite(t) if self.buf.len() >= t);
                if done {
                    return self.finish();
                }
                if eof {
                    if self.len == Length::Indefinite {
                        return self.finish();
                    }
                    if self.len == Length::Unknown && data.len() < asked {
                        return Err(self.truncated());
                    }
                }
                if data.len() < asked && data.len() < self.block {
                    // A chip that silently caps its answers: adopt its size.
                    self.block = data.len();
                    self.stats.step_downs = self.stats.step_downs.saturating_add(1);
                    if self.stats.step_downs > MAX_STEP_DOWNS {
                        return Err(ChipError::TooManyRetries { step: STEP });
                    }
                }
                self.next_chunk()
            }
            0x6700 => {
                self.step_down(ne)?;
                self.next_chunk()
            }
            0x6B00 => {
                if self.len == Length::Indefinite && offset > 0 {
                    return self.finish();
                }
                if ne <= 1 {
                    return Err(self.truncated());
                }
                self.step_down(ne)?;
                self.next_chunk()
            }
            _ if r.sw.sw1() == 0x6C => {
                let exact = match r.sw.sw2() {
                    0 => 256,
                    n => usize::from(n),
                };
                if exact < ne {
                    self.block = exact;
                    self.stats.step_downs = self.stats.step_downs.saturating_add(1);
                    if self.stats.step_downs > MAX_STEP_DOWNS {
                        return Err(ChipError::TooManyRetries { step: STEP });
                    }
                } else {
                    self.step_down(ne)?;
                }
                self.next_chunk()
            }
            _ => Err(ChipError::from_status(STEP, r.sw)),
        }
    }
}

/// Bytes of the DO'53' header around `n` data bytes.
fn do53_header_len(n: usize) -> usize {
    let mut v = Vec::new();
    tlv::encode_len(n, &mut v);
    v.len().saturating_add(1)
}

fn strip_do53(data: &[u8]) -> Result<&[u8], ChipError> {
    let bad = ChipError::Protocol {
        step: STEP,
        detail: "odd-INS READ BINARY response is not one DO'53'",
    };
    let mut r = Reader::new(data);
    let t = r.expect(0x53).map_err(|_| bad.clone())?;
    r.finish().map_err(|_| bad)?;
    Ok(t.value)
}

impl ChipProtocol for ReadFile {
    type Output = FileRead;

    fn resume(&mut self, response: Option<ResponseApdu>) -> Result<Step<FileRead>, ChipError> {
        let state = std::mem::replace(&mut self.state, ReadState::Done);
        match (state, response) {
            (ReadState::Start, None) => match self.file {
                FileRef::Fid(fid) => self.emit(
                    CommandApdu::new(0x00, 0xA4, 0x02, 0x0C).with_data(fid.to_be_bytes().to_vec()),
                    ReadState::ExpectSelect,
                ),
                _ => self.next_chunk(),
            },
            (ReadState::ExpectSelect, Some(r)) => {
                if r.sw.is_success() {
                    self.next_chunk()
                } else {
                    Err(ChipError::from_status("SELECT EF", r.sw))
                }
            }
            (ReadState::ExpectChunk { ne, odd }, Some(r)) => self.on_chunk(ne, odd, r),
            (ReadState::Done, _) => Err(ChipError::Finished),
            _ => Err(ChipError::Protocol {
                step: STEP,
                detail: "response does not fit the protocol state",
            }),
        }
    }
}
