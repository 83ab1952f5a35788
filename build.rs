//! Compiles `proto/` with a pure-Rust protobuf compiler (protox), so a fresh machine needs no
//! system `protoc`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = ["proto/inspectd/v1/inspection.proto"];
    for p in &protos {
        println!("cargo:rerun-if-changed={p}");
    }
    let fds = protox::compile(protos, ["proto"])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(fds)?;
    Ok(())
}
