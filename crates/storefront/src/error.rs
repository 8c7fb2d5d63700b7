//! What a page shows when it cannot show itself: an HTML page with the status and a sentence for
//! a person, or a trip to the sign-in when the page needs a shopper.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use platform::error::Problem;

/// Why a page failed.
#[derive(Debug)]
pub(crate) struct PageError {
    status: StatusCode,
    message: String,
    /// Sign in first, then come back here.
    sign_in: Option<String>,
}

impl PageError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> PageError {
        PageError {
            status,
            message: message.into(),
            sign_in: None,
        }
    }

    pub(crate) fn not_found(message: impl Into<String>) -> PageError {
        PageError::new(StatusCode::NOT_FOUND, message)
    }

    pub(crate) fn internal(message: &str) -> PageError {
        tracing::error!(message, "a page failed");
        PageError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side. Please try again in a moment.",
        )
    }

    /// Sends the visitor to sign in, and back to `return_to` afterwards.
    pub(crate) fn sign_in(return_to: &str) -> PageError {
        PageError {
            status: StatusCode::SEE_OTHER,
            message: String::new(),
            sign_in: Some(return_to.to_owned()),
        }
    }

    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    pub(crate) fn message(&self) -> &str {
        &self.message
    }
}

/// A page error shared by a cache's waiters, as one of its own.
pub(crate) fn unshare(error: std::sync::Arc<PageError>) -> PageError {
    std::sync::Arc::try_unwrap(error).unwrap_or_else(|shared| PageError {
        status: shared.status,
        message: shared.message.clone(),
        sign_in: shared.sign_in.clone(),
    })
}

impl From<tonic::Status> for PageError {
    fn from(status: tonic::Status) -> PageError {
        if status.code() == tonic::Code::Unauthenticated {
            return PageError::sign_in("/");
        }
        let problem = Problem::from(status);
        PageError::new(
            problem.status_code(),
            problem
                .detail
                .unwrap_or_else(|| "Something went wrong.".to_owned()),
        )
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let Some(return_to) = self.sign_in {
            return crate::layout::see_other(&crate::oidc::sign_in_path(&return_to));
        }
        let title = self.status.canonical_reason().unwrap_or("Error");
        let mut response =
            (self.status, crate::layout::bare_page(title, &self.message)).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}
