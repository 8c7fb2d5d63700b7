//! One client type per service, whatever the transport: in-process or gRPC over the network.
//!
//! A `Transport` is a boxed gRPC service. In-process it is the servers themselves behind the
//! same `ServerLayer` the network server runs (no sockets, same protobuf, same auth checks);
//! over the network it is a tonic `Channel`. Generated clients take either:
//! `CatalogClient::new(transport.clone())`. `Direct` skips the codec for a hot unary read when
//! the callee runs in this process.

mod client;
mod direct;

use std::time::Duration;

use tonic::Status;
use tonic::body::Body;
use tonic::service::Routes;
use tower::util::BoxCloneSyncService;
use tower::{Layer, ServiceExt};

use crate::grpc::ServerLayer;
use crate::resilience::{self, BreakerConfig, CircuitBreaker};
use crate::telemetry;
use crate::tls::ClientTls;

pub use self::client::observed;
pub use self::direct::Direct;

/// The most calls one process has in flight to one downstream; more wait their turn.
const MAX_IN_FLIGHT: usize = 512;

/// The transport every generated client runs on.
pub type Transport = BoxCloneSyncService<http::Request<Body>, http::Response<Body>, Status>;

/// Calls the services in `routes` directly, through `layer`.
pub fn in_process(routes: Routes, layer: ServerLayer) -> Transport {
    let service = layer.layer(routes.prepare());
    let service =
        ServiceExt::<http::Request<Body>>::map_err(service, |never: std::convert::Infallible| {
            match never {}
        });
    BoxCloneSyncService::new(service)
}

/// Calls a remote server at `endpoint` (`http://host:port`); connects on first use and reconnects
/// by itself.
pub fn network(endpoint: &str) -> anyhow::Result<Transport> {
    network_with(endpoint, None)
}

/// `network` over mutual TLS (`https://host:port`): the channel presents this process's
/// certificate and trusts only the configured authority.
pub fn network_tls(endpoint: &str, tls: &ClientTls) -> anyhow::Result<Transport> {
    network_with(endpoint, Some(tls))
}

fn network_with(endpoint: &str, tls: Option<&ClientTls>) -> anyhow::Result<Transport> {
    let mut builder = tonic::transport::Endpoint::from_shared(endpoint.to_owned())
        .map_err(|error| anyhow::anyhow!("invalid endpoint `{endpoint}`: {error}"))?
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(5));
    if let Some(tls) = tls {
        anyhow::ensure!(
            endpoint.starts_with("https://"),
            "endpoint `{endpoint}`: with mTLS, service URLs start with https://"
        );
        builder = builder
            .tls_config(tls.config())
            .map_err(|error| anyhow::anyhow!("TLS for `{endpoint}`: {error}"))?;
    }
    let channel = builder.connect_lazy();
    let service = ServiceExt::<http::Request<Body>>::map_err(channel, |error| {
        Status::from_error(Box::new(error))
    });
    // A breaker per downstream, and a bound on the calls in flight to it.
    let service = tower::ServiceBuilder::new()
        .layer(CircuitBreaker::new(endpoint, BreakerConfig::default()))
        .layer(tower::limit::ConcurrencyLimitLayer::new(MAX_IN_FLIGHT))
        .service(service);
    Ok(BoxCloneSyncService::new(service))
}

/// A transport to a service this process has no address for: every call fails with
/// `UNAVAILABLE`, naming the setting to fill.
pub fn missing(name: &str) -> Transport {
    let message = format!("{name} does not run here and `remote.{name}_grpc` is not set");
    BoxCloneSyncService::new(tower::service_fn(move |_request: http::Request<Body>| {
        let message = message.clone();
        async move { Err::<http::Response<Body>, Status>(Status::unavailable(message)) }
    }))
}

/// Gives `request` the timeout `wanted`, or less when the call being handled has less time left.
pub fn set_timeout<T>(request: &mut tonic::Request<T>, wanted: Duration) {
    if let Some(timeout) = resilience::timeout_within_deadline(Some(wanted)) {
        request.set_timeout(timeout);
    }
}

/// A request that carries `token` and the current trace onward.
pub fn request<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = anonymous(message);
    if let Ok(value) = format!("Bearer {token}").parse() {
        request.metadata_mut().insert("authorization", value);
    }
    request
}

/// A request without a token (to the few public methods), carrying the current trace onward,
/// and what remains of the current call's deadline as its timeout.
pub fn anonymous<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(timeout) = resilience::timeout_within_deadline(None) {
        request.set_timeout(timeout);
    }
    if let Some(trace) = telemetry::current_trace()
        && let Ok(value) = trace.child_traceparent().parse()
    {
        request.metadata_mut().insert("traceparent", value);
    }
    request
}
