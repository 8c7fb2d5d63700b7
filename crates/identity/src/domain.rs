//! The identity provider's pure rules: emails, passwords, scopes, PKCE, grant types and token
//! claims. No IO here: callers bring the clock, the randomness and the storage.

use std::fmt;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use platform::auth::AccessClaims;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// A field of a request was refused; the message names the field and says why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: &'static str,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: &'static str, reason: impl Into<String>) -> FieldError {
        FieldError {
            field,
            reason: reason.into(),
        }
    }
}

/// An email address, trimmed and lower-cased, so that one person has one account.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, FieldError> {
        let invalid = || FieldError::new("email", "not a valid address");
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err(FieldError::new("email", "must not be empty"));
        }
        if email.len() > 254 {
            return Err(FieldError::new("email", "longer than 254 characters"));
        }
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let local_is_valid = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|character| {
                character.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(character)
            });
        let domain_is_valid = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .chars()
                        .all(|character| character.is_alphanumeric() || character == '-')
            });
        if local_is_valid && domain_is_valid {
            Ok(Email(email))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// A password that meets the policy: 8 to 1024 characters. The upper bound keeps hashing cheap
/// enough that long inputs cannot be used to load the server.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 1024;

    pub fn parse(raw: &str) -> Result<Password, FieldError> {
        let n_chars = raw.chars().count();
        if n_chars < Password::MIN_CHARS {
            return Err(FieldError::new(
                "password",
                format!("must be at least {} characters", Password::MIN_CHARS),
            ));
        }
        if n_chars > Password::MAX_CHARS {
            return Err(FieldError::new(
                "password",
                format!("must be at most {} characters", Password::MAX_CHARS),
            ));
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Password(***)")
    }
}

/// A user's name as shown to people: 1 to 100 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<DisplayName, FieldError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(FieldError::new("display_name", "must not be empty"));
        }
        if name.chars().count() > 100 {
            return Err(FieldError::new(
                "display_name",
                "must be at most 100 characters",
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(FieldError::new(
                "display_name",
                "must not contain control characters",
            ));
        }
        Ok(DisplayName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user as the rest of the system sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: Email,
    pub display_name: String,
    pub created_at: i64,
}

/// The argon2id settings passwords are hashed with.
#[derive(Clone, Debug)]
pub struct PasswordPolicy {
    params: Params,
}

impl PasswordPolicy {
    /// Two passes and one lane, as OWASP recommends with 19 MiB; `memory_kib` trades cost for speed.
    pub fn new(memory_kib: u32) -> Result<PasswordPolicy, FieldError> {
        let params = Params::new(memory_kib, 2, 1, None)
            .map_err(|error| FieldError::new("argon2_memory_kib", error.to_string()))?;
        Ok(PasswordPolicy { params })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// The PHC string (`$argon2id$v=19$...`) of `password` with `salt`, which must be random
    /// and at least 16 bytes.
    pub fn hash(&self, password: &Password, salt: &[u8]) -> Result<String, String> {
        self.argon2()
            .hash_password_with_salt(password.expose().as_bytes(), salt)
            .map(|hash| hash.to_string())
            .map_err(|error| format!("hash a password: {error}"))
    }

    /// Whether `password` matches the PHC string `hash`; the parameters come from the hash.
    pub fn verify(&self, password: &str, hash: &str) -> bool {
        self.argon2()
            .verify_password(password.as_bytes(), hash)
            .is_ok()
    }
}

/// A set of scopes, kept in the order first given and without duplicates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// Parses a space-separated list (RFC 6749 section 3.3).
    pub fn parse(field: &'static str, raw: &str) -> Result<Scopes, FieldError> {
        let mut scopes = Vec::new();
        for scope in raw.split(' ').filter(|scope| !scope.is_empty()) {
            let is_scope_token = scope.bytes().all(|byte| {
                byte == 0x21 || (0x23..=0x5B).contains(&byte) || (0x5D..=0x7E).contains(&byte)
            });
            if !is_scope_token {
                return Err(FieldError::new(
                    field,
                    format!("`{scope}` is not a valid scope"),
                ));
            }
            if !scopes.iter().any(|seen| seen == scope) {
                scopes.push(scope.to_owned());
            }
        }
        Ok(Scopes(scopes))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|granted| granted == scope)
    }

    /// The scopes in `self` that `allowed` does not hold.
    pub fn not_in<'a>(&'a self, allowed: &'a Scopes) -> impl Iterator<Item = &'a str> {
        self.0
            .iter()
            .filter(|scope| !allowed.contains(scope))
            .map(String::as_str)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0.join(" "))
    }
}

/// Asked scopes, or all the allowed ones when none were asked; fails unless all are allowed.
pub fn grant_scopes(
    field: &'static str,
    asked: &str,
    allowed: &Scopes,
) -> Result<Scopes, ScopeRefusal> {
    let asked = Scopes::parse(field, asked).map_err(ScopeRefusal::Malformed)?;
    if asked.is_empty() {
        return Ok(allowed.clone());
    }
    let refused: Vec<&str> = asked.not_in(allowed).collect();
    if refused.is_empty() {
        Ok(asked)
    } else {
        Err(ScopeRefusal::NotAllowed(refused.join(" ")))
    }
}

/// Why asked scopes were refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopeRefusal {
    Malformed(FieldError),
    /// The scopes, space-separated, that the client may not have.
    NotAllowed(String),
}

/// The OAuth 2.0 grants a client may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    AuthorizationCode,
    ClientCredentials,
    RefreshToken,
}

impl GrantType {
    pub const ALL: [GrantType; 3] = [
        GrantType::AuthorizationCode,
        GrantType::ClientCredentials,
        GrantType::RefreshToken,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::RefreshToken => "refresh_token",
        }
    }

    pub fn parse(raw: &str) -> Option<GrantType> {
        GrantType::ALL
            .into_iter()
            .find(|grant_type| grant_type.as_str() == raw)
    }
}

/// What a client registers: who it is, where codes may go, what it may ask for.
#[derive(Clone, Debug)]
pub struct ClientRegistration {
    pub client_id: String,
    /// A confidential client authenticates with a secret; a public one (a browser or mobile app)
    /// cannot keep one and relies on PKCE.
    pub confidential: bool,
    /// Absolute URLs, compared exactly.
    pub redirect_uris: Vec<String>,
    /// Space-separated.
    pub allowed_scopes: String,
    pub grant_types: Vec<GrantType>,
}

/// A registered client, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    pub client_id: String,
    pub redirect_uris: Vec<String>,
    pub allowed_scopes: Scopes,
    pub grant_types: Vec<GrantType>,
    /// The SHA-256 (hex) of the secret of a confidential client.
    pub secret_hash: Option<String>,
}

impl Client {
    /// Checks a registration; `secret_hash` is set for confidential clients.
    pub fn register(
        registration: ClientRegistration,
        secret_hash: Option<String>,
    ) -> Result<Client, FieldError> {
        let ClientRegistration {
            client_id,
            confidential,
            redirect_uris,
            allowed_scopes,
            grant_types,
        } = registration;
        let id_is_valid = !client_id.is_empty()
            && client_id.len() <= 100
            && client_id
                .chars()
                .all(|character| character.is_ascii_alphanumeric() || "-_.".contains(character));
        if !id_is_valid {
            return Err(FieldError::new(
                "client_id",
                "must be 1 to 100 characters of letters, digits, `-`, `_` and `.`",
            ));
        }
        if confidential != secret_hash.is_some() {
            return Err(FieldError::new(
                "confidential",
                "a confidential client needs a secret, a public one has none",
            ));
        }
        for redirect_uri in &redirect_uris {
            if redirect_uri.chars().any(char::is_whitespace) {
                return Err(FieldError::new(
                    "redirect_uris",
                    format!("`{redirect_uri}` must not contain whitespace"),
                ));
            }
            let url = url::Url::parse(redirect_uri).map_err(|_| {
                FieldError::new(
                    "redirect_uris",
                    format!("`{redirect_uri}` is not an absolute URL"),
                )
            })?;
            if url.fragment().is_some() {
                return Err(FieldError::new(
                    "redirect_uris",
                    format!("`{redirect_uri}` must not have a fragment"),
                ));
            }
        }
        if grant_types.is_empty() {
            return Err(FieldError::new(
                "grant_types",
                "must name at least one grant",
            ));
        }
        if grant_types.contains(&GrantType::ClientCredentials) && !confidential {
            return Err(FieldError::new(
                "grant_types",
                "only a confidential client may use client_credentials",
            ));
        }
        if grant_types.contains(&GrantType::AuthorizationCode) && redirect_uris.is_empty() {
            return Err(FieldError::new(
                "redirect_uris",
                "authorization_code needs at least one redirect URI",
            ));
        }
        Ok(Client {
            client_id,
            redirect_uris,
            allowed_scopes: Scopes::parse("allowed_scopes", &allowed_scopes)?,
            grant_types,
            secret_hash,
        })
    }

    pub fn is_confidential(&self) -> bool {
        self.secret_hash.is_some()
    }

    pub fn may_use(&self, grant_type: GrantType) -> bool {
        self.grant_types.contains(&grant_type)
    }

    pub fn has_redirect_uri(&self, redirect_uri: &str) -> bool {
        self.redirect_uris
            .iter()
            .any(|registered| registered == redirect_uri)
    }

    /// Whether `secret` is this client's; always false for a public client.
    pub fn secret_matches(&self, secret: &str) -> bool {
        // Comparing digests leaks nothing useful through timing: an attacker cannot steer them.
        self.secret_hash
            .as_deref()
            .is_some_and(|expected| expected == sha256_hex(secret))
    }
}

/// Whether `verifier` is the PKCE S256 verifier of `challenge` (RFC 7636 section 4.6).
pub fn pkce_s256_matches(verifier: &str, challenge: &str) -> bool {
    is_valid_pkce_verifier(verifier) && pkce_s256_challenge(verifier) == challenge
}

/// `BASE64URL(SHA256(verifier))`.
pub fn pkce_s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// 43 to 128 characters of `[A-Za-z0-9-._~]` (RFC 7636 section 4.1).
pub fn is_valid_pkce_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len()) && verifier.bytes().all(is_unreserved)
}

/// An S256 challenge is a base64url SHA-256: 43 characters.
pub fn is_valid_pkce_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// The hex SHA-256 of a token, as codes, refresh tokens and client secrets are stored.
pub fn sha256_hex(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Who a token is for and what it allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessGrant {
    /// The user's id, or the client's id when a client acts on its own behalf.
    pub subject: String,
    pub client_id: String,
    pub scopes: Scopes,
}

/// The claims of an access token issued `now` (RFC 9068 section 2.2).
pub fn access_claims(
    issuer: &str,
    audience: &str,
    grant: &AccessGrant,
    now: i64,
    ttl_seconds: u64,
    jti: String,
) -> AccessClaims {
    AccessClaims {
        iss: issuer.to_owned(),
        nbf: None,
        sub: grant.subject.clone(),
        aud: audience.to_owned(),
        exp: now.saturating_add(ttl_seconds as i64),
        iat: now,
        jti,
        client_id: grant.client_id.clone(),
        scope: grant.scopes.to_string(),
    }
}

/// The claims of an OpenID Connect ID token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    /// The client the token is for.
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

pub mod registration;

#[cfg(test)]
mod tests;
