//! Unit tests of the catalog's rules.

use super::*;

#[test]
fn skus_are_normalised_and_checked() {
    assert_eq!(
        Sku::parse("sku", " kit-00042 ").unwrap().as_str(),
        "KIT-00042"
    );
    assert_eq!(Sku::parse("sku", "").unwrap_err().reason, "is required");
    assert!(Sku::parse("sku", "AB").is_err());
    assert!(Sku::parse("sku", "-ABC").is_err());
    assert!(Sku::parse("sku", "ABC 1").is_err());
    assert!(Sku::parse("sku", &"A".repeat(33)).is_err());
    assert_eq!(Sku::parse("sku", "A'; DROP").unwrap_err().field, "sku");
}

#[test]
fn money_is_never_negative_and_names_a_currency() {
    assert_eq!(
        Money::parse("price", 1999, "USD").unwrap().minor_units(),
        1999
    );
    assert!(Money::parse("price", -1, "USD").is_err());
    assert!(Money::parse("price", Money::MAX_MINOR_UNITS + 1, "USD").is_err());
    assert!(Money::parse("price", 100, "usd").is_err());
    assert!(Money::parse("price", 100, "").is_err());
}

#[test]
fn drafts_name_the_field_that_is_wrong() {
    let price = Money::parse("price", 100, "USD").unwrap();
    let error = ProductDraft::parse("", "", "kitchen", price.clone(), vec![], "").unwrap_err();
    assert_eq!(error.field, "name");
    let error = ProductDraft::parse("Pan", "", "Kitchen!", price.clone(), vec![], "").unwrap_err();
    assert_eq!(error.field, "category");
    let error =
        ProductDraft::parse("Pan", "", "kitchen", price.clone(), vec![], "[1]").unwrap_err();
    assert_eq!(error.field, "attributes");
    let error = ProductDraft::parse(
        "Pan",
        "",
        "kitchen",
        price.clone(),
        vec!["javascript:x".into()],
        "",
    )
    .unwrap_err();
    assert_eq!(error.field, "image_urls");
    let draft = ProductDraft::parse(
        "Pan",
        "A pan.",
        "kitchen",
        price,
        vec!["/images/a.jpg".into()],
        r#"{"material":"steel"}"#,
    )
    .unwrap();
    assert_eq!(draft.attributes.get("material").unwrap(), "steel");
    assert_eq!(draft.attributes.as_json(), r#"{"material":"steel"}"#);
}

#[test]
fn page_tokens_round_trip_and_refuse_forgeries() {
    for cursor in [
        Cursor::Start,
        Cursor::AfterSku("KIT-00001".into()),
        Cursor::Offset(40),
    ] {
        assert_eq!(Cursor::parse(&cursor.to_token()).unwrap(), cursor);
    }
    assert_eq!(Cursor::parse("x40").unwrap_err().field, "page_token");
    assert!(Cursor::parse("o").is_err());
    assert!(Cursor::parse("o-1").is_err());
    assert!(Cursor::parse("o1234567890").is_err());
    assert!(Cursor::parse("k-").is_err());
    assert_eq!(
        Cursor::parse("kkit-00007").unwrap(),
        Cursor::AfterSku("KIT-00007".into())
    );
}

#[test]
fn page_sizes_default_and_cap() {
    assert_eq!(page_size(0).unwrap(), DEFAULT_PAGE_SIZE);
    assert_eq!(page_size(MAX_PAGE_SIZE).unwrap(), MAX_PAGE_SIZE);
    assert!(page_size(MAX_PAGE_SIZE + 1).is_err());
}

#[test]
fn search_terms_drop_query_syntax() {
    assert_eq!(
        search_terms("Cast-iron \"skillet\" OR *").unwrap(),
        vec!["cast", "iron", "skillet", "or"]
    );
    assert!(search_terms("  ** ").unwrap().is_empty());
    assert!(search_terms(&"ü".repeat(256)).is_ok());
    assert!(search_terms(&"ü".repeat(257)).is_err());
}
