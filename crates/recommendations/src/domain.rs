//! The recommendations' pure rules: which pairs an order adds to the co-purchase graph, how
//! two hops of the graph score a product, and the limits a caller may ask for. No IO here.

use std::collections::{BTreeSet, HashMap};

pub use platform::values::Invalid;

/// How many neighbours of each product a walk of the graph follows (its heaviest edges).
pub const NEIGHBOURS_PER_HOP: usize = 20;
/// What a product two hops away counts for against one bought in the same orders.
pub const SECOND_HOP_WEIGHT: f64 = 0.25;
/// The most products one answer holds, and the number when the caller does not say.
pub const MAX_LIMIT: u32 = 50;
pub const DEFAULT_LIMIT: u32 = 8;
/// The most skus one "also bought" may start from (a large cart).
pub const MAX_SEEDS: usize = 50;

/// A number of recommendations: 1 to `MAX_LIMIT`, `DEFAULT_LIMIT` for 0.
pub fn limit(asked: u32) -> Result<usize, Invalid> {
    match asked {
        0 => Ok(DEFAULT_LIMIT as usize),
        1..=MAX_LIMIT => Ok(asked as usize),
        _ => Err(Invalid::new(
            "limit",
            format!("must be 1 to {MAX_LIMIT} (0 for {DEFAULT_LIMIT})"),
        )),
    }
}

/// The skus of an order's lines, each once and in order.
pub fn basket(skus: impl IntoIterator<Item = String>) -> Vec<String> {
    let basket: BTreeSet<String> = skus
        .into_iter()
        .map(|sku| sku.trim().to_ascii_uppercase())
        .filter(|sku| !sku.is_empty())
        .collect();
    basket.into_iter().collect()
}

/// Every ordered pair of different products of a basket: each edge in both directions, in
/// (sku, other) order, so that concurrent writers take row locks in one order. None for a
/// basket of more than `most` products: n products make n(n-1) edges, and a bulk order would
/// swamp the graph (it still counts as a sale and a purchase).
pub fn pairs(basket: &[String], most: usize) -> Vec<(String, String)> {
    if basket.len() > most {
        return Vec::new();
    }
    let mut pairs = Vec::with_capacity(basket.len() * basket.len().saturating_sub(1));
    for sku in basket {
        for other in basket {
            if sku != other {
                pairs.push((sku.clone(), other.clone()));
            }
        }
    }
    pairs.sort();
    pairs
}

/// A product's heaviest neighbours: the other product, the orders that held both, and the
/// product's total weight over all its neighbours (to turn a weight into a share).
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    pub other: String,
    pub weight: i64,
    pub total: i64,
}

/// Products scored by a weighted walk of up to two hops from `seeds`: a product bought with a
/// seed scores the orders that held both; one bought with such a neighbour scores the share of
/// the neighbour's orders the seed had, times the share of its own the product had, times
/// `SECOND_HOP_WEIGHT`, times the seed's weight again (so it stays below a direct neighbour of
/// equal weight). The seeds and `exclude` are left out; best first, ties by sku.
pub fn two_hops(
    seeds: &[String],
    graph: &HashMap<String, Vec<Edge>>,
    exclude: &BTreeSet<String>,
    limit: usize,
) -> Vec<(String, f64)> {
    let mut scores: HashMap<&str, f64> = HashMap::new();
    for seed in seeds {
        for first in graph.get(seed).into_iter().flatten() {
            *scores.entry(&first.other).or_default() += first.weight as f64;
            let reach = first.weight as f64 / first.total.max(1) as f64;
            for second in graph.get(&first.other).into_iter().flatten() {
                let share = second.weight as f64 / second.total.max(1) as f64;
                *scores.entry(&second.other).or_default() +=
                    SECOND_HOP_WEIGHT * reach * share * first.weight as f64;
            }
        }
    }
    let mut ranked: Vec<(String, f64)> = scores
        .into_iter()
        .filter(|(sku, _)| !seeds.iter().any(|seed| seed == sku) && !exclude.contains(*sku))
        .map(|(sku, score)| (sku.to_owned(), score))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(limit);
    ranked
}

/// The day (since the epoch) of a time in Unix milliseconds.
pub fn day_of(unix_millis: i64) -> i64 {
    unix_millis.div_euclid(86_400_000)
}

#[cfg(test)]
mod tests;
