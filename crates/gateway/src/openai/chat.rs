//! `POST /v1/chat/completions`, as OpenAI's: the messages and tools of OpenAI's request passed
//! to the inference service's LLM gateway, and its answer written back whole or, with
//! `stream: true`, as server-sent `chat.completion.chunk`s ending in `data: [DONE]`. Tool
//! calls come whole, each in one chunk. The answer says who made it (`provider`), whether it
//! came from the cache, and what it cost, beside OpenAI's fields.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use platform::transport::request;
use proto::inference as pb;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{OpenAiError, api_key};
use crate::state::Gateway;

#[derive(Debug, Deserialize)]
struct ChatRequest {
    model: String,
    messages: Vec<Message>,
    #[serde(default)]
    tools: Vec<Tool>,
    #[serde(default)]
    tool_choice: Option<Value>,
    #[serde(default)]
    stream: bool,
    #[serde(default)]
    stream_options: Option<StreamOptions>,
    #[serde(default)]
    max_tokens: Option<u32>,
    #[serde(default)]
    max_completion_tokens: Option<u32>,
    #[serde(default)]
    temperature: Option<f32>,
    #[serde(default)]
    n: Option<u32>,
    #[serde(default)]
    response_format: Option<Value>,
}

/// The JSON Schema `response_format` asks the answer to match: `json_schema`'s schema, any
/// object for `json_object`, none for `text`.
fn response_schema(format: Option<&Value>) -> Result<String, OpenAiError> {
    let Some(format) = format else {
        return Ok(String::new());
    };
    match format["type"].as_str() {
        Some("text") => Ok(String::new()),
        Some("json_object") => Ok(r#"{"type":"object"}"#.to_owned()),
        Some("json_schema") => match &format["json_schema"]["schema"] {
            Value::Object(_) => Ok(format["json_schema"]["schema"].to_string()),
            _ => Err(OpenAiError::invalid(
                "response_format",
                "json_schema.schema: a JSON Schema object",
            )),
        },
        _ => Err(OpenAiError::invalid(
            "response_format",
            "type: `text`, `json_object` or `json_schema`",
        )),
    }
}

#[derive(Debug, Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: bool,
}

#[derive(Debug, Deserialize)]
struct Message {
    role: String,
    #[serde(default)]
    content: Value,
    #[serde(default)]
    tool_calls: Vec<ToolCall>,
    #[serde(default)]
    tool_call_id: String,
}

#[derive(Debug, Deserialize)]
struct ToolCall {
    id: String,
    function: Function,
}

#[derive(Debug, Deserialize)]
struct Function {
    name: String,
    #[serde(default)]
    arguments: String,
}

#[derive(Debug, Deserialize)]
struct Tool {
    function: ToolFunction,
}

#[derive(Debug, Deserialize)]
struct ToolFunction {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    parameters: Option<Value>,
}

/// A message's text: a string, or the text of its parts (`{"type": "text", "text": ...}`).
fn text_of(content: &Value) -> Result<String, OpenAiError> {
    match content {
        Value::Null => Ok(String::new()),
        Value::String(text) => Ok(text.clone()),
        Value::Array(parts) => parts
            .iter()
            .map(
                |part| match (part["type"].as_str(), part["text"].as_str()) {
                    (Some("text"), Some(text)) => Ok(text),
                    _ => Err(OpenAiError::invalid(
                        "messages",
                        "only text parts are understood (`{\"type\": \"text\", \"text\": ...}`)",
                    )),
                },
            )
            .collect::<Result<Vec<_>, _>>()
            .map(|texts| texts.join("")),
        _ => Err(OpenAiError::invalid(
            "messages",
            "a message's content is a string or an array of parts",
        )),
    }
}

/// OpenAI's request as the inference service's.
fn convert(asked: ChatRequest) -> Result<(pb::ChatRequest, bool), OpenAiError> {
    if asked.n.is_some_and(|n| n != 1) {
        return Err(OpenAiError::invalid(
            "n",
            "only one choice (`n: 1`) is made",
        ));
    }
    let messages = asked
        .messages
        .into_iter()
        .map(|message| {
            Ok(pb::ChatMessage {
                content: text_of(&message.content)?,
                role: message.role,
                tool_calls: message
                    .tool_calls
                    .into_iter()
                    .map(|call| pb::ToolCall {
                        id: call.id,
                        name: call.function.name,
                        arguments: call.function.arguments,
                    })
                    .collect(),
                tool_call_id: message.tool_call_id,
            })
        })
        .collect::<Result<Vec<_>, OpenAiError>>()?;
    // `tool_choice: "none"` offers no tool; "auto" and "required" offer them all.
    let offered = asked.tool_choice.as_ref().and_then(Value::as_str) != Some("none");
    let tools = match offered {
        true => asked
            .tools
            .into_iter()
            .map(|tool| pb::Tool {
                name: tool.function.name,
                description: tool.function.description,
                parameters: tool
                    .function
                    .parameters
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
            })
            .collect(),
        false => Vec::new(),
    };
    let usage = asked
        .stream_options
        .is_some_and(|options| options.include_usage);
    let response_schema = response_schema(asked.response_format.as_ref())?;
    let request = pb::ChatRequest {
        model: asked.model,
        messages,
        tools,
        max_tokens: asked
            .max_completion_tokens
            .or(asked.max_tokens)
            .unwrap_or(0),
        temperature: asked.temperature,
        feature: "api".to_owned(),
        response_schema,
    };
    Ok((request, usage))
}

/// `POST /v1/chat/completions`.
pub(super) async fn create(
    State(gateway): State<Gateway>,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Result<Response, OpenAiError> {
    let token = api_key(&headers)?;
    let asked: ChatRequest = serde_json::from_slice(&body).map_err(|error| {
        OpenAiError::invalid(
            "body",
            format!("the body is not a chat completion request: {error}"),
        )
    })?;
    let stream = asked.stream;
    let (message, usage) = convert(asked)?;
    let chunks = gateway
        .inference
        .clone()
        .chat(request(message, &token))
        .await?
        .into_inner();
    let id = format!("chatcmpl-{:032x}", rand::random::<u128>());
    let created = platform::unix_now_ms() / 1000;
    match stream {
        true => Ok(streamed(chunks, id, created, usage).into_response()),
        false => whole(chunks, id, created).await,
    }
}

/// A tool call as OpenAI writes one; `index` only in a chunk.
fn call(call: &pb::ToolCall, index: Option<usize>) -> Value {
    let mut written = json!({
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    });
    if let Some(index) = index {
        written["index"] = json!(index);
    }
    written
}

fn usage(usage: Option<pb::ChatUsage>) -> Value {
    let usage = usage.unwrap_or_default();
    json!({
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
    })
}

/// The answer gathered and written as one `chat.completion`.
async fn whole(
    mut chunks: tonic::Streaming<pb::ChatChunk>,
    id: String,
    created: i64,
) -> Result<Response, OpenAiError> {
    let (mut text, mut calls, mut last) = (String::new(), Vec::new(), pb::ChatChunk::default());
    while let Some(chunk) = chunks.message().await? {
        text.push_str(&chunk.delta);
        calls.extend(chunk.tool_calls.iter().map(|each| call(each, None)));
        last = chunk;
    }
    let mut message = json!({"role": "assistant", "content": (!text.is_empty()).then_some(text), "refusal": null});
    if !calls.is_empty() {
        message["tool_calls"] = json!(calls);
    }
    let body = json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": last.model,
        "choices": [{"index": 0, "message": message, "finish_reason": last.finish_reason, "logprobs": null}],
        "usage": usage(last.usage),
        "system_fingerprint": null,
        "provider": last.provider,
        "cached": last.cached,
        "cost_usd": last.cost_usd,
    });
    Ok((
        [("x-emporium-llm-provider", last.provider)],
        axum::Json(body),
    )
        .into_response())
}

/// The answer as server-sent chunks, then the usage when asked, then `[DONE]`.
fn streamed(
    chunks: tonic::Streaming<pb::ChatChunk>,
    id: String,
    created: i64,
    with_usage: bool,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let state = (chunks, 0usize, false);
    let events = futures_util::stream::unfold(Some(state), move |state| {
        let (id, created) = (id.clone(), created);
        async move {
            let (mut chunks, mut calls, mut begun) = state?;
            let (events, done) = match chunks.message().await {
                Ok(Some(chunk)) => {
                    let events =
                        chunk_events(&chunk, &id, created, &mut calls, &mut begun, with_usage);
                    (events, !chunk.finish_reason.is_empty())
                }
                Ok(None) => (Vec::new(), true),
                Err(status) => {
                    let error = OpenAiError::from(status);
                    (
                        vec![json!({"error": {"message": error.message, "type": error.kind}})],
                        true,
                    )
                }
            };
            let mut events: Vec<Event> = events
                .into_iter()
                .map(|data| Event::default().data(data.to_string()))
                .collect();
            if done {
                events.push(Event::default().data("[DONE]"));
            }
            let next = (!done).then_some((chunks, calls, begun));
            Some((futures_util::stream::iter(events.into_iter().map(Ok)), next))
        }
    })
    .flatten();
    Sse::new(events)
}

/// The `chat.completion.chunk`s one chunk of the answer makes.
fn chunk_events(
    chunk: &pb::ChatChunk,
    id: &str,
    created: i64,
    calls: &mut usize,
    begun: &mut bool,
    with_usage: bool,
) -> Vec<Value> {
    let envelope = |delta: Value, finish: Option<&str>| {
        json!({
            "id": id, "object": "chat.completion.chunk", "created": created, "model": chunk.model,
            "provider": chunk.provider, "system_fingerprint": null,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": null}],
        })
    };
    let mut events = Vec::new();
    if !*begun {
        *begun = true;
        events.push(envelope(json!({"role": "assistant", "content": ""}), None));
    }
    if !chunk.delta.is_empty() {
        events.push(envelope(json!({"content": chunk.delta}), None));
    }
    for each in &chunk.tool_calls {
        events.push(envelope(
            json!({"tool_calls": [call(each, Some(*calls))]}),
            None,
        ));
        *calls += 1;
    }
    if !chunk.finish_reason.is_empty() {
        let mut last = envelope(json!({}), Some(&chunk.finish_reason));
        last["cached"] = json!(chunk.cached);
        last["cost_usd"] = json!(chunk.cost_usd);
        events.push(last);
        if with_usage {
            let mut counted = envelope(json!({}), None);
            counted["choices"] = json!([]);
            counted["usage"] = usage(chunk.usage);
            events.push(counted);
        }
    }
    events
}
