//! Signing keys: Ed25519 key pairs that sign every token, and the JWKS that publishes them.
//!
//! A key is generated with ring and stored as its PKCS#8 document. One key is active (signs new
//! tokens); a retired key stays in the JWKS for one access-token lifetime after it was retired, so
//! that tokens it signed keep verifying until they expire.

use std::sync::{Arc, RwLock};

use anyhow::Context as _;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use serde::Serialize;

/// The `typ` of an ID token.
pub const ID_TOKEN_TYPE: &str = "JWT";

/// A signing key as the store keeps it.
#[derive(Clone)]
pub struct StoredKey {
    pub kid: String,
    /// The PKCS#8 document ring generated (v2, with the public key).
    pub pkcs8: Vec<u8>,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

/// Generates a fresh Ed25519 key, created `now`.
pub fn generate(now: i64) -> anyhow::Result<StoredKey> {
    let random = ring::rand::SystemRandom::new();
    let document = Ed25519KeyPair::generate_pkcs8(&random)
        .map_err(|_| anyhow::anyhow!("the system random source failed"))
        .context("generate a signing key")?;
    Ok(StoredKey {
        // Time-ordered, so that the newest key sorts last.
        kid: uuid::Uuid::now_v7().simple().to_string(),
        pkcs8: document.as_ref().to_vec(),
        created_at: now,
        retired_at: None,
    })
}

/// The keys in use, swapped whole when they change. Cheap to read from many tasks.
pub struct KeyRing {
    loaded: RwLock<Arc<LoadedKeys>>,
    /// How long a retired key stays published.
    grace_seconds: i64,
}

struct LoadedKeys {
    active: Arc<LoadedKey>,
    all: Vec<Arc<LoadedKey>>,
}

struct LoadedKey {
    kid: String,
    encoding: EncodingKey,
    jwk: Jwk,
    retired_at: Option<i64>,
}

impl KeyRing {
    /// Loads `keys`; the newest key that is not retired signs.
    pub fn new(keys: Vec<StoredKey>, grace_seconds: u64) -> anyhow::Result<KeyRing> {
        Ok(KeyRing {
            loaded: RwLock::new(Arc::new(LoadedKeys::load(keys)?)),
            grace_seconds: grace_seconds as i64,
        })
    }

    /// Replaces the loaded keys, after a rotation.
    pub fn replace(&self, keys: Vec<StoredKey>) -> anyhow::Result<()> {
        let loaded = Arc::new(LoadedKeys::load(keys)?);
        *self
            .loaded
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = loaded;
        Ok(())
    }

    /// The public keys that may have signed a token that has not expired at `now`.
    pub fn jwks(&self, now: i64) -> JwkSet {
        let loaded = self.current();
        JwkSet {
            keys: loaded
                .all
                .iter()
                .filter(|key| {
                    key.retired_at.is_none_or(|retired_at| {
                        retired_at.saturating_add(self.grace_seconds) > now
                    })
                })
                .map(|key| key.jwk.clone())
                .collect(),
        }
    }

    /// The id of the key that signs new tokens.
    #[cfg(test)]
    pub fn active_kid(&self) -> String {
        self.current().active.kid.clone()
    }

    /// Signs `claims` as a JWT with the active key and the header `typ`.
    pub fn sign<T: Serialize>(&self, typ: &str, claims: &T) -> anyhow::Result<String> {
        let loaded = self.current();
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(typ.to_owned());
        header.kid = Some(loaded.active.kid.clone());
        jsonwebtoken::encode(&header, claims, &loaded.active.encoding).context("sign a token")
    }

    fn current(&self) -> Arc<LoadedKeys> {
        self.loaded
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

impl LoadedKeys {
    fn load(keys: Vec<StoredKey>) -> anyhow::Result<LoadedKeys> {
        let mut all = keys
            .into_iter()
            .map(|key| LoadedKey::load(key).map(Arc::new))
            .collect::<anyhow::Result<Vec<_>>>()?;
        all.sort_by(|left, right| left.kid.cmp(&right.kid));
        let active = all
            .iter()
            .rev()
            .find(|key| key.retired_at.is_none())
            .cloned()
            .context("no active signing key")?;
        Ok(LoadedKeys { active, all })
    }
}

impl LoadedKey {
    fn load(key: StoredKey) -> anyhow::Result<LoadedKey> {
        let context = || format!("load signing key {}", key.kid);
        let key_pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&key.pkcs8)
            .map_err(|error| anyhow::anyhow!("{error}"))
            .with_context(context)?;
        let encoding = EncodingKey::from_ed_der(&pkcs8_v1(&key.pkcs8).with_context(context)?);
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::EdDSA).with_context(context)?;
        jwk.common.key_id = Some(key.kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        let published_key_matches = match &jwk.algorithm {
            jsonwebtoken::jwk::AlgorithmParameters::OctetKeyPair(parameters) => {
                parameters.x == base64_url(key_pair.public_key().as_ref())
            }
            _ => false,
        };
        anyhow::ensure!(
            published_key_matches,
            "signing key {} publishes another public key than it signs with",
            key.kid
        );
        Ok(LoadedKey {
            kid: key.kid,
            encoding,
            jwk,
            retired_at: key.retired_at,
        })
    }
}

/// The DER prefix of a PKCS#8 v1 Ed25519 key (RFC 8410): the 32-byte seed follows.
const PKCS8_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// The DER prefix of the PKCS#8 v2 document ring generates: the seed, then the public key.
const PKCS8_V2_PREFIX: [u8; 16] = [
    0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// The PKCS#8 v1 document of an Ed25519 key given as v1 or v2.
///
/// ed25519-dalek signs with a v2 document as well, but jsonwebtoken derives the JWK only from a
/// 48-byte v1 document, so the key is handed to it as v1.
pub fn pkcs8_v1(document: &[u8]) -> anyhow::Result<Vec<u8>> {
    let seed = match document.len() {
        48 if document[..16] == PKCS8_V1_PREFIX => &document[16..48],
        83 if document[..16] == PKCS8_V2_PREFIX => &document[16..48],
        _ => anyhow::bail!("not an Ed25519 PKCS#8 document"),
    };
    let mut v1 = PKCS8_V1_PREFIX.to_vec();
    v1.extend_from_slice(seed);
    Ok(v1)
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests;
