//! A function's invocation in the trace of the request that ran it: a span with
//! OpenTelemetry's FaaS attributes under the request's, and the guest's log line in it.

use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use platform::telemetry::{self, TelemetryConfig};
use serde_json::json;

use crate::TestShop;
use crate::telemetry::{Logs, attribute, new_trace, scoped, spans_of};

#[tokio::test]
async fn a_function_invocation_is_a_span_of_its_request_with_the_guests_log_line() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let logs = Logs::default();
    let logger = SdkLoggerProvider::builder().build();
    let config = TelemetryConfig::default();
    let (subscriber, _guard) =
        telemetry::test_subscriber(&config, provider, Some(logger), logs.clone()).unwrap();
    let _default = scoped(subscriber);
    let shop = TestShop::spawn("sqlite").await;
    shop.deploy_function("hello", "hello", json!({"kv": true}), json!({"http": true}))
        .await;

    let trace = new_trace();
    let greeted = shop
        .http
        .get(shop.url("/fn/hello?name=Ada"))
        .header("traceparent", trace.traceparent())
        .send()
        .await
        .unwrap();
    assert_eq!(greeted.status(), 200);
    let spans = spans_of(&exporter, trace.trace_id, |spans| {
        spans.names().contains(&"invoke hello")
    })
    .await;
    let invocation = spans.named("invoke hello");
    assert_eq!(attribute(invocation, "faas.name"), "hello");
    assert_eq!(attribute(invocation, "faas.trigger"), "http");
    assert_eq!(attribute(invocation, "emporium.function.trigger"), "http");
    assert_eq!(attribute(invocation, "faas.version"), "1");
    assert_eq!(attribute(invocation, "faas.coldstart"), "true");
    let request = spans.named("GET /fn/{name}");
    assert!(
        spans.descends(invocation, request),
        "the invocation is inside the request: {:?}",
        spans.names()
    );

    let lines = logs.of_trace(&trace.trace_id_hex());
    let line = lines
        .iter()
        .find(|line| line["fields"]["message"] == "greeted Ada")
        .unwrap_or_else(|| panic!("the guest's line is in the trace: {lines:?}"));
    let in_function = line["spans"]
        .as_array()
        .unwrap()
        .iter()
        .any(|span| span["name"] == "function");
    assert!(
        in_function,
        "the guest's line is in the invocation's span: {line}"
    );
}
