//! The catalog's errors and their one mapping to gRPC.

use crate::domain::{Invalid, Sku};
use platform::db;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no product with sku {}", .0.as_str())]
    NotFound(Sku),
    #[error("a product with sku {} exists already", .0.as_str())]
    AlreadyExists(Sku),
    /// A product names a category the catalog does not have.
    #[error("category: no category `{0}`")]
    UnknownCategory(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl Error {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
        Error::Invalid(Invalid {
            field,
            reason: reason.into(),
        })
    }
}

impl From<db::Error> for Error {
    fn from(error: db::Error) -> Error {
        Error::Unexpected(anyhow::Error::new(error).context("query the catalog database"))
    }
}

impl From<Error> for tonic::Status {
    fn from(error: Error) -> tonic::Status {
        match error {
            Error::Invalid(invalid) => tonic::Status::invalid_argument(invalid.to_string()),
            Error::NotFound(_) => tonic::Status::not_found(error.to_string()),
            Error::AlreadyExists(_) => tonic::Status::already_exists(error.to_string()),
            Error::UnknownCategory(_) => tonic::Status::failed_precondition(error.to_string()),
            Error::Unexpected(error) => {
                tracing::error!(error = format!("{error:#}"), "catalog call failed");
                tonic::Status::internal("the catalog failed to handle the call")
            }
        }
    }
}
