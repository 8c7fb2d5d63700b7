//! The inference service's errors and their one mapping to gRPC.

use crate::domain::Invalid;
use platform::db;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("model: there is no model `{0}`")]
    UnknownModel(String),
    #[error("model: no version of `{0}` is in production")]
    NoProduction(String),
    /// The artefact loaded is not the one the registry names.
    #[error(
        "{model} v{version}: the artefact {artefact} has sha256 {loaded}, the registry names {registered}"
    )]
    ArtefactChanged {
        model: String,
        version: u32,
        artefact: String,
        loaded: String,
        registered: String,
    },
    #[error("conversation: there is no conversation `{0}` of yours")]
    ConversationNotFound(String),
    #[error("conversation: `{0}` holds as many messages as it may; start a new one")]
    ConversationFull(String),
    /// A tool call was answered already (a confirmation given twice).
    #[error("answers_call: the call `{0}` was answered already")]
    CallAnswered(String),
    /// A budget or rate limit of the LLM gateway is used up.
    #[error("budget: {0}")]
    Budget(#[from] crate::llm::Exhausted),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<db::Error> for Error {
    fn from(error: db::Error) -> Error {
        Error::Unexpected(anyhow::Error::new(error).context("query the inference database"))
    }
}

impl From<Error> for tonic::Status {
    fn from(error: Error) -> tonic::Status {
        match error {
            Error::Invalid(_) => tonic::Status::invalid_argument(error.to_string()),
            Error::UnknownModel(_) => tonic::Status::not_found(error.to_string()),
            Error::NoProduction(_) => tonic::Status::failed_precondition(error.to_string()),
            Error::ArtefactChanged { .. } => {
                tracing::error!(error = %error, "a model's artefact is not the one registered");
                tonic::Status::failed_precondition(error.to_string())
            }
            Error::ConversationNotFound(_) => tonic::Status::not_found(error.to_string()),
            Error::ConversationFull(_) => tonic::Status::failed_precondition(error.to_string()),
            Error::CallAnswered(_) => tonic::Status::already_exists(error.to_string()),
            Error::Budget(exhausted) => {
                let seconds = exhausted.retry_after.as_secs().max(1);
                let mut status = tonic::Status::resource_exhausted(format!("budget: {exhausted}"));
                if let Ok(value) = seconds.to_string().parse() {
                    status.metadata_mut().insert("retry-after", value);
                }
                status
            }
            Error::Unexpected(error) => {
                tracing::error!(error = format!("{error:#}"), "inference call failed");
                tonic::Status::internal("inference failed to handle the call")
            }
        }
    }
}
