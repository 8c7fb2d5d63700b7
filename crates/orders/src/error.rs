//! The orders service's errors and their one mapping to gRPC.

use crate::domain::Invalid;
use platform::db;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("idempotency_key: {0} was used for another checkout")]
    KeyReused(String),
    #[error("cart: is empty")]
    EmptyCart,
    #[error("cart: {0}")]
    Unavailable(String),
    #[error("no order {0}")]
    UnknownOrder(String),
    #[error(transparent)]
    Downstream(tonic::Status),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<db::Error> for Error {
    fn from(error: db::Error) -> Error {
        Error::Unexpected(anyhow::Error::new(error).context("query the orders database"))
    }
}

impl From<Error> for tonic::Status {
    fn from(error: Error) -> tonic::Status {
        match error {
            Error::Invalid(_) => tonic::Status::invalid_argument(error.to_string()),
            Error::KeyReused(_) | Error::EmptyCart | Error::Unavailable(_) => {
                tonic::Status::failed_precondition(error.to_string())
            }
            Error::UnknownOrder(_) => tonic::Status::not_found(error.to_string()),
            Error::Downstream(status) => status,
            Error::Unexpected(error) => {
                tracing::error!(error = format!("{error:#}"), "orders call failed");
                tonic::Status::internal("orders failed to handle the call")
            }
        }
    }
}
