//! Webhook endpoints for operators: register a merchant's endpoint (its signing secret in the
//! answer, this once), list and remove them, read an endpoint's delivery log and send a
//! delivery again; each a call to the functions service with the caller's token
//! (`webhooks.admin`).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use platform::error::Problem;
use platform::transport::request;
use proto::functions as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::extract::{Bearer, Json, Path, Query};
use crate::state::Gateway;

pub(crate) fn routes() -> Router<Gateway> {
    Router::new()
        .route(
            "/api/v1/admin/webhooks",
            get(list_endpoints).post(create_endpoint),
        )
        .route("/api/v1/admin/webhooks/{id}", delete(delete_endpoint))
        .route(
            "/api/v1/admin/webhooks/{id}/deliveries",
            get(list_deliveries),
        )
        .route(
            "/api/v1/admin/webhooks/{id}/deliveries/{event_id}/replay",
            post(replay_delivery),
        )
}

/// An endpoint to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewEndpoint {
    /// Where events are posted: http or https.
    #[schema(max_length = 2000, pattern = r"^https?://[^\s/?#@]+([/?#]\S*)?$")]
    url: String,
    /// The event types sent to it, such as `emporium.orders.order_completed.v1`.
    #[schema(min_items = 1, inline, value_type = Vec<crate::functions::EventType>)]
    event_types: Vec<String>,
    #[serde(default)]
    #[schema(max_length = 500)]
    description: String,
    /// A function whose answer is the body sent; left out, the event is sent as
    /// `{"type", "timestamp", "data"}`.
    #[serde(default)]
    transform: String,
}

/// A merchant's endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Endpoint {
    id: String,
    url: String,
    event_types: Vec<String>,
    description: String,
    transform: String,
    /// Off once the receiver answered 410 Gone.
    enabled: bool,
    /// Unix seconds.
    created_at: i64,
    /// `whsec_...`, the key of the `webhook-signature` HMAC: in the answer to the registration
    /// only.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

/// Every endpoint, without secrets.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EndpointList {
    endpoints: Vec<Endpoint>,
}

/// One event sent (or to be sent) to an endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Delivery {
    /// Also the `webhook-id` it was sent with.
    event_id: String,
    event_type: String,
    /// `pending`, `delivered` or `dead`.
    state: String,
    attempts: u32,
    /// The receiver's last HTTP status; 0 when it did not answer.
    last_status: u32,
    last_error: String,
    created_at_ms: i64,
    updated_at_ms: i64,
}

/// An endpoint's latest deliveries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DeliveryList {
    deliveries: Vec<Delivery>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct EndpointId {
    #[param(pattern = r"^ep_[0-9a-f]{32}$")]
    id: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct DeliveryPath {
    #[param(pattern = r"^ep_[0-9a-f]{32}$")]
    id: String,
    #[param(min_length = 1, max_length = 200)]
    event_id: String,
}

/// How many deliveries to list.
#[derive(Debug, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeliveriesQuery {
    /// 1 to 500 (50 when left out).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

fn endpoint(endpoint: pb::WebhookEndpoint) -> Endpoint {
    Endpoint {
        secret: Some(endpoint.secret).filter(|secret| !secret.is_empty()),
        id: endpoint.id,
        url: endpoint.url,
        event_types: endpoint.event_types,
        description: endpoint.description,
        transform: endpoint.transform,
        enabled: endpoint.enabled,
        created_at: endpoint.created_at,
    }
}

/// Registers an endpoint; the answer holds its signing secret, this once.
#[utoipa::path(post, path = "/api/v1/admin/webhooks", tag = "webhooks", request_body = NewEndpoint,
    responses((status = 201, body = Endpoint), (status = 404, description = "the transform names no function"),
        (status = 422, description = "the URL or an event type cannot be used: the reason is in `detail`")),
    security(("bearer" = ["webhooks.admin"])))]
pub(crate) async fn create_endpoint(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Json(new): Json<NewEndpoint>,
) -> Result<(StatusCode, axum::Json<Endpoint>), Problem> {
    let token = bearer.required()?;
    let asked = pb::CreateWebhookEndpointRequest {
        url: new.url,
        event_types: new.event_types,
        description: new.description,
        transform: new.transform,
    };
    let made = gateway
        .functions
        .clone()
        .create_webhook_endpoint(request(asked, &token))
        .await
        .map_err(crate::functions::unprocessable)?;
    Ok((StatusCode::CREATED, axum::Json(endpoint(made.into_inner()))))
}

/// Every endpoint, without secrets.
#[utoipa::path(get, path = "/api/v1/admin/webhooks", tag = "webhooks",
    responses((status = 200, body = EndpointList)), security(("bearer" = ["webhooks.admin"])))]
pub(crate) async fn list_endpoints(
    State(gateway): State<Gateway>,
    bearer: Bearer,
) -> Result<axum::Json<EndpointList>, Problem> {
    let token = bearer.required()?;
    let listed = gateway
        .functions
        .clone()
        .list_webhook_endpoints(request(pb::ListWebhookEndpointsRequest {}, &token))
        .await?;
    let endpoints = listed
        .into_inner()
        .endpoints
        .into_iter()
        .map(endpoint)
        .collect();
    Ok(axum::Json(EndpointList { endpoints }))
}

/// Removes an endpoint and its delivery log.
#[utoipa::path(delete, path = "/api/v1/admin/webhooks/{id}", tag = "webhooks", params(EndpointId),
    responses((status = 204), (status = 404, description = "no endpoint has this id")),
    security(("bearer" = ["webhooks.admin"])))]
pub(crate) async fn delete_endpoint(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Path(EndpointId { id }): Path<EndpointId>,
) -> Result<StatusCode, Problem> {
    let token = bearer.required()?;
    gateway
        .functions
        .clone()
        .delete_webhook_endpoint(request(pb::DeleteWebhookEndpointRequest { id }, &token))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An endpoint's latest deliveries, newest first: the delivery log.
#[utoipa::path(get, path = "/api/v1/admin/webhooks/{id}/deliveries", tag = "webhooks", params(EndpointId, DeliveriesQuery),
    responses((status = 200, body = DeliveryList), (status = 404, description = "no endpoint has this id")),
    security(("bearer" = ["webhooks.admin"])))]
pub(crate) async fn list_deliveries(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Path(EndpointId { id }): Path<EndpointId>,
    Query(query): Query<DeliveriesQuery>,
) -> Result<axum::Json<DeliveryList>, Problem> {
    let token = bearer.required()?;
    let asked = pb::ListWebhookDeliveriesRequest {
        id,
        limit: query.limit.unwrap_or_default(),
    };
    let listed = gateway
        .functions
        .clone()
        .list_webhook_deliveries(request(asked, &token))
        .await?;
    let deliveries = listed
        .into_inner()
        .deliveries
        .into_iter()
        .map(|delivery| Delivery {
            event_id: delivery.event_id,
            event_type: delivery.event_type,
            state: delivery.state,
            attempts: delivery.attempts,
            last_status: delivery.last_status,
            last_error: delivery.last_error,
            created_at_ms: delivery.created_at_ms,
            updated_at_ms: delivery.updated_at_ms,
        })
        .collect();
    Ok(axum::Json(DeliveryList { deliveries }))
}

/// Sends a delivery again, from its first attempt.
#[utoipa::path(post, path = "/api/v1/admin/webhooks/{id}/deliveries/{event_id}/replay", tag = "webhooks", params(DeliveryPath),
    responses((status = 204), (status = 404, description = "no delivery of this event to this endpoint")),
    security(("bearer" = ["webhooks.admin"])))]
pub(crate) async fn replay_delivery(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Path(DeliveryPath { id, event_id }): Path<DeliveryPath>,
) -> Result<StatusCode, Problem> {
    let token = bearer.required()?;
    let asked = pb::ReplayWebhookDeliveryRequest { id, event_id };
    gateway
        .functions
        .clone()
        .replay_webhook_delivery(request(asked, &token))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
