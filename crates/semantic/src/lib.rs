//! Meaning for search, behind two traits so that either half can be replaced:
//!
//! - `Embedder` turns texts into unit vectors. `StaticEmbedder` is the bundled default: a
//!   model2vec static model distilled from all-MiniLM-L6-v2 (`models/minilm-static/`, made by
//!   `scripts/make-embedding-model`), compiled into the binary, fast enough to embed a catalog
//!   at start. Every vector is stamped with the `ModelId` that made it.
//! - `VectorIndex` finds the nearest vectors to a query. `ExactIndex` is the default: every
//!   vector in one contiguous matrix, scored by dot product (perfect recall), serialised to bytes
//!   so that a restart does not embed again. `HnswIndex` is the graph for large catalogs: it
//!   reads a few thousand vectors per query instead of all of them, and misses a few matches.
//!
//! - `quality` scores rankings against graded labels (nDCG@k, recall@k, reciprocal rank) and
//!   fuses rankings (reciprocal rank fusion).
//!
//! Pure computation: no IO beyond reading a model folder when asked to.

pub mod embed;
pub mod hnsw;
pub mod index;
pub mod quality;
#[cfg(feature = "teacher")]
pub mod teacher;

pub use embed::{Embedder, ModelId, StaticEmbedder, Truncated};
pub use hnsw::{HnswIndex, HnswParams};
pub use index::{ExactIndex, Hit, VectorIndex};
