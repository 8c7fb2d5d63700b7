//! A vector space: one embedding model and the index of the products' vectors it made. The
//! index is in this process (semantic's `VectorIndex`: exact, or the graph for a large
//! catalog), searched on a blocking thread because a search there is processor work; or in a
//! Chroma server, searched over the network.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use semantic::{Embedder, ExactIndex, HnswIndex, HnswParams, VectorIndex};

use super::Config;
use super::chroma::{self, Chroma};
use crate::domain::search::Near;

/// How many products' neighbours are remembered, and for how long at most.
const SIMILAR_KEPT: u64 = 10_000;
const SIMILAR_TTL: Duration = Duration::from_secs(600);

/// An embedder and its index, named `name@version` like the rows they match.
pub(crate) struct Space {
    embedder: Arc<dyn Embedder>,
    index: Index,
    model: String,
    /// The neighbours of a product by how many were asked for, until this process changes its
    /// index (every product page asks, and a scan of the exact index is most of its work).
    /// Only for an index in memory: a Chroma collection changes under other replicas too.
    similar: moka::future::Cache<(String, usize), Arc<Vec<Near>>>,
    /// Changes made to the index: an answer computed across one is not remembered.
    changes: AtomicU64,
}

enum Index {
    Memory {
        index: Arc<dyn VectorIndex>,
        kind: &'static str,
    },
    Chroma(Chroma),
}

impl Space {
    /// An empty index for `embedder`, of the kind `config` asks for at `products` products.
    pub(crate) async fn open(
        embedder: Arc<dyn Embedder>,
        config: &Config,
        products: u64,
    ) -> anyhow::Result<Space> {
        let (model, dimensions) = (embedder.model().clone(), embedder.dimensions());
        let kind = match config.index.as_str() {
            "auto" if products >= config.hnsw_from => "hnsw",
            "auto" => "exact",
            other => other,
        };
        let index = match kind {
            "exact" => Index::Memory {
                index: Arc::new(ExactIndex::new(model, dimensions)),
                kind: "exact",
            },
            "hnsw" => Index::Memory {
                index: Arc::new(HnswIndex::new(model, dimensions, HnswParams::default())),
                kind: "hnsw",
            },
            "chroma" => {
                let name = chroma::collection_name(&config.chroma_collection, &model.to_string());
                Index::Chroma(Chroma::open(&config.chroma_url, &name).await?)
            }
            other => anyhow::bail!(
                "search.index: {other:?} is not an index; choose auto, exact, hnsw or chroma"
            ),
        };
        Ok(Space {
            model: embedder.model().to_string(),
            embedder,
            index,
            similar: moka::future::Cache::builder()
                .max_capacity(SIMILAR_KEPT)
                .time_to_live(SIMILAR_TTL)
                .build(),
            changes: AtomicU64::new(0),
        })
    }

    pub(crate) fn model(&self) -> &str {
        &self.model
    }

    pub(crate) fn embedder(&self) -> Arc<dyn Embedder> {
        self.embedder.clone()
    }

    pub(crate) fn kind(&self) -> &'static str {
        match &self.index {
            Index::Memory { kind, .. } => kind,
            Index::Chroma(_) => "chroma",
        }
    }

    /// Whether the index is kept by a server, which remembers it across restarts.
    pub(crate) fn chroma(&self) -> Option<&Chroma> {
        match &self.index {
            Index::Chroma(chroma) => Some(chroma),
            Index::Memory { .. } => None,
        }
    }

    /// How many vectors the index holds.
    pub(crate) async fn len(&self) -> anyhow::Result<usize> {
        match &self.index {
            Index::Memory { index, .. } => Ok(index.len()),
            Index::Chroma(chroma) => chroma.count().await,
        }
    }

    pub(crate) fn embed(&self, texts: &[String]) -> Vec<Vec<f32>> {
        self.embedder.embed(texts)
    }

    pub(crate) fn embed_one(&self, text: &str) -> Vec<f32> {
        self.embedder.embed_one(text)
    }

    /// Embeds `texts` on a blocking thread: a transformer model takes milliseconds a text.
    pub(crate) async fn embed_apart(self: &Arc<Space>, texts: Vec<String>) -> Vec<Vec<f32>> {
        let space = self.clone();
        tokio::task::spawn_blocking(move || space.embed(&texts))
            .await
            .unwrap_or_default()
    }

    /// Puts these vectors into the index: an index in memory on a blocking thread (a graph
    /// links each in about 80 µs, and may rebuild itself), Chroma by a request.
    pub(crate) async fn put(&self, rows: &[(String, Vec<f32>)]) -> anyhow::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let put = match &self.index {
            Index::Memory { index, .. } => {
                let (index, rows) = (index.clone(), rows.to_vec());
                tokio::task::spawn_blocking(move || {
                    rows.iter()
                        .try_for_each(|(sku, vector)| index.upsert(sku, vector))
                })
                .await?
            }
            Index::Chroma(chroma) => chroma.upsert(rows).await,
        };
        self.changed();
        put
    }

    /// Forgets the neighbours found before a change of the index.
    fn changed(&self) {
        self.changes.fetch_add(1, Ordering::AcqRel);
        self.similar.invalidate_all();
    }

    pub(crate) async fn remove(&self, skus: &[String]) -> anyhow::Result<()> {
        if skus.is_empty() {
            return Ok(());
        }
        match &self.index {
            Index::Memory { index, .. } => {
                let (index, skus) = (index.clone(), skus.to_vec());
                let removed = tokio::task::spawn_blocking(move || {
                    skus.iter().for_each(|sku| {
                        index.remove(sku);
                    })
                })
                .await;
                self.changed();
                Ok(removed?)
            }
            Index::Chroma(chroma) => chroma.delete(skus).await,
        }
    }

    /// The `k` products nearest to the product `sku`, without it; empty when it has no vector.
    /// Remembered until the index changes, when the index is in memory.
    pub(crate) async fn similar(self: Arc<Space>, sku: &str, k: usize) -> Vec<Near> {
        let key = (sku.to_owned(), k);
        if let Some(found) = self.similar.get(&key).await {
            return found.to_vec();
        }
        let before = self.changes.load(Ordering::Acquire);
        let Some(vector) = self.vector(sku).await else {
            return Vec::new();
        };
        let nearest = self.clone().nearest(vector, k, Some(key.0.clone())).await;
        // A change after this check clears what goes in now, so nothing stale is kept.
        if self.in_memory() && self.changes.load(Ordering::Acquire) == before {
            self.similar.insert(key, Arc::new(nearest.clone())).await;
        }
        nearest
    }

    /// Whether the index is in this process's memory (searching it is processor work).
    pub(crate) fn in_memory(&self) -> bool {
        matches!(self.index, Index::Memory { .. })
    }

    /// The `k` products nearest to `vector`, nearest first, without `except`, when the index
    /// is in this process's memory (processor work: call it on a blocking thread); `None` for
    /// a Chroma one.
    pub(crate) fn nearest_here(
        &self,
        vector: &[f32],
        k: usize,
        except: Option<&str>,
    ) -> Option<Vec<Near>> {
        let Index::Memory { index, .. } = &self.index else {
            return None;
        };
        let hits = index.search(vector, k, &|key| except != Some(key));
        Some(
            hits.into_iter()
                .map(|hit| Near {
                    sku: hit.key,
                    similarity: hit.score,
                })
                .collect(),
        )
    }

    /// The same from any index: on a blocking thread, or as a request to Chroma. A server that
    /// fails answers none (the keyword ranking still does), and says so in the log.
    pub(crate) async fn nearest(
        self: Arc<Space>,
        vector: Vec<f32>,
        k: usize,
        except: Option<String>,
    ) -> Vec<Near> {
        let Index::Chroma(chroma) = &self.index else {
            let space = self.clone();
            let scan = tokio::task::spawn_blocking(move || {
                space.nearest_here(&vector, k, except.as_deref())
            });
            return scan.await.ok().flatten().unwrap_or_default();
        };
        match chroma.query(&vector, k + 1).await {
            Ok(found) => found
                .into_iter()
                .filter(|near| except.as_deref() != Some(near.sku.as_str()))
                .take(k)
                .collect(),
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "search Chroma");
                Vec::new()
            }
        }
    }

    pub(crate) async fn vector(&self, sku: &str) -> Option<Vec<f32>> {
        match &self.index {
            Index::Memory { index, .. } => index.vector(sku),
            Index::Chroma(chroma) => chroma.vector(sku).await.unwrap_or_else(|error| {
                tracing::warn!(error = format!("{error:#}"), "read a vector from Chroma");
                None
            }),
        }
    }
}
