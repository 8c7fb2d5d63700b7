//! The embedder's and the exact index's speed (docs/benchmarks.md, issue 13), in one run:
//! `cargo run --release -p semantic --example bench [products]` (default 100,000). Embeds the
//! seed catalog's product texts over and over to `products` texts, builds an index of them, and
//! times queries against it. Measures; asserts nothing.

use std::time::Instant;

use semantic::{Embedder as _, ExactIndex, StaticEmbedder, VectorIndex as _};

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
    let texts: Vec<String> = texts.iter().cycle().take(count).cloned().collect();
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

    let queries = [
        "sandals for the beach",
        "gift for a coffee lover",
        "warm winter coat",
        "desk lamp",
    ];
    let mut times = Vec::new();
    for round in 0..200 {
        let query = embedder.embed_one(queries[round % queries.len()]);
        let started = Instant::now();
        let hits = loaded.search(&query, 10, &|_| true);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(hits.len(), 10);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "exact top-10 over {count}: p50 {:.2} ms, p99 {:.2} ms (200 queries, one thread)",
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );
    Ok(())
}
