//! The catalog's pure rules: what a sku, a price, a product and a page are. No IO here.

use serde_json::{Map, Value};

pub mod search;
pub mod typo;

/// The shop's shared value types: `Invalid` names the field a check refused, and a product's
/// price is `Money` (never negative, at most ten million in major units).
pub use platform::values::{Invalid, Money};

/// The most products one page may hold.
pub const MAX_PAGE_SIZE: u32 = 100;
/// The page size when the caller does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 20;

/// A stock-keeping unit: 3 to 32 of `A-Z`, `0-9` and `-`, starting with a letter or digit.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sku(String);

impl Sku {
    /// Parses a sku; lower-case letters are taken as upper-case.
    pub fn parse(field: &'static str, raw: &str) -> Result<Sku, Invalid> {
        let sku = raw.trim().to_ascii_uppercase();
        if sku.is_empty() {
            return Err(Invalid::new(field, "is required"));
        }
        if !(3..=32).contains(&sku.len()) {
            return Err(Invalid::new(field, "must be 3 to 32 characters"));
        }
        if !sku
            .bytes()
            .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == b'-')
            || sku.starts_with('-')
        {
            return Err(Invalid::new(
                field,
                "may hold only letters, digits and dashes, and not start with a dash",
            ));
        }
        Ok(Sku(sku))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A category's short name: lower-case letters, digits and dashes.
pub fn parse_category(field: &'static str, raw: &str) -> Result<String, Invalid> {
    let slug = raw.trim();
    if slug.is_empty() {
        return Err(Invalid::new(field, "is required"));
    }
    if slug.len() > 64
        || !slug
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
    {
        return Err(Invalid::new(
            field,
            "must be a category slug (lower-case letters, digits, dashes)",
        ));
    }
    Ok(slug.to_owned())
}

/// What an administrator supplies to create or replace a product.
#[derive(Clone, Debug, PartialEq)]
pub struct ProductDraft {
    pub name: String,
    pub description: String,
    pub category: String,
    pub price: Money,
    pub image_urls: Vec<String>,
    pub attributes: Attributes,
}

/// Free-form attributes: a JSON object, kept as its compact text so that reads pass it on
/// without parsing it again; parsed once, when a search first looks into it.
#[derive(Clone, Debug)]
pub struct Attributes {
    json: String,
    parsed: std::sync::OnceLock<Map<String, Value>>,
}

impl PartialEq for Attributes {
    fn eq(&self, other: &Attributes) -> bool {
        self.json == other.json
    }
}

impl Eq for Attributes {}

impl Attributes {
    /// The most JSON text one product's attributes may hold.
    pub const MAX_BYTES: usize = 16 * 1024;

    /// Parses a JSON object; empty text means `{}`.
    pub fn parse(field: &'static str, raw: &str) -> Result<Attributes, Invalid> {
        if raw.trim().is_empty() {
            return Ok(Attributes::of("{}".to_owned()));
        }
        if raw.len() > Attributes::MAX_BYTES {
            return Err(Invalid::new(field, "must be at most 16 KiB of JSON"));
        }
        match serde_json::from_str::<Value>(raw) {
            Ok(object @ Value::Object(_)) => Ok(Attributes::of(object.to_string())),
            Ok(_) => Err(Invalid::new(field, "must be a JSON object")),
            Err(error) => Err(Invalid::new(field, format!("is not valid JSON: {error}"))),
        }
    }

    fn of(json: String) -> Attributes {
        Attributes {
            json,
            parsed: std::sync::OnceLock::new(),
        }
    }

    pub fn as_json(&self) -> &str {
        &self.json
    }

    /// One attribute's value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.parsed
            .get_or_init(|| serde_json::from_str(&self.json).unwrap_or_default())
            .get(key)
    }

    /// One attribute's value when it is a string.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }
}

impl ProductDraft {
    /// Checks every field; `attributes_json` must be a JSON object (empty means `{}`).
    pub fn parse(
        name: &str,
        description: &str,
        category: &str,
        price: Money,
        image_urls: Vec<String>,
        attributes_json: &str,
    ) -> Result<ProductDraft, Invalid> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Invalid::new("name", "is required"));
        }
        if name.chars().count() > 200 {
            return Err(Invalid::new("name", "must be at most 200 characters"));
        }
        if description.chars().count() > 5000 {
            return Err(Invalid::new(
                "description",
                "must be at most 5000 characters",
            ));
        }
        let category = parse_category("category", category)?;
        if image_urls.len() > 10 {
            return Err(Invalid::new("image_urls", "at most 10 images"));
        }
        for url in &image_urls {
            let plausible =
                url.starts_with('/') || url.starts_with("https://") || url.starts_with("http://");
            if !plausible || url.len() > 500 || url.chars().any(char::is_whitespace) {
                return Err(Invalid::new(
                    "image_urls",
                    format!("`{url}` is not an absolute path or http(s) URL"),
                ));
            }
        }
        let attributes = Attributes::parse("attributes", attributes_json)?;
        Ok(ProductDraft {
            name: name.to_owned(),
            description: description.trim().to_owned(),
            category,
            price,
            image_urls,
            attributes,
        })
    }
}

impl ProductDraft {
    /// The draft, with the shop's drawing of the product (served by the gateway) when it names
    /// no image of its own.
    pub fn with_drawing_for(mut self, sku: &Sku) -> ProductDraft {
        if self.image_urls.is_empty() {
            self.image_urls
                .push(format!("/images/products/{}-1.svg", sku.as_str()));
        }
        self
    }
}

/// A product as the catalog keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct Product {
    pub sku: Sku,
    pub draft: ProductDraft,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Product {
    /// What the product's vector is made from: its name, category, main attributes and
    /// description (the text the search-quality benchmark was scored with).
    pub fn search_text(&self) -> String {
        let draft = &self.draft;
        let mut text = format!("{}. {}.", draft.name, draft.category);
        for name in ["brand", "material", "color", "style", "use"] {
            if let Some(value) = draft.attributes.text(name) {
                text.push(' ');
                text.push_str(value);
            }
        }
        text.push_str(". ");
        text.push_str(&draft.description);
        text
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Category {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub product_count: u32,
}

/// Where a page starts. Lists page by key (the last sku seen), so that inserts do not shift
/// pages; search pages by offset, since its order is by relevance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cursor {
    Start,
    AfterSku(String),
    Offset(u32),
}

impl Cursor {
    /// Reads a page token: `k` and the last sku seen, or `o` and an offset; the empty token is
    /// the start. The form is published (the REST document states it), so any token of that
    /// form is valid: one made up names a place in the list like one this service made.
    pub fn parse(token: &str) -> Result<Cursor, Invalid> {
        if token.is_empty() {
            return Ok(Cursor::Start);
        }
        let bad = || {
            Invalid::new(
                "page_token",
                "must be `k` and a sku, or `o` and an offset, as `next_page_token` gives it",
            )
        };
        if !token
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        {
            return Err(bad());
        }
        if let Some(sku) = token.strip_prefix('k') {
            let sku = Sku::parse("page_token", sku).map_err(|_| bad())?;
            return Ok(Cursor::AfterSku(sku.as_str().to_owned()));
        }
        match token.strip_prefix('o') {
            Some(digits)
                if (1..=9).contains(&digits.len())
                    && digits.bytes().all(|byte| byte.is_ascii_digit()) =>
            {
                digits.parse().map(Cursor::Offset).map_err(|_| bad())
            }
            _ => Err(bad()),
        }
    }

    pub fn to_token(&self) -> String {
        match self {
            Cursor::Start => String::new(),
            Cursor::AfterSku(sku) => format!("k{sku}"),
            Cursor::Offset(offset) => format!("o{offset}"),
        }
    }
}

/// The page size to use: the default for zero, an error above the maximum.
pub fn page_size(asked: u32) -> Result<u32, Invalid> {
    match asked {
        0 => Ok(DEFAULT_PAGE_SIZE),
        size if size > MAX_PAGE_SIZE => Err(Invalid::new(
            "page_size",
            format!("must be at most {MAX_PAGE_SIZE}"),
        )),
        size => Ok(size),
    }
}

/// The words of a search query, lower-cased; punctuation separates words and is dropped, so
/// that no query syntax of either engine reaches it. A query with no word in it finds nothing.
pub fn search_terms(query: &str) -> Result<Vec<String>, Invalid> {
    if query.chars().count() > 256 {
        return Err(Invalid::new("query", "must be at most 256 characters"));
    }
    Ok(query
        .split(|character: char| !character.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .take(16)
        .map(str::to_lowercase)
        .collect())
}

#[cfg(test)]
mod tests;
