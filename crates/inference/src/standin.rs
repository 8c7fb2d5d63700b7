//! A stand-in for the LLM providers, which are outside the shop: one HTTP server that speaks
//! OpenAI's chat completions (`POST /v1/chat/completions`) and Anthropic's Messages API
//! (`POST /v1/messages`) as their documentation describes them, streamed or not, with their
//! headers, error bodies and tool calls. Its answers are made up but the same for the same
//! request: a user's message is answered in words, or with a call of the first tool offered
//! (each required string argument given the user's words); a tool's answer is summed up.
//!
//! A test scripts what goes wrong: the next requests may be answered with a status (a 429
//! with `Retry-After`, a 500), after a delay, or broken off in the middle of the stream. It
//! remembers what it was sent. `emporium llm-standin` runs one by hand.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

mod answer;
mod wire;

/// What the next request meets.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Answered with this status (and `Retry-After` seconds, when set) and the provider's
    /// error body.
    Status(u16, Option<u64>),
    /// Answered after this long.
    Slow(Duration),
    /// A stream that stops after its first event, without its end.
    BreakOff,
    /// Words that are not the JSON asked for.
    Garbled,
}

/// A request as the stand-in saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

#[derive(Debug, Default)]
struct Script {
    faults: Mutex<VecDeque<Fault>>,
    seen: Mutex<Vec<Seen>>,
    /// The key a request must carry; empty: any.
    key: String,
}

/// A running stand-in; it stops when dropped.
#[derive(Debug)]
pub struct StandIn {
    /// `http://127.0.0.1:<port>`: Anthropic's base URL; OpenAI's is this with `/v1`.
    pub url: String,
    script: Arc<Script>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl StandIn {
    /// Serves on `address` (port 0: any free one), asking for `key` when it is not empty.
    pub async fn start(address: std::net::SocketAddr, key: &str) -> anyhow::Result<StandIn> {
        let script = Arc::new(Script {
            key: key.to_owned(),
            ..Script::default()
        });
        let app = axum::Router::new()
            .route("/v1/chat/completions", axum::routing::post(openai))
            .route("/v1/messages", axum::routing::post(anthropic))
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind(address).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(error) = serving.await {
                tracing::warn!(error = %error, "the LLM stand-in stopped");
            }
        });
        Ok(StandIn {
            url,
            script,
            _stop: stop,
        })
    }

    /// What the next requests meet, in order; after them, answers.
    pub fn then(&self, faults: impl IntoIterator<Item = Fault>) {
        lock(&self.script.faults).extend(faults);
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        lock(&self.script.seen).clone()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Which API a request came in by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Api {
    OpenAi,
    Anthropic,
}

async fn openai(
    State(script): State<Arc<Script>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    respond(Api::OpenAi, &script, headers, body).await
}

async fn anthropic(
    State(script): State<Arc<Script>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    respond(Api::Anthropic, &script, headers, body).await
}

async fn respond(api: Api, script: &Script, headers: HeaderMap, body: Value) -> Response {
    let path = match api {
        Api::OpenAi => "/v1/chat/completions",
        Api::Anthropic => "/v1/messages",
    };
    lock(&script.seen).push(Seen {
        path: path.to_owned(),
        headers: headers.clone(),
        body: body.clone(),
    });
    if let Some(refused) = refuse(api, &script.key, &headers, &body) {
        return refused;
    }
    let fault = lock(&script.faults).pop_front();
    let garbled = fault == Some(Fault::Garbled);
    let broken = match fault {
        Some(Fault::Status(status, retry_after)) => {
            return wire::error(api, status, retry_after, "the stand-in was told to fail");
        }
        Some(Fault::Slow(delay)) => {
            tokio::time::sleep(delay).await;
            false
        }
        Some(Fault::BreakOff) => true,
        Some(Fault::Garbled) | None => false,
    };
    let mut answer = answer::of(api, &body);
    if garbled {
        answer.text = "Sure! Here is your JSON: {".to_owned();
    }
    let model = body["model"].as_str().unwrap_or("standin").to_owned();
    match (body["stream"].as_bool().unwrap_or(false), api) {
        (false, Api::OpenAi) => Json(wire::openai_whole(&model, &answer)).into_response(),
        (false, Api::Anthropic) => Json(wire::anthropic_whole(&model, &answer)).into_response(),
        (true, _) => {
            let usage = body["stream_options"]["include_usage"].as_bool() == Some(true);
            wire::stream(api, &model, &answer, usage, broken)
        }
    }
}

/// The provider's refusal of a request without its key or version, or without messages.
fn refuse(api: Api, key: &str, headers: &HeaderMap, body: &Value) -> Option<Response> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let carried = match api {
        Api::OpenAi => header("authorization").and_then(|value| value.strip_prefix("Bearer ")),
        Api::Anthropic => header("x-api-key"),
    };
    if !key.is_empty() && carried != Some(key) {
        return Some(wire::error(
            api,
            401,
            None,
            "invalid x-api-key or bearer token",
        ));
    }
    if api == Api::Anthropic && header("anthropic-version").is_none() {
        return Some(wire::error(
            api,
            400,
            None,
            "anthropic-version: header is required",
        ));
    }
    if api == Api::Anthropic && body["max_tokens"].as_u64().is_none() {
        return Some(wire::error(api, 400, None, "max_tokens: Field required"));
    }
    let messages = body["messages"].as_array().map_or(0, Vec::len);
    if messages == 0 {
        return Some(wire::error(
            api,
            400,
            None,
            "messages: at least one message is required",
        ));
    }
    misplaced_answer(api, body).map(|why| wire::error(api, 400, None, &why))
}

/// Why the tools' answers are out of place, as the providers refuse them: each call answered
/// right after the message that made it, and nothing else in between.
fn misplaced_answer(api: Api, body: &Value) -> Option<String> {
    let messages = body["messages"].as_array()?;
    let mut waiting: Vec<String> = Vec::new();
    for message in messages {
        let (calls, answers) = calls_and_answers(api, message);
        for answer in &answers {
            let Some(at) = waiting.iter().position(|id| id == answer) else {
                return Some(format!(
                    "a tool's answer to `{answer}` does not follow the message that called it"
                ));
            };
            waiting.remove(at);
        }
        if answers.is_empty() && !waiting.is_empty() {
            return Some(format!(
                "the calls {waiting:?} must be answered right after the message that made them"
            ));
        }
        waiting = calls;
    }
    None
}

/// The ids of the calls a message makes, and of those it answers.
fn calls_and_answers(api: Api, message: &Value) -> (Vec<String>, Vec<String>) {
    let ids = |items: &Value, kind: &str, field: &str| -> Vec<String> {
        items
            .as_array()
            .into_iter()
            .flatten()
            .filter(|item| kind.is_empty() || item["type"] == kind)
            .filter_map(|item| item[field].as_str().map(str::to_owned))
            .collect()
    };
    match api {
        Api::OpenAi => {
            let answers = message["tool_call_id"]
                .as_str()
                .map(str::to_owned)
                .into_iter()
                .collect();
            (ids(&message["tool_calls"], "", "id"), answers)
        }
        Api::Anthropic => (
            ids(&message["content"], "tool_use", "id"),
            ids(&message["content"], "tool_result", "tool_use_id"),
        ),
    }
}

/// The status a fault stands for, with its `Retry-After`.
fn status_of(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Counts words as tokens, as the stand-in bills them.
fn tokens(text: &str) -> u32 {
    text.split_whitespace().count() as u32
}
