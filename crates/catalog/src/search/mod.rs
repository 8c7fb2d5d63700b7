//! Hybrid search: the keyword ranking from the database and the vector ranking from an index
//! of the products' vectors, fused, filtered and counted. The vectors live in the catalog's
//! database (one row per model and product), and the index in memory is built from them at start
//! and kept current by the writes of this process and, for other replicas' writes, by reading
//! the rows changed since it last looked (`sync.rs`). A change of model re-embeds the catalog in
//! the background while the old model's vectors keep answering.

mod chroma;
mod config;
mod query;
mod space;
mod sync;

use std::sync::atomic::{AtomicBool, AtomicI64};
use std::sync::{Arc, RwLock};

pub use self::config::Config;
pub(crate) use self::query::{Answer, Request};
use self::space::Space;
use crate::domain::typo::Vocabulary;
use crate::error::Error;
use crate::store::Store;

/// What answers queries and keeps the vectors current. One per catalog, shared.
pub(crate) struct Search {
    store: Store,
    config: Config,
    /// The model and index that answer queries.
    serving: RwLock<Arc<Space>>,
    /// The configured model's index while it is being filled, when another model serves.
    building: RwLock<Option<Arc<Space>>>,
    vocabulary: RwLock<Vocabulary>,
    /// The latest change time of a vector row this process has applied, in milliseconds.
    watermark: AtomicI64,
    /// When the last read of changes that succeeded began, by this process's clock, in
    /// milliseconds: a row not read yet was committed after it, so is stamped at most
    /// `LONGEST_WRITE_MS` before it.
    read_at: AtomicI64,
    /// Whether every product has a vector of the target model (then the background stops
    /// looking for ones without).
    caught_up: AtomicBool,
    /// Whether the graph index is being built to replace the exact one.
    growing: AtomicBool,
}

impl std::fmt::Debug for Search {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Search")
            .field("serving", &self.serving().model())
            .finish_non_exhaustive()
    }
}

/// Where the index stands: see `SearchStatus` in the proto.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Status {
    pub serving_model: String,
    pub target_model: String,
    pub embedded: u64,
    pub products: u64,
    pub index: &'static str,
    pub indexed: u64,
}

/// Says what the search's metrics mean, once the process's recorder is installed.
fn describe_metrics() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    platform::telemetry::metrics();
    describe_gauge!(
        "catalog_search_embedded_ratio",
        "Share of the catalog's products with a vector of the model being embedded, by model"
    );
    describe_histogram!(
        "catalog_search_shadow_overlap",
        "Share of the served top ten that the shadow ranking also ranks in its top ten, by shadow"
    );
    describe_counter!(
        "catalog_search_no_good_match_total",
        "Searches answered with no products because nothing fit the query well enough"
    );
}

impl Search {
    /// The model and index answering now.
    fn serving(&self) -> Arc<Space> {
        self.serving
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn building(&self) -> Option<Arc<Space>> {
        self.building
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The space new vectors are made for: the one being built, or the serving one.
    fn target(&self) -> Arc<Space> {
        self.building().unwrap_or_else(|| self.serving())
    }

    /// Whether a shadow ranking runs beside each query.
    pub(crate) fn shadows(&self) -> bool {
        !self.config.shadow.is_empty()
    }

    pub(crate) async fn status(&self) -> Result<Status, Error> {
        let serving = self.serving();
        let target = self.target();
        let (embedded, products) = self.store.coverage(target.model()).await?;
        Ok(Status {
            serving_model: serving.model().to_owned(),
            target_model: target.model().to_owned(),
            embedded,
            products,
            index: serving.kind(),
            indexed: serving.len().await.map_err(Error::Unexpected)? as u64,
        })
    }
}
