//! The recommendations service's errors and their one mapping to gRPC.

use platform::db;

use crate::domain::Invalid;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// "For you" needs a user; a service's token has no purchases.
    #[error("recommendations for you need a user's token; this token is a service's")]
    NotAUser,
    /// The catalog refused or failed a read made with the caller's token: its answer, as it is.
    #[error("the catalog answered {}: {}", .0.code(), .0.message())]
    Catalog(tonic::Status),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<db::Error> for Error {
    fn from(error: db::Error) -> Error {
        Error::Unexpected(anyhow::Error::new(error).context("query the recommendations database"))
    }
}

impl From<Error> for tonic::Status {
    fn from(error: Error) -> tonic::Status {
        match error {
            Error::Invalid(_) => tonic::Status::invalid_argument(error.to_string()),
            Error::NotAUser => tonic::Status::permission_denied(error.to_string()),
            Error::Catalog(status) => status,
            Error::Unexpected(error) => {
                tracing::error!(error = format!("{error:#}"), "recommendations call failed");
                tonic::Status::internal("recommendations failed to handle the call")
            }
        }
    }
}
