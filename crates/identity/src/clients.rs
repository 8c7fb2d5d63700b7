//! The OAuth clients: the shop's own, registered on every start, those registered from outside
//! (RFC 7591), and the scopes each may ask for.

use platform::unix_now;

use crate::domain::{self, ClientRegistration, Scopes};
use crate::{
    Error, FIRST_PARTY_CLIENT_ID, Identity, MIN_CLIENT_SECRET_LEN, OAuthCode, random_token,
};

/// A client registered from outside, as its registration is answered.
#[derive(Clone, Debug)]
pub struct RegisteredClient {
    pub client: domain::Client,
    pub client_name: String,
    pub auth_method: domain::registration::AuthMethod,
    /// The secret of a confidential client, only in the answer to its registration.
    pub secret: Option<String>,
    pub registered_at: i64,
}

impl Identity {
    /// Registers the client, or brings an existing one's redirect URIs, scopes and grants up to
    /// date (its secret stays). A newly registered confidential client's secret is returned,
    /// once; only its SHA-256 is stored.
    pub async fn ensure_client(
        &self,
        registration: ClientRegistration,
    ) -> Result<Option<String>, Error> {
        let secret = if registration.confidential {
            Some(random_token()?)
        } else {
            None
        };
        let client =
            domain::Client::register(registration, secret.as_deref().map(domain::sha256_hex))?;
        if self.inner.store.insert_client(&client, unix_now()).await? {
            tracing::info!(client_id = %client.client_id, "registered a client");
            return Ok(secret);
        }
        let registered = self.inner.store.client(&client.client_id).await?;
        if registered
            .is_some_and(|registered| registered.is_confidential() != client.is_confidential())
        {
            return Err(domain::FieldError::new(
                "confidential",
                format!(
                    "client `{}` is already registered as the other kind",
                    client.client_id
                ),
            )
            .into());
        }
        self.inner.store.update_client(&client).await?;
        Ok(None)
    }

    /// Registers a confidential client (or updates it) with the secret the operator chose, so
    /// that a process running apart can be given it before identity first starts.
    pub async fn ensure_client_with_secret(
        &self,
        registration: ClientRegistration,
        secret: &str,
    ) -> Result<(), Error> {
        if secret.chars().count() < MIN_CLIENT_SECRET_LEN {
            return Err(domain::FieldError::new(
                "client_secret",
                format!(
                    "the secret of client `{}` must have at least {MIN_CLIENT_SECRET_LEN} characters",
                    registration.client_id
                ),
            )
            .into());
        }
        let registration = ClientRegistration {
            confidential: true,
            ..registration
        };
        let client_id = registration.client_id.clone();
        self.ensure_client(registration).await?;
        self.inner
            .store
            .set_client_secret(&client_id, &domain::sha256_hex(secret))
            .await
    }

    /// Registers a client from outside (RFC 7591): a new id, and a secret, shown once, for a
    /// confidential client.
    pub async fn register_client(
        &self,
        metadata: domain::registration::ClientMetadata,
    ) -> Result<RegisteredClient, Error> {
        let client_id = format!("client-{}", uuid::Uuid::new_v4().simple());
        let checked = metadata.check(client_id)?;
        let secret = match checked.registration.confidential {
            true => Some(random_token()?),
            false => None,
        };
        let client = domain::Client::register(
            checked.registration,
            secret.as_deref().map(domain::sha256_hex),
        )?;
        let now = unix_now();
        self.inner
            .store
            .insert_registered_client(&client, &checked.client_name, now)
            .await?;
        tracing::info!(client_id = %client.client_id, "registered a client from outside");
        Ok(RegisteredClient {
            client,
            client_name: checked.client_name,
            auth_method: checked.auth_method,
            secret,
            registered_at: now,
        })
    }

    /// Every client registered from outside, oldest first (no secrets: only their hashes are
    /// kept).
    pub async fn registered_clients(&self) -> Result<Vec<RegisteredClient>, Error> {
        let clients = self.inner.store.registered_clients().await?;
        Ok(clients
            .into_iter()
            .map(|(client, client_name, registered_at)| RegisteredClient {
                auth_method: match client.is_confidential() {
                    true => domain::registration::AuthMethod::ClientSecretBasic,
                    false => domain::registration::AuthMethod::None,
                },
                client,
                client_name,
                secret: None,
                registered_at,
            })
            .collect())
    }

    /// Removes a client registered from outside, and its tokens; false when there is none.
    pub async fn remove_client(&self, client_id: &str) -> Result<bool, Error> {
        self.inner.store.remove_registered_client(client_id).await
    }

    /// The client with this id, or `None`.
    pub(crate) async fn client(&self, client_id: &str) -> Result<Option<domain::Client>, Error> {
        self.inner.store.client(client_id).await
    }

    /// The scopes a client may ask for; the first-party client has the user defaults until it
    /// is registered with others.
    pub(crate) async fn allowed_scopes(&self, client_id: &str) -> Result<Scopes, Error> {
        match self.client(client_id).await? {
            Some(client) => Ok(client.allowed_scopes),
            None if client_id == FIRST_PARTY_CLIENT_ID => Ok(Scopes::parse(
                "scope",
                &proto::scopes::joined(proto::scopes::SHOPPER),
            )?),
            None => Err(Error::oauth(OAuthCode::InvalidClient, "unknown client")),
        }
    }
}
