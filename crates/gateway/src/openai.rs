//! The OpenAI-compatible API under `/v1`: embeddings, chat completions (`chat`) and the list of
//! models, answered by the
//! inference service with the caller's bearer token (as OpenAI's API takes an API key). Bodies
//! and errors are OpenAI's own (`{"error": {"message", "type", "param", "code"}}`), so that an
//! OpenAI client library works unchanged; OpenAI's API reference documents these routes, not the
//! shop's OpenAPI document. Every answer names the model's version that made it.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use platform::transport::request;
use proto::inference as pb;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::state::Gateway;

mod chat;

pub(crate) fn routes() -> Router<Gateway> {
    Router::new()
        .route("/v1/embeddings", post(create_embeddings))
        .route("/v1/chat/completions", post(chat::create))
        .route("/v1/models", get(list_models))
        .route("/v1/models/{model}", get(get_model))
}

/// An error as OpenAI's API answers it.
#[derive(Debug)]
pub(crate) struct OpenAiError {
    status: StatusCode,
    message: String,
    kind: &'static str,
    param: Option<&'static str>,
    code: Option<&'static str>,
    /// Seconds to wait before asking again, for a 429.
    retry_after: Option<String>,
}

impl OpenAiError {
    pub(crate) fn invalid(param: &'static str, message: impl Into<String>) -> OpenAiError {
        OpenAiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            kind: "invalid_request_error",
            param: Some(param),
            code: None,
            retry_after: None,
        }
    }
}

impl IntoResponse for OpenAiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {
            "message": self.message,
            "type": self.kind,
            "param": self.param,
            "code": self.code,
        }});
        let mut response = (self.status, axum::Json(body)).into_response();
        crate::refusal::set_retry_after(&mut response, self.retry_after);
        response
    }
}

impl From<tonic::Status> for OpenAiError {
    fn from(status: tonic::Status) -> OpenAiError {
        use tonic::Code;
        let (status_code, kind, code) = match status.code() {
            Code::InvalidArgument | Code::FailedPrecondition => {
                (StatusCode::BAD_REQUEST, "invalid_request_error", None)
            }
            Code::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "invalid_request_error",
                Some("invalid_api_key"),
            ),
            Code::PermissionDenied => (StatusCode::FORBIDDEN, "permission_error", None),
            Code::NotFound => (
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                Some("model_not_found"),
            ),
            Code::ResourceExhausted => (StatusCode::TOO_MANY_REQUESTS, "rate_limit_error", None),
            Code::DeadlineExceeded => (StatusCode::GATEWAY_TIMEOUT, "timeout", None),
            Code::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "service_unavailable", None),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "server_error", None),
        };
        let message = match status_code {
            StatusCode::INTERNAL_SERVER_ERROR => {
                "the inference service failed to answer".to_owned()
            }
            _ => status.message().to_owned(),
        };
        // The service names the field at fault first (`inputs: text 1 is empty`).
        let param = match message.split_once(':').map(|(field, _)| field) {
            _ if code == Some("model_not_found") => Some("model"),
            Some("inputs") => Some("input"),
            Some("model") => Some("model"),
            Some("messages") => Some("messages"),
            Some("tools") => Some("tools"),
            Some("temperature") => Some("temperature"),
            Some("response_schema") => Some("response_format"),
            _ => None,
        };
        let retry_after = crate::refusal::retry_after(&status);
        OpenAiError {
            status: status_code,
            message,
            kind,
            param,
            code,
            retry_after,
        }
    }
}

/// The caller's token: OpenAI's API key.
pub(crate) fn api_key(headers: &HeaderMap) -> Result<String, OpenAiError> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    match header.and_then(platform::auth::bearer_token) {
        Some(token) => Ok(token.to_owned()),
        None => Err(OpenAiError {
            status: StatusCode::UNAUTHORIZED,
            message: "You didn't provide an API key: send a shop access token as `Authorization: Bearer <token>`.".to_owned(),
            kind: "invalid_request_error",
            param: None,
            code: Some("invalid_api_key"),
            retry_after: None,
        }),
    }
}

#[derive(Debug, Deserialize)]
struct EmbeddingsRequest {
    model: String,
    input: Value,
    #[serde(default)]
    encoding_format: Option<String>,
    #[serde(default)]
    dimensions: Option<usize>,
    /// Accepted, as OpenAI does, and not used.
    #[serde(default)]
    #[allow(dead_code)]
    user: Option<String>,
}

/// The texts of `input`: a string or an array of strings (token arrays are OpenAI's too, but
/// token ids of another tokenizer mean nothing to these models).
fn texts(input: Value) -> Result<Vec<String>, OpenAiError> {
    let refused = || {
        OpenAiError::invalid(
            "input",
            "`input` must be a string or an array of strings (token arrays are not accepted)",
        )
    };
    match input {
        Value::String(text) => Ok(vec![text]),
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::String(text) => Ok(text),
                _ => Err(refused()),
            })
            .collect(),
        _ => Err(refused()),
    }
}

/// `POST /v1/embeddings`, as OpenAI's.
async fn create_embeddings(
    State(gateway): State<Gateway>,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Result<Response, OpenAiError> {
    let token = api_key(&headers)?;
    let asked: EmbeddingsRequest = serde_json::from_slice(&body).map_err(|error| {
        OpenAiError::invalid(
            "body",
            format!("the body is not an embeddings request: {error}"),
        )
    })?;
    let base64 = match asked.encoding_format.as_deref() {
        None | Some("float") => false,
        Some("base64") => true,
        Some(other) => {
            return Err(OpenAiError::invalid(
                "encoding_format",
                format!("`{other}`: `float` or `base64`"),
            ));
        }
    };
    let inputs = texts(asked.input)?;
    let message = pb::EmbedRequest {
        model: asked.model,
        inputs,
    };
    let answer = gateway
        .inference
        .clone()
        .embed(request(message, &token))
        .await?
        .into_inner();
    let mut data = Vec::with_capacity(answer.embeddings.len());
    for (index, embedding) in answer.embeddings.into_iter().enumerate() {
        let values = shortened(embedding.values, asked.dimensions)?;
        let embedding = match base64 {
            true => Value::String(encode(&values)),
            false => json!(values),
        };
        data.push(json!({"object": "embedding", "index": index, "embedding": embedding}));
    }
    let body = json!({
        "object": "list",
        "data": data,
        "model": answer.model,
        "model_version": answer.version,
        "usage": {"prompt_tokens": answer.prompt_tokens, "total_tokens": answer.prompt_tokens},
    });
    Ok((
        [("x-emporium-model-version", answer.version.to_string())],
        axum::Json(body),
    )
        .into_response())
}

/// `values` cut to `dimensions` and made unit again, as OpenAI's `dimensions` shortens a
/// vector (the bundled model's dimensions come in the order of their variance).
fn shortened(mut values: Vec<f32>, dimensions: Option<usize>) -> Result<Vec<f32>, OpenAiError> {
    let Some(dimensions) = dimensions else {
        return Ok(values);
    };
    if dimensions == 0 || dimensions > values.len() {
        return Err(OpenAiError::invalid(
            "dimensions",
            format!("{dimensions}: 1 to {} for this model", values.len()),
        ));
    }
    values.truncate(dimensions);
    let length = values.iter().map(|value| value * value).sum::<f32>().sqrt();
    if length > 0.0 {
        values.iter_mut().for_each(|value| *value /= length);
    }
    Ok(values)
}

/// Little-endian 32-bit floats in standard base64, as OpenAI's `encoding_format: base64`.
fn encode(values: &[f32]) -> String {
    let bytes: Vec<u8> = values
        .iter()
        .flat_map(|value| value.to_le_bytes())
        .collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn models(gateway: &Gateway, token: &str) -> Result<Vec<pb::Model>, OpenAiError> {
    let list = gateway
        .inference
        .clone()
        .list_models(request(pb::ListModelsRequest {}, token))
        .await?;
    Ok(list.into_inner().models)
}

/// A model as OpenAI lists one, with the version in production.
fn listed(model: &pb::Model) -> Value {
    let production = model
        .versions
        .iter()
        .find(|version| version.stage == "production");
    let created = model
        .versions
        .iter()
        .map(|version| version.created_at_unix_ms)
        .min()
        .unwrap_or(0)
        / 1000;
    json!({
        "id": model.name,
        "object": "model",
        "created": created,
        "owned_by": "emporium",
        "kind": model.kind,
        "production_version": production.map(|version| version.number),
    })
}

/// `GET /v1/models`.
async fn list_models(
    State(gateway): State<Gateway>,
    headers: HeaderMap,
) -> Result<Response, OpenAiError> {
    let token = api_key(&headers)?;
    let data: Vec<Value> = models(&gateway, &token).await?.iter().map(listed).collect();
    Ok(axum::Json(json!({"object": "list", "data": data})).into_response())
}

/// `GET /v1/models/{model}`.
async fn get_model(
    State(gateway): State<Gateway>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, OpenAiError> {
    let token = api_key(&headers)?;
    let found = models(&gateway, &token)
        .await?
        .into_iter()
        .find(|model| model.name == name);
    match found {
        Some(model) => Ok(axum::Json(listed(&model)).into_response()),
        None => Err(OpenAiError {
            status: StatusCode::NOT_FOUND,
            message: format!("The model `{name}` does not exist"),
            kind: "invalid_request_error",
            param: Some("model"),
            code: Some("model_not_found"),
            retry_after: None,
        }),
    }
}
