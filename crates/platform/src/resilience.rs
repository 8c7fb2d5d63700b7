//! Resilience between services: a circuit breaker per downstream, a bound on calls in flight,
//! and deadlines that shrink along a chain of calls.
//!
//! The breaker counts failures that say the downstream is away or overwhelmed (the transport
//! failed, or `UNAVAILABLE`, `DEADLINE_EXCEEDED`, `RESOURCE_EXHAUSTED`). After
//! `failures_to_open` of them in a row it opens: calls fail at once with `UNAVAILABLE`, naming the
//! downstream, instead of waiting on it. After `open_for` one trial call goes through; its
//! success closes the breaker, its failure opens it again. Answers such as `NOT_FOUND` or
//! `PERMISSION_DENIED` are the downstream working, and count as successes.
//!
//! A server runs each call's handler under the call's deadline (`grpc::ServerLayer`); requests
//! made inside it (`transport::request`) carry what remains of it as their `grpc-timeout`, so a
//! chain of calls never outlives the first caller's patience.

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use tonic::{Code, Status};
use tower::{Layer, Service};

/// When a breaker opens and for how long.
#[derive(Clone, Copy, Debug)]
pub struct BreakerConfig {
    /// Failures in a row that open the breaker.
    pub failures_to_open: u32,
    /// How long it stays open before a trial call.
    pub open_for: Duration,
}

impl Default for BreakerConfig {
    fn default() -> BreakerConfig {
        BreakerConfig {
            failures_to_open: 5,
            open_for: Duration::from_secs(5),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// One trial call is out.
    HalfOpen,
}

/// A circuit breaker for one downstream, shared by every clone of its transport.
#[derive(Clone, Debug)]
pub struct CircuitBreaker {
    downstream: Arc<str>,
    config: BreakerConfig,
    state: Arc<Mutex<State>>,
}

impl CircuitBreaker {
    pub fn new(downstream: &str, config: BreakerConfig) -> CircuitBreaker {
        CircuitBreaker {
            downstream: downstream.into(),
            config,
            state: Arc::new(Mutex::new(State::Closed { failures: 0 })),
        }
    }

    /// Lets a call through, or says why not.
    pub fn admit(&self) -> Result<(), Status> {
        let mut state = self.lock();
        match *state {
            State::Closed { .. } => Ok(()),
            State::Open { until } if Instant::now() >= until => {
                *state = State::HalfOpen;
                Ok(())
            }
            State::Open { until } => Err(Status::unavailable(format!(
                "{} is failing; calls to it pause for {} ms more",
                self.downstream,
                until.saturating_duration_since(Instant::now()).as_millis()
            ))),
            State::HalfOpen => Err(Status::unavailable(format!(
                "{} is failing; a trial call is out",
                self.downstream
            ))),
        }
    }

    /// Counts a call's outcome: `healthy` unless it said the downstream is away or overwhelmed.
    pub fn record(&self, healthy: bool) {
        let mut state = self.lock();
        let next = match (*state, healthy) {
            (_, true) => State::Closed { failures: 0 },
            (State::Closed { failures }, false) if failures + 1 < self.config.failures_to_open => {
                State::Closed {
                    failures: failures + 1,
                }
            }
            (_, false) => State::Open {
                until: Instant::now() + self.config.open_for,
            },
        };
        let was_open = matches!(*state, State::Open { .. });
        let is_open = matches!(next, State::Open { .. });
        if is_open && !was_open {
            tracing::warn!(downstream = %self.downstream, "circuit breaker opened");
        } else if was_open || *state == State::HalfOpen && !is_open {
            tracing::info!(downstream = %self.downstream, "circuit breaker closed");
        }
        metrics::gauge!("circuit_breaker_open", "downstream" => self.downstream.to_string())
            .set(if is_open { 1.0 } else { 0.0 });
        *state = next;
    }

    /// Whether calls are refused right now.
    pub fn is_open(&self) -> bool {
        matches!(*self.lock(), State::Open { until } if Instant::now() < until)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Codes that say the downstream is away or overwhelmed.
fn unhealthy(code: Code) -> bool {
    matches!(
        code,
        Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted
    )
}

impl<S> Layer<S> for CircuitBreaker {
    type Service = Breaking<S>;

    fn layer(&self, inner: S) -> Breaking<S> {
        Breaking {
            inner,
            breaker: self.clone(),
        }
    }
}

/// A service behind a circuit breaker.
#[derive(Clone, Debug)]
pub struct Breaking<S> {
    inner: S,
    breaker: CircuitBreaker,
}

impl<S, Request, ResponseBody> Service<Request> for Breaking<S>
where
    S: Service<Request, Response = http::Response<ResponseBody>, Error = Status>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    Request: Send + 'static,
    ResponseBody: Send + 'static,
{
    type Response = http::Response<ResponseBody>;
    type Error = Status;
    type Future = BoxFuture<'static, Result<http::Response<ResponseBody>, Status>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), Status>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let breaker = self.breaker.clone();
        if let Err(status) = breaker.admit() {
            return Box::pin(async move { Err(status) });
        }
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let result = inner.call(request).await;
            let healthy = match &result {
                Err(status) => !unhealthy(status.code()),
                // An error answered at once travels in the headers ("trailers-only").
                Ok(response) => response
                    .headers()
                    .get("grpc-status")
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.parse::<i32>().ok())
                    .is_none_or(|code| !unhealthy(Code::from_i32(code))),
            };
            breaker.record(healthy);
            result
        })
    }
}

tokio::task_local! {
    static DEADLINE: Instant;
}

/// Runs `future` under `deadline`: requests it makes carry what remains of it.
pub async fn within_deadline<F: Future>(deadline: Instant, future: F) -> F::Output {
    let deadline = match current_deadline() {
        Some(outer) => outer.min(deadline),
        None => deadline,
    };
    DEADLINE.scope(deadline, future).await
}

/// The deadline of the call being handled, if any.
pub fn current_deadline() -> Option<Instant> {
    DEADLINE.try_with(|deadline| *deadline).ok()
}

/// `wanted`, or less when the call being handled has less time left.
pub fn timeout_within_deadline(wanted: Option<Duration>) -> Option<Duration> {
    let remaining =
        current_deadline().map(|deadline| deadline.saturating_duration_since(Instant::now()));
    match (wanted, remaining) {
        (Some(wanted), Some(remaining)) => Some(wanted.min(remaining)),
        (wanted, remaining) => wanted.or(remaining),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tower::ServiceExt as _;

    use super::*;

    /// A downstream that answers with `code` in the headers, or fails outright with
    /// `UNAVAILABLE` when `code` is `None`; it counts the calls that reach it.
    fn downstream(
        answers: Arc<Mutex<Option<Code>>>,
        calls: Arc<AtomicUsize>,
    ) -> impl Service<
        (),
        Response = http::Response<()>,
        Error = Status,
        Future = BoxFuture<'static, Result<http::Response<()>, Status>>,
    > + Clone {
        tower::service_fn(move |()| {
            calls.fetch_add(1, Ordering::SeqCst);
            let answer = *answers.lock().unwrap();
            let future: BoxFuture<'static, _> = Box::pin(async move {
                match answer {
                    None => Err(Status::unavailable("connection refused")),
                    Some(code) => {
                        let mut response = http::Response::new(());
                        response
                            .headers_mut()
                            .insert("grpc-status", http::HeaderValue::from(code as i32));
                        Ok(response)
                    }
                }
            });
            future
        })
    }

    #[tokio::test]
    async fn the_breaker_opens_after_failures_in_a_row_then_tries_once_and_closes() {
        let answers = Arc::new(Mutex::new(None));
        let calls = Arc::new(AtomicUsize::new(0));
        let breaker = CircuitBreaker::new(
            "payments",
            BreakerConfig {
                failures_to_open: 3,
                open_for: Duration::from_millis(100),
            },
        );
        let service = breaker.layer(downstream(answers.clone(), calls.clone()));
        for _ in 0..3 {
            let status = service.clone().oneshot(()).await.unwrap_err();
            assert_eq!(status.message(), "connection refused");
        }
        assert!(breaker.is_open());
        let refused = service.clone().oneshot(()).await.unwrap_err();
        assert_eq!(refused.code(), Code::Unavailable);
        assert!(
            refused.message().contains("payments is failing"),
            "{refused:?}"
        );
        assert_eq!(
            calls.load(Ordering::SeqCst),
            3,
            "an open breaker calls nothing"
        );

        tokio::time::sleep(Duration::from_millis(120)).await;
        *answers.lock().unwrap() = Some(Code::Ok);
        service.clone().oneshot(()).await.unwrap();
        assert!(!breaker.is_open(), "the trial succeeded");
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_failed_trial_opens_again_and_answers_that_are_not_outages_keep_it_closed() {
        let answers = Arc::new(Mutex::new(Some(Code::Unavailable)));
        let calls = Arc::new(AtomicUsize::new(0));
        let breaker = CircuitBreaker::new(
            "shipping",
            BreakerConfig {
                failures_to_open: 2,
                open_for: Duration::from_millis(50),
            },
        );
        let service = breaker.layer(downstream(answers.clone(), calls.clone()));
        for _ in 0..2 {
            service.clone().oneshot(()).await.unwrap();
        }
        assert!(breaker.is_open(), "UNAVAILABLE in the headers counts");
        tokio::time::sleep(Duration::from_millis(60)).await;
        service.clone().oneshot(()).await.unwrap();
        assert!(breaker.is_open(), "the trial failed, so it opened again");

        let breaker = CircuitBreaker::new("catalog", BreakerConfig::default());
        *answers.lock().unwrap() = Some(Code::NotFound);
        let service = breaker.layer(downstream(answers, calls));
        for _ in 0..20 {
            service.clone().oneshot(()).await.unwrap();
        }
        assert!(!breaker.is_open(), "NOT_FOUND is the downstream working");
    }

    #[tokio::test]
    async fn deadlines_shrink_along_a_chain_and_never_grow() {
        assert_eq!(timeout_within_deadline(None), None);
        assert_eq!(
            timeout_within_deadline(Some(Duration::from_secs(3))),
            Some(Duration::from_secs(3))
        );
        let outer = Instant::now() + Duration::from_millis(500);
        within_deadline(outer, async {
            let inherited = timeout_within_deadline(None).unwrap();
            assert!(inherited <= Duration::from_millis(500), "{inherited:?}");
            let capped = timeout_within_deadline(Some(Duration::from_secs(5))).unwrap();
            assert!(capped <= Duration::from_millis(500), "{capped:?}");
            let shorter = timeout_within_deadline(Some(Duration::from_millis(100))).unwrap();
            assert_eq!(shorter, Duration::from_millis(100));
            // An inner deadline later than the outer one does not extend it.
            within_deadline(Instant::now() + Duration::from_secs(10), async {
                let inner = timeout_within_deadline(None).unwrap();
                assert!(inner <= Duration::from_millis(500), "{inner:?}");
            })
            .await;
        })
        .await;
    }
}
