//! Token revocation (RFC 7009).

use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use platform::unix_now;
use serde::Deserialize;

use super::token::authenticate_client;
use crate::Identity;
use crate::domain::sha256_hex;
use crate::error::{Error, OAuthCode};

/// The revocation request (RFC 7009 section 2.1).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RevokeForm {
    token: Option<String>,
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

#[tracing::instrument(skip_all)]
pub(super) async fn revoke(
    State(identity): State<Identity>,
    headers: HeaderMap,
    form: Result<Form<RevokeForm>, FormRejection>,
) -> Response {
    let result = async {
        let Form(form) = form.map_err(|rejection| {
            Error::oauth(
                OAuthCode::InvalidRequest,
                format!("the body is not a valid form: {rejection}"),
            )
        })?;
        let client = authenticate_client(
            &identity,
            &headers,
            form.client_id.as_deref(),
            form.client_secret.as_deref(),
        )
        .await?;
        let token = form
            .token
            .ok_or_else(|| Error::oauth(OAuthCode::InvalidRequest, "token: missing"))?;
        // Access tokens are self-contained JWTs that expire soon; only refresh tokens are held
        // here, so whatever the hint says, the token is looked up as one.
        let _ = form.token_type_hint;
        let revoked = identity
            .store()
            .revoke_refresh_token(&sha256_hex(&token), &client.client_id, unix_now())
            .await?;
        if revoked {
            tracing::info!(client_id = %client.client_id, "revoked a refresh token family");
        }
        Ok::<(), Error>(())
    }
    .await;
    match result {
        // Unknown tokens are answered alike (RFC 7009 section 2.2).
        Ok(()) => (
            StatusCode::OK,
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        )
            .into_response(),
        Err(error) => error.into_oauth().into_response(),
    }
}
