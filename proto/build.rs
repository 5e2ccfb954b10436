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
        // The definition's messages with maps encode as Go's client encodes them (every map
        // entry with its key and value, also empty ones): written by hand in `go_maps.rs`.
        .extern_path(".pb.Definition", "crate::pb::Definition")
        .extern_path(".pb.OpMetadata", "crate::pb::OpMetadata")
        .extern_path(".pb.Source", "crate::pb::Source")
        .compile_fds(descriptors)?;
    Ok(())
}
