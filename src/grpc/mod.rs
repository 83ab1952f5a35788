//! The gRPC layer: the only module that knows tonic and prost.

/// Generated protobuf types for `inspectd.v1`.
#[allow(clippy::all, missing_docs, unused_qualifications)]
pub mod pb {
    tonic::include_proto!("inspectd.v1");
}
