//! Events to functions, at least once. The durable consumer `functions` takes every event of
//! the shop; for each function subscribed to its type, it queues a delivery in the database and
//! acks at once, so a slow or failing function never holds up the bus. A worker runs the due
//! deliveries (the event, with its id for idempotency, as the function's input), publishes what
//! a function emitted in the same transaction that marks its delivery done, retries a failure
//! with backoff and jitter, and after `max_attempts` leaves it dead, to be listed and replayed.

use std::sync::Arc;
use std::time::Duration;

use events::Envelope;
use platform::Shutdown;
use platform::bus::ConsumerConfig;
use proto::functions as pb;

use crate::domain::{self, subject_of};
use crate::store::{Job, Retry};
use crate::{Error, Functions};

/// The consumer's name on the bus.
const CONSUMER: &str = "functions";
/// How many deliveries run at once.
const IN_FLIGHT: usize = 16;
/// How long a delivery taken is kept from other replicas: longer than any function may run
/// (`Limits::MAX`'s wall time), so that only a worker that died leaves it to another.
const LEASE: Duration = Duration::from_secs(2 * sandbox::Limits::MAX.wall_ms / 1000);
/// How long a delivery done stays, for a redelivery from the bus to find.
const KEEP_DONE: Duration = Duration::from_secs(86_400);

/// The event deliveries to functions, as the worker takes them.
#[derive(Clone)]
struct EventJobs(Functions);

impl crate::worker::Queue for EventJobs {
    type Item = Job;
    const NAME: &'static str = "event deliveries";

    async fn lease(&self, limit: u32) -> anyhow::Result<Vec<Job>> {
        let lease_ms = LEASE.as_millis() as i64;
        self.0
            .store
            .due(platform::unix_now_ms(), limit, lease_ms)
            .await
    }

    async fn run(&self, job: Job) {
        self.0.deliver_one(job).await;
    }

    async fn forget(&self) -> anyhow::Result<u64> {
        let before = platform::unix_now_ms() - KEEP_DONE.as_millis() as i64;
        self.0.store.forget_done(before).await
    }
}

/// What a function emitted, as envelopes on its service's subjects; what is not the functions'
/// own or not JSON is left out.
pub(crate) fn envelopes(
    function: &str,
    emitted: &[pb::Emitted],
    now_ms: i64,
) -> Vec<(String, Envelope)> {
    emitted
        .iter()
        .filter_map(|event| {
            let subject = subject_of(&event.r#type)?;
            let data: serde_json::Value = serde_json::from_slice(&event.data).ok()?;
            let envelope = Envelope {
                specversion: events::SPEC_VERSION.to_owned(),
                id: uuid::Uuid::now_v7().to_string(),
                kind: event.r#type.clone(),
                source: format!("/emporium/functions/{function}"),
                subject: function.to_owned(),
                time: events::rfc3339(now_ms),
                datacontenttype: "application/json".to_owned(),
                data,
                traceparent: None,
            };
            Some((subject, envelope))
        })
        .collect()
}

impl Functions {
    /// Binds the durable consumer; returns the loop that queues its events until `shutdown`.
    pub async fn consume(
        &self,
        shutdown: Shutdown,
    ) -> anyhow::Result<impl Future<Output = ()> + use<>> {
        let config = ConsumerConfig {
            max_deliver: 8,
            ..ConsumerConfig::new(CONSUMER, &["emporium.>"])
        };
        let consumer = self.bus.consumer(config).await?;
        let functions = self.clone();
        Ok(consumer.run(
            CONSUMER.to_owned(),
            shutdown,
            move |envelope: Arc<Envelope>| {
                let functions = functions.clone();
                async move { functions.queue(&envelope).await }
            },
        ))
    }

    async fn queue(&self, envelope: &Envelope) -> Result<(), Error> {
        self.queue_webhooks(envelope).await?;
        let subscribers = self.subscribers(&envelope.kind);
        if subscribers.is_empty() {
            return Ok(());
        }
        let text = serde_json::to_string(envelope).map_err(anyhow::Error::from)?;
        self.store
            .enqueue(&subscribers, &envelope.id, &text, platform::unix_now_ms())
            .await?;
        self.wake_worker.notify_one();
        Ok(())
    }

    /// Runs due deliveries, `IN_FLIGHT` at once, until `shutdown`; forgets deliveries done a
    /// day ago.
    pub async fn deliver(self, shutdown: Shutdown) {
        let wake = self.wake_worker.clone();
        crate::worker::work(EventJobs(self), IN_FLIGHT, wake, shutdown).await;
    }

    async fn deliver_one(&self, job: Job) {
        if self.runner.function(&job.function).is_none()
            && job.attempts == 0
            && platform::unix_now_ms() - job.created_at_ms < 60_000
        {
            // Deployed, but not compiled here yet: wait without spending an attempt.
            if let Err(error) = self
                .store
                .postpone(job.id, platform::unix_now_ms() + 250)
                .await
            {
                tracing::warn!(function = %job.function, error = format!("{error:#}"), "postpone an event delivery");
            }
            return;
        }
        let outcome = self.run_job(&job).await;
        let attempt = job.attempts + 1;
        let recorded = match outcome {
            Ok(emitted) => {
                self.store
                    .finish(job.id, emitted, platform::unix_now_ms())
                    .await
            }
            Err(error) => {
                let retry = if attempt >= self.config.max_attempts {
                    tracing::warn!(function = %job.function, event_id = %job.event_id, attempt, error = %error, "an event could not be delivered to a function; it is dead until replayed");
                    metrics::counter!("function_dead_letters_total", "function" => job.function.clone()).increment(1);
                    Retry::Dead
                } else {
                    let wait = domain::retry_after(attempt, jitter(&job));
                    Retry::At(platform::unix_now_ms() + wait.as_millis() as i64)
                };
                self.store
                    .failed(job.id, retry, &error, platform::unix_now_ms())
                    .await
            }
        };
        if let Err(error) = recorded {
            tracing::warn!(function = %job.function, error = format!("{error:#}"), "record an event delivery");
        }
    }

    /// Runs one delivery; the events to publish, or why it failed.
    async fn run_job(&self, job: &Job) -> Result<Vec<(String, Envelope)>, String> {
        let Some(function) = self.runner.function(&job.function) else {
            return Err(format!("function {} is not deployed", job.function));
        };
        let input = format!(r#"{{"trigger":"event","event":{}}}"#, job.envelope);
        let roll = (domain::fnv(job.event_id.as_bytes()) % 100) as u32;
        let ran = self
            .runner
            .invoke(&function, "event", input.as_bytes(), roll)
            .await;
        match ran.invocation.result {
            Ok(_) => {
                let emitted: Vec<pb::Emitted> = ran
                    .invocation
                    .events
                    .iter()
                    .map(|event| pb::Emitted {
                        r#type: event.event_type.clone(),
                        data: event.data.clone(),
                    })
                    .collect();
                Ok(envelopes(&job.function, &emitted, platform::unix_now_ms()))
            }
            Err(fault) => Err(fault.to_string()),
        }
    }
}

/// A number in 0..1 that differs between deliveries and attempts.
fn jitter(job: &Job) -> f64 {
    let seed = format!("{}/{}/{}", job.id, job.attempts, platform::unix_now_ms());
    (domain::fnv(seed.as_bytes()) % 1000) as f64 / 1000.0
}

/// A delivery that will not be tried again unless replayed.
#[derive(Clone, Debug, PartialEq)]
pub struct DeadDelivery {
    pub event_id: String,
    pub event_type: String,
    pub attempts: u32,
    pub last_error: String,
}

impl Functions {
    /// The dead deliveries of function `name`, newest first.
    pub async fn dead_deliveries(
        &self,
        name: &str,
        limit: u32,
    ) -> Result<Vec<DeadDelivery>, Error> {
        self.function(name).await?;
        let jobs = self.store.dead(name, limit).await?;
        Ok(jobs
            .into_iter()
            .map(|job| {
                let event_type = serde_json::from_str::<Envelope>(&job.envelope)
                    .map(|envelope| envelope.kind)
                    .unwrap_or_default();
                DeadDelivery {
                    event_id: job.event_id,
                    event_type,
                    attempts: job.attempts,
                    last_error: job.last_error,
                }
            })
            .collect())
    }

    /// Delivers a dead event to function `name` again, from its first attempt.
    pub async fn replay_delivery(&self, name: &str, event_id: &str) -> Result<(), Error> {
        if !self
            .store
            .replay(name, event_id, platform::unix_now_ms())
            .await?
        {
            return Err(Error::UnknownDelivery(format!("{name}/{event_id}")));
        }
        self.wake_worker.notify_one();
        Ok(())
    }
}
