//! The `Orders` gRPC service: checkout, order history and a live view of one order.

use std::pin::Pin;
use std::time::Duration;

use futures_util::Stream;
use proto::orders as pb;
use proto::orders::orders_server::{Orders as OrdersRpc, OrdersServer};
use sha2::{Digest, Sha256};
use tokio::sync::broadcast::error::RecvError;
use tonic::{Request, Response, Status};

use crate::domain::{self, Address, Card, Line, State};
use crate::store::{Created, Order};
use crate::{Error, Orders, SCOPE};

/// The weight of a product whose attributes do not say, in grams.
const DEFAULT_WEIGHT_GRAMS: u32 = 500;

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
    let principal = platform::auth::authorize(request, SCOPE)?;
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
        let fingerprint = fingerprint(&address, &card);
        let order = self
            .orders
            .place(&user_id, &token, &key, &fingerprint, address, card)
            .await?;
        Ok(Response::new(to_proto(&order)))
    }

    async fn get_order(
        &self,
        request: Request<pb::GetOrderRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        let (user_id, _) = caller(&request)?;
        let order = self
            .orders
            .own_order(&user_id, &request.get_ref().order_id)
            .await?;
        Ok(Response::new(to_proto(&order)))
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
        let orders = self
            .orders
            .store
            .for_user(&user_id, before, size + 1)
            .await?;
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
        // Subscribe before reading, so that no change between the two is missed.
        let mut updates = self.orders.updates.subscribe();
        let order = self
            .orders
            .own_order(&user_id, &request.get_ref().order_id)
            .await?;
        let store = self.orders.store.clone();
        let (sender, receiver) = tokio::sync::mpsc::channel(16);
        tokio::spawn(async move {
            let mut last = order.state;
            if sender.send(Ok(to_proto(&order))).await.is_err() || last.is_terminal() {
                return;
            }
            loop {
                let update = tokio::select! {
                    _ = sender.closed() => return,
                    update = updates.recv() => update,
                };
                let current = match update {
                    Ok(update) if update.id == order.id => update,
                    Ok(_) => continue,
                    Err(RecvError::Lagged(_)) => match store.get(&order.id).await {
                        Ok(Some(current)) => current,
                        _ => return,
                    },
                    Err(RecvError::Closed) => return,
                };
                if current.state != last {
                    last = current.state;
                    if sender.send(Ok(to_proto(&current))).await.is_err() || last.is_terminal() {
                        return;
                    }
                }
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(receiver),
        )))
    }
}

impl Orders {
    /// Checks out the user's cart under `key`: one order per key, whatever the retries.
    async fn place(
        &self,
        user_id: &str,
        token: &str,
        key: &str,
        fingerprint: &str,
        address: Address,
        card: Card,
    ) -> Result<Order, Error> {
        // A key seen before answers with its order (the cart may be empty by now).
        if let Some(answer) = self.placed_before(user_id, key, fingerprint).await? {
            return answer;
        }
        let cart = self
            .cart
            .clone()
            .get_cart(platform::transport::request(
                proto::cart::GetCartRequest {},
                token,
            ))
            .await
            .map_err(Error::Downstream)?
            .into_inner();
        let lines: Vec<Line> = cart
            .lines
            .iter()
            .filter(|line| line.available)
            .map(|line| Line {
                sku: line.sku.clone(),
                name: line.name.clone(),
                quantity: line.quantity,
                unit_price_minor: line
                    .unit_price
                    .as_ref()
                    .map_or(0, |price| price.minor_units),
            })
            .collect();
        if lines.is_empty() {
            // The same request, a moment ahead of this one, may have placed the order and
            // emptied the cart since the key was looked up.
            if let Some(answer) = self.placed_before(user_id, key, fingerprint).await? {
                return answer;
            }
            return Err(Error::EmptyCart);
        }
        let (total_minor, currency) = cart
            .total
            .as_ref()
            .map(|total| (total.minor_units, total.currency.clone()))
            .ok_or_else(|| Error::Unavailable("the cart has no total".to_owned()))?;
        let weight_grams = self.weight(token, &lines).await?;
        let now = platform::unix_now();
        let order = Order {
            id: uuid::Uuid::now_v7().to_string(),
            user_id: user_id.to_owned(),
            state: State::Pending,
            lines,
            total_minor,
            currency,
            address,
            weight_grams,
            payment_id: String::new(),
            shipment_id: String::new(),
            failure_reason: String::new(),
            created_at: now,
            updated_at: now,
        };
        let order = match self.store.create(&order, key, fingerprint).await? {
            Created::New(order) => order,
            Created::Existing(existing, stored) if stored == fingerprint => {
                return self.settled(existing).await;
            }
            Created::Existing(..) => return Err(Error::KeyReused(key.to_owned())),
        };
        self.outbox.wake();
        tracing::info!(order_id = %order.id, "order placed");
        let order = self.run_saga(order, Some(card)).await;
        if order.state == State::Confirmed {
            let clear = platform::transport::request(proto::cart::ClearCartRequest {}, token);
            if let Err(status) = self.cart.clone().clear_cart(clear).await {
                tracing::warn!(order_id = %order.id, message = status.message(), "the cart could not be cleared");
            }
        }
        Ok(order)
    }

    /// The answer for a key seen before: its order once settled, or a refusal when the key came
    /// with another request.
    async fn placed_before(
        &self,
        user_id: &str,
        key: &str,
        fingerprint: &str,
    ) -> Result<Option<Result<Order, Error>>, Error> {
        Ok(match self.store.by_key(user_id, key).await? {
            Some((existing, stored)) if stored == fingerprint => Some(self.settled(existing).await),
            Some(_) => Some(Err(Error::KeyReused(key.to_owned()))),
            None => None,
        })
    }

    /// `order` once its saga has ended, so that a request repeated while the first one runs gets
    /// the first one's answer; after the longest a saga can take (every step and its undoing,
    /// each tried in full), the order as it stands.
    async fn settled(&self, order: Order) -> Result<Order, Error> {
        if order.state.is_terminal() {
            return Ok(order);
        }
        // Subscribe before reading again, so that no change between the two is missed.
        let mut updates = self.updates.subscribe();
        let mut current = self.store.get(&order.id).await?.unwrap_or(order);
        let longest = Duration::from_millis(
            self.config.step_timeout_ms * u64::from(self.config.step_attempts.max(1)) * 10,
        );
        let deadline = tokio::time::Instant::now() + longest;
        while !current.state.is_terminal() {
            match tokio::time::timeout_at(deadline, updates.recv()).await {
                Ok(Ok(update)) if update.id == current.id => current = update,
                Ok(Ok(_)) => {}
                Ok(Err(RecvError::Lagged(_))) => {
                    if let Some(reloaded) = self.store.get(&current.id).await? {
                        current = reloaded;
                    }
                }
                Ok(Err(RecvError::Closed)) | Err(_) => break,
            }
        }
        Ok(current)
    }

    /// The parcel's weight, from the catalog's `weight_grams` attributes.
    async fn weight(&self, token: &str, lines: &[Line]) -> Result<u32, Error> {
        let skus = lines.iter().map(|line| line.sku.clone()).collect();
        let request =
            platform::transport::request(proto::catalog::BatchGetProductsRequest { skus }, token);
        let products = self
            .catalog
            .clone()
            .batch_get_products(request)
            .await
            .map_err(Error::Downstream)?
            .into_inner()
            .products;
        let weight = lines
            .iter()
            .map(|line| {
                let each = products
                    .iter()
                    .find(|product| product.sku == line.sku)
                    .and_then(|product| {
                        serde_json::from_str::<serde_json::Value>(&product.attributes_json).ok()
                    })
                    .and_then(|attributes| {
                        attributes
                            .get("weight_grams")
                            .and_then(serde_json::Value::as_u64)
                    })
                    .map_or(DEFAULT_WEIGHT_GRAMS, |grams| {
                        u32::try_from(grams).unwrap_or(u32::MAX)
                    });
                each.saturating_mul(line.quantity)
            })
            .fold(0u32, u32::saturating_add);
        Ok(weight.clamp(1, 70_000))
    }

    /// The order, if it is the user's; another user's order is as good as absent.
    async fn own_order(&self, user_id: &str, order_id: &str) -> Result<Order, Error> {
        match self.store.get(order_id.trim()).await? {
            Some(order) if order.user_id == user_id => Ok(order),
            _ => Err(Error::UnknownOrder(order_id.to_owned())),
        }
    }
}

/// What makes two checkouts under one key "the same": where to and with which card.
fn fingerprint(address: &Address, card: &Card) -> String {
    let mut hasher = Sha256::new();
    for part in [
        address.name.as_str(),
        &address.line1,
        &address.line2,
        &address.city,
        &address.postal_code,
        &address.country,
        card.last4(),
        &card.exp_month.to_string(),
        &card.exp_year.to_string(),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
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
    }
}
