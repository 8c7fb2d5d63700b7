//! W3C trace context: the trace a request belongs to, carried in a task-local and onward in
//! `traceparent` headers, and the spans of incoming requests and event deliveries.

use std::sync::Arc;

use tracing::field::Empty;

use super::otel_enabled;

/// A W3C trace context: the trace a request belongs to and the span that sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceContext {
    pub trace_id: u128,
    pub parent_span_id: u64,
    pub sampled: bool,
}

impl TraceContext {
    /// Parses a `traceparent` header value (`00-<32 hex>-<16 hex>-<2 hex>`).
    pub fn parse(traceparent: &str) -> Option<TraceContext> {
        let mut parts = traceparent.trim().split('-');
        let version = parts.next()?;
        let trace_id = parts.next()?;
        let span_id = parts.next()?;
        let flags = parts.next()?;
        if version.len() != 2
            || version == "ff"
            || trace_id.len() != 32
            || span_id.len() != 16
            || flags.len() != 2
        {
            return None;
        }
        let trace_id = u128::from_str_radix(trace_id, 16)
            .ok()
            .filter(|id| *id != 0)?;
        let parent_span_id = u64::from_str_radix(span_id, 16)
            .ok()
            .filter(|id| *id != 0)?;
        let flags = u8::from_str_radix(flags, 16).ok()?;
        Some(TraceContext {
            trace_id,
            parent_span_id,
            sampled: flags & 1 == 1,
        })
    }

    /// The trace an incoming request belongs to: its `traceparent`, or a new trace.
    pub fn from_headers(headers: &http::HeaderMap) -> TraceContext {
        headers
            .get("traceparent")
            .and_then(|value| value.to_str().ok())
            .and_then(TraceContext::parse)
            .unwrap_or_else(TraceContext::generate)
    }

    /// A new trace with no parent.
    pub fn generate() -> TraceContext {
        TraceContext {
            trace_id: rand::random::<u128>().max(1),
            parent_span_id: 0,
            sampled: true,
        }
    }

    /// The `traceparent` to send with a call made from within this trace: the current span is
    /// the parent, so the kept spans link up; without one, the span that handed the work over.
    pub fn child_traceparent(&self) -> String {
        if let Some((trace_id, span_id, sampled)) = span_ids(&tracing::Span::current())
            && trace_id == self.trace_id
        {
            let current = TraceContext {
                trace_id,
                parent_span_id: span_id,
                sampled,
            };
            return current.traceparent();
        }
        // Off the request's task (a writer task doing work on its behalf), the span that handed
        // the work over is the parent; a trace with no span at all gets a fresh id.
        let parent = TraceContext {
            parent_span_id: match self.parent_span_id {
                0 => rand::random::<u64>().max(1),
                known => known,
            },
            ..*self
        };
        parent.traceparent()
    }

    /// This context as a `traceparent` header value.
    pub fn traceparent(&self) -> String {
        format!(
            "00-{:032x}-{:016x}-{:02x}",
            self.trace_id,
            self.parent_span_id,
            u8::from(self.sampled)
        )
    }

    /// The span that sent this trace, as OpenTelemetry's remote parent; none for a new trace.
    fn span_context(&self) -> Option<opentelemetry::trace::SpanContext> {
        use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
        if self.parent_span_id == 0 {
            return None;
        }
        let flags = match self.sampled {
            true => TraceFlags::SAMPLED,
            false => TraceFlags::default(),
        };
        Some(SpanContext::new(
            TraceId::from(self.trace_id),
            SpanId::from(self.parent_span_id),
            flags,
            true,
            TraceState::default(),
        ))
    }

    /// The trace id to remember as an exemplar: none when the trace's spans are not kept, since
    /// a link to it would lead nowhere.
    pub fn exemplar(&self) -> u128 {
        match self.sampled {
            true => self.trace_id,
            false => 0,
        }
    }

    pub fn trace_id_hex(&self) -> String {
        format!("{:032x}", self.trace_id)
    }
}

tokio::task_local! {
    static CURRENT_TRACE: TraceContext;
    static HANDLING: Arc<Handling>;
}

/// A request, call or event a task is handling, and the one it was handled inside (an
/// in-process call inside an HTTP request): what a log line written in the task names, in place
/// of the request's span, which is then made only when its trace is kept (`logline`).
#[derive(Debug)]
pub(super) struct Handling {
    /// `http`, `grpc` or `event`.
    pub kind: &'static str,
    /// The route, method or consumer and subject.
    pub handler: String,
    /// Empty for an event.
    pub request_id: String,
    pub trace_id: u128,
    pub outer: Option<Arc<Handling>>,
}

/// Runs `future` in `trace`, as the handling of `handler` of `kind`: log lines written in it
/// name the request (and the one it is inside), whether the trace's spans are kept or not.
pub async fn handle_in<F: Future>(
    kind: &'static str,
    handler: String,
    request_id: String,
    trace: TraceContext,
    future: F,
) -> F::Output {
    let handling = Arc::new(Handling {
        kind,
        handler,
        request_id,
        trace_id: trace.trace_id,
        outer: current_handling(),
    });
    HANDLING.scope(handling, in_trace(trace, future)).await
}

/// What the current task is handling, if anything.
pub(super) fn current_handling() -> Option<Arc<Handling>> {
    HANDLING.try_with(Arc::clone).ok()
}

/// Runs `future` as part of `trace`, so that calls it makes carry the trace onward.
pub async fn in_trace<F: Future>(trace: TraceContext, future: F) -> F::Output {
    CURRENT_TRACE.scope(trace, future).await
}

/// The trace the current task belongs to, if any.
pub fn current_trace() -> Option<TraceContext> {
    CURRENT_TRACE.try_with(|trace| *trace).ok()
}

/// The current trace with the current span as the parent: what to hand to another task that
/// works on the current one's behalf (run it `in_trace`).
pub fn handoff() -> Option<TraceContext> {
    let trace = current_trace()?;
    match span_ids(&tracing::Span::current()) {
        Some((trace_id, parent_span_id, sampled)) if trace_id == trace.trace_id => {
            Some(TraceContext {
                trace_id,
                parent_span_id,
                sampled,
            })
        }
        _ => Some(trace),
    }
}

/// Makes the span of an incoming request, and returns it with the trace the request runs in.
/// The span carries the trace id as a field, and the attributes OpenTelemetry's semantic
/// conventions name for its `kind` (`http`, `grpc` or `event`), read from `name`
/// (`GET /route`, `/package.Service/Method`; an event's come with `consumer_span`). It joins the caller's trace (the remote parent),
/// and a request that came without one starts the trace OpenTelemetry made for it, so that logs,
/// the calls it makes and the kept spans all carry one trace id.
pub fn request_span(
    kind: &'static str,
    name: &str,
    trace: &TraceContext,
    request_id: &str,
) -> (tracing::Span, TraceContext) {
    // An HTTP request's spans are kept as the head sampling decides; a call or an event from
    // inside the shop follows the decision its caller made.
    // Health checks, scrapes, static files and the operations view watching itself are never
    // kept when they start a trace here, and take nothing from the sampling's budget.
    let make = || new_request_span(kind, name, request_id);
    let starts_here = kind == "http" || trace.parent_span_id == 0;
    let span = match kind {
        _ if starts_here && super::ring::is_noise(name) => {
            let let_go = TraceContext {
                sampled: false,
                ..*trace
            };
            CURRENT_TRACE.sync_scope(let_go, make)
        }
        "http" => make(),
        _ => within(trace, make),
    };
    let trace = join(&span, trace);
    span.record("trace_id", tracing::field::display(trace.trace_id_hex()));
    (span, trace)
}

/// Makes `span` as a part of `trace` when it continues one from elsewhere, so that the filter in
/// front of the OpenTelemetry layer follows that trace's sampling decision
/// (`telemetry::sampling`); a new trace is the filter's to decide.
fn within(trace: &TraceContext, span: impl FnOnce() -> tracing::Span) -> tracing::Span {
    match trace.parent_span_id {
        0 => span(),
        _ => CURRENT_TRACE.sync_scope(*trace, span),
    }
}

fn new_request_span(kind: &'static str, name: &str, request_id: &str) -> tracing::Span {
    // Every field is given here, not recorded later: each later record makes the JSON log layer
    // format the span's fields again, which cost a fifth of a product read's CPU.
    match kind {
        "http" => {
            let (method, route) = name.split_once(' ').unwrap_or((name, ""));
            tracing::info_span!(
                "request",
                otel.name = %name,
                otel.kind = "server",
                otel.status_code = Empty,
                otel.status_description = Empty,
                kind,
                name = %name,
                trace_id = Empty,
                request_id = %request_id,
                http.request.method = method,
                http.route = route,
                http.response.status_code = Empty,
            )
        }
        "grpc" => {
            let path = name.trim_start_matches('/');
            let (service, method) = path.split_once('/').unwrap_or((path, ""));
            tracing::info_span!(
                "request",
                otel.name = %name,
                otel.kind = "server",
                otel.status_code = Empty,
                otel.status_description = Empty,
                kind,
                name = %name,
                trace_id = Empty,
                request_id = %request_id,
                rpc.system = "grpc",
                rpc.service = service,
                rpc.method = method,
                rpc.grpc.status_code = Empty,
            )
        }
        _ => tracing::info_span!(
            "request",
            otel.name = %name,
            otel.kind = "consumer",
            otel.status_code = Empty,
            otel.status_description = Empty,
            kind,
            name = %name,
            trace_id = Empty,
            request_id = %request_id,
        ),
    }
}

/// Puts `span` in the caller's trace when there is one, and returns the trace it is in, marked
/// not sampled when its spans are not kept.
fn join(span: &tracing::Span, trace: &TraceContext) -> TraceContext {
    let mut trace = *trace;
    if !otel_enabled() {
        return trace;
    }
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    if let Some(remote) = trace.span_context() {
        let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(remote));
    }
    let context = span.context();
    let made = context.span().span_context().clone();
    match made.is_valid() {
        true => trace.trace_id = u128::from_be_bytes(made.trace_id().to_bytes()),
        // The sampling let the trace go: the calls it makes and its events say so onward.
        false => trace.sampled = false,
    }
    trace
}

/// Marks the current span failed, with `description`, as OpenTelemetry reads it.
pub fn mark_error(span: &tracing::Span, description: &str) {
    span.record("otel.status_code", "ERROR");
    span.record("otel.status_description", description);
}

/// The span that handles one delivery of an event: a consumer span in the trace of the change
/// that caused the event (its `traceparent`), or in a new trace; returned with that trace. It
/// also links to the span that published the event, since one publish fans out to every
/// consumer of its subject.
pub fn consumer_span(
    consumer: &str,
    subject: &str,
    event_id: &str,
    traceparent: Option<&str>,
) -> (tracing::Span, TraceContext) {
    let trace = traceparent
        .and_then(TraceContext::parse)
        .unwrap_or_else(TraceContext::generate);
    let name = format!("{consumer} {subject}");
    let span = within(&trace, || {
        tracing::info_span!(
            "request",
            otel.name = %name,
            otel.kind = "consumer",
            otel.status_code = Empty,
            otel.status_description = Empty,
            kind = "event",
            name = %name,
            trace_id = Empty,
            messaging.system = MESSAGING_SYSTEM,
            messaging.operation.type = "process",
            messaging.destination.name = subject,
            messaging.consumer.group.name = consumer,
            messaging.message.id = event_id,
        )
    });
    let joined = join(&span, &trace);
    span.record("trace_id", tracing::field::display(joined.trace_id_hex()));
    if otel_enabled()
        && joined.sampled
        && let Some(publisher) = trace.span_context()
    {
        use tracing_opentelemetry::OpenTelemetrySpanExt;
        span.add_link(publisher);
    }
    (span, joined)
}

/// The span of publishing one event, a producer span in the trace of the change that made the
/// event (its `traceparent`); the event's `traceparent` should then name this span, so that
/// each consumer's span is its child.
pub fn producer_span(subject: &str, event_id: &str, traceparent: Option<&str>) -> tracing::Span {
    let trace = traceparent.and_then(TraceContext::parse);
    let make = || {
        tracing::info_span!(
            "publish",
            otel.name = format!("publish {subject}"),
            otel.kind = "producer",
            otel.status_code = Empty,
            otel.status_description = Empty,
            messaging.system = MESSAGING_SYSTEM,
            messaging.operation.type = "send",
            messaging.destination.name = subject,
            messaging.message.id = event_id,
        )
    };
    let Some(trace) = trace else {
        return make();
    };
    let span = within(&trace, make);
    join(&span, &trace);
    span
}

/// A client span of the database `system` (`sqlite`, `postgresql`) doing `operation`; none
/// outside any span (a writer task's batch), where it would start a trace of its own.
pub fn db_span(system: &'static str, operation: &'static str) -> Option<tracing::Span> {
    if tracing::Span::current().is_none() {
        return None;
    }
    Some(tracing::info_span!(
        "db",
        otel.name = operation,
        otel.kind = "client",
        db.system.name = system,
        db.operation.name = operation,
    ))
}

/// What the shop's event bus is, as the messaging conventions name it.
pub const MESSAGING_SYSTEM: &str = "emporium";

/// The trace and span ids of `span`, and whether it is sampled, when spans are kept.
pub fn span_ids(span: &tracing::Span) -> Option<(u128, u64, bool)> {
    if !otel_enabled() {
        return None;
    }
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let context = span.context();
    let otel_span = context.span();
    let span_context = otel_span.span_context();
    span_context.is_valid().then(|| {
        (
            u128::from_be_bytes(span_context.trace_id().to_bytes()),
            u64::from_be_bytes(span_context.span_id().to_bytes()),
            span_context.is_sampled(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_traceparent_is_parsed() {
        let trace =
            TraceContext::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
        assert_eq!(trace.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(trace.parent_span_id, 0x00f067aa0ba902b7);
        assert!(trace.sampled);
        let child = trace.child_traceparent();
        assert!(child.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
        assert_eq!(
            TraceContext::parse(&child).unwrap().trace_id,
            trace.trace_id
        );
    }

    #[test]
    fn malformed_traceparents_are_refused() {
        for bad in [
            "",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-zzf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceContext::parse(bad), None, "{bad}");
        }
    }
}
