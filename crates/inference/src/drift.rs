//! Drift in production: what each model's production version is asked and answers, over a
//! sliding window, against the reference window taken when it first filled after the version's
//! promotion (kept in the database, so a restart or another replica measures against the same).
//! The indexes go to Prometheus (`inference_drift`), where an alert rule watches them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use crate::Inference;
use crate::domain::drift::{Bins, Centroid, DRIFT_THRESHOLD, Feature};

/// How often, in observations, the indexes are computed again.
const MEASURE_EVERY: u64 = 50;

/// One production version's watch.
#[derive(Debug)]
pub(crate) struct Watch {
    version: u32,
    features: Vec<Feature>,
    centroid: Centroid,
    observed: u64,
    /// The reference was read from the store (or there was none to read).
    loaded: bool,
}

/// What a model's drift is now.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DriftReport {
    pub model: String,
    pub version: u32,
    pub observed: u64,
    pub reference_taken: bool,
    /// The population stability index of each feature, once both windows are full.
    pub features: BTreeMap<String, Option<f64>>,
    /// 1 − cosine of the window's embedding centroid and the reference's.
    pub centroid_distance: Option<f64>,
    /// Whether a feature's index is above the threshold (0.2).
    pub drifted: bool,
}

impl Watch {
    fn new(version: u32, window: usize) -> Watch {
        let words = Bins::new(&[1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0]);
        let characters = Bins::new(&[8.0, 16.0, 24.0, 32.0, 48.0, 64.0, 96.0, 128.0, 256.0]);
        Watch {
            version,
            features: vec![
                Feature::new("words", words, window),
                Feature::new("characters", characters, window),
            ],
            centroid: Centroid::new(window),
            observed: 0,
            loaded: false,
        }
    }

    fn observe(&mut self, text: &str, vector: &[f32]) {
        let words = text.split_whitespace().count() as f64;
        let characters = text.chars().count() as f64;
        for (feature, value) in self.features.iter_mut().zip([words, characters]) {
            feature.observe(value);
        }
        self.centroid.observe(vector);
        self.observed += 1;
    }

    fn has_reference(&self) -> bool {
        self.centroid.reference().is_some()
            && self
                .features
                .iter()
                .all(|feature| feature.reference().is_some())
    }

    /// Takes the windows as the reference once they are all full; answers it to keep.
    fn reference_due(&mut self) -> Option<crate::store::Reference> {
        if self.has_reference()
            || !self.centroid.is_full()
            || !self.features.iter().all(Feature::is_full)
        {
            return None;
        }
        self.features.iter_mut().for_each(Feature::take_reference);
        self.centroid.take_reference();
        Some(self.reference())
    }

    fn reference(&self) -> crate::store::Reference {
        let features = self
            .features
            .iter()
            .map(|feature| {
                (
                    feature.name.to_owned(),
                    feature.reference().unwrap_or_default().to_vec(),
                )
            })
            .collect();
        (
            features,
            self.centroid.reference().unwrap_or_default().to_vec(),
        )
    }

    fn set_reference(&mut self, (features, centroid): crate::store::Reference) {
        for feature in &mut self.features {
            if let Some(shares) = features.get(feature.name) {
                feature.set_reference(shares.clone());
            }
        }
        self.centroid.set_reference(centroid);
    }

    fn report(&self, model: &str) -> DriftReport {
        let features: BTreeMap<String, Option<f64>> = self
            .features
            .iter()
            .map(|feature| (feature.name.to_owned(), feature.stability()))
            .collect();
        let drifted = features
            .values()
            .flatten()
            .any(|index| *index > DRIFT_THRESHOLD);
        DriftReport {
            model: model.to_owned(),
            version: self.version,
            observed: self.observed,
            reference_taken: self.has_reference(),
            features,
            centroid_distance: self.centroid.distance(),
            drifted,
        }
    }
}

/// Every production version's watch, by model.
#[derive(Debug, Default)]
pub(crate) struct Watches(Mutex<HashMap<String, Watch>>);

impl Inference {
    /// Counts an answer of `model`'s production `version` into its drift.
    pub(crate) async fn observe_drift(
        &self,
        model: &str,
        version: u32,
        texts: &[String],
        vectors: &[Vec<f32>],
    ) {
        if self.watch_needs_loading(model, version) {
            let stored = self.store.drift_reference(model, version).await;
            let mut watches = self
                .drift
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(watch) = watches
                .get_mut(model)
                .filter(|watch| watch.version == version && !watch.loaded)
            {
                watch.loaded = true;
                match stored {
                    Ok(Some(reference)) => watch.set_reference(reference),
                    Ok(None) => {}
                    Err(error) => {
                        tracing::warn!(error = format!("{error:#}"), "read a drift reference")
                    }
                }
            }
        }
        let (due, report) = {
            let mut watches = self
                .drift
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let Some(watch) = watches.get_mut(model) else {
                return;
            };
            let before = watch.observed;
            for (text, vector) in texts.iter().zip(vectors) {
                watch.observe(text, vector);
            }
            let due = watch.reference_due();
            let measure = before / MEASURE_EVERY != watch.observed / MEASURE_EVERY;
            (due, measure.then(|| watch.report(model)))
        };
        if let Some(reference) = due {
            self.keep_reference(model, version, &reference).await;
        }
        if let Some(report) = report {
            export(&report);
        }
    }

    /// Keeps the reference just taken, unless another replica kept one first: then this
    /// replica measures against that one too.
    async fn keep_reference(&self, model: &str, version: u32, reference: &crate::store::Reference) {
        let now = platform::unix_now_ms();
        if let Err(error) = self
            .store
            .keep_drift_reference(model, version, reference, now)
            .await
        {
            tracing::warn!(error = format!("{error:#}"), "keep a drift reference");
            return;
        }
        match self.store.drift_reference(model, version).await {
            Ok(Some(kept)) if &kept != reference => {
                let mut watches = self
                    .drift
                    .0
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                if let Some(watch) = watches
                    .get_mut(model)
                    .filter(|watch| watch.version == version)
                {
                    watch.set_reference(kept);
                }
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(error = format!("{error:#}"), "read a drift reference"),
        }
    }

    /// Makes a watch for `version` when the model has none or one of another version (a
    /// promotion starts again); answers whether its reference is still to be read.
    fn watch_needs_loading(&self, model: &str, version: u32) -> bool {
        let mut watches = self
            .drift
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let watch = watches
            .entry(model.to_owned())
            .or_insert_with(|| Watch::new(version, self.drift_window));
        if watch.version != version {
            // The version left production: its indexes stop saying anything (and alerting).
            let mut left = watch.report(model);
            left.features
                .values_mut()
                .for_each(|index| *index = Some(0.0));
            left.centroid_distance = Some(0.0);
            export(&left);
            *watch = Watch::new(version, self.drift_window);
        }
        !watch.loaded
    }

    /// The drift of every model's production version watched so far.
    pub fn drift(&self) -> Vec<DriftReport> {
        let watches = self
            .drift
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut reports: Vec<DriftReport> = watches
            .iter()
            .map(|(model, watch)| watch.report(model))
            .collect();
        reports.sort_by(|a, b| a.model.cmp(&b.model));
        reports
    }
}

fn export(report: &DriftReport) {
    let version = report.version.to_string();
    for (feature, index) in &report.features {
        if let Some(index) = index {
            metrics::gauge!("inference_drift", "model" => report.model.clone(), "version" => version.clone(), "feature" => feature.clone()).set(*index);
        }
    }
    if let Some(distance) = report.centroid_distance {
        metrics::gauge!("inference_drift_centroid_distance", "model" => report.model.clone(), "version" => version).set(distance);
    }
}
