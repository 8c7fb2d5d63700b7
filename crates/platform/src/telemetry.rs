//! Telemetry: structured logs with the trace id in every line, Prometheus metrics, traces kept
//! in memory for the operations view and exported over OTLP when an endpoint is set.
//!
//! Logs are JSON unless standard error is a terminal. Every request runs in a span that carries
//! its W3C trace id: taken from an incoming `traceparent`, or made anew. Finished spans go to the
//! trace ring (`ring`), and when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, over OTLP/gRPC as well.
//! Logs and spans have filters of their own, so a shop that logs only warnings still draws its
//! traces.

mod context;
mod fields;
pub mod handles;
mod logline;
pub mod openmetrics;
mod otlp;
mod prometheus;
pub mod red;
pub mod ring;
pub mod sampling;

use std::fmt;
use std::io::IsTerminal;
use std::sync::OnceLock;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use serde::{Deserialize, Serialize};
use tracing_subscriber::filter::FilterExt as _;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Layer};

pub use self::context::{
    MESSAGING_SYSTEM, TraceContext, consumer_span, current_trace, db_span, handle_in, handoff,
    in_trace, mark_error, producer_span, request_span, span_ids,
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
    /// The most new traces a second whose spans are kept (head sampling,
    /// `telemetry::sampling`); the others are still counted, logged and given trace ids. 0
    /// keeps every trace.
    pub traces_per_second: u32,
}

impl Default for TelemetryConfig {
    fn default() -> TelemetryConfig {
        TelemetryConfig {
            log_filter: "info".to_owned(),
            log_format: LogFormat::Auto,
            trace_filter: "info".to_owned(),
            traces_per_second: 100,
        }
    }
}

/// Keeps the trace and log exporters alive; flushes what they hold when dropped.
#[must_use = "dropping the guard stops the trace export"]
pub struct TelemetryGuard {
    tracer_provider: Option<SdkTracerProvider>,
    logger_provider: Option<SdkLoggerProvider>,
}

impl fmt::Debug for TelemetryGuard {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("TelemetryGuard")
            .field("tracing", &self.tracer_provider.is_some())
            .field("otlp_logs", &self.logger_provider.is_some())
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
        if let Some(provider) = self.logger_provider.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("flushing logs failed: {error}");
        }
    }
}

type BoxedLayer = Box<dyn Layer<tracing_subscriber::Registry> + Send + Sync>;

/// Where logs and spans go besides the log lines: the spans' provider and the OTLP log export,
/// and the filter of the logs.
struct Sinks {
    log_directives: String,
    tracer_provider: Option<SdkTracerProvider>,
    logger_provider: Option<SdkLoggerProvider>,
}

/// Installs the global log subscriber, the trace ring and, when `OTEL_EXPORTER_OTLP_ENDPOINT`
/// is set, the OTLP export of traces and logs. Call once per process, inside a Tokio runtime.
pub fn init(service_name: &str, config: &TelemetryConfig) -> anyhow::Result<TelemetryGuard> {
    let log_directives = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.is_empty() => directives,
        _ => config.log_filter.clone(),
    };
    let json = match config.log_format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let fmt_layer = match json {
        true => json_logs(std::io::stderr),
        false => text_logs(),
    };
    let tracer_provider = match config.trace_filter.trim() {
        "off" => None,
        _ => Some(otlp::tracer_provider(service_name)?),
    };
    let sinks = Sinks {
        log_directives,
        tracer_provider,
        logger_provider: otlp::logger_provider(service_name)?,
    };
    let subscriber = subscriber(fmt_layer, &sinks, config)?;
    tracing::subscriber::set_global_default(subscriber)?;
    Ok(sinks.into_guard())
}

impl Sinks {
    fn into_guard(self) -> TelemetryGuard {
        TelemetryGuard {
            tracer_provider: self.tracer_provider,
            logger_provider: self.logger_provider,
        }
    }
}

/// Installs the log subscriber with spans exported by `tracer_provider` and readable logs on
/// standard error: for tests that read the spans back (an in-memory exporter).
pub fn init_with_tracer_provider(
    config: &TelemetryConfig,
    tracer_provider: SdkTracerProvider,
) -> anyhow::Result<TelemetryGuard> {
    let sinks = Sinks {
        log_directives: config.log_filter.clone(),
        tracer_provider: Some(tracer_provider),
        logger_provider: None,
    };
    let subscriber = subscriber(text_logs(), &sinks, config)?;
    tracing::subscriber::set_global_default(subscriber)?;
    Ok(sinks.into_guard())
}

/// A log subscriber, not installed, with spans exported by `tracer_provider`, JSON logs written
/// to `writer` and log records sent to `logger_provider`: for a test that reads them back,
/// setting it as the default of its (current-thread) runtime's thread. The guard keeps the
/// providers alive.
pub fn test_subscriber<W>(
    config: &TelemetryConfig,
    tracer_provider: SdkTracerProvider,
    logger_provider: Option<SdkLoggerProvider>,
    writer: W,
) -> anyhow::Result<(
    impl tracing::Subscriber + Send + Sync + 'static + use<W>,
    TelemetryGuard,
)>
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let sinks = Sinks {
        log_directives: config.log_filter.clone(),
        tracer_provider: Some(tracer_provider),
        logger_provider,
    };
    let subscriber = subscriber(json_logs(writer), &sinks, config)?;
    Ok((subscriber, sinks.into_guard()))
}

/// JSON log lines, each with the list of spans it was written in, after the requests it was
/// written in (and so their trace ids).
fn json_logs<W>(writer: W) -> BoxedLayer
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let format = tracing_subscriber::fmt::format()
        .json()
        .with_current_span(false)
        .with_span_list(true);
    tracing_subscriber::fmt::layer()
        .event_format(logline::WithRequests {
            inner: format,
            json: true,
        })
        .fmt_fields(fields::LogFields)
        .with_writer(writer)
        .boxed()
}

/// Readable log lines on standard error, each ending with the request it was written in.
fn text_logs() -> BoxedLayer {
    let format = tracing_subscriber::fmt::format().compact();
    tracing_subscriber::fmt::layer()
        .event_format(logline::WithRequests {
            inner: format,
            json: false,
        })
        .with_writer(std::io::stderr)
        .boxed()
}

fn parse_filter(key: &str, directives: &str) -> anyhow::Result<EnvFilter> {
    EnvFilter::try_new(directives)
        .map_err(|error| anyhow::anyhow!("key `telemetry.{key}`: {error}"))
}

fn subscriber(
    fmt_layer: BoxedLayer,
    sinks: &Sinks,
    config: &TelemetryConfig,
) -> anyhow::Result<impl tracing::Subscriber + Send + Sync + 'static + use<>> {
    let otel_layer = match &sinks.tracer_provider {
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
            Some(layer.with_filter(trace_filter.and(sampled(config.traces_per_second))))
        }
        None => None,
    };
    // Log records over OTLP take the same filter as the lines, and the trace of their span.
    let log_bridge = match &sinks.logger_provider {
        Some(provider) => Some(
            opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge::new(provider)
                .with_filter(parse_filter("log_filter", &sinks.log_directives)?),
        ),
        None => None,
    };
    Ok(tracing_subscriber::registry()
        .with(
            fmt_layer.with_filter(
                parse_filter("log_filter", &sinks.log_directives)?.and(listed_in_logs()),
            ),
        )
        .with(otel_layer)
        .with(log_bridge))
}

/// The spans a log line lists: the work inside requests and events, but not the requests' own
/// spans (a line takes its request from its task, `logline`, so that an unkept trace's request
/// makes no span at all), nor the client span of each call or each commit, which tell a line
/// nothing its request does not. They are all still spans of the traces.
fn listed_in_logs<S>() -> impl tracing_subscriber::layer::Filter<S> + 'static
where
    S: tracing::Subscriber,
{
    tracing_subscriber::filter::filter_fn(|metadata| {
        !(metadata.is_span() && matches!(metadata.name(), "request" | "call" | "db"))
    })
}

/// The filter that keeps a span when its trace is kept: inside a trace, as the trace decided;
/// a span that starts a trace, as the head sampling's limiter says. Events follow their trace.
fn sampled<S>(traces_per_second: u32) -> impl tracing_subscriber::layer::Filter<S> + 'static
where
    S: tracing::Subscriber,
{
    let limiter = sampling::Limiter::new(traces_per_second);
    tracing_subscriber::filter::dynamic_filter_fn(move |metadata, _context| match current_trace() {
        Some(trace) => trace.sampled,
        None => !metadata.is_span() || limiter.admit(),
    })
}

static OTEL_ENABLED: OnceLock<bool> = OnceLock::new();

fn otel_enabled() -> bool {
    OTEL_ENABLED.get().copied().unwrap_or(false)
}
