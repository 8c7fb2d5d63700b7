//! The trace ring: the spans this process finished lately, kept in memory and bounded, so that
//! the operations view can draw the most recent and the slowest traces with nothing installed.
//!
//! `RingProcessor` is an OpenTelemetry span processor beside the OTLP exporter: it sees every
//! finished span, in the form the exporter sends. The ring holds the latest `RECENT` traces and
//! the `SLOWEST` slowest ones, at most `SPANS_PER_TRACE` spans each and `SPANS` in all; the oldest
//! trace that is not among the slowest goes first.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{SpanId, SpanKind, Status};
use opentelemetry_sdk::trace::{SpanData, SpanProcessor};
use serde::Serialize;

/// How many recent traces the ring keeps.
const RECENT: usize = 256;
/// How many of the slowest traces it keeps besides.
const SLOWEST: usize = 20;
/// The most spans it keeps of one trace; a trace with more is marked truncated.
const SPANS_PER_TRACE: usize = 512;
/// The most spans it keeps in all.
const SPANS: usize = 20_000;
/// Roots of traces not worth keeping: the operations view watching itself, health checks,
/// scrapes and static files. They would push the shop's own work out of the ring.
const NOISE: [&str; 10] = [
    "GET /ops",
    "/emporium.admin.v1.Faults/",
    "POST /ops",
    "/emporium.admin.v1.Operations/",
    "GET /assets/",
    "GET /livez",
    "GET /readyz",
    "GET /metrics",
    "/grpc.health.v1.Health/",
    "/grpc.reflection.",
];

/// Whether a request named `name` is one whose trace is not worth keeping (`NOISE`).
pub fn is_noise(name: &str) -> bool {
    NOISE.iter().any(|prefix| name.starts_with(prefix))
}

/// One finished span, as the operations view draws it.
#[derive(Clone, Debug, Serialize)]
pub struct FinishedSpan {
    /// The trace, as 32 lowercase hex digits.
    pub trace_id: String,
    /// The span, as 16 lowercase hex digits.
    pub span_id: String,
    /// Its parent's id, empty for a trace's root.
    pub parent_span_id: String,
    pub name: String,
    /// server, client, producer, consumer or internal.
    pub kind: &'static str,
    /// The service that made it, when the span says (`rpc.service`, `messaging.consumer`, ...).
    pub service: String,
    pub start_unix_nanos: u64,
    pub duration_nanos: u64,
    pub error: bool,
    /// What the status said, when it is an error.
    pub status_message: String,
    pub attributes: Vec<(String, String)>,
    /// The spans this one follows from (a consumer's link to the publish that caused it).
    pub links: Vec<(String, String)>,
}

/// A trace in a listing: its root and how long it took.
#[derive(Clone, Debug, Serialize)]
pub struct TraceSummary {
    pub trace_id: String,
    /// The name of its earliest root span in this process.
    pub root: String,
    pub start_unix_nanos: u64,
    pub duration_nanos: u64,
    pub spans: usize,
    pub error: bool,
}

#[derive(Debug, Default)]
struct Trace {
    /// As the SDK hands them over: turned into `FinishedSpan`s only when read, so that keeping a
    /// span costs a move, not its formatting.
    spans: Vec<SpanData>,
    truncated: bool,
    /// The longest root span of this process, the trace's length here.
    duration_nanos: u64,
}

#[derive(Debug, Default)]
struct Ring {
    traces: HashMap<u128, Trace>,
    /// Trace ids in the order their first span finished, the newest last.
    recent: VecDeque<u128>,
    /// The slowest traces, slowest first.
    slowest: Vec<(u64, u128)>,
    spans: usize,
}

/// The process's trace ring.
#[derive(Debug, Default)]
pub struct TraceRing {
    ring: Mutex<Ring>,
}

impl TraceRing {
    /// The ring every span processor of this process writes to.
    pub fn global() -> &'static TraceRing {
        static RING: OnceLock<TraceRing> = OnceLock::new();
        RING.get_or_init(TraceRing::default)
    }

    /// Keeps `span`; a root of this process that is noise (`NOISE`) drops its whole trace.
    pub fn push(&self, trace_id: u128, span: SpanData, root: bool) {
        let noise = root && is_noise(&span.name);
        let mut ring = self.ring.lock().unwrap();
        match noise {
            true => ring.drop_trace(trace_id),
            false => ring.push(trace_id, span, root),
        }
    }

    /// The latest traces, the newest first.
    pub fn recent(&self, limit: usize) -> Vec<TraceSummary> {
        let ring = self.ring.lock().unwrap();
        let ids = ring.recent.iter().rev().take(limit).copied();
        ids.filter_map(|id| ring.summary(id)).collect()
    }

    /// The slowest traces kept, the slowest first.
    pub fn slowest(&self, limit: usize) -> Vec<TraceSummary> {
        let ring = self.ring.lock().unwrap();
        let ids = ring.slowest.iter().take(limit).map(|(_, id)| *id);
        ids.filter_map(|id| ring.summary(id)).collect()
    }

    /// The spans of one trace kept here, by start time, and whether some were left out.
    pub fn trace(&self, trace_id: u128) -> Option<(Vec<FinishedSpan>, bool)> {
        let ring = self.ring.lock().unwrap();
        let trace = ring.traces.get(&trace_id)?;
        let mut spans: Vec<FinishedSpan> = trace.spans.iter().map(finished).collect();
        spans.sort_by_key(|span| span.start_unix_nanos);
        Some((spans, trace.truncated))
    }
}

impl Ring {
    fn push(&mut self, trace_id: u128, span: SpanData, root: bool) {
        let duration = nanos(span.end_time).saturating_sub(nanos(span.start_time));
        let trace = match self.traces.get_mut(&trace_id) {
            Some(trace) => trace,
            None => {
                self.recent.push_back(trace_id);
                self.traces.entry(trace_id).or_default()
            }
        };
        // A root finishes last: past the bound, a child makes way for it, so the trace keeps
        // its top.
        if trace.spans.len() >= SPANS_PER_TRACE {
            trace.truncated = true;
            let child = match root {
                true => trace
                    .spans
                    .iter()
                    .rposition(|kept| kept.parent_span_id != SpanId::INVALID),
                false => None,
            };
            if let Some(child) = child {
                trace.spans[child] = span;
            }
        } else {
            trace.spans.push(span);
            self.spans += 1;
        }
        if root && duration > trace.duration_nanos {
            trace.duration_nanos = duration;
            self.rank(trace_id, duration);
        }
        self.evict();
    }

    /// Puts the trace among the slowest when it is slower than the fastest of them.
    fn rank(&mut self, trace_id: u128, duration: u64) {
        self.slowest.retain(|(_, id)| *id != trace_id);
        let at = self.slowest.partition_point(|(kept, _)| *kept >= duration);
        if at < SLOWEST {
            self.slowest.insert(at, (duration, trace_id));
            if self.slowest.len() > SLOWEST
                && let Some((_, dropped)) = self.slowest.pop()
                && !self.recent.contains(&dropped)
            {
                self.forget(dropped);
            }
        }
    }

    fn evict(&mut self) {
        while self.recent.len() > RECENT || (self.spans > SPANS && self.recent.len() > 1) {
            let Some(oldest) = self.recent.pop_front() else {
                break;
            };
            if !self.slowest.iter().any(|(_, id)| *id == oldest) {
                self.forget(oldest);
            }
        }
    }

    fn drop_trace(&mut self, trace_id: u128) {
        self.recent.retain(|id| *id != trace_id);
        self.slowest.retain(|(_, id)| *id != trace_id);
        self.forget(trace_id);
    }

    fn forget(&mut self, trace_id: u128) {
        if let Some(trace) = self.traces.remove(&trace_id) {
            self.spans -= trace.spans.len();
        }
    }

    fn summary(&self, trace_id: u128) -> Option<TraceSummary> {
        let trace = self.traces.get(&trace_id)?;
        // The trace's root, or the earliest span when the root is in another process.
        let root = trace
            .spans
            .iter()
            .min_by_key(|span| (span.parent_span_id != SpanId::INVALID, span.start_time))?;
        let start = nanos(root.start_time);
        Some(TraceSummary {
            trace_id: format!("{trace_id:032x}"),
            root: root.name.to_string(),
            start_unix_nanos: start,
            duration_nanos: trace
                .duration_nanos
                .max(nanos(root.end_time).saturating_sub(start)),
            spans: trace.spans.len(),
            error: trace
                .spans
                .iter()
                .any(|span| matches!(span.status, Status::Error { .. })),
        })
    }
}

/// The span processor that fills `TraceRing::global()`.
#[derive(Debug, Default)]
pub struct RingProcessor;

impl SpanProcessor for RingProcessor {
    fn on_start(&self, _span: &mut opentelemetry_sdk::trace::Span, _cx: &opentelemetry::Context) {}

    fn on_end(&self, span: SpanData) {
        let trace_id = u128::from_be_bytes(span.span_context.trace_id().to_bytes());
        // A span whose parent is in another process is this process's root of the trace.
        let root = span.parent_span_is_remote || span.parent_span_id == SpanId::INVALID;
        TraceRing::global().push(trace_id, span, root);
    }

    fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> opentelemetry_sdk::error::OTelSdkResult {
        Ok(())
    }
}

fn nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as u64)
}

fn finished(span: &SpanData) -> FinishedSpan {
    let start = nanos(span.start_time);
    let (error, status_message) = match &span.status {
        Status::Error { description } => (true, description.to_string()),
        _ => (false, String::new()),
    };
    let attributes: Vec<(String, String)> = span
        .attributes
        .iter()
        .map(|pair| (pair.key.to_string(), pair.value.to_string()))
        .collect();
    let parent = span.parent_span_id;
    FinishedSpan {
        trace_id: format!("{}", span.span_context.trace_id()),
        span_id: format!("{}", span.span_context.span_id()),
        parent_span_id: match parent == SpanId::INVALID {
            true => String::new(),
            false => format!("{parent}"),
        },
        service: service_of(&attributes),
        name: span.name.to_string(),
        kind: kind_name(&span.span_kind),
        start_unix_nanos: start,
        duration_nanos: nanos(span.end_time).saturating_sub(start),
        error,
        status_message,
        attributes,
        links: span
            .links
            .iter()
            .map(|link| {
                let context = &link.span_context;
                (
                    format!("{}", context.trace_id()),
                    format!("{}", context.span_id()),
                )
            })
            .collect(),
    }
}

/// The service a span belongs to, read from the attributes the shop's spans carry.
fn service_of(attributes: &[(String, String)]) -> String {
    let get = |key: &str| {
        attributes
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    };
    if let Some(service) = get("emporium.service") {
        return service.to_owned();
    }
    // `emporium.orders.v1.Orders` is served by orders.
    if let Some(rpc) = get("rpc.service") {
        return rpc
            .strip_prefix("emporium.")
            .and_then(|rest| rest.split('.').next())
            .unwrap_or(rpc)
            .to_owned();
    }
    get("messaging.consumer.group.name")
        .unwrap_or_default()
        .to_owned()
}

fn kind_name(kind: &SpanKind) -> &'static str {
    match kind {
        SpanKind::Server => "server",
        SpanKind::Client => "client",
        SpanKind::Producer => "producer",
        SpanKind::Consumer => "consumer",
        SpanKind::Internal => "internal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(trace: u128, id: u64, parent: u64, duration: u64) -> SpanData {
        use opentelemetry::trace::{SpanContext, TraceFlags, TraceId, TraceState};
        SpanData {
            span_context: SpanContext::new(
                TraceId::from(trace),
                SpanId::from(id),
                TraceFlags::SAMPLED,
                false,
                TraceState::default(),
            ),
            parent_span_id: SpanId::from(parent),
            parent_span_is_remote: false,
            span_kind: SpanKind::Internal,
            name: format!("span {id}").into(),
            start_time: UNIX_EPOCH + Duration::from_nanos(id),
            end_time: UNIX_EPOCH + Duration::from_nanos(id + duration),
            attributes: Vec::new(),
            dropped_attributes_count: 0,
            events: Default::default(),
            links: Default::default(),
            status: Status::Unset,
            instrumentation_scope: Default::default(),
        }
    }

    #[test]
    fn the_ring_keeps_the_latest_traces_and_the_slowest_beyond_them() {
        let ring = TraceRing::default();
        // One slow trace, then more fast ones than the ring keeps.
        ring.push(1, span(1, 1, 0, 9_000_000), true);
        for trace in 2..(RECENT as u128 + 50) {
            ring.push(trace, span(trace, 2, 1, 10), false);
            ring.push(trace, span(trace, 1, 0, 1_000), true);
        }
        let recent = ring.recent(RECENT + 10);
        assert_eq!(recent.len(), RECENT);
        assert_eq!(recent[0].trace_id, format!("{:032x}", RECENT as u128 + 49));
        assert_eq!(recent[0].spans, 2);
        assert_eq!(recent[0].root, "span 1");
        let slowest = ring.slowest(1);
        assert_eq!(slowest[0].trace_id, format!("{:032x}", 1));
        assert_eq!(slowest[0].duration_nanos, 9_000_000);
        assert!(ring.trace(1).is_some(), "the slowest outlives its turn");
        // The first twenty fast ones tie for the slowest places; a later old one is gone.
        assert!(ring.trace(30).is_none(), "an old fast trace is gone");
    }

    #[test]
    fn a_trace_keeps_a_bounded_number_of_spans_and_says_so() {
        let ring = TraceRing::default();
        for id in 1..=(SPANS_PER_TRACE as u64 + 5) {
            ring.push(7, span(7, id, 1, 1), false);
        }
        ring.push(7, span(7, 9_999, 0, 1), true);
        let (spans, truncated) = ring.trace(7).unwrap();
        assert_eq!(spans.len(), SPANS_PER_TRACE);
        assert!(truncated);
        assert!(
            spans.iter().any(|span| span.parent_span_id.is_empty()),
            "the root is kept"
        );
    }

    #[test]
    fn the_ring_holds_a_bounded_number_of_spans_in_all() {
        let ring = TraceRing::default();
        for trace in 1..=100u128 {
            for id in 1..=300 {
                ring.push(trace, span(trace, id, 1, 1), false);
            }
        }
        let ring = ring.ring.lock().unwrap();
        assert!(ring.spans <= SPANS, "{} spans", ring.spans);
        assert_eq!(
            ring.spans,
            ring.traces.values().map(|t| t.spans.len()).sum::<usize>()
        );
    }

    #[test]
    fn the_operations_view_watching_itself_is_not_kept() {
        let ring = TraceRing::default();
        ring.push(5, span(5, 2, 1, 10), false);
        let mut root = span(5, 1, 0, 100);
        root.name = "/emporium.admin.v1.Operations/GetSnapshot".into();
        ring.push(5, root, true);
        assert!(ring.trace(5).is_none());
        assert!(ring.recent(10).is_empty());
        assert!(ring.slowest(10).is_empty());
    }
}
