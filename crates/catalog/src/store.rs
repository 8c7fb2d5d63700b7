//! The only code that touches the catalog's database.

use platform::db::{self, Database, Engine, Row};

use crate::domain::{Attributes, Category, Cursor, Money, Product, ProductDraft, Sku};
use crate::error::Error;

pub(crate) static SQLITE_MIGRATIONS: sqlx::migrate::Migrator =
    sqlx::migrate!("./migrations/sqlite");
pub(crate) static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator =
    sqlx::migrate!("./migrations/postgres");

// Queries built with `format!` join only these constants and fixed fragments, never input:
// input always travels as a bound parameter, which is why `AssertSqlSafe` holds below.
const PRODUCT_COLUMNS: &str = "p.sku, p.name, p.description, p.category, p.price_minor, p.currency, p.image_urls, p.attributes, p.created_at, p.updated_at";

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

    pub(crate) async fn get(&self, sku: &Sku) -> Result<Option<Product>, Error> {
        let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.sku = $1");
        let row = db::query(sql)
            .bind(sku.as_str())
            .fetch_optional(self.database.pool())
            .await?;
        row.map(|row| product_from_row(&row)).transpose()
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

    pub(crate) async fn search(
        &self,
        terms: &[String],
        category: Option<&str>,
        cursor: &Cursor,
        size: u32,
    ) -> Result<Page, Error> {
        let offset = match cursor {
            Cursor::Start => 0,
            Cursor::Offset(offset) => *offset,
            Cursor::AfterSku(_) => {
                return Err(Error::invalid(
                    "page_token",
                    "is not a token for this search",
                ));
            }
        };
        let filter = if category.is_some() {
            "AND p.category = $4"
        } else {
            ""
        };
        let (select, count, query_text) = match self.database.engine() {
            Engine::Sqlite => {
                // Every word must match; the last may be a prefix, as the user may still be typing.
                let query_text = fts5_query(terms);
                let from = "FROM products_fts JOIN products p ON p.rowid = products_fts.rowid WHERE products_fts MATCH $1";
                (
                    format!(
                        "SELECT {PRODUCT_COLUMNS} {from} {filter} \
                         ORDER BY bm25(products_fts, 10.0, 1.0, 3.0), p.sku LIMIT $2 OFFSET $3"
                    ),
                    format!("SELECT COUNT(*) {from} {}", filter.replace("$4", "$2")),
                    query_text,
                )
            }
            Engine::Postgres => {
                let query_text = tsquery(terms);
                let from = "FROM products p WHERE p.search @@ to_tsquery('english', $1)";
                (
                    format!(
                        "SELECT {PRODUCT_COLUMNS} {from} {filter} \
                         ORDER BY ts_rank(p.search, to_tsquery('english', $1)) DESC, p.sku LIMIT $2 OFFSET $3"
                    ),
                    format!("SELECT COUNT(*) {from} {}", filter.replace("$4", "$2")),
                    query_text,
                )
            }
        };
        let mut query = db::query(select)
            .bind(&query_text)
            .bind(i64::from(size))
            .bind(i64::from(offset));
        let mut count_query = db::query(count).bind(&query_text);
        if let Some(category) = category {
            query = query.bind(category);
            count_query = count_query.bind(category);
        }
        let rows = query.fetch_all(self.database.pool()).await?;
        let products = rows
            .iter()
            .map(product_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let total = count_query
            .fetch_one(self.database.pool())
            .await?
            .try_get::<i64, _>(0)? as u32;
        let next_offset = offset + products.len() as u32;
        let next =
            (next_offset < total && !products.is_empty()).then_some(Cursor::Offset(next_offset));
        Ok(Page {
            products,
            next,
            total,
        })
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

    pub(crate) async fn create(
        &self,
        sku: &Sku,
        draft: &ProductDraft,
        now: i64,
    ) -> Result<Product, Error> {
        if !self.category_exists(&draft.category).await? {
            return Err(Error::UnknownCategory(draft.category.clone()));
        }
        let result = product_row(INSERT_PRODUCT, sku, draft, now)
            .execute(self.database.writer())
            .await;
        match result {
            Ok(_) => Ok(Product {
                sku: sku.clone(),
                draft: draft.clone(),
                created_at: now,
                updated_at: now,
            }),
            Err(error) if platform::db::is_unique_violation(&error) => {
                Err(Error::AlreadyExists(sku.clone()))
            }
            Err(error) => Err(error.into()),
        }
    }

    pub(crate) async fn update(
        &self,
        sku: &Sku,
        draft: &ProductDraft,
        now: i64,
    ) -> Result<Product, Error> {
        if !self.category_exists(&draft.category).await? {
            return Err(Error::UnknownCategory(draft.category.clone()));
        }
        let result = product_row(UPDATE_PRODUCT, sku, draft, now)
            .execute(self.database.writer())
            .await?;
        if result.rows_affected() == 0 {
            return Err(Error::NotFound(sku.clone()));
        }
        self.get(sku)
            .await?
            .ok_or_else(|| Error::NotFound(sku.clone()))
    }

    pub(crate) async fn delete(&self, sku: &Sku) -> Result<(), Error> {
        let result = db::query("DELETE FROM products WHERE sku = $1")
            .bind(sku.as_str())
            .execute(self.database.writer())
            .await?;
        if result.rows_affected() == 0 {
            return Err(Error::NotFound(sku.clone()));
        }
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

fn product_from_row(row: &Row) -> Result<Product, Error> {
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

fn fts5_query(terms: &[String]) -> String {
    let last = terms.len() - 1;
    terms
        .iter()
        .enumerate()
        .map(|(index, term)| {
            if index == last {
                format!("\"{term}\"*")
            } else {
                format!("\"{term}\"")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn tsquery(terms: &[String]) -> String {
    let last = terms.len() - 1;
    terms
        .iter()
        .enumerate()
        .map(|(index, term)| {
            if index == last {
                format!("{term}:*")
            } else {
                term.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" & ")
}
