//! The catalog's data product (`contracts/products.odcs.yaml`): the products on sale and their
//! categories as the contract's tables; the export runs in the background when the process
//! exports data products.

use data_products::{Source, Value};

use crate::store::Store;

/// The contract the export writes to.
pub const CONTRACT: &str = include_str!("../contracts/products.odcs.yaml");

/// The catalog store as the export's source.
pub(crate) struct Product(pub(crate) Store);

impl Source for Product {
    async fn rows(&self, table: &str) -> anyhow::Result<Vec<Vec<Value>>> {
        Ok(match table {
            "products" => self
                .0
                .every()
                .await?
                .into_iter()
                .map(|product| {
                    vec![
                        Value::Text(product.sku.as_str().to_owned()),
                        Value::Text(product.draft.name),
                        Value::Text(product.draft.category),
                        Value::Integer(product.draft.price.minor_units()),
                        Value::Text(product.draft.price.currency().to_owned()),
                        Value::Timestamp(product.updated_at * 1000),
                    ]
                })
                .collect(),
            "categories" => self
                .0
                .categories()
                .await?
                .into_iter()
                .map(|category| vec![Value::Text(category.slug), Value::Text(category.name)])
                .collect(),
            other => anyhow::bail!("the products product has no table {other}"),
        })
    }
}
