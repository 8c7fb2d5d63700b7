//! The assistant's tools, each run with the shopper's own token: search, a product, the cart;
//! and `add_to_cart`, which is never run when a model calls it, only proposed to the shopper,
//! who confirms it by a request of their own. What a tool reads from the shop is screened
//! (`screen`) before a model sees it.

use platform::error::Problem;
use platform::transport::request;
use proto::catalog as catalog_pb;
use proto::inference as pb;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::intent::{self, Search};
use super::screen::screen;
use crate::common::{Money, money};
use crate::state::Gateway;

pub(crate) const SEARCH: &str = "search_products";
pub(crate) const PRODUCT: &str = "get_product";
pub(crate) const CART: &str = "view_cart";
pub(crate) const ADD: &str = "add_to_cart";

/// The products a search shows at most.
const SHOWN: usize = 5;

/// A product the assistant shows, with why.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct Shown {
    pub sku: String,
    pub name: String,
    pub price: Money,
    /// Why it fits what was asked.
    pub reason: String,
}

/// What a tool found: text for the model, products for the shopper, sentences screened out.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub text: String,
    pub products: Vec<Shown>,
    pub screened: usize,
}

/// The tools as a model is offered them.
pub(crate) fn definitions() -> Vec<pb::Tool> {
    let tool = |name: &str, description: &str, parameters: Value| pb::Tool {
        name: name.to_owned(),
        description: description.to_owned(),
        parameters: parameters.to_string(),
    };
    vec![
        tool(
            SEARCH,
            "Searches the shop's catalogue. Prices are in dollars.",
            json!({
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "what to look for, in words"},
                    "max_price": {"type": "number"}, "min_price": {"type": "number"},
                    "exclude": {"type": "array", "items": {"type": "string"}, "description": "colours or words the products must not have"},
                },
                "required": ["query"],
            }),
        ),
        tool(
            PRODUCT,
            "Reads one product by its sku.",
            json!({
                "type": "object", "properties": {"sku": {"type": "string"}}, "required": ["sku"],
            }),
        ),
        tool(
            CART,
            "Reads the shopper's cart.",
            json!({"type": "object", "properties": {}}),
        ),
        tool(
            ADD,
            "Proposes adding a product to the shopper's cart; the shopper must confirm it.",
            json!({
                "type": "object",
                "properties": {"sku": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1, "maximum": 99}},
                "required": ["sku", "quantity"],
            }),
        ),
    ]
}

/// The search a call asks for: its arguments, and what the rules read in its words for what
/// the arguments leave out.
pub(crate) fn search_of(arguments: &Value) -> Search {
    let query = arguments["query"].as_str().unwrap_or("").to_owned();
    let mut search = match intent::read(&query) {
        intent::Intent::Search(search) => search,
        intent::Intent::AddToCart { .. } => Search {
            query: query.clone(),
            ..Search::default()
        },
    };
    let cents = |value: &Value| {
        value
            .as_f64()
            .map(|dollars| (dollars * 100.0).round() as i64)
    };
    search.max_price_minor = cents(&arguments["max_price"]).or(search.max_price_minor);
    search.min_price_minor = cents(&arguments["min_price"]).or(search.min_price_minor);
    for word in arguments["exclude"].as_array().into_iter().flatten() {
        if let Some(word) = word.as_str() {
            search.exclude.push(word.to_lowercase());
        }
    }
    if search.query.trim().is_empty() {
        search.query = query;
    }
    search
}

/// Runs a reading tool's `call` with `token`.
pub(crate) async fn run(gateway: &Gateway, token: &str, call: &pb::ToolCall) -> Found {
    let arguments: Value = serde_json::from_str(&call.arguments).unwrap_or(Value::Null);
    let ran = match call.name.as_str() {
        SEARCH => search(gateway, token, &search_of(&arguments)).await,
        PRODUCT => product(gateway, token, arguments["sku"].as_str().unwrap_or("")).await,
        CART => cart(gateway, token).await,
        other => Err(Problem::bad_request(format!("there is no tool `{other}`"))),
    };
    ran.unwrap_or_else(|problem| Found {
        text: json!({"error": problem.detail}).to_string(),
        ..Found::default()
    })
}

fn colour(product: &catalog_pb::Product) -> String {
    let attributes: Value = serde_json::from_str(&product.attributes_json).unwrap_or(Value::Null);
    attributes["color"].as_str().unwrap_or("").to_lowercase()
}

/// Whether `product` has none of the words `exclude` names in its colour or name.
fn kept(product: &catalog_pb::Product, exclude: &[String]) -> bool {
    let (colour, name) = (colour(product), product.name.to_lowercase());
    !exclude
        .iter()
        .any(|word| colour.contains(word.as_str()) || name.contains(word.as_str()))
}

fn price_of(product: &catalog_pb::Product) -> Money {
    money(product.price.clone()).unwrap_or(Money {
        minor_units: 0,
        currency: "USD".to_owned(),
    })
}

/// `$12.50`.
pub(crate) fn dollars(minor: i64) -> String {
    format!("${}.{:02}", minor / 100, minor % 100)
}

/// Why `product` fits `search`.
fn reason(product: &catalog_pb::Product, search: &Search) -> String {
    let mut why = vec![format!("matches “{}”", search.query)];
    let price = price_of(product).minor_units;
    if let Some(most) = search.max_price_minor {
        why.push(format!("{} is under {}", dollars(price), dollars(most)));
    }
    if let Some(least) = search.min_price_minor {
        why.push(format!("{} is over {}", dollars(price), dollars(least)));
    }
    if !search.exclude.is_empty() {
        let colour = colour(product);
        let shade = if colour.is_empty() {
            "its colour".to_owned()
        } else {
            colour
        };
        why.push(format!("{shade}, not {}", search.exclude.join(" or ")));
    }
    why.join("; ")
}

/// A product as a model reads it: its description screened, then cut short.
fn described(product: &catalog_pb::Product) -> (Value, usize) {
    let (description, screened) = screen(&product.description);
    let short: String = description.chars().take(240).collect();
    let price = dollars(price_of(product).minor_units);
    let value = json!({"sku": product.sku, "name": product.name, "price": price,
        "category": product.category, "color": colour(product), "description": short});
    (value, screened)
}

pub(crate) async fn search(
    gateway: &Gateway,
    token: &str,
    search: &Search,
) -> Result<Found, Problem> {
    let message = catalog_pb::SearchProductsRequest {
        query: search.query.chars().take(256).collect(),
        page: crate::common::page(Some(20), None),
        min_price_minor: search.min_price_minor,
        max_price_minor: search.max_price_minor,
        in_stock: true,
        ..Default::default()
    };
    let found = gateway
        .catalog
        .clone()
        .search_products(request(message, token))
        .await?;
    let products: Vec<catalog_pb::Product> = found
        .into_inner()
        .products
        .into_iter()
        .filter(|product| kept(product, &search.exclude))
        .take(SHOWN)
        .collect();
    let mut found = Found::default();
    let mut read = Vec::new();
    for product in &products {
        let (value, screened) = described(product);
        read.push(value);
        found.screened += screened;
        found.products.push(Shown {
            sku: product.sku.clone(),
            name: product.name.clone(),
            price: price_of(product),
            reason: reason(product, search),
        });
    }
    found.text = json!({"products": read}).to_string();
    Ok(found)
}

pub(crate) async fn product(gateway: &Gateway, token: &str, sku: &str) -> Result<Found, Problem> {
    let message = catalog_pb::GetProductRequest {
        sku: sku.to_uppercase(),
    };
    let product = gateway
        .catalog
        .clone()
        .get_product(request(message, token))
        .await?
        .into_inner();
    let (value, screened) = described(&product);
    let shown = Shown {
        sku: product.sku.clone(),
        name: product.name.clone(),
        price: price_of(&product),
        reason: "the product asked about".to_owned(),
    };
    Ok(Found {
        text: value.to_string(),
        products: vec![shown],
        screened,
    })
}

async fn cart(gateway: &Gateway, token: &str) -> Result<Found, Problem> {
    let view = gateway
        .cart
        .clone()
        .get_cart(request(proto::cart::GetCartRequest {}, token))
        .await?
        .into_inner();
    let lines: Vec<Value> = view
        .lines
        .iter()
        .map(|line| json!({"sku": line.sku, "name": line.name, "quantity": line.quantity}))
        .collect();
    Ok(Found {
        text: json!({"lines": lines, "item_count": view.item_count}).to_string(),
        ..Found::default()
    })
}
