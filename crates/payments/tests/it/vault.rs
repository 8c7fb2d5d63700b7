//! The card vault: a stored card stands in for itself by its token, survives a restart of the
//! processor, and is erased once its payment is captured, voided or declined.

use payments::Config;
use proto::payments as pb;

use crate::{Client, TestProcessor, authorize, card};

async fn store(client: &mut Client, token: &str, number: &str) -> pb::StoredCard {
    client
        .store_card(platform::transport::request(
            pb::StoreCardRequest {
                card: Some(card(number)),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

fn by_token(key: &str, order_id: &str, card_token: &str) -> pb::AuthorizeRequest {
    pb::AuthorizeRequest {
        card: None,
        card_token: card_token.to_owned(),
        ..authorize(key, order_id, 2500, card("4242424242424242"))
    }
}

#[tokio::test]
async fn a_stored_card_pays_after_a_restart_and_is_erased_once_captured_or_declined() {
    let key_file = std::env::temp_dir()
        .join(format!("emporium-vault-{}", uuid::Uuid::new_v4().simple()))
        .join("vault.key");
    let config = Config {
        database_url: test_support::fresh_database_url("sqlite").await.unwrap(),
        vault_key_file: key_file.display().to_string(),
        ..Config::default()
    };
    let first = TestProcessor::with_config(config.clone()).await;
    let token = first.orders_token();
    let mut client = Client::new(first.transports.network.clone());
    let stored = store(&mut client, &token, "4242 4242 4242 4242").await;
    assert!(stored.card_token.starts_with("card_"), "{stored:?}");
    assert_eq!(stored.card_last4, "4242");
    let declined = store(&mut client, &token, "4000000000000002").await;
    assert_eq!(first.payments.kept_cards().await.unwrap(), 2);
    first.transports.shutdown.trigger();
    drop(first);

    // A new process with the same database and key: the card is still good.
    let second = TestProcessor::with_config(config).await;
    let token = second.orders_token();
    let mut client = Client::new(second.transports.in_process.clone());
    let request = |message| platform::transport::request(message, &token);
    let payment = client
        .authorize(request(by_token("k1", "order-1", &stored.card_token)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(payment.state, pb::PaymentState::Authorized as i32);
    assert_eq!(payment.card_last4, "4242");
    let answer = client
        .authorize(request(by_token("k2", "order-2", &declined.card_token)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.state, pb::PaymentState::Declined as i32);
    assert_eq!(
        second.payments.kept_cards().await.unwrap(),
        1,
        "a declined card is erased"
    );
    let capture = pb::CaptureRequest {
        idempotency_key: "k1-capture".to_owned(),
        payment_id: payment.payment_id.clone(),
    };
    client
        .capture(platform::transport::request(capture, &token))
        .await
        .unwrap();
    assert_eq!(
        second.payments.kept_cards().await.unwrap(),
        0,
        "a captured card is erased"
    );

    // The same authorization again is answered as before, though the card is gone.
    let again = client
        .authorize(request(by_token("k1", "order-1", &stored.card_token)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.payment_id, payment.payment_id);
    let status = client
        .authorize(request(by_token("k3", "order-3", &stored.card_token)))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(
        status.message().contains("card_token"),
        "{}",
        status.message()
    );
    second.assert_balanced().await;
    std::fs::remove_dir_all(key_file.parent().unwrap()).unwrap();
}

#[tokio::test]
async fn a_bad_card_is_refused_at_the_vault_with_the_field_named_and_nothing_kept() {
    let processor = TestProcessor::spawn("sqlite", 0.0).await;
    let mut client = Client::new(processor.transports.in_process.clone());
    let status = client
        .store_card(platform::transport::request(
            pb::StoreCardRequest {
                card: Some(card("4242424242424241")),
            },
            &processor.orders_token(),
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(
        status.message().starts_with("card.number"),
        "{}",
        status.message()
    );
    let reader = processor.issuer.service_token("someone", "payments.read");
    let status = client
        .store_card(platform::transport::request(
            pb::StoreCardRequest {
                card: Some(card("4242424242424242")),
            },
            &reader,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    assert_eq!(processor.payments.kept_cards().await.unwrap(), 0);
}
