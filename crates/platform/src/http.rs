//! The HTTP server side: request spans and metrics, request ids, health and metrics endpoints,
//! and serving with graceful shutdown.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tracing::Instrument;

use crate::Shutdown;
use crate::telemetry::handles::{Family, Handles};
use crate::telemetry::red::{Kind, Red};
use crate::telemetry::{self, TraceContext};

/// The header that carries a request's id, echoed on every response.
pub const REQUEST_ID: &str = "x-request-id";

/// Wraps every request in a span with its trace and request ids, echoes the request id, and records
/// `http_requests_total` and `http_request_duration_seconds` by matched route.
pub async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let route = matched.as_ref().map_or("unmatched", MatchedPath::as_str);
    let method = known_method(request.method());
    let name = format!("{method} {route}");
    // A caller outside may not decide whether the shop keeps its request's spans: the head
    // sampling does (`telemetry::sampling`).
    let trace = TraceContext::from_headers(request.headers());
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty() && value.len() <= 128)
        .map(str::to_owned)
        // Without one of its own, a request is known by its trace id, which is random already.
        .unwrap_or_else(|| trace.trace_id_hex());
    let (span, trace) = telemetry::request_span("http", &name, &trace, &request_id);

    let handled = next.run(request);
    let handled = telemetry::handle_in("http", name.clone(), request_id.clone(), trace, handled);
    let mut response = handled.instrument(span.clone()).await;

    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    // A 4xx is the caller's mistake; only the server's own failures mark the span failed.
    if status >= 500 {
        telemetry::mark_error(&span, &format!("answered {status}"));
    }
    let elapsed = started.elapsed();
    let exemplar = trace.exemplar();
    Red::global().record(Kind::Route, &name, elapsed, status < 500, exemplar);
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let seconds = elapsed.as_secs_f64();
    route_metrics(&name, route, method).record(i32::from(status), seconds, exemplar, || {
        metrics::counter!("http_requests_total", "route" => route.to_owned(), "method" => method, "status" => status.to_string())
    });
    response
}

/// `http_requests_total` and `http_request_duration_seconds` of the route `name`
/// (`GET /route`), made once.
fn route_metrics(name: &str, route: &str, method: &'static str) -> Family {
    static ROUTES: OnceLock<Handles<String, Family>> = OnceLock::new();
    ROUTES.get_or_init(Handles::default).get(name, || {
        let labels = [("route", route), ("method", method)];
        let family = Family::new("http_request_duration_seconds", &labels);
        (name.to_owned(), family)
    })
}

/// The method as a label: one of HTTP's own, or `_OTHER` (OpenTelemetry's word), so that a
/// caller cannot make a series per invented method.
fn known_method(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "_OTHER",
    }
}

/// Whether the process is ready for traffic: false until start-up is done and again once
/// shutdown begins, so that load balancers stop sending before the drain.
#[derive(Clone, Debug, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub fn set_ready(&self, ready: bool) {
        self.0.store(ready, Ordering::Release);
    }

    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// The answer for a path no route serves: a problem document, as every other error.
pub async fn not_found(uri: axum::http::Uri) -> crate::error::Problem {
    crate::error::Problem::not_found(format!("no route for {}", uri.path())).with_kind("not-found")
}

/// `/livez`, `/readyz` and `/metrics`.
pub fn operational_routes(readiness: Readiness) -> Router {
    // Install the recorder before the first request, so that no measurement is lost.
    telemetry::metrics();
    Router::new()
        .route("/livez", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .with_state(readiness)
}

async fn ready(State(readiness): State<Readiness>) -> Response {
    if readiness.is_ready() {
        "ready".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready").into_response()
    }
}

/// The Prometheus text format, or OpenMetrics with exemplars for a scraper that asks for it.
async fn metrics(headers: HeaderMap) -> Response {
    use telemetry::openmetrics;
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let text = telemetry::render_metrics();
    match accept.is_some_and(openmetrics::wanted) {
        true => (
            [(header::CONTENT_TYPE, openmetrics::CONTENT_TYPE)],
            openmetrics::from_prometheus(&text),
        )
            .into_response(),
        false => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
    }
}

/// Serves `app` on `listener` until `shutdown`, then lets the requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    // With the peer's address, for whatever keys on it (rate limits of anonymous callers).
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move { shutdown.wait().await })
    .await
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn shutdown_lets_requests_in_flight_finish_and_refuses_new_ones() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let app = Router::new().route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(400)).await;
                "done"
            }),
        );
        let shutdown = Shutdown::new();
        let server = tokio::spawn(serve(listener, app, shutdown.clone()));
        let in_flight = tokio::spawn(async move {
            reqwest::get(format!("http://{address}/slow"))
                .await?
                .text()
                .await
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        shutdown.trigger();
        assert_eq!(
            in_flight.await.unwrap().unwrap(),
            "done",
            "the request in flight completes"
        );
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(
            reqwest::get(format!("http://{address}/slow"))
                .await
                .is_err(),
            "no new connections after the drain"
        );
    }

    #[tokio::test]
    async fn readiness_follows_its_flag() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let readiness = Readiness::default();
        let app = operational_routes(readiness.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let shutdown = Shutdown::new();
        tokio::spawn(serve(listener, app, shutdown.clone()));
        assert_eq!(
            reqwest::get(format!("http://{address}/readyz"))
                .await
                .unwrap()
                .status(),
            503
        );
        readiness.set_ready(true);
        assert_eq!(
            reqwest::get(format!("http://{address}/readyz"))
                .await
                .unwrap()
                .status(),
            200
        );
        assert_eq!(
            reqwest::get(format!("http://{address}/livez"))
                .await
                .unwrap()
                .status(),
            200
        );
        shutdown.trigger();
    }
}
