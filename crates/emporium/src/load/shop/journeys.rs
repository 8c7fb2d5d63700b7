//! The journeys of the shop scenario, step by step: each step's request sent when it is due,
//! and recorded with its latency (from when it was due to the end of the answer's body) or its
//! error. A journey stops at its first failed step.

use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng as _, SeedableRng as _};
use reqwest::Method;
use serde_json::json;

use super::{Shop, THINK_TIME_MS};
use crate::load::{ErrorKind, checkout_body};

/// A step failed: it was recorded where it happened, and the journey ends there.
pub(super) struct StepFailed;

/// One shopper on one journey.
pub(super) struct Shopper<'a> {
    shop: &'a Shop,
    random: SmallRng,
    /// The arrival's number in the run, for idempotency keys.
    index: u64,
    /// When the next step is due: the journey's due time, then each step's end plus a think
    /// time.
    next_due: Instant,
    /// Whether a step was taken: the first goes without thinking.
    stepped: bool,
}

impl<'a> Shopper<'a> {
    pub(super) fn new(shop: &'a Shop, index: u64, due: Instant, seed: u64) -> Shopper<'a> {
        Shopper {
            shop,
            random: SmallRng::seed_from_u64(seed),
            index,
            next_due: due,
            stepped: false,
        }
    }

    /// The catalog's first page, then one or two of the products on it.
    pub(super) async fn browse(&mut self) -> Result<(), StepFailed> {
        let request = self.get("/api/v1/products?page_size=20");
        let page = self.send("browse", request).await?;
        let listed = skus_in(&page);
        let reads = self.random.random_range(1..=2u32);
        for _ in 0..reads {
            let sku = self.pick_sku(&listed);
            let request = self.get(&format!("/api/v1/products/{sku}"));
            self.send("product", request).await?;
        }
        Ok(())
    }

    /// A search for a word of the catalog's names, then one of the products found.
    pub(super) async fn search(&mut self) -> Result<(), StepFailed> {
        let shop = self.shop;
        // Words are ASCII letters and digits (`search_words`): nothing to encode.
        let word = &shop.words[self.random.random_range(0..shop.words.len())];
        let request = self.get(&format!("/api/v1/search?q={word}&page_size=10"));
        let found = self.send("search", request).await?;
        let sku = self.pick_sku(&skus_in(&found));
        let request = self.get(&format!("/api/v1/products/{sku}"));
        self.send("product", request).await?;
        Ok(())
    }

    /// The storefront's home page and a product's page; a product's JSON when the shop serves
    /// no pages.
    pub(super) async fn product(&mut self) -> Result<(), StepFailed> {
        let sku = self.pick_sku(&[]);
        if !self.shop.storefront {
            let request = self.get(&format!("/api/v1/products/{sku}"));
            self.send("product", request).await?;
            return Ok(());
        }
        let request = self.get("/");
        self.send("home_page", request).await?;
        let request = self.get(&format!("/p/{sku}"));
        self.send("product_page", request).await?;
        Ok(())
    }

    /// Adds a product to an account's cart, looks at the cart and empties it.
    pub(super) async fn cart(&mut self) -> Result<(), StepFailed> {
        let shop = self.shop;
        let Some(account) = shop.accounts.take().await else {
            return Err(self.no_account("cart_add"));
        };
        let outcome = self.add_view_and_clear(&account.token).await;
        if outcome.is_err() {
            // A line left behind would go into the next checkout on this account.
            self.clear_cart_unrecorded(&account.token).await;
        }
        outcome
    }

    /// Adds a product to an account's cart and checks out.
    pub(super) async fn checkout(&mut self) -> Result<(), StepFailed> {
        let shop = self.shop;
        let Some(account) = shop.accounts.take().await else {
            return Err(self.no_account("cart_add"));
        };
        let outcome = self.add_and_check_out(&account.token).await;
        // A failed order, or a failure after the line went in, leaves the line in the cart:
        // the next journey on this account starts clean.
        if !matches!(outcome, Ok(true)) {
            self.clear_cart_unrecorded(&account.token).await;
        }
        outcome.map(|_confirmed| ())
    }

    async fn add_view_and_clear(&mut self, token: &str) -> Result<(), StepFailed> {
        self.add_to_cart(token).await?;
        let request = self.get("/api/v1/cart").bearer_auth(token);
        self.send("cart_view", request).await?;
        let request = self
            .request(Method::DELETE, "/api/v1/cart")
            .bearer_auth(token);
        self.send("cart_clear", request).await?;
        Ok(())
    }

    /// Whether the order was confirmed (a declined payment fails it, and is no error).
    async fn add_and_check_out(&mut self, token: &str) -> Result<bool, StepFailed> {
        self.add_to_cart(token).await?;
        let key = format!("shop-{}-{}", self.shop.run, self.index);
        let request = self
            .request(Method::POST, "/api/v1/checkout")
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(&checkout_body());
        let order = self.send("checkout", request).await?;
        let order: serde_json::Value = serde_json::from_str(&order).unwrap_or_default();
        Ok(order["state"] == "confirmed")
    }

    async fn add_to_cart(&mut self, token: &str) -> Result<(), StepFailed> {
        let sku = self.pick_sku(&[]);
        let request = self
            .request(Method::POST, "/api/v1/cart/items")
            .bearer_auth(token)
            .json(&json!({"sku": sku, "quantity": 1}));
        self.send("cart_add", request).await?;
        Ok(())
    }

    /// Empties an account's cart, outside the measurements: tidying, not shopping.
    async fn clear_cart_unrecorded(&self, token: &str) {
        let request = self.request(Method::DELETE, "/api/v1/cart");
        let _ = request.bearer_auth(token).send().await;
    }

    /// Sends `request` as `step` once it is due (the first step at once, a later one after a
    /// think time) and records how it went.
    async fn send(
        &mut self,
        step: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<String, StepFailed> {
        if self.stepped {
            self.next_due += Duration::from_millis(self.random.random_range(THINK_TIME_MS));
            tokio::time::sleep_until(self.next_due.into()).await;
        }
        self.stepped = true;
        let answer = answer_of(request).await;
        let ended = Instant::now();
        let latency = ended.saturating_duration_since(self.next_due);
        self.next_due = ended;
        let at = ended.saturating_duration_since(self.shop.started);
        match answer {
            Ok(body) => {
                self.shop
                    .record(|recording| recording.record(step, at, latency));
                Ok(body)
            }
            Err((kind, what)) => {
                let failure = (kind, format!("{step}: {what}"));
                self.shop.record(|recording| {
                    recording.record_error(step, at, Some(latency), failure);
                });
                Err(StepFailed)
            }
        }
    }

    /// Records that no account could be had for `step` (the pool is broken; it never closes).
    fn no_account(&self, step: &'static str) -> StepFailed {
        let at = self.shop.started.elapsed();
        let what = format!("{step}: no shopper account to use");
        self.shop.record(|recording| {
            recording.record_error(step, at, None, (ErrorKind::Interrupted, what));
        });
        StepFailed
    }

    /// A sku from `among`, or from the whole catalog when `among` is empty.
    fn pick_sku(&mut self, among: &[String]) -> String {
        let shop = self.shop;
        let skus = match among.is_empty() {
            true => &shop.skus[..],
            false => among,
        };
        skus[self.random.random_range(0..skus.len())].clone()
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(Method::GET, path)
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.shop
            .http
            .request(method, format!("{}{path}", self.shop.base))
    }
}

/// The body of a successful answer to `request`, or the kind of failure and what it said.
async fn answer_of(request: reqwest::RequestBuilder) -> Result<String, (ErrorKind, String)> {
    let failed = |error: reqwest::Error| (ErrorKind::of(&error), error.to_string());
    let response = request.send().await.map_err(failed)?;
    let status = response.status();
    let body = response.text().await.map_err(failed)?;
    if status.is_success() {
        return Ok(body);
    }
    let start: String = body.chars().take(200).collect();
    Err((ErrorKind::of_status(status), format!("{status} {start}")))
}

/// The skus of the products in a page of products or of search results.
fn skus_in(body: &str) -> Vec<String> {
    let Ok(page) = serde_json::from_str::<serde_json::Value>(body) else {
        return Vec::new();
    };
    page["products"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|product| product["sku"].as_str().map(str::to_owned))
        .collect()
}
