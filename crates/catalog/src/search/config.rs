//! The search's settings: `[catalog.search]`.

use serde::{Deserialize, Serialize};

/// How the catalog searches.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The embedding model: `minilm-static` (bundled, 256 dimensions), `minilm-static-128`, or
    /// `all-minilm-l6-v2` (a build with `--features teacher`).
    /// Changing it re-embeds the catalog in the background; the old model answers meanwhile.
    pub model: String,
    /// Where models that are not bundled are read from, one folder each (the teacher,
    /// `all-minilm-l6-v2`, is put there by `scripts/get-teacher-model`).
    pub models_dir: String,
    /// Where the vectors are searched: `auto` (in this process: the exact index below
    /// `hnsw_from` products, the HNSW graph from there), `exact`, `hnsw`, or `chroma` (a
    /// Chroma server at `chroma_url`, shared by the catalog's replicas).
    pub index: String,
    /// The catalog size, in products, from which `auto` builds the HNSW graph.
    pub hnsw_from: u64,
    /// The Chroma server's base URL, for `index = "chroma"`.
    pub chroma_url: String,
    /// What the Chroma collections' names start with; the model's name and version follow.
    pub chroma_collection: String,
    /// A vector match is shown only when its cosine similarity to the query is at least this.
    pub min_similarity: f32,
    /// ... and at most this far below the best match's: a query that fits one product well
    /// does not drag in loosely related ones to fill the page.
    pub similarity_spread: f32,
    /// How often the index reads the vectors other replicas wrote, in milliseconds.
    pub poll_interval_ms: u64,
    /// Products embedded per step when catching up or re-embedding.
    pub embed_batch: usize,
    /// A pause between those steps, in milliseconds, so a re-embedding of a large catalog
    /// leaves the processor to the queries.
    pub embed_pause_ms: u64,
    /// Products embedded before the catalog starts serving (the seed, a first start);
    /// beyond this many, the rest is embedded in the background while search serves.
    pub embed_at_start: usize,
    /// A second ranking to run beside every query without returning it: `vector` or `keyword`
    /// (empty for none). Its agreement with the served ranking is the
    /// `catalog_search_shadow_overlap` metric.
    pub shadow: String,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            model: semantic::embed::BUNDLED_NAME.to_owned(),
            models_dir: "models".to_owned(),
            index: "auto".to_owned(),
            hnsw_from: 20_000,
            chroma_url: "http://127.0.0.1:8000".to_owned(),
            chroma_collection: "emporium-catalog".to_owned(),
            min_similarity: 0.35,
            similarity_spread: 0.2,
            poll_interval_ms: 500,
            embed_batch: 512,
            embed_pause_ms: 0,
            embed_at_start: 20_000,
            shadow: String::new(),
        }
    }
}
