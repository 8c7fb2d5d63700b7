//! Zero trust end to end: every call is authenticated and authorized by scope, over REST and
//! over gRPC from outside, and forged tokens of every kind are refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proto::catalog as catalog_pb;
use proto::catalog::catalog_client::CatalogClient;
use tonic::Code;

use crate::{TestShop, assert_problem};

/// Forged variants of a valid token: each must be refused.
fn forgeries(shop: &TestShop, valid: &str) -> Vec<(&'static str, String)> {
    let parts: Vec<&str> = valid.split('.').collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["scope"] = serde_json::json!("catalog.read catalog.admin cart");
    let tampered_payload = URL_SAFE_NO_PAD.encode(claims.to_string());

    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt"}"#);
    let jwks = shop.identity().jwks();
    let public_key = match &jwks.keys[0].algorithm {
        jsonwebtoken::jwk::AlgorithmParameters::OctetKeyPair(parameters) => {
            URL_SAFE_NO_PAD.decode(&parameters.x).unwrap()
        }
        other => panic!("unexpected key {other:?}"),
    };
    let mut hs256_header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs256_header.typ = Some("at+jwt".to_owned());
    hs256_header.kid = jwks.keys[0].common.key_id.clone();
    let hs256 = jsonwebtoken::encode(
        &hs256_header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&public_key).unwrap(),
    )
    .unwrap();
    let foreign =
        test_support::TestIssuer::new().user_token("someone", "catalog.read catalog.admin cart");
    vec![
        (
            "tampered payload",
            format!("{}.{tampered_payload}.{}", parts[0], parts[2]),
        ),
        ("alg none", format!("{none_header}.{tampered_payload}.")),
        ("HS256 keyed with the public key", hs256),
        ("another issuer's key", foreign),
        ("not a JWT", "garbage".to_owned()),
    ]
}

#[tokio::test]
async fn forged_tokens_are_refused_over_rest_and_grpc() {
    let shop = TestShop::spawn("sqlite").await;
    let valid = shop.user_token().await;
    let mut catalog = CatalogClient::new(platform::transport::network(&shop.grpc_url).unwrap());
    for (kind, token) in forgeries(&shop, &valid) {
        let response = shop
            .http
            .get(shop.url("/api/v1/cart"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_problem(response, 401, "").await;
        let status = catalog
            .get_product(platform::transport::request(
                catalog_pb::GetProductRequest {
                    sku: "KIT-00001".to_owned(),
                },
                &token,
            ))
            .await
            .unwrap_err();
        assert_eq!(
            status.code(),
            Code::Unauthenticated,
            "{kind}: {}",
            status.message()
        );
    }
    let response = shop
        .http
        .get(shop.url("/api/v1/cart"))
        .bearer_auth(&valid)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "the untouched token still works");
}

#[tokio::test]
async fn a_client_credentials_token_reaches_the_catalog_admin_rpc_and_a_user_token_does_not() {
    let shop = TestShop::spawn("sqlite").await;
    let mut catalog = CatalogClient::new(platform::transport::network(&shop.grpc_url).unwrap());
    let product = catalog_pb::ProductInput {
        name: "Enamel Mug".to_owned(),
        category: "kitchen".to_owned(),
        price: Some(proto::common::Money {
            minor_units: 1200,
            currency: "USD".to_owned(),
        }),
        ..Default::default()
    };
    let request = |sku: &str, token: &str| {
        platform::transport::request(
            catalog_pb::CreateProductRequest {
                sku: sku.to_owned(),
                product: Some(product.clone()),
            },
            token,
        )
    };
    let admin = shop.admin_token().await;
    let created = catalog
        .create_product(request("TST-0100", &admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.sku, "TST-0100");

    let user = shop.user_token().await;
    let denied = catalog
        .create_product(request("TST-0101", &user))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let anonymous = catalog
        .create_product(tonic::Request::new(
            catalog_pb::CreateProductRequest::default(),
        ))
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn a_wrong_client_secret_gets_no_token() {
    let shop = TestShop::spawn("sqlite").await;
    let response = shop
        .http
        .post(shop.url("/oauth2/token"))
        .basic_auth(&shop.admin_client.0, Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn password_guessing_over_rest_is_made_to_wait_with_retry_after() {
    let shop = TestShop::spawn("sqlite").await;
    let (_, email) = crate::checkout::buyer(&shop, "guessed").await;
    let log_in = |password: &'static str| {
        let body = serde_json::json!({"email": email, "password": password});
        shop.http
            .post(shop.url("/api/v1/account/login"))
            .json(&body)
            .send()
    };
    for _ in 0..5 {
        assert_eq!(log_in("not the password").await.unwrap().status(), 401);
    }
    // The password `emporium::load::sign_up` gives, right but too early.
    let throttled = log_in("load-test-password").await.unwrap();
    assert_eq!(
        throttled.headers()["retry-after"],
        "1",
        "{:?}",
        throttled.headers()
    );
    let problem = assert_problem(throttled, 429, "too many failed logins").await;
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .ends_with("/too-many-requests")
    );
}
