//! One trace across processes' boundaries, read back from the OpenTelemetry SDK's in-memory
//! exporter: an incoming HTTP request's span, the gRPC server span of a call it makes over the
//! network, and the consumer span of an event it caused, on NATS when `EMPORIUM_TEST_NATS_URL`
//! is set and on the in-process bus otherwise. Its own test binary: it installs the process's
//! global subscriber.

use std::sync::Arc;
use std::time::Duration;

use events::checkout::OrderCompleted;
use events::{Envelope, Event};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use platform::bus::{ConsumerConfig, EventBus, InProcessBus};
use platform::grpc::ServerLayer;
use platform::telemetry::{self, TelemetryConfig, TraceContext};
use tracing::Instrument as _;

fn envelope(traceparent: String) -> Envelope {
    let event = OrderCompleted {
        order_id: "order-1".to_owned(),
        user_id: "user-1".to_owned(),
        confirmed: true,
        failure_reason: String::new(),
        lines: Vec::new(),
    };
    Envelope::new(uuid::Uuid::new_v4().to_string(), &event, 0).with_traceparent(Some(traceparent))
}

fn named<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    spans
        .iter()
        .find(|span| span.name == name)
        .unwrap_or_else(|| {
            let names: Vec<&str> = spans.iter().map(|span| span.name.as_ref()).collect();
            panic!("no span named `{name}` among {names:?}")
        })
}

#[tokio::test]
async fn one_trace_runs_from_a_request_through_grpc_into_an_event_consumer() {
    test_support::install_crypto();
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let _guard =
        telemetry::init_with_tracer_provider(&TelemetryConfig::default(), provider.clone())
            .unwrap();

    // A gRPC server on a real port (the health service, behind the usual layer).
    let issuer = test_support::TestIssuer::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let shutdown = platform::Shutdown::new();
    let routes = tonic::service::Routes::builder().routes();
    tokio::spawn(platform::grpc::serve(
        listener,
        routes,
        Vec::new(),
        ServerLayer::new(issuer.verifier(), &[]),
        shutdown.clone(),
    ));

    let bus: Arc<dyn EventBus> = match std::env::var("EMPORIUM_TEST_NATS_URL") {
        Ok(url) if !url.is_empty() => Arc::new(
            platform::bus::nats::JetStreamBus::connect_in(
                &url,
                &format!("trace_{}", uuid::Uuid::new_v4().simple()),
            )
            .await
            .unwrap(),
        ),
        _ => Arc::new(InProcessBus::new()),
    };
    let mut consumer = bus
        .consumer(ConsumerConfig::new(
            "notifications",
            &[OrderCompleted::SUBJECT],
        ))
        .await
        .unwrap();

    // The request: no traceparent came with it, so it starts the trace.
    let (span, trace) = telemetry::request_span(
        "http",
        "POST /api/v1/checkout",
        &TraceContext::generate(),
        "",
    );
    let transport = platform::transport::network(&format!("http://{address}")).unwrap();
    let work = async {
        let mut health = tonic_health::pb::health_client::HealthClient::new(transport);
        health
            .check(platform::transport::anonymous(
                tonic_health::pb::HealthCheckRequest::default(),
            ))
            .await
            .unwrap();
        // What the outbox does in the transaction of a change.
        let traceparent = telemetry::current_trace().unwrap().child_traceparent();
        bus.publish(OrderCompleted::SUBJECT, envelope(traceparent))
            .await
    };
    // The in-process bus's publish waits for the consumer's ack: both run at once.
    let publish = telemetry::in_trace(trace, work).instrument(span);
    let consume = async {
        let delivery = tokio::time::timeout(Duration::from_secs(10), consumer.next())
            .await
            .unwrap()
            .unwrap();
        let (span, trace) = telemetry::consumer_span(
            "notifications",
            &delivery.subject,
            &delivery.envelope.id,
            delivery.envelope.traceparent.as_deref(),
        );
        telemetry::in_trace(trace, async { tracing::info!("sent the email") })
            .instrument(span)
            .await;
        delivery.ack();
    };
    let (published, ()) = tokio::join!(publish, consume);
    published.unwrap();
    provider.force_flush().unwrap();

    let spans = exporter.get_finished_spans().unwrap();
    let request = named(&spans, "POST /api/v1/checkout");
    let server = named(&spans, "/grpc.health.v1.Health/Check");
    let consumer = named(
        &spans,
        &format!("notifications {}", OrderCompleted::SUBJECT),
    );
    let trace_id = request.span_context.trace_id();
    assert_eq!(
        u128::from_be_bytes(trace_id.to_bytes()),
        trace.trace_id,
        "logs and exported spans carry the same trace id"
    );
    assert_eq!(
        server.span_context.trace_id(),
        trace_id,
        "the gRPC hop joins"
    );
    assert_eq!(
        consumer.span_context.trace_id(),
        trace_id,
        "the consumer joins"
    );
    assert_eq!(
        server.parent_span_id,
        request.span_context.span_id(),
        "the server span is the request span's child"
    );
    assert_eq!(
        consumer.parent_span_id,
        request.span_context.span_id(),
        "the consumer span is the child of the span that published"
    );
    shutdown.trigger();
}
