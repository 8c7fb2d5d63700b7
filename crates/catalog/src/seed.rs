//! The seed catalog that ships in the repository (`seed/`, made by `scripts/generate_catalog.py`),
//! and loading it into an empty catalog.

use serde::Deserialize;

use crate::domain::{Money, ProductDraft, Sku};
use crate::{Catalog, Error};

const CATEGORIES: &str = include_str!("../seed/categories.json");
const PRODUCTS: &str = include_str!("../seed/products.jsonl");

/// A product line of the seed file. `stock` is the inventory's, read by it from the same file.
#[derive(Debug, Deserialize)]
pub struct SeedProduct {
    pub sku: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub price_minor: i64,
    pub currency: String,
    pub image_urls: Vec<String>,
    pub attributes: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub stock: i64,
}

#[derive(Debug, Deserialize)]
struct SeedCategory {
    slug: String,
    name: String,
    description: String,
}

/// Every product of the seed file, parsed.
pub fn products() -> anyhow::Result<Vec<SeedProduct>> {
    PRODUCTS
        .lines()
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(index, line)| {
            serde_json::from_str(line)
                .map_err(|error| anyhow::anyhow!("seed product on line {}: {error}", index + 1))
        })
        .collect()
}

impl Catalog {
    /// Loads the seed catalog when the catalog is empty; returns how many products it added.
    /// `progress(done, total)` is called as the load goes on.
    pub async fn seed_if_empty(
        &self,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<usize, Error> {
        if !self.store.is_empty().await? {
            return Ok(0);
        }
        let categories: Vec<SeedCategory> = serde_json::from_str(CATEGORIES)
            .map_err(|error| anyhow::anyhow!("seed categories: {error}"))?;
        for category in &categories {
            self.store
                .insert_category(&category.slug, &category.name, &category.description)
                .await?;
        }
        let products = products()?
            .into_iter()
            .map(|seed| {
                let sku = Sku::parse("sku", &seed.sku)?;
                let price = Money::parse("price", seed.price_minor, &seed.currency)?;
                let attributes = serde_json::Value::Object(seed.attributes).to_string();
                let draft = ProductDraft::parse(
                    &seed.name,
                    &seed.description,
                    &seed.category,
                    price,
                    seed.image_urls,
                    &attributes,
                )?;
                Ok((sku, draft))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let total = products.len();
        let now = platform::unix_now();
        // Chunks keep each transaction short and let the progress bar move.
        for (index, chunk) in products.chunks(250).enumerate() {
            self.store.insert_all(chunk, now).await?;
            progress((index * 250 + chunk.len()).min(total), total);
        }
        Ok(total)
    }
}
