//! A listing's filters, sort and page, read from the query string, and applied to a category's
//! products. The catalog lists a category in sku order; the price range, the attribute values
//! (brand, colour, material), the order and the page are the storefront's, over the category's
//! products held for a few seconds.

use std::collections::BTreeMap;

use proto::catalog::Product;

/// The attributes a listing can be narrowed by, and their labels.
pub(crate) const FACETS: &[(&str, &str)] = &[
    ("brand", "Brand"),
    ("color", "Colour"),
    ("material", "Material"),
];

/// Products on one listing page.
pub(crate) const PAGE_SIZE: usize = 24;

/// How a listing is ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Sort {
    #[default]
    Featured,
    PriceLow,
    PriceHigh,
    Name,
    Newest,
}

impl Sort {
    pub(crate) const ALL: [(Sort, &'static str, &'static str); 5] = [
        (Sort::Featured, "featured", "Featured"),
        (Sort::PriceLow, "price_asc", "Price: low to high"),
        (Sort::PriceHigh, "price_desc", "Price: high to low"),
        (Sort::Name, "name", "Name"),
        (Sort::Newest, "newest", "Newest"),
    ];

    /// Whether search results can be put in this order (the catalog sorts them).
    pub(crate) fn searchable(self) -> bool {
        self != Sort::Name
    }

    pub(crate) fn key(self) -> &'static str {
        Sort::ALL
            .iter()
            .find(|(sort, _, _)| *sort == self)
            .map_or("featured", |(_, key, _)| key)
    }
}

/// What the query string asked for, and what in it was wrong (by field).
#[derive(Clone, Debug, Default)]
pub(crate) struct Filters {
    pub(crate) min_price: Option<i64>,
    pub(crate) max_price: Option<i64>,
    /// The price fields as typed, to show them again.
    pub(crate) min_text: String,
    pub(crate) max_text: String,
    pub(crate) sort: Sort,
    /// 1-based.
    pub(crate) page: usize,
    /// Chosen values per facet.
    pub(crate) chosen: BTreeMap<String, Vec<String>>,
    /// Only what is in stock (search only: the catalog asks inventory).
    pub(crate) in_stock: bool,
    pub(crate) problems: BTreeMap<&'static str, String>,
}

impl Filters {
    pub(crate) fn parse(query: Option<&str>) -> Filters {
        let mut filters = Filters {
            page: 1,
            ..Filters::default()
        };
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            let value = value.trim().to_owned();
            match name.as_ref() {
                "min_price" => filters.min_text = value,
                "in_stock" => filters.in_stock = !value.is_empty(),
                "max_price" => filters.max_text = value,
                "sort" => match Sort::ALL.iter().find(|(_, key, _)| *key == value) {
                    Some((sort, _, _)) => filters.sort = *sort,
                    None => {
                        filters
                            .problems
                            .insert("sort", format!("There is no order \"{value}\"."));
                    }
                },
                "page" => match value.parse::<usize>() {
                    Ok(page) if page >= 1 => filters.page = page,
                    _ => {
                        filters
                            .problems
                            .insert("page", format!("\"{value}\" is no page number."));
                    }
                },
                facet if FACETS.iter().any(|(key, _)| *key == facet) && !value.is_empty() => {
                    filters
                        .chosen
                        .entry(facet.to_owned())
                        .or_default()
                        .push(value);
                }
                _ => {}
            }
        }
        filters.min_price = filters.price("min_price", &filters.min_text.clone());
        filters.max_price = filters.price("max_price", &filters.max_text.clone());
        if let (Some(min), Some(max)) = (filters.min_price, filters.max_price)
            && min > max
        {
            filters.problems.insert(
                "max_price",
                "The highest price is below the lowest.".to_owned(),
            );
        }
        filters
    }

    fn price(&mut self, field: &'static str, text: &str) -> Option<i64> {
        if text.is_empty() {
            return None;
        }
        let parsed = crate::money::parse_minor_units(text);
        if parsed.is_none() {
            self.problems.insert(
                field,
                format!("\"{text}\" is no price; write an amount such as 20 or 19.99."),
            );
        }
        parsed
    }

    pub(crate) fn is_chosen(&self, facet: &str, value: &str) -> bool {
        self.chosen
            .get(facet)
            .is_some_and(|values| values.iter().any(|chosen| chosen == value))
    }

    /// The products that pass every filter, in the chosen order.
    pub(crate) fn apply<'a>(&self, products: &'a [Product]) -> Vec<&'a Product> {
        let mut kept: Vec<&Product> = products
            .iter()
            .filter(|product| {
                let price = product.price.as_ref().map_or(0, |price| price.minor_units);
                self.min_price.is_none_or(|min| price >= min)
                    && self.max_price.is_none_or(|max| price <= max)
                    && self.chosen.iter().all(|(facet, values)| {
                        attribute(product, facet).is_some_and(|value| values.contains(&value))
                    })
            })
            .collect();
        let price = |product: &Product| product.price.as_ref().map_or(0, |price| price.minor_units);
        match self.sort {
            Sort::Featured => {}
            Sort::PriceLow => kept.sort_by_key(|product| price(product)),
            Sort::PriceHigh => kept.sort_by_key(|product| std::cmp::Reverse(price(product))),
            Sort::Name => kept.sort_by(|a, b| a.name.cmp(&b.name)),
            Sort::Newest => kept.sort_by_key(|product| std::cmp::Reverse(product.created_at_unix)),
        }
        kept
    }

    /// The query string of these filters on page `page`.
    pub(crate) fn query(&self, page: usize) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !self.min_text.is_empty() {
            query.append_pair("min_price", &self.min_text);
        }
        if !self.max_text.is_empty() {
            query.append_pair("max_price", &self.max_text);
        }
        for (facet, values) in &self.chosen {
            for value in values {
                query.append_pair(facet, value);
            }
        }
        if self.in_stock {
            query.append_pair("in_stock", "1");
        }
        if self.sort != Sort::Featured {
            query.append_pair("sort", self.sort.key());
        }
        if page > 1 {
            query.append_pair("page", &page.to_string());
        }
        query.finish()
    }
}

/// A product's attribute as text, when it is a string.
pub(crate) fn attribute(product: &Product, name: &str) -> Option<String> {
    let attributes: serde_json::Value = serde_json::from_str(&product.attributes_json).ok()?;
    attributes.get(name)?.as_str().map(str::to_owned)
}

/// A facet's key, its label, and its values with how many products have each.
pub(crate) type FacetCounts = (&'static str, &'static str, Vec<(String, usize)>);

/// Each facet's values among `products`, with how many products have each.
pub(crate) fn facet_counts(products: &[Product]) -> Vec<FacetCounts> {
    FACETS
        .iter()
        .map(|(facet, label)| {
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for product in products {
                if let Some(value) = attribute(product, facet) {
                    *counts.entry(value).or_default() += 1;
                }
            }
            (*facet, *label, counts.into_iter().collect())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(sku: &str, price: i64, brand: &str) -> Product {
        Product {
            sku: sku.to_owned(),
            name: sku.to_owned(),
            price: Some(proto::common::Money {
                minor_units: price,
                currency: "USD".to_owned(),
            }),
            attributes_json: format!("{{\"brand\":\"{brand}\"}}"),
            ..Product::default()
        }
    }

    #[test]
    fn filters_narrow_and_order_a_listing() {
        let products = [
            product("A-1", 3000, "Mise"),
            product("A-2", 1000, "Mise"),
            product("A-3", 2000, "Other"),
        ];
        let filters = Filters::parse(Some("min_price=15&sort=price_asc&brand=Mise&brand=Other"));
        assert!(filters.problems.is_empty());
        let skus: Vec<_> = filters
            .apply(&products)
            .iter()
            .map(|p| p.sku.as_str())
            .collect();
        assert_eq!(skus, ["A-3", "A-1"]);
        let filters = Filters::parse(Some("brand=Mise&sort=price_desc"));
        let skus: Vec<_> = filters
            .apply(&products)
            .iter()
            .map(|p| p.sku.as_str())
            .collect();
        assert_eq!(skus, ["A-1", "A-2"]);
        assert_eq!(filters.query(2), "brand=Mise&sort=price_desc&page=2");
    }

    #[test]
    fn bad_values_are_named_by_their_field() {
        let filters = Filters::parse(Some("min_price=cheap&max_price=5&sort=random&page=0"));
        assert!(filters.problems["min_price"].contains("\"cheap\" is no price"));
        assert!(filters.problems["sort"].contains("random"));
        assert!(filters.problems["page"].contains("0"));
        let filters = Filters::parse(Some("min_price=50&max_price=5"));
        assert!(filters.problems["max_price"].contains("below"));
    }
}
