//! Event deliveries to functions: queued by the consumer, taken by the worker when due, then
//! done (with the events the function emitted, in the same transaction), retried later, or
//! dead; dead ones are listed and replayed.

use events::Envelope;
use platform::db::{self, Row};

use super::Store;
use super::lease::Queue;

/// A delivery of one event to one function.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Job {
    pub id: i64,
    pub function: String,
    pub event_id: String,
    /// The CloudEvents envelope, JSON.
    pub envelope: String,
    pub attempts: u32,
    pub last_error: String,
    pub created_at_ms: i64,
}

/// What happens to a delivery that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Again at this Unix millisecond.
    At(i64),
    /// Never again, unless replayed.
    Dead,
}

const COLUMNS: &str = "id, function, event_id, envelope, attempts, last_error, created_at";

const JOBS: Queue<Job> = Queue {
    table: "event_jobs",
    columns: COLUMNS,
    row_of: job_of,
    id_of: |job| job.id,
};

fn job_of(row: &Row) -> anyhow::Result<Job> {
    Ok(Job {
        id: row.try_get(0)?,
        function: row.try_get(1)?,
        event_id: row.try_get(2)?,
        envelope: row.try_get(3)?,
        attempts: row.try_get(4)?,
        last_error: row.try_get(5)?,
        created_at_ms: row.try_get(6)?,
    })
}

impl Store {
    /// Queues `envelope` (whose id is `event_id`) for each of `functions`; a delivery queued
    /// before is not queued again.
    pub(crate) async fn enqueue(
        &self,
        functions: &[String],
        event_id: &str,
        envelope: &str,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        let mut transaction = self.database.begin_write().await?;
        for function in functions {
            db::query("INSERT INTO event_jobs (function, event_id, envelope, state, attempts, next_at_ms, last_error, created_at, updated_at) VALUES ($1, $2, $3, 'pending', 0, $4, '', $4, $4) ON CONFLICT (function, event_id) DO NOTHING")
                .bind(function)
                .bind(event_id)
                .bind(envelope)
                .bind(now_ms)
                .execute(&mut *transaction)
                .await?;
        }
        Ok(transaction.commit().await?)
    }

    /// Takes up to `limit` deliveries due by `now_ms`, the longest waiting first, and puts them
    /// off by `lease_ms`, so that no other replica runs them meanwhile.
    pub(crate) async fn due(
        &self,
        now_ms: i64,
        limit: u32,
        lease_ms: i64,
    ) -> anyhow::Result<Vec<Job>> {
        self.lease(&JOBS, now_ms, limit, lease_ms).await
    }

    /// Marks a delivery done and publishes what the function emitted, in one transaction.
    pub(crate) async fn finish(
        &self,
        id: i64,
        emitted: Vec<(String, Envelope)>,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        let mut transaction = self.database.begin_write().await?;
        db::query("UPDATE event_jobs SET state = 'done', attempts = attempts + 1, last_error = '', updated_at = $1 WHERE id = $2")
            .bind(now_ms)
            .bind(id)
            .execute(&mut *transaction)
            .await?;
        for (subject, envelope) in emitted {
            platform::outbox::append(&mut transaction, &subject, envelope).await?;
        }
        Ok(transaction.commit().await?)
    }

    /// Records a failed attempt: to be tried again, or dead.
    pub(crate) async fn failed(
        &self,
        id: i64,
        retry: Retry,
        error: &str,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        let (state, next_at_ms) = match retry {
            Retry::At(at) => ("pending", at),
            Retry::Dead => ("dead", now_ms),
        };
        db::query("UPDATE event_jobs SET state = $1, attempts = attempts + 1, next_at_ms = $2, last_error = $3, updated_at = $4 WHERE id = $5")
            .bind(state)
            .bind(next_at_ms)
            .bind(error)
            .bind(now_ms)
            .bind(id)
            .execute(self.database.writer())
            .await?;
        Ok(())
    }

    /// Puts a delivery off to `next_at_ms` without counting an attempt.
    pub(crate) async fn postpone(&self, id: i64, next_at_ms: i64) -> anyhow::Result<()> {
        db::query("UPDATE event_jobs SET next_at_ms = $1 WHERE id = $2")
            .bind(next_at_ms)
            .bind(id)
            .execute(self.database.writer())
            .await?;
        Ok(())
    }

    /// The dead deliveries of `function`, newest first.
    pub(crate) async fn dead(&self, function: &str, limit: u32) -> anyhow::Result<Vec<Job>> {
        // nosemgrep: emporium-sql-from-format -- the SQL text takes only the const column list.
        let sql = format!(
            "SELECT {COLUMNS} FROM event_jobs WHERE state = 'dead' AND function = $1 ORDER BY updated_at DESC LIMIT $2"
        );
        let rows = db::query(sql)
            .bind(function)
            .bind(limit)
            .fetch_all(self.database.pool())
            .await?;
        rows.iter().map(job_of).collect()
    }

    /// Queues a dead delivery again, from its first attempt; false when there is none.
    pub(crate) async fn replay(
        &self,
        function: &str,
        event_id: &str,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let done = db::query("UPDATE event_jobs SET state = 'pending', attempts = 0, next_at_ms = $1, updated_at = $1 WHERE function = $2 AND event_id = $3 AND state = 'dead'")
            .bind(now_ms)
            .bind(function)
            .bind(event_id)
            .execute(self.database.writer())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Forgets deliveries done before `before_ms`.
    pub(crate) async fn forget_done(&self, before_ms: i64) -> anyhow::Result<u64> {
        self.forget(&JOBS, "done", before_ms).await
    }
}
