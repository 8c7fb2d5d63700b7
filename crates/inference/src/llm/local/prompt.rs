//! What the local model reads and what it writes. A chat request becomes ChatML, the format
//! SmolLM2 was tuned on, with tools described and called the way llama.cpp's server and vLLM
//! do for such models (Hermes): signatures inside `<tools>`, calls as JSON inside
//! `<tool_call>`, answers inside `<tool_response>`. What the model writes is read back as it
//! comes: words passed on at once, a `<tool_call>` held until it closes and passed on whole.

use proto::inference as pb;
use serde_json::{Value, json};

/// The system prompt when the caller sends none (the model's own, from its chat template).
const DEFAULT_SYSTEM: &str = "You are a helpful AI assistant named SmolLM, trained by Hugging Face";
const OPEN: &str = "<tool_call>";
const CLOSE: &str = "</tool_call>";

/// `request` as ChatML, its first `skip` messages after the system prompt left out, ending
/// where the assistant begins to speak.
pub fn render(request: &pb::ChatRequest, skip: usize) -> String {
    let (system, rest): (Vec<_>, Vec<_>) = request
        .messages
        .iter()
        .partition(|message| message.role == "system");
    let mut system: Vec<&str> = system
        .iter()
        .map(|message| message.content.as_str())
        .collect();
    if system.is_empty() {
        system.push(DEFAULT_SYSTEM);
    }
    let mut text = format!("<|im_start|>system\n{}", system.join("\n\n"));
    text.push_str(&tools(&request.tools));
    if let Ok(schema) = serde_json::from_str::<Value>(&request.response_schema) {
        text.push_str(
            "\n\nAnswer with a JSON value and nothing else. It follows this JSON Schema:\n",
        );
        text.push_str(&schema.to_string());
    }
    text.push_str("<|im_end|>\n");
    for message in rest.iter().skip(skip) {
        text.push_str(&turn(message));
    }
    text.push_str("<|im_start|>assistant\n");
    text
}

/// Where the conversation may begin when its start is left out to fit: at the first message,
/// or at a shopper's (never at an answer whose question is gone), as counts for `render` to skip.
pub fn starts(request: &pb::ChatRequest) -> Vec<usize> {
    let rest = request
        .messages
        .iter()
        .filter(|message| message.role != "system");
    let users = rest
        .enumerate()
        .filter(|(at, message)| *at > 0 && message.role == "user")
        .map(|(at, _)| at);
    std::iter::once(0).chain(users).collect()
}

fn tools(tools: &[pb::Tool]) -> String {
    if tools.is_empty() {
        return String::new();
    }
    let mut text = String::from(
        "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n\
         You are provided with function signatures within <tools></tools> XML tags:\n<tools>",
    );
    for tool in tools {
        let parameters = serde_json::from_str::<Value>(&tool.parameters)
            .unwrap_or_else(|_| json!({"type": "object"}));
        let signature = json!({"type": "function", "function": {
            "name": tool.name, "description": tool.description, "parameters": parameters,
        }});
        text.push('\n');
        text.push_str(&signature.to_string());
    }
    text.push_str(
        "\n</tools>\n\nFor each function call, return a json object with function name and \
         arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n\
         {\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>",
    );
    text
}

fn turn(message: &pb::ChatMessage) -> String {
    match message.role.as_str() {
        "tool" => format!(
            "<|im_start|>user\n<tool_response>\n{}\n</tool_response><|im_end|>\n",
            message.content
        ),
        role => {
            let mut content = message.content.clone();
            for call in &message.tool_calls {
                let arguments =
                    serde_json::from_str::<Value>(&call.arguments).unwrap_or(Value::Null);
                let call = json!({"name": call.name, "arguments": arguments});
                if !content.is_empty() {
                    content.push('\n');
                }
                content.push_str(&format!("{OPEN}\n{call}\n{CLOSE}"));
            }
            format!("<|im_start|>{role}\n{content}<|im_end|>\n")
        }
    }
}

/// What the model wrote, read as it comes.
#[derive(Debug, Default)]
pub struct Reading {
    /// Written but not yet passed on: perhaps the start of a call.
    held: String,
    /// Inside a `<tool_call>`.
    calling: bool,
    calls: usize,
}

/// A piece of what the model wrote, read.
#[derive(Debug, PartialEq)]
pub enum Read {
    Words(String),
    Call { name: String, arguments: String },
}

impl Reading {
    /// Reads `piece`: the words that can be passed on, and the calls it closes.
    pub fn read(&mut self, piece: &str) -> Vec<Read> {
        self.held.push_str(piece);
        let mut read = Vec::new();
        loop {
            if self.calling {
                let Some(end) = self.held.find(CLOSE) else {
                    return read;
                };
                let call: String = self.held.drain(..end + CLOSE.len()).collect();
                read.push(self.call(&call[..end]));
                self.calling = false;
            } else if let Some(start) = self.held.find(OPEN) {
                let words: String = self.held.drain(..start + OPEN.len()).collect();
                push_words(&mut read, &words[..start]);
                self.calling = true;
            } else {
                let keep = partial_open(&self.held);
                let words: String = self.held.drain(..self.held.len() - keep).collect();
                push_words(&mut read, &words);
                return read;
            }
        }
    }

    /// What is left when the model stops: a call it did not close is read as if it had.
    pub fn finish(&mut self) -> Vec<Read> {
        let held = std::mem::take(&mut self.held);
        if self.calling {
            self.calling = false;
            return vec![self.call(&held)];
        }
        let mut read = Vec::new();
        push_words(&mut read, &held);
        read
    }

    /// The calls read so far.
    pub fn calls(&self) -> usize {
        self.calls
    }

    /// A call's JSON as a call, or as words when it is not one (a small model's slip).
    fn call(&mut self, text: &str) -> Read {
        let parsed: Option<(String, String)> = serde_json::from_str::<Value>(text.trim())
            .ok()
            .and_then(|call| {
                let name = call.get("name")?.as_str()?.to_owned();
                let arguments = match call.get("arguments") {
                    Some(Value::String(text)) => text.clone(),
                    Some(arguments @ Value::Object(_)) => arguments.to_string(),
                    None | Some(Value::Null) => "{}".to_owned(),
                    Some(_) => return None,
                };
                Some((name, arguments))
            });
        match parsed {
            Some((name, arguments)) => {
                self.calls += 1;
                Read::Call { name, arguments }
            }
            None => Read::Words(format!("{OPEN}{text}")),
        }
    }
}

fn push_words(read: &mut Vec<Read>, words: &str) {
    if !words.is_empty() {
        read.push(Read::Words(words.to_owned()));
    }
}

/// How many bytes at the end of `text` could begin `<tool_call>`.
fn partial_open(text: &str) -> usize {
    (1..OPEN.len())
        .rev()
        .find(|&length| text.ends_with(&OPEN[..length]))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::said;

    #[test]
    fn a_conversation_is_chatml_with_its_tools_calls_and_answers() {
        let mut call = said("assistant", "");
        call.tool_calls.push(pb::ToolCall {
            id: "c1".to_owned(),
            name: "search_products".to_owned(),
            arguments: r#"{"query":"mug"}"#.to_owned(),
        });
        let request = pb::ChatRequest {
            messages: vec![said("system", "Be brief."), said("user", "a mug?"), call, {
                let mut answer = said("tool", "[\"MUG-1\"]");
                answer.tool_call_id = "c1".to_owned();
                answer
            }],
            tools: vec![pb::Tool {
                name: "search_products".to_owned(),
                description: "Finds products".to_owned(),
                parameters: r#"{"type":"object"}"#.to_owned(),
            }],
            ..Default::default()
        };
        let text = render(&request, 0);
        assert!(
            text.starts_with("<|im_start|>system\nBe brief.\n\n# Tools"),
            "{text}"
        );
        assert!(text.contains(r#"{"function":{"description":"Finds products","name":"search_products","parameters":{"type":"object"}},"type":"function"}"#), "{text}");
        assert!(text.contains("<|im_start|>user\na mug?<|im_end|>\n<|im_start|>assistant\n<tool_call>\n{\"arguments\":{\"query\":\"mug\"},\"name\":\"search_products\"}\n</tool_call><|im_end|>\n"), "{text}");
        assert!(
            text.ends_with(
                "<tool_response>\n[\"MUG-1\"]\n</tool_response><|im_end|>\n<|im_start|>assistant\n"
            ),
            "{text}"
        );
        assert_eq!(
            starts(&request),
            [0],
            "no later shopper's message to begin at"
        );
        let mut longer = request.clone();
        longer.messages.push(said("user", "and a kettle?"));
        assert_eq!(starts(&longer), [0, 3]);
        let cut = render(&longer, 3);
        assert!(
            !cut.contains("a mug?") && !cut.contains("tool_response"),
            "{cut}"
        );
        assert!(
            cut.contains("<|im_start|>user\nand a kettle?<|im_end|>"),
            "{cut}"
        );
    }

    #[test]
    fn with_no_system_prompt_the_models_own_is_used() {
        let request = pb::ChatRequest {
            messages: vec![said("user", "hi")],
            ..Default::default()
        };
        assert_eq!(
            render(&request, 0),
            format!(
                "<|im_start|>system\n{DEFAULT_SYSTEM}<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
            )
        );
    }

    #[test]
    fn words_pass_at_once_and_a_call_whole_however_it_is_cut() {
        let written = "Let me look. <tool_call>\n{\"name\": \"search_products\", \"arguments\": {\"query\": \"mug\"}}\n</tool_call> done";
        for size in [1, 3, 7, 200] {
            let mut reading = Reading::default();
            let mut read = Vec::new();
            let chars: Vec<char> = written.chars().collect();
            for piece in chars.chunks(size) {
                read.extend(reading.read(&piece.iter().collect::<String>()));
            }
            read.extend(reading.finish());
            let words: String = read
                .iter()
                .filter_map(|r| match r {
                    Read::Words(words) => Some(words.as_str()),
                    Read::Call { .. } => None,
                })
                .collect();
            assert_eq!(words, "Let me look.  done", "pieces of {size}");
            let calls: Vec<&Read> = read
                .iter()
                .filter(|r| matches!(r, Read::Call { .. }))
                .collect();
            assert_eq!(
                calls,
                [&Read::Call {
                    name: "search_products".to_owned(),
                    arguments: r#"{"query":"mug"}"#.to_owned()
                }]
            );
            assert_eq!(reading.calls(), 1);
        }
    }

    #[test]
    fn words_before_a_call_pass_before_it_closes_and_what_may_begin_one_waits() {
        let mut reading = Reading::default();
        assert_eq!(
            reading.read("Let me look. <tool"),
            [Read::Words("Let me look. ".to_owned())]
        );
        assert_eq!(reading.read("_call>{\"name\": "), []);
        let mut reading = Reading::default();
        assert_eq!(reading.read("a <t"), [Read::Words("a ".to_owned())]);
        assert_eq!(reading.read("able"), [Read::Words("<table".to_owned())]);
    }

    #[test]
    fn a_call_that_is_not_json_is_words_and_an_unclosed_one_is_read_at_the_end() {
        let mut reading = Reading::default();
        let mut read = reading.read("<tool_call>oops</tool_call>");
        assert_eq!(read, [Read::Words("<tool_call>oops".to_owned())]);
        read = reading.read("<tool_call>{\"name\": \"x\"}");
        assert!(read.is_empty());
        assert_eq!(
            reading.finish(),
            [Read::Call {
                name: "x".to_owned(),
                arguments: "{}".to_owned()
            }]
        );
        assert_eq!(reading.calls(), 1);
    }
}
