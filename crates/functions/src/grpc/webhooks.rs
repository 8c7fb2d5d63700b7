//! The webhook endpoints' RPCs: proto in, one call to the service, proto out; each needs
//! `webhooks.admin`.

use proto::functions as pb;
use proto::scopes::WEBHOOKS_ADMIN;
use tonic::{Request, Response, Status};

use crate::{Delivery, Endpoint, Functions, NewEndpoint};

fn endpoint(endpoint: Endpoint) -> pb::WebhookEndpoint {
    pb::WebhookEndpoint {
        id: endpoint.id,
        url: endpoint.url,
        event_types: endpoint.event_types,
        description: endpoint.description,
        transform: endpoint.transform,
        enabled: endpoint.enabled,
        created_at: endpoint.created_at,
        secret: endpoint.secret.unwrap_or_default(),
    }
}

fn delivery(delivery: Delivery) -> pb::WebhookDelivery {
    pb::WebhookDelivery {
        event_id: delivery.event_id,
        event_type: delivery.event_type,
        state: delivery.state,
        attempts: delivery.attempts,
        last_status: delivery.last_status,
        last_error: delivery.last_error,
        created_at_ms: delivery.created_at_ms,
        updated_at_ms: delivery.updated_at_ms,
    }
}

pub(super) async fn create(
    functions: &Functions,
    request: Request<pb::CreateWebhookEndpointRequest>,
) -> Result<Response<pb::WebhookEndpoint>, Status> {
    platform::auth::authorize(&request, WEBHOOKS_ADMIN)?;
    let message = request.into_inner();
    let new = NewEndpoint {
        url: message.url,
        event_types: message.event_types,
        description: message.description,
        transform: message.transform,
    };
    Ok(Response::new(endpoint(
        functions.create_endpoint(new).await?,
    )))
}

pub(super) async fn list(
    functions: &Functions,
    request: Request<pb::ListWebhookEndpointsRequest>,
) -> Result<Response<pb::WebhookEndpointList>, Status> {
    platform::auth::authorize(&request, WEBHOOKS_ADMIN)?;
    let endpoints = functions
        .endpoints()
        .await?
        .into_iter()
        .map(endpoint)
        .collect();
    Ok(Response::new(pb::WebhookEndpointList { endpoints }))
}

pub(super) async fn delete(
    functions: &Functions,
    request: Request<pb::DeleteWebhookEndpointRequest>,
) -> Result<Response<pb::DeleteWebhookEndpointResponse>, Status> {
    platform::auth::authorize(&request, WEBHOOKS_ADMIN)?;
    functions.remove_endpoint(&request.get_ref().id).await?;
    Ok(Response::new(pb::DeleteWebhookEndpointResponse {}))
}

pub(super) async fn deliveries(
    functions: &Functions,
    request: Request<pb::ListWebhookDeliveriesRequest>,
) -> Result<Response<pb::WebhookDeliveryList>, Status> {
    platform::auth::authorize(&request, WEBHOOKS_ADMIN)?;
    let message = request.get_ref();
    let limit = match message.limit {
        0 => 50,
        limit => limit.min(500),
    };
    let deliveries = functions
        .webhook_deliveries(&message.id, limit)
        .await?
        .into_iter()
        .map(delivery)
        .collect();
    Ok(Response::new(pb::WebhookDeliveryList { deliveries }))
}

pub(super) async fn replay(
    functions: &Functions,
    request: Request<pb::ReplayWebhookDeliveryRequest>,
) -> Result<Response<pb::ReplayWebhookDeliveryResponse>, Status> {
    platform::auth::authorize(&request, WEBHOOKS_ADMIN)?;
    let message = request.get_ref();
    functions
        .replay_webhook(&message.id, &message.event_id)
        .await?;
    Ok(Response::new(pb::ReplayWebhookDeliveryResponse {}))
}
