//! Quotes, shipments, cancellation and tracking.

use platform::bus::{ConsumerConfig, EventBus};
use platform::transport::request;
use proto::shipping as pb;
use tonic::Code;

use crate::{Client, TestShipping, address};

fn create(order_id: &str) -> pb::CreateShipmentRequest {
    pb::CreateShipmentRequest {
        order_id: order_id.to_owned(),
        address: Some(address("US")),
        weight_grams: 1200,
    }
}

fn state(shipment: &pb::Shipment) -> pb::ShipmentState {
    pb::ShipmentState::try_from(shipment.state).unwrap()
}

#[tokio::test]
async fn an_order_gets_one_shipment_that_the_carrier_moves_to_delivery() {
    for engine in test_support::engines() {
        let app = TestShipping::spawn(engine).await;
        let token = app.orders_token();
        for (name, transport) in app.transports.each() {
            let mut client = Client::new(transport);
            let order = format!("order-{name}");
            let attempts = (0..5).map(|_| {
                let mut client = client.clone();
                let token = token.clone();
                let order = order.clone();
                tokio::spawn(async move {
                    client
                        .create_shipment(request(create(&order), &token))
                        .await
                })
            });
            let mut ids: Vec<String> = Vec::new();
            for attempt in futures_util::future::join_all(attempts).await {
                ids.push(attempt.unwrap().unwrap().into_inner().shipment_id);
            }
            ids.dedup();
            assert_eq!(ids.len(), 1, "{engine}/{name}: one shipment per order");

            let get = |client: &mut Client| {
                let mut client = client.clone();
                let request = request(
                    pb::GetShipmentRequest {
                        shipment_id: ids[0].clone(),
                    },
                    &token,
                );
                async move { client.get_shipment(request).await.unwrap().into_inner() }
            };
            let created = get(&mut client).await;
            assert_eq!(state(&created), pb::ShipmentState::Created);
            assert_eq!(
                created.cost.unwrap().minor_units,
                499 + 150 * 2,
                "the quote for 1.2 kg at home"
            );
            assert!(created.tracking_number.starts_with("EMP"));
            app.shipping.carry().await.unwrap();
            assert_eq!(state(&get(&mut client).await), pb::ShipmentState::InTransit);
            app.shipping.carry().await.unwrap();
            let delivered = get(&mut client).await;
            assert_eq!(
                state(&delivered),
                pb::ShipmentState::Delivered,
                "{engine}/{name}"
            );
            let descriptions: Vec<&str> = delivered
                .events
                .iter()
                .map(|event| event.description.as_str())
                .collect();
            assert_eq!(
                descriptions,
                ["Label created", "Picked up by the carrier", "Delivered"]
            );
        }
    }
}

#[tokio::test]
async fn a_shipment_is_cancelled_before_pick_up_and_not_after() {
    for engine in test_support::engines() {
        let app = TestShipping::spawn(engine).await;
        let token = app.orders_token();
        let mut client = Client::new(app.transports.in_process.clone());
        let first = client
            .create_shipment(request(create("order-1"), &token))
            .await
            .unwrap()
            .into_inner();
        for _ in 0..2 {
            let cancelled = client
                .cancel_shipment(request(
                    pb::CancelShipmentRequest {
                        shipment_id: first.shipment_id.clone(),
                        order_id: String::new(),
                    },
                    &token,
                ))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(
                state(&cancelled),
                pb::ShipmentState::Cancelled,
                "{engine}: cancelling twice is fine"
            );
        }
        let second = client
            .create_shipment(request(create("order-2"), &token))
            .await
            .unwrap()
            .into_inner();
        app.shipping.carry().await.unwrap();
        let late = client
            .cancel_shipment(request(
                pb::CancelShipmentRequest {
                    shipment_id: second.shipment_id.clone(),
                    order_id: String::new(),
                },
                &token,
            ))
            .await
            .unwrap_err();
        assert_eq!(
            late.code(),
            Code::FailedPrecondition,
            "{engine}: the carrier has it"
        );
    }
}

#[tokio::test]
async fn quotes_and_bad_requests() {
    let app = TestShipping::spawn("sqlite").await;
    let token = app.orders_token();
    let mut client = Client::new(app.transports.network.clone());
    let quote = client
        .quote(request(
            pb::QuoteRequest {
                address: Some(address("GB")),
                weight_grams: 500,
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (quote.cost.unwrap().minor_units, quote.estimated_days),
        (1999 + 600, 9)
    );
    let no_city = proto::common::Address {
        city: String::new(),
        ..address("US")
    };
    for (bad, field) in [
        (
            pb::CreateShipmentRequest {
                address: Some(no_city),
                ..create("o")
            },
            "address.city",
        ),
        (
            pb::CreateShipmentRequest {
                weight_grams: 0,
                ..create("o")
            },
            "weight_grams",
        ),
        (
            pb::CreateShipmentRequest {
                order_id: String::new(),
                ..create("o")
            },
            "order_id",
        ),
        (
            pb::CreateShipmentRequest {
                address: None,
                ..create("o")
            },
            "address",
        ),
    ] {
        let error = client
            .create_shipment(request(bad, &token))
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::InvalidArgument, "{field}");
        assert!(
            error.message().starts_with(field),
            "`{}` names {field}",
            error.message()
        );
    }
    let denied = client
        .create_shipment(request(
            create("o"),
            &app.issuer.user_token("user-1", "cart"),
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let quote_denied = client
        .quote(request(
            pb::QuoteRequest {
                address: Some(address("US")),
                weight_grams: 500,
            },
            &app.issuer.user_token("user-1", "cart"),
        ))
        .await
        .unwrap_err();
    assert_eq!(quote_denied.code(), Code::PermissionDenied);
    assert!(
        quote_denied.message().contains("shipping.read"),
        "{}",
        quote_denied.message()
    );
    let missing = client
        .get_shipment(request(
            pb::GetShipmentRequest {
                shipment_id: "nope".to_owned(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
}

#[tokio::test]
async fn every_change_of_a_shipment_is_published() {
    let app = TestShipping::spawn("sqlite").await;
    let mut consumer = app
        .bus
        .consumer(ConsumerConfig::new("test", &["emporium.shipping.>"]))
        .await
        .unwrap();
    let background = app.shipping.clone();
    let shutdown = app.transports.shutdown.clone();
    tokio::spawn(async move { background.run_background(shutdown).await });
    let mut client = Client::new(app.transports.in_process.clone());
    let shipment = client
        .create_shipment(request(create("order-7"), &app.orders_token()))
        .await
        .unwrap()
        .into_inner();
    client
        .cancel_shipment(request(
            pb::CancelShipmentRequest {
                shipment_id: shipment.shipment_id,
                order_id: String::new(),
            },
            &app.orders_token(),
        ))
        .await
        .unwrap();
    let mut states = Vec::new();
    for _ in 0..2 {
        let delivery = tokio::time::timeout(std::time::Duration::from_secs(5), consumer.next())
            .await
            .unwrap()
            .unwrap();
        let event: events::checkout::ShipmentChanged = delivery.envelope.decode().unwrap();
        assert_eq!(event.order_id, "order-7");
        states.push(event.state);
        delivery.ack();
    }
    states.sort();
    assert_eq!(states, ["cancelled", "created"]);
}

#[tokio::test]
async fn an_order_s_shipment_is_cancelled_by_the_order_id() {
    let app = TestShipping::spawn("sqlite").await;
    let token = app.orders_token();
    let mut client = Client::new(app.transports.in_process.clone());
    client
        .create_shipment(request(create("order-c"), &token))
        .await
        .unwrap();
    let by_order = pb::CancelShipmentRequest {
        shipment_id: String::new(),
        order_id: "order-c".to_owned(),
    };
    let cancelled = client
        .cancel_shipment(request(by_order, &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(state(&cancelled), pb::ShipmentState::Cancelled);
    let none = pb::CancelShipmentRequest {
        shipment_id: String::new(),
        order_id: "order-without".to_owned(),
    };
    assert_eq!(
        client
            .cancel_shipment(request(none, &token))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    let neither = pb::CancelShipmentRequest::default();
    assert_eq!(
        client
            .cancel_shipment(request(neither, &token))
            .await
            .unwrap_err()
            .code(),
        Code::InvalidArgument
    );
}
