//! Vector indexes: keys (skus) with a unit vector each, and the nearest keys to a query.

use std::collections::HashMap;
use std::sync::RwLock;

use crate::embed::ModelId;

/// A key and how close its vector is to the query (the dot product: the cosine of unit vectors).
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    pub key: String,
    pub score: f32,
}

/// Finds the nearest vectors to a query.
pub trait VectorIndex: Send + Sync {
    /// The model whose vectors it holds.
    fn model(&self) -> &ModelId;
    /// Adds or replaces the vector of `key`.
    fn upsert(&self, key: &str, vector: &[f32]) -> anyhow::Result<()>;
    /// Forgets `key`; false when it was not there.
    fn remove(&self, key: &str) -> bool;
    /// The `k` nearest keys that `keep` accepts, nearest first.
    fn search(&self, query: &[f32], k: usize, keep: &dyn Fn(&str) -> bool) -> Vec<Hit>;
    /// The vector of `key`, if it has one.
    fn vector(&self, key: &str) -> Option<Vec<f32>>;
    /// How many keys it holds.
    fn len(&self) -> usize;
    /// Whether it holds none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Every vector in one contiguous matrix, each query scored against all of them: first by int8
/// copies of the vectors (a quarter of the memory to read, four times the lanes), then the best
/// few times `k` again in full precision, so the answer is the exact top `k` unless the int8
/// pass left one of them out (the test over 2,000 vectors finds all of them).
pub struct ExactIndex {
    model: ModelId,
    dimensions: usize,
    rows: RwLock<Rows>,
}

#[derive(Default)]
struct Rows {
    keys: Vec<String>,
    positions: HashMap<String, usize>,
    /// `keys.len() * dimensions` values, row by row.
    matrix: Vec<f32>,
    /// The same rows as int8 codes, and what multiplies each row's codes back into values.
    codes: Vec<i8>,
    scales: Vec<f32>,
}

/// `vector` as int8 codes and the scale that turns them back (its largest value is 127).
fn quantize(vector: &[f32]) -> (Vec<i8>, f32) {
    let largest = vector
        .iter()
        .fold(0.0f32, |largest, value| largest.max(value.abs()));
    if largest == 0.0 {
        return (vec![0; vector.len()], 0.0);
    }
    let codes = vector
        .iter()
        .map(|value| (value / largest * 127.0).round() as i8)
        .collect();
    (codes, largest / 127.0)
}

/// The int8 dot product, in sixteen i32 lanes.
fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    let mut lanes = [0i32; 16];
    let (a_chunks, b_chunks) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: i32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| i32::from(*x) * i32::from(*y))
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for lane in 0..16 {
            lanes[lane] += i32::from(x[lane]) * i32::from(y[lane]);
        }
    }
    lanes.iter().sum::<i32>() + tail
}

/// The best `limit` of `scored` (score, position) kept in order, best first.
fn keep_best(best: &mut Vec<(f32, usize)>, limit: usize, score: f32, position: usize) {
    let at = best.partition_point(|(other, _)| *other >= score);
    best.insert(at, (score, position));
    best.truncate(limit);
}

impl std::fmt::Debug for ExactIndex {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ExactIndex")
            .field("model", &self.model)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// What a serialised index starts with.
const MAGIC: &[u8; 8] = b"EMPVEC1\n";

impl ExactIndex {
    pub fn new(model: ModelId, dimensions: usize) -> ExactIndex {
        ExactIndex {
            model,
            dimensions,
            rows: RwLock::new(Rows::default()),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Rows> {
        read(&self.rows)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Rows> {
        write(&self.rows)
    }

    /// The index as bytes: a header line naming the model, then each key and its vector.
    pub fn to_bytes(&self) -> Vec<u8> {
        let rows = self.read();
        let header = serde_json::json!({
            "model": self.model,
            "dimensions": self.dimensions,
            "count": rows.keys.len(),
        });
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(header.to_string().as_bytes());
        bytes.push(b'\n');
        for (position, key) in rows.keys.iter().enumerate() {
            bytes.extend_from_slice(&(key.len() as u16).to_le_bytes());
            bytes.extend_from_slice(key.as_bytes());
            let row = &rows.matrix[position * self.dimensions..(position + 1) * self.dimensions];
            for value in row {
                bytes.extend_from_slice(&value.to_le_bytes());
            }
        }
        bytes
    }

    /// An index from `to_bytes`; an error names what is wrong with them.
    pub fn from_bytes(bytes: &[u8]) -> anyhow::Result<ExactIndex> {
        let rest = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or_else(|| anyhow::anyhow!("not a serialised vector index"))?;
        let end = rest
            .iter()
            .position(|byte| *byte == b'\n')
            .ok_or_else(|| anyhow::anyhow!("the index has no header"))?;
        let header: serde_json::Value = serde_json::from_slice(&rest[..end])?;
        let model: ModelId = serde_json::from_value(header["model"].clone())?;
        let dimensions = header["dimensions"].as_u64().unwrap_or(0) as usize;
        let count = header["count"].as_u64().unwrap_or(0) as usize;
        anyhow::ensure!(dimensions > 0, "the index names no dimensions");
        let index = ExactIndex::new(model, dimensions);
        let mut cursor = &rest[end + 1..];
        for _ in 0..count {
            let (key, vector, next) = read_row(cursor, dimensions)?;
            index.upsert(key, &vector)?;
            cursor = next;
        }
        anyhow::ensure!(cursor.is_empty(), "the index has bytes past its last row");
        Ok(index)
    }
}

/// One row of a serialised index: its key, its vector, and what follows.
fn read_row(bytes: &[u8], dimensions: usize) -> anyhow::Result<(&str, Vec<f32>, &[u8])> {
    let truncated = || anyhow::anyhow!("the index is cut short");
    let length = u16::from_le_bytes(bytes.get(..2).ok_or_else(truncated)?.try_into()?) as usize;
    let key = std::str::from_utf8(bytes.get(2..2 + length).ok_or_else(truncated)?)?;
    let start = 2 + length;
    let values = bytes
        .get(start..start + dimensions * 4)
        .ok_or_else(truncated)?;
    let vector = values
        .chunks_exact(4)
        .map(|chunk| f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
        .collect();
    Ok((key, vector, &bytes[start + dimensions * 4..]))
}

impl VectorIndex for ExactIndex {
    fn model(&self) -> &ModelId {
        &self.model
    }

    fn upsert(&self, key: &str, vector: &[f32]) -> anyhow::Result<()> {
        ensure_length(vector, self.dimensions)?;
        let (codes, scale) = quantize(vector);
        let mut rows = self.write();
        match rows.positions.get(key).copied() {
            Some(position) => {
                let start = position * self.dimensions;
                rows.matrix[start..start + self.dimensions].copy_from_slice(vector);
                rows.codes[start..start + self.dimensions].copy_from_slice(&codes);
                rows.scales[position] = scale;
            }
            None => {
                let position = rows.keys.len();
                rows.keys.push(key.to_owned());
                rows.positions.insert(key.to_owned(), position);
                rows.matrix.extend_from_slice(vector);
                rows.codes.extend_from_slice(&codes);
                rows.scales.push(scale);
            }
        }
        Ok(())
    }

    fn remove(&self, key: &str) -> bool {
        let mut rows = self.write();
        let Some(position) = rows.positions.remove(key) else {
            return false;
        };
        // The last row takes the removed one's place.
        let last = rows.keys.len() - 1;
        let dimensions = self.dimensions;
        if position != last {
            let moved = rows.keys[last].clone();
            let (from, to) = (
                last * dimensions..(last + 1) * dimensions,
                position * dimensions,
            );
            rows.matrix.copy_within(from.clone(), to);
            rows.codes.copy_within(from, to);
            rows.scales[position] = rows.scales[last];
            rows.keys[position] = moved.clone();
            rows.positions.insert(moved, position);
        }
        rows.keys.pop();
        rows.matrix.truncate(last * dimensions);
        rows.codes.truncate(last * dimensions);
        rows.scales.truncate(last);
        true
    }

    fn search(&self, query: &[f32], k: usize, keep: &dyn Fn(&str) -> bool) -> Vec<Hit> {
        if query.len() != self.dimensions || k == 0 {
            return Vec::new();
        }
        let rows = self.read();
        let (query_codes, query_scale) = quantize(query);
        let candidates = (k * 4).max(40);
        let mut rough: Vec<(f32, usize)> = Vec::with_capacity(candidates + 1);
        for (position, row) in rows.codes.chunks_exact(self.dimensions).enumerate() {
            let score = dot_i8(row, &query_codes) as f32 * rows.scales[position] * query_scale;
            if rough.len() == candidates && score <= rough[candidates - 1].0 {
                continue;
            }
            if keep(&rows.keys[position]) {
                keep_best(&mut rough, candidates, score, position);
            }
        }
        let mut best: Vec<(f32, usize)> = Vec::with_capacity(k + 1);
        for (_, position) in rough {
            let row = &rows.matrix[position * self.dimensions..(position + 1) * self.dimensions];
            keep_best(&mut best, k, dot(row, query), position);
        }
        best.into_iter()
            .map(|(score, position)| Hit {
                key: rows.keys[position].clone(),
                score,
            })
            .collect()
    }

    fn vector(&self, key: &str) -> Option<Vec<f32>> {
        let rows = self.read();
        let position = *rows.positions.get(key)?;
        Some(rows.matrix[position * self.dimensions..(position + 1) * self.dimensions].to_vec())
    }

    fn len(&self) -> usize {
        self.read().keys.len()
    }
}

/// An index's lock for reading; a panic elsewhere while it was held leaves the rows whole
/// (every write completes before it returns), so the lock is taken anyway.
pub(crate) fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An index's lock for writing, as `read`.
pub(crate) fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Refuses a vector of another length than the index's.
pub(crate) fn ensure_length(vector: &[f32], dimensions: usize) -> anyhow::Result<()> {
    anyhow::ensure!(
        vector.len() == dimensions,
        "a vector of {} values for an index of {dimensions}",
        vector.len()
    );
    Ok(())
}

/// The dot product, summed in eight lanes so that the compiler can use SIMD (a single running
/// sum is a chain it may not reorder).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (a_chunks, b_chunks) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for lane in 0..8 {
            lanes[lane] += x[lane] * y[lane];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f32::consts::FRAC_1_SQRT_2;

    fn model() -> ModelId {
        ModelId {
            name: "test".to_owned(),
            version: "1".to_owned(),
        }
    }

    fn index() -> ExactIndex {
        let index = ExactIndex::new(model(), 2);
        for (key, vector) in [
            ("east", [1.0, 0.0]),
            ("north", [0.0, 1.0]),
            ("north-east", [FRAC_1_SQRT_2, FRAC_1_SQRT_2]),
        ] {
            index.upsert(key, &vector).unwrap();
        }
        index
    }

    #[test]
    fn the_int8_pass_and_the_rerank_find_the_exact_top_ten() {
        // A deterministic cloud of 2,000 unit vectors of 64 dimensions.
        let mut state = 42u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        };
        let index = ExactIndex::new(model(), 64);
        let mut vectors = Vec::new();
        for position in 0..2000 {
            let vector = crate::embed::unit((0..64).map(|_| next()).collect());
            index.upsert(&format!("k{position}"), &vector).unwrap();
            vectors.push(vector);
        }
        for query in vectors.iter().step_by(100) {
            let mut exact: Vec<(f32, usize)> = vectors
                .iter()
                .enumerate()
                .map(|(position, vector)| (dot(vector, query), position))
                .collect();
            exact.sort_by(|a, b| b.0.total_cmp(&a.0));
            let expected: Vec<String> = exact[..10].iter().map(|(_, p)| format!("k{p}")).collect();
            let found: Vec<String> = index
                .search(query, 10, &|_| true)
                .into_iter()
                .map(|hit| hit.key)
                .collect();
            assert_eq!(found, expected);
        }
        let (codes, scale) = quantize(&[0.5, -1.0, 0.25]);
        assert_eq!(codes, [64, -127, 32]);
        assert!((scale - 1.0 / 127.0).abs() < 1e-9);
        assert_eq!(dot_i8(&[1; 20], &[2; 20]), 40);
    }

    #[test]
    fn the_dot_product_counts_every_value() {
        let a: Vec<f32> = (0..19).map(|value| value as f32).collect();
        let b = vec![2.0; 19];
        assert_eq!(dot(&a, &b), 2.0 * (0..19).sum::<i32>() as f32);
    }

    #[test]
    fn the_nearest_keys_come_first_and_filters_hold() {
        let index = index();
        let hits = index.search(&[1.0, 0.1], 2, &|_| true);
        let keys: Vec<&str> = hits.iter().map(|hit| hit.key.as_str()).collect();
        assert_eq!(keys, ["east", "north-east"]);
        let hits = index.search(&[1.0, 0.1], 2, &|key| key != "east");
        assert_eq!(hits[0].key, "north-east");
        assert!(
            index.search(&[1.0], 2, &|_| true).is_empty(),
            "a query of other dimensions"
        );
        assert!(index.upsert("bad", &[1.0]).is_err());
    }

    #[test]
    fn removing_moves_the_last_row_and_replacing_keeps_one_row() {
        let index = index();
        assert!(index.remove("east"));
        assert!(!index.remove("east"));
        assert_eq!(index.len(), 2);
        assert_eq!(
            index.vector("north-east").unwrap(),
            vec![FRAC_1_SQRT_2, FRAC_1_SQRT_2]
        );
        index.upsert("north", &[0.0, -1.0]).unwrap();
        assert_eq!(index.len(), 2);
        assert_eq!(index.search(&[0.0, -1.0], 1, &|_| true)[0].key, "north");
    }

    #[test]
    fn an_index_survives_bytes_and_refuses_broken_ones() {
        let index = index();
        let copy = ExactIndex::from_bytes(&index.to_bytes()).unwrap();
        assert_eq!(copy.model(), &model());
        assert_eq!(copy.len(), 3);
        assert_eq!(copy.vector("north").unwrap(), vec![0.0, 1.0]);
        let bytes = index.to_bytes();
        assert!(ExactIndex::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(ExactIndex::from_bytes(b"something else").is_err());
    }
}
