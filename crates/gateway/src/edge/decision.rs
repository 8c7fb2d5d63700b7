//! What a function answers, read and checked: an edge function's decision, or a `/fn/<name>`
//! function's response. Anything else is refused with a sentence saying what is wrong.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

/// Headers a function may not set: the connection's, the body's length, the caller's authority.
const FORBIDDEN: &[&str] = &[
    "authorization",
    "connection",
    "content-length",
    "host",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
    "set-cookie",
];

/// A decision read from a function's output.
pub(super) trait Decision: Sized {
    fn read(output: &[u8]) -> Result<Self, String>;
}

/// What `before` functions add on the way through.
#[derive(Debug, Default)]
pub(crate) struct Added {
    request_headers: HeaderMap,
    response_headers: HeaderMap,
    set_cookies: Vec<HeaderValue>,
}

impl Added {
    pub(super) fn apply_to_request<B>(&self, request: &mut Request<B>) {
        for (name, value) in &self.request_headers {
            request.headers_mut().insert(name, value.clone());
        }
    }

    pub(super) fn merge(&mut self, other: Added) {
        self.request_headers.extend(other.request_headers);
        self.response_headers.extend(other.response_headers);
        self.set_cookies.extend(other.set_cookies);
    }

    pub(super) fn apply(self, mut response: Response) -> Response {
        response.headers_mut().extend(self.response_headers);
        for cookie in self.set_cookies {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        response
    }
}

/// A `before` function's decision.
#[derive(Debug)]
pub(super) enum Before {
    Continue(Added),
    Respond(Response),
}

#[derive(Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
enum BeforeText {
    Continue {
        #[serde(default)]
        request_headers: serde_json::Map<String, Value>,
        #[serde(default)]
        response_headers: serde_json::Map<String, Value>,
        #[serde(default)]
        set_cookies: Vec<String>,
    },
    Respond {
        status: u16,
        #[serde(default)]
        headers: serde_json::Map<String, Value>,
        #[serde(default)]
        body: Value,
    },
    Redirect {
        #[serde(default = "found")]
        status: u16,
        location: String,
    },
}

fn found() -> u16 {
    302
}

impl Decision for Before {
    fn read(output: &[u8]) -> Result<Before, String> {
        let text: BeforeText =
            serde_json::from_slice(output).map_err(|error| format!("not a decision: {error}"))?;
        match text {
            BeforeText::Continue {
                request_headers,
                response_headers,
                set_cookies,
            } => {
                let set_cookies = set_cookies
                    .iter()
                    .map(|cookie| {
                        HeaderValue::from_str(cookie)
                            .map_err(|_| format!("the cookie `{cookie}` is not a header value"))
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Before::Continue(Added {
                    request_headers: header_map(&request_headers)?,
                    response_headers: header_map(&response_headers)?,
                    set_cookies,
                }))
            }
            BeforeText::Respond {
                status,
                headers,
                body,
            } => Ok(Before::Respond(response(status, &headers, body)?)),
            BeforeText::Redirect { status, location } => {
                Ok(Before::Respond(redirect(status, &location)?))
            }
        }
    }
}

/// An `after` function's decision.
#[derive(Debug)]
pub(super) enum After {
    Continue,
    Replace { body: Vec<u8>, headers: HeaderMap },
}

#[derive(Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
enum AfterText {
    Continue {},
    Replace {
        body: Value,
        #[serde(default)]
        response_headers: serde_json::Map<String, Value>,
    },
}

impl Decision for After {
    fn read(output: &[u8]) -> Result<After, String> {
        let text: AfterText =
            serde_json::from_slice(output).map_err(|error| format!("not a decision: {error}"))?;
        Ok(match text {
            AfterText::Continue {} => After::Continue,
            AfterText::Replace {
                body,
                response_headers,
            } => After::Replace {
                body: serde_json::to_vec(&body).map_err(|error| error.to_string())?,
                headers: header_map(&response_headers)?,
            },
        })
    }
}

/// A `/fn/<name>` function's answer: `{"status", "headers", "body"}`; a string body is sent as
/// it is, any other JSON as JSON.
pub(super) fn http_response(output: &[u8]) -> Result<Response, String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Answer {
        #[serde(default = "ok")]
        status: u16,
        #[serde(default)]
        headers: serde_json::Map<String, Value>,
        #[serde(default)]
        body: Value,
    }
    fn ok() -> u16 {
        200
    }
    let answer: Answer =
        serde_json::from_slice(output).map_err(|error| format!("not a response: {error}"))?;
    response(answer.status, &answer.headers, answer.body)
}

fn response(
    status: u16,
    headers: &serde_json::Map<String, Value>,
    body: Value,
) -> Result<Response, String> {
    let status = StatusCode::from_u16(status)
        .ok()
        .filter(|status| (200..=599).contains(&status.as_u16()))
        .ok_or_else(|| format!("status {status} is not 200 to 599"))?;
    let (bytes, content_type) = match body {
        Value::Null => (Vec::new(), None),
        Value::String(text) => (text.into_bytes(), Some("text/plain; charset=utf-8")),
        other => (
            serde_json::to_vec(&other).map_err(|error| error.to_string())?,
            Some("application/json"),
        ),
    };
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    if let Some(content_type) = content_type {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response.headers_mut().extend(header_map(headers)?);
    Ok(response)
}

fn redirect(status: u16, location: &str) -> Result<Response, String> {
    if ![301, 302, 303, 307, 308].contains(&status) {
        return Err(format!(
            "a redirect's status is 301, 302, 303, 307 or 308, not {status}"
        ));
    }
    let relative = location.starts_with('/') && !location.starts_with("//");
    if !relative && !location.starts_with("https://") && !location.starts_with("http://") {
        return Err(format!(
            "the location `{location}` is neither a path nor an http(s) URL"
        ));
    }
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::from_u16(status).map_err(|error| error.to_string())?;
    let location = HeaderValue::from_str(location)
        .map_err(|_| format!("the location `{location}` is not a header value"))?;
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

/// `{"name": "value"}` as headers, refusing names a function may not set.
fn header_map(headers: &serde_json::Map<String, Value>) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let Value::String(value) = value else {
            return Err(format!("the header `{name}` is not a string"));
        };
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("`{name}` is not a header name"))?;
        if FORBIDDEN.contains(&name.as_str()) {
            return Err(format!("a function may not set the header `{name}`"));
        }
        let value = HeaderValue::from_str(value)
            .map_err(|_| format!("the header `{name}` has a value that is not one"))?;
        map.insert(name, value);
    }
    Ok(map)
}
