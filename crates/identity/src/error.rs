//! The identity provider's errors and how each wire shows them: gRPC `Status`, RFC 9457
//! problem+json, and RFC 6749's `{"error": ...}` body at the token and revocation endpoints.

use std::fmt;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use platform::error::Problem;

use crate::domain::FieldError;
use crate::domain::registration::RegistrationError;

/// What can go wrong, in the cases a caller branches on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field of the request was refused; the message names it.
    #[error(transparent)]
    InvalidField(#[from] FieldError),
    #[error("a user with this email already exists")]
    EmailTaken,
    /// The same for an unknown email and a wrong password, so that neither can be told apart.
    #[error("the email or password is not right")]
    BadCredentials,
    /// Too many failed logins for this email: the next may come after the wait.
    #[error("too many failed logins for this email: try again in {retry_after_seconds} s")]
    TooManyAttempts { retry_after_seconds: u64 },
    /// A bearer token was missing or did not verify.
    #[error("invalid token: {0}")]
    InvalidToken(String),
    /// The token is valid but does not allow this.
    #[error("{0}")]
    InsufficientScope(String),
    /// A client registration was refused (RFC 7591 section 3.2.2).
    #[error(transparent)]
    Registration(#[from] RegistrationError),
    /// An OAuth 2.0 error (RFC 6749 section 5.2).
    #[error("{code}: {description}")]
    OAuth {
        code: OAuthCode,
        description: String,
    },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The `error` codes of RFC 6749 section 5.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OAuthCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
}

impl Error {
    /// Whether the user can put it right on the form (a field, a taken email, a wrong password),
    /// rather than the server having failed.
    pub(crate) fn is_the_users(&self) -> bool {
        matches!(
            self,
            Error::InvalidField(_)
                | Error::EmailTaken
                | Error::BadCredentials
                | Error::TooManyAttempts { .. }
        )
    }
}

impl OAuthCode {
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthCode::InvalidRequest => "invalid_request",
            OAuthCode::InvalidClient => "invalid_client",
            OAuthCode::InvalidGrant => "invalid_grant",
            OAuthCode::UnauthorizedClient => "unauthorized_client",
            OAuthCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthCode::InvalidScope => "invalid_scope",
        }
    }
}

impl fmt::Display for OAuthCode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl Error {
    pub(crate) fn oauth(code: OAuthCode, description: impl Into<String>) -> Error {
        Error::OAuth {
            code,
            description: description.into(),
        }
    }

    /// The same error as the token endpoint must report it (RFC 6749 section 5.2).
    pub(crate) fn into_oauth(self) -> Error {
        match self {
            Error::InvalidField(error) => {
                Error::oauth(OAuthCode::InvalidRequest, error.to_string())
            }
            Error::BadCredentials | Error::InvalidToken(_) => {
                Error::oauth(OAuthCode::InvalidGrant, self.to_string())
            }
            Error::InsufficientScope(description) => {
                Error::oauth(OAuthCode::InvalidScope, description)
            }
            other => other,
        }
    }
}

impl From<Error> for tonic::Status {
    fn from(error: Error) -> tonic::Status {
        let message = error.to_string();
        match error {
            Error::InvalidField(_) | Error::Registration(_) => {
                tonic::Status::invalid_argument(message)
            }
            Error::EmailTaken => tonic::Status::already_exists(message),
            Error::BadCredentials | Error::InvalidToken(_) => {
                tonic::Status::unauthenticated(message)
            }
            Error::InsufficientScope(_) => tonic::Status::permission_denied(message),
            Error::TooManyAttempts {
                retry_after_seconds,
            } => {
                let mut status = tonic::Status::resource_exhausted(message);
                status
                    .metadata_mut()
                    .insert("retry-after", retry_after_seconds.into());
                status
            }
            Error::OAuth { code, .. } => match code {
                OAuthCode::InvalidClient | OAuthCode::InvalidGrant => {
                    tonic::Status::unauthenticated(message)
                }
                OAuthCode::UnauthorizedClient => tonic::Status::permission_denied(message),
                OAuthCode::InvalidRequest
                | OAuthCode::UnsupportedGrantType
                | OAuthCode::InvalidScope => tonic::Status::invalid_argument(message),
            },
            Error::Unexpected(error) => {
                tracing::error!(error = format!("{error:#}"), "identity call failed");
                tonic::Status::internal("the server failed to handle the call")
            }
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Error::OAuth { code, description } => oauth_error_response(code, description),
            Error::Registration(error) => {
                error_body(StatusCode::BAD_REQUEST, error.error, error.description)
            }
            Error::InvalidField(error) => Problem::bad_request(error.to_string())
                .with_kind("validation")
                .into_response(),
            Error::EmailTaken => Problem::new(StatusCode::CONFLICT, self.to_string())
                .with_kind("already-exists")
                .into_response(),
            Error::BadCredentials => Problem::unauthorized(self.to_string())
                .with_kind("unauthenticated")
                .into_response(),
            Error::TooManyAttempts {
                retry_after_seconds,
            } => {
                let mut response = Problem::new(StatusCode::TOO_MANY_REQUESTS, self.to_string())
                    .with_kind("too-many-requests")
                    .into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, retry_after_seconds.into());
                response
            }
            Error::InvalidToken(_) => with_www_authenticate(
                Problem::unauthorized(self.to_string())
                    .with_kind("unauthenticated")
                    .into_response(),
                "Bearer realm=\"emporium\", error=\"invalid_token\"",
            ),
            Error::InsufficientScope(_) => with_www_authenticate(
                Problem::new(StatusCode::FORBIDDEN, self.to_string())
                    .with_kind("forbidden")
                    .into_response(),
                "Bearer realm=\"emporium\", error=\"insufficient_scope\"",
            ),
            Error::Unexpected(error) => {
                tracing::error!(error = format!("{error:#}"), "identity request failed");
                Problem::internal().into_response()
            }
        }
    }
}

#[derive(serde::Serialize)]
struct OAuthErrorBody {
    error: &'static str,
    error_description: String,
}

fn oauth_error_response(code: OAuthCode, description: String) -> Response {
    // A failed client authentication is 401; every other error is 400 (RFC 6749 section 5.2).
    let status = match code {
        OAuthCode::InvalidClient => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut response = error_body(status, code.as_str(), description);
    let headers = response.headers_mut();
    if code == OAuthCode::InvalidClient {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"emporium\""),
        );
    }
    response
}

/// `{"error": ..., "error_description": ...}`, never cached, as RFC 6749 and RFC 7591 answer.
fn error_body(status: StatusCode, error: &'static str, error_description: String) -> Response {
    let body = OAuthErrorBody {
        error,
        error_description,
    };
    let mut response = (status, Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn with_www_authenticate(mut response: Response, challenge: &'static str) -> Response {
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    response
}
