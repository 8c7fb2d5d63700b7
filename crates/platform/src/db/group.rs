//! Group commit: writes that many tasks submit at once share one transaction and one commit.
//!
//! A durable commit costs an fsync, and a database file takes one writer at a time, so a
//! service that saves often (the saga saves an order after every step) spends its time queueing
//! for commits. Here one task takes every write waiting in the queue, applies them in one
//! transaction and commits once; each submitter's `submit` returns only after that commit, so a
//! write is exactly as durable as with a transaction of its own.

use futures_util::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

use super::{Database, Transaction};

/// Applies one item inside the batch's transaction.
pub type Write<T, E> = for<'t> fn(&'t mut Transaction, &'t T) -> BoxFuture<'t, Result<(), E>>;

/// The most writes one transaction takes: enough to share the fsync, few enough that a batch
/// that fails and is retried one by one stays quick.
const MAX_BATCH: usize = 64;

struct Pending<T> {
    item: T,
    /// The trace of the task that submitted it, for what the write records (an outbox event).
    trace: Option<crate::telemetry::TraceContext>,
    done: oneshot::Sender<Result<(), String>>,
}

/// The handle writes are submitted through. Cheap to clone; the committing task ends when the
/// last handle is dropped.
pub struct GroupCommit<T> {
    queue: mpsc::UnboundedSender<Pending<T>>,
}

impl<T> Clone for GroupCommit<T> {
    fn clone(&self) -> Self {
        GroupCommit {
            queue: self.queue.clone(),
        }
    }
}

impl<T> std::fmt::Debug for GroupCommit<T> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("GroupCommit")
            .finish_non_exhaustive()
    }
}

impl<T: Send + Sync + 'static> GroupCommit<T> {
    /// Starts the committing task on the current runtime.
    pub fn start<E>(database: Database, write: Write<T, E>) -> GroupCommit<T>
    where
        E: std::fmt::Display + Send + 'static,
    {
        let (queue, receiver) = mpsc::unbounded_channel();
        tokio::spawn(commit_batches(database, write, receiver));
        GroupCommit { queue }
    }

    /// Writes `item` and returns once it is committed; an error says why it was not.
    pub async fn submit(&self, item: T) -> Result<(), String> {
        let (done, committed) = oneshot::channel();
        self.queue
            .send(Pending {
                item,
                trace: crate::telemetry::handoff(),
                done,
            })
            .map_err(|_| "the database writer has stopped".to_owned())?;
        committed
            .await
            .unwrap_or_else(|_| Err("the database writer stopped before the commit".to_owned()))
    }
}

async fn commit_batches<T, E>(
    database: Database,
    write: Write<T, E>,
    mut receiver: mpsc::UnboundedReceiver<Pending<T>>,
) where
    E: std::fmt::Display,
{
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let items: Vec<&Pending<T>> = batch.iter().collect();
        match apply(&database, write, &items).await {
            Ok(()) => {
                for pending in batch.drain(..) {
                    let _ = pending.done.send(Ok(()));
                }
            }
            // One bad write must not fail the others: each goes again on its own.
            Err(_) if batch.len() > 1 => {
                for pending in batch.drain(..) {
                    let result = apply(&database, write, &[&pending]).await;
                    let _ = pending.done.send(result);
                }
            }
            Err(error) => {
                for pending in batch.drain(..) {
                    let _ = pending.done.send(Err(error.clone()));
                }
            }
        }
    }
}

async fn apply<T, E>(
    database: &Database,
    write: Write<T, E>,
    items: &[&Pending<T>],
) -> Result<(), String>
where
    E: std::fmt::Display,
{
    let mut transaction = database
        .begin_write()
        .await
        .map_err(|error| error.to_string())?;
    for pending in items {
        let written = write(&mut transaction, &pending.item);
        let written = match pending.trace {
            Some(trace) => crate::telemetry::in_trace(trace, written).await,
            None => written.await,
        };
        written.map_err(|error| error.to_string())?;
    }
    transaction
        .commit()
        .await
        .map_err(|error| error.to_string())
}
