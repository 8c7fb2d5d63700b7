//! What one process shows the operations view: the services it runs, its RED series and kept
//! traces (from `telemetry`), the backlogs of its outboxes and of the consumers bound here, and
//! its dead letters, which can be replayed. Served to the gateway as the gRPC service
//! `emporium.admin.v1.Operations` (`grpc.rs`), by every process.

pub mod grpc;

use std::sync::{Arc, Mutex};

use crate::bus::EventBus;
use crate::outbox::Outbox;
use crate::telemetry::red::Red;
use proto::admin as pb;

/// The process's handle: cheap to clone.
#[derive(Clone)]
pub struct Ops {
    inner: Arc<Inner>,
}

struct Inner {
    process_id: String,
    services: Vec<String>,
    bus: Arc<dyn EventBus>,
    outboxes: Mutex<Vec<(String, Outbox)>>,
}

impl std::fmt::Debug for Ops {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Ops")
            .field("process_id", &self.inner.process_id)
            .field("services", &self.inner.services)
            .finish_non_exhaustive()
    }
}

impl Ops {
    /// The handle of a process that runs `services` on `bus`.
    pub fn new(services: Vec<String>, bus: Arc<dyn EventBus>) -> Ops {
        Ops {
            inner: Arc::new(Inner {
                process_id: uuid::Uuid::new_v4().simple().to_string(),
                services,
                bus,
                outboxes: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Random for each run of the process.
    pub fn process_id(&self) -> &str {
        &self.inner.process_id
    }

    /// Shows the backlog of `service`'s outbox.
    pub fn watch_outbox(&self, service: &str, outbox: Outbox) {
        self.inner
            .outboxes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push((service.to_owned(), outbox));
    }

    /// Everything the process shows but its traces.
    pub async fn snapshot(&self) -> pb::Snapshot {
        let series = Red::global().snapshot().into_iter().map(series_to_proto);
        pb::Snapshot {
            process_id: self.inner.process_id.clone(),
            services: self.inner.services.clone(),
            series: series.collect(),
            backlogs: self.backlogs().await,
            dead_letters: self
                .inner
                .bus
                .dead_letters()
                .into_iter()
                .map(|letter| pb::DeadLetter {
                    consumer: letter.consumer,
                    subject: letter.subject,
                    event_id: letter.envelope.id.clone(),
                    deliveries: letter.attempts,
                })
                .collect(),
        }
    }

    async fn backlogs(&self) -> Vec<pb::Backlog> {
        let outboxes = self
            .inner
            .outboxes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        let mut backlogs = Vec::new();
        for (service, outbox) in outboxes {
            match outbox.backlog().await {
                Ok((pending, waited)) => backlogs.push(pb::Backlog {
                    kind: "outbox".to_owned(),
                    name: service,
                    pending,
                    oldest_age_ms: waited.as_millis() as u64,
                }),
                Err(error) => {
                    tracing::warn!(%service, error = format!("{error:#}"), "the outbox's backlog could not be read")
                }
            }
        }
        for (consumer, pending) in self.inner.bus.backlogs().await {
            backlogs.push(pb::Backlog {
                kind: "consumer".to_owned(),
                name: consumer,
                pending,
                oldest_age_ms: 0,
            });
        }
        backlogs
    }

    /// Delivers a dead letter again.
    pub async fn replay(&self, consumer: &str, event_id: &str) -> Result<(), crate::bus::BusError> {
        self.inner.bus.replay(consumer, event_id).await
    }
}

fn series_to_proto(series: crate::telemetry::red::Series) -> pb::Series {
    use crate::telemetry::red::Kind;
    let kind = match series.kind {
        Kind::Route => "route",
        Kind::Rpc => "rpc",
        Kind::Edge => "edge",
        Kind::Consumer => "consumer",
    };
    pb::Series {
        kind: kind.to_owned(),
        name: series.name,
        slots: series
            .slots
            .into_iter()
            .map(|slot| pb::Slot {
                start_unix: slot.start_unix,
                count: slot.count,
                errors: slot.errors,
                buckets: slot.buckets,
                exemplars: slot.exemplars,
            })
            .collect(),
    }
}
