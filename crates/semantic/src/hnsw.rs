//! A hierarchical navigable small world graph (Malkov and Yashunin, 2016, arXiv:1603.09320):
//! the index for catalogs too large to scan. Each vector is a node linked to its nearest
//! neighbours on layer 0 and, with falling probability, on sparser layers above; a query walks
//! greedily down from the top layer's entry point, then explores layer 0 with a beam of
//! `ef_search` candidates. It reads a few thousand vectors instead of all of them, and finds
//! most, not all, of the exact top `k` (the recall test below measures how many).
//!
//! Neighbours are chosen by the paper's heuristic (Algorithm 4): a candidate is linked only if
//! it is nearer to the new node than to every neighbour already chosen, so that a cluster of
//! near-duplicates (a product's variants) does not use up every link. Removing a key leaves its
//! node in the graph as a waypoint, skipped in answers; once half the nodes are such tombstones,
//! the graph is built again from the live ones.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::RwLock;

use crate::embed::ModelId;
use crate::index::{Hit, VectorIndex, dot};

/// How the graph is built and searched.
#[derive(Clone, Copy, Debug)]
pub struct HnswParams {
    /// Links per node on the upper layers; layer 0 keeps twice as many.
    pub links: usize,
    /// The beam while inserting: wider builds slower and finds better neighbours.
    pub ef_construction: usize,
    /// The beam while searching (at least `k`): wider answers slower and misses fewer.
    pub ef_search: usize,
}

impl Default for HnswParams {
    fn default() -> HnswParams {
        HnswParams {
            links: 16,
            ef_construction: 64,
            ef_search: 128,
        }
    }
}

/// The graph index: see the module's documentation.
pub struct HnswIndex {
    model: ModelId,
    dimensions: usize,
    params: HnswParams,
    graph: RwLock<Graph>,
}

#[derive(Default)]
struct Graph {
    keys: Vec<String>,
    /// The live node of each key.
    live: HashMap<String, u32>,
    removed: Vec<bool>,
    removed_count: usize,
    /// `keys.len() * dimensions` values, node by node.
    vectors: Vec<f32>,
    /// Each node's neighbours, layer by layer from 0.
    links: Vec<Vec<Vec<u32>>>,
    entry: Option<u32>,
    random: u64,
}

/// A node and its similarity to the query, ordered by similarity (ties by node).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Scored {
    similarity: f32,
    node: u32,
}

impl Eq for Scored {}

impl Ord for Scored {
    fn cmp(&self, other: &Scored) -> Ordering {
        self.similarity
            .total_cmp(&other.similarity)
            .then(self.node.cmp(&other.node))
    }
}

impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Scored) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Which nodes a walk has reached: one bit per node.
struct Visited(Vec<u64>);

impl Visited {
    fn new(nodes: usize) -> Visited {
        Visited(vec![0; nodes.div_ceil(64)])
    }

    /// Marks `node`; false when it was marked already.
    fn insert(&mut self, node: u32) -> bool {
        let (word, bit) = (node as usize / 64, 1u64 << (node % 64));
        let new = self.0[word] & bit == 0;
        self.0[word] |= bit;
        new
    }
}

impl Graph {
    fn vector(&self, node: u32, dimensions: usize) -> &[f32] {
        let start = node as usize * dimensions;
        &self.vectors[start..start + dimensions]
    }

    fn top_layer(&self) -> usize {
        self.entry
            .map_or(0, |entry| self.links[entry as usize].len() - 1)
    }

    /// A layer for a new node: 0 with probability 1 - 1/links, each layer above a factor of
    /// `links` rarer (the paper's normalisation factor 1/ln(links)).
    fn random_layer(&mut self, links: usize) -> usize {
        // xorshift64*: deterministic, so that a graph built twice from the same rows is the same.
        self.random ^= self.random >> 12;
        self.random ^= self.random << 25;
        self.random ^= self.random >> 27;
        let bits = self.random.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        let uniform = (bits as f64 + 1.0) / (1u64 << 53) as f64;
        ((-uniform.ln()) / (links as f64).ln()).floor().min(16.0) as usize
    }

    /// The `ef` nodes nearest to `query` on `layer` reached from `entries`, nearest first;
    /// only nodes that `accept` takes are answers, but every node is a waypoint.
    fn search_layer(
        &self,
        dimensions: usize,
        query: &[f32],
        entries: &[Scored],
        ef: usize,
        layer: usize,
        accept: &dyn Fn(u32) -> bool,
    ) -> Vec<Scored> {
        let mut visited = Visited::new(self.keys.len());
        let mut frontier: BinaryHeap<Scored> = BinaryHeap::new();
        let mut found: BinaryHeap<std::cmp::Reverse<Scored>> = BinaryHeap::new();
        for entry in entries {
            visited.insert(entry.node);
            frontier.push(*entry);
            if accept(entry.node) {
                found.push(std::cmp::Reverse(*entry));
            }
        }
        while let Some(nearest) = frontier.pop() {
            let worst = found.peek().map(|worst| worst.0.similarity);
            if found.len() >= ef && worst.is_some_and(|worst| nearest.similarity < worst) {
                break;
            }
            for &neighbour in &self.links[nearest.node as usize][layer] {
                if !visited.insert(neighbour) {
                    continue;
                }
                let similarity = dot(query, self.vector(neighbour, dimensions));
                let scored = Scored {
                    similarity,
                    node: neighbour,
                };
                let worst = found.peek().map(|worst| worst.0.similarity);
                if found.len() < ef || worst.is_some_and(|worst| similarity > worst) {
                    frontier.push(scored);
                    if accept(neighbour) {
                        found.push(std::cmp::Reverse(scored));
                        if found.len() > ef {
                            found.pop();
                        }
                    }
                }
            }
        }
        let mut found: Vec<Scored> = found.into_iter().map(|reverse| reverse.0).collect();
        found.sort_by(|a, b| b.cmp(a));
        found
    }

    /// The greedy walk from the entry point down to `layer + 1`: the nearest node found there.
    fn descend(&self, dimensions: usize, query: &[f32], layer: usize) -> Option<Scored> {
        let entry = self.entry?;
        let mut nearest = Scored {
            similarity: dot(query, self.vector(entry, dimensions)),
            node: entry,
        };
        for upper in (layer + 1..=self.top_layer()).rev() {
            nearest = self.search_layer(dimensions, query, &[nearest], 1, upper, &|_| true)[0];
        }
        Some(nearest)
    }

    /// Up to `limit` of `candidates` (nearest first) by the heuristic: each is kept only if it
    /// is nearer to the base than to every one kept before it; then the nearest skipped ones
    /// fill what is left.
    fn select(&self, dimensions: usize, candidates: &[Scored], limit: usize) -> Vec<u32> {
        let mut kept: Vec<u32> = Vec::with_capacity(limit);
        let mut skipped = Vec::new();
        for candidate in candidates {
            if kept.len() == limit {
                break;
            }
            let vector = self.vector(candidate.node, dimensions);
            let diverse = kept
                .iter()
                .all(|&other| dot(vector, self.vector(other, dimensions)) < candidate.similarity);
            if diverse {
                kept.push(candidate.node);
            } else {
                skipped.push(candidate.node);
            }
        }
        let room = limit - kept.len();
        kept.extend(skipped.into_iter().take(room));
        kept
    }

    /// Links `node` (its vector already stored) into the graph.
    fn insert(&mut self, dimensions: usize, params: &HnswParams, node: u32) {
        let layer = self.random_layer(params.links);
        self.links.push(vec![Vec::new(); layer + 1]);
        let query = self.vector(node, dimensions).to_vec();
        let Some(nearest) = self.descend(dimensions, &query, layer) else {
            self.entry = Some(node);
            return;
        };
        let top = self.top_layer();
        let mut entries = vec![nearest];
        for current in (0..=layer.min(top)).rev() {
            let candidates = self.search_layer(
                dimensions,
                &query,
                &entries,
                params.ef_construction,
                current,
                &|_| true,
            );
            let most = if current == 0 {
                params.links * 2
            } else {
                params.links
            };
            let chosen = self.select(dimensions, &candidates, params.links);
            for &neighbour in &chosen {
                self.link(dimensions, neighbour, node, current, most);
            }
            self.links[node as usize][current] = chosen;
            entries = candidates;
        }
        if layer > top {
            self.entry = Some(node);
        }
    }

    /// Adds `node` to the neighbours of `from` on `layer`; past half as many again as `most`,
    /// prunes them back to `most`. (Pruning at every link past `most` built 100,000 vectors in
    /// 11.4 s rather than 7.8 s, into a graph that found less: docs/benchmarks.md.)
    fn link(&mut self, dimensions: usize, from: u32, node: u32, layer: usize, most: usize) {
        self.links[from as usize][layer].push(node);
        if self.links[from as usize][layer].len() <= most + most / 2 {
            return;
        }
        let base = self.vector(from, dimensions);
        let mut candidates: Vec<Scored> = self.links[from as usize][layer]
            .iter()
            .map(|&other| Scored {
                similarity: dot(base, self.vector(other, dimensions)),
                node: other,
            })
            .collect();
        candidates.sort_by(|a, b| b.cmp(a));
        self.links[from as usize][layer] = self.select(dimensions, &candidates, most);
    }
}

impl std::fmt::Debug for HnswIndex {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("HnswIndex")
            .field("model", &self.model)
            .field("params", &self.params)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl HnswIndex {
    pub fn new(model: ModelId, dimensions: usize, params: HnswParams) -> HnswIndex {
        HnswIndex {
            model,
            dimensions,
            params,
            graph: RwLock::new(Graph {
                random: 0x9E37_79B9_7F4A_7C15,
                ..Graph::default()
            }),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Graph> {
        crate::index::read(&self.graph)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Graph> {
        crate::index::write(&self.graph)
    }

    /// Builds the graph again from its live nodes, dropping the tombstones.
    fn rebuild(&self, graph: &mut Graph) {
        let old = std::mem::take(graph);
        graph.random = old.random;
        let mut live: Vec<(&String, &u32)> = old.live.iter().collect();
        live.sort_by_key(|(_, node)| **node);
        for (key, &node) in live {
            push(
                graph,
                self.dimensions,
                &self.params,
                key,
                old.vector(node, self.dimensions),
            );
        }
    }
}

/// Stores `key`'s vector as a new node and links it in.
fn push(graph: &mut Graph, dimensions: usize, params: &HnswParams, key: &str, vector: &[f32]) {
    let node = graph.keys.len() as u32;
    graph.keys.push(key.to_owned());
    graph.removed.push(false);
    graph.vectors.extend_from_slice(vector);
    graph.live.insert(key.to_owned(), node);
    graph.insert(dimensions, params, node);
}

impl VectorIndex for HnswIndex {
    fn model(&self) -> &ModelId {
        &self.model
    }

    fn upsert(&self, key: &str, vector: &[f32]) -> anyhow::Result<()> {
        crate::index::ensure_length(vector, self.dimensions)?;
        let mut graph = self.write();
        if let Some(&node) = graph.live.get(key) {
            if graph.vector(node, self.dimensions) == vector {
                return Ok(());
            }
            // A changed vector is a new node; the old one stays as a waypoint.
            graph.removed[node as usize] = true;
            graph.removed_count += 1;
        }
        push(&mut graph, self.dimensions, &self.params, key, vector);
        if graph.removed_count * 2 > graph.keys.len() {
            self.rebuild(&mut graph);
        }
        Ok(())
    }

    fn remove(&self, key: &str) -> bool {
        let mut graph = self.write();
        let Some(node) = graph.live.remove(key) else {
            return false;
        };
        graph.removed[node as usize] = true;
        graph.removed_count += 1;
        if graph.removed_count * 2 > graph.keys.len() {
            self.rebuild(&mut graph);
        }
        true
    }

    fn search(&self, query: &[f32], k: usize, keep: &dyn Fn(&str) -> bool) -> Vec<Hit> {
        if query.len() != self.dimensions || k == 0 {
            return Vec::new();
        }
        let graph = self.read();
        let Some(entry) = graph.descend(self.dimensions, query, 0) else {
            return Vec::new();
        };
        let accept = |node: u32| !graph.removed[node as usize] && keep(&graph.keys[node as usize]);
        let ef = self.params.ef_search.max(k);
        let mut found = graph.search_layer(self.dimensions, query, &[entry], ef, 0, &accept);
        found.truncate(k);
        found
            .into_iter()
            .map(|scored| Hit {
                key: graph.keys[scored.node as usize].clone(),
                score: scored.similarity,
            })
            .collect()
    }

    fn vector(&self, key: &str) -> Option<Vec<f32>> {
        let graph = self.read();
        let node = *graph.live.get(key)?;
        Some(graph.vector(node, self.dimensions).to_vec())
    }

    fn len(&self) -> usize {
        self.read().live.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::ExactIndex;

    fn model() -> ModelId {
        ModelId {
            name: "test".to_owned(),
            version: "1".to_owned(),
        }
    }

    /// `count` unit vectors of `dimensions` in clusters of ten near-duplicates, as a catalog's
    /// variants are, from a fixed seed.
    fn cloud(count: usize, dimensions: usize) -> Vec<Vec<f32>> {
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        };
        let mut vectors = Vec::with_capacity(count);
        while vectors.len() < count {
            let centre: Vec<f32> = (0..dimensions).map(|_| next()).collect();
            for _ in 0..10 {
                let near = centre.iter().map(|value| value + next() * 0.2).collect();
                vectors.push(crate::embed::unit(near));
            }
        }
        vectors.truncate(count);
        vectors
    }

    #[test]
    fn the_graph_finds_nearly_all_of_the_exact_top_ten() {
        let vectors = cloud(5_000, 32);
        let graph = HnswIndex::new(model(), 32, HnswParams::default());
        let exact = ExactIndex::new(model(), 32);
        for (position, vector) in vectors.iter().enumerate() {
            graph.upsert(&format!("k{position}"), vector).unwrap();
            exact.upsert(&format!("k{position}"), vector).unwrap();
        }
        let (mut found, mut wanted) = (0, 0);
        for query in vectors.iter().step_by(50) {
            let expected: Vec<String> = exact
                .search(query, 10, &|_| true)
                .into_iter()
                .map(|hit| hit.key)
                .collect();
            let hits = graph.search(query, 10, &|_| true);
            assert!(hits.windows(2).all(|pair| pair[0].score >= pair[1].score));
            found += hits
                .iter()
                .filter(|hit| expected.contains(&hit.key))
                .count();
            wanted += expected.len();
        }
        let recall = found as f64 / wanted as f64;
        assert!(recall >= 0.95, "recall@10 {recall:.3}");
    }

    #[test]
    fn removed_and_replaced_keys_leave_the_answers_and_filters_hold() {
        let vectors = cloud(300, 16);
        let graph = HnswIndex::new(model(), 16, HnswParams::default());
        for (position, vector) in vectors.iter().enumerate() {
            graph.upsert(&format!("k{position}"), vector).unwrap();
        }
        assert_eq!(graph.search(&vectors[7], 1, &|_| true)[0].key, "k7");
        assert!(graph.remove("k7"));
        assert!(!graph.remove("k7"));
        assert!(
            graph
                .search(&vectors[7], 10, &|_| true)
                .iter()
                .all(|hit| hit.key != "k7")
        );
        graph.upsert("k8", &vectors[100]).unwrap();
        assert_eq!(graph.vector("k8").unwrap(), vectors[100]);
        let near_100: Vec<String> = graph
            .search(&vectors[100], 2, &|_| true)
            .into_iter()
            .map(|hit| hit.key)
            .collect();
        assert!(near_100.contains(&"k8".to_owned()) && near_100.contains(&"k100".to_owned()));
        let hits = graph.search(&vectors[100], 5, &|key| key != "k100" && key != "k8");
        assert_eq!(hits.len(), 5);
        assert_eq!(graph.len(), 299);
        // Removing most keys rebuilds the graph from the rest, which are still found.
        for position in 0..250 {
            graph.remove(&format!("k{position}"));
        }
        assert_eq!(graph.len(), 50);
        assert!(graph.read().keys.len() < 300, "the tombstones were dropped");
        assert_eq!(graph.search(&vectors[290], 1, &|_| true)[0].key, "k290");
        assert!(graph.upsert("bad", &[1.0]).is_err());
        assert!(graph.search(&[1.0], 3, &|_| true).is_empty());
    }
}
