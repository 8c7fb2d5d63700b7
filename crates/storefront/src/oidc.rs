//! Signing in as an OpenID Connect relying party of the built-in provider: the storefront is
//! the public client `emporium-web`, so it proves the code is its own with PKCE (S256) rather
//! than a secret. It learns the endpoints from discovery, sends the shopper to the authorization
//! endpoint with a random `state`, nonce and verifier kept in the sealed session, exchanges the
//! code at the token endpoint, checks the ID token's issuer, audience and nonce, and asks
//! userinfo who signed in. Signing out revokes both tokens.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sha2::Digest as _;

use crate::Storefront;
use crate::error::PageError;
use crate::layout::see_other;
use crate::session::{PendingSignIn, SignedIn};
use crate::visit::Visit;

/// The storefront's client id at the provider.
pub(crate) const CLIENT_ID: &str = "emporium-web";

/// The provider as discovery describes it, fetched on first use.
pub(crate) struct Provider {
    http: reqwest::Client,
    discovery_url: String,
    redirect_uri: String,
    metadata: tokio::sync::OnceCell<Metadata>,
    /// Refreshes by the SHA-256 of the refresh token they spent, for a minute: the provider
    /// rotates refresh tokens and revokes the family when a spent one comes back, so two pages
    /// of one session refreshing at once must share one refresh.
    refreshes: moka::future::Cache<String, Arc<SignedIn>>,
}

/// The token endpoint refused the request (a 4xx): the grant is gone, not the network.
#[derive(Debug)]
pub(crate) struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

#[derive(Debug, Deserialize)]
struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: String,
    revocation_endpoint: String,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: i64,
    id_token: Option<String>,
}

#[derive(Deserialize)]
struct UserInfo {
    sub: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

impl Provider {
    pub(crate) fn new(identity_url: &str, public_url: &str) -> anyhow::Result<Provider> {
        Ok(Provider {
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            discovery_url: format!(
                "{}/.well-known/openid-configuration",
                identity_url.trim_end_matches('/')
            ),
            redirect_uri: format!("{public_url}/auth/callback"),
            metadata: tokio::sync::OnceCell::new(),
            refreshes: moka::future::Cache::builder()
                .time_to_live(std::time::Duration::from_secs(60))
                .max_capacity(100_000)
                .build(),
        })
    }

    async fn metadata(&self) -> anyhow::Result<&Metadata> {
        self.metadata
            .get_or_try_init(|| async {
                let response = self.http.get(&self.discovery_url).send().await?;
                anyhow::ensure!(
                    response.status().is_success(),
                    "discovery at {} answered {}",
                    self.discovery_url,
                    response.status()
                );
                Ok(response.json::<Metadata>().await?)
            })
            .await
    }

    /// Where to send the shopper: the authorization endpoint with this sign-in's parameters.
    async fn authorize_url(&self, pending: &PendingSignIn, create: bool) -> anyhow::Result<String> {
        let metadata = self.metadata().await?;
        let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(pending.verifier.as_bytes()));
        let scope = proto::scopes::joined(proto::scopes::SHOPPER);
        let mut pairs = vec![
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("scope", scope.as_str()),
            ("state", pending.state.as_str()),
            ("nonce", pending.nonce.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        if create {
            pairs.push(("prompt", "create"));
        }
        Ok(url::Url::parse_with_params(&metadata.authorization_endpoint, &pairs)?.into())
    }

    /// Exchanges the code for tokens and learns who signed in.
    async fn exchange(&self, code: &str, pending: &PendingSignIn) -> anyhow::Result<SignedIn> {
        let metadata = self.metadata().await?;
        let tokens = self
            .token_request(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &self.redirect_uri),
                ("client_id", CLIENT_ID),
                ("code_verifier", &pending.verifier),
            ])
            .await?;
        let id_token = tokens
            .id_token
            .as_deref()
            .ok_or_else(|| anyhow::anyhow!("the token response has no ID token"))?;
        let subject = check_id_token(id_token, &metadata.issuer, &pending.nonce)?;
        let user = self.signed_in(tokens, None).await?;
        // OpenID Connect Core 5.3.2: userinfo must speak of the ID token's subject.
        anyhow::ensure!(user.subject == subject, "userinfo names another subject");
        Ok(user)
    }

    /// New tokens for `user` from their refresh token, shared by every request that spends the
    /// same one within a minute. An error that is `Refused` means the grant is gone.
    pub(crate) async fn refresh(&self, user: &SignedIn) -> Result<SignedIn, Arc<anyhow::Error>> {
        let spent = format!("{:x}", sha2::Sha256::digest(user.refresh_token.as_bytes()));
        let refreshed = self
            .refreshes
            .try_get_with(spent, async {
                let tokens = self
                    .token_request(&[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", &user.refresh_token),
                        ("client_id", CLIENT_ID),
                    ])
                    .await?;
                Ok::<_, anyhow::Error>(Arc::new(self.signed_in(tokens, Some(user)).await?))
            })
            .await?;
        Ok(SignedIn::clone(&refreshed))
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> anyhow::Result<TokenResponse> {
        let metadata = self.metadata().await?;
        let response = self
            .http
            .post(&metadata.token_endpoint)
            .form(form)
            .send()
            .await?;
        if !response.status().is_success() {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            let message = format!("the token endpoint answered {status}: {body}");
            if status.is_client_error() {
                return Err(Refused(message).into());
            }
            anyhow::bail!(message);
        }
        Ok(response.json().await?)
    }

    /// The session's record of `tokens`: who they belong to comes from userinfo, or from
    /// `before` when refreshing.
    async fn signed_in(
        &self,
        tokens: TokenResponse,
        before: Option<&SignedIn>,
    ) -> anyhow::Result<SignedIn> {
        let refresh_token = tokens
            .refresh_token
            .or_else(|| before.map(|user| user.refresh_token.clone()))
            .ok_or_else(|| anyhow::anyhow!("the token response has no refresh token"))?;
        let info = match before {
            Some(user) => UserInfo {
                sub: user.subject.clone(),
                name: user.name.clone(),
                email: user.email.clone(),
            },
            None => self.user_info(&tokens.access_token).await?,
        };
        Ok(SignedIn {
            expires_at: platform::unix_now() + tokens.expires_in,
            access_token: tokens.access_token,
            refresh_token,
            name: if info.name.is_empty() {
                info.email.clone()
            } else {
                info.name
            },
            subject: info.sub,
            email: info.email,
        })
    }

    async fn user_info(&self, access_token: &str) -> anyhow::Result<UserInfo> {
        let metadata = self.metadata().await?;
        let response = self
            .http
            .get(&metadata.userinfo_endpoint)
            .bearer_auth(access_token)
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "userinfo answered {}",
            response.status()
        );
        Ok(response.json().await?)
    }

    /// Revokes the refresh token (and with it the grant) and the access token (RFC 7009).
    async fn revoke(&self, user: &SignedIn) {
        let Ok(metadata) = self.metadata().await else {
            return;
        };
        for (token, hint) in [
            (&user.refresh_token, "refresh_token"),
            (&user.access_token, "access_token"),
        ] {
            let sent = self
                .http
                .post(&metadata.revocation_endpoint)
                .form(&[
                    ("token", token.as_str()),
                    ("token_type_hint", hint),
                    ("client_id", CLIENT_ID),
                ])
                .send()
                .await;
            match sent {
                Ok(response) if response.status().is_success() => {}
                Ok(response) => {
                    tracing::warn!(status = %response.status(), hint, "revocation refused")
                }
                Err(error) => tracing::warn!(error = %error, hint, "revocation failed"),
            }
        }
    }
}

/// Checks what a relying party must check of an ID token that came straight from the token
/// endpoint (OpenID Connect Core 3.1.3.7): its issuer, that it was issued to this client, the
/// nonce of this sign-in and its expiry; the answer is its subject.
fn check_id_token(id_token: &str, issuer: &str, nonce: &str) -> anyhow::Result<String> {
    let payload = id_token
        .split('.')
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("the ID token is not a JWT"))?;
    let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload)?)?;
    anyhow::ensure!(
        claims["iss"] == issuer,
        "the ID token's issuer is not the provider"
    );
    let audience_ok = match &claims["aud"] {
        serde_json::Value::String(audience) => audience == CLIENT_ID,
        serde_json::Value::Array(audiences) => {
            audiences.iter().any(|audience| audience == CLIENT_ID)
        }
        _ => false,
    };
    anyhow::ensure!(audience_ok, "the ID token was not issued to {CLIENT_ID}");
    anyhow::ensure!(
        claims["nonce"] == nonce,
        "the ID token's nonce is not this sign-in's"
    );
    let expires = claims["exp"].as_i64().unwrap_or(0);
    anyhow::ensure!(
        expires > platform::unix_now() - 60,
        "the ID token has expired"
    );
    claims["sub"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("the ID token names no subject"))
}

/// The path that signs in and comes back to `return_to`.
pub(crate) fn sign_in_path(return_to: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("return_to", return_to)
        .finish();
    format!("/login?{query}")
}

/// `return_to` when it is a path of this shop; `/` when it could lead elsewhere. Browsers drop
/// tabs and line breaks from a `Location` and read `\` as `/`, so a path with any of them, or
/// with whitespace, is refused: `/\t/evil.example` would become `//evil.example`.
fn local_path(return_to: Option<&str>) -> String {
    match return_to {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.chars().any(|character| {
                    character.is_control() || character.is_whitespace() || character == '\\'
                }) =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[derive(Deserialize)]
pub(crate) struct SignInQuery {
    return_to: Option<String>,
}

pub(crate) async fn sign_in(
    State(storefront): State<Storefront>,
    visit: Visit,
    Query(query): Query<SignInQuery>,
) -> Result<Response, PageError> {
    start(&storefront, &visit, query.return_to.as_deref(), false).await
}

pub(crate) async fn sign_up(
    State(storefront): State<Storefront>,
    visit: Visit,
    Query(query): Query<SignInQuery>,
) -> Result<Response, PageError> {
    start(&storefront, &visit, query.return_to.as_deref(), true).await
}

async fn start(
    storefront: &Storefront,
    visit: &Visit,
    return_to: Option<&str>,
    create: bool,
) -> Result<Response, PageError> {
    let keys = &storefront.keys;
    let pending = PendingSignIn {
        state: keys.random_string(24),
        verifier: keys.random_string(32),
        nonce: keys.random_string(24),
        return_to: local_path(return_to),
    };
    let url = storefront
        .provider
        .authorize_url(&pending, create)
        .await
        .map_err(|error| PageError::internal(&format!("sign-in: {error:#}")))?;
    visit.update(|session| session.pending = Some(pending));
    Ok(see_other(&url))
}

#[derive(Deserialize)]
pub(crate) struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

pub(crate) async fn callback(
    State(storefront): State<Storefront>,
    visit: Visit,
    Query(callback): Query<Callback>,
) -> Result<Response, PageError> {
    use axum::http::StatusCode;
    let pending = visit.update(|session| session.pending.take());
    let Some(pending) = pending.filter(|pending| callback.state.as_deref() == Some(&pending.state))
    else {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "This sign-in was not started here, or was already used. Please sign in again.",
        ));
    };
    if let Some(error) = callback.error {
        let description = callback.error_description.unwrap_or(error);
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            format!("The sign-in did not complete: {description}"),
        ));
    }
    let code = callback.code.ok_or_else(|| {
        PageError::new(
            StatusCode::BAD_REQUEST,
            "The sign-in came back without a code.",
        )
    })?;
    let user = storefront
        .provider
        .exchange(&code, &pending)
        .await
        .map_err(|error| PageError::internal(&format!("code exchange: {error:#}")))?;
    let guest_cart = visit.session().guest_cart;
    let count = crate::cart::merge_guest_cart(&storefront, &user.access_token, guest_cart).await?;
    tracing::info!(user_id = %user.subject, "a shopper signed in to the storefront");
    visit.rotate();
    visit.update(|session| {
        session.guest_cart.clear();
        session.user = Some(user);
        session.cart_count = count;
    });
    Ok(see_other(&pending.return_to))
}

/// Signs out: revokes the tokens, forgets everything, and starts a new session id.
pub(crate) async fn sign_out(State(storefront): State<Storefront>, visit: Visit) -> Response {
    let user = visit.update(|session| std::mem::take(session).user);
    visit.rotate();
    if let Some(user) = user {
        tracing::info!(user_id = %user.subject, "a shopper signed out of the storefront");
        // The session is forgotten whatever the provider says, and however long it takes.
        let storefront = storefront.clone();
        tokio::spawn(async move { storefront.provider.revoke(&user).await });
    }
    see_other("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_shop_are_returned_to() {
        assert_eq!(local_path(Some("/checkout?step=2")), "/checkout?step=2");
        for elsewhere in [
            "//evil.example",
            "https://evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\\evil.example",
            "/ /evil.example",
            "evil",
        ] {
            assert_eq!(local_path(Some(elsewhere)), "/", "{elsewhere:?}");
        }
        assert_eq!(local_path(None), "/");
    }

    fn id_token(claims: serde_json::Value) -> String {
        format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(claims.to_string()))
    }

    #[test]
    fn an_id_token_must_be_the_providers_for_this_client_and_sign_in() {
        let now = platform::unix_now();
        let good = serde_json::json!({"iss": "https://id", "aud": CLIENT_ID, "nonce": "n", "exp": now + 60, "sub": "u1"});
        assert_eq!(
            check_id_token(&id_token(good.clone()), "https://id", "n").unwrap(),
            "u1"
        );
        for (field, value) in [
            ("iss", serde_json::json!("https://other")),
            ("aud", serde_json::json!("someone-else")),
            ("nonce", serde_json::json!("replayed")),
            ("exp", serde_json::json!(now - 3600)),
        ] {
            let mut claims = good.clone();
            claims[field] = value;
            assert!(
                check_id_token(&id_token(claims), "https://id", "n").is_err(),
                "{field}"
            );
        }
    }
}
