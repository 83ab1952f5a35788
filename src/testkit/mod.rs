//! Test and simulation kit: deterministic data generators and the virtual chip.
//!
//! Compiled into the library (not only under `cfg(test)`) because `inspectd sim` serves the
//! virtual chip to real PC/SC readers for terminal vendors and labs.

pub mod dataset;
pub mod replay;
pub mod virtual_chip;
pub mod vpcd;

pub use replay::{Replay, TranscriptError};
pub use virtual_chip::{AaChipKey, Access, ChipProfile, Fault, VirtualChip};
pub mod aa_keys;
pub mod lds_gen;
pub mod pki;
