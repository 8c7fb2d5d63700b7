//! Invocations reported by the processes that run functions (and by this one's own runner):
//! kept, with the events they emitted published in the same transaction.

use futures_util::future::BoxFuture;
use proto::functions as pb;

use crate::deliveries::envelopes;
use crate::store::{InvocationRow, Store};

/// `invocations` as rows to keep, and the events to publish: those emitted by invocations not
/// triggered by an event (an event's delivery publishes its own, as it is marked done).
pub(crate) fn rows_and_events(
    invocations: Vec<pb::Invocation>,
    now_ms: i64,
) -> (Vec<InvocationRow>, Vec<(String, events::Envelope)>) {
    let mut emitted = Vec::new();
    let rows = invocations
        .into_iter()
        .map(|invocation| {
            if invocation.trigger != "event" && invocation.fault_kind.is_empty() {
                emitted.extend(envelopes(&invocation.function, &invocation.events, now_ms));
            }
            invocation_row(invocation)
        })
        .collect();
    (rows, emitted)
}

fn invocation_row(invocation: pb::Invocation) -> InvocationRow {
    let logs: Vec<serde_json::Value> = invocation
        .logs
        .iter()
        .map(|line| serde_json::json!({"level": line.level, "message": line.message}))
        .collect();
    InvocationRow {
        function: invocation.function,
        version: invocation.version,
        triggered_by: invocation.trigger,
        at_ms: invocation.at_ms,
        duration_ms: invocation.duration_ms,
        fuel: i64::try_from(invocation.fuel).unwrap_or(i64::MAX),
        peak_memory_bytes: i64::try_from(invocation.peak_memory_bytes).unwrap_or(i64::MAX),
        memory_limit_bytes: i64::try_from(invocation.memory_limit_bytes).unwrap_or(i64::MAX),
        cold: invocation.cold,
        fault_kind: invocation.fault_kind,
        fault: invocation.fault,
        logs: serde_json::Value::Array(logs).to_string(),
        trace_id: invocation.trace_id,
        replica: invocation.replica,
    }
}

/// This process's runner's modules and reports, straight from the store.
pub(crate) struct LocalSource {
    pub(crate) store: Store,
}

impl function_runner::Source for LocalSource {
    fn module(&self, digest: &str) -> BoxFuture<'static, anyhow::Result<Vec<u8>>> {
        let (store, digest) = (self.store.clone(), digest.to_owned());
        Box::pin(async move {
            store
                .module(&digest)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no module {digest}"))
        })
    }

    fn report(&self, invocations: Vec<pb::Invocation>) -> BoxFuture<'static, anyhow::Result<()>> {
        let store = self.store.clone();
        // The revision a rollback bumps reaches this process's runner by `follow_revision`.
        Box::pin(async move { record(&store, invocations).await.map(|_| ()) })
    }
}

/// Keeps reported invocations, with the events they emitted, and rolls a broken new version
/// back; true when one was.
pub(crate) async fn record(
    store: &Store,
    invocations: Vec<pb::Invocation>,
) -> anyhow::Result<bool> {
    let (rows, emitted) = rows_and_events(invocations, platform::unix_now_ms());
    store.record_invocations(&rows, emitted).await?;
    crate::health::roll_back_broken(store, &rows, platform::unix_now()).await
}
