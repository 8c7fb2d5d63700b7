//! The operations view's buttons for functions and webhooks: roll a function back, replay an
//! event a function left dead, replay a dead webhook delivery. Each form carries the
//! operator's CSRF token, and each call is made with the operator's own token, so the scopes
//! it needs (`functions.admin`, `webhooks.admin`) are the operator's to have.

use axum::extract::{Form, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use proto::functions as pb;
use serde::Deserialize;

use super::auth::{self, Operator};
use super::{Ops, failed};

/// The operator making a form's request, when its CSRF token matches.
async fn operator(ops: &Ops, headers: &HeaderMap, csrf: &str) -> Result<Operator, Response> {
    let operator = ops.0.login.operator(headers).await?;
    match operator.csrf_matches(csrf) {
        true => Ok(operator),
        false => Err(auth::stale_form()),
    }
}

#[derive(Deserialize)]
pub(super) struct RollbackForm {
    csrf: String,
    name: String,
}

pub(super) async fn rollback(
    State(ops): State<Ops>,
    headers: HeaderMap,
    Form(form): Form<RollbackForm>,
) -> Response {
    let operator = match operator(&ops, &headers, &form.csrf).await {
        Ok(operator) => operator,
        Err(refusal) => return refusal,
    };
    let message = pb::RollbackRequest {
        name: form.name,
        version: 0,
    };
    let request = platform::transport::request(message, operator.token());
    match ops.0.functions.clone().rollback(request).await {
        Ok(_) => Redirect::to("/ops#functions").into_response(),
        Err(status) => failed(&status),
    }
}

#[derive(Deserialize)]
pub(super) struct ReplayEventForm {
    csrf: String,
    name: String,
    event_id: String,
}

pub(super) async fn replay_event(
    State(ops): State<Ops>,
    headers: HeaderMap,
    Form(form): Form<ReplayEventForm>,
) -> Response {
    let operator = match operator(&ops, &headers, &form.csrf).await {
        Ok(operator) => operator,
        Err(refusal) => return refusal,
    };
    let message = pb::ReplayDeliveryRequest {
        name: form.name,
        event_id: form.event_id,
    };
    let request = platform::transport::request(message, operator.token());
    match ops.0.functions.clone().replay_delivery(request).await {
        Ok(_) => Redirect::to("/ops#functions").into_response(),
        Err(status) => failed(&status),
    }
}

#[derive(Deserialize)]
pub(super) struct ReplayWebhookForm {
    csrf: String,
    id: String,
    event_id: String,
}

pub(super) async fn replay_webhook(
    State(ops): State<Ops>,
    headers: HeaderMap,
    Form(form): Form<ReplayWebhookForm>,
) -> Response {
    let operator = match operator(&ops, &headers, &form.csrf).await {
        Ok(operator) => operator,
        Err(refusal) => return refusal,
    };
    let message = pb::ReplayWebhookDeliveryRequest {
        id: form.id,
        event_id: form.event_id,
    };
    let request = platform::transport::request(message, operator.token());
    match ops
        .0
        .functions
        .clone()
        .replay_webhook_delivery(request)
        .await
    {
        Ok(_) => Redirect::to("/ops#webhooks").into_response(),
        Err(status) => failed(&status),
    }
}
