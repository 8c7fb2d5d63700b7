//! Reservations: hold, commit, release, expiry, idempotency and concurrency.

use std::time::Duration;

use platform::bus::{ConsumerConfig, EventBus};
use platform::transport::request;
use proto::inventory as pb;
use tonic::Code;

use crate::{Client, TestInventory, level, reserve};

#[tokio::test]
async fn a_reservation_holds_stock_and_commit_or_release_moves_it_over_both_transports() {
    for engine in test_support::engines() {
        let app = TestInventory::spawn(engine).await;
        let token = app.orders_token();
        for (name, transport) in app.transports.each() {
            let mut client = Client::new(transport);
            let (a, b) = (format!("A-{name}"), format!("B-{name}"));
            app.stock(&mut client, &a, 10).await;
            app.stock(&mut client, &b, 5).await;

            let held = client
                .reserve(request(
                    reserve(&format!("r1-{name}"), &[(&a, 3), (&b, 2)], 60),
                    &token,
                ))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(held.state, pb::ReservationState::Held as i32);
            let after = level(&mut client, &token, &a).await;
            assert_eq!(
                (after.on_hand, after.reserved, after.available),
                (10, 3, 7),
                "{engine}/{name}"
            );

            let committed = client
                .commit(request(
                    pb::CommitRequest {
                        reservation_id: format!("r1-{name}"),
                    },
                    &token,
                ))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(committed.state, pb::ReservationState::Committed as i32);
            let after = level(&mut client, &token, &a).await;
            assert_eq!(
                (after.on_hand, after.reserved),
                (7, 0),
                "{engine}/{name}: committed stock is sold"
            );
            let again = client
                .commit(request(
                    pb::CommitRequest {
                        reservation_id: format!("r1-{name}"),
                    },
                    &token,
                ))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(
                again.state,
                pb::ReservationState::Committed as i32,
                "a repeated commit is safe"
            );
            assert_eq!(
                level(&mut client, &token, &a).await.on_hand,
                7,
                "and changes nothing"
            );
            // A checkout that fails after its commit gives the sold stock back, once.
            for _ in 0..2 {
                let returned = client
                    .release(request(
                        pb::ReleaseRequest {
                            reservation_id: format!("r1-{name}"),
                        },
                        &token,
                    ))
                    .await
                    .unwrap()
                    .into_inner();
                assert_eq!(returned.state, pb::ReservationState::Released as i32);
            }
            let after = level(&mut client, &token, &a).await;
            assert_eq!(
                (after.on_hand, after.reserved),
                (10, 0),
                "{engine}/{name}: released sold stock is on hand again, once"
            );
            let refused = client
                .commit(request(
                    pb::CommitRequest {
                        reservation_id: format!("r1-{name}"),
                    },
                    &token,
                ))
                .await
                .unwrap_err();
            assert_eq!(refused.code(), Code::FailedPrecondition);

            client
                .reserve(request(
                    reserve(&format!("r2-{name}"), &[(&b, 3)], 60),
                    &token,
                ))
                .await
                .unwrap();
            for _ in 0..2 {
                let released = client
                    .release(request(
                        pb::ReleaseRequest {
                            reservation_id: format!("r2-{name}"),
                        },
                        &token,
                    ))
                    .await
                    .unwrap()
                    .into_inner();
                assert_eq!(
                    released.state,
                    pb::ReservationState::Released as i32,
                    "releasing twice is safe"
                );
            }
            assert_eq!(
                level(&mut client, &token, &b).await.available,
                5,
                "{engine}/{name}: released stock is available again (all 5, r1's 2 came back)"
            );
            let refused = client
                .commit(request(
                    pb::CommitRequest {
                        reservation_id: format!("r2-{name}"),
                    },
                    &token,
                ))
                .await
                .unwrap_err();
            assert_eq!(
                refused.code(),
                Code::FailedPrecondition,
                "a released reservation cannot be committed"
            );
        }
    }
}

#[tokio::test]
async fn a_short_line_holds_nothing_and_bad_requests_name_their_field() {
    for engine in test_support::engines() {
        let app = TestInventory::spawn(engine).await;
        let token = app.orders_token();
        let mut client = Client::new(app.transports.in_process.clone());
        app.stock(&mut client, "SKU-A", 10).await;
        app.stock(&mut client, "SKU-B", 1).await;
        let short = client
            .reserve(request(
                reserve("r1", &[("SKU-A", 5), ("SKU-B", 2)], 60),
                &token,
            ))
            .await
            .unwrap_err();
        assert_eq!(short.code(), Code::FailedPrecondition);
        assert!(short.message().contains("SKU-B"), "{}", short.message());
        assert_eq!(
            level(&mut client, &token, "SKU-A").await.reserved,
            0,
            "{engine}: all or nothing"
        );

        for (bad, field) in [
            (reserve("", &[("SKU-A", 1)], 60), "reservation_id"),
            (reserve("r2", &[], 60), "lines"),
            (reserve("r2", &[("SKU-A", 0)], 60), "lines.quantity"),
            (reserve("r2", &[("bad sku", 1)], 60), "lines.sku"),
            (reserve("r2", &[("SKU-A", 1)], 100_000), "ttl_seconds"),
        ] {
            let error = client.reserve(request(bad, &token)).await.unwrap_err();
            assert_eq!(error.code(), Code::InvalidArgument, "{field}");
            assert!(
                error.message().starts_with(field),
                "`{}` names {field}",
                error.message()
            );
        }
        let unknown = client
            .reserve(request(reserve("r3", &[("SKU-NONE", 1)], 60), &token))
            .await
            .unwrap_err();
        assert_eq!(unknown.code(), Code::NotFound);

        client
            .reserve(request(reserve("r4", &[("SKU-A", 4)], 60), &token))
            .await
            .unwrap();
        let below = client
            .set_stock(request(
                pb::SetStockRequest {
                    sku: "SKU-A".to_owned(),
                    on_hand: 3,
                },
                &app.admin_token(),
            ))
            .await
            .unwrap_err();
        assert_eq!(
            below.code(),
            Code::FailedPrecondition,
            "{engine}: on hand cannot drop below what is held"
        );
        let denied = client
            .reserve(request(
                reserve("r5", &[("SKU-A", 1)], 60),
                &app.admin_token(),
            ))
            .await
            .unwrap_err();
        assert_eq!(
            denied.code(),
            Code::PermissionDenied,
            "reserving needs inventory.reserve"
        );
    }
}

#[tokio::test]
async fn the_same_reservation_id_holds_once_and_other_lines_under_it_are_refused() {
    for engine in test_support::engines() {
        let app = TestInventory::spawn(engine).await;
        let token = app.orders_token();
        let mut client = Client::new(app.transports.in_process.clone());
        app.stock(&mut client, "SKU-A", 10).await;
        let attempts = (0..8).map(|_| {
            let mut client = client.clone();
            let token = token.clone();
            tokio::spawn(async move {
                client
                    .reserve(request(reserve("same", &[("SKU-A", 3)], 60), &token))
                    .await
            })
        });
        for attempt in futures_util::future::join_all(attempts).await {
            assert_eq!(
                attempt.unwrap().unwrap().into_inner().reservation_id,
                "same"
            );
        }
        assert_eq!(
            level(&mut client, &token, "SKU-A").await.reserved,
            3,
            "{engine}: eight requests, one hold"
        );
        let other = client
            .reserve(request(reserve("same", &[("SKU-A", 4)], 60), &token))
            .await
            .unwrap_err();
        assert_eq!(other.code(), Code::InvalidArgument);
        assert!(other.message().starts_with("reservation_id"));
    }
}

#[tokio::test]
async fn two_hundred_concurrent_reservations_of_fifty_units_hold_exactly_fifty() {
    for engine in test_support::engines() {
        let app = TestInventory::spawn(engine).await;
        let token = app.orders_token();
        let mut client = Client::new(app.transports.in_process.clone());
        app.stock(&mut client, "HOT-1", 50).await;
        let attempts = (0..200).map(|index| {
            let mut client = client.clone();
            let token = token.clone();
            tokio::spawn(async move {
                client
                    .reserve(request(
                        reserve(&format!("r{index}"), &[("HOT-1", 1)], 60),
                        &token,
                    ))
                    .await
            })
        });
        let mut held = 0;
        for attempt in futures_util::future::join_all(attempts).await {
            match attempt.unwrap() {
                Ok(_) => held += 1,
                Err(status) => assert_eq!(
                    status.code(),
                    Code::FailedPrecondition,
                    "{engine}: {}",
                    status.message()
                ),
            }
        }
        assert_eq!(held, 50, "{engine}");
        let after = level(&mut client, &token, "HOT-1").await;
        assert_eq!(
            (after.on_hand, after.reserved, after.available),
            (50, 50, 0),
            "{engine}: never more held than on hand"
        );
    }
}

#[tokio::test]
async fn held_stock_returns_by_itself_when_the_reservation_lapses() {
    for engine in test_support::engines() {
        let app = TestInventory::spawn(engine).await;
        let token = app.orders_token();
        let mut client = Client::new(app.transports.in_process.clone());
        app.stock(&mut client, "SKU-A", 10).await;
        let held = client
            .reserve(request(reserve("short-lived", &[("SKU-A", 6)], 1), &token))
            .await
            .unwrap()
            .into_inner();
        // The hold itself; the level may already be free again on a busy machine.
        assert_eq!(held.state(), pb::ReservationState::Held);
        assert!(held.expires_at_unix <= platform::unix_now() + 1);
        let mut reserved = 6;
        for _ in 0..60 {
            reserved = level(&mut client, &token, "SKU-A").await.reserved;
            if reserved == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            reserved, 0,
            "{engine}: the sweeper released the lapsed reservation"
        );
        let late = client
            .commit(request(
                pb::CommitRequest {
                    reservation_id: "short-lived".to_owned(),
                },
                &token,
            ))
            .await
            .unwrap_err();
        assert_eq!(late.code(), Code::FailedPrecondition);
        assert!(late.message().contains("expired"), "{}", late.message());
        assert_eq!(
            level(&mut client, &token, "SKU-A").await.on_hand,
            10,
            "nothing was sold"
        );
    }
}

#[tokio::test]
async fn watchers_see_the_current_level_and_then_every_change() {
    let app = TestInventory::spawn("sqlite").await;
    let token = app.orders_token();
    for (name, transport) in app.transports.each() {
        let mut client = Client::new(transport);
        let sku = format!("WATCH-{}", name.len());
        app.stock(&mut client, &sku, 8).await;
        let mut stream = client
            .watch_stock(request(
                pb::WatchStockRequest {
                    skus: vec![sku.clone()],
                },
                &token,
            ))
            .await
            .unwrap()
            .into_inner();
        let first = stream.message().await.unwrap().unwrap();
        assert_eq!(first.available, 8, "{name}: the current level comes first");
        client
            .reserve(request(
                reserve(&format!("w-{name}"), &[(&sku, 3)], 60),
                &token,
            ))
            .await
            .unwrap();
        let next = tokio::time::timeout(Duration::from_secs(5), stream.message())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(
            (next.sku.as_str(), next.available, next.reserved),
            (sku.as_str(), 5, 3),
            "{name}"
        );
    }
}

#[tokio::test]
async fn every_change_is_published_through_the_outbox() {
    let app = TestInventory::spawn("sqlite").await;
    let mut consumer = app
        .bus
        .consumer(ConsumerConfig::new("test", &["emporium.inventory.>"]))
        .await
        .unwrap();
    let token = app.orders_token();
    let mut client = Client::new(app.transports.in_process.clone());
    app.stock(&mut client, "SKU-E", 5).await;
    client
        .reserve(request(reserve("evented", &[("SKU-E", 2)], 60), &token))
        .await
        .unwrap();
    client
        .release(request(
            pb::ReleaseRequest {
                reservation_id: "evented".to_owned(),
            },
            &token,
        ))
        .await
        .unwrap();
    let mut kinds = Vec::new();
    for _ in 0..2 {
        let delivery = tokio::time::timeout(Duration::from_secs(5), consumer.next())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(delivery.envelope.subject, "evented");
        assert!(
            delivery.envelope.traceparent.is_some(),
            "the event carries the trace of its change"
        );
        kinds.push(delivery.envelope.kind.clone());
        delivery.ack();
    }
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "emporium.inventory.stock_released.v1",
            "emporium.inventory.stock_reserved.v1"
        ]
    );
}
