//! The invocations kept: recorded in batches with the events they emitted, read newest
//! first, pruned per function.

use platform::db::{self, Row};

use super::{InvocationRow, KEPT_INVOCATIONS, Store};
use crate::domain::Measured;

impl Store {
    /// Keeps `rows` and publishes what they emitted (`(subject, envelope)`), in one transaction.
    pub(crate) async fn record_invocations(
        &self,
        rows: &[InvocationRow],
        emitted: Vec<(String, events::Envelope)>,
    ) -> anyhow::Result<()> {
        let mut transaction = self.database.begin_write().await?;
        for row in rows {
            db::query("INSERT INTO invocations (function, version, triggered_by, at_ms, duration_ms, fuel, peak_memory_bytes, memory_limit_bytes, cold, fault_kind, fault, logs, trace_id, replica) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")
                .bind(&row.function)
                .bind(row.version)
                .bind(&row.triggered_by)
                .bind(row.at_ms)
                .bind(row.duration_ms)
                .bind(row.fuel)
                .bind(row.peak_memory_bytes)
                .bind(row.memory_limit_bytes)
                .bind(row.cold)
                .bind(&row.fault_kind)
                .bind(&row.fault)
                .bind(&row.logs)
                .bind(&row.trace_id)
                .bind(&row.replica)
                .execute(&mut *transaction)
                .await?;
        }
        for (subject, envelope) in emitted {
            platform::outbox::append(&mut transaction, &subject, envelope).await?;
        }
        let mut names: Vec<&str> = rows.iter().map(|row| row.function.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        for name in names {
            db::query("DELETE FROM invocations WHERE function = $1 AND id <= (SELECT COALESCE(MAX(id), 0) FROM invocations WHERE function = $1) - $2")
                .bind(name)
                .bind(KEPT_INVOCATIONS)
                .execute(&mut *transaction)
                .await?;
        }
        Ok(transaction.commit().await?)
    }

    /// The latest `limit` invocations of `function`, newest first.
    pub(crate) async fn invocations(
        &self,
        function: &str,
        limit: u32,
    ) -> anyhow::Result<Vec<InvocationRow>> {
        let rows = db::query("SELECT function, version, triggered_by, at_ms, duration_ms, fuel, peak_memory_bytes, memory_limit_bytes, cold, fault_kind, fault, logs, trace_id, replica FROM invocations WHERE function = $1 ORDER BY id DESC LIMIT $2")
            .bind(function)
            .bind(limit)
            .fetch_all(self.database.pool())
            .await?;
        rows.iter().map(invocation_of).collect()
    }

    /// Whether each of the latest `limit` invocations of a version failed, newest first.
    pub(crate) async fn recent_outcomes(
        &self,
        function: &str,
        version: u32,
        limit: u32,
    ) -> anyhow::Result<Vec<bool>> {
        let rows = db::query("SELECT fault_kind FROM invocations WHERE function = $1 AND version = $2 ORDER BY id DESC LIMIT $3")
            .bind(function)
            .bind(version)
            .bind(limit)
            .fetch_all(self.database.pool())
            .await?;
        rows.iter()
            .map(|row| Ok(!row.try_get::<String, _>(0)?.is_empty()))
            .collect()
    }

    /// The figures of every invocation kept of `function`, for its usage.
    pub(crate) async fn measured(&self, function: &str) -> anyhow::Result<Vec<Measured>> {
        let rows = db::query("SELECT duration_ms, fuel, memory_limit_bytes, cold, fault_kind FROM invocations WHERE function = $1")
            .bind(function)
            .fetch_all(self.database.pool())
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Measured {
                    duration_ms: row.try_get(0)?,
                    fuel: u64::try_from(row.try_get::<i64, _>(1)?)?,
                    memory_limit_bytes: u64::try_from(row.try_get::<i64, _>(2)?)?,
                    cold: row.try_get(3)?,
                    failed: !row.try_get::<String, _>(4)?.is_empty(),
                })
            })
            .collect()
    }
}

fn invocation_of(row: &Row) -> anyhow::Result<InvocationRow> {
    Ok(InvocationRow {
        function: row.try_get(0)?,
        version: row.try_get(1)?,
        triggered_by: row.try_get(2)?,
        at_ms: row.try_get(3)?,
        duration_ms: row.try_get(4)?,
        fuel: row.try_get(5)?,
        peak_memory_bytes: row.try_get(6)?,
        memory_limit_bytes: row.try_get(7)?,
        cold: row.try_get(8)?,
        fault_kind: row.try_get(9)?,
        fault: row.try_get(10)?,
        logs: row.try_get(11)?,
        trace_id: row.try_get(12)?,
        replica: row.try_get(13)?,
    })
}
