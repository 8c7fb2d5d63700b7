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

mod deploy;
mod error;
mod grpc;
mod key_value;
mod plugin;
mod store;

pub mod domain;

pub use crate::deploy::{Deploy, FunctionView};
pub use crate::error::Error;
pub use crate::grpc::FunctionsGrpc;
pub use crate::plugin::Plugin;

use std::sync::Arc;
use std::time::Duration;

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
}

impl Default for Config {
    fn default() -> Config {
        Config {
            database_url: "sqlite://.emporium/functions.db".to_owned(),
            poll_interval_ms: 250,
            instances: 64,
        }
    }
}

/// The functions service. Cheap to clone.
#[derive(Clone)]
pub struct Functions {
    store: Store,
    runtime: sandbox::Runtime,
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
    /// Opens the database and the sandbox.
    pub async fn build(config: &Config) -> anyhow::Result<Functions> {
        let store = Store::open(&config.database_url).await?;
        let key_value = Arc::new(key_value::StoreKeyValue::new(store.clone()));
        let runtime = sandbox::Runtime::new(config.instances, key_value)?;
        let revision = Arc::new(watch::Sender::new(store.revision().await?));
        Ok(Functions {
            store,
            runtime,
            revision,
            config: config.clone(),
        })
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

    /// Tells this process's watchers that the deployments changed.
    async fn changed(&self) -> Result<(), Error> {
        let revision = self.store.revision().await?;
        self.revision.send_if_modified(|known| {
            let newer = revision > *known;
            *known = revision.max(*known);
            newer
        });
        Ok(())
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}
