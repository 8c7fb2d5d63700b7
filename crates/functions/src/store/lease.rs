//! Taking due rows from a queue table (`event_jobs`, `webhook_deliveries`): each row taken is
//! put off by a lease in the same transaction, with a compare-and-set on its due time, so that
//! of two replicas looking at once only one takes it (on PostgreSQL the second's update waits
//! for the first's and then finds the row no longer due). A taker that dies leaves its rows to
//! be taken again when the lease ends.

use platform::db::{self, Row};

use super::Store;

/// A queue table: its name, the columns a row is read with, and how.
pub(super) struct Queue<T> {
    pub table: &'static str,
    pub columns: &'static str,
    pub row_of: fn(&Row) -> anyhow::Result<T>,
    pub id_of: fn(&T) -> i64,
}

impl Store {
    /// Up to `limit` rows of `queue` pending and due by `now_ms`, the longest waiting first,
    /// each put off to `now_ms + lease_ms`.
    pub(super) async fn lease<T>(
        &self,
        queue: &Queue<T>,
        now_ms: i64,
        limit: u32,
        lease_ms: i64,
    ) -> anyhow::Result<Vec<T>> {
        let (table, columns) = (queue.table, queue.columns);
        let mut transaction = self.database.begin_write().await?;
        // nosemgrep: emporium-sql-from-format -- the SQL text takes only a queue's const table and columns.
        let rows = db::query(format!(
            "SELECT {columns} FROM {table} WHERE state = 'pending' AND next_at_ms <= $1 ORDER BY next_at_ms LIMIT $2"
        ))
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&mut *transaction)
        .await?;
        let mut leased = Vec::with_capacity(rows.len());
        // nosemgrep: emporium-sql-from-format -- the SQL text takes only a queue's const table.
        let take = format!(
            "UPDATE {table} SET next_at_ms = $1 WHERE id = $2 AND state = 'pending' AND next_at_ms <= $3"
        );
        for row in &rows {
            let item = (queue.row_of)(row)?;
            let taken = db::query(take.as_str())
                .bind(now_ms + lease_ms)
                .bind((queue.id_of)(&item))
                .bind(now_ms)
                .execute(&mut *transaction)
                .await?;
            if taken.rows_affected() == 1 {
                leased.push(item);
            }
        }
        transaction.commit().await?;
        Ok(leased)
    }

    /// Forgets the rows of `queue` in `state` (done, delivered) last changed before
    /// `before_ms`; answers how many.
    pub(super) async fn forget<T>(
        &self,
        queue: &Queue<T>,
        state: &str,
        before_ms: i64,
    ) -> anyhow::Result<u64> {
        let table = queue.table;
        // nosemgrep: emporium-sql-from-format -- the SQL text takes only a queue's const table.
        let forgotten = db::query(format!(
            "DELETE FROM {table} WHERE state = $1 AND updated_at < $2"
        ))
        .bind(state)
        .bind(before_ms)
        .execute(self.database.writer())
        .await?;
        Ok(forgotten.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_row_leased_is_not_leased_again_until_its_lease_ends() {
        for engine in test_support::engines() {
            let url = test_support::fresh_database_url(engine).await.unwrap();
            let store = Store::open(&url).await.unwrap();
            let functions = ["loyalty".to_owned()];
            store.enqueue(&functions, "e-1", "{}", 1_000).await.unwrap();

            let first = store.due(1_000, 16, 5_000).await.unwrap();
            assert_eq!(first.len(), 1, "{engine}");
            assert!(store.due(1_000, 16, 5_000).await.unwrap().is_empty());
            assert!(store.due(5_999, 16, 5_000).await.unwrap().is_empty());
            let again = store.due(6_000, 16, 5_000).await.unwrap();
            assert_eq!(again, first, "{engine}: taken again once the lease ended");

            store.finish(again[0].id, Vec::new(), 7_000).await.unwrap();
            assert_eq!(store.forget_done(7_000).await.unwrap(), 0, "{engine}");
            assert_eq!(store.forget_done(7_001).await.unwrap(), 1, "{engine}");
        }
    }
}
