//! The Prometheus recorder behind `/metrics`, with the descriptions of the platform's metrics.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// How often histogram samples are folded into their buckets.
const METRICS_UPKEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// The buckets of histograms of shares: an overlap, a cosine.
const SHARE_BUCKETS: [f64; 12] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0];

/// The buckets of function invocations, which take microseconds (a fresh instance runs in
/// about 10 µs) up to their wall-clock limit (at most 30 s).
const FUNCTION_BUCKETS: [f64; 19] = [
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The process-wide Prometheus recorder; installed on first use.
pub fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        // Shares (0 to 1: an overlap, a cosine) are not latencies: buckets of their own.
        let recorder = PrometheusBuilder::new()
            .set_buckets(&super::red::BUCKETS)
            .and_then(|builder| {
                builder
                    .set_buckets_for_metric(Matcher::Suffix("_overlap".to_owned()), &SHARE_BUCKETS)
            })
            .and_then(|builder| {
                builder.set_buckets_for_metric(
                    Matcher::Suffix("_agreement".to_owned()),
                    &SHARE_BUCKETS,
                )
            })
            .and_then(|builder| {
                builder.set_buckets_for_metric(
                    Matcher::Full("function_duration_seconds".to_owned()),
                    &FUNCTION_BUCKETS,
                )
            })
            .expect("the bucket lists are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (tests); ours still renders what it records.
        let _ = metrics::set_global_recorder(recorder);
        describe_metrics();
        // Histograms keep each sample until upkeep folds it into the buckets; upkeep also runs
        // on every scrape, but a shop nobody scrapes must not grow (a heap profile found this).
        let upkeep = handle.clone();
        let _ = std::thread::Builder::new()
            .name("metrics-upkeep".to_owned())
            .spawn(move || {
                loop {
                    std::thread::sleep(METRICS_UPKEEP_INTERVAL);
                    upkeep.run_upkeep();
                }
            });
        handle
    })
}

/// The Prometheus text exposition of every metric recorded so far.
pub fn render_metrics() -> String {
    let handle = metrics();
    handle.run_upkeep();
    handle.render()
}

fn describe_metrics() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "http_requests_total",
        "HTTP requests handled, by route, method and status"
    );
    describe_histogram!(
        "http_request_duration_seconds",
        Unit::Seconds,
        "Time to handle an HTTP request, by route and method"
    );
    describe_counter!(
        "grpc_server_handled_total",
        "gRPC calls handled, by service, method and code"
    );
    describe_histogram!(
        "grpc_server_handling_seconds",
        Unit::Seconds,
        "Time to handle a gRPC call, by service and method"
    );
    describe_counter!(
        "bus_published_total",
        "Events published on the event bus, by subject"
    );
    describe_counter!(
        "bus_redelivered_total",
        "Event deliveries made again after a nack or a timeout, by consumer"
    );
    describe_counter!(
        "bus_dead_lettered_total",
        "Events that exhausted their deliveries, by consumer"
    );
    describe_gauge!(
        "circuit_breaker_open",
        "1 while calls to a downstream fail fast because it kept failing, by downstream"
    );
    describe_counter!(
        "rpc_client_calls_total",
        "Calls one service made to another, by caller, callee, method and code"
    );
    describe_histogram!(
        "rpc_client_duration_seconds",
        Unit::Seconds,
        "Time a call to another service took as its caller saw it, by caller, callee and method"
    );
}
