//! The inference service (issue 16, being built): the models the shop runs in production as
//! versions in a registry, the traffic between them, and their answers. An embedding request
//! goes to the production version or, for its share, to a canary; a shadow embeds the same
//! texts afterwards and only its agreement with the answer (cosine) is recorded. Every answer
//! names the version that made it.
//!
//! - `domain`: the rules without IO (stages and their moves, routing, agreement, drift);
//! - `store`: the registry and the traffic in SQLite or PostgreSQL;
//! - `registry`: the registry as the service reads it, kept in memory and refreshed;
//! - `embed`: embedding requests, the canary and the shadow; `batch`: the texts of requests that
//!   arrive together, embedded together;
//! - `grpc`: the `Inference` service; `error`: its one mapping to gRPC; `plugin`: its place in
//!   a node.
//!
//! The gateway serves it as OpenAI's `/v1/embeddings` and `/v1/models`. Drift in production,
//! chat completions and the LLM gateway follow.

mod batch;
pub mod domain;
mod drift;
mod embed;
mod error;
mod grpc;
pub mod llm;
mod plugin;
mod registry;
pub mod standin;
mod store;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use crate::drift::DriftReport;
pub use crate::embed::Embedded;
pub use crate::error::Error;
pub use crate::grpc::InferenceGrpc;
pub use crate::plugin::Plugin;
use crate::registry::Registry;
pub use crate::registry::{EMBEDDING_MODEL, Model};
use crate::store::Store;

/// The inference service's settings (`[inference]`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub database_url: String,
    /// Where models that are not compiled in live (`semantic::load`).
    pub models_dir: String,
    /// The texts in each drift window: the reference (the first after a promotion) and the
    /// sliding one.
    pub drift_window: usize,
    /// Embeds the texts of requests that arrive together in one batch (`batch`); off, each
    /// request is a batch of its own.
    pub batching: bool,
    /// The LLM gateway (`[inference.llm]`).
    pub llm: llm::LlmConfig,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            database_url: String::new(),
            models_dir: "models".to_owned(),
            drift_window: 1_000,
            batching: true,
            llm: llm::LlmConfig::default(),
        }
    }
}

/// Says what the service's metrics mean, once the process's recorder is installed.
fn describe_metrics() {
    platform::telemetry::metrics();
    metrics::describe_counter!(
        "inference_requests_total",
        "Inference requests by model, version and role: answer (what the caller got), shadow (only compared) or shadow_skipped (the shadows were all busy)"
    );
    metrics::describe_gauge!(
        "inference_drift",
        "Population stability index of a feature of a production model's inputs, its sliding window against the reference taken after its promotion (above 0.2: drifted)"
    );
    metrics::describe_gauge!(
        "inference_drift_centroid_distance",
        "1 - cosine of the centroid of a production model's recent embeddings and the reference's"
    );
    metrics::describe_counter!(
        "llm_requests_total",
        "Chat requests through the LLM gateway by provider, feature and outcome: answered, cached, cached_by_meaning, failed (an attempt) or skipped (its breaker open, or tools offered to a model that calls none)"
    );
    metrics::describe_counter!(
        "llm_local_tokens_total",
        "Tokens the local model (in this process) has written"
    );
    metrics::describe_histogram!(
        "llm_local_load_seconds",
        "How long reading the local model's file took (once, on its first request)"
    );
    metrics::describe_counter!(
        "llm_tokens_total",
        "Tokens of the LLM gateway's answers by provider, model, feature and direction (input, output)"
    );
    metrics::describe_gauge!(
        "llm_spent_usd",
        "US dollars the LLM gateway's answers cost since the start, at the price table's prices, by provider, model and feature"
    );
    metrics::describe_counter!(
        "inference_batches_total",
        "Calls to an embedding model, each with the texts of one or more requests"
    );
    metrics::describe_counter!(
        "inference_batched_texts_total",
        "Texts embedded in batches (divided by inference_batches_total: the mean batch)"
    );
    metrics::describe_histogram!(
        "inference_shadow_agreement",
        "Cosine of the shadow version's embedding of a text with the answer's, by model and shadow version"
    );
}

/// The inference service: cheap to clone, every clone the same service.
#[derive(Clone, Debug)]
pub struct Inference {
    store: Store,
    registry: Arc<Registry>,
    drift: Arc<drift::Watches>,
    drift_window: usize,
    /// Shadows embedding at once, at most one per core.
    shadow_permits: Arc<tokio::sync::Semaphore>,
    batchers: Arc<batch::Batchers>,
    llm: llm::Llm,
}

impl Inference {
    /// Opens the database, registers the bundled models on a first start, and reads the
    /// registry.
    pub async fn build(config: &Config) -> anyhow::Result<Inference> {
        describe_metrics();
        let store = Store::open(&config.database_url).await?;
        let registry = Arc::new(Registry::new(std::path::PathBuf::from(&config.models_dir)));
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let inference = Inference {
            store,
            registry,
            drift: Arc::default(),
            drift_window: config.drift_window.max(10),
            shadow_permits: Arc::new(tokio::sync::Semaphore::new(cores)),
            batchers: Arc::new(batch::Batchers::new(cores, config.batching)),
            llm: llm::Llm::new(&config.llm)?,
        };
        inference.register_bundled().await?;
        inference.refresh().await?;
        Ok(inference)
    }

    /// The gRPC service to mount on a server or an in-process transport.
    pub fn grpc(&self) -> proto::inference::inference_server::InferenceServer<InferenceGrpc> {
        InferenceGrpc::server(self.clone())
    }

    /// The embedding batches made since the start, and the texts in them (their ratio is the
    /// mean batch).
    pub fn batches(&self) -> (u64, u64) {
        self.batchers.counts()
    }

    /// A chat completion for `caller` through the LLM gateway, streamed.
    pub async fn chat(
        &self,
        caller: &str,
        request: proto::inference::ChatRequest,
    ) -> Result<llm::Chunks, Error> {
        llm::check(&request)?;
        let meaning = match self.llm.is_question(&request) {
            true => self.meaning(&request).await,
            false => None,
        };
        Ok(self.llm.chat(caller, request, meaning).await?)
    }

    /// The production embedding of a single question's user message, for the semantic cache,
    /// with the embedder that made it; `None` when it cannot be made (the question is then
    /// only cached by its words).
    async fn meaning(&self, request: &proto::inference::ChatRequest) -> Option<(String, Vec<f32>)> {
        let asked = request.messages.iter().find(|m| m.role == "user")?;
        if asked.content.trim().is_empty() || asked.content.len() > embed::LONGEST_INPUT {
            return None;
        }
        // A roll past every canary's share: the production version, whatever the traffic.
        let (production, _) = self.registry.route(EMBEDDING_MODEL, 10_000).ok()?;
        let embedder = self.registry.embedder(&production.artefact).ok()?;
        let texts = Arc::new(vec![asked.content.clone()]);
        let done = self
            .batchers
            .embed(&production.artefact, embedder, texts)
            .await;
        let vector = done.ok()?.vectors.pop()?;
        Some((
            format!("{}@{}", production.artefact, production.sha256),
            vector,
        ))
    }

    /// Appends to one of `owner`'s conversations (a new one when it names none); the
    /// conversation as it now is.
    pub async fn append_to_conversation(
        &self,
        owner: &str,
        asked: proto::inference::AppendToConversationRequest,
    ) -> Result<proto::inference::Conversation, Error> {
        llm::check_messages(&asked.messages)?;
        let id = (!asked.conversation_id.is_empty()).then_some(asked.conversation_id.as_str());
        let answers = (!asked.answers_call.is_empty()).then_some(asked.answers_call.as_str());
        if let Some(call) = answers
            && asked
                .messages
                .first()
                .is_none_or(|first| first.tool_call_id != call)
        {
            let reason = format!("the first message must answer the call `{call}`");
            return Err(domain::Invalid {
                field: "answers_call",
                reason,
            }
            .into());
        }
        let new_id = format!("conv-{}", uuid_like());
        let now_ms = platform::unix_now_ms();
        let id = self
            .store
            .append(owner, id, &new_id, &asked.messages, answers, now_ms)
            .await?;
        self.conversation(owner, &id).await
    }

    /// `owner`'s conversation `id`.
    pub async fn conversation(
        &self,
        owner: &str,
        id: &str,
    ) -> Result<proto::inference::Conversation, Error> {
        let (created_at_unix_ms, messages) = self.store.conversation(owner, id).await?;
        Ok(proto::inference::Conversation {
            id: id.to_owned(),
            messages,
            created_at_unix_ms,
        })
    }

    /// The LLM gateway's providers in order, as (name, model); the fallback last.
    pub fn chat_providers(&self) -> Vec<(String, String)> {
        self.llm.providers()
    }

    /// Reads the registry and the traffic again (another replica's changes).
    pub async fn refresh(&self) -> anyhow::Result<()> {
        let versions = self.store.versions().await?;
        let traffic = self.store.traffic().await?;
        self.registry.replace(versions, traffic);
        Ok(())
    }

    /// Re-reads the registry every second until `shutdown`, so that every replica routes by
    /// the same versions within a second of a change.
    pub async fn follow_registry(self, shutdown: platform::Shutdown) {
        loop {
            tokio::select! {
                () = shutdown.wait() => return,
                () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            }
            if let Err(error) = self.refresh().await {
                tracing::warn!(error = format!("{error:#}"), "read the model registry");
            }
        }
    }
}

/// 128 random bits in hex: an identifier no one guesses.
fn uuid_like() -> String {
    format!("{:032x}", rand::random::<u128>())
}
