//! Building the graph: a confirmed order's products become pairs, its buyer's purchases and the
//! day's sales, applied once per event id.

use events::Envelope;
use events::checkout::OrderCompleted;

use crate::Recommendations;
use crate::domain::{basket, day_of, pairs};
use crate::error::Error;
use crate::store::Purchase;

impl Recommendations {
    /// Applies one event; true when it changed the graph (a confirmed order seen for the first
    /// time), false for another kind of event, a failed order or a redelivery.
    pub async fn handle(&self, envelope: &Envelope) -> Result<bool, Error> {
        if !envelope.is::<OrderCompleted>() {
            return Ok(false);
        }
        let order: OrderCompleted = envelope
            .decode()
            .map_err(|error| Error::Unexpected(anyhow::Error::new(error)))?;
        if !order.confirmed {
            return Ok(false);
        }
        let skus = order.lines.into_iter().map(|line| line.sku);
        let basket = basket(skus);
        // When the graph learnt of it: "popular" counts what sold lately as this service saw it.
        let at_ms = platform::unix_now() * 1000;
        let purchase = Purchase {
            event_id: &envelope.id,
            user_id: &order.user_id,
            pairs: &pairs(&basket, self.config.max_products_per_order),
            basket: &basket,
            at_ms,
            day: day_of(at_ms),
        };
        let applied = self.store.apply(&purchase).await?;
        if applied {
            tracing::info!(order_id = %order.order_id, products = basket.len(), "order joined the graph");
        }
        Ok(applied)
    }
}
