//! The functions service: WebAssembly functions deployed while the shop runs.
//!
//! It owns the functions (`store.rs`): each deploy is a new immutable version, its module kept
//! once by digest; the traffic split between versions, rolled back at once; what triggers each
//! (the edge, its own route, event types); each function's key-value space; and the latest
//! invocations from every process that runs them, from which usage is made (counts, p50/p99,
//! fuel, GB-seconds). A deploy is checked by compiling it (`sandbox`), so a module that may not
//! run is refused at once, naming why. Every change grows the deployment revision, which
//! `WatchDeployments` streams to the processes that run functions; a replica notices another's
//! change within `poll_interval_ms`.

mod deliveries;
mod deploy;
mod error;
mod grpc;
mod health;
mod key_value;
mod plugin;
mod reports;
mod store;
mod webhooks;
mod worker;

pub mod domain;

pub use crate::deliveries::DeadDelivery;
pub use crate::deploy::{Deploy, FunctionView};
pub use crate::error::Error;
pub use crate::grpc::FunctionsGrpc;
pub use crate::plugin::Plugin;
pub use crate::webhooks::{Delivery, Endpoint, NewEndpoint};

use std::sync::Arc;
use std::time::Duration;

use platform::bus::EventBus;
use platform::outbox::Outbox;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::store::Store;

/// The functions service's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the functions database is: `sqlite://...` or `postgres://...`.
    pub database_url: String,
    /// How often the deployment revision is read, to notice other replicas' changes.
    pub poll_interval_ms: u64,
    /// The most instances this process runs at once, over all functions.
    pub instances: u32,
    /// How many times an event is tried on a function before its delivery is dead.
    pub max_attempts: u32,
    /// How many times a webhook is sent before its delivery is dead.
    pub webhook_max_attempts: u32,
    /// Redis, for the functions' key-value spaces in distributed mode: `redis://host:6379`.
    /// Empty keeps them in the functions database.
    pub redis_url: String,
    /// What the keys in Redis start with.
    pub redis_prefix: String,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            database_url: "sqlite://.emporium/functions.db".to_owned(),
            poll_interval_ms: 250,
            instances: 64,
            max_attempts: 8,
            webhook_max_attempts: 8,
            redis_url: String::new(),
            redis_prefix: "emporium:functions:".to_owned(),
        }
    }
}

/// The functions service. Cheap to clone.
#[derive(Clone)]
pub struct Functions {
    store: Store,
    /// The functions' key-value spaces: the database's, or Redis's.
    key_value: Arc<dyn sandbox::KeyValue>,
    /// Runs the functions triggered by events, and checks deploys by compiling them.
    runner: function_runner::Runner,
    /// The functions subscribed to each event type, as stored: current as soon as a change is
    /// made, before the runner has compiled what changed.
    subscriptions: Arc<std::sync::RwLock<std::collections::HashMap<String, Vec<String>>>>,
    /// The webhook endpoints, as stored.
    endpoints: Arc<std::sync::RwLock<Vec<store::EndpointRow>>>,
    wake_sender: Arc<tokio::sync::Notify>,
    bus: Arc<dyn EventBus>,
    outbox: Outbox,
    wake_worker: Arc<tokio::sync::Notify>,
    /// The latest deployment revision this process knows of.
    revision: Arc<watch::Sender<u64>>,
    config: Config,
}

impl std::fmt::Debug for Functions {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Functions").finish_non_exhaustive()
    }
}

impl Functions {
    /// Opens the database and the sandbox; `bus` brings the events and takes what functions
    /// emit.
    pub async fn build(config: &Config, bus: Arc<dyn EventBus>) -> anyhow::Result<Functions> {
        describe_metrics();
        let store = Store::open(&config.database_url).await?;
        let key_value = key_value::open(config, &store)?;
        let source = Arc::new(reports::LocalSource {
            store: store.clone(),
        });
        let runner =
            function_runner::Runner::new(config.instances, key_value.clone(), source, "functions")?;
        let revision = Arc::new(watch::Sender::new(store.revision().await?));
        let outbox = Outbox::new(store.database().clone(), bus.clone());
        let functions = Functions {
            store,
            key_value,
            runner,
            subscriptions: Arc::default(),
            endpoints: Arc::default(),
            wake_sender: Arc::default(),
            bus,
            outbox,
            wake_worker: Arc::default(),
            revision,
            config: config.clone(),
        };
        functions.refresh_subscriptions().await?;
        functions.serve_deployments().await?;
        Ok(functions)
    }

    /// The relay that publishes what functions emitted.
    /// The runner this service keeps current and reports from; the gateway of the same process
    /// runs its edge and `/fn` functions on it rather than on a runtime of its own.
    pub fn runner(&self) -> &function_runner::Runner {
        &self.runner
    }

    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Gives this process's runner the deployments now.
    async fn serve_deployments(&self) -> Result<u64, Error> {
        let (revision, views) = self.deployments().await?;
        let functions = views.into_iter().map(grpc::convert::function).collect();
        self.runner
            .apply(proto::functions::Deployments {
                revision,
                functions,
            })
            .await;
        Ok(revision)
    }

    /// Keeps this process's runner serving the deployments as they change, until `shutdown`.
    pub async fn keep_runner_current(self, shutdown: platform::Shutdown) {
        let mut seen = self.runner.revision();
        loop {
            tokio::select! {
                _ = shutdown.wait() => return,
                _ = self.next_revision(seen) => {}
            }
            match self.serve_deployments().await {
                Ok(revision) => seen = revision,
                Err(error) => {
                    tracing::warn!(error = %error, "serve the functions' new deployments");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// The deployments' revision this process's runner serves.
    pub fn serving_revision(&self) -> u64 {
        self.runner.revision()
    }

    /// Reports what this process's runner ran, until `shutdown`.
    pub async fn report(self, shutdown: platform::Shutdown) {
        self.runner.clone().report_loop(shutdown).await;
    }

    /// The gRPC service to mount on a server or an in-process transport.
    pub fn grpc(&self) -> proto::functions::functions_server::FunctionsServer<FunctionsGrpc> {
        FunctionsGrpc::server(self.clone())
    }

    /// Follows the deployment revision in the database, so that other replicas' changes reach
    /// this one's watchers; until `shutdown`.
    pub async fn follow_revision(self, shutdown: platform::Shutdown) {
        let period = Duration::from_millis(self.config.poll_interval_ms.max(10));
        loop {
            tokio::select! {
                _ = shutdown.wait() => return,
                _ = tokio::time::sleep(period) => {}
            }
            match self.store.revision().await {
                Ok(revision) => {
                    if revision > *self.revision.borrow()
                        && let Err(error) = self.refresh_subscriptions().await
                    {
                        tracing::warn!(error = %error, "read the functions' subscriptions");
                    }
                    self.revision.send_if_modified(|known| {
                        let newer = revision > *known;
                        if newer {
                            *known = revision;
                        }
                        newer
                    });
                }
                Err(error) => {
                    tracing::warn!(error = format!("{error:#}"), "read the deployment revision")
                }
            }
        }
    }

    /// Reads which functions each event type triggers.
    async fn refresh_subscriptions(&self) -> Result<(), Error> {
        let mut subscriptions: std::collections::HashMap<String, Vec<String>> = Default::default();
        for function in self.store.functions().await? {
            for event_type in function.triggers.events {
                subscriptions
                    .entry(event_type)
                    .or_default()
                    .push(function.name.clone());
            }
        }
        *self
            .subscriptions
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = subscriptions;
        let endpoints = self.store.endpoints().await?;
        *self
            .endpoints
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = endpoints;
        Ok(())
    }

    /// The functions events of `event_type` trigger.
    fn subscribers(&self, event_type: &str) -> Vec<String> {
        let subscriptions = self
            .subscriptions
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        subscriptions.get(event_type).cloned().unwrap_or_default()
    }

    /// Tells this process's watchers that the deployments changed.
    async fn changed(&self) -> Result<(), Error> {
        self.refresh_subscriptions().await?;
        let revision = self.store.revision().await?;
        self.revision.send_if_modified(|known| {
            let newer = revision > *known;
            *known = revision.max(*known);
            newer
        });
        Ok(())
    }
}

/// Says what the service's own metrics mean, once the process's recorder is installed.
fn describe_metrics() {
    use metrics::describe_counter;
    platform::telemetry::metrics();
    describe_counter!(
        "function_dead_letters_total",
        "Event deliveries to a function that failed every attempt, by function"
    );
    describe_counter!(
        "function_rollbacks_total",
        "New function versions rolled back by themselves because they failed too often, by function"
    );
    describe_counter!(
        "webhook_attempts_total",
        "Webhook posts, by outcome (delivered or failed)"
    );
    describe_counter!(
        "webhook_dead_total",
        "Webhook deliveries that failed every attempt"
    );
}
