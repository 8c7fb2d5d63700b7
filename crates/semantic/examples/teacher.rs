//! The teacher embedder's speed (docs/benchmarks.md, issue 13):
//! `cargo run --release -p semantic --features teacher --example teacher [texts]` (default
//! 2,432, the seed catalog once) after `scripts/get-teacher-model`. Embeds the seed's product
//! texts in batches, then single queries one at a time. Measures; asserts nothing.

use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let count: usize = std::env::args()
        .nth(1)
        .map(|arg| arg.parse())
        .transpose()?
        .unwrap_or(2_432);
    let seed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../catalog/seed/products.jsonl"
    ))?;
    let texts: Vec<String> = seed
        .lines()
        .map(|line| -> anyhow::Result<String> {
            let product: serde_json::Value = serde_json::from_str(line)?;
            Ok(format!(
                "{}. {}. {}",
                product["name"].as_str().unwrap_or_default(),
                product["description"].as_str().unwrap_or_default(),
                product["category"].as_str().unwrap_or_default()
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    let texts: Vec<String> = texts.iter().cycle().take(count).cloned().collect();
    let started = Instant::now();
    let models = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models"));
    let teacher = semantic::embed::load(semantic::embed::TEACHER_NAME, models)?;
    println!("load: {:.2} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    let vectors = teacher.embed(&texts);
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "embed {} product texts (name, description, category): {seconds:.1} s, {:.0} texts/s",
        vectors.len(),
        vectors.len() as f64 / seconds
    );
    let mut times = Vec::new();
    for query in [
        "sandals for the beach",
        "gift for a coffee lover",
        "desk lamp",
    ]
    .iter()
    .cycle()
    .take(60)
    {
        let started = Instant::now();
        teacher.embed_one(query);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "embed one query: p50 {:.1} ms, p99 {:.1} ms",
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );
    Ok(())
}
