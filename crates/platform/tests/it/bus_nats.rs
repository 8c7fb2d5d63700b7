//! The JetStream bus against a real NATS server (`EMPORIUM_TEST_NATS_URL`): durable fan-out,
//! repeats dropped by event id, redelivery, dead letters, a consumer that binds again; and,
//! with no server at all, publishing fails with `Unavailable` so the outbox keeps the event.

use std::time::Duration;

use events::checkout::OrderCompleted;
use events::{Envelope, Event};
use platform::bus::nats::JetStreamBus;
use platform::bus::{BusError, ConsumerConfig, EventBus};

fn envelope(id: &str) -> Envelope {
    let event = OrderCompleted {
        order_id: format!("order-{id}"),
        user_id: "user-1".to_owned(),
        confirmed: true,
        failure_reason: String::new(),
        lines: Vec::new(),
    };
    Envelope::new(id.to_owned(), &event, 0)
}

fn quick(name: &str, filters: &[&str]) -> ConsumerConfig {
    ConsumerConfig {
        max_deliver: 3,
        backoff: vec![Duration::from_millis(50)],
        ack_wait: Duration::from_secs(2),
        ..ConsumerConfig::new(name, filters)
    }
}

/// A bus in a namespace of its own on the test server, or `None` when no server is configured.
async fn bus() -> Option<JetStreamBus> {
    let Ok(url) = std::env::var("EMPORIUM_TEST_NATS_URL") else {
        eprintln!("EMPORIUM_TEST_NATS_URL is not set: this NATS test is skipped");
        return None;
    };
    let namespace = format!("test_{}", uuid::Uuid::new_v4().simple());
    Some(JetStreamBus::connect_in(&url, &namespace).await.unwrap())
}

async fn next(consumer: &mut platform::bus::Consumer) -> platform::bus::Delivery {
    tokio::time::timeout(Duration::from_secs(10), consumer.next())
        .await
        .expect("a delivery within 10 s")
        .expect("the consumer is open")
}

#[tokio::test]
async fn every_durable_consumer_gets_each_event_once_even_when_published_twice() {
    let Some(bus) = bus().await else { return };
    let mut notifications = bus
        .consumer(quick("notifications", &["emporium.orders.>"]))
        .await
        .unwrap();
    let mut analytics = bus
        .consumer(quick("analytics", &["emporium.*.order_completed"]))
        .await
        .unwrap();
    let mut payments = bus
        .consumer(quick("payments", &["emporium.payments.>"]))
        .await
        .unwrap();
    bus.publish(OrderCompleted::SUBJECT, envelope("e-1"))
        .await
        .unwrap();
    // The relay sends an event again when it crashed before marking it: the stream drops it.
    bus.publish(OrderCompleted::SUBJECT, envelope("e-1"))
        .await
        .unwrap();
    bus.publish(OrderCompleted::SUBJECT, envelope("e-2"))
        .await
        .unwrap();
    for consumer in [&mut notifications, &mut analytics] {
        let first = next(consumer).await;
        assert_eq!(first.envelope.id, "e-1");
        assert_eq!(
            first.subject,
            OrderCompleted::SUBJECT,
            "no namespace in sight"
        );
        first.ack();
        let second = next(consumer).await;
        assert_eq!(second.envelope.id, "e-2", "the repeat of e-1 was dropped");
        second.ack();
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(500), payments.next())
            .await
            .is_err(),
        "a consumer gets only its subjects"
    );
}

#[tokio::test]
async fn a_namespace_can_be_deleted_with_its_streams_and_the_shops_own_cannot() {
    let Some(bus) = bus().await else { return };
    let _consumer = bus
        .consumer(quick("doomed", &["emporium.>"]))
        .await
        .unwrap();
    bus.publish(OrderCompleted::SUBJECT, envelope("e-7"))
        .await
        .unwrap();
    let deleted = bus.delete_namespace().await.unwrap();
    assert!(
        deleted >= 2,
        "the events' and the dead letters' streams: {deleted}"
    );
    assert_eq!(bus.delete_namespace().await.unwrap(), 0, "nothing is left");
    let url = std::env::var("EMPORIUM_TEST_NATS_URL").unwrap();
    let shared = JetStreamBus::connect(&url).await.unwrap();
    assert!(shared.delete_namespace().await.is_err());
}

#[tokio::test]
async fn a_nacked_event_comes_again_and_then_goes_to_the_dead_letters() {
    let Some(bus) = bus().await else { return };
    let mut consumer = bus.consumer(quick("flaky", &["emporium.>"])).await.unwrap();
    bus.publish(OrderCompleted::SUBJECT, envelope("e-9"))
        .await
        .unwrap();
    for attempt in 1..=3 {
        let delivery = next(&mut consumer).await;
        assert_eq!(delivery.envelope.id, "e-9");
        assert_eq!(delivery.attempt, attempt);
        delivery.nak();
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while bus.dead_letters().is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let dead = bus.dead_letters();
    assert_eq!(dead.len(), 1, "dead-lettered after max_deliver: {dead:?}");
    assert_eq!(dead[0].consumer, "flaky");
    assert_eq!(dead[0].subject, OrderCompleted::SUBJECT);
    assert_eq!(dead[0].attempts, 3);
    assert!(
        tokio::time::timeout(Duration::from_millis(500), consumer.next())
            .await
            .is_err(),
        "no fourth delivery"
    );
}

#[tokio::test]
async fn a_consumer_that_binds_again_gets_what_it_did_not_ack() {
    let Some(bus) = bus().await else { return };
    let mut first = bus
        .consumer(quick("restarting", &["emporium.>"]))
        .await
        .unwrap();
    bus.publish(OrderCompleted::SUBJECT, envelope("e-5"))
        .await
        .unwrap();
    let delivery = next(&mut first).await;
    assert_eq!(delivery.attempt, 1);
    // The process dies with the event in hand.
    std::mem::forget(delivery);
    drop(first);
    let mut again = bus
        .consumer(quick("restarting", &["emporium.>"]))
        .await
        .unwrap();
    let delivery = next(&mut again).await;
    assert_eq!(delivery.envelope.id, "e-5");
    assert!(delivery.attempt >= 2, "a redelivery: {}", delivery.attempt);
    delivery.ack();
}

#[tokio::test]
async fn with_no_server_publish_fails_as_unavailable() {
    // Nothing listens on this port: the outbox must learn that the event did not go out.
    let address = test_support::unused_address();
    let bus = JetStreamBus::connect(&format!("nats://{address}"))
        .await
        .unwrap();
    let result = bus.publish(OrderCompleted::SUBJECT, envelope("e-1")).await;
    assert!(
        matches!(result, Err(BusError::Unavailable(_))),
        "{result:?}"
    );
}
