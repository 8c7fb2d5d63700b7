//! The orders data product (`contracts/orders.odcs.yaml`): every order and its lines as the
//! contract's tables, with no shopper, street or card in them; the export runs in the background
//! when the process exports data products.

use data_products::{Source, Value};

use crate::store::{Order, Store};

/// The contract the export writes to.
pub const CONTRACT: &str = include_str!("../contracts/orders.odcs.yaml");

/// The orders store as the export's source.
pub(crate) struct Product(pub(crate) Store);

impl Source for Product {
    async fn rows(&self, table: &str) -> anyhow::Result<Vec<Vec<Value>>> {
        let orders = self.0.every().await?;
        Ok(match table {
            "orders" => orders.iter().map(order_row).collect(),
            "order_lines" => orders.iter().flat_map(line_rows).collect(),
            other => anyhow::bail!("the orders product has no table {other}"),
        })
    }
}

fn order_row(order: &Order) -> Vec<Value> {
    vec![
        Value::Text(order.id.clone()),
        Value::Text(order.state.as_str().to_owned()),
        Value::Integer(order.total_minor),
        Value::Text(order.currency.clone()),
        Value::Text(order.address.country.clone()),
        Value::Timestamp(order.created_at * 1000),
        Value::Timestamp(order.updated_at * 1000),
    ]
}

fn line_rows(order: &Order) -> impl Iterator<Item = Vec<Value>> + '_ {
    order.lines.iter().map(|line| {
        vec![
            Value::Text(order.id.clone()),
            Value::Text(line.sku.clone()),
            Value::Integer(i64::from(line.quantity)),
            Value::Integer(line.unit_price_minor),
        ]
    })
}
