//! The LLM gateway against the stand-in providers, over gRPC: each provider's wire protocol,
//! tool calls, retries that honour `Retry-After`, the fall to the next provider and at last to
//! the shop's own answer, the breaker, budgets and the cache.

use std::time::{Duration, Instant};

use inference::Config;
use inference::llm::{Kind, LlmConfig, ProviderConfig};
use inference::standin::{Fault, StandIn};
use platform::config::Secret;
use platform::transport::request;
use proto::inference as pb;
use proto::inference::inference_client::InferenceClient;
use tonic::Code;

use crate::TestInference;

const KEY: &str = "sk-standin-test";

async fn standin() -> StandIn {
    StandIn::start("127.0.0.1:0".parse().unwrap(), KEY)
        .await
        .unwrap()
}

fn provider(name: &str, kind: Kind, standin: &StandIn, model: &str) -> ProviderConfig {
    let url = match kind {
        Kind::OpenAi => format!("{}/v1", standin.url),
        Kind::Anthropic => standin.url.clone(),
    };
    ProviderConfig {
        name: name.to_owned(),
        kind,
        url,
        key: Secret::new(KEY),
        model: model.to_owned(),
        timeout_ms: 5_000,
        retries: 2,
        prices: None,
    }
}

async fn gateway(llm: LlmConfig) -> TestInference {
    let config = Config {
        llm,
        ..Config::default()
    };
    TestInference::spawn_with("sqlite", config).await
}

pub(crate) fn user(text: &str) -> pb::ChatMessage {
    pb::ChatMessage {
        role: "user".to_owned(),
        content: text.to_owned(),
        ..Default::default()
    }
}

fn search_tool() -> pb::Tool {
    pb::Tool {
        name: "search_products".to_owned(),
        description: "Searches the catalogue".to_owned(),
        parameters:
            r#"{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}"#
                .to_owned(),
    }
}

/// The chunks of one answer, or the status that refused or broke it.
pub(crate) async fn chat(
    app: &TestInference,
    message: pb::ChatRequest,
) -> Result<Vec<pb::ChatChunk>, tonic::Status> {
    let mut client = InferenceClient::new(app.transports.in_process.clone());
    let mut stream = client
        .chat(request(message, &app.user()))
        .await?
        .into_inner();
    let mut chunks = Vec::new();
    while let Some(chunk) = stream.message().await? {
        chunks.push(chunk);
    }
    Ok(chunks)
}

pub(crate) fn text(chunks: &[pb::ChatChunk]) -> String {
    chunks.iter().map(|chunk| chunk.delta.as_str()).collect()
}

pub(crate) fn asking(messages: Vec<pb::ChatMessage>, tools: Vec<pb::Tool>) -> pb::ChatRequest {
    pb::ChatRequest {
        model: "emporium-chat".to_owned(),
        messages,
        tools,
        feature: "api".to_owned(),
        ..Default::default()
    }
}

#[tokio::test]
async fn an_openai_provider_streams_words_and_tool_calls_and_each_answer_is_priced() {
    let standin = standin().await;
    let llm = LlmConfig {
        providers: vec![provider("openai", Kind::OpenAi, &standin, "gpt-4o-mini")],
        cache_entries: 0,
        ..LlmConfig::default()
    };
    let app = gateway(llm).await;
    let chunks = chat(&app, asking(vec![user("is there a linen apron?")], vec![]))
        .await
        .unwrap();
    assert!(chunks.len() > 3, "streamed in words: {chunks:?}");
    assert_eq!(text(&chunks), "Stand-in answer to: is there a linen apron?");
    let last = chunks.last().unwrap();
    assert_eq!(
        (
            last.finish_reason.as_str(),
            last.provider.as_str(),
            last.model.as_str()
        ),
        ("stop", "openai", "gpt-4o-mini")
    );
    let usage = last.usage.unwrap();
    assert_eq!(usage.input_tokens, 5);
    assert!(last.cost_usd > 0.0 && !last.cached);
    let seen = &standin.seen()[0];
    assert_eq!(seen.path, "/v1/chat/completions");
    assert_eq!(seen.headers["authorization"], format!("Bearer {KEY}"));
    assert_eq!(seen.body["stream_options"]["include_usage"], true);

    let chunks = chat(&app, asking(vec![user("linen apron")], vec![search_tool()]))
        .await
        .unwrap();
    let calls: Vec<&pb::ToolCall> = chunks.iter().flat_map(|chunk| &chunk.tool_calls).collect();
    assert_eq!(calls.len(), 1, "{chunks:?}");
    assert_eq!(calls[0].name, "search_products");
    let arguments: serde_json::Value = serde_json::from_str(&calls[0].arguments).unwrap();
    assert_eq!(arguments["query"], "linen apron");
    assert_eq!(chunks.last().unwrap().finish_reason, "tool_calls");
    assert_eq!(
        standin.seen()[1].body["tools"][0]["function"]["name"],
        "search_products"
    );
}

#[tokio::test]
async fn anthropic_gets_its_own_wire_a_system_prompt_apart_and_a_tools_answer_back() {
    let standin = standin().await;
    let llm = LlmConfig {
        providers: vec![provider(
            "anthropic",
            Kind::Anthropic,
            &standin,
            "claude-3-5-haiku-latest",
        )],
        ..LlmConfig::default()
    };
    let app = gateway(llm).await;
    let system = pb::ChatMessage {
        role: "system".to_owned(),
        content: "You help shoppers.".to_owned(),
        ..Default::default()
    };
    let call = pb::ToolCall {
        id: "toolu_9".to_owned(),
        name: "search_products".to_owned(),
        arguments: r#"{"query":"apron"}"#.to_owned(),
    };
    let messages = vec![
        system,
        user("an apron?"),
        pb::ChatMessage {
            role: "assistant".to_owned(),
            tool_calls: vec![call],
            ..Default::default()
        },
        pb::ChatMessage {
            role: "tool".to_owned(),
            tool_call_id: "toolu_9".to_owned(),
            content: "KIT-00001 Linen apron".to_owned(),
            ..Default::default()
        },
    ];
    let chunks = chat(&app, asking(messages, vec![search_tool()]))
        .await
        .unwrap();
    assert_eq!(text(&chunks), "Here is what I found: KIT-00001 Linen apron");
    let last = chunks.last().unwrap();
    assert_eq!(
        (last.provider.as_str(), last.finish_reason.as_str()),
        ("anthropic", "stop")
    );
    assert!(last.cost_usd > 0.0);
    let seen = &standin.seen()[0];
    assert_eq!(seen.path, "/v1/messages");
    assert_eq!(seen.headers["x-api-key"], KEY);
    assert_eq!(seen.headers["anthropic-version"], "2023-06-01");
    assert_eq!(seen.body["system"], "You help shoppers.");
    assert_eq!(
        seen.body["messages"][2]["content"][0]["type"],
        "tool_result"
    );
    assert_eq!(
        seen.body["tools"][0]["input_schema"]["required"][0],
        "query"
    );
}

#[tokio::test]
async fn a_429_waits_its_retry_after_and_a_failing_provider_falls_to_the_next() {
    let (first, second) = (standin().await, standin().await);
    let llm = LlmConfig {
        providers: vec![
            provider("first", Kind::OpenAi, &first, "gpt-4o-mini"),
            provider(
                "second",
                Kind::Anthropic,
                &second,
                "claude-3-5-haiku-latest",
            ),
        ],
        cache_entries: 0,
        ..LlmConfig::default()
    };
    let app = gateway(llm).await;
    first.then([Fault::Status(429, Some(1))]);
    let started = Instant::now();
    let chunks = chat(&app, asking(vec![user("a kettle")], vec![]))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(chunks.last().unwrap().provider, "first");
    assert_eq!(first.seen().len(), 2);

    // A stream broken before it began is tried again; three 500s move on to the next.
    first.then([
        Fault::BreakOff,
        Fault::Status(500, None),
        Fault::Status(500, None),
    ]);
    let chunks = chat(&app, asking(vec![user("a pot")], vec![]))
        .await
        .unwrap();
    assert_eq!(chunks.last().unwrap().provider, "second");
    assert_eq!(text(&chunks), "Stand-in answer to: a pot");
    assert_eq!((first.seen().len(), second.seen().len()), (5, 1));
}

#[tokio::test]
async fn with_every_provider_down_the_shop_answers_itself_and_the_breaker_stops_calling() {
    let standin = standin().await;
    let mut only = provider("only", Kind::OpenAi, &standin, "gpt-4o-mini");
    only.retries = 1;
    let llm = LlmConfig {
        providers: vec![only],
        breaker_failures: 2,
        ..LlmConfig::default()
    };
    let app = gateway(llm).await;
    standin.then((0..10).map(|_| Fault::Status(503, None)));
    let chunks = chat(&app, asking(vec![user("a board")], vec![]))
        .await
        .unwrap();
    let last = chunks.last().unwrap();
    assert_eq!(
        (last.provider.as_str(), last.finish_reason.as_str()),
        ("fallback", "stop")
    );
    assert!(text(&chunks).contains("\"a board\""), "{}", text(&chunks));
    assert_eq!(standin.seen().len(), 2);

    let chunks = chat(&app, asking(vec![user("a board")], vec![]))
        .await
        .unwrap();
    assert_eq!(chunks.last().unwrap().provider, "fallback");
    assert_eq!(
        standin.seen().len(),
        2,
        "the open breaker kept the call away"
    );
}

#[tokio::test]
async fn a_repeated_question_comes_from_the_cache_and_a_caller_over_its_budget_is_told_when_to_return()
 {
    let standin = standin().await;
    let llm = LlmConfig {
        providers: vec![provider("openai", Kind::OpenAi, &standin, "gpt-4o-mini")],
        caller_requests_per_minute: 5,
        ..LlmConfig::default()
    };
    let app = gateway(llm).await;
    let question = || asking(vec![user("walnut board")], vec![]);
    let fresh = chat(&app, question()).await.unwrap();
    let again = chat(&app, question()).await.unwrap();
    assert_eq!(text(&again), text(&fresh));
    assert!(again.last().unwrap().cached);
    assert_eq!(again.last().unwrap().cost_usd, 0.0);
    assert_eq!(standin.seen().len(), 1);
    let mut sampled = question();
    sampled.temperature = Some(0.8);
    assert!(!chat(&app, sampled).await.unwrap().last().unwrap().cached);

    // Asked again in other words: the semantic cache; another question: the provider.
    let reworded = chat(&app, asking(vec![user("Walnut board?")], vec![]))
        .await
        .unwrap();
    assert!(reworded.last().unwrap().cached, "{reworded:?}");
    assert_eq!(text(&reworded), text(&fresh));
    assert_eq!(standin.seen().len(), 2);
    let other = chat(&app, asking(vec![user("walnut salad bowl?")], vec![]))
        .await
        .unwrap();
    assert!(!other.last().unwrap().cached);
    assert_eq!(standin.seen().len(), 3);

    let refused = chat(&app, question()).await.unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert!(
        refused.message().contains("requests a minute"),
        "{}",
        refused.message()
    );
    let seconds: u64 = refused
        .metadata()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&seconds));

    let bad = asking(
        vec![pb::ChatMessage {
            role: "wizard".to_owned(),
            ..user("hi")
        }],
        vec![],
    );
    let refused = chat(&app, bad).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        refused.message().contains("role `wizard`"),
        "{}",
        refused.message()
    );
}

#[tokio::test]
async fn a_structured_answer_is_held_to_its_schema_and_a_garbled_one_goes_to_the_next_provider() {
    let (first, second) = (standin().await, standin().await);
    let llm = LlmConfig {
        providers: vec![
            provider("first", Kind::OpenAi, &first, "gpt-4o-mini"),
            provider(
                "second",
                Kind::Anthropic,
                &second,
                "claude-3-5-haiku-latest",
            ),
        ],
        cache_entries: 0,
        ..LlmConfig::default()
    };
    let app = gateway(llm).await;
    let schema = r#"{"type":"object","properties":{"query":{"type":"string"},"max_price":{"type":"number","minimum":1}},"required":["query","max_price"],"additionalProperties":false}"#;
    let structured = || pb::ChatRequest {
        response_schema: schema.to_owned(),
        ..asking(vec![user("summer shoes")], vec![])
    };
    let chunks = chat(&app, structured()).await.unwrap();
    let answer: serde_json::Value = serde_json::from_str(&text(&chunks)).unwrap();
    assert_eq!(answer["query"], "summer shoes");
    assert_eq!(chunks.last().unwrap().provider, "first");
    assert_eq!(
        first.seen()[0].body["response_format"]["type"],
        "json_schema"
    );

    // Garbled once: retried. Garbled on every try: the second provider, asked its own way.
    first.then([Fault::Garbled]);
    let chunks = chat(&app, structured()).await.unwrap();
    assert_eq!(
        chunks.last().unwrap().provider,
        "first",
        "retried after the garble"
    );
    first.then([Fault::Garbled, Fault::Garbled, Fault::Garbled]);
    let chunks = chat(&app, structured()).await.unwrap();
    assert_eq!(chunks.last().unwrap().provider, "second");
    let answer: serde_json::Value = serde_json::from_str(&text(&chunks)).unwrap();
    assert_eq!(answer["max_price"], 1.0);
    let system = second.seen()[0].body["system"].as_str().unwrap().to_owned();
    assert!(system.contains("JSON Schema"), "{system}");

    // Every provider garbled: no answer rather than one that breaks the schema.
    first.then([Fault::Garbled, Fault::Garbled, Fault::Garbled]);
    second.then([Fault::Garbled, Fault::Garbled, Fault::Garbled]);
    let refused = chat(&app, structured()).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable);
    assert!(
        refused.message().contains("response_schema"),
        "{}",
        refused.message()
    );

    let unsupported = pb::ChatRequest {
        response_schema: r#"{"type":"string","pattern":"^a"}"#.to_owned(),
        ..asking(vec![user("hi")], vec![])
    };
    let refused = chat(&app, unsupported).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        refused.message().contains("`pattern` is not supported"),
        "{}",
        refused.message()
    );
}
