//! The gRPC server side: one layer that every call passes through, in-process or over the network.
//!
//! `ServerLayer` gives each call a span with its trace id, verifies the bearer token (except for
//! the few public methods), refuses peers off the mTLS allow list, enforces the `grpc-timeout`
//! deadline and runs the handler under it (so the calls it makes carry what remains), turns a
//! panic into `INTERNAL`, and records the RED metrics. `serve` runs services behind it on a TCP
//! listener with the gRPC health service; `serve_tls` over mutual TLS.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tonic::Status;
use tonic::body::Body;
use tonic::service::Routes;
use tonic::transport::server::{TcpConnectInfo, TcpIncoming, TlsConnectInfo};
use tower::{Layer, Service};
use tracing::Instrument;

use crate::Shutdown;
use crate::auth::{Principal, Verifier};
use crate::resilience;
use crate::telemetry::handles::{Family, Handles};
use crate::telemetry::red::{Kind, Red};
use crate::telemetry::{self, TraceContext};
use crate::tls::{AllowList, ServerTls, spiffe_id_of};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Methods anyone may call without a token: health checks, reflection, and those a service names.
const ALWAYS_PUBLIC: &[&str] = &[
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1.ServerReflection/",
    "/grpc.reflection.v1alpha.ServerReflection/",
];

/// The layer every gRPC server and in-process transport runs.
#[derive(Clone, Debug)]
pub struct ServerLayer {
    verifier: Verifier,
    public_methods: Arc<[&'static str]>,
    max_timeout: Duration,
    /// With mTLS: the SPIFFE ids that may call over the network.
    allowed_peers: Option<AllowList>,
}

impl ServerLayer {
    /// `public_methods` are full paths (`/emporium.identity.v1.Identity/Login`) that need no token.
    pub fn new(verifier: Verifier, public_methods: &[&'static str]) -> ServerLayer {
        // Install the recorder before the first call, so that no measurement is lost.
        telemetry::metrics();
        ServerLayer {
            verifier,
            public_methods: public_methods.into(),
            max_timeout: Duration::from_secs(30),
            allowed_peers: None,
        }
    }

    /// Refuses calls that came over TLS from an identity not in `allowed` (`PERMISSION_DENIED`,
    /// before the token is looked at). In-process calls have no peer and pass.
    pub fn with_allowed_peers(mut self, allowed: AllowList) -> ServerLayer {
        self.allowed_peers = Some(allowed);
        self
    }

    /// Why a call from this peer is refused, if it is.
    fn refuse_peer<B>(&self, request: &http::Request<B>) -> Option<Status> {
        let allowed = self.allowed_peers.as_ref()?;
        let info = request
            .extensions()
            .get::<TlsConnectInfo<TcpConnectInfo>>()?;
        let identity = info
            .peer_certs()
            .and_then(|certificates| certificates.first().and_then(|leaf| spiffe_id_of(leaf)));
        match identity {
            Some(identity) if allowed.allows(&identity) => None,
            Some(identity) => Some(Status::permission_denied(format!(
                "{identity} may not call this service"
            ))),
            None => Some(Status::permission_denied(
                "the client certificate carries no SPIFFE id",
            )),
        }
    }

    /// The longest a call may run, whatever deadline the caller asked for.
    pub fn with_max_timeout(mut self, max_timeout: Duration) -> ServerLayer {
        self.max_timeout = max_timeout;
        self
    }

    fn is_public(&self, path: &str) -> bool {
        ALWAYS_PUBLIC.iter().any(|prefix| path.starts_with(prefix))
            || self.public_methods.contains(&path)
    }
}

impl<S> Layer<S> for ServerLayer {
    type Service = ServerService<S>;

    fn layer(&self, inner: S) -> ServerService<S> {
        ServerService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service `ServerLayer` wraps around a gRPC server.
#[derive(Clone, Debug)]
pub struct ServerService<S> {
    inner: S,
    layer: ServerLayer,
}

impl<S, RequestBody, ResponseBody> Service<http::Request<RequestBody>> for ServerService<S>
where
    S: Service<http::Request<RequestBody>, Response = http::Response<ResponseBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    RequestBody: Send + 'static,
    ResponseBody: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    ResponseBody::Error: Into<BoxError>,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<http::Response<Body>, S::Error>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, mut request: http::Request<RequestBody>) -> Self::Future {
        // The readied service goes into the future; a fresh clone waits for the next call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        let path = request.uri().path().to_owned();
        let trace = TraceContext::from_headers(request.headers());
        let admission = layer.admit(&path, request.headers(), trace);
        let (span, exemplar) = (admission.span.clone(), admission.trace.exemplar());

        let future = async move {
            let started = Instant::now();
            // Public methods (health, reflection, sign-up) answer any peer, as before a token.
            let peer_refused = match layer.is_public(&path) {
                true => None,
                false => layer.refuse_peer(&request),
            };
            let refused = match peer_refused {
                Some(status) => Err(status),
                None => layer.authenticate(&path, request.headers()).await,
            };
            // Only the layer says who calls: a principal the caller put in is dropped.
            request.extensions_mut().remove::<Arc<Principal>>();
            let response = match refused {
                Err(status) => status.into_http(),
                Ok(principal) => {
                    if let Some(principal) = principal {
                        request.extensions_mut().insert(principal);
                    }
                    match admission
                        .run(path.clone(), started, inner.call(request))
                        .await
                    {
                        Err(status) => status.into_http(),
                        Ok(Err(error)) => return Err(error),
                        Ok(Ok(response)) => response.map(Body::new),
                    }
                }
            };
            // A call that fails before its body has its status in the headers; otherwise it
            // is OK until the trailers say more, which the unary calls we serve always agree
            // with.
            let code = Status::from_header_map(response.headers())
                .map_or(tonic::Code::Ok, |status| status.code());
            record(&path, code, started.elapsed(), exemplar);
            Ok(response)
        };
        Box::pin(future.instrument(span))
    }
}

impl ServerLayer {
    /// Runs a unary method of a service in this process as a call through the layer runs (the
    /// same span, token check, deadline, panic guard and metrics), without encoding the
    /// messages or routing by path: `handler` is the generated server trait's method.
    /// `path` is the method's full path, as the generated client sends it.
    pub async fn unary<M, R, F>(
        &self,
        path: &str,
        request: tonic::Request<M>,
        handler: impl FnOnce(tonic::Request<M>) -> F,
    ) -> Result<tonic::Response<R>, Status>
    where
        F: Future<Output = Result<tonic::Response<R>, Status>>,
    {
        let (metadata, mut extensions, message) = request.into_parts();
        let headers = metadata.into_headers();
        // A direct caller hands its span's context over as it is; others sent `traceparent`.
        let trace = extensions
            .remove::<TraceContext>()
            .unwrap_or_else(|| TraceContext::from_headers(&headers));
        let admission = self.admit(path, &headers, trace);
        let (span, exemplar) = (admission.span.clone(), admission.trace.exemplar());
        let future = async move {
            let started = Instant::now();
            let answer = match self.authenticate(path, &headers).await {
                Err(status) => Err(status),
                Ok(principal) => {
                    // Only the layer says who calls: a principal the caller put in is dropped.
                    extensions.remove::<Arc<Principal>>();
                    if let Some(principal) = principal {
                        extensions.insert(principal);
                    }
                    let metadata = tonic::metadata::MetadataMap::from_headers(headers);
                    let request = tonic::Request::from_parts(metadata, extensions, message);
                    // Made inside the guard, so that a panic making the future is caught too.
                    let call = async move { handler(request).await };
                    admission
                        .run(path.to_owned(), started, call)
                        .await
                        .and_then(|answer| answer)
                }
            };
            let code = answer
                .as_ref()
                .map_or_else(Status::code, |_| tonic::Code::Ok);
            record(path, code, started.elapsed(), exemplar);
            answer
        };
        future.instrument(span).await
    }

    /// What a call's headers say about running it in `trace`: its span, request id and timeout.
    fn admit(&self, path: &str, headers: &http::HeaderMap, trace: TraceContext) -> Admission {
        let request_id = headers
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_default();
        let timeout = headers
            .get("grpc-timeout")
            .and_then(|value| value.to_str().ok())
            .and_then(parse_grpc_timeout)
            .map_or(self.max_timeout, |asked| asked.min(self.max_timeout));
        let (span, trace) = telemetry::request_span("grpc", path, &trace, &request_id);
        Admission {
            span,
            trace,
            request_id,
            timeout,
        }
    }

    /// The caller's principal from the bearer token in `headers`, or why the call is refused;
    /// public methods need none.
    async fn authenticate(
        &self,
        path: &str,
        headers: &http::HeaderMap,
    ) -> Result<Option<Arc<Principal>>, Status> {
        if self.is_public(path) {
            return Ok(None);
        }
        let principal = self
            .verifier
            .verify_header(headers.get(http::header::AUTHORIZATION))
            .await?;
        Ok(Some(principal))
    }
}

/// A call admitted by the layer, before it runs.
struct Admission {
    span: tracing::Span,
    trace: TraceContext,
    request_id: String,
    timeout: Duration,
}

impl Admission {
    /// Runs `call` under the call's deadline (so the calls it makes carry what remains) and in
    /// its telemetry, with a panic turned into `INTERNAL`.
    async fn run<F: Future>(
        self,
        path: String,
        started: Instant,
        call: F,
    ) -> Result<F::Output, Status> {
        let call = resilience::within_deadline(started + self.timeout, call);
        let call = telemetry::handle_in("grpc", path, self.request_id, self.trace, call);
        let call = AssertUnwindSafe(call).catch_unwind();
        match tokio::time::timeout(self.timeout, call).await {
            Err(_elapsed) => Err(Status::deadline_exceeded("the deadline expired")),
            Ok(Err(_panic)) => {
                tracing::error!("the handler panicked");
                Err(Status::internal("the server failed to handle the call"))
            }
            Ok(Ok(output)) => Ok(output),
        }
    }
}

fn record(path: &str, code: tonic::Code, elapsed: Duration, trace_id: u128) {
    let full = match code {
        // A path no service answered (or that was refused before any did) may be invented by the
        // caller: as a label it would make a series per invention.
        tonic::Code::Unimplemented
        | tonic::Code::Unauthenticated
        | tonic::Code::PermissionDenied => "unknown/unknown",
        _ => path.trim_start_matches('/'),
    };
    let method = method_figures(full);
    let span = tracing::Span::current();
    span.record("rpc.grpc.status_code", code as i32);
    let failed = is_server_fault(code);
    if failed {
        telemetry::mark_error(&span, &format!("{code:?}"));
    }
    Red::global().record(Kind::Rpc, &method.red_name, elapsed, !failed, trace_id);
    method
        .family
        .record(code as i32, elapsed.as_secs_f64(), trace_id, || {
            let (service, method) = split_path(full);
            metrics::counter!(
                "grpc_server_handled_total",
                "grpc_service" => service.to_owned(),
                "grpc_method" => method.to_owned(),
                "grpc_code" => format!("{code:?}"),
            )
        });
}

/// What the server records of one method, made once.
#[derive(Clone)]
struct MethodFigures {
    /// `grpc_server_handled_total` and `grpc_server_handling_seconds`.
    family: Family,
    /// The method in the operations view: `catalog/GetProduct`.
    red_name: Arc<str>,
}

/// The figures of `full` (`package.Service/Method`).
fn method_figures(full: &str) -> MethodFigures {
    static METHODS: OnceLock<Handles<String, MethodFigures>> = OnceLock::new();
    METHODS.get_or_init(Handles::default).get(full, || {
        let (service, method) = split_path(full);
        let labels = [("grpc_service", service), ("grpc_method", method)];
        let short = service
            .strip_prefix("emporium.")
            .and_then(|rest| rest.split('.').next());
        let figures = MethodFigures {
            family: Family::new("grpc_server_handling_seconds", &labels),
            red_name: format!("{}/{method}", short.unwrap_or(service)).into(),
        };
        (full.to_owned(), figures)
    })
}

/// Whether `code` says the server failed, as opposed to a refusal of the caller's request (a
/// missing product, a declined card); the first counts as an error in the RED figures and marks
/// the span failed.
pub fn is_server_fault(code: tonic::Code) -> bool {
    use tonic::Code;
    matches!(
        code,
        Code::Unknown
            | Code::DeadlineExceeded
            | Code::Unimplemented
            | Code::Internal
            | Code::Unavailable
            | Code::DataLoss
    )
}

fn split_path(path: &str) -> (&str, &str) {
    let path = path.trim_start_matches('/');
    path.split_once('/').unwrap_or((path, ""))
}

/// Parses a `grpc-timeout` header value: up to 8 digits and a unit (H, M, S, m, u, n).
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.saturating_mul(3600)),
        "M" => Duration::from_secs(amount.saturating_mul(60)),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

/// Serves `routes` on `listener` behind `layer`, with the gRPC health service, until `shutdown`;
/// then drains the calls in flight.
/// Health answers for the whole server (`""`) and for each of `services` by its full name.
pub async fn serve(
    listener: tokio::net::TcpListener,
    routes: Routes,
    services: Vec<&'static str>,
    layer: ServerLayer,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    serve_incoming(incoming, routes, services, layer, shutdown).await
}

/// `serve` over mutual TLS: only clients with a certificate from the configured authority get
/// a connection; the files are reloaded when they change, until `shutdown`.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    routes: Routes,
    services: Vec<&'static str>,
    layer: ServerLayer,
    tls: ServerTls,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    tokio::spawn(tls.clone().watch(shutdown.clone()));
    serve_incoming(tls.incoming(listener), routes, services, layer, shutdown).await
}

/// Serves `routes` and the health service on the connections `incoming` yields; health says
/// "not serving" once `shutdown` trips, and the server drains.
async fn serve_incoming<I, IO, IE>(
    incoming: I,
    routes: Routes,
    services: Vec<&'static str>,
    layer: ServerLayer,
    shutdown: Shutdown,
) -> anyhow::Result<()>
where
    I: futures_util::Stream<Item = Result<IO, IE>>,
    IO: tokio::io::AsyncRead
        + tokio::io::AsyncWrite
        + tonic::transport::server::Connected
        + Unpin
        + Send
        + 'static,
    IO::ConnectInfo: Clone + Send + Sync + 'static,
    IE: Into<BoxError>,
{
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    let names: Vec<&'static str> = [""].into_iter().chain(services).collect();
    for name in &names {
        health_reporter
            .set_service_status(*name, tonic_health::ServingStatus::Serving)
            .await;
    }
    let drained = async move {
        shutdown.wait().await;
        for name in &names {
            health_reporter
                .set_service_status(*name, tonic_health::ServingStatus::NotServing)
                .await;
        }
    };
    tonic::transport::Server::builder()
        .layer(layer)
        .add_routes(routes)
        .add_service(health_service)
        .serve_with_incoming_shutdown(incoming, drained)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_are_parsed_in_every_unit() {
        assert_eq!(parse_grpc_timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(parse_grpc_timeout("150m"), Some(Duration::from_millis(150)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_grpc_timeout("10u"), Some(Duration::from_micros(10)));
        assert_eq!(parse_grpc_timeout("5x"), None);
        assert_eq!(parse_grpc_timeout("S"), None);
        assert_eq!(parse_grpc_timeout("123456789S"), None);
    }
}
