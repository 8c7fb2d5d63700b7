//! The shopper's orders: the history, one order's page, and that order's states as Server-Sent
//! Events (`event: order`), which the script shows as they come; without the script, the page
//! shows the state when it was loaded and a link to load it again.

use std::convert::Infallible;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use maud::{Markup, html};
use platform::transport::request;
use proto::orders as pb;

use crate::Storefront;
use crate::error::PageError;
use crate::layout::{frame, picture};
use crate::money;
use crate::visit::Visit;

/// The state's name as the API writes it (`payment_authorized`).
pub(crate) fn state_key(state: i32) -> String {
    pb::OrderState::try_from(state)
        .map(|state| {
            state
                .as_str_name()
                .trim_start_matches("ORDER_STATE_")
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

/// The state as a shopper reads it.
pub(crate) fn state_text(state: i32) -> &'static str {
    match pb::OrderState::try_from(state) {
        Ok(pb::OrderState::Pending) => "Received, checking stock",
        Ok(pb::OrderState::StockReserved) => "Stock reserved, taking payment",
        Ok(pb::OrderState::PaymentAuthorized) => "Payment authorized, booking the parcel",
        Ok(pb::OrderState::ShipmentCreated) => "Parcel booked, capturing payment",
        Ok(pb::OrderState::PaymentCaptured) => "Paid, confirming",
        Ok(pb::OrderState::Confirmed) => "Confirmed",
        Ok(pb::OrderState::Compensating) => "Could not be completed, undoing",
        Ok(pb::OrderState::Failed) => "Failed",
        _ => "Unknown",
    }
}

/// Whether the order will not change any more.
pub(crate) fn is_final(state: i32) -> bool {
    matches!(
        pb::OrderState::try_from(state),
        Ok(pb::OrderState::Confirmed | pb::OrderState::Failed)
    )
}

pub(crate) async fn history(
    State(storefront): State<Storefront>,
    visit: Visit,
) -> Result<Response, PageError> {
    let token = visit.token_or_sign_in("/orders")?;
    let orders = storefront
        .orders
        .clone()
        .list_orders(request(pb::ListOrdersRequest { page: None }, &token))
        .await?
        .into_inner()
        .orders;
    let content = html! {
        h1 { "Your orders" }
        @if orders.is_empty() {
            p { "No orders yet. " a href="/" { "Start shopping" } "." }
        } @else {
            table.orders {
                caption.visually-hidden { "Your orders, newest first" }
                thead { tr { th scope="col" { "Order" } th scope="col" { "Placed" } th scope="col" { "Items" } th scope="col" { "Total" } th scope="col" { "State" } } }
                tbody {
                    @for order in &orders {
                        tr {
                            td { a href={ "/orders/" (order.order_id) } { (short_id(&order.order_id)) } }
                            td { (date(order.created_at_unix)) }
                            td { (order.lines.iter().map(|line| line.quantity).sum::<u32>()) }
                            td { (money::format(order.total.as_ref())) }
                            td { (state_text(order.state)) }
                        }
                    }
                }
            }
        }
    };
    Ok(frame(&visit, "Your orders", content).into_response())
}

/// The last characters of an order id, enough to tell orders apart on a page.
fn short_id(id: &str) -> &str {
    &id[id.len().saturating_sub(8)..]
}

/// A Unix time as `2026-12-06 14:03 UTC`.
fn date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let seconds = unix.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        seconds / 3600,
        seconds % 3600 / 60
    )
}

pub(crate) async fn page(
    State(storefront): State<Storefront>,
    visit: Visit,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let token = visit.token_or_sign_in(&format!("/orders/{id}"))?;
    let order = storefront
        .orders
        .clone()
        .get_order(request(pb::GetOrderRequest { order_id: id }, &token))
        .await?
        .into_inner();
    let title = format!("Order {}", short_id(&order.order_id));
    let content = html! {
        h1 { (title) }
        (state_panel(&order))
        h2 { "Items" }
        ul.lines {
            @for line in &order.lines {
                li {
                    (picture(&format!("/images/products/{}-1.svg", line.sku), "", 48, true))
                    a href={ "/p/" (line.sku) } { (line.name) }
                    " × " (line.quantity) ", " (money::format(line.unit_price.as_ref())) " each"
                }
            }
        }
        p { "Total: " strong { (money::format(order.total.as_ref())) } }
        (payment_and_shipment(&order))
        p { a href="/orders" { "All your orders" } }
    };
    Ok(frame(&visit, &title, content).into_response())
}

fn state_panel(order: &pb::Order) -> Markup {
    let live = !is_final(order.state);
    html! {
        section.order-state #order-state data-order-id=[live.then_some(order.order_id.as_str())]
            data-state=(state_key(order.state)) aria-labelledby="state-heading" {
            h2 #state-heading { "State" }
            p role="status" aria-live="polite" {
                strong #state-text { (state_text(order.state)) }
                span #failure-reason {
                    @if !order.failure_reason.is_empty() { ": " (order.failure_reason) }
                }
            }
            @if live {
                p.note { "This page follows your order as it moves. " a href={ "/orders/" (order.order_id) } { "Reload" } }
            }
        }
    }
}

fn payment_and_shipment(order: &pb::Order) -> Markup {
    html! {
        @if let Some(payment) = &order.payment {
            h2 { "Payment" }
            p {
                "Card ending " (payment.card_last4) ": " (payment.state)
                @if !payment.decline_reason.is_empty() { " (" (payment.decline_reason) ")" }
            }
        }
        @if let Some(shipment) = &order.shipment {
            h2 { "Shipment" }
            p { (shipment.state) @if !shipment.tracking_number.is_empty() { ", tracking number " (shipment.tracking_number) } }
            @if !shipment.events.is_empty() {
                ol { @for event in &shipment.events { li { (date(event.at_unix)) ": " (event.description) } } }
            }
        }
    }
}

/// The order's states as they change (`event: order`, data `{"state":..,"text":..,"reason":..}`).
pub(crate) async fn events(
    State(storefront): State<Storefront>,
    visit: Visit,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, PageError> {
    let Some(user) = visit.user() else {
        return Err(PageError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "Sign in to follow your orders.",
        ));
    };
    let mut updates = storefront
        .orders
        .clone()
        .watch_order(request(
            pb::WatchOrderRequest { order_id: id },
            &user.access_token,
        ))
        .await?
        .into_inner();
    let (sender, receiver) = tokio::sync::mpsc::channel(8);
    tokio::spawn(async move {
        loop {
            let order = tokio::select! {
                order = updates.message() => order,
                () = sender.closed() => return,
            };
            let Ok(Some(order)) = order else { return };
            let data = serde_json::json!({
                "state": state_key(order.state),
                "text": state_text(order.state),
                "reason": order.failure_reason,
            });
            let event = Event::default().event("order").data(data.to_string());
            if sender.send(Ok::<_, Infallible>(event)).await.is_err() || is_final(order.state) {
                return;
            }
        }
    });
    Ok(
        Sse::new(tokio_stream::wrappers::ReceiverStream::new(receiver))
            .keep_alive(KeepAlive::default()),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_read_in_utc() {
        assert_eq!(super::date(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::date(1_796_565_780), "2026-12-06 14:03 UTC");
        assert_eq!(super::date(1_709_251_140), "2024-02-29 23:59 UTC");
    }
}
