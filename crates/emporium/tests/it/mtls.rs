//! Mutual TLS at the gRPC port: a call gets through only with a certificate from the shop's
//! authority, an identity on the allow list, and a token with the scope; and the server takes
//! new certificates without a restart.

use std::path::Path;

use platform::tls::{ClientTls, TlsConfig};
use proto::inventory::GetStockRequest;
use proto::inventory::inventory_client::InventoryClient;
use tonic::Code;

use crate::TestShop;
use crate::distributed::mtls;

async fn token(shop: &TestShop, scope: &str) -> String {
    let response = shop
        .http
        .post(shop.url("/oauth2/token"))
        .basic_auth(&shop.admin_client.0, Some(&shop.admin_client.1))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// `GetStock` of one seeded sku, with `token`.
fn stock_request(token: &str) -> tonic::Request<GetStockRequest> {
    platform::transport::request(
        GetStockRequest {
            skus: vec!["KIT-00001".to_owned()],
        },
        token,
    )
}

/// `GetStock` over a channel made from `tls` (or none), with `token`.
async fn get_stock(url: &str, tls: Option<&TlsConfig>, token: &str) -> Result<(), tonic::Status> {
    let transport = match tls {
        Some(tls) => platform::transport::network_tls(url, &ClientTls::load(tls).unwrap()).unwrap(),
        None => platform::transport::network(url).unwrap(),
    };
    InventoryClient::new(transport)
        .get_stock(stock_request(token))
        .await
        .map(drop)
}

/// A channel that trusts the authority but presents no certificate.
async fn get_stock_anonymously(url: &str, ca: &Path, token: &str) -> Result<(), tonic::Status> {
    let tls = tonic::transport::ClientTlsConfig::new().ca_certificate(
        tonic::transport::Certificate::from_pem(std::fs::read(ca).unwrap()),
    );
    let channel = tonic::transport::Endpoint::from_shared(url.to_owned())
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
        .map_err(|error| tonic::Status::unavailable(error.to_string()))?;
    InventoryClient::new(channel)
        .get_stock(stock_request(token))
        .await
        .map(drop)
}

#[tokio::test]
async fn a_call_needs_our_authority_an_allowed_identity_and_the_scope() {
    let dir = test_support::scratch_dir("mtls");
    platform::tls::write_certificates(&dir, &["inventory", "orders", "intruder"]).unwrap();
    let other = dir.join("other");
    platform::tls::write_certificates(&other, &["orders"]).unwrap();
    let shop = TestShop::spawn_with("sqlite", |settings| {
        settings.tls = mtls(&dir, "inventory");
    })
    .await;
    let url = shop.grpc_url.replace("http://", "https://");
    let allowed = token(&shop, "inventory.read").await;

    get_stock(&url, Some(&mtls(&dir, "orders")), &allowed)
        .await
        .expect("orders, with our certificate and the scope, gets through");

    let anonymous = get_stock_anonymously(&url, &dir.join("ca.pem"), &allowed).await;
    assert!(anonymous.is_err(), "no client certificate: {anonymous:?}");
    assert_ne!(anonymous.unwrap_err().code(), Code::Ok);

    let foreign = get_stock(&url, Some(&mtls(&other, "orders")), &allowed).await;
    assert_eq!(
        foreign.unwrap_err().code(),
        Code::Unavailable,
        "a certificate from another authority gets no connection"
    );

    let intruder = get_stock(&url, Some(&mtls(&dir, "intruder")), &allowed)
        .await
        .unwrap_err();
    assert_eq!(intruder.code(), Code::PermissionDenied, "{intruder:?}");
    assert!(
        intruder.message().contains("spiffe://emporium/intruder"),
        "the refusal names the identity: {}",
        intruder.message()
    );

    let narrow = token(&shop, "catalog.read").await;
    let unscoped = get_stock(&url, Some(&mtls(&dir, "orders")), &narrow)
        .await
        .unwrap_err();
    assert_eq!(unscoped.code(), Code::PermissionDenied, "{unscoped:?}");
    assert!(
        unscoped.message().contains("inventory.read"),
        "{unscoped:?}"
    );

    let clear = get_stock(&shop.grpc_url, None, &allowed).await;
    assert!(clear.is_err(), "plain HTTP/2 is refused: {clear:?}");
}

#[tokio::test]
async fn new_certificates_are_taken_without_a_restart() {
    let dir = test_support::scratch_dir("mtls");
    platform::tls::write_certificates(&dir, &["inventory", "orders"]).unwrap();
    let shop = TestShop::spawn_with("sqlite", |settings| {
        settings.tls = mtls(&dir, "inventory");
    })
    .await;
    let url = shop.grpc_url.replace("http://", "https://");
    let allowed = token(&shop, "inventory.read").await;
    get_stock(&url, Some(&mtls(&dir, "orders")), &allowed)
        .await
        .unwrap();

    // A new authority and new certificates, written over the old ones.
    let old = dir.join("old");
    std::fs::create_dir_all(&old).unwrap();
    for file in ["ca.pem", "ca.key", "orders.pem", "orders.key"] {
        std::fs::rename(dir.join(file), old.join(file)).unwrap();
    }
    platform::tls::write_certificates(&dir, &["inventory", "orders"]).unwrap();

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let new = get_stock(&url, Some(&mtls(&dir, "orders")), &allowed).await;
        let stale = get_stock(&url, Some(&mtls(&old, "orders")), &allowed).await;
        if new.is_ok() && stale.is_err() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "after 10 s the server still has the old files: new {new:?}, old {stale:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
