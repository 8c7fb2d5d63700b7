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
    // The handles it keeps are the recorder's: it must be there before the first is made.
    telemetry::metrics();
    BoxCloneSyncService::new(Observed {
        inner: transport,
        caller,
        callee,
        edge: format!("{caller}→{callee}").into(),
        methods: Arc::default(),
    })
}

#[derive(Clone)]
struct Observed {
    inner: Transport,
    caller: &'static str,
    callee: &'static str,
    /// Shared by the clones each call makes.
    edge: Arc<str>,
    /// Each method's metrics, and the method as a label.
    methods: Arc<Handles<String, (Family, Arc<str>)>>,
}

impl Observed {
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
}

impl Service<http::Request<Body>> for Observed {
    type Response = http::Response<Body>;
    type Error = Status;
    type Future = BoxFuture<'static, Result<http::Response<Body>, Status>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), Status>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        // The readied service goes into the future; a fresh clone waits for the next call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let (caller, callee, edge) = (self.caller, self.callee, self.edge.clone());
        let path = request.uri().path();
        let method = path.rsplit('/').next().unwrap_or_default();
        let span = client_span(caller, callee, path, method);
        let (family, method) = self.metrics(method);
        if let Some(traceparent) = traceparent_of(&span)
            && let Ok(value) = traceparent.parse()
        {
            request.headers_mut().insert("traceparent", value);
        }
        let trace_id = telemetry::current_trace().map_or(0, |trace| trace.exemplar());
        let future = async move {
            let started = Instant::now();
            let answer = inner.call(request).await;
            let code = match &answer {
                Ok(response) => Status::from_header_map(response.headers())
                    .map_or(tonic::Code::Ok, |status| status.code()),
                Err(status) => status.code(),
            };
            let elapsed = started.elapsed();
            let span = tracing::Span::current();
            span.record("rpc.grpc.status_code", code as i32);
            let failed = is_server_fault(code);
            if failed {
                telemetry::mark_error(&span, &format!("{code:?}"));
            }
            family.record(code as i32, elapsed.as_secs_f64(), trace_id, || {
                metrics::counter!("rpc_client_calls_total", "caller" => caller, "callee" => callee, "rpc_method" => method.to_string(), "code" => format!("{code:?}"))
            });
            Red::global().record(Kind::Edge, &edge, elapsed, !failed, trace_id);
            answer
        };
        Box::pin(future.instrument(span))
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

/// The `traceparent` that makes `span` the parent of the callee's span.
fn traceparent_of(span: &tracing::Span) -> Option<String> {
    let (trace_id, span_id, sampled) = telemetry::span_ids(span)?;
    let trace = TraceContext {
        trace_id,
        parent_span_id: span_id,
        sampled,
    };
    Some(trace.traceparent())
}
