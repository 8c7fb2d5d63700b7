//! `emporium load --scenario shop`: shoppers arrive at a fixed rate, each on a journey through
//! the shop, and the run reports each step's latency.
//!
//! The schedule is open-loop: arrival `i` is due at `start + i / rate` and starts then as a task
//! of its own, whether or not earlier journeys have ended, so a shop that slows down meets as
//! many shoppers as ever (no coordinated omission). Only `--max-in-flight` journeys run at once;
//! an arrival beyond it is counted as dropped. A journey's first step counts from when it was
//! due; each later step from the end of the one before plus a think time of 50 to 500 ms, drawn
//! at random: a late start shows in the latency, not in a slower schedule. At the deadline no
//! journey starts; those under way get ten more seconds, then count as timeouts.
//!
//! Journeys, by weight (out of 100), and their steps (the names in the report):
//!
//! - browse (40): the first page of the catalog (`browse`), then one or two of its products
//!   (`product`, `GET /api/v1/products/{sku}`).
//! - search (20): a word from the catalog's product names (`search`), then a product found.
//! - product (20): the storefront's home page (`home_page`, `GET /`) and a product's page
//!   (`product_page`, `GET /p/{sku}`); with the storefront off, the product's JSON.
//! - cart (12): add a product (`cart_add`), look at the cart (`cart_view`), empty it
//!   (`cart_clear`).
//! - checkout (8): add a product (`cart_add`) and check out (`checkout`).
//!
//! The cart and checkout journeys sign in as one of `--concurrency` shopper accounts, one
//! journey per account at a time (two at once would empty each other's carts); a journey that
//! waits for an account shows the wait in its first step's latency. Journeys are picked by a
//! seeded generator: the same rate and length give the same journeys in the same order.

mod journeys;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rand::rngs::SmallRng;
use rand::{Rng as _, SeedableRng as _};
use tokio::task::JoinSet;

use super::hdr::Recording;
use super::progress::{self, Snapshot};
use super::report::ErrorKind;
use super::{LoadArgs, catalog_products, check_target, sign_up};

/// Journeys started per second when `--rate` is not given.
pub const DEFAULT_RATE: f64 = 20.0;
/// Every step a journey takes, in the order a report lists them.
pub const STEPS: [&str; 9] = [
    "home_page",
    "browse",
    "search",
    "product",
    "product_page",
    "cart_add",
    "cart_view",
    "cart_clear",
    "checkout",
];
/// How long a shopper thinks between two steps, in ms: from a glance to reading a page.
const THINK_TIME_MS: std::ops::RangeInclusive<u64> = 50..=500;
/// How long journeys under way at the deadline may take to end.
const GRACE: Duration = Duration::from_secs(10);
/// The seed of the journeys' picks: any fixed number makes runs repeatable.
const SEED: u64 = 0x5eed_0f5a_0b5e_ed01;
/// Search words used when the catalog's names give none.
const FALLBACK_WORDS: [&str; 3] = ["gift", "coffee", "leather"];

/// A shopper's way through the shop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Journey {
    Browse,
    Search,
    Product,
    Cart,
    Checkout,
}

impl Journey {
    /// Each journey and its weight; the weights add up to 100.
    pub const WEIGHTS: [(Journey, u32); 5] = [
        (Journey::Browse, 40),
        (Journey::Search, 20),
        (Journey::Product, 20),
        (Journey::Cart, 12),
        (Journey::Checkout, 8),
    ];

    /// The journey a roll of a hundred-sided die (`0..100`) falls on, by weight.
    pub fn pick(roll: u32) -> Journey {
        let mut left = roll % 100;
        for (journey, weight) in Journey::WEIGHTS {
            if left < weight {
                return journey;
            }
            left -= weight;
        }
        Journey::Browse
    }
}

/// What a shop run saw.
#[derive(Debug)]
pub struct ShopReport {
    pub url: String,
    /// Journeys started per second.
    pub rate: f64,
    pub seconds: u64,
    /// Shopper accounts in the pool (`--concurrency`).
    pub accounts: usize,
    pub max_in_flight: usize,
    /// Whether the shop served the storefront's pages (the product journey uses them).
    pub storefront: bool,
    /// Journeys due, started or dropped.
    pub arrivals: u64,
    /// Journeys not started because `max_in_flight` were under way.
    pub dropped: u64,
    /// From the first arrival to the last journey's end (or the end of the grace).
    pub elapsed: Duration,
    pub recording: Recording,
    /// The files `--report` wrote.
    pub files: Vec<PathBuf>,
}

impl ShopReport {
    /// Journeys that ended, cut short by a failed step or not.
    pub fn completed(&self) -> u64 {
        self.recording.journeys().0
    }

    /// The run in lines: the totals, then one line per step, then the errors.
    pub fn describe(&self) -> String {
        let (completed, failed) = self.recording.journeys();
        let mut lines = vec![format!(
            "shop: {} arrivals in {:.1} s ({} a second), {completed} journeys completed \
             ({failed} cut short by an error), {} dropped, {} unfinished, {} errors",
            self.arrivals,
            self.elapsed.as_secs_f64(),
            self.rate,
            self.dropped,
            self.recording.unfinished_journeys(),
            self.recording.errors(),
        )];
        for step in STEPS {
            let Some(latencies) = self.recording.steps().get(step) else {
                continue;
            };
            let mut line = format!(
                "  {step:<12} {:>7} ok {:>5} errors  p50 {:>7.1} ms  p90 {:>7.1} ms  p99 {:>7.1} \
                 ms  p99.9 {:>7.1} ms  max {:>7.1} ms",
                latencies.count(),
                latencies.errors(),
                latencies.quantile_ms(0.5),
                latencies.quantile_ms(0.9),
                latencies.quantile_ms(0.99),
                latencies.quantile_ms(0.999),
                latencies.max_ms(),
            );
            if latencies.errors() > 0 {
                let failed = latencies.failed_quantile_ms(0.99);
                line.push_str(&format!("  failed p99 {failed:>7.1} ms"));
            }
            lines.push(line);
        }
        let kinds: Vec<String> = self
            .recording
            .errors_by_kind()
            .iter()
            .map(|(kind, count)| format!("{} {count}", kind.as_str()))
            .collect();
        lines.push(match kinds.is_empty() {
            true => "errors: none".to_owned(),
            false => format!("errors: {}", kinds.join(", ")),
        });
        for sample in self.recording.error_samples() {
            lines.push(format!("  e.g. {sample}"));
        }
        lines.join("\n") + "\n"
    }
}

/// Runs the shop scenario of `args` and returns what it saw; with `--report`, writes
/// `report.html` and `summary.json` there first.
pub async fn run_shop(args: &LoadArgs) -> anyhow::Result<ShopReport> {
    let rate = check_shop_args(args)?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.max_in_flight.min(1024))
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .build()
        .context("make the HTTP client")?;
    let base = args.url.trim_end_matches('/').to_owned();
    let products = catalog_products(&http, &base).await?;
    let storefront = serves_pages(&http, &base).await;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let mut tokens = Vec::with_capacity(args.concurrency);
    for index in 0..args.concurrency {
        tokens.push(sign_up(&http, &base, &format!("shop-{run}-{index}@example.com")).await?);
    }
    eprintln!(
        "load: {} shoppers signed up; {rate} journeys a second for {} s",
        args.concurrency, args.seconds
    );
    let words = search_words(products.iter().map(|(_sku, name)| name.as_str()));
    let shop = Arc::new(Shop {
        http,
        base,
        run,
        skus: products.into_iter().map(|(sku, _name)| sku).collect(),
        words,
        storefront,
        accounts: Accounts::new(tokens),
        started: Instant::now(),
        recording: Mutex::new(Recording::new(args.seconds)?),
        in_flight: AtomicUsize::new(0),
        arrivals: AtomicU64::new(0),
        dropped: AtomicU64::new(0),
    });
    let deadline = shop.started + Duration::from_secs(args.seconds);
    let unfinished = tokio::select! {
        unfinished = drive(&shop, rate, deadline, args.max_in_flight) => unfinished,
        never = progress::keep_showing(|| shop.snapshot()) => match never {},
    };
    let elapsed = shop.started.elapsed();
    if unfinished > 0 {
        let what = format!(
            "a journey did not end within {} s of the deadline",
            GRACE.as_secs()
        );
        shop.record(|recording| recording.unfinished(unfinished, ErrorKind::Timeout, &what));
    }
    progress::finish(&shop.snapshot());
    let mut report = ShopReport {
        url: args.url.clone(),
        rate,
        seconds: args.seconds,
        accounts: args.concurrency,
        max_in_flight: args.max_in_flight,
        storefront,
        arrivals: shop.arrivals.load(Ordering::Relaxed),
        dropped: shop.dropped.load(Ordering::Relaxed),
        elapsed,
        recording: shop.lock_recording().clone(),
        files: Vec::new(),
    };
    if let Some(dir) = &args.report {
        report.files = super::html::write_report(dir, &report)?;
    }
    Ok(report)
}

/// The checks on `args` for a shop run; returns the rate.
fn check_shop_args(args: &LoadArgs) -> anyhow::Result<f64> {
    check_target(&args.url, args.allow_remote)?;
    anyhow::ensure!(args.seconds <= 600, "--seconds: at most 600");
    anyhow::ensure!(
        (1..=1024).contains(&args.concurrency),
        "--concurrency: 1 to 1024 shopper accounts"
    );
    anyhow::ensure!(
        (1..=100_000).contains(&args.max_in_flight),
        "--max-in-flight: 1 to 100000 journeys"
    );
    let rate = args.rate.unwrap_or(DEFAULT_RATE);
    anyhow::ensure!(
        rate.is_finite() && (0.1..=100_000.0).contains(&rate),
        "--rate: 0.1 to 100000 journeys per second"
    );
    Ok(rate)
}

/// Whether the shop at `base` serves the storefront's pages (it may be turned off).
async fn serves_pages(http: &reqwest::Client, base: &str) -> bool {
    let Ok(response) = http.get(format!("{base}/")).send().await else {
        return false;
    };
    let html = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    response.status().is_success() && html
}

/// Words to search for: those of three letters or more in the products' names, lower-cased,
/// each once, in alphabetical order.
fn search_words<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut words = std::collections::BTreeSet::new();
    for name in names {
        for word in name.split(|character: char| !character.is_ascii_alphanumeric()) {
            if word.len() >= 3 {
                words.insert(word.to_ascii_lowercase());
            }
        }
    }
    match words.is_empty() {
        true => FALLBACK_WORDS
            .iter()
            .map(|word| (*word).to_owned())
            .collect(),
        false => words.into_iter().collect(),
    }
}

/// Starts journeys on schedule until `deadline`, then waits up to `GRACE` for those under way;
/// returns how many it stopped waiting for.
async fn drive(shop: &Arc<Shop>, rate: f64, deadline: Instant, max_in_flight: usize) -> u64 {
    let interval = Duration::from_secs_f64(1.0 / rate);
    let mut picks = SmallRng::seed_from_u64(SEED);
    let mut journeys = JoinSet::new();
    for index in 0u64.. {
        let due = shop.started + interval.mul_f64(index as f64);
        if due >= deadline {
            break;
        }
        tokio::time::sleep_until(due.into()).await;
        shop.arrivals.fetch_add(1, Ordering::Relaxed);
        while let Some(ended) = journeys.try_join_next() {
            shop.note_ended(ended);
        }
        // Both draws come before the check, so that a dropped arrival does not change which
        // journeys the later ones are.
        let journey = Journey::pick(picks.random_range(0..100));
        let seed = picks.random::<u64>();
        if shop.in_flight.load(Ordering::Relaxed) >= max_in_flight {
            shop.dropped.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        shop.in_flight.fetch_add(1, Ordering::Relaxed);
        journeys.spawn(walk(Arc::clone(shop), journey, index, due, seed));
    }
    let _ = tokio::time::timeout(GRACE, async {
        while let Some(ended) = journeys.join_next().await {
            shop.note_ended(ended);
        }
    })
    .await;
    while let Some(ended) = journeys.try_join_next() {
        shop.note_ended(ended);
    }
    let unfinished = journeys.len() as u64;
    journeys.shutdown().await;
    unfinished
}

/// What the journeys share.
struct Shop {
    http: reqwest::Client,
    base: String,
    /// This run's id, in idempotency keys.
    run: String,
    skus: Vec<String>,
    words: Vec<String>,
    storefront: bool,
    accounts: Accounts,
    started: Instant,
    recording: Mutex<Recording>,
    in_flight: AtomicUsize,
    arrivals: AtomicU64,
    dropped: AtomicU64,
}

impl Shop {
    fn lock_recording(&self) -> std::sync::MutexGuard<'_, Recording> {
        self.recording
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Changes the recording; never held across an await.
    fn record(&self, change: impl FnOnce(&mut Recording)) {
        let mut recording = self.lock_recording();
        change(&mut recording);
    }

    /// The figures for the progress line.
    fn snapshot(&self) -> Snapshot {
        let recording = self.lock_recording();
        Snapshot {
            elapsed: self.started.elapsed(),
            arrivals: self.arrivals.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
            done: recording.journeys().0,
            errors: recording.errors(),
            dropped: self.dropped.load(Ordering::Relaxed),
            p99_ms: recording.overall_quantile_ms(0.99),
        }
    }

    /// Counts a journey task that panicked; one that returned recorded itself.
    fn note_ended(&self, ended: Result<(), tokio::task::JoinError>) {
        if let Err(error) = ended {
            let what = format!("a journey stopped: {error}");
            self.record(|recording| recording.unfinished(1, ErrorKind::Interrupted, &what));
        }
    }
}

/// The shopper accounts, each lent to one journey at a time.
struct Accounts {
    tokens: Mutex<Vec<String>>,
    free: tokio::sync::Semaphore,
}

/// An account lent to a journey; it goes back to the pool when dropped.
struct Account<'a> {
    token: String,
    accounts: &'a Accounts,
    _permit: tokio::sync::SemaphorePermit<'a>,
}

impl Accounts {
    fn new(tokens: Vec<String>) -> Accounts {
        Accounts {
            free: tokio::sync::Semaphore::new(tokens.len()),
            tokens: Mutex::new(tokens),
        }
    }

    /// An account, once one is free; `None` only if the pool is broken.
    async fn take(&self) -> Option<Account<'_>> {
        let permit = self.free.acquire().await.ok()?;
        let token = self
            .tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop()?;
        Some(Account {
            token,
            accounts: self,
            _permit: permit,
        })
    }
}

impl Drop for Account<'_> {
    fn drop(&mut self) {
        // The token goes back before the permit (a field, dropped after this) frees the slot.
        let token = std::mem::take(&mut self.token);
        self.accounts
            .tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(token);
    }
}

/// Counts a journey out of the in-flight figure when it ends, or is cut off.
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One journey, from its due time to its end, recorded.
async fn walk(shop: Arc<Shop>, journey: Journey, index: u64, due: Instant, seed: u64) {
    let _in_flight = InFlight(&shop.in_flight);
    let mut shopper = journeys::Shopper::new(&shop, index, due, seed);
    let outcome = match journey {
        Journey::Browse => shopper.browse().await,
        Journey::Search => shopper.search().await,
        Journey::Product => shopper.product().await,
        Journey::Cart => shopper.cart().await,
        Journey::Checkout => shopper.checkout().await,
    };
    let at = shop.started.elapsed();
    shop.record(|recording| recording.journey_ended(at, outcome.is_ok()));
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn journeys_are_picked_by_their_weights() {
        let mut by_roll = BTreeMap::new();
        for roll in 0..100 {
            *by_roll.entry(Journey::pick(roll)).or_insert(0u32) += 1;
        }
        assert_eq!(
            by_roll,
            Journey::WEIGHTS.into_iter().collect::<BTreeMap<_, _>>()
        );
        // With the run's generator, ten thousand arrivals come within 1.5 points of the weights.
        let mut picks = SmallRng::seed_from_u64(SEED);
        let mut seen = BTreeMap::new();
        for _ in 0..10_000 {
            *seen
                .entry(Journey::pick(picks.random_range(0..100)))
                .or_insert(0u32) += 1;
        }
        for (journey, weight) in Journey::WEIGHTS {
            let percent = f64::from(seen[&journey]) / 100.0;
            assert!(
                (percent - f64::from(weight)).abs() < 1.5,
                "{journey:?}: {percent} % for a weight of {weight}"
            );
        }
    }

    #[test]
    fn search_words_are_the_longer_words_of_the_names_lower_cased_once() {
        let names = ["Leather Sandals", "leather belt", "A mug & a cup"];
        assert_eq!(
            search_words(names.into_iter()),
            ["belt", "cup", "leather", "mug", "sandals"]
        );
        assert_eq!(search_words(std::iter::empty()), FALLBACK_WORDS);
    }

    #[test]
    fn a_shop_run_checks_its_arguments_before_it_starts() {
        let shop = || LoadArgs {
            scenario: crate::load::Scenario::Shop,
            ..LoadArgs::default()
        };
        assert_eq!(check_shop_args(&shop()).unwrap(), DEFAULT_RATE);
        let error = |args: LoadArgs| check_shop_args(&args).unwrap_err().to_string();
        let none_in_flight = LoadArgs {
            max_in_flight: 0,
            ..shop()
        };
        assert!(error(none_in_flight).contains("--max-in-flight"));
        let too_slow = LoadArgs {
            rate: Some(0.0),
            ..shop()
        };
        assert!(error(too_slow).contains("--rate"));
        let remote = LoadArgs {
            url: "http://192.0.2.1:8080".to_owned(),
            ..shop()
        };
        assert!(error(remote).contains("--allow-remote"));
    }
}
