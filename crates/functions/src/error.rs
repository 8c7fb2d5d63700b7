//! The functions service's errors and their one mapping to gRPC.

use platform::db;

use crate::domain::Invalid;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("module: {0}")]
    Refused(#[from] sandbox::Refused),
    #[error("no function {0}")]
    UnknownFunction(String),
    #[error("no module {0}")]
    UnknownModule(String),
    #[error("no dead delivery {0}")]
    UnknownDelivery(String),
    #[error("no webhook endpoint {0}")]
    UnknownEndpoint(String),
    #[error("the functions' key-value store: {0}")]
    KeyValue(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<db::Error> for Error {
    fn from(error: db::Error) -> Error {
        Error::Unexpected(anyhow::Error::new(error).context("query the functions database"))
    }
}

impl From<Error> for tonic::Status {
    fn from(error: Error) -> tonic::Status {
        match error {
            Error::Invalid(_) | Error::Refused(_) => {
                tonic::Status::invalid_argument(error.to_string())
            }
            Error::UnknownFunction(_)
            | Error::UnknownModule(_)
            | Error::UnknownDelivery(_)
            | Error::UnknownEndpoint(_) => tonic::Status::not_found(error.to_string()),
            Error::KeyValue(_) => tonic::Status::unavailable(error.to_string()),
            Error::Unexpected(error) => {
                tracing::error!(error = format!("{error:#}"), "functions call failed");
                tonic::Status::internal("functions failed to handle the call")
            }
        }
    }
}
