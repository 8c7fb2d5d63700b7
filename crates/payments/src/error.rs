//! The payment processor's errors and their one mapping to gRPC.

use crate::domain::Invalid;
use platform::db;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("idempotency_key: {0} was used for another request")]
    KeyReused(String),
    #[error("no payment {0}")]
    UnknownPayment(String),
    #[error("card_token: no card is kept under {0} (unknown, used, or erased after a day)")]
    UnknownCard(String),
    #[error("payment {id} is {state}; it cannot be {operation}d")]
    WrongState {
        id: String,
        state: &'static str,
        operation: &'static str,
    },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<db::Error> for Error {
    fn from(error: db::Error) -> Error {
        Error::Unexpected(anyhow::Error::new(error).context("query the payments database"))
    }
}

impl From<Error> for tonic::Status {
    fn from(error: Error) -> tonic::Status {
        match error {
            Error::Invalid(_) => tonic::Status::invalid_argument(error.to_string()),
            Error::KeyReused(_) | Error::WrongState { .. } | Error::UnknownCard(_) => {
                tonic::Status::failed_precondition(error.to_string())
            }
            Error::UnknownPayment(_) => tonic::Status::not_found(error.to_string()),
            Error::Unexpected(error) => {
                tracing::error!(error = format!("{error:#}"), "payments call failed");
                tonic::Status::internal("payments failed to handle the call")
            }
        }
    }
}
