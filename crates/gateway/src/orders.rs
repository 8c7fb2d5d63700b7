//! Checkout and orders at the edge: `POST /api/v1/checkout` (an `Idempotency-Key` header is
//! required), the caller's orders, and a Server-Sent Events stream of one order's states.

use std::convert::Infallible;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::Stream;
use platform::error::Problem;
use platform::transport::request;
use proto::orders as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::common::{Money, money};
use crate::extract::{Bearer, Json, Path};
use crate::state::Gateway;

pub(crate) fn routes() -> Router<Gateway> {
    Router::new()
        .route("/api/v1/checkout", post(checkout))
        .route("/api/v1/orders", get(list_orders))
        .route("/api/v1/orders/{id}", get(get_order))
        .route("/api/v1/orders/{id}/events", get(order_events))
}

/// Where an order goes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Address {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\s\x1c-\x1f\x85\uFEFF]"
    )]
    name: String,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\s\x1c-\x1f\x85\uFEFF]"
    )]
    line1: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    line2: String,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\s\x1c-\x1f\x85\uFEFF]"
    )]
    city: String,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\s\x1c-\x1f\x85\uFEFF]"
    )]
    postal_code: String,
    /// ISO 3166-1 alpha-2, e.g. US.
    #[schema(pattern = r"^[A-Za-z]{2}$")]
    country: String,
}

/// How the order is paid. The payments service keeps the card in its vault, encrypted, until
/// the payment is captured or voided; a number that fails the Luhn check or a card that has
/// expired fails the order with that reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Card {
    /// 12 to 19 digits; spaces and dashes between them are ignored.
    #[schema(pattern = r"^[ -]*([0-9][ -]*){12,19}$")]
    number: String,
    #[schema(minimum = 1, maximum = 12)]
    exp_month: u32,
    /// e.g. 2030
    exp_year: u32,
    #[schema(pattern = r"^[0-9]{3,4}$")]
    cvc: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    holder: String,
}

/// A checkout of the caller's cart.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Checkout {
    address: Address,
    card: Card,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OrderLine {
    sku: String,
    name: String,
    quantity: u32,
    unit_price: Option<Money>,
}

/// An order: `confirmed`, `failed` (with a reason), or on its way between.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Order {
    id: String,
    state: String,
    lines: Vec<OrderLine>,
    total: Option<Money>,
    #[serde(skip_serializing_if = "String::is_empty")]
    failure_reason: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    payment_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    shipment_id: String,
    created_at: i64,
    updated_at: i64,
    /// In the view of one order: its payment as the processor knows it now.
    #[serde(skip_serializing_if = "Option::is_none")]
    payment: Option<OrderPayment>,
    /// In the view of one order: its shipment as the carrier knows it now.
    #[serde(skip_serializing_if = "Option::is_none")]
    shipment: Option<OrderShipment>,
}

/// An order's payment: `authorized`, `captured`, `voided`, `refunded` or `declined`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OrderPayment {
    id: String,
    state: String,
    card_last4: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    decline_reason: String,
}

/// An order's shipment: `created`, `in_transit`, `delivered` or `cancelled`, with its tracking.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OrderShipment {
    id: String,
    state: String,
    tracking_number: String,
    events: Vec<TrackingEvent>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TrackingEvent {
    at: i64,
    description: String,
}

fn order(order: pb::Order) -> Order {
    let state = pb::OrderState::try_from(order.state)
        .map(|state| {
            state
                .as_str_name()
                .trim_start_matches("ORDER_STATE_")
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    Order {
        id: order.order_id,
        state,
        lines: order
            .lines
            .into_iter()
            .map(|line| OrderLine {
                sku: line.sku,
                name: line.name,
                quantity: line.quantity,
                unit_price: money(line.unit_price),
            })
            .collect(),
        total: money(order.total),
        failure_reason: order.failure_reason,
        payment_id: order.payment_id,
        shipment_id: order.shipment_id,
        created_at: order.created_at_unix,
        updated_at: order.updated_at_unix,
        payment: order.payment.map(|payment| OrderPayment {
            id: payment.payment_id,
            state: payment.state,
            card_last4: payment.card_last4,
            decline_reason: payment.decline_reason,
        }),
        shipment: order.shipment.map(|shipment| OrderShipment {
            id: shipment.shipment_id,
            state: shipment.state,
            tracking_number: shipment.tracking_number,
            events: shipment
                .events
                .into_iter()
                .map(|event| TrackingEvent {
                    at: event.at_unix,
                    description: event.description,
                })
                .collect(),
        }),
    }
}

/// Checks out the caller's cart; the answer is the order at the end of its saga.
#[utoipa::path(post, path = "/api/v1/checkout", tag = "orders", request_body = Checkout,
    params(("Idempotency-Key" = String, Header, pattern = r"^[!-~]{1,128}$",
        description = "One order per key (1 to 128 printable characters): a retry gets the same order")),
    responses((status = 201, body = Order), (status = 409, description = "the cart is empty"),
        (status = 422, description = "the key was used for another checkout")),
    security(("bearer" = ["orders"])))]
pub(crate) async fn checkout(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    headers: HeaderMap,
    Json(body): Json<Checkout>,
) -> Result<Response, Problem> {
    let token = bearer.required()?;
    let key = headers
        .get("idempotency-key")
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.trim().is_empty())
        .ok_or_else(|| {
            Problem::bad_request("the Idempotency-Key header is required").with_kind("validation")
        })?;
    let message = pb::PlaceOrderRequest {
        idempotency_key: key.to_owned(),
        address: Some(proto::common::Address {
            name: body.address.name,
            line1: body.address.line1,
            line2: body.address.line2,
            city: body.address.city,
            postal_code: body.address.postal_code,
            country: body.address.country,
        }),
        card: Some(proto::payments::Card {
            number: body.card.number,
            exp_month: body.card.exp_month,
            exp_year: body.card.exp_year,
            cvc: body.card.cvc,
            holder: body.card.holder,
        }),
        return_at_once: false,
    };
    match gateway
        .orders
        .clone()
        .place_order(request(message, &token))
        .await
    {
        Ok(placed) => {
            Ok((StatusCode::CREATED, axum::Json(order(placed.into_inner()))).into_response())
        }
        // The same key with another request: the request cannot be processed as sent.
        Err(status)
            if status.code() == tonic::Code::FailedPrecondition
                && status.message().starts_with("idempotency_key") =>
        {
            Err(
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, status.message())
                    .with_kind("idempotency-key-reused"),
            )
        }
        Err(status) => Err(status.into()),
    }
}

/// The caller's orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", responses((status = 200, body = [Order])), security(("bearer" = ["orders"])))]
pub(crate) async fn list_orders(
    State(gateway): State<Gateway>,
    bearer: Bearer,
) -> Result<axum::Json<Vec<Order>>, Problem> {
    let token = bearer.required()?;
    let listed = gateway
        .orders
        .clone()
        .list_orders(request(pb::ListOrdersRequest { page: None }, &token))
        .await?;
    Ok(axum::Json(
        listed.into_inner().orders.into_iter().map(order).collect(),
    ))
}

/// One of the caller's orders.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = String, Path)),
    responses((status = 200, body = Order), (status = 404, description = "the caller has no order with this id")),
    security(("bearer" = ["orders"])))]
pub(crate) async fn get_order(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> Result<axum::Json<Order>, Problem> {
    let token = bearer.required()?;
    let found = gateway
        .orders
        .clone()
        .get_order(request(pb::GetOrderRequest { order_id: id }, &token))
        .await?;
    Ok(axum::Json(order(found.into_inner())))
}

/// The order's states as Server-Sent Events (`event: order`), from now until it is confirmed or
/// failed.
#[utoipa::path(get, path = "/api/v1/orders/{id}/events", tag = "orders", params(("id" = String, Path)),
    responses((status = 200, description = "text/event-stream of `order` events", content_type = "text/event-stream"),
        (status = 404, description = "the caller has no order with this id")),
    security(("bearer" = ["orders"])))]
pub(crate) async fn order_events(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Problem> {
    let token = bearer.required()?;
    let mut updates = gateway
        .orders
        .clone()
        .watch_order(request(pb::WatchOrderRequest { order_id: id }, &token))
        .await?
        .into_inner();
    let stream = async_stream(move |sender| async move {
        while let Ok(Some(update)) = updates.message().await {
            let event = Event::default()
                .event("order")
                .json_data(order(update))
                .unwrap_or_else(|_| Event::default().comment("unreadable order"));
            if sender.send(Ok(event)).await.is_err() {
                return;
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// A stream fed by `producer` through a channel.
fn async_stream<F, Fut>(producer: F) -> impl Stream<Item = Result<Event, Infallible>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Result<Event, Infallible>>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (sender, receiver) = tokio::sync::mpsc::channel(8);
    tokio::spawn(producer(sender));
    tokio_stream::wrappers::ReceiverStream::new(receiver)
}
