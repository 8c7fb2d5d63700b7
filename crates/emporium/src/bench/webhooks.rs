//! The webhooks' figures: deliveries a second from the functions service (the code the shop
//! runs, on SQLite in the bench's folder) to a receiver on loopback, and that none is lost
//! when the service stops half-way and starts again on the same database.
//!
//! The events are published on an in-process bus, as the shop's outbox relay publishes them:
//! `publish` returns once the consumer has queued the event's deliveries durably. The
//! receiver counts deliveries by their `webhook-id`, so a duplicate (deliveries are at least
//! once) is counted once and reported apart.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::http::{HeaderMap, StatusCode};
use events::checkout::OrderCompleted;
use events::{Envelope, Event as _};
use functions::{Config, Functions, NewEndpoint};
use platform::Shutdown;
use platform::bus::{EventBus, InProcessBus};

/// Events published at once.
const PUBLISHERS: usize = 32;
/// How long the deliveries may take before the bench gives up on the missing ones.
const PATIENCE: Duration = Duration::from_secs(120);

/// What was measured.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    /// Events published, each to be delivered once.
    pub events: usize,
    /// Deliveries a second, from the first event published to the last delivery received.
    pub per_second: f64,
    /// Of the restart run: received before the stop, received in all, and received twice.
    pub before_restart: usize,
    pub after_restart: usize,
    pub duplicates: u64,
    /// The restart run's events that never arrived.
    pub lost: usize,
}

/// The receiver's side: the ids it has taken, and how many new ones it takes before it answers
/// 503 (with `Retry-After: 1`) to the rest.
#[derive(Default)]
struct Receiver {
    taken: Mutex<HashSet<String>>,
    posts: AtomicU64,
    take_at_most: AtomicUsize,
}

impl Receiver {
    fn unique(&self) -> usize {
        self.taken
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .len()
    }

    fn receive(&self, headers: &HeaderMap) -> (StatusCode, HeaderMap) {
        self.posts.fetch_add(1, Ordering::Relaxed);
        let id = headers
            .get("webhook-id")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let mut taken = self
            .taken
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if taken.contains(&id) || taken.len() < self.take_at_most.load(Ordering::Relaxed) {
            taken.insert(id);
            return (StatusCode::NO_CONTENT, HeaderMap::new());
        }
        let mut answer = HeaderMap::new();
        answer.insert("retry-after", axum::http::HeaderValue::from_static("1"));
        (StatusCode::SERVICE_UNAVAILABLE, answer)
    }
}

/// Starts a receiver on a loopback port; its URL and its counts.
async fn receiver(shutdown: &Shutdown) -> anyhow::Result<(String, Arc<Receiver>)> {
    let counts = Arc::new(Receiver {
        take_at_most: AtomicUsize::new(usize::MAX),
        ..Receiver::default()
    });
    let state = counts.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap| {
            let state = state.clone();
            async move { state.receive(&headers) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.wait().await })
            .await;
    });
    Ok((url, counts))
}

/// The functions service on `database_url` with its consumer and webhook sender running until
/// the shutdown it answers is triggered.
async fn service(database_url: &str, bus: &InProcessBus) -> anyhow::Result<(Functions, Shutdown)> {
    let config = Config {
        database_url: database_url.to_owned(),
        ..Config::default()
    };
    let functions = Functions::build(&config, Arc::new(bus.clone())).await?;
    let shutdown = Shutdown::new();
    tokio::spawn(functions.consume(shutdown.clone()).await?);
    tokio::spawn(functions.clone().send_webhooks(shutdown.clone()));
    Ok((functions, shutdown))
}

/// Publishes `count` completed orders, `PUBLISHERS` at once; each returns once queued.
async fn publish(bus: &InProcessBus, run: &str, count: usize) -> anyhow::Result<()> {
    let next = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..PUBLISHERS)
        .map(|_| {
            let (bus, next, run) = (bus.clone(), next.clone(), run.to_owned());
            tokio::spawn(async move {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= count {
                        return Ok::<_, anyhow::Error>(());
                    }
                    let event = OrderCompleted {
                        order_id: format!("{run}-{index}"),
                        user_id: "bench".to_owned(),
                        confirmed: true,
                        failure_reason: String::new(),
                        lines: Vec::new(),
                    };
                    let id = uuid::Uuid::now_v7().to_string();
                    let envelope = Envelope::new(id, &event, platform::unix_now_ms());
                    bus.publish(OrderCompleted::SUBJECT, envelope).await?;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.context("join a publisher")??;
    }
    Ok(())
}

async fn subscribe(functions: &Functions, url: &str) -> anyhow::Result<()> {
    functions
        .create_endpoint(NewEndpoint {
            url: url.to_owned(),
            event_types: vec![OrderCompleted::TYPE.to_owned()],
            description: "the bench's receiver".to_owned(),
            transform: String::new(),
        })
        .await?;
    Ok(())
}

/// Waits until `receiver` has `count` different deliveries, or `PATIENCE` has passed.
async fn received(receiver: &Receiver, count: usize) -> usize {
    let started = Instant::now();
    while receiver.unique() < count && started.elapsed() < PATIENCE {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    receiver.unique()
}

fn sqlite(folder: &Path, name: &str) -> String {
    format!("sqlite://{}/{name}.db", folder.display())
}

/// Deliveries a second for `count` events, then `count` more with the service stopped and
/// started again half-way, each run on a database of its own in `folder`.
pub async fn figures(folder: &Path, count: usize) -> anyhow::Result<Figures> {
    std::fs::create_dir_all(folder).with_context(|| format!("make {}", folder.display()))?;
    let receivers = Shutdown::new();
    let (url, counts) = receiver(&receivers).await?;
    let bus = InProcessBus::new();
    let (functions, stop) = service(&sqlite(folder, "throughput"), &bus).await?;
    subscribe(&functions, &url).await?;
    let started = Instant::now();
    publish(&bus, "throughput", count).await?;
    let got = received(&counts, count).await;
    let per_second = count as f64 / started.elapsed().as_secs_f64();
    stop.trigger();
    anyhow::ensure!(
        got == count,
        "only {got} of {count} webhooks arrived within {PATIENCE:?}"
    );
    let mut figures = restarted(folder, count, &receivers).await?;
    receivers.trigger();
    figures.events = count;
    figures.per_second = per_second;
    Ok(figures)
}

/// The restart run: the receiver takes the first half and answers 503 to the rest, so that
/// deliveries are still owed when the service stops; it starts again on the same database (and
/// a new bus: every event was queued before the stop) and the receiver takes everything.
async fn restarted(folder: &Path, count: usize, receivers: &Shutdown) -> anyhow::Result<Figures> {
    let (url, counts) = receiver(receivers).await?;
    counts.take_at_most.store(count / 2, Ordering::Relaxed);
    let database = sqlite(folder, "restart");
    let bus = InProcessBus::new();
    let (functions, first) = service(&database, &bus).await?;
    subscribe(&functions, &url).await?;
    publish(&bus, "restart", count).await?;
    let before_restart = received(&counts, count / 2).await;
    first.trigger();
    drop(functions);
    counts.take_at_most.store(usize::MAX, Ordering::Relaxed);
    let (_functions, second) = service(&database, &InProcessBus::new()).await?;
    let after_restart = received(&counts, count).await;
    second.trigger();
    Ok(Figures {
        before_restart,
        after_restart,
        duplicates: counts
            .posts
            .load(Ordering::Relaxed)
            .saturating_sub(after_restart as u64),
        lost: count - after_restart,
        ..Figures::default()
    })
}

/// The webhooks' section of the document.
pub fn markdown(figures: &Figures) -> String {
    let met = |ok: bool| if ok { "**met**" } else { "not met" };
    let mut out = String::from("\n## Webhooks\n\n| measure | figure | target |\n|---|---|---|\n");
    out.push_str(&format!(
        "| deliveries a second to a receiver on loopback, {} events | {:.0} | ≥ 1,000: {} |\n",
        figures.events,
        figures.per_second,
        met(figures.per_second >= 1_000.0)
    ));
    out.push_str(&format!(
        "| across a restart: received before it / in all / lost | {} / {} / {} | none lost: {} |\n",
        figures.before_restart,
        figures.after_restart,
        figures.lost,
        met(figures.lost == 0)
    ));
    out.push_str(&format!(
        "| posts beyond one per event in the restart run (refused with 503, or sent twice) | {} | |\n",
        figures.duplicates
    ));
    out
}
