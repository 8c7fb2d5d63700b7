//! Emporium's contracts: the generated gRPC messages, clients and servers, and the scopes that
//! guard them.
//!
//! The `.proto` files under `proto/` are the source of truth; `build.rs` compiles them.
//! Each package `emporium.<name>.v1` is re-exported as `proto::<name>`.

pub mod scopes;

/// Every descriptor, encoded, for the gRPC reflection service.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/emporium_descriptor.bin"));

/// The generated code, in modules that mirror the proto packages.
pub mod emporium {
    macro_rules! package {
        ($($name:ident => $package:literal),* $(,)?) => {
            $(
                pub mod $name {
                    #[allow(clippy::all, unused_qualifications, missing_docs)]
                    pub mod v1 {
                        tonic::include_proto!($package);
                    }
                }
            )*
        };
    }

    package! {
        common => "emporium.common.v1",
        identity => "emporium.identity.v1",
        catalog => "emporium.catalog.v1",
        cart => "emporium.cart.v1",
        inventory => "emporium.inventory.v1",
        payments => "emporium.payments.v1",
        shipping => "emporium.shipping.v1",
        orders => "emporium.orders.v1",
        recommendations => "emporium.recommendations.v1",
        admin => "emporium.admin.v1",
        functions => "emporium.functions.v1",
        inference => "emporium.inference.v1",
    }
}

pub use emporium::admin::v1 as admin;
pub use emporium::cart::v1 as cart;
pub use emporium::catalog::v1 as catalog;
pub use emporium::common::v1 as common;
pub use emporium::functions::v1 as functions;
pub use emporium::identity::v1 as identity;
pub use emporium::inference::v1 as inference;
pub use emporium::inventory::v1 as inventory;
pub use emporium::orders::v1 as orders;
pub use emporium::payments::v1 as payments;
pub use emporium::recommendations::v1 as recommendations;
pub use emporium::shipping::v1 as shipping;
