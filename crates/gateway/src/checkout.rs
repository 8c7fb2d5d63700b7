//! Checkout and orders at the edge: `POST /api/v1/checkout` (an `Idempotency-Key` header is
//! required), the caller's orders, a Server-Sent Events stream of one order's states, and the
//! fault switches for administrators.

use std::convert::Infallible;

use axum::extract::State as Shared;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use platform::error::Problem;
use platform::faults::Fault;
use platform::transport::request;
use proto::orders as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::{Money, State, money};
use crate::extract::{Bearer, Json, Path};

/// Where an order goes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Address {
    name: String,
    line1: String,
    #[serde(default)]
    line2: String,
    city: String,
    postal_code: String,
    /// ISO 3166-1 alpha-2, e.g. US.
    country: String,
}

/// How the order is paid. The card is used for the authorization and never stored.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Card {
    number: String,
    exp_month: u32,
    exp_year: u32,
    cvc: String,
    #[serde(default)]
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
    params(("Idempotency-Key" = String, Header, description = "One order per key: a retry gets the same order")),
    responses((status = 201, body = Order), (status = 400, body = crate::openapi::ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = crate::openapi::ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = crate::openapi::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = ["orders"])))]
pub(crate) async fn checkout(
    Shared(state): Shared<State>,
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
    };
    match state
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
    Shared(state): Shared<State>,
    bearer: Bearer,
) -> Result<axum::Json<Vec<Order>>, Problem> {
    let token = bearer.required()?;
    let listed = state
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
    responses((status = 200, body = Order), (status = 404, body = crate::openapi::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = ["orders"])))]
pub(crate) async fn get_order(
    Shared(state): Shared<State>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> Result<axum::Json<Order>, Problem> {
    let token = bearer.required()?;
    let found = state
        .orders
        .clone()
        .get_order(request(pb::GetOrderRequest { order_id: id }, &token))
        .await?;
    Ok(axum::Json(order(found.into_inner())))
}

/// The order's states as Server-Sent Events (`event: order`), from now until it is confirmed or
/// failed.
#[utoipa::path(get, path = "/api/v1/orders/{id}/events", tag = "orders", params(("id" = String, Path)),
    responses((status = 200, description = "text/event-stream of `order` events", content_type = "text/event-stream")),
    security(("bearer" = ["orders"])))]
pub(crate) async fn order_events(
    Shared(state): Shared<State>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Problem> {
    let token = bearer.required()?;
    let mut updates = state
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

/// The administrator's token, when it carries the scope to switch faults.
async fn administrator(state: &State, bearer: Bearer) -> Result<String, Problem> {
    let token = bearer.required()?;
    let principal = state.verifier.verify(&token).await?;
    principal.require_scope(platform::faults::grpc::SCOPE)?;
    Ok(token)
}

/// The faults switched on, in every process that reads faults.
#[utoipa::path(get, path = "/api/v1/admin/faults", tag = "admin", responses((status = 200, description = "faults by name")), security(("bearer" = ["admin.faults"])))]
pub(crate) async fn list_faults(
    Shared(state): Shared<State>,
    bearer: Bearer,
) -> Result<Response, Problem> {
    let token = administrator(&state, bearer).await?;
    Ok(axum::Json(state.faults.list(&token).await?).into_response())
}

/// Switches a fault on, in the process of the service it belongs to: `{"kind": "fail"}`,
/// `{"kind": "delay", "ms": 3000}` or `{"kind": "crash_after_step", "step": 3}`.
#[utoipa::path(put, path = "/api/v1/admin/faults/{name}", tag = "admin", params(("name" = String, Path, description = "e.g. payments.decline")),
    request_body(content = Object, description = "the fault: fail, delay or crash_after_step"),
    responses((status = 204), (status = 400, body = crate::openapi::ProblemDocument, content_type = "application/problem+json")), security(("bearer" = ["admin.faults"])))]
pub(crate) async fn set_fault(
    Shared(state): Shared<State>,
    bearer: Bearer,
    Path(name): Path<String>,
    Json(fault): Json<Fault>,
) -> Result<StatusCode, Problem> {
    let token = administrator(&state, bearer).await?;
    state.faults.set(&name, Some(fault), &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Switches a fault off.
#[utoipa::path(delete, path = "/api/v1/admin/faults/{name}", tag = "admin", params(("name" = String, Path)), responses((status = 204), (status = 400, body = crate::openapi::ProblemDocument, content_type = "application/problem+json")), security(("bearer" = ["admin.faults"])))]
pub(crate) async fn clear_fault(
    Shared(state): Shared<State>,
    bearer: Bearer,
    Path(name): Path<String>,
) -> Result<StatusCode, Problem> {
    let token = administrator(&state, bearer).await?;
    state.faults.set(&name, None, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}
