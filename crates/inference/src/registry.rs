//! The registry as the service reads it: every model's versions and traffic, kept in memory
//! (refreshed from the store after each change and every second), and the loaded artefacts.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use semantic::Embedder;

use crate::domain::{self, Route, Traffic, Version};
use crate::error::Error;
use crate::store::Change;
use crate::{Inference, domain::Stage};

/// The model the bundled embedders are versions of.
pub const EMBEDDING_MODEL: &str = "emporium-embed";

/// One model as read: its kind (`embedding`), versions and traffic.
#[derive(Clone, Debug)]
pub struct Model {
    pub kind: String,
    pub versions: Vec<Version>,
    pub traffic: Traffic,
}

pub(crate) struct Registry {
    models: RwLock<Arc<BTreeMap<String, Model>>>,
    models_dir: PathBuf,
    /// Artefacts by name, loaded on first use.
    loaded: RwLock<HashMap<String, Arc<dyn Embedder>>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Registry")
            .field("models", &self.models())
            .finish_non_exhaustive()
    }
}

impl Registry {
    pub(crate) fn new(models_dir: PathBuf) -> Registry {
        Registry {
            models: RwLock::default(),
            models_dir,
            loaded: RwLock::default(),
        }
    }

    pub(crate) fn replace(
        &self,
        versions: Vec<(String, Version)>,
        traffic: Vec<(String, Traffic)>,
    ) {
        let mut models: BTreeMap<String, Model> = BTreeMap::new();
        for (kind, version) in versions {
            models
                .entry(version.model.clone())
                .or_insert_with(|| Model {
                    kind,
                    versions: Vec::new(),
                    traffic: Traffic::default(),
                })
                .versions
                .push(version);
        }
        for (name, traffic) in traffic {
            if let Some(model) = models.get_mut(&name) {
                model.traffic = traffic;
            }
        }
        *self
            .models
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(models);
    }

    /// Every model, by name.
    pub(crate) fn models(&self) -> Arc<BTreeMap<String, Model>> {
        self.models
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub(crate) fn model(&self, name: &str) -> Result<Model, Error> {
        self.models()
            .get(name)
            .cloned()
            .ok_or_else(|| Error::UnknownModel(name.to_owned()))
    }

    /// The versions that answer and watch one request of `name`, given a roll in 0..10,000.
    pub(crate) fn route(&self, name: &str, roll: u32) -> Result<(Version, Option<Version>), Error> {
        let model = self.model(name)?;
        let production = domain::production(&model.versions)
            .ok_or_else(|| Error::NoProduction(name.to_owned()))?;
        let Route { answer, shadow } = domain::route(production.number, model.traffic, roll);
        // Only a candidate takes a canary's or a shadow's place (a change may have moved it).
        let find = |number: u32| {
            model
                .versions
                .iter()
                .find(|version| version.number == number && version.stage == Stage::Candidate)
                .cloned()
        };
        let answer = find(answer).unwrap_or_else(|| production.clone());
        Ok((answer, shadow.and_then(find)))
    }

    /// The artefact `name`, loaded once.
    pub(crate) fn embedder(&self, name: &str) -> Result<Arc<dyn Embedder>, Error> {
        if let Some(loaded) = self
            .loaded
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(name)
        {
            return Ok(loaded.clone());
        }
        let loaded = semantic::embed::load(name, &self.models_dir).map_err(Error::Unexpected)?;
        self.loaded
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(name.to_owned(), loaded.clone());
        Ok(loaded)
    }
}

/// The bundled embedders as versions of `emporium-embed`: the full model in production, its
/// first 128 dimensions as a candidate.
fn bundled(registry: &Registry, now_ms: i64) -> anyhow::Result<Vec<Version>> {
    let version = |number: u32,
                   artefact: &str,
                   stage: Stage,
                   evaluation: Vec<(String, f64)>|
     -> anyhow::Result<Version> {
        let embedder = registry
            .embedder(artefact)
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        Ok(Version {
            model: EMBEDDING_MODEL.to_owned(),
            number,
            artefact: artefact.to_owned(),
            sha256: embedder.sha256().unwrap_or_default().to_owned(),
            source: "models/minilm-static (model2vec distilled from sentence-transformers/all-MiniLM-L6-v2)".to_owned(),
            licence: "Apache-2.0".to_owned(),
            evaluation,
            stage,
            created_at_ms: now_ms,
            promoted_at_ms: (stage == Stage::Production).then_some(now_ms),
        })
    };
    // The search-quality benchmark's hybrid nDCG@10 with this model (docs/benchmarks.md).
    let full = vec![("ndcg@10".to_owned(), 0.678)];
    Ok(vec![
        version(1, semantic::embed::BUNDLED_NAME, Stage::Production, full)?,
        version(2, "minilm-static-128", Stage::Candidate, Vec::new())?,
    ])
}

impl Inference {
    /// Registers the bundled embedders unless the registry has them.
    pub(crate) async fn register_bundled(&self) -> anyhow::Result<()> {
        if self
            .store
            .versions()
            .await?
            .iter()
            .any(|(_, version)| version.model == EMBEDDING_MODEL)
        {
            return Ok(());
        }
        for version in bundled(&self.registry, platform::unix_now_ms())? {
            self.store.register("embedding", &version).await?;
        }
        Ok(())
    }
}

impl Inference {
    /// Every model as read now.
    pub fn models(&self) -> Vec<(String, Model)> {
        self.registry
            .models()
            .iter()
            .map(|(name, model)| (name.clone(), model.clone()))
            .collect()
    }

    /// Makes `number` production.
    pub async fn promote(&self, name: &str, number: u32) -> Result<Model, Error> {
        self.change(name, |versions, _| {
            let moves = domain::promote(versions, number)?;
            Ok(Change::Moves {
                moves,
                restore: false,
            })
        })
        .await
    }

    /// Puts back the version that was production before the current one.
    pub async fn roll_back(&self, name: &str) -> Result<Model, Error> {
        self.change(name, |versions, _| {
            let moves = domain::roll_back(versions)?;
            Ok(Change::Moves {
                moves,
                restore: true,
            })
        })
        .await
    }

    /// Archives a candidate.
    pub async fn retire(&self, name: &str, number: u32) -> Result<Model, Error> {
        self.change(name, |versions, _| {
            let moves = vec![domain::retire(versions, number)?];
            Ok(Change::Moves {
                moves,
                restore: false,
            })
        })
        .await
    }

    /// Sets the canary and the shadow.
    pub async fn set_traffic(&self, name: &str, traffic: Traffic) -> Result<Model, Error> {
        self.change(name, |versions, _| {
            Ok(Change::Traffic(domain::check_traffic(traffic, versions)?))
        })
        .await
    }

    /// Decides and writes a change in one transaction (`Store::change`), then reads the
    /// registry again; the change stands even when that read fails.
    async fn change(
        &self,
        name: &str,
        decide: impl FnOnce(&[Version], Traffic) -> Result<Change, domain::Invalid>,
    ) -> Result<Model, Error> {
        self.store
            .change(name, platform::unix_now_ms(), decide)
            .await?;
        tracing::info!(model = name, "model registry changed");
        if let Err(error) = self.refresh().await {
            tracing::warn!(
                error = format!("{error:#}"),
                "read the model registry after a change"
            );
        }
        self.registry.model(name)
    }
}
