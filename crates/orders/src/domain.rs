//! The order's pure rules: the saga's state machine, what a checkout request must hold, and the
//! card checks a checkout page makes before anything is reserved. No IO.

use platform::values::IdempotencyKey;
use serde::{Deserialize, Serialize};

/// The shop's shared value types: where an order goes, the card a checkout form checks (the
/// processor checks it again), and `Invalid`, which names the field a check refused.
pub use platform::values::{Address, Card, Invalid};

/// `field` was refused because of `reason`; `grpc.rs` says so of a missing message.
pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Invalid {
    Invalid::new(field, reason)
}

/// Where an order is in its saga.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Pending,
    StockReserved,
    PaymentAuthorized,
    ShipmentCreated,
    PaymentCaptured,
    Confirmed,
    Compensating,
    Failed,
}

impl State {
    pub const ALL: [State; 8] = [
        State::Pending,
        State::StockReserved,
        State::PaymentAuthorized,
        State::ShipmentCreated,
        State::PaymentCaptured,
        State::Confirmed,
        State::Compensating,
        State::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::StockReserved => "stock_reserved",
            State::PaymentAuthorized => "payment_authorized",
            State::ShipmentCreated => "shipment_created",
            State::PaymentCaptured => "payment_captured",
            State::Confirmed => "confirmed",
            State::Compensating => "compensating",
            State::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<State> {
        State::ALL.into_iter().find(|state| state.as_str() == raw)
    }

    /// Confirmed and failed orders are done; no saga works on them again.
    pub fn is_terminal(self) -> bool {
        matches!(self, State::Confirmed | State::Failed)
    }
}

/// A forward step of the checkout saga.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    ReserveStock,
    AuthorizePayment,
    CreateShipment,
    CapturePayment,
    Confirm,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::ReserveStock => "reserve_stock",
            Step::AuthorizePayment => "authorize_payment",
            Step::CreateShipment => "create_shipment",
            Step::CapturePayment => "capture_payment",
            Step::Confirm => "confirm",
        }
    }

    /// The state an order is in once this step succeeded.
    pub fn reaches(self) -> State {
        match self {
            Step::ReserveStock => State::StockReserved,
            Step::AuthorizePayment => State::PaymentAuthorized,
            Step::CreateShipment => State::ShipmentCreated,
            Step::CapturePayment => State::PaymentCaptured,
            Step::Confirm => State::Confirmed,
        }
    }

    /// Its place in the saga, from 1: what "crash after step N" counts.
    pub fn number(self) -> u32 {
        match self {
            Step::ReserveStock => 1,
            Step::AuthorizePayment => 2,
            Step::CreateShipment => 3,
            Step::CapturePayment => 4,
            Step::Confirm => 5,
        }
    }
}

/// The saga: reserve stock, authorize payment, create the shipment, capture, confirm.
/// `None` when the order needs no forward step: it is done, or it is being compensated.
pub fn next_step(state: State) -> Option<Step> {
    match state {
        State::Pending => Some(Step::ReserveStock),
        State::StockReserved => Some(Step::AuthorizePayment),
        State::PaymentAuthorized => Some(Step::CreateShipment),
        State::ShipmentCreated => Some(Step::CapturePayment),
        State::PaymentCaptured => Some(Step::Confirm),
        State::Confirmed | State::Compensating | State::Failed => None,
    }
}

/// One line of an order, priced when it was placed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub sku: String,
    pub name: String,
    pub quantity: u32,
    pub unit_price_minor: i64,
}

/// A checkout's idempotency key (`IdempotencyKey`: 1 to 128 printable characters), as the text
/// the store keeps.
pub fn idempotency_key(raw: &str) -> Result<String, Invalid> {
    IdempotencyKey::parse(raw).map(IdempotencyKey::into_string)
}

#[cfg(test)]
mod tests;
