//! The only code that touches the catalog's database: products and categories here, the
//! search's queries in `search.rs`, products' vectors in `vectors.rs`.

mod search;
mod vectors;

use events::catalog::ProductChanged;
use events::{Envelope, Event};
use platform::db::{self, Database, Row};

pub(crate) use self::vectors::Change;
use self::vectors::{FORGET_VECTORS, UPSERT_VECTOR, to_bytes};

use crate::domain::{Attributes, Category, Cursor, Money, Product, ProductDraft, Sku};
use crate::error::Error;

pub(crate) static SQLITE_MIGRATIONS: sqlx::migrate::Migrator =
    sqlx::migrate!("./migrations/sqlite");
pub(crate) static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator =
    sqlx::migrate!("./migrations/postgres");

// Queries built with `format!` join only these constants and fixed fragments, never input:
// input always travels as a bound parameter, which is why `AssertSqlSafe` holds below.
const PRODUCT_COLUMNS: &str = "p.sku, p.name, p.description, p.category, p.price_minor, p.currency, p.image_urls, p.attributes, p.created_at, p.updated_at";
/// The same but the sku, for a join that names the sku itself.
const PRODUCT_COLUMNS_NULLABLE: &str = "p.name, p.description, p.category, p.price_minor, p.currency, p.image_urls, p.attributes, p.created_at, p.updated_at";

const INSERT_PRODUCT: &str = "INSERT INTO products \
     (sku, name, description, category, price_minor, currency, image_urls, attributes, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)";
const INSERT_PRODUCT_UNLESS_PRESENT: &str = "INSERT INTO products \
     (sku, name, description, category, price_minor, currency, image_urls, attributes, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (sku) DO NOTHING";

const UPDATE_PRODUCT: &str = "UPDATE products SET name = $2, description = $3, category = $4, \
     price_minor = $5, currency = $6, image_urls = $7, attributes = $8, updated_at = $9 WHERE sku = $1";

/// `sql` with a product's columns bound as `$1..$9` in the order of `INSERT_PRODUCT`.
fn product_row<'q>(
    sql: &'static str,
    sku: &'q Sku,
    draft: &'q ProductDraft,
    now: i64,
) -> db::Query<'q> {
    db::query(sql)
        .bind(sku.as_str())
        .bind(&draft.name)
        .bind(&draft.description)
        .bind(&draft.category)
        .bind(draft.price.minor_units())
        .bind(draft.price.currency())
        .bind(serde_json::to_string(&draft.image_urls).unwrap_or_else(|_| "[]".to_owned()))
        .bind(draft.attributes.as_json())
        .bind(now)
}

/// A product's vector made by one model: `name@version` and the unit vector.
#[derive(Clone, Debug, PartialEq)]
pub struct Embedded {
    pub model: String,
    pub vector: Vec<f32>,
    /// When it was made, in milliseconds since the epoch.
    pub at_ms: i64,
}

async fn put_vectors(
    transaction: &mut db::Transaction,
    sku: &Sku,
    vectors: &[Embedded],
) -> Result<(), Error> {
    for embedded in vectors {
        db::query(UPSERT_VECTOR)
            .bind(&embedded.model)
            .bind(sku.as_str())
            .bind(to_bytes(&embedded.vector))
            .bind(embedded.at_ms)
            .execute(&mut **transaction)
            .await?;
    }
    Ok(())
}

/// One page of products and where the next starts.
#[derive(Debug)]
pub struct Page {
    pub products: Vec<Product>,
    pub next: Option<Cursor>,
    pub total: u32,
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

    pub(crate) fn database(&self) -> &Database {
        &self.database
    }

    pub(crate) async fn get(&self, sku: &Sku) -> Result<Option<Product>, Error> {
        // nosemgrep: emporium-sql-from-format -- the SQL text takes only the const column list.
        let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.sku = $1");
        let row = db::query(sql)
            .bind(sku.as_str())
            .fetch_optional(self.database.pool())
            .await?;
        row.map(|row| product_from_row(&row)).transpose()
    }

    /// Every product, by sku: what the data product's export reads.
    pub(crate) async fn every(&self) -> Result<Vec<Product>, Error> {
        // nosemgrep: emporium-sql-from-format -- the SQL text takes only the const column list.
        let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products p ORDER BY p.sku");
        let rows = db::query(sql).fetch_all(self.database.pool()).await?;
        rows.iter().map(product_from_row).collect()
    }

    pub(crate) async fn list(
        &self,
        category: Option<&str>,
        cursor: &Cursor,
        size: u32,
    ) -> Result<Page, Error> {
        let after = match cursor {
            Cursor::Start => "",
            Cursor::AfterSku(sku) => sku.as_str(),
            Cursor::Offset(_) => {
                return Err(Error::invalid("page_token", "is not a token for this list"));
            }
        };
        let filter = if category.is_some() {
            "AND p.category = $3"
        } else {
            ""
        };
        // nosemgrep: emporium-sql-from-format -- the SQL text takes only the const column list and a filter of placeholders.
        let sql = format!(
            "SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.sku > $1 {filter} ORDER BY p.sku LIMIT $2"
        );
        let mut query = db::query(sql).bind(after).bind(i64::from(size) + 1);
        if let Some(category) = category {
            query = query.bind(category);
        }
        let rows = query.fetch_all(self.database.pool()).await?;
        let mut products = rows
            .iter()
            .map(product_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let next = if products.len() > size as usize {
            products.truncate(size as usize);
            products
                .last()
                .map(|product| Cursor::AfterSku(product.sku.as_str().to_owned()))
        } else {
            None
        };
        let total = self.count(category).await?;
        Ok(Page {
            products,
            next,
            total,
        })
    }

    async fn count(&self, category: Option<&str>) -> Result<u32, Error> {
        let row = match category {
            Some(category) => {
                db::query("SELECT COUNT(*) FROM products WHERE category = $1")
                    .bind(category)
                    .fetch_one(self.database.pool())
                    .await?
            }
            None => {
                db::query("SELECT COUNT(*) FROM products")
                    .fetch_one(self.database.pool())
                    .await?
            }
        };
        Ok(row.try_get::<i64, _>(0)? as u32)
    }

    pub(crate) async fn categories(&self) -> Result<Vec<Category>, Error> {
        let rows = db::query(
            "SELECT c.slug, c.name, c.description, COUNT(p.sku) AS product_count \
             FROM categories c LEFT JOIN products p ON p.category = c.slug \
             GROUP BY c.slug, c.name, c.description ORDER BY c.slug",
        )
        .fetch_all(self.database.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Category {
                    slug: row.try_get("slug")?,
                    name: row.try_get("name")?,
                    description: row.try_get("description")?,
                    product_count: row.try_get::<i64, _>("product_count")? as u32,
                })
            })
            .collect()
    }

    pub(crate) async fn insert_category(
        &self,
        slug: &str,
        name: &str,
        description: &str,
    ) -> Result<(), Error> {
        db::query("INSERT INTO categories (slug, name, description) VALUES ($1, $2, $3) ON CONFLICT (slug) DO NOTHING")
            .bind(slug)
            .bind(name)
            .bind(description)
            .execute(self.database.writer())
            .await?;
        Ok(())
    }

    async fn category_exists(&self, slug: &str) -> Result<bool, Error> {
        let row = db::query("SELECT COUNT(*) FROM categories WHERE slug = $1")
            .bind(slug)
            .fetch_one(self.database.pool())
            .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }

    /// Creates a product and stores its vectors (one per model) in the same transaction.
    pub(crate) async fn create(
        &self,
        sku: &Sku,
        draft: &ProductDraft,
        now: i64,
        vectors: &[Embedded],
    ) -> Result<Product, Error> {
        if !self.category_exists(&draft.category).await? {
            return Err(Error::UnknownCategory(draft.category.clone()));
        }
        let mut transaction = self.database.begin_write().await?;
        let result = product_row(INSERT_PRODUCT, sku, draft, now)
            .execute(&mut *transaction)
            .await;
        match result {
            Ok(_) => {}
            Err(error) if platform::db::is_unique_violation(&error) => {
                return Err(Error::AlreadyExists(sku.clone()));
            }
            Err(error) => return Err(error.into()),
        }
        put_vectors(&mut transaction, sku, vectors).await?;
        publish(&mut transaction, changed("created", sku, draft)).await?;
        transaction.commit().await?;
        Ok(Product {
            sku: sku.clone(),
            draft: draft.clone(),
            created_at: now,
            updated_at: now,
        })
    }

    /// Replaces a product and its vectors in one transaction.
    pub(crate) async fn update(
        &self,
        sku: &Sku,
        draft: &ProductDraft,
        now: i64,
        vectors: &[Embedded],
    ) -> Result<Product, Error> {
        if !self.category_exists(&draft.category).await? {
            return Err(Error::UnknownCategory(draft.category.clone()));
        }
        let mut transaction = self.database.begin_write().await?;
        let result = product_row(UPDATE_PRODUCT, sku, draft, now)
            .execute(&mut *transaction)
            .await?;
        if result.rows_affected() == 0 {
            return Err(Error::NotFound(sku.clone()));
        }
        put_vectors(&mut transaction, sku, vectors).await?;
        publish(&mut transaction, changed("updated", sku, draft)).await?;
        transaction.commit().await?;
        self.get(sku)
            .await?
            .ok_or_else(|| Error::NotFound(sku.clone()))
    }

    /// Deletes a product; its vectors' rows stay, empty, so that every index learns of it.
    pub(crate) async fn delete(&self, sku: &Sku, now_ms: i64) -> Result<(), Error> {
        let mut transaction = self.database.begin_write().await?;
        let deleted = db::query(
            "DELETE FROM products WHERE sku = $1 RETURNING name, category, price_minor, currency",
        )
        .bind(sku.as_str())
        .fetch_optional(&mut *transaction)
        .await?
        .ok_or_else(|| Error::NotFound(sku.clone()))?;
        let event = ProductChanged {
            sku: sku.as_str().to_owned(),
            change: "deleted".to_owned(),
            name: deleted.try_get("name")?,
            category: deleted.try_get("category")?,
            price_minor: deleted.try_get("price_minor")?,
            currency: deleted.try_get("currency")?,
        };
        publish(&mut transaction, event).await?;
        db::query(FORGET_VECTORS)
            .bind(sku.as_str())
            .bind(now_ms)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(())
    }

    pub(crate) async fn is_empty(&self) -> Result<bool, Error> {
        Ok(self.count(None).await? == 0)
    }

    /// Inserts many products in one transaction; the seed's path.
    pub(crate) async fn insert_all(
        &self,
        products: &[(Sku, ProductDraft)],
        now: i64,
    ) -> Result<(), Error> {
        let mut transaction = self.database.begin_write().await?;
        for (sku, draft) in products {
            product_row(INSERT_PRODUCT_UNLESS_PRESENT, sku, draft, now)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }
}

pub(crate) fn product_from_row(row: &Row) -> Result<Product, Error> {
    let corrupt =
        |what: &str| Error::Unexpected(anyhow::anyhow!("stored product has a bad {what}"));
    let sku: String = row.try_get("sku")?;
    let image_urls: String = row.try_get("image_urls")?;
    let attributes: String = row.try_get("attributes")?;
    let currency: String = row.try_get("currency")?;
    let price = Money::parse("price", row.try_get("price_minor")?, &currency)
        .map_err(|_| corrupt("price"))?;
    let attributes =
        Attributes::parse("attributes", &attributes).map_err(|_| corrupt("attributes"))?;
    Ok(Product {
        sku: Sku::parse("sku", &sku).map_err(|_| corrupt("sku"))?,
        draft: ProductDraft {
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            category: row.try_get("category")?,
            price,
            image_urls: serde_json::from_str(&image_urls).map_err(|_| corrupt("image list"))?,
            attributes,
        },
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// The event of a product created or updated as `draft`.
fn changed(change: &str, sku: &Sku, draft: &ProductDraft) -> ProductChanged {
    ProductChanged {
        sku: sku.as_str().to_owned(),
        change: change.to_owned(),
        name: draft.name.clone(),
        category: draft.category.clone(),
        price_minor: draft.price.minor_units(),
        currency: draft.price.currency().to_owned(),
    }
}

/// Writes `event` to the outbox in the transaction of its change; the relay publishes it.
async fn publish(transaction: &mut db::Transaction, event: ProductChanged) -> Result<(), Error> {
    let envelope = Envelope::new(
        uuid::Uuid::now_v7().to_string(),
        &event,
        platform::unix_now_ms(),
    );
    platform::outbox::append(transaction, ProductChanged::SUBJECT, envelope).await?;
    Ok(())
}
