//! The caller's cart at the edge: read it at current prices, add, change and remove lines.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post, put};
use platform::error::Problem;
use platform::transport::request;
use proto::cart as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::common::{Money, money};
use crate::extract::{Bearer, Json, Sku};
use crate::state::Gateway;

pub(crate) fn routes() -> Router<Gateway> {
    Router::new()
        .route("/api/v1/cart", get(get_cart).delete(clear_cart))
        .route("/api/v1/cart/items", post(add_cart_item))
        .route(
            "/api/v1/cart/items/{sku}",
            put(set_cart_quantity).delete(remove_cart_item),
        )
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CartLine {
    sku: String,
    name: String,
    quantity: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit_price: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line_total: Option<Money>,
    /// False when the product has left the catalog.
    available: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Cart {
    lines: Vec<CartLine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<Money>,
    item_count: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddItem {
    #[schema(pattern = r"^[A-Za-z0-9][A-Za-z0-9-]{2,31}$")]
    sku: String,
    /// 1 to 99 (the cart's `max_quantity_per_line`); more of one product than that in all is 409.
    #[schema(minimum = 1, maximum = 99)]
    quantity: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetQuantity {
    /// 0 removes the line; at most 99 (the cart's `max_quantity_per_line`).
    #[schema(minimum = 0, maximum = 99)]
    quantity: u32,
}

fn cart(view: pb::CartView) -> Cart {
    Cart {
        lines: view
            .lines
            .into_iter()
            .map(|line| CartLine {
                sku: line.sku,
                name: line.name,
                quantity: line.quantity,
                unit_price: money(line.unit_price),
                line_total: money(line.line_total),
                available: line.available,
            })
            .collect(),
        total: money(view.total),
        item_count: view.item_count,
    }
}

/// The caller's cart at current prices.
#[utoipa::path(get, path = "/api/v1/cart", tag = "cart", responses((status = 200, body = Cart)),
    security(("bearer" = ["cart"])))]
pub(crate) async fn get_cart(
    State(gateway): State<Gateway>,
    bearer: Bearer,
) -> Result<axum::Json<Cart>, Problem> {
    let token = bearer.required()?;
    let view = gateway
        .cart
        .clone()
        .get_cart(request(pb::GetCartRequest {}, &token))
        .await?;
    Ok(axum::Json(cart(view.into_inner())))
}

/// Adds units of a product to the cart.
#[utoipa::path(post, path = "/api/v1/cart/items", tag = "cart", request_body = AddItem,
    responses((status = 200, body = Cart), (status = 404, description = "no product has this sku"),
        (status = 409, description = "the cart cannot take more of this product, or more products")),
    security(("bearer" = ["cart"])))]
pub(crate) async fn add_cart_item(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Json(item): Json<AddItem>,
) -> Result<axum::Json<Cart>, Problem> {
    let token = bearer.required()?;
    let message = pb::AddItemRequest {
        sku: item.sku,
        quantity: item.quantity,
    };
    let view = gateway
        .cart
        .clone()
        .add_item(request(message, &token))
        .await?;
    Ok(axum::Json(cart(view.into_inner())))
}

/// Sets the quantity of a line; 0 removes it.
#[utoipa::path(put, path = "/api/v1/cart/items/{sku}", tag = "cart", request_body = SetQuantity,
    params(Sku), responses((status = 200, body = Cart), (status = 404, description = "no product has this sku"),
        (status = 409, description = "the cart cannot take more products")),
    security(("bearer" = ["cart"])))]
pub(crate) async fn set_cart_quantity(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Sku { sku }: Sku,
    Json(body): Json<SetQuantity>,
) -> Result<axum::Json<Cart>, Problem> {
    let token = bearer.required()?;
    let message = pb::SetQuantityRequest {
        sku,
        quantity: body.quantity,
    };
    let view = gateway
        .cart
        .clone()
        .set_quantity(request(message, &token))
        .await?;
    Ok(axum::Json(cart(view.into_inner())))
}

/// Removes a line; removing one the cart does not hold changes nothing.
#[utoipa::path(delete, path = "/api/v1/cart/items/{sku}", tag = "cart", params(Sku),
    responses((status = 200, body = Cart)), security(("bearer" = ["cart"])))]
pub(crate) async fn remove_cart_item(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Sku { sku }: Sku,
) -> Result<axum::Json<Cart>, Problem> {
    let token = bearer.required()?;
    let view = gateway
        .cart
        .clone()
        .remove_item(request(pb::RemoveItemRequest { sku }, &token))
        .await?;
    Ok(axum::Json(cart(view.into_inner())))
}

/// Empties the cart.
#[utoipa::path(delete, path = "/api/v1/cart", tag = "cart", responses((status = 200, body = Cart)),
    security(("bearer" = ["cart"])))]
pub(crate) async fn clear_cart(
    State(gateway): State<Gateway>,
    bearer: Bearer,
) -> Result<axum::Json<Cart>, Problem> {
    let token = bearer.required()?;
    let view = gateway
        .cart
        .clone()
        .clear_cart(request(pb::ClearCartRequest {}, &token))
        .await?;
    Ok(axum::Json(cart(view.into_inner())))
}
