//! Checkout: an order placed from the user's cart under an idempotency key, its card kept in
//! the payments vault, and its saga run; a repeat of the key answers with the same order.

use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::broadcast::error::RecvError;
use tracing::Instrument;

use crate::domain::{Address, Card, Line, State};
use crate::store::{Created, Order};
use crate::{Error, Orders};

/// The weight of a product whose attributes do not say, in grams.
const DEFAULT_WEIGHT_GRAMS: u32 = 500;

/// A checkout as asked for: its key, the fingerprint of what was sent with it, the address and
/// card, and whether to answer once the saga ends (`wait`) or as soon as the order exists.
pub(crate) struct Placement {
    pub(crate) key: String,
    pub(crate) fingerprint: String,
    pub(crate) address: Address,
    pub(crate) card: Card,
    pub(crate) wait: bool,
}

impl Orders {
    /// Checks out the user's cart under its key: one order per key, whatever the retries.
    pub(crate) async fn place(
        &self,
        user_id: &str,
        token: &str,
        placement: Placement,
    ) -> Result<Order, Error> {
        let Placement {
            key,
            fingerprint,
            address,
            card,
            wait,
        } = placement;
        let (key, fingerprint) = (key.as_str(), fingerprint.as_str());
        // A key seen before answers with its order (the cart may be empty by now).
        if let Some(answer) = self.placed_before(user_id, key, fingerprint, wait).await? {
            return answer;
        }
        let (cart, lines) = self.cart_lines(token).await?;
        if lines.is_empty() {
            // The same request, a moment ahead of this one, may have placed the order and
            // emptied the cart since the key was looked up.
            if let Some(answer) = self.placed_before(user_id, key, fingerprint, wait).await? {
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
        let card_token = self.store_card(&card).await?;
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
            card_token,
        };
        let order = match self.store.create(&order, key, fingerprint).await? {
            Created::New(order) => order,
            Created::Existing(existing, stored) if stored == fingerprint => {
                return self.settled_if(existing, wait).await;
            }
            Created::Existing(..) => return Err(Error::KeyReused(key.to_owned())),
        };
        tracing::info!(order_id = %order.id, "order placed");
        metrics::counter!("orders_placed_total").increment(1);
        self.run_saga_detached(order, token, wait).await
    }

    /// `order` once settled when the caller waits for the outcome; as it stands when not.
    async fn settled_if(&self, order: Order, wait: bool) -> Result<Order, Error> {
        if wait {
            self.settled(order).await
        } else {
            Ok(order)
        }
    }

    /// Runs the saga on a task of its own, so that a caller who stops waiting (the gateway's
    /// deadline, a dropped connection) does not stop it half way; a retry with the key gets
    /// the order once it ends. The task keeps the request's trace, not its deadline (each step
    /// has its own), and empties the cart of a confirmed order itself. A caller who does not
    /// `wait` gets the order as it was created, and follows it with `WatchOrder`.
    async fn run_saga_detached(
        &self,
        order: Order,
        token: &str,
        wait: bool,
    ) -> Result<Order, Error> {
        let (orders, token) = (self.clone(), token.to_owned());
        let order_id = order.id.clone();
        let order_snapshot = order.clone();
        let saga = async move {
            let order = orders.run_saga(order, false).await;
            if order.state == State::Confirmed {
                orders.clear_cart(&order, &token).await;
            }
            order
        }
        .in_current_span();
        let created = order_snapshot;
        let task = match platform::telemetry::current_trace() {
            Some(trace) => tokio::spawn(platform::telemetry::in_trace(trace, saga)),
            None => tokio::spawn(saga),
        };
        if !wait {
            return Ok(created);
        }
        // A saga that panicked leaves its order to the resumer; the caller may retry the key.
        let order = task.await.map_err(|error| {
            anyhow::anyhow!("run the saga of order {order_id} (the resumer takes it over): {error}")
        })?;
        // Another task (the resumer) held the order: wait for its end like a repeated request.
        self.settled(order).await
    }

    async fn clear_cart(&self, order: &Order, token: &str) {
        let clear = platform::transport::request(proto::cart::ClearCartRequest {}, token);
        if let Err(status) = self.cart.clone().clear_cart(clear).await {
            tracing::warn!(order_id = %order.id, message = status.message(), "the cart could not be cleared");
        }
    }

    /// The answer for a key seen before: its order once settled, or a refusal when the key came
    /// with another request.
    async fn placed_before(
        &self,
        user_id: &str,
        key: &str,
        fingerprint: &str,
        wait: bool,
    ) -> Result<Option<Result<Order, Error>>, Error> {
        Ok(match self.store.by_key(user_id, key).await? {
            Some((existing, stored)) if stored == fingerprint => {
                Some(self.settled_if(existing, wait).await)
            }
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

    /// The user's cart and its lines that can be bought now.
    async fn cart_lines(&self, token: &str) -> Result<(proto::cart::CartView, Vec<Line>), Error> {
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
        Ok((cart, lines))
    }

    /// Keeps the card in the payments vault, which checks it as the processor does; the order
    /// keeps only the token, so that a saga resumed after a restart can still authorize.
    async fn store_card(&self, card: &Card) -> Result<String, Error> {
        let token = self
            .service_token
            .token()
            .await
            .map_err(Error::Downstream)?;
        let message = proto::payments::StoreCardRequest {
            card: Some(proto::payments::Card {
                number: card.number.clone(),
                exp_month: card.exp_month,
                exp_year: card.exp_year,
                cvc: card.cvc.clone(),
                holder: card.holder.clone(),
            }),
        };
        let stored = self
            .payments
            .clone()
            .store_card(platform::transport::request(message, &token))
            .await
            .map_err(Error::Downstream)?;
        Ok(stored.into_inner().card_token)
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
    pub(crate) async fn own_order(&self, user_id: &str, order_id: &str) -> Result<Order, Error> {
        match self.store.get(order_id.trim()).await? {
            Some(order) if order.user_id == user_id => Ok(order),
            _ => Err(Error::UnknownOrder(order_id.to_owned())),
        }
    }
}

/// What makes two checkouts under one key "the same": where to and with which card.
pub(crate) fn fingerprint(address: &Address, card: &Card) -> String {
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
