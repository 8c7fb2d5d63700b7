//! Telemetry: structured logs with the trace id in every line, Prometheus metrics, OTLP traces.
//!
//! Logs are JSON unless standard error is a terminal. Every request runs in a span that carries
//! its W3C trace id: taken from an incoming `traceparent`, or made anew. When
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set, spans are exported over OTLP/gRPC as well.

use std::fmt;
use std::io::IsTerminal;
use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use opentelemetry::trace::TracerProvider as _;
use serde::{Deserialize, Serialize};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// How logs are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// JSON when standard error is not a terminal, readable text when it is.
    #[default]
    Auto,
    Json,
    Text,
}

/// Telemetry settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// A `tracing` filter such as `info` or `info,catalog=debug`; `RUST_LOG` wins when set.
    pub log_filter: String,
    /// The log format.
    pub log_format: LogFormat,
}

impl Default for TelemetryConfig {
    fn default() -> TelemetryConfig {
        TelemetryConfig {
            log_filter: "info".to_owned(),
            log_format: LogFormat::Auto,
        }
    }
}

/// Keeps the trace exporter alive; flushes what it holds when dropped.
#[must_use = "dropping the guard stops the trace export"]
pub struct TelemetryGuard {
    tracer_provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl fmt::Debug for TelemetryGuard {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("TelemetryGuard")
            .field("otlp", &self.tracer_provider.is_some())
            .finish()
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.tracer_provider.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("flushing traces failed: {error}");
        }
    }
}

/// Installs the global log subscriber and, when configured, the OTLP trace exporter.
/// Call once per process, inside a Tokio runtime.
pub fn init(service_name: &str, config: &TelemetryConfig) -> anyhow::Result<TelemetryGuard> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.is_empty() => EnvFilter::try_new(directives)?,
        _ => EnvFilter::try_new(&config.log_filter)
            .map_err(|error| anyhow::anyhow!("key `telemetry.log_filter`: {error}"))?,
    };
    let json = match config.log_format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let fmt_layer = if json {
        tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(false)
            .with_span_list(true)
            .with_writer(std::io::stderr)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .compact()
            .with_writer(std::io::stderr)
            .boxed()
    };

    let endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
        .ok()
        .filter(|value| !value.is_empty());
    let tracer_provider = match endpoint {
        Some(endpoint) => {
            use opentelemetry_otlp::WithExportConfig;
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint)
                .build()?;
            // `OTEL_SERVICE_NAME`, when set, names the service (the builder reads it).
            let resource = match std::env::var("OTEL_SERVICE_NAME") {
                Ok(name) if !name.is_empty() => opentelemetry_sdk::Resource::builder().build(),
                _ => opentelemetry_sdk::Resource::builder()
                    .with_service_name(service_name.to_owned())
                    .build(),
            };
            Some(
                opentelemetry_sdk::trace::SdkTracerProvider::builder()
                    .with_batch_exporter(exporter)
                    .with_resource(resource)
                    .build(),
            )
        }
        None => None,
    };
    install(filter, fmt_layer, tracer_provider)
}

/// Installs the log subscriber with spans exported by `tracer_provider`: for tests that read
/// the spans back (an in-memory exporter), or a setup `init` does not cover.
pub fn init_with_tracer_provider(
    config: &TelemetryConfig,
    tracer_provider: opentelemetry_sdk::trace::SdkTracerProvider,
) -> anyhow::Result<TelemetryGuard> {
    let filter = EnvFilter::try_new(&config.log_filter)
        .map_err(|error| anyhow::anyhow!("key `telemetry.log_filter`: {error}"))?;
    let fmt_layer = tracing_subscriber::fmt::layer()
        .compact()
        .with_writer(std::io::stderr)
        .boxed();
    install(filter, fmt_layer, Some(tracer_provider))
}

fn install(
    filter: EnvFilter,
    fmt_layer: Box<dyn Layer<tracing_subscriber::Registry> + Send + Sync>,
    tracer_provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
) -> anyhow::Result<TelemetryGuard> {
    let otel_layer = tracer_provider.as_ref().map(|provider| {
        OTEL_ENABLED.set(true).ok();
        tracing_opentelemetry::layer().with_tracer(provider.tracer("emporium"))
    });
    tracing_subscriber::registry()
        .with(fmt_layer)
        .with(otel_layer)
        .with(filter)
        .try_init()?;
    Ok(TelemetryGuard { tracer_provider })
}

static OTEL_ENABLED: OnceLock<bool> = OnceLock::new();

fn otel_enabled() -> bool {
    OTEL_ENABLED.get().copied().unwrap_or(false)
}

/// How often histogram samples are folded into their buckets.
const METRICS_UPKEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// The process-wide Prometheus recorder; installed on first use.
pub fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&[
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0,
            ])
            .expect("the bucket list is not empty")
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
}

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

    /// The `traceparent` to send with a call made from within this trace: with OTLP on, the
    /// current span is the parent, so the exported spans link up; otherwise a fresh span id.
    pub fn child_traceparent(&self) -> String {
        if let Some((trace_id, span_id, sampled)) = current_otel_span()
            && trace_id == self.trace_id
        {
            return format!(
                "00-{trace_id:032x}-{span_id:016x}-{:02x}",
                u8::from(sampled)
            );
        }
        let span_id = rand::random::<u64>().max(1);
        format!(
            "00-{:032x}-{span_id:016x}-{:02x}",
            self.trace_id,
            u8::from(self.sampled)
        )
    }

    pub fn trace_id_hex(&self) -> String {
        format!("{:032x}", self.trace_id)
    }
}

tokio::task_local! {
    static CURRENT_TRACE: TraceContext;
}

/// Runs `future` as part of `trace`, so that calls it makes carry the trace onward.
pub async fn in_trace<F: Future>(trace: TraceContext, future: F) -> F::Output {
    CURRENT_TRACE.scope(trace, future).await
}

/// The trace the current task belongs to, if any.
pub fn current_trace() -> Option<TraceContext> {
    CURRENT_TRACE.try_with(|trace| *trace).ok()
}

/// Makes the span of an incoming request, and returns it with the trace the request runs in.
/// The span carries the trace id as a field; when OTLP is on, it joins the caller's trace (the
/// remote parent), and a request that came without one starts the trace OpenTelemetry made for
/// it, so that logs, the calls it makes and the exported spans all carry one trace id.
pub fn request_span(
    kind: &'static str,
    name: &str,
    trace: &TraceContext,
    request_id: &str,
) -> (tracing::Span, TraceContext) {
    let span = tracing::info_span!(
        "request",
        otel.name = %name,
        otel.kind = "server",
        kind,
        name = %name,
        trace_id = tracing::field::Empty,
        request_id = %request_id,
        status = tracing::field::Empty,
    );
    let mut trace = *trace;
    if otel_enabled() {
        use opentelemetry::trace::TraceContextExt;
        use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
        use tracing_opentelemetry::OpenTelemetrySpanExt;
        if trace.parent_span_id != 0 {
            let flags = if trace.sampled {
                TraceFlags::SAMPLED
            } else {
                TraceFlags::default()
            };
            let remote = SpanContext::new(
                TraceId::from(trace.trace_id),
                SpanId::from(trace.parent_span_id),
                flags,
                true,
                TraceState::default(),
            );
            let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(remote));
        }
        let context = span.context();
        let made = context.span().span_context().clone();
        if made.is_valid() {
            trace.trace_id = u128::from_be_bytes(made.trace_id().to_bytes());
        }
    }
    span.record("trace_id", tracing::field::display(trace.trace_id_hex()));
    (span, trace)
}

/// The span that handles one delivery of an event: a consumer span in the trace of the change
/// that caused the event (its `traceparent`), or in a new trace; returned with that trace.
pub fn consumer_span(
    consumer: &str,
    subject: &str,
    traceparent: Option<&str>,
) -> (tracing::Span, TraceContext) {
    let trace = traceparent
        .and_then(TraceContext::parse)
        .unwrap_or_else(TraceContext::generate);
    let (span, trace) = request_span("event", &format!("{consumer} {subject}"), &trace, "");
    (span, trace)
}

/// The current OpenTelemetry span's trace and span ids, when OTLP is on and there is one.
fn current_otel_span() -> Option<(u128, u64, bool)> {
    if !otel_enabled() {
        return None;
    }
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let context = tracing::Span::current().context();
    let span = context.span();
    let span_context = span.span_context();
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
