//! Orders as their owner sees them: a page of them, one watched as it changes, and one with its
//! payment and shipment as the payments and
//! shipping services know them now (read with the orders service's own token). Either part is
//! left out, not failed, when its service does not answer.

use proto::payments as payments_pb;
use proto::shipping as shipping_pb;
use tokio::sync::broadcast::error::RecvError;

use crate::store::Order;
use crate::{Error, Orders};

/// The payment of an order, now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PaymentView {
    pub payment_id: String,
    pub state: String,
    pub card_last4: String,
    pub decline_reason: String,
}

/// The shipment of an order, now, with its tracking events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ShipmentView {
    pub shipment_id: String,
    pub state: String,
    pub tracking_number: String,
    pub events: Vec<(i64, String)>,
}

/// An order with its payment and shipment.
pub(crate) struct OrderView {
    pub order: Order,
    pub payment: Option<PaymentView>,
    pub shipment: Option<ShipmentView>,
}

impl Orders {
    /// A page of the user's orders, newest first, from before `(created_at, id)`.
    pub(crate) async fn orders_of(
        &self,
        user_id: &str,
        before: Option<(i64, String)>,
        limit: u32,
    ) -> Result<Vec<Order>, Error> {
        self.store.for_user(user_id, before, limit).await
    }

    /// The user's order now and then at each change of its state, until it is confirmed or
    /// failed or the receiver is dropped.
    pub(crate) async fn watch(
        &self,
        user_id: &str,
        order_id: &str,
    ) -> Result<tokio::sync::mpsc::Receiver<Order>, Error> {
        // Subscribe before reading, so that no change between the two is missed.
        let mut updates = self.updates.subscribe();
        let order = self.own_order(user_id, order_id).await?;
        let store = self.store.clone();
        let (sender, receiver) = tokio::sync::mpsc::channel(16);
        tokio::spawn(async move {
            let mut last = order.state;
            if sender.send(order.clone()).await.is_err() || last.is_terminal() {
                return;
            }
            loop {
                let update = tokio::select! {
                    _ = sender.closed() => return,
                    update = updates.recv() => update,
                };
                let current = match update {
                    Ok(update) if update.id == order.id => update,
                    Ok(_) => continue,
                    Err(RecvError::Lagged(_)) => match store.get(&order.id).await {
                        Ok(Some(current)) => current,
                        _ => return,
                    },
                    Err(RecvError::Closed) => return,
                };
                if current.state != last {
                    last = current.state;
                    if sender.send(current).await.is_err() || last.is_terminal() {
                        return;
                    }
                }
            }
        });
        Ok(receiver)
    }

    /// The user's order with its payment and shipment.
    pub(crate) async fn order_view(
        &self,
        user_id: &str,
        order_id: &str,
    ) -> Result<OrderView, Error> {
        let order = self.own_order(user_id, order_id).await?;
        let (payment, shipment) =
            tokio::join!(self.payment_view(&order), self.shipment_view(&order));
        Ok(OrderView {
            order,
            payment,
            shipment,
        })
    }

    async fn payment_view(&self, order: &Order) -> Option<PaymentView> {
        if order.payment_id.is_empty() {
            return None;
        }
        let token = self.service_token.token().await.ok()?;
        let request = payments_pb::GetPaymentRequest {
            payment_id: order.payment_id.clone(),
        };
        let payment = self
            .payments
            .clone()
            .get_payment(platform::transport::request(request, &token))
            .await
            .inspect_err(|status| tracing::warn!(order_id = %order.id, message = status.message(), "the payment could not be read"))
            .ok()?
            .into_inner();
        let state = payments_pb::PaymentState::try_from(payment.state).ok()?;
        Some(PaymentView {
            payment_id: payment.payment_id,
            state: name(state.as_str_name(), "PAYMENT_STATE_"),
            card_last4: payment.card_last4,
            decline_reason: payment.decline_reason,
        })
    }

    async fn shipment_view(&self, order: &Order) -> Option<ShipmentView> {
        if order.shipment_id.is_empty() {
            return None;
        }
        let token = self.service_token.token().await.ok()?;
        let request = shipping_pb::GetShipmentRequest {
            shipment_id: order.shipment_id.clone(),
        };
        let shipment = self
            .shipping
            .clone()
            .get_shipment(platform::transport::request(request, &token))
            .await
            .inspect_err(|status| tracing::warn!(order_id = %order.id, message = status.message(), "the shipment could not be read"))
            .ok()?
            .into_inner();
        let state = shipping_pb::ShipmentState::try_from(shipment.state).ok()?;
        Some(ShipmentView {
            shipment_id: shipment.shipment_id,
            state: name(state.as_str_name(), "SHIPMENT_STATE_"),
            tracking_number: shipment.tracking_number,
            events: shipment
                .events
                .into_iter()
                .map(|event| (event.at_unix, event.description))
                .collect(),
        })
    }
}

/// `PAYMENT_STATE_CAPTURED` as `captured`.
fn name(proto_name: &str, prefix: &str) -> String {
    proto_name.trim_start_matches(prefix).to_ascii_lowercase()
}
