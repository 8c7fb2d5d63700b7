//! Extractors that turn every malformed request into a problem+json that names what is wrong.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use platform::error::Problem;
use serde::de::DeserializeOwned;

/// A JSON body; a bad one (not JSON, wrong shape, too large, not UTF-8) is a problem.
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Json<T>, Problem> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(body_problem(rejection)),
        }
    }
}

fn body_problem(rejection: JsonRejection) -> Problem {
    Problem::new(rejection.status(), rejection.body_text()).with_kind("invalid-body")
}

/// A path parameter; one that does not decode is a problem.
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Path<T>, Problem> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|rejection: PathRejection| {
                Problem::new(rejection.status(), rejection.body_text()).with_kind("validation")
            })
    }
}

/// Query parameters; ones that do not parse are a problem.
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Query<T>, Problem> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Query(value))
            .map_err(|rejection: QueryRejection| {
                Problem::new(rejection.status(), rejection.body_text()).with_kind("validation")
            })
    }
}

/// The caller's bearer token, if the request has one.
pub struct Bearer(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Bearer, Problem> {
        let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            return Ok(Bearer(None));
        };
        let token = header
            .to_str()
            .ok()
            .and_then(platform::auth::bearer_token)
            .ok_or_else(|| {
                Problem::unauthorized("the authorization header is not `Bearer <token>`")
                    .with_kind("unauthenticated")
            })?;
        Ok(Bearer(Some(token.to_owned())))
    }
}

impl Bearer {
    /// The token, or 401 when there is none.
    pub fn required(self) -> Result<String, Problem> {
        self.0.ok_or_else(|| {
            Problem::unauthorized("this route needs a bearer token").with_kind("unauthenticated")
        })
    }
}
