//! Webhooks to a real HTTP receiver bound to port 0: signed as Standard Webhooks describes,
//! retried with backoff until delivered, across a restart of the service too, dead after the
//! last attempt and sent again, turned off by 410, shaped by a transform function, and never
//! holding up the bus.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use events::Envelope;
use events::checkout::OrderCompleted;
use platform::bus::EventBus;
use platform::transport::request;
use proto::functions as pb;
use tonic::Code;

use crate::{TestService, client, deploy_request, example};

/// The requests a receiver got: each one's headers and body.
type Received = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

/// What the receiver got, and how it answers: the statuses in turn (the last one again), and a
/// delay before each answer.
#[derive(Clone, Default)]
struct Receiver {
    got: Received,
    statuses: Arc<Mutex<Vec<u16>>>,
    delay: Arc<Mutex<Duration>>,
}

impl Receiver {
    /// Serves on 127.0.0.1:0; answers its URL.
    async fn start(statuses: &[u16]) -> (Receiver, String) {
        let receiver = Receiver::default();
        *receiver.statuses.lock().unwrap() = statuses.to_vec();
        let state = receiver.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let state = state.clone();
                async move {
                    let delay = *state.delay.lock().unwrap();
                    tokio::time::sleep(delay).await;
                    state.got.lock().unwrap().push((headers, body.to_vec()));
                    let mut statuses = state.statuses.lock().unwrap();
                    let status = if statuses.len() > 1 {
                        statuses.remove(0)
                    } else {
                        statuses[0]
                    };
                    StatusCode::from_u16(status).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, url)
    }

    fn got(&self) -> Vec<(HeaderMap, Vec<u8>)> {
        self.got.lock().unwrap().clone()
    }

    async fn until_got(&self, count: usize, within: Duration) -> Vec<(HeaderMap, Vec<u8>)> {
        let started = Instant::now();
        while self.got().len() < count && started.elapsed() < within {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.got()
    }
}

fn completed(order: &str) -> Envelope {
    let event = OrderCompleted {
        order_id: order.to_owned(),
        user_id: "u-7".to_owned(),
        confirmed: true,
        failure_reason: String::new(),
        lines: Vec::new(),
    };
    Envelope::new(format!("completed-{order}"), &event, 1_765_000_000_000)
}

async fn register(service: &TestService, url: &str, transform: &str) -> pb::WebhookEndpoint {
    let token = service
        .issuer
        .service_token("admin", proto::scopes::WEBHOOKS_ADMIN);
    let asked = pb::CreateWebhookEndpointRequest {
        url: url.to_owned(),
        event_types: vec!["emporium.orders.order_completed.v1".to_owned()],
        description: "the merchant's shop system".to_owned(),
        transform: transform.to_owned(),
    };
    client(&service.transports.network)
        .create_webhook_endpoint(request(asked, &token))
        .await
        .unwrap()
        .into_inner()
}

async fn deliveries(service: &TestService, id: &str) -> Vec<pb::WebhookDelivery> {
    let token = service
        .issuer
        .service_token("admin", proto::scopes::WEBHOOKS_ADMIN);
    let asked = pb::ListWebhookDeliveriesRequest {
        id: id.to_owned(),
        limit: 10,
    };
    client(&service.transports.in_process)
        .list_webhook_deliveries(request(asked, &token))
        .await
        .unwrap()
        .into_inner()
        .deliveries
}

/// The HMAC-SHA256 the receiver computes with the secret it was given.
fn expected_signature(secret: &str, id: &str, timestamp: &str, body: &[u8]) -> String {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .unwrap();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key);
    let mut signed = format!("{id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(ring::hmac::sign(&key, &signed))
    )
}

#[tokio::test]
async fn an_event_is_posted_signed_and_logged_as_delivered() {
    for engine in test_support::engines() {
        let service = TestService::spawn(engine).await;
        let (receiver, url) = Receiver::start(&[204]).await;
        let endpoint = register(&service, &url, "").await;
        assert!(endpoint.secret.starts_with("whsec_"), "{engine}");

        service
            .bus
            .publish("emporium.orders.order_completed", completed("o-1"))
            .await
            .unwrap();
        let got = receiver.until_got(1, Duration::from_secs(10)).await;

        let (headers, body) = &got[0];
        assert_eq!(headers["webhook-id"], "completed-o-1");
        let timestamp = headers["webhook-timestamp"].to_str().unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(now.abs_diff(timestamp.parse().unwrap()) < 60);
        let signature = headers["webhook-signature"].to_str().unwrap();
        assert_eq!(
            signature,
            expected_signature(&endpoint.secret, "completed-o-1", timestamp, body)
        );
        let body: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(body["type"], "emporium.orders.order_completed.v1");
        assert_eq!(body["data"]["order_id"], "o-1");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let log = deliveries(&service, &endpoint.id).await;
        assert_eq!(
            (log[0].state.as_str(), log[0].attempts, log[0].last_status),
            ("delivered", 1, 204)
        );
    }
}

#[tokio::test]
async fn a_failing_receiver_is_tried_again_until_it_takes_the_event() {
    let service = TestService::spawn("sqlite").await;
    let (receiver, url) = Receiver::start(&[500, 503, 200]).await;
    let endpoint = register(&service, &url, "").await;
    service
        .bus
        .publish("emporium.orders.order_completed", completed("o-2"))
        .await
        .unwrap();

    let got = receiver.until_got(3, Duration::from_secs(15)).await;
    assert_eq!(got.len(), 3, "two failures, then delivered");
    let ids: Vec<&str> = got
        .iter()
        .map(|(headers, _)| headers["webhook-id"].to_str().unwrap())
        .collect();
    assert_eq!(ids, ["completed-o-2"; 3], "the same id on every attempt");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = deliveries(&service, &endpoint.id).await;
    assert_eq!(
        (log[0].state.as_str(), log[0].attempts, log[0].last_status),
        ("delivered", 3, 200)
    );
}

#[tokio::test]
async fn a_delivery_is_dead_after_its_last_attempt_and_a_replay_sends_it_again() {
    let config = functions::Config {
        webhook_max_attempts: 2,
        ..functions::Config::default()
    };
    let service = TestService::spawn_with("sqlite", config).await;
    let (receiver, url) = Receiver::start(&[503]).await;
    let endpoint = register(&service, &url, "").await;
    service
        .bus
        .publish("emporium.orders.order_completed", completed("o-3"))
        .await
        .unwrap();
    receiver.until_got(2, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = deliveries(&service, &endpoint.id).await;
    assert_eq!((log[0].state.as_str(), log[0].attempts), ("dead", 2));
    assert_eq!(log[0].last_error, "the receiver answered 503");

    *receiver.statuses.lock().unwrap() = vec![200];
    let token = service
        .issuer
        .service_token("admin", proto::scopes::WEBHOOKS_ADMIN);
    let replay = pb::ReplayWebhookDeliveryRequest {
        id: endpoint.id.clone(),
        event_id: "completed-o-3".to_owned(),
    };
    client(&service.transports.in_process)
        .replay_webhook_delivery(request(replay, &token))
        .await
        .unwrap();
    receiver.until_got(3, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        deliveries(&service, &endpoint.id).await[0].state,
        "delivered"
    );
}

#[tokio::test]
async fn a_slow_receiver_holds_up_neither_the_bus_nor_other_endpoints() {
    let service = TestService::spawn("sqlite").await;
    let (slow, slow_url) = Receiver::start(&[200]).await;
    *slow.delay.lock().unwrap() = Duration::from_secs(8);
    let (quick, quick_url) = Receiver::start(&[200]).await;
    register(&service, &slow_url, "").await;
    register(&service, &quick_url, "").await;

    let started = Instant::now();
    service
        .bus
        .publish("emporium.orders.order_completed", completed("o-4"))
        .await
        .unwrap();
    let published = started.elapsed();
    let got = quick.until_got(1, Duration::from_secs(5)).await;

    assert!(
        published < Duration::from_secs(4),
        "the bus waited {published:?} for the receiver"
    );
    assert_eq!(
        got.len(),
        1,
        "the quick receiver got its event while the slow one was still answering"
    );
    assert!(slow.got().is_empty());
}

#[tokio::test]
async fn a_receiver_that_is_gone_turns_its_endpoint_off() {
    let service = TestService::spawn("sqlite").await;
    let (receiver, url) = Receiver::start(&[410]).await;
    let endpoint = register(&service, &url, "").await;
    service
        .bus
        .publish("emporium.orders.order_completed", completed("o-5"))
        .await
        .unwrap();
    receiver.until_got(1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    service
        .bus
        .publish("emporium.orders.order_completed", completed("o-6"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;

    assert_eq!(receiver.got().len(), 1, "nothing more is sent to it");
    let token = service
        .issuer
        .service_token("admin", proto::scopes::WEBHOOKS_ADMIN);
    let listed = client(&service.transports.in_process)
        .list_webhook_endpoints(request(pb::ListWebhookEndpointsRequest {}, &token))
        .await
        .unwrap();
    let listed = listed.into_inner().endpoints;
    assert_eq!(listed[0].id, endpoint.id);
    assert!(!listed[0].enabled);
    assert!(listed[0].secret.is_empty(), "secrets are shown once");
}

#[tokio::test]
async fn a_transform_function_shapes_the_body() {
    let service = TestService::spawn("sqlite").await;
    let admin = service.admin_token();
    client(&service.transports.in_process)
        .deploy(request(
            deploy_request("slack", example("webhook-slack")),
            &admin,
        ))
        .await
        .unwrap();
    let (receiver, url) = Receiver::start(&[200]).await;
    register(&service, &url, "slack").await;
    service
        .bus
        .publish("emporium.orders.order_completed", completed("o-7"))
        .await
        .unwrap();

    let got = receiver.until_got(1, Duration::from_secs(10)).await;
    let body: serde_json::Value = serde_json::from_slice(&got[0].1).unwrap();
    assert_eq!(body, serde_json::json!({"text": "Order o-7 confirmed"}));
}

#[tokio::test]
async fn an_endpoint_that_cannot_be_is_refused_naming_the_problem() {
    let service = TestService::spawn("sqlite").await;
    let token = service
        .issuer
        .service_token("admin", proto::scopes::WEBHOOKS_ADMIN);
    let mut client = client(&service.transports.in_process);
    let asked = |url: &str, types: &[&str], transform: &str| pb::CreateWebhookEndpointRequest {
        url: url.to_owned(),
        event_types: types.iter().map(|kind| (*kind).to_owned()).collect(),
        description: String::new(),
        transform: transform.to_owned(),
    };
    let kind = "emporium.orders.order_completed.v1";
    let status = client
        .create_webhook_endpoint(request(
            asked("ftp://merchant.example/", &[kind], ""),
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (
            Code::InvalidArgument,
            "url: `ftp://merchant.example/`: webhooks go to http or https URLs"
        )
    );
    let status = client
        .create_webhook_endpoint(request(asked("https://merchant.example/", &[], ""), &token))
        .await
        .unwrap_err();
    assert_eq!(
        status.message(),
        "event_types: name at least one event type"
    );
    let status = client
        .create_webhook_endpoint(request(
            asked("https://merchant.example/", &[kind], "nobody"),
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let functions_admin = service.admin_token();
    let status = client
        .create_webhook_endpoint(request(
            asked("https://merchant.example/", &[kind], ""),
            &functions_admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::PermissionDenied,
        "webhooks need webhooks.admin"
    );
}

#[tokio::test]
async fn deliveries_owed_when_the_service_stops_are_sent_after_it_starts_again() {
    let database_url = test_support::fresh_database_url("sqlite").await.unwrap();
    let config = functions::Config {
        database_url,
        ..functions::Config::default()
    };
    let service = TestService::start(config.clone()).await;
    let (receiver, url) = Receiver::start(&[503]).await;
    register(&service, &url, "").await;
    for order in ["o-20", "o-21", "o-22"] {
        service
            .bus
            .publish("emporium.orders.order_completed", completed(order))
            .await
            .unwrap();
    }
    assert_eq!(receiver.until_got(3, Duration::from_secs(5)).await.len(), 3);
    drop(service);

    // The receiver takes them now; the service starts again on the same database.
    *receiver.statuses.lock().unwrap() = vec![200];
    let taken_from = receiver.got().len();
    let _again = TestService::start(config).await;
    let started = Instant::now();
    let taken = loop {
        let mut ids: Vec<String> = receiver.got()[taken_from..]
            .iter()
            .map(|(headers, _)| headers["webhook-id"].to_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids.dedup();
        if ids.len() == 3 || started.elapsed() > Duration::from_secs(10) {
            break ids;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        taken,
        ["completed-o-20", "completed-o-21", "completed-o-22"],
        "every delivery owed arrived after the restart"
    );
}
