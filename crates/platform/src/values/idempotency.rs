//! `IdempotencyKey`: what a caller sends so that a repeated request is answered, not redone.

use super::Invalid;

/// A key that makes a request safe to repeat: 1 to 128 printable ASCII characters, no spaces
/// inside (the `Idempotency-Key` header's `^[!-~]{1,128}$`); spaces around it are trimmed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The most bytes a key may hold.
    pub const MAX_LEN: usize = 128;

    /// Parses a key; errors name the field `idempotency_key`.
    pub fn parse(raw: &str) -> Result<IdempotencyKey, Invalid> {
        let key = raw.trim();
        if key.is_empty()
            || key.len() > IdempotencyKey::MAX_LEN
            || !key.bytes().all(|byte| byte.is_ascii_graphic())
        {
            return Err(Invalid::new(
                "idempotency_key",
                "must be 1 to 128 printable characters",
            ));
        }
        Ok(IdempotencyKey(key.to_owned()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key, as the text a store keeps.
    pub fn into_string(self) -> String {
        self.0
    }
}
