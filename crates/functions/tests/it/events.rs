//! Functions triggered by events: delivered at least once (a redelivered event runs nothing
//! twice), what they emit published on the bus, failures retried then dead, and replayed.

use std::time::Duration;

use events::Envelope;
use events::checkout::{Line, OrderCompleted, OrderPlaced};
use platform::bus::{ConsumerConfig, EventBus};
use platform::transport::request;
use proto::functions as pb;

use crate::{TestService, client, deploy_request, example};

const AWARDED: &str = "emporium.functions.points_awarded.v1";

/// Deploys the loyalty example (with `limits`) subscribed to orders placed and completed.
async fn deploy_loyalty(service: &TestService, limits: Option<pb::Limits>) -> pb::Function {
    let token = service.admin_token();
    let mut client = client(&service.transports.in_process);
    let mut deploy = deploy_request("loyalty", example("loyalty"));
    deploy.grants = Some(pb::Grants {
        kv: true,
        emit: vec![AWARDED.to_owned()],
    });
    deploy.limits = limits;
    client.deploy(request(deploy, &token)).await.unwrap();
    let triggers = pb::Triggers {
        events: vec![
            "emporium.orders.order_placed.v1".to_owned(),
            "emporium.orders.order_completed.v1".to_owned(),
        ],
        ..Default::default()
    };
    let set = pb::SetTriggersRequest {
        name: "loyalty".to_owned(),
        triggers: Some(triggers),
    };
    client
        .set_triggers(request(set, &token))
        .await
        .unwrap()
        .into_inner()
}

fn placed(order: &str, total: i64) -> Envelope {
    let event = OrderPlaced {
        order_id: order.to_owned(),
        user_id: "u-7".to_owned(),
        lines: vec![Line {
            sku: "KIT-00001".to_owned(),
            quantity: 1,
        }],
        total_minor_units: total,
        currency: "USD".to_owned(),
    };
    Envelope::new(format!("placed-{order}"), &event, 1_765_000_000_000)
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

/// Waits until the runner of `service` serves the triggers just set.
async fn until_subscribed(service: &TestService) {
    for _ in 0..100 {
        let (revision, _) = service.functions.deployments().await.unwrap();
        if service.functions.serving_revision() >= revision {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the runner did not take the deployments");
}

#[tokio::test]
async fn an_event_runs_its_functions_once_and_what_they_emit_is_published() {
    for engine in test_support::engines() {
        let service = TestService::spawn(engine).await;
        let mut awarded = service
            .bus
            .consumer(ConsumerConfig::new("test", &["emporium.functions.>"]))
            .await
            .unwrap();
        deploy_loyalty(&service, None).await;
        until_subscribed(&service).await;

        service
            .bus
            .publish("emporium.orders.order_placed", placed("o-1", 5_399))
            .await
            .unwrap();
        service
            .bus
            .publish("emporium.orders.order_completed", completed("o-1"))
            .await
            .unwrap();
        // The bus delivers again (at least once): nothing is awarded twice.
        service
            .bus
            .publish("emporium.orders.order_completed", completed("o-1"))
            .await
            .unwrap();

        let delivery = tokio::time::timeout(Duration::from_secs(30), awarded.next())
            .await
            .expect("points awarded")
            .unwrap();
        assert_eq!(
            delivery.subject, "emporium.functions.points_awarded",
            "{engine}"
        );
        assert_eq!(delivery.envelope.kind, AWARDED);
        assert_eq!(delivery.envelope.source, "/emporium/functions/loyalty");
        assert_eq!(delivery.envelope.data["balance"], 53);
        delivery.ack();
        let again = tokio::time::timeout(Duration::from_millis(1500), awarded.next()).await;
        assert!(again.is_err(), "a second award: {again:?}");
        let value = service
            .functions
            .kv_get("loyalty", "points:u-7")
            .await
            .unwrap();
        assert_eq!(value, Some(b"53".to_vec()));
    }
}

/// Two events queued together run at once, so a completion may run before its placement: it
/// fails, is retried, and awards the points once the placement has run.
#[tokio::test]
async fn a_completion_that_runs_before_its_placement_awards_on_a_retry() {
    let service = TestService::spawn("sqlite").await;
    let mut awarded = service
        .bus
        .consumer(ConsumerConfig::new("test", &["emporium.functions.>"]))
        .await
        .unwrap();
    deploy_loyalty(&service, None).await;
    until_subscribed(&service).await;
    service
        .bus
        .publish("emporium.orders.order_completed", completed("o-2"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    service
        .bus
        .publish("emporium.orders.order_placed", placed("o-2", 1_250))
        .await
        .unwrap();

    let delivery = tokio::time::timeout(Duration::from_secs(30), awarded.next())
        .await
        .expect("points awarded")
        .unwrap();
    assert_eq!(delivery.envelope.data["order_id"], "o-2");
    assert_eq!(delivery.envelope.data["points"], 12);
    delivery.ack();
    let again = tokio::time::timeout(Duration::from_millis(1500), awarded.next()).await;
    assert!(again.is_err(), "a second award: {again:?}");
}

#[tokio::test]
async fn a_failing_delivery_is_retried_then_dead_and_a_replay_delivers_it() {
    let config = functions::Config {
        max_attempts: 2,
        ..functions::Config::default()
    };
    let service = TestService::spawn_with("sqlite", config).await;
    // So little fuel that every attempt runs out.
    deploy_loyalty(
        &service,
        Some(pb::Limits {
            fuel: 100,
            ..Default::default()
        }),
    )
    .await;
    until_subscribed(&service).await;
    service
        .bus
        .publish("emporium.orders.order_placed", placed("o-9", 5_399))
        .await
        .unwrap();

    let mut dead = Vec::new();
    for _ in 0..100 {
        dead = service
            .functions
            .dead_deliveries("loyalty", 10)
            .await
            .unwrap();
        if !dead.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(dead.len(), 1, "dead after two attempts, 0.5 to 1 s apart");
    assert_eq!(
        (dead[0].event_id.as_str(), dead[0].attempts),
        ("placed-o-9", 2)
    );
    assert_eq!(dead[0].event_type, "emporium.orders.order_placed.v1");
    assert!(
        dead[0].last_error.contains("fuel"),
        "{}",
        dead[0].last_error
    );

    // Fixed by a new version with the default limits, then replayed.
    deploy_loyalty(&service, None).await;
    until_subscribed(&service).await;
    service
        .functions
        .replay_delivery("loyalty", "placed-o-9")
        .await
        .unwrap();
    let mut pending = None;
    for _ in 0..100 {
        pending = service
            .functions
            .kv_get("loyalty", "pending:o-9")
            .await
            .unwrap();
        if pending.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(pending, Some(b"53".to_vec()));
    assert!(
        service
            .functions
            .dead_deliveries("loyalty", 10)
            .await
            .unwrap()
            .is_empty()
    );
    let error = service
        .functions
        .replay_delivery("loyalty", "placed-o-9")
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "no dead delivery loyalty/placed-o-9");
}
