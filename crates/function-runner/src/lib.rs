//! Runs deployed functions in any process that serves them: the gateway (edge routes and
//! `/fn/<name>`) and the functions service (events).
//!
//! A `Runner` holds the deployments it was last given (`apply`): for each function, its
//! traffic split, triggers, and each serving version compiled in the sandbox. Compiled modules
//! are kept by digest, limits and grants, so a version is compiled once on each replica however
//! often the deployments change, and dropped when it stops serving: an idle function costs its
//! compiled module and nothing more. `invoke` picks a version for a roll in 0..100 (a hash of
//! the event, so a retry meets the same version; a random number for each request at the edge)
//! and runs it; each invocation is metered on `/metrics` and queued
//! for its `Source`, which keeps invocations where operators read them (`report_loop`).
//! `follow` keeps a runner current from the functions service's `WatchDeployments`.

mod follow;
mod metering;
mod table;

pub use crate::follow::{GrpcKeyValue, GrpcSource, follow};
pub use crate::table::{Deployed, pick};

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use proto::functions as pb;
use tokio::sync::mpsc;

use crate::table::{CompileKey, Table};

/// Where a runner's modules come from and its invocations go.
pub trait Source: Send + Sync + 'static {
    /// A module's bytes, by its digest.
    fn module(&self, digest: &str) -> BoxFuture<'static, anyhow::Result<Vec<u8>>>;
    /// Keeps a batch of invocations (and publishes the events those that succeeded emitted).
    fn report(&self, invocations: Vec<pb::Invocation>) -> BoxFuture<'static, anyhow::Result<()>>;
}

/// How many invocations may wait to be reported; past that, they are counted and dropped.
const QUEUED_REPORTS: usize = 10_000;
/// A batch of reports goes at least this often, or at this size.
const REPORT_EVERY: Duration = Duration::from_millis(500);
const REPORT_BATCH: usize = 500;

/// Why a function could not be run at all (a fault inside it is an `Invocation`'s).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RunError {
    #[error("no function {0} is deployed")]
    Unknown(String),
}

/// An invocation, and the version that ran.
#[derive(Debug)]
pub struct Ran {
    pub version: u32,
    pub invocation: sandbox::Invocation,
}

/// Runs the functions of the deployments it was given. Cheap to clone.
#[derive(Clone)]
pub struct Runner {
    inner: Arc<Inner>,
}

struct Inner {
    runtime: sandbox::Runtime,
    source: Arc<dyn Source>,
    table: RwLock<Arc<Table>>,
    compiled: Mutex<HashMap<CompileKey, sandbox::Compiled>>,
    reports: mpsc::Sender<pb::Invocation>,
    queued: Mutex<Option<mpsc::Receiver<pb::Invocation>>>,
    replica: String,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Runner")
            .field("replica", &self.inner.replica)
            .finish_non_exhaustive()
    }
}

impl Runner {
    /// A runner with no deployments yet, whose functions keep state in `key_value`. `replica`
    /// names this process in the invocations it reports.
    pub fn new(
        instances: u32,
        key_value: Arc<dyn sandbox::KeyValue>,
        source: Arc<dyn Source>,
        replica: &str,
    ) -> anyhow::Result<Runner> {
        static DESCRIBED: std::sync::Once = std::sync::Once::new();
        DESCRIBED.call_once(metering::describe);
        let runtime = sandbox::Runtime::new(instances, key_value)?;
        let (reports, queued) = mpsc::channel(QUEUED_REPORTS);
        let inner = Inner {
            runtime,
            source,
            table: RwLock::new(Arc::new(Table::default())),
            compiled: Mutex::new(HashMap::new()),
            reports,
            queued: Mutex::new(Some(queued)),
            replica: replica.to_owned(),
        };
        Ok(Runner {
            inner: Arc::new(inner),
        })
    }

    /// The deployments' revision this runner serves.
    pub fn revision(&self) -> u64 {
        self.table().revision
    }

    /// The deployed function `name`.
    pub fn function(&self, name: &str) -> Option<Arc<Deployed>> {
        self.table().functions.get(name).cloned()
    }

    /// The functions with an edge route of `phase` whose prefix `path` starts with, by name.
    pub fn edge(&self, phase: &str, path: &str) -> Vec<Arc<Deployed>> {
        self.table().edge(phase, path)
    }

    fn table(&self) -> Arc<Table> {
        self.inner
            .table
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Runs `function`'s version for `roll` (0..100) on `input`, triggered by `trigger`
    /// (`edge`, `http`, `event`, `webhook`).
    pub async fn invoke(
        &self,
        function: &Deployed,
        trigger: &'static str,
        input: &[u8],
        roll: u32,
    ) -> Ran {
        let (version, compiled) = function.pick(roll);
        let started = Instant::now();
        // A span per invocation, with OpenTelemetry's FaaS attributes (its trigger in their
        // words, and in ours); what the guest logs goes into it.
        let span = tracing::info_span!(
            "function",
            otel.name = %format!("invoke {}", function.name()),
            otel.kind = "internal",
            faas.name = %function.name(),
            faas.version = %version,
            faas.trigger = faas_trigger(trigger),
            emporium.function.trigger = trigger,
            faas.coldstart = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        let invocation = {
            use tracing::Instrument as _;
            let run = self.inner.runtime.invoke(compiled, input);
            run.instrument(span.clone()).await
        };
        span.record("faas.coldstart", invocation.metering.cold);
        if let Err(fault) = &invocation.result {
            span.record("otel.status_code", "ERROR");
            span.record("error.type", fault.kind());
        }
        metering::record(function.name(), version, trigger, &invocation);
        let report = metering::report(
            function.name(),
            version,
            trigger,
            &invocation,
            &self.inner.replica,
            started,
        );
        if self.inner.reports.try_send(report).is_err() {
            metrics::counter!("function_reports_dropped_total").increment(1);
        }
        Ran {
            version,
            invocation,
        }
    }

    /// Sends the queued invocations to the source in batches, until `shutdown` (then once more).
    pub async fn report_loop(self, shutdown: platform::Shutdown) {
        let taken = self
            .inner
            .queued
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        let Some(mut queued) = taken else { return };
        let mut full = false;
        loop {
            let mut batch = Vec::new();
            // A full batch is followed at once by the next; otherwise reports wait a moment.
            let stopping = if full {
                shutdown.is_triggered()
            } else {
                tokio::select! {
                    _ = shutdown.wait() => true,
                    _ = tokio::time::sleep(REPORT_EVERY) => false,
                }
            };
            while batch.len() < REPORT_BATCH {
                match queued.try_recv() {
                    Ok(report) => batch.push(report),
                    Err(_) => break,
                }
            }
            full = batch.len() == REPORT_BATCH;
            if !batch.is_empty()
                && let Err(error) = self.inner.source.report(batch).await
            {
                tracing::warn!(error = format!("{error:#}"), "report function invocations");
            }
            if stopping {
                return;
            }
        }
    }
}

/// OpenTelemetry's `faas.trigger` for ours: a request at the edge or on `/fn` is `http`, an
/// event from the bus `pubsub`, a webhook's transform `other`.
fn faas_trigger(trigger: &str) -> &'static str {
    match trigger {
        "edge" | "http" => "http",
        "event" => "pubsub",
        _ => "other",
    }
}
