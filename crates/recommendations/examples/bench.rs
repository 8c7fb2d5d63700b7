//! Recommendations' speed with a large graph (docs/benchmarks.md, issue 13):
//! `cargo run --release -p recommendations --example bench [orders]` (default 100,000).
//! Applies `orders` confirmed orders of the seed's products (two to five products each, a few
//! products much more popular than the rest, as in a shop) through the consumer's own handler,
//! then times "also bought" and "popular" through the gRPC service in-process, products read
//! from a real catalog. Measures; asserts nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use catalog_for_tests as catalog;
use events::Envelope;
use events::checkout::{Line, OrderCompleted};
use platform::grpc::ServerLayer;
use platform::transport::request;
use proto::recommendations as pb;
use proto::recommendations::recommendations_client::RecommendationsClient;
use recommendations::{Config, Recommendations};
use test_support::TestIssuer;

const CALLS: usize = 2_000;

/// A small deterministic generator (xorshift), so that runs compare.
struct Dice(u64);

impl Dice {
    fn next(&mut self, below: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % below as u64) as usize
    }

    /// A product index skewed towards the first ones (the square of a uniform draw).
    fn skewed(&mut self, below: usize) -> usize {
        let uniform = self.next(1_000_000) as f64 / 1_000_000.0;
        ((uniform * uniform) * below as f64) as usize
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let orders: usize = std::env::args()
        .nth(1)
        .map(|arg| arg.parse())
        .transpose()?
        .unwrap_or(100_000);
    test_support::install_crypto();
    let issuer = TestIssuer::new();
    let layer = ServerLayer::new(issuer.verifier(), &[]);
    let catalog = catalog::Catalog::build(
        &catalog::Config {
            database_url: test_support::fresh_database_url("sqlite").await?,
            ..Default::default()
        },
        None,
    )
    .await?;
    catalog.seed_if_empty(|_, _| {}).await?;
    let skus: Vec<String> = catalog::seed::products()?
        .into_iter()
        .map(|product| product.sku)
        .collect();
    let catalog =
        platform::transport::in_process(tonic::service::Routes::new(catalog.grpc()), layer.clone());
    let config = Config {
        database_url: test_support::fresh_database_url("sqlite").await?,
        ..Config::default()
    };
    let bus: Arc<dyn platform::bus::EventBus> = Arc::new(platform::bus::InProcessBus::new());
    let recommendations = Recommendations::build(&config, catalog, bus).await?;
    let mut dice = Dice(0x9E37_79B9_7F4A_7C15);
    let started = Instant::now();
    for index in 0..orders {
        let size = 2 + dice.next(4);
        let lines = (0..size)
            .map(|_| Line {
                sku: skus[dice.skewed(skus.len())].clone(),
                quantity: 1,
            })
            .collect();
        let event = OrderCompleted {
            order_id: format!("order-{index}"),
            user_id: format!("user-{}", dice.next(orders / 4 + 1)),
            confirmed: true,
            failure_reason: String::new(),
            lines,
        };
        recommendations
            .handle(&Envelope::new(format!("event-{index}"), &event, 0))
            .await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "applied {orders} orders to the graph: {seconds:.1} s, {:.0} orders/s",
        orders as f64 / seconds
    );
    let transport =
        platform::transport::in_process(tonic::service::Routes::new(recommendations.grpc()), layer);
    let mut client = RecommendationsClient::new(transport);
    let token = issuer.service_token("bench", "catalog.read");
    let mut took = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let message = pb::AlsoBoughtRequest {
            skus: vec![skus[dice.skewed(skus.len())].clone()],
            limit: 8,
        };
        let started = Instant::now();
        client.also_bought(request(message, &token)).await?;
        took.push(started.elapsed());
    }
    report("also bought (one product, 8 answers, two hops)", &mut took);
    took.clear();
    for _ in 0..CALLS / 4 {
        let started = Instant::now();
        client
            .popular(request(pb::PopularRequest { limit: 8 }, &token))
            .await?;
        took.push(started.elapsed());
    }
    report("popular (8 answers)", &mut took);
    Ok(())
}

fn report(what: &str, took: &mut [Duration]) {
    took.sort();
    let at = |share: f64| took[((took.len() as f64 * share) as usize).min(took.len() - 1)];
    let millis = |duration: Duration| duration.as_secs_f64() * 1000.0;
    println!(
        "{} calls of {what}: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        took.len(),
        millis(at(0.50)),
        millis(at(0.90)),
        millis(at(0.99)),
        millis(took[took.len() - 1])
    );
}
