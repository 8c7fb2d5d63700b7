//! Discovery (OpenID Connect Discovery 1.0) and the signing keys (JWKS).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::Identity;
use crate::domain::GrantType;

/// The OpenID Provider Metadata (OpenID Connect Discovery 1.0 section 3).
#[derive(Serialize)]
pub(super) struct ProviderMetadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: String,
    jwks_uri: String,
    revocation_endpoint: String,
    registration_endpoint: String,
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
    /// `create`: the sign-up form (OpenID Connect "Initiating User Registration").
    prompt_values_supported: [&'static str; 1],
}

#[tracing::instrument(skip_all)]
pub(super) async fn discovery(State(identity): State<Identity>) -> Response {
    let issuer = &identity.config().issuer;
    let auth_methods = ["client_secret_basic", "client_secret_post", "none"];
    let metadata = ProviderMetadata {
        issuer: issuer.clone(),
        authorization_endpoint: format!("{issuer}/oauth2/authorize"),
        registration_endpoint: format!("{issuer}/oauth2/register"),
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
        scopes_supported: proto::scopes::SHOPPER.to_vec(),
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
        prompt_values_supported: ["create"],
    };
    (cache_for(300), Json(metadata)).into_response()
}

#[tracing::instrument(skip_all)]
pub(super) async fn jwks(State(identity): State<Identity>) -> Response {
    (cache_for(60), Json(identity.jwks())).into_response()
}

pub(super) fn cache_for(seconds: u32) -> [(header::HeaderName, HeaderValue); 1] {
    let value = HeaderValue::from_str(&format!("public, max-age={seconds}"))
        .unwrap_or(HeaderValue::from_static("no-cache"));
    [(header::CACHE_CONTROL, value)]
}
