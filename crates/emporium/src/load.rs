//! `emporium load`: a load generator for a running shop, in two scenarios. Bounded in count and
//! time; it targets one URL, on this machine unless `--allow-remote` says otherwise.
//!
//! `--scenario checkout` (the default) loads the checkout, the path that matters most. It signs
//! up buyers, then each buyer in a loop fills its cart and checks out, for a fixed time; it
//! reports throughput and latency percentiles. It says on standard error when its buyers are
//! signed up, the moment to start counting the shop's CPU.
//!
//! Without `--rate` every buyer checks out again as soon as its last checkout returns (the most
//! the shop can do at that concurrency). With `--rate`, checkouts start on a fixed schedule
//! shared by the buyers, and a checkout's latency counts from its scheduled start (filling the
//! cart included): a shop that falls behind shows it in the latency instead of quietly slowing the schedule.
//!
//! A buyer whose connection is refused (the shop is down) waits and tries again, backing off
//! with jitter; the report counts errors by kind and measures each outage.
//!
//! `--scenario shop` (`shop.rs`) has shoppers arrive at `--rate` a second, each on a journey
//! through the shop (browse, search, a product page, the cart, a checkout), on an open-loop
//! schedule, and reports latency per step; with `--report DIR` it also writes a self-contained
//! `report.html` with charts and a `summary.json` (`html.rs`). `--report` is refused with the
//! checkout scenario, whose report is the lines it prints.

mod hdr;
mod html;
mod progress;
mod report;
mod shop;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::json;

pub use self::hdr::{Recording, StepLatencies, Window};
pub use self::report::{ErrorKind, Report};
use self::report::{Outages, backoff};
pub use self::shop::{ShopReport, run_shop};

/// What to load and for how long.
#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// The shop's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// How many buyers check out at once; with `--scenario shop`, how many shopper accounts the
    /// journeys that need one (cart, checkout) share, one journey per account at a time.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// How long to run, in seconds (at most 600).
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Checkouts to start per second, on a fixed schedule; unset means as fast as they return.
    /// With `--scenario shop`: shopper journeys to start per second (20 when unset).
    #[arg(long)]
    pub rate: Option<f64>,
    /// What to load: `checkout` (buyers check out in a loop) or `shop` (shoppers arrive on
    /// journeys through the whole shop).
    #[arg(long, value_enum, default_value_t = Scenario::Checkout)]
    pub scenario: Scenario,
    /// With `--scenario shop`: a folder (made when absent) to write `report.html` and
    /// `summary.json` to. Refused with the checkout scenario.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// With `--scenario shop`: the most journeys under way at once; an arrival beyond it is
    /// counted as dropped instead of started, so that a stalled shop cannot exhaust this process.
    #[arg(long, default_value_t = 2000)]
    pub max_in_flight: usize,
    /// Load a URL whose host is not this machine; without it only 127.0.0.0/8, ::1 and
    /// localhost are loaded.
    #[arg(long)]
    pub allow_remote: bool,
}

/// The load a run puts on the shop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// Buyers fill a cart and check out, in a loop or at `--rate`.
    #[default]
    Checkout,
    /// Shoppers arrive at `--rate` a second on journeys through the whole shop.
    Shop,
}

/// The same values as the command line's defaults, for callers in code.
impl Default for LoadArgs {
    fn default() -> LoadArgs {
        LoadArgs {
            url: "http://127.0.0.1:8080".to_owned(),
            concurrency: 16,
            seconds: 10,
            rate: None,
            scenario: Scenario::Checkout,
            report: None,
            max_in_flight: 2000,
            allow_remote: false,
        }
    }
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

/// Runs the checkout scenario and returns what it saw (`run_shop` runs the shop scenario).
pub async fn run(args: &LoadArgs) -> anyhow::Result<Report> {
    anyhow::ensure!(
        args.report.is_none(),
        "--report: only with --scenario shop; the checkout scenario prints its report"
    );
    check_target(&args.url, args.allow_remote)?;
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
    let products = catalog_products(http, base).await?;
    Ok(products.into_iter().map(|(sku, _name)| sku).collect())
}

/// The sku and name of each product of the catalog, up to 5,000; never none.
async fn catalog_products(
    http: &reqwest::Client,
    base: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut products: Vec<(String, String)> = Vec::new();
    let mut after = String::new();
    loop {
        let page: serde_json::Value = http
            .get(format!("{base}/api/v1/products?page_size=100{after}"))
            .send()
            .await
            .context("reach the shop")?
            .json()
            .await?;
        products.extend(
            page["products"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|product| {
                    let sku = product["sku"].as_str()?.to_owned();
                    let name = product["name"].as_str().unwrap_or_default().to_owned();
                    Some((sku, name))
                }),
        );
        match page["next_page_token"].as_str() {
            Some(next) if products.len() < 5000 => after = format!("&page_token={next}"),
            _ => break,
        }
    }
    anyhow::ensure!(!products.is_empty(), "the shop has no products");
    Ok(products)
}

/// Refuses to load `url` unless its host is this machine (127.0.0.0/8, ::1, localhost) or
/// `allow_remote` is set: a load run is a flood of requests, and a mistyped URL must not aim it
/// at someone else's server.
fn check_target(url: &str, allow_remote: bool) -> anyhow::Result<()> {
    let parsed = reqwest::Url::parse(url).with_context(|| format!("--url: read {url}"))?;
    let host = parsed.host_str().unwrap_or_default();
    anyhow::ensure!(
        allow_remote || is_loopback_host(host),
        "--url: {host} is not this machine (127.0.0.0/8, ::1 or localhost); pass --allow-remote \
         to load another host"
    );
    Ok(())
}

/// Whether `host` (a URL's host: a name, an IPv4 address or a bracketed IPv6 one) is this
/// machine's loopback.
fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let name = host.trim_end_matches('.');
    name.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.to_canonical().is_loopback())
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

/// A checkout's address and test card, which the payment processor accepts.
fn checkout_body() -> serde_json::Value {
    json!({
        "address": {"name": "Load Test", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"},
        "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}
    })
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
        let body = checkout_body();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts_are_loaded_without_allow_remote() {
        for url in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://localhost:8080/",
            "http://LOCALHOST.",
            "http://[::1]:8080",
            "http://[::ffff:127.0.0.1]:8080",
        ] {
            assert!(check_target(url, false).is_ok(), "{url}");
        }
        for url in [
            "http://10.0.0.1:8080",
            "http://192.168.1.10",
            "https://example.com",
            "http://localhost.example.com",
            "http://[2001:db8::1]",
            "http://0.0.0.0:8080",
        ] {
            let error = check_target(url, false).unwrap_err().to_string();
            assert!(error.contains("--allow-remote"), "{url}: {error}");
            assert!(check_target(url, true).is_ok(), "{url}");
        }
        assert!(check_target("not a url", true).is_err());
    }

    #[tokio::test]
    async fn the_checkout_scenario_refuses_a_report_folder() {
        let args = LoadArgs {
            report: Some(PathBuf::from("out")),
            ..LoadArgs::default()
        };
        let error = run(&args).await.unwrap_err().to_string();
        assert!(error.contains("--report"), "{error}");
    }

    #[test]
    fn the_defaults_in_code_are_the_command_line_defaults() {
        use clap::Parser as _;
        #[derive(clap::Parser)]
        struct Command {
            #[command(flatten)]
            load: LoadArgs,
        }
        let parsed = Command::parse_from(["load"]).load;
        let default = LoadArgs::default();
        assert_eq!(
            (parsed.url, parsed.concurrency, parsed.seconds, parsed.rate),
            (
                default.url,
                default.concurrency,
                default.seconds,
                default.rate
            )
        );
        assert_eq!(
            (parsed.scenario, parsed.report, parsed.max_in_flight),
            (default.scenario, default.report, default.max_in_flight)
        );
        assert_eq!(parsed.allow_remote, default.allow_remote);
    }
}
