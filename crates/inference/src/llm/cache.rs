//! Answers kept for requests asked again: keyed by the SHA-256 of everything that shapes an
//! answer (the messages, the tools, the most tokens, the temperature), for `cache_ttl_ms`, at most
//! `cache_entries` of them (the oldest goes first). Only answers that ended well are kept, and
//! none of a request that asked for sampling (a temperature above 0).
//!
//! Beside them, the semantic cache: a single question (system prompts and one user message, no
//! tools, since a tool call carries the question's own words) is also kept by its embedding,
//! and a later single question in the same context (the same system prompts and most tokens)
//! whose embedding is at least `semantic_similarity` (cosine) from it gets its answer.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use proto::inference as pb;
use sha2::{Digest as _, Sha256};

use super::Usage;

/// A whole answer, as it is replayed.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub text: String,
    pub tool_calls: Vec<pb::ToolCall>,
    pub reason: String,
    pub usage: Usage,
    pub provider: String,
    pub model: String,
}

/// The answers by key, with when each was kept, and the keys oldest first; the single
/// questions by embedding, oldest first.
#[derive(Debug, Default)]
struct Entries {
    answers: HashMap<String, (Instant, Answer)>,
    order: VecDeque<String>,
    questions: VecDeque<Question>,
}

#[derive(Debug)]
struct Question {
    context: String,
    vector: Vec<f32>,
    answer: Answer,
    stored: Instant,
}

#[derive(Debug)]
pub struct Cache {
    most: usize,
    ttl: Duration,
    entries: Mutex<Entries>,
}

impl Cache {
    pub fn new(most: usize, ttl: Duration) -> Cache {
        Cache {
            most,
            ttl,
            entries: Mutex::default(),
        }
    }

    /// The context of a single question (its system prompts and most tokens, hashed), or
    /// `None` when `request` is not one.
    pub fn question_context(&self, request: &pb::ChatRequest) -> Option<String> {
        self.key(request)?;
        let users = request.messages.iter().filter(|m| m.role == "user").count();
        let others = request
            .messages
            .iter()
            .any(|m| m.role != "user" && m.role != "system");
        if users != 1 || others || !request.tools.is_empty() || !request.response_schema.is_empty()
        {
            return None;
        }
        let context = pb::ChatRequest {
            messages: request
                .messages
                .iter()
                .filter(|message| message.role == "system")
                .cloned()
                .collect(),
            max_tokens: request.max_tokens,
            ..Default::default()
        };
        self.key(&context)
    }

    /// The answer kept for the nearest question to `vector` in `context`, if near enough.
    pub fn near(&self, context: &str, vector: &[f32], similarity: f64) -> Option<Answer> {
        let entries = self.lock();
        entries
            .questions
            .iter()
            .filter(|kept| kept.context == context && kept.stored.elapsed() < self.ttl)
            .map(|kept| (crate::domain::agreement::cosine(&kept.vector, vector), kept))
            .filter(|(cosine, _)| *cosine >= similarity)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, kept)| kept.answer.clone())
    }

    /// Keeps `answer` to the question in `context` whose embedding is `vector`.
    pub fn put_question(&self, context: String, vector: Vec<f32>, answer: Answer) {
        let mut entries = self.lock();
        entries.questions.push_back(Question {
            context,
            vector,
            answer,
            stored: Instant::now(),
        });
        while entries.questions.len() > self.most {
            entries.questions.pop_front();
        }
    }

    /// The key of `request`, or `None` when its answers are not to be kept.
    pub fn key(&self, request: &pb::ChatRequest) -> Option<String> {
        if self.most == 0 || request.temperature.is_some_and(|t| t > 0.0) {
            return None;
        }
        let mut hash = Sha256::new();
        let mut field = |value: &str| {
            hash.update((value.len() as u64).to_le_bytes());
            hash.update(value.as_bytes());
        };
        for message in &request.messages {
            field(&message.role);
            field(&message.content);
            field(&message.tool_call_id);
            for call in &message.tool_calls {
                field(&call.id);
                field(&call.name);
                field(&call.arguments);
            }
        }
        for tool in &request.tools {
            field(&tool.name);
            field(&tool.description);
            field(&tool.parameters);
        }
        field(&request.max_tokens.to_string());
        field(&request.response_schema);
        Some(
            hash.finalize()
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<Answer> {
        let entries = self.lock();
        let (stored, answer) = entries.answers.get(key)?;
        (stored.elapsed() < self.ttl).then(|| answer.clone())
    }

    pub fn put(&self, key: String, answer: Answer) {
        let mut entries = self.lock();
        let Entries { answers, order, .. } = &mut *entries;
        if answers
            .insert(key.clone(), (Instant::now(), answer))
            .is_none()
        {
            order.push_back(key);
        }
        while order.len() > self.most {
            if let Some(oldest) = order.pop_front() {
                answers.remove(&oldest);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asking(question: &str, temperature: Option<f32>) -> pb::ChatRequest {
        pb::ChatRequest {
            messages: vec![pb::ChatMessage {
                role: "user".to_owned(),
                content: question.to_owned(),
                ..Default::default()
            }],
            temperature,
            ..Default::default()
        }
    }

    fn answer(text: &str) -> Answer {
        Answer {
            text: text.to_owned(),
            tool_calls: Vec::new(),
            reason: "stop".to_owned(),
            usage: Usage::default(),
            provider: "openai".to_owned(),
            model: "gpt-4o-mini".to_owned(),
        }
    }

    #[test]
    fn the_same_question_is_answered_again_until_it_is_pushed_out() {
        let cache = Cache::new(2, Duration::from_secs(60));
        let first = cache.key(&asking("an apron?", None)).unwrap();
        assert_eq!(
            cache.key(&asking("an apron?", Some(0.0))),
            Some(first.clone())
        );
        assert_eq!(cache.key(&asking("an apron?", Some(0.7))), None);
        assert_ne!(cache.key(&asking("a pot?", None)), Some(first.clone()));
        cache.put(first.clone(), answer("yes"));
        assert_eq!(cache.get(&first).unwrap().text, "yes");
        cache.put("b".to_owned(), answer("b"));
        cache.put("c".to_owned(), answer("c"));
        assert_eq!(cache.get(&first), None);
        assert!(cache.get("c").is_some());
    }

    #[test]
    fn only_a_single_question_without_tools_is_kept_by_meaning_and_found_near_enough() {
        let cache = Cache::new(8, Duration::from_secs(60));
        let question = asking("an apron?", None);
        let context = cache.question_context(&question).unwrap();
        let mut with_tools = question.clone();
        with_tools.tools.push(pb::Tool::default());
        assert_eq!(cache.question_context(&with_tools), None);
        let mut follow_up = question.clone();
        follow_up
            .messages
            .push(asking("and a pot?", None).messages.remove(0));
        assert_eq!(cache.question_context(&follow_up), None);
        assert_eq!(
            cache.question_context(&asking("a pot?", None)),
            Some(context.clone())
        );

        cache.put_question(context.clone(), vec![1.0, 0.0], answer("aprons"));
        assert_eq!(
            cache.near(&context, &[0.99, 0.1], 0.95).unwrap().text,
            "aprons"
        );
        assert_eq!(cache.near(&context, &[0.6, 0.8], 0.95), None);
        assert_eq!(cache.near("elsewhere", &[1.0, 0.0], 0.95), None);
    }
}
