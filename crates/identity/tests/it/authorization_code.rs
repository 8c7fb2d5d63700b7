//! The authorization code flow with PKCE, driven by the `openidconnect` crate as a relying party.

use std::fmt;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse as _,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse as _,
};

use crate::support::{
    self, STOREFRONT, STOREFRONT_REDIRECT, TestApp, USER_EMAIL, databases, query_value,
};

/// The failure of an HTTP exchange made for openidconnect.
#[derive(Debug)]
struct HttpError(String);

impl fmt::Display for HttpError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl std::error::Error for HttpError {}

/// openidconnect's HTTP client, over reqwest.
fn http_client(
    client: reqwest::Client,
) -> impl Fn(
    openidconnect::HttpRequest,
) -> std::pin::Pin<
    Box<dyn Future<Output = Result<openidconnect::HttpResponse, HttpError>> + Send>,
> {
    move |request: openidconnect::HttpRequest| {
        let client = client.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let response = client
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(|error| HttpError(error.to_string()))?;
            let mut builder = http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = response
                .bytes()
                .await
                .map_err(|error| HttpError(error.to_string()))?;
            builder
                .body(body.to_vec())
                .map_err(|error| HttpError(error.to_string()))
        })
    }
}

#[tokio::test]
async fn a_relying_party_signs_a_user_in_with_the_code_flow_and_pkce() {
    for database in databases("code_flow").await {
        let app = TestApp::spawn(database).await;
        let http = http_client(app.http.clone());

        let metadata = CoreProviderMetadata::discover_async(
            IssuerUrl::new(app.issuer.clone()).unwrap(),
            &http,
        )
        .await
        .expect("discover the provider");
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(STOREFRONT.to_owned()),
            None,
        )
        .set_redirect_uri(RedirectUrl::new(STOREFRONT_REDIRECT.to_owned()).unwrap());

        let (pkce_challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
        let (authorize_url, csrf_state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".to_owned()))
            .add_scope(Scope::new("profile".to_owned()))
            .add_scope(Scope::new("cart".to_owned()))
            .set_pkce_challenge(pkce_challenge)
            .url();

        let redirect = app
            .sign_in(authorize_url.as_str(), support::USER_PASSWORD)
            .await;
        assert!(redirect.as_str().starts_with(STOREFRONT_REDIRECT));
        assert_eq!(
            query_value(&redirect, "state").as_deref(),
            Some(csrf_state.secret().as_str())
        );
        let code = query_value(&redirect, "code").expect("a code");

        let token_response = client
            .exchange_code(AuthorizationCode::new(code))
            .unwrap()
            .set_pkce_verifier(pkce_verifier)
            .request_async(&http)
            .await
            .expect("exchange the code");
        assert!(token_response.refresh_token().is_some());
        let scopes: Vec<String> = token_response
            .scopes()
            .expect("the granted scopes")
            .iter()
            .map(|scope| scope.to_string())
            .collect();
        assert_eq!(scopes, ["openid", "email", "profile", "cart"]);

        // openidconnect checks the EdDSA signature against the JWKS, the issuer, the audience,
        // the expiry and the nonce.
        let id_token = token_response.id_token().expect("an ID token");
        let id_token_verifier = client
            .id_token_verifier()
            .set_allowed_algs(vec![CoreJwsSigningAlgorithm::EdDsa]);
        let claims = id_token
            .claims(&id_token_verifier, &nonce)
            .expect("the ID token verifies");
        assert_eq!(claims.email().map(|email| email.as_str()), Some(USER_EMAIL));
        assert!(claims.auth_time().is_some());
        let name = claims
            .name()
            .and_then(|name| name.get(None))
            .map(|name| name.as_str());
        assert_eq!(name, Some("Ada Lovelace"));

        // The access token is one every Emporium service accepts.
        let principal = app
            .verifier()
            .verify(token_response.access_token().secret())
            .await
            .expect("the access token verifies");
        assert_eq!(principal.subject(), claims.subject().as_str());
        assert_eq!(principal.client_id(), STOREFRONT);
        assert!(principal.has_scope("cart"));

        let user_info: CoreUserInfoClaims = client
            .user_info(
                token_response.access_token().clone(),
                Some(claims.subject().clone()),
            )
            .unwrap()
            .request_async(&http)
            .await
            .expect("fetch the userinfo");
        assert_eq!(
            user_info.email().map(|email| email.as_str()),
            Some(USER_EMAIL)
        );
    }
}

#[tokio::test]
async fn the_discovery_document_names_every_endpoint() {
    let app = TestApp::spawn(support::sqlite_database()).await;
    let response = app
        .http
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let document: serde_json::Value = response.json().await.unwrap();
    let issuer = &app.issuer;
    assert_eq!(document["issuer"], issuer.as_str());
    assert_eq!(
        document["authorization_endpoint"],
        format!("{issuer}/oauth2/authorize")
    );
    assert_eq!(document["token_endpoint"], format!("{issuer}/oauth2/token"));
    assert_eq!(
        document["userinfo_endpoint"],
        format!("{issuer}/oauth2/userinfo")
    );
    assert_eq!(document["jwks_uri"], format!("{issuer}/oauth2/jwks"));
    assert_eq!(
        document["revocation_endpoint"],
        format!("{issuer}/oauth2/revoke")
    );
    assert_eq!(
        document["response_types_supported"],
        serde_json::json!(["code"])
    );
    assert_eq!(
        document["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        document["id_token_signing_alg_values_supported"],
        serde_json::json!(["EdDSA"])
    );
    assert_eq!(
        document["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post", "none"])
    );
    assert_eq!(
        document["grant_types_supported"],
        serde_json::json!(["authorization_code", "client_credentials", "refresh_token"])
    );
}

#[tokio::test]
async fn a_wrong_pkce_verifier_is_refused() {
    for database in databases("wrong_pkce_verifier").await {
        let app = TestApp::spawn(database).await;
        let verifier = support::pkce_verifier();
        let code = app
            .authorization_code(&support::identity_pkce_challenge(&verifier), "openid")
            .await;
        let (status, body) = app
            .token_request(
                None,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", STOREFRONT_REDIRECT),
                    ("client_id", STOREFRONT),
                    ("code_verifier", &support::pkce_verifier()),
                ],
            )
            .await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "invalid_grant", "{body}");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("code_verifier")
        );
    }
}

#[tokio::test]
async fn an_authorization_code_is_good_for_one_exchange() {
    for database in databases("code_single_use").await {
        let app = TestApp::spawn(database).await;
        let verifier = support::pkce_verifier();
        let code = app
            .authorization_code(&support::identity_pkce_challenge(&verifier), "openid")
            .await;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", STOREFRONT_REDIRECT),
            ("client_id", STOREFRONT),
            ("code_verifier", verifier.as_str()),
        ];
        let (status, body) = app.token_request(None, &form).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 900);
        assert_eq!(body["scope"], "openid");
        let (status, body) = app.token_request(None, &form).await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "invalid_grant");
    }
}

#[tokio::test]
async fn a_code_is_refused_for_another_redirect_uri() {
    let app = TestApp::spawn(support::sqlite_database()).await;
    let verifier = support::pkce_verifier();
    let code = app
        .authorization_code(&support::identity_pkce_challenge(&verifier), "")
        .await;
    let (status, body) = app
        .token_request(
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1:9/elsewhere"),
                ("client_id", STOREFRONT),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn an_unknown_redirect_uri_shows_an_error_page_instead_of_redirecting() {
    let app = TestApp::spawn(support::sqlite_database()).await;
    let challenge = support::identity_pkce_challenge(&support::pkce_verifier());
    let url = url::Url::parse_with_params(
        &app.url("/oauth2/authorize"),
        &[
            ("response_type", "code"),
            ("client_id", STOREFRONT),
            ("redirect_uri", "https://attacker.example/steal"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ],
    )
    .unwrap();
    let response = app.http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("is not a redirect URI"), "{html}");
}

#[tokio::test]
async fn a_request_without_pkce_is_sent_back_to_the_client_with_an_error() {
    let app = TestApp::spawn(support::sqlite_database()).await;
    let url = url::Url::parse_with_params(
        &app.url("/oauth2/authorize"),
        &[
            ("response_type", "code"),
            ("client_id", STOREFRONT),
            ("redirect_uri", STOREFRONT_REDIRECT),
            ("state", "xyz"),
        ],
    )
    .unwrap();
    let response = app.http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(
        query_value(&location, "error").as_deref(),
        Some("invalid_request")
    );
    assert_eq!(query_value(&location, "state").as_deref(), Some("xyz"));
}

#[tokio::test]
async fn a_wrong_password_shows_the_form_again_with_a_message_and_many_make_it_wait() {
    let app = TestApp::spawn(support::sqlite_database()).await;
    let challenge = support::identity_pkce_challenge(&support::pkce_verifier());
    let url = url::Url::parse_with_params(
        &app.url("/oauth2/authorize"),
        &[
            ("response_type", "code"),
            ("client_id", STOREFRONT),
            ("redirect_uri", STOREFRONT_REDIRECT),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ],
    )
    .unwrap();
    let html = app
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut fields = support::hidden_fields(&html);
    fields.push(("email".to_owned(), USER_EMAIL.to_owned()));
    fields.push(("password".to_owned(), "not the password".to_owned()));
    let action = support::form_action(&html);
    let sign_in = |fields: &Vec<(String, String)>| app.http.post(&action).form(fields).send();
    let response = sign_in(&fields).await.unwrap();
    assert_eq!(response.status(), 401);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("the email or password is not right"),
        "{html}"
    );
    assert_eq!(support::hidden_fields(&html), fields[..fields.len() - 2]);

    // Four more wrong passwords: the form then asks the guesser to wait, right password or not.
    for _ in 0..4 {
        assert_eq!(sign_in(&fields).await.unwrap().status(), 401);
    }
    let last = fields.len() - 1;
    fields[last].1 = support::USER_PASSWORD.to_owned();
    let response = sign_in(&fields).await.unwrap();
    assert_eq!(response.status(), 429);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("too many failed logins for this email: try again in 1 s"),
        "{html}"
    );
}

#[tokio::test]
async fn prompt_create_signs_a_new_user_up_and_returns_a_code_for_them() {
    let app = TestApp::spawn(support::sqlite_database()).await;
    let verifier = support::pkce_verifier();
    let authorize = url::Url::parse_with_params(
        &app.url("/oauth2/authorize"),
        &[
            ("response_type", "code"),
            ("client_id", STOREFRONT),
            ("redirect_uri", STOREFRONT_REDIRECT),
            ("scope", "openid email"),
            ("state", "s1"),
            (
                "code_challenge",
                &support::identity_pkce_challenge(&verifier),
            ),
            ("code_challenge_method", "S256"),
            ("prompt", "create"),
        ],
    )
    .unwrap();
    let page = app.http.get(authorize.as_str()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("name=\"display_name\""), "{html}");
    assert!(
        html.contains("Sign in</a>"),
        "the sign-up form links back to sign-in"
    );
    let submit = |email: &str, password: &str| {
        let mut fields = support::hidden_fields(&html);
        fields.push(("display_name".to_owned(), "Grace Hopper".to_owned()));
        fields.push(("email".to_owned(), email.to_owned()));
        fields.push(("password".to_owned(), password.to_owned()));
        app.http
            .post(support::form_action(&html))
            .form(&fields)
            .send()
    };

    // A taken email and a short password are shown on the form again.
    let taken = submit(USER_EMAIL, "a long enough password").await.unwrap();
    assert_eq!(taken.status(), 422);
    assert!(taken.text().await.unwrap().contains("already exists"));
    let short = submit("grace@example.com", "short").await.unwrap();
    assert_eq!(short.status(), 422);
    assert!(short.text().await.unwrap().contains("password"));

    let created = submit("grace@example.com", "a long enough password")
        .await
        .unwrap();
    assert_eq!(created.status(), 303);
    let location = url::Url::parse(created.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(query_value(&location, "state").as_deref(), Some("s1"));
    let code = query_value(&location, "code").expect("a code for the new user");
    let (status, tokens) = app
        .token_request(
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", STOREFRONT_REDIRECT),
                ("client_id", STOREFRONT),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    let principal = app
        .verifier()
        .verify(tokens["access_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_ne!(principal.subject(), "", "the token is the new user's");
}

#[tokio::test]
async fn prompt_none_is_answered_with_login_required() {
    let app = TestApp::spawn(support::sqlite_database()).await;
    let authorize = url::Url::parse_with_params(
        &app.url("/oauth2/authorize"),
        &[
            ("response_type", "code"),
            ("client_id", STOREFRONT),
            ("redirect_uri", STOREFRONT_REDIRECT),
            ("state", "s2"),
            (
                "code_challenge",
                &support::identity_pkce_challenge("v".repeat(43).as_str()),
            ),
            ("code_challenge_method", "S256"),
            ("prompt", "none"),
        ],
    )
    .unwrap();
    let response = app.http.get(authorize.as_str()).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(
        query_value(&location, "error").as_deref(),
        Some("login_required")
    );
    assert_eq!(query_value(&location, "state").as_deref(), Some("s2"));
}
