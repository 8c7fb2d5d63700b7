//! The storefront: the shop's pages at `/`, rendered on the server with maud, so that browsing,
//! the cart and checkout work without JavaScript (a small script of our own makes stock and
//! order states live). Shoppers sign in through the built-in OpenID Connect provider as the
//! first-party public client `emporium-web`, with the authorization-code flow and PKCE; their
//! tokens stay in a sealed session cookie, and every form carries a CSRF token.
//!
//! It owns no data: the gateway mounts it with clients of the catalog, cart, orders and
//! inventory, and it calls them with the shopper's token (or the gateway's, to read the catalog
//! and stock for anyone).

mod account;
mod assets;
pub mod assistant;
mod cart;
mod checkout;
mod error;
mod filters;
mod headers;
mod layout;
mod listing;
mod money;
mod oidc;
pub mod ops;
mod orders;
pub mod portal;
mod product;
mod recommended;
mod search;
mod session;
mod visit;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use platform::auth::TokenSource;
use platform::config::Secret;
use platform::transport::Transport;
use proto::cart::cart_client::CartClient;
use proto::catalog::catalog_client::CatalogClient;
use proto::inventory::inventory_client::InventoryClient;
use proto::orders::orders_client::OrdersClient;
use proto::recommendations::recommendations_client::RecommendationsClient;
use serde::{Deserialize, Serialize};

/// The storefront's settings (`[gateway.storefront]`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Serve the pages at `/`; off leaves the gateway an API only.
    pub enabled: bool,
    /// Where shoppers reach the storefront (its sign-in callback is `<public_url>/auth/callback`);
    /// empty: the process's public URL.
    pub public_url: String,
    /// Where the storefront reaches the identity provider for discovery; empty: the process's
    /// public URL when identity runs here, `remote.identity_http` when it does not.
    pub identity_url: String,
    /// The key that seals session cookies: base64 of 32 random bytes. Every gateway replica
    /// needs the same one. Empty: the key in `session_key_file`, made on first start.
    pub session_key: Secret,
    /// Where the session key is kept when `session_key` is empty; empty: under the data folder.
    pub session_key_file: String,
    /// How long a session lasts without a visit, in days.
    pub session_days: u32,
    /// How long a category's products may be reused for its listing pages, in milliseconds.
    pub listing_cache_ms: u64,
    /// How long a product and its stock level may be reused for its page, in milliseconds
    /// (the page's script follows the stock live anyway); 0 reads both for every page.
    pub product_cache_ms: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            enabled: true,
            public_url: String::new(),
            identity_url: String::new(),
            session_key: Secret::default(),
            session_key_file: String::new(),
            session_days: 30,
            listing_cache_ms: 5000,
            product_cache_ms: 1000,
        }
    }
}

impl Config {
    /// Fills what was left empty from the process's settings.
    pub fn resolve(&mut self, process: &platform::registry::Process) {
        if self.public_url.is_empty() {
            self.public_url = process.public_url.clone();
        }
        if self.identity_url.is_empty() {
            self.identity_url = if process.remote_identity_http.is_empty() {
                process.public_url.clone()
            } else {
                process.remote_identity_http.clone()
            };
        }
        if self.session_key_file.is_empty() {
            self.session_key_file = process
                .data_dir
                .join("storefront-session.key")
                .display()
                .to_string();
        }
    }
}

/// What the storefront calls.
#[derive(Clone)]
pub struct Dependencies {
    pub catalog: Transport,
    pub cart: Transport,
    pub orders: Transport,
    pub inventory: Transport,
    pub recommendations: Transport,
    /// The gateway's own token: reads the catalog and stock for anyone.
    pub service_token: Arc<dyn TokenSource>,
    /// The shopping assistant, which the gateway runs; no assistant page without it.
    pub assistant: Option<Arc<dyn assistant::Assistant>>,
}

impl std::fmt::Debug for Dependencies {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Dependencies")
            .finish_non_exhaustive()
    }
}

/// Everything a page handler needs.
#[derive(Clone)]
pub(crate) struct Storefront(Arc<Inner>);

pub(crate) struct Inner {
    pub(crate) catalog: CatalogClient<Transport>,
    pub(crate) cart: CartClient<Transport>,
    pub(crate) orders: OrdersClient<Transport>,
    pub(crate) inventory: InventoryClient<Transport>,
    pub(crate) recommendations: RecommendationsClient<Transport>,
    service_token: Arc<dyn TokenSource>,
    pub(crate) keys: Arc<session::Keys>,
    pub(crate) cookie: visit::CookieSettings,
    pub(crate) provider: oidc::Provider,
    pub(crate) listings: listing::Cache,
    pub(crate) products: product::Cache,
    pub(crate) assistant: Option<Arc<dyn assistant::Assistant>>,
}

impl std::ops::Deref for Storefront {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Storefront {
    /// The gateway's token, for reads anyone may make.
    pub(crate) async fn service_token(&self) -> Result<String, error::PageError> {
        Ok(self.service_token.token().await?.to_string())
    }
}

/// The storefront's routes, or none when it is turned off.
pub fn router(config: &Config, dependencies: Dependencies) -> anyhow::Result<Option<Router>> {
    if !config.enabled {
        return Ok(None);
    }
    let key = session::load_key(config.session_key.expose(), &config.session_key_file)?;
    let public_url = config.public_url.trim_end_matches('/').to_owned();
    let storefront = Storefront(Arc::new(Inner {
        catalog: CatalogClient::new(dependencies.catalog),
        cart: CartClient::new(dependencies.cart),
        orders: OrdersClient::new(dependencies.orders),
        inventory: InventoryClient::new(dependencies.inventory),
        recommendations: RecommendationsClient::new(dependencies.recommendations),
        service_token: dependencies.service_token,
        keys: Arc::new(session::Keys::new(&key)?),
        cookie: visit::CookieSettings::new(&public_url, config.session_days),
        provider: oidc::Provider::new(&config.identity_url, &public_url)?,
        listings: listing::Cache::new(Duration::from_millis(config.listing_cache_ms)),
        products: product::Cache::new(Duration::from_millis(config.product_cache_ms)),
        assistant: dependencies.assistant,
    }));
    let pages = Router::new()
        .route("/", get(listing::home))
        .route("/c/{category}", get(listing::category))
        .route("/search", get(search::search))
        .route("/p/{sku}", get(product::page))
        .route("/p/{sku}/stock", get(product::stock_events))
        .route("/cart", get(cart::page))
        .route("/cart/add", post(cart::add))
        .route("/cart/update", post(cart::update))
        .route("/cart/remove", post(cart::remove))
        .route("/checkout", get(checkout::page).post(checkout::place))
        .route("/orders", get(orders::history))
        .route("/orders/{id}", get(orders::page))
        .route("/orders/{id}/events", get(orders::events))
        .route("/account", get(account::page))
        .route("/assistant", get(assistant::page).post(assistant::ask))
        .route("/assistant/confirm", post(assistant::decide))
        .route("/login", get(oidc::sign_in))
        .route("/signup", get(oidc::sign_up))
        .route("/auth/callback", get(oidc::callback))
        .route("/logout", post(oidc::sign_out))
        .layer(axum::middleware::from_fn_with_state(
            storefront.clone(),
            visit::sessions,
        ))
        .merge(assets::routes())
        .with_state(storefront)
        .layer(axum::middleware::from_fn(headers::security));
    Ok(Some(pages))
}
