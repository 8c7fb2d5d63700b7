//! What the stand-in answers: made up, and the same for the same request. Words that ask to
//! add a product to the cart (in the user's message or in a tool's answer) make it call
//! `add_to_cart` when offered, as a model taken in by them would.

use serde_json::{Value, json};

use super::Api;

/// An answer before it is written in an API's wire format.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// Tells this answer's tool calls apart from others': a hash of the request.
    pub id: String,
    pub text: String,
    /// A call of a tool: its name and arguments.
    pub call: Option<(String, Value)>,
    pub input_tokens: u32,
}

/// The text of a message's content: a string, or the text of its parts or blocks.
fn text_of(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|part| match part["type"].as_str() {
                Some("text") => part["text"].as_str().map(str::to_owned),
                Some("tool_result") => Some(text_of(&part["content"])),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

/// Whether the last message answers a tool call.
fn answers_a_tool(api: Api, last: &Value) -> bool {
    match api {
        Api::OpenAi => last["role"] == "tool",
        Api::Anthropic => last["content"]
            .as_array()
            .is_some_and(|blocks| blocks.iter().any(|block| block["type"] == "tool_result")),
    }
}

/// The first tool offered: its name and the JSON Schema of its arguments.
fn first_tool(api: Api, body: &Value) -> Option<(String, Value)> {
    let tool = body["tools"].get(0)?;
    let (name, schema) = match api {
        Api::OpenAi => (&tool["function"]["name"], &tool["function"]["parameters"]),
        Api::Anthropic => (&tool["name"], &tool["input_schema"]),
    };
    Some((name.as_str()?.to_owned(), schema.clone()))
}

/// Arguments for `schema`: each required string property given `words`.
fn arguments(schema: &Value, words: &str) -> Value {
    let mut arguments = json!({});
    for name in schema["required"].as_array().into_iter().flatten() {
        let Some(name) = name.as_str() else { continue };
        if schema["properties"][name]["type"] == "string" {
            arguments[name] = json!(words);
        }
    }
    arguments
}

static ADD: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?i)\badd\s+(?:(\d{1,2})\s+(?:of\s+)?)?([A-Z]{3}-\d{5})")
        .expect("a pattern")
});

/// A call of the offered `add_to_cart` when `text` asks to add a product: the stand-in does as
/// words tell it, wherever they come from, as a model taken in by them would.
fn obeyed(api: Api, body: &Value, text: &str) -> Option<(String, Value)> {
    let offered = body["tools"].as_array()?.iter().any(|tool| {
        let name = match api {
            Api::OpenAi => &tool["function"]["name"],
            Api::Anthropic => &tool["name"],
        };
        name == "add_to_cart"
    });
    let found = ADD.captures(text).filter(|_| offered)?;
    let quantity: u64 = found.get(1).map_or(Ok(1), |n| n.as_str().parse()).ok()?;
    let sku = found[2].to_uppercase();
    Some((
        "add_to_cart".to_owned(),
        json!({"sku": sku, "quantity": quantity}),
    ))
}

/// The JSON Schema the answer must match: OpenAI's `response_format`, or the one a system
/// prompt names for Anthropic.
fn schema_of(api: Api, body: &Value) -> Option<Value> {
    match api {
        Api::OpenAi => Some(body["response_format"]["json_schema"]["schema"].clone())
            .filter(|schema| !schema.is_null()),
        Api::Anthropic => {
            let system = text_of(&body["system"]);
            let (_, schema) = system.split_once("JSON Schema: ")?;
            serde_json::from_str(schema.trim()).ok()
        }
    }
}

/// A value `schema` allows, its strings the user's `words`.
fn example(schema: &Value, words: &str) -> Value {
    if let Some(first) = schema["enum"].get(0).or_else(|| schema.get("const")) {
        return first.clone();
    }
    if let Some(branch) = schema["anyOf"].get(0) {
        return example(branch, words);
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds.first().and_then(Value::as_str).unwrap_or("null"),
        kind => kind.as_str().unwrap_or("object"),
    };
    let least = schema["minimum"].as_f64().unwrap_or(1.0).max(1.0);
    match kind {
        "object" => {
            let mut value = json!({});
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                value[name] = example(property, words);
            }
            value
        }
        "array" => json!([]),
        "string" => json!(words),
        "integer" => json!(least.ceil() as i64),
        "number" => json!(least),
        "boolean" => json!(true),
        _ => Value::Null,
    }
}

/// The answer to `body`, a request of `api`.
pub fn of(api: Api, body: &Value) -> Answer {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let mut input_tokens: u32 = messages
        .iter()
        .map(|message| super::tokens(&text_of(&message["content"])))
        .sum();
    input_tokens += super::tokens(&text_of(&body["system"]));
    let last = messages.last().cloned().unwrap_or(Value::Null);
    let said = text_of(&last["content"]);
    let id = format!("{:016x}", fnv(body.to_string().as_bytes()));
    if let Some(schema) = schema_of(api, body) {
        return Answer {
            id,
            text: example(&schema, &said).to_string(),
            call: None,
            input_tokens,
        };
    }
    if let Some(call) = obeyed(api, body, &said) {
        return Answer {
            id: id.clone(),
            text: String::new(),
            call: Some(call),
            input_tokens,
        };
    }
    if answers_a_tool(api, &last) {
        return Answer {
            id: id.clone(),
            text: format!("Here is what I found: {said}"),
            call: None,
            input_tokens,
        };
    }
    if let Some((name, schema)) = first_tool(api, body) {
        return Answer {
            id: id.clone(),
            text: String::new(),
            call: Some((name, arguments(&schema, &said))),
            input_tokens,
        };
    }
    Answer {
        id,
        text: format!("Stand-in answer to: {said}"),
        call: None,
        input_tokens,
    }
}

/// FNV-1a, 64 bits.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
