//! The cart service: one cart per user, kept in its own database and priced from the catalog.
//!
//! Serves `emporium.cart.v1.Cart`. Every call needs a user's token with the `cart` scope; the
//! cart is the token's subject's. Prices are never stored: a view asks the catalog, with the
//! user's own token, for the current ones. `Shop` is a live session over one bidirectional
//! stream: edits in, the priced cart and the stock of its products out.

mod domain;
mod error;
mod grpc;
mod lines;
mod plugin;
mod session;
mod store;

pub use crate::plugin::Plugin;

use serde::{Deserialize, Serialize};

pub use crate::error::Error;
pub use crate::grpc::CartGrpc;

/// The cart's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the cart's database is: `sqlite://...` or `postgres://...`.
    pub database_url: String,
    /// Keep carts in Redis instead (`redis://host:6379`); empty for the database.
    pub redis_url: String,
    /// What Redis keys of carts start with.
    pub redis_prefix: String,
    /// The most units of one sku a cart may hold.
    pub max_quantity_per_line: u32,
    /// The most distinct skus a cart may hold.
    pub max_lines: u32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            database_url: "sqlite://.emporium/cart.db".to_owned(),
            redis_url: String::new(),
            redis_prefix: "emporium:cart:".to_owned(),
            max_quantity_per_line: 99,
            max_lines: 50,
        }
    }
}

/// The cart service. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Cart {
    store: store::Store,
    catalog: proto::catalog::catalog_client::CatalogClient<platform::transport::Transport>,
    inventory: proto::inventory::inventory_client::InventoryClient<platform::transport::Transport>,
    limits: domain::Limits,
}

impl Cart {
    /// Opens the database, applies its migrations, and reaches the catalog through `catalog`
    /// (prices) and inventory through `inventory` (stock levels, for live sessions).
    pub async fn build(
        config: &Config,
        catalog: platform::transport::Transport,
        inventory: platform::transport::Transport,
    ) -> anyhow::Result<Cart> {
        let store = store::Store::open(config).await?;
        Ok(Cart {
            store,
            catalog: proto::catalog::catalog_client::CatalogClient::new(catalog),
            inventory: proto::inventory::inventory_client::InventoryClient::new(inventory),
            limits: domain::Limits {
                max_quantity_per_line: config.max_quantity_per_line,
                max_lines: config.max_lines,
            },
        })
    }

    /// The gRPC service to mount on a server or an in-process transport.
    pub fn grpc(&self) -> proto::cart::cart_server::CartServer<CartGrpc> {
        CartGrpc::server(self.clone())
    }
}
