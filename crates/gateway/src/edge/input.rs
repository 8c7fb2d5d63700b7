//! What a function is given: the trigger, the time, and the request (its method, path, query,
//! client address and headers, never `authorization`), with the answer for `after` and the
//! body for `/fn/<name>`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderMap;
use platform::error::Problem;
use serde_json::{Map, Value, json};

/// The largest body a `/fn/<name>` request may carry.
const MAX_BODY: usize = 256 * 1024;

/// The headers a function sees, by lowercase name; several values of one name are joined
/// with ", " (cookies with "; ").
fn headers(headers: &HeaderMap) -> Value {
    let mut seen = Map::new();
    for (name, value) in headers {
        if name == axum::http::header::AUTHORIZATION {
            continue;
        }
        let Ok(value) = value.to_str() else { continue };
        let joiner = if name == axum::http::header::COOKIE {
            "; "
        } else {
            ", "
        };
        match seen.get_mut(name.as_str()) {
            Some(Value::String(before)) => {
                before.push_str(joiner);
                before.push_str(value);
            }
            _ => {
                seen.insert(name.as_str().to_owned(), Value::String(value.to_owned()));
            }
        }
    }
    Value::Object(seen)
}

fn request_json(
    request_parts: (&axum::http::Method, &axum::http::Uri, &HeaderMap),
    client: Option<SocketAddr>,
) -> Value {
    let (method, uri, request_headers) = request_parts;
    json!({
        "method": method.as_str(),
        "path": uri.path(),
        "query": uri.query().unwrap_or_default(),
        "client_ip": client.map(|address| address.ip().to_string()).unwrap_or_default(),
        "headers": headers(request_headers),
    })
}

/// The request as a function sees it.
pub(super) fn describe(request: &Request) -> Value {
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    request_json((request.method(), request.uri(), request.headers()), client)
}

/// A `before` function's input.
pub(super) fn before(request: Value) -> Vec<u8> {
    json!({"trigger": "edge", "phase": "before", "now": platform::unix_now(), "request": request})
        .to_string()
        .into_bytes()
}

/// An `after` function's input: the request and the route's JSON answer.
pub(super) fn after(request: &Value, response_headers: &HeaderMap, body: &[u8]) -> Vec<u8> {
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    json!({
        "trigger": "edge",
        "phase": "after",
        "now": platform::unix_now(),
        "request": request,
        "response": {"status": 200, "headers": headers(response_headers), "body": body},
    })
    .to_string()
    .into_bytes()
}

/// A `/fn/<name>` function's input: the request with its body as text.
pub(super) async fn http(request: Request) -> Result<Vec<u8>, Problem> {
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    let (parts, body) = request.into_parts();
    let described = request_json((&parts.method, &parts.uri, &parts.headers), client);
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        Problem::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            format!("a function's request body is at most {MAX_BODY} bytes"),
        )
    })?;
    let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
        Problem::bad_request("a function's request body must be UTF-8 text")
            .with_kind("invalid-body")
    })?;
    let mut input = json!({"trigger": "http", "now": platform::unix_now(), "request": described});
    input["request"]["body"] = Value::String(text);
    Ok(input.to_string().into_bytes())
}
