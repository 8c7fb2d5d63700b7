//! A provider that speaks OpenAI's chat completions (`POST {url}/chat/completions`, streamed):
//! OpenAI itself, vLLM, llama.cpp's server, Ollama. Tool calls arrive in fragments by index and
//! are passed on whole; the usage comes in the last chunk (`stream_options.include_usage`).

use std::collections::BTreeMap;
use std::time::Duration;

use proto::inference as pb;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::sse::Reader;
use super::{Event, Provider, ProviderConfig, ProviderError, Starting, Usage};

#[derive(Debug)]
pub struct OpenAi {
    config: ProviderConfig,
    http: reqwest::Client,
}

impl OpenAi {
    pub fn new(config: &ProviderConfig, http: reqwest::Client) -> OpenAi {
        OpenAi {
            config: config.clone(),
            http,
        }
    }
}

/// A message as OpenAI's API reads it.
pub fn message(message: &pb::ChatMessage) -> Value {
    match message.role.as_str() {
        "assistant" if !message.tool_calls.is_empty() => json!({
            "role": "assistant",
            "content": (!message.content.is_empty()).then_some(&message.content),
            "tool_calls": message.tool_calls.iter().map(|call| json!({
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            })).collect::<Vec<_>>(),
        }),
        "tool" => json!({
            "role": "tool",
            "tool_call_id": message.tool_call_id,
            "content": message.content,
        }),
        role => json!({"role": role, "content": message.content}),
    }
}

/// The request's body, streamed with its usage.
fn body(model: &str, request: &pb::ChatRequest) -> Value {
    let mut body = json!({
        "model": model,
        "messages": request.messages.iter().map(message).collect::<Vec<_>>(),
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    if request.max_tokens > 0 {
        body["max_tokens"] = json!(request.max_tokens);
    }
    if let Some(temperature) = request.temperature {
        body["temperature"] = json!(temperature);
    }
    if let Ok(schema) = serde_json::from_str::<Value>(&request.response_schema) {
        body["response_format"] =
            json!({"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}});
    }
    if !request.tools.is_empty() {
        body["tools"] = request
            .tools
            .iter()
            .map(|tool| {
                json!({"type": "function", "function": {
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": serde_json::from_str::<Value>(&tool.parameters)
                        .unwrap_or_else(|_| json!({"type": "object"})),
                }})
            })
            .collect();
    }
    body
}

impl Provider for OpenAi {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn model(&self) -> &str {
        &self.config.model
    }

    fn system(&self) -> &'static str {
        "openai"
    }

    fn chat(&self, request: &pb::ChatRequest) -> Starting {
        let url = format!("{}/chat/completions", self.config.url.trim_end_matches('/'));
        let mut post = self.http.post(url).json(&body(&self.config.model, request));
        if !self.config.key.expose().is_empty() {
            post = post.bearer_auth(self.config.key.expose());
        }
        let idle = Duration::from_millis(self.config.timeout_ms);
        super::streamed(post, idle, read)
    }
}

/// A tool call as its fragments arrive.
#[derive(Default)]
struct Partial {
    id: String,
    name: String,
    arguments: String,
}

/// Passes the stream's events on until it ends, the receiver goes, or it breaks.
async fn read(mut reader: Reader, sender: mpsc::Sender<Result<Event, ProviderError>>) {
    let mut calls: BTreeMap<u64, Partial> = BTreeMap::new();
    let (mut reason, mut usage) = (String::new(), Usage::default());
    loop {
        let message = match reader.next().await {
            Ok(Some(message)) if message.data != "[DONE]" => message,
            Ok(Some(_)) => break,
            // Cut off before `[DONE]` and before any finish: not a whole answer.
            Ok(None) if reason.is_empty() => {
                let cut = ProviderError::Unavailable("the stream ended before [DONE]".to_owned());
                let _ = sender.send(Err(cut)).await;
                return;
            }
            Ok(None) => break,
            Err(error) => {
                let _ = sender.send(Err(error)).await;
                return;
            }
        };
        let Ok(chunk) = serde_json::from_str::<Value>(&message.data) else {
            let _ = sender
                .send(Err(ProviderError::Unavailable(format!(
                    "a chunk that is not JSON: {}",
                    super::guard::shorten(&message.data, 80)
                ))))
                .await;
            return;
        };
        if let Some(counted) = chunk.get("usage").filter(|usage| usage.is_object()) {
            usage.input_tokens = counted["prompt_tokens"].as_u64().unwrap_or(0) as u32;
            usage.output_tokens = counted["completion_tokens"].as_u64().unwrap_or(0) as u32;
        }
        let Some(choice) = chunk["choices"].get(0) else {
            continue;
        };
        if let Some(text) = choice["delta"]["content"]
            .as_str()
            .filter(|text| !text.is_empty())
            && sender
                .send(Ok(Event::Delta(text.to_owned())))
                .await
                .is_err()
        {
            return;
        }
        for fragment in choice["delta"]["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let partial = calls
                .entry(fragment["index"].as_u64().unwrap_or(0))
                .or_default();
            partial.id.push_str(fragment["id"].as_str().unwrap_or(""));
            partial
                .name
                .push_str(fragment["function"]["name"].as_str().unwrap_or(""));
            partial
                .arguments
                .push_str(fragment["function"]["arguments"].as_str().unwrap_or(""));
        }
        if let Some(finished) = choice["finish_reason"].as_str() {
            reason = finished.to_owned();
        }
    }
    for (_, call) in calls {
        let call = pb::ToolCall {
            id: call.id,
            name: call.name,
            arguments: call.arguments,
        };
        if sender.send(Ok(Event::ToolCall(call))).await.is_err() {
            return;
        }
    }
    if reason.is_empty() {
        // `[DONE]` without a finish reason: whole, as far as the server said.
        reason = "stop".to_owned();
    }
    let _ = sender.send(Ok(Event::Finish { reason, usage })).await;
}
