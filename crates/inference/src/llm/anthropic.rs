//! A provider that speaks Anthropic's Messages API (`POST {url}/v1/messages`, streamed): the
//! system prompt apart from the messages, content in blocks (text, `tool_use`, `tool_result`),
//! and events named `message_start`, `content_block_start`, `content_block_delta`,
//! `content_block_stop`, `message_delta` and `message_stop`.

use std::time::Duration;

use proto::inference as pb;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::sse::Reader;
use super::{Event, Provider, ProviderConfig, ProviderError, Starting, Usage};

/// The API version the requests are written for.
pub const VERSION: &str = "2023-06-01";
/// Anthropic requires `max_tokens`; this when the caller leaves it to the provider.
const DEFAULT_MAX_TOKENS: u32 = 1_024;

#[derive(Debug)]
pub struct Anthropic {
    config: ProviderConfig,
    http: reqwest::Client,
}

impl Anthropic {
    pub fn new(config: &ProviderConfig, http: reqwest::Client) -> Anthropic {
        Anthropic {
            config: config.clone(),
            http,
        }
    }
}

/// The system prompt, and the messages as turns of content blocks; a tool's answers join the
/// user turn after the assistant's calls.
fn turns(messages: &[pb::ChatMessage]) -> (String, Vec<Value>) {
    let mut system = Vec::new();
    let mut turns: Vec<(String, Vec<Value>)> = Vec::new();
    for message in messages {
        let (role, block) = match message.role.as_str() {
            "system" => {
                system.push(message.content.as_str());
                continue;
            }
            "tool" => (
                "user",
                vec![
                    json!({"type": "tool_result", "tool_use_id": message.tool_call_id, "content": message.content}),
                ],
            ),
            "assistant" => {
                let mut blocks = Vec::new();
                if !message.content.is_empty() {
                    blocks.push(json!({"type": "text", "text": message.content}));
                }
                for call in &message.tool_calls {
                    let input: Value =
                        serde_json::from_str(&call.arguments).unwrap_or_else(|_| json!({}));
                    blocks.push(json!({"type": "tool_use", "id": call.id, "name": call.name, "input": input}));
                }
                ("assistant", blocks)
            }
            _ => (
                "user",
                vec![json!({"type": "text", "text": message.content})],
            ),
        };
        match turns.last_mut() {
            Some((last, blocks)) if last == role => blocks.extend(block),
            _ => turns.push((role.to_owned(), block)),
        }
    }
    let turns = turns
        .into_iter()
        .map(|(role, content)| json!({"role": role, "content": content}))
        .collect();
    (system.join("\n\n"), turns)
}

fn body(model: &str, request: &pb::ChatRequest) -> Value {
    let (mut system, messages) = turns(&request.messages);
    if !request.response_schema.is_empty() {
        // The Messages API has no schema of its own: the instruction goes with the system prompt.
        let asked = format!(
            "Answer with one JSON value and nothing else, matching this JSON Schema: {}",
            request.response_schema
        );
        system = [system, asked].join("\n\n").trim().to_owned();
    }
    let max_tokens = match request.max_tokens {
        0 => DEFAULT_MAX_TOKENS,
        set => set,
    };
    let mut body =
        json!({"model": model, "max_tokens": max_tokens, "messages": messages, "stream": true});
    if !system.is_empty() {
        body["system"] = json!(system);
    }
    if let Some(temperature) = request.temperature {
        body["temperature"] = json!(temperature.clamp(0.0, 1.0));
    }
    if !request.tools.is_empty() {
        body["tools"] = request
            .tools
            .iter()
            .map(|tool| {
                let schema: Value = serde_json::from_str(&tool.parameters)
                    .unwrap_or_else(|_| json!({"type": "object"}));
                json!({"name": tool.name, "description": tool.description, "input_schema": schema})
            })
            .collect();
    }
    body
}

impl Provider for Anthropic {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn model(&self) -> &str {
        &self.config.model
    }

    fn system(&self) -> &'static str {
        "anthropic"
    }

    fn chat(&self, request: &pb::ChatRequest) -> Starting {
        let url = format!("{}/v1/messages", self.config.url.trim_end_matches('/'));
        let post = self
            .http
            .post(url)
            .header("x-api-key", self.config.key.expose())
            .header("anthropic-version", VERSION)
            .json(&body(&self.config.model, request));
        let idle = Duration::from_millis(self.config.timeout_ms);
        super::streamed(post, idle, read)
    }
}

/// The stream as it is read: the tool call being written, why it stopped, the tokens.
#[derive(Default)]
struct Answer {
    call: Option<pb::ToolCall>,
    reason: String,
    usage: Usage,
}

impl Answer {
    /// What `data` (an event of `kind`) adds to the answer; an event to pass on, or an error.
    fn take(&mut self, kind: &str, data: &Value) -> Result<Option<Event>, ProviderError> {
        match kind {
            "message_start" => {
                let usage = &data["message"]["usage"];
                self.usage.input_tokens = usage["input_tokens"].as_u64().unwrap_or(0) as u32;
            }
            "content_block_start" if data["content_block"]["type"] == "tool_use" => {
                let block = &data["content_block"];
                self.call = Some(pb::ToolCall {
                    id: block["id"].as_str().unwrap_or("").to_owned(),
                    name: block["name"].as_str().unwrap_or("").to_owned(),
                    arguments: String::new(),
                });
            }
            "content_block_delta" => match data["delta"]["type"].as_str() {
                Some("text_delta") => {
                    let text = data["delta"]["text"].as_str().unwrap_or("");
                    return Ok((!text.is_empty()).then(|| Event::Delta(text.to_owned())));
                }
                Some("input_json_delta") => {
                    if let Some(call) = &mut self.call {
                        call.arguments
                            .push_str(data["delta"]["partial_json"].as_str().unwrap_or(""));
                    }
                }
                _ => {}
            },
            "content_block_stop" => {
                return Ok(self.call.take().map(|mut call| {
                    if call.arguments.trim().is_empty() {
                        call.arguments = "{}".to_owned();
                    }
                    Event::ToolCall(call)
                }));
            }
            "message_delta" => {
                self.reason = match data["delta"]["stop_reason"].as_str() {
                    Some("max_tokens") => "length",
                    Some("tool_use") => "tool_calls",
                    _ => "stop",
                }
                .to_owned();
                if let Some(output) = data["usage"]["output_tokens"].as_u64() {
                    self.usage.output_tokens = output as u32;
                }
            }
            "error" => {
                let said = data["error"]["message"].as_str().unwrap_or("an error");
                return Err(match data["error"]["type"].as_str() {
                    Some("rate_limit_error") => ProviderError::RateLimited { retry_after: None },
                    _ => ProviderError::Unavailable(said.to_owned()),
                });
            }
            _ => {}
        }
        Ok(None)
    }
}

/// Passes the stream's events on until `message_stop`, the receiver goes, or it breaks.
async fn read(mut reader: Reader, sender: mpsc::Sender<Result<Event, ProviderError>>) {
    let mut answer = Answer::default();
    loop {
        let message = match reader.next().await {
            Ok(Some(message)) if message.event != "message_stop" => message,
            Ok(Some(_)) => break,
            // Cut off before `message_stop`: not a whole answer.
            Ok(None) => {
                let cut =
                    ProviderError::Unavailable("the stream ended before message_stop".to_owned());
                let _ = sender.send(Err(cut)).await;
                return;
            }
            Err(error) => {
                let _ = sender.send(Err(error)).await;
                return;
            }
        };
        let data: Value = serde_json::from_str(&message.data).unwrap_or(Value::Null);
        let kind = data["type"].as_str().unwrap_or(&message.event).to_owned();
        let passed = match answer.take(&kind, &data) {
            Ok(None) => continue,
            Ok(Some(event)) => sender.send(Ok(event)).await,
            Err(error) => {
                let _ = sender.send(Err(error)).await;
                return;
            }
        };
        if passed.is_err() {
            return;
        }
    }
    let reason = match answer.reason.is_empty() {
        true => "stop".to_owned(),
        false => answer.reason,
    };
    let usage = answer.usage;
    let _ = sender.send(Ok(Event::Finish { reason, usage })).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::said;

    #[test]
    fn the_system_prompt_stands_apart_and_a_tools_answer_joins_the_user_turn() {
        let call = pb::ToolCall {
            id: "toolu_1".to_owned(),
            name: "search".to_owned(),
            arguments: r#"{"query":"apron"}"#.to_owned(),
        };
        let messages = [
            said("system", "Be brief."),
            said("user", "an apron?"),
            pb::ChatMessage {
                tool_calls: vec![call],
                ..said("assistant", "")
            },
            pb::ChatMessage {
                tool_call_id: "toolu_1".to_owned(),
                ..said("tool", "[KIT-1 Linen apron]")
            },
        ];
        let (system, turns) = turns(&messages);
        assert_eq!(system, "Be brief.");
        assert_eq!(turns.len(), 3);
        assert_eq!(turns[1]["content"][0]["input"]["query"], "apron");
        assert_eq!(turns[2]["role"], "user");
        assert_eq!(turns[2]["content"][0]["tool_use_id"], "toolu_1");
    }
}
