//! Emporium's OpenID Connect provider: users and their passwords, registered clients, the signing
//! keys and every token the system trusts.
//!
//! It owns the identity database. Browsers and OAuth clients use the HTTP endpoints of `router()`
//! (discovery, JWKS, authorize, token, userinfo, revoke); services and the gateway use the gRPC
//! service of `grpc()`; other services verify its tokens with `platform::auth::Verifier`, fed by
//! `jwks()` in-process or the JWKS endpoint over the network.

mod clients;
mod domain;
mod error;
mod grpc;
mod hashing;
mod keys;
mod oidc;
mod plugin;
mod store;
mod throttle;
mod tokens;
mod users;

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use platform::auth::{KeySource, Verifier, VerifierConfig};
use platform::unix_now;
use serde::{Deserialize, Serialize};

pub use crate::clients::RegisteredClient;
pub use crate::domain::registration::{AuthMethod, ClientMetadata};
pub use crate::domain::{Client, ClientRegistration, GrantType};
pub use crate::error::{Error, OAuthCode};
pub use crate::grpc::IdentityService;
pub use crate::oidc::ClientInformation;
pub use crate::plugin::{ADMIN_CLIENT_ID, DEV_USER_EMAIL, Plugin, check_client_secrets};

use crate::domain::{Password, PasswordPolicy};
use crate::keys::KeyRing;
use crate::store::Store;

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
    /// Argon2 runs, a bounded number at a time.
    hashing: hashing::Hashing,
    /// Failed logins per email, to slow a guesser down.
    throttle: throttle::LoginThrottle,
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
                hashing: hashing::Hashing::new(0),
                throttle: throttle::LoginThrottle::default(),
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
