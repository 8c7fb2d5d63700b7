//! What a shopper's words ask for, read by rules when no language model answers (and used to
//! fill what a model's search leaves out): a search with a price range and colours to leave
//! out ("stylish summer shoes under $80, not white"), or a product to add to the cart ("add
//! KIT-00001 to my cart").

use std::sync::LazyLock;

use regex::Regex;

/// A search the words ask for.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Search {
    pub query: String,
    pub min_price_minor: Option<i64>,
    pub max_price_minor: Option<i64>,
    /// Words a product's colour, name or description must not have.
    pub exclude: Vec<String>,
}

/// What the words ask for.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Intent {
    Search(Search),
    /// To add `quantity` of `sku` to the cart (after the shopper confirms).
    AddToCart {
        sku: String,
        quantity: u32,
    },
}

static ADD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\badd\s+(?:(\d{1,2})\s*(?:x\s*|of\s+)?)?([A-Z]{3}-\d{5})\b")
        .expect("a pattern")
});
static MAX_PRICE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:under|below|less than|cheaper than|at most|up to|max(?:imum)?)\s*\$?\s*(\d+(?:\.\d{1,2})?)\s*(?:\$|dollars?|usd)?").expect("a pattern")
});
static MIN_PRICE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:over|above|more than|at least|min(?:imum)?)\s*\$?\s*(\d+(?:\.\d{1,2})?)\s*(?:\$|dollars?|usd)?").expect("a pattern")
});
static EXCLUDE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:not|no|without|except|but not)\s+([a-z]+(?:\s+or\s+[a-z]+)*)")
        .expect("a pattern")
});
/// Words that ask without saying what for.
const FILLER: &[&str] = &[
    "i", "im", "i'm", "want", "need", "looking", "for", "show", "me", "find", "please", "some",
    "a", "an", "the", "any", "do", "you", "have", "can", "could", "get", "would", "like", "is",
    "there", "are",
];

/// The cents of a price in dollars.
fn minor(dollars: &str) -> Option<i64> {
    let value: f64 = dollars.parse().ok()?;
    (value.is_finite() && value >= 0.0).then(|| (value * 100.0).round() as i64)
}

/// Reads `said`.
pub(crate) fn read(said: &str) -> Intent {
    if let Some(found) = ADD.captures(said) {
        let quantity = found
            .get(1)
            .and_then(|n| n.as_str().parse().ok())
            .unwrap_or(1u32);
        return Intent::AddToCart {
            sku: found[2].to_uppercase(),
            quantity: quantity.clamp(1, 99),
        };
    }
    let mut rest = said.to_owned();
    let mut search = Search::default();
    if let Some(found) = MAX_PRICE.captures(said) {
        search.max_price_minor = minor(&found[1]);
        rest = rest.replace(&found[0], " ");
    }
    if let Some(found) = MIN_PRICE.captures(said) {
        search.min_price_minor = minor(&found[1]);
        rest = rest.replace(&found[0], " ");
    }
    for found in EXCLUDE.captures_iter(said) {
        for word in found[1].split(" or ") {
            search.exclude.push(word.trim().to_lowercase());
        }
        rest = rest.replace(&found[0], " ");
    }
    let words: Vec<&str> = rest
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\''))
        .filter(|word| !word.is_empty())
        .filter(|word| !FILLER.contains(&word.to_lowercase().as_str()))
        .collect();
    search.query = words.join(" ");
    Intent::Search(search)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_in_words_becomes_a_search_with_its_price_and_colours_to_leave_out() {
        let Intent::Search(search) = read("stylish summer shoes under $80, not white") else {
            panic!("a search");
        };
        assert_eq!(search.query, "stylish summer shoes");
        assert_eq!(search.max_price_minor, Some(8_000));
        assert_eq!(search.exclude, ["white"]);

        let Intent::Search(search) = read("Show me a kettle over 20 dollars without black or red")
        else {
            panic!("a search");
        };
        assert_eq!(search.query, "kettle");
        assert_eq!(search.min_price_minor, Some(2_000));
        assert_eq!(search.exclude, ["black", "red"]);
    }

    #[test]
    fn asking_to_add_a_product_names_it_and_how_many() {
        assert_eq!(
            read("please add 2 of kit-00001 to my cart"),
            Intent::AddToCart {
                sku: "KIT-00001".to_owned(),
                quantity: 2
            }
        );
        assert_eq!(
            read("Add KIT-00003"),
            Intent::AddToCart {
                sku: "KIT-00003".to_owned(),
                quantity: 1
            }
        );
    }
}
