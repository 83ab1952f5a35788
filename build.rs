//! Compiles `proto/` with a pure-Rust protobuf compiler (protox), so a fresh machine needs no
//! system `protoc`. Also writes the descriptor set (for server reflection) and the proto3 JSON
//! mapping (pbjson), so the CLI's `--json` and gRPC share one schema.
use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = [
        "proto/inspectd/v1/inspection.proto",
        "proto/inspectd/v1/service.proto",
    ];
    for p in &protos {
        println!("cargo:rerun-if-changed={p}");
    }
    let fds = protox::compile(protos, ["proto"])?;
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    let bytes = fds.encode_to_vec();
    std::fs::write(out.join("inspectd_descriptor.bin"), &bytes)?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(fds)?;
    pbjson_build::Builder::new()
        .register_descriptors(&bytes)?
        .build(&[".inspectd.v1"])?;
    Ok(())
}
