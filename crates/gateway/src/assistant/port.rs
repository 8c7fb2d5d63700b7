//! The assistant lent to the storefront's page (`storefront::assistant::Assistant`): the same
//! turns and confirmations as the REST API, with the signed-in shopper's token.

use futures_util::future::BoxFuture;
use platform::transport::request;
use proto::inference as pb;
use storefront::assistant::{Assistant, Entry, Found, Refused, Said};

use super::{tools, turn};
use crate::refusal::Refusal;
use crate::state::Gateway;

#[derive(Clone)]
pub(crate) struct Port(pub(crate) Gateway);

fn refused(Refusal(problem, _): Refusal) -> Refused {
    (
        problem.status,
        problem.detail.unwrap_or_else(|| problem.title.clone()),
    )
}

impl Assistant for Port {
    fn say(
        &self,
        token: String,
        conversation: Option<String>,
        message: String,
    ) -> BoxFuture<'static, Result<Said, Refused>> {
        let gateway = self.0.clone();
        Box::pin(async move {
            let reply = turn::answer(&gateway, &token, conversation, &message, None)
                .await
                .map_err(refused)?;
            let products = reply
                .products
                .into_iter()
                .map(|p| Found {
                    price: tools::dollars(p.price.minor_units),
                    sku: p.sku,
                    name: p.name,
                    reason: p.reason,
                })
                .collect();
            Ok(Said {
                conversation_id: reply.conversation_id,
                products,
            })
        })
    }

    fn confirm(
        &self,
        token: String,
        conversation: String,
        call_id: String,
        yes: bool,
    ) -> BoxFuture<'static, Result<(), Refused>> {
        let gateway = self.0.clone();
        Box::pin(async move {
            super::decide(&gateway, &token, &conversation, &call_id, yes)
                .await
                .map_err(refused)?;
            Ok(())
        })
    }

    fn history(
        &self,
        token: String,
        conversation: String,
    ) -> BoxFuture<'static, Result<Vec<Entry>, Refused>> {
        let gateway = self.0.clone();
        Box::pin(async move {
            let asked = pb::GetConversationRequest { id: conversation };
            let found = gateway
                .inference
                .clone()
                .get_conversation(request(asked, &token))
                .await;
            let messages = found
                .map_err(|status| refused(status.into()))?
                .into_inner()
                .messages;
            Ok(entries(&messages))
        })
    }
}

/// The conversation as the page shows it: words, and each proposal, open until answered.
fn entries(messages: &[pb::ChatMessage]) -> Vec<Entry> {
    let answers: std::collections::HashMap<&str, &str> = messages
        .iter()
        .filter(|message| message.role == "tool")
        .map(|message| (message.tool_call_id.as_str(), message.content.as_str()))
        .collect();
    let mut entries = Vec::new();
    for message in messages {
        if matches!(message.role.as_str(), "user" | "assistant")
            && !message.content.trim().is_empty()
        {
            entries.push(Entry::Words {
                mine: message.role == "user",
                text: message.content.clone(),
            });
        }
        for call in message
            .tool_calls
            .iter()
            .filter(|call| call.name == tools::ADD)
        {
            // A call that could not be proposed (no such product) was answered with why.
            let answer = answers.get(call.id.as_str());
            if answer.is_some_and(|said| !said.ends_with("by the shopper")) {
                continue;
            }
            let arguments: serde_json::Value =
                serde_json::from_str(&call.arguments).unwrap_or_default();
            entries.push(Entry::Proposal {
                call_id: call.id.clone(),
                sku: arguments["sku"].as_str().unwrap_or("").to_owned(),
                quantity: arguments["quantity"].as_u64().unwrap_or(1).clamp(1, 99) as u32,
                open: answer.is_none(),
            });
        }
    }
    entries
}
