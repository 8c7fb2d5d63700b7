//! The orders service: orders, and the checkout saga that places them.
//!
//! Serves `emporium.orders.v1.Orders`. `PlaceOrder` takes the caller's cart and runs the saga
//! (`saga.rs`) to a terminal state: confirmed, or failed with a reason after compensation.
//! The saga's state is saved after every step; `run_background` resumes what a crash left
//! unfinished. `PlaceOrder` is idempotent by key. Users need the `orders` scope; the service
//! calls inventory, payments and shipping with its own token.

mod checkout;
pub mod domain;
mod error;
mod grpc;
mod plugin;
mod product;
mod saga;
mod store;
mod view;

pub use crate::plugin::Plugin;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use platform::Shutdown;
use platform::auth::TokenSource;
use platform::bus::EventBus;
use platform::faults::{Fault, Faults};
use platform::outbox::Outbox;
use platform::transport::Transport;
use proto::cart::cart_client::CartClient;
use proto::catalog::catalog_client::CatalogClient;
use proto::inventory::inventory_client::InventoryClient;
use proto::payments::payments_client::PaymentsClient;
use proto::shipping::shipping_client::ShippingClient;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::domain::Step;
pub use crate::error::Error;
pub use crate::grpc::OrdersGrpc;
pub use crate::store::Order;
use crate::store::Store;

/// The scopes the orders service's own token needs.
pub const SERVICE_SCOPES: &[&str] = &[
    proto::scopes::INVENTORY_RESERVE,
    proto::scopes::PAYMENTS_CHARGE,
    proto::scopes::SHIPPING_WRITE,
];

/// The orders service's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the orders database is: `sqlite://...` or `postgres://...`.
    pub database_url: String,
    /// How long one call of a saga step may take, in milliseconds.
    pub step_timeout_ms: u64,
    /// How many times a step that failed in passing is tried.
    pub step_attempts: u32,
    /// How long a checkout's stock reservation holds, in seconds.
    pub reservation_ttl_seconds: u32,
    /// How often unfinished sagas that no task works on are looked for, in milliseconds.
    pub resume_interval_ms: u64,
    /// How long an unfinished order must be left unchanged before the resumer takes it up.
    pub resume_grace_seconds: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            database_url: "sqlite://.emporium/orders.db".to_owned(),
            step_timeout_ms: 5000,
            step_attempts: 3,
            reservation_ttl_seconds: 900,
            resume_interval_ms: 5000,
            resume_grace_seconds: 2,
        }
    }
}

/// What the orders service talks to.
#[derive(Clone)]
pub struct Dependencies {
    pub cart: Transport,
    pub catalog: Transport,
    pub inventory: Transport,
    pub payments: Transport,
    pub shipping: Transport,
    /// The service's own token, with `SERVICE_SCOPES`.
    pub service_token: Arc<dyn TokenSource>,
    pub bus: Arc<dyn EventBus>,
    pub faults: Faults,
}

/// The orders service. Cheap to clone.
#[derive(Clone)]
pub struct Orders {
    store: Store,
    config: Arc<Config>,
    outbox: Outbox,
    /// Every saved state change, for `WatchOrder`.
    updates: broadcast::Sender<Order>,
    /// The orders whose saga a task of this process is running.
    running: Arc<Mutex<HashSet<String>>>,
    cart: CartClient<Transport>,
    catalog: CatalogClient<Transport>,
    inventory: InventoryClient<Transport>,
    payments: PaymentsClient<Transport>,
    shipping: ShippingClient<Transport>,
    service_token: Arc<dyn TokenSource>,
    faults: Faults,
}

impl std::fmt::Debug for Orders {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Orders").finish_non_exhaustive()
    }
}

/// Marks an order's saga as running in this process until dropped.
struct Running {
    id: String,
    running: Arc<Mutex<HashSet<String>>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&self.id);
    }
}

impl Orders {
    /// The service's outbox, whose backlog the operations view shows.
    pub fn outbox(&self) -> &platform::outbox::Outbox {
        &self.outbox
    }

    /// Opens the database and applies its migrations.
    pub async fn build(config: &Config, dependencies: Dependencies) -> anyhow::Result<Orders> {
        let store = Store::open(&config.database_url).await?;
        describe_metrics();
        let outbox = Outbox::new(store.database().clone(), dependencies.bus);
        let (updates, _) = broadcast::channel(1024);
        Ok(Orders {
            store,
            config: Arc::new(config.clone()),
            outbox,
            updates,
            running: Arc::default(),
            cart: CartClient::new(dependencies.cart),
            catalog: CatalogClient::new(dependencies.catalog),
            inventory: InventoryClient::new(dependencies.inventory),
            payments: PaymentsClient::new(dependencies.payments),
            shipping: ShippingClient::new(dependencies.shipping),
            service_token: dependencies.service_token,
            faults: dependencies.faults,
        })
    }

    /// The gRPC service to mount on a server or an in-process transport.
    pub fn grpc(&self) -> proto::orders::orders_server::OrdersServer<OrdersGrpc> {
        OrdersGrpc::server(self.clone())
    }

    /// Resumes unfinished sagas (at once, then every `resume_interval_ms`) and publishes the
    /// outbox, until `shutdown`. Call once.
    pub async fn run_background(&self, shutdown: Shutdown) {
        let relay = self.outbox.run_relay(shutdown.clone());
        let resumer = async {
            loop {
                let result = tokio::select! {
                    _ = shutdown.wait() => return,
                    result = self.resume_unfinished() => result,
                };
                if let Err(error) = result {
                    tracing::warn!(%error, "resuming unfinished orders failed; trying again");
                }
                tokio::select! {
                    _ = shutdown.wait() => return,
                    _ = tokio::time::sleep(Duration::from_millis(self.config.resume_interval_ms)) => {}
                }
            }
        };
        tokio::join!(relay, resumer);
    }

    /// Runs every unfinished saga that no task of this process is running, to its end.
    /// Returns how many it finished. An order changed in the last `resume_grace_seconds` is
    /// left to the checkout that is placing it (between its creation and its saga's start, no
    /// task has claimed it yet).
    pub async fn resume_unfinished(&self) -> Result<usize, Error> {
        let mut finished = 0;
        let unchanged_since = platform::unix_now() - self.config.resume_grace_seconds as i64;
        for order in self.store.unfinished(unchanged_since).await? {
            if self
                .running
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .contains(&order.id)
            {
                continue;
            }
            tracing::info!(order_id = %order.id, state = order.state.as_str(), "resuming an unfinished checkout");
            let order = self.run_saga(order, true).await;
            finished += usize::from(order.state.is_terminal());
        }
        Ok(finished)
    }

    /// The states an order went through, oldest first.
    pub async fn history(&self, order_id: &str) -> Result<Vec<domain::State>, Error> {
        self.store.states(order_id).await
    }

    fn claim(&self, order_id: &str) -> Option<Running> {
        let mut running = self
            .running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        running.insert(order_id.to_owned()).then(|| Running {
            id: order_id.to_owned(),
            running: self.running.clone(),
        })
    }

    /// A crash on purpose, for the tests of recovery: after step N, the process stops dead.
    fn faults_after(&self, step: Step) {
        if let Some(Fault::CrashAfterStep { step: crash_after }) =
            self.faults.get("orders.crash_after_step")
            && crash_after == step.number()
        {
            tracing::error!(
                step = step.as_str(),
                "crashing on purpose (fault orders.crash_after_step)"
            );
            std::process::abort();
        }
    }
}

/// Says what the business's metrics mean, once the process's recorder is installed.
fn describe_metrics() {
    use metrics::describe_counter;
    platform::telemetry::metrics();
    describe_counter!(
        "orders_placed_total",
        "Orders placed (each starts a checkout saga)"
    );
    describe_counter!("orders_confirmed_total", "Orders whose saga confirmed them");
    describe_counter!(
        "orders_revenue_cents_total",
        "What confirmed orders charged, in the currency's minor units, by currency"
    );
    describe_counter!(
        "saga_step_failures_total",
        "Checkout sagas that failed, by the step that failed"
    );
}
