//! The assistant's conversations: appended to under a lock on the conversation's row, so that
//! appends to one conversation run one after the other, and a tool call answered at most once
//! (a unique index on the answer's call).

use platform::db::{self, Row};
use proto::inference as pb;

use super::Store;
use crate::error::Error;

/// The most messages a conversation holds; past them, a new one is started.
pub(crate) const MOST_MESSAGES: i64 = 400;

impl Store {
    /// Appends `messages` to `owner`'s conversation `id` (a new one, named `new_id`, when `id`
    /// is `None`); with `answers_call`, the first message answers that call of the assistant's,
    /// unanswered until now. Answers the conversation's id.
    pub(crate) async fn append(
        &self,
        owner: &str,
        id: Option<&str>,
        new_id: &str,
        messages: &[pb::ChatMessage],
        answers_call: Option<&str>,
        now_ms: i64,
    ) -> Result<String, Error> {
        let mut transaction = self.database.begin_write().await?;
        let id = match id {
            Some(id) => {
                let locked = db::query(
                    "UPDATE conversations SET updated_at_ms = $1 WHERE id = $2 AND owner = $3",
                )
                .bind(now_ms)
                .bind(id)
                .bind(owner)
                .execute(&mut *transaction)
                .await?;
                if locked.rows_affected() == 0 {
                    return Err(Error::ConversationNotFound(id.to_owned()));
                }
                id.to_owned()
            }
            None => {
                db::query("INSERT INTO conversations (id, owner, created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $3)")
                    .bind(new_id)
                    .bind(owner)
                    .bind(now_ms)
                    .execute(&mut *transaction)
                    .await?;
                new_id.to_owned()
            }
        };
        let row = db::query("SELECT COALESCE(MAX(seq), 0) AS last FROM conversation_messages WHERE conversation_id = $1")
            .bind(id.as_str())
            .fetch_one(&mut *transaction)
            .await?;
        let last: i64 = row.try_get("last")?;
        if last + messages.len() as i64 > MOST_MESSAGES {
            return Err(Error::ConversationFull(id));
        }
        if let Some(call) = answers_call {
            check_call(&mut transaction, &id, call).await?;
        }
        for (at, message) in messages.iter().enumerate() {
            let calls: Vec<serde_json::Value> = message
                .tool_calls
                .iter()
                .map(|call| serde_json::json!({"id": call.id, "name": call.name, "arguments": call.arguments}))
                .collect();
            let inserted = db::query("INSERT INTO conversation_messages (conversation_id, seq, role, content, tool_calls, tool_call_id) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id.as_str())
                .bind(last + 1 + at as i64)
                .bind(message.role.as_str())
                .bind(message.content.as_str())
                .bind(serde_json::Value::Array(calls).to_string())
                .bind(message.tool_call_id.as_str())
                .execute(&mut *transaction)
                .await;
            match inserted {
                Err(error) if error.is_unique_violation() => {
                    return Err(Error::CallAnswered(message.tool_call_id.clone()));
                }
                other => other?,
            };
        }
        transaction.commit().await?;
        Ok(id)
    }

    /// `owner`'s conversation `id`: when it began, and its messages in order.
    pub(crate) async fn conversation(
        &self,
        owner: &str,
        id: &str,
    ) -> Result<(i64, Vec<pb::ChatMessage>), Error> {
        let found =
            db::query("SELECT created_at_ms FROM conversations WHERE id = $1 AND owner = $2")
                .bind(id)
                .bind(owner)
                .fetch_optional(self.database.pool())
                .await?
                .ok_or_else(|| Error::ConversationNotFound(id.to_owned()))?;
        let rows = db::query("SELECT role, content, tool_calls, tool_call_id FROM conversation_messages WHERE conversation_id = $1 ORDER BY seq")
            .bind(id)
            .fetch_all(self.database.pool())
            .await?;
        let messages = rows
            .iter()
            .map(message_of)
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok((found.try_get("created_at_ms")?, messages))
    }
}

/// Refuses an answer to `call` unless an assistant's message of the conversation made it.
async fn check_call(transaction: &mut db::Transaction, id: &str, call: &str) -> Result<(), Error> {
    let rows = db::query("SELECT role, content, tool_calls, tool_call_id FROM conversation_messages WHERE conversation_id = $1 AND role = 'assistant'")
        .bind(id)
        .fetch_all(&mut **transaction)
        .await?;
    for row in &rows {
        if message_of(row)?
            .tool_calls
            .iter()
            .any(|made| made.id == call)
        {
            return Ok(());
        }
    }
    Err(Error::Invalid(crate::domain::Invalid {
        field: "answers_call",
        reason: format!("the conversation has no call `{call}`"),
    }))
}

fn message_of(row: &Row) -> anyhow::Result<pb::ChatMessage> {
    let calls: Vec<serde_json::Value> =
        serde_json::from_str(&row.try_get::<String, _>("tool_calls")?)?;
    let text = |value: &serde_json::Value| value.as_str().unwrap_or("").to_owned();
    Ok(pb::ChatMessage {
        role: row.try_get("role")?,
        content: row.try_get("content")?,
        tool_calls: calls
            .iter()
            .map(|call| pb::ToolCall {
                id: text(&call["id"]),
                name: text(&call["name"]),
                arguments: text(&call["arguments"]),
            })
            .collect(),
        tool_call_id: row.try_get("tool_call_id")?,
    })
}
