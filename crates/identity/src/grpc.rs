//! The gRPC `Identity` service: proto messages in, domain calls, proto messages out.

use platform::auth::principal;
use proto::identity as pb;
use tonic::{Request, Response, Status};

use crate::domain::{Scopes, User, grant_scopes};
use crate::error::{Error, OAuthCode};
use crate::tokens::UserGrant;
use crate::{ClientInformation, ClientMetadata, FIRST_PARTY_CLIENT_ID, Identity, RegisteredClient};

/// The gRPC face of the identity provider; made by `Identity::grpc`.
#[derive(Clone, Debug)]
pub struct IdentityService {
    identity: Identity,
}

impl IdentityService {
    pub(crate) fn new(identity: Identity) -> IdentityService {
        IdentityService { identity }
    }
}

#[tonic::async_trait]
impl pb::identity_server::Identity for IdentityService {
    #[tracing::instrument(skip_all)]
    async fn sign_up(
        &self,
        request: Request<pb::SignUpRequest>,
    ) -> Result<Response<pb::User>, Status> {
        let request = request.into_inner();
        let user = self
            .identity
            .sign_up(&request.email, &request.password, &request.display_name)
            .await?;
        Ok(Response::new(user_message(user)))
    }

    #[tracing::instrument(skip_all)]
    async fn login(
        &self,
        request: Request<pb::LoginRequest>,
    ) -> Result<Response<pb::TokenResponse>, Status> {
        let request = request.into_inner();
        let allowed = self.identity.allowed_scopes(FIRST_PARTY_CLIENT_ID).await?;
        let scopes: Scopes =
            grant_scopes("scope", &request.scope, &allowed).map_err(|refusal| match refusal {
                crate::domain::ScopeRefusal::Malformed(error) => Error::from(error),
                crate::domain::ScopeRefusal::NotAllowed(scopes) => Error::oauth(
                    OAuthCode::InvalidScope,
                    format!("scope: `{scopes}` may not be asked for"),
                ),
            })?;
        let user = self
            .identity
            .authenticate(&request.email, &request.password)
            .await?;
        let auth_time = platform::unix_now();
        let refresh_token = self
            .identity
            .new_refresh_token(&user.id, FIRST_PARTY_CLIENT_ID, &scopes, auth_time)
            .await?;
        let tokens = self.identity.user_tokens(
            UserGrant {
                user: &user,
                client_id: FIRST_PARTY_CLIENT_ID,
                scopes,
                nonce: None,
                auth_time,
            },
            Some(refresh_token),
        )?;
        tracing::info!(user_id = %user.id, "logged a user in");
        Ok(Response::new(pb::TokenResponse {
            access_token: tokens.access_token,
            token_type: tokens.token_type.to_owned(),
            expires_in: u32::try_from(tokens.expires_in).unwrap_or(u32::MAX),
            refresh_token: tokens.refresh_token.unwrap_or_default(),
            id_token: tokens.id_token.unwrap_or_default(),
            scope: tokens.scope,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_me(
        &self,
        request: Request<pb::GetMeRequest>,
    ) -> Result<Response<pb::User>, Status> {
        let principal = principal(&request)?;
        if !principal.is_user() {
            return Err(Status::permission_denied(
                "the token was issued to a client on its own behalf, not to a user",
            ));
        }
        let user = self
            .identity
            .user(principal.subject())
            .await?
            .ok_or_else(|| Status::unauthenticated("the token's user no longer exists"))?;
        Ok(Response::new(user_message(user)))
    }

    async fn get_user(
        &self,
        request: Request<pb::GetUserRequest>,
    ) -> Result<Response<pb::User>, Status> {
        platform::auth::authorize(&request, proto::scopes::USERS_READ)?;
        let user_id = request.get_ref().user_id.trim();
        let user = self
            .identity
            .user(user_id)
            .await?
            .ok_or_else(|| Status::not_found(format!("no user {user_id}")))?;
        Ok(Response::new(user_message(user)))
    }

    #[tracing::instrument(skip_all)]
    async fn register_client(
        &self,
        request: Request<pb::ClientMetadata>,
    ) -> Result<Response<pb::ClientInformation>, Status> {
        platform::auth::authorize(&request, proto::scopes::CLIENTS_ADMIN)?;
        let metadata = client_metadata(request.into_inner());
        let registered = self.identity.register_client(metadata).await?;
        Ok(Response::new(client_message(registered)))
    }

    #[tracing::instrument(skip_all)]
    async fn list_clients(
        &self,
        request: Request<pb::ListClientsRequest>,
    ) -> Result<Response<pb::ListClientsResponse>, Status> {
        platform::auth::authorize(&request, proto::scopes::CLIENTS_ADMIN)?;
        let clients = self.identity.registered_clients().await?;
        Ok(Response::new(pb::ListClientsResponse {
            clients: clients.into_iter().map(client_message).collect(),
        }))
    }

    #[tracing::instrument(skip_all, fields(client_id = %request.get_ref().client_id))]
    async fn remove_client(
        &self,
        request: Request<pb::RemoveClientRequest>,
    ) -> Result<Response<pb::RemoveClientResponse>, Status> {
        platform::auth::authorize(&request, proto::scopes::CLIENTS_ADMIN)?;
        let client_id = &request.get_ref().client_id;
        match self.identity.remove_client(client_id).await? {
            true => Ok(Response::new(pb::RemoveClientResponse {})),
            false => Err(Status::not_found(format!(
                "client_id: no client registered from outside is called `{client_id}`"
            ))),
        }
    }
}

/// The message's metadata as RFC 7591 has it: an empty field is one not given.
fn client_metadata(message: pb::ClientMetadata) -> ClientMetadata {
    let given = |text: String| Some(text).filter(|text| !text.is_empty());
    let listed = |items: Vec<String>| Some(items).filter(|items| !items.is_empty());
    ClientMetadata {
        redirect_uris: message.redirect_uris,
        token_endpoint_auth_method: given(message.token_endpoint_auth_method),
        grant_types: listed(message.grant_types),
        response_types: listed(message.response_types),
        client_name: given(message.client_name),
        scope: given(message.scope),
    }
}

fn client_message(registered: RegisteredClient) -> pb::ClientInformation {
    let information = ClientInformation::from(registered);
    pb::ClientInformation {
        client_id: information.client_id,
        client_secret: information.client_secret.unwrap_or_default(),
        client_id_issued_at: information.client_id_issued_at,
        metadata: Some(pb::ClientMetadata {
            redirect_uris: information.redirect_uris,
            token_endpoint_auth_method: information.token_endpoint_auth_method.to_owned(),
            grant_types: information
                .grant_types
                .iter()
                .map(|grant| grant.to_string())
                .collect(),
            response_types: information
                .response_types
                .iter()
                .map(|kind| kind.to_string())
                .collect(),
            client_name: information.client_name,
            scope: information.scope,
        }),
    }
}

fn user_message(user: User) -> pb::User {
    pb::User {
        id: user.id,
        email: user.email.to_string(),
        display_name: user.display_name,
        created_at_unix: user.created_at,
    }
}
