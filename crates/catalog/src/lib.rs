//! The catalog service: products, categories, paging, hybrid search, and their administration.
//!
//! It owns the catalog database (products, and their vectors per embedding model; SQLite FTS5
//! or PostgreSQL full text for keywords) and serves the `emporium.catalog.v1.Catalog` contract.
//! Reads need the `catalog.read` scope, changes `catalog.admin`. Products are cached in memory
//! and the cache is dropped on every change. Search fuses keyword and vector rankings
//! (`search/`); its in-stock filter asks inventory with the caller's token.

pub mod domain;
mod error;
mod grpc;
mod plugin;
mod product;
mod products;
mod queries;
pub mod search;
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
    /// Hybrid search: the embedding model, the match thresholds, the shadow ranking.
    pub search: search::Config,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            database_url: "sqlite://.emporium/catalog.db".to_owned(),
            cache_capacity: 200_000,
            cache_ttl_seconds: 300,
            search: search::Config::default(),
        }
    }
}

/// Where the catalog reads stock levels for the in-stock filter: inventory, with the caller's
/// token (stock levels are public: shoppers' and the gateway's tokens carry `inventory.read`).
pub type Stock =
    proto::inventory::inventory_client::InventoryClient<platform::transport::Transport>;

/// The catalog service. Cheap to clone.
#[derive(Clone)]
pub struct Catalog {
    store: Store,
    cache: moka::future::Cache<Sku, Arc<Product>>,
    search: Arc<search::Search>,
    /// `None` for a catalog built on its own (its tests): the in-stock filter is refused.
    stock: Option<Stock>,
    /// Publishes the product changes the store writes to its outbox; `None` until
    /// `with_events` (a catalog on its own keeps them in the outbox).
    outbox: Option<platform::outbox::Outbox>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Catalog").finish_non_exhaustive()
    }
}

impl Catalog {
    /// Opens the database, applies its migrations and loads the search index from the stored
    /// vectors.
    pub async fn build(config: &Config, stock: Option<Stock>) -> anyhow::Result<Catalog> {
        let store = Store::open(&config.database_url).await?;
        let cache = moka::future::Cache::builder()
            .max_capacity(config.cache_capacity)
            .time_to_live(Duration::from_secs(config.cache_ttl_seconds))
            .build();
        let search = search::Search::open(store.clone(), config.search.clone()).await?;
        Ok(Catalog {
            store,
            cache,
            search: Arc::new(search),
            stock,
            outbox: None,
        })
    }

    /// Publishes each product's changes (`emporium.catalog.product_changed`) on `bus`, through
    /// the outbox its transactions write, once `run_background` runs.
    pub fn with_events(mut self, bus: Arc<dyn platform::bus::EventBus>) -> Catalog {
        let database = self.store.database().clone();
        self.outbox = Some(platform::outbox::Outbox::new(database, bus));
        self
    }

    /// The outbox of the product changes, once `with_events` made one.
    pub fn outbox(&self) -> Option<&platform::outbox::Outbox> {
        self.outbox.as_ref()
    }

    /// Embeds up to `limit` products that have no vector yet (a first start's seed); the
    /// background embeds the rest.
    pub async fn embed_missing(&self, limit: usize) -> anyhow::Result<usize> {
        Ok(self.search.catch_up(limit).await?)
    }

    /// With `search.index = "auto"`, builds the graph index and swaps it in when the catalog
    /// has grown to `search.hnsw_from` under an exact one (the background does this every
    /// minute); whether it did.
    pub async fn grow_search_index(&self) -> anyhow::Result<bool> {
        self.search.grow_into_graph().await
    }

    /// Keeps the search index current (other replicas' changes, products without vectors, a
    /// new model, a catalog grown past the exact index) until shut down.
    pub async fn run_background(&self, shutdown: platform::shutdown::Shutdown) {
        let relay = async {
            if let Some(outbox) = &self.outbox {
                outbox.run_relay(shutdown.clone()).await;
            }
        };
        tokio::join!(
            self.search.clone().run_until_stopped(shutdown.clone()),
            relay
        );
    }

    /// The gRPC service to mount on a server or an in-process transport.
    pub fn grpc(&self) -> proto::catalog::catalog_server::CatalogServer<CatalogGrpc> {
        CatalogGrpc::server(self.clone())
    }

    /// The gRPC service's methods, for callers in this process (`platform::transport::Direct`).
    pub fn rpc(&self) -> Arc<dyn proto::catalog::catalog_server::Catalog> {
        Arc::new(CatalogGrpc::new(self.clone()))
    }
}
