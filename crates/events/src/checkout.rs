//! The events of the checkout: what inventory, payments, shipping and orders tell the others.

use serde::{Deserialize, Serialize};

use crate::Event;

/// One line of an order: a sku and how many.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub sku: String,
    pub quantity: u32,
}

macro_rules! event {
    ($name:ident, $service:literal, $what:literal, about = $about:ident) => {
        impl Event for $name {
            const TYPE: &'static str = concat!("emporium.", $service, ".", $what, ".v1");
            const SOURCE: &'static str = concat!("/emporium/", $service);
            const SUBJECT: &'static str = concat!("emporium.", $service, ".", $what);

            fn about(&self) -> String {
                self.$about.clone()
            }
        }
    };
}

/// Stock was held for an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockReserved {
    pub reservation_id: String,
    pub lines: Vec<Line>,
    pub expires_at_unix: i64,
}
event!(
    StockReserved,
    "inventory",
    "stock_reserved",
    about = reservation_id
);

/// Held stock was given back: released by the saga or expired.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockReleased {
    pub reservation_id: String,
    pub lines: Vec<Line>,
    pub expired: bool,
}
event!(
    StockReleased,
    "inventory",
    "stock_released",
    about = reservation_id
);

/// Held stock was sold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockCommitted {
    pub reservation_id: String,
    pub lines: Vec<Line>,
}
event!(
    StockCommitted,
    "inventory",
    "stock_committed",
    about = reservation_id
);

/// A payment changed state: authorized, captured, voided, refunded or declined.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentChanged {
    pub payment_id: String,
    pub order_id: String,
    pub state: String,
    pub amount_minor_units: i64,
    pub currency: String,
}
event!(
    PaymentChanged,
    "payments",
    "payment_changed",
    about = payment_id
);

/// A shipment changed state: created, in transit, delivered or cancelled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentChanged {
    pub shipment_id: String,
    pub order_id: String,
    pub state: String,
    pub tracking_number: String,
}
event!(
    ShipmentChanged,
    "shipping",
    "shipment_changed",
    about = shipment_id
);

/// An order was placed and its saga began.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPlaced {
    pub order_id: String,
    pub user_id: String,
    pub lines: Vec<Line>,
    pub total_minor_units: i64,
    pub currency: String,
}
event!(OrderPlaced, "orders", "order_placed", about = order_id);

/// An order reached the end of its saga: confirmed, or failed with a reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCompleted {
    pub order_id: String,
    pub user_id: String,
    pub confirmed: bool,
    /// Why the order failed; empty when it was confirmed.
    pub failure_reason: String,
    /// What the order held (empty in events published before this field existed).
    #[serde(default)]
    pub lines: Vec<Line>,
}
event!(
    OrderCompleted,
    "orders",
    "order_completed",
    about = order_id
);
