//! Client registration as OAuth 2.0 Dynamic Client Registration (RFC 7591) has it: the metadata
//! a client sends, checked into a registration, and the errors the standard names. Redirect URIs
//! are absolute and compared exactly; `http` is for loopback hosts only (RFC 8252 section 7.3),
//! other apps use `https` or a private-use scheme with a dot in it (section 7.1).

use serde::{Deserialize, Serialize};

use super::{ClientRegistration, GrantType, Scopes};

/// The scopes a registered client may ask for: a user's, nothing of the shop's own parts.
const REGISTRABLE_SCOPES: &[&str] = proto::scopes::SHOPPER;

/// The metadata of a registration request (RFC 7591 section 2). Fields the shop does not
/// understand are ignored, as section 3.1 says.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ClientMetadata {
    pub redirect_uris: Vec<String>,
    pub token_endpoint_auth_method: Option<String>,
    pub grant_types: Option<Vec<String>>,
    pub response_types: Option<Vec<String>>,
    pub client_name: Option<String>,
    pub scope: Option<String>,
}

/// How a registered client authenticates at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    /// A public client: PKCE instead of a secret.
    None,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::None => "none",
        }
    }
}

/// A registration request, checked: what to store, and what to answer with.
#[derive(Clone, Debug)]
pub struct CheckedMetadata {
    pub registration: ClientRegistration,
    pub auth_method: AuthMethod,
    pub client_name: String,
}

/// Why a registration was refused: `invalid_redirect_uri` or `invalid_client_metadata`
/// (RFC 7591 section 3.2.2).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{description}")]
pub struct RegistrationError {
    pub error: &'static str,
    pub description: String,
}

fn invalid_metadata(description: impl Into<String>) -> RegistrationError {
    RegistrationError {
        error: "invalid_client_metadata",
        description: description.into(),
    }
}

fn invalid_redirect_uri(description: impl Into<String>) -> RegistrationError {
    RegistrationError {
        error: "invalid_redirect_uri",
        description: description.into(),
    }
}

impl ClientMetadata {
    /// Checks the request for a client to be called `client_id`; the defaults are the
    /// standard's (`client_secret_basic`, `authorization_code`, `code`).
    pub fn check(self, client_id: String) -> Result<CheckedMetadata, RegistrationError> {
        let auth_method = match self.token_endpoint_auth_method.as_deref() {
            None | Some("client_secret_basic") => AuthMethod::ClientSecretBasic,
            Some("client_secret_post") => AuthMethod::ClientSecretPost,
            Some("none") => AuthMethod::None,
            Some(other) => {
                return Err(invalid_metadata(format!(
                    "token_endpoint_auth_method: `{other}` is not one of client_secret_basic, client_secret_post, none"
                )));
            }
        };
        let grant_types = grant_types(self.grant_types)?;
        check_response_types(self.response_types, &grant_types)?;
        for redirect_uri in &self.redirect_uris {
            check_redirect_uri(redirect_uri)?;
        }
        let scope = self.scope.unwrap_or_else(|| REGISTRABLE_SCOPES.join(" "));
        let scopes =
            Scopes::parse("scope", &scope).map_err(|error| invalid_metadata(error.to_string()))?;
        let allowed =
            Scopes::parse("scope", &REGISTRABLE_SCOPES.join(" ")).expect("the scopes parse");
        if let Some(scope) = scopes.not_in(&allowed).next() {
            return Err(invalid_metadata(format!(
                "scope: `{scope}` may not be registered; a client may ask for {}",
                REGISTRABLE_SCOPES.join(" ")
            )));
        }
        let client_name = self.client_name.unwrap_or_default();
        if client_name.chars().count() > 100 || client_name.chars().any(char::is_control) {
            return Err(invalid_metadata(
                "client_name: must be at most 100 characters, none of them control characters",
            ));
        }
        let registration = ClientRegistration {
            client_id,
            confidential: auth_method != AuthMethod::None,
            redirect_uris: self.redirect_uris,
            allowed_scopes: scopes.to_string(),
            grant_types,
        };
        // The rules every client follows (public clients and client_credentials, a redirect
        // URI for the code flow) are the registration's own.
        let secret_to_come = registration.confidential.then(String::new);
        super::Client::register(registration.clone(), secret_to_come).map_err(
            |error| match error.field {
                "redirect_uris" => invalid_redirect_uri(error.to_string()),
                _ => invalid_metadata(error.to_string()),
            },
        )?;
        Ok(CheckedMetadata {
            registration,
            auth_method,
            client_name,
        })
    }
}

fn grant_types(requested: Option<Vec<String>>) -> Result<Vec<GrantType>, RegistrationError> {
    let requested = requested.unwrap_or_else(|| vec!["authorization_code".to_owned()]);
    let mut grants = Vec::new();
    for name in &requested {
        let grant = GrantType::parse(name).ok_or_else(|| {
            invalid_metadata(format!(
                "grant_types: `{name}` is not one of authorization_code, refresh_token, client_credentials"
            ))
        })?;
        if !grants.contains(&grant) {
            grants.push(grant);
        }
    }
    Ok(grants)
}

fn check_response_types(
    requested: Option<Vec<String>>,
    grants: &[GrantType],
) -> Result<(), RegistrationError> {
    let code_flow = grants.contains(&GrantType::AuthorizationCode);
    let requested = requested.unwrap_or_else(|| match code_flow {
        true => vec!["code".to_owned()],
        false => vec![],
    });
    if let Some(other) = requested.iter().find(|kind| *kind != "code") {
        return Err(invalid_metadata(format!(
            "response_types: `{other}` is not supported; the only one is code"
        )));
    }
    // RFC 7591 section 2.1: `code` goes with `authorization_code`, and the other way round.
    if code_flow != requested.iter().any(|kind| kind == "code") {
        return Err(invalid_metadata(
            "response_types: `code` goes with the grant type authorization_code, and only with it",
        ));
    }
    Ok(())
}

/// An absolute URL without a fragment: `https`, `http` on a loopback host, or a private-use
/// scheme such as `com.example.app`.
pub fn check_redirect_uri(redirect_uri: &str) -> Result<(), RegistrationError> {
    let url = url::Url::parse(redirect_uri).map_err(|_| {
        invalid_redirect_uri(format!(
            "redirect_uris: `{redirect_uri}` is not an absolute URL"
        ))
    })?;
    if url.fragment().is_some() {
        return Err(invalid_redirect_uri(format!(
            "redirect_uris: `{redirect_uri}` must not have a fragment"
        )));
    }
    let loopback = matches!(url.host(), Some(url::Host::Domain("localhost")))
        || matches!(url.host(), Some(url::Host::Ipv4(address)) if address.is_loopback())
        || matches!(url.host(), Some(url::Host::Ipv6(address)) if address.is_loopback());
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err(invalid_redirect_uri(format!(
            "redirect_uris: `{redirect_uri}` uses http on a host that is not loopback; use https"
        ))),
        scheme if scheme.contains('.') => Ok(()),
        scheme => Err(invalid_redirect_uri(format!(
            "redirect_uris: the scheme `{scheme}` is neither https, http on loopback, nor a private-use scheme such as com.example.app"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(json: serde_json::Value) -> ClientMetadata {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_public_code_flow_client_gets_the_defaults_and_no_secret() {
        let checked = metadata(serde_json::json!({
            "redirect_uris": ["http://127.0.0.1:9000/callback"],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "client_name": "A shopping app",
            "logo_uri": "https://example.com/logo.png"
        }))
        .check("c1".to_owned())
        .unwrap();
        assert!(!checked.registration.confidential);
        assert_eq!(checked.auth_method, AuthMethod::None);
        assert_eq!(
            checked.registration.allowed_scopes,
            REGISTRABLE_SCOPES.join(" ")
        );
        assert_eq!(checked.client_name, "A shopping app");
    }

    #[test]
    fn redirect_uris_are_https_loopback_http_or_private_use() {
        for good in [
            "https://app.example/cb",
            "http://localhost:8000/cb",
            "http://[::1]:8000/cb",
            "com.example.app:/cb",
        ] {
            assert_eq!(check_redirect_uri(good), Ok(()), "{good}");
        }
        for bad in [
            "http://app.example/cb",
            "https://app.example/cb#here",
            "/relative",
            "javascript:alert(1)",
        ] {
            let error = check_redirect_uri(bad).unwrap_err();
            assert_eq!(error.error, "invalid_redirect_uri", "{bad}");
        }
    }

    #[test]
    fn metadata_the_shop_cannot_honour_is_refused_naming_the_field() {
        let cases = [
            (
                serde_json::json!({"redirect_uris": ["https://a.example/cb"], "scope": "openid catalog.admin"}),
                "scope",
            ),
            (
                serde_json::json!({"redirect_uris": ["https://a.example/cb"], "response_types": ["token"]}),
                "response_types",
            ),
            (
                serde_json::json!({"grant_types": ["client_credentials"], "response_types": ["code"]}),
                "response_types",
            ),
            (
                serde_json::json!({"redirect_uris": ["https://a.example/cb"], "grant_types": ["password"]}),
                "grant_types",
            ),
            (
                serde_json::json!({"redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "private_key_jwt"}),
                "token_endpoint_auth_method",
            ),
            (
                serde_json::json!({"token_endpoint_auth_method": "none", "grant_types": ["client_credentials"]}),
                "grant_types",
            ),
        ];
        for (json, field) in cases {
            let error = metadata(json.clone()).check("c".to_owned()).unwrap_err();
            assert_eq!(error.error, "invalid_client_metadata", "{json}");
            assert!(
                error.description.starts_with(field),
                "{json}: {}",
                error.description
            );
        }
        let error = metadata(serde_json::json!({"redirect_uris": []}))
            .check("c".to_owned())
            .unwrap_err();
        assert_eq!(
            error.error, "invalid_redirect_uri",
            "the code flow needs a redirect URI"
        );
    }
}
