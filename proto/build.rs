//! Compiles our `.proto` files with protox (pure Rust, no system `protoc`) and tonic.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/ops.proto",
        "proto/caps.proto",
        "proto/worker.proto",
        "proto/stat.proto",
        "proto/status.proto",
        "proto/errdefs.proto",
        "proto/gateway.proto",
    ];
    for f in &files {
        println!("cargo:rerun-if-changed={f}");
    }
    let descriptors = protox::compile(files, ["proto"])?;
    tonic_prost_build::configure()
        .build_server(false)
        // BTreeMap keeps map fields in key order, so encoding (and so digests) is deterministic.
        .btree_map(".")
        .compile_fds(descriptors)?;
    Ok(())
}
