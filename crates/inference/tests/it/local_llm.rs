//! The local model (SmolLM2-135M-Instruct on candle) through the gateway, when
//! `EMPORIUM_TEST_LOCAL_LLM` names its GGUF file (`.ci/run` installs it): it answers in
//! words that make sense, streamed, with its tokens counted; the same prompt at temperature 0
//! gets the same answer; a longer conversation than it can read is cut to fit.

use inference::Config;
use inference::llm::LlmConfig;
use inference::llm::local::{self, LocalConfig};
use proto::inference as pb;

use crate::TestInference;
use crate::llm::{asking, chat, text, user};

fn model() -> Option<String> {
    let path = std::env::var("EMPORIUM_TEST_LOCAL_LLM").ok()?;
    assert!(
        std::path::Path::new(&path).is_file(),
        "EMPORIUM_TEST_LOCAL_LLM={path} is not a file"
    );
    Some(path)
}

/// The service with `local` its one model, no cache.
async fn shop(local: LocalConfig) -> TestInference {
    let llm = LlmConfig {
        local,
        cache_entries: 0,
        ..LlmConfig::default()
    };
    let config = Config {
        llm,
        ..Config::default()
    };
    TestInference::spawn_with("sqlite", config).await
}

fn greedy(messages: Vec<pb::ChatMessage>) -> pb::ChatRequest {
    pb::ChatRequest {
        temperature: Some(0.0),
        max_tokens: 48,
        ..asking(messages, vec![])
    }
}

#[tokio::test]
async fn the_local_model_answers_in_words_that_make_sense_and_counts_its_tokens() {
    let Some(path) = model() else { return };
    let app = shop(LocalConfig {
        model: path,
        ..LocalConfig::default()
    })
    .await;
    let question = greedy(vec![user("What is the capital of France?")]);
    let chunks = chat(&app, question.clone()).await.unwrap();
    let answer = text(&chunks);
    assert!(answer.contains("Paris"), "{answer}");
    assert!(chunks.len() > 3, "streamed in words: {chunks:?}");
    let last = chunks.last().unwrap();
    assert_eq!(last.provider, "local");
    assert_eq!(last.model, "SmolLM2-135M-Instruct.Q4_1");
    let usage = last.usage.unwrap();
    // The system prompt, the question and the turns' markers: 30 to 60 tokens of ChatML.
    assert!((30..60).contains(&usage.input_tokens), "{usage:?}");
    assert!(
        usage.output_tokens > 0 && usage.output_tokens <= 48,
        "{usage:?}"
    );
    let again = chat(&app, question).await.unwrap();
    assert_eq!(text(&again), answer, "the same prompt at temperature 0");
}

#[tokio::test]
async fn a_conversation_longer_than_the_model_reads_keeps_its_last_messages() {
    let Some(path) = model() else { return };
    let app = shop(LocalConfig {
        model: path,
        context_tokens: 160,
        ..LocalConfig::default()
    })
    .await;
    let long = "Tell me about socks. ".repeat(40);
    let messages = vec![
        user(&long),
        pb::ChatMessage {
            role: "assistant".to_owned(),
            content: "Socks keep feet warm.".to_owned(),
            ..Default::default()
        },
        user("What is the capital of France?"),
    ];
    let chunks = chat(&app, greedy(messages)).await.unwrap();
    let last = chunks.last().unwrap();
    assert_eq!(last.provider, "local", "{chunks:?}");
    let usage = last.usage.unwrap();
    assert!(usage.input_tokens + 48 <= 160, "{usage:?}");
    assert!(text(&chunks).contains("Paris"), "{}", text(&chunks));
}

#[tokio::test]
async fn a_model_file_answers_only_when_it_is_the_one_expected() {
    let Some(path) = model() else { return };
    for (sha256, answered_by) in [
        (local::PACKAGED_SHA256.to_owned(), "local"),
        ("0".repeat(64), "fallback"),
    ] {
        let app = shop(LocalConfig {
            model: path.clone(),
            sha256,
            ..LocalConfig::default()
        })
        .await;
        let asked = greedy(vec![user("What is the capital of France?")]);
        let chunks = chat(&app, asked).await.unwrap();
        assert_eq!(chunks.last().unwrap().provider, answered_by, "{chunks:?}");
    }
}
