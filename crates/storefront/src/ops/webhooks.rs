//! Webhooks in the operations view: each merchant endpoint with its latest deliveries, and a
//! replay button for those that are dead (as `POST /api/v1/admin/webhooks/{id}/deliveries/
//! {event_id}/replay` does). Reading them needs the operator's `webhooks.admin`.

use maud::{Markup, html};
use proto::functions as pb;
use proto::functions::functions_client::FunctionsClient;
use tonic::Status;

use super::auth::Operator;
use platform::transport::Transport;

/// The deliveries shown per endpoint.
const DELIVERIES: u32 = 10;

/// An endpoint and its latest deliveries.
pub(crate) struct Endpoint {
    pub endpoint: pb::WebhookEndpoint,
    pub deliveries: Result<Vec<pb::WebhookDelivery>, Status>,
}

/// Every endpoint with its latest deliveries, asked with the operator's token.
pub(crate) async fn read(
    functions: &FunctionsClient<Transport>,
    token: &str,
) -> Result<Vec<Endpoint>, Status> {
    let request = platform::transport::request(pb::ListWebhookEndpointsRequest {}, token);
    let endpoints = functions
        .clone()
        .list_webhook_endpoints(request)
        .await?
        .into_inner()
        .endpoints;
    let mut read = Vec::with_capacity(endpoints.len());
    for endpoint in endpoints {
        let message = pb::ListWebhookDeliveriesRequest {
            id: endpoint.id.clone(),
            limit: DELIVERIES,
        };
        let deliveries = functions
            .clone()
            .list_webhook_deliveries(platform::transport::request(message, token))
            .await
            .map(|list| list.into_inner().deliveries);
        read.push(Endpoint {
            endpoint,
            deliveries,
        });
    }
    Ok(read)
}

/// The section: the endpoints, or why they could not be read.
pub(crate) fn section(operator: &Operator, endpoints: Result<&Vec<Endpoint>, &Status>) -> Markup {
    html! {
        section #webhooks aria-labelledby="webhooks-title" {
            h2 #webhooks-title { "Webhooks" }
            @match endpoints {
                Err(status) if status.code() == tonic::Code::PermissionDenied => p.notice {
                    "Reading the webhooks needs the scope webhooks.admin, which this sign-in lacks."
                },
                Err(status) => p.notice { "The webhooks could not be read: " (status.message()) },
                Ok(endpoints) if endpoints.is_empty() => p {
                    "No merchant endpoint is registered. " code { "POST /api/v1/admin/webhooks" } " registers one."
                },
                Ok(endpoints) => @for endpoint in endpoints { (one(operator, endpoint)) },
            }
        }
    }
}

fn one(operator: &Operator, read: &Endpoint) -> Markup {
    let endpoint = &read.endpoint;
    html! {
        article.webhook data-endpoint=(endpoint.id) {
            h3 { code { (endpoint.url) } @if !endpoint.enabled { " (off: the receiver answered 410 Gone)" } }
            p { (endpoint.event_types.join(", "))
                @if !endpoint.transform.is_empty() { ", shaped by the function " code { (endpoint.transform) } } }
            @match &read.deliveries {
                Err(status) => p.notice { "Its deliveries could not be read: " (status.message()) },
                Ok(deliveries) if deliveries.is_empty() => p { "Nothing delivered yet." },
                Ok(deliveries) => table.deliveries {
                    caption { "The latest deliveries" }
                    thead { tr { th scope="col" { "Event" } th scope="col" { "Type" } th scope="col" { "State" }
                        th scope="col" { "Attempts" } th scope="col" { "Last answer" } th scope="col" { "" } } }
                    tbody { @for delivery in deliveries { (row(operator, &endpoint.id, delivery)) } }
                },
            }
        }
    }
}

fn row(operator: &Operator, endpoint: &str, delivery: &pb::WebhookDelivery) -> Markup {
    let answer = match (delivery.last_status, delivery.last_error.as_str()) {
        (0, "") => "–".to_owned(),
        (0, error) => error.to_owned(),
        (status, "") => status.to_string(),
        (status, error) => format!("{status}: {error}"),
    };
    html! {
        tr data-state=(delivery.state) {
            td { code { (delivery.event_id) } } td { (delivery.event_type) } td { (delivery.state) }
            td { (delivery.attempts) } td { (answer) }
            td { @if delivery.state == "dead" {
                form.inline method="post" action="/ops/webhooks/replay" {
                    input type="hidden" name="csrf" value=(operator.csrf());
                    input type="hidden" name="id" value=(endpoint);
                    input type="hidden" name="event_id" value=(delivery.event_id);
                    button type="submit" { "Replay" }
                }
            } }
        }
    }
}
