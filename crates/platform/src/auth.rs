//! Access-token verification and scopes, the same for every transport.
//!
//! Tokens are RFC 9068 JWT access tokens signed by the identity provider. A `Verifier` checks the
//! signature against the provider's JWKS (cached, refetched when a token names an unknown key),
//! the `typ`, issuer, audience and expiry; the result is a `Principal` whose scopes each RPC checks.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};

use crate::config::Secret;
use crate::error::Problem;

/// The `typ` header of an access token (RFC 9068 section 2.1).
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// The signature algorithm of every Emporium token.
pub const SIGNING_ALGORITHM: Algorithm = Algorithm::EdDSA;

/// The claims of an access token (RFC 9068 section 2.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    /// The user's id, or the client's id for a client-credentials token.
    pub sub: String,
    /// The audience. A token may name several (RFC 7519 section 4.1.3: a list), one of which
    /// must be this shop's; a list is kept here joined by spaces.
    #[serde(deserialize_with = "one_or_many")]
    pub aud: String,
    /// Not before (RFC 7519 section 4.1.5): the token is refused until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client_id: String,
    /// Space-separated scopes.
    #[serde(default)]
    pub scope: String,
}

/// A string, or a list of strings joined by spaces.
fn one_or_many<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(one) => one,
        OneOrMany::Many(many) => many.join(" "),
    })
}

/// Who is calling, with what authority: a verified access token.
#[derive(Clone, PartialEq, Eq)]
pub struct Principal {
    subject: String,
    client_id: String,
    scopes: Vec<String>,
    expires_at: i64,
    token: Arc<str>,
}

impl Principal {
    fn from_claims(claims: AccessClaims, token: Arc<str>) -> Principal {
        Principal {
            scopes: claims.scope.split_whitespace().map(str::to_owned).collect(),
            subject: claims.sub,
            client_id: claims.client_id,
            expires_at: claims.exp,
            token,
        }
    }

    /// The user id, or the client id when a service calls on its own behalf.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// True when the token was issued to a user rather than to a client on its own behalf.
    pub fn is_user(&self) -> bool {
        self.subject != self.client_id
    }

    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|granted| granted == scope)
    }

    /// Fails with `Forbidden` unless the token carries `scope`.
    pub fn require_scope(&self, scope: &str) -> Result<(), AuthError> {
        if self.has_scope(scope) {
            Ok(())
        } else {
            Err(AuthError::Forbidden(format!(
                "this call needs the scope `{scope}`"
            )))
        }
    }

    /// The verified token itself, to forward where the caller's authority matters.
    pub fn token(&self) -> &str {
        &self.token
    }

    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }
}

impl fmt::Debug for Principal {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Principal")
            .field("subject", &self.subject)
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// Why a call was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token")]
    Missing,
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("cannot verify tokens now: {0}")]
    Unavailable(String),
}

impl From<AuthError> for tonic::Status {
    fn from(error: AuthError) -> tonic::Status {
        match error {
            AuthError::Missing | AuthError::Invalid(_) => {
                tonic::Status::unauthenticated(error.to_string())
            }
            AuthError::Forbidden(_) => tonic::Status::permission_denied(error.to_string()),
            AuthError::Unavailable(_) => tonic::Status::unavailable(error.to_string()),
        }
    }
}

impl From<AuthError> for Problem {
    fn from(error: AuthError) -> Problem {
        Problem::from(tonic::Status::from(error))
    }
}

/// Where a verifier gets the identity provider's public keys.
#[derive(Clone)]
pub enum KeySource {
    /// Fetches the JWKS document over HTTP.
    Http {
        client: reqwest::Client,
        jwks_url: String,
    },
    /// Asks the identity provider in this process.
    InProcess(Arc<dyn Fn() -> JwkSet + Send + Sync>),
}

impl fmt::Debug for KeySource {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Http { jwks_url, .. } => write!(formatter, "KeySource::Http({jwks_url})"),
            KeySource::InProcess(_) => formatter.write_str("KeySource::InProcess"),
        }
    }
}

impl KeySource {
    async fn fetch(&self) -> Result<JwkSet, AuthError> {
        match self {
            KeySource::InProcess(keys) => Ok(keys()),
            KeySource::Http { client, jwks_url } => {
                let response = client
                    .get(jwks_url)
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await
                    .and_then(reqwest::Response::error_for_status)
                    .map_err(|error| AuthError::Unavailable(format!("fetch JWKS: {error}")))?;
                response
                    .json::<JwkSet>()
                    .await
                    .map_err(|error| AuthError::Unavailable(format!("read JWKS: {error}")))
            }
        }
    }
}

/// What a verifier accepts.
#[derive(Clone, Debug)]
pub struct VerifierConfig {
    pub issuer: String,
    pub audience: String,
    /// The least time between two JWKS fetches caused by unknown key ids, so that tokens with
    /// made-up `kid`s cannot make us hammer the provider.
    pub min_refetch_interval: Duration,
}

/// Verifies access tokens. Cheap to clone; clones share their key and token caches.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<VerifierInner>,
}

struct VerifierInner {
    source: KeySource,
    validation: Validation,
    min_refetch_interval: Duration,
    keys: RwLock<Arc<HashMap<String, DecodingKey>>>,
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
    /// Verified tokens, so that a token used again costs a lookup rather than a signature check.
    verified: moka::future::Cache<Arc<str>, Arc<Principal>>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Verifier")
            .field("source", &self.inner.source)
            .field("issuer", &self.inner.validation.iss)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    pub fn new(config: VerifierConfig, source: KeySource) -> Verifier {
        let mut validation = Validation::new(SIGNING_ALGORITHM);
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        Verifier {
            inner: Arc::new(VerifierInner {
                source,
                validation,
                min_refetch_interval: config.min_refetch_interval,
                keys: RwLock::new(Arc::new(HashMap::new())),
                last_fetch: tokio::sync::Mutex::new(None),
                verified: moka::future::Cache::builder()
                    .max_capacity(100_000)
                    .time_to_live(Duration::from_secs(60))
                    .build(),
            }),
        }
    }

    /// Verifies the value of an `authorization` header (`Bearer <token>`).
    pub async fn verify_header(
        &self,
        header: Option<&http::HeaderValue>,
    ) -> Result<Arc<Principal>, AuthError> {
        let header = header.ok_or(AuthError::Missing)?;
        let header = header
            .to_str()
            .map_err(|_| AuthError::Invalid("the authorization header is not ASCII".to_owned()))?;
        let token = bearer_token(header).ok_or_else(|| {
            AuthError::Invalid("the authorization header is not `Bearer <token>`".to_owned())
        })?;
        self.verify(token).await
    }

    /// Verifies an access token.
    pub async fn verify(&self, token: &str) -> Result<Arc<Principal>, AuthError> {
        let now = crate::unix_now();
        if let Some(principal) = self.inner.verified.get(token).await {
            if principal.expires_at + self.inner.validation.leeway as i64 > now {
                return Ok(principal);
            }
            self.inner.verified.invalidate(token).await;
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|error| AuthError::Invalid(format!("malformed token: {error}")))?;
        if header.alg != SIGNING_ALGORITHM {
            return Err(AuthError::Invalid(format!(
                "the algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let typ = header
            .typ
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if typ != ACCESS_TOKEN_TYPE && typ != "application/at+jwt" {
            return Err(AuthError::Invalid(
                "not an access token (typ must be at+jwt)".to_owned(),
            ));
        }
        let kid = header
            .kid
            .ok_or_else(|| AuthError::Invalid("the token names no signing key (kid)".to_owned()))?;
        let key = self.key(&kid).await?;
        let data = jsonwebtoken::decode::<AccessClaims>(token, &key, &self.inner.validation)
            .map_err(|error| AuthError::Invalid(describe_jwt_error(&error)))?;
        let token: Arc<str> = Arc::from(token);
        let principal = Arc::new(Principal::from_claims(data.claims, token.clone()));
        self.inner.verified.insert(token, principal.clone()).await;
        Ok(principal)
    }

    async fn key(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        if let Some(key) = self.cached_key(kid) {
            return Ok(key);
        }
        let mut last_fetch = self.inner.last_fetch.lock().await;
        // Another task may have fetched while we waited for the lock.
        if let Some(key) = self.cached_key(kid) {
            return Ok(key);
        }
        let may_fetch = last_fetch.is_none_or(|at| at.elapsed() >= self.inner.min_refetch_interval);
        if may_fetch {
            let jwks = self.inner.source.fetch().await?;
            *last_fetch = Some(Instant::now());
            let keys: HashMap<String, DecodingKey> = jwks
                .keys
                .iter()
                .filter_map(|jwk| {
                    let kid = jwk.common.key_id.clone()?;
                    let key = DecodingKey::from_jwk(jwk).ok()?;
                    Some((kid, key))
                })
                .collect();
            *self
                .inner
                .keys
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(keys);
        }
        self.cached_key(kid)
            .ok_or_else(|| AuthError::Invalid(format!("unknown signing key `{kid}`")))
    }

    fn cached_key(&self, kid: &str) -> Option<DecodingKey> {
        let keys = self
            .inner
            .keys
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        keys.get(kid).cloned()
    }
}

fn describe_jwt_error(error: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match error.kind() {
        ErrorKind::ExpiredSignature => "the token has expired".to_owned(),
        ErrorKind::InvalidAudience => "the token is for another audience".to_owned(),
        ErrorKind::InvalidIssuer => "the token is from another issuer".to_owned(),
        ErrorKind::InvalidSignature => "the signature does not match".to_owned(),
        ErrorKind::InvalidAlgorithm => "the algorithm is not accepted".to_owned(),
        ErrorKind::MissingRequiredClaim(claim) => format!("the claim `{claim}` is missing"),
        _ => format!("{error}"),
    }
}

/// The token of a `Bearer <token>` header value; the scheme is case-insensitive.
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The principal that the server layer verified for this call.
pub fn principal<T>(request: &tonic::Request<T>) -> Result<&Principal, tonic::Status> {
    request
        .extensions()
        .get::<Arc<Principal>>()
        .map(|principal| principal.as_ref())
        .ok_or_else(|| tonic::Status::unauthenticated("missing bearer token"))
}

/// The principal of this call, if it carries `scope`; the check every RPC starts with.
pub fn authorize<'a, T>(
    request: &'a tonic::Request<T>,
    scope: &str,
) -> Result<&'a Principal, tonic::Status> {
    let principal = principal(request)?;
    principal.require_scope(scope)?;
    Ok(principal)
}

/// The principal of this call, if it carries any of `scopes` (a reader's scope, or the writer's
/// that implies it); the refusal names the first.
pub fn authorize_any<'a, T>(
    request: &'a tonic::Request<T>,
    scopes: &[&str],
) -> Result<&'a Principal, tonic::Status> {
    let principal = principal(request)?;
    if scopes.iter().any(|scope| principal.has_scope(scope)) {
        return Ok(principal);
    }
    let first = scopes.first().copied().unwrap_or_default();
    Err(AuthError::Forbidden(format!("this call needs the scope `{first}`")).into())
}

/// Something that hands out access tokens for a service's own calls.
pub trait TokenSource: Send + Sync {
    fn token(&self) -> BoxFuture<'_, Result<Arc<str>, tonic::Status>>;
}

/// Tokens from the identity provider's token endpoint by the client-credentials grant,
/// cached until shortly before they expire.
pub struct ClientCredentials {
    client: reqwest::Client,
    token_url: String,
    client_id: String,
    client_secret: Secret,
    scope: String,
    cached: tokio::sync::Mutex<Option<(Arc<str>, Instant)>>,
}

impl ClientCredentials {
    pub fn new(
        client: reqwest::Client,
        token_url: String,
        client_id: String,
        client_secret: Secret,
        scope: String,
    ) -> ClientCredentials {
        ClientCredentials {
            client,
            token_url,
            client_id,
            client_secret,
            scope,
            cached: tokio::sync::Mutex::new(None),
        }
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("ClientCredentials")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenEndpointResponse {
    access_token: String,
    expires_in: u64,
}

impl TokenSource for ClientCredentials {
    fn token(&self) -> BoxFuture<'_, Result<Arc<str>, tonic::Status>> {
        Box::pin(async move {
            let mut cached = self.cached.lock().await;
            if let Some((token, refresh_at)) = cached.as_ref()
                && Instant::now() < *refresh_at
            {
                return Ok(token.clone());
            }
            let response = self
                .client
                .post(&self.token_url)
                .basic_auth(&self.client_id, Some(self.client_secret.expose()))
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("scope", self.scope.as_str()),
                ])
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .map_err(|error| {
                    tonic::Status::unavailable(format!("get a service token: {error}"))
                })?;
            let body: TokenEndpointResponse = response.json().await.map_err(|error| {
                tonic::Status::unavailable(format!("read a service token: {error}"))
            })?;
            let token: Arc<str> = Arc::from(body.access_token);
            // Refresh at 80% of the lifetime so that a token never expires in flight.
            let refresh_at = Instant::now() + Duration::from_secs(body.expires_in * 4 / 5);
            *cached = Some((token.clone(), refresh_at));
            Ok(token)
        })
    }
}

/// A freshly generated Ed25519 signing key: its PKCS#8 (v1) document and public key.
pub struct SigningKeyMaterial {
    pub pkcs8: Vec<u8>,
    pub public_key: [u8; 32],
}

impl fmt::Debug for SigningKeyMaterial {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("SigningKeyMaterial")
            .finish_non_exhaustive()
    }
}

/// The DER prefix of a PKCS#8 v1 Ed25519 private key (RFC 8410); the 32-byte seed follows.
const ED25519_PKCS8_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// Generates an Ed25519 key with ring. ring writes PKCS#8 v2 (with the public key), which the
/// signer behind `jsonwebtoken` does not read, so the seed is re-wrapped as v1.
pub fn generate_signing_key() -> anyhow::Result<SigningKeyMaterial> {
    use ring::signature::KeyPair;
    let random = ring::rand::SystemRandom::new();
    let document = ring::signature::Ed25519KeyPair::generate_pkcs8(&random)
        .map_err(|_| anyhow::anyhow!("generate an Ed25519 key"))?;
    let key_pair = ring::signature::Ed25519KeyPair::from_pkcs8(document.as_ref())
        .map_err(|_| anyhow::anyhow!("read the generated Ed25519 key"))?;
    let public_key: [u8; 32] = key_pair.public_key().as_ref().try_into()?;
    // In ring's v2 document the seed follows the same 16-byte prefix (with another version byte).
    let seed = document
        .as_ref()
        .get(16..48)
        .ok_or_else(|| anyhow::anyhow!("unexpected PKCS#8 layout"))?;
    let mut pkcs8 = ED25519_PKCS8_V1_PREFIX.to_vec();
    pkcs8.extend_from_slice(seed);
    Ok(SigningKeyMaterial { pkcs8, public_key })
}

/// The public JWK of an Ed25519 key, as a JWKS lists it.
pub fn public_jwk(kid: &str, public_key: &[u8; 32]) -> jsonwebtoken::jwk::Jwk {
    use base64::Engine;
    use jsonwebtoken::jwk::{
        AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, KeyAlgorithm,
        OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse,
    };
    Jwk {
        common: CommonParameters {
            public_key_use: Some(PublicKeyUse::Signature),
            key_algorithm: Some(KeyAlgorithm::EdDSA),
            key_id: Some(kid.to_owned()),
            ..CommonParameters::default()
        },
        algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
            key_type: OctetKeyPairType::OctetKeyPair,
            curve: EllipticCurve::Ed25519,
            x: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(public_key),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_taken_from_the_header_value() {
        assert_eq!(bearer_token("Bearer abc.def.ghi"), Some("abc.def.ghi"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("Basic dXNlcjpwYXNz"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearer"), None);
    }
}
