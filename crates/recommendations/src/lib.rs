//! The recommendations service: what shoppers bought together, what sells, what is near in
//! meaning, and what suits one shopper.
//!
//! It consumes `emporium.orders.order_completed` as the durable consumer `recommendations`: each
//! confirmed order adds its pairs of products to a co-purchase graph kept as adjacency rows in
//! its own database, its products to its buyer's, and a sale per product to the day, all in
//! one transaction with the inbox row, so a redelivered event changes nothing (`graph.rs`). It
//! serves `emporium.recommendations.v1.Recommendations` (`answers.rs`): "also bought" walks two
//! hops of the graph, "for you" starts the walk from the caller's own purchases, "popular"
//! counts the last days' orders, and "similar" asks the catalog's vectors. Products are read
//! from the catalog with the caller's token.

mod answers;
pub mod domain;
mod error;
mod graph;
mod grpc;
mod plugin;
mod store;

pub use crate::error::Error;
pub use crate::grpc::RecommendationsGrpc;
pub use crate::plugin::Plugin;

use std::sync::Arc;
use std::time::Duration;

use events::Event as _;
use events::checkout::OrderCompleted;
use platform::Shutdown;
use platform::bus::{ConsumerConfig, EventBus};
use platform::transport::Transport;
use proto::catalog::catalog_client::CatalogClient;
use serde::{Deserialize, Serialize};

use crate::store::Store;

/// The recommendations service's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the recommendations database is: `sqlite://...` or `postgres://...`.
    pub database_url: String,
    /// How many times an event is tried before it is dead-lettered.
    pub max_deliver: u32,
    /// Orders with more distinct products than this add no pairs to the graph (they still
    /// count for popular and for you).
    pub max_products_per_order: usize,
    /// How far back "popular" counts orders, in days.
    pub popular_window_days: u32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            database_url: "sqlite://.emporium/recommendations.db".to_owned(),
            max_deliver: 8,
            max_products_per_order: 20,
            popular_window_days: 30,
        }
    }
}

/// The recommendations service. Cheap to clone.
#[derive(Clone)]
pub struct Recommendations {
    store: Store,
    catalog: CatalogClient<Transport>,
    bus: Arc<dyn EventBus>,
    config: Config,
}

impl std::fmt::Debug for Recommendations {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Recommendations")
            .finish_non_exhaustive()
    }
}

impl Recommendations {
    /// Opens the database.
    pub async fn build(
        config: &Config,
        catalog: Transport,
        bus: Arc<dyn EventBus>,
    ) -> anyhow::Result<Recommendations> {
        Ok(Recommendations {
            store: Store::open(&config.database_url).await?,
            catalog: CatalogClient::new(catalog),
            bus,
            config: config.clone(),
        })
    }

    /// The gRPC service to mount on a server or an in-process transport.
    pub fn grpc(
        &self,
    ) -> proto::recommendations::recommendations_server::RecommendationsServer<RecommendationsGrpc>
    {
        RecommendationsGrpc::server(self.clone())
    }

    /// Binds the durable consumer; returns the loop that applies its events until `shutdown`.
    pub async fn consume(
        &self,
        shutdown: Shutdown,
    ) -> anyhow::Result<impl Future<Output = ()> + use<>> {
        let config = ConsumerConfig {
            max_deliver: self.config.max_deliver,
            backoff: vec![
                Duration::from_millis(200),
                Duration::from_secs(1),
                Duration::from_secs(5),
            ],
            ..ConsumerConfig::new(store::CONSUMER, &[OrderCompleted::SUBJECT])
        };
        let consumer = self.bus.consumer(config).await?;
        let recommendations = self.clone();
        Ok(
            consumer.run(store::CONSUMER.to_owned(), shutdown, move |envelope| {
                let recommendations = recommendations.clone();
                async move { recommendations.handle(&envelope).await }
            }),
        )
    }
}
