//! The payments service: a simulated payment processor that behaves like one.
//!
//! Serves `emporium.payments.v1.Payments`: authorize, capture, void, refund. Cards are checked
//! as a processor would (Luhn, expiry, CVC form); the issuer declines at a configurable rate and
//! always for the test card 4000 0000 0000 0002; answers take a configurable latency. Every call
//! carries an idempotency key: the same key and request get the first answer again, the same key
//! with another request is refused; keys are kept `idempotency_key_hours`. Every movement of
//! money is a balanced set of entries in a double-entry ledger. Scopes: `payments.charge` to move
//! money (the orders service), `payments.read` to look.

pub mod domain;
mod error;
mod grpc;
mod plugin;
mod product;
mod service;
mod store;
mod vault;

pub use crate::plugin::Plugin;

use std::sync::Arc;
use std::time::Duration;

use platform::Shutdown;
use platform::bus::EventBus;
use platform::outbox::Outbox;
use serde::{Deserialize, Serialize};

pub use crate::error::Error;
pub use crate::grpc::PaymentsGrpc;
pub use crate::store::Payment;
use crate::store::Store;

/// The processor's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the processor's database is: `sqlite://...` or `postgres://...`.
    pub database_url: String,
    /// The share of authorizations the simulated issuer declines, from 0.0 to 1.0.
    pub decline_rate: f64,
    /// How long the simulated processor takes to answer, in milliseconds.
    pub latency_ms: u64,
    /// How long idempotency keys are kept, in hours; at least 24.
    pub idempotency_key_hours: u64,
    /// The key that seals cards in the vault: 64 hex digits (32 bytes), from the secrets.
    /// Empty: the key in `vault_key_file`.
    pub vault_key: platform::config::Secret,
    /// A file that holds the vault key, made (readable by its owner only) when missing; the
    /// binary puts it in the data folder. With neither, cards do not survive a restart.
    pub vault_key_file: String,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            database_url: "sqlite://.emporium/payments.db".to_owned(),
            decline_rate: 0.0,
            latency_ms: 0,
            idempotency_key_hours: 24,
            vault_key: platform::config::Secret::default(),
            vault_key_file: String::new(),
        }
    }
}

/// The payments service. Cheap to clone.
#[derive(Clone)]
pub struct Payments {
    store: Store,
    config: Arc<Config>,
    outbox: Outbox,
    vault: vault::Vault,
    faults: platform::faults::Faults,
}

impl std::fmt::Debug for Payments {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Payments").finish_non_exhaustive()
    }
}

impl Payments {
    /// The service's outbox, whose backlog the operations view shows.
    pub fn outbox(&self) -> &platform::outbox::Outbox {
        &self.outbox
    }

    /// Opens the database and applies its migrations; events go to `bus`.
    pub async fn build(config: &Config, bus: Arc<dyn EventBus>) -> anyhow::Result<Payments> {
        platform::telemetry::metrics();
        metrics::describe_counter!(
            "payments_declined_total",
            "Authorizations the issuer declined"
        );
        anyhow::ensure!(
            (0.0..=1.0).contains(&config.decline_rate),
            "invalid configuration: key `payments.decline_rate`: must be from 0.0 to 1.0"
        );
        anyhow::ensure!(
            config.idempotency_key_hours >= 24,
            "invalid configuration: key `payments.idempotency_key_hours`: keys are kept at least 24 hours"
        );
        let vault = vault::Vault::from_config(config)?;
        let store = Store::open(&config.database_url).await?;
        let outbox = Outbox::new(store.database().clone(), bus);
        Ok(Payments {
            outbox,
            store,
            vault,
            config: Arc::new(config.clone()),
            faults: platform::faults::Faults::new(),
        })
    }

    /// Reads `payments.decline` (the issuer declines) and `payments.timeout` (a delay) from
    /// `faults`.
    pub fn with_faults(mut self, faults: platform::faults::Faults) -> Payments {
        self.faults = faults;
        self
    }

    /// The gRPC service to mount on a server or an in-process transport.
    pub fn grpc(&self) -> proto::payments::payments_server::PaymentsServer<PaymentsGrpc> {
        PaymentsGrpc::server(self.clone())
    }

    /// Publishes the outbox and forgets old idempotency keys until `shutdown`. Call once.
    pub async fn run_background(&self, shutdown: Shutdown) {
        let relay = self.outbox.run_relay(shutdown.clone());
        let janitor = async {
            loop {
                let cutoff =
                    platform::unix_now() - (self.config.idempotency_key_hours * 3600) as i64;
                if let Err(error) = self.store.forget_keys(cutoff).await {
                    tracing::warn!(%error, "forgetting old idempotency keys failed; trying again");
                }
                let cutoff = platform::unix_now() - service::CARD_TTL_SECONDS;
                if let Err(error) = self.store.forget_cards(cutoff).await {
                    tracing::warn!(%error, "erasing unused cards failed; trying again");
                }
                tokio::select! {
                    _ = shutdown.wait() => return,
                    _ = tokio::time::sleep(Duration::from_secs(600)) => {}
                }
            }
        };
        tokio::join!(relay, janitor);
    }

    /// The sum of the ledger per currency; every figure is zero when the books balance.
    pub async fn ledger_totals(&self) -> Result<Vec<(String, i64)>, Error> {
        self.store.ledger_totals().await
    }

    /// Each account's balance for one payment.
    pub async fn balances(&self, payment_id: &str) -> Result<Vec<(String, i64)>, Error> {
        self.store.balances(payment_id).await
    }

    /// How many cards the vault keeps for authorizations still to come.
    pub async fn kept_cards(&self) -> Result<i64, Error> {
        self.store.kept_cards().await
    }
}
