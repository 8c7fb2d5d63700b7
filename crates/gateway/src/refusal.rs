//! A refusal at the edge that may say when to come back: a problem document, with the
//! `Retry-After` the service that refused gave in its status's `retry-after` metadata (a spent
//! budget, a throttled login).

use axum::response::{IntoResponse, Response};
use platform::error::Problem;

#[derive(Debug)]
pub(crate) struct Refusal(pub(crate) Problem, pub(crate) Option<String>);

impl From<Problem> for Refusal {
    fn from(problem: Problem) -> Refusal {
        Refusal(problem, None)
    }
}

impl From<tonic::Status> for Refusal {
    fn from(status: tonic::Status) -> Refusal {
        let retry_after = retry_after(&status);
        Refusal(Problem::from(status), retry_after)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        set_retry_after(&mut response, self.1);
        response
    }
}

/// The seconds a status's `retry-after` metadata asks the caller to wait, as sent.
pub(crate) fn retry_after(status: &tonic::Status) -> Option<String> {
    status
        .metadata()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// Sets `Retry-After` on `response` when `seconds` is a valid header value.
pub(crate) fn set_retry_after(response: &mut Response, seconds: Option<String>) {
    if let Some(value) = seconds.and_then(|seconds| seconds.parse().ok()) {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, value);
    }
}
