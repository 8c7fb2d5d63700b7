//! The token endpoint: the authorization-code, client-credentials and refresh-token grants, and
//! how a client authenticates.

use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use platform::unix_now;
use serde::Deserialize;

use crate::domain::{
    AccessGrant, Client, GrantType, ScopeRefusal, Scopes, grant_scopes, pkce_s256_matches,
    sha256_hex,
};
use crate::error::{Error, OAuthCode};
use crate::store::Rotation;
use crate::tokens::{TokenSet, UserGrant};
use crate::{Identity, random_token};

/// The token request (RFC 6749 sections 4.1.3, 4.4.2, 6; RFC 7636 section 4.5).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

#[tracing::instrument(skip_all, fields(grant_type))]
pub(super) async fn token(
    State(identity): State<Identity>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let result = match form {
        Ok(Form(form)) => {
            tracing::Span::current()
                .record("grant_type", form.grant_type.as_deref().unwrap_or_default());
            grant(&identity, &headers, form).await
        }
        Err(rejection) => Err(Error::oauth(
            OAuthCode::InvalidRequest,
            format!("the body is not a valid form: {rejection}"),
        )),
    };
    match result {
        Ok(tokens) => (
            [
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                (header::PRAGMA, HeaderValue::from_static("no-cache")),
            ],
            Json(tokens),
        )
            .into_response(),
        Err(error) => {
            let error = error.into_oauth();
            if let Error::OAuth { code, description } = &error {
                tracing::info!(error = %code, description, "refused a token request");
            }
            error.into_response()
        }
    }
}

pub(super) async fn grant(
    identity: &Identity,
    headers: &HeaderMap,
    form: TokenForm,
) -> Result<TokenSet, Error> {
    let grant_type = form
        .grant_type
        .as_deref()
        .ok_or_else(|| Error::oauth(OAuthCode::InvalidRequest, "grant_type: missing"))?;
    let grant_type = GrantType::parse(grant_type).ok_or_else(|| {
        Error::oauth(
            OAuthCode::UnsupportedGrantType,
            format!("grant_type: `{grant_type}` is not supported"),
        )
    })?;
    let client = authenticate_client(
        identity,
        headers,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )
    .await?;
    if !client.may_use(grant_type) {
        return Err(Error::oauth(
            OAuthCode::UnauthorizedClient,
            format!("the client may not use the {} grant", grant_type.as_str()),
        ));
    }
    match grant_type {
        GrantType::AuthorizationCode => authorization_code_grant(identity, &client, form).await,
        GrantType::ClientCredentials => client_credentials_grant(identity, &client, form),
        GrantType::RefreshToken => refresh_token_grant(identity, &client, form).await,
    }
}

pub(super) async fn authorization_code_grant(
    identity: &Identity,
    client: &Client,
    form: TokenForm,
) -> Result<TokenSet, Error> {
    let required = |value: Option<String>, field: &str| {
        value.ok_or_else(|| Error::oauth(OAuthCode::InvalidRequest, format!("{field}: missing")))
    };
    let code = required(form.code, "code")?;
    let redirect_uri = required(form.redirect_uri, "redirect_uri")?;
    let code_verifier = required(form.code_verifier, "code_verifier")?;
    let now = unix_now();
    let invalid_grant = |description: &str| Error::oauth(OAuthCode::InvalidGrant, description);
    let record = identity
        .store()
        .take_code(&sha256_hex(&code), now)
        .await?
        .ok_or_else(|| invalid_grant("the code is unknown, used or expired"))?;
    if record.client_id != client.client_id {
        return Err(invalid_grant("the code was issued to another client"));
    }
    if record.redirect_uri != redirect_uri {
        return Err(invalid_grant(
            "redirect_uri: not the one the code was issued for",
        ));
    }
    if record.expires_at <= now {
        return Err(invalid_grant("the code has expired"));
    }
    if !pkce_s256_matches(&code_verifier, &record.code_challenge) {
        return Err(invalid_grant(
            "code_verifier: does not match the code_challenge",
        ));
    }
    let user = identity
        .user(&record.user_id)
        .await?
        .ok_or_else(|| invalid_grant("the code's user no longer exists"))?;
    let scopes = Scopes::parse("scope", &record.scope)?;
    let refresh_token = if client.may_use(GrantType::RefreshToken) {
        Some(
            identity
                .new_refresh_token(&user.id, &client.client_id, &scopes, record.auth_time)
                .await?,
        )
    } else {
        None
    };
    identity.user_tokens(
        UserGrant {
            user: &user,
            client_id: &client.client_id,
            scopes,
            nonce: record.nonce,
            auth_time: record.auth_time,
        },
        refresh_token,
    )
}

pub(super) fn client_credentials_grant(
    identity: &Identity,
    client: &Client,
    form: TokenForm,
) -> Result<TokenSet, Error> {
    if !client.is_confidential() {
        return Err(Error::oauth(
            OAuthCode::UnauthorizedClient,
            "only a confidential client may use the client_credentials grant",
        ));
    }
    let scopes = grant_scopes(
        "scope",
        form.scope.as_deref().unwrap_or_default(),
        &client.allowed_scopes,
    )
    .map_err(scope_error)?;
    let access_token = identity.access_token(&AccessGrant {
        subject: client.client_id.clone(),
        client_id: client.client_id.clone(),
        scopes: scopes.clone(),
    })?;
    tracing::info!(client_id = %client.client_id, "issued a client-credentials token");
    Ok(TokenSet {
        access_token,
        token_type: "Bearer",
        expires_in: identity.config().access_token_ttl_seconds,
        refresh_token: None,
        id_token: None,
        scope: scopes.to_string(),
    })
}

pub(super) async fn refresh_token_grant(
    identity: &Identity,
    client: &Client,
    form: TokenForm,
) -> Result<TokenSet, Error> {
    let refresh_token = form
        .refresh_token
        .ok_or_else(|| Error::oauth(OAuthCode::InvalidRequest, "refresh_token: missing"))?;
    let now = unix_now();
    let successor = random_token()?;
    let rotation = identity
        .store()
        .rotate_refresh_token(
            &sha256_hex(&refresh_token),
            &client.client_id,
            &sha256_hex(&successor),
            now.saturating_add(identity.config().refresh_token_ttl_seconds as i64),
            now,
        )
        .await?;
    let record = match rotation {
        Rotation::Rotated(record) => record,
        Rotation::Reused => {
            tracing::warn!(client_id = %client.client_id, "a used refresh token was replayed; revoked its family");
            return Err(Error::oauth(
                OAuthCode::InvalidGrant,
                "the refresh token was already used; every token of its grant is revoked",
            ));
        }
        Rotation::Refused => {
            return Err(Error::oauth(
                OAuthCode::InvalidGrant,
                "the refresh token is unknown, expired or revoked",
            ));
        }
    };
    let granted = Scopes::parse("scope", &record.scope)?;
    // A refresh may narrow the scopes, never widen them (RFC 6749 section 6).
    let scopes = grant_scopes("scope", form.scope.as_deref().unwrap_or_default(), &granted)
        .map_err(scope_error)?;
    let user = identity.user(&record.user_id).await?.ok_or_else(|| {
        Error::oauth(
            OAuthCode::InvalidGrant,
            "the refresh token's user no longer exists",
        )
    })?;
    identity.user_tokens(
        UserGrant {
            user: &user,
            client_id: &client.client_id,
            scopes,
            nonce: None,
            auth_time: record.auth_time,
        },
        Some(successor),
    )
}

pub(super) fn scope_error(refusal: ScopeRefusal) -> Error {
    match refusal {
        ScopeRefusal::Malformed(error) => Error::oauth(OAuthCode::InvalidScope, error.to_string()),
        ScopeRefusal::NotAllowed(scopes) => Error::oauth(
            OAuthCode::InvalidScope,
            format!("scope: `{scopes}` may not be asked for by this client"),
        ),
    }
}

/// The client making a token or revocation request, authenticated by `client_secret_basic`,
/// `client_secret_post` or, for a public client, `none` (RFC 6749 section 2.3).
pub(super) async fn authenticate_client(
    identity: &Identity,
    headers: &HeaderMap,
    form_client_id: Option<&str>,
    form_client_secret: Option<&str>,
) -> Result<Client, Error> {
    let invalid_client = || {
        Error::oauth(
            OAuthCode::InvalidClient,
            "unknown client or wrong client secret",
        )
    };
    let (client_id, secret) = match headers.get(header::AUTHORIZATION) {
        Some(value) => {
            let (client_id, secret) = basic_credentials(value).ok_or_else(|| {
                Error::oauth(
                    OAuthCode::InvalidClient,
                    "the authorization header is not valid Basic",
                )
            })?;
            if form_client_secret.is_some() {
                return Err(Error::oauth(
                    OAuthCode::InvalidRequest,
                    "the client authenticated in more than one way",
                ));
            }
            if form_client_id.is_some_and(|form_client_id| form_client_id != client_id) {
                return Err(invalid_client());
            }
            (client_id, Some(secret))
        }
        None => {
            let client_id = form_client_id
                .ok_or_else(|| Error::oauth(OAuthCode::InvalidClient, "client_id: missing"))?;
            (client_id.to_owned(), form_client_secret.map(str::to_owned))
        }
    };
    let client = identity
        .client(&client_id)
        .await?
        .ok_or_else(invalid_client)?;
    let authenticated = match (client.is_confidential(), secret.as_deref()) {
        (true, Some(secret)) => client.secret_matches(secret),
        (false, None) => true,
        _ => false,
    };
    if authenticated {
        Ok(client)
    } else {
        Err(invalid_client())
    }
}

/// The client id and secret of a `Basic` authorization header, form-decoded (RFC 6749 2.3.1).
pub(super) fn basic_credentials(value: &HeaderValue) -> Option<(String, String)> {
    use base64::Engine as _;
    let (scheme, encoded) = value.to_str().ok()?.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (client_id, secret) = decoded.split_once(':')?;
    Some((form_decode(client_id)?, form_decode(secret)?))
}

pub(super) fn form_decode(component: &str) -> Option<String> {
    let bytes = component.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => decoded.push(b' '),
            b'%' => {
                let hex = component.get(index + 1..index + 3)?;
                decoded.push(u8::from_str_radix(hex, 16).ok()?);
                index += 2;
            }
            byte => decoded.push(byte),
        }
        index += 1;
    }
    String::from_utf8(decoded).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode("my%20client:s%2Bcret+x");
        let value = HeaderValue::from_str(&format!("Basic {encoded}")).unwrap();
        assert_eq!(
            basic_credentials(&value),
            Some(("my client".to_owned(), "s+cret x".to_owned()))
        );
        let value = HeaderValue::from_static("Bearer abc");
        assert_eq!(basic_credentials(&value), None);
    }
}
