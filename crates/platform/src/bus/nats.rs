//! The NATS JetStream backend of the event bus, for distributed mode.
//!
//! A file stream per domain (`EMPORIUM_ORDERS` holds `emporium.orders.>`; the domains are
//! `events::DOMAINS`). `publish` returns once the stream has acked the event, and sends the
//! event id as `Nats-Msg-Id`, so the stream drops a repeat inside its duplicate window (the
//! outbox relay sends an event again when it crashed before marking it). A consumer is a
//! durable pull consumer with explicit acks on each stream its filters reach, its deliveries
//! merged: processes that bind the same name share them. A nak asks for a redelivery after the consumer's backoff;
//! an ack that does not come within `ack_wait` brings the event again; the delivery that uses up
//! `max_deliver` is terminated and kept as a dead letter, on the dead-letter stream (subject
//! `dead-letters.<consumer>`, the original subject in the `Emporium-Subject` header) and in
//! this process's `dead_letters`.
//!
//! When the server is away, `publish` fails with `Unavailable` and the outbox keeps the event;
//! the client reconnects by itself, and the streams are made on first use, so a process may
//! start before the server does.

use std::sync::{Arc, Mutex};

use async_nats::jetstream::{self, AckKind, consumer::AckPolicy, consumer::pull};
use events::Envelope;
use futures_util::StreamExt as _;
use futures_util::future::BoxFuture;
use tokio::sync::{OnceCell, mpsc, oneshot};

use super::{BusError, Consumer, ConsumerConfig, DeadLetter, Delivery, EventBus, Outcome};

/// The prefix of the stream names; a domain's stream is `EMPORIUM_<DOMAIN>`.
const EVENTS_STREAM: &str = "EMPORIUM";
/// The stream of dead letters.
const DEAD_LETTER_STREAM: &str = "EMPORIUM_DEAD_LETTERS";
const DEAD_LETTER_PREFIX: &str = "dead-letters";
/// How long a request to the server (a publish's ack among them) may take.
const ACK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);
/// How long the stream remembers event ids to drop repeats.
const DUPLICATE_WINDOW: std::time::Duration = std::time::Duration::from_secs(600);

/// The JetStream bus.
#[derive(Clone)]
pub struct JetStreamBus {
    inner: Arc<Inner>,
}

struct Inner {
    context: jetstream::Context,
    /// Put before stream names and subjects, so that shops (or test runs) can share a server.
    namespace: String,
    dead_letter_stream: String,
    streams: OnceCell<()>,
    dead_letters: Mutex<Vec<DeadLetter>>,
    /// The consumers bound in this process: each durable name with the streams it reads.
    bound: Mutex<Vec<(String, jetstream::stream::Stream)>>,
}

impl std::fmt::Debug for JetStreamBus {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("JetStreamBus")
            .field("namespace", &self.inner.namespace)
            .finish_non_exhaustive()
    }
}

impl JetStreamBus {
    /// Connects to the NATS server at `url` (`nats://host:4222`). The connection is made in the
    /// background and kept up; a server that is down now is not an error.
    pub async fn connect(url: &str) -> Result<JetStreamBus, BusError> {
        JetStreamBus::connect_in(url, "").await
    }

    /// Like `connect`, with `namespace` put before the stream names and every subject on the
    /// wire (`<namespace>.emporium.orders.order_placed`), so that several shops (or test runs)
    /// can share one server. Subjects that reach consumers are without it.
    pub async fn connect_in(url: &str, namespace: &str) -> Result<JetStreamBus, BusError> {
        if !namespace
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || character == '_')
        {
            return Err(BusError::Unavailable(format!(
                "the namespace `{namespace}` may hold only letters, digits and `_`"
            )));
        }
        let client = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .request_timeout(Some(ACK_TIMEOUT))
            .name("emporium")
            .connect(url)
            .await
            .map_err(|error| BusError::Unavailable(format!("connect to {url}: {error}")))?;
        let name = |base: &str| {
            if namespace.is_empty() {
                base.to_owned()
            } else {
                format!("{namespace}_{base}")
            }
        };
        let mut context = jetstream::new(client);
        // A publish that the server has not acked by then fails, and the outbox keeps the event.
        context.set_timeout(ACK_TIMEOUT);
        Ok(JetStreamBus {
            inner: Arc::new(Inner {
                context,
                namespace: namespace.to_owned(),
                dead_letter_stream: name(DEAD_LETTER_STREAM),
                streams: OnceCell::new(),
                dead_letters: Mutex::new(Vec::new()),
                bound: Mutex::new(Vec::new()),
            }),
        })
    }

    /// Deletes every stream of this bus's namespace, with their events and consumers: what a
    /// run that shared the server under a namespace of its own leaves behind. Returns how many
    /// it deleted; the bus is not for use afterwards. Refused without a namespace, where the
    /// streams are the shop's own.
    pub async fn delete_namespace(&self) -> Result<usize, BusError> {
        let namespace = &self.inner.namespace;
        if namespace.is_empty() {
            return Err(BusError::Unavailable(
                "no namespace: the streams are the shop's own, and are kept".to_owned(),
            ));
        }
        let prefix = format!("{namespace}_");
        let unavailable = |error: String| BusError::Unavailable(format!("list streams: {error}"));
        let mut names = self.inner.context.stream_names();
        let mut doomed = Vec::new();
        while let Some(name) = names.next().await {
            let name = name.map_err(|error| unavailable(error.to_string()))?;
            if name.starts_with(&prefix) {
                doomed.push(name);
            }
        }
        for name in &doomed {
            self.inner
                .context
                .delete_stream(name)
                .await
                .map_err(|error| {
                    BusError::Unavailable(format!("delete the stream {name}: {error}"))
                })?;
        }
        Ok(doomed.len())
    }

    /// The name of a domain's stream.
    fn stream_name(&self, domain: &str) -> String {
        let name = format!("{EVENTS_STREAM}_{}", domain.to_ascii_uppercase());
        if self.inner.namespace.is_empty() {
            name
        } else {
            format!("{}_{name}", self.inner.namespace)
        }
    }

    /// Makes the streams when they are missing; once per process, retried after a failure.
    async fn streams(&self) -> Result<(), BusError> {
        let inner = &self.inner;
        inner
            .streams
            .get_or_try_init(|| async {
                for domain in events::DOMAINS {
                    inner
                        .context
                        .get_or_create_stream(jetstream::stream::Config {
                            name: self.stream_name(domain),
                            subjects: vec![self.wire(&format!("emporium.{domain}.>"))],
                            storage: jetstream::stream::StorageType::File,
                            duplicate_window: DUPLICATE_WINDOW,
                            ..Default::default()
                        })
                        .await
                        .map_err(unavailable("create an event stream"))?;
                }
                inner
                    .context
                    .get_or_create_stream(jetstream::stream::Config {
                        name: inner.dead_letter_stream.clone(),
                        subjects: vec![self.wire(&format!("{DEAD_LETTER_PREFIX}.>"))],
                        storage: jetstream::stream::StorageType::File,
                        ..Default::default()
                    })
                    .await
                    .map_err(unavailable("create the dead-letter stream"))?;
                Ok(())
            })
            .await
            .copied()
    }
}

impl JetStreamBus {
    /// A subject as it goes on the wire.
    fn wire(&self, subject: &str) -> String {
        if self.inner.namespace.is_empty() {
            subject.to_owned()
        } else {
            format!("{}.{subject}", self.inner.namespace)
        }
    }

    /// A subject from the wire, as the services know it.
    fn local(&self, wire: &str) -> String {
        if self.inner.namespace.is_empty() {
            return wire.to_owned();
        }
        wire.strip_prefix(&self.inner.namespace)
            .and_then(|rest| rest.strip_prefix('.'))
            .unwrap_or(wire)
            .to_owned()
    }
}

fn unavailable<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> BusError {
    move |error| BusError::Unavailable(format!("{what}: {error}"))
}

impl EventBus for JetStreamBus {
    fn publish(&self, subject: &str, envelope: Envelope) -> BoxFuture<'_, Result<(), BusError>> {
        let subject = subject.to_owned();
        Box::pin(async move {
            if !events::DOMAINS
                .iter()
                .any(|domain| narrow(&subject, domain).as_deref() == Some(subject.as_str()))
            {
                return Err(BusError::Unavailable(format!(
                    "no stream holds `{subject}`: subjects are emporium.<domain>.<event>, with the domain in events::DOMAINS"
                )));
            }
            self.streams().await?;
            let payload = serde_json::to_vec(&envelope)
                .map_err(|error| BusError::Unavailable(format!("encode the event: {error}")))?;
            let mut headers = async_nats::HeaderMap::new();
            headers.insert(async_nats::header::NATS_MESSAGE_ID, envelope.id.as_str());
            let ack = self
                .inner
                .context
                .publish_with_headers(self.wire(&subject), headers, payload.into())
                .await
                .map_err(unavailable("publish"))?;
            ack.await.map_err(unavailable("publish (no ack)"))?;
            metrics::counter!("bus_published_total", "subject" => subject).increment(1);
            Ok(())
        })
    }

    fn consumer(&self, config: ConsumerConfig) -> BoxFuture<'_, Result<Consumer, BusError>> {
        Box::pin(async move {
            self.streams().await?;
            let (sender, deliveries) = mpsc::channel(256);
            let mut bound = 0;
            for domain in events::DOMAINS {
                let mut filters: Vec<String> = config
                    .filter_subjects
                    .iter()
                    .filter_map(|filter| narrow(filter, domain))
                    .map(|filter| self.wire(&filter))
                    .collect();
                filters.sort();
                filters.dedup();
                if filters.is_empty() {
                    continue;
                }
                let stream = self
                    .inner
                    .context
                    .get_stream(self.stream_name(domain))
                    .await
                    .map_err(unavailable("find an event stream"))?;
                let consumer: jetstream::consumer::PullConsumer = stream
                    .get_or_create_consumer(
                        &config.durable_name,
                        pull::Config {
                            durable_name: Some(config.durable_name.clone()),
                            filter_subjects: filters,
                            ack_policy: AckPolicy::Explicit,
                            ack_wait: config.ack_wait,
                            max_deliver: i64::from(config.max_deliver.max(1)),
                            ..Default::default()
                        },
                    )
                    .await
                    .map_err(unavailable("bind the consumer"))?;
                let messages = consumer
                    .messages()
                    .await
                    .map_err(unavailable("pull from the consumer"))?;
                tokio::spawn(self.clone().pull(config.clone(), messages, sender.clone()));
                self.remember(&config.durable_name, domain, stream);
                bound += 1;
            }
            if bound == 0 {
                return Err(BusError::Unavailable(format!(
                    "the filters {:?} of {} reach no stream",
                    config.filter_subjects, config.durable_name
                )));
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
        Box::pin(async move {
            let bound = self
                .inner
                .bound
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone();
            let mut backlogs: Vec<(String, u64)> = Vec::new();
            for (durable_name, stream) in bound {
                // A server that does not answer leaves the figure out rather than wrong.
                let Ok(info) = stream.consumer_info(&durable_name).await else {
                    continue;
                };
                let pending = info.num_pending + info.num_ack_pending as u64;
                match backlogs.iter_mut().find(|(name, _)| *name == durable_name) {
                    Some((_, total)) => *total += pending,
                    None => backlogs.push((durable_name, pending)),
                }
            }
            backlogs
        })
    }

    /// Publishes the dead letter again on its subject under a new message id (the server would
    /// drop the old one as a duplicate). Every consumer of the subject receives it; those that
    /// had handled it skip it by their inbox.
    fn replay<'a>(
        &'a self,
        consumer: &'a str,
        event_id: &'a str,
    ) -> BoxFuture<'a, Result<(), BusError>> {
        Box::pin(async move {
            // The letter leaves the list only once published again: a replay interrupted half
            // way (the caller gone, the deadline past) must not lose it.
            let letter = super::find_dead_letter(&self.inner.dead_letters, consumer, event_id)?;
            let payload = serde_json::to_vec(&*letter.envelope)
                .map_err(|error| BusError::Unavailable(format!("encode the event: {error}")))?;
            let mut headers = async_nats::HeaderMap::new();
            let replay_id = format!("{event_id}-replay-{}", uuid::Uuid::new_v4().simple());
            headers.insert(async_nats::header::NATS_MESSAGE_ID, replay_id.as_str());
            let published = async {
                let ack = self
                    .inner
                    .context
                    .publish_with_headers(self.wire(&letter.subject), headers, payload.into())
                    .await
                    .map_err(unavailable("publish"))?;
                ack.await.map_err(unavailable("publish (no ack)")).map(drop)
            };
            published.await?;
            let _ = super::take_dead_letter(&self.inner.dead_letters, consumer, event_id);
            Ok(())
        })
    }
}

impl JetStreamBus {
    /// Keeps `stream` as one that `durable_name` reads, for its backlog; binding again (after a
    /// consumer restarts) reads the same stream.
    fn remember(&self, durable_name: &str, domain: &str, stream: jetstream::stream::Stream) {
        let stream_name = self.stream_name(domain);
        let mut bound = self
            .inner
            .bound
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let known = bound.iter().any(|(name, kept)| {
            name == durable_name && kept.cached_info().config.name == stream_name
        });
        if !known {
            bound.push((durable_name.to_owned(), stream));
        }
    }

    /// Hands what one stream's consumer pulls to the merged deliveries, until they are dropped.
    async fn pull(
        self,
        config: ConsumerConfig,
        mut messages: pull::Stream,
        sender: mpsc::Sender<Delivery>,
    ) {
        while let Some(message) = messages.next().await {
            let message = match message {
                Ok(message) => message,
                Err(error) => {
                    tracing::warn!(consumer = %config.durable_name, %error, "pulling events failed; pulling again");
                    continue;
                }
            };
            let attempt = message
                .info()
                .map(|info| u32::try_from(info.delivered).unwrap_or(u32::MAX))
                .unwrap_or(1);
            let envelope: Envelope = match serde_json::from_slice(&message.payload) {
                Ok(envelope) => envelope,
                Err(error) => {
                    // It can never be handled; redelivering it would only repeat this.
                    tracing::error!(consumer = %config.durable_name, subject = %message.subject, %error, "an event that is not an envelope; terminated");
                    let _ = message.ack_with(AckKind::Term).await;
                    continue;
                }
            };
            let (reply, outcome) = oneshot::channel();
            let delivery = Delivery {
                subject: self.local(&message.subject),
                envelope: Arc::new(envelope),
                attempt,
                reply: Some(reply),
            };
            if sender.send(delivery).await.is_err() {
                // The consumer is gone; what it did not ack comes again after ack_wait.
                return;
            }
            // The answer is awaited aside, so the next event need not wait for it.
            tokio::spawn(
                self.clone()
                    .settle(config.clone(), message, attempt, outcome),
            );
        }
    }

    /// Acks, naks or dead-letters one delivery, by the consumer's answer.
    async fn settle(
        self,
        config: ConsumerConfig,
        message: jetstream::Message,
        attempt: u32,
        outcome: oneshot::Receiver<Outcome>,
    ) {
        let outcome = match tokio::time::timeout(config.ack_wait, outcome).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) | Err(_) => Outcome::Nak,
        };
        let result = match outcome {
            Outcome::Ack => message.ack().await,
            Outcome::Nak if attempt >= config.max_deliver => {
                self.dead_letter(&config, &message, attempt).await;
                message.ack_with(AckKind::Term).await
            }
            Outcome::Nak => {
                metrics::counter!("bus_redelivered_total", "consumer" => config.durable_name.clone())
                    .increment(1);
                message
                    .ack_with(AckKind::Nak(Some(config.backoff_after(attempt))))
                    .await
            }
        };
        if let Err(error) = result {
            // The server redelivers what it did not hear about; consumers drop repeats.
            tracing::warn!(consumer = %config.durable_name, %error, "answering a delivery failed");
        }
    }

    async fn dead_letter(
        &self,
        config: &ConsumerConfig,
        message: &jetstream::Message,
        attempt: u32,
    ) {
        let Ok(envelope) = serde_json::from_slice::<Envelope>(&message.payload) else {
            return;
        };
        let original = self.local(&message.subject);
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Emporium-Subject", original.as_str());
        headers.insert("Emporium-Attempts", attempt.to_string().as_str());
        headers.insert(
            async_nats::header::NATS_MESSAGE_ID,
            format!("{}-{}", config.durable_name, envelope.id).as_str(),
        );
        let subject = self.wire(&format!("{DEAD_LETTER_PREFIX}.{}", config.durable_name));
        let kept = match self
            .inner
            .context
            .publish_with_headers(subject, headers, message.payload.clone())
            .await
        {
            Ok(ack) => ack.await.map(drop).map_err(|error| error.to_string()),
            Err(error) => Err(error.to_string()),
        };
        if let Err(error) = kept {
            tracing::error!(consumer = %config.durable_name, event_id = %envelope.id, %error, "the dead letter could not be kept on the stream");
        }
        super::keep_dead_letter(
            &self.inner.dead_letters,
            DeadLetter {
                consumer: config.durable_name.clone(),
                subject: original,
                envelope: Arc::new(envelope),
                attempts: attempt,
            },
        );
    }
}

/// `filter` narrowed to the subjects of `domain`'s stream (`emporium.<domain>.>`), if the two
/// meet: `emporium.*.order_completed` gives `emporium.orders.order_completed` for `orders`.
fn narrow(filter: &str, domain: &str) -> Option<String> {
    let tokens: Vec<&str> = filter.split('.').collect();
    let first_matches = matches!(tokens.first(), Some(&"emporium" | &"*"));
    match tokens.as_slice() {
        [">"] => Some(format!("emporium.{domain}.>")),
        [_, ">"] if first_matches => Some(format!("emporium.{domain}.>")),
        [_, second, rest @ ..] if first_matches && !rest.is_empty() => {
            if *second != "*" && *second != domain {
                return None;
            }
            Some(format!("emporium.{domain}.{}", rest.join(".")))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::narrow;

    #[test]
    fn filters_are_narrowed_to_the_stream_of_each_domain() {
        let cases = [
            ("emporium.>", "orders", Some("emporium.orders.>")),
            (">", "orders", Some("emporium.orders.>")),
            ("emporium.orders.>", "orders", Some("emporium.orders.>")),
            ("emporium.orders.>", "payments", None),
            (
                "emporium.*.order_completed",
                "orders",
                Some("emporium.orders.order_completed"),
            ),
            (
                "*.orders.order_placed",
                "orders",
                Some("emporium.orders.order_placed"),
            ),
            ("emporium.orders", "orders", None),
            ("other.orders.>", "orders", None),
        ];
        for (filter, domain, expected) in cases {
            assert_eq!(
                narrow(filter, domain).as_deref(),
                expected,
                "{filter} on {domain}"
            );
        }
    }
}
