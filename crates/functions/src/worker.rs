//! The one loop both queues run on (event deliveries to functions, webhooks to endpoints):
//! lease as many due rows as there are free slots, run each in a task of its own (so one slow
//! function or receiver holds up no other), forget finished rows once an hour, and otherwise
//! wait for a wake-up, the next look or the shutdown.

use std::sync::Arc;
use std::time::Duration;

use platform::Shutdown;
use tokio::sync::{Notify, Semaphore};

/// How often a worker looks for due rows when nothing wakes it.
const LOOK_EVERY: Duration = Duration::from_millis(250);
/// How often a worker forgets finished rows.
const FORGET_EVERY_MS: i64 = 3_600_000;

/// A queue a worker takes from.
pub(crate) trait Queue: Clone + Send + Sync + 'static {
    type Item: Send + 'static;
    /// What the logs call it.
    const NAME: &'static str;

    /// Leases up to `limit` due rows.
    fn lease(&self, limit: u32) -> impl Future<Output = anyhow::Result<Vec<Self::Item>>> + Send;
    /// Runs one row and records what became of it.
    fn run(&self, item: Self::Item) -> impl Future<Output = ()> + Send;
    /// Forgets the rows finished long enough ago.
    fn forget(&self) -> impl Future<Output = anyhow::Result<u64>> + Send;
}

/// Works `queue` with at most `in_flight` rows at once until `shutdown`; `wake` cuts a wait
/// short when rows are queued.
pub(crate) async fn work<Q: Queue>(
    queue: Q,
    in_flight: usize,
    wake: Arc<Notify>,
    shutdown: Shutdown,
) {
    let slots = Arc::new(Semaphore::new(in_flight));
    let mut last_forget = 0;
    loop {
        if platform::unix_now_ms() - last_forget > FORGET_EVERY_MS {
            last_forget = platform::unix_now_ms();
            if let Err(error) = queue.forget().await {
                tracing::warn!(
                    queue = Q::NAME,
                    error = format!("{error:#}"),
                    "forget finished rows"
                );
            }
        }
        let free = slots.available_permits() as u32;
        let due = match free {
            0 => Vec::new(),
            free => queue.lease(free).await.unwrap_or_else(|error| {
                tracing::warn!(
                    queue = Q::NAME,
                    error = format!("{error:#}"),
                    "lease due rows"
                );
                Vec::new()
            }),
        };
        let busy = !due.is_empty();
        for item in due {
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            let queue = queue.clone();
            tokio::spawn(async move {
                queue.run(item).await;
                drop(slot);
            });
        }
        if busy && slots.available_permits() > 0 {
            continue;
        }
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(LOOK_EVERY) => {}
        }
    }
}
