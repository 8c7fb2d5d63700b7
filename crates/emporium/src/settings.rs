//! The binary's configuration: every service's section (from the registry) plus where this
//! process listens and where the services it does not run live. Loaded by
//! `platform::config::load`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use platform::config::{ConfigError, Secret};
use platform::registry::Process;
use platform::telemetry::TelemetryConfig;
use serde::{Deserialize, Serialize};

use crate::registry::{Service, ServiceSettings};

/// Everything `emporium` can be told, from defaults, `emporium.toml` and `EMPORIUM_...` variables.
/// `platform::config::load` refuses a key that names no setting.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
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
    /// The domains' data products' exports (Parquet files under a folder).
    pub data_products: DataProducts,
    /// Each service's own section: `catalog.database_url`, `orders.step_timeout_ms`, ...
    #[serde(flatten)]
    pub services: ServiceSettings,
}

/// The exports of the data products (orders, catalog, inventory, payments) that the services
/// of this process own.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataProducts {
    /// How often each product is written whole, in seconds; 0 writes none.
    pub interval_seconds: u64,
    /// The folder the exports go to (`<dir>/<product>/<table>.parquet`); `<data_dir>/exports`
    /// when empty.
    pub dir: String,
}

impl Default for DataProducts {
    fn default() -> DataProducts {
        DataProducts {
            interval_seconds: 60,
            dir: String::new(),
        }
    }
}

impl DataProducts {
    /// Where and how often to export, or `None` when the exports are off.
    pub fn exports(&self, data_dir: &Path) -> Option<platform::registry::Exports> {
        (self.interval_seconds > 0).then(|| platform::registry::Exports {
            dir: match self.dir.as_str() {
                "" => data_dir.join("exports"),
                dir => PathBuf::from(dir),
            },
            every: std::time::Duration::from_secs(self.interval_seconds),
        })
    }
}

/// The addresses of services that run elsewhere (distributed mode).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Remote {
    /// The identity provider's HTTP URL (its issuer), for its JWKS and token endpoint.
    pub identity_http: String,
    /// This process's client id at the identity provider, for its own calls.
    pub client_id: String,
    /// This process's client secret.
    pub client_secret: Secret,
    /// The gRPC URL of each service by `<service>_grpc`, e.g. `catalog_grpc =
    /// "http://catalog:50051"`.
    #[serde(flatten)]
    pub grpc: BTreeMap<String, String>,
}

impl Remote {
    /// The gRPC URL of `service`; empty when none was given.
    pub fn grpc_url(&self, service: Service) -> &str {
        self.grpc
            .get(&format!("{}_grpc", service.name()))
            .map_or("", String::as_str)
    }

    /// Sets the gRPC URL of `service`.
    pub fn set_grpc_url(&mut self, service: Service, url: impl Into<String>) {
        self.grpc
            .insert(format!("{}_grpc", service.name()), url.into());
    }

    /// Refuses a `remote.<key>` that names no service.
    pub fn check(&self) -> anyhow::Result<()> {
        for key in self.grpc.keys() {
            let service = key.strip_suffix("_grpc").and_then(Service::from_name);
            anyhow::ensure!(
                service.is_some(),
                "invalid configuration: key `remote.{key}`: no such setting; a service's gRPC URL is `remote.<service>_grpc`, for one of {}",
                Service::ALL
                    .iter()
                    .map(|service| service.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        Ok(())
    }
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
            bus_url: String::new(),
            bus_namespace: String::new(),
            tls: platform::tls::TlsConfig {
                reload_interval_seconds: 5,
                ..Default::default()
            },
            remote: Remote::default(),
            data_products: DataProducts::default(),
            // Empty database urls mean "a SQLite file in data_dir", resolved at start.
            services: ServiceSettings::default(),
        }
    }
}

impl Settings {
    /// Loads the settings from their defaults, the optional TOML file and the environment; a bad
    /// value or a key that names no setting is an error that names the key.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let figment = platform::config::layers::<Settings>(file)?;
        // The services' sections on their own first: read through the flattened field, a bad
        // value there would lose its key in the message.
        platform::config::extract::<ServiceSettings>(&figment)?;
        let settings: Settings = platform::config::extract(&figment)?;
        platform::config::refuse_unknown(&figment, &settings)?;
        Ok(settings)
    }

    /// Fills what was left empty: the public url from the bound address, then each service's
    /// section from the process's settings (database urls under `data_dir`, the issuer).
    pub fn resolve(&mut self, public_url: &str) {
        if self.public_url.is_empty() {
            self.public_url = public_url.to_owned();
        }
        let process = Process {
            data_dir: self.data_dir.clone(),
            public_url: self.public_url.clone(),
            remote_identity_http: self.remote.identity_http.clone(),
        };
        self.services.resolve(&process);
    }
}
