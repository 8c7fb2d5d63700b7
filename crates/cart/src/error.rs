//! The cart's errors and their one mapping to gRPC.

use crate::domain::Invalid;
use platform::db;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("sku: no product {0}")]
    UnknownSku(String),
    #[error("quantity: a cart holds at most {0} of one product")]
    TooMany(u32),
    #[error("sku: a cart holds at most {0} different products")]
    TooManyLines(u32),
    #[error(transparent)]
    Catalog(tonic::Status),
    /// Where carts are kept cannot be reached now.
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<db::Error> for Error {
    fn from(error: db::Error) -> Error {
        Error::Unexpected(anyhow::Error::new(error).context("query the cart database"))
    }
}

impl From<Error> for tonic::Status {
    fn from(error: Error) -> tonic::Status {
        match error {
            Error::Invalid(_) => tonic::Status::invalid_argument(error.to_string()),
            // Well-formed, but more than this cart can take as it stands.
            Error::TooMany(_) | Error::TooManyLines(_) => {
                tonic::Status::failed_precondition(error.to_string())
            }
            Error::UnknownSku(_) => tonic::Status::not_found(error.to_string()),
            Error::Unavailable(message) => tonic::Status::unavailable(message),
            Error::Catalog(status) => match status.code() {
                tonic::Code::Unauthenticated | tonic::Code::PermissionDenied => status,
                _ => tonic::Status::unavailable(format!(
                    "the catalog cannot price the cart now: {}",
                    status.message()
                )),
            },
            Error::Unexpected(error) => {
                tracing::error!(error = format!("{error:#}"), "cart call failed");
                tonic::Status::internal("the cart failed to handle the call")
            }
        }
    }
}
