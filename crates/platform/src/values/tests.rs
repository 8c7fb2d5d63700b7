//! Unit tests of the shared value types: what each accepts, what it refuses, and how it says so.

use super::*;

const TODAY: (u32, u32) = (2026, 11);

#[test]
fn an_invalid_value_reads_as_its_field_then_the_reason() {
    let invalid = Invalid::new("quantity", "must be at most 99 per product");
    assert_eq!(
        invalid.to_string(),
        "quantity: must be at most 99 per product"
    );
    assert_eq!(invalid.field, "quantity");
}

#[test]
fn money_is_never_negative_nor_over_ten_million_major_units() {
    let price = Money::parse("price", 1999, " USD ").unwrap();
    assert_eq!((price.minor_units(), price.currency()), (1999, "USD"));
    assert!(Money::parse("price", 0, "USD").is_ok());
    assert_eq!(
        Money::parse("price", -1, "USD").unwrap_err().to_string(),
        "price: must not be negative"
    );
    assert!(Money::parse("price", Money::MAX_MINOR_UNITS, "USD").is_ok());
    assert_eq!(
        Money::parse("price", Money::MAX_MINOR_UNITS + 1, "USD")
            .unwrap_err()
            .reason,
        "must be at most 1000000000 minor units"
    );
}

#[test]
fn a_currency_is_three_upper_case_letters() {
    for refused in ["usd", "", "US", "USDX", "U5D"] {
        assert_eq!(
            Money::parse("price", 100, refused).unwrap_err().to_string(),
            "price: currency must be an ISO 4217 code such as USD",
            "{refused:?}"
        );
        assert!(
            parse_currency("amount.currency", refused).is_err(),
            "{refused:?}"
        );
    }
    assert_eq!(parse_currency("amount.currency", "EUR").unwrap(), "EUR");
    assert_eq!(
        parse_currency("amount.currency", " EUR")
            .unwrap_err()
            .to_string(),
        "amount.currency: must be an ISO 4217 code such as USD",
        "a currency of its own is taken as given"
    );
}

#[test]
fn an_address_is_trimmed_and_its_country_upper_cased() {
    let address = Address::parse(
        " Ada ",
        "1 Main St",
        " Flat 2 ",
        "Springfield",
        "12345",
        "gb",
    )
    .unwrap();
    assert_eq!(address.name, "Ada");
    assert_eq!(address.line2, "Flat 2");
    assert_eq!(address.country, "GB");
    let long = "x".repeat(300);
    let address = Address::parse("Ada", "1 Main St", &long, "Springfield", "1", "US").unwrap();
    assert_eq!(
        address.line2.chars().count(),
        200,
        "line 2 is cut, not refused"
    );
}

#[test]
fn an_address_names_the_part_that_is_missing_or_too_long() {
    let field = |parts: [&str; 6]| {
        let [name, line1, line2, city, postal_code, country] = parts;
        Address::parse(name, line1, line2, city, postal_code, country)
            .unwrap_err()
            .field
    };
    assert_eq!(field(["", "1 Main", "", "X", "1", "US"]), "address.name");
    assert_eq!(field(["A", " ", "", "X", "1", "US"]), "address.line1");
    assert_eq!(field(["A", "1 Main", "", "", "1", "US"]), "address.city");
    assert_eq!(
        field(["A", "1 Main", "", "X", "", "US"]),
        "address.postal_code"
    );
    assert_eq!(
        field(["A", "1 Main", "", "X", "1", "USA"]),
        "address.country"
    );
    assert_eq!(
        field(["A", "1 Main", "", "X", "1", "U1"]),
        "address.country"
    );
    let long = "x".repeat(201);
    assert_eq!(
        Address::parse(&long, "1 Main", "", "X", "1", "US")
            .unwrap_err()
            .reason,
        "must be at most 200 characters"
    );
}

#[test]
fn a_card_number_never_prints() {
    let card = Card::parse("4242 4242-4242 4242", 12, 2030, "123", " Ada ").unwrap();
    assert_eq!(
        card.number, "4242424242424242",
        "spaces and dashes are dropped"
    );
    assert_eq!(card.holder, "Ada");
    assert_eq!(card.last4(), "4242");
    assert_eq!(format!("{card:?}"), "Card(**** 4242)");
}

#[test]
fn a_checkout_form_checks_the_card_form_and_leaves_the_rest_to_the_processor() {
    let field = |number: &str, exp_month: u32, cvc: &str| {
        Card::parse(number, exp_month, 2030, cvc, "A")
            .unwrap_err()
            .field
    };
    assert_eq!(field("4242", 12, "123"), "card.number");
    assert_eq!(field("4242424242424242x", 12, "123"), "card.number");
    assert_eq!(field("4242424242424242", 0, "123"), "card.exp_month");
    assert_eq!(field("4242424242424242", 13, "123"), "card.exp_month");
    assert_eq!(field("4242424242424242", 12, "12"), "card.cvc");
    assert_eq!(field("4242424242424242", 12, "12a"), "card.cvc");
    assert!(Card::parse("4242424242424241", 12, 2030, "123", "").is_ok());
    assert!(Card::parse("4242424242424242", 12, 2001, "1234", "").is_ok());
}

#[test]
fn a_card_number_that_fails_luhn_is_refused() {
    let error = Card::parse_as_processor("4242424242424241", 12, 2030, "123", "", TODAY);
    assert_eq!(
        error.unwrap_err().to_string(),
        "card.number: fails the Luhn check"
    );
    for number in [
        "4242424242424242",
        "4000000000000002",
        "5555 5555 5555 4444",
    ] {
        assert!(
            Card::parse_as_processor(number, 12, 2030, "123", "", TODAY).is_ok(),
            "{number}"
        );
    }
}

#[test]
fn a_processor_refuses_a_card_that_expired_or_expires_implausibly_late() {
    let expiry = |exp_month: u32, exp_year: u32| {
        Card::parse_as_processor("4242424242424242", exp_month, exp_year, "123", "", TODAY)
    };
    assert!(expiry(11, 2026).is_ok(), "good through its month");
    assert!(expiry(1, 2056).is_ok());
    for (exp_month, exp_year) in [(10, 2026), (12, 2025), (1, 2057)] {
        assert_eq!(
            expiry(exp_month, exp_year).unwrap_err().field,
            "card.exp_year",
            "{exp_month}/{exp_year}"
        );
    }
}

#[test]
fn a_processor_reports_the_number_before_the_month_the_expiry_and_the_cvc() {
    let field = |number: &str, exp_month: u32, exp_year: u32| {
        Card::parse_as_processor(number, exp_month, exp_year, "x", "", TODAY)
            .unwrap_err()
            .field
    };
    assert_eq!(field("4242424242424241", 13, 2000), "card.number");
    assert_eq!(field("4242424242424242", 13, 2000), "card.exp_month");
    assert_eq!(field("4242424242424242", 12, 2000), "card.exp_year");
    assert_eq!(field("4242424242424242", 12, 2030), "card.cvc");
}

#[test]
fn an_idempotency_key_is_one_to_128_printable_characters() {
    assert_eq!(IdempotencyKey::parse(" key-1 ").unwrap().as_str(), "key-1");
    let longest = "k".repeat(IdempotencyKey::MAX_LEN);
    assert_eq!(
        IdempotencyKey::parse(&longest).unwrap().into_string(),
        longest
    );
    for refused in ["", "   ", "two words", "tab\tkey", "é"] {
        assert_eq!(
            IdempotencyKey::parse(refused).unwrap_err().to_string(),
            "idempotency_key: must be 1 to 128 printable characters",
            "{refused:?}"
        );
    }
    assert!(IdempotencyKey::parse(&"k".repeat(129)).is_err());
}
