//! Identity's place in a node: the provider every other part of the process trusts, the
//! development user and the shop's own clients registered on a first start.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context as _;
use jsonwebtoken::jwk::JwkSet;
use platform::auth::TokenSource;
use platform::config::Secret;
use platform::registry::{Built, Context, Issuer, Process, ServiceClient};

use crate::{ClientRegistration, Config, GrantType, Identity};

/// The development user made on a first start, its password printed once.
pub const DEV_USER_EMAIL: &str = "dev@emporium.local";

/// The operators' client (the admin API, `emporium token --admin`).
pub const ADMIN_CLIENT_ID: &str = "emporium-admin";

/// Identity in the binary's registry.
#[derive(Debug)]
pub struct Plugin;

impl platform::registry::Plugin for Plugin {
    type Config = Config;
    const NAME: &'static str = "identity";
    const PUBLIC_METHODS: &'static [&'static str] = crate::PUBLIC_METHODS;

    fn database_url(config: &mut Config) -> Option<&mut String> {
        Some(&mut config.database_url)
    }

    fn unresolved() -> Config {
        Config {
            database_url: String::new(),
            issuer: String::new(),
            ..Config::default()
        }
    }

    fn resolve(config: &mut Config, process: &Process) {
        process.fill_database_url(&mut config.database_url, Self::NAME);
        if config.issuer.is_empty() {
            // Tokens come from the identity provider: this process, unless it runs elsewhere.
            config.issuer = match process.remote_identity_http.is_empty() {
                true => process.public_url.clone(),
                false => process
                    .remote_identity_http
                    .trim_end_matches('/')
                    .to_owned(),
            };
        }
    }

    async fn build(config: &Config, context: &mut Context<'_>) -> anyhow::Result<Built> {
        let identity = Identity::build(config.clone()).await?;
        context.set_issuer(Arc::new(identity.clone()));
        context.first_start.user = ensure_development_user(&identity).await?;
        context.first_start.client_secrets =
            ensure_clients(&identity, context.clients, &config.client_secrets).await?;
        ensure_storefront_client(&identity, config).await?;
        Ok(Built::default()
            .grpc(identity.grpc())
            .router(identity.router())
            .handle(identity))
    }
}

impl Issuer for Identity {
    fn jwks(&self) -> JwkSet {
        Identity::jwks(self)
    }

    fn token_source(&self, client_id: &str, scope: &str) -> Arc<dyn TokenSource> {
        Identity::token_source(self, client_id, scope)
    }
}

/// Refuses a chosen secret for a client the shop does not have, or one too short, before
/// anything is bound or migrated.
pub fn check_client_secrets(
    clients: &[ServiceClient],
    secrets: &BTreeMap<String, Secret>,
) -> anyhow::Result<()> {
    for (name, secret) in secrets {
        if !clients.iter().any(|client| client.id == name) {
            let known: Vec<&str> = clients.iter().map(|client| client.id).collect();
            anyhow::bail!(
                "identity.client_secrets.{name}: no such client; the clients are {}",
                known.join(", ")
            );
        }
        anyhow::ensure!(
            secret.expose().chars().count() >= crate::MIN_CLIENT_SECRET_LEN,
            "identity.client_secrets.{name}: a secret needs at least {} characters",
            crate::MIN_CLIENT_SECRET_LEN
        );
    }
    Ok(())
}

/// Creates the development user on first start, with a random password to print once.
async fn ensure_development_user(identity: &Identity) -> anyhow::Result<Option<(String, String)>> {
    let password: String = crate::random_token()?.chars().take(24).collect();
    let created = identity
        .ensure_user(DEV_USER_EMAIL, &password, "Dev User")
        .await?;
    Ok(created.then(|| (DEV_USER_EMAIL.to_owned(), password)))
}

/// Registers the storefront as the first-party public client: the authorization-code flow with
/// PKCE and refresh tokens, a user's scopes.
async fn ensure_storefront_client(identity: &Identity, config: &Config) -> anyhow::Result<()> {
    let redirect_uris = match config.storefront_redirect_uris.is_empty() {
        true => vec![format!(
            "{}/auth/callback",
            config.issuer.trim_end_matches('/')
        )],
        false => config.storefront_redirect_uris.clone(),
    };
    let registration = ClientRegistration {
        client_id: crate::FIRST_PARTY_CLIENT_ID.to_owned(),
        confidential: false,
        redirect_uris,
        allowed_scopes: proto::scopes::joined(proto::scopes::SHOPPER),
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
    };
    identity
        .ensure_client(registration)
        .await
        .context("identity.storefront_redirect_uris")?;
    Ok(())
}

/// Registers the clients the shop's own parts use, each with the scopes it may ask for; returns
/// the secrets made just now (a chosen secret is the operator's to know).
async fn ensure_clients(
    identity: &Identity,
    clients: &[ServiceClient],
    secrets: &BTreeMap<String, Secret>,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut fresh = BTreeMap::new();
    for client in clients {
        let registration = ClientRegistration {
            client_id: client.id.to_owned(),
            confidential: true,
            redirect_uris: vec![],
            allowed_scopes: proto::scopes::joined(client.scopes),
            grant_types: vec![GrantType::ClientCredentials],
        };
        match secrets.get(client.id) {
            Some(secret) => identity
                .ensure_client_with_secret(registration, secret.expose())
                .await
                .with_context(|| format!("identity.client_secrets.{}", client.id))?,
            None => {
                if let Some(secret) = identity.ensure_client(registration).await? {
                    fresh.insert(client.id.to_owned(), secret);
                }
            }
        }
    }
    Ok(fresh)
}
