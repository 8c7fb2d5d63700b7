//! Who may see the operations view: the bearer of a token with `admin.ops`, given in the
//! `Authorization` header or kept in the `emporium_ops` cookie by the login form. The form takes
//! the admin client's secret (exchanged at the identity provider's token endpoint, the
//! client-credentials grant, for a token with `SCOPES`) or a token pasted as it is.

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use maud::html;
use platform::auth::{Principal, Verifier};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{Ops, page};

/// The cookie that keeps an operator's token.
pub(crate) const COOKIE: &str = "emporium_ops";
/// The client an operator signs in as unless the form names another.
const ADMIN_CLIENT: &str = "emporium-admin";
/// What the login asks the identity provider for: the view, the fault switches, and what the
/// view shows and its buttons do to functions, webhooks and models.
const SCOPES: &str = "admin.ops admin.faults functions.admin webhooks.admin models.admin";

/// Checks operators and signs them in.
pub(crate) struct Login {
    verifier: Verifier,
    http: reqwest::Client,
    token_url: String,
    /// The cookie needs `Secure` when the shop is reached over HTTPS.
    secure: bool,
}

/// An operator, by their token.
pub(crate) struct Operator {
    principal: Arc<Principal>,
    token: String,
}

impl Operator {
    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    pub(crate) fn can_switch_faults(&self) -> bool {
        self.principal.has_scope(proto::scopes::ADMIN_FAULTS)
    }

    /// The token a form of this operator carries: a digest of their token, which a page on
    /// another site cannot know.
    pub(crate) fn csrf(&self) -> String {
        let digest = Sha256::digest(format!("emporium-ops-csrf:{}", self.token));
        digest[..16]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    pub(crate) fn csrf_matches(&self, sent: &str) -> bool {
        let expected = self.csrf();
        expected.len() == sent.len()
            && expected
                .bytes()
                .zip(sent.bytes())
                .fold(0u8, |difference, (a, b)| difference | (a ^ b))
                == 0
    }
}

impl Login {
    pub(crate) fn new(config: &crate::Config, verifier: Verifier) -> anyhow::Result<Login> {
        Ok(Login {
            verifier,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            token_url: format!("{}/oauth2/token", config.identity_url.trim_end_matches('/')),
            secure: config.public_url.starts_with("https://"),
        })
    }

    /// The operator making this request, or the answer to give someone who is not one: the
    /// login page for a person without a token, 403 for a token without `admin.ops`.
    pub(crate) async fn operator(&self, headers: &HeaderMap) -> Result<Operator, Response> {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        let Some(token) = bearer.or_else(|| cookie(headers, COOKIE)) else {
            return Err(Redirect::to("/ops/login").into_response());
        };
        let principal = match self.verifier.verify(token).await {
            Ok(principal) => principal,
            // An expired or foreign token: sign in again.
            Err(_) => return Err(Redirect::to("/ops/login?expired=1").into_response()),
        };
        if !principal.has_scope(proto::scopes::ADMIN_OPS) {
            let message = "This token lacks the scope admin.ops, which the operations view needs.";
            return Err((
                StatusCode::FORBIDDEN,
                page("Not an operator", super::notice(message)),
            )
                .into_response());
        }
        Ok(Operator {
            principal,
            token: token.to_owned(),
        })
    }

    /// A token for the admin client's `secret`.
    async fn exchange(&self, client_id: &str, secret: &str) -> Result<String, String> {
        let answer = self
            .http
            .post(&self.token_url)
            .basic_auth(client_id, Some(secret))
            .form(&[("grant_type", "client_credentials"), ("scope", SCOPES)])
            .send()
            .await
            .map_err(|error| format!("The identity provider could not be reached: {error}"))?;
        let status = answer.status();
        let body: serde_json::Value = answer.json().await.unwrap_or_default();
        match body["access_token"].as_str() {
            Some(token) if status.is_success() => Ok(token.to_owned()),
            _ => Err(format!(
                "The identity provider refused: {}",
                body["error_description"]
                    .as_str()
                    .or(body["error"].as_str())
                    .unwrap_or("no reason given")
            )),
        }
    }

    /// The cookie for each of the paths it is sent to: the operations view and the portal
    /// (one cookie a path, so that no other page of the shop ever receives the token).
    fn set_cookies(
        &self,
        token: &str,
        max_age: i64,
    ) -> AppendHeaders<[(HeaderName, HeaderValue); 2]> {
        let secure = if self.secure { "; Secure" } else { "" };
        let cookie = |path: &str| {
            let value = format!(
                "{COOKIE}={token}; Path={path}; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
            );
            let value =
                HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""));
            (header::SET_COOKIE, value)
        };
        AppendHeaders([cookie("/ops"), cookie("/portal")])
    }
}

/// The value of the cookie `name`.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

#[derive(Deserialize)]
pub(crate) struct LoginQuery {
    #[serde(default)]
    expired: Option<String>,
}

pub(crate) async fn login_page(
    axum::extract::Query(query): axum::extract::Query<LoginQuery>,
) -> Response {
    let message = query
        .expired
        .map(|_| "Your session ended; sign in again.".to_owned());
    page("Operator sign-in", login_form(message.as_deref())).into_response()
}

fn login_form(message: Option<&str>) -> maud::Markup {
    html! {
        @if let Some(message) = message { p.notice role="alert" { (message) } }
        form.ops-login method="post" action="/ops/login" {
            p { "Sign in as the admin client with its secret (printed at the first start), or paste an access token with the scope admin.ops." }
            label for="client_id" { "Client id" }
            input #client_id name="client_id" value=(ADMIN_CLIENT) autocomplete="username";
            label for="client_secret" { "Client secret" }
            input #client_secret name="client_secret" type="password" autocomplete="current-password";
            label for="token" { "Or an access token" }
            input #token name="token" type="password" autocomplete="off";
            button type="submit" { "Sign in" }
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    token: String,
}

pub(crate) async fn log_in(
    State(ops): State<Ops>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if !same_site(&headers) {
        return stale_form();
    }
    let login = &ops.0.login;
    let token = match (form.token.trim(), form.client_secret.trim()) {
        ("", "") => Err("Give the client secret or a token.".to_owned()),
        ("", secret) => {
            let client_id = match form.client_id.trim() {
                "" => ADMIN_CLIENT,
                named => named,
            };
            login.exchange(client_id, secret).await
        }
        (token, _) => Ok(token.to_owned()),
    };
    let checked = match token {
        Ok(token) => match login.verifier.verify(&token).await {
            Ok(principal) if principal.has_scope(proto::scopes::ADMIN_OPS) => {
                Ok((token, principal.expires_at() - platform::unix_now()))
            }
            Ok(_) => Err("That token lacks the scope admin.ops.".to_owned()),
            Err(error) => Err(format!("That token is not accepted: {error}")),
        },
        Err(message) => Err(message),
    };
    match checked {
        Ok((token, lifetime)) => (
            login.set_cookies(&token, lifetime.max(1)),
            Redirect::to("/ops"),
        )
            .into_response(),
        Err(message) => (
            StatusCode::UNAUTHORIZED,
            page("Operator sign-in", login_form(Some(&message))),
        )
            .into_response(),
    }
}

pub(crate) async fn log_out(State(ops): State<Ops>, headers: HeaderMap) -> Response {
    if !same_site(&headers) {
        return stale_form();
    }
    (ops.0.login.set_cookies("", 0), Redirect::to("/ops/login")).into_response()
}

/// The answer to a form whose CSRF token does not match the operator's.
pub(crate) fn stale_form() -> Response {
    let message = "This form is stale or came from another site; reload the page and try again.";
    (
        StatusCode::FORBIDDEN,
        page("Stale form", super::notice(message)),
    )
        .into_response()
}

/// Whether a form came from a page of this shop, as far as the browser says: the sign-in and
/// sign-out forms have no token of their own to check, so a page on another site must not be
/// able to sign an operator out, or in as someone else.
fn same_site(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    if matches!(text("sec-fetch-site"), Some("cross-site" | "same-site")) {
        return false;
    }
    match (text("origin"), text("host")) {
        (Some(origin), Some(host)) => origin.split_once("://").is_some_and(|(_, at)| at == host),
        _ => true,
    }
}
