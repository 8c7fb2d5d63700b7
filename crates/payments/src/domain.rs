//! The payment processor's pure rules: cards, amounts, the payment state machine and the
//! ledger movements each transition makes.

/// A field failed validation; the message names the field (`platform::values`, shared by every
/// service).
pub use platform::values::Invalid;
use platform::values::parse_currency;

/// A card that passed the checks a processor makes before it asks the issuer: a shared `Card`
/// (`platform::values`) checked as a processor checks it, which this processor may decline.
#[derive(Clone, PartialEq, Eq)]
pub struct Card(platform::values::Card);

impl std::fmt::Debug for Card {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(formatter)
    }
}

/// The card number that the simulated issuer always declines, as test processors have.
pub const ALWAYS_DECLINED: &str = "4000000000000002";

impl Card {
    /// Checks the number (12 to 19 digits, Luhn), the expiry (not passed, as of `year`/`month`)
    /// and the CVC form (3 or 4 digits). Spaces and dashes in the number are ignored.
    pub fn parse(
        number: &str,
        exp_month: u32,
        exp_year: u32,
        cvc: &str,
        today: (u32, u32),
    ) -> Result<Card, Invalid> {
        platform::values::Card::parse_as_processor(number, exp_month, exp_year, cvc, "", today)
            .map(Card)
    }

    /// The number's last four digits, which may be shown.
    pub fn last4(&self) -> &str {
        self.0.last4()
    }

    /// Whether this is the test card the simulated issuer always declines.
    pub fn always_declined(&self) -> bool {
        self.0.number == ALWAYS_DECLINED
    }
}

/// An amount to charge: positive, in minor units, with an ISO 4217 currency. Its ceiling is the
/// processor's own, above a product's (`Money`): one payment may add up many lines.
pub fn parse_amount(minor_units: i64, currency: &str) -> Result<(i64, String), Invalid> {
    if minor_units <= 0 {
        return Err(Invalid::new("amount", "must be positive"));
    }
    if minor_units > 10_000_000_000 {
        return Err(Invalid::new(
            "amount",
            "is more than this processor takes in one payment",
        ));
    }
    Ok((minor_units, parse_currency("amount.currency", currency)?))
}

/// Where a payment is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Authorized,
    Captured,
    Voided,
    Refunded,
    Declined,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Authorized => "authorized",
            State::Captured => "captured",
            State::Voided => "voided",
            State::Refunded => "refunded",
            State::Declined => "declined",
        }
    }

    pub fn parse(raw: &str) -> Option<State> {
        [
            State::Authorized,
            State::Captured,
            State::Voided,
            State::Refunded,
            State::Declined,
        ]
        .into_iter()
        .find(|state| state.as_str() == raw)
    }
}

/// The simulated issuer's answer to an authorization: why it declines, or `None` to approve.
/// It declines the test card always, every card while `payments.decline` is switched on, and
/// otherwise when `roll` (uniform in 0..1) falls under `decline_rate`.
pub fn decline_reason(
    card: &Card,
    decline_fault: bool,
    roll: f64,
    decline_rate: f64,
) -> Option<&'static str> {
    if card.always_declined() || decline_fault {
        Some("card_declined")
    } else if roll < decline_rate {
        Some("insufficient_funds")
    } else {
        None
    }
}

/// An operation on an authorized or captured payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Capture,
    Void,
    Refund,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Capture => "capture",
            Operation::Void => "void",
            Operation::Refund => "refund",
        }
    }

    /// The state the operation leads to.
    pub fn target(self) -> State {
        match self {
            Operation::Capture => State::Captured,
            Operation::Void => State::Voided,
            Operation::Refund => State::Refunded,
        }
    }

    /// Whether the operation applies to a payment in `state`: `Ok(true)` to apply it,
    /// `Ok(false)` when it was applied already (a safe repeat), `Err` when it cannot be.
    pub fn applies_to(self, state: State) -> Result<bool, State> {
        match (self, state) {
            (Operation::Capture | Operation::Void, State::Authorized)
            | (Operation::Refund, State::Captured) => Ok(true),
            (operation, state) if operation.target() == state => Ok(false),
            (_, state) => Err(state),
        }
    }

    /// The ledger entries of this operation: `(account, signed amount)`, summing to zero.
    pub fn entries(self, amount: i64) -> [(&'static str, i64); 2] {
        match self {
            Operation::Capture => [(HOLDS, -amount), (MERCHANT, amount)],
            Operation::Void => [(HOLDS, -amount), (CUSTOMERS, amount)],
            Operation::Refund => [(MERCHANT, -amount), (CUSTOMERS, amount)],
        }
    }
}

/// Money customers have handed over (negative: what they owe or paid).
pub const CUSTOMERS: &str = "customers";
/// Money held by authorizations, neither the customer's nor the merchant's yet.
pub const HOLDS: &str = "authorization_holds";
/// Money the merchant has received.
pub const MERCHANT: &str = "merchant_revenue";

/// The ledger entries of an authorization.
pub fn authorization_entries(amount: i64) -> [(&'static str, i64); 2] {
    [(CUSTOMERS, -amount), (HOLDS, amount)]
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: (u32, u32) = (2026, 11);

    #[test]
    fn cards_are_checked_like_a_processor_would() {
        let card = Card::parse("4242 4242 4242 4242", 12, 2030, "123", TODAY).unwrap();
        assert_eq!(card.last4(), "4242");
        assert_eq!(
            format!("{card:?}"),
            "Card(**** 4242)",
            "the number never prints"
        );
        assert_eq!(
            Card::parse("4242424242424241", 12, 2030, "123", TODAY)
                .unwrap_err()
                .reason,
            "fails the Luhn check"
        );
        assert_eq!(
            Card::parse("4242", 12, 2030, "123", TODAY)
                .unwrap_err()
                .field,
            "card.number"
        );
        assert_eq!(
            Card::parse("4242424242424242", 13, 2030, "123", TODAY)
                .unwrap_err()
                .field,
            "card.exp_month"
        );
        assert_eq!(
            Card::parse("4242424242424242", 10, 2026, "123", TODAY)
                .unwrap_err()
                .field,
            "card.exp_year"
        );
        assert!(
            Card::parse("4242424242424242", 11, 2026, "123", TODAY).is_ok(),
            "valid through its month"
        );
        assert_eq!(
            Card::parse("4242424242424242", 12, 2030, "12a", TODAY)
                .unwrap_err()
                .field,
            "card.cvc"
        );
        assert!(
            Card::parse(ALWAYS_DECLINED, 12, 2030, "123", TODAY)
                .unwrap()
                .always_declined()
        );
    }

    #[test]
    fn the_issuer_declines_the_test_card_a_switched_fault_and_the_unlucky_roll() {
        let good = Card::parse("4242 4242 4242 4242", 12, 2030, "123", TODAY).unwrap();
        let declined = Card::parse(ALWAYS_DECLINED, 12, 2030, "123", TODAY).unwrap();
        assert_eq!(decline_reason(&good, false, 0.5, 0.1), None);
        assert_eq!(
            decline_reason(&declined, false, 0.5, 0.0),
            Some("card_declined")
        );
        assert_eq!(decline_reason(&good, true, 0.5, 0.0), Some("card_declined"));
        assert_eq!(
            decline_reason(&good, false, 0.05, 0.1),
            Some("insufficient_funds")
        );
    }

    #[test]
    fn states_keep_their_stored_names() {
        for state in [
            State::Authorized,
            State::Captured,
            State::Voided,
            State::Refunded,
            State::Declined,
        ] {
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.as_str()));
            assert_eq!(State::parse(state.as_str()), Some(state));
        }
    }

    #[test]
    fn the_state_machine_allows_capture_or_void_then_refund() {
        assert_eq!(Operation::Capture.applies_to(State::Authorized), Ok(true));
        assert_eq!(Operation::Void.applies_to(State::Authorized), Ok(true));
        assert_eq!(Operation::Refund.applies_to(State::Captured), Ok(true));
        assert_eq!(Operation::Capture.applies_to(State::Captured), Ok(false));
        assert_eq!(Operation::Void.applies_to(State::Voided), Ok(false));
        assert_eq!(
            Operation::Refund.applies_to(State::Authorized),
            Err(State::Authorized)
        );
        assert_eq!(
            Operation::Capture.applies_to(State::Voided),
            Err(State::Voided)
        );
        assert_eq!(
            Operation::Void.applies_to(State::Captured),
            Err(State::Captured)
        );
        assert_eq!(
            Operation::Capture.applies_to(State::Declined),
            Err(State::Declined)
        );
    }

    #[test]
    fn every_movement_balances() {
        for operation in [Operation::Capture, Operation::Void, Operation::Refund] {
            assert_eq!(
                operation
                    .entries(1999)
                    .iter()
                    .map(|(_, amount)| amount)
                    .sum::<i64>(),
                0
            );
        }
        assert_eq!(
            authorization_entries(1999)
                .iter()
                .map(|(_, amount)| amount)
                .sum::<i64>(),
            0
        );
    }

    #[test]
    fn amounts_are_positive_and_name_a_currency() {
        assert!(parse_amount(1, "USD").is_ok());
        assert_eq!(parse_amount(0, "USD").unwrap_err().field, "amount");
        assert_eq!(
            parse_amount(10, "usd").unwrap_err().field,
            "amount.currency"
        );
    }
}
