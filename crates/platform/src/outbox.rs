//! The transactional outbox and the inbox.
//!
//! A service writes the events of a change to its `outbox` table in the same transaction as the
//! change (`append`), so that no change is without its events and no event without its change.
//! A `Relay` publishes what is pending to the bus and marks it; a crash between the two only
//! means the event is published again. Consumers record each event id in their `inbox` in the
//! same transaction as its effect (`first_delivery`), so a second delivery changes nothing.

use std::sync::Arc;
use std::time::Duration;

use events::Envelope;
use futures_util::future::join_all;
use tokio::sync::Notify;
use tracing::Instrument as _;

use crate::Shutdown;
use crate::bus::EventBus;
use crate::db::{self, Database, Engine, Transaction};

/// Creates the outbox and inbox tables when missing, as the migrations of every service that
/// publishes or consumes do (`<n>_outbox_inbox.sql`); for databases that have no migrations of
/// their own, such as this crate's tests.
pub async fn install(database: &Database) -> anyhow::Result<()> {
    let integer = match database.engine() {
        Engine::Sqlite => "INTEGER",
        Engine::Postgres => "BIGINT",
    };
    let statements = [
        format!(
            "CREATE TABLE IF NOT EXISTS outbox (id TEXT PRIMARY KEY, subject TEXT NOT NULL, envelope TEXT NOT NULL, \
             created_at {integer} NOT NULL, published_at {integer})"
        ),
        "CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (created_at) WHERE published_at IS NULL".to_owned(),
        // For `prune`, which would otherwise read the whole table (an hour of events) every
        // minute.
        "CREATE INDEX IF NOT EXISTS outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL".to_owned(),
        format!(
            "CREATE TABLE IF NOT EXISTS inbox (consumer TEXT NOT NULL, event_id TEXT NOT NULL, \
             received_at {integer} NOT NULL, PRIMARY KEY (consumer, event_id))"
        ),
    ];
    for statement in statements {
        // Built from the constants above only.
        db::query(statement).execute(database.writer()).await?;
    }
    Ok(())
}

/// Adds `envelope` to the outbox inside `transaction`; it is published once that commits, and
/// the commit wakes the relay.
/// The envelope takes the current trace when it has none.
pub async fn append(
    transaction: &mut Transaction,
    subject: &str,
    envelope: Envelope,
) -> Result<(), db::Error> {
    let envelope = match envelope.traceparent {
        Some(_) => envelope,
        None => {
            let traceparent =
                crate::telemetry::current_trace().map(|trace| trace.child_traceparent());
            envelope.with_traceparent(traceparent)
        }
    };
    let text =
        serde_json::to_string(&envelope).map_err(|error| db::Error::Encode(Box::new(error)))?;
    db::query("INSERT INTO outbox (id, subject, envelope, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&envelope.id)
        .bind(subject)
        .bind(text)
        .bind(crate::unix_now_ms())
        .execute(&mut **transaction)
        .await?;
    transaction.appended_to_outbox();
    Ok(())
}

/// Records that `consumer` has seen `event_id`, inside the transaction of its effect; false when
/// it had seen it before, and the effect must not be applied again.
pub async fn first_delivery(
    transaction: &mut Transaction,
    consumer: &str,
    event_id: &str,
) -> Result<bool, db::Error> {
    let inserted = db::query(
        "INSERT INTO inbox (consumer, event_id, received_at) VALUES ($1, $2, $3) ON CONFLICT (consumer, event_id) DO NOTHING",
    )
    .bind(consumer)
    .bind(event_id)
    .bind(crate::unix_now_ms())
    .execute(&mut **transaction)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// The producer span of publishing `envelope`, and the envelope with that span as its parent.
fn publishing(subject: &str, mut envelope: Envelope) -> (tracing::Span, Envelope) {
    let traceparent = envelope.traceparent.as_deref();
    let span = crate::telemetry::producer_span(subject, &envelope.id, traceparent);
    if let Some((trace_id, parent_span_id, sampled)) = crate::telemetry::span_ids(&span) {
        let context = crate::telemetry::TraceContext {
            trace_id,
            parent_span_id,
            sampled,
        };
        envelope.traceparent = Some(context.traceparent());
    }
    (span, envelope)
}

/// Wakes a relay at once, rather than at its next poll. Every commit of a transaction that
/// appended to the outbox wakes its database's relay by itself.
#[derive(Clone, Debug, Default)]
pub struct RelayWaker(Arc<Notify>);

impl RelayWaker {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Publishes a service's pending outbox rows to the bus.
pub struct Relay {
    database: Database,
    bus: Arc<dyn EventBus>,
    waker: RelayWaker,
    batch_size: i64,
    poll_interval: Duration,
    /// How long published rows are kept (for inspection) before `prune` deletes them.
    retention: Duration,
}

/// How often the relay prunes published rows.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// How long a relay that has just published lets new events gather before its next pass.
const GATHER: Duration = Duration::from_millis(10);

impl std::fmt::Debug for Relay {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Relay").finish_non_exhaustive()
    }
}

impl Relay {
    pub fn new(database: Database, bus: Arc<dyn EventBus>) -> Relay {
        Relay {
            waker: RelayWaker(database.outbox_committed()),
            database,
            bus,
            batch_size: 100,
            poll_interval: Duration::from_millis(500),
            retention: Duration::from_secs(3600),
        }
    }

    /// The handle a service wakes the relay with after it commits events.
    pub fn waker(&self) -> RelayWaker {
        self.waker.clone()
    }

    /// Publishes pending rows until `shutdown`; on a failure it waits for the next poll and tries
    /// again, so that events wait in the outbox while the bus is away.
    pub async fn run_until_stopped(self, shutdown: Shutdown) {
        let mut last_prune = std::time::Instant::now();
        loop {
            if last_prune.elapsed() >= PRUNE_EVERY {
                last_prune = std::time::Instant::now();
                if let Err(error) = self.prune().await {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "pruning the outbox failed; trying again later"
                    );
                }
            }
            // A publish waits for the bus; shutdown does not. An interrupted batch stays
            // unmarked and goes out again after the restart; consumers drop the repeats.
            let result = tokio::select! {
                _ = shutdown.wait() => return,
                result = self.publish_pending() => result,
            };
            let published = match result {
                Ok(published) => published,
                Err(error) => {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "the outbox relay will try again"
                    );
                    0
                }
            };
            if published as i64 == self.batch_size {
                continue;
            }
            let woken = tokio::select! {
                _ = shutdown.wait() => return,
                _ = self.waker.0.notified() => true,
                _ = tokio::time::sleep(self.poll_interval) => false,
            };
            // Under load, commits come faster than passes: let a few gather, so that one read
            // and one marking commit serve several events rather than one each.
            if woken && published > 0 {
                tokio::select! {
                    _ = shutdown.wait() => return,
                    _ = tokio::time::sleep(GATHER) => {}
                }
            }
        }
    }

    /// Deletes rows published longer ago than the retention; returns how many. Unpublished rows
    /// are never deleted.
    pub async fn prune(&self) -> anyhow::Result<u64> {
        let before = crate::unix_now_ms() - self.retention.as_millis() as i64;
        let deleted =
            db::query("DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < $1")
                .bind(before)
                .execute(self.database.writer())
                .await?;
        Ok(deleted.rows_affected())
    }

    /// Keeps published rows this long before `prune` deletes them (an hour by default).
    pub fn with_retention(mut self, retention: Duration) -> Relay {
        self.retention = retention;
        self
    }

    /// One pass: publishes up to a batch of pending rows, oldest first, and marks them.
    /// Returns how many it published.
    pub async fn publish_pending(&self) -> anyhow::Result<usize> {
        let rows = db::query(
            "SELECT id, subject, envelope FROM outbox WHERE published_at IS NULL ORDER BY created_at, id LIMIT $1",
        )
        .bind(self.batch_size)
        .fetch_all(self.database.pool())
        .await?;
        let mut pending = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = row.try_get("id")?;
            let subject: String = row.try_get("subject")?;
            let envelope: Envelope = serde_json::from_str(&row.try_get::<String, _>("envelope")?)?;
            pending.push((id, subject, envelope));
        }
        let published = join_all(
            pending
                .into_iter()
                .map(|(id, subject, envelope)| async move {
                    let (span, envelope) = publishing(&subject, envelope);
                    let published = self
                        .bus
                        .publish(&subject, envelope)
                        .instrument(span.clone());
                    let published = published.await.map(|()| id);
                    if let Err(error) = &published {
                        crate::telemetry::mark_error(&span, &error.to_string());
                    }
                    published
                }),
        )
        .await;
        let mut marked = Vec::with_capacity(published.len());
        for result in published {
            match result {
                Ok(id) => marked.push(id),
                Err(error) => tracing::warn!(%error, "an event stays in the outbox"),
            }
        }
        // One statement marks the batch: a commit is an fsync, and fsyncs are the budget. The
        // ids travel as one JSON array, so the statement's text is the same for every batch
        // and prepared once (an IN list would be a new statement for each batch size). On
        // PostgreSQL `= ANY (ARRAY(...))` looks the ids up in the primary key; PostgreSQL
        // plans `IN (SELECT ...)` of a function as a join, which scanned the whole outbox.
        if !marked.is_empty() {
            let statement = match self.database.engine() {
                Engine::Sqlite => {
                    "UPDATE outbox SET published_at = $1 WHERE id IN (SELECT value FROM json_each($2))"
                }
                Engine::Postgres => {
                    "UPDATE outbox SET published_at = $1 WHERE id = ANY (ARRAY(SELECT jsonb_array_elements_text($2::jsonb)))"
                }
            };
            let ids = serde_json::to_string(&marked)?;
            db::query(statement)
                .bind(crate::unix_now_ms())
                .bind(ids)
                .execute(self.database.writer())
                .await?;
        }
        let count = marked.len();
        Ok(count)
    }
}

/// A service's handle on its outbox: wake the relay after a commit, and run the relay once in
/// the service's background work. Cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    database: Database,
    waker: RelayWaker,
    relay: Arc<std::sync::Mutex<Option<Relay>>>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Outbox").finish_non_exhaustive()
    }
}

impl Outbox {
    pub fn new(database: Database, bus: Arc<dyn EventBus>) -> Outbox {
        let relay = Relay::new(database.clone(), bus);
        Outbox {
            database,
            waker: relay.waker(),
            relay: Arc::new(std::sync::Mutex::new(Some(relay))),
        }
    }

    /// How many events wait to be published, and how long the oldest has waited.
    pub async fn backlog(&self) -> anyhow::Result<(u64, Duration)> {
        let row = db::query(
            "SELECT COUNT(*) AS pending, MIN(created_at) AS oldest FROM outbox WHERE published_at IS NULL",
        )
        .fetch_one(self.database.pool())
        .await?;
        let pending: i64 = row.try_get("pending")?;
        let oldest: Option<i64> = row.try_get("oldest")?;
        let waited = oldest.map_or(0, |oldest| (crate::unix_now_ms() - oldest).max(0));
        Ok((pending as u64, Duration::from_millis(waited as u64)))
    }

    /// Tells the relay that events were committed.
    pub fn wake(&self) {
        self.waker.wake();
    }

    /// Runs the relay until `shutdown`; a second call returns at once.
    pub async fn run_relay(&self, shutdown: Shutdown) {
        let relay = self
            .relay
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(relay) = relay {
            relay.run_until_stopped(shutdown).await;
        }
    }
}
