//! The only code that touches the notifications database: the inbox and what was sent.

use platform::db::{self, Database};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The durable consumer's name, and its name in the inbox.
pub(crate) const CONSUMER: &str = "notifications";

#[derive(Clone, Debug)]
pub(crate) struct Store {
    database: Database,
}

impl Store {
    pub(crate) async fn open(database_url: &str) -> anyhow::Result<Store> {
        let database =
            Database::open(database_url, &SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS).await?;
        Ok(Store { database })
    }

    /// Whether this event was handled before.
    pub(crate) async fn seen(&self, event_id: &str) -> anyhow::Result<bool> {
        let row = db::query("SELECT COUNT(*) FROM inbox WHERE consumer = $1 AND event_id = $2")
            .bind(CONSUMER)
            .bind(event_id)
            .fetch_one(self.database.pool())
            .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }

    /// Records that the event was handled and its message sent, once.
    pub(crate) async fn record(
        &self,
        event_id: &str,
        recipient: &str,
        subject: &str,
        now: i64,
    ) -> anyhow::Result<()> {
        let mut transaction = self.database.begin_write().await?;
        if platform::outbox::first_delivery(&mut transaction, CONSUMER, event_id).await? {
            db::query("INSERT INTO sent_messages (event_id, recipient, subject, sent_at) VALUES ($1, $2, $3, $4)")
                .bind(event_id)
                .bind(recipient)
                .bind(subject)
                .bind(now)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// How many messages were sent to `recipient`.
    pub async fn sent_to(&self, recipient: &str) -> anyhow::Result<i64> {
        let row = db::query("SELECT COUNT(*) FROM sent_messages WHERE recipient = $1")
            .bind(recipient)
            .fetch_one(self.database.pool())
            .await?;
        Ok(row.try_get(0)?)
    }
}
