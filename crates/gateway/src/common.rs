//! JSON shapes that more than one resource speaks.

use proto::common;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An amount of money in integer minor units (cents for USD).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Money {
    /// Never negative; at most ten million in major units.
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub minor_units: i64,
    /// An ISO 4217 code such as USD.
    #[schema(pattern = "^[A-Z]{3}$")]
    pub currency: String,
}

pub(crate) fn money(money: Option<common::Money>) -> Option<Money> {
    money.map(|money| Money {
        minor_units: money.minor_units,
        currency: money.currency,
    })
}

pub(crate) fn to_proto(money: Money) -> common::Money {
    common::Money {
        minor_units: money.minor_units,
        currency: money.currency,
    }
}

/// The page a list asks for; the service picks the default size for none.
pub(crate) fn page(size: Option<u32>, token: Option<String>) -> Option<common::PageRequest> {
    Some(common::PageRequest {
        page_size: size.unwrap_or(0),
        page_token: token.unwrap_or_default(),
    })
}
