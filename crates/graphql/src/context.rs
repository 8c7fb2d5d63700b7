//! What every resolver can reach: the services' clients (schema-wide), and per request the
//! caller's token, the data loaders, and a count of the calls the request made downstream,
//! which the response reports in `extensions.downstreamCalls`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_graphql::Context;
use async_graphql::dataloader::DataLoader;
use platform::auth::{Principal, TokenSource, Verifier};
use platform::transport::Transport;
use proto::cart::cart_client::CartClient;
use proto::catalog::catalog_client::CatalogClient;
use proto::inventory::inventory_client::InventoryClient;
use proto::orders::orders_client::OrdersClient;

use crate::errors::{self, GraphqlError};
use crate::loaders::{CategoryLoader, OrderDetailLoader, ProductLoader, StockLoader};

/// The services' clients and the gateway's own token, shared by every request.
#[derive(Clone)]
pub(crate) struct Services {
    pub(crate) catalog: CatalogClient<Transport>,
    pub(crate) cart: CartClient<Transport>,
    pub(crate) orders: OrdersClient<Transport>,
    pub(crate) inventory: InventoryClient<Transport>,
    pub(crate) recommendations:
        proto::recommendations::recommendations_client::RecommendationsClient<Transport>,
    pub(crate) service_token: Arc<dyn TokenSource>,
    pub(crate) verifier: Verifier,
    /// Loaders batch keys into one call; off, each key is its own call (for comparison).
    pub(crate) batching: bool,
    /// How long a loader gathers keys before it calls.
    pub(crate) loader_delay: std::time::Duration,
}

impl Services {
    /// The gateway's token, for what anyone may read (the catalog, stock levels).
    pub(crate) async fn service_token(&self) -> Result<String, GraphqlError> {
        self.service_token
            .token()
            .await
            .map(|token| token.to_string())
            .map_err(errors::from_status)
    }
}

/// Calls made downstream by one request, by `service.Method`.
#[derive(Clone, Default)]
pub(crate) struct Calls(Arc<Mutex<BTreeMap<&'static str, u32>>>);

impl Calls {
    pub(crate) fn count(&self, method: &'static str) {
        let mut calls = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *calls.entry(method).or_default() += 1;
    }

    /// `{"total": n, "byMethod": {"catalog.BatchGetProducts": 1, ...}}`.
    pub(crate) fn report(&self) -> serde_json::Value {
        let calls = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        serde_json::json!({
            "total": calls.values().sum::<u32>(),
            "byMethod": *calls,
        })
    }
}

/// Who is asking: the bearer token of the request (or of the subscription's connection).
#[derive(Clone, Default)]
pub(crate) struct Caller {
    pub(crate) token: Option<String>,
}

/// What a request carries besides the query: its caller, its call count and its loaders.
pub(crate) struct RequestData {
    pub(crate) caller: Caller,
    pub(crate) calls: Calls,
}

impl RequestData {
    /// Puts the caller, the call count and fresh loaders (their caches last one request, or one
    /// subscription's connection) into `data`.
    pub(crate) fn insert_into(self, services: &Services, data: &mut async_graphql::Data) {
        let reader = self.caller.token.clone();
        let batch = |size: usize| if services.batching { size } else { 1 };
        let calls = &self.calls;
        data.insert(
            DataLoader::new(
                ProductLoader::new(services.clone(), reader.clone(), calls.clone()),
                tokio::spawn,
            )
            .max_batch_size(batch(100))
            .delay(services.loader_delay),
        );
        data.insert(
            DataLoader::new(
                StockLoader::new(services.clone(), calls.clone()),
                tokio::spawn,
            )
            .max_batch_size(batch(100))
            .delay(services.loader_delay),
        );
        data.insert(
            DataLoader::new(
                CategoryLoader::new(services.clone(), reader.clone(), calls.clone()),
                tokio::spawn,
            )
            .max_batch_size(batch(100))
            .delay(services.loader_delay),
        );
        data.insert(
            DataLoader::new(
                OrderDetailLoader::new(services.clone(), reader, calls.clone()),
                tokio::spawn,
            )
            .max_batch_size(batch(20))
            .delay(services.loader_delay),
        );
        data.insert(self.caller);
        data.insert(self.calls);
    }
}

/// The services, from the schema's data.
pub(crate) fn services<'a>(ctx: &Context<'a>) -> &'a Services {
    ctx.data_unchecked::<Services>()
}

/// The request's call count (a subscription has one of its own).
pub(crate) fn calls(ctx: &Context<'_>) -> Calls {
    ctx.data_opt::<Calls>().cloned().unwrap_or_default()
}

/// The caller's token, or an `unauthenticated` error: what needs a shopper.
pub(crate) fn token(ctx: &Context<'_>) -> Result<String, GraphqlError> {
    ctx.data_opt::<Caller>()
        .and_then(|caller| caller.token.clone())
        .ok_or_else(|| {
            GraphqlError::new(
                "unauthenticated",
                401,
                "this needs a bearer token (Authorization: Bearer ...)",
            )
        })
}

/// The token to read the catalog with: the caller's, or the gateway's for anyone.
pub(crate) async fn reader_token(ctx: &Context<'_>) -> Result<String, GraphqlError> {
    match ctx
        .data_opt::<Caller>()
        .and_then(|caller| caller.token.clone())
    {
        Some(token) => Ok(token),
        None => services(ctx).service_token().await,
    }
}

/// The verified caller.
pub(crate) async fn principal(ctx: &Context<'_>) -> Result<Arc<Principal>, GraphqlError> {
    let token = token(ctx)?;
    services(ctx)
        .verifier
        .verify(&token)
        .await
        .map_err(|error| GraphqlError::new("unauthenticated", 401, error.to_string()))
}
