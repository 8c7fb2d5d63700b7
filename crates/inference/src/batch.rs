//! Texts of requests that arrive together, embedded together. Each artefact has a queue and a
//! task that takes a request from it, waits for a free core, and then takes every request queued
//! meanwhile (up to `MOST_TEXTS` texts) into one batch for the model. Alone, a request waits for
//! nothing; under load, requests queue while the cores are busy and leave in batches, so the
//! model's per-call work (a thread hop, its tokenizer's batch) is shared by all of them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use semantic::embed::Embedder;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use crate::error::Error;

/// The most texts in one batch: enough to share the per-call work, few enough that the first
/// request of a batch does not wait long for the last.
pub const MOST_TEXTS: usize = 512;

/// A batch's answer to one request: its vectors in order, and the tokens read.
pub(crate) struct Done {
    pub vectors: Vec<Vec<f32>>,
    pub tokens: usize,
}

struct Job {
    texts: Arc<Vec<String>>,
    answer: oneshot::Sender<Done>,
}

/// The queues, one per artefact, and the cores their batches share.
#[derive(Debug)]
pub(crate) struct Batchers {
    queues: Mutex<HashMap<String, mpsc::UnboundedSender<Job>>>,
    cores: Arc<Semaphore>,
    /// Off: each request is a batch of its own (to measure what batching is worth).
    batching: bool,
    /// Batches made and the texts in them, since the start.
    counts: Arc<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    batches: AtomicU64,
    texts: AtomicU64,
}

impl Batchers {
    pub(crate) fn new(cores: usize, batching: bool) -> Batchers {
        Batchers {
            queues: Mutex::default(),
            cores: Arc::new(Semaphore::new(cores.max(1))),
            batching,
            counts: Arc::default(),
        }
    }

    /// The batches made since the start, and the texts in them.
    pub(crate) fn counts(&self) -> (u64, u64) {
        let Counts { batches, texts } = self.counts.as_ref();
        (
            batches.load(Ordering::Relaxed),
            texts.load(Ordering::Relaxed),
        )
    }

    /// Embeds `texts` with `embedder` (the artefact `artefact`), in a batch with whatever else
    /// is queued for it.
    pub(crate) async fn embed(
        &self,
        artefact: &str,
        embedder: Arc<dyn Embedder>,
        texts: Arc<Vec<String>>,
    ) -> Result<Done, Error> {
        let (answer, answered) = oneshot::channel();
        self.queue(artefact, embedder)
            .send(Job { texts, answer })
            .map_err(|_| Error::Unexpected(anyhow::anyhow!("the batcher of {artefact} stopped")))?;
        answered.await.map_err(|_| {
            Error::Unexpected(anyhow::anyhow!("the embedding batch of {artefact} failed"))
        })
    }

    fn queue(&self, artefact: &str, embedder: Arc<dyn Embedder>) -> mpsc::UnboundedSender<Job> {
        let mut queues = self
            .queues
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        queues
            .entry(artefact.to_owned())
            .or_insert_with(|| {
                let (sender, receiver) = mpsc::unbounded_channel();
                let most = if self.batching { MOST_TEXTS } else { 0 };
                let batcher = Batcher {
                    embedder,
                    cores: self.cores.clone(),
                    most,
                    counts: self.counts.clone(),
                };
                tokio::spawn(batcher.run(receiver));
                sender
            })
            .clone()
    }
}

/// One artefact's batches.
struct Batcher {
    embedder: Arc<dyn Embedder>,
    cores: Arc<Semaphore>,
    /// The most texts a batch gathers (0: a job alone).
    most: usize,
    counts: Arc<Counts>,
}

impl Batcher {
    /// Takes batches from `jobs` until every sender is gone, each on a core of its own.
    async fn run(self, mut jobs: mpsc::UnboundedReceiver<Job>) {
        let mut held = None;
        loop {
            let first = match held.take() {
                Some(job) => job,
                None => match jobs.recv().await {
                    Some(job) => job,
                    None => return,
                },
            };
            let Ok(core) = self.cores.clone().acquire_owned().await else {
                return;
            };
            let (batch, next) = gather(first, &mut jobs, self.most);
            held = next;
            let texts: usize = batch.iter().map(|job| job.texts.len()).sum();
            self.counts.batches.fetch_add(1, Ordering::Relaxed);
            self.counts.texts.fetch_add(texts as u64, Ordering::Relaxed);
            metrics::counter!("inference_batches_total").increment(1);
            metrics::counter!("inference_batched_texts_total").increment(texts as u64);
            let embedder = self.embedder.clone();
            tokio::task::spawn_blocking(move || embed_batch(embedder.as_ref(), batch, core));
        }
    }
}

/// `first` and the jobs queued behind it, up to `most` texts in all; the job that would have
/// gone over, held for the next batch.
fn gather(
    first: Job,
    jobs: &mut mpsc::UnboundedReceiver<Job>,
    most: usize,
) -> (Vec<Job>, Option<Job>) {
    let mut texts = first.texts.len();
    let mut batch = vec![first];
    while texts < most {
        let Ok(job) = jobs.try_recv() else { break };
        if texts + job.texts.len() > most {
            return (batch, Some(job));
        }
        texts += job.texts.len();
        batch.push(job);
    }
    (batch, None)
}

/// Embeds one batch and answers each of its jobs; `_core` is given back when it is done.
fn embed_batch(embedder: &dyn Embedder, batch: Vec<Job>, _core: OwnedSemaphorePermit) {
    let mut vectors = match batch.as_slice() {
        [alone] => embedder.embed(&alone.texts),
        _ => {
            let texts: Vec<String> = batch
                .iter()
                .flat_map(|job| job.texts.iter().cloned())
                .collect();
            embedder.embed(&texts)
        }
    }
    .into_iter();
    for job in batch {
        let tokens = embedder.count_tokens(&job.texts);
        let vectors = vectors.by_ref().take(job.texts.len()).collect();
        // A caller that went away no longer wants its answer.
        let _ = job.answer.send(Done { vectors, tokens });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(texts: usize) -> (Job, oneshot::Receiver<Done>) {
        let (answer, answered) = oneshot::channel();
        let texts = Arc::new(vec!["a text".to_owned(); texts]);
        (Job { texts, answer }, answered)
    }

    #[test]
    fn a_batch_takes_what_is_queued_up_to_its_most_texts_and_holds_the_rest() {
        let (sender, mut jobs) = mpsc::unbounded_channel();
        let mut receivers = Vec::new();
        for texts in [300, 200, 100] {
            let (job, receiver) = job(texts);
            sender.send(job).unwrap();
            receivers.push(receiver);
        }
        let first = jobs.try_recv().unwrap();
        let (batch, held) = gather(first, &mut jobs, MOST_TEXTS);
        assert_eq!(batch.len(), 2);
        assert_eq!(held.map(|job| job.texts.len()), Some(100));

        // Batching off: each job alone, the next left queued.
        let (queued, _receiver) = job(1);
        sender.send(queued).unwrap();
        let (alone, _receiver) = job(3);
        let (batch, held) = gather(alone, &mut jobs, 0);
        assert_eq!((batch.len(), held.is_none()), (1, true));
        assert!(jobs.try_recv().is_ok());
    }
}
