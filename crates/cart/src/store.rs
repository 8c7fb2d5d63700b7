//! The only code that touches the cart's database.

use platform::db::Database;
use sqlx::Row;

use crate::error::Error;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

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

    /// A user's lines as (sku, quantity), oldest first.
    pub(crate) async fn lines(&self, user_id: &str) -> Result<Vec<(String, i64)>, Error> {
        let rows = sqlx::query(
            "SELECT sku, quantity FROM cart_lines WHERE user_id = $1 ORDER BY added_at, sku",
        )
        .bind(user_id)
        .fetch_all(self.database.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("sku")?, row.try_get("quantity")?)))
            .collect()
    }

    /// Adds `quantity` to a line, creating it; refuses to pass `max_quantity` or `max_lines`.
    pub(crate) async fn add(
        &self,
        user_id: &str,
        sku: &str,
        quantity: i64,
        max_quantity: u32,
        max_lines: u32,
        now: i64,
    ) -> Result<(), Error> {
        let mut transaction = self.database.begin_write().await?;
        ensure_room_for(&mut transaction, user_id, sku, max_lines).await?;
        let result = sqlx::query(
            "INSERT INTO cart_lines (user_id, sku, quantity, added_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, sku) DO UPDATE SET quantity = cart_lines.quantity + excluded.quantity \
             WHERE cart_lines.quantity + excluded.quantity <= $5",
        )
        .bind(user_id)
        .bind(sku)
        .bind(quantity)
        .bind(now)
        .bind(i64::from(max_quantity))
        .execute(&mut *transaction)
        .await?;
        if result.rows_affected() == 0 {
            return Err(Error::TooMany(max_quantity));
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Sets a line's quantity, creating it.
    pub(crate) async fn set(
        &self,
        user_id: &str,
        sku: &str,
        quantity: i64,
        max_lines: u32,
        now: i64,
    ) -> Result<(), Error> {
        let mut transaction = self.database.begin_write().await?;
        ensure_room_for(&mut transaction, user_id, sku, max_lines).await?;
        sqlx::query(
            "INSERT INTO cart_lines (user_id, sku, quantity, added_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, sku) DO UPDATE SET quantity = excluded.quantity",
        )
        .bind(user_id)
        .bind(sku)
        .bind(quantity)
        .bind(now)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(())
    }

    pub(crate) async fn remove(&self, user_id: &str, sku: &str) -> Result<(), Error> {
        sqlx::query("DELETE FROM cart_lines WHERE user_id = $1 AND sku = $2")
            .bind(user_id)
            .bind(sku)
            .execute(self.database.writer())
            .await?;
        Ok(())
    }

    pub(crate) async fn clear(&self, user_id: &str) -> Result<(), Error> {
        sqlx::query("DELETE FROM cart_lines WHERE user_id = $1")
            .bind(user_id)
            .execute(self.database.writer())
            .await?;
        Ok(())
    }
}

/// Fails when the cart already holds `max_lines` skus other than `sku`.
async fn ensure_room_for(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: &str,
    sku: &str,
    max_lines: u32,
) -> Result<(), Error> {
    let other_lines: i64 =
        sqlx::query("SELECT COUNT(*) FROM cart_lines WHERE user_id = $1 AND sku <> $2")
            .bind(user_id)
            .bind(sku)
            .fetch_one(&mut **transaction)
            .await?
            .try_get(0)?;
    if other_lines >= i64::from(max_lines) {
        return Err(Error::TooManyLines(max_lines));
    }
    Ok(())
}
