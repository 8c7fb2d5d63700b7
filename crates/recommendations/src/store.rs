//! The only code that touches the recommendations database: the inbox, the co-purchase graph
//! (adjacency rows), what each user bought, and sales per day.

use std::collections::HashMap;

use platform::db::{self, Database};

use crate::domain::Edge;
use crate::error::Error;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The durable consumer's name, and its name in the inbox.
pub(crate) const CONSUMER: &str = "recommendations";

const ADD_EDGE: &str = "INSERT INTO co_purchases (sku, other_sku, weight) VALUES ($1, $2, 1) \
     ON CONFLICT (sku, other_sku) DO UPDATE SET weight = co_purchases.weight + 1";
const ADD_TO_TOTAL: &str = "INSERT INTO co_purchase_totals (sku, total) VALUES ($1, $2) \
     ON CONFLICT (sku) DO UPDATE SET total = co_purchase_totals.total + excluded.total";
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
        // Each product's new edges: the rest of the basket, or none when it made no pairs.
        let others = if purchase.pairs.is_empty() {
            0
        } else {
            purchase.basket.len() as i64 - 1
        };
        for sku in purchase.basket {
            if others > 0 {
                db::query(ADD_TO_TOTAL)
                    .bind(sku)
                    .bind(others)
                    .execute(&mut *transaction)
                    .await?;
            }
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

    /// The `per_sku` heaviest neighbours of each of `skus`, with each sku's total weight: one
    /// short range of the `(sku, weight DESC)` index per sku, so a walk's fan-out is bounded at
    /// every hop (a recursive query, or one ranking every edge of the skus by a window
    /// function, reads all the edges of a popular product: 27 ms p50 at 100,000 orders).
    pub(crate) async fn neighbours(
        &self,
        skus: &[String],
        per_sku: usize,
    ) -> Result<HashMap<String, Vec<Edge>>, Error> {
        let mut graph: HashMap<String, Vec<Edge>> = HashMap::new();
        for sku in skus {
            let rows = db::query(
                "SELECT c.other_sku, c.weight, t.total FROM co_purchases c \
                 JOIN co_purchase_totals t ON t.sku = c.sku \
                 WHERE c.sku = $1 ORDER BY c.weight DESC, c.other_sku LIMIT $2",
            )
            .bind(sku)
            .bind(per_sku as i64)
            .fetch_all(self.database.pool())
            .await?;
            let edges = rows
                .iter()
                .map(|row| {
                    Ok(Edge {
                        other: row.try_get("other_sku")?,
                        weight: row.try_get("weight")?,
                        total: row.try_get("total")?,
                    })
                })
                .collect::<Result<Vec<_>, Error>>()?;
            if !edges.is_empty() {
                graph.insert(sku.clone(), edges);
            }
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
