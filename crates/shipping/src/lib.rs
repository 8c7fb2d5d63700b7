//! The shipping service: quotes, shipments (one per order, idempotently), cancellation before
//! pick-up, and a simulated carrier that moves shipments on and reports tracking events.
//!
//! Serves `emporium.shipping.v1.Shipping`. Scopes: `shipping.write` to create and cancel (the
//! orders service), `shipping.read` to look. Every change goes to the outbox.

pub mod domain;
mod error;
mod grpc;
mod plugin;
mod shipments;
mod store;

pub use crate::plugin::Plugin;

use std::sync::Arc;
use std::time::Duration;

use platform::Shutdown;
use platform::bus::EventBus;
use platform::outbox::Outbox;
use serde::{Deserialize, Serialize};

use crate::domain::State;
pub use crate::error::Error;
pub use crate::grpc::ShippingGrpc;
pub use crate::store::Shipment;
use crate::store::Store;

/// Shipping's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where shipping's database is: `sqlite://...` or `postgres://...`.
    pub database_url: String,
    /// How long the simulated carrier takes for each step (pick-up, delivery), in seconds.
    pub carrier_step_seconds: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            database_url: "sqlite://.emporium/shipping.db".to_owned(),
            carrier_step_seconds: 60,
        }
    }
}

/// The shipping service. Cheap to clone.
#[derive(Clone)]
pub struct Shipping {
    store: Store,
    outbox: Outbox,
    carrier_step: Duration,
    faults: platform::faults::Faults,
}

impl std::fmt::Debug for Shipping {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Shipping").finish_non_exhaustive()
    }
}

impl Shipping {
    /// The service's outbox, whose backlog the operations view shows.
    pub fn outbox(&self) -> &platform::outbox::Outbox {
        &self.outbox
    }

    /// Opens the database and applies its migrations; events go to `bus`.
    pub async fn build(config: &Config, bus: Arc<dyn EventBus>) -> anyhow::Result<Shipping> {
        let store = Store::open(&config.database_url).await?;
        let outbox = Outbox::new(store.database().clone(), bus);
        Ok(Shipping {
            store,
            outbox,
            carrier_step: Duration::from_secs(config.carrier_step_seconds),
            faults: platform::faults::Faults::new(),
        })
    }

    /// Reads `shipping.unavailable` (new shipments are refused) from `faults`.
    pub fn with_faults(mut self, faults: platform::faults::Faults) -> Shipping {
        self.faults = faults;
        self
    }

    /// The gRPC service to mount on a server or an in-process transport.
    pub fn grpc(&self) -> proto::shipping::shipping_server::ShippingServer<ShippingGrpc> {
        ShippingGrpc::server(self.clone())
    }

    /// Runs the simulated carrier and publishes the outbox until `shutdown`. Call once.
    pub async fn run_background(&self, shutdown: Shutdown) {
        let relay = self.outbox.run_relay(shutdown.clone());
        let carrier = async {
            loop {
                tokio::select! {
                    _ = shutdown.wait() => return,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
                if let Err(error) = self.carry().await {
                    tracing::warn!(%error, "the simulated carrier will try again");
                }
            }
        };
        tokio::join!(relay, carrier);
    }

    /// One round of the simulated carrier: every shipment idle for a step moves on.
    pub async fn carry(&self) -> Result<usize, Error> {
        let before = platform::unix_now() - self.carrier_step.as_secs() as i64;
        // Gather first, so that a shipment moves one step per round.
        let mut idle = self.store.idle(State::Created, before).await?;
        idle.extend(self.store.idle(State::InTransit, before).await?);
        let moved = idle.len();
        for id in idle {
            self.store.step(&id, platform::unix_now()).await?;
        }
        Ok(moved)
    }
}
