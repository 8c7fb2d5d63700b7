//! Accounts at the edge: sign up, the first-party password login, and who the caller is.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use platform::error::Problem;
use platform::transport::{anonymous, request};
use proto::identity as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::extract::{Bearer, Json};
use crate::refusal::Refusal;
use crate::state::Gateway;

pub(crate) fn routes() -> Router<Gateway> {
    Router::new()
        .route("/api/v1/account/signup", post(sign_up))
        .route("/api/v1/account/login", post(log_in))
        .route("/api/v1/account/me", get(me))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignUp {
    /// ASCII, a dot in the domain, at most 254 characters.
    #[schema(
        max_length = 254,
        pattern = r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
    )]
    email: String,
    #[schema(min_length = 8, max_length = 1024)]
    password: String,
    /// How the shop addresses the user: not blank, no control characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f\uFEFF][^\x00-\x1f\x7f-\x9f]*$"
    )]
    display_name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LogIn {
    #[schema(max_length = 254)]
    email: String,
    #[schema(max_length = 1024)]
    password: String,
    /// Space-separated scopes of the storefront's client; its defaults when absent.
    #[serde(default)]
    #[schema(
        pattern = r"^ *((openid|profile|email|catalog\.read|cart|orders|inventory\.read|inference)( +|$))*$"
    )]
    scope: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct User {
    id: String,
    email: String,
    display_name: String,
    created_at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Tokens {
    access_token: String,
    token_type: String,
    expires_in: u32,
    refresh_token: String,
    id_token: String,
    scope: String,
}

fn user(user: pb::User) -> User {
    User {
        id: user.id,
        email: user.email,
        display_name: user.display_name,
        created_at: user.created_at_unix,
    }
}

/// Creates an account.
#[utoipa::path(post, path = "/api/v1/account/signup", tag = "account", request_body = SignUp,
    responses((status = 201, body = User), (status = 409, description = "an account has this email")))]
pub(crate) async fn sign_up(
    State(gateway): State<Gateway>,
    Json(body): Json<SignUp>,
) -> Result<Response, Problem> {
    let message = pb::SignUpRequest {
        email: body.email,
        password: body.password,
        display_name: body.display_name,
    };
    let created = gateway.identity.clone().sign_up(anonymous(message)).await?;
    Ok((StatusCode::CREATED, axum::Json(user(created.into_inner()))).into_response())
}

/// Exchanges an email and password for tokens (the first-party client's password login).
#[utoipa::path(post, path = "/api/v1/account/login", tag = "account", request_body = LogIn,
    responses((status = 200, body = Tokens), (status = 401, description = "the email or password is wrong"),
        (status = 429, description = "too many requests, or too many failed logins for this email; see `Retry-After`")))]
pub(crate) async fn log_in(
    State(gateway): State<Gateway>,
    Json(body): Json<LogIn>,
) -> Result<Response, Refusal> {
    let message = pb::LoginRequest {
        email: body.email,
        password: body.password,
        scope: body.scope,
    };
    let tokens = gateway
        .identity
        .clone()
        .login(anonymous(message))
        .await?
        .into_inner();
    let tokens = Tokens {
        access_token: tokens.access_token,
        token_type: tokens.token_type,
        expires_in: tokens.expires_in,
        refresh_token: tokens.refresh_token,
        id_token: tokens.id_token,
        scope: tokens.scope,
    };
    Ok((
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        axum::Json(tokens),
    )
        .into_response())
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/account/me", tag = "account",
    responses((status = 200, body = User)), security(("bearer" = [])))]
pub(crate) async fn me(
    State(gateway): State<Gateway>,
    bearer: Bearer,
) -> Result<axum::Json<User>, Problem> {
    let token = bearer.required()?;
    let found = gateway
        .identity
        .clone()
        .get_me(request(pb::GetMeRequest {}, &token))
        .await?;
    Ok(axum::Json(user(found.into_inner())))
}
