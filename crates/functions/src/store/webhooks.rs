//! Webhook endpoints and their deliveries: queued by the consumer, taken by the sender when
//! due, then delivered, retried later or dead; the log of each endpoint's deliveries.

use platform::db::{self, Row};

use super::Store;
use super::lease::Queue;
use crate::store::Retry;

/// A merchant's endpoint.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EndpointRow {
    pub id: String,
    pub url: String,
    pub event_types: Vec<String>,
    pub secret: String,
    pub description: String,
    pub transform: String,
    pub enabled: bool,
    pub created_at: i64,
}

/// One event to one endpoint.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DeliveryRow {
    pub id: i64,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_type: String,
    pub envelope: String,
    pub state: String,
    pub attempts: u32,
    pub last_status: u32,
    pub last_error: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

const ENDPOINT_COLUMNS: &str =
    "id, url, event_types, secret, description, transform, enabled, created_at";
const DELIVERY_COLUMNS: &str = "id, endpoint_id, event_id, event_type, envelope, state, attempts, last_status, last_error, created_at, updated_at";

const DELIVERIES: Queue<DeliveryRow> = Queue {
    table: "webhook_deliveries",
    columns: DELIVERY_COLUMNS,
    row_of: delivery_of,
    id_of: |delivery| delivery.id,
};

fn endpoint_of(row: &Row) -> anyhow::Result<EndpointRow> {
    Ok(EndpointRow {
        id: row.try_get(0)?,
        url: row.try_get(1)?,
        event_types: serde_json::from_str(&row.try_get::<String, _>(2)?)?,
        secret: row.try_get(3)?,
        description: row.try_get(4)?,
        transform: row.try_get(5)?,
        enabled: row.try_get(6)?,
        created_at: row.try_get(7)?,
    })
}

fn delivery_of(row: &Row) -> anyhow::Result<DeliveryRow> {
    Ok(DeliveryRow {
        id: row.try_get(0)?,
        endpoint_id: row.try_get(1)?,
        event_id: row.try_get(2)?,
        event_type: row.try_get(3)?,
        envelope: row.try_get(4)?,
        state: row.try_get(5)?,
        attempts: row.try_get(6)?,
        last_status: row.try_get(7)?,
        last_error: row.try_get(8)?,
        created_at_ms: row.try_get(9)?,
        updated_at_ms: row.try_get(10)?,
    })
}

impl Store {
    pub(crate) async fn add_endpoint(&self, endpoint: &EndpointRow) -> anyhow::Result<()> {
        db::query("INSERT INTO webhook_endpoints (id, url, event_types, secret, description, transform, enabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&endpoint.id)
            .bind(&endpoint.url)
            .bind(serde_json::to_string(&endpoint.event_types)?)
            .bind(&endpoint.secret)
            .bind(&endpoint.description)
            .bind(&endpoint.transform)
            .bind(endpoint.enabled)
            .bind(endpoint.created_at)
            .execute(self.database.writer())
            .await?;
        Ok(())
    }

    pub(crate) async fn endpoints(&self) -> anyhow::Result<Vec<EndpointRow>> {
        // nosemgrep: emporium-sql-from-format -- the SQL text takes only the const column list.
        let sql =
            format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at, id");
        let rows = db::query(sql).fetch_all(self.database.pool()).await?;
        rows.iter().map(endpoint_of).collect()
    }

    /// Removes an endpoint and its deliveries; false when there is none.
    pub(crate) async fn remove_endpoint(&self, id: &str) -> anyhow::Result<bool> {
        let mut transaction = self.database.begin_write().await?;
        db::query("DELETE FROM webhook_deliveries WHERE endpoint_id = $1")
            .bind(id)
            .execute(&mut *transaction)
            .await?;
        let done = db::query("DELETE FROM webhook_endpoints WHERE id = $1")
            .bind(id)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn disable_endpoint(&self, id: &str) -> anyhow::Result<()> {
        db::query("UPDATE webhook_endpoints SET enabled = $1 WHERE id = $2")
            .bind(false)
            .bind(id)
            .execute(self.database.writer())
            .await?;
        Ok(())
    }

    /// Queues `envelope` for each of `endpoints`; an event queued for an endpoint before is not
    /// queued again.
    pub(crate) async fn enqueue_webhooks(
        &self,
        endpoints: &[String],
        (event_id, event_type): (&str, &str),
        envelope: &str,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        let mut transaction = self.database.begin_write().await?;
        for endpoint in endpoints {
            db::query("INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, envelope, state, attempts, next_at_ms, last_status, last_error, created_at, updated_at) VALUES ($1, $2, $3, $4, 'pending', 0, $5, 0, '', $5, $5) ON CONFLICT (endpoint_id, event_id) DO NOTHING")
                .bind(endpoint)
                .bind(event_id)
                .bind(event_type)
                .bind(envelope)
                .bind(now_ms)
                .execute(&mut *transaction)
                .await?;
        }
        Ok(transaction.commit().await?)
    }

    /// Takes up to `limit` due deliveries and puts them off by `lease_ms`, so that no other
    /// look (here or on another replica) takes them while they are being sent.
    pub(crate) async fn lease_webhooks(
        &self,
        now_ms: i64,
        limit: u32,
        lease_ms: i64,
    ) -> anyhow::Result<Vec<DeliveryRow>> {
        self.lease(&DELIVERIES, now_ms, limit, lease_ms).await
    }

    /// Forgets deliveries delivered before `before_ms`; dead ones stay until replayed.
    pub(crate) async fn forget_delivered(&self, before_ms: i64) -> anyhow::Result<u64> {
        self.forget(&DELIVERIES, "delivered", before_ms).await
    }

    /// Records an attempt: delivered (`retry` None), again later, or dead.
    pub(crate) async fn webhook_attempted(
        &self,
        id: i64,
        status: u32,
        error: &str,
        retry: Option<Retry>,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        let (state, next_at_ms) = match retry {
            None => ("delivered", now_ms),
            Some(Retry::At(at)) => ("pending", at),
            Some(Retry::Dead) => ("dead", now_ms),
        };
        db::query("UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, next_at_ms = $2, last_status = $3, last_error = $4, updated_at = $5 WHERE id = $6")
            .bind(state)
            .bind(next_at_ms)
            .bind(status)
            .bind(error)
            .bind(now_ms)
            .bind(id)
            .execute(self.database.writer())
            .await?;
        Ok(())
    }

    /// An endpoint's latest deliveries, newest first.
    pub(crate) async fn webhook_deliveries(
        &self,
        endpoint_id: &str,
        limit: u32,
    ) -> anyhow::Result<Vec<DeliveryRow>> {
        // nosemgrep: emporium-sql-from-format -- the SQL text takes only the const column list.
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY id DESC LIMIT $2"
        );
        let rows = db::query(sql)
            .bind(endpoint_id)
            .bind(limit)
            .fetch_all(self.database.pool())
            .await?;
        rows.iter().map(delivery_of).collect()
    }

    /// Sends a delivery again from its first attempt, whatever became of it; false when there
    /// is none.
    pub(crate) async fn replay_webhook(
        &self,
        endpoint_id: &str,
        event_id: &str,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let done = db::query("UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_at_ms = $1, updated_at = $1 WHERE endpoint_id = $2 AND event_id = $3")
            .bind(now_ms)
            .bind(endpoint_id)
            .bind(event_id)
            .execute(self.database.writer())
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
