//! What every process of the shop shows, gathered: each process serves its own operations view
//! (`emporium.admin.v1.Operations`), and the gateway asks them all with the operator's token.
//! In one process every service's address is the same process, asked once; a process that runs
//! several services is counted once by its process id.

use std::collections::{BTreeMap, HashSet};

use futures_util::future::join_all;
use platform::telemetry::red::{self, Kind};
use platform::transport::{Transport, request};
use proto::admin as pb;
use proto::admin::operations_client::OperationsClient;

/// The clients of every process's operations view.
#[derive(Clone)]
pub(crate) struct Gatherer {
    processes: Vec<OperationsClient<Transport>>,
}

/// The traces of every process that answered, merged.
#[derive(Debug, Default)]
pub(crate) struct Traces {
    pub recent: Vec<pb::TraceSummary>,
    pub slowest: Vec<pb::TraceSummary>,
    /// The processes that did not answer, and why.
    pub unreachable: Vec<String>,
}

/// What the processes said, merged.
#[derive(Debug, Default)]
pub(crate) struct Gathered {
    pub services: Vec<String>,
    pub series: Vec<red::Series>,
    pub backlogs: Vec<pb::Backlog>,
    pub dead_letters: Vec<pb::DeadLetter>,
    pub processes: usize,
    /// The processes that did not answer, and why.
    pub unreachable: Vec<String>,
}

impl Gatherer {
    pub(crate) fn new(transports: Vec<Transport>) -> Gatherer {
        Gatherer {
            processes: transports.into_iter().map(OperationsClient::new).collect(),
        }
    }

    /// Every process's snapshot, merged; a process that fails is named in `unreachable`.
    pub(crate) async fn snapshot(&self, token: &str) -> Gathered {
        let asked = self.processes.iter().map(|client| {
            let mut client = client.clone();
            async move {
                client
                    .get_snapshot(request(pb::GetSnapshotRequest {}, token))
                    .await
            }
        });
        let mut gathered = Gathered::default();
        let mut seen = HashSet::new();
        let mut series: BTreeMap<(Kind, String), red::Series> = BTreeMap::new();
        for answer in join_all(asked).await {
            let snapshot = match answer {
                Ok(snapshot) => snapshot.into_inner(),
                Err(status) => {
                    gathered.unreachable.push(status.message().to_owned());
                    continue;
                }
            };
            if !seen.insert(snapshot.process_id.clone()) {
                continue;
            }
            gathered.processes += 1;
            gathered.services.extend(snapshot.services);
            for one in snapshot.series.into_iter().filter_map(from_proto) {
                merge(&mut series, one);
            }
            gathered.backlogs.extend(snapshot.backlogs);
            gathered.dead_letters.extend(snapshot.dead_letters);
        }
        gathered.services.sort();
        gathered.services.dedup();
        gathered.series = series.into_values().collect();
        gathered
    }

    /// The latest and the slowest traces of every process, each trace once (its longest part);
    /// a process that did not answer is named in the last list.
    pub(crate) async fn traces(&self, token: &str, limit: u32) -> Traces {
        let asked = self.processes.iter().map(|client| {
            let mut client = client.clone();
            async move {
                let message = pb::ListTracesRequest { limit };
                client.list_traces(request(message, token)).await
            }
        });
        let (mut recent, mut slowest, mut seen) = (Vec::new(), Vec::new(), HashSet::new());
        let mut unreachable = Vec::new();
        for answer in join_all(asked).await {
            match answer.map(tonic::Response::into_inner) {
                Ok(answer) if seen.insert(answer.process_id.clone()) => {
                    recent.extend(answer.recent);
                    slowest.extend(answer.slowest);
                }
                Ok(_) => {}
                Err(status) => unreachable.push(status.message().to_owned()),
            }
        }
        let mut recent = by_trace(recent);
        recent.sort_by_key(|trace| std::cmp::Reverse(trace.start_unix_nanos));
        let mut slowest = by_trace(slowest);
        slowest.sort_by_key(|trace| std::cmp::Reverse(trace.duration_nanos));
        recent.truncate(limit as usize);
        slowest.truncate(limit as usize);
        Traces {
            recent,
            slowest,
            unreachable,
        }
    }

    /// The spans of one trace kept by the processes that answered, by start; whether some were
    /// left out; and the processes that did not answer.
    pub(crate) async fn trace(
        &self,
        token: &str,
        trace_id: &str,
    ) -> (Vec<pb::Span>, bool, Vec<String>) {
        let asked = self.processes.iter().map(|client| {
            let mut client = client.clone();
            let message = pb::GetTraceRequest {
                trace_id: trace_id.to_owned(),
            };
            async move { client.get_trace(request(message, token)).await }
        });
        let (mut spans, mut truncated, mut seen) = (Vec::new(), false, HashSet::new());
        let mut unreachable = Vec::new();
        for answer in join_all(asked).await {
            let answer = match answer {
                Ok(answer) => answer.into_inner(),
                Err(status) => {
                    unreachable.push(status.message().to_owned());
                    continue;
                }
            };
            truncated |= answer.truncated;
            let new = answer
                .spans
                .into_iter()
                .filter(|span| seen.insert(span.span_id.clone()));
            spans.extend(new);
        }
        spans.sort_by_key(|span| span.start_unix_nanos);
        (spans, truncated, unreachable)
    }

    /// Delivers a dead letter again, through whichever process holds it.
    pub(crate) async fn replay(
        &self,
        token: &str,
        consumer: &str,
        event_id: &str,
    ) -> Result<(), tonic::Status> {
        let mut last = tonic::Status::not_found(format!(
            "no process holds the dead letter {event_id} of {consumer}"
        ));
        for client in &self.processes {
            let message = pb::ReplayDeadLetterRequest {
                consumer: consumer.to_owned(),
                event_id: event_id.to_owned(),
            };
            match client
                .clone()
                .replay_dead_letter(request(message, token))
                .await
            {
                Ok(_) => return Ok(()),
                Err(status) if status.code() == tonic::Code::NotFound => {}
                Err(status) => last = status,
            }
        }
        Err(last)
    }
}

/// Each trace once, as the processes that kept parts of it see it together: named by the part
/// that started first (the entry point), as long as the longest part, with every part's spans.
fn by_trace(parts: Vec<pb::TraceSummary>) -> Vec<pb::TraceSummary> {
    let mut traces: BTreeMap<String, pb::TraceSummary> = BTreeMap::new();
    for part in parts {
        let Some(trace) = traces.get_mut(&part.trace_id) else {
            traces.insert(part.trace_id.clone(), part);
            continue;
        };
        if part.start_unix_nanos < trace.start_unix_nanos {
            trace.root = part.root;
            trace.start_unix_nanos = part.start_unix_nanos;
        }
        trace.duration_nanos = trace.duration_nanos.max(part.duration_nanos);
        trace.spans += part.spans;
        trace.error |= part.error;
    }
    traces.into_values().collect()
}

fn from_proto(series: pb::Series) -> Option<red::Series> {
    let kind = match series.kind.as_str() {
        "route" => Kind::Route,
        "rpc" => Kind::Rpc,
        "edge" => Kind::Edge,
        "consumer" => Kind::Consumer,
        _ => return None,
    };
    Some(red::Series {
        kind,
        name: series.name,
        slots: series
            .slots
            .into_iter()
            .map(|slot| red::Slot {
                start_unix: slot.start_unix,
                count: slot.count,
                errors: slot.errors,
                buckets: slot.buckets,
                exemplars: slot.exemplars,
            })
            .collect(),
    })
}

/// Adds `one` to the series of the same kind and name, slot by slot.
fn merge(all: &mut BTreeMap<(Kind, String), red::Series>, one: red::Series) {
    let key = (one.kind, one.name.clone());
    let Some(kept) = all.get_mut(&key) else {
        all.insert(key, one);
        return;
    };
    for slot in one.slots {
        match kept
            .slots
            .iter_mut()
            .find(|kept| kept.start_unix == slot.start_unix)
        {
            Some(same) => add_slot(same, &slot),
            None => kept.slots.push(slot),
        }
    }
    kept.slots.sort_by_key(|slot| slot.start_unix);
}

/// Adds `slot` to `into`, the same ten seconds elsewhere: counts and buckets add up, and each
/// bucket keeps an exemplar when either has one.
pub(crate) fn add_slot(into: &mut red::Slot, slot: &red::Slot) {
    into.count += slot.count;
    into.errors += slot.errors;
    for (sum, count) in into.buckets.iter_mut().zip(&slot.buckets) {
        *sum += count;
    }
    for (kept, other) in into.exemplars.iter_mut().zip(&slot.exemplars) {
        if !other.is_empty() {
            kept.clone_from(other);
        }
    }
}
