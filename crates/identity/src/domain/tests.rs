//! Unit tests of the identity rules.

use super::*;

#[test]
fn emails_are_trimmed_and_lower_cased() {
    let email = Email::parse("  Ada.Lovelace@Example.COM ").unwrap();
    assert_eq!(email.as_str(), "ada.lovelace@example.com");
}

#[test]
fn malformed_emails_are_refused_naming_the_field() {
    for raw in [
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "ada@@example.com",
        "ada lovelace@example.com",
        "ada@exa mple.com",
        ".ada@example.com",
        "ada@-example.com",
        "ada@example..com",
    ] {
        let error = Email::parse(raw).unwrap_err();
        assert_eq!(error.to_string(), "email: not a valid address", "{raw}");
    }
    assert_eq!(
        Email::parse("   ").unwrap_err().to_string(),
        "email: must not be empty"
    );
}

#[test]
fn passwords_need_at_least_eight_characters() {
    assert_eq!(
        Password::parse("short").unwrap_err().to_string(),
        "password: must be at least 8 characters"
    );
    // Characters, not bytes: eight accented letters are enough.
    assert!(Password::parse("éééééééé").is_ok());
    assert!(Password::parse(&"x".repeat(1025)).is_err());
}

#[test]
fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
    let policy = PasswordPolicy::new(256).unwrap();
    let password = Password::parse("correct horse battery").unwrap();
    let hash = policy.hash(&password, &[7u8; 16]).unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=256,t=2,p=1$"), "{hash}");
    assert!(policy.verify("correct horse battery", &hash));
    assert!(!policy.verify("wrong horse battery", &hash));
    assert!(!policy.verify("correct horse battery", "not a hash"));
}

#[test]
fn scopes_are_deduplicated_and_checked_against_the_allowed_ones() {
    let allowed = Scopes::parse("scope", "openid profile cart").unwrap();
    let asked = Scopes::parse("scope", "cart  openid cart").unwrap();
    assert_eq!(asked.to_string(), "cart openid");
    assert_eq!(grant_scopes("scope", "", &allowed), Ok(allowed.clone()));
    assert_eq!(
        grant_scopes("scope", "openid admin", &allowed),
        Err(ScopeRefusal::NotAllowed("admin".to_owned()))
    );
    assert!(Scopes::parse("scope", "bad\"scope").is_err());
}

#[test]
fn pkce_s256_matches_the_rfc_7636_example() {
    // RFC 7636 appendix B.
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    assert_eq!(pkce_s256_challenge(verifier), challenge);
    assert!(pkce_s256_matches(verifier, challenge));
    assert!(!pkce_s256_matches(
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK",
        challenge
    ));
    assert!(!pkce_s256_matches("short", &pkce_s256_challenge("short")));
    assert!(is_valid_pkce_challenge(challenge));
    assert!(!is_valid_pkce_challenge("plain-text"));
}

#[test]
fn client_registrations_are_checked() {
    let registration = ClientRegistration {
        client_id: "storefront".to_owned(),
        confidential: false,
        redirect_uris: vec!["http://127.0.0.1:8080/callback".to_owned()],
        allowed_scopes: "openid cart".to_owned(),
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
    };
    let client = Client::register(registration.clone(), None).unwrap();
    assert!(!client.is_confidential());
    assert!(client.has_redirect_uri("http://127.0.0.1:8080/callback"));
    assert!(!client.has_redirect_uri("http://127.0.0.1:8080/callback/"));
    assert!(!client.secret_matches(""));

    let public_with_client_credentials = ClientRegistration {
        grant_types: vec![GrantType::ClientCredentials],
        ..registration.clone()
    };
    assert_eq!(
        Client::register(public_with_client_credentials, None)
            .unwrap_err()
            .field,
        "grant_types"
    );
    let relative_redirect = ClientRegistration {
        redirect_uris: vec!["/callback".to_owned()],
        ..registration
    };
    assert_eq!(
        Client::register(relative_redirect, None).unwrap_err().field,
        "redirect_uris"
    );
}

#[test]
fn a_confidential_client_matches_only_its_secret() {
    let registration = ClientRegistration {
        client_id: "orders".to_owned(),
        confidential: true,
        redirect_uris: Vec::new(),
        allowed_scopes: "catalog.read".to_owned(),
        grant_types: vec![GrantType::ClientCredentials],
    };
    let client = Client::register(registration, Some(sha256_hex("s3cret"))).unwrap();
    assert!(client.secret_matches("s3cret"));
    assert!(!client.secret_matches("s3cret "));
}
