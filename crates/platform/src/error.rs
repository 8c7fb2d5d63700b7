//! The two error wires: gRPC `Status` between services, RFC 9457 problem+json at the HTTP edge.
//!
//! Services map their own errors to `Status` in one place (`From<Error> for Status`); the gateway
//! turns a `Status` from a downstream call into a `Problem` here, so every edge speaks alike.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tonic::Code;

/// The media type of a problem document.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// A URI naming the kind of problem; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What went wrong with this request, for a person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request this problem belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Each thing wrong with the request's body, when there are such (RFC 9457, section 3.2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Violation>,
}

/// One thing wrong with a request: where, as a JSON pointer into its body, and what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub pointer: String,
    pub detail: String,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Problem {
        Problem {
            kind: "about:blank".to_owned(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: Some(detail.into()),
            instance: None,
            errors: Vec::new(),
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNAUTHORIZED, detail)
    }

    pub fn internal() -> Problem {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server failed to handle the request",
        )
    }

    /// Names the kind of problem with a URI of Emporium's, e.g. `validation`.
    pub fn with_kind(mut self, kind: &str) -> Problem {
        self.kind = format!("https://emporium.dev/problems/{kind}");
        self
    }

    /// Lists each thing wrong with the request's body.
    pub fn with_errors(mut self, errors: Vec<Violation>) -> Problem {
        self.errors = errors;
        self
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let unauthorized = status == StatusCode::UNAUTHORIZED;
        let mut response = (status, Json(self)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if unauthorized {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"emporium\""),
            );
        }
        response
    }
}

/// The HTTP status for a gRPC code, as the gRPC-HTTP mapping and Google's API guide have it.
pub fn http_status_for(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::InvalidArgument | Code::OutOfRange => StatusCode::BAD_REQUEST,
        Code::FailedPrecondition => StatusCode::CONFLICT,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<tonic::Status> for Problem {
    fn from(status: tonic::Status) -> Problem {
        let http_status = http_status_for(status.code());
        if http_status.is_server_error() && status.code() != Code::Unavailable {
            // Internal messages may carry details that are not the caller's business.
            tracing::error!(code = ?status.code(), message = status.message(), "downstream call failed");
            return Problem::internal();
        }
        let kind = match status.code() {
            Code::InvalidArgument | Code::OutOfRange => "validation",
            Code::NotFound => "not-found",
            Code::AlreadyExists => "already-exists",
            Code::FailedPrecondition => "failed-precondition",
            Code::Unauthenticated => "unauthenticated",
            Code::PermissionDenied => "forbidden",
            Code::Unavailable => "unavailable",
            Code::ResourceExhausted => "too-many-requests",
            Code::DeadlineExceeded => "timeout",
            _ => "error",
        };
        Problem::new(http_status, status.message()).with_kind(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_becomes_a_problem_with_the_matching_http_status() {
        let problem = Problem::from(tonic::Status::not_found("no product with sku ABC-1"));
        assert_eq!(problem.status, 404);
        assert_eq!(problem.detail.as_deref(), Some("no product with sku ABC-1"));
        assert!(problem.kind.ends_with("/not-found"));
        let problem = Problem::from(tonic::Status::permission_denied(
            "needs scope catalog.admin",
        ));
        assert_eq!(problem.status, 403);
    }

    #[test]
    fn internal_details_do_not_leak_into_problems() {
        let problem = Problem::from(tonic::Status::internal("connection to 10.0.0.3 refused"));
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.unwrap().contains("10.0.0.3"));
    }
}
