//! The client side of every call between services: a client span in the caller's trace, whose
//! id goes on in `traceparent` (so the callee's server span is its child), and the figures of
//! each edge of the service map: `rpc_client_calls_total` and `rpc_client_duration_seconds` by
//! caller and callee, and the edge's series in the operations view.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use futures_util::future::BoxFuture;
use tonic::Status;
use tonic::body::Body;
use tower::Service;
use tower::util::BoxCloneSyncService;
use tracing::Instrument as _;

use super::Transport;
use crate::grpc::is_server_fault;
use crate::telemetry::handles::{Family, Handles};
use crate::telemetry::red::{Kind, Red};
use crate::telemetry::{self, TraceContext};

/// `transport`, observed as calls from `caller` to `callee`.
pub fn observed(transport: Transport, caller: &'static str, callee: &'static str) -> Transport {
    BoxCloneSyncService::new(Observed {
        inner: transport,
        edge: Edge::new(caller, callee),
    })
}

#[derive(Clone)]
struct Observed {
    inner: Transport,
    edge: Edge,
}

impl Service<http::Request<Body>> for Observed {
    type Response = http::Response<Body>;
    type Error = Status;
    type Future = BoxFuture<'static, Result<http::Response<Body>, Status>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), Status>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // The readied service goes into the future; a fresh clone waits for the next call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let (mut parts, body) = request.into_parts();
        let (observation, parent) = self.edge.begin(parts.uri.path());
        if let Some(value) = parent.and_then(|parent| parent.traceparent().parse().ok()) {
            parts.headers.insert("traceparent", value);
        }
        let call = inner.call(http::Request::from_parts(parts, body));
        Box::pin(observation.watch(call, |response| {
            Status::from_header_map(response.headers())
                .map_or(tonic::Code::Ok, |status| status.code())
        }))
    }
}

/// One caller→callee edge of the service map, and the figures of the calls made along it.
#[derive(Clone)]
pub(crate) struct Edge {
    caller: &'static str,
    callee: &'static str,
    /// Shared by the clones each call makes.
    name: Arc<str>,
    /// Each method's metrics, and the method as a label.
    methods: Arc<Handles<String, (Family, Arc<str>)>>,
}

impl Edge {
    pub(crate) fn new(caller: &'static str, callee: &'static str) -> Edge {
        // The handles it keeps are the recorder's: it must be there before the first is made.
        telemetry::metrics();
        Edge {
            caller,
            callee,
            name: format!("{caller}→{callee}").into(),
            methods: Arc::default(),
        }
    }

    /// The client metrics of `method` on this edge, made once.
    fn metrics(&self, method: &str) -> (Family, Arc<str>) {
        let (caller, callee) = (self.caller, self.callee);
        self.methods.get(method, || {
            let labels = [
                ("caller", caller),
                ("callee", callee),
                ("rpc_method", method),
            ];
            let family = Family::new("rpc_client_duration_seconds", &labels);
            (method.to_owned(), (family, method.into()))
        })
    }

    /// Begins a call of `path` (`/package.Service/Method`) along the edge: its client span, and
    /// the trace context that makes the span the callee's parent.
    pub(crate) fn begin(&self, path: &str) -> (Observation, Option<TraceContext>) {
        let method = path.rsplit('/').next().unwrap_or_default();
        let span = client_span(self.caller, self.callee, path, method);
        let (family, method) = self.metrics(method);
        let parent = parent_of_callee(&span);
        let observation = Observation {
            span,
            family,
            method,
            trace_id: telemetry::current_trace().map_or(0, |trace| trace.exemplar()),
            edge: self.clone(),
        };
        (observation, parent)
    }
}

/// A call along an edge, begun.
pub(crate) struct Observation {
    span: tracing::Span,
    family: Family,
    method: Arc<str>,
    trace_id: u128,
    edge: Edge,
}

impl Observation {
    /// Awaits `call` in the client span, and records how it ended: an error's status, or what
    /// `code_of` reads from an answer.
    pub(crate) async fn watch<T>(
        self,
        call: impl Future<Output = Result<T, Status>>,
        code_of: impl FnOnce(&T) -> tonic::Code,
    ) -> Result<T, Status> {
        let Observation {
            span,
            family,
            method,
            trace_id,
            edge,
        } = self;
        let future = async move {
            let started = Instant::now();
            let answer = call.await;
            let code = match &answer {
                Ok(response) => code_of(response),
                Err(status) => status.code(),
            };
            let elapsed = started.elapsed();
            let span = tracing::Span::current();
            span.record("rpc.grpc.status_code", code as i32);
            let failed = is_server_fault(code);
            if failed {
                telemetry::mark_error(&span, &format!("{code:?}"));
            }
            let (caller, callee) = (edge.caller, edge.callee);
            family.record(code as i32, elapsed.as_secs_f64(), trace_id, || {
                metrics::counter!("rpc_client_calls_total", "caller" => caller, "callee" => callee, "rpc_method" => method.to_string(), "code" => format!("{code:?}"))
            });
            Red::global().record(Kind::Edge, &edge.name, elapsed, !failed, trace_id);
            answer
        };
        future.instrument(span).await
    }
}

fn client_span(caller: &str, callee: &str, path: &str, method: &str) -> tracing::Span {
    let service = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    tracing::info_span!(
        "call",
        otel.name = %path.trim_start_matches('/'),
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        otel.status_description = tracing::field::Empty,
        emporium.service = caller,
        peer.service = callee,
        rpc.system = "grpc",
        rpc.service = service,
        rpc.method = method,
        rpc.grpc.status_code = tracing::field::Empty,
    )
}

/// The trace context that makes `span` the parent of the callee's span.
fn parent_of_callee(span: &tracing::Span) -> Option<TraceContext> {
    let (trace_id, span_id, sampled) = telemetry::span_ids(span)?;
    Some(TraceContext {
        trace_id,
        parent_span_id: span_id,
        sampled,
    })
}
