//! The shopping assistant: `POST /api/v1/assistant` answers a shopper's message in a
//! conversation kept by the inference service (whole, or with `stream: true` as server-sent
//! events), and `POST /api/v1/assistant/confirm` is the only way its proposals reach the cart:
//! the shopper's own request, with their token, once per proposal. `turn` runs a turn, `tools`
//! the tools, `intent` reads words by rules when no model answers, `screen` takes instructions
//! out of the shop's text before a model reads it.

mod intent;
mod port;
mod screen;
pub(crate) mod tools;
mod turn;

pub(crate) use self::port::Port;

use std::convert::Infallible;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::StreamExt as _;
use platform::error::Problem;
use platform::transport::request;
use proto::inference as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use self::turn::{Progress, Reply};
use crate::extract::{Bearer, Json};
use crate::refusal::Refusal;
use crate::state::Gateway;

pub(crate) fn routes() -> Router<Gateway> {
    Router::new()
        .route("/api/v1/assistant", post(converse))
        .route("/api/v1/assistant/confirm", post(confirm))
        .route("/api/v1/assistant/conversations/{id}", get(conversation))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Message {
    /// What the shopper says.
    #[schema(min_length = 1, max_length = 2000)]
    message: String,
    /// The conversation to continue; a new one when absent.
    #[schema(pattern = "^conv-[0-9a-f]{32}$")]
    conversation_id: Option<String>,
    /// Answer as server-sent events: `delta` (words as they come), then `reply` (the whole
    /// reply) or `error` (a problem document).
    #[serde(default)]
    stream: bool,
}

/// Answers a shopper's message: products with reasons, and cart changes proposed for the
/// shopper to confirm. Nothing in the cart changes here.
#[utoipa::path(post, path = "/api/v1/assistant", tag = "assistant", request_body = Message,
    responses((status = 200, description = "the reply, or with `stream: true` its server-sent events (`delta`, then `reply` or `error`)",
            content((Reply = "application/json"), (serde_json::Value = "text/event-stream"))),
        (status = 404, description = "no conversation of yours has this id"),
        (status = 429, description = "the assistant's budget or rate limit is spent; see Retry-After")),
    security(("bearer" = ["inference"])))]
pub(crate) async fn converse(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Json(message): Json<Message>,
) -> Result<Response, Refusal> {
    // Checked here, before a stream answers 200: a bad token is a 401, not an event.
    let token = gateway.token_with_scope(bearer, "inference").await?;
    let said = message.message.trim().to_owned();
    if said.is_empty() || said.chars().count() > 2000 {
        return Err(Problem::bad_request("message: 1 to 2000 characters").into());
    }
    if !message.stream {
        let reply = turn::answer(&gateway, &token, message.conversation_id, &said, None).await?;
        return Ok(axum::Json(reply).into_response());
    }
    // A conversation that is not the caller's is a 404 before the stream begins.
    if let Some(id) = &message.conversation_id {
        let asked = pb::GetConversationRequest { id: id.clone() };
        gateway
            .inference
            .clone()
            .get_conversation(request(asked, &token))
            .await?;
    }
    let (sender, progress) = tokio::sync::mpsc::channel(64);
    tokio::spawn(async move {
        let answered = turn::answer(
            &gateway,
            &token,
            message.conversation_id,
            &said,
            Some(sender.clone()),
        )
        .await;
        let last = match answered {
            Ok(reply) => Progress::Done(Box::new(reply)),
            Err(Refusal(problem, _)) => Progress::Failed(problem),
        };
        let _ = sender.send(last).await;
    });
    let events = tokio_stream::wrappers::ReceiverStream::new(progress).map(event);
    Ok(Sse::new(events).into_response())
}

fn event(progress: Progress) -> Result<Event, Infallible> {
    let (name, data) = match progress {
        Progress::Delta(text) => ("delta", serde_json::json!({"text": text}).to_string()),
        Progress::Done(reply) => ("reply", serde_json::to_string(&reply).unwrap_or_default()),
        Progress::Failed(problem) => ("error", serde_json::to_string(&problem).unwrap_or_default()),
    };
    Ok(Event::default().event(name).data(data))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Confirmation {
    #[schema(pattern = "^conv-[0-9a-f]{32}$")]
    conversation_id: String,
    /// The proposal's `call_id`.
    #[schema(min_length = 1, max_length = 128)]
    call_id: String,
    /// True to add it to the cart, false to decline it.
    confirm: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Confirmed {
    /// Whether the cart changed.
    added: bool,
    reply: String,
    /// Products in the cart now.
    item_count: u32,
}

/// Confirms or declines a proposal of the assistant's, once: confirmed, its product is added
/// to the cart with the shopper's own token.
#[utoipa::path(post, path = "/api/v1/assistant/confirm", tag = "assistant", request_body = Confirmation,
    responses((status = 200, body = Confirmed),
        (status = 404, description = "no conversation of yours has this id"),
        (status = 409, description = "the proposal was confirmed or declined already")),
    security(("bearer" = ["inference", "cart"])))]
pub(crate) async fn confirm(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Json(asked): Json<Confirmation>,
) -> Result<axum::Json<Confirmed>, Refusal> {
    let token = bearer.required()?;
    let confirmed = decide(
        &gateway,
        &token,
        &asked.conversation_id,
        &asked.call_id,
        asked.confirm,
    )
    .await?;
    Ok(axum::Json(confirmed))
}

/// Confirms (`yes`) or declines the proposal `call_id` of `conversation`, once; confirmed,
/// adds its product to the cart with the shopper's `token`.
pub(crate) async fn decide(
    gateway: &Gateway,
    token: &str,
    conversation: &str,
    call_id: &str,
    yes: bool,
) -> Result<Confirmed, Refusal> {
    let found = pb::GetConversationRequest {
        id: conversation.to_owned(),
    };
    let messages = gateway
        .inference
        .clone()
        .get_conversation(request(found, token))
        .await?
        .into_inner()
        .messages;
    let call = messages
        .iter()
        .filter(|message| message.role == "assistant")
        .flat_map(|message| &message.tool_calls)
        .find(|call| call.id == call_id && call.name == tools::ADD)
        .cloned()
        .ok_or_else(|| {
            Problem::not_found(format!("call_id: the conversation proposed no `{call_id}`"))
        })?;
    let verdict = if yes {
        "confirmed by the shopper"
    } else {
        "declined by the shopper"
    };
    // Claimed once: a second confirmation of the same call is refused here.
    let answer = pb::ChatMessage {
        role: "tool".to_owned(),
        content: verdict.to_owned(),
        tool_call_id: call.id.clone(),
        ..Default::default()
    };
    claim(gateway, token, conversation, answer, &call.id).await?;
    if !yes {
        return Ok(Confirmed {
            added: false,
            reply: "As you wish: nothing was added.".to_owned(),
            item_count: 0,
        });
    }
    let arguments: serde_json::Value = serde_json::from_str(&call.arguments).unwrap_or_default();
    let sku = arguments["sku"].as_str().unwrap_or("").to_owned();
    let quantity = arguments["quantity"].as_u64().unwrap_or(1).clamp(1, 99) as u32;
    let note = |content: String| pb::ChatMessage {
        role: "assistant".to_owned(),
        content,
        ..Default::default()
    };
    let item_count = match pb_cart_add(gateway, token, &sku, quantity).await {
        Ok(count) => count,
        Err(refusal) => {
            // The proposal is answered (claimed) either way: say why nothing was added, so
            // that the shopper asks again.
            let failed = format!(
                "Adding {sku} failed: {}. Ask me again.",
                refusal.0.detail.clone().unwrap_or_default()
            );
            if let Err(Refusal(problem, _)) =
                claim(gateway, token, conversation, note(failed), "").await
            {
                tracing::warn!(detail = ?problem.detail, "note a failed cart change in a conversation");
            }
            return Err(refusal);
        }
    };
    let reply = format!("Added {quantity} × {sku} to your cart.");
    // The cart changed: a note that cannot be kept does not undo that.
    if let Err(Refusal(problem, _)) =
        claim(gateway, token, conversation, note(reply.clone()), "").await
    {
        tracing::warn!(detail = ?problem.detail, "note a cart change in a conversation");
    }
    Ok(Confirmed {
        added: true,
        reply,
        item_count,
    })
}

/// Appends `message` to the conversation; with `call`, only if that call is unanswered.
async fn claim(
    gateway: &Gateway,
    token: &str,
    id: &str,
    message: pb::ChatMessage,
    call: &str,
) -> Result<(), Refusal> {
    let append = pb::AppendToConversationRequest {
        conversation_id: id.to_owned(),
        messages: vec![message],
        answers_call: call.to_owned(),
    };
    gateway
        .inference
        .clone()
        .append_to_conversation(request(append, token))
        .await?;
    Ok(())
}

/// Adds to the cart with the shopper's token; the products in it after.
async fn pb_cart_add(
    gateway: &Gateway,
    token: &str,
    sku: &str,
    quantity: u32,
) -> Result<u32, Refusal> {
    let add = proto::cart::AddItemRequest {
        sku: sku.to_owned(),
        quantity,
    };
    let view = gateway.cart.clone().add_item(request(add, token)).await?;
    Ok(view.into_inner().item_count)
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Said {
    /// `user` or `assistant`.
    role: String,
    content: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ConversationView {
    id: String,
    /// What the shopper and the assistant said, in order (the tools' exchanges left out).
    messages: Vec<Said>,
}

/// One of the shopper's conversations with the assistant.
#[utoipa::path(get, path = "/api/v1/assistant/conversations/{id}", tag = "assistant",
    params(("id" = String, Path, pattern = "^conv-[0-9a-f]{32}$")),
    responses((status = 200, body = ConversationView), (status = 404, description = "no conversation of yours has this id")),
    security(("bearer" = ["inference"])))]
pub(crate) async fn conversation(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> Result<axum::Json<ConversationView>, Refusal> {
    let token = bearer.required()?;
    let found = pb::GetConversationRequest { id };
    let conversation = gateway
        .inference
        .clone()
        .get_conversation(request(found, &token))
        .await?
        .into_inner();
    let messages = conversation
        .messages
        .into_iter()
        .filter(|message| {
            matches!(message.role.as_str(), "user" | "assistant") && !message.content.is_empty()
        })
        .map(|message| Said {
            role: message.role,
            content: message.content,
        })
        .collect();
    Ok(axum::Json(ConversationView {
        id: conversation.id,
        messages,
    }))
}
