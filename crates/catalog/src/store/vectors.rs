//! Products' vectors in the catalog's database: one row per model and product, written in the
//! transaction that changes the product, read whole at start and by change time afterwards.

use platform::db::{self, Row};

use super::Store;
use crate::domain::Product;
use crate::error::Error;

/// A product's vector of one model.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredVector {
    pub model: String,
    pub sku: String,
    /// `None` once the product is deleted.
    pub vector: Option<Vec<f32>>,
    pub changed_at_ms: i64,
}

/// A product changed since a point in time: its vector of one model, and its text when it
/// still exists (for the typo vocabulary).
#[derive(Clone, Debug)]
pub struct Change {
    pub vector: StoredVector,
    pub product: Option<Product>,
}

pub(crate) fn to_bytes(vector: &[f32]) -> Vec<u8> {
    vector
        .iter()
        .flat_map(|value| value.to_le_bytes())
        .collect()
}

fn from_bytes(bytes: &[u8]) -> Result<Vec<f32>, Error> {
    if !bytes.len().is_multiple_of(4) {
        return Err(Error::Unexpected(anyhow::anyhow!(
            "a stored vector has {} bytes, not a multiple of 4",
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|chunk| f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
        .collect())
}

fn vector_from_row(row: &Row) -> Result<StoredVector, Error> {
    let vector: Option<Vec<u8>> = row.try_get("vector")?;
    Ok(StoredVector {
        model: row.try_get("model")?,
        sku: row.try_get("sku")?,
        vector: vector.as_deref().map(from_bytes).transpose()?,
        changed_at_ms: row.try_get("changed_at_ms")?,
    })
}

pub(crate) const UPSERT_VECTOR: &str = "INSERT INTO product_vectors (model, sku, vector, changed_at_ms) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (model, sku) \
     DO UPDATE SET vector = excluded.vector, changed_at_ms = excluded.changed_at_ms";

/// Every model's row of a deleted product loses its vector.
pub(crate) const FORGET_VECTORS: &str =
    "UPDATE product_vectors SET vector = NULL, changed_at_ms = $2 WHERE sku = $1";

impl Store {
    /// Every live vector of `model`.
    pub(crate) async fn vectors(&self, model: &str) -> Result<Vec<StoredVector>, Error> {
        let rows = db::query(
            "SELECT model, sku, vector, changed_at_ms FROM product_vectors \
             WHERE model = $1 AND vector IS NOT NULL ORDER BY sku",
        )
        .bind(model)
        .fetch_all(self.database.pool())
        .await?;
        rows.iter().map(vector_from_row).collect()
    }

    /// The models that have rows.
    pub(crate) async fn models(&self) -> Result<Vec<String>, Error> {
        let rows = db::query("SELECT DISTINCT model FROM product_vectors ORDER BY model")
            .fetch_all(self.database.pool())
            .await?;
        rows.iter()
            .map(|row| row.try_get::<String, _>(0).map_err(Error::from))
            .collect()
    }

    /// Every product's search text, for the typo vocabulary.
    pub(crate) async fn texts(&self) -> Result<Vec<String>, Error> {
        // nosemgrep: emporium-sql-from-format -- the SQL text takes only the const column list.
        let sql = format!("SELECT {} FROM products p", super::PRODUCT_COLUMNS);
        let rows = db::query(sql).fetch_all(self.database.pool()).await?;
        rows.iter()
            .map(|row| super::product_from_row(row).map(|product| product.search_text()))
            .collect()
    }

    /// The vectors of any model changed after `since_ms`, oldest first, with their products.
    pub(crate) async fn changes(&self, since_ms: i64) -> Result<Vec<Change>, Error> {
        // nosemgrep: emporium-sql-from-format -- the SQL text takes only the const column list.
        let sql = format!(
            "SELECT v.model, v.sku AS sku, v.vector, v.changed_at_ms, {columns} \
             FROM product_vectors v LEFT JOIN products p ON p.sku = v.sku \
             WHERE v.changed_at_ms > $1 ORDER BY v.changed_at_ms, v.sku",
            columns = super::PRODUCT_COLUMNS_NULLABLE,
        );
        let rows = db::query(sql)
            .bind(since_ms)
            .fetch_all(self.database.pool())
            .await?;
        rows.iter()
            .map(|row| {
                let vector = vector_from_row(row)?;
                let present = row.try_get::<Option<String>, _>("name")?.is_some();
                let product = present.then(|| super::product_from_row(row)).transpose()?;
                Ok(Change { vector, product })
            })
            .collect()
    }

    /// Up to `limit` products without a vector of `model`, by sku.
    pub(crate) async fn without_vectors(
        &self,
        model: &str,
        limit: usize,
    ) -> Result<Vec<Product>, Error> {
        // nosemgrep: emporium-sql-from-format -- the SQL text takes only the const column list.
        let sql = format!(
            "SELECT {columns} FROM products p \
             WHERE NOT EXISTS (SELECT 1 FROM product_vectors v \
                 WHERE v.model = $1 AND v.sku = p.sku AND v.vector IS NOT NULL) \
             ORDER BY p.sku LIMIT $2",
            columns = super::PRODUCT_COLUMNS,
        );
        let rows = db::query(sql)
            .bind(model)
            .bind(limit as i64)
            .fetch_all(self.database.pool())
            .await?;
        rows.iter().map(super::product_from_row).collect()
    }

    /// How many products have a vector of `model`, and how many products there are.
    pub(crate) async fn coverage(&self, model: &str) -> Result<(u64, u64), Error> {
        let row = db::query(
            "SELECT (SELECT COUNT(*) FROM product_vectors v JOIN products p ON p.sku = v.sku \
                     WHERE v.model = $1 AND v.vector IS NOT NULL), \
                    (SELECT COUNT(*) FROM products)",
        )
        .bind(model)
        .fetch_one(self.database.pool())
        .await?;
        Ok((
            row.try_get::<i64, _>(0)? as u64,
            row.try_get::<i64, _>(1)? as u64,
        ))
    }

    /// Stores vectors of `model` made outside a product's change (catching up, re-embedding).
    pub(crate) async fn put_vectors(
        &self,
        model: &str,
        vectors: &[(String, Vec<f32>)],
        now_ms: i64,
    ) -> Result<(), Error> {
        let mut transaction = self.database.begin_write().await?;
        for (sku, vector) in vectors {
            db::query(UPSERT_VECTOR)
                .bind(model)
                .bind(sku)
                .bind(to_bytes(vector))
                .bind(now_ms)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Drops the rows of every model but `keep`, and the rows of deleted products changed
    /// before `before_ms`.
    pub(crate) async fn prune_vectors(&self, keep: &[&str], before_ms: i64) -> Result<u64, Error> {
        let kept = serde_json::to_string(keep).unwrap_or_default();
        let sql = match self.database.engine() {
            db::Engine::Sqlite => {
                "DELETE FROM product_vectors WHERE model NOT IN (SELECT value FROM json_each($1)) \
                 OR (vector IS NULL AND changed_at_ms < $2)"
            }
            db::Engine::Postgres => {
                "DELETE FROM product_vectors \
                 WHERE model NOT IN (SELECT jsonb_array_elements_text($1::jsonb)) \
                 OR (vector IS NULL AND changed_at_ms < $2)"
            }
        };
        let done = db::query(sql)
            .bind(kept)
            .bind(before_ms)
            .execute(self.database.writer())
            .await?;
        Ok(done.rows_affected())
    }
}
