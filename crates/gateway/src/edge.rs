//! Functions at the edge: before a route (answer, redirect, or pass on with headers and
//! cookies), after it (replace a JSON answer), and as routes of their own at `/fn/<name>`.
//!
//! A function sees the request as JSON (`edge/input.rs`) without the `authorization` header:
//! it gets what it was granted, not the caller's authority. An edge function that fails or
//! answers nonsense is passed over (logged and counted), so a broken function cannot take the
//! shop down; at `/fn/<name>` its fault is the answer (502, 503 or 504, naming it).

mod decision;
mod input;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use function_runner::{Deployed, Runner};
use platform::error::Problem;
use sandbox::Fault;

use crate::edge::decision::{Added, After, Before};

/// The largest answer an `after` function is shown; larger ones pass unchanged.
const MAX_AFTER_BODY: usize = 1024 * 1024;

/// Runs the `before` functions whose prefix the path starts with, in name order, then the
/// route, then the `after` functions.
pub(crate) async fn edge(State(runner): State<Runner>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let (before, after) = (runner.edge("before", path), runner.edge("after", path));
    if before.is_empty() && after.is_empty() {
        return next.run(request).await;
    }
    let (mut request, mut added) = (request, Added::default());
    for function in &before {
        let input = input::before(input::describe(&request));
        match decide::<Before>(&runner, function, &input, roll()).await {
            Some(Before::Respond(response)) => return added.apply(response),
            Some(Before::Continue(more)) => {
                more.apply_to_request(&mut request);
                added.merge(more);
            }
            None => {}
        }
    }
    let described = (!after.is_empty()).then(|| input::describe(&request));
    let mut response = next.run(request).await;
    for function in &after {
        response = run_after(&runner, function, described.as_ref(), response).await;
    }
    added.apply(response)
}

/// Gives an `after` function a JSON answer and applies what it decides.
async fn run_after(
    runner: &Runner,
    function: &Deployed,
    request: Option<&serde_json::Value>,
    response: Response,
) -> Response {
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if !is_json || response.status() != StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_AFTER_BODY).await else {
        return Problem::new(StatusCode::BAD_GATEWAY, "the answer could not be read")
            .into_response();
    };
    let input = input::after(
        request.unwrap_or(&serde_json::Value::Null),
        &parts.headers,
        &bytes,
    );
    match decide::<After>(runner, function, &input, roll()).await {
        Some(After::Replace { body, headers }) => {
            let mut response = Response::from_parts(parts, axum::body::Body::from(body));
            response
                .headers_mut()
                .remove(axum::http::header::CONTENT_LENGTH);
            response.headers_mut().extend(headers);
            response
        }
        _ => Response::from_parts(parts, axum::body::Body::from(bytes)),
    }
}

/// Invokes `function` and reads its answer as a `T`; `None` (logged) when it failed or
/// answered what is not one.
async fn decide<T: decision::Decision>(
    runner: &Runner,
    function: &Deployed,
    input: &[u8],
    roll: u32,
) -> Option<T> {
    let ran = runner.invoke(function, "edge", input, roll).await;
    let name = function.name();
    match ran.invocation.result {
        Ok(output) => match T::read(&output) {
            Ok(decision) => Some(decision),
            Err(problem) => {
                tracing::warn!(
                    function = name,
                    version = ran.version,
                    problem,
                    "an edge function answered what the gateway cannot use; passed over"
                );
                metrics::counter!("function_edge_passed_over_total", "function" => name.to_owned())
                    .increment(1);
                None
            }
        },
        Err(fault) => {
            tracing::warn!(function = name, version = ran.version, fault = %fault, "an edge function failed; passed over");
            metrics::counter!("function_edge_passed_over_total", "function" => name.to_owned())
                .increment(1);
            None
        }
    }
}

/// Which version serves a request: a roll in 0..100 drawn for each, so a split is kept in
/// proportion whatever the requests carry (a function that wants a shopper to stay on one
/// variant keeps a cookie, as `ab-test` does).
fn roll() -> u32 {
    rand::random_range(0..100)
}

/// `/fn/{name}`: the function answers the request itself.
pub(crate) async fn route(
    State(runner): State<Runner>,
    axum::extract::Path(name): axum::extract::Path<String>,
    request: Request,
) -> Response {
    let Some(function) = runner
        .function(&name)
        .filter(|function| function.serves_http())
    else {
        return Problem::new(
            StatusCode::NOT_FOUND,
            format!("no function {name} is served at /fn/{name}"),
        )
        .with_kind("not-found")
        .into_response();
    };
    let roll = roll();
    let input = match input::http(request).await {
        Ok(input) => input,
        Err(problem) => return problem.into_response(),
    };
    let ran = runner.invoke(&function, "http", &input, roll).await;
    match ran.invocation.result {
        Ok(output) => decision::http_response(&output).unwrap_or_else(|problem| {
            Problem::new(
                StatusCode::BAD_GATEWAY,
                format!("function {name} answered what is not a response: {problem}"),
            )
            .into_response()
        }),
        Err(fault) => fault_response(&name, &fault),
    }
}

/// A function's fault as the answer: 503 when it is busy, 504 when it ran out of time, 502 else.
fn fault_response(name: &str, fault: &Fault) -> Response {
    let status = match fault {
        Fault::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
        Fault::WallTime { .. } | Fault::CpuTime { .. } => StatusCode::GATEWAY_TIMEOUT,
        Fault::InputTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_GATEWAY,
    };
    Problem::new(status, format!("function {name}: {fault}"))
        .with_kind("function-failed")
        .into_response()
}
