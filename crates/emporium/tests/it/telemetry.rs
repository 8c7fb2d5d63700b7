//! What a purchase emits, read back as an operator's tools would: the spans (from the
//! OpenTelemetry SDK's in-memory exporter, and the trace ring behind `/ops`) with their parents
//! from the REST request through every gRPC hop, the saga's steps, the outbox publish and its
//! consumers; the metrics with their labels in `/metrics`; JSON log lines that carry the
//! trace id, and the same logs as OpenTelemetry log records in the trace (as OTLP sends them). A checkout failed by a fault switch shows an error span at the failing step and
//! moves the matching metric.
//!
//! The spans and logs go to a subscriber set as the default of this test's thread: tests run on
//! a current-thread runtime, so every task of the shop it starts runs there, and the tests
//! beside it in this binary are left alone.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use events::Event as _;
use opentelemetry::logs::AnyValue;
use opentelemetry::trace::{SpanId, SpanKind, Status, TraceId};
use opentelemetry_sdk::logs::{InMemoryLogExporter, SdkLoggerProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use platform::telemetry::{self, TelemetryConfig, TraceContext};
use serde_json::json;

use crate::TestShop;

/// JSON log lines, kept in memory.
#[derive(Clone, Default)]
pub(crate) struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;

    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}

impl Logs {
    /// The lines written in `trace_id`'s trace, parsed.
    pub(crate) fn of_trace(&self, trace_id: &str) -> Vec<serde_json::Value> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|line| {
                line["spans"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|span| span["trace_id"] == trace_id)
            })
            .collect()
    }
}

pub(crate) struct Spans(pub(crate) Vec<SpanData>);

impl Spans {
    pub(crate) fn named(&self, name: &str) -> &SpanData {
        self.0
            .iter()
            .find(|span| span.name == name)
            .unwrap_or_else(|| panic!("no span `{name}` among {:?}", self.names()))
    }

    pub(crate) fn names(&self) -> Vec<&str> {
        self.0.iter().map(|span| span.name.as_ref()).collect()
    }

    fn by_id(&self, id: SpanId) -> Option<&SpanData> {
        self.0.iter().find(|span| span.span_context.span_id() == id)
    }

    /// Whether `ancestor` is `span`'s parent, or its parent's, and so on.
    pub(crate) fn descends(&self, span: &SpanData, ancestor: &SpanData) -> bool {
        let mut parent = span.parent_span_id;
        while parent != SpanId::INVALID {
            if parent == ancestor.span_context.span_id() {
                return true;
            }
            parent = self
                .by_id(parent)
                .map_or(SpanId::INVALID, |span| span.parent_span_id);
        }
        false
    }

    /// The one child of `parent` named `name`.
    fn child(&self, parent: &SpanData, name: &str) -> &SpanData {
        self.0
            .iter()
            .find(|span| span.name == name && span.parent_span_id == parent.span_context.span_id())
            .unwrap_or_else(|| panic!("`{}` has no child `{name}`", parent.name))
    }
}

pub(crate) fn attribute(span: &SpanData, key: &str) -> String {
    span.attributes
        .iter()
        .find(|pair| pair.key.as_str() == key)
        .map(|pair| pair.value.to_string())
        .unwrap_or_else(|| panic!("`{}` has no attribute `{key}`", span.name))
}

/// The spans of `trace_id` once `ready` holds of them (consumers run after the answer).
pub(crate) async fn spans_of(
    exporter: &InMemorySpanExporter,
    trace_id: u128,
    ready: impl Fn(&Spans) -> bool,
) -> Spans {
    let mut names = Vec::new();
    for _ in 0..100 {
        let spans = Spans(
            exporter
                .get_finished_spans()
                .unwrap()
                .into_iter()
                .filter(|span| span.span_context.trace_id() == TraceId::from(trace_id))
                .collect(),
        );
        if ready(&spans) {
            return spans;
        }
        names = spans.names().iter().map(|name| name.to_string()).collect();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let others: Vec<String> = exporter
        .get_finished_spans()
        .unwrap()
        .into_iter()
        .filter(|span| span.span_context.trace_id() != TraceId::from(trace_id))
        .map(|span| format!("{} {}", span.span_context.trace_id(), span.name))
        .collect();
    panic!("the trace's spans did not all arrive; it has {names:?}; others: {others:?}");
}

/// The value of the sample of `name` whose labels include all of `labels`, 0 when none.
fn sample(metrics: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    metrics
        .lines()
        .filter(|line| {
            line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} "))
        })
        .filter(|line| {
            labels
                .iter()
                .all(|(key, value)| line.contains(&format!("{key}=\"{value}\"")))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Checks out one line of `sku` as a new buyer in the trace `trace`; returns the order.
pub(crate) async fn check_out(
    shop: &TestShop,
    trace: &TraceContext,
    sku: &str,
) -> serde_json::Value {
    let (token, _) = crate::checkout::buyer(shop, "traced").await;
    let added = shop
        .http
        .post(shop.url("/api/v1/cart/items"))
        .bearer_auth(&token)
        .json(&json!({"sku": sku, "quantity": 1}))
        .send()
        .await
        .unwrap();
    assert!(
        added.status().is_success(),
        "{}",
        added.text().await.unwrap()
    );
    let placed = shop
        .http
        .post(shop.url("/api/v1/checkout"))
        .bearer_auth(&token)
        .header("traceparent", trace.traceparent())
        .header("idempotency-key", uuid::Uuid::new_v4().to_string())
        .json(&json!({
            "address": {"name": "Ada", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"},
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}
        }))
        .send()
        .await
        .unwrap();
    assert!(
        placed.status().is_success(),
        "{}",
        placed.text().await.unwrap()
    );
    placed.json().await.unwrap()
}

/// Keeps this thread's spans in the trace ring, as the binary does, until dropped; logs go
/// nowhere.
pub(crate) fn keep_spans() -> (Scoped, telemetry::TelemetryGuard) {
    keep_spans_with(&TelemetryConfig::default())
}

fn keep_spans_with(config: &TelemetryConfig) -> (Scoped, telemetry::TelemetryGuard) {
    let provider = SdkTracerProvider::builder()
        .with_span_processor(telemetry::ring::RingProcessor)
        .build();
    let (subscriber, guard) =
        telemetry::test_subscriber(config, provider, None, std::io::sink).unwrap();
    (scoped(subscriber), guard)
}

/// Past `traces_per_second`, requests are served, counted and given trace ids, but their spans
/// are not kept: not the request's, and not those of the calls it made, which follow its
/// decision rather than starting traces of their own.
#[tokio::test]
async fn past_the_sampling_limit_a_request_is_counted_but_its_spans_are_not_kept() {
    let config = TelemetryConfig {
        traces_per_second: 1,
        ..TelemetryConfig::default()
    };
    let _spans = keep_spans_with(&config);
    let shop = TestShop::spawn("sqlite").await;
    let read = "GET /api/v1/products/{sku}";
    let before = sample(
        &shop.get_text("/metrics").await,
        "http_requests_total",
        &[("route", "/api/v1/products/{sku}")],
    );
    // Each its own product, so that each reaches the catalog past the gateway's cache.
    let mut traces = Vec::new();
    for n in 1..=20 {
        let trace = new_trace();
        let response = shop
            .http
            .get(shop.url(&format!("/api/v1/products/KIT-{n:05}")))
            .header("traceparent", trace.traceparent())
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        traces.push(trace.trace_id);
    }
    let after = sample(
        &shop.get_text("/metrics").await,
        "http_requests_total",
        &[("route", "/api/v1/products/{sku}")],
    );
    assert_eq!(after - before, 20.0, "every request is counted");

    let ring = telemetry::ring::TraceRing::global();
    let kept: Vec<_> = traces.iter().filter_map(|id| ring.trace(*id)).collect();
    assert!(
        kept.len() <= 3,
        "20 reads in well under 3 s kept {} traces",
        kept.len()
    );
    let recent = ring.recent(256);
    assert!(
        recent
            .iter()
            .all(|trace| !trace.root.contains("GetProduct")),
        "a call of a trace let go started a trace of its own: {recent:?}"
    );
    for (spans, _) in &kept {
        assert!(
            spans.iter().any(|span| span.name == read) && spans.len() >= 2,
            "a kept read keeps its calls: {spans:?}"
        );
    }
}

/// A test's own subscriber, and its turn at the trace ring, which is one per process: the
/// tests that read the ring take turns, so that one's traces do not push another's out of
/// the operations view's latest few.
pub(crate) struct Scoped {
    _default: tracing::subscriber::DefaultGuard,
    _turn: std::sync::MutexGuard<'static, ()>,
}

/// Makes `subscriber` this thread's default until the guard drops, once no other test holds
/// the trace ring.
///
/// Tests run on many threads, most with no subscriber at all. A callsite's interest is cached
/// for every thread at once, and a callsite first reached on a thread with none could be
/// cached as "never" while another thread's subscriber was being set: that thread then lost
/// its request spans (about one run in four of the operations view's test). With a global
/// subscriber that keeps nothing but is interested in everything, no callsite is ever "never".
pub(crate) fn scoped(subscriber: impl tracing::Subscriber + Send + Sync + 'static) -> Scoped {
    static RING: Mutex<()> = Mutex::new(());
    let turn = RING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    interested_everywhere();
    Scoped {
        _default: tracing::subscriber::set_default(subscriber),
        _turn: turn,
    }
}

/// The global subscriber `scoped` relies on; the shops call it too, before they make spans.
pub(crate) fn interested_everywhere() {
    static SET: std::sync::Once = std::sync::Once::new();
    SET.call_once(|| {
        let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry());
    });
}

pub(crate) fn new_trace() -> TraceContext {
    TraceContext {
        trace_id: rand::random::<u128>().max(1),
        parent_span_id: rand::random::<u64>().max(1),
        sampled: true,
    }
}

#[tokio::test]
async fn a_purchase_leaves_its_whole_story_in_spans_metrics_and_logs() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .with_span_processor(telemetry::ring::RingProcessor)
        .build();
    let logs = Logs::default();
    let records = InMemoryLogExporter::default();
    let logger = SdkLoggerProvider::builder()
        .with_simple_exporter(records.clone())
        .build();
    let (subscriber, _guard) = telemetry::test_subscriber(
        &TelemetryConfig::default(),
        provider,
        Some(logger),
        logs.clone(),
    )
    .unwrap();
    let _default = scoped(subscriber);
    let shop = TestShop::spawn("sqlite").await;
    let sku = "KIT-00003";
    crate::checkout::set_stock(&shop, sku, 10).await;

    let trace = new_trace();
    let order = check_out(&shop, &trace, sku).await;
    assert_eq!(order["state"], "confirmed", "{order}");
    let subject = events::checkout::OrderCompleted::SUBJECT;
    let consumed = format!("notifications {subject}");
    let published = format!("publish {subject}");
    // A consumer may finish before the span of the publish that reached it has closed.
    let spans = spans_of(&exporter, trace.trace_id, |spans| {
        let names = spans.names();
        names.contains(&consumed.as_str()) && names.contains(&published.as_str())
    })
    .await;
    a_purchase_has_every_hop(&spans, &trace);
    the_saga_and_its_events_are_in_the_trace(&spans, &consumed);
    let (kept, _) = telemetry::ring::TraceRing::global()
        .trace(trace.trace_id)
        .expect("the ring keeps the trace");
    assert!(
        kept.iter()
            .any(|span| span.name == "saga confirm" && span.service == "orders")
    );

    let metrics = shop.get_text("/metrics").await;
    a_purchase_moves_the_metrics(&metrics);
    let lines = logs.of_trace(&trace.trace_id_hex());
    assert!(
        lines
            .iter()
            .any(|line| line["fields"]["message"] == "order placed"),
        "no `order placed` line carries the trace id among {} lines",
        lines.len()
    );
    let spans_in_lines = lines
        .iter()
        .flat_map(|line| line["spans"].as_array().cloned().unwrap_or_default());
    for span in spans_in_lines {
        assert!(
            span.get("otel.kind").is_none(),
            "span attributes stay out of log lines: {span}"
        );
        // `order placed` is written inside the gateway's call to orders: its client span is a
        // span of the trace, not of the line.
        assert_ne!(span["name"], "call", "client spans stay out of log lines");
    }

    let exported = records.get_emitted_logs().unwrap();
    let placed = exported.iter().find(|log| {
        matches!(log.record.body(), Some(AnyValue::String(text)) if text.as_str() == "order placed")
    });
    let placed = placed.expect("the log record `order placed` goes over OTLP");
    let context = placed
        .record
        .trace_context()
        .expect("a record in a span has its trace");
    assert_eq!(context.trace_id, TraceId::from(trace.trace_id));

    a_product_read_in_one_process_has_both_sides_of_its_call(&shop, &exporter).await;
    a_declined_payment_shows_as_an_error_at_its_step(&shop, &exporter, &metrics, sku).await;
}

/// The gateway calls the catalog in its process without the codec (`transport::Direct`): the
/// trace still shows the client's span and the server's, as over gRPC.
async fn a_product_read_in_one_process_has_both_sides_of_its_call(
    shop: &TestShop,
    exporter: &InMemorySpanExporter,
) {
    let trace = new_trace();
    let read = shop
        .http
        .get(shop.url("/api/v1/products/KIT-00004"))
        .header("traceparent", trace.traceparent())
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let spans = spans_of(exporter, trace.trace_id, |spans| {
        spans.names().contains(&"GET /api/v1/products/{sku}")
    })
    .await;
    let request = spans.named("GET /api/v1/products/{sku}");
    let call = spans.child(request, "emporium.catalog.v1.Catalog/GetProduct");
    assert_eq!(call.span_kind, SpanKind::Client);
    assert_eq!(attribute(call, "emporium.service"), "gateway");
    assert_eq!(attribute(call, "peer.service"), "catalog");
    assert_eq!(attribute(call, "rpc.grpc.status_code"), "0");
    let served = spans.child(call, "/emporium.catalog.v1.Catalog/GetProduct");
    assert_eq!(served.span_kind, SpanKind::Server);
    assert_eq!(attribute(served, "rpc.method"), "GetProduct");
    assert_eq!(attribute(served, "rpc.grpc.status_code"), "0");
}

fn a_purchase_has_every_hop(spans: &Spans, trace: &TraceContext) {
    let request = spans.named("POST /api/v1/checkout");
    assert_eq!(request.span_kind, SpanKind::Server);
    assert_eq!(request.parent_span_id, SpanId::from(trace.parent_span_id));
    assert!(request.parent_span_is_remote);
    assert_eq!(attribute(request, "http.route"), "/api/v1/checkout");
    assert_eq!(attribute(request, "http.request.method"), "POST");
    assert_eq!(attribute(request, "http.response.status_code"), "201");

    let call = spans.child(request, "emporium.orders.v1.Orders/PlaceOrder");
    assert_eq!(call.span_kind, SpanKind::Client);
    assert_eq!(attribute(call, "rpc.system"), "grpc");
    assert_eq!(attribute(call, "peer.service"), "orders");
    let served = spans.child(call, "/emporium.orders.v1.Orders/PlaceOrder");
    assert_eq!(served.span_kind, SpanKind::Server);
    assert_eq!(
        attribute(served, "rpc.service"),
        "emporium.orders.v1.Orders"
    );
    assert_eq!(attribute(served, "rpc.method"), "PlaceOrder");
    assert_eq!(attribute(served, "rpc.grpc.status_code"), "0");
    for step in [
        "reserve_stock",
        "authorize_payment",
        "create_shipment",
        "capture_payment",
        "confirm",
    ] {
        let saga = spans.named(&format!("saga {step}"));
        assert!(
            spans.descends(saga, served),
            "saga {step} runs in the order's call"
        );
        assert_eq!(saga.status, Status::Unset, "saga {step}");
    }
    let commits = spans.0.iter().filter(|span| span.name == "COMMIT");
    let committed = commits
        .filter(|commit| commit.span_kind == SpanKind::Client && spans.descends(commit, request))
        .map(|commit| attribute(commit, "db.system.name"))
        .collect::<Vec<_>>();
    assert!(
        committed.contains(&"sqlite".to_owned()),
        "a durable write shows its commit"
    );
    let reserve = spans.named("saga reserve_stock");
    let hop = spans.child(reserve, "emporium.inventory.v1.Inventory/Reserve");
    assert_eq!(attribute(hop, "emporium.service"), "orders");
    spans.child(hop, "/emporium.inventory.v1.Inventory/Reserve");
}

fn the_saga_and_its_events_are_in_the_trace(spans: &Spans, consumed: &str) {
    let subject = events::checkout::OrderCompleted::SUBJECT;
    let publish = spans.named(&format!("publish {subject}"));
    assert_eq!(publish.span_kind, SpanKind::Producer);
    assert_eq!(attribute(publish, "messaging.destination.name"), subject);
    assert_eq!(attribute(publish, "messaging.operation.type"), "send");
    let consumer = spans.child(publish, consumed);
    assert_eq!(consumer.span_kind, SpanKind::Consumer);
    assert_eq!(
        attribute(consumer, "messaging.consumer.group.name"),
        "notifications"
    );
    assert_eq!(
        attribute(consumer, "messaging.message.id"),
        attribute(publish, "messaging.message.id")
    );
    let linked = consumer
        .links
        .iter()
        .any(|link| link.span_context.span_id() == publish.span_context.span_id());
    assert!(linked, "the consumer links to the publish it came from");
}

fn a_purchase_moves_the_metrics(metrics: &str) {
    let route = [
        ("route", "/api/v1/checkout"),
        ("method", "POST"),
        ("status", "201"),
    ];
    assert!(sample(metrics, "http_requests_total", &route) >= 1.0);
    let edge = [
        ("caller", "gateway"),
        ("callee", "orders"),
        ("rpc_method", "PlaceOrder"),
        ("code", "Ok"),
    ];
    assert!(
        sample(metrics, "rpc_client_calls_total", &edge) >= 1.0,
        "{metrics}"
    );
    let edge = [
        ("caller", "orders"),
        ("callee", "inventory"),
        ("rpc_method", "Reserve"),
    ];
    assert!(sample(metrics, "rpc_client_duration_seconds_count", &edge) >= 1.0);
    let served = [
        ("grpc_service", "emporium.orders.v1.Orders"),
        ("grpc_method", "PlaceOrder"),
        ("grpc_code", "Ok"),
    ];
    assert!(sample(metrics, "grpc_server_handled_total", &served) >= 1.0);
    assert!(sample(metrics, "orders_placed_total", &[]) >= 1.0);
    assert!(sample(metrics, "orders_confirmed_total", &[]) >= 1.0);
    assert!(
        sample(
            metrics,
            "orders_revenue_cents_total",
            &[("currency", "USD")]
        ) > 0.0
    );
    let subject = [("subject", events::checkout::OrderCompleted::SUBJECT)];
    assert!(sample(metrics, "bus_published_total", &subject) >= 1.0);
}

async fn a_declined_payment_shows_as_an_error_at_its_step(
    shop: &TestShop,
    exporter: &InMemorySpanExporter,
    before: &str,
    sku: &str,
) {
    let step = [("step", "authorize_payment")];
    let failures_before = sample(before, "saga_step_failures_total", &step);
    let declines_before = sample(before, "payments_declined_total", &[]);
    let admin = shop.admin_token_for("admin.faults").await;
    let fault = shop.url("/api/v1/admin/faults/payments.decline");
    let set = shop
        .http
        .put(&fault)
        .bearer_auth(&admin)
        .json(&json!({"kind": "fail"}));
    assert!(set.send().await.unwrap().status().is_success());

    let trace = new_trace();
    let order = check_out(shop, &trace, sku).await;
    shop.http
        .delete(&fault)
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(order["state"], "failed", "{order}");
    let spans = spans_of(exporter, trace.trace_id, |spans| {
        spans.names().contains(&"saga compensate")
    })
    .await;
    let failed = spans.named("saga authorize_payment");
    assert!(
        matches!(&failed.status, Status::Error { description } if description.contains("declined")),
        "{:?}",
        failed.status
    );
    assert_eq!(spans.named("saga reserve_stock").status, Status::Unset);
    assert!(!spans.names().contains(&"saga create_shipment"));

    let after = shop.get_text("/metrics").await;
    assert!(sample(&after, "saga_step_failures_total", &step) >= failures_before + 1.0);
    assert!(sample(&after, "payments_declined_total", &[]) >= declines_before + 1.0);
}
