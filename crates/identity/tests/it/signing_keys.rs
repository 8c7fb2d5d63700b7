//! Signing keys: rotation without breaking live tokens, and persistence across restarts.

use identity::Identity;

use crate::support::{TestApp, config, databases, verifier_for};

#[tokio::test]
async fn tokens_keep_verifying_across_a_key_rotation() {
    for database in databases("key_rotation").await {
        let app = TestApp::spawn(database).await;
        let cached_verifier = app.verifier();
        let before = app
            .identity
            .mint_access_token("user-1", "storefront", "cart")
            .await
            .unwrap();
        cached_verifier.verify(&before).await.unwrap();
        let old_kid = jsonwebtoken::decode_header(&before).unwrap().kid.unwrap();

        let new_kid = app.identity.rotate_signing_key().await.unwrap();
        assert_ne!(new_kid, old_kid);
        let after = app
            .identity
            .mint_access_token("user-1", "storefront", "cart")
            .await
            .unwrap();
        assert_eq!(
            jsonwebtoken::decode_header(&after).unwrap().kid,
            Some(new_kid.clone())
        );

        // A verifier that cached the old JWKS fetches again for the unknown key.
        cached_verifier.verify(&after).await.unwrap();
        // A token signed before the rotation still verifies, from a fresh verifier too.
        app.verifier().verify(&before).await.unwrap();
        let kids: Vec<String> = app
            .identity
            .jwks()
            .keys
            .into_iter()
            .filter_map(|jwk| jwk.common.key_id)
            .collect();
        assert_eq!(kids, [old_kid, new_kid]);

        // The JWKS endpoint publishes the same keys.
        let published: jsonwebtoken::jwk::JwkSet = app
            .http
            .get(app.url("/oauth2/jwks"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(published.keys.len(), 2);
    }
}

#[tokio::test]
async fn a_restarted_provider_publishes_the_same_keys() {
    for database in databases("keys_persist").await {
        let issuer = "http://127.0.0.1:1";
        let first = Identity::build(config(&database.url, issuer))
            .await
            .unwrap();
        let token = first
            .mint_access_token("user-1", "storefront", "cart")
            .await
            .unwrap();
        let first_jwks = serde_json::to_value(first.jwks()).unwrap();
        drop(first);

        let second = Identity::build(config(&database.url, issuer))
            .await
            .unwrap();
        assert_eq!(serde_json::to_value(second.jwks()).unwrap(), first_jwks);
        verifier_for(&second, issuer).verify(&token).await.unwrap();
    }
}
