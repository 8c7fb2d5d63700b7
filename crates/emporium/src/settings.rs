//! The binary's configuration: every service's `Config` plus where this process listens and
//! where the services it does not run live. Loaded by `platform::config::load`.

use std::path::PathBuf;

use platform::config::Secret;
use platform::telemetry::TelemetryConfig;
use serde::{Deserialize, Serialize};

/// Everything `emporium` can be told, from defaults, `emporium.toml` and `EMPORIUM_...` variables.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The folder for SQLite databases in embedded mode.
    pub data_dir: PathBuf,
    /// Where the HTTP port listens: REST, docs, the identity provider, health and metrics.
    pub http_addr: String,
    /// Where the gRPC port listens.
    pub grpc_addr: String,
    /// How long a shutdown waits for requests and connections to finish before it ends them.
    pub drain_timeout_seconds: u64,
    /// The URL people and clients use to reach the HTTP port, and so the token issuer.
    /// Empty means `http://<http_addr>`.
    pub public_url: String,
    pub telemetry: TelemetryConfig,
    pub identity: identity::Config,
    pub catalog: catalog::Config,
    pub cart: cart::Config,
    pub inventory: inventory::Config,
    pub payments: payments::Config,
    pub shipping: shipping::Config,
    pub orders: orders::Config,
    pub notifications: notifications::Config,
    pub gateway: gateway::Config,
    /// The event bus: empty for the in-process bus (every service in this process), or
    /// `nats://host:4222` for NATS JetStream (services in several processes).
    pub bus_url: String,
    /// With NATS: a name put before the stream names and subjects, so that several shops (or
    /// test runs) can share one server. Letters, digits and `_`; empty for none.
    pub bus_namespace: String,
    /// Mutual TLS between services (`emporium certs` makes the files).
    pub tls: platform::tls::TlsConfig,
    /// Where the services this process does not run can be reached.
    pub remote: Remote,
}

/// The addresses of services that run elsewhere (distributed mode).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Remote {
    /// gRPC URL of the identity service, e.g. `http://identity:50051`.
    pub identity_grpc: String,
    /// gRPC URL of the catalog service.
    pub catalog_grpc: String,
    /// gRPC URL of the cart service.
    pub cart_grpc: String,
    /// gRPC URL of the inventory service.
    pub inventory_grpc: String,
    /// gRPC URL of the payments service.
    pub payments_grpc: String,
    /// gRPC URL of the shipping service.
    pub shipping_grpc: String,
    /// gRPC URL of the orders service.
    pub orders_grpc: String,
    /// The identity provider's HTTP URL (its issuer), for its JWKS and token endpoint.
    pub identity_http: String,
    /// This process's client id at the identity provider, for its own calls.
    pub client_id: String,
    /// This process's client secret.
    pub client_secret: Secret,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            data_dir: PathBuf::from(".emporium"),
            http_addr: "127.0.0.1:8080".to_owned(),
            grpc_addr: "127.0.0.1:50051".to_owned(),
            public_url: String::new(),
            drain_timeout_seconds: 5,
            telemetry: TelemetryConfig::default(),
            // Empty database urls mean "a SQLite file in data_dir", resolved at start.
            identity: identity::Config {
                database_url: String::new(),
                issuer: String::new(),
                ..identity::Config::default()
            },
            catalog: catalog::Config {
                database_url: String::new(),
                ..catalog::Config::default()
            },
            cart: cart::Config {
                database_url: String::new(),
                ..cart::Config::default()
            },
            inventory: inventory::Config {
                database_url: String::new(),
                ..inventory::Config::default()
            },
            payments: payments::Config {
                database_url: String::new(),
                ..payments::Config::default()
            },
            shipping: shipping::Config {
                database_url: String::new(),
                ..shipping::Config::default()
            },
            orders: orders::Config {
                database_url: String::new(),
                ..orders::Config::default()
            },
            notifications: notifications::Config {
                database_url: String::new(),
                mailbox_dir: String::new(),
                ..notifications::Config::default()
            },
            gateway: gateway::Config::default(),
            bus_url: String::new(),
            bus_namespace: String::new(),
            tls: platform::tls::TlsConfig {
                reload_interval_seconds: 5,
                ..Default::default()
            },
            remote: Remote::default(),
        }
    }
}

impl Settings {
    /// Fills what was left empty: database urls under `data_dir`, the public url from the bound
    /// address, the issuer from the public url (or from `remote.identity_http` when identity
    /// runs elsewhere).
    pub fn resolve(&mut self, public_url: &str) {
        let sqlite = |name: &str| format!("sqlite://{}/{name}.db", self.data_dir.display());
        if self.identity.database_url.is_empty() {
            self.identity.database_url = sqlite("identity");
        }
        if self.catalog.database_url.is_empty() {
            self.catalog.database_url = sqlite("catalog");
        }
        if self.cart.database_url.is_empty() {
            self.cart.database_url = sqlite("cart");
        }
        if self.inventory.database_url.is_empty() {
            self.inventory.database_url = sqlite("inventory");
        }
        if self.payments.database_url.is_empty() {
            self.payments.database_url = sqlite("payments");
        }
        if self.shipping.database_url.is_empty() {
            self.shipping.database_url = sqlite("shipping");
        }
        if self.orders.database_url.is_empty() {
            self.orders.database_url = sqlite("orders");
        }
        if self.notifications.database_url.is_empty() {
            self.notifications.database_url = sqlite("notifications");
        }
        if self.notifications.mailbox_dir.is_empty() {
            self.notifications.mailbox_dir = self.data_dir.join("mailbox").display().to_string();
        }
        if self.public_url.is_empty() {
            self.public_url = public_url.to_owned();
        }
        if self.identity.issuer.is_empty() {
            // Tokens come from the identity provider: this process, unless it runs elsewhere.
            self.identity.issuer = if self.remote.identity_http.is_empty() {
                self.public_url.clone()
            } else {
                self.remote.identity_http.trim_end_matches('/').to_owned()
            };
        }
    }
}
