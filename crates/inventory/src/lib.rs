//! The inventory service: stock per sku and reservations that hold it for a checkout.
//!
//! Serves `emporium.inventory.v1.Inventory`. A reservation holds stock for all its lines or for
//! none; it is committed (sold), released, or expires by itself after its time-to-live. Stock
//! never goes negative, whatever the concurrency: each change is one conditional update, and the
//! database's checks refuse the rest. Every change goes to the outbox in its transaction.
//! Scopes: `inventory.read`, `inventory.reserve` (the orders service), `inventory.admin`.

pub mod domain;
mod error;
mod grpc;
mod plugin;
mod product;
mod stock;
mod store;

pub use crate::plugin::Plugin;

use std::sync::Arc;
use std::time::Duration;

use platform::Shutdown;
use platform::bus::EventBus;
use platform::outbox::Outbox;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::domain::{Lines, State};
pub use crate::error::Error;
pub use crate::grpc::InventoryGrpc;
use crate::store::Store;
pub use crate::store::{Level, Reservation};

/// Inventory's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where inventory's database is: `sqlite://...` or `postgres://...`.
    pub database_url: String,
    /// How often lapsed reservations are looked for and released, in milliseconds.
    pub sweep_interval_ms: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            database_url: "sqlite://.emporium/inventory.db".to_owned(),
            sweep_interval_ms: 1000,
        }
    }
}

/// The inventory service. Cheap to clone.
#[derive(Clone)]
pub struct Inventory {
    store: Store,
    /// New stock levels, for `WatchStock`.
    changes: broadcast::Sender<Level>,
    outbox: Outbox,
    sweep_interval: Duration,
    faults: platform::faults::Faults,
}

impl std::fmt::Debug for Inventory {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Inventory").finish_non_exhaustive()
    }
}

impl Inventory {
    /// The service's outbox, whose backlog the operations view shows.
    pub fn outbox(&self) -> &platform::outbox::Outbox {
        &self.outbox
    }

    /// Opens the database and applies its migrations; events go to `bus`.
    pub async fn build(config: &Config, bus: Arc<dyn EventBus>) -> anyhow::Result<Inventory> {
        platform::telemetry::metrics();
        metrics::describe_counter!(
            "inventory_stockouts_total",
            "Reservations refused because a line's stock was short"
        );
        let store = Store::open(&config.database_url).await?;
        let outbox = Outbox::new(store.database().clone(), bus);
        let (changes, _) = broadcast::channel(1024);
        Ok(Inventory {
            outbox,
            store,
            changes,
            sweep_interval: Duration::from_millis(config.sweep_interval_ms.max(10)),
            faults: platform::faults::Faults::new(),
        })
    }

    /// Reads `inventory.slow` (a delay before reserving and committing) from `faults`.
    pub fn with_faults(mut self, faults: platform::faults::Faults) -> Inventory {
        self.faults = faults;
        self
    }

    /// The gRPC service to mount on a server or an in-process transport.
    pub fn grpc(&self) -> proto::inventory::inventory_server::InventoryServer<InventoryGrpc> {
        InventoryGrpc::server(self.clone())
    }

    /// Releases lapsed reservations and publishes the outbox until `shutdown`. Call once.
    pub async fn run_background(&self, shutdown: Shutdown) {
        let relay = self.outbox.run_relay(shutdown.clone());
        let sweeper = async {
            loop {
                tokio::select! {
                    _ = shutdown.wait() => return,
                    _ = tokio::time::sleep(self.sweep_interval) => {}
                }
                if let Err(error) = self.release_lapsed().await {
                    tracing::warn!(error = %error, "releasing lapsed reservations failed; trying again");
                }
            }
        };
        tokio::join!(relay, sweeper);
    }

    /// Releases every held reservation whose time is up; returns how many.
    pub async fn release_lapsed(&self) -> Result<usize, Error> {
        let mut released = 0;
        loop {
            let lapsed = self.store.lapsed(platform::unix_now(), 100).await?;
            if lapsed.is_empty() {
                return Ok(released);
            }
            for id in lapsed {
                let reservation = self
                    .store
                    .transition(&id, State::Expired, platform::unix_now())
                    .await?;
                tracing::info!(reservation_id = %id, "reservation expired");
                self.changed(reservation.lines.skus()).await;
                released += 1;
            }
        }
    }

    /// Adds stock records for skus that have none; returns how many it added.
    pub async fn seed_if_missing(&self, levels: &[(String, i64)]) -> Result<usize, Error> {
        self.store.seed(levels, platform::unix_now()).await
    }

    /// Tells watchers the new levels of `skus`.
    async fn changed(&self, skus: impl Iterator<Item = &str>) {
        if self.changes.receiver_count() == 0 {
            return;
        }
        let skus: Vec<String> = skus.map(str::to_owned).collect();
        if let Ok(levels) = self.store.levels(&skus).await {
            for level in levels {
                let _ = self.changes.send(level);
            }
        }
    }

    async fn reserve(
        &self,
        id: &str,
        lines: &Lines,
        ttl_seconds: i64,
    ) -> Result<Reservation, Error> {
        let now = platform::unix_now();
        let reservation = self
            .store
            .reserve(id, lines, now + ttl_seconds, now)
            .await?;
        self.changed(lines.skus()).await;
        Ok(reservation)
    }

    async fn transition(&self, id: &str, target: State) -> Result<Reservation, Error> {
        if target == State::Committed {
            self.faults.delay("inventory.slow").await;
        }
        let result = self
            .store
            .transition(id, target, platform::unix_now())
            .await;
        match &result {
            Ok(reservation) => self.changed(reservation.lines.skus()).await,
            // A commit that found its reservation lapsed released the stock on the way.
            Err(Error::WrongState { .. }) => {
                if let Ok(Some(reservation)) = self.store.reservation(id).await {
                    self.changed(reservation.lines.skus()).await;
                }
            }
            Err(_) => {}
        }
        result
    }
}
