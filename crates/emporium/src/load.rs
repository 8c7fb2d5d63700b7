//! `emporium load`: a load generator for the checkout, the path that matters most. It signs up
//! buyers, then each buyer in a loop fills its cart and checks out, for a fixed time; it reports
//! throughput and latency percentiles. Bounded in count and time; it targets one URL. It says on
//! standard error when its buyers are signed up, the moment to start counting the shop's CPU.
//!
//! Without `--rate` every buyer checks out again as soon as its last checkout returns (the most
//! the shop can do at that concurrency). With `--rate`, checkouts start on a fixed schedule
//! shared by the buyers, and a checkout's latency counts from its scheduled start (filling the
//! cart included): a shop that falls behind shows it in the latency instead of quietly slowing the schedule.
//!
//! A buyer whose connection is refused (the shop is down) waits and tries again, backing off
//! with jitter; the report counts errors by kind and measures each outage.

mod report;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::json;

pub use self::report::{ErrorKind, Report};
use self::report::{Outages, backoff};

/// What to load and for how long.
#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// The shop's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// How many buyers check out at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// How long to run, in seconds (at most 600).
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Checkouts to start per second, on a fixed schedule; unset means as fast as they return.
    #[arg(long)]
    pub rate: Option<f64>,
}

/// The start times of a fixed-rate run, handed out in order to whichever buyer is free.
#[derive(Debug)]
struct Schedule {
    started: Instant,
    interval: Duration,
    next: std::sync::atomic::AtomicU64,
}

impl Schedule {
    /// The next start time.
    fn take(&self) -> Instant {
        let slot = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.started + self.interval.mul_f64(slot as f64)
    }
}

/// Runs the load and returns what it saw.
pub async fn run(args: &LoadArgs) -> anyhow::Result<Report> {
    anyhow::ensure!(args.seconds <= 600, "--seconds: at most 600");
    anyhow::ensure!(
        (1..=1024).contains(&args.concurrency),
        "--concurrency: 1 to 1024"
    );
    if let Some(rate) = args.rate {
        anyhow::ensure!(
            rate.is_finite() && (0.1..=100_000.0).contains(&rate),
            "--rate: 0.1 to 100000 checkouts per second"
        );
    }
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60))
        .build()?;
    let base = args.url.trim_end_matches('/').to_owned();
    let skus = catalog_skus(&http, &base).await?;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let mut buyers = Vec::with_capacity(args.concurrency);
    for index in 0..args.concurrency {
        buyers.push(sign_up(&http, &base, &format!("load-{run}-{index}@example.com")).await?);
    }
    // Signing up hashes passwords, which costs the shop more CPU than a checkout: a script that
    // measures the shop's CPU per checkout starts counting at this line.
    eprintln!(
        "load: {} buyers signed up; checking out for {} s",
        args.concurrency, args.seconds
    );
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let schedule = args.rate.map(|rate| {
        std::sync::Arc::new(Schedule {
            started,
            interval: Duration::from_secs_f64(1.0 / rate),
            next: 0.into(),
        })
    });
    let outages = Arc::new(Outages::default());
    let workers = buyers.into_iter().enumerate().map(|(index, token)| {
        let (http, base, skus, schedule, outages) = (
            http.clone(),
            base.clone(),
            skus.clone(),
            schedule.clone(),
            outages.clone(),
        );
        tokio::spawn(async move {
            let buyer = Buyer {
                http: &http,
                base: &base,
                token: &token,
                skus: &skus,
                index,
                outages: &outages,
            };
            buyer.buy_until(schedule.as_deref(), deadline).await
        })
    });
    let mut report = Report::default();
    for worker in futures_util::future::join_all(workers).await {
        report.merge(worker?);
    }
    report.elapsed = started.elapsed();
    report.outages = outages.finish(Instant::now());
    report.latencies.sort();
    Ok(report)
}

/// The skus of the catalog (up to 5,000), so that buyers spread over it and no product sells out
/// early in a long run.
async fn catalog_skus(http: &reqwest::Client, base: &str) -> anyhow::Result<Vec<String>> {
    let mut skus: Vec<String> = Vec::new();
    let mut after = String::new();
    loop {
        let page: serde_json::Value = http
            .get(format!("{base}/api/v1/products?page_size=100{after}"))
            .send()
            .await
            .context("reach the shop")?
            .json()
            .await?;
        skus.extend(
            page["products"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|product| product["sku"].as_str().map(str::to_owned)),
        );
        match page["next_page_token"].as_str() {
            Some(next) if skus.len() < 5000 => after = format!("&page_token={next}"),
            _ => break,
        }
    }
    anyhow::ensure!(!skus.is_empty(), "the shop has no products");
    Ok(skus)
}

/// Signs a buyer up at the shop at `base` and logs them in; returns their access token.
pub async fn sign_up(http: &reqwest::Client, base: &str, email: &str) -> anyhow::Result<String> {
    let password = "load-test-password";
    let signed_up = http
        .post(format!("{base}/api/v1/account/signup"))
        .json(&json!({"email": email, "password": password, "display_name": "Load Test"}))
        .send()
        .await?;
    anyhow::ensure!(
        signed_up.status().is_success(),
        "sign a buyer up: {}",
        signed_up.text().await.unwrap_or_default()
    );
    let logged_in = http
        .post(format!("{base}/api/v1/account/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await?;
    let status = logged_in.status();
    let body = logged_in.text().await.unwrap_or_default();
    anyhow::ensure!(status.is_success(), "log a buyer in: {status}: {body}");
    let login: serde_json::Value = serde_json::from_str(&body)
        .with_context(|| format!("log a buyer in: the answer is not JSON: {body}"))?;
    login["access_token"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("log a buyer in: {login}"))
}

/// One buyer of the run.
struct Buyer<'a> {
    http: &'a reqwest::Client,
    base: &'a str,
    token: &'a str,
    skus: &'a [String],
    index: usize,
    outages: &'a Outages,
}

/// How one checkout went.
enum Outcome {
    Confirmed(Duration),
    Failed(Duration),
    Error(ErrorKind, String),
}

impl Buyer<'_> {
    async fn buy_until(&self, schedule: Option<&Schedule>, deadline: Instant) -> Report {
        let mut report = Report::default();
        let mut round = 0usize;
        let mut refused_in_a_row = 0u32;
        while Instant::now() < deadline {
            let due = schedule.map(Schedule::take);
            if let Some(due) = due {
                if due >= deadline {
                    break;
                }
                tokio::time::sleep_until(due.into()).await;
            }
            let sku = &self.skus[(self.index * 7 + round) % self.skus.len()];
            round += 1;
            let outcome = self.check_out(sku, round, due).await;
            if let Outcome::Error(ErrorKind::Refused, _) = outcome {
                // The shop is away: wait before the next try, longer each time.
                self.outages.refused(Instant::now());
                let wait = backoff(refused_in_a_row);
                refused_in_a_row += 1;
                let left = deadline.saturating_duration_since(Instant::now());
                tokio::time::sleep(wait.min(left)).await;
            } else if !matches!(
                outcome,
                Outcome::Error(ErrorKind::Timeout | ErrorKind::Interrupted, _)
            ) {
                self.outages.answered(Instant::now());
                refused_in_a_row = 0;
            }
            match outcome {
                Outcome::Confirmed(latency) => {
                    report.confirmed += 1;
                    report.latencies.push(latency);
                }
                Outcome::Failed(latency) => {
                    report.failed += 1;
                    report.latencies.push(latency);
                }
                Outcome::Error(kind, what) => report.error(kind, what),
            }
        }
        report
    }

    /// Puts `sku` in the cart and checks out; the latency counts from `due` when on a schedule.
    async fn check_out(&self, sku: &str, round: usize, due: Option<Instant>) -> Outcome {
        let Buyer {
            http, base, token, ..
        } = *self;
        let added = http
            .post(format!("{base}/api/v1/cart/items"))
            .bearer_auth(token)
            .json(&json!({"sku": sku, "quantity": 1}))
            .send()
            .await;
        match added {
            Ok(response) if response.status().is_success() => {}
            Ok(response) => {
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                return Outcome::Error(
                    ErrorKind::of_status(status),
                    format!("add to cart: {status} {body}"),
                );
            }
            Err(error) => {
                return Outcome::Error(ErrorKind::of(&error), format!("add to cart: {error}"));
            }
        }
        let started = due.unwrap_or_else(Instant::now);
        let body = json!({
            "address": {"name": "Load Test", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"},
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}
        });
        let placed = http
            .post(format!("{base}/api/v1/checkout"))
            .bearer_auth(token)
            .header(
                "idempotency-key",
                format!(
                    "load-{}-{round}-{}",
                    self.index,
                    uuid::Uuid::new_v4().simple()
                ),
            )
            .json(&body)
            .send()
            .await;
        let elapsed = started.elapsed();
        let response = match placed {
            Ok(response) if response.status().is_success() => response,
            Ok(response) => {
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                return Outcome::Error(
                    ErrorKind::of_status(status),
                    format!("checkout: {status} {body}"),
                );
            }
            Err(error) => {
                return Outcome::Error(ErrorKind::of(&error), format!("checkout: {error}"));
            }
        };
        let order: serde_json::Value = response.json().await.unwrap_or_default();
        if order["state"] == "confirmed" {
            return Outcome::Confirmed(elapsed);
        }
        // A failed checkout leaves the line in the cart; start the next one clean.
        let _ = http
            .delete(format!("{base}/api/v1/cart"))
            .bearer_auth(token)
            .send()
            .await;
        Outcome::Failed(elapsed)
    }
}
