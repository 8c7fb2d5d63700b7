//! The authorization endpoint: the authorization-code flow with PKCE and its login page.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use platform::unix_now;
use serde::Deserialize;

use super::forms::sign_in_page;
use super::page::{escape, page, page_headers};
use crate::domain::{
    Client, GrantType, ScopeRefusal, Scopes, grant_scopes, is_valid_pkce_challenge, sha256_hex,
};
use crate::error::Error;
use crate::store::CodeRecord;
use crate::{Identity, random_token};

/// The parameters of an authorization request (RFC 6749 section 4.1.1, RFC 7636, OIDC).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct AuthorizeParams {
    response_type: Option<String>,
    pub(super) client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    /// `create` asks for the sign-up form (OpenID Connect "Initiating User Registration").
    pub(super) prompt: Option<String>,
}

impl AuthorizeParams {
    /// The parameters that were given, by name.
    pub(super) fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("response_type", &self.response_type),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", &self.scope),
            ("state", &self.state),
            ("nonce", &self.nonce),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
            ("prompt", &self.prompt),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().map(|value| (name, value)))
        .collect()
    }
}

/// The login form posted back with the authorization parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct LoginForm {
    email: String,
    password: String,
    /// Sent by the sign-up form only: the new user's name.
    display_name: Option<String>,
    response_type: Option<String>,
    pub(super) client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    prompt: Option<String>,
}

/// An authorization request that passed every check.
pub(super) struct Authorization {
    client: Client,
    redirect_uri: String,
    scopes: Scopes,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: String,
}

/// Why an authorization request was refused, and so how to tell.
pub(super) enum AuthorizeRefusal {
    /// The client or redirect URI cannot be trusted: tell the user, never redirect
    /// (RFC 6749 section 4.1.2.1).
    Page(String),
    /// Tell the client, by redirecting to its (checked) redirect URI.
    Redirect {
        redirect_uri: String,
        error: &'static str,
        description: String,
        state: Option<String>,
    },
    Failed(Error),
}

impl IntoResponse for AuthorizeRefusal {
    fn into_response(self) -> Response {
        match self {
            AuthorizeRefusal::Page(message) => (
                StatusCode::BAD_REQUEST,
                page_headers(),
                page(
                    "Sign-in request refused",
                    &format!("<p>{}</p>", escape(&message)),
                ),
            )
                .into_response(),
            AuthorizeRefusal::Redirect {
                redirect_uri,
                error,
                description,
                state,
            } => {
                let mut pairs = vec![
                    ("error", error.to_owned()),
                    ("error_description", description),
                ];
                pairs.extend(state.map(|state| ("state", state)));
                redirect_with(&redirect_uri, &pairs)
            }
            AuthorizeRefusal::Failed(error) => {
                tracing::error!(error = %error, "an authorization request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    page_headers(),
                    page("Something went wrong", "<p>Please try again later.</p>"),
                )
                    .into_response()
            }
        }
    }
}

#[tracing::instrument(skip_all, fields(client_id = params.client_id.as_deref().unwrap_or_default()))]
pub(super) async fn authorize_form(
    State(identity): State<Identity>,
    Query(params): Query<AuthorizeParams>,
) -> Response {
    match check_authorization(&identity, &params).await {
        // The provider keeps no sign-in of its own between requests, so it cannot answer
        // without showing a form (OpenID Connect Core 3.1.2.6).
        Ok(authorization) if params.prompt.as_deref() == Some("none") => {
            AuthorizeRefusal::Redirect {
                redirect_uri: authorization.redirect_uri,
                error: "login_required",
                description: "prompt=none: the user must sign in".to_owned(),
                state: authorization.state,
            }
            .into_response()
        }
        Ok(_) => (
            StatusCode::OK,
            page_headers(),
            sign_in_page(&identity, &params, None),
        )
            .into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

#[tracing::instrument(skip_all, fields(client_id = form.client_id.as_deref().unwrap_or_default()))]
pub(super) async fn authorize_login(
    State(identity): State<Identity>,
    Form(form): Form<LoginForm>,
) -> Response {
    let params = AuthorizeParams {
        response_type: form.response_type,
        client_id: form.client_id,
        redirect_uri: form.redirect_uri,
        scope: form.scope,
        state: form.state,
        nonce: form.nonce,
        code_challenge: form.code_challenge,
        code_challenge_method: form.code_challenge_method,
        prompt: form.prompt,
    };
    let authorization = match check_authorization(&identity, &params).await {
        Ok(authorization) => authorization,
        Err(refusal) => return refusal.into_response(),
    };
    let user = match form.display_name {
        // The sign-up form: a new user, signed in at once.
        Some(display_name) => identity
            .sign_up(&form.email, &form.password, &display_name)
            .await
            .map_err(|error| (StatusCode::UNPROCESSABLE_ENTITY, error)),
        None => identity
            .authenticate(&form.email, &form.password)
            .await
            .map_err(|error| match error {
                Error::TooManyAttempts { .. } => (StatusCode::TOO_MANY_REQUESTS, error),
                error => (StatusCode::UNAUTHORIZED, error),
            }),
    };
    let user = match user {
        Ok(user) => user,
        Err((status, error)) if error.is_the_users() => {
            let message = error.to_string();
            return (
                status,
                page_headers(),
                sign_in_page(&identity, &params, Some(&message)),
            )
                .into_response();
        }
        Err((_, error)) => return AuthorizeRefusal::Failed(error).into_response(),
    };
    let code = match issue_code(&identity, &authorization, &user.id).await {
        Ok(code) => code,
        Err(error) => return AuthorizeRefusal::Failed(error).into_response(),
    };
    tracing::info!(user_id = %user.id, "authorized a client for a user");
    let mut pairs = vec![("code", code)];
    pairs.extend(authorization.state.map(|state| ("state", state)));
    redirect_with(&authorization.redirect_uri, &pairs)
}

pub(super) async fn check_authorization(
    identity: &Identity,
    params: &AuthorizeParams,
) -> Result<Authorization, AuthorizeRefusal> {
    let client_id = params.client_id.as_deref().ok_or_else(|| {
        AuthorizeRefusal::Page("The request names no client (client_id).".to_owned())
    })?;
    let client = identity
        .client(client_id)
        .await
        .map_err(AuthorizeRefusal::Failed)?
        .ok_or_else(|| AuthorizeRefusal::Page(format!("There is no client `{client_id}`.")))?;
    let redirect_uri = params
        .redirect_uri
        .as_deref()
        .ok_or_else(|| AuthorizeRefusal::Page("The request names no redirect_uri.".to_owned()))?;
    if !client.has_redirect_uri(redirect_uri) {
        return Err(AuthorizeRefusal::Page(format!(
            "`{redirect_uri}` is not a redirect URI of client `{client_id}`."
        )));
    }
    // From here on the redirect URI is trusted, so errors go back to the client.
    let refuse = |error: &'static str, description: &str| AuthorizeRefusal::Redirect {
        redirect_uri: redirect_uri.to_owned(),
        error,
        description: description.to_owned(),
        state: params.state.clone(),
    };
    match params.response_type.as_deref() {
        Some("code") => {}
        Some(_) => {
            return Err(refuse(
                "unsupported_response_type",
                "response_type: only `code` is supported",
            ));
        }
        None => return Err(refuse("invalid_request", "response_type: missing")),
    }
    if !client.may_use(GrantType::AuthorizationCode) {
        return Err(refuse(
            "unauthorized_client",
            "the client may not use the authorization code grant",
        ));
    }
    let code_challenge = params
        .code_challenge
        .as_deref()
        .ok_or_else(|| refuse("invalid_request", "code_challenge: PKCE is required"))?;
    if params.code_challenge_method.as_deref() != Some("S256") {
        return Err(refuse(
            "invalid_request",
            "code_challenge_method: must be S256",
        ));
    }
    if !is_valid_pkce_challenge(code_challenge) {
        return Err(refuse(
            "invalid_request",
            "code_challenge: not a base64url SHA-256",
        ));
    }
    let scopes = grant_scopes(
        "scope",
        params.scope.as_deref().unwrap_or_default(),
        &client.allowed_scopes,
    )
    .map_err(|refusal| match refusal {
        ScopeRefusal::Malformed(error) => refuse("invalid_scope", &error.to_string()),
        ScopeRefusal::NotAllowed(scopes) => refuse(
            "invalid_scope",
            &format!("scope: `{scopes}` may not be asked for by this client"),
        ),
    })?;
    Ok(Authorization {
        redirect_uri: redirect_uri.to_owned(),
        scopes,
        state: params.state.clone(),
        nonce: params.nonce.clone(),
        code_challenge: code_challenge.to_owned(),
        client,
    })
}

pub(super) async fn issue_code(
    identity: &Identity,
    authorization: &Authorization,
    user_id: &str,
) -> Result<String, Error> {
    let now = unix_now();
    let code = random_token()?;
    identity
        .store()
        .insert_code(&CodeRecord {
            code_hash: sha256_hex(&code),
            client_id: authorization.client.client_id.clone(),
            user_id: user_id.to_owned(),
            redirect_uri: authorization.redirect_uri.clone(),
            scope: authorization.scopes.to_string(),
            code_challenge: authorization.code_challenge.clone(),
            nonce: authorization.nonce.clone(),
            auth_time: now,
            expires_at: now.saturating_add(identity.config().authorization_code_ttl_seconds as i64),
        })
        .await?;
    Ok(code)
}

pub(super) fn redirect_with(redirect_uri: &str, pairs: &[(&str, String)]) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        // Registered redirect URIs were parsed at registration; this is a broken row.
        return AuthorizeRefusal::Page("The client's redirect URI is broken.".to_owned())
            .into_response();
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in pairs {
            query.append_pair(name, value);
        }
    }
    let Ok(location) = HeaderValue::from_str(url.as_str()) else {
        return AuthorizeRefusal::Page("The client's redirect URI is broken.".to_owned())
            .into_response();
    };
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response()
}
