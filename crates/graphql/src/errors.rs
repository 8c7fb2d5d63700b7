//! Errors as GraphQL answers them: a message for a person and `extensions` that mirror the REST
//! problem documents: `code` is the problem type's last segment (`not-found`, `validation`,
//! `unauthenticated`, ...), `status` the HTTP status REST would answer, `type` the problem URI;
//! and `classification`, whose fault it is in the words GraphQL tools read (Apollo's and
//! graphql-java's): `BAD_REQUEST` for the caller's (a 4xx), `INTERNAL_SERVER_ERROR` for ours.

use async_graphql::ErrorExtensions as _;
use platform::error::Problem;

/// An error with its problem type.
#[derive(Clone, Debug)]
pub(crate) struct GraphqlError {
    code: String,
    status: u16,
    message: String,
}

impl GraphqlError {
    pub(crate) fn new(code: &str, status: u16, message: impl Into<String>) -> GraphqlError {
        GraphqlError {
            code: code.to_owned(),
            status,
            message: message.into(),
        }
    }
}

/// A downstream call's status, as REST would answer it.
pub(crate) fn from_status(status: tonic::Status) -> GraphqlError {
    if status.code() == tonic::Code::FailedPrecondition
        && status.message().starts_with("idempotency_key")
    {
        return GraphqlError::new("idempotency-key-reused", 422, status.message());
    }
    let problem = Problem::from(status);
    let code = problem
        .kind
        .rsplit('/')
        .next()
        .filter(|code| *code != "about:blank")
        .unwrap_or("error")
        .to_owned();
    GraphqlError {
        code,
        status: problem.status,
        message: problem
            .detail
            .unwrap_or_else(|| "the request failed".to_owned()),
    }
}

impl From<tonic::Status> for GraphqlError {
    fn from(status: tonic::Status) -> GraphqlError {
        from_status(status)
    }
}

impl From<GraphqlError> for async_graphql::Error {
    fn from(error: GraphqlError) -> async_graphql::Error {
        async_graphql::Error::new(error.message).extend_with(|_, extensions| {
            extensions.set("code", error.code.as_str());
            extensions.set("status", error.status);
            extensions.set("classification", classification(error.status));
            extensions.set(
                "type",
                format!("https://emporium.dev/problems/{}", error.code),
            );
        })
    }
}

/// Whose fault an error with the HTTP `status` is: the caller's (`BAD_REQUEST`) or ours.
pub(crate) fn classification(status: u16) -> &'static str {
    match status {
        400..=499 => "BAD_REQUEST",
        _ => "INTERNAL_SERVER_ERROR",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_become_the_codes_of_the_rest_problems() {
        let error = from_status(tonic::Status::not_found("no product with sku X-1"));
        assert_eq!((error.code.as_str(), error.status), ("not-found", 404));
        let error = from_status(tonic::Status::invalid_argument(
            "quantity: must be at least 1",
        ));
        assert_eq!((error.code.as_str(), error.status), ("validation", 400));
        assert_eq!(error.message, "quantity: must be at least 1");
        let error = from_status(tonic::Status::failed_precondition(
            "idempotency_key: used for another checkout",
        ));
        assert_eq!(error.code, "idempotency-key-reused");
        let error = from_status(tonic::Status::internal("db at 10.0.0.3 down"));
        assert_eq!(error.status, 500);
        assert!(!error.message.contains("10.0.0.3"));
        assert_eq!(classification(500), "INTERNAL_SERVER_ERROR");
        assert_eq!(classification(401), "BAD_REQUEST");
    }
}
