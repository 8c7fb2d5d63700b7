//! Shipping's errors and their one mapping to gRPC.

use crate::domain::Invalid;
use platform::db;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no shipment {0}")]
    UnknownShipment(String),
    #[error("shipment {id} is {state}; it can no longer be cancelled")]
    NotCancellable { id: String, state: &'static str },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<db::Error> for Error {
    fn from(error: db::Error) -> Error {
        Error::Unexpected(anyhow::Error::new(error).context("query the shipping database"))
    }
}

impl From<Error> for tonic::Status {
    fn from(error: Error) -> tonic::Status {
        match error {
            Error::Invalid(_) => tonic::Status::invalid_argument(error.to_string()),
            Error::UnknownShipment(_) => tonic::Status::not_found(error.to_string()),
            Error::NotCancellable { .. } => tonic::Status::failed_precondition(error.to_string()),
            Error::Unexpected(error) => {
                tracing::error!(error = format!("{error:#}"), "shipping call failed");
                tonic::Status::internal("shipping failed to handle the call")
            }
        }
    }
}
