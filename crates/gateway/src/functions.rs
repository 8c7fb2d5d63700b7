//! Functions at the edge for operators: deploy a version, split traffic, roll back, set
//! triggers, read invocations; each a call to the functions service with the caller's token
//! (`functions.admin`).

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post, put};
use base64::Engine as _;
use platform::error::Problem;
use platform::transport::Transport;
use platform::transport::request;
use proto::functions as pb;
use proto::functions::functions_client::FunctionsClient;

use crate::extract::{Bearer, Json, Path, Query};
use crate::state::Gateway;

pub(crate) fn routes() -> Router<Gateway> {
    Router::new()
        .route("/api/v1/admin/functions", get(list_functions))
        .route("/api/v1/admin/functions/{name}", get(get_function))
        .route(
            "/api/v1/admin/functions/{name}/versions",
            post(deploy_function),
        )
        .route("/api/v1/admin/functions/{name}/traffic", put(set_traffic))
        .route(
            "/api/v1/admin/functions/{name}/rollback",
            post(rollback_function),
        )
        .route("/api/v1/admin/functions/{name}/triggers", put(set_triggers))
        .route(
            "/api/v1/admin/functions/{name}/invocations",
            get(list_invocations),
        )
        .route(
            "/api/v1/admin/functions/{name}/dead-deliveries",
            get(list_dead_deliveries),
        )
        .route(
            "/api/v1/admin/functions/{name}/dead-deliveries/{event_id}/replay",
            post(replay_delivery),
        )
}

mod schema;

pub(crate) use self::schema::*;

fn client(gateway: &Gateway) -> FunctionsClient<Transport> {
    gateway.functions.clone()
}

/// The service's refusal of what the document's schema cannot rule out (a module that is not
/// WebAssembly, shares that do not add up to 100) as 422; other statuses as they map.
pub(crate) fn unprocessable(status: tonic::Status) -> Problem {
    match status.code() {
        tonic::Code::InvalidArgument => Problem::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            status.message(),
        )
        .with_kind("unprocessable"),
        _ => Problem::from(status),
    }
}

/// Every function with its versions, traffic, triggers and usage.
#[utoipa::path(get, path = "/api/v1/admin/functions", tag = "functions",
    responses((status = 200, body = FunctionList)),
    security(("bearer" = ["functions.admin"])))]
pub(crate) async fn list_functions(
    State(gateway): State<Gateway>,
    bearer: Bearer,
) -> Result<axum::Json<FunctionList>, Problem> {
    let token = bearer.required()?;
    let list = client(&gateway)
        .list_functions(request(pb::ListFunctionsRequest {}, &token))
        .await?;
    let functions = list
        .into_inner()
        .functions
        .into_iter()
        .map(Function::from)
        .collect();
    Ok(axum::Json(FunctionList { functions }))
}

/// One function.
#[utoipa::path(get, path = "/api/v1/admin/functions/{name}", tag = "functions", params(FunctionName),
    responses((status = 200, body = Function), (status = 404, description = "no function has this name")),
    security(("bearer" = ["functions.admin"])))]
pub(crate) async fn get_function(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Path(FunctionName { name }): Path<FunctionName>,
) -> Result<axum::Json<Function>, Problem> {
    let token = bearer.required()?;
    let found = client(&gateway)
        .get_function(request(pb::GetFunctionRequest { name }, &token))
        .await?;
    Ok(axum::Json(found.into_inner().into()))
}

/// Deploys a new immutable version (the first makes the function). It takes all the traffic
/// unless `keep_traffic`. A module that is not WebAssembly, imports what it was not granted or
/// asks for more than its limits is refused with 400, naming the problem.
#[utoipa::path(post, path = "/api/v1/admin/functions/{name}/versions", tag = "functions", params(FunctionName),
    request_body = NewVersion,
    responses((status = 200, body = Function), (status = 422, description = "the module may not run, or a grant or limit is out of bounds: the reason is in `detail`")),
    security(("bearer" = ["functions.admin"])))]
pub(crate) async fn deploy_function(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Path(FunctionName { name }): Path<FunctionName>,
    Json(new): Json<NewVersion>,
) -> Result<axum::Json<Function>, Problem> {
    let token = bearer.required()?;
    // Lenient about the unused bits of the last symbol: the document's pattern allows them.
    let lenient = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    );
    let module = lenient.decode(new.module_base64.trim()).map_err(|error| {
        Problem::bad_request(format!("module_base64: not base64: {error}"))
            .with_kind("invalid-body")
    })?;
    let deploy = pb::DeployRequest {
        name,
        module,
        limits: new.limits.map(Limits::message),
        grants: Some(new.grants.unwrap_or_default().message()),
        note: new.note,
        keep_traffic: new.keep_traffic,
    };
    let deployed = client(&gateway)
        .deploy(request(deploy, &token))
        .await
        .map_err(unprocessable)?;
    Ok(axum::Json(deployed.into_inner().into()))
}

/// Splits the traffic between versions: each version once, percentages summing to 100.
#[utoipa::path(put, path = "/api/v1/admin/functions/{name}/traffic", tag = "functions", params(FunctionName),
    request_body = Traffic,
    responses((status = 200, body = Function), (status = 404, description = "no function has this name"),
        (status = 422, description = "the shares do not split all calls between existing versions")),
    security(("bearer" = ["functions.admin"])))]
pub(crate) async fn set_traffic(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Path(FunctionName { name }): Path<FunctionName>,
    Json(traffic): Json<Traffic>,
) -> Result<axum::Json<Function>, Problem> {
    let token = bearer.required()?;
    let traffic = traffic.traffic.into_iter().map(Share::message).collect();
    let split = client(&gateway)
        .set_traffic(request(pb::SetTrafficRequest { name, traffic }, &token))
        .await
        .map_err(unprocessable)?;
    Ok(axum::Json(split.into_inner().into()))
}

/// Sends all traffic to `version`, or to the version before the one serving most, at once.
#[utoipa::path(post, path = "/api/v1/admin/functions/{name}/rollback", tag = "functions", params(FunctionName),
    request_body = Rollback,
    responses((status = 200, body = Function), (status = 404, description = "no function has this name"),
        (status = 422, description = "there is no version to roll back to")),
    security(("bearer" = ["functions.admin"])))]
pub(crate) async fn rollback_function(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Path(FunctionName { name }): Path<FunctionName>,
    Json(rollback): Json<Rollback>,
) -> Result<axum::Json<Function>, Problem> {
    let token = bearer.required()?;
    let asked = pb::RollbackRequest {
        name,
        version: rollback.version.unwrap_or_default(),
    };
    let back = client(&gateway)
        .rollback(request(asked, &token))
        .await
        .map_err(unprocessable)?;
    Ok(axum::Json(back.into_inner().into()))
}

/// Sets what triggers the function: edge routes, its own route `/fn/<name>`, event types.
#[utoipa::path(put, path = "/api/v1/admin/functions/{name}/triggers", tag = "functions", params(FunctionName),
    request_body = Triggers,
    responses((status = 200, body = Function), (status = 404, description = "no function has this name"),
        (status = 422, description = "a trigger cannot be used: the reason is in `detail`")),
    security(("bearer" = ["functions.admin"])))]
pub(crate) async fn set_triggers(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Path(FunctionName { name }): Path<FunctionName>,
    Json(triggers): Json<Triggers>,
) -> Result<axum::Json<Function>, Problem> {
    let token = bearer.required()?;
    let asked = pb::SetTriggersRequest {
        name,
        triggers: Some(triggers.message()),
    };
    let set = client(&gateway)
        .set_triggers(request(asked, &token))
        .await
        .map_err(unprocessable)?;
    Ok(axum::Json(set.into_inner().into()))
}

/// The latest invocations of a function, from every replica, newest first, with their logs.
#[utoipa::path(get, path = "/api/v1/admin/functions/{name}/invocations", tag = "functions",
    params(FunctionName, InvocationsQuery),
    responses((status = 200, body = InvocationList), (status = 404, description = "no function has this name")),
    security(("bearer" = ["functions.admin"])))]
pub(crate) async fn list_invocations(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Path(FunctionName { name }): Path<FunctionName>,
    Query(query): Query<InvocationsQuery>,
) -> Result<axum::Json<InvocationList>, Problem> {
    let token = bearer.required()?;
    let asked = pb::ListInvocationsRequest {
        name,
        limit: query.limit.unwrap_or_default(),
    };
    let listed = client(&gateway)
        .list_invocations(request(asked, &token))
        .await?;
    let invocations = listed
        .into_inner()
        .invocations
        .into_iter()
        .map(Invocation::from)
        .collect();
    Ok(axum::Json(InvocationList { invocations }))
}

/// Events that could not be delivered to the function after every attempt, newest first.
#[utoipa::path(get, path = "/api/v1/admin/functions/{name}/dead-deliveries", tag = "functions",
    params(FunctionName, InvocationsQuery),
    responses((status = 200, body = DeadDeliveryList), (status = 404, description = "no function has this name")),
    security(("bearer" = ["functions.admin"])))]
pub(crate) async fn list_dead_deliveries(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Path(FunctionName { name }): Path<FunctionName>,
    Query(query): Query<InvocationsQuery>,
) -> Result<axum::Json<DeadDeliveryList>, Problem> {
    let token = bearer.required()?;
    let asked = pb::ListDeadDeliveriesRequest {
        name,
        limit: query.limit.unwrap_or_default(),
    };
    let listed = client(&gateway)
        .list_dead_deliveries(request(asked, &token))
        .await?;
    let deliveries = listed
        .into_inner()
        .deliveries
        .into_iter()
        .map(DeadDelivery::from)
        .collect();
    Ok(axum::Json(DeadDeliveryList { deliveries }))
}

/// Delivers a dead event to the function again, from its first attempt.
#[utoipa::path(post, path = "/api/v1/admin/functions/{name}/dead-deliveries/{event_id}/replay", tag = "functions",
    params(DeliveryPath),
    responses((status = 204), (status = 404, description = "no dead delivery of this event to this function")),
    security(("bearer" = ["functions.admin"])))]
pub(crate) async fn replay_delivery(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Path(DeliveryPath { name, event_id }): Path<DeliveryPath>,
) -> Result<axum::http::StatusCode, Problem> {
    let token = bearer.required()?;
    let asked = pb::ReplayDeliveryRequest { name, event_id };
    client(&gateway)
        .replay_delivery(request(asked, &token))
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
