//! Tests of the envelope: CloudEvents attributes, decoding, and RFC 3339 times.

use super::*;
use crate::checkout::{Line, OrderCompleted, OrderPlaced};

fn placed() -> OrderPlaced {
    OrderPlaced {
        order_id: "order-1".to_owned(),
        user_id: "user-1".to_owned(),
        lines: vec![Line {
            sku: "KIT-00001".to_owned(),
            quantity: 2,
        }],
        total_minor_units: 10798,
        currency: "USD".to_owned(),
    }
}

#[test]
fn an_envelope_carries_the_cloudevents_attributes() {
    let envelope = Envelope::new("event-1".to_owned(), &placed(), 1_795_872_042_515)
        .with_traceparent(Some(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
        ));
    let json = serde_json::to_value(&envelope).unwrap();
    assert_eq!(json["specversion"], "1.0");
    assert_eq!(json["id"], "event-1");
    assert_eq!(json["type"], "emporium.orders.order_placed.v1");
    assert_eq!(json["source"], "/emporium/orders");
    assert_eq!(json["subject"], "order-1");
    assert_eq!(json["time"], "2026-11-28T13:20:42.515Z");
    assert_eq!(json["data"]["lines"][0]["quantity"], 2);
    assert_eq!(
        json["traceparent"],
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    );
    let back: Envelope = serde_json::from_value(json).unwrap();
    assert_eq!(back, envelope);
}

#[test]
fn decoding_checks_the_type() {
    let envelope = Envelope::new("event-1".to_owned(), &placed(), 0);
    assert_eq!(envelope.decode::<OrderPlaced>().unwrap(), placed());
    assert!(matches!(
        envelope.decode::<OrderCompleted>(),
        Err(DecodeError::WrongType { .. })
    ));
    let mut broken = envelope.clone();
    broken.data = serde_json::json!({"order_id": 7});
    assert!(matches!(
        broken.decode::<OrderPlaced>(),
        Err(DecodeError::BadData { .. })
    ));
}

#[test]
fn times_are_rfc3339_in_utc() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
    assert_eq!(rfc3339(1_709_208_000_001), "2024-02-29T12:00:00.001Z");
    assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999Z");
}

#[test]
fn every_subject_belongs_to_a_domain_with_a_stream() {
    use crate::checkout::{
        PaymentChanged, ShipmentChanged, StockCommitted, StockReleased, StockReserved,
    };
    for subject in [
        StockReserved::SUBJECT,
        StockReleased::SUBJECT,
        StockCommitted::SUBJECT,
        PaymentChanged::SUBJECT,
        ShipmentChanged::SUBJECT,
        OrderPlaced::SUBJECT,
        OrderCompleted::SUBJECT,
    ] {
        let tokens: Vec<&str> = subject.split('.').collect();
        assert_eq!(tokens.len(), 3, "{subject}: emporium.<domain>.<what>");
        assert_eq!(tokens[0], "emporium", "{subject}");
        assert!(
            DOMAINS.contains(&tokens[1]),
            "{subject}: add its domain to DOMAINS"
        );
    }
}

#[test]
fn an_order_completed_before_it_carried_lines_still_decodes_with_none() {
    let completed = OrderCompleted {
        order_id: "order-1".to_owned(),
        user_id: "user-1".to_owned(),
        confirmed: true,
        failure_reason: String::new(),
        lines: placed().lines,
    };
    let envelope = Envelope::new("event-1".to_owned(), &completed, 0);
    assert_eq!(envelope.decode::<OrderCompleted>().unwrap(), completed);
    let mut older = envelope.clone();
    older.data.as_object_mut().unwrap().remove("lines");
    assert_eq!(older.decode::<OrderCompleted>().unwrap().lines, []);
}
