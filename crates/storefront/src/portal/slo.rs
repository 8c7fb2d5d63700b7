//! The SLOs of `deploy/slo/slos.toml`, as the portal shows them beside the services.

use serde::Deserialize;

use super::Catalog;

/// One user journey and its objectives.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Journey {
    pub name: String,
    pub description: String,
    pub routes: Vec<String>,
    pub availability: f64,
    pub latency: Latency,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Latency {
    pub threshold_seconds: f64,
    pub objective: f64,
}

#[derive(Deserialize)]
struct Objectives {
    journey: Vec<Journey>,
}

/// The journeys, or why the file does not read (xtask's own test holds it; this says so
/// rather than showing no objectives).
pub(crate) fn journeys(catalog: &Catalog) -> Result<Vec<Journey>, String> {
    let text = catalog.file("deploy/slo/slos.toml").unwrap_or_default();
    toml::from_str::<Objectives>(text)
        .map(|objectives| objectives.journey)
        .map_err(|error| format!("deploy/slo/slos.toml does not read: {error}"))
}
