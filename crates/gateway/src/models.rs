//! The model registry for operators: list the models with their versions and traffic, promote,
//! roll back, retire, and set a candidate's canary share or shadow; each a call to the
//! inference service with the caller's token (`models.admin`).

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post, put};
use platform::error::Problem;
use platform::transport::request;
use proto::inference as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::extract::{Bearer, Json, Path};
use crate::functions::unprocessable;
use crate::state::Gateway;

pub(crate) fn routes() -> Router<Gateway> {
    Router::new()
        .route("/api/v1/admin/models", get(list_models))
        .route("/api/v1/admin/models/{model}/promote", post(promote_model))
        .route(
            "/api/v1/admin/models/{model}/rollback",
            post(roll_back_model),
        )
        .route("/api/v1/admin/models/{model}/retire", post(retire_version))
        .route(
            "/api/v1/admin/models/{model}/traffic",
            put(set_model_traffic),
        )
}

/// A model's name.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct ModelName {
    /// Lowercase letters, digits, '.' and '-'.
    #[param(pattern = r"^[a-z0-9][a-z0-9.-]{0,63}$")]
    model: String,
}

/// One version of a model.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ModelVersion {
    number: u32,
    /// What runs: the embedder's name.
    artefact: String,
    /// The SHA-256 of the artefact's weights, hex.
    sha256: String,
    source: String,
    licence: String,
    /// Figures of its offline evaluation, by name (`ndcg@10`).
    evaluation: BTreeMap<String, f64>,
    /// `candidate`, `production` or `archived`.
    stage: String,
    created_at_ms: i64,
    /// When it last became production; absent if it never did.
    #[serde(skip_serializing_if = "Option::is_none")]
    promoted_at_ms: Option<i64>,
}

/// A model's canary and shadow; a field left out is none.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModelTraffic {
    /// A candidate that answers a share of the requests instead of production.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    canary_version: Option<u32>,
    /// The canary's share, in basis points: 1 (0.01%) to 5000 (50%).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 5000)]
    canary_basis_points: Option<u32>,
    /// A candidate that sees every request production answers; its answers are only compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    shadow_version: Option<u32>,
}

/// A model with its versions, oldest first, and its traffic.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Model {
    name: String,
    /// `embedding`.
    kind: String,
    versions: Vec<ModelVersion>,
    traffic: ModelTraffic,
}

/// Every model.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ModelList {
    models: Vec<Model>,
}

/// The version to act on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VersionChoice {
    #[schema(minimum = 1)]
    version: u32,
}

impl From<pb::Model> for Model {
    fn from(model: pb::Model) -> Model {
        let traffic = model.traffic.unwrap_or_default();
        let some = |value: u32| (value > 0).then_some(value);
        Model {
            name: model.name,
            kind: model.kind,
            versions: model.versions.into_iter().map(ModelVersion::from).collect(),
            traffic: ModelTraffic {
                canary_version: some(traffic.canary_version),
                canary_basis_points: some(traffic.canary_version)
                    .and(some(traffic.canary_basis_points)),
                shadow_version: some(traffic.shadow_version),
            },
        }
    }
}

impl From<pb::ModelVersion> for ModelVersion {
    fn from(version: pb::ModelVersion) -> ModelVersion {
        ModelVersion {
            number: version.number,
            artefact: version.artefact,
            sha256: version.sha256,
            source: version.source,
            licence: version.licence,
            evaluation: version.evaluation.into_iter().collect(),
            stage: version.stage,
            created_at_ms: version.created_at_unix_ms,
            promoted_at_ms: (version.promoted_at_unix_ms > 0)
                .then_some(version.promoted_at_unix_ms),
        }
    }
}

/// The model a registry change answered, or the service's refusal (422 for a move the
/// registry does not allow).
fn changed(
    answer: Result<tonic::Response<pb::Model>, tonic::Status>,
) -> Result<axum::Json<Model>, Problem> {
    Ok(axum::Json(
        answer.map_err(unprocessable)?.into_inner().into(),
    ))
}

/// Every model with its versions and traffic.
#[utoipa::path(get, path = "/api/v1/admin/models", tag = "models",
    responses((status = 200, body = ModelList)),
    security(("bearer" = ["models.admin"])))]
pub(crate) async fn list_models(
    State(gateway): State<Gateway>,
    bearer: Bearer,
) -> Result<axum::Json<ModelList>, Problem> {
    let token = gateway
        .token_with_scope(bearer, proto::scopes::MODELS_ADMIN)
        .await?;
    let list = gateway
        .inference
        .clone()
        .list_models(request(pb::ListModelsRequest {}, &token))
        .await?;
    let models = list
        .into_inner()
        .models
        .into_iter()
        .map(Model::from)
        .collect();
    Ok(axum::Json(ModelList { models }))
}

/// Makes a version production; the production version before it is archived.
#[utoipa::path(post, path = "/api/v1/admin/models/{model}/promote", tag = "models", params(ModelName),
    request_body = VersionChoice,
    responses((status = 200, body = Model), (status = 404, description = "no model has this name"),
        (status = 422, description = "no such version, or it is in production already")),
    security(("bearer" = ["models.admin"])))]
pub(crate) async fn promote_model(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Path(ModelName { model }): Path<ModelName>,
    Json(choice): Json<VersionChoice>,
) -> Result<axum::Json<Model>, Problem> {
    let token = bearer.required()?;
    let message = pb::PromoteRequest {
        model,
        version: choice.version,
    };
    changed(
        gateway
            .inference
            .clone()
            .promote(request(message, &token))
            .await,
    )
}

/// Puts back the version that was production before the current one.
#[utoipa::path(post, path = "/api/v1/admin/models/{model}/rollback", tag = "models", params(ModelName),
    responses((status = 200, body = Model), (status = 404, description = "no model has this name"),
        (status = 422, description = "no version was in production before this one")),
    security(("bearer" = ["models.admin"])))]
pub(crate) async fn roll_back_model(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Path(ModelName { model }): Path<ModelName>,
) -> Result<axum::Json<Model>, Problem> {
    let token = bearer.required()?;
    changed(
        gateway
            .inference
            .clone()
            .roll_back(request(pb::RollBackRequest { model }, &token))
            .await,
    )
}

/// Archives a candidate; production cannot be retired.
#[utoipa::path(post, path = "/api/v1/admin/models/{model}/retire", tag = "models", params(ModelName),
    request_body = VersionChoice,
    responses((status = 200, body = Model), (status = 404, description = "no model has this name"),
        (status = 422, description = "no such version, or it is in production or archived already")),
    security(("bearer" = ["models.admin"])))]
pub(crate) async fn retire_version(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Path(ModelName { model }): Path<ModelName>,
    Json(choice): Json<VersionChoice>,
) -> Result<axum::Json<Model>, Problem> {
    let token = bearer.required()?;
    let message = pb::RetireRequest {
        model,
        version: choice.version,
    };
    changed(
        gateway
            .inference
            .clone()
            .retire(request(message, &token))
            .await,
    )
}

/// Sets the canary and the shadow (candidates both); an empty body removes them.
#[utoipa::path(put, path = "/api/v1/admin/models/{model}/traffic", tag = "models", params(ModelName),
    request_body = ModelTraffic,
    responses((status = 200, body = Model), (status = 404, description = "no model has this name"),
        (status = 422, description = "a version that is not a candidate, or a share without its canary")),
    security(("bearer" = ["models.admin"])))]
pub(crate) async fn set_model_traffic(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Path(ModelName { model }): Path<ModelName>,
    Json(traffic): Json<ModelTraffic>,
) -> Result<axum::Json<Model>, Problem> {
    let token = bearer.required()?;
    if traffic.canary_version.is_some() != traffic.canary_basis_points.is_some() {
        return Err(Problem::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "canary_version and canary_basis_points go together: give both, or neither",
        ));
    }
    let message = pb::SetTrafficRequest {
        model,
        traffic: Some(pb::Traffic {
            canary_version: traffic.canary_version.unwrap_or(0),
            canary_basis_points: traffic.canary_basis_points.unwrap_or(0),
            shadow_version: traffic.shadow_version.unwrap_or(0),
        }),
    };
    changed(
        gateway
            .inference
            .clone()
            .set_traffic(request(message, &token))
            .await,
    )
}
