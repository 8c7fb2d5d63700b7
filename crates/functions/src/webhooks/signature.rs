//! Standard Webhooks signatures: `v1,` and the base64 of HMAC-SHA256 over
//! `"{webhook-id}.{webhook-timestamp}.{body}"`, keyed with the secret's bytes (a secret is
//! `whsec_` and their base64).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::hmac;

/// What a signing secret starts with.
const PREFIX: &str = "whsec_";

/// A new secret: 32 random bytes.
pub(crate) fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{PREFIX}{}", STANDARD.encode(bytes))
}

/// The key of `secret`, or why it is not one.
pub(crate) fn key_of(secret: &str) -> Result<Vec<u8>, String> {
    let encoded = secret
        .strip_prefix(PREFIX)
        .ok_or_else(|| format!("a signing secret starts with {PREFIX}"))?;
    let key = STANDARD
        .decode(encoded)
        .map_err(|error| format!("a signing secret is base64 after {PREFIX}: {error}"))?;
    if !(24..=64).contains(&key.len()) {
        return Err(format!(
            "a signing secret holds 24 to 64 bytes, not {}",
            key.len()
        ));
    }
    Ok(key)
}

/// The `webhook-signature` header of `body` sent as message `id` at `timestamp` (Unix seconds).
pub(crate) fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut context = hmac::Context::with_key(&key);
    context.update(format!("{id}.{timestamp}.").as_bytes());
    context.update(body);
    format!("v1,{}", STANDARD.encode(context.sign().as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_matches_the_one_the_standard_webhooks_library_makes() {
        // Made by PyPI's standardwebhooks 1.3.0: Webhook(secret).sign("msg_1", 1674087231, body).
        let key = key_of("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"type":"emporium.orders.order_confirmed.v1","data":{"order_id":"o1"}}"#;
        assert_eq!(
            sign(&key, "msg_1", 1_674_087_231, body),
            "v1,V8dy5ujy8TlC0DlSHJH3UC/xkEg7OmT+B5fwEkHAtf0="
        );
    }

    #[test]
    fn new_secrets_are_secrets_and_differ() {
        let (one, two) = (new_secret(), new_secret());
        assert_ne!(one, two);
        assert_eq!(key_of(&one).unwrap().len(), 32);
        assert!(key_of("secret").unwrap_err().contains("whsec_"));
        assert!(key_of("whsec_AAAA").unwrap_err().contains("24 to 64"));
    }
}
