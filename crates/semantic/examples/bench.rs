//! The embedder's and the indexes' speed (docs/benchmarks.md, issue 13), in one run:
//! `cargo run --release -p semantic --example bench [products [links ef_construction ef_search]]`
//! (default 100,000 and the graph's defaults). Embeds the
//! seed catalog's product texts over and over to `products` texts (each round with a colour
//! word, so they are variants rather than copies), builds an exact and a graph index of them,
//! times queries against both, and counts how much of the exact top ten the graph finds.
//! Measures; asserts nothing.

use std::time::Instant;

use semantic::{Embedder as _, ExactIndex, HnswIndex, HnswParams, StaticEmbedder, VectorIndex};

const VARIANTS: &[&str] = &[
    "Ash", "Birch", "Cobalt", "Dune", "Ember", "Fern", "Granite", "Harbor", "Indigo", "Juniper",
    "Kelp", "Linen", "Moss", "Nutmeg", "Ochre", "Pebble", "Quartz", "Rust", "Sage", "Tide",
];

fn main() -> anyhow::Result<()> {
    let count: usize = std::env::args()
        .nth(1)
        .map(|arg| arg.parse())
        .transpose()?
        .unwrap_or(100_000);
    let seed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../catalog/seed/products.jsonl"
    ))?;
    let texts: Vec<String> = seed
        .lines()
        .map(|line| -> anyhow::Result<String> {
            let product: serde_json::Value = serde_json::from_str(line)?;
            Ok(format!(
                "{}. {}",
                product["name"].as_str().unwrap_or_default(),
                product["category"].as_str().unwrap_or_default()
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    let texts: Vec<String> = (0..count)
        .map(|index| {
            let variant = VARIANTS[(index / texts.len()) % VARIANTS.len()];
            format!("{} {variant}", texts[index % texts.len()])
        })
        .collect();
    let embedder = StaticEmbedder::bundled()?;

    let started = Instant::now();
    let vectors = embedder.embed(&texts);
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "embed {count} short texts (name and category): {seconds:.2} s, {:.0} texts/s",
        count as f64 / seconds
    );

    let started = Instant::now();
    let index = ExactIndex::new(embedder.model().clone(), embedder.dimensions());
    for (position, vector) in vectors.iter().enumerate() {
        index.upsert(&format!("P-{position:07}"), vector)?;
    }
    println!(
        "build an exact index of {count}: {:.3} s",
        started.elapsed().as_secs_f64()
    );
    let bytes = index.to_bytes();
    let started = Instant::now();
    let loaded = ExactIndex::from_bytes(&bytes)?;
    println!(
        "load it again from {} MB: {:.3} s",
        bytes.len() / 1_000_000,
        started.elapsed().as_secs_f64()
    );

    let queries: Vec<Vec<f32>> = [
        "sandals for the beach",
        "gift for a coffee lover",
        "warm winter coat",
        "desk lamp",
    ]
    .iter()
    .map(|query| embedder.embed_one(query))
    .chain(vectors.iter().step_by(count / 196 + 1).cloned())
    .collect();
    let exact = time_queries("exact", &loaded, &queries, count);

    let started = Instant::now();
    let graph = HnswIndex::new(embedder.model().clone(), embedder.dimensions(), params()?);
    for (position, vector) in vectors.iter().enumerate() {
        graph.upsert(&format!("P-{position:07}"), vector)?;
    }
    println!(
        "build a graph index of {count}: {:.3} s",
        started.elapsed().as_secs_f64()
    );
    let found = time_queries("graph", &graph, &queries, count);
    let recalled: usize = exact
        .iter()
        .zip(&found)
        .map(|(exact, found)| found.iter().filter(|key| exact.contains(key)).count())
        .sum();
    println!(
        "the graph's recall@10 against the exact index: {:.3}",
        recalled as f64 / (exact.len() * 10) as f64
    );
    Ok(())
}

/// The graph's parameters: `links ef_construction ef_search` after the count, or the defaults.
fn params() -> anyhow::Result<HnswParams> {
    let given: Vec<usize> = std::env::args()
        .skip(2)
        .map(|arg| arg.parse())
        .collect::<Result<_, _>>()?;
    Ok(match given[..] {
        [links, ef_construction, ef_search] => HnswParams {
            links,
            ef_construction,
            ef_search,
        },
        _ => HnswParams::default(),
    })
}

/// Times the top ten of each query (one thread) and returns the keys found.
fn time_queries(
    name: &str,
    index: &dyn VectorIndex,
    queries: &[Vec<f32>],
    count: usize,
) -> Vec<Vec<String>> {
    let mut times = Vec::new();
    let mut answers = Vec::new();
    for query in queries {
        let started = Instant::now();
        let hits = index.search(query, 10, &|_| true);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        answers.push(hits.into_iter().map(|hit| hit.key).collect());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{name} top-10 over {count}: p50 {:.3} ms, p99 {:.3} ms ({} queries, one thread)",
        times[times.len() / 2],
        times[times.len() * 99 / 100],
        queries.len()
    );
    answers
}
