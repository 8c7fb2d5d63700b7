//! A product's page: its pictures, price, description and attributes, its stock level (live
//! with the script, through `/p/{sku}/stock`), the form that adds it to the cart, and what was
//! bought with it (or what is like it), kept with the product in the page's cache.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use maud::{Markup, html};
use platform::transport::request;
use proto::catalog::{self as pb, Product};
use proto::inventory as stock;

use crate::Storefront;
use crate::error::PageError;
use crate::layout::{frame, picture};
use crate::money;
use crate::recommended::{Shelf, bought_with, section};
use crate::visit::Visit;

/// Below this many, the page says how few are left.
const FEW_LEFT: i64 = 5;

/// Products with their stock level, kept for `product_cache_ms`: the edge cache of the busiest
/// page, so that a popular product's page makes no downstream call most of the time.
pub(crate) struct Cache {
    entries: Option<moka::future::Cache<String, Arc<Stocked>>>,
}

/// A product, the units of it that can be sold (none when inventory did not answer), and its
/// shelf of recommendations.
type Stocked = (Product, Option<i64>, Shelf);

impl Cache {
    pub(crate) fn new(ttl: std::time::Duration) -> Cache {
        Cache {
            entries: (!ttl.is_zero()).then(|| {
                moka::future::Cache::builder()
                    .time_to_live(ttl)
                    .max_capacity(10_000)
                    .build()
            }),
        }
    }
}

/// The product and its stock, from the cache or from the catalog and inventory.
async fn product_and_stock(storefront: &Storefront, sku: &str) -> Result<Arc<Stocked>, PageError> {
    let read = async {
        let token = storefront.service_token().await?;
        let product = match storefront
            .catalog
            .clone()
            .get_product(request(
                pb::GetProductRequest {
                    sku: sku.to_owned(),
                },
                &token,
            ))
            .await
        {
            Ok(found) => found.into_inner(),
            Err(status) if status.code() == tonic::Code::NotFound => {
                return Err(PageError::not_found(format!("There is no product {sku}.")));
            }
            Err(status) => return Err(status.into()),
        };
        let shelf = bought_with(storefront, &token, vec![sku.to_owned()]).await;
        Ok(Arc::new((
            product,
            available(storefront, &token, sku).await,
            shelf,
        )))
    };
    match &storefront.products.entries {
        Some(entries) => entries
            .try_get_with(sku.to_owned(), read)
            .await
            .map_err(crate::error::unshare),
        None => read.await,
    }
}

pub(crate) async fn page(
    State(storefront): State<Storefront>,
    visit: Visit,
    Path(sku): Path<String>,
) -> Result<Response, PageError> {
    let sku = sku.trim().to_ascii_uppercase();
    let found = product_and_stock(&storefront, &sku).await?;
    let (product, available) = (&found.0, found.1);
    let csrf = visit.csrf_token();
    let content = html! {
        nav aria-label="Breadcrumb" { a href={ "/c/" (product.category) } { (product.category) } }
        article.product {
            div.gallery {
                @for (index, url) in product.image_urls.iter().enumerate() {
                    (picture(url, &alt_text(product, index), if index == 0 { 480 } else { 120 }, index > 0))
                }
            }
            div.details {
                h1 { (product.name) }
                p.price { (money::format(product.price.as_ref())) }
                (stock_line(&sku, available))
                (add_form(product, &csrf, available))
                p { (product.description) }
                (attributes(product))
            }
        }
        (section(&found.2, html! {
            p { a href={ "/c/" (product.category) } { "More in " (product.category) } }
        }))
    };
    Ok(frame(&visit, &product.name, content).into_response())
}

fn alt_text(product: &Product, index: usize) -> String {
    if index == 0 {
        product.name.clone()
    } else {
        format!("{}, view {}", product.name, index + 1)
    }
}

/// The units that can be sold now; `None` when inventory did not answer (the page still
/// shows, without a stock line).
async fn available(storefront: &Storefront, token: &str, sku: &str) -> Option<i64> {
    let levels = storefront
        .inventory
        .clone()
        .get_stock(request(
            stock::GetStockRequest {
                skus: vec![sku.to_owned()],
            },
            token,
        ))
        .await;
    match levels {
        Ok(levels) => Some(
            levels
                .into_inner()
                .levels
                .first()
                .map_or(0, |level| level.available),
        ),
        Err(status) => {
            tracing::warn!(
                sku,
                message = status.message(),
                "no stock level for a product page"
            );
            None
        }
    }
}

/// What the stock line says for `available` units.
pub(crate) fn stock_text(available: i64) -> String {
    match available {
        ..=0 => "Out of stock".to_owned(),
        1..FEW_LEFT => format!("Only {available} left"),
        _ => format!("In stock ({available} available)"),
    }
}

fn stock_line(sku: &str, available: Option<i64>) -> Markup {
    html! {
        @if let Some(available) = available {
            p.stock #stock data-stock-sku=(sku) role="status" aria-live="polite" { (stock_text(available)) }
        }
    }
}

fn add_form(product: &Product, csrf: &str, available: Option<i64>) -> Markup {
    let sold_out = available.is_some_and(|available| available <= 0);
    html! {
        form.add method="post" action="/cart/add" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="sku" value=(product.sku);
            label for="quantity" { "Quantity" }
            input #quantity type="number" name="quantity" value="1" min="1" max="99" inputmode="numeric";
            button type="submit" disabled[sold_out] { "Add to cart" }
        }
    }
}

fn attributes(product: &Product) -> Markup {
    let attributes: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&product.attributes_json).unwrap_or_default();
    html! {
        @if !attributes.is_empty() {
            h2 { "Details" }
            dl.attributes {
                @for (name, value) in &attributes {
                    dt { (name.replace('_', " ")) }
                    dd { (attribute_text(value)) }
                }
            }
        }
    }
}

fn attribute_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Array(values) => values
            .iter()
            .map(attribute_text)
            .collect::<Vec<_>>()
            .join(", "),
        serde_json::Value::Bool(true) => "yes".to_owned(),
        serde_json::Value::Bool(false) => "no".to_owned(),
        other => other.to_string(),
    }
}

/// The product's stock as Server-Sent Events (`event: stock`, data `{"available":n,"text":..}`):
/// the level now, then each change.
pub(crate) async fn stock_events(
    State(storefront): State<Storefront>,
    Path(sku): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, PageError> {
    let token = storefront.service_token().await?;
    let mut levels = storefront
        .inventory
        .clone()
        .watch_stock(request(
            stock::WatchStockRequest {
                skus: vec![sku.trim().to_ascii_uppercase()],
            },
            &token,
        ))
        .await?
        .into_inner();
    let (sender, receiver) = tokio::sync::mpsc::channel(8);
    tokio::spawn(async move {
        loop {
            // A visitor who left ends the watch at once, not at the next change.
            let level = tokio::select! {
                level = levels.message() => level,
                () = sender.closed() => return,
            };
            let Ok(Some(level)) = level else { return };
            let data = serde_json::json!({
                "available": level.available,
                "text": stock_text(level.available),
            });
            let event = Event::default().event("stock").data(data.to_string());
            if sender.send(Ok(event)).await.is_err() {
                return;
            }
        }
    });
    Ok(
        Sse::new(tokio_stream::wrappers::ReceiverStream::new(receiver))
            .keep_alive(KeepAlive::default()),
    )
}
