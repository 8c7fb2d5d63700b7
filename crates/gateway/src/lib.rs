//! The gateway: Emporium's REST edge. It owns no database; every route calls a service through
//! its client, forwarding the caller's token, and speaks problem+json when something is wrong.
//!
//! Routes live under `/api/v1`; the OpenAPI 3.1 document is at `/api/openapi.json` and the
//! interactive docs (Swagger UI, served from the binary, no network needed) at `/api/docs`.

mod account;
mod admin;
mod assistant;
mod cache;
mod cart;
mod catalog;
mod common;
mod edge;
mod extract;
mod functions;
mod images;
mod mcp;
mod models;
mod openai;
pub mod openapi;
mod orders;
mod plugin;
mod recommendations;
mod refusal;
mod search;
mod state;
mod validate;
mod webhooks;

pub use crate::plugin::Plugin;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, Method, header};
use platform::auth::TokenSource;
use platform::error::Problem;
use platform::ratelimit::{Decision, RateLimiter};
use platform::transport::{Direct, Transport};
use serde::{Deserialize, Serialize};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The gateway's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a request may take before it is answered with 504.
    pub request_timeout_seconds: u64,
    /// The same for a request a language model answers (the assistant, chat completions,
    /// MCP), which writes a token at a time: a streamed answer begins well before.
    pub generation_timeout_seconds: u64,
    /// Origins allowed by CORS; `*` allows any.
    pub cors_allowed_origins: Vec<String>,
    /// How long the gateway may answer `GET /api/v1/products/{sku}` from its own cache, in
    /// milliseconds; 0 turns the edge cache off. Changes made through this gateway clear it at
    /// once; changes made elsewhere show after at most this long.
    pub product_cache_ttl_ms: u64,
    /// Requests a caller (a token's subject, or an address without a token) may make per
    /// minute; 0 turns rate limits off. Over it: 429 with `Retry-After`.
    pub rate_limit_per_minute: u32,
    /// Keep rate-limit counts and the product cache in Redis (`redis://host:6379`), shared by
    /// every gateway replica; empty keeps them in this process.
    pub redis_url: String,
    /// What the gateway's Redis keys start with.
    pub redis_prefix: String,
    /// The storefront's pages at `/` (`[gateway.storefront]`).
    pub storefront: storefront::Config,
    /// GraphQL at `/graphql` (`[gateway.graphql]`).
    pub graphql: graphql::Config,
    /// The most function instances this process runs at once (edge and `/fn/<name>`).
    pub function_instances: u32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_body_bytes: 1024 * 1024,
            request_timeout_seconds: 10,
            generation_timeout_seconds: 120,
            cors_allowed_origins: vec!["*".to_owned()],
            product_cache_ttl_ms: 1000,
            rate_limit_per_minute: 0,
            redis_url: String::new(),
            redis_prefix: "emporium:gateway:".to_owned(),
            storefront: storefront::Config::default(),
            graphql: graphql::Config::default(),
            function_instances: 64,
        }
    }
}

/// What the gateway talks to.
#[derive(Clone)]
pub struct Dependencies {
    pub identity: Transport,
    pub catalog: Transport,
    /// The catalog's methods when it runs in this process: the product read calls them without
    /// the codec.
    pub catalog_direct: Option<Direct<dyn proto::catalog::catalog_server::Catalog>>,
    pub cart: Transport,
    pub orders: Transport,
    /// For the storefront's stock levels.
    pub inventory: Transport,
    /// Also bought, popular and for you (REST, the storefront, GraphQL).
    pub recommendations: Transport,
    /// Deploying functions (the admin API).
    pub functions: Transport,
    /// The models behind `/v1` (OpenAI's embeddings and models).
    pub inference: Transport,
    /// Runs the functions deployed at the edge and at `/fn/<name>`.
    pub runner: function_runner::Runner,
    /// The gateway's own token, for anonymous reads of the catalog.
    pub service_token: Arc<dyn TokenSource>,
    /// Checks callers' tokens where the gateway answers by itself (the edge cache, admin).
    pub verifier: platform::auth::Verifier,
    /// Where each service with faults serves its switches, by service name (inventory,
    /// payments, shipping, orders), for the admin endpoint.
    pub faults: std::collections::BTreeMap<&'static str, Transport>,
    /// Where every process serves its operations view, for `/ops`.
    pub ops: Vec<Transport>,
}

impl std::fmt::Debug for Dependencies {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Dependencies")
            .finish_non_exhaustive()
    }
}

/// The gateway's routes: the REST API, its OpenAPI document and docs page, the storefront and
/// GraphQL.
pub fn router(config: &Config, dependencies: Dependencies) -> anyhow::Result<Router> {
    let mut shop_pages = storefront::Dependencies {
        catalog: dependencies.catalog.clone(),
        cart: dependencies.cart.clone(),
        orders: dependencies.orders.clone(),
        inventory: dependencies.inventory.clone(),
        recommendations: dependencies.recommendations.clone(),
        service_token: dependencies.service_token.clone(),
        assistant: None,
    };
    let operations = storefront::ops::router(
        &config.storefront,
        storefront::ops::OpsDependencies {
            processes: dependencies.ops.clone(),
            faults: dependencies.faults.clone(),
            catalog: dependencies.catalog.clone(),
            functions: dependencies.functions.clone(),
            inference: dependencies.inference.clone(),
            service_token: dependencies.service_token.clone(),
            verifier: dependencies.verifier.clone(),
        },
    )?;
    let graphql = graphql::router(
        &config.graphql,
        graphql::Dependencies {
            catalog: dependencies.catalog.clone(),
            cart: dependencies.cart.clone(),
            orders: dependencies.orders.clone(),
            inventory: dependencies.inventory.clone(),
            recommendations: dependencies.recommendations.clone(),
            service_token: dependencies.service_token.clone(),
            verifier: dependencies.verifier.clone(),
        },
    );
    let limits = rate_limiter(config)?.map(|limiter| RateLimits {
        limiter: Arc::new(limiter),
        verifier: dependencies.verifier.clone(),
    });
    let runner = dependencies.runner.clone();
    let gateway = state::Gateway::new(config, dependencies)?;
    shop_pages.assistant = Some(Arc::new(assistant::Port(gateway.clone())));
    let pages = storefront::router(&config.storefront, shop_pages)?;
    let cors = cors(config);
    let api = Router::new()
        .merge(catalog::routes())
        .merge(search::routes())
        .merge(recommendations::routes())
        .merge(cart::routes())
        .merge(account::routes())
        .merge(orders::routes())
        .merge(admin::routes())
        .merge(images::routes())
        .merge(functions::routes())
        .merge(webhooks::routes())
        .merge(openai::routes())
        .merge(models::routes())
        .merge(assistant::routes())
        .merge(mcp::routes())
        .with_state(gateway);
    let own_routes = Router::new()
        .route("/fn/{name}", axum::routing::any(edge::route))
        .with_state(runner.clone());
    let mut router = api
        .merge(openapi::routes())
        .merge(operations)
        .merge(own_routes);
    for extra in [pages, graphql].into_iter().flatten() {
        router = router.merge(extra);
    }
    if let Some(limits) = limits {
        router = router.layer(axum::middleware::from_fn_with_state(limits, rate_limit));
    }
    Ok(router
        .layer(axum::extract::DefaultBodyLimit::max(config.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            Deadlines {
                request: Duration::from_secs(config.request_timeout_seconds),
                generation: Duration::from_secs(config.generation_timeout_seconds),
            },
            deadline,
        ))
        .layer(cors))
}

/// Runs the functions deployed at the edge around every HTTP request of the process: the
/// gateway's routes, the other services' and paths no route has (a redirect of an old path).
pub fn around_http(
    runner: function_runner::Runner,
) -> impl FnOnce(Router) -> Router + Send + 'static {
    move |app| app.layer(axum::middleware::from_fn_with_state(runner, edge::edge))
}

fn rate_limiter(config: &Config) -> anyhow::Result<Option<RateLimiter>> {
    if config.rate_limit_per_minute == 0 {
        return Ok(None);
    }
    let minute = Duration::from_secs(60);
    Ok(Some(if config.redis_url.is_empty() {
        RateLimiter::local(config.rate_limit_per_minute, minute)
    } else {
        RateLimiter::redis(
            &config.redis_url,
            &format!("{}ratelimit:", config.redis_prefix),
            config.rate_limit_per_minute,
            minute,
        )
        .map_err(|error| anyhow::anyhow!("gateway.redis_url: {error:#}"))?
    }))
}

#[derive(Clone)]
struct RateLimits {
    limiter: Arc<RateLimiter>,
    verifier: platform::auth::Verifier,
}

#[derive(Clone, Copy)]
struct Deadlines {
    request: Duration,
    generation: Duration,
}

/// The paths a language model answers.
const GENERATIVE: [&str; 4] = [
    "/api/v1/assistant",
    "/assistant",
    "/v1/chat/completions",
    "/mcp",
];

/// Answers 504 with a problem when a request takes longer than its deadline.
async fn deadline(
    axum::extract::State(deadlines): axum::extract::State<Deadlines>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let path = request.uri().path();
    let generative = GENERATIVE.iter().any(|route| {
        path.strip_prefix(route)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    });
    let limit = match generative {
        true => deadlines.generation,
        false => deadlines.request,
    };
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => Problem::new(
            axum::http::StatusCode::GATEWAY_TIMEOUT,
            format!(
                "no answer within {} s; the request may still complete (a checkout: send it again with the same Idempotency-Key)",
                limit.as_secs()
            ),
        )
        .with_kind("timeout")
        .into_response(),
    }
}

/// Counts the request against its caller: the token's subject when it carries a valid one,
/// the peer's address otherwise.
async fn rate_limit(
    axum::extract::State(limits): axum::extract::State<RateLimits>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let subject = match request.headers().get(header::AUTHORIZATION) {
        Some(value) => limits
            .verifier
            .verify_header(Some(value))
            .await
            .ok()
            .map(|principal| format!("sub:{}", principal.subject())),
        None => None,
    };
    let caller = subject.unwrap_or_else(|| {
        request
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or_else(
                || "address:unknown".to_owned(),
                |info| format!("address:{}", info.0.ip()),
            )
    });
    match limits.limiter.check(&caller).await {
        Decision::Allowed { remaining } => {
            let mut response = next.run(request).await;
            let headers = response.headers_mut();
            headers.insert("ratelimit-limit", limits.limiter.limit().into());
            headers.insert("ratelimit-remaining", remaining.into());
            response
        }
        Decision::Limited { retry_after } => {
            let seconds = retry_after.as_secs().max(1);
            let mut response = platform::error::Problem::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "too many requests: at most {} a minute; try again in {seconds} s",
                    limits.limiter.limit()
                ),
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.into());
            response
        }
    }
}

fn cors(config: &Config) -> CorsLayer {
    let origins = if config
        .cors_allowed_origins
        .iter()
        .any(|origin| origin == "*")
    {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            config
                .cors_allowed_origins
                .iter()
                .filter_map(|origin| origin.parse().ok()),
        )
    };
    CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([HeaderName::from_static(platform::http::REQUEST_ID)])
        .max_age(Duration::from_secs(600))
}
