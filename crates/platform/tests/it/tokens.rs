//! The negative token suite: every kind of bad access token the verifier (the one every service
//! and the gateway use) must refuse, each signed with the trusted key where that is possible, so
//! that it is refused for what it says and not merely for its signature: `alg` none, key
//! confusion (HS256 keyed with the public key), an algorithm other than EdDSA, an unknown and a
//! retired key id, no key id, expiry, not yet valid, another audience, another issuer, another
//! `typ`, a missing claim (`exp` and `sub` are fields of the claims themselves, so a token
//! without one does not even parse), a tampered payload, and a valid token without the scope a
//! call needs.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use platform::auth::{AuthError, KeySource, Verifier, VerifierConfig};
use serde_json::{Value, json};
use test_support::TestIssuer;

fn claims(issuer: &TestIssuer) -> Value {
    serde_json::to_value(issuer.user_claims("user-1", "cart orders.read")).unwrap()
}

fn header(issuer: &TestIssuer) -> Header {
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = Some("at+jwt".to_owned());
    header.kid = Some(issuer.kid().to_owned());
    header
}

/// The reason `token` is refused; a panic when it is accepted.
async fn refused(verifier: &Verifier, token: &str) -> String {
    match verifier.verify(token).await {
        Err(AuthError::Invalid(reason)) => reason,
        other => panic!("accepted or refused otherwise: {other:?}"),
    }
}

/// `claims` changed by `change`, signed with the trusted key under the usual header.
fn with_claims(issuer: &TestIssuer, change: impl FnOnce(&mut Value)) -> String {
    let mut claims = claims(issuer);
    change(&mut claims);
    issuer.sign_with(&header(issuer), &claims)
}

#[tokio::test]
async fn tokens_that_say_the_wrong_thing_are_refused_for_it() {
    let issuer = TestIssuer::new();
    let verifier = issuer.verifier();
    let now = platform::unix_now();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "expired beyond the leeway",
            with_claims(&issuer, |c| c["exp"] = json!(now - 60)),
            "expired",
        ),
        (
            "not valid yet",
            with_claims(&issuer, |c| c["nbf"] = json!(now + 600)),
            "ImmatureSignature",
        ),
        (
            "another audience",
            with_claims(&issuer, |c| c["aud"] = json!("someone-else")),
            "another audience",
        ),
        (
            "another issuer",
            with_claims(&issuer, |c| c["iss"] = json!("https://evil.example")),
            "another issuer",
        ),
        (
            "no expiry",
            with_claims(&issuer, |c| {
                c.as_object_mut().unwrap().remove("exp");
            }),
            "missing field `exp`",
        ),
        (
            "no subject",
            with_claims(&issuer, |c| {
                c.as_object_mut().unwrap().remove("sub");
            }),
            "missing field `sub`",
        ),
    ];
    for (kind, token, reason) in cases {
        let said = refused(&verifier, &token).await;
        assert!(said.contains(reason), "{kind}: {said}");
    }
    // The same claims, unchanged, pass: each case fails for its change alone.
    let valid = issuer.sign_with(&header(&issuer), &claims(&issuer));
    assert!(verifier.verify(&valid).await.is_ok());
}

#[tokio::test]
async fn headers_that_are_not_an_access_tokens_are_refused() {
    let issuer = TestIssuer::new();
    let verifier = issuer.verifier();
    let claims = claims(&issuer);
    let mut id_token = header(&issuer);
    id_token.typ = Some("JWT".to_owned());
    let mut untyped = header(&issuer);
    untyped.typ = None;
    let mut no_kid = header(&issuer);
    no_kid.kid = None;
    let mut unknown_kid = header(&issuer);
    unknown_kid.kid = Some("not-a-key-of-ours".to_owned());
    let cases = [
        ("typ JWT (an ID token)", id_token, "not an access token"),
        ("no typ", untyped, "not an access token"),
        ("no kid", no_kid, "names no signing key"),
        ("an unknown kid", unknown_kid, "unknown signing key"),
    ];
    for (kind, header, reason) in cases {
        let token = issuer.sign_with(&header, &claims);
        let said = refused(&verifier, &token).await;
        assert!(said.contains(reason), "{kind}: {said}");
    }
    let mut typed = header(&issuer);
    typed.typ = Some("application/at+jwt".to_owned());
    let token = issuer.sign_with(&typed, &claims);
    assert!(
        verifier.verify(&token).await.is_ok(),
        "RFC 9068's long form"
    );
}

#[tokio::test]
async fn forged_signatures_and_algorithms_are_refused() {
    let issuer = TestIssuer::new();
    let verifier = issuer.verifier();
    let valid = issuer.user_token("user-1", "cart");
    let parts: Vec<&str> = valid.split('.').collect();
    let mut claims = claims(&issuer);
    claims["scope"] = json!("cart catalog.admin models.admin");
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt"}"#);
    let jwks = verifier_keys(&issuer);
    let mut hs256 = Header::new(Algorithm::HS256);
    hs256.typ = Some("at+jwt".to_owned());
    hs256.kid = Some(issuer.kid().to_owned());
    let confused =
        jsonwebtoken::encode(&hs256, &claims, &EncodingKey::from_secret(&jwks).unwrap()).unwrap();
    let rs256 = URL_SAFE_NO_PAD.encode(format!(
        r#"{{"alg":"RS256","typ":"at+jwt","kid":"{}"}}"#,
        issuer.kid()
    ));
    let cases = [
        (
            "alg none",
            format!("{none}.{payload}."),
            "unknown variant `none`",
        ),
        ("HS256 keyed with the public key", confused, "not accepted"),
        (
            "RS256",
            format!("{rs256}.{payload}.{}", parts[2]),
            "not accepted",
        ),
        (
            "a tampered payload",
            format!("{}.{payload}.{}", parts[0], parts[2]),
            "signature",
        ),
        (
            "no signature",
            format!("{}.{}.", parts[0], parts[1]),
            "signature",
        ),
        (
            "two parts",
            format!("{}.{}", parts[0], parts[1]),
            "malformed",
        ),
        (
            "another issuer's key",
            TestIssuer::new().user_token("user-1", "cart"),
            "unknown signing key",
        ),
        (
            "our kid, another key",
            TestIssuer::new().sign_with(&header(&issuer), &claims),
            "signature",
        ),
    ];
    for (kind, token, reason) in cases {
        let said = refused(&verifier, &token).await;
        assert!(said.contains(reason), "{kind}: {said}");
    }
    assert!(verifier.verify(&valid).await.is_ok(), "the untouched token");
}

/// The public key's bytes, as a key-confusion attacker would take them from the JWKS.
fn verifier_keys(issuer: &TestIssuer) -> Vec<u8> {
    let token = issuer.user_token("x", "");
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.kid.as_deref(), Some(issuer.kid()));
    let jwks = issuer.jwks();
    match &jwks.keys[0].algorithm {
        jsonwebtoken::jwk::AlgorithmParameters::OctetKeyPair(key) => {
            URL_SAFE_NO_PAD.decode(&key.x).unwrap()
        }
        other => panic!("an Ed25519 key, not {other:?}"),
    }
}

#[tokio::test]
async fn a_retired_key_is_refused_once_the_keys_are_read_again() {
    let old = TestIssuer::new();
    let new = TestIssuer::new();
    let published = std::sync::Arc::new(std::sync::Mutex::new(old.jwks()));
    let source = published.clone();
    let verifier = Verifier::new(
        VerifierConfig {
            issuer: test_support::ISSUER.to_owned(),
            audience: test_support::AUDIENCE.to_owned(),
            min_refetch_interval: std::time::Duration::ZERO,
        },
        KeySource::InProcess(std::sync::Arc::new(move || source.lock().unwrap().clone())),
    );
    let before = old.user_token("user-1", "cart");
    assert!(verifier.verify(&before).await.is_ok());
    // The provider rotates: the old key is no longer published.
    *published.lock().unwrap() = new.jwks();
    let fresh = new.user_token("user-1", "cart");
    assert!(
        verifier.verify(&fresh).await.is_ok(),
        "the new key, read on first sight"
    );
    let stale = old.user_token("user-2", "cart");
    let said = refused(&verifier, &stale).await;
    assert!(said.contains("unknown signing key"), "{said}");
}

#[tokio::test]
async fn a_valid_token_without_the_scope_is_forbidden_not_unauthenticated() {
    let issuer = TestIssuer::new();
    let principal = issuer
        .verifier()
        .verify(&issuer.user_token("user-1", "cart"))
        .await
        .unwrap();
    assert!(principal.require_scope("cart").is_ok());
    match principal.require_scope("catalog.admin") {
        Err(error @ AuthError::Forbidden(_)) => {
            let status = tonic::Status::from(error);
            assert_eq!(status.code(), tonic::Code::PermissionDenied);
        }
        other => panic!("{other:?}"),
    }
}
