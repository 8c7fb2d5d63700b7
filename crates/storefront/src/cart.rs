//! The cart page and its forms. A signed-in shopper's cart is the cart service's; a visitor's
//! is kept in the session (sku and quantity) and priced from the catalog, and joins the cart
//! service's at sign-in.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use platform::transport::request;
use proto::cart as pb;
use serde::Deserialize;

use crate::Storefront;
use crate::error::PageError;
use crate::layout::{frame, picture, see_other};
use crate::money;
use crate::recommended::{Shelf, bought_with, section};
use crate::session::MAX_GUEST_LINES;
use crate::visit::Visit;

/// The most of one product a line may hold (the cart service's limit too).
const MAX_QUANTITY: u32 = 99;

/// A cart as the page shows it.
struct Lines {
    lines: Vec<pb::CartLine>,
    total: Option<proto::common::Money>,
    /// What was bought with these products (only on the cart's own page).
    also: Shelf,
}

pub(crate) async fn page(
    State(storefront): State<Storefront>,
    visit: Visit,
) -> Result<Response, PageError> {
    let mut cart = load(&storefront, &visit).await?;
    if !cart.lines.is_empty() {
        let skus = cart.lines.iter().map(|line| line.sku.clone()).collect();
        cart.also = bought_with(&storefront, &storefront.service_token().await?, skus).await;
    }
    Ok(render(&visit, &cart, None, StatusCode::OK))
}

async fn load(storefront: &Storefront, visit: &Visit) -> Result<Lines, PageError> {
    match visit.user() {
        Some(user) => {
            let view = storefront
                .cart
                .clone()
                .get_cart(request(pb::GetCartRequest {}, &user.access_token))
                .await?
                .into_inner();
            visit.update(|session| session.cart_count = view.item_count);
            Ok(Lines {
                lines: view.lines,
                total: view.total,
                also: Shelf::default(),
            })
        }
        None => guest_lines(storefront, &visit.session().guest_cart).await,
    }
}

/// A visitor's lines priced from the catalog; a product gone from it is left out.
async fn guest_lines(
    storefront: &Storefront,
    guest_cart: &[(String, u32)],
) -> Result<Lines, PageError> {
    if guest_cart.is_empty() {
        return Ok(Lines {
            lines: Vec::new(),
            total: None,
            also: Shelf::default(),
        });
    }
    let token = storefront.service_token().await?;
    let skus = guest_cart.iter().map(|(sku, _)| sku.clone()).collect();
    let products = storefront
        .catalog
        .clone()
        .batch_get_products(request(
            proto::catalog::BatchGetProductsRequest { skus },
            &token,
        ))
        .await?
        .into_inner()
        .products;
    let mut lines = Vec::new();
    let mut total: Option<proto::common::Money> = None;
    for (sku, quantity) in guest_cart {
        let Some(product) = products.iter().find(|product| &product.sku == sku) else {
            continue;
        };
        let price = product.price.clone().unwrap_or_default();
        let line_total = proto::common::Money {
            minor_units: price.minor_units * i64::from(*quantity),
            currency: price.currency.clone(),
        };
        let sum = total.get_or_insert_with(|| proto::common::Money {
            minor_units: 0,
            currency: price.currency.clone(),
        });
        sum.minor_units += line_total.minor_units;
        lines.push(pb::CartLine {
            sku: sku.clone(),
            name: product.name.clone(),
            quantity: *quantity,
            unit_price: Some(price),
            line_total: Some(line_total),
            available: true,
        });
    }
    Ok(Lines {
        lines,
        total,
        also: Shelf::default(),
    })
}

fn render(visit: &Visit, cart: &Lines, problem: Option<&str>, status: StatusCode) -> Response {
    let csrf = visit.csrf_token();
    let content = html! {
        h1 { "Your cart" }
        @if let Some(problem) = problem {
            p.problem role="alert" { (problem) }
        }
        @if cart.lines.is_empty() {
            p { "Your cart is empty. " a href="/" { "Find something you like" } "." }
        } @else {
            table.cart {
                caption.visually-hidden { "Products in your cart" }
                thead { tr { th scope="col" { "Product" } th scope="col" { "Price" } th scope="col" { "Quantity" } th scope="col" { "Total" } th scope="col" { span.visually-hidden { "Remove" } } } }
                tbody {
                    @for line in &cart.lines { (line_row(line, &csrf)) }
                }
            }
            p.total { "Total: " strong #cart-total { (money::format(cart.total.as_ref())) } }
            p { a.button href="/checkout" { "Check out" } }
            @if !cart.also.products.is_empty() { (section(&cart.also, html! {})) }
        }
    };
    (status, frame(visit, "Your cart", content)).into_response()
}

fn line_row(line: &pb::CartLine, csrf: &str) -> Markup {
    let quantity_id = format!("quantity-{}", line.sku);
    html! {
        tr {
            td {
                (picture(&format!("/images/products/{}-1.svg", line.sku), "", 48, true))
                a href={ "/p/" (line.sku) } { (line.name) }
                @if !line.available { " " em { "(no longer sold)" } }
            }
            td { (money::format(line.unit_price.as_ref())) }
            td {
                form.inline method="post" action="/cart/update" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="sku" value=(line.sku);
                    label.visually-hidden for=(quantity_id) { "Quantity of " (line.name) }
                    input id=(quantity_id) type="number" name="quantity" min="0" max=(MAX_QUANTITY) value=(line.quantity) inputmode="numeric";
                    button type="submit" { "Update" }
                }
            }
            td { (money::format(line.line_total.as_ref())) }
            td {
                form.inline method="post" action="/cart/remove" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="sku" value=(line.sku);
                    button type="submit" aria-label={ "Remove " (line.name) } { "Remove" }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct LineForm {
    #[serde(default)]
    sku: String,
    #[serde(default)]
    quantity: Option<String>,
}

impl LineForm {
    fn sku(&self) -> Result<String, String> {
        let sku = self.sku.trim().to_ascii_uppercase();
        if sku.is_empty() || sku.len() > 32 {
            return Err("The product is missing from the form.".to_owned());
        }
        Ok(sku)
    }

    /// The quantity asked for, 0 to 99; 1 when the form had none.
    fn quantity(&self) -> Result<u32, String> {
        let Some(text) = self.quantity.as_deref() else {
            return Ok(1);
        };
        match text.trim().parse::<u32>() {
            Ok(quantity) if quantity <= MAX_QUANTITY => Ok(quantity),
            _ => Err(format!(
                "Quantity must be a whole number from 0 to {MAX_QUANTITY}, not \"{}\".",
                text.trim()
            )),
        }
    }
}

pub(crate) async fn add(
    State(storefront): State<Storefront>,
    visit: Visit,
    Form(form): Form<LineForm>,
) -> Result<Response, PageError> {
    change(&storefront, &visit, &form, Change::Add).await
}

pub(crate) async fn update(
    State(storefront): State<Storefront>,
    visit: Visit,
    Form(form): Form<LineForm>,
) -> Result<Response, PageError> {
    change(&storefront, &visit, &form, Change::Set).await
}

pub(crate) async fn remove(
    State(storefront): State<Storefront>,
    visit: Visit,
    Form(form): Form<LineForm>,
) -> Result<Response, PageError> {
    change(&storefront, &visit, &form, Change::Remove).await
}

#[derive(Clone, Copy)]
enum Change {
    Add,
    Set,
    Remove,
}

/// Makes the change and goes to the cart, or shows the cart with what was wrong.
async fn change(
    storefront: &Storefront,
    visit: &Visit,
    form: &LineForm,
    change: Change,
) -> Result<Response, PageError> {
    let checked = form.sku().and_then(|sku| Ok((sku, form.quantity()?)));
    let outcome = match checked {
        Ok((sku, quantity)) => apply(storefront, visit, sku, quantity, change).await,
        Err(problem) => Err(PageError::new(StatusCode::BAD_REQUEST, problem)),
    };
    match outcome {
        Ok(()) => Ok(see_other("/cart")),
        Err(error) if error.status().is_client_error() => {
            let cart = load(storefront, visit).await?;
            Ok(render(visit, &cart, Some(error.message()), error.status()))
        }
        Err(error) => Err(error),
    }
}

async fn apply(
    storefront: &Storefront,
    visit: &Visit,
    sku: String,
    quantity: u32,
    change: Change,
) -> Result<(), PageError> {
    let (change, quantity) = match (change, quantity) {
        (Change::Add, 0) => {
            return Err(PageError::new(StatusCode::BAD_REQUEST, "Add at least one."));
        }
        (Change::Set, 0) => (Change::Remove, 0),
        other => other,
    };
    let Some(user) = visit.user() else {
        return apply_as_guest(storefront, visit, sku, quantity, change).await;
    };
    let mut cart = storefront.cart.clone();
    let token = &user.access_token;
    let view = match change {
        Change::Add => {
            cart.add_item(request(pb::AddItemRequest { sku, quantity }, token))
                .await
        }
        Change::Set => {
            cart.set_quantity(request(pb::SetQuantityRequest { sku, quantity }, token))
                .await
        }
        Change::Remove => {
            cart.remove_item(request(pb::RemoveItemRequest { sku }, token))
                .await
        }
    }?;
    let count = view.into_inner().item_count;
    visit.update(|session| session.cart_count = count);
    Ok(())
}

async fn apply_as_guest(
    storefront: &Storefront,
    visit: &Visit,
    sku: String,
    quantity: u32,
    change: Change,
) -> Result<(), PageError> {
    if let Change::Add = change {
        // Only what the catalog sells goes in.
        let token = storefront.service_token().await?;
        storefront
            .catalog
            .clone()
            .get_product(request(
                proto::catalog::GetProductRequest { sku: sku.clone() },
                &token,
            ))
            .await?;
    }
    visit
        .update(|session| {
            let lines = &mut session.guest_cart;
            let found = lines.iter().position(|(line, _)| *line == sku);
            match (change, found) {
                (Change::Add, Some(index)) => {
                    let total = lines[index].1.saturating_add(quantity);
                    if total > MAX_QUANTITY {
                        return Err(format!("At most {MAX_QUANTITY} of one product."));
                    }
                    lines[index].1 = total;
                }
                (Change::Add, None) if lines.len() >= MAX_GUEST_LINES => {
                    return Err(format!("A cart holds at most {MAX_GUEST_LINES} products."));
                }
                (Change::Add, None) => lines.push((sku, quantity)),
                (Change::Set, Some(index)) => lines[index].1 = quantity,
                (Change::Set, None) => return Err("That product is not in your cart.".to_owned()),
                (Change::Remove, _) => lines.retain(|(line, _)| *line != sku),
            }
            Ok(())
        })
        .map_err(|problem| PageError::new(StatusCode::CONFLICT, problem))
}

/// Adds a visitor's lines to the cart of the shopper who just signed in; returns how many items
/// that cart holds. A line the cart refuses (a product gone, a limit reached) is dropped.
pub(crate) async fn merge_guest_cart(
    storefront: &Storefront,
    token: &str,
    lines: Vec<(String, u32)>,
) -> Result<u32, PageError> {
    let mut cart = storefront.cart.clone();
    for (sku, quantity) in lines {
        let added = cart
            .add_item(request(
                pb::AddItemRequest {
                    sku: sku.clone(),
                    quantity,
                },
                token,
            ))
            .await;
        if let Err(status) = added {
            tracing::info!(
                sku,
                message = status.message(),
                "a visitor's cart line was not kept"
            );
        }
    }
    let view = cart.get_cart(request(pb::GetCartRequest {}, token)).await?;
    Ok(view.into_inner().item_count)
}
