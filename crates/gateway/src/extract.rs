//! Extractors that turn every malformed request into a problem+json that names what is wrong.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use platform::error::{Problem, Violation};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::validate::{FieldProblem, Schema};

/// A JSON body that keeps `T`'s published schema; a bad one (not JSON, not keeping the schema,
/// too large, another media type) is a problem that lists everything wrong with it.
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    S: Send + Sync,
    T: DeserializeOwned + ToSchema + 'static,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Json<T>, Problem> {
        let axum::Json(mut value) = axum::Json::<Value>::from_request(request, state)
            .await
            .map_err(body_problem)?;
        let schema = Schema::of::<T>();
        let problems = schema.check(&value);
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
        schema.coerce_integers(&mut value);
        serde_json::from_value(value).map(Json).map_err(|error| {
            Problem::bad_request(format!("the body does not fit: {error}"))
                .with_kind("invalid-body")
        })
    }
}

fn body_problem(rejection: JsonRejection) -> Problem {
    Problem::new(rejection.status(), rejection.body_text()).with_kind("invalid-body")
}

/// 400 naming every field at fault, in `detail` for people and in `errors` for programs.
fn invalid(problems: Vec<FieldProblem>) -> Problem {
    let detail = problems
        .iter()
        .map(|problem| format!("{}: {}", field_name(&problem.pointer), problem.detail))
        .collect::<Vec<_>>()
        .join("; ");
    let errors = problems
        .into_iter()
        .map(|problem| Violation {
            pointer: problem.pointer,
            detail: problem.detail,
        })
        .collect();
    Problem::bad_request(detail)
        .with_kind("validation")
        .with_errors(errors)
}

/// `/address/city` as people write it: `address.city`; the whole body is `body`.
fn field_name(pointer: &str) -> String {
    let name = pointer
        .trim_start_matches('/')
        .split('/')
        .map(|part| part.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join(".");
    if name.is_empty() {
        "body".to_owned()
    } else {
        name
    }
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

/// Query parameters, checked against the schemas the OpenAPI document publishes for them;
/// every parameter at fault is named in one problem.
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    S: Send + Sync,
    T: DeserializeOwned + IntoParams + 'static,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Query<T>, Problem> {
        let schema = Schema::of_query::<T>();
        let pairs = url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes());
        let mut values = serde_json::Map::new();
        for (name, text) in pairs {
            let value = match schema.property_type(&name) {
                Some("integer" | "number" | "boolean") => {
                    serde_json::from_str(&text).unwrap_or(Value::String(text.into_owned()))
                }
                // A repeated parameter (OpenAPI's form style, exploded): each one an item.
                Some("array") => {
                    let items = values
                        .entry(name.into_owned())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(items) = items {
                        items.push(Value::String(text.into_owned()));
                    }
                    continue;
                }
                _ => Value::String(text.into_owned()),
            };
            values.insert(name.into_owned(), value);
        }
        let mut values = Value::Object(values);
        let problems = schema.check(&values);
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
        schema.coerce_integers(&mut values);
        serde_json::from_value(values).map(Query).map_err(|error| {
            Problem::bad_request(format!("the query does not fit: {error}")).with_kind("validation")
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

/// A product's sku in the path: 3 to 32 letters, digits and dashes, not starting with a dash.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct Sku {
    /// e.g. KIT-00042
    #[param(pattern = r"^[A-Za-z0-9][A-Za-z0-9-]{2,31}$")]
    pub sku: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Sku {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Sku, Problem> {
        let Path(found) = Path::<Sku>::from_request_parts(parts, state).await?;
        let well_formed = (3..=32).contains(&found.sku.len())
            && !found.sku.starts_with('-')
            && found
                .sku
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-');
        if !well_formed {
            return Err(Problem::bad_request(
                "sku: must be 3 to 32 letters, digits and dashes, not starting with a dash",
            )
            .with_kind("validation"));
        }
        Ok(found)
    }
}
