//! The OpenID Connect and OAuth 2.0 HTTP endpoints: discovery, JWKS, the authorization endpoint
//! with its login form, the token endpoint, userinfo and revocation.

use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use platform::auth::AuthError;
use platform::unix_now;
use serde::{Deserialize, Serialize};

use crate::domain::{
    AccessGrant, Client, GrantType, ScopeRefusal, Scopes, grant_scopes, is_valid_pkce_challenge,
    pkce_s256_matches, sha256_hex,
};
use crate::error::{Error, OAuthCode};
use crate::store::{CodeRecord, Rotation};
use crate::{DEFAULT_USER_SCOPES, Identity, TokenSet, UserGrant, random_token};

pub(crate) fn router(identity: Identity) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oauth2/jwks", get(jwks))
        .route(
            "/oauth2/authorize",
            get(authorize_form).post(authorize_login),
        )
        .route("/oauth2/token", post(token))
        .route("/oauth2/userinfo", get(userinfo).post(userinfo))
        .route("/oauth2/revoke", post(revoke))
        .with_state(identity)
}

/// The OpenID Provider Metadata (OpenID Connect Discovery 1.0 section 3).
#[derive(Serialize)]
struct ProviderMetadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: String,
    jwks_uri: String,
    revocation_endpoint: String,
    response_types_supported: [&'static str; 1],
    response_modes_supported: [&'static str; 1],
    grant_types_supported: [&'static str; 3],
    subject_types_supported: [&'static str; 1],
    id_token_signing_alg_values_supported: [&'static str; 1],
    code_challenge_methods_supported: [&'static str; 1],
    token_endpoint_auth_methods_supported: [&'static str; 3],
    revocation_endpoint_auth_methods_supported: [&'static str; 3],
    scopes_supported: Vec<&'static str>,
    claims_supported: [&'static str; 8],
}

#[tracing::instrument(skip_all)]
async fn discovery(State(identity): State<Identity>) -> Response {
    let issuer = &identity.config().issuer;
    let auth_methods = ["client_secret_basic", "client_secret_post", "none"];
    let metadata = ProviderMetadata {
        issuer: issuer.clone(),
        authorization_endpoint: format!("{issuer}/oauth2/authorize"),
        token_endpoint: format!("{issuer}/oauth2/token"),
        userinfo_endpoint: format!("{issuer}/oauth2/userinfo"),
        jwks_uri: format!("{issuer}/oauth2/jwks"),
        revocation_endpoint: format!("{issuer}/oauth2/revoke"),
        response_types_supported: ["code"],
        response_modes_supported: ["query"],
        grant_types_supported: GrantType::ALL.map(GrantType::as_str),
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["EdDSA"],
        code_challenge_methods_supported: ["S256"],
        token_endpoint_auth_methods_supported: auth_methods,
        revocation_endpoint_auth_methods_supported: auth_methods,
        scopes_supported: DEFAULT_USER_SCOPES.split(' ').collect(),
        claims_supported: [
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "email",
            "name",
        ],
    };
    (cache_for(300), Json(metadata)).into_response()
}

#[tracing::instrument(skip_all)]
async fn jwks(State(identity): State<Identity>) -> Response {
    (cache_for(60), Json(identity.jwks())).into_response()
}

fn cache_for(seconds: u32) -> [(header::HeaderName, HeaderValue); 1] {
    let value = HeaderValue::from_str(&format!("public, max-age={seconds}"))
        .unwrap_or(HeaderValue::from_static("no-cache"));
    [(header::CACHE_CONTROL, value)]
}

/// The parameters of an authorization request (RFC 6749 section 4.1.1, RFC 7636, OIDC).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct AuthorizeParams {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// The login form posted back with the authorization parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LoginForm {
    email: String,
    password: String,
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// An authorization request that passed every check.
struct Authorization {
    client: Client,
    redirect_uri: String,
    scopes: Scopes,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: String,
}

/// Why an authorization request was refused, and so how to tell.
enum AuthorizeRefusal {
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
async fn authorize_form(
    State(identity): State<Identity>,
    Query(params): Query<AuthorizeParams>,
) -> Response {
    match check_authorization(&identity, &params).await {
        Ok(_) => (
            StatusCode::OK,
            page_headers(),
            login_page(&identity, &params, None),
        )
            .into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

#[tracing::instrument(skip_all, fields(client_id = form.client_id.as_deref().unwrap_or_default()))]
async fn authorize_login(
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
    };
    let authorization = match check_authorization(&identity, &params).await {
        Ok(authorization) => authorization,
        Err(refusal) => return refusal.into_response(),
    };
    let user = match identity.authenticate(&form.email, &form.password).await {
        Ok(user) => user,
        Err(Error::BadCredentials) => {
            let message = Error::BadCredentials.to_string();
            return (
                StatusCode::UNAUTHORIZED,
                page_headers(),
                login_page(&identity, &params, Some(&message)),
            )
                .into_response();
        }
        Err(error) => return AuthorizeRefusal::Failed(error).into_response(),
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

async fn check_authorization(
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

async fn issue_code(
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

fn redirect_with(redirect_uri: &str, pairs: &[(&str, String)]) -> Response {
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

/// The token request (RFC 6749 sections 4.1.3, 4.4.2, 6; RFC 7636 section 4.5).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TokenForm {
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
async fn token(
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

async fn grant(
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

async fn authorization_code_grant(
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

fn client_credentials_grant(
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

async fn refresh_token_grant(
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

fn scope_error(refusal: ScopeRefusal) -> Error {
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
async fn authenticate_client(
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
fn basic_credentials(value: &HeaderValue) -> Option<(String, String)> {
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

fn form_decode(component: &str) -> Option<String> {
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

/// The claims of the userinfo response (OIDC Core section 5.3).
#[derive(Serialize)]
struct UserInfo {
    sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

#[tracing::instrument(skip_all)]
async fn userinfo(State(identity): State<Identity>, headers: HeaderMap) -> Response {
    match user_info(&identity, &headers).await {
        Ok(info) => (
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            Json(info),
        )
            .into_response(),
        Err(error) => error.into_response(),
    }
}

async fn user_info(identity: &Identity, headers: &HeaderMap) -> Result<UserInfo, Error> {
    let principal = identity
        .verifier()
        .verify_header(headers.get(header::AUTHORIZATION))
        .await
        .map_err(|error| match error {
            AuthError::Missing | AuthError::Invalid(_) => Error::InvalidToken(error.to_string()),
            AuthError::Forbidden(message) => Error::InsufficientScope(message),
            AuthError::Unavailable(message) => Error::Unexpected(anyhow::anyhow!(message)),
        })?;
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

/// The revocation request (RFC 7009 section 2.1).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RevokeForm {
    token: Option<String>,
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

#[tracing::instrument(skip_all)]
async fn revoke(
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

fn page_headers() -> [(header::HeaderName, HeaderValue); 4] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            ),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
    ]
}

fn login_page(
    identity: &Identity,
    params: &AuthorizeParams,
    message: Option<&str>,
) -> Html<String> {
    let hidden = [
        ("response_type", &params.response_type),
        ("client_id", &params.client_id),
        ("redirect_uri", &params.redirect_uri),
        ("scope", &params.scope),
        ("state", &params.state),
        ("nonce", &params.nonce),
        ("code_challenge", &params.code_challenge),
        ("code_challenge_method", &params.code_challenge_method),
    ]
    .into_iter()
    .filter_map(|(name, value)| {
        value.as_deref().map(|value| {
            format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(value)
            )
        })
    })
    .collect::<Vec<_>>()
    .join("\n      ");
    let message = message
        .map(|message| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(message)))
        .unwrap_or_default();
    let client_id = escape(params.client_id.as_deref().unwrap_or_default());
    let action = escape(&format!("{}/oauth2/authorize", identity.config().issuer));
    page(
        "Sign in to Emporium",
        &format!(
            r#"<p><strong>{client_id}</strong> asks you to sign in.</p>
    {message}
    <form method="post" action="{action}">
      {hidden}
      <label>Email <input type="email" name="email" autocomplete="username" required autofocus></label>
      <label>Password <input type="password" name="password" autocomplete="current-password" required></label>
      <button type="submit">Sign in</button>
    </form>"#
        ),
    )
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <style>
    body {{ font-family: system-ui, sans-serif; max-width: 24rem; margin: 4rem auto; padding: 0 1rem; }}
    label {{ display: block; margin: 1rem 0; }}
    input[type=email], input[type=password] {{ display: block; width: 100%; padding: .5rem; }}
    button {{ padding: .5rem 1.5rem; }}
    .error {{ color: #b00020; }}
  </style>
</head>
<body>
  <main>
    <h1>{title}</h1>
    {body}
  </main>
</body>
</html>
"#,
        title = escape(title),
    ))
}

/// Escapes text for HTML content and double-quoted attributes.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
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

    #[test]
    fn html_is_escaped_in_content_and_attributes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
