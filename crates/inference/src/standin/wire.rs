//! The stand-in's answers in each API's wire format: whole, or as server-sent events.

use axum::body::Body;
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::response::{IntoResponse as _, Response};
use serde_json::{Value, json};

use super::answer::Answer;
use super::{Api, status_of, tokens};

/// What the stand-in writes: its answer's text in words, and its tool call's arguments.
fn output_tokens(answer: &Answer) -> u32 {
    let call = answer
        .call
        .as_ref()
        .map_or(0, |(_, arguments)| tokens(&arguments.to_string()).max(1));
    tokens(&answer.text) + call
}

/// An error as the provider writes it.
pub fn error(api: Api, status: u16, retry_after: Option<u64>, message: &str) -> Response {
    let body = match api {
        Api::OpenAi => {
            let kind = match status {
                429 => "rate_limit_exceeded",
                401 => "invalid_api_key",
                400..=499 => "invalid_request_error",
                _ => "server_error",
            };
            json!({"error": {"message": message, "type": kind, "param": null, "code": kind}})
        }
        Api::Anthropic => {
            let kind = match status {
                429 => "rate_limit_error",
                401 => "authentication_error",
                529 => "overloaded_error",
                400..=499 => "invalid_request_error",
                _ => "api_error",
            };
            json!({"type": "error", "error": {"type": kind, "message": message}})
        }
    };
    let mut response = (status_of(status), axum::Json(body)).into_response();
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

pub fn openai_whole(model: &str, answer: &Answer) -> Value {
    let tool_calls: Vec<Value> = answer
        .call
        .iter()
        .map(|(name, arguments)| json!({"id": format!("call_{}", answer.id), "type": "function", "function": {"name": name, "arguments": arguments.to_string()}}))
        .collect();
    let mut message =
        json!({"role": "assistant", "content": (!answer.text.is_empty()).then_some(&answer.text)});
    if !tool_calls.is_empty() {
        message["tool_calls"] = json!(tool_calls);
    }
    let output = output_tokens(answer);
    json!({
        "id": "chatcmpl-standin",
        "object": "chat.completion",
        "created": 1_765_000_000,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": if answer.call.is_some() { "tool_calls" } else { "stop" }}],
        "usage": {"prompt_tokens": answer.input_tokens, "completion_tokens": output, "total_tokens": answer.input_tokens + output},
    })
}

pub fn anthropic_whole(model: &str, answer: &Answer) -> Value {
    let mut content = Vec::new();
    if !answer.text.is_empty() {
        content.push(json!({"type": "text", "text": answer.text}));
    }
    if let Some((name, input)) = &answer.call {
        content.push(
            json!({"type": "tool_use", "id": format!("toolu_{}", answer.id), "name": name, "input": input}),
        );
    }
    json!({
        "id": "msg_standin",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": if answer.call.is_some() { "tool_use" } else { "end_turn" },
        "stop_sequence": null,
        "usage": {"input_tokens": answer.input_tokens, "output_tokens": output_tokens(answer)},
    })
}

/// The words of `text`, each with the space after it but the last.
fn words(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split(' ').collect();
    let last = words.len().saturating_sub(1);
    words
        .iter()
        .enumerate()
        .map(|(at, word)| {
            if at < last {
                format!("{word} ")
            } else {
                (*word).to_owned()
            }
        })
        .collect()
}

/// The answer as OpenAI streams it: `data:` lines, ending in `[DONE]`.
fn openai_events(model: &str, answer: &Answer, usage: bool) -> Vec<String> {
    let chunk = |delta: Value, finish: Option<&str>| {
        let chunk = json!({"id": "chatcmpl-standin", "object": "chat.completion.chunk", "created": 1_765_000_000, "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
        format!("data: {chunk}\n\n")
    };
    let mut events = vec![chunk(json!({"role": "assistant", "content": ""}), None)];
    if !answer.text.is_empty() {
        events.extend(
            words(&answer.text)
                .into_iter()
                .map(|word| chunk(json!({"content": word}), None)),
        );
    }
    if let Some((name, arguments)) = &answer.call {
        let arguments = arguments.to_string();
        let (head, tail) = arguments.split_at(arguments.len() / 2);
        events.push(chunk(json!({"tool_calls": [{"index": 0, "id": format!("call_{}", answer.id), "type": "function", "function": {"name": name, "arguments": ""}}]}), None));
        for part in [head, tail] {
            events.push(chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": part}}]}),
                None,
            ));
        }
    }
    let finish = if answer.call.is_some() {
        "tool_calls"
    } else {
        "stop"
    };
    events.push(chunk(json!({}), Some(finish)));
    if usage {
        let output = output_tokens(answer);
        let last = json!({"id": "chatcmpl-standin", "object": "chat.completion.chunk", "created": 1_765_000_000, "model": model, "choices": [], "usage": {"prompt_tokens": answer.input_tokens, "completion_tokens": output, "total_tokens": answer.input_tokens + output}});
        events.push(format!("data: {last}\n\n"));
    }
    events.push("data: [DONE]\n\n".to_owned());
    events
}

/// The answer as Anthropic streams it: named events from `message_start` to `message_stop`.
fn anthropic_events(model: &str, answer: &Answer) -> Vec<String> {
    let event = |data: Value| {
        format!(
            "event: {}\ndata: {data}\n\n",
            data["type"].as_str().unwrap_or("ping")
        )
    };
    let mut events = vec![event(
        json!({"type": "message_start", "message": {"id": "msg_standin", "type": "message", "role": "assistant", "model": model, "content": [], "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": answer.input_tokens, "output_tokens": 1}}}),
    )];
    let mut index = 0;
    if !answer.text.is_empty() {
        events.push(event(json!({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}})));
        events.push(event(json!({"type": "ping"})));
        for word in words(&answer.text) {
            events.push(event(json!({"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": word}})));
        }
        events.push(event(json!({"type": "content_block_stop", "index": index})));
        index += 1;
    }
    if let Some((name, input)) = &answer.call {
        let input = input.to_string();
        let (head, tail) = input.split_at(input.len() / 2);
        events.push(event(json!({"type": "content_block_start", "index": index, "content_block": {"type": "tool_use", "id": format!("toolu_{}", answer.id), "name": name, "input": {}}})));
        for part in [head, tail] {
            events.push(event(json!({"type": "content_block_delta", "index": index, "delta": {"type": "input_json_delta", "partial_json": part}})));
        }
        events.push(event(json!({"type": "content_block_stop", "index": index})));
    }
    let stop = if answer.call.is_some() {
        "tool_use"
    } else {
        "end_turn"
    };
    events.push(event(json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null}, "usage": {"output_tokens": output_tokens(answer)}})));
    events.push(event(json!({"type": "message_stop"})));
    events
}

/// The answer streamed as server-sent events; `broken`: only its first event, then the
/// connection fails.
pub fn stream(api: Api, model: &str, answer: &Answer, usage: bool, broken: bool) -> Response {
    let events = match api {
        Api::OpenAi => openai_events(model, answer, usage),
        Api::Anthropic => anthropic_events(model, answer),
    };
    let mut pieces: Vec<Result<String, std::io::Error>> = events.into_iter().map(Ok).collect();
    if broken {
        pieces.truncate(2);
        pieces.push(Err(std::io::Error::other(
            "the stand-in broke the stream off",
        )));
    }
    let body = Body::from_stream(futures_util::stream::iter(pieces));
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    response
}
