//! The tokens this provider signs: access, ID and refresh tokens for a user's grant, access tokens
//! for a client's own calls, and the in-process token source of the shop's own services.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use platform::auth::TokenSource;
use platform::unix_now;
use serde::Serialize;

use crate::domain::{self, AccessGrant, IdClaims, Scopes, User};
use crate::keys;
use crate::store::RefreshRecord;
use crate::{Error, Identity, random_token};

/// Tokens handed out by one grant.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct TokenSet {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub scope: String,
}

/// A user's authorization, as a code, a login or a refresh carries it.
pub(crate) struct UserGrant<'a> {
    pub user: &'a User,
    pub client_id: &'a str,
    pub scopes: Scopes,
    pub nonce: Option<String>,
    /// When the user last entered their password.
    pub auth_time: i64,
}

impl Identity {
    /// Tokens for `client_id`'s own calls, minted in-process with the same claims as the
    /// client-credentials grant, and reused until 80% of their lifetime has passed.
    pub fn token_source(&self, client_id: &str, scope: &str) -> Arc<dyn TokenSource> {
        Arc::new(InProcessTokens {
            identity: self.clone(),
            client_id: client_id.to_owned(),
            scope: scope.to_owned(),
            cached: tokio::sync::Mutex::new(None),
        })
    }

    /// Signs an access token for `subject`, issued to `client_id` with `scope`.
    pub async fn mint_access_token(
        &self,
        subject: &str,
        client_id: &str,
        scope: &str,
    ) -> Result<String, Error> {
        let grant = AccessGrant {
            subject: subject.to_owned(),
            client_id: client_id.to_owned(),
            scopes: Scopes::parse("scope", scope)?,
        };
        self.access_token(&grant)
    }

    pub(crate) fn access_token(&self, grant: &AccessGrant) -> Result<String, Error> {
        let config = &self.inner.config;
        let claims = domain::access_claims(
            &config.issuer,
            &config.audience,
            grant,
            unix_now(),
            config.access_token_ttl_seconds,
            uuid::Uuid::new_v4().simple().to_string(),
        );
        Ok(self
            .inner
            .keys
            .sign(platform::auth::ACCESS_TOKEN_TYPE, &claims)?)
    }

    /// The tokens for a user's grant: an access token, an ID token when `openid` was granted, and
    /// `refresh_token` when given.
    pub(crate) fn user_tokens(
        &self,
        grant: UserGrant<'_>,
        refresh_token: Option<String>,
    ) -> Result<TokenSet, Error> {
        let config = &self.inner.config;
        let now = unix_now();
        let access_token = self.access_token(&AccessGrant {
            subject: grant.user.id.clone(),
            client_id: grant.client_id.to_owned(),
            scopes: grant.scopes.clone(),
        })?;
        let id_token = if grant.scopes.contains("openid") {
            let claims = IdClaims {
                iss: config.issuer.clone(),
                sub: grant.user.id.clone(),
                aud: grant.client_id.to_owned(),
                exp: now.saturating_add(config.access_token_ttl_seconds as i64),
                iat: now,
                auth_time: grant.auth_time,
                nonce: grant.nonce,
                email: grant
                    .scopes
                    .contains("email")
                    .then(|| grant.user.email.to_string()),
                name: grant
                    .scopes
                    .contains("profile")
                    .then(|| grant.user.display_name.clone()),
            };
            Some(self.inner.keys.sign(keys::ID_TOKEN_TYPE, &claims)?)
        } else {
            None
        };
        Ok(TokenSet {
            access_token,
            token_type: "Bearer",
            expires_in: config.access_token_ttl_seconds,
            refresh_token,
            id_token,
            scope: grant.scopes.to_string(),
        })
    }

    /// Starts a new refresh-token family for a user's grant and returns its first token.
    pub(crate) async fn new_refresh_token(
        &self,
        user_id: &str,
        client_id: &str,
        scopes: &Scopes,
        auth_time: i64,
    ) -> Result<String, Error> {
        let now = unix_now();
        let token = random_token()?;
        self.inner
            .store
            .insert_refresh_token(&RefreshRecord {
                token_hash: domain::sha256_hex(&token),
                family_id: uuid::Uuid::new_v4().simple().to_string(),
                client_id: client_id.to_owned(),
                user_id: user_id.to_owned(),
                scope: scopes.to_string(),
                auth_time,
                issued_at: now,
                expires_at: now.saturating_add(self.inner.config.refresh_token_ttl_seconds as i64),
            })
            .await?;
        Ok(token)
    }
}

/// Client-credentials tokens minted in-process.
struct InProcessTokens {
    identity: Identity,
    client_id: String,
    scope: String,
    cached: tokio::sync::Mutex<Option<(Arc<str>, Instant)>>,
}

impl TokenSource for InProcessTokens {
    fn token(&self) -> BoxFuture<'_, Result<Arc<str>, tonic::Status>> {
        Box::pin(async move {
            let mut cached = self.cached.lock().await;
            if let Some((token, refresh_at)) = cached.as_ref()
                && Instant::now() < *refresh_at
            {
                return Ok(token.clone());
            }
            let token: Arc<str> = self
                .identity
                .mint_access_token(&self.client_id, &self.client_id, &self.scope)
                .await?
                .into();
            // Refresh at 80% of the lifetime so that a token never expires in flight.
            let ttl = self.identity.config().access_token_ttl_seconds;
            let refresh_at = Instant::now() + Duration::from_secs(ttl * 4 / 5);
            *cached = Some((token.clone(), refresh_at));
            Ok(token)
        })
    }
}
