//! Refresh tokens: rotation, replay detection and revocation.

use crate::support::{STOREFRONT, TestApp, databases, sqlite_database};

async fn refresh(app: &TestApp, refresh_token: &str) -> (u16, serde_json::Value) {
    app.token_request(
        None,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", STOREFRONT),
        ],
    )
    .await
}

#[tokio::test]
async fn a_refresh_token_works_once_and_its_replay_revokes_its_successor() {
    for database in databases("refresh_rotation").await {
        let app = TestApp::spawn(database).await;
        let tokens = app.user_tokens().await;
        let first = tokens["refresh_token"].as_str().unwrap().to_owned();

        let (status, refreshed) = refresh(&app, &first).await;
        assert_eq!(status, 200, "{refreshed}");
        let second = refreshed["refresh_token"].as_str().unwrap().to_owned();
        assert_ne!(first, second, "each refresh hands out a new refresh token");
        assert!(refreshed["id_token"].is_string());
        let principal = app
            .verifier()
            .verify(refreshed["access_token"].as_str().unwrap())
            .await
            .unwrap();
        assert_eq!(principal.client_id(), STOREFRONT);

        // Someone replays the first token: it fails, and the thief's or the owner's successor
        // dies with it.
        let (status, body) = refresh(&app, &first).await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "invalid_grant");
        let (status, body) = refresh(&app, &second).await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "invalid_grant", "{body}");
    }
}

#[tokio::test]
async fn a_refresh_may_narrow_the_scopes_but_not_widen_them() {
    let app = TestApp::spawn(sqlite_database()).await;
    let tokens = app.user_tokens().await;
    let (status, body) = app
        .token_request(
            None,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
                ("client_id", STOREFRONT),
                ("scope", "cart"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "cart");
    assert!(body.get("id_token").is_none());
    let (status, body) = app
        .token_request(
            None,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", body["refresh_token"].as_str().unwrap()),
                ("client_id", STOREFRONT),
                ("scope", "cart catalog.admin"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_scope");
}

#[tokio::test]
async fn a_revoked_refresh_token_no_longer_refreshes() {
    for database in databases("revocation").await {
        let app = TestApp::spawn(database).await;
        let tokens = app.user_tokens().await;
        let refresh_token = tokens["refresh_token"].as_str().unwrap();
        let response = app
            .http
            .post(app.url("/oauth2/revoke"))
            .form(&[
                ("token", refresh_token),
                ("token_type_hint", "refresh_token"),
                ("client_id", STOREFRONT),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let (status, body) = refresh(&app, refresh_token).await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "invalid_grant");
    }
}

#[tokio::test]
async fn revoking_an_unknown_token_still_succeeds() {
    let app = TestApp::spawn(sqlite_database()).await;
    let response = app
        .http
        .post(app.url("/oauth2/revoke"))
        .form(&[("token", "no-such-token"), ("client_id", STOREFRONT)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn another_client_cannot_use_or_revoke_a_refresh_token() {
    let app = TestApp::spawn(sqlite_database()).await;
    let tokens = app.user_tokens().await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let response = app
        .http
        .post(app.url("/oauth2/revoke"))
        .basic_auth(crate::support::ORDERS, Some(&app.orders_secret))
        .form(&[("token", refresh_token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (status, body) = refresh(&app, refresh_token).await;
    assert_eq!(status, 200, "the owner's token survives: {body}");
}

#[tokio::test]
async fn userinfo_needs_a_valid_bearer_token() {
    let app = TestApp::spawn(sqlite_database()).await;
    let response = app
        .http
        .get(app.url("/oauth2/userinfo"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let tokens = app.user_tokens().await;
    let response = app
        .http
        .post(app.url("/oauth2/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let info: serde_json::Value = response.json().await.unwrap();
    assert_eq!(info["email"], crate::support::USER_EMAIL);
    assert_eq!(info["name"], "Ada Lovelace");
    assert!(info["sub"].is_string());
}
