//! The userinfo endpoint: the claims of the user an access token was issued for.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use platform::auth::AuthError;
use serde::Serialize;

use crate::Identity;
use crate::error::Error;

/// The claims of the userinfo response (OIDC Core section 5.3).
#[derive(Serialize)]
pub(super) struct UserInfo {
    sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

#[tracing::instrument(skip_all)]
pub(super) async fn userinfo(State(identity): State<Identity>, headers: HeaderMap) -> Response {
    match user_info(&identity, &headers).await {
        Ok(info) => (
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            Json(info),
        )
            .into_response(),
        Err(error) => error.into_response(),
    }
}

pub(super) async fn user_info(identity: &Identity, headers: &HeaderMap) -> Result<UserInfo, Error> {
    let principal = bearer(identity, headers).await?;
    if !principal.has_scope("openid") {
        return Err(Error::InsufficientScope(
            "userinfo needs the scope `openid`".to_owned(),
        ));
    }
    let user = identity
        .user(principal.subject())
        .await?
        .ok_or_else(|| Error::InvalidToken("the token's subject is not a user".to_owned()))?;
    Ok(UserInfo {
        email: principal.has_scope("email").then(|| user.email.to_string()),
        name: principal.has_scope("profile").then_some(user.display_name),
        sub: user.id,
    })
}

/// The principal of the request's bearer token, verified against this provider's own keys.
pub(super) async fn bearer(
    identity: &Identity,
    headers: &HeaderMap,
) -> Result<std::sync::Arc<platform::auth::Principal>, Error> {
    identity
        .verifier()
        .verify_header(headers.get(header::AUTHORIZATION))
        .await
        .map_err(|error| match error {
            AuthError::Missing | AuthError::Invalid(_) => Error::InvalidToken(error.to_string()),
            AuthError::Forbidden(message) => Error::InsufficientScope(message),
            AuthError::Unavailable(message) => Error::Unexpected(anyhow::anyhow!(message)),
        })
}
