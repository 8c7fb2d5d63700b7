//! The `Orders` gRPC service: checkout, order history and a live view of one order.

use std::pin::Pin;

use futures_util::Stream;
use futures_util::StreamExt as _;
use proto::orders as pb;
use proto::orders::orders_server::{Orders as OrdersRpc, OrdersServer};
use tonic::{Request, Response, Status};

use crate::domain::{self, Address, Card, State};
use crate::store::Order;
use crate::{Error, Orders};

/// The gRPC face of `Orders`.
#[derive(Clone, Debug)]
pub struct OrdersGrpc {
    orders: Orders,
}

impl OrdersGrpc {
    pub(crate) fn server(orders: Orders) -> OrdersServer<OrdersGrpc> {
        OrdersServer::new(OrdersGrpc { orders })
    }
}

type OrderStream = Pin<Box<dyn Stream<Item = Result<pb::Order, Status>> + Send>>;

/// The user a call is for, and their token.
fn caller<T>(request: &Request<T>) -> Result<(String, String), Status> {
    let principal = platform::auth::authorize(request, proto::scopes::ORDERS)?;
    if !principal.is_user() {
        return Err(Status::permission_denied(
            "orders belong to users; this token is a service's",
        ));
    }
    Ok((principal.subject().to_owned(), principal.token().to_owned()))
}

#[tonic::async_trait]
impl OrdersRpc for OrdersGrpc {
    #[tracing::instrument(skip_all, fields(idempotency_key = %request.get_ref().idempotency_key))]
    async fn place_order(
        &self,
        request: Request<pb::PlaceOrderRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        let (user_id, token) = caller(&request)?;
        let message = request.get_ref();
        let key = domain::idempotency_key(&message.idempotency_key).map_err(Error::from)?;
        let address = message
            .address
            .as_ref()
            .ok_or_else(|| Error::from(domain::invalid("address", "is required")))?;
        let address = Address::parse(
            &address.name,
            &address.line1,
            &address.line2,
            &address.city,
            &address.postal_code,
            &address.country,
        )
        .map_err(Error::from)?;
        let card = message
            .card
            .as_ref()
            .ok_or_else(|| Error::from(domain::invalid("card", "is required")))?;
        let card = Card::parse(
            &card.number,
            card.exp_month,
            card.exp_year,
            &card.cvc,
            &card.holder,
        )
        .map_err(Error::from)?;
        let placement = crate::checkout::Placement {
            fingerprint: crate::checkout::fingerprint(&address, &card),
            key,
            address,
            card,
            wait: !message.return_at_once,
        };
        let order = self.orders.place(&user_id, &token, placement).await?;
        Ok(Response::new(to_proto(&order)))
    }

    async fn get_order(
        &self,
        request: Request<pb::GetOrderRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        let (user_id, _) = caller(&request)?;
        let view = self
            .orders
            .order_view(&user_id, &request.get_ref().order_id)
            .await?;
        let mut order = to_proto(&view.order);
        order.payment = view.payment.map(|payment| pb::OrderPayment {
            payment_id: payment.payment_id,
            state: payment.state,
            card_last4: payment.card_last4,
            decline_reason: payment.decline_reason,
        });
        order.shipment = view.shipment.map(|shipment| pb::OrderShipment {
            shipment_id: shipment.shipment_id,
            state: shipment.state,
            tracking_number: shipment.tracking_number,
            events: shipment
                .events
                .into_iter()
                .map(|(at_unix, description)| pb::OrderTrackingEvent {
                    at_unix,
                    description,
                })
                .collect(),
        });
        Ok(Response::new(order))
    }

    async fn list_orders(
        &self,
        request: Request<pb::ListOrdersRequest>,
    ) -> Result<Response<pb::ListOrdersResponse>, Status> {
        let (user_id, _) = caller(&request)?;
        let page = request.get_ref().page.clone().unwrap_or_default();
        let size = match page.page_size {
            0 => 20,
            size if size > 100 => {
                return Err(
                    Error::from(domain::invalid("page_size", "must be at most 100")).into(),
                );
            }
            size => size,
        };
        let before = match page.page_token.as_str() {
            "" => None,
            token => Some(parse_page_token(token)?),
        };
        let orders = self.orders.orders_of(&user_id, before, size + 1).await?;
        let next_page_token = match orders.get(size as usize) {
            Some(_) => orders
                .get(size as usize - 1)
                .map(|last| format!("{}.{}", last.created_at, last.id))
                .unwrap_or_default(),
            None => String::new(),
        };
        Ok(Response::new(pb::ListOrdersResponse {
            orders: orders.iter().take(size as usize).map(to_proto).collect(),
            next_page_token,
        }))
    }

    type WatchOrderStream = OrderStream;

    async fn watch_order(
        &self,
        request: Request<pb::WatchOrderRequest>,
    ) -> Result<Response<OrderStream>, Status> {
        let (user_id, _) = caller(&request)?;
        let receiver = self
            .orders
            .watch(&user_id, &request.get_ref().order_id)
            .await?;
        let states =
            tokio_stream::wrappers::ReceiverStream::new(receiver).map(|order| Ok(to_proto(&order)));
        Ok(Response::new(Box::pin(states)))
    }
}

fn parse_page_token(token: &str) -> Result<(i64, String), Error> {
    let bad = || {
        Error::from(domain::invalid(
            "page_token",
            "is not a token this service made",
        ))
    };
    let (created_at, id) = token.split_once('.').ok_or_else(bad)?;
    Ok((created_at.parse().map_err(|_| bad())?, id.to_owned()))
}

fn to_proto(order: &Order) -> pb::Order {
    let state = match order.state {
        State::Pending => pb::OrderState::Pending,
        State::StockReserved => pb::OrderState::StockReserved,
        State::PaymentAuthorized => pb::OrderState::PaymentAuthorized,
        State::ShipmentCreated => pb::OrderState::ShipmentCreated,
        State::PaymentCaptured => pb::OrderState::PaymentCaptured,
        State::Confirmed => pb::OrderState::Confirmed,
        State::Compensating => pb::OrderState::Compensating,
        State::Failed => pb::OrderState::Failed,
    };
    let money = |minor_units: i64| {
        Some(proto::common::Money {
            minor_units,
            currency: order.currency.clone(),
        })
    };
    pb::Order {
        order_id: order.id.clone(),
        user_id: order.user_id.clone(),
        state: state as i32,
        lines: order
            .lines
            .iter()
            .map(|line| pb::OrderLine {
                sku: line.sku.clone(),
                name: line.name.clone(),
                quantity: line.quantity,
                unit_price: money(line.unit_price_minor),
            })
            .collect(),
        total: money(order.total_minor),
        failure_reason: order.failure_reason.clone(),
        payment_id: order.payment_id.clone(),
        shipment_id: order.shipment_id.clone(),
        created_at_unix: order.created_at,
        updated_at_unix: order.updated_at,
        payment: None,
        shipment: None,
    }
}
