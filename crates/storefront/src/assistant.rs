//! The assistant's page, `/assistant`: the signed-in shopper's conversation with the shop's
//! assistant, a form to say something, the products it found, and each cart change it proposed
//! with two buttons, to add it or not. Only those buttons change the cart. Works without the
//! script, as every page does. The conversation lives in the inference service; the session
//! holds only its id. The gateway lends the assistant itself (`Assistant`).

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use maud::{Markup, html};
use serde::Deserialize;

use crate::Storefront;
use crate::error::PageError;
use crate::layout::{frame, see_other};
use crate::visit::Visit;

/// A product the assistant found.
#[derive(Clone, Debug)]
pub struct Found {
    pub sku: String,
    pub name: String,
    pub price: String,
    pub reason: String,
}

/// What the assistant made of a message.
#[derive(Clone, Debug)]
pub struct Said {
    pub conversation_id: String,
    pub products: Vec<Found>,
}

/// A line of a conversation as the page shows it.
#[derive(Clone, Debug)]
pub enum Entry {
    /// Words: the shopper's (`mine`) or the assistant's.
    Words { mine: bool, text: String },
    /// A cart change proposed; `open` until the shopper adds it or not.
    Proposal {
        call_id: String,
        sku: String,
        quantity: u32,
        open: bool,
    },
}

/// Why the assistant could not: an HTTP status and what to tell the shopper.
pub type Refused = (u16, String);

/// The assistant, as the gateway runs it with the shopper's token.
pub trait Assistant: Send + Sync {
    fn say(
        &self,
        token: String,
        conversation: Option<String>,
        message: String,
    ) -> BoxFuture<'static, Result<Said, Refused>>;
    fn confirm(
        &self,
        token: String,
        conversation: String,
        call_id: String,
        yes: bool,
    ) -> BoxFuture<'static, Result<(), Refused>>;
    fn history(
        &self,
        token: String,
        conversation: String,
    ) -> BoxFuture<'static, Result<Vec<Entry>, Refused>>;
}

fn page_error((status, message): Refused) -> PageError {
    PageError::new(
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
        message,
    )
}

fn assistant(storefront: &Storefront) -> Result<&dyn Assistant, PageError> {
    storefront
        .assistant
        .as_deref()
        .ok_or_else(|| PageError::new(StatusCode::NOT_FOUND, "This shop has no assistant."))
}

/// The conversation so far, if the session has one that can still be read.
async fn history(storefront: &Storefront, visit: &Visit, token: &str) -> Vec<Entry> {
    let Some(id) = visit.session().assistant else {
        return Vec::new();
    };
    let Ok(assistant) = assistant(storefront) else {
        return Vec::new();
    };
    match assistant.history(token.to_owned(), id).await {
        Ok(entries) => entries,
        Err(_) => {
            // Gone (another shopper's session before, say): start afresh.
            visit.update(|session| session.assistant = None);
            Vec::new()
        }
    }
}

pub(crate) async fn page(
    State(storefront): State<Storefront>,
    visit: Visit,
) -> Result<Response, PageError> {
    let token = visit.token_or_sign_in("/assistant")?;
    let entries = history(&storefront, &visit, &token).await;
    Ok(render(&visit, &entries, &[], None, StatusCode::OK))
}

#[derive(Debug, Deserialize)]
pub(crate) struct Message {
    message: String,
}

pub(crate) async fn ask(
    State(storefront): State<Storefront>,
    visit: Visit,
    Form(form): Form<Message>,
) -> Result<Response, PageError> {
    let token = visit.token_or_sign_in("/assistant")?;
    let message = form.message.trim().to_owned();
    if message.is_empty() || message.chars().count() > 2000 {
        let entries = history(&storefront, &visit, &token).await;
        let problem = "Say something in 1 to 2000 characters.";
        return Ok(render(
            &visit,
            &entries,
            &[],
            Some(problem),
            StatusCode::BAD_REQUEST,
        ));
    }
    let conversation = visit.session().assistant;
    let said = assistant(&storefront)?
        .say(token.clone(), conversation, message)
        .await;
    match said {
        Ok(said) => {
            visit.update(|session| session.assistant = Some(said.conversation_id.clone()));
            let entries = history(&storefront, &visit, &token).await;
            Ok(render(
                &visit,
                &entries,
                &said.products,
                None,
                StatusCode::OK,
            ))
        }
        Err((status, message)) if (400..500).contains(&status) => {
            let entries = history(&storefront, &visit, &token).await;
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            Ok(render(&visit, &entries, &[], Some(&message), status))
        }
        Err(refused) => Err(page_error(refused)),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Decision {
    call_id: String,
    /// `yes` or `no`.
    confirm: String,
}

pub(crate) async fn decide(
    State(storefront): State<Storefront>,
    visit: Visit,
    Form(form): Form<Decision>,
) -> Result<Response, PageError> {
    let token = visit.token_or_sign_in("/assistant")?;
    let Some(conversation) = visit.session().assistant else {
        return Ok(see_other("/assistant"));
    };
    let yes = form.confirm == "yes";
    match assistant(&storefront)?
        .confirm(token.clone(), conversation, form.call_id, yes)
        .await
    {
        Ok(()) => Ok(see_other(if yes { "/cart" } else { "/assistant" })),
        Err((status, message)) if (400..500).contains(&status) => {
            let entries = history(&storefront, &visit, &token).await;
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::CONFLICT);
            Ok(render(&visit, &entries, &[], Some(&message), status))
        }
        Err(refused) => Err(page_error(refused)),
    }
}

fn render(
    visit: &Visit,
    entries: &[Entry],
    found: &[Found],
    problem: Option<&str>,
    status: StatusCode,
) -> Response {
    let csrf = visit.csrf_token();
    let content = html! {
        h1 { "Ask the shop" }
        p.lede { "Tell the assistant what you are looking for. It only adds to your cart what you confirm." }
        @if let Some(problem) = problem { p.problem role="alert" { (problem) } }
        ol.conversation aria-label="Your conversation" aria-live="polite" {
            @for entry in entries { (entry_row(entry, &csrf)) }
        }
        @if !found.is_empty() {
            section aria-labelledby="found" {
                h2 #found { "Products it found" }
                ul.found {
                    @for product in found {
                        li { a href={ "/p/" (product.sku) } { (product.name) } " · " (product.price) br; small { (product.reason) } }
                    }
                }
            }
        }
        form.ask method="post" action="/assistant" {
            input type="hidden" name="csrf" value=(csrf);
            label for="message" { "Your message" }
            textarea #message name="message" rows="3" maxlength="2000" required placeholder="Stylish summer shoes under $80, not white" {}
            button type="submit" { "Send" }
        }
    };
    (status, frame(visit, "Ask the shop", content)).into_response()
}

fn entry_row(entry: &Entry, csrf: &str) -> Markup {
    match entry {
        Entry::Words { mine, text } => html! {
            li class=(if *mine { "mine" } else { "theirs" }) {
                span.visually-hidden { (if *mine { "You: " } else { "Assistant: " }) }
                @for line in text.lines() { (line) br; }
            }
        },
        Entry::Proposal {
            call_id,
            sku,
            quantity,
            open,
        } => html! {
            li.proposal {
                "Add " (quantity) " × " a href={ "/p/" (sku) } { (sku) } " to your cart?"
                @if *open {
                    form.inline method="post" action="/assistant/confirm" {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="call_id" value=(call_id);
                        button type="submit" name="confirm" value="yes" { "Add to cart" }
                        " "
                        button.link type="submit" name="confirm" value="no" { "No, thanks" }
                    }
                } @else { " " small { "(answered)" } }
            }
        },
    }
}
