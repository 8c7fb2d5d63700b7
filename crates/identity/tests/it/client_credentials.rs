//! The client credentials grant: services calling on their own behalf.

use crate::support::{ORDERS, ORDERS_SCOPES, TestApp, databases, sqlite_database};

#[tokio::test]
async fn a_confidential_client_gets_a_token_that_services_accept() {
    for database in databases("client_credentials").await {
        let app = TestApp::spawn(database).await;
        let (status, body) = app
            .token_request(
                Some((ORDERS, &app.orders_secret)),
                &[("grant_type", "client_credentials")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["scope"], ORDERS_SCOPES);
        assert!(body.get("refresh_token").is_none());
        assert!(body.get("id_token").is_none());
        let principal = app
            .verifier()
            .verify(body["access_token"].as_str().unwrap())
            .await
            .unwrap();
        assert_eq!(principal.subject(), ORDERS);
        assert_eq!(principal.client_id(), ORDERS);
        assert!(!principal.is_user());
        assert_eq!(principal.scopes(), ["catalog.read", "inventory.reserve"]);
    }
}

#[tokio::test]
async fn client_credentials_in_the_form_body_are_accepted() {
    let app = TestApp::spawn(sqlite_database()).await;
    let (status, body) = app
        .token_request(
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", ORDERS),
                ("client_secret", &app.orders_secret),
                ("scope", "catalog.read"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "catalog.read");
}

#[tokio::test]
async fn client_credentials_with_a_wrong_secret_is_refused() {
    let app = TestApp::spawn(sqlite_database()).await;
    let response = app
        .http
        .post(app.url("/oauth2/token"))
        .basic_auth(ORDERS, Some("not-the-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert!(body["error_description"].is_string());
}

#[tokio::test]
async fn a_scope_the_client_may_not_have_is_refused() {
    let app = TestApp::spawn(sqlite_database()).await;
    let (status, body) = app
        .token_request(
            Some((ORDERS, &app.orders_secret)),
            &[
                ("grant_type", "client_credentials"),
                ("scope", "catalog.read catalog.admin"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_scope");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("catalog.admin")
    );
}

#[tokio::test]
async fn a_public_client_may_not_use_client_credentials() {
    let app = TestApp::spawn(sqlite_database()).await;
    let (status, body) = app
        .token_request(
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", crate::support::STOREFRONT),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "unauthorized_client");
}

#[tokio::test]
async fn an_unknown_grant_type_is_refused() {
    let app = TestApp::spawn(sqlite_database()).await;
    let (status, body) = app
        .token_request(None, &[("grant_type", "password"), ("client_id", ORDERS)])
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn the_in_process_token_source_mints_and_reuses_client_tokens() {
    let app = TestApp::spawn(sqlite_database()).await;
    let source = app.identity.token_source(ORDERS, "catalog.read");
    let first = source.token().await.unwrap();
    let second = source.token().await.unwrap();
    assert_eq!(first, second, "the token is cached");
    let principal = app.verifier().verify(&first).await.unwrap();
    assert_eq!(principal.subject(), ORDERS);
    assert_eq!(principal.scopes(), ["catalog.read"]);
}

#[tokio::test]
async fn ensuring_a_client_again_keeps_its_secret_and_updates_its_scopes() {
    let app = TestApp::spawn(sqlite_database()).await;
    let again = app
        .identity
        .ensure_client(identity::ClientRegistration {
            client_id: ORDERS.to_owned(),
            confidential: true,
            redirect_uris: Vec::new(),
            allowed_scopes: "catalog.read".to_owned(),
            grant_types: vec![identity::GrantType::ClientCredentials],
        })
        .await
        .unwrap();
    assert_eq!(again, None, "the secret is handed out once");
    let (status, body) = app
        .token_request(
            Some((ORDERS, &app.orders_secret)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "catalog.read");

    let as_public = app
        .identity
        .ensure_client(identity::ClientRegistration {
            client_id: ORDERS.to_owned(),
            confidential: false,
            redirect_uris: vec!["http://127.0.0.1:9/callback".to_owned()],
            allowed_scopes: "catalog.read".to_owned(),
            grant_types: vec![identity::GrantType::AuthorizationCode],
        })
        .await
        .unwrap_err();
    assert!(
        as_public.to_string().starts_with("confidential:"),
        "{as_public}"
    );
}
