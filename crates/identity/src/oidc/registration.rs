//! Client registration (OAuth 2.0 Dynamic Client Registration, RFC 7591): `POST
//! /oauth2/register` with the metadata as JSON registers a client, for whoever holds an access
//! token with `clients.admin` (the standard's initial access token). `GET` lists the clients
//! registered so, and `DELETE /oauth2/register/{client_id}` removes one with its tokens.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::registration::{ClientMetadata, RegistrationError};
use crate::error::Error;
use crate::{Identity, RegisteredClient};

/// A client's registration as RFC 7591 section 3.2.1 answers it.
#[derive(Serialize)]
pub struct ClientInformation {
    pub(crate) client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) client_secret: Option<String>,
    pub(crate) client_id_issued_at: i64,
    /// 0: the secret does not expire. Present only with a secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) client_secret_expires_at: Option<i64>,
    pub(crate) client_name: String,
    pub(crate) redirect_uris: Vec<String>,
    pub(crate) grant_types: Vec<&'static str>,
    pub(crate) response_types: Vec<&'static str>,
    pub(crate) token_endpoint_auth_method: &'static str,
    pub(crate) scope: String,
}

impl From<RegisteredClient> for ClientInformation {
    fn from(registered: RegisteredClient) -> ClientInformation {
        let client = registered.client;
        let code_flow = client.may_use(crate::GrantType::AuthorizationCode);
        ClientInformation {
            client_secret_expires_at: registered.secret.as_ref().map(|_| 0),
            client_secret: registered.secret,
            client_id: client.client_id,
            client_id_issued_at: registered.registered_at,
            client_name: registered.client_name,
            redirect_uris: client.redirect_uris,
            grant_types: client
                .grant_types
                .iter()
                .map(|grant| grant.as_str())
                .collect(),
            response_types: if code_flow { vec!["code"] } else { vec![] },
            token_endpoint_auth_method: registered.auth_method.as_str(),
            scope: client.allowed_scopes.to_string(),
        }
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn register(
    State(identity): State<Identity>,
    headers: HeaderMap,
    body: Result<Json<ClientMetadata>, JsonRejection>,
) -> Response {
    let registered = async {
        administrator(&identity, &headers).await?;
        let Json(metadata) = body.map_err(|rejection| RegistrationError {
            error: "invalid_client_metadata",
            description: format!(
                "the body is not client metadata as JSON: {}",
                rejection.body_text()
            ),
        })?;
        identity.register_client(metadata).await
    };
    match registered.await {
        Ok(registered) => (
            StatusCode::CREATED,
            no_store(),
            Json(ClientInformation::from(registered)),
        )
            .into_response(),
        Err(error) => error.into_response(),
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn list(State(identity): State<Identity>, headers: HeaderMap) -> Response {
    let listed = async {
        administrator(&identity, &headers).await?;
        identity.registered_clients().await
    };
    match listed.await {
        Ok(clients) => {
            let clients: Vec<ClientInformation> =
                clients.into_iter().map(ClientInformation::from).collect();
            (no_store(), Json(clients)).into_response()
        }
        Err(error) => error.into_response(),
    }
}

#[tracing::instrument(skip_all, fields(client_id = %client_id))]
pub(super) async fn remove(
    State(identity): State<Identity>,
    headers: HeaderMap,
    Path(client_id): Path<String>,
) -> Response {
    let removed = async {
        administrator(&identity, &headers).await?;
        identity.remove_client(&client_id).await
    };
    match removed.await {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => platform::error::Problem::not_found(format!(
            "client_id: no client registered from outside is called `{client_id}`"
        ))
        .with_kind("not-found")
        .into_response(),
        Err(error) => error.into_response(),
    }
}

/// The caller's token must carry `clients.admin`.
async fn administrator(identity: &Identity, headers: &HeaderMap) -> Result<(), Error> {
    let principal = super::userinfo::bearer(identity, headers).await?;
    match principal.has_scope(proto::scopes::CLIENTS_ADMIN) {
        true => Ok(()),
        false => Err(Error::InsufficientScope(format!(
            "registering clients needs the scope `{}`",
            proto::scopes::CLIENTS_ADMIN
        ))),
    }
}

fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}
