//! Tokens that `platform::auth::Verifier` must refuse, made by hand.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use platform::auth::{AccessClaims, AuthError};
use platform::db;

use crate::support::{TestApp, sqlite_database};

/// The provider's active signing key, read from its database as an attacker with a copy of it
/// could, to forge tokens that are wrong in exactly one way.
async fn signing_key(app: &TestApp) -> (String, Vec<u8>) {
    let database = platform::db::Database::connect(&app.database.url)
        .await
        .unwrap();
    let row =
        db::query("SELECT kid, pkcs8 FROM signing_keys WHERE retired_at IS NULL ORDER BY kid DESC")
            .fetch_one(database.pool())
            .await
            .unwrap();
    (row.try_get("kid").unwrap(), row.try_get("pkcs8").unwrap())
}

fn valid_claims(app: &TestApp) -> AccessClaims {
    let now = platform::unix_now();
    AccessClaims {
        iss: app.issuer.clone(),
        nbf: None,
        sub: "user-1".to_owned(),
        aud: "emporium".to_owned(),
        exp: now + 600,
        iat: now,
        jti: "jti-1".to_owned(),
        client_id: "storefront".to_owned(),
        scope: "cart".to_owned(),
    }
}

async fn sign(app: &TestApp, typ: &str, claims: &impl serde::Serialize) -> String {
    let (kid, pkcs8) = signing_key(app).await;
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = Some(typ.to_owned());
    header.kid = Some(kid);
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&pkcs8)).unwrap()
}

async fn assert_refused(app: &TestApp, token: &str, why: &str) {
    // A fresh verifier each time, so that no token is answered from another's cache.
    match app.verifier().verify(token).await {
        Err(AuthError::Invalid(message)) => println!("refused {why}: {message}"),
        other => panic!("{why}: expected AuthError::Invalid, got {other:?}"),
    }
}

#[tokio::test]
async fn a_hand_made_token_with_the_right_key_and_claims_is_accepted() {
    let app = TestApp::spawn(sqlite_database()).await;
    let token = sign(&app, "at+jwt", &valid_claims(&app)).await;
    let principal = app.verifier().verify(&token).await.unwrap();
    assert_eq!(principal.subject(), "user-1");
}

#[tokio::test]
async fn an_audience_list_that_names_the_shop_is_accepted_and_one_that_does_not_is_refused() {
    let app = TestApp::spawn(sqlite_database()).await;
    let mut claims = serde_json::to_value(valid_claims(&app)).unwrap();
    claims["aud"] = serde_json::json!(["https://other.example", "emporium"]);
    let token = sign(&app, "at+jwt", &claims).await;
    let principal = app.verifier().verify(&token).await.unwrap();
    assert_eq!(principal.subject(), "user-1");
    claims["aud"] = serde_json::json!(["https://other.example", "someone-else"]);
    let token = sign(&app, "at+jwt", &claims).await;
    assert_refused(&app, &token, "a list without the shop's audience").await;
}

#[tokio::test]
async fn a_token_not_valid_before_a_time_to_come_is_refused_until_then() {
    let app = TestApp::spawn(sqlite_database()).await;
    let now = platform::unix_now();
    let early = AccessClaims {
        nbf: Some(now + 600),
        ..valid_claims(&app)
    };
    assert_refused(
        &app,
        &sign(&app, "at+jwt", &early).await,
        "nbf in the future",
    )
    .await;
    let due = AccessClaims {
        nbf: Some(now - 1),
        ..valid_claims(&app)
    };
    let token = sign(&app, "at+jwt", &due).await;
    assert!(app.verifier().verify(&token).await.is_ok(), "nbf passed");
}

#[tokio::test]
async fn the_verifier_refuses_expired_tokens() {
    let app = TestApp::spawn(sqlite_database()).await;
    let now = platform::unix_now();
    let claims = AccessClaims {
        exp: now - 3600,
        iat: now - 4500,
        ..valid_claims(&app)
    };
    assert_refused(&app, &sign(&app, "at+jwt", &claims).await, "expired").await;
}

#[tokio::test]
async fn the_verifier_refuses_tokens_for_another_audience_or_from_another_issuer() {
    let app = TestApp::spawn(sqlite_database()).await;
    let claims = AccessClaims {
        aud: "someone-else".to_owned(),
        ..valid_claims(&app)
    };
    assert_refused(&app, &sign(&app, "at+jwt", &claims).await, "wrong audience").await;
    let claims = AccessClaims {
        iss: "https://evil.example".to_owned(),
        nbf: None,
        ..valid_claims(&app)
    };
    assert_refused(&app, &sign(&app, "at+jwt", &claims).await, "wrong issuer").await;
}

#[tokio::test]
async fn the_verifier_refuses_unsigned_tokens() {
    let app = TestApp::spawn(sqlite_database()).await;
    let (kid, _) = signing_key(&app).await;
    let header = serde_json::json!({"alg": "none", "typ": "at+jwt", "kid": kid});
    let token = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(serde_json::to_string(&valid_claims(&app)).unwrap())
    );
    assert_refused(&app, &token, "alg none").await;
}

#[tokio::test]
async fn the_verifier_refuses_hs256_signed_with_the_public_key() {
    let app = TestApp::spawn(sqlite_database()).await;
    let (kid, _) = signing_key(&app).await;
    let jwks = app.identity.jwks();
    let jwk = jwks.find(&kid).unwrap();
    // The classic confusion attack: the public key, known to all, used as an HMAC secret.
    let jsonwebtoken::jwk::AlgorithmParameters::OctetKeyPair(parameters) = &jwk.algorithm else {
        panic!("an Ed25519 key is an octet key pair");
    };
    let public_key = URL_SAFE_NO_PAD.decode(&parameters.x).unwrap();
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some("at+jwt".to_owned());
    header.kid = Some(kid);
    let token = jsonwebtoken::encode(
        &header,
        &valid_claims(&app),
        &EncodingKey::from_secret(&public_key).unwrap(),
    )
    .unwrap();
    assert_refused(&app, &token, "HS256 with the public key").await;
}

#[tokio::test]
async fn the_verifier_refuses_a_tampered_payload() {
    let app = TestApp::spawn(sqlite_database()).await;
    let token = sign(&app, "at+jwt", &valid_claims(&app)).await;
    let mut parts: Vec<&str> = token.split('.').collect();
    let widened = AccessClaims {
        scope: "cart catalog.admin".to_owned(),
        ..valid_claims(&app)
    };
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_string(&widened).unwrap());
    parts[1] = &payload;
    assert_refused(&app, &parts.join("."), "tampered payload").await;
}

#[tokio::test]
async fn the_verifier_refuses_an_id_token_used_as_an_access_token() {
    let app = TestApp::spawn(sqlite_database()).await;
    // A real ID token, issued by the code flow to the storefront.
    let tokens = app.user_tokens().await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    assert_refused(&app, id_token, "an ID token").await;
    // And one made by hand with access-token claims but the ID token's typ.
    let token = sign(&app, "JWT", &valid_claims(&app)).await;
    assert_refused(&app, &token, "typ JWT").await;
}
