//! Shipping's pure rules: addresses, quotes, and the shipment state machine.

/// The shop's shared value types: a postal address the carrier accepts (parsed once for every
/// service that takes one), and `Invalid`, which names the field a check refused.
pub use platform::values::{Address, Invalid};

/// The country shipments leave from; others pay the international rate.
pub const HOME_COUNTRY: &str = "US";

/// The price and time of sending `weight_grams` to `address`, in cents and days.
pub fn quote(address: &Address, weight_grams: u32) -> Result<(i64, u32), Invalid> {
    if weight_grams == 0 || weight_grams > 70_000 {
        return Err(Invalid::new("weight_grams", "must be 1 to 70000"));
    }
    let kilograms = i64::from(weight_grams.div_ceil(1000));
    Ok(if address.country == HOME_COUNTRY {
        (499 + 150 * kilograms, 3)
    } else {
        (1999 + 600 * kilograms, 9)
    })
}

/// Where a shipment is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Created,
    InTransit,
    Delivered,
    Cancelled,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Created => "created",
            State::InTransit => "in_transit",
            State::Delivered => "delivered",
            State::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<State> {
        [
            State::Created,
            State::InTransit,
            State::Delivered,
            State::Cancelled,
        ]
        .into_iter()
        .find(|state| state.as_str() == raw)
    }

    /// Whether a shipment in this state may still be cancelled: only before the carrier has it.
    pub fn cancellable(self) -> Result<bool, State> {
        match self {
            State::Created => Ok(true),
            State::Cancelled => Ok(false),
            other => Err(other),
        }
    }

    /// The carrier's next step and what it says about it.
    pub fn next(self) -> Option<(State, &'static str)> {
        match self {
            State::Created => Some((State::InTransit, "Picked up by the carrier")),
            State::InTransit => Some((State::Delivered, "Delivered")),
            State::Delivered | State::Cancelled => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(country: &str) -> Address {
        Address::parse("Ada", "1 Main St", "", "Springfield", "12345", country).unwrap()
    }

    #[test]
    fn addresses_name_the_missing_field() {
        assert_eq!(
            Address::parse("", "1 Main St", "", "X", "1", "US")
                .unwrap_err()
                .field,
            "address.name"
        );
        assert_eq!(
            Address::parse("A", "1 Main St", "", "X", "1", "USA")
                .unwrap_err()
                .field,
            "address.country"
        );
        assert_eq!(address("gb").country, "GB");
    }

    #[test]
    fn quotes_grow_with_weight_and_distance() {
        assert_eq!(quote(&address("US"), 900).unwrap(), (649, 3));
        assert_eq!(quote(&address("US"), 2100).unwrap(), (949, 3));
        assert_eq!(quote(&address("DE"), 900).unwrap(), (2599, 9));
        assert!(quote(&address("US"), 0).is_err());
    }

    #[test]
    fn only_a_shipment_the_carrier_does_not_have_yet_can_be_cancelled() {
        assert_eq!(State::Created.cancellable(), Ok(true));
        assert_eq!(State::Cancelled.cancellable(), Ok(false));
        assert_eq!(State::InTransit.cancellable(), Err(State::InTransit));
        assert_eq!(State::Created.next().unwrap().0, State::InTransit);
        assert_eq!(State::Delivered.next(), None);
    }
}
