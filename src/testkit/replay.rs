//! Replayed transcripts as a [`CardTransport`]: real chip transcripts become regression tests
//! and fuzz seeds.
//!
//! Two formats:
//! - length-prefixed responses (OpenSC fuzzing style): `u16` big-endian length, then that many
//!   response bytes (data ‖ SW1 SW2), repeated. Commands are not checked.
//! - a text transcript: lines `> 0084000008` (command) and `< 4608F919887022129000` (response);
//!   `#` starts a comment. Each command sent must equal the recorded one.

use crate::chip::{CardTransport, TransportError};

/// Errors in a transcript file.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranscriptError {
    /// A length prefix runs past the end of the file.
    #[error("record at byte {offset} declares {declared} bytes, {available} available")]
    Truncated {
        /// Offset of the record.
        offset: usize,
        /// Declared length.
        declared: usize,
        /// Bytes left.
        available: usize,
    },
    /// A text line that is not `> hex`, `< hex`, a comment or blank.
    #[error("line {line}: {detail}")]
    BadLine {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        detail: &'static str,
    },
}

#[derive(Debug, Clone)]
struct Exchange {
    command: Option<Vec<u8>>,
    response: Vec<u8>,
}

/// A transport that answers from a recorded transcript.
#[derive(Debug, Clone)]
pub struct Replay {
    exchanges: Vec<Exchange>,
    next: usize,
    max_response_len: usize,
}

impl Replay {
    /// Responses only; commands are not checked.
    pub fn from_responses(responses: Vec<Vec<u8>>) -> Self {
        Replay {
            exchanges: responses
                .into_iter()
                .map(|response| Exchange {
                    command: None,
                    response,
                })
                .collect(),
            next: 0,
            max_response_len: 256,
        }
    }

    /// Parses the length-prefixed format.
    pub fn parse_length_prefixed(bytes: &[u8]) -> Result<Self, TranscriptError> {
        let mut responses = Vec::new();
        let mut pos = 0usize;
        while pos < bytes.len() {
            let hdr = bytes.get(pos..pos + 2).ok_or(TranscriptError::Truncated {
                offset: pos,
                declared: 2,
                available: bytes.len() - pos,
            })?;
            let declared = usize::from(u16::from_be_bytes(
                <[u8; 2]>::try_from(hdr).unwrap_or_default(),
            ));
            let start = pos + 2;
            let body = bytes
                .get(start..start + declared)
                .ok_or(TranscriptError::Truncated {
                    offset: pos,
                    declared,
                    available: bytes.len() - start,
                })?;
            responses.push(body.to_vec());
            pos = start + declared;
        }
        Ok(Self::from_responses(responses))
    }

    /// Encodes responses in the length-prefixed format (for writing fuzz seeds).
    pub fn encode_length_prefixed(responses: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        for r in responses {
            let len = u16::try_from(r.len()).unwrap_or(u16::MAX);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(r.get(..usize::from(len)).unwrap_or(r));
        }
        out
    }

    /// Parses the text transcript format.
    pub fn parse_transcript(text: &str) -> Result<Self, TranscriptError> {
        let mut exchanges = Vec::new();
        let mut pending: Option<Vec<u8>> = None;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let (dir, rest) = line.split_at(1);
            let hex_str: String = rest.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = hex::decode(&hex_str).map_err(|_| TranscriptError::BadLine {
                line: i + 1,
                detail: "not hex",
            })?;
            match dir {
                ">" => {
                    if pending.is_some() {
                        return Err(TranscriptError::BadLine {
                            line: i + 1,
                            detail: "two commands without a response",
                        });
                    }
                    pending = Some(bytes);
                }
                "<" => exchanges.push(Exchange {
                    command: pending.take(),
                    response: bytes,
                }),
                _ => {
                    return Err(TranscriptError::BadLine {
                        line: i + 1,
                        detail: "line must start with '>' or '<'",
                    })
                }
            }
        }
        Ok(Replay {
            exchanges,
            next: 0,
            max_response_len: 256,
        })
    }

    /// Sets the maximum response length the replayed reader path claimed.
    pub fn with_max_response_len(mut self, len: usize) -> Self {
        self.max_response_len = len;
        self
    }

    /// Number of exchanges not yet replayed.
    pub fn remaining(&self) -> usize {
        self.exchanges.len().saturating_sub(self.next)
    }
}

impl CardTransport for Replay {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        // An exhausted transcript behaves like a card that went away.
        let ex = self
            .exchanges
            .get(self.next)
            .ok_or(TransportError::CardRemoved)?;
        if let Some(expected) = &ex.command {
            if expected.as_slice() != command {
                return Err(TransportError::Io {
                    detail: format!(
                        "replay: command {} differs from the transcript",
                        self.next + 1
                    ),
                });
            }
        }
        self.next += 1;
        Ok(ex.response.clone())
    }

    fn max_response_len(&self) -> usize {
        self.max_response_len
    }
}
