//! The event bus: publish, durable named consumers, ack, redelivery with backoff, dead letters.
//!
//! The contract follows NATS JetStream's: `publish` returns once the bus has taken the event
//! durably; a consumer is a durable name with subject filters (`emporium.orders.>`); each
//! delivery is acked, or nacked and redelivered after a backoff, or redelivered when the ack
//! does not come within `ack_wait`; after `max_deliver` attempts it goes to the dead letters.
//!
//! `InProcessBus` is the single-process backend. It keeps nothing on disk: it is fed from the
//! outbox, and `publish` returns only when every consumer has acked or dead-lettered the event,
//! so the outbox row stays unpublished (and is sent again after a crash) until then. Consumers
//! deduplicate by event id (see `outbox::first_delivery`).
//!
//! `nats::JetStreamBus` is the distributed backend, on a NATS JetStream server.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use events::Envelope;
use futures_util::future::{BoxFuture, join_all};
use tokio::sync::{mpsc, oneshot};

/// What a bus can fail with.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("the event bus is unavailable: {0}")]
    Unavailable(String),
    #[error("a consumer named {0} exists already")]
    DuplicateConsumer(String),
    #[error("{0}")]
    NotFound(String),
}

/// The bus every service publishes to and consumes from.
pub trait EventBus: Send + Sync {
    /// Publishes `envelope` on `subject`; returns once the bus holds it durably.
    fn publish(&self, subject: &str, envelope: Envelope) -> BoxFuture<'_, Result<(), BusError>>;

    /// Creates the durable consumer `config.durable_name`, or binds to it.
    fn consumer(&self, config: ConsumerConfig) -> BoxFuture<'_, Result<Consumer, BusError>>;

    /// The events that exhausted their deliveries, by consumer.
    fn dead_letters(&self) -> Vec<DeadLetter>;

    /// How many events wait for each consumer bound in this process, by its name: not yet
    /// delivered or delivered and not yet acked.
    fn backlogs(&self) -> BoxFuture<'_, Vec<(String, u64)>>;

    /// Delivers the dead letter `event_id` of `consumer` again and takes it off the list.
    fn replay<'a>(
        &'a self,
        consumer: &'a str,
        event_id: &'a str,
    ) -> BoxFuture<'a, Result<(), BusError>>;
}

/// A durable consumer's settings.
#[derive(Clone, Debug)]
pub struct ConsumerConfig {
    /// The consumer's name; deliveries survive its restarts under this name.
    pub durable_name: String,
    /// Subjects it receives; `*` matches one token, a final `>` the rest.
    pub filter_subjects: Vec<String>,
    /// How many deliveries an event gets before it is dead-lettered.
    pub max_deliver: u32,
    /// The wait before each redelivery; the last entry repeats.
    pub backoff: Vec<Duration>,
    /// How long a delivery may go without an ack before it is sent again.
    pub ack_wait: Duration,
}

impl ConsumerConfig {
    pub fn new(durable_name: &str, filter_subjects: &[&str]) -> ConsumerConfig {
        ConsumerConfig {
            durable_name: durable_name.to_owned(),
            filter_subjects: filter_subjects
                .iter()
                .map(|subject| (*subject).to_owned())
                .collect(),
            max_deliver: 5,
            backoff: vec![
                Duration::from_millis(100),
                Duration::from_millis(500),
                Duration::from_secs(2),
            ],
            ack_wait: Duration::from_secs(30),
        }
    }

    fn backoff_after(&self, attempt: u32) -> Duration {
        let index = (attempt as usize).saturating_sub(1);
        self.backoff
            .get(index)
            .or(self.backoff.last())
            .copied()
            .unwrap_or_default()
    }

    fn matches(&self, subject: &str) -> bool {
        self.filter_subjects
            .iter()
            .any(|filter| subject_matches(filter, subject))
    }
}

/// Whether `subject` matches the NATS-style `filter`.
pub fn subject_matches(filter: &str, subject: &str) -> bool {
    let mut filter_tokens = filter.split('.');
    let mut subject_tokens = subject.split('.');
    loop {
        match (filter_tokens.next(), subject_tokens.next()) {
            (Some(">"), Some(_)) => return true,
            (Some("*"), Some(_)) => {}
            (Some(expected), Some(actual)) if expected == actual => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// A durable consumer's stream of deliveries.
pub struct Consumer {
    deliveries: mpsc::Receiver<Delivery>,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Consumer").finish_non_exhaustive()
    }
}

impl Consumer {
    /// The next delivery; `None` once the bus has gone.
    pub async fn next(&mut self) -> Option<Delivery> {
        self.deliveries.recv().await
    }

    /// Hands every delivery to `handle`, in a consumer span in the trace of the change that
    /// caused it, until `shutdown` or the bus goes: acked when `handle` succeeds, nacked (to
    /// come again after the backoff) and logged with `name` when it fails.
    pub async fn run<F, Handled, T, E>(mut self, name: String, shutdown: crate::Shutdown, handle: F)
    where
        F: Fn(Arc<Envelope>) -> Handled,
        Handled: Future<Output = Result<T, E>>,
        E: std::fmt::Display,
    {
        use tracing::Instrument as _;
        loop {
            let delivery = tokio::select! {
                _ = shutdown.wait() => return,
                delivery = self.next() => delivery,
            };
            let Some(delivery) = delivery else { return };
            let (span, trace) = crate::telemetry::consumer_span(
                &name,
                &delivery.subject,
                &delivery.envelope.id,
                delivery.envelope.traceparent.as_deref(),
            );
            let started = std::time::Instant::now();
            let handler = format!("{name} {}", delivery.subject);
            let handled = handle(delivery.envelope.clone());
            let handled =
                crate::telemetry::handle_in("event", handler, String::new(), trace, handled)
                    .instrument(span.clone())
                    .await;
            crate::telemetry::red::Red::global().record(
                crate::telemetry::red::Kind::Consumer,
                &name,
                started.elapsed(),
                handled.is_ok(),
                trace.exemplar(),
            );
            match handled {
                Ok(_) => delivery.ack(),
                Err(error) => {
                    crate::telemetry::mark_error(&span, &format!("{error:#}"));
                    tracing::warn!(consumer = %name, event_id = %delivery.envelope.id, attempt = delivery.attempt, error = format!("{error:#}"), "an event could not be handled; it will come again");
                    delivery.nak();
                }
            }
        }
    }
}

/// One delivery of one event to one consumer. Ack it once handled; dropping it unacked counts
/// as a nack.
#[derive(Debug)]
pub struct Delivery {
    pub subject: String,
    pub envelope: Arc<Envelope>,
    /// 1 for the first delivery.
    pub attempt: u32,
    reply: Option<oneshot::Sender<Outcome>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Ack,
    Nak,
}

impl Delivery {
    /// The event was handled; it will not come again.
    pub fn ack(mut self) {
        if let Some(reply) = self.reply.take() {
            let _ = reply.send(Outcome::Ack);
        }
    }

    /// The event could not be handled now; it comes again after the backoff.
    pub fn nak(mut self) {
        if let Some(reply) = self.reply.take() {
            let _ = reply.send(Outcome::Nak);
        }
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        if let Some(reply) = self.reply.take() {
            let _ = reply.send(Outcome::Nak);
        }
    }
}

/// An event a consumer could not handle in `max_deliver` attempts.
#[derive(Clone, Debug)]
pub struct DeadLetter {
    pub consumer: String,
    pub subject: String,
    pub envelope: Arc<Envelope>,
    pub attempts: u32,
}

/// The single-process bus.
#[derive(Clone, Default)]
pub struct InProcessBus {
    inner: Arc<InProcessInner>,
}

#[derive(Default)]
struct InProcessInner {
    consumers: Mutex<Vec<Arc<ConsumerSlot>>>,
    dead_letters: Mutex<Vec<DeadLetter>>,
}

struct ConsumerSlot {
    config: ConsumerConfig,
    /// Events being delivered to it now (the in-process publish waits for each).
    in_flight: std::sync::atomic::AtomicU64,
    /// The sender of the consumer bound now; replaced when it binds again after a restart.
    sender: tokio::sync::Mutex<mpsc::Sender<Delivery>>,
}

impl std::fmt::Debug for InProcessBus {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("InProcessBus")
            .finish_non_exhaustive()
    }
}

impl InProcessBus {
    pub fn new() -> InProcessBus {
        InProcessBus::default()
    }
}

impl EventBus for InProcessBus {
    fn publish(&self, subject: &str, envelope: Envelope) -> BoxFuture<'_, Result<(), BusError>> {
        let subject = subject.to_owned();
        Box::pin(async move {
            let envelope = Arc::new(envelope);
            let consumers: Vec<Arc<ConsumerSlot>> = self
                .inner
                .consumers
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .iter()
                .filter(|slot| slot.config.matches(&subject))
                .cloned()
                .collect();
            let deliveries = consumers
                .into_iter()
                .map(|slot| self.deliver(slot, subject.clone(), envelope.clone()));
            join_all(deliveries).await;
            metrics::counter!("bus_published_total", "subject" => subject).increment(1);
            Ok(())
        })
    }

    fn consumer(&self, config: ConsumerConfig) -> BoxFuture<'_, Result<Consumer, BusError>> {
        Box::pin(async move {
            let (sender, deliveries) = mpsc::channel(256);
            let existing = {
                let consumers = self
                    .inner
                    .consumers
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                consumers
                    .iter()
                    .find(|slot| slot.config.durable_name == config.durable_name)
                    .cloned()
            };
            match existing {
                // Binding again (after a restart of the consumer) takes over the deliveries.
                Some(slot) => *slot.sender.lock().await = sender,
                None => {
                    let slot = Arc::new(ConsumerSlot {
                        config,
                        in_flight: 0.into(),
                        sender: tokio::sync::Mutex::new(sender),
                    });
                    self.inner
                        .consumers
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .push(slot);
                }
            }
            Ok(Consumer { deliveries })
        })
    }

    fn dead_letters(&self) -> Vec<DeadLetter> {
        self.inner
            .dead_letters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn backlogs(&self) -> BoxFuture<'_, Vec<(String, u64)>> {
        let consumers = self
            .inner
            .consumers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .map(|slot| {
                let pending = slot.in_flight.load(std::sync::atomic::Ordering::Relaxed);
                (slot.config.durable_name.clone(), pending)
            })
            .collect();
        Box::pin(std::future::ready(consumers))
    }

    fn replay<'a>(
        &'a self,
        consumer: &'a str,
        event_id: &'a str,
    ) -> BoxFuture<'a, Result<(), BusError>> {
        Box::pin(async move {
            let letter = take_dead_letter(&self.inner.dead_letters, consumer, event_id)?;
            let slot = self
                .inner
                .consumers
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .iter()
                .find(|slot| slot.config.durable_name == consumer)
                .cloned();
            let Some(slot) = slot else {
                put_back(&self.inner.dead_letters, letter);
                return Err(BusError::Unavailable(format!(
                    "the consumer {consumer} is not bound in this process"
                )));
            };
            // Delivered in the background, as a publish would be, with all its attempts again.
            let bus = self.clone();
            tokio::spawn(async move { bus.deliver(slot, letter.subject, letter.envelope).await });
            Ok(())
        })
    }
}

impl InProcessBus {
    /// Delivers to one consumer until it acks or the attempts run out.
    async fn deliver(&self, slot: Arc<ConsumerSlot>, subject: String, envelope: Arc<Envelope>) {
        /// Counts a delivery under way until dropped, even half way (a publish abandoned).
        struct InFlight<'a>(&'a std::sync::atomic::AtomicU64);
        impl Drop for InFlight<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        slot.in_flight
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let _counted = InFlight(&slot.in_flight);
        self.deliver_counted(&slot, subject, envelope).await;
    }

    async fn deliver_counted(&self, slot: &ConsumerSlot, subject: String, envelope: Arc<Envelope>) {
        let config = &slot.config;
        for attempt in 1..=config.max_deliver.max(1) {
            let (reply, outcome) = oneshot::channel();
            let delivery = Delivery {
                subject: subject.clone(),
                envelope: envelope.clone(),
                attempt,
                reply: Some(reply),
            };
            let sent = slot.sender.lock().await.send(delivery).await.is_ok();
            let outcome = if sent {
                match tokio::time::timeout(config.ack_wait, outcome).await {
                    Ok(Ok(outcome)) => outcome,
                    // Dropped without a word, or no answer in time: both mean "again".
                    Ok(Err(_)) | Err(_) => Outcome::Nak,
                }
            } else {
                // No consumer bound right now; it may bind again.
                Outcome::Nak
            };
            if outcome == Outcome::Ack {
                return;
            }
            metrics::counter!("bus_redelivered_total", "consumer" => config.durable_name.clone())
                .increment(1);
            if attempt < config.max_deliver {
                tokio::time::sleep(config.backoff_after(attempt)).await;
            }
        }
        keep_dead_letter(
            &self.inner.dead_letters,
            DeadLetter {
                consumer: config.durable_name.clone(),
                subject,
                envelope,
                attempts: config.max_deliver,
            },
        );
    }
}

/// Records a dead letter, on either backend: a warning, the metric, and the list
/// `dead_letters` returns.
fn keep_dead_letter(letters: &Mutex<Vec<DeadLetter>>, letter: DeadLetter) {
    tracing::warn!(consumer = %letter.consumer, subject = %letter.subject, event_id = %letter.envelope.id, "event dead-lettered");
    metrics::counter!("bus_dead_lettered_total", "consumer" => letter.consumer.clone())
        .increment(1);
    letters
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(letter);
}

/// Takes the dead letter `event_id` of `consumer` off the list, or says there is none.
fn take_dead_letter(
    letters: &Mutex<Vec<DeadLetter>>,
    consumer: &str,
    event_id: &str,
) -> Result<DeadLetter, BusError> {
    let mut letters = letters
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let at = letters
        .iter()
        .position(|letter| letter.consumer == consumer && letter.envelope.id == event_id)
        .ok_or_else(|| no_dead_letter(consumer, event_id))?;
    Ok(letters.remove(at))
}

/// Returns a dead letter that could not be delivered again to the list.
fn put_back(letters: &Mutex<Vec<DeadLetter>>, letter: DeadLetter) {
    letters
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(letter);
}

/// The dead letter `event_id` of `consumer`, left on the list, or says there is none.
fn find_dead_letter(
    letters: &Mutex<Vec<DeadLetter>>,
    consumer: &str,
    event_id: &str,
) -> Result<DeadLetter, BusError> {
    letters
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .iter()
        .find(|letter| letter.consumer == consumer && letter.envelope.id == event_id)
        .cloned()
        .ok_or_else(|| no_dead_letter(consumer, event_id))
}

fn no_dead_letter(consumer: &str, event_id: &str) -> BusError {
    BusError::NotFound(format!(
        "no dead letter {event_id} of the consumer {consumer} in this process"
    ))
}

pub mod nats;

#[cfg(test)]
mod tests;
