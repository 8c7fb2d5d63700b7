//! The models in the operations view: each model's versions with their stage and offline
//! figures, the traffic (a canary's share, a shadow), and the drift of the production
//! version's inputs against its reference window.

use maud::{Markup, html};
use proto::inference as pb;

/// The table of the models in the registry, or why it could not be read.
pub(super) fn table(models: Result<&Vec<pb::Model>, &tonic::Status>) -> Markup {
    let models = match models {
        Ok(models) => models,
        Err(status) if status.code() == tonic::Code::PermissionDenied => {
            return html! { p.notice #model-registry { "Reading the models needs the scope models.admin, which this sign-in lacks." } };
        }
        Err(status) => {
            return html! { p.notice #model-registry { "The models could not be read: " (status.message()) } };
        }
    };
    html! {
        table #model-registry {
            caption { "Models in the registry, their traffic and the drift of their inputs" }
            thead { tr {
                th scope="col" { "Model" } th scope="col" { "Versions" } th scope="col" { "Traffic" } th scope="col" { "Drift (PSI; above 0.2 drifted)" }
            } }
            tbody {
                @for model in models {
                    tr {
                        th scope="row" { (model.name) br; small { (model.kind) } }
                        td { ul.plain { @for version in &model.versions { li { (version_line(version)) } } } }
                        td { (traffic(model.traffic.as_ref())) }
                        td { ul.plain { @for drift in &model.drift { li { (drift_line(drift)) } } } }
                    }
                }
            }
        }
    }
}

/// `v1 production · minilm-static · ndcg@10 0.78`.
fn version_line(version: &pb::ModelVersion) -> String {
    let figures: Vec<String> = version
        .evaluation
        .iter()
        .map(|(name, value)| format!("{name} {value:.3}"))
        .collect();
    let mut line = format!(
        "v{} {} · {}",
        version.number, version.stage, version.artefact
    );
    if !figures.is_empty() {
        line.push_str(&format!(" · {}", figures.join(", ")));
    }
    line
}

/// `canary v2 5.00% · shadow v2`, or `production only`.
fn traffic(traffic: Option<&pb::Traffic>) -> String {
    let traffic = traffic.cloned().unwrap_or_default();
    let mut parts = Vec::new();
    if traffic.canary_version > 0 {
        let share = f64::from(traffic.canary_basis_points) / 100.0;
        parts.push(format!("canary v{} {share:.2}%", traffic.canary_version));
    }
    if traffic.shadow_version > 0 {
        parts.push(format!("shadow v{}", traffic.shadow_version));
    }
    match parts.is_empty() {
        true => "production only".to_owned(),
        false => parts.join(" · "),
    }
}

/// `v1: words 0.03, characters 0.05, centroid 0.01 (1,240 texts)`.
fn drift_line(drift: &pb::Drift) -> String {
    if !drift.reference_taken {
        return format!(
            "v{}: taking its reference ({} texts so far)",
            drift.version, drift.observed
        );
    }
    let mut features: Vec<String> = drift
        .features
        .iter()
        .map(|(feature, index)| format!("{feature} {index:.2}"))
        .collect();
    if drift.centroid_distance >= 0.0 {
        features.push(format!("centroid {:.3}", drift.centroid_distance));
    }
    let verdict = if drift.drifted { "drifted" } else { "steady" };
    format!(
        "v{}: {} — {verdict} ({} texts)",
        drift.version,
        features.join(", "),
        drift.observed
    )
}
