//! Unit tests of typo correction.

use super::*;

fn vocabulary() -> Vocabulary {
    let mut vocabulary = Vocabulary::default();
    for text in [
        "Linen Sandals in Sand",
        "Canvas espadrilles for the beach",
        "Leather sandals",
        "Ceramic coffee mug",
        "Coffee grinder",
        "Stainless steel kettle",
    ] {
        vocabulary.add(text);
    }
    vocabulary
}

fn terms(text: &str) -> Vec<String> {
    words(text).collect()
}

#[test]
fn the_distance_counts_edits_and_swaps_and_stops_at_the_limit() {
    assert_eq!(edit_distance("sandals", "sandals", 2), Some(0));
    assert_eq!(edit_distance("sandls", "sandals", 2), Some(1));
    assert_eq!(edit_distance("snadals", "sandals", 2), Some(1));
    assert_eq!(edit_distance("kettel", "kettle", 1), Some(1));
    assert_eq!(edit_distance("coffee", "toffee", 1), Some(1));
    assert_eq!(edit_distance("abc", "xyz", 2), None);
    assert_eq!(edit_distance("mug", "grinder", 2), None);
}

#[test]
fn misspelt_words_become_the_nearest_catalog_word() {
    let vocabulary = vocabulary();
    assert_eq!(
        vocabulary.correct(&terms("sandels for the beech")).unwrap(),
        ["sandals", "for", "the", "beach"]
    );
    assert_eq!(
        vocabulary.correct(&terms("stainles steal kettel")).unwrap(),
        ["stainless", "steel", "kettle"]
    );
    assert_eq!(
        vocabulary.correct(&terms("espadrils")).unwrap(),
        ["espadrilles"]
    );
}

#[test]
fn known_words_short_words_and_prefixes_are_left_alone() {
    let vocabulary = vocabulary();
    assert_eq!(vocabulary.correct(&terms("coffee mug")), None);
    assert_eq!(vocabulary.correct(&terms("mgu")), None);
    // Being typed: "gri" is not yet "grinder", and is not a typo.
    assert_eq!(vocabulary.correct(&terms("coffee grin")), None);
    // Nothing is close enough.
    assert_eq!(vocabulary.correct(&terms("quantum")), None);
}
