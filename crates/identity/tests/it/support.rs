//! Test fixtures: a fresh database per test (SQLite always, PostgreSQL when
//! `EMPORIUM_TEST_POSTGRES_URL` is set), the provider served on a port of its own, and helpers
//! that walk through the authorization endpoint as a browser would.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use identity::{ClientRegistration, Config, GrantType, Identity};
use platform::auth::{KeySource, Verifier, VerifierConfig};

pub const USER_EMAIL: &str = "ada@example.com";
pub const USER_PASSWORD: &str = "correct horse battery";
/// A public client that signs users in with the authorization code grant.
pub const STOREFRONT: &str = "storefront";
pub const STOREFRONT_REDIRECT: &str = "http://127.0.0.1:9/callback";
/// A confidential client that calls on its own behalf.
pub const ORDERS: &str = "orders";
pub const ORDERS_SCOPES: &str = "catalog.read inventory.reserve";

/// A database of one test's own, removed (SQLite) when dropped.
pub struct TestDatabase {
    pub url: String,
    folder: Option<PathBuf>,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(folder) = &self.folder {
            let _ = std::fs::remove_dir_all(folder);
        }
    }
}

/// A fresh SQLite database, and a fresh PostgreSQL one when the environment names a server.
pub async fn databases(test: &str) -> Vec<TestDatabase> {
    let mut databases = vec![sqlite_database()];
    match std::env::var("EMPORIUM_TEST_POSTGRES_URL") {
        Ok(server_url) if !server_url.is_empty() => {
            println!("{test}: the PostgreSQL variant runs");
            databases.push(postgres_database().await);
        }
        _ => println!(
            "{test}: the PostgreSQL variant is skipped: EMPORIUM_TEST_POSTGRES_URL is not set"
        ),
    }
    databases
}

pub fn sqlite_database() -> TestDatabase {
    let folder =
        std::env::temp_dir().join(format!("identity-it-{}", uuid::Uuid::new_v4().simple()));
    TestDatabase {
        url: format!("sqlite://{}", folder.join("identity.db").display()),
        folder: Some(folder),
    }
}

async fn postgres_database() -> TestDatabase {
    TestDatabase {
        url: test_support::fresh_database_url("postgres")
            .await
            .expect("create a test database"),
        folder: None,
    }
}

pub fn config(database_url: &str, issuer: &str) -> Config {
    Config {
        database_url: database_url.to_owned(),
        issuer: issuer.to_owned(),
        argon2_memory_kib: 256,
        ..Config::default()
    }
}

/// The provider, served over HTTP on 127.0.0.1, with a user and two clients.
pub struct TestApp {
    pub identity: Identity,
    pub issuer: String,
    pub database: TestDatabase,
    /// Follows no redirects, so that tests see the authorization responses.
    pub http: reqwest::Client,
    pub orders_secret: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl TestApp {
    pub async fn spawn(database: TestDatabase) -> TestApp {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let identity = Identity::build(config(&database.url, &issuer))
            .await
            .expect("build the identity provider");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let router = identity.router();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });

        assert!(
            identity
                .ensure_user(USER_EMAIL, USER_PASSWORD, "Ada Lovelace")
                .await
                .unwrap()
        );
        let storefront = identity
            .ensure_client(ClientRegistration {
                client_id: STOREFRONT.to_owned(),
                confidential: false,
                redirect_uris: vec![STOREFRONT_REDIRECT.to_owned()],
                allowed_scopes: proto::scopes::joined(proto::scopes::SHOPPER),
                grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            })
            .await
            .unwrap();
        assert_eq!(storefront, None, "a public client has no secret");
        let orders_secret = identity
            .ensure_client(ClientRegistration {
                client_id: ORDERS.to_owned(),
                confidential: true,
                redirect_uris: Vec::new(),
                allowed_scopes: ORDERS_SCOPES.to_owned(),
                grant_types: vec![GrantType::ClientCredentials],
            })
            .await
            .unwrap()
            .expect("a new confidential client gets a secret");

        TestApp {
            identity,
            issuer,
            database,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
            orders_secret,
            _stop: stop,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// A verifier as another service would have, fed in-process.
    pub fn verifier(&self) -> Verifier {
        verifier_for(&self.identity, &self.issuer)
    }

    /// Signs `email` in through the login form of the storefront client and returns the code.
    pub async fn authorization_code(&self, code_challenge: &str, scope: &str) -> String {
        let authorize_url = url::Url::parse_with_params(
            &self.url("/oauth2/authorize"),
            &[
                ("response_type", "code"),
                ("client_id", STOREFRONT),
                ("redirect_uri", STOREFRONT_REDIRECT),
                ("scope", scope),
                ("state", "some-state"),
                ("code_challenge", code_challenge),
                ("code_challenge_method", "S256"),
            ],
        )
        .unwrap();
        let location = self.sign_in(authorize_url.as_str(), USER_PASSWORD).await;
        query_value(&location, "code").expect("the redirect carries a code")
    }

    /// Fetches the login form at `authorize_url`, posts it with the user's credentials and
    /// returns where the provider redirected to.
    pub async fn sign_in(&self, authorize_url: &str, password: &str) -> url::Url {
        let response = self.http.get(authorize_url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let html = response.text().await.unwrap();
        let mut fields = hidden_fields(&html);
        fields.push(("email".to_owned(), USER_EMAIL.to_owned()));
        fields.push(("password".to_owned(), password.to_owned()));
        let response = self
            .http
            .post(form_action(&html))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "the login succeeds");
        let location = response.headers()["location"].to_str().unwrap();
        url::Url::parse(location).unwrap()
    }

    /// Posts a form to the token endpoint; returns the status and the JSON body.
    pub async fn token_request(
        &self,
        basic: Option<(&str, &str)>,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let mut request = self.http.post(self.url("/oauth2/token")).form(form);
        if let Some((client_id, secret)) = basic {
            request = request.basic_auth(client_id, Some(secret));
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        if status == 200 {
            assert_eq!(response.headers()["cache-control"], "no-store");
        }
        (status, response.json().await.unwrap())
    }

    /// Tokens for the user through the storefront client: the code flow with PKCE.
    pub async fn user_tokens(&self) -> serde_json::Value {
        let verifier = pkce_verifier();
        let code = self
            .authorization_code(&identity_pkce_challenge(&verifier), "")
            .await;
        let (status, body) = self
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
        assert_eq!(status, 200, "{body}");
        body
    }
}

pub fn verifier_for(identity: &Identity, issuer: &str) -> Verifier {
    let identity = identity.clone();
    Verifier::new(
        VerifierConfig {
            issuer: issuer.to_owned(),
            audience: "emporium".to_owned(),
            min_refetch_interval: Duration::ZERO,
        },
        KeySource::InProcess(Arc::new(move || identity.jwks())),
    )
}

pub fn pkce_verifier() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// BASE64URL(SHA256(verifier)), computed here rather than by the code under test.
pub fn identity_pkce_challenge(verifier: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

pub fn query_value(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The hidden inputs of a form, as a browser would post them.
pub fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .filter_map(|input| {
            let name = attribute(input, "name")?;
            let value = attribute(input, "value")?;
            Some((name, value))
        })
        .collect()
}

pub fn form_action(html: &str) -> String {
    let form = html.split("<form ").nth(1).expect("the page has a form");
    attribute(form, "action").expect("the form has an action")
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let end = start + tag[start..].find('"')?;
    Some(
        tag[start..end]
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}
