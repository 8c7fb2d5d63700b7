//! Unit tests of the search rules.

use std::sync::Arc;

use super::*;
use crate::domain::typo::Vocabulary;
use crate::domain::{Attributes, Money, ProductDraft, Sku};

fn product(sku: &str, category: &str, price: i64, attributes: &str) -> Arc<Product> {
    Arc::new(Product {
        sku: Sku::parse("sku", sku).unwrap(),
        draft: ProductDraft {
            name: sku.to_owned(),
            description: String::new(),
            category: category.to_owned(),
            price: Money::parse("price", price, "USD").unwrap(),
            image_urls: Vec::new(),
            attributes: Attributes::parse("attributes", attributes).unwrap(),
        },
        created_at: price,
        updated_at: price,
    })
}

fn near(sku: &str, similarity: f32) -> Near {
    Near {
        sku: sku.to_owned(),
        similarity,
    }
}

#[test]
fn filters_name_what_is_wrong() {
    let crossed = Filters::parse("", Some(500), Some(100), false, &[]).unwrap();
    assert!(
        crossed.narrows_in_database(),
        "a crossed range is kept, and holds nothing"
    );
    assert_eq!(
        Filters::parse("", Some(-1), None, false, &[])
            .unwrap_err()
            .field,
        "min_price_minor"
    );
    assert!(Filters::parse("Not A Slug", None, None, false, &[]).is_err());
    let bad_name = [("Colour!".to_owned(), vec!["red".to_owned()])];
    assert!(
        Filters::parse("", None, None, false, &bad_name)
            .unwrap_err()
            .reason
            .contains("`Colour!`")
    );
    let no_value = [("color".to_owned(), vec![" ".to_owned()])];
    assert!(Filters::parse("", None, None, false, &no_value).is_err());
}

#[test]
fn attribute_filters_join_repeated_names_and_drop_repeated_values() {
    let attributes = [
        ("color".to_owned(), vec!["red".to_owned()]),
        (
            "color".to_owned(),
            vec!["navy".to_owned(), "red".to_owned()],
        ),
    ];
    let filters = Filters::parse("kitchen", None, Some(1000), false, &attributes).unwrap();
    assert_eq!(filters.attributes["color"], ["red", "navy"]);
    assert!(filters.narrows_in_database());
    assert!(!Filters::default().narrows());
    let stock_only = Filters {
        in_stock: true,
        ..Filters::default()
    };
    assert!(stock_only.narrows() && !stock_only.narrows_in_database());
}

#[test]
fn a_product_is_kept_only_when_every_filter_holds() {
    let mug = product(
        "MUG-1",
        "kitchen",
        1500,
        r#"{"color":"red","brand":"Mise"}"#,
    );
    let attributes = [(
        "color".to_owned(),
        vec!["navy".to_owned(), "red".to_owned()],
    )];
    let filters = Filters::parse("kitchen", Some(1000), Some(2000), false, &attributes).unwrap();
    assert!(keeps(&filters, &mug));
    let too_cheap = Filters::parse("", Some(1600), None, false, &[]).unwrap();
    assert!(!keeps(&too_cheap, &mug));
    let other_brand = [("brand".to_owned(), vec!["Other".to_owned()])];
    assert!(!keeps(
        &Filters::parse("", None, None, false, &other_brand).unwrap(),
        &mug
    ));
    assert!(!keeps(
        &Filters::parse("garden", None, None, false, &[]).unwrap(),
        &mug
    ));
}

#[test]
fn fusion_rewards_agreement_and_breaks_ties_by_sku() {
    let keyword = vec!["B".to_owned(), "A".to_owned()];
    let vector = vec![near("C", 0.9), near("A", 0.8)];
    // A is second in both (1/62 twice); B and C are first in one each (1/61 once).
    assert_eq!(fuse(&keyword, &vector), ["A", "B", "C"]);
    assert_eq!(fuse(&[], &[near("Z", 0.5), near("Y", 0.4)]), ["Z", "Y"]);
}

#[test]
fn weak_vector_matches_are_dropped_rather_than_shown() {
    let nearest = vec![
        near("A", 0.62),
        near("B", 0.55),
        near("C", 0.41),
        near("D", 0.2),
    ];
    let kept: Vec<String> = good_matches(nearest.clone(), 0.3, 0.15)
        .into_iter()
        .map(|near| near.sku)
        .collect();
    assert_eq!(kept, ["A", "B"]);
    assert!(good_matches(vec![near("A", 0.25), near("B", 0.2)], 0.3, 0.15).is_empty());
}

#[test]
fn facets_count_categories_and_attributes_most_first() {
    let products = vec![
        product("A-1", "kitchen", 100, r#"{"color":"red","brand":"Mise"}"#),
        product("A-2", "kitchen", 200, r#"{"color":"navy"}"#),
        product("A-3", "garden", 300, r#"{"color":"red","weight_grams":3}"#),
    ];
    let facets = facets(&products);
    let names: Vec<&str> = facets.iter().map(|facet| facet.name.as_str()).collect();
    assert_eq!(names, ["brand", "category", "color"]);
    let color = facets.iter().find(|facet| facet.name == "color").unwrap();
    assert_eq!(
        color.values,
        [("red".to_owned(), 2), ("navy".to_owned(), 1)]
    );
}

#[test]
fn sorts_order_by_price_and_age() {
    let mut products = vec![
        product("A-1", "kitchen", 300, "{}"),
        product("A-2", "kitchen", 100, "{}"),
        product("A-3", "kitchen", 200, "{}"),
    ];
    sort(&mut products, Sort::PriceAscending);
    let skus = |products: &[Arc<Product>]| -> Vec<String> {
        products
            .iter()
            .map(|product| product.sku.as_str().to_owned())
            .collect()
    };
    assert_eq!(skus(&products), ["A-2", "A-3", "A-1"]);
    sort(&mut products, Sort::PriceDescending);
    assert_eq!(skus(&products), ["A-1", "A-3", "A-2"]);
    sort(&mut products, Sort::Newest);
    assert_eq!(skus(&products), ["A-1", "A-3", "A-2"]);
}

#[test]
fn only_keeps_the_allowed_in_order() {
    let allowed: HashSet<String> = ["C".to_owned(), "A".to_owned()].into();
    let kept: Vec<String> = only(
        vec![near("A", 0.9), near("B", 0.8), near("C", 0.7)],
        &allowed,
    )
    .into_iter()
    .map(|near| near.sku)
    .collect();
    assert_eq!(kept, ["A", "C"]);
}

#[test]
fn overlap_counts_the_shared_top_k() {
    let a: Vec<String> = ["A", "B", "C", "D"].map(str::to_owned).to_vec();
    let b: Vec<String> = ["B", "A", "X", "Y"].map(str::to_owned).to_vec();
    assert_eq!(overlap_at(&a, &b, 4), 0.5);
    assert_eq!(overlap_at(&a, &b, 2), 1.0);
    assert_eq!(overlap_at(&a, &[], 10), 0.0);
    assert_eq!(overlap_at(&[], &[], 10), 1.0);
}

#[test]
fn stop_words_leave_the_keyword_query_unless_they_are_all_of_it() {
    let words = |text: &str| -> Vec<String> { text.split(' ').map(str::to_owned).collect() };
    assert_eq!(
        significant(&words("gift for a coffee lover")),
        words("gift coffee lover")
    );
    assert_eq!(significant(&words("the and")), words("the and"));
}

#[test]
fn a_catalog_word_is_matched_whole_and_a_common_one_ranks_the_names_first() {
    let mut vocabulary = Vocabulary::default();
    for _ in 0..1000 {
        vocabulary.add("coffee mug set");
    }
    vocabulary.add("espadrilles");
    let terms = |text: &str| -> Vec<String> { text.split(' ').map(str::to_owned).collect() };
    let plan = words(&terms("coffee set"), &vocabulary, 200);
    assert!(!plan.last_is_prefix, "set is a word: not settee");
    assert!(plan.names_first, "in 1,000 products, more than 4 times 200");
    let typed = words(&terms("coffee espad"), &vocabulary, 200);
    assert!(typed.last_is_prefix && typed.names_first);
    let rare = words(&terms("espadrilles for the mug"), &vocabulary, 200);
    assert_eq!(rare.terms, terms("espadrilles mug"));
    assert!(!rare.names_first, "together, expected in one product");
    assert!(!words(&terms("coffee"), &vocabulary, 250).names_first);
}

#[test]
fn an_attribute_value_loses_only_the_whitespace_the_rest_api_forbids_at_its_ends() {
    let parsed = parse_attributes(&[(
        "color".to_owned(),
        vec![" red\u{a0}".to_owned(), "\u{85}".to_owned()],
    )])
    .unwrap();
    assert_eq!(parsed["color"], ["red", "\u{85}"]);
}
