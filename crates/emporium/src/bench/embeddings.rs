//! The embeddings' figures, through OpenAI's `POST /v1/embeddings` on the shop in one process: a
//! text alone at one connection (the latency a search query pays), texts a second when requests
//! carry many texts and when many requests carry one (what batching is for), the same shop with
//! batching off, and the model alone in this process on every core (the ceiling the HTTP path
//! is measured against).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};

use super::measure::{self, Target};
use super::shop;

/// Texts a request in the batched runs, as an indexing job sends them.
const TEXTS_A_REQUEST: usize = 64;
/// Connections of the batched runs: enough to keep both cores busy.
const BATCHED_CONNECTIONS: usize = 4;
/// Connections of the one-text runs at saturation, as many shoppers searching at once.
const MANY_CONNECTIONS: usize = 64;

/// One closed loop's figures.
#[derive(Clone, Debug)]
pub struct Row {
    pub what: &'static str,
    pub batching: bool,
    pub connections: usize,
    pub texts_a_request: usize,
    pub texts_per_second: f64,
    pub p50_micros: u64,
    pub p99_micros: u64,
    pub errors: u64,
}

/// What was measured.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    pub rows: Vec<Row>,
    /// The model alone, on every core of this process: texts a second.
    pub model_alone_per_second: f64,
    pub cores: usize,
}

/// A text like the shop's queries and product names, different for each `n`.
fn text(n: usize) -> String {
    const WORDS: [&str; 8] = [
        "linen", "apron", "cast", "iron", "pot", "walnut", "board", "kettle",
    ];
    format!(
        "{} {} {} for the kitchen, size {n}",
        WORDS[n % 8],
        WORDS[(n / 8) % 8],
        WORDS[(n / 64) % 8]
    )
}

fn request(base: &str, token: &str, texts: usize) -> anyhow::Result<Target> {
    let input: Vec<String> = (0..texts).map(text).collect();
    // As OpenAI's own client libraries ask by default: a quarter of the bytes of JSON floats.
    let body = serde_json::json!({
        "model": inference::EMBEDDING_MODEL,
        "input": input,
        "encoding_format": "base64",
    });
    let mut headers = HeaderMap::new();
    let authorization =
        HeaderValue::from_str(&format!("Bearer {token}")).context("put the token in a header")?;
    headers.insert(AUTHORIZATION, authorization);
    Ok(Target {
        url: format!("{base}/v1/embeddings"),
        headers,
        body: Some(serde_json::to_vec(&body)?.into()),
    })
}

/// The model alone: every core embedding `TEXTS_A_REQUEST` texts at a time for `duration`.
async fn model_alone(duration: Duration) -> anyhow::Result<(f64, usize)> {
    let embedder: Arc<dyn semantic::embed::Embedder> =
        Arc::new(semantic::embed::StaticEmbedder::bundled()?);
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let texts: Arc<Vec<String>> = Arc::new((0..TEXTS_A_REQUEST).map(text).collect());
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(cores);
    for _ in 0..cores {
        let (embedder, texts) = (embedder.clone(), texts.clone());
        tasks.push(tokio::task::spawn_blocking(move || {
            let mut embedded = 0;
            while started.elapsed() < duration {
                embedded += embedder.embed(&texts).len();
            }
            embedded
        }));
    }
    let mut embedded = 0;
    for task in tasks {
        embedded += task.await.context("join an embedding thread")?;
    }
    Ok((embedded as f64 / started.elapsed().as_secs_f64(), cores))
}

impl super::Bench<'_> {
    /// The embeddings' figures: the model alone, then a shop with batching and one without.
    pub(super) async fn embeddings(&mut self) -> anyhow::Result<Figures> {
        let duration = Duration::from_secs(self.args.seconds);
        eprintln!("bench: embeddings, the model alone on every core");
        let (model_alone_per_second, cores) = model_alone(duration).await?;
        let mut figures = Figures {
            model_alone_per_second,
            cores,
            ..Figures::default()
        };
        for batching in [true, false] {
            let folder = self.folder.join(format!("embeddings-batching-{batching}"));
            let settings = [
                shop::LOGS_AT_WARN[0],
                (
                    "EMPORIUM_INFERENCE__BATCHING",
                    if batching { "true" } else { "false" },
                ),
            ];
            eprintln!("bench: embeddings, the shop in one process, batching {batching}");
            let shop = shop::one_process(&self.binary, &folder, &settings).await?;
            let http = super::client()?;
            let email = format!("bench-{}@example.com", uuid::Uuid::new_v4().simple());
            let token = crate::load::sign_up(&http, &shop.base, &email)
                .await
                .context("sign a shopper up")?;
            let runs: &[(&'static str, usize, usize)] = match batching {
                true => &[
                    ("a text alone", 1, 1),
                    ("one text a request", MANY_CONNECTIONS, 1),
                    ("many texts a request", BATCHED_CONNECTIONS, TEXTS_A_REQUEST),
                ],
                false => &[
                    ("one text a request", MANY_CONNECTIONS, 1),
                    ("many texts a request", BATCHED_CONNECTIONS, TEXTS_A_REQUEST),
                ],
            };
            for &(what, connections, texts) in runs {
                eprintln!("bench: embeddings, {what}, {connections} connection(s)");
                let target = request(&shop.base, &token, texts)?;
                let timing = (super::WARM_UP, duration);
                let sample = measure::closed_loop(
                    &target,
                    connections,
                    timing,
                    &shop.pids(),
                    self.ticks_per_second,
                )
                .await?;
                anyhow::ensure!(
                    sample.requests > 0,
                    "embeddings, {what}: nothing answered; the first error: {:?}",
                    sample.first_error
                );
                figures.rows.push(Row {
                    what,
                    batching,
                    connections,
                    texts_a_request: texts,
                    texts_per_second: (sample.requests as usize * texts) as f64
                        / sample.elapsed.as_secs_f64(),
                    p50_micros: sample.p50_micros,
                    p99_micros: sample.p99_micros,
                    errors: sample.errors,
                });
            }
        }
        Ok(figures)
    }
}

/// The embeddings' section of the document.
pub fn markdown(figures: &Figures) -> String {
    let met = |ok: bool| if ok { "**met**" } else { "not met" };
    let mut out = String::from(
        "\n## Embeddings\n\n`POST /v1/embeddings` with a shopper's token on the shop in one \
         process (`emporium-embed`, its production version), vectors as base64 (the default of \
         OpenAI's client libraries), closed loops.\n\n\
         | request | batching | connections | texts a request | texts/s | p50 | p99 | errors |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for row in &figures.rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {:.0} | {:.2} ms | {:.2} ms | {} |\n",
            row.what,
            if row.batching { "on" } else { "off" },
            row.connections,
            row.texts_a_request,
            row.texts_per_second,
            row.p50_micros as f64 / 1000.0,
            row.p99_micros as f64 / 1000.0,
            row.errors
        ));
    }
    out.push_str(&format!(
        "| the model alone in this process, {} threads | | | {TEXTS_A_REQUEST} | {:.0} | | | |\n\n",
        figures.cores, figures.model_alone_per_second
    ));
    let find = |what: &str, batching: bool| {
        figures
            .rows
            .iter()
            .find(|row| row.what == what && row.batching == batching)
    };
    if let Some(alone) = find("a text alone", true) {
        let p99 = alone.p99_micros as f64 / 1000.0;
        out.push_str(&format!(
            "- A text alone, p99: {p99:.2} ms (target < 2 ms: {}).\n",
            met(p99 < 2.0)
        ));
    }
    if let Some(batched) = find("many texts a request", true) {
        out.push_str(&format!(
            "- Batched, texts a second: {:.0} (target ≥ 50,000: {}); {:.2}x the model alone.\n",
            batched.texts_per_second,
            met(batched.texts_per_second >= 50_000.0),
            batched.texts_per_second / figures.model_alone_per_second.max(1.0)
        ));
    }
    if let (Some(on), Some(off)) = (
        find("one text a request", true),
        find("one text a request", false),
    ) {
        out.push_str(&format!(
            "- One text a request at {MANY_CONNECTIONS} connections, batching on ÷ off: {:.2}x \
             the texts a second.\n",
            on.texts_per_second / off.texts_per_second.max(1.0)
        ));
    }
    out
}
