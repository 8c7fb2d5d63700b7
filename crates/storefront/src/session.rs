//! The visitor's session: one cookie, sealed with AES-256-GCM so that it carries the tokens
//! without showing them (or letting anyone change them), and the CSRF token every form posts,
//! an HMAC of the session's id.
//!
//! The id is random and changes at sign-in and sign-out, so a token taken from one session is
//! refused in every other, including the same browser's next one.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

/// The most lines a visitor's cart holds before signing in.
pub(crate) const MAX_GUEST_LINES: usize = 30;

/// What the cookie holds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Session {
    /// Random; empty until a form needs a CSRF token.
    #[serde(default)]
    pub(crate) sid: String,
    #[serde(default)]
    pub(crate) user: Option<SignedIn>,
    /// The cart of a visitor who has not signed in: sku and quantity.
    #[serde(default)]
    pub(crate) guest_cart: Vec<(String, u32)>,
    /// How many items a signed-in shopper's cart held when the storefront last saw it.
    #[serde(default)]
    pub(crate) cart_count: u32,
    /// A sign-in on its way through the provider.
    #[serde(default)]
    pub(crate) pending: Option<PendingSignIn>,
    /// The id of the shopper's conversation with the assistant (kept by the inference service).
    #[serde(default)]
    pub(crate) assistant: Option<String>,
}

/// A signed-in shopper's tokens and who they are.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct SignedIn {
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
    /// When the access token expires, in Unix seconds.
    pub(crate) expires_at: i64,
    pub(crate) subject: String,
    pub(crate) name: String,
    pub(crate) email: String,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SignedIn")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// How many items the header shows in the cart.
    pub(crate) fn items_in_cart(&self) -> u32 {
        match self.user {
            Some(_) => self.cart_count,
            None => self.guest_cart.iter().map(|(_, quantity)| quantity).sum(),
        }
    }
}

/// What the callback checks: the `state` sent, the PKCE verifier, the nonce, and where to go.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct PendingSignIn {
    pub(crate) state: String,
    pub(crate) verifier: String,
    pub(crate) nonce: String,
    pub(crate) return_to: String,
}

/// The keys that seal sessions and sign CSRF tokens, both derived from the one secret.
pub(crate) struct Keys {
    seal: LessSafeKey,
    csrf: hmac::Key,
    random: SystemRandom,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Keys(..)")
    }
}

impl Keys {
    pub(crate) fn new(secret: &[u8]) -> anyhow::Result<Keys> {
        anyhow::ensure!(
            secret.len() >= 32,
            "the session key must be 32 bytes or more"
        );
        let derive = |label: &[u8]| hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), label);
        let seal = UnboundKey::new(&AES_256_GCM, derive(b"emporium session seal").as_ref())
            .map_err(|_| anyhow::anyhow!("the session key cannot make an AES-256 key"))?;
        Ok(Keys {
            seal: LessSafeKey::new(seal),
            csrf: hmac::Key::new(hmac::HMAC_SHA256, derive(b"emporium csrf").as_ref()),
            random: SystemRandom::new(),
        })
    }

    /// The session as a cookie value: base64url of nonce, ciphertext and tag; `name` (the
    /// cookie's) is bound in, so the value means nothing under another name.
    pub(crate) fn seal(&self, session: &Session, name: &str) -> anyhow::Result<String> {
        let mut nonce = [0; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .map_err(|_| anyhow::anyhow!("no randomness for a nonce"))?;
        let mut sealed = serde_json::to_vec(session)?;
        self.seal
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(name.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| anyhow::anyhow!("sealing the session failed"))?;
        let mut value = nonce.to_vec();
        value.extend_from_slice(&sealed);
        Ok(URL_SAFE_NO_PAD.encode(value))
    }

    /// The session in a cookie value, or `None` when it was not sealed with this key and name.
    pub(crate) fn open(&self, value: &str, name: &str) -> Option<Session> {
        let mut bytes = URL_SAFE_NO_PAD.decode(value).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let mut sealed = bytes.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&bytes).ok()?;
        let plain = self
            .seal
            .open_in_place(nonce, Aad::from(name.as_bytes()), &mut sealed)
            .ok()?;
        serde_json::from_slice(plain).ok()
    }

    /// The CSRF token of the session `sid`.
    pub(crate) fn csrf_token(&self, sid: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.csrf, sid.as_bytes()))
    }

    /// Whether `token` is the CSRF token of session `sid` (compared in constant time).
    pub(crate) fn csrf_matches(&self, sid: &str, token: &str) -> bool {
        match URL_SAFE_NO_PAD.decode(token) {
            Ok(tag) => !sid.is_empty() && hmac::verify(&self.csrf, sid.as_bytes(), &tag).is_ok(),
            Err(_) => false,
        }
    }

    /// `bytes` random bytes as base64url: ids, states, verifiers and nonces.
    pub(crate) fn random_string(&self, bytes: usize) -> String {
        let mut buffer = vec![0; bytes];
        // SystemRandom fails only when the OS has no randomness; nothing sensible goes on then.
        self.random
            .fill(&mut buffer)
            .expect("the operating system gives random bytes");
        URL_SAFE_NO_PAD.encode(buffer)
    }
}

/// The session key from its setting (64 hex digits, or base64 of 32 bytes or more), or from
/// `file`, which is made with a fresh key when it does not exist yet.
pub(crate) fn load_key(setting: &str, file: &str) -> anyhow::Result<Vec<u8>> {
    use base64::engine::general_purpose::STANDARD;
    let setting = setting.trim();
    if setting.len() == 64 && setting.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Ok((0..32)
            .map(|index| u8::from_str_radix(&setting[2 * index..2 * index + 2], 16).unwrap_or(0))
            .collect());
    }
    if !setting.is_empty() {
        return STANDARD.decode(setting).map_err(|error| {
            anyhow::anyhow!(
                "gateway.storefront.session_key: neither 64 hex digits nor base64: {error}"
            )
        });
    }
    anyhow::ensure!(
        !file.is_empty(),
        "gateway.storefront.session_key: set it, or session_key_file"
    );
    match std::fs::read(file) {
        Ok(key) => Ok(key),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let mut key = vec![0; 32];
            SystemRandom::new()
                .fill(&mut key)
                .map_err(|_| anyhow::anyhow!("no randomness for a session key"))?;
            if let Some(parent) = std::path::Path::new(file).parent() {
                std::fs::create_dir_all(parent)?;
            }
            write_private(file, &key)?;
            Ok(key)
        }
        Err(error) => Err(anyhow::anyhow!(
            "gateway.storefront.session_key_file `{file}`: {error}"
        )),
    }
}

#[cfg(unix)]
fn write_private(file: &str, key: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(file)?;
    out.write_all(key)?;
    Ok(out.sync_all()?)
}

#[cfg(not(unix))]
fn write_private(file: &str, key: &[u8]) -> anyhow::Result<()> {
    Ok(std::fs::write(file, key)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::new(&[7; 32]).unwrap()
    }

    #[test]
    fn a_sealed_session_opens_only_with_its_key_and_name_and_shows_no_token() {
        let keys = keys();
        let session = Session {
            sid: "s".to_owned(),
            user: Some(SignedIn {
                access_token: "eyJhbGciOiJFZERTQSJ9.secret-access".to_owned(),
                refresh_token: "secret-refresh".to_owned(),
                expires_at: 1,
                subject: "u1".to_owned(),
                name: "Ada".to_owned(),
                email: "ada@example.com".to_owned(),
            }),
            ..Session::default()
        };
        let value = keys.seal(&session, "emporium-session").unwrap();
        for secret in ["secret-access", "secret-refresh", "ada@example.com", "eyJ"] {
            assert!(!value.contains(secret));
        }
        let opened = keys.open(&value, "emporium-session").unwrap();
        assert_eq!(opened.user.unwrap().refresh_token, "secret-refresh");
        assert!(keys.open(&value, "another-name").is_none());
        assert!(
            Keys::new(&[8; 32])
                .unwrap()
                .open(&value, "emporium-session")
                .is_none()
        );
        let mut tampered = URL_SAFE_NO_PAD.decode(&value).unwrap();
        tampered[20] ^= 1;
        assert!(
            keys.open(&URL_SAFE_NO_PAD.encode(tampered), "emporium-session")
                .is_none()
        );
    }

    #[test]
    fn a_session_key_is_hex_or_base64_of_32_bytes_or_a_file_made_once() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        assert_eq!(load_key(hex, "").unwrap()[..3], [0x00, 0x11, 0x22]);
        assert_eq!(load_key(&"A".repeat(44), "").unwrap().len(), 33);
        assert!(
            load_key("not base64!", "")
                .unwrap_err()
                .to_string()
                .contains("session_key")
        );
        assert!(Keys::new(&[1; 16]).is_err(), "too short");
        let file = std::env::temp_dir().join(format!("emporium-key-{}", std::process::id()));
        let file = file.display().to_string();
        let made = load_key("", &file).unwrap();
        assert_eq!(made.len(), 32);
        assert_eq!(
            load_key("", &file).unwrap(),
            made,
            "the file is read on the next start"
        );
        std::fs::remove_file(&file).unwrap();
    }

    #[test]
    fn a_csrf_token_belongs_to_one_session() {
        let keys = keys();
        let token = keys.csrf_token("one");
        assert!(keys.csrf_matches("one", &token));
        assert!(!keys.csrf_matches("two", &token));
        assert!(!keys.csrf_matches("", &keys.csrf_token("")));
        assert!(!keys.csrf_matches("one", "forged"));
    }
}
