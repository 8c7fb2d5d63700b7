//! The end of every chain: an answer made by the shop itself, the same for the same request,
//! that says plainly no model answered. It never fails, so a caller always gets an answer; a
//! feature that can do better without a model (the assistant's search) sees `provider ==
//! "fallback"` and does so.

use futures_util::future::BoxFuture;
use proto::inference as pb;
use tokio::sync::mpsc;

use super::{Event, Events, Provider, ProviderError, Usage};

pub const NAME: &str = "fallback";
pub const MODEL: &str = "emporium-fallback";

#[derive(Debug, Default)]
pub struct Fallback;

/// The answer to `request`.
pub fn answer(request: &pb::ChatRequest) -> String {
    let asked = request
        .messages
        .iter()
        .rev()
        .find(|message| message.role == "user")
        .map(|message| super::guard::shorten(message.content.trim(), 120));
    match asked {
        Some(asked) if !asked.is_empty() => format!(
            "No language model is answering right now, so the shop answers itself. You asked: \
             \"{asked}\". Search the catalogue for it, or ask again in a minute."
        ),
        _ => "No language model is answering right now, so the shop answers itself. Ask again \
              in a minute."
            .to_owned(),
    }
}

impl Provider for Fallback {
    fn name(&self) -> &str {
        NAME
    }

    fn model(&self) -> &str {
        MODEL
    }

    fn system(&self) -> &'static str {
        "emporium"
    }

    fn chat(&self, request: &pb::ChatRequest) -> BoxFuture<'static, Result<Events, ProviderError>> {
        let text = answer(request);
        let input_tokens = request
            .messages
            .iter()
            .map(|message| message.content.split_whitespace().count() as u32)
            .sum();
        Box::pin(async move {
            let (sender, events) = mpsc::channel(4);
            let usage = Usage {
                input_tokens,
                output_tokens: text.split_whitespace().count() as u32,
            };
            let _ = sender.send(Ok(Event::Delta(text))).await;
            let reason = "stop".to_owned();
            let _ = sender.send(Ok(Event::Finish { reason, usage })).await;
            Ok(events)
        })
    }
}
