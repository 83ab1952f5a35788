//! inspectd: an ICAO Doc 9303 eMRTD inspection system.
//!
//! Layers (each could become its own crate; dependencies only point downwards):
//!
//! | module | Doc 9303 concept | does I/O? |
//! | --- | --- | --- |
//! | [`tlv`] | BER-TLV (Part 10 section 4.5, ISO/IEC 7816-4) | no |
//! | [`mrz`] | Machine readable zone (Parts 3-7) | no |
//! | [`lds`] | Logical Data Structure files (Part 10), SecurityInfos (Part 11 section 9.2) | no |
//! | [`apdu`] | Command/response APDUs (ISO/IEC 7816-4) | no |
//! | [`sm`] | Secure messaging (Part 11 section 9.8) | no |
//! | [`crypto`] | PACE group arithmetic: standardized curves and MODP groups (Part 11 section 9.5.1) | no |
//! | [`chip`] | sans-IO chip protocols: BAC, PACE, reading, the read session (Part 11) | only `chip::drive` via `CardTransport` |
//! | [`testkit`] | the virtual chip and data generators | in-process only |
//! | [`grpc`] | the service; the only module that knows tonic/prost | yes |
#![forbid(unsafe_code)]

pub mod apdu;
pub mod chip;
pub mod crypto;
pub mod grpc;
pub mod inspection;
pub mod lds;
pub mod mrz;
pub mod pa;
pub mod sm;
pub mod testkit;
pub mod tlv;
pub mod transport;
pub mod trust;
pub mod watchlist;
