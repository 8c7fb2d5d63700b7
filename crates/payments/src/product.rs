//! The payments data product (`contracts/payments.odcs.yaml`): every payment and its outcome as
//! the contract's table, with nothing of the card; the export runs in the background when the
//! process exports data products.

use data_products::{Source, Value};

use crate::store::Store;

/// The contract the export writes to.
pub const CONTRACT: &str = include_str!("../contracts/payments.odcs.yaml");

/// The payments store as the export's source.
pub(crate) struct Product(pub(crate) Store);

impl Source for Product {
    async fn rows(&self, table: &str) -> anyhow::Result<Vec<Vec<Value>>> {
        anyhow::ensure!(
            table == "payments",
            "the payments product has no table {table}"
        );
        let payments = self.0.every().await?;
        Ok(payments
            .into_iter()
            .map(|(payment, created_at, updated_at)| {
                let declined = match payment.decline_reason.as_str() {
                    "" => Value::Null,
                    reason => Value::Text(reason.to_owned()),
                };
                vec![
                    Value::Text(payment.id),
                    Value::Text(payment.order_id),
                    Value::Integer(payment.amount),
                    Value::Text(payment.currency),
                    Value::Text(payment.state.as_str().to_owned()),
                    declined,
                    Value::Timestamp(created_at * 1000),
                    Value::Timestamp(updated_at * 1000),
                ]
            })
            .collect())
    }
}
