//! Administration at the edge: the fault switches of every process that reads faults, for
//! holders of `admin.faults`.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use platform::error::Problem;
use platform::faults::Fault;
use serde::Deserialize;
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::extract::{Bearer, Json, Path};
use crate::state::Gateway;

pub(crate) fn routes() -> Router<Gateway> {
    Router::new()
        .route("/api/v1/admin/faults", get(list_faults))
        .route(
            "/api/v1/admin/faults/{name}",
            axum::routing::put(set_fault).delete(clear_fault),
        )
}

/// A fault switch's name: the service it belongs to, a dot, what it does.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct FaultName {
    /// e.g. payments.decline
    #[param(pattern = r"^[a-z]+\.[a-z_]+$")]
    name: String,
}

/// What a fault does: `{"kind": "fail"}`, `{"kind": "delay", "ms": 3000}` or
/// `{"kind": "crash_after_step", "step": 3}`.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub(crate) struct FaultBody(Fault);

impl PartialSchema for FaultBody {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let kind = |name: &str| serde_json::json!({"type": "string", "enum": [name]});
        let schema = serde_json::json!({
            "description": "What a fault does.",
            "oneOf": [
                {"type": "object", "required": ["kind"], "additionalProperties": false,
                 "properties": {"kind": kind("fail")}},
                {"type": "object", "required": ["kind", "ms"], "additionalProperties": false,
                 "properties": {"kind": kind("delay"),
                    "ms": {"type": "integer", "format": "uint64", "minimum": 0, "maximum": 600_000}}},
                {"type": "object", "required": ["kind", "step"], "additionalProperties": false,
                 "properties": {"kind": kind("crash_after_step"),
                    "step": {"type": "integer", "format": "uint32", "minimum": 1, "maximum": 5}}},
            ],
        });
        serde_json::from_value(schema).expect("the fault schema is a schema")
    }
}

impl ToSchema for FaultBody {}

/// The faults switched on, in every process that reads faults.
#[utoipa::path(get, path = "/api/v1/admin/faults", tag = "admin",
    responses((status = 200, description = "faults by name", body = Object)),
    security(("bearer" = ["admin.faults"])))]
pub(crate) async fn list_faults(
    State(gateway): State<Gateway>,
    bearer: Bearer,
) -> Result<Response, Problem> {
    let token = gateway
        .token_with_scope(bearer, proto::scopes::ADMIN_FAULTS)
        .await?;
    Ok(axum::Json(gateway.faults.list(&token).await?).into_response())
}

/// Switches a fault on, in the process of the service it belongs to.
#[utoipa::path(put, path = "/api/v1/admin/faults/{name}", tag = "admin", params(FaultName),
    request_body = FaultBody,
    responses((status = 204), (status = 404, description = "no fault has this name")),
    security(("bearer" = ["admin.faults"])))]
pub(crate) async fn set_fault(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Path(FaultName { name }): Path<FaultName>,
    Json(FaultBody(fault)): Json<FaultBody>,
) -> Result<StatusCode, Problem> {
    let token = gateway
        .token_with_scope(bearer, proto::scopes::ADMIN_FAULTS)
        .await?;
    gateway.faults.set(&name, Some(fault), &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Switches a fault off.
#[utoipa::path(delete, path = "/api/v1/admin/faults/{name}", tag = "admin", params(FaultName),
    responses((status = 204), (status = 404, description = "no fault has this name")),
    security(("bearer" = ["admin.faults"])))]
pub(crate) async fn clear_fault(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Path(FaultName { name }): Path<FaultName>,
) -> Result<StatusCode, Problem> {
    let token = gateway
        .token_with_scope(bearer, proto::scopes::ADMIN_FAULTS)
        .await?;
    gateway.faults.set(&name, None, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}
