//! A vector space: one embedding model and the index of the products' vectors it made.

use std::sync::Arc;

use semantic::{Embedder, ExactIndex, VectorIndex};

use crate::domain::search::Near;

/// An embedder and its index, named `name@version` like the rows they match.
pub(crate) struct Space {
    embedder: Arc<dyn Embedder>,
    index: Arc<dyn VectorIndex>,
    model: String,
}

impl Space {
    /// An empty exact index for `embedder`.
    pub(crate) fn exact(embedder: Arc<dyn Embedder>) -> Space {
        let index = Arc::new(ExactIndex::new(
            embedder.model().clone(),
            embedder.dimensions(),
        ));
        Space {
            model: embedder.model().to_string(),
            embedder,
            index,
        }
    }

    pub(crate) fn model(&self) -> &str {
        &self.model
    }

    pub(crate) fn kind(&self) -> &'static str {
        "exact"
    }

    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    pub(crate) fn embed(&self, texts: &[String]) -> Vec<Vec<f32>> {
        self.embedder.embed(texts)
    }

    pub(crate) fn embed_one(&self, text: &str) -> Vec<f32> {
        self.embedder.embed_one(text)
    }

    pub(crate) fn put(&self, sku: &str, vector: &[f32]) {
        if let Err(error) = self.index.upsert(sku, vector) {
            // Only a vector of the wrong length fails, which a row of this model cannot have.
            tracing::error!(
                sku,
                error = format!("{error:#}"),
                "index a product's vector"
            );
        }
    }

    pub(crate) fn remove(&self, sku: &str) {
        self.index.remove(sku);
    }

    /// The `k` products nearest to `vector` that `keep` accepts, nearest first.
    pub(crate) fn nearest(
        &self,
        vector: &[f32],
        k: usize,
        keep: &dyn Fn(&str) -> bool,
    ) -> Vec<Near> {
        self.index
            .search(vector, k, keep)
            .into_iter()
            .map(|hit| Near {
                sku: hit.key,
                similarity: hit.score,
            })
            .collect()
    }

    pub(crate) fn vector(&self, sku: &str) -> Option<Vec<f32>> {
        self.index.vector(sku)
    }
}
