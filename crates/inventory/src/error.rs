//! Inventory's errors and their one mapping to gRPC.

use crate::domain::Invalid;
use platform::db;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("stock is short for {sku}: {available} available, {wanted} wanted")]
    Short {
        sku: String,
        available: i64,
        wanted: i64,
    },
    #[error("no stock record for sku {0}")]
    UnknownSku(String),
    #[error("no reservation {0}")]
    UnknownReservation(String),
    #[error("reservation {id} is {state}; it cannot become {target}")]
    WrongState {
        id: String,
        state: &'static str,
        target: &'static str,
    },
    #[error("reservation_id: {0} was used for other lines")]
    ReusedId(String),
    #[error("on_hand: {sku} has {reserved} held, so it cannot go below that")]
    BelowReserved { sku: String, reserved: i64 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<db::Error> for Error {
    fn from(error: db::Error) -> Error {
        Error::Unexpected(anyhow::Error::new(error).context("query the inventory database"))
    }
}

impl From<Error> for tonic::Status {
    fn from(error: Error) -> tonic::Status {
        match error {
            Error::Invalid(_) | Error::ReusedId(_) => {
                tonic::Status::invalid_argument(error.to_string())
            }
            Error::Short { .. } | Error::WrongState { .. } | Error::BelowReserved { .. } => {
                tonic::Status::failed_precondition(error.to_string())
            }
            Error::UnknownSku(_) | Error::UnknownReservation(_) => {
                tonic::Status::not_found(error.to_string())
            }
            Error::Unexpected(error) => {
                tracing::error!(error = format!("{error:#}"), "inventory call failed");
                tonic::Status::internal("inventory failed to handle the call")
            }
        }
    }
}
