//! Unit tests of the signing keys.

use jsonwebtoken::{DecodingKey, Validation};
use ring::signature::{Ed25519KeyPair, KeyPair as _};

use super::*;

#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq)]
struct Claims {
    sub: String,
    exp: i64,
}

fn claims() -> Claims {
    Claims {
        sub: "someone".to_owned(),
        exp: platform::unix_now() + 60,
    }
}

#[test]
fn ed25519_dalek_signs_with_rings_pkcs8_v2_document() {
    let key = generate(0).unwrap();
    assert_eq!(key.pkcs8.len(), 83, "ring generates PKCS#8 v2");
    // jsonwebtoken signs through ed25519-dalek, given ring's document as it is.
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::EdDSA),
        &claims(),
        &EncodingKey::from_ed_der(&key.pkcs8),
    )
    .unwrap();
    let public_key = Ed25519KeyPair::from_pkcs8(&key.pkcs8)
        .unwrap()
        .public_key()
        .as_ref()
        .to_vec();
    let decoded = jsonwebtoken::decode::<Claims>(
        &token,
        &DecodingKey::from_ed_der(&public_key),
        &Validation::new(Algorithm::EdDSA),
    )
    .unwrap();
    assert_eq!(decoded.claims, claims());
}

#[test]
fn the_v1_document_holds_the_same_key_as_rings_v2_document() {
    let key = generate(0).unwrap();
    let v1 = pkcs8_v1(&key.pkcs8).unwrap();
    assert_eq!(v1.len(), 48);
    let from_v2 = Ed25519KeyPair::from_pkcs8(&key.pkcs8).unwrap();
    let from_v1 = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&v1).unwrap();
    assert_eq!(from_v1.public_key().as_ref(), from_v2.public_key().as_ref());
    assert!(pkcs8_v1(&[0u8; 83]).is_err());
}

#[test]
fn the_jwks_publishes_the_active_key_and_retired_keys_for_a_grace_period() {
    let old = StoredKey {
        retired_at: Some(1_000),
        ..generate(0).unwrap()
    };
    let new = generate(1_000).unwrap();
    let ring = KeyRing::new(vec![new.clone(), old.clone()], 900).unwrap();
    assert_eq!(ring.active_kid(), new.kid);
    let kids = |now| -> Vec<String> {
        ring.jwks(now)
            .keys
            .into_iter()
            .filter_map(|jwk| jwk.common.key_id)
            .collect()
    };
    assert_eq!(kids(1_899), vec![old.kid.clone(), new.kid.clone()]);
    assert_eq!(kids(1_900), vec![new.kid.clone()]);
    let jwk = &ring.jwks(1_900).keys[0];
    assert_eq!(jwk.common.public_key_use, Some(PublicKeyUse::Signature));
    assert_eq!(
        jwk.common.key_algorithm,
        Some(jsonwebtoken::jwk::KeyAlgorithm::EdDSA)
    );
}

#[test]
fn tokens_verify_with_the_published_jwk() {
    let ring = KeyRing::new(vec![generate(0).unwrap()], 900).unwrap();
    let token = ring.sign("at+jwt", &claims()).unwrap();
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(header.kid, Some(ring.active_kid()));
    let jwks = ring.jwks(0);
    let key = DecodingKey::from_jwk(&jwks.keys[0]).unwrap();
    let decoded =
        jsonwebtoken::decode::<Claims>(&token, &key, &Validation::new(Algorithm::EdDSA)).unwrap();
    assert_eq!(decoded.claims.sub, "someone");
}
