//! Webhooks: merchants' endpoints that receive the shop's events over HTTP, signed as the
//! Standard Webhooks specification describes (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature`). The consumer queues a delivery per subscribed endpoint and acks at
//! once; a sender posts the due ones, each in a task of its own under a lease, so a slow or
//! failing receiver holds up neither the bus nor the other endpoints. A 2xx is delivered; 410
//! turns the endpoint off; anything else, or no answer within the timeout, is tried again after
//! a backoff with jitter (or the receiver's `Retry-After`), and after `webhook_max_attempts` the
//! delivery is dead. Deliveries stay in the endpoint's log (delivered ones for a week, dead ones
//! until sent again) and can be sent again.

pub(crate) mod signature;

use std::time::Duration;

use events::Envelope;
use platform::Shutdown;

use crate::domain::{self, Invalid};
use crate::store::{DeliveryRow, EndpointRow, Retry};
use crate::{Error, Functions};

/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries in flight at once, over all endpoints.
const IN_FLIGHT: usize = 64;
/// How long a delivered webhook stays in its endpoint's log; dead ones stay until replayed.
const KEEP_DELIVERED: Duration = Duration::from_secs(7 * 86_400);

/// The webhook deliveries, as the sender takes them.
#[derive(Clone)]
struct Webhooks {
    functions: Functions,
    http: reqwest::Client,
}

impl crate::worker::Queue for Webhooks {
    type Item = DeliveryRow;
    const NAME: &'static str = "webhook deliveries";

    async fn lease(&self, limit: u32) -> anyhow::Result<Vec<DeliveryRow>> {
        let lease_ms = (TIMEOUT + Duration::from_secs(5)).as_millis() as i64;
        let store = &self.functions.store;
        store
            .lease_webhooks(platform::unix_now_ms(), limit, lease_ms)
            .await
    }

    async fn run(&self, delivery: DeliveryRow) {
        self.functions.send_one(&self.http, delivery).await;
    }

    async fn forget(&self) -> anyhow::Result<u64> {
        let before = platform::unix_now_ms() - KEEP_DELIVERED.as_millis() as i64;
        self.functions.store.forget_delivered(before).await
    }
}

/// An endpoint to register.
#[derive(Clone, Debug)]
pub struct NewEndpoint {
    pub url: String,
    pub event_types: Vec<String>,
    pub description: String,
    /// A function whose answer is the body sent; empty sends the event.
    pub transform: String,
}

/// A registered endpoint; its secret is shown when it is made.
#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint {
    pub id: String,
    pub url: String,
    pub event_types: Vec<String>,
    pub description: String,
    pub transform: String,
    pub enabled: bool,
    pub created_at: i64,
    pub secret: Option<String>,
}

/// One event sent (or to be sent) to an endpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    pub event_id: String,
    pub event_type: String,
    /// `pending`, `delivered` or `dead`.
    pub state: String,
    pub attempts: u32,
    pub last_status: u32,
    pub last_error: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

fn endpoint(row: EndpointRow, with_secret: bool) -> Endpoint {
    Endpoint {
        secret: with_secret.then(|| row.secret.clone()),
        id: row.id,
        url: row.url,
        event_types: row.event_types,
        description: row.description,
        transform: row.transform,
        enabled: row.enabled,
        created_at: row.created_at,
    }
}

impl Functions {
    /// Registers an endpoint with a new signing secret, shown in the answer.
    pub async fn create_endpoint(&self, new: NewEndpoint) -> Result<Endpoint, Error> {
        domain::check_webhook_url(&new.url)?;
        if new.event_types.is_empty() {
            return Err(Invalid {
                field: "event_types",
                reason: "name at least one event type".to_owned(),
            }
            .into());
        }
        for event_type in &new.event_types {
            domain::check_event_type("event_types", event_type)?;
        }
        if !new.transform.is_empty() {
            self.function(&new.transform).await?;
        }
        let row = EndpointRow {
            id: format!("ep_{}", uuid::Uuid::now_v7().simple()),
            url: new.url,
            event_types: new.event_types,
            secret: signature::new_secret(),
            description: new.description,
            transform: new.transform,
            enabled: true,
            created_at: platform::unix_now(),
        };
        self.store.add_endpoint(&row).await?;
        tracing::info!(endpoint = %row.id, url = %row.url, "registered a webhook endpoint");
        self.endpoints_changed().await?;
        Ok(endpoint(row, true))
    }

    pub async fn endpoints(&self) -> Result<Vec<Endpoint>, Error> {
        Ok(self
            .store
            .endpoints()
            .await?
            .into_iter()
            .map(|row| endpoint(row, false))
            .collect())
    }

    /// Removes an endpoint with its delivery log.
    pub async fn remove_endpoint(&self, id: &str) -> Result<(), Error> {
        if !self.store.remove_endpoint(id).await? {
            return Err(Error::UnknownEndpoint(id.to_owned()));
        }
        self.endpoints_changed().await
    }

    /// An endpoint's latest deliveries, newest first.
    pub async fn webhook_deliveries(&self, id: &str, limit: u32) -> Result<Vec<Delivery>, Error> {
        self.known_endpoint(id).await?;
        let rows = self.store.webhook_deliveries(id, limit).await?;
        Ok(rows
            .into_iter()
            .map(|row| Delivery {
                event_id: row.event_id,
                event_type: row.event_type,
                state: row.state,
                attempts: row.attempts,
                last_status: row.last_status,
                last_error: row.last_error,
                created_at_ms: row.created_at_ms,
                updated_at_ms: row.updated_at_ms,
            })
            .collect())
    }

    /// Sends a delivery again, from its first attempt.
    pub async fn replay_webhook(&self, id: &str, event_id: &str) -> Result<(), Error> {
        if !self
            .store
            .replay_webhook(id, event_id, platform::unix_now_ms())
            .await?
        {
            return Err(Error::UnknownDelivery(format!("{id}/{event_id}")));
        }
        self.wake_sender.notify_one();
        Ok(())
    }

    async fn known_endpoint(&self, id: &str) -> Result<EndpointRow, Error> {
        let endpoints = self.store.endpoints().await?;
        endpoints
            .into_iter()
            .find(|row| row.id == id)
            .ok_or_else(|| Error::UnknownEndpoint(id.to_owned()))
    }

    /// The endpoint a delivery goes to: the copy in memory (kept current by
    /// `endpoints_changed`), or the database's when this replica has not read it yet.
    async fn endpoint_to_send_to(&self, id: &str) -> Result<EndpointRow, Error> {
        let cached = self
            .endpoints
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .find(|row| row.id == id)
            .cloned();
        match cached {
            Some(row) => Ok(row),
            None => self.known_endpoint(id).await,
        }
    }

    /// Reads the endpoints again, here and (through the revision) on other replicas.
    async fn endpoints_changed(&self) -> Result<(), Error> {
        self.store.bump_revision().await?;
        self.changed().await
    }

    /// Queues `envelope` for every enabled endpoint subscribed to its type.
    pub(crate) async fn queue_webhooks(&self, envelope: &Envelope) -> Result<(), Error> {
        let subscribed: Vec<String> = {
            let endpoints = self
                .endpoints
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            endpoints
                .iter()
                .filter(|row| row.enabled && row.event_types.contains(&envelope.kind))
                .map(|row| row.id.clone())
                .collect()
        };
        if subscribed.is_empty() {
            return Ok(());
        }
        let text = serde_json::to_string(envelope).map_err(anyhow::Error::from)?;
        self.store
            .enqueue_webhooks(
                &subscribed,
                (&envelope.id, &envelope.kind),
                &text,
                platform::unix_now_ms(),
            )
            .await?;
        self.wake_sender.notify_one();
        Ok(())
    }

    /// Sends due deliveries, `IN_FLIGHT` at once, until `shutdown`; forgets those delivered a
    /// week ago.
    pub async fn send_webhooks(self, shutdown: Shutdown) {
        let http = match reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
        {
            Ok(http) => http,
            Err(error) => {
                return tracing::error!(%error, "build the webhooks' HTTP client; no webhook is sent");
            }
        };
        let wake = self.wake_sender.clone();
        let queue = Webhooks {
            functions: self,
            http,
        };
        crate::worker::work(queue, IN_FLIGHT, wake, shutdown).await;
    }

    async fn send_one(&self, http: &reqwest::Client, delivery: DeliveryRow) {
        let attempt = delivery.attempts + 1;
        let (status, error, retry_after) = self.post(http, &delivery).await;
        let retry = match domain::webhook_outcome(status) {
            domain::WebhookOutcome::Delivered => None,
            domain::WebhookOutcome::Gone => {
                let _ = self.store.disable_endpoint(&delivery.endpoint_id).await;
                let _ = self.endpoints_changed().await;
                Some(Retry::Dead)
            }
            domain::WebhookOutcome::Again if attempt >= self.config.webhook_max_attempts => {
                metrics::counter!("webhook_dead_total").increment(1);
                tracing::warn!(endpoint = %delivery.endpoint_id, event_id = %delivery.event_id, status, error = %error, "a webhook could not be delivered; it is dead until replayed");
                Some(Retry::Dead)
            }
            domain::WebhookOutcome::Again => {
                let jitter =
                    (domain::fnv(format!("{}/{}", delivery.id, platform::unix_now_ms()).as_bytes())
                        % 1000) as f64
                        / 1000.0;
                let wait = retry_after.unwrap_or_else(|| domain::retry_after(attempt, jitter));
                Some(Retry::At(platform::unix_now_ms() + wait.as_millis() as i64))
            }
        };
        let outcome = if retry.is_none() {
            "delivered"
        } else {
            "failed"
        };
        metrics::counter!("webhook_attempts_total", "outcome" => outcome).increment(1);
        if let Err(error) = self
            .store
            .webhook_attempted(delivery.id, status, &error, retry, platform::unix_now_ms())
            .await
        {
            tracing::warn!(error = format!("{error:#}"), "record a webhook attempt");
        }
    }

    /// Posts one delivery: the receiver's status (0 for none), what went wrong, and how long
    /// it asked to wait.
    async fn post(
        &self,
        http: &reqwest::Client,
        delivery: &DeliveryRow,
    ) -> (u32, String, Option<Duration>) {
        let endpoint = match self.endpoint_to_send_to(&delivery.endpoint_id).await {
            Ok(endpoint) => endpoint,
            Err(error) => return (0, error.to_string(), None),
        };
        let body = match self.webhook_body(&endpoint, &delivery.envelope).await {
            Ok(body) => body,
            Err(error) => return (0, error, None),
        };
        let key = match signature::key_of(&endpoint.secret) {
            Ok(key) => key,
            Err(error) => return (0, error, None),
        };
        let timestamp = platform::unix_now();
        let signed = signature::sign(&key, &delivery.event_id, timestamp, &body);
        let sent = http
            .post(&endpoint.url)
            .header("content-type", "application/json")
            .header("user-agent", "Emporium-Webhooks/1")
            .header("webhook-id", &delivery.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signed)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(response) => {
                let status = u32::from(response.status().as_u16());
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.trim().parse::<u64>().ok())
                    .map(|seconds| Duration::from_secs(seconds.min(3600)));
                let error = if response.status().is_success() {
                    String::new()
                } else {
                    format!("the receiver answered {status}")
                };
                (status, error, retry_after)
            }
            Err(error) => (0, format!("no answer: {error}"), None),
        }
    }

    /// What is sent: the event as Standard Webhooks suggests (`type`, `timestamp`, `data`), or
    /// the endpoint's transform function's answer to it.
    async fn webhook_body(
        &self,
        endpoint: &EndpointRow,
        envelope: &str,
    ) -> Result<Vec<u8>, String> {
        if endpoint.transform.is_empty() {
            let envelope: Envelope = serde_json::from_str(envelope)
                .map_err(|error| format!("the queued event is not an event: {error}"))?;
            let body = serde_json::json!({"type": envelope.kind, "timestamp": envelope.time, "data": envelope.data});
            return Ok(body.to_string().into_bytes());
        }
        let Some(function) = self.runner.function(&endpoint.transform) else {
            return Err(format!(
                "the transform {} is not deployed here yet",
                endpoint.transform
            ));
        };
        let input = format!(r#"{{"trigger":"webhook","event":{envelope}}}"#);
        let roll = (domain::fnv(input.as_bytes()) % 100) as u32;
        let ran = self
            .runner
            .invoke(&function, "webhook", input.as_bytes(), roll)
            .await;
        ran.invocation
            .result
            .map_err(|fault| format!("the transform {} failed: {fault}", endpoint.transform))
    }
}
