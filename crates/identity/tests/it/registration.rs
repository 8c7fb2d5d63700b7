//! Dynamic client registration (RFC 7591) at `/oauth2/register`: an administrator's token
//! registers public and confidential clients, the answer is the standard's, bad metadata gets
//! the standard's error codes, and a registered client runs the code flow and can be removed.

use serde_json::{Value, json};

use crate::support::{TestApp, hidden_fields, query_value, sqlite_database};

pub(crate) async fn admin_token(app: &TestApp, scope: &str) -> String {
    app.identity
        .mint_access_token("emporium-admin", "emporium-admin", scope)
        .await
        .unwrap()
}

async fn register(
    app: &TestApp,
    token: Option<&str>,
    body: Value,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut request = app.http.post(app.url("/oauth2/register")).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body, headers)
}

#[tokio::test]
async fn an_administrator_registers_a_public_client_that_then_runs_the_code_flow() {
    let app = TestApp::spawn(sqlite_database()).await;
    let discovery: Value = app
        .http
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        discovery["registration_endpoint"],
        app.url("/oauth2/register")
    );

    let token = admin_token(&app, "clients.admin").await;
    let (status, client, headers) = register(
        &app,
        Some(&token),
        json!({
            "client_name": "Pocket Shop",
            "redirect_uris": ["http://127.0.0.1:7777/callback"],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "logo_uri": "https://pocket.example/logo.png"
        }),
    )
    .await;
    assert_eq!(status, 201, "{client}");
    assert_eq!(headers["cache-control"], "no-store");
    let client_id = client["client_id"].as_str().unwrap().to_owned();
    assert!(
        client.get("client_secret").is_none(),
        "a public client has no secret: {client}"
    );
    assert_eq!(client["token_endpoint_auth_method"], "none");
    assert_eq!(
        client["redirect_uris"],
        json!(["http://127.0.0.1:7777/callback"])
    );
    assert_eq!(client["response_types"], json!(["code"]));
    assert_eq!(client["client_name"], "Pocket Shop");
    assert!(client["client_id_issued_at"].as_i64().unwrap() > 0);

    // The new client signs a user in: the login page accepts it, and the code comes back.
    let authorize = url::Url::parse_with_params(
        &app.url("/oauth2/authorize"),
        &[
            ("response_type", "code"),
            ("client_id", client_id.as_str()),
            ("redirect_uri", "http://127.0.0.1:7777/callback"),
            ("scope", "openid"),
            ("state", "s"),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "S256"),
        ],
    )
    .unwrap();
    let location = app
        .sign_in(authorize.as_str(), crate::support::USER_PASSWORD)
        .await;
    assert!(query_value(&location, "code").is_some(), "{location}");

    let listed: Value = app
        .http
        .get(app.url("/oauth2/register"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["client_id"], client_id.as_str());

    let removed = app
        .http
        .delete(app.url(&format!("/oauth2/register/{client_id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    let again = app
        .http
        .delete(app.url(&format!("/oauth2/register/{client_id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    let html = app.http.get(authorize.as_str()).send().await.unwrap();
    assert_eq!(html.status(), 400, "a removed client is unknown");
    assert!(hidden_fields(&html.text().await.unwrap()).is_empty());
}

#[tokio::test]
async fn a_confidential_client_gets_a_secret_that_works_at_the_token_endpoint() {
    let app = TestApp::spawn(sqlite_database()).await;
    let token = admin_token(&app, "clients.admin").await;
    let (status, client, _) = register(
        &app,
        Some(&token),
        json!({"grant_types": ["client_credentials"], "scope": "catalog.read"}),
    )
    .await;
    assert_eq!(status, 201, "{client}");
    assert_eq!(client["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(client["client_secret_expires_at"], 0);
    let answer: Value = app
        .http
        .post(app.url("/oauth2/token"))
        .basic_auth(
            client["client_id"].as_str().unwrap(),
            client["client_secret"].as_str(),
        )
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "catalog.read"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["scope"], "catalog.read", "{answer}");
}

#[tokio::test]
async fn registration_needs_an_administrator_and_metadata_the_shop_can_honour() {
    let app = TestApp::spawn(sqlite_database()).await;
    let body = json!({"redirect_uris": ["https://app.example/cb"]});
    let (status, _, headers) = register(&app, None, body.clone()).await;
    assert_eq!(status, 401);
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let shopper = admin_token(&app, "catalog.read").await;
    let (status, _, headers) = register(&app, Some(&shopper), body).await;
    assert_eq!(status, 403);
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );

    let token = admin_token(&app, "clients.admin").await;
    for (metadata, error) in [
        (
            json!({"redirect_uris": ["http://app.example/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["https://app.example/cb#top"]}),
            "invalid_redirect_uri",
        ),
        (json!({"redirect_uris": []}), "invalid_redirect_uri"),
        (
            json!({"redirect_uris": ["https://app.example/cb"], "scope": "catalog.admin"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": "https://app.example/cb"}),
            "invalid_client_metadata",
        ),
    ] {
        let (status, answer, _) = register(&app, Some(&token), metadata.clone()).await;
        assert_eq!(status, 400, "{metadata}: {answer}");
        assert_eq!(answer["error"], error, "{metadata}: {answer}");
        assert!(
            answer["error_description"]
                .as_str()
                .is_some_and(|text| !text.is_empty())
        );
    }
    let listed = app.identity.registered_clients().await.unwrap();
    assert!(listed.is_empty(), "nothing refused was stored");
}
