//! The order's pure rules: the saga's state machine, what a checkout request must hold, and the
//! card checks a checkout page makes before anything is reserved. No IO.

use serde::{Deserialize, Serialize};

/// A field failed validation; the message names the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct Invalid {
    pub field: &'static str,
    pub reason: String,
}

pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Invalid {
    Invalid {
        field,
        reason: reason.into(),
    }
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

/// Where an order goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub name: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub postal_code: String,
    pub country: String,
}

impl Address {
    /// Checks that every part a carrier needs is there.
    pub fn parse(
        name: &str,
        line1: &str,
        line2: &str,
        city: &str,
        postal_code: &str,
        country: &str,
    ) -> Result<Address, Invalid> {
        let required = |field: &'static str, value: &str| -> Result<String, Invalid> {
            let value = value.trim();
            match value.chars().count() {
                0 => Err(invalid(field, "is required")),
                1..=200 => Ok(value.to_owned()),
                _ => Err(invalid(field, "must be at most 200 characters")),
            }
        };
        let country = country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.bytes().all(|byte| byte.is_ascii_uppercase()) {
            return Err(invalid(
                "address.country",
                "must be an ISO 3166-1 alpha-2 code such as US",
            ));
        }
        Ok(Address {
            name: required("address.name", name)?,
            line1: required("address.line1", line1)?,
            line2: line2.trim().chars().take(200).collect(),
            city: required("address.city", city)?,
            postal_code: required("address.postal_code", postal_code)?,
            country,
        })
    }
}

/// A card as a checkout form checks it: the processor checks again and decides.
/// It lives only in memory, for the authorization; an order never stores it.
#[derive(Clone, PartialEq, Eq)]
pub struct Card {
    pub number: String,
    pub exp_month: u32,
    pub exp_year: u32,
    pub cvc: String,
    pub holder: String,
}

impl std::fmt::Debug for Card {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "Card(**** {})", self.last4())
    }
}

impl Card {
    pub fn parse(
        number: &str,
        exp_month: u32,
        exp_year: u32,
        cvc: &str,
        holder: &str,
    ) -> Result<Card, Invalid> {
        let digits: String = number
            .chars()
            .filter(|character| !matches!(character, ' ' | '-'))
            .collect();
        if !(12..=19).contains(&digits.len()) || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(invalid("card.number", "must be 12 to 19 digits"));
        }
        if !(1..=12).contains(&exp_month) {
            return Err(invalid("card.exp_month", "must be 1 to 12"));
        }
        if !(3..=4).contains(&cvc.len()) || !cvc.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(invalid("card.cvc", "must be 3 or 4 digits"));
        }
        Ok(Card {
            number: digits,
            exp_month,
            exp_year,
            cvc: cvc.to_owned(),
            holder: holder.trim().to_owned(),
        })
    }

    pub fn last4(&self) -> &str {
        &self.number[self.number.len().saturating_sub(4)..]
    }
}

/// An idempotency key: 1 to 128 printable characters.
pub fn idempotency_key(raw: &str) -> Result<String, Invalid> {
    let key = raw.trim();
    if key.is_empty() || key.len() > 128 || !key.bytes().all(|byte| byte.is_ascii_graphic()) {
        return Err(invalid(
            "idempotency_key",
            "must be 1 to 128 printable characters",
        ));
    }
    Ok(key.to_owned())
}

#[cfg(test)]
mod tests;
