//! Shipments behind the RPCs that make and look at them: created once per order at the quoted
//! cost, cancelled before pick-up (by shipment or by order), and looked up. `grpc.rs` only
//! converts.

use crate::domain::{self, Address};
use crate::store::Shipment;
use crate::{Error, Shipping};

impl Shipping {
    /// Creates the order's shipment at the quoted cost, or returns the one it has: one shipment
    /// per order.
    pub(crate) async fn create_shipment(
        &self,
        order_id: &str,
        address: &Address,
        weight_grams: u32,
    ) -> Result<Shipment, Error> {
        let (cost, _) = domain::quote(address, weight_grams)?;
        self.store
            .create(order_id, address, weight_grams, cost, platform::unix_now())
            .await
    }

    /// Cancels shipment `id` if the carrier does not have it yet; cancelling twice is fine.
    pub(crate) async fn cancel(&self, id: &str) -> Result<Shipment, Error> {
        self.store.cancel(id, platform::unix_now()).await
    }

    /// Cancels the order's shipment as `cancel` does.
    pub(crate) async fn cancel_for_order(&self, order_id: &str) -> Result<Shipment, Error> {
        let id = self
            .store
            .id_for_order(order_id)
            .await?
            .ok_or_else(|| Error::UnknownShipment(format!("for order {order_id}")))?;
        self.cancel(&id).await
    }

    /// The shipment `id`.
    pub(crate) async fn shipment(&self, id: &str) -> Result<Shipment, Error> {
        self.store
            .get(id)
            .await?
            .ok_or_else(|| Error::UnknownShipment(id.to_owned()))
    }
}
