//! Emporium's OpenID Connect provider: users and their passwords, registered clients, the signing
//! keys and every token the system trusts.
//!
//! It owns the identity database. Browsers and OAuth clients use the HTTP endpoints of `router()`
//! (discovery, JWKS, authorize, token, userinfo, revoke); services and the gateway use the gRPC
//! service of `grpc()`; other services verify its tokens with `platform::auth::Verifier`, fed by
//! `jwks()` in-process or the JWKS endpoint over the network.

mod domain;
mod error;
mod grpc;
mod keys;
mod oidc;
mod plugin;
mod store;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures_util::future::BoxFuture;
use jsonwebtoken::jwk::JwkSet;
use platform::auth::{KeySource, TokenSource, Verifier, VerifierConfig};
use platform::unix_now;
use serde::{Deserialize, Serialize};

pub use crate::domain::registration::{AuthMethod, ClientMetadata};
pub use crate::domain::{Client, ClientRegistration, GrantType};
pub use crate::error::{Error, OAuthCode};
pub use crate::grpc::IdentityService;
pub use crate::oidc::ClientInformation;
pub use crate::plugin::{ADMIN_CLIENT_ID, DEV_USER_EMAIL, Plugin, check_client_secrets};

use crate::domain::{
    AccessGrant, DisplayName, Email, IdClaims, Password, PasswordPolicy, Scopes, User,
};
use crate::keys::KeyRing;
use crate::store::{RefreshRecord, Store};

/// The gRPC methods that need no access token.
pub const PUBLIC_METHODS: &[&str] = &[
    "/emporium.identity.v1.Identity/SignUp",
    "/emporium.identity.v1.Identity/Login",
];

/// The first-party client that the gRPC `Login` issues tokens to.
pub const FIRST_PARTY_CLIENT_ID: &str = "emporium-web";

/// The shortest secret an operator may give a client.
pub const MIN_CLIENT_SECRET_LEN: usize = 16;

/// The identity provider's configuration.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the identity database is, e.g. "sqlite://.emporium/identity.db".
    pub database_url: String,
    /// The issuer URL, e.g. "http://127.0.0.1:8080" (no trailing slash); endpoints hang off it.
    pub issuer: String,
    /// The `aud` of access tokens.
    pub audience: String,
    /// How long an access token (and an ID token) is good for.
    pub access_token_ttl_seconds: u64,
    /// How long a refresh token is good for; each refresh hands out a new one.
    pub refresh_token_ttl_seconds: u64,
    /// How long an authorization code may wait for its exchange.
    pub authorization_code_ttl_seconds: u64,
    /// Argon2id memory cost in KiB (19456 as OWASP recommends); tests use a small value.
    pub argon2_memory_kib: u32,
    /// Secrets for the services' own clients (`gateway`, `orders`, `notifications`,
    /// `emporium-admin`), chosen by the operator so that processes running apart can be given
    /// theirs; a client without one gets a random secret on first start.
    pub client_secrets: std::collections::BTreeMap<String, platform::config::Secret>,
    /// Where the storefront's log-in may send its codes: the redirect URIs of the first-party
    /// public client `emporium-web`, registered on every start. Empty: `<issuer>/auth/callback`.
    pub storefront_redirect_uris: Vec<String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            database_url: "sqlite://.emporium/identity.db".to_owned(),
            issuer: "http://127.0.0.1:8080".to_owned(),
            audience: "emporium".to_owned(),
            access_token_ttl_seconds: 900,
            refresh_token_ttl_seconds: 30 * 24 * 60 * 60,
            authorization_code_ttl_seconds: 60,
            argon2_memory_kib: 19456,
            client_secrets: std::collections::BTreeMap::new(),
            storefront_redirect_uris: Vec::new(),
        }
    }
}

/// The identity provider. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Identity {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    store: Store,
    keys: Arc<KeyRing>,
    passwords: PasswordPolicy,
    /// The hash of no one's password, checked when an email is unknown so that a failed login
    /// takes as long whichever part was wrong.
    decoy_password_hash: String,
    /// Verifies the access tokens presented to userinfo, against this provider's own keys.
    verifier: Verifier,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Identity")
            .field("issuer", &self.inner.config.issuer)
            .finish_non_exhaustive()
    }
}

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
    /// Connects to the database, applies the migrations, and loads the signing keys, creating the
    /// first one on first start.
    pub async fn build(config: Config) -> anyhow::Result<Identity> {
        let issuer = config.issuer.trim_end_matches('/').to_owned();
        anyhow::ensure!(
            url::Url::parse(&issuer).is_ok(),
            "invalid configuration: key `issuer`: `{}` is not an absolute URL",
            config.issuer
        );
        let config = Config { issuer, ..config };
        let passwords = PasswordPolicy::new(config.argon2_memory_kib).map_err(|error| {
            anyhow::anyhow!(
                "invalid configuration: key `{}`: {}",
                error.field,
                error.reason
            )
        })?;

        let store = Store::open(&config.database_url).await?;

        let mut stored_keys = store.signing_keys().await?;
        if stored_keys.iter().all(|key| key.retired_at.is_some()) {
            let key = keys::generate(unix_now())?;
            store.insert_signing_key(&key).await?;
            stored_keys.push(key);
        }
        let keys = Arc::new(KeyRing::new(stored_keys, config.access_token_ttl_seconds)?);

        let decoy_password = Password::parse("not anyone's password")?;
        let decoy_password_hash = passwords
            .hash(&decoy_password, &random_bytes::<16>()?)
            .map_err(anyhow::Error::msg)?;

        let verifier = {
            let keys = keys.clone();
            Verifier::new(
                VerifierConfig {
                    issuer: config.issuer.clone(),
                    audience: config.audience.clone(),
                    // Asking the key ring in-process costs microseconds, so a new key is picked
                    // up at once.
                    min_refetch_interval: Duration::ZERO,
                },
                KeySource::InProcess(Arc::new(move || keys.jwks(unix_now()))),
            )
        };

        Ok(Identity {
            inner: Arc::new(Inner {
                config,
                store,
                keys,
                passwords,
                decoy_password_hash,
                verifier,
            }),
        })
    }

    /// The public keys that verify this provider's tokens.
    pub fn jwks(&self) -> JwkSet {
        self.inner.keys.jwks(unix_now())
    }

    /// The OpenID Connect endpoints, ready to serve.
    pub fn router(&self) -> axum::Router {
        oidc::router(self.clone())
    }

    /// The gRPC `Identity` service.
    pub fn grpc(&self) -> proto::identity::identity_server::IdentityServer<IdentityService> {
        proto::identity::identity_server::IdentityServer::new(IdentityService::new(self.clone()))
    }

    /// Creates the user unless one with this email exists; true when created.
    /// The id of the user with `email`, if there is one.
    pub async fn user_id_by_email(&self, email: &str) -> Result<Option<String>, Error> {
        let email = Email::parse(email)?;
        Ok(self
            .inner
            .store
            .user_by_email(&email)
            .await?
            .map(|(user, _)| user.id))
    }

    pub async fn ensure_user(
        &self,
        email: &str,
        password: &str,
        display_name: &str,
    ) -> Result<bool, Error> {
        match self.sign_up(email, password, display_name).await {
            Ok(_) => Ok(true),
            Err(Error::EmailTaken) => Ok(false),
            Err(error) => Err(error),
        }
    }

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

    /// Retires the signing key and starts signing with a new one; returns the new key's id.
    /// The old key stays published until the tokens it signed have expired.
    pub async fn rotate_signing_key(&self) -> Result<String, Error> {
        let now = unix_now();
        let key = keys::generate(now)?;
        self.inner.store.rotate_signing_key(&key, now).await?;
        let stored_keys = self.inner.store.signing_keys().await?;
        self.inner.keys.replace(stored_keys)?;
        tracing::info!(kid = %key.kid, "rotated the signing key");
        Ok(key.kid)
    }

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
}

impl Identity {
    pub(crate) fn config(&self) -> &Config {
        &self.inner.config
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) fn verifier(&self) -> &Verifier {
        &self.inner.verifier
    }

    /// Creates a user, after checking every field.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn sign_up(
        &self,
        email: &str,
        password: &str,
        display_name: &str,
    ) -> Result<User, Error> {
        let email = Email::parse(email)?;
        let password = Password::parse(password)?;
        let display_name = DisplayName::parse(display_name)?;
        let password_hash = self.hash_password(password).await?;
        let user = User {
            id: uuid::Uuid::now_v7().to_string(),
            email,
            display_name: display_name.as_str().to_owned(),
            created_at: unix_now(),
        };
        self.inner.store.insert_user(&user, &password_hash).await?;
        tracing::info!(user_id = %user.id, "signed up a user");
        Ok(user)
    }

    /// The user with this email and password; `BadCredentials` whatever was wrong.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn authenticate(&self, email: &str, password: &str) -> Result<User, Error> {
        let found = match Email::parse(email) {
            Ok(email) => self.inner.store.user_by_email(&email).await?,
            Err(_) => None,
        };
        let (user, password_hash) = match found {
            Some((user, password_hash)) => (Some(user), password_hash),
            None => (None, self.inner.decoy_password_hash.clone()),
        };
        let matches = self
            .verify_password(password.to_owned(), password_hash)
            .await?;
        match user {
            Some(user) if matches => Ok(user),
            _ => Err(Error::BadCredentials),
        }
    }

    pub(crate) async fn user(&self, user_id: &str) -> Result<Option<User>, Error> {
        self.inner.store.user_by_id(user_id).await
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

    async fn hash_password(&self, password: Password) -> Result<String, Error> {
        let passwords = self.inner.passwords.clone();
        let salt = random_bytes::<16>()?;
        // Argon2 is deliberately slow; it runs off the async workers.
        let hash = tokio::task::spawn_blocking(move || passwords.hash(&password, &salt))
            .await
            .context("hash a password")?
            .map_err(anyhow::Error::msg)?;
        Ok(hash)
    }

    async fn verify_password(&self, password: String, hash: String) -> Result<bool, Error> {
        let passwords = self.inner.passwords.clone();
        Ok(
            tokio::task::spawn_blocking(move || passwords.verify(&password, &hash))
                .await
                .context("verify a password")?,
        )
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

/// A random token of 256 bits, base64url: codes, refresh tokens, client secrets.
pub(crate) fn random_token() -> anyhow::Result<String> {
    use base64::Engine as _;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

fn random_bytes<const N: usize>() -> anyhow::Result<[u8; N]> {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; N];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| anyhow::anyhow!("the system random source failed"))?;
    Ok(bytes)
}
