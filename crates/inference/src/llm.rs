//! The LLM gateway: every generative call of the shop goes through it. A request is charged to
//! its caller's and its feature's budgets (`budget`), answered from the cache when it was asked
//! before (`cache`), and otherwise sent to each configured provider in turn (`chain`): retried
//! when it says so (`Retry-After`) or fails, skipped while its breaker is open, and after the
//! last provider answered by the shop itself (`fallback`), so that an answer always comes. Its
//! cost comes from a price table (`cost`); prompts and answers reach logs and traces only
//! redacted (`guard`).
//!
//! Providers speak their own wire protocols: any OpenAI-compatible server (`openai`: OpenAI,
//! vLLM, llama.cpp's server, Ollama) and Anthropic's Messages API (`anthropic`), both streamed
//! as server-sent events (`sse`). Their keys are secrets and never printed.

mod anthropic;
mod budget;
mod cache;
mod chain;
pub mod cost;
mod fallback;
pub mod guard;
pub mod local;
mod openai;
mod schema;
mod sse;

use std::time::Duration;

use platform::config::Secret;
use proto::inference as pb;
use serde::{Deserialize, Serialize};

pub use self::budget::Exhausted;
pub use self::chain::{Chunks, Llm};

/// The name the shop's chat model answers to, whoever serves it.
pub const CHAT_MODEL: &str = "emporium-chat";

/// What a provider sends while it answers.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// Text to append.
    Delta(String),
    /// A tool the model calls, whole.
    ToolCall(pb::ToolCall),
    /// The end: why, and the tokens read and written.
    Finish { reason: String, usage: Usage },
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: u32,
    pub output_tokens: u32,
}

/// Why a provider did not answer.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// 429: too many requests; try again after `retry_after` when it says.
    #[error("rate limited (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    /// Away or failing: a 5xx, a refused connection, a timeout, a broken stream.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// It refused the request itself (a 4xx other than 429): trying again will not help.
    #[error("refused: {0}")]
    Refused(String),
    /// It answered, but not in the shape asked for (a structured answer that breaks its
    /// schema): asked again, as a model may do better the next time.
    #[error("malformed: {0}")]
    Malformed(String),
}

impl ProviderError {
    /// Whether it says the provider is away or overwhelmed (what opens its breaker).
    fn unhealthy(&self) -> bool {
        !matches!(
            self,
            ProviderError::Refused(_) | ProviderError::Malformed(_)
        )
    }
}

/// What a provider streams: its events in order, then the channel closes.
pub type Events = tokio::sync::mpsc::Receiver<Result<Event, ProviderError>>;

/// A provider of chat completions.
pub trait Provider: Send + Sync + std::fmt::Debug {
    /// Its name in the settings, figures and answers (`openai`).
    fn name(&self) -> &str;
    /// The model it runs.
    fn model(&self) -> &str;
    /// The `gen_ai.provider.name` of OpenTelemetry's conventions (`openai`, `anthropic`).
    fn system(&self) -> &'static str;
    /// Starts an answer; it has begun once the first event arrives.
    fn chat(&self, request: &pb::ChatRequest) -> Starting;
    /// Whether it calls tools well enough to be sent a request that offers them.
    fn uses_tools(&self) -> bool {
        true
    }
}

/// An answer starting: its events once the provider has taken the request.
pub type Starting = futures_util::future::BoxFuture<'static, Result<Events, ProviderError>>;

/// Which protocol a provider speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// OpenAI's `/chat/completions`, as OpenAI, vLLM, llama.cpp's server and Ollama serve it.
    OpenAi,
    /// Anthropic's `/v1/messages`.
    Anthropic,
}

/// One provider (`[[inference.llm.providers]]`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    pub name: String,
    pub kind: Kind,
    /// The API's base URL: `https://api.openai.com/v1`, `https://api.anthropic.com`.
    pub url: String,
    /// Its key; never printed.
    #[serde(default)]
    pub key: Secret,
    pub model: String,
    /// How long the first event may take, and then each next one.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Retries after a failure or a 429, before the next provider.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// US dollars a million input and output tokens; unset, the price table's (`cost`).
    #[serde(default)]
    pub prices: Option<cost::Price>,
}

fn default_timeout_ms() -> u64 {
    20_000
}

fn default_retries() -> u32 {
    2
}

/// The LLM gateway's settings (`[inference.llm]`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    /// Tried in order; then the local model when there is one; after the last, the shop's
    /// own deterministic answer.
    pub providers: Vec<ProviderConfig>,
    /// The model in the shop's own process (`[inference.llm.local]`).
    pub local: local::LocalConfig,
    /// Tokens (in and out) one caller may spend an hour, across features.
    pub caller_tokens_per_hour: u64,
    /// Requests one caller may make a minute.
    pub caller_requests_per_minute: u32,
    /// Tokens a feature (`assistant`, `api`) may spend an hour, across callers; a feature not
    /// named has no budget of its own.
    pub feature_tokens_per_hour: std::collections::BTreeMap<String, u64>,
    /// The longest `Retry-After` waited for; a longer one moves on to the next provider.
    pub longest_retry_wait_ms: u64,
    /// Answers kept for a repeated request (0: no cache), and for how long.
    pub cache_entries: usize,
    pub cache_ttl_ms: u64,
    /// The cosine of two single questions' embeddings at which the second gets the first's
    /// answer (above 1: never).
    pub semantic_similarity: f64,
    /// Failures in a row that open a provider's breaker, and how long it stays open.
    pub breaker_failures: u32,
    pub breaker_open_ms: u64,
}

impl Default for LlmConfig {
    fn default() -> LlmConfig {
        LlmConfig {
            providers: Vec::new(),
            local: local::LocalConfig::default(),
            caller_tokens_per_hour: 200_000,
            caller_requests_per_minute: 60,
            feature_tokens_per_hour: std::collections::BTreeMap::new(),
            longest_retry_wait_ms: 10_000,
            cache_entries: 1_000,
            cache_ttl_ms: 600_000,
            semantic_similarity: 0.95,
            breaker_failures: 3,
            breaker_open_ms: 30_000,
        }
    }
}

/// The providers `config` names, each speaking its protocol over `http`.
fn providers(
    config: &LlmConfig,
    http: &reqwest::Client,
) -> anyhow::Result<Vec<std::sync::Arc<dyn Provider>>> {
    config
        .providers
        .iter()
        .map(|provider| -> anyhow::Result<std::sync::Arc<dyn Provider>> {
            anyhow::ensure!(
                provider.url.starts_with("http://") || provider.url.starts_with("https://"),
                "inference.llm.providers `{}`: url `{}` is not an http(s) URL",
                provider.name,
                provider.url
            );
            Ok(match provider.kind {
                Kind::OpenAi => std::sync::Arc::new(openai::OpenAi::new(provider, http.clone())),
                Kind::Anthropic => {
                    std::sync::Arc::new(anthropic::Anthropic::new(provider, http.clone()))
                }
            })
        })
        .collect()
}

/// Sends `request` and passes its events on from a task of their own, `read` making them of
/// the server-sent events.
fn streamed<Read, Reading>(request: reqwest::RequestBuilder, idle: Duration, read: Read) -> Starting
where
    Read: FnOnce(sse::Reader, tokio::sync::mpsc::Sender<Result<Event, ProviderError>>) -> Reading
        + Send
        + 'static,
    Reading: Future<Output = ()> + Send + 'static,
{
    Box::pin(async move {
        let response = send(request, idle).await?;
        let (sender, events) = tokio::sync::mpsc::channel(32);
        tokio::spawn(read(sse::Reader::new(response, idle), sender));
        Ok(events)
    })
}

/// Sends `request` and waits at most `patience` for its answer to begin; a status other than
/// success becomes the provider's error, with a 429's `Retry-After`.
async fn send(
    request: reqwest::RequestBuilder,
    patience: Duration,
) -> Result<reqwest::Response, ProviderError> {
    let response = tokio::time::timeout(patience, request.send())
        .await
        .map_err(|_| {
            ProviderError::Unavailable(format!("no answer in {} ms", patience.as_millis()))
        })?
        .map_err(|error| ProviderError::Unavailable(format!("the request failed: {error}")))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = retry_after(response.headers());
    let body = response.text().await.unwrap_or_default();
    let said = format!("{status}: {}", guard::shorten(&body, 200));
    Err(match status.as_u16() {
        429 => ProviderError::RateLimited { retry_after },
        408 | 500..=599 => ProviderError::Unavailable(said),
        _ => ProviderError::Refused(said),
    })
}

/// A `Retry-After` in seconds, or OpenAI's `retry-after-ms`; an HTTP date is not waited for.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let number = |name: &str| {
        headers
            .get(name)?
            .to_str()
            .ok()?
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|value| value.is_finite() && *value >= 0.0)
    };
    number("retry-after-ms")
        .map(|ms| Duration::from_secs_f64(ms / 1000.0))
        .or_else(|| number("retry-after").map(Duration::from_secs_f64))
}

/// A message of `role` saying `content`, for the providers' tests.
#[cfg(test)]
fn said(role: &str, content: &str) -> pb::ChatMessage {
    pb::ChatMessage {
        role: role.to_owned(),
        content: content.to_owned(),
        ..Default::default()
    }
}

/// The most messages, tools and bytes of text a chat request may carry.
const MOST_MESSAGES: usize = 256;
const MOST_TOOLS: usize = 64;
const MOST_BYTES: usize = 256 * 1024;

fn invalid(field: &'static str, reason: String) -> crate::domain::Invalid {
    crate::domain::Invalid { field, reason }
}

/// Refuses a chat request that no provider should see, naming the problem.
pub fn check(request: &pb::ChatRequest) -> Result<(), crate::domain::Invalid> {
    check_messages(&request.messages)?;
    if request.tools.len() > MOST_TOOLS {
        let count = request.tools.len();
        return Err(invalid(
            "tools",
            format!("{count} tools: at most {MOST_TOOLS}"),
        ));
    }
    for tool in &request.tools {
        let named = !tool.name.is_empty()
            && tool.name.len() <= 64
            && tool
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !named {
            let reason = format!(
                "`{}` is not a tool name (1 to 64 of a-z, A-Z, 0-9, _ and -)",
                tool.name
            );
            return Err(invalid("tools", reason));
        }
        let schema: Result<serde_json::Value, _> = serde_json::from_str(&tool.parameters);
        if !tool.parameters.is_empty() && !schema.is_ok_and(|schema| schema.is_object()) {
            let reason = format!(
                "tool `{}`: its parameters are not a JSON Schema object",
                tool.name
            );
            return Err(invalid("tools", reason));
        }
    }
    if !request.response_schema.is_empty() {
        let schema: serde_json::Value = serde_json::from_str(&request.response_schema)
            .map_err(|error| invalid("response_schema", format!("not JSON: {error}")))?;
        schema::check_schema(&schema, "").map_err(|reason| invalid("response_schema", reason))?;
    }
    if request
        .temperature
        .is_some_and(|t| !(0.0..=2.0).contains(&t))
    {
        return Err(invalid("temperature", "from 0 to 2".to_owned()));
    }
    Ok(())
}

/// Refuses messages no provider should see (or no conversation keep), naming the problem.
pub fn check_messages(messages: &[pb::ChatMessage]) -> Result<(), crate::domain::Invalid> {
    if messages.is_empty() || messages.len() > MOST_MESSAGES {
        let count = messages.len();
        return Err(invalid(
            "messages",
            format!("{count} messages: 1 to {MOST_MESSAGES}"),
        ));
    }
    for (at, message) in messages.iter().enumerate() {
        if !["system", "user", "assistant", "tool"].contains(&message.role.as_str()) {
            let reason = format!(
                "message {at}: role `{}` is not system, user, assistant or tool",
                message.role
            );
            return Err(invalid("messages", reason));
        }
        if message.role == "tool" && message.tool_call_id.is_empty() {
            let reason = format!("message {at}: a tool's answer names no tool_call_id");
            return Err(invalid("messages", reason));
        }
    }
    let bytes: usize = messages.iter().map(|message| message.content.len()).sum();
    if bytes > MOST_BYTES {
        return Err(invalid(
            "messages",
            format!("{bytes} bytes of text: at most {MOST_BYTES}"),
        ));
    }
    Ok(())
}
