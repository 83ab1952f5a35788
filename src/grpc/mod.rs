//! The gRPC layer: the only module that knows tonic and prost.

pub mod audit;
pub mod auth;
pub mod config;
pub mod convert;
pub mod error;
pub mod metrics;
pub mod readers;
pub mod server;
pub mod service;

/// Generated protobuf types for `inspectd.v1`, with the proto3 JSON mapping (serde).
#[allow(clippy::all, missing_docs, unused_qualifications)]
pub mod pb {
    tonic::include_proto!("inspectd.v1");
    include!(concat!(env!("OUT_DIR"), "/inspectd.v1.serde.rs"));
}

/// The encoded descriptor set of `proto/` (server reflection).
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/inspectd_descriptor.bin"));
