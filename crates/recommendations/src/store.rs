//! The only code that touches the recommendations database: the inbox, the co-purchase graph
//! (adjacency rows), what each user bought, and sales per day.

use std::collections::HashMap;

use platform::db::{self, Database, Engine};

use crate::domain::Edge;
use crate::error::Error;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The durable consumer's name, and its name in the inbox.
pub(crate) const CONSUMER: &str = "recommendations";

const ADD_EDGE: &str = "INSERT INTO co_purchases (sku, other_sku, weight) VALUES ($1, $2, 1) \
     ON CONFLICT (sku, other_sku) DO UPDATE SET weight = co_purchases.weight + 1";
const ADD_PURCHASE: &str = "INSERT INTO user_products (user_id, sku, orders, last_at) \
     VALUES ($1, $2, 1, $3) ON CONFLICT (user_id, sku) DO UPDATE \
     SET orders = user_products.orders + 1, last_at = excluded.last_at";
const ADD_SALE: &str = "INSERT INTO daily_sales (sku, day, orders) VALUES ($1, $2, 1) \
     ON CONFLICT (sku, day) DO UPDATE SET orders = daily_sales.orders + 1";

/// A confirmed order as the graph takes it.
#[derive(Clone, Debug)]
pub(crate) struct Purchase<'a> {
    pub event_id: &'a str,
    pub user_id: &'a str,
    pub basket: &'a [String],
    pub pairs: &'a [(String, String)],
    pub at_ms: i64,
    pub day: i64,
}

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

    /// Adds a confirmed order to the graph, its buyer's products and the day's sales, in one
    /// transaction with the inbox row: false (and nothing written) when the event was applied
    /// before.
    pub(crate) async fn apply(&self, purchase: &Purchase<'_>) -> Result<bool, Error> {
        let mut transaction = self.database.begin_write().await?;
        if !platform::outbox::first_delivery(&mut transaction, CONSUMER, purchase.event_id).await? {
            return Ok(false);
        }
        for (sku, other) in purchase.pairs {
            db::query(ADD_EDGE)
                .bind(sku)
                .bind(other)
                .execute(&mut *transaction)
                .await?;
        }
        for sku in purchase.basket {
            db::query(ADD_PURCHASE)
                .bind(purchase.user_id)
                .bind(sku)
                .bind(purchase.at_ms)
                .execute(&mut *transaction)
                .await?;
            db::query(ADD_SALE)
                .bind(sku)
                .bind(purchase.day)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(true)
    }

    /// The `per_sku` heaviest neighbours of each of `skus`, with each sku's total weight (a
    /// PostgreSQL sum of BIGINTs is NUMERIC, hence the casts): one query, ranked by a window function (which both engines have), so a walk's fan-out is
    /// bounded at every hop, which a recursive query could not bound per node.
    pub(crate) async fn neighbours(
        &self,
        skus: &[String],
        per_sku: usize,
    ) -> Result<HashMap<String, Vec<Edge>>, Error> {
        if skus.is_empty() {
            return Ok(HashMap::new());
        }
        let listed = match self.database.engine() {
            Engine::Sqlite => "c.sku IN (SELECT value FROM json_each($1))",
            Engine::Postgres => "c.sku IN (SELECT jsonb_array_elements_text($1::jsonb))",
        };
        let sql = format!(
            "SELECT sku, other_sku, weight, total FROM ( \
                 SELECT c.sku, c.other_sku, c.weight, \
                     CAST(SUM(c.weight) OVER (PARTITION BY c.sku) AS BIGINT) AS total, \
                     ROW_NUMBER() OVER (PARTITION BY c.sku ORDER BY c.weight DESC, c.other_sku) AS place \
                 FROM co_purchases c WHERE {listed}) ranked \
             WHERE place <= $2 ORDER BY sku, place"
        );
        let rows = db::query(sql)
            .bind(serde_json::to_string(skus).unwrap_or_default())
            .bind(per_sku as i64)
            .fetch_all(self.database.pool())
            .await?;
        let mut graph: HashMap<String, Vec<Edge>> = HashMap::new();
        for row in &rows {
            graph.entry(row.try_get("sku")?).or_default().push(Edge {
                other: row.try_get("other_sku")?,
                weight: row.try_get("weight")?,
                total: row.try_get("total")?,
            });
        }
        Ok(graph)
    }

    /// The products `user_id` bought, most recent first, at most `limit`.
    pub(crate) async fn bought_by(
        &self,
        user_id: &str,
        limit: usize,
    ) -> Result<Vec<String>, Error> {
        let rows = db::query(
            "SELECT sku FROM user_products WHERE user_id = $1 ORDER BY last_at DESC, sku LIMIT $2",
        )
        .bind(user_id)
        .bind(limit as i64)
        .fetch_all(self.database.pool())
        .await?;
        rows.iter()
            .map(|row| row.try_get::<String, _>(0).map_err(Error::from))
            .collect()
    }

    /// The products in the most confirmed orders since `since_day`, with their counts.
    pub(crate) async fn popular(
        &self,
        since_day: i64,
        limit: usize,
    ) -> Result<Vec<(String, i64)>, Error> {
        let rows = db::query(
            "SELECT sku, CAST(SUM(orders) AS BIGINT) AS sold FROM daily_sales WHERE day >= $1 \
             GROUP BY sku ORDER BY sold DESC, sku LIMIT $2",
        )
        .bind(since_day)
        .bind(limit as i64)
        .fetch_all(self.database.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("sku")?, row.try_get("sold")?)))
            .collect()
    }
}
