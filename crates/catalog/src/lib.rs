//! The catalog service: products, categories, paging, keyword search, and their administration.
//!
//! It owns the catalog database (SQLite FTS5 or PostgreSQL full-text for search) and serves the
//! `emporium.catalog.v1.Catalog` contract. Reads need the `catalog.read` scope, changes
//! `catalog.admin`. Products are cached in memory and the cache is dropped on every change.

pub mod domain;
mod error;
mod grpc;
mod plugin;
mod products;
pub mod seed;
mod store;

pub use crate::plugin::Plugin;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::domain::{Product, Sku};
pub use crate::error::Error;
pub use crate::grpc::CatalogGrpc;
use crate::store::Store;

/// The catalog's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the catalog's database is: `sqlite://...` or `postgres://...`.
    pub database_url: String,
    /// How many products the read cache holds.
    pub cache_capacity: u64,
    /// How long a cached product may be served before it is read again, in seconds.
    pub cache_ttl_seconds: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            database_url: "sqlite://.emporium/catalog.db".to_owned(),
            cache_capacity: 50_000,
            cache_ttl_seconds: 300,
        }
    }
}

/// The catalog service. Cheap to clone.
#[derive(Clone)]
pub struct Catalog {
    store: Store,
    cache: moka::future::Cache<Sku, Arc<Product>>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Catalog").finish_non_exhaustive()
    }
}

impl Catalog {
    /// Opens the database and applies its migrations.
    pub async fn build(config: &Config) -> anyhow::Result<Catalog> {
        let store = Store::open(&config.database_url).await?;
        let cache = moka::future::Cache::builder()
            .max_capacity(config.cache_capacity)
            .time_to_live(Duration::from_secs(config.cache_ttl_seconds))
            .build();
        Ok(Catalog { store, cache })
    }

    /// The gRPC service to mount on a server or an in-process transport.
    pub fn grpc(&self) -> proto::catalog::catalog_server::CatalogServer<CatalogGrpc> {
        CatalogGrpc::server(self.clone())
    }
}
