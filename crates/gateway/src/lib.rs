//! The gateway: Emporium's REST edge. It owns no database; every route calls a service through
//! its client, forwarding the caller's token, and speaks problem+json when something is wrong.
//!
//! Routes live under `/api/v1`; the OpenAPI 3.1 document is at `/api/openapi.json` and the
//! interactive docs (Swagger UI, served from the binary, no network needed) at `/api/docs`.

mod api;
mod checkout;
mod extract;
pub mod openapi;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, Method, header};
use platform::auth::TokenSource;
use platform::transport::Transport;
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
    /// Origins allowed by CORS; `*` allows any.
    pub cors_allowed_origins: Vec<String>,
    /// How long the gateway may answer `GET /api/v1/products/{sku}` from its own cache, in
    /// milliseconds; 0 turns the edge cache off. Changes made through this gateway clear it at
    /// once; changes made elsewhere show after at most this long.
    pub product_cache_ttl_ms: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_body_bytes: 1024 * 1024,
            request_timeout_seconds: 10,
            cors_allowed_origins: vec!["*".to_owned()],
            product_cache_ttl_ms: 1000,
        }
    }
}

/// What the gateway talks to.
#[derive(Clone)]
pub struct Dependencies {
    pub identity: Transport,
    pub catalog: Transport,
    pub cart: Transport,
    pub orders: Transport,
    /// The gateway's own token, for anonymous reads of the catalog.
    pub service_token: Arc<dyn TokenSource>,
    /// Checks callers' tokens where the gateway answers by itself (the edge cache, admin).
    pub verifier: platform::auth::Verifier,
    /// The fault switches of this process, for the admin endpoint.
    pub faults: platform::faults::Faults,
}

impl std::fmt::Debug for Dependencies {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Dependencies")
            .finish_non_exhaustive()
    }
}

/// The gateway's routes: the REST API, its OpenAPI document and docs page.
pub fn router(config: &Config, dependencies: Dependencies) -> Router {
    let state = api::State::new(config, dependencies);
    let cors = cors(config);
    api::routes(state)
        .merge(openapi::routes())
        .layer(axum::extract::DefaultBodyLimit::max(config.max_body_bytes))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::GATEWAY_TIMEOUT,
            Duration::from_secs(config.request_timeout_seconds),
        ))
        .layer(cors)
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

/// The fallback for unknown paths: a problem, not an empty 404.
pub async fn not_found(uri: axum::http::Uri) -> platform::error::Problem {
    platform::error::Problem::not_found(format!("no route for {}", uri.path()))
        .with_kind("not-found")
}
