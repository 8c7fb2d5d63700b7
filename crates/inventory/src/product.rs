//! Inventory's data product (`contracts/stock.odcs.yaml`): the stock level of every sku as the
//! contract's table; the export runs in the background when the process exports data products.

use data_products::{Source, Value};

use crate::store::Store;

/// The contract the export writes to.
pub const CONTRACT: &str = include_str!("../contracts/stock.odcs.yaml");

/// The inventory store as the export's source.
pub(crate) struct Product(pub(crate) Store);

impl Source for Product {
    async fn rows(&self, table: &str) -> anyhow::Result<Vec<Vec<Value>>> {
        anyhow::ensure!(table == "stock", "the stock product has no table {table}");
        let levels = self.0.every().await?;
        Ok(levels
            .into_iter()
            .map(|(level, updated_at)| {
                vec![
                    Value::Text(level.sku),
                    Value::Integer(level.on_hand),
                    Value::Integer(level.reserved),
                    Value::Timestamp(updated_at * 1000),
                ]
            })
            .collect())
    }
}
