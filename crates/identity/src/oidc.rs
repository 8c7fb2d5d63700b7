//! The OpenID Connect and OAuth 2.0 HTTP endpoints, one module each: discovery and JWKS, the
//! authorization endpoint with its login page, the token endpoint, userinfo, revocation and
//! client registration.

mod authorize;
mod discovery;
mod forms;
mod page;
mod registration;
mod revoke;
mod token;
mod userinfo;

use axum::Router;
use axum::routing::{delete, get, post};

use self::authorize::{authorize_form, authorize_login};
use self::discovery::{discovery, jwks};
pub use self::registration::ClientInformation;
use self::revoke::revoke;
use self::token::token;
use self::userinfo::userinfo;
use crate::Identity;

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
        .route(
            "/oauth2/register",
            post(registration::register).get(registration::list),
        )
        .route("/oauth2/register/{client_id}", delete(registration::remove))
        .with_state(identity)
}
