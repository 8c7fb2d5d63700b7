//! Telemetry: structured logs with the trace id in every line, Prometheus metrics, traces kept
//! in memory for the operations view and exported over OTLP when an endpoint is set.
//!
//! Logs are JSON unless standard error is a terminal. Every request runs in a span that carries
//! its W3C trace id: taken from an incoming `traceparent`, or made anew. Finished spans go to the
//! trace ring (`ring`), and when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, over OTLP/gRPC as well.
//! Logs and spans have filters of their own, so a shop that logs only warnings still draws its
//! traces.

mod context;
mod prometheus;
pub mod red;
pub mod ring;

use std::fmt;
use std::io::IsTerminal;
use std::sync::OnceLock;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use serde::{Deserialize, Serialize};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Layer};

pub use self::context::{
    MESSAGING_SYSTEM, TraceContext, consumer_span, current_trace, handoff, in_trace, mark_error,
    producer_span, request_span, span_ids,
};
pub use self::prometheus::{metrics, render_metrics};

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
    /// A `tracing` filter for the logs, such as `info` or `info,catalog=debug`; `RUST_LOG` wins
    /// when set.
    pub log_filter: String,
    /// The log format.
    pub log_format: LogFormat,
    /// A `tracing` filter for the spans kept in the trace ring and exported; `off` keeps none
    /// (and exports none).
    pub trace_filter: String,
}

impl Default for TelemetryConfig {
    fn default() -> TelemetryConfig {
        TelemetryConfig {
            log_filter: "info".to_owned(),
            log_format: LogFormat::Auto,
            trace_filter: "info".to_owned(),
        }
    }
}

/// Keeps the trace exporter alive; flushes what it holds when dropped.
#[must_use = "dropping the guard stops the trace export"]
pub struct TelemetryGuard {
    tracer_provider: Option<SdkTracerProvider>,
}

impl fmt::Debug for TelemetryGuard {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("TelemetryGuard")
            .field("tracing", &self.tracer_provider.is_some())
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

type BoxedLayer = Box<dyn Layer<tracing_subscriber::Registry> + Send + Sync>;

/// Installs the global log subscriber, the trace ring and, when configured, the OTLP trace
/// exporter. Call once per process, inside a Tokio runtime.
pub fn init(service_name: &str, config: &TelemetryConfig) -> anyhow::Result<TelemetryGuard> {
    let log_filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.is_empty() => EnvFilter::try_new(directives)?,
        _ => parse_filter("log_filter", &config.log_filter)?,
    };
    let json = match config.log_format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let fmt_layer = match json {
        true => json_logs(std::io::stderr),
        false => tracing_subscriber::fmt::layer()
            .compact()
            .with_writer(std::io::stderr)
            .boxed(),
    };
    let tracer_provider = match config.trace_filter.trim() {
        "off" => None,
        _ => Some(tracer_provider(service_name)?),
    };
    install(log_filter, fmt_layer, config, tracer_provider)
}

/// The provider of the shop's spans: into the trace ring, and over OTLP when
/// `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
fn tracer_provider(service_name: &str) -> anyhow::Result<SdkTracerProvider> {
    let builder = SdkTracerProvider::builder().with_span_processor(ring::RingProcessor);
    let endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
        .ok()
        .filter(|value| !value.is_empty());
    let Some(endpoint) = endpoint else {
        return Ok(builder.build());
    };
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
    Ok(builder
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

/// Installs the log subscriber with spans exported by `tracer_provider` and readable logs on
/// standard error: for tests that read the spans back (an in-memory exporter).
pub fn init_with_tracer_provider(
    config: &TelemetryConfig,
    tracer_provider: SdkTracerProvider,
) -> anyhow::Result<TelemetryGuard> {
    let fmt_layer = tracing_subscriber::fmt::layer()
        .compact()
        .with_writer(std::io::stderr)
        .boxed();
    let log_filter = parse_filter("log_filter", &config.log_filter)?;
    install(log_filter, fmt_layer, config, Some(tracer_provider))
}

/// A log subscriber, not installed, with spans exported by `tracer_provider` and JSON logs
/// written to `writer`: for a test that reads both back, setting it as the default of its
/// (current-thread) runtime's thread. The guard keeps the provider alive.
pub fn test_subscriber<W>(
    config: &TelemetryConfig,
    tracer_provider: SdkTracerProvider,
    writer: W,
) -> anyhow::Result<(
    impl tracing::Subscriber + Send + Sync + 'static + use<W>,
    TelemetryGuard,
)>
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let log_filter = parse_filter("log_filter", &config.log_filter)?;
    let subscriber = subscriber(
        log_filter,
        json_logs(writer),
        config,
        Some(&tracer_provider),
    )?;
    let guard = TelemetryGuard {
        tracer_provider: Some(tracer_provider),
    };
    Ok((subscriber, guard))
}

/// JSON log lines, each with the list of spans it was written in (and so their trace ids).
fn json_logs<W>(writer: W) -> BoxedLayer
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(false)
        .with_span_list(true)
        .with_writer(writer)
        .boxed()
}

fn parse_filter(key: &str, directives: &str) -> anyhow::Result<EnvFilter> {
    EnvFilter::try_new(directives)
        .map_err(|error| anyhow::anyhow!("key `telemetry.{key}`: {error}"))
}

fn install(
    log_filter: EnvFilter,
    fmt_layer: BoxedLayer,
    config: &TelemetryConfig,
    tracer_provider: Option<SdkTracerProvider>,
) -> anyhow::Result<TelemetryGuard> {
    let subscriber = subscriber(log_filter, fmt_layer, config, tracer_provider.as_ref())?;
    tracing::subscriber::set_global_default(subscriber)?;
    Ok(TelemetryGuard { tracer_provider })
}

fn subscriber(
    log_filter: EnvFilter,
    fmt_layer: BoxedLayer,
    config: &TelemetryConfig,
    tracer_provider: Option<&SdkTracerProvider>,
) -> anyhow::Result<impl tracing::Subscriber + Send + Sync + 'static + use<>> {
    let otel_layer = match tracer_provider {
        Some(provider) => {
            let trace_filter = parse_filter("trace_filter", &config.trace_filter)?;
            OTEL_ENABLED.set(true).ok();
            let layer = tracing_opentelemetry::layer()
                .with_tracer(provider.tracer("emporium"))
                // Where in the code and on which thread a span ran, and how long it sat idle,
                // cost time on every span and tell an operator little.
                .with_location(false)
                .with_threads(false)
                .with_tracked_inactivity(false);
            Some(layer.with_filter(trace_filter))
        }
        None => None,
    };
    Ok(tracing_subscriber::registry()
        .with(fmt_layer.with_filter(log_filter))
        .with(otel_layer))
}

static OTEL_ENABLED: OnceLock<bool> = OnceLock::new();

fn otel_enabled() -> bool {
    OTEL_ENABLED.get().copied().unwrap_or(false)
}
