//! Unit tests of the saga's state machine and the checkout's checks.

use super::*;

#[test]
fn the_saga_walks_forward_through_every_step_to_confirmed() {
    let mut state = State::Pending;
    let mut steps = Vec::new();
    while let Some(step) = next_step(state) {
        steps.push(step);
        state = step.reaches();
    }
    assert_eq!(state, State::Confirmed);
    assert_eq!(
        steps,
        [
            Step::ReserveStock,
            Step::AuthorizePayment,
            Step::CreateShipment,
            Step::CapturePayment,
            Step::Confirm
        ]
    );
    assert_eq!(
        steps.iter().map(|step| step.number()).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
}

#[test]
fn terminal_and_compensating_orders_take_no_forward_step() {
    for state in [State::Confirmed, State::Failed, State::Compensating] {
        assert_eq!(next_step(state), None, "{state:?}");
    }
    assert!(State::Confirmed.is_terminal() && State::Failed.is_terminal());
    assert!(!State::Compensating.is_terminal());
    for state in State::ALL {
        assert_eq!(State::parse(state.as_str()), Some(state));
    }
}

#[test]
fn checkout_input_names_the_field_that_is_wrong() {
    assert_eq!(
        Address::parse("", "1 Main", "", "X", "1", "US")
            .unwrap_err()
            .field,
        "address.name"
    );
    assert_eq!(
        Address::parse("A", "1 Main", "", "X", "1", "U")
            .unwrap_err()
            .field,
        "address.country"
    );
    assert_eq!(
        Card::parse("4242", 12, 2030, "123", "A").unwrap_err().field,
        "card.number"
    );
    assert_eq!(
        Card::parse("4242424242424242", 0, 2030, "123", "A")
            .unwrap_err()
            .field,
        "card.exp_month"
    );
    assert_eq!(
        Card::parse("4242424242424242", 12, 2030, "x", "A")
            .unwrap_err()
            .field,
        "card.cvc"
    );
    let card = Card::parse("4242 4242 4242 4242", 12, 2030, "123", "A").unwrap();
    assert_eq!(format!("{card:?}"), "Card(**** 4242)");
    assert_eq!(idempotency_key(" ").unwrap_err().field, "idempotency_key");
}
