//! Checkout: the happy path, every failure point compensated, idempotency, concurrency, and
//! sagas resumed after their task died.

use std::time::Duration;

use platform::bus::{ConsumerConfig, EventBus};
use platform::faults::Fault;
use platform::transport::request;
use proto::orders as pb;
use tonic::Code;

use crate::{GOOD_CARD, TestShop, checkout};

fn state(order: &pb::Order) -> pb::OrderState {
    pb::OrderState::try_from(order.state).unwrap()
}

#[tokio::test]
async fn a_checkout_reserves_charges_ships_captures_and_confirms() {
    for engine in test_support::engines() {
        let shop = TestShop::spawn(engine).await;
        let mut events = shop
            .bus
            .consumer(ConsumerConfig::new("test", &["emporium.>"]))
            .await
            .unwrap();
        let user = shop.user("ada");
        shop.set_stock("KIT-00001", 10).await;
        shop.fill_cart(&user, &[("KIT-00001", 2)]).await;

        let order = shop
            .orders_client()
            .place_order(request(checkout("k1", GOOD_CARD), &user))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            state(&order),
            pb::OrderState::Confirmed,
            "{engine}: {}",
            order.failure_reason
        );
        assert_eq!(order.lines.len(), 1);
        assert!(order.total.as_ref().unwrap().minor_units > 0);
        let level = shop.stock("KIT-00001").await;
        assert_eq!(
            (level.on_hand, level.reserved),
            (8, 0),
            "{engine}: stock was sold"
        );
        assert_eq!(
            shop.payments_of(&order.order_id).await,
            ["PAYMENT_STATE_CAPTURED"],
            "one capture"
        );
        assert!(!order.shipment_id.is_empty());
        let history = shop.orders.history(&order.order_id).await.unwrap();
        let names: Vec<&str> = history.iter().map(|state| state.as_str()).collect();
        assert_eq!(
            names,
            [
                "pending",
                "stock_reserved",
                "payment_authorized",
                "shipment_created",
                "payment_captured",
                "confirmed"
            ]
        );
        let cart = proto::cart::cart_client::CartClient::new(shop.transport.clone())
            .get_cart(request(proto::cart::GetCartRequest {}, &user))
            .await
            .unwrap()
            .into_inner();
        assert!(
            cart.lines.is_empty(),
            "the cart is emptied by a confirmed checkout"
        );
        shop.assert_books_balance().await;

        // Every step of the saga shows as an event: its kind, and for payments the new state.
        let mut seen = std::collections::BTreeSet::new();
        let expected = [
            "emporium.orders.order_placed.v1",
            "emporium.inventory.stock_reserved.v1",
            "emporium.payments.payment_changed.v1/authorized",
            "emporium.shipping.shipment_changed.v1",
            "emporium.payments.payment_changed.v1/captured",
            "emporium.inventory.stock_committed.v1",
            "emporium.orders.order_completed.v1",
        ];
        while !expected.iter().all(|kind| seen.contains(*kind)) {
            let delivery = tokio::time::timeout(Duration::from_secs(5), events.next())
                .await
                .unwrap_or_else(|_| panic!("{engine}: saw only {seen:?}"))
                .unwrap();
            let mut kind = delivery.envelope.kind.clone();
            if let Ok(payment) = delivery
                .envelope
                .decode::<events::checkout::PaymentChanged>()
            {
                kind = format!("{kind}/{}", payment.state);
            }
            seen.insert(kind);
            delivery.ack();
        }
        for kind in expected {
            assert!(
                seen.contains(kind),
                "{engine}: {kind} was published; saw {seen:?}"
            );
        }
    }
}

/// Places an order for `sku` as a new user and returns it.
async fn place(shop: &TestShop, user: &str, sku: &str, quantity: u32, card: &str) -> pb::Order {
    let token = shop.user(user);
    shop.fill_cart(&token, &[(sku, quantity)]).await;
    shop.orders_client()
        .place_order(request(checkout(&format!("key-{user}"), card), &token))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn every_failure_point_ends_failed_with_a_reason_and_everything_given_back() {
    for engine in test_support::engines() {
        let shop = TestShop::spawn_with(
            engine,
            orders::Config {
                step_timeout_ms: 300,
                step_attempts: 2,
                ..Default::default()
            },
        )
        .await;
        shop.set_stock("KIT-00002", 5).await;

        let short = place(&shop, "short", "KIT-00002", 6, GOOD_CARD).await;
        assert_eq!(state(&short), pb::OrderState::Failed);
        assert!(
            short.failure_reason.contains("KIT-00002"),
            "{engine}: {}",
            short.failure_reason
        );
        assert!(
            shop.payments_of(&short.order_id).await.is_empty(),
            "nothing was charged"
        );

        let declined = place(
            &shop,
            "declined",
            "KIT-00002",
            1,
            payments_for_tests::domain::ALWAYS_DECLINED,
        )
        .await;
        assert_eq!(state(&declined), pb::OrderState::Failed);
        assert!(
            declined.failure_reason.contains("declined"),
            "{}",
            declined.failure_reason
        );

        shop.faults
            .set("payments.timeout", Some(Fault::Delay { ms: 1000 }));
        let timed_out = place(&shop, "slow-payment", "KIT-00002", 1, GOOD_CARD).await;
        shop.faults.set("payments.timeout", None);
        assert_eq!(state(&timed_out), pb::OrderState::Failed);
        assert!(
            timed_out.failure_reason.contains("timed out"),
            "{}",
            timed_out.failure_reason
        );

        shop.faults.set("shipping.unavailable", Some(Fault::Fail));
        let unshippable = place(&shop, "no-carrier", "KIT-00002", 1, GOOD_CARD).await;
        shop.faults.set("shipping.unavailable", None);
        assert_eq!(state(&unshippable), pb::OrderState::Failed);
        assert!(
            unshippable.failure_reason.contains("unavailable"),
            "{}",
            unshippable.failure_reason
        );
        assert_eq!(
            shop.payments_of(&unshippable.order_id).await,
            ["PAYMENT_STATE_VOIDED"],
            "{engine}: the authorization was voided"
        );

        let level = shop.stock("KIT-00002").await;
        assert_eq!(
            (level.on_hand, level.reserved),
            (5, 0),
            "{engine}: every reservation was released"
        );
        for order in [&short, &declined, &timed_out, &unshippable] {
            let history = shop.orders.history(&order.order_id).await.unwrap();
            assert_eq!(history.last().map(|state| state.as_str()), Some("failed"));
        }
        shop.assert_books_balance().await;
    }
}

#[tokio::test]
async fn the_same_key_places_one_order_and_another_body_under_it_is_refused() {
    let shop = TestShop::spawn("sqlite").await;
    let user = shop.user("ada");
    shop.set_stock("KIT-00003", 10).await;
    shop.fill_cart(&user, &[("KIT-00003", 1)]).await;
    let attempts = (0..5).map(|_| {
        let mut client = shop.orders_client();
        let user = user.clone();
        tokio::spawn(async move {
            client
                .place_order(request(checkout("same", GOOD_CARD), &user))
                .await
        })
    });
    let mut ids = Vec::new();
    for attempt in futures_util::future::join_all(attempts).await {
        ids.push(attempt.unwrap().unwrap().into_inner().order_id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "five concurrent requests, one order");
    let again = shop
        .orders_client()
        .place_order(request(checkout("same", GOOD_CARD), &user))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.order_id, ids[0], "and the same answer afterwards");
    assert_eq!(state(&again), pb::OrderState::Confirmed);
    assert_eq!(
        shop.payments_of(&ids[0]).await,
        ["PAYMENT_STATE_CAPTURED"],
        "one charge"
    );
    assert_eq!(shop.stock("KIT-00003").await.on_hand, 9);

    let mut other = checkout("same", GOOD_CARD);
    other.address.as_mut().unwrap().city = "Shelbyville".to_owned();
    let refused = shop
        .orders_client()
        .place_order(request(other, &user))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().starts_with("idempotency_key"),
        "{}",
        refused.message()
    );
}

#[tokio::test]
async fn two_hundred_concurrent_checkouts_of_fifty_in_stock_confirm_exactly_fifty() {
    let shop = TestShop::spawn("sqlite").await;
    shop.set_stock("HOT-00001", 0).await;
    // The sku must exist in the catalog: reuse a seeded one and give it 50.
    let sku = "KIT-00004";
    shop.set_stock(sku, 50).await;
    let mut tokens = Vec::new();
    for index in 0..200 {
        let token = shop.user(&format!("buyer-{index}"));
        shop.fill_cart(&token, &[(sku, 1)]).await;
        tokens.push(token);
    }
    let attempts = tokens.into_iter().enumerate().map(|(index, token)| {
        let mut client = shop.orders_client();
        tokio::spawn(async move {
            client
                .place_order(request(checkout(&format!("k{index}"), GOOD_CARD), &token))
                .await
        })
    });
    let mut confirmed = Vec::new();
    let mut failed = 0;
    for attempt in futures_util::future::join_all(attempts).await {
        let order = attempt.unwrap().unwrap().into_inner();
        match state(&order) {
            pb::OrderState::Confirmed => confirmed.push(order.order_id),
            pb::OrderState::Failed => failed += 1,
            other => panic!("an order stayed {other:?}"),
        }
    }
    assert_eq!(confirmed.len(), 50);
    assert_eq!(failed, 150);
    let level = shop.stock(sku).await;
    assert_eq!(
        (level.on_hand, level.reserved),
        (0, 0),
        "sold out, never negative"
    );
    for order_id in &confirmed {
        assert_eq!(
            shop.payments_of(order_id).await,
            ["PAYMENT_STATE_CAPTURED"],
            "one capture per confirmed order"
        );
    }
    shop.assert_books_balance().await;
}

#[tokio::test]
async fn a_saga_whose_task_died_is_resumed_to_a_terminal_state() {
    for engine in test_support::engines() {
        // The background resumer waits an hour, so that this test does the resuming.
        let config = orders::Config {
            resume_interval_ms: 3_600_000,
            resume_grace_seconds: 0,
            ..Default::default()
        };
        let shop = TestShop::spawn_with(engine, config).await;
        shop.set_stock("KIT-00005", 10).await;

        // Dies while committing the stock, after the capture: resumed, it confirms.
        shop.faults
            .set("inventory.slow", Some(Fault::Delay { ms: 400 }));
        let late = interrupted(&shop, "late", "payment_captured").await;
        shop.faults.set("inventory.slow", None);
        // Dies while authorizing: the card waits in the payments vault, so resumed, it pays.
        shop.faults
            .set("payments.timeout", Some(Fault::Delay { ms: 400 }));
        let early = interrupted(&shop, "early", "stock_reserved").await;
        shop.faults.set("payments.timeout", None);

        assert_eq!(
            shop.orders.resume_unfinished().await.unwrap(),
            2,
            "{engine}"
        );
        let mut client = shop.orders_client();
        for (user, order_id) in [("late", late), ("early", early)] {
            let order = client
                .get_order(request(pb::GetOrderRequest { order_id }, &shop.user(user)))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(
                state(&order),
                pb::OrderState::Confirmed,
                "{engine}, {user}: {}",
                order.failure_reason
            );
            assert_eq!(
                shop.payments_of(&order.order_id).await,
                ["PAYMENT_STATE_CAPTURED"]
            );
            let payment = order.payment.expect("the order shows its payment");
            assert_eq!(
                (payment.state.as_str(), payment.card_last4.as_str()),
                ("captured", "4242")
            );
            let shipment = order.shipment.expect("the order shows its shipment");
            assert_eq!(shipment.state, "created", "{shipment:?}");
            assert!(!shipment.tracking_number.is_empty());
        }
        assert_eq!(
            shop.payments.kept_cards().await.unwrap(),
            0,
            "{engine}: the vault forgets a card once its payment is captured"
        );
        let level = shop.stock("KIT-00005").await;
        assert_eq!(
            (level.on_hand, level.reserved),
            (8, 0),
            "{engine}: both sold"
        );
        shop.assert_books_balance().await;
    }
}

/// Starts a checkout for `user`, waits until its order reaches `state`, and kills the task that
/// runs it, as a crash would; returns the order id.
/// Places an order through a second shop on the same data, run on a runtime of its own, and
/// shuts that runtime down once the order reaches `state_name`: every task of that shop stops
/// where it is, the saga's too, as when a process dies. The first shop resumes what is left.
async fn interrupted(shop: &TestShop, user: &str, state_name: &str) -> String {
    let token = shop.user(user);
    shop.fill_cart(&token, &[("KIT-00005", 1)]).await;
    let doomed = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let databases = shop.databases.clone();
    // The second shop leaves alone what the first one left unfinished.
    let config = orders::Config {
        resume_grace_seconds: 3600,
        ..shop.config.clone()
    };
    let (issuer, faults) = (shop.issuer.clone(), shop.faults.clone());
    let placing_token = token.clone();
    doomed.spawn(async move {
        let second = TestShop::on(databases, config, issuer, faults).await;
        let placing = request(checkout("k", GOOD_CARD), &placing_token);
        let _ = second.orders_client().place_order(placing).await;
    });
    let mut listing = shop.orders_client();
    for _ in 0..500 {
        let listed = listing
            .list_orders(request(pb::ListOrdersRequest { page: None }, &token))
            .await
            .unwrap()
            .into_inner()
            .orders;
        if let Some(order) = listed.first() {
            let history = shop.orders.history(&order.order_id).await.unwrap();
            if history.last().map(|state| state.as_str()) == Some(state_name) {
                doomed.shutdown_background();
                return order.order_id.clone();
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the order never reached {state_name}");
}

#[tokio::test]
async fn watchers_see_each_state_until_the_end_and_others_orders_stay_hidden() {
    let shop = TestShop::spawn("sqlite").await;
    shop.set_stock("KIT-00006", 3).await;
    shop.faults
        .set("inventory.slow", Some(Fault::Delay { ms: 200 }));
    let token = shop.user("watcher");
    shop.fill_cart(&token, &[("KIT-00006", 1)]).await;
    let mut placing_client = shop.orders_client();
    let placing = tokio::spawn({
        let token = token.clone();
        async move {
            placing_client
                .place_order(request(checkout("w", GOOD_CARD), &token))
                .await
        }
    });
    let mut client = shop.orders_client();
    let order_id = loop {
        let listed = client
            .list_orders(request(pb::ListOrdersRequest { page: None }, &token))
            .await
            .unwrap()
            .into_inner()
            .orders;
        if let Some(order) = listed.first() {
            break order.order_id.clone();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let mut stream = client
        .watch_order(request(
            pb::WatchOrderRequest {
                order_id: order_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    let mut seen = Vec::new();
    while let Some(update) = tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .unwrap()
        .unwrap()
    {
        seen.push(state(&update));
    }
    assert_eq!(seen.last(), Some(&pb::OrderState::Confirmed), "{seen:?}");
    assert!(seen.len() >= 2, "the watcher saw the order move: {seen:?}");
    placing.await.unwrap().unwrap();

    let stranger = client
        .get_order(request(
            pb::GetOrderRequest { order_id },
            &shop.user("stranger"),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        stranger.code(),
        Code::NotFound,
        "another user's order is not there for them"
    );
    let empty = client
        .place_order(request(checkout("e", GOOD_CARD), &shop.user("nobody")))
        .await
        .unwrap_err();
    assert_eq!(empty.code(), Code::FailedPrecondition);
    assert!(empty.message().starts_with("cart"));
}

#[tokio::test]
async fn an_order_placed_to_return_at_once_answers_pending_and_its_saga_goes_on() {
    let shop = TestShop::spawn("sqlite").await;
    shop.set_stock("KIT-00007", 3).await;
    shop.faults
        .set("inventory.slow", Some(Fault::Delay { ms: 300 }));
    let token = shop.user("eager");
    shop.fill_cart(&token, &[("KIT-00007", 1)]).await;
    let mut client = shop.orders_client();
    let at_once = pb::PlaceOrderRequest {
        return_at_once: true,
        ..checkout("now", GOOD_CARD)
    };
    let placed = client
        .place_order(request(at_once.clone(), &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        state(&placed),
        pb::OrderState::Pending,
        "before the slow first step"
    );
    let again = client
        .place_order(request(at_once, &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.order_id, placed.order_id, "one order per key");
    let mut stream = client
        .watch_order(request(
            pb::WatchOrderRequest {
                order_id: placed.order_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    let mut last = None;
    while let Some(update) = tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .unwrap()
        .unwrap()
    {
        last = Some(state(&update));
    }
    assert_eq!(last, Some(pb::OrderState::Confirmed));
    // Waiting with the same key now answers with the ended order.
    let waited = client
        .place_order(request(checkout("now", GOOD_CARD), &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(state(&waited), pb::OrderState::Confirmed);
}
