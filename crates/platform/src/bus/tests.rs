//! Tests of the in-process bus: fan-out to durable consumers, acks, redelivery, dead letters.

use std::time::Duration;

use events::checkout::OrderCompleted;

use super::*;

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
        backoff: vec![Duration::from_millis(10)],
        ack_wait: Duration::from_millis(200),
        ..ConsumerConfig::new(name, filters)
    }
}

#[test]
fn subjects_match_like_nats() {
    assert!(subject_matches(
        "emporium.orders.>",
        "emporium.orders.order_placed"
    ));
    assert!(subject_matches(
        "emporium.*.order_placed",
        "emporium.orders.order_placed"
    ));
    assert!(subject_matches(
        "emporium.orders.order_placed",
        "emporium.orders.order_placed"
    ));
    assert!(!subject_matches("emporium.orders.>", "emporium.orders"));
    assert!(!subject_matches("emporium.orders.*", "emporium.orders.a.b"));
    assert!(!subject_matches(
        "emporium.payments.>",
        "emporium.orders.order_placed"
    ));
}

#[tokio::test]
async fn every_matching_durable_consumer_gets_each_event_and_publish_waits_for_their_acks() {
    let bus = InProcessBus::new();
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

    let publishing = tokio::spawn({
        let bus = bus.clone();
        async move {
            bus.publish("emporium.orders.order_completed", envelope("e1"))
                .await
        }
    });
    let first = notifications.next().await.unwrap();
    let second = analytics.next().await.unwrap();
    assert_eq!(first.envelope.id, "e1");
    assert_eq!(second.attempt, 1);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(
        !publishing.is_finished(),
        "publish returns only when every consumer has acked"
    );
    first.ack();
    second.ack();
    publishing.await.unwrap().unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(50), payments.next())
            .await
            .is_err(),
        "filters hold"
    );
    assert!(bus.dead_letters().is_empty());
}

#[tokio::test]
async fn a_nacked_or_unanswered_event_comes_again_and_then_goes_to_the_dead_letters() {
    let bus = InProcessBus::new();
    let mut consumer = bus.consumer(quick("flaky", &["emporium.>"])).await.unwrap();
    let publishing = tokio::spawn({
        let bus = bus.clone();
        async move {
            bus.publish("emporium.orders.order_completed", envelope("e2"))
                .await
        }
    });
    let first = consumer.next().await.unwrap();
    assert_eq!(first.attempt, 1);
    first.nak();
    let second = consumer.next().await.unwrap();
    assert_eq!(second.attempt, 2, "a nack brings it again");
    drop(second);
    let third = consumer.next().await.unwrap();
    assert_eq!(third.attempt, 3, "dropping it unacked counts as a nack");
    std::mem::forget(third); // never answered: the ack wait runs out
    publishing.await.unwrap().unwrap();
    let dead = bus.dead_letters();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].consumer, "flaky");
    assert_eq!(dead[0].envelope.id, "e2");
    assert_eq!(dead[0].attempts, 3);
}

#[tokio::test]
async fn a_consumer_that_binds_again_gets_the_redeliveries() {
    let bus = InProcessBus::new();
    let consumer = bus
        .consumer(quick("restarting", &["emporium.>"]))
        .await
        .unwrap();
    drop(consumer);
    let publishing = tokio::spawn({
        let bus = bus.clone();
        async move {
            bus.publish("emporium.orders.order_completed", envelope("e3"))
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(5)).await;
    let mut again = bus
        .consumer(quick("restarting", &["emporium.>"]))
        .await
        .unwrap();
    let delivery = again.next().await.unwrap();
    assert!(
        delivery.attempt >= 2,
        "the first attempt found nobody bound"
    );
    delivery.ack();
    publishing.await.unwrap().unwrap();
    assert!(bus.dead_letters().is_empty());
}

#[tokio::test]
async fn a_dead_letter_replayed_comes_to_its_consumer_alone_and_leaves_the_list() {
    let bus = InProcessBus::new();
    let mut flaky = bus.consumer(quick("flaky", &["emporium.>"])).await.unwrap();
    let mut steady = bus
        .consumer(quick("steady", &["emporium.>"]))
        .await
        .unwrap();
    let publishing = tokio::spawn({
        let bus = bus.clone();
        async move {
            bus.publish("emporium.orders.order_completed", envelope("e9"))
                .await
        }
    });
    steady.next().await.unwrap().ack();
    for _ in 0..3 {
        flaky.next().await.unwrap().nak();
    }
    publishing.await.unwrap().unwrap();
    assert_eq!(bus.dead_letters().len(), 1);
    assert_eq!(
        bus.backlogs().await,
        [("flaky".to_owned(), 0), ("steady".to_owned(), 0)]
    );

    let missing = bus.replay("flaky", "no-such-event").await;
    assert!(matches!(missing, Err(BusError::NotFound(_))), "{missing:?}");
    bus.replay("flaky", "e9").await.unwrap();
    assert!(
        bus.dead_letters().is_empty(),
        "replayed, it leaves the list"
    );
    let again = tokio::time::timeout(Duration::from_secs(5), flaky.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.envelope.id, "e9");
    assert_eq!(again.attempt, 1, "a replay has all its attempts again");
    assert_eq!(
        bus.backlogs().await[0],
        ("flaky".to_owned(), 1),
        "in flight"
    );
    again.ack();
    let quiet = tokio::time::timeout(Duration::from_millis(100), steady.next()).await;
    assert!(quiet.is_err(), "the other consumer does not get it again");
}
