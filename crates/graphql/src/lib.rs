//! GraphQL at `/graphql`, beside REST: products (a Relay connection, by category or search)
//! with their stock and category through data loaders, the signed-in shopper's cart and orders,
//! mutations for the cart and checkout, and subscriptions over `graphql-transport-ws` at
//! `/graphql/ws` (an order's states, a product's stock). It calls the services with the caller's
//! bearer token, so the same scopes hold as over REST; errors carry `extensions.code`, the REST
//! problem type. Depth, complexity and aliases are limited; automatic persisted queries (sha256)
//! spare clients from sending a query twice. GraphiQL is served from the binary.
//!
//! Like the storefront, it owns no data and is not a service: the gateway mounts it.

mod context;
mod errors;
mod graphiql;
mod limits;
mod loaders;
mod mutation;
mod query;
mod search;
mod subscription;
mod types;

use std::sync::Arc;

use async_graphql::extensions::apollo_persisted_queries::{
    ApolloPersistedQueries, LruCacheStorage,
};
use async_graphql::{Schema, SchemaBuilder};
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::Router;
use axum::extract::{FromRequest as _, Request, State, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use platform::auth::{TokenSource, Verifier};
use platform::transport::Transport;
use serde::{Deserialize, Serialize};

use crate::context::{Caller, Calls, RequestData, Services};
use crate::mutation::Mutation;
use crate::query::Query;
use crate::subscription::Subscription;

/// The schema's type.
type EmporiumSchema = Schema<Query, Mutation, Subscription>;

/// GraphQL's settings (`[gateway.graphql]`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Serve `/graphql`.
    pub enabled: bool,
    /// The deepest a query may nest (the standard introspection query, which GraphiQL and
    /// client libraries send, nests 13 deep).
    pub max_depth: usize,
    /// The most a query may cost: a field costs 1, a list of `first: n` n times its fields.
    pub max_complexity: usize,
    /// The most aliases a query may use.
    pub max_aliases: usize,
    /// Batch the keys resolvers ask for into one downstream call (the data loaders); off, each
    /// key is a call of its own, to measure what the loaders save.
    pub batching: bool,
    /// How long a loader gathers keys before it calls, in milliseconds: keys asked for later
    /// go into another call.
    pub loader_delay_ms: u64,
    /// How many persisted queries (by sha256) to remember.
    pub persisted_queries: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            enabled: true,
            max_depth: 16,
            max_complexity: 5000,
            max_aliases: 30,
            batching: true,
            loader_delay_ms: 1,
            persisted_queries: 1024,
        }
    }
}

/// What GraphQL calls.
#[derive(Clone)]
pub struct Dependencies {
    pub catalog: Transport,
    pub cart: Transport,
    pub orders: Transport,
    pub inventory: Transport,
    pub recommendations: Transport,
    /// The gateway's own token: reads the catalog and stock for anyone.
    pub service_token: Arc<dyn TokenSource>,
    /// Checks the caller's token for `me`.
    pub verifier: Verifier,
}

impl std::fmt::Debug for Dependencies {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Dependencies")
            .finish_non_exhaustive()
    }
}

/// The schema without its data: enough for its SDL.
fn schema_builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query, Mutation, Subscription)
}

/// The schema in the GraphQL schema language, as `crates/graphql/schema.graphql` holds it.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

#[derive(Clone)]
struct Graphql {
    schema: EmporiumSchema,
    services: Services,
}

/// `/graphql`, `/graphql/ws` and GraphiQL's files, or nothing when turned off.
pub fn router(config: &Config, dependencies: Dependencies) -> Option<Router> {
    if !config.enabled {
        return None;
    }
    let services = Services {
        catalog: proto::catalog::catalog_client::CatalogClient::new(dependencies.catalog),
        cart: proto::cart::cart_client::CartClient::new(dependencies.cart),
        orders: proto::orders::orders_client::OrdersClient::new(dependencies.orders),
        inventory: proto::inventory::inventory_client::InventoryClient::new(dependencies.inventory),
        recommendations: proto::recommendations::recommendations_client::RecommendationsClient::new(
            dependencies.recommendations,
        ),
        service_token: dependencies.service_token,
        verifier: dependencies.verifier,
        batching: config.batching,
        loader_delay: std::time::Duration::from_millis(config.loader_delay_ms),
    };
    let schema = schema_builder()
        .data(services.clone())
        .limit_depth(config.max_depth)
        .limit_complexity(config.max_complexity)
        .extension(limits::Limits {
            max_aliases: config.max_aliases,
        })
        .extension(ApolloPersistedQueries::new(LruCacheStorage::new(
            config.persisted_queries.max(1),
        )))
        .finish();
    let state = Graphql { schema, services };
    Some(
        Router::new()
            .route("/graphql", get(get_graphql).post(post_graphql))
            .route("/graphql/ws", get(subscriptions))
            .with_state(state)
            .merge(graphiql::routes()),
    )
}

/// The bearer token of an `Authorization` value.
fn bearer(value: Option<&str>) -> Option<String> {
    value
        .and_then(platform::auth::bearer_token)
        .map(str::to_owned)
}

async fn execute(
    graphql: &Graphql,
    headers: &HeaderMap,
    request: async_graphql::Request,
) -> Response {
    let calls = Calls::default();
    let caller = Caller {
        token: bearer(
            headers
                .get(header::AUTHORIZATION)
                .and_then(|value| value.to_str().ok()),
        ),
    };
    let mut request = request;
    RequestData {
        caller,
        calls: calls.clone(),
    }
    .insert_into(&graphql.services, &mut request.data);
    let mut response = graphql.schema.execute(request).await;
    if let Ok(report) = async_graphql::Value::from_json(calls.report()) {
        response
            .extensions
            .insert("downstreamCalls".to_owned(), report);
    }
    GraphQLResponse::from(response).into_response()
}

async fn post_graphql(State(graphql): State<Graphql>, request: Request) -> Response {
    let headers = request.headers().clone();
    match GraphQLRequest::<async_graphql_axum::rejection::GraphQLRejection>::from_request(
        request,
        &(),
    )
    .await
    {
        Ok(parsed) => execute(&graphql, &headers, parsed.into_inner()).await,
        Err(rejection) => rejection.into_response(),
    }
}

/// GraphiQL for a browser that asks for a page; a query (`?query=`, or a persisted query's
/// hash) otherwise.
async fn get_graphql(State(graphql): State<Graphql>, request: Request) -> Response {
    let wants_page = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    let has_query = request.uri().query().is_some_and(|query| !query.is_empty());
    if wants_page && !has_query {
        return graphiql::page();
    }
    post_graphql(State(graphql), request).await
}

/// Subscriptions over `graphql-transport-ws` (and the older `graphql-ws`); the shopper's token
/// comes in `connection_init` as `{"Authorization": "Bearer ..."}`.
async fn subscriptions(
    State(graphql): State<Graphql>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            let services = graphql.services.clone();
            GraphQLWebSocket::new(stream, graphql.schema, protocol)
                .on_connection_init(move |payload| async move {
                    let authorization = payload
                        .get("Authorization")
                        .or_else(|| payload.get("authorization"))
                        .and_then(|value| value.as_str());
                    let mut data = async_graphql::Data::default();
                    RequestData {
                        caller: Caller {
                            token: bearer(authorization),
                        },
                        calls: Calls::default(),
                    }
                    .insert_into(&services, &mut data);
                    Ok(data)
                })
                .serve()
        })
}

#[cfg(test)]
mod tests {
    /// The schema is a reviewed file: a change to it shows in a diff. `EMPORIUM_UPDATE_SDL=1`
    /// writes the new one.
    #[test]
    fn the_committed_sdl_is_the_schema() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
        let generated = super::sdl();
        if std::env::var_os("EMPORIUM_UPDATE_SDL").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "crates/graphql/schema.graphql differs from the schema the code makes; \
             run `EMPORIUM_UPDATE_SDL=1 cargo test -p graphql` and review the diff"
        );
    }
}
