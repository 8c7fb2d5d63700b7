//! Embedding requests: checked, routed to production or the canary, embedded in a batch with
//! the requests beside them (`batch`), and watched by the shadow, whose agreement with the
//! answer is recorded.

use std::sync::Arc;

use crate::Inference;
use crate::batch::Done;
use crate::domain::{self, Invalid, Stage, Version};
use crate::error::Error;

/// The most texts one request may embed.
pub const MOST_INPUTS: usize = 2_048;
/// The longest text, in bytes; the model reads at most 256 tokens of it anyway.
pub const LONGEST_INPUT: usize = 32 * 1024;

/// An answer: the version that made every vector, and the tokens read.
#[derive(Clone, Debug)]
pub struct Embedded {
    pub model: String,
    pub version: u32,
    pub vectors: Vec<Vec<f32>>,
    pub prompt_tokens: usize,
}

fn check(inputs: &[String]) -> Result<(), Invalid> {
    let invalid = |reason: String| Invalid {
        field: "inputs",
        reason,
    };
    if inputs.is_empty() || inputs.len() > MOST_INPUTS {
        return Err(invalid(format!(
            "{} texts: 1 to {MOST_INPUTS}",
            inputs.len()
        )));
    }
    if let Some(at) = inputs.iter().position(|text| text.trim().is_empty()) {
        return Err(invalid(format!("text {at} is empty")));
    }
    if let Some(at) = inputs.iter().position(|text| text.len() > LONGEST_INPUT) {
        return Err(invalid(format!(
            "text {at} is longer than {LONGEST_INPUT} bytes"
        )));
    }
    Ok(())
}

/// Refuses to answer with weights other than those `version` was registered (and evaluated)
/// with.
fn check_artefact(version: &Version, loaded: Option<&str>) -> Result<(), Error> {
    match loaded {
        Some(loaded) if !version.sha256.is_empty() && loaded != version.sha256 => {
            Err(Error::ArtefactChanged {
                model: version.model.clone(),
                version: version.number,
                artefact: version.artefact.clone(),
                loaded: loaded.to_owned(),
                registered: version.sha256.clone(),
            })
        }
        _ => Ok(()),
    }
}

impl Inference {
    /// Embeds `inputs` with `model`'s version for this request.
    pub async fn embed(&self, model: &str, inputs: Vec<String>) -> Result<Embedded, Error> {
        check(&inputs)?;
        let roll = rand::random_range(0..10_000);
        let (answer, shadow) = self.registry.route(model, roll)?;
        let embedder = self.registry.embedder(&answer.artefact)?;
        check_artefact(&answer, embedder.sha256())?;
        let inputs = Arc::new(inputs);
        let Done {
            vectors,
            tokens: prompt_tokens,
        } = self
            .batchers
            .embed(&answer.artefact, embedder, inputs.clone())
            .await?;
        metrics::counter!("inference_requests_total", "model" => model.to_owned(), "version" => answer.number.to_string(), "role" => "answer").increment(1);
        if answer.stage == Stage::Production {
            self.observe_drift(model, answer.number, &inputs, &vectors)
                .await;
        }
        if let Some(shadow) = shadow {
            self.watch(
                model,
                shadow.number,
                &shadow.artefact,
                inputs,
                vectors.clone(),
            );
        }
        Ok(Embedded {
            model: model.to_owned(),
            version: answer.number,
            vectors,
            prompt_tokens,
        })
    }

    /// Embeds `inputs` with the shadow in the background and records how far its vectors agree
    /// with `answered`; the caller has its answer already.
    fn watch(
        &self,
        model: &str,
        number: u32,
        artefact: &str,
        inputs: Arc<Vec<String>>,
        answered: Vec<Vec<f32>>,
    ) {
        let (model, version) = (model.to_owned(), number.to_string());
        // A shadow only watches: when its work is all taken, the request goes unwatched (and
        // counted) instead of queueing behind the answers.
        let Ok(permit) = self.shadow_permits.clone().try_acquire_owned() else {
            metrics::counter!("inference_requests_total", "model" => model, "version" => version, "role" => "shadow_skipped").increment(1);
            return;
        };
        let embedder = match self.registry.embedder(artefact) {
            Ok(embedder) => embedder,
            Err(error) => {
                tracing::warn!(error = %error, artefact, "load a shadow's artefact");
                return;
            }
        };
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let watched = embedder.embed(&inputs);
            let agreement = metrics::histogram!("inference_shadow_agreement", "model" => model.clone(), "version" => version.clone());
            for (theirs, ours) in watched.iter().zip(&answered) {
                agreement.record(domain::agreement::cosine(theirs, ours));
            }
            metrics::counter!("inference_requests_total", "model" => model, "version" => version, "role" => "shadow").increment(1);
        });
    }
}
