//! The OpenTelemetry providers behind the shop's spans and, when `OTEL_EXPORTER_OTLP_ENDPOINT`
//! is set, their OTLP/gRPC export: spans always go to the trace ring, and over OTLP as well;
//! log records go over OTLP only (the lines on standard error are the logs otherwise).

use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;

use super::ring;

/// The collector's address, when one is set.
fn endpoint() -> Option<String> {
    std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
        .ok()
        .filter(|value| !value.is_empty())
}

/// The resource the exports name: `OTEL_SERVICE_NAME` when set (the builder reads it), else
/// `service_name`.
fn resource(service_name: &str) -> opentelemetry_sdk::Resource {
    match std::env::var("OTEL_SERVICE_NAME") {
        Ok(name) if !name.is_empty() => opentelemetry_sdk::Resource::builder().build(),
        _ => opentelemetry_sdk::Resource::builder()
            .with_service_name(service_name.to_owned())
            .build(),
    }
}

/// The provider of the shop's spans: into the trace ring, and over OTLP when an endpoint is set.
pub(super) fn tracer_provider(service_name: &str) -> anyhow::Result<SdkTracerProvider> {
    let builder = SdkTracerProvider::builder().with_span_processor(ring::RingProcessor);
    let Some(endpoint) = endpoint() else {
        return Ok(builder.build());
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()?;
    Ok(builder
        .with_batch_exporter(exporter)
        .with_resource(resource(service_name))
        .build())
}

/// The provider of log records over OTLP, when an endpoint is set; each record carries the trace
/// and span it was written in.
pub(super) fn logger_provider(service_name: &str) -> anyhow::Result<Option<SdkLoggerProvider>> {
    let Some(endpoint) = endpoint() else {
        return Ok(None);
    };
    let exporter = opentelemetry_otlp::LogExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()?;
    Ok(Some(
        SdkLoggerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource(service_name))
            .build(),
    ))
}
