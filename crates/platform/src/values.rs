//! The value types every service checks the same way: `Money`, `Address`, `Card`, the
//! `IdempotencyKey`, and `Invalid`, the error that names the field a value failed on.
//!
//! They live in `platform`, not in a crate of their own: services meet only through `proto`,
//! `events` and `platform`, and a new crate would be a fourth meeting point. This module is
//! pure: it imports no IO crates (no sqlx, tonic, tokio, axum, reqwest, `std::fs`, `std::net`),
//! so a service's domain module may use it and stay pure. Rules that belong to one service (a
//! product's category, the processor's test card, a payment's ceiling) stay in that service's
//! `domain.rs`.

mod address;
mod card;
mod idempotency;
mod money;

pub use address::Address;
pub use card::Card;
pub use idempotency::IdempotencyKey;
pub use money::{Money, parse_currency};

/// A value failed its check: the message names the field and says why, as in
/// `address.country: must be an ISO 3166-1 alpha-2 code such as US`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct Invalid {
    /// The field as the caller knows it (`price`, `card.number`, `address.city`).
    pub field: &'static str,
    /// Why the value was refused, a phrase that reads after the field's name.
    pub reason: String,
}

impl Invalid {
    /// `field` was refused because of `reason`.
    pub fn new(field: &'static str, reason: impl Into<String>) -> Invalid {
        Invalid {
            field,
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests;
