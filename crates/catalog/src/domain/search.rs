//! What a search asks for and how its rankings become one answer: filters, modes and sorts,
//! the fusion of the keyword and vector rankings, the rule that drops weak matches instead of
//! padding with noise, and facet counts. No IO here.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::typo::Vocabulary;
use super::{Invalid, Product, parse_category};

/// How many products each ranking contributes before fusion, without filters and with them
/// (a filter applied after the vector ranking needs a deeper ranking to keep enough).
pub const CANDIDATES: usize = 200;
pub const FILTERED_CANDIDATES: usize = 1000;
/// Reciprocal rank fusion's constant: the rank at which a match's weight halves (Cormack et al.).
pub const FUSION_K: f64 = 60.0;
/// The attributes counted as facets, besides the category.
pub const FACETS: &[&str] = &["brand", "color", "material", "style"];
/// At most this many attribute names, and values per name, in one search.
const MAX_ATTRIBUTE_FILTERS: usize = 8;

/// Which rankings answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    #[default]
    Hybrid,
    Keyword,
    Vector,
}

impl Mode {
    pub fn uses_keywords(self) -> bool {
        self != Mode::Vector
    }

    pub fn uses_vectors(self) -> bool {
        self != Mode::Keyword
    }
}

/// How the matches are ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Relevance,
    PriceAscending,
    PriceDescending,
    Newest,
}

/// What every match must satisfy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filters {
    pub category: Option<String>,
    pub min_price_minor: Option<i64>,
    pub max_price_minor: Option<i64>,
    pub in_stock: bool,
    /// An attribute's name and the values of which a match must have one.
    pub attributes: BTreeMap<String, Vec<String>>,
}

impl Filters {
    /// Checks the parts a caller supplies; `attributes` are (name, values) pairs, and a name
    /// given twice has its values joined.
    pub fn parse(
        category: &str,
        min_price_minor: Option<i64>,
        max_price_minor: Option<i64>,
        in_stock: bool,
        attributes: &[(String, Vec<String>)],
    ) -> Result<Filters, Invalid> {
        let category = (!category.trim().is_empty())
            .then(|| parse_category("category", category))
            .transpose()?;
        for (field, bound) in [
            ("min_price_minor", min_price_minor),
            ("max_price_minor", max_price_minor),
        ] {
            if bound.is_some_and(|bound| bound < 0) {
                return Err(Invalid::new(field, "must not be negative"));
            }
        }
        // A range whose low end is above its high end is valid and holds no price: the answer
        // is empty, as OpenAPI (which cannot relate two parameters) lets a client expect.
        Ok(Filters {
            category,
            min_price_minor,
            max_price_minor,
            in_stock,
            attributes: parse_attributes(attributes)?,
        })
    }

    /// Whether the database has something to check beyond the text (everything but stock).
    pub fn narrows_in_database(&self) -> bool {
        self.category.is_some()
            || self.min_price_minor.is_some()
            || self.max_price_minor.is_some()
            || !self.attributes.is_empty()
    }

    pub fn narrows(&self) -> bool {
        self.narrows_in_database() || self.in_stock
    }
}

/// The whitespace trimmed from an attribute value's ends: ECMA-262's, which the REST API's
/// pattern for a value (JSON Schema's regular expressions) forbids there. Rust's own also holds
/// U+0085, which the pattern allows: trimming that made a valid value empty.
fn is_edge_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

fn parse_attributes(
    attributes: &[(String, Vec<String>)],
) -> Result<BTreeMap<String, Vec<String>>, Invalid> {
    let mut parsed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, values) in attributes {
        let name = name.trim();
        if name.is_empty()
            || name.len() > 32
            || !name
                .bytes()
                .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_')
        {
            return Err(Invalid::new(
                "attributes",
                format!("`{name}` is not an attribute name (a-z, 0-9 and _, at most 32)"),
            ));
        }
        let chosen = parsed.entry(name.to_owned()).or_default();
        for value in values {
            let value = value.trim_matches(is_edge_space);
            if value.is_empty() || value.chars().count() > 100 {
                return Err(Invalid::new(
                    "attributes",
                    format!("the values of `{name}` must be 1 to 100 characters"),
                ));
            }
            if !chosen.iter().any(|known| known == value) {
                chosen.push(value.to_owned());
            }
        }
        if chosen.is_empty() {
            return Err(Invalid::new(
                "attributes",
                format!("`{name}` needs at least one value"),
            ));
        }
        if chosen.len() > MAX_ATTRIBUTE_FILTERS {
            return Err(Invalid::new(
                "attributes",
                format!("at most {MAX_ATTRIBUTE_FILTERS} values of `{name}`"),
            ));
        }
    }
    if parsed.len() > MAX_ATTRIBUTE_FILTERS {
        return Err(Invalid::new(
            "attributes",
            format!("at most {MAX_ATTRIBUTE_FILTERS} attributes"),
        ));
    }
    Ok(parsed)
}

/// A product the vector ranking found, and how close in meaning it is (cosine, -1 to 1).
#[derive(Clone, Debug, PartialEq)]
pub struct Near {
    pub sku: String,
    pub similarity: f32,
}

/// Words that tell no product from another: left out of the keyword query unless the query is
/// nothing else ("gift for a coffee lover" asks for "gift coffee lover"). Each would make the
/// database intersect a list of nearly every product (12 ms at 100,000 rather than 1 ms).
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with",
];

/// `terms` without the stop words, or all of them when they are nothing else.
pub fn significant(terms: &[String]) -> Vec<String> {
    let kept: Vec<String> = terms
        .iter()
        .filter(|term| !STOP_WORDS.contains(&term.as_str()))
        .cloned()
        .collect();
    if kept.is_empty() {
        terms.to_vec()
    } else {
        kept
    }
}

/// How the database is asked for the keyword ranking of a query's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Words {
    /// Every one must match; stop words are left out.
    pub terms: Vec<String>,
    /// Whether the last term is the start of a word (as typed in a search box), not a word of
    /// the catalog: a whole word matches as itself, stemmed ("set" finds "sets"), rather than
    /// merging the lists of every word it begins ("settee", "setting"), which was half the
    /// time of the slowest queries.
    pub last_is_prefix: bool,
    /// Whether to rank the names alone first: when the words are expected in more products
    /// than `NAMES_FIRST_FROM` times the candidates, ranking every match (about 2 µs each)
    /// costs more than a second query; when few match, the second query would double the
    /// reading of the words' lists for nothing. The expectation takes the words as
    /// independent: the products times each word's share of them.
    pub names_first: bool,
}

/// See `Words::names_first`.
const NAMES_FIRST_FROM: usize = 4;

/// The plan for `terms` against the catalog's `vocabulary`, for `limit` candidates.
pub fn words(terms: &[String], vocabulary: &Vocabulary, limit: usize) -> Words {
    let terms = significant(terms);
    let last_is_prefix = terms.last().is_some_and(|last| !vocabulary.contains(last));
    let whole = terms.len() - usize::from(last_is_prefix);
    let products = f64::from(vocabulary.products().max(1));
    let expected = terms[..whole].iter().fold(products, |expected, term| {
        expected * f64::from(vocabulary.count(term)) / products
    });
    Words {
        names_first: whole > 0 && expected > (limit * NAMES_FIRST_FROM) as f64,
        terms,
        last_is_prefix,
    }
}

/// The vector matches worth showing: at least `floor`, and within `spread` of the best one, so
/// a query nothing fits answers nothing instead of the least bad products.
pub fn good_matches(mut nearest: Vec<Near>, floor: f32, spread: f32) -> Vec<Near> {
    let best = nearest.first().map_or(f32::MIN, |near| near.similarity);
    let bar = floor.max(best - spread);
    nearest.retain(|near| near.similarity >= bar);
    nearest
}

/// One ranking of skus from the keyword and the vector rankings: reciprocal rank fusion, each
/// ranking weighted 1, ties broken by sku so the order is deterministic.
pub fn fuse(keyword: &[String], vector: &[Near]) -> Vec<String> {
    let mut scores: HashMap<&str, f64> = HashMap::new();
    for (rank, sku) in keyword.iter().enumerate() {
        *scores.entry(sku).or_default() += 1.0 / (FUSION_K + rank as f64 + 1.0);
    }
    for (rank, near) in vector.iter().enumerate() {
        *scores.entry(&near.sku).or_default() += 1.0 / (FUSION_K + rank as f64 + 1.0);
    }
    let mut fused: Vec<(&str, f64)> = scores.into_iter().collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    fused.into_iter().map(|(sku, _)| sku.to_owned()).collect()
}

/// `products` (already in relevance order) in the order asked for.
pub fn sort(products: &mut [std::sync::Arc<Product>], sort: Sort) {
    match sort {
        Sort::Relevance => {}
        Sort::PriceAscending => {
            products.sort_by_key(|product| product.draft.price.minor_units());
        }
        Sort::PriceDescending => {
            products.sort_by_key(|product| std::cmp::Reverse(product.draft.price.minor_units()));
        }
        Sort::Newest => products.sort_by_key(|product| std::cmp::Reverse(product.created_at)),
    }
}

/// Whether `product` has one of the chosen values of every filtered attribute; the check the
/// database makes, for the matches the index found.
pub fn keeps(filters: &Filters, product: &Product) -> bool {
    let draft = &product.draft;
    filters
        .category
        .as_ref()
        .is_none_or(|category| &draft.category == category)
        && filters
            .min_price_minor
            .is_none_or(|low| draft.price.minor_units() >= low)
        && filters
            .max_price_minor
            .is_none_or(|high| draft.price.minor_units() <= high)
        && filters.attributes.iter().all(|(name, values)| {
            draft
                .attributes
                .text(name)
                .is_some_and(|value| values.iter().any(|chosen| chosen == value))
        })
}

/// A facet: an attribute (or `category`) and how many matches have each of its values, most
/// first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facet {
    pub name: String,
    pub values: Vec<(String, u32)>,
}

/// The category and `FACETS` counted over `products`; values with no match are left out.
pub fn facets(products: &[std::sync::Arc<Product>]) -> Vec<Facet> {
    let mut counts: BTreeMap<&str, HashMap<String, u32>> = BTreeMap::new();
    for product in products {
        *counts
            .entry("category")
            .or_default()
            .entry(product.draft.category.clone())
            .or_default() += 1;
        for name in FACETS {
            if let Some(value) = product.draft.attributes.text(name) {
                *counts
                    .entry(name)
                    .or_default()
                    .entry(value.to_owned())
                    .or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .map(|(name, values)| {
            let mut values: Vec<(String, u32)> = values.into_iter().collect();
            values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            Facet {
                name: name.to_owned(),
                values,
            }
        })
        .collect()
}

/// The skus of `ranked` that are in `allowed`, in order.
pub fn only(ranked: Vec<Near>, allowed: &HashSet<String>) -> Vec<Near> {
    ranked
        .into_iter()
        .filter(|near| allowed.contains(&near.sku))
        .collect()
}

/// The share of the first `k` of `served` that are also among the first `k` of `shadow`: 1 when
/// they agree on every one, 0 when on none (and 1 when both are empty).
pub fn overlap_at(served: &[String], shadow: &[String], k: usize) -> f64 {
    let served: HashSet<&String> = served.iter().take(k).collect();
    let shadow: HashSet<&String> = shadow.iter().take(k).collect();
    let size = served.len().max(shadow.len());
    if size == 0 {
        return 1.0;
    }
    served.intersection(&shadow).count() as f64 / size as f64
}

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;
