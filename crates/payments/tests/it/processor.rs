//! Authorize, capture, void and refund; idempotency; declines; the ledger.

use platform::bus::{ConsumerConfig, EventBus};
use platform::transport::request;
use proto::payments as pb;
use tonic::Code;

use crate::{Client, TestProcessor, authorize, card};

const GOOD: &str = "4242424242424242";

fn state(payment: &pb::Payment) -> pb::PaymentState {
    pb::PaymentState::try_from(payment.state).unwrap()
}

#[tokio::test]
async fn money_is_authorized_captured_and_refunded_or_voided_and_the_books_balance() {
    for engine in test_support::engines() {
        let app = TestProcessor::spawn(engine, 0.0).await;
        let token = app.orders_token();
        for (name, transport) in app.transports.each() {
            let mut client = Client::new(transport);
            let authorized = client
                .authorize(request(
                    authorize(&format!("a-{name}"), "order-1", 2599, card(GOOD)),
                    &token,
                ))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(
                state(&authorized),
                pb::PaymentState::Authorized,
                "{engine}/{name}"
            );
            assert_eq!(authorized.card_last4, "4242");
            let id = authorized.payment_id.clone();
            let balances = app.payments.balances(&id).await.unwrap();
            assert_eq!(
                balances,
                vec![
                    ("authorization_holds".to_owned(), 2599),
                    ("customers".to_owned(), -2599)
                ]
            );

            let captured = client
                .capture(request(
                    pb::CaptureRequest {
                        idempotency_key: format!("c-{name}"),
                        payment_id: id.clone(),
                    },
                    &token,
                ))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(state(&captured), pb::PaymentState::Captured);
            let balances = app.payments.balances(&id).await.unwrap();
            assert!(
                balances.contains(&("merchant_revenue".to_owned(), 2599)),
                "{balances:?}"
            );
            assert!(
                balances.contains(&("authorization_holds".to_owned(), 0)),
                "{balances:?}"
            );

            let refunded = client
                .refund(request(
                    pb::RefundRequest {
                        idempotency_key: format!("r-{name}"),
                        payment_id: id.clone(),
                    },
                    &token,
                ))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(state(&refunded), pb::PaymentState::Refunded);
            assert!(
                app.payments
                    .balances(&id)
                    .await
                    .unwrap()
                    .iter()
                    .all(|(_, balance)| *balance == 0),
                "a refund returns everything"
            );

            let held = client
                .authorize(request(
                    authorize(&format!("a2-{name}"), "order-2", 1000, card(GOOD)),
                    &token,
                ))
                .await
                .unwrap()
                .into_inner();
            let voided = client
                .void(request(
                    pb::VoidRequest {
                        idempotency_key: format!("v-{name}"),
                        payment_id: held.payment_id.clone(),
                    },
                    &token,
                ))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(state(&voided), pb::PaymentState::Voided);
            assert!(
                app.payments
                    .balances(&held.payment_id)
                    .await
                    .unwrap()
                    .iter()
                    .all(|(_, balance)| *balance == 0)
            );
            let late = client
                .capture(request(
                    pb::CaptureRequest {
                        idempotency_key: format!("c2-{name}"),
                        payment_id: held.payment_id.clone(),
                    },
                    &token,
                ))
                .await
                .unwrap_err();
            assert_eq!(
                late.code(),
                Code::FailedPrecondition,
                "a voided payment cannot be captured"
            );
        }
        app.assert_balanced().await;
    }
}

#[tokio::test]
async fn the_same_key_and_request_charge_once_and_the_same_key_with_another_request_is_refused() {
    for engine in test_support::engines() {
        let app = TestProcessor::spawn(engine, 0.0).await;
        let token = app.orders_token();
        let client = Client::new(app.transports.in_process.clone());
        let attempts = (0..10).map(|_| {
            let mut client = client.clone();
            let token = token.clone();
            tokio::spawn(async move {
                client
                    .authorize(request(
                        authorize("same-key", "order-1", 5000, card(GOOD)),
                        &token,
                    ))
                    .await
            })
        });
        let mut ids = Vec::new();
        for attempt in futures_util::future::join_all(attempts).await {
            ids.push(attempt.unwrap().unwrap().into_inner().payment_id);
        }
        ids.dedup();
        assert_eq!(
            ids.len(),
            1,
            "{engine}: ten concurrent requests, one payment"
        );
        let mut client = client.clone();
        let again = client
            .authorize(request(
                authorize("same-key", "order-1", 5000, card(GOOD)),
                &token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(again.payment_id, ids[0], "and again afterwards");
        let holds: i64 = app
            .payments
            .balances(&ids[0])
            .await
            .unwrap()
            .iter()
            .filter(|(account, _)| account == "authorization_holds")
            .map(|(_, balance)| *balance)
            .sum();
        assert_eq!(holds, 5000, "{engine}: held once, not ten times");

        let other = client
            .authorize(request(
                authorize("same-key", "order-1", 6000, card(GOOD)),
                &token,
            ))
            .await
            .unwrap_err();
        assert_eq!(other.code(), Code::FailedPrecondition);
        assert!(
            other.message().starts_with("idempotency_key"),
            "{}",
            other.message()
        );

        for _ in 0..2 {
            let captured = client
                .capture(request(
                    pb::CaptureRequest {
                        idempotency_key: "cap".to_owned(),
                        payment_id: ids[0].clone(),
                    },
                    &token,
                ))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(state(&captured), pb::PaymentState::Captured);
        }
        app.assert_balanced().await;
    }
}

#[tokio::test]
async fn declines_are_answers_that_move_no_money_and_repeat_the_same() {
    let app = TestProcessor::spawn("sqlite", 0.0).await;
    let token = app.orders_token();
    let mut client = Client::new(app.transports.in_process.clone());
    let declined = client
        .authorize(request(
            authorize(
                "d1",
                "order-1",
                100,
                card(payments::domain::ALWAYS_DECLINED),
            ),
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(state(&declined), pb::PaymentState::Declined);
    assert_eq!(declined.decline_reason, "card_declined");
    assert!(
        app.payments
            .balances(&declined.payment_id)
            .await
            .unwrap()
            .is_empty(),
        "no money moved"
    );
    let again = client
        .authorize(request(
            authorize(
                "d1",
                "order-1",
                100,
                card(payments::domain::ALWAYS_DECLINED),
            ),
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, declined);

    let always = TestProcessor::spawn("sqlite", 1.0).await;
    let mut client = Client::new(always.transports.in_process.clone());
    let declined = client
        .authorize(request(
            authorize("d2", "order-2", 100, card(GOOD)),
            &always.orders_token(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        declined.decline_reason, "insufficient_funds",
        "the configured decline rate applies"
    );
}

#[tokio::test]
async fn bad_cards_and_requests_are_refused_with_the_field_named_and_nothing_moves() {
    let app = TestProcessor::spawn("sqlite", 0.0).await;
    let token = app.orders_token();
    let mut client = Client::new(app.transports.network.clone());
    let expired = pb::Card {
        exp_year: 2020,
        ..card(GOOD)
    };
    let bad_cvc = pb::Card {
        cvc: "1".to_owned(),
        ..card(GOOD)
    };
    for (bad, field) in [
        (
            authorize("k1", "order-1", 100, card("4242424242424241")),
            "card.number",
        ),
        (authorize("k2", "order-1", 100, expired), "card.exp_year"),
        (authorize("k3", "order-1", 100, bad_cvc), "card.cvc"),
        (authorize("k4", "order-1", 0, card(GOOD)), "amount"),
        (authorize("", "order-1", 100, card(GOOD)), "idempotency_key"),
        (authorize("k5", "", 100, card(GOOD)), "order_id"),
    ] {
        let error = client.authorize(request(bad, &token)).await.unwrap_err();
        assert_eq!(error.code(), Code::InvalidArgument, "{field}");
        assert!(
            error.message().starts_with(field),
            "`{}` names {field}",
            error.message()
        );
    }
    assert!(
        app.payments.ledger_totals().await.unwrap().is_empty(),
        "nothing reached the ledger"
    );
    let refund_too_early = {
        let held = client
            .authorize(request(authorize("k6", "order-1", 100, card(GOOD)), &token))
            .await
            .unwrap()
            .into_inner();
        client
            .refund(request(
                pb::RefundRequest {
                    idempotency_key: "k7".to_owned(),
                    payment_id: held.payment_id,
                },
                &token,
            ))
            .await
            .unwrap_err()
    };
    assert_eq!(
        refund_too_early.code(),
        Code::FailedPrecondition,
        "only captured money is refunded"
    );
    let denied = client
        .authorize(request(
            authorize("k8", "order-1", 100, card(GOOD)),
            &app.issuer.user_token("user-1", "cart catalog.read"),
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn every_change_of_a_payment_is_published() {
    let app = TestProcessor::spawn("sqlite", 0.0).await;
    let mut consumer = app
        .bus
        .consumer(ConsumerConfig::new("test", &["emporium.payments.>"]))
        .await
        .unwrap();
    let token = app.orders_token();
    let mut client = Client::new(app.transports.in_process.clone());
    let held = client
        .authorize(request(authorize("e1", "order-9", 700, card(GOOD)), &token))
        .await
        .unwrap()
        .into_inner();
    client
        .capture(request(
            pb::CaptureRequest {
                idempotency_key: "e2".to_owned(),
                payment_id: held.payment_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap();
    let mut states = Vec::new();
    for _ in 0..2 {
        let delivery = tokio::time::timeout(std::time::Duration::from_secs(5), consumer.next())
            .await
            .unwrap()
            .unwrap();
        let event: events::checkout::PaymentChanged = delivery.envelope.decode().unwrap();
        assert_eq!(event.order_id, "order-9");
        states.push(event.state);
        delivery.ack();
    }
    states.sort();
    assert_eq!(states, ["authorized", "captured"]);
}

#[tokio::test]
async fn a_decline_rate_outside_zero_to_one_is_refused_naming_the_key() {
    let config = payments::Config {
        decline_rate: 1.5,
        ..payments::Config::default()
    };
    let error = payments::Payments::build(
        &config,
        std::sync::Arc::new(platform::bus::InProcessBus::new()),
    )
    .await
    .unwrap_err();
    assert!(
        error.to_string().contains("payments.decline_rate"),
        "{error}"
    );
}

#[tokio::test]
async fn the_payments_of_an_order_can_be_listed_to_give_money_back() {
    let app = TestProcessor::spawn("sqlite", 0.0).await;
    let token = app.orders_token();
    let mut client = Client::new(app.transports.in_process.clone());
    client
        .authorize(request(authorize("l1", "order-l", 300, card(GOOD)), &token))
        .await
        .unwrap();
    client
        .authorize(request(
            authorize("l2", "order-other", 300, card(GOOD)),
            &token,
        ))
        .await
        .unwrap();
    let listed = client
        .list_payments_for_order(request(
            pb::ListPaymentsForOrderRequest {
                order_id: "order-l".to_owned(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .payments;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].order_id, "order-l");
}
