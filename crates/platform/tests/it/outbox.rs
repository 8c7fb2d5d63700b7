//! The outbox: events commit with their change or not at all, reach the bus once marked, come
//! again after a crash before the mark, and the inbox makes a second delivery change nothing.

use std::sync::Arc;
use std::time::Duration;

use events::Envelope;
use events::checkout::OrderCompleted;
use platform::bus::{ConsumerConfig, EventBus, InProcessBus};
use platform::db;
use platform::db::Database;
use platform::outbox::{self, Relay};

use crate::{count, databases};

fn completed(order_id: &str) -> Envelope {
    let event = OrderCompleted {
        order_id: order_id.to_owned(),
        user_id: "u".to_owned(),
        confirmed: true,
        failure_reason: String::new(),
        lines: Vec::new(),
    };
    Envelope::new(uuid::Uuid::new_v4().to_string(), &event, 0)
}

async fn place(database: &Database, order_id: &str, commit: bool) {
    let mut transaction = database.begin_write().await.unwrap();
    db::query("INSERT INTO orders (id) VALUES ($1)")
        .bind(order_id)
        .execute(&mut *transaction)
        .await
        .unwrap();
    outbox::append(
        &mut transaction,
        "emporium.orders.order_completed",
        completed(order_id),
    )
    .await
    .unwrap();
    if commit {
        transaction.commit().await.unwrap();
    } else {
        transaction.rollback().await.unwrap();
    }
}

async fn pending(database: &Database) -> i64 {
    count(
        "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL",
        database.pool(),
    )
    .await
}

#[tokio::test]
async fn events_are_published_with_their_change_and_only_with_it() {
    for database in databases().await {
        let bus = InProcessBus::new();
        let mut consumer = bus
            .consumer(ConsumerConfig::new("test", &["emporium.orders.>"]))
            .await
            .unwrap();
        let relay = Relay::new(database.clone(), Arc::new(bus.clone()));
        place(&database, "kept", true).await;
        place(&database, "rolled-back", false).await;
        assert_eq!(
            pending(&database).await,
            1,
            "{:?}: the rolled-back change left no event",
            database.engine()
        );

        let acking = tokio::spawn(async move {
            let delivery = consumer.next().await.unwrap();
            let subject = delivery.envelope.subject.clone();
            delivery.ack();
            subject
        });
        assert_eq!(relay.publish_pending().await.unwrap(), 1);
        assert_eq!(acking.await.unwrap(), "kept");
        assert_eq!(pending(&database).await, 0, "published rows are marked");
        assert_eq!(
            relay.publish_pending().await.unwrap(),
            0,
            "and not published again"
        );
    }
}

#[tokio::test]
async fn after_a_crash_before_the_mark_the_event_comes_again_and_the_inbox_drops_it() {
    for database in databases().await {
        place(&database, "order-1", true).await;
        // The first relay publishes and "crashes" before marking: the same row is pending again.
        let bus = InProcessBus::new();
        let mut consumer = bus
            .consumer(ConsumerConfig::new("notifications", &["emporium.>"]))
            .await
            .unwrap();
        let relay = Relay::new(database.clone(), Arc::new(bus.clone()));
        let handled = tokio::spawn({
            let database = database.clone();
            async move {
                let mut effects = 0;
                for _ in 0..2 {
                    let delivery = consumer.next().await.unwrap();
                    let mut transaction = database.begin_write().await.unwrap();
                    if outbox::first_delivery(
                        &mut transaction,
                        "notifications",
                        &delivery.envelope.id,
                    )
                    .await
                    .unwrap()
                    {
                        effects += 1;
                    }
                    transaction.commit().await.unwrap();
                    delivery.ack();
                }
                effects
            }
        });
        relay.publish_pending().await.unwrap();
        db::query("UPDATE outbox SET published_at = NULL")
            .execute(database.writer())
            .await
            .unwrap();
        let after_restart = Relay::new(database.clone(), Arc::new(bus.clone()));
        assert_eq!(
            after_restart.publish_pending().await.unwrap(),
            1,
            "the unmarked event is sent again"
        );
        assert_eq!(
            handled.await.unwrap(),
            1,
            "{:?}: the second delivery had no effect",
            database.engine()
        );
    }
}

#[tokio::test]
async fn the_relay_runs_until_shutdown_and_keeps_events_while_the_bus_is_away() {
    for database in databases().await {
        struct AwayBus;
        impl EventBus for AwayBus {
            fn publish(
                &self,
                _: &str,
                _: Envelope,
            ) -> futures_util::future::BoxFuture<'_, Result<(), platform::bus::BusError>>
            {
                Box::pin(async {
                    Err(platform::bus::BusError::Unavailable(
                        "down for the test".to_owned(),
                    ))
                })
            }
            fn consumer(
                &self,
                _: ConsumerConfig,
            ) -> futures_util::future::BoxFuture<
                '_,
                Result<platform::bus::Consumer, platform::bus::BusError>,
            > {
                Box::pin(async {
                    Err(platform::bus::BusError::Unavailable(
                        "down for the test".to_owned(),
                    ))
                })
            }
            fn dead_letters(&self) -> Vec<platform::bus::DeadLetter> {
                Vec::new()
            }
            fn backlogs(&self) -> futures_util::future::BoxFuture<'_, Vec<(String, u64)>> {
                Box::pin(async { Vec::new() })
            }
            fn replay<'a>(
                &'a self,
                _: &'a str,
                _: &'a str,
            ) -> futures_util::future::BoxFuture<'a, Result<(), platform::bus::BusError>>
            {
                Box::pin(async {
                    Err(platform::bus::BusError::Unavailable(
                        "down for the test".to_owned(),
                    ))
                })
            }
        }
        place(&database, "waiting", true).await;
        assert_eq!(
            Relay::new(database.clone(), Arc::new(AwayBus))
                .publish_pending()
                .await
                .unwrap(),
            0
        );
        assert_eq!(pending(&database).await, 1, "the event waits in the outbox");

        let bus = InProcessBus::new();
        let mut consumer = bus
            .consumer(ConsumerConfig::new("late", &["emporium.>"]))
            .await
            .unwrap();
        let relay = Relay::new(database.clone(), Arc::new(bus));
        let waker = relay.waker();
        let shutdown = platform::Shutdown::new();
        let running = tokio::spawn(relay.run_until_stopped(shutdown.clone()));
        consumer.next().await.unwrap().ack();
        place(&database, "woken", true).await;
        waker.wake();
        let delivery = tokio::time::timeout(Duration::from_secs(5), consumer.next())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(delivery.envelope.subject, "woken");
        delivery.ack();
        shutdown.trigger();
        tokio::time::timeout(Duration::from_secs(5), running)
            .await
            .unwrap()
            .unwrap();
    }
}

#[tokio::test]
async fn published_rows_are_pruned_after_the_retention_and_pending_ones_never() {
    for database in databases().await {
        place(&database, "published", true).await;
        let bus = InProcessBus::new();
        let relay = Relay::new(database.clone(), Arc::new(bus)).with_retention(Duration::ZERO);
        relay.publish_pending().await.unwrap();
        place(&database, "pending", true).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(
            relay.prune().await.unwrap(),
            1,
            "{:?}: the published row went",
            database.engine()
        );
        assert_eq!(pending(&database).await, 1, "the pending row stayed");
        let kept = Relay::new(database.clone(), Arc::new(InProcessBus::new()));
        kept.publish_pending().await.unwrap();
        assert_eq!(
            kept.prune().await.unwrap(),
            0,
            "within the default hour nothing goes"
        );
    }
}
