//! Compiles the `.proto` contracts in pure Rust (protox, no protoc) and generates the tonic code.

use std::path::PathBuf;

use protox::prost::Message;

const PROTOS: &[&str] = &[
    "emporium/common.proto",
    "emporium/identity.proto",
    "emporium/catalog.proto",
    "emporium/cart.proto",
    "emporium/inventory.proto",
    "emporium/payments.proto",
    "emporium/shipping.proto",
    "emporium/orders.proto",
    "emporium/recommendations.proto",
    "emporium/admin.proto",
    "emporium/functions.proto",
    "emporium/inference.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let descriptors = protox::compile(PROTOS, ["proto"])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    // Reflection serves the same descriptors the code was generated from.
    std::fs::write(
        out_dir.join("emporium_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
