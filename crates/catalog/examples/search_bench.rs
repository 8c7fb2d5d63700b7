//! Hybrid search's speed at scale (docs/benchmarks.md, issue 13):
//! `cargo run --release -p catalog --example search_bench [products] [modes] [index]` (default
//! 100,000, `hybrid,keyword,vector`: each mode is timed in turn, to see where the time goes, and
//! `hnsw`; `exact` or `chroma` with `SEARCH_BENCH_CHROMA_URL` for the others). The database
//! file is left behind and named; `SEARCH_BENCH_DATABASE=<its url>` times the queries on it
//! again without growing it.
//! Grows the seeded catalog to `products` through `CreateProduct` (each a variant of a seed
//! product: another colour word in its name, its own sku), then runs the labelled benchmark's
//! 97 queries over and over through the catalog's gRPC service in-process, in hybrid mode
//! with facets, and prints the latency percentiles. What it leaves out of "end to end" is the
//! gateway's HTTP hop and JSON. Measures; asserts nothing.

use std::time::{Duration, Instant};

use catalog::{Catalog, Config};
use platform::grpc::ServerLayer;
use platform::transport::request;
use proto::catalog as pb;
use proto::catalog::catalog_client::CatalogClient;
use test_support::TestIssuer;

const VARIANTS: &[&str] = &[
    "Ash", "Birch", "Cobalt", "Dune", "Ember", "Fern", "Granite", "Harbor", "Indigo", "Juniper",
    "Kelp", "Linen", "Moss", "Nutmeg", "Ochre", "Pebble", "Quartz", "Rust", "Sage", "Tide",
];
const SEARCHES: usize = 2_000;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let products: usize = std::env::args()
        .nth(1)
        .map(|arg| arg.parse())
        .transpose()?
        .unwrap_or(100_000);
    test_support::install_crypto();
    let index = std::env::args().nth(3).unwrap_or_else(|| "hnsw".to_owned());
    // A database a run before left behind, to time the queries again without growing it.
    let reused = std::env::var("SEARCH_BENCH_DATABASE").ok();
    let config = Config {
        database_url: match &reused {
            Some(url) => url.clone(),
            None => test_support::fresh_database_url("sqlite").await?,
        },
        search: catalog::search::Config {
            index: index.clone(),
            chroma_url: std::env::var("SEARCH_BENCH_CHROMA_URL").unwrap_or_default(),
            chroma_collection: format!("bench-{}", std::process::id()),
            ..Default::default()
        },
        ..Config::default()
    };
    println!("{index} index, database {}", config.database_url);
    let catalog = Catalog::build(&config, None).await?;
    catalog.seed_if_empty(|_, _| {}).await?;
    catalog.embed_missing(usize::MAX).await?;
    let issuer = TestIssuer::new();
    let transport = platform::transport::in_process(
        tonic::service::Routes::new(catalog.grpc()),
        ServerLayer::new(issuer.verifier(), &[]),
    );
    let mut client = CatalogClient::new(transport);
    let admin = issuer.service_token("bench", "catalog.read catalog.admin");
    if reused.is_none() {
        grow(&mut client, &admin, products).await?;
    }
    let reader = issuer.service_token("bench", "catalog.read");
    let queries: Vec<String> = include_str!("../benchmark/queries.jsonl")
        .lines()
        .map(|line| -> anyhow::Result<String> {
            let query: serde_json::Value = serde_json::from_str(line)?;
            Ok(query["query"].as_str().unwrap_or_default().to_owned())
        })
        .collect::<anyhow::Result<_>>()?;
    let modes = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "hybrid,keyword,vector".to_owned());
    for mode in modes.split(',') {
        let mode = match mode {
            "keyword" => pb::SearchMode::Keyword,
            "vector" => pb::SearchMode::Vector,
            _ => pb::SearchMode::Hybrid,
        };
        let mut took = Vec::with_capacity(SEARCHES);
        // One pass over the queries first, untimed: the page cache and the product cache
        // warm up, as they are in a shop that has served for a while.
        let warm_up = queries.len();
        for (round, text) in queries.iter().cycle().take(warm_up + SEARCHES).enumerate() {
            let message = pb::SearchProductsRequest {
                query: text.clone(),
                page: Some(proto::common::PageRequest {
                    page_size: 20,
                    page_token: String::new(),
                }),
                mode: mode.into(),
                ..Default::default()
            };
            let started = Instant::now();
            client.search_products(request(message, &reader)).await?;
            if round >= warm_up {
                took.push(started.elapsed());
            }
        }
        report(mode.as_str_name(), &mut took);
    }
    Ok(())
}

/// Adds products until the catalog holds `products`, timing it.
async fn grow(
    client: &mut CatalogClient<platform::transport::Transport>,
    admin: &str,
    products: usize,
) -> anyhow::Result<()> {
    let seed = catalog::seed::products()?;
    let started = Instant::now();
    for index in seed.len()..products {
        let original = &seed[index % seed.len()];
        let variant = VARIANTS[(index / seed.len()) % VARIANTS.len()];
        let message = pb::CreateProductRequest {
            sku: format!("GEN-{index:07}"),
            product: Some(pb::ProductInput {
                name: format!("{} {variant}", original.name),
                description: original.description.clone(),
                category: original.category.clone(),
                price: Some(proto::common::Money {
                    minor_units: original.price_minor + (index % 500) as i64,
                    currency: original.currency.clone(),
                }),
                image_urls: Vec::new(),
                attributes_json: serde_json::Value::Object(original.attributes.clone()).to_string(),
            }),
        };
        client.create_product(request(message, admin)).await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "grew the catalog to {products} products through CreateProduct (each embedded and indexed in its write): {seconds:.1} s, {:.0} products/s",
        (products - seed.len()) as f64 / seconds
    );
    Ok(())
}

fn report(mode: &str, took: &mut [Duration]) {
    took.sort();
    let at = |share: f64| took[((took.len() as f64 * share) as usize).min(took.len() - 1)];
    let millis = |duration: Duration| duration.as_secs_f64() * 1000.0;
    println!(
        "{} searches in {mode} (the benchmark's queries, 20 per page, facets): p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        took.len(),
        millis(at(0.50)),
        millis(at(0.90)),
        millis(at(0.99)),
        millis(took[took.len() - 1])
    );
}
