//! What a load run saw: checkouts confirmed and failed, latencies, errors by kind, and the
//! outages (a spell in which the shop refused connections), so that a one-second crash shows as
//! one outage of a second, not as thousands of errors.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How a request went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ErrorKind {
    /// The connection was refused: nothing listens (the shop is down).
    Refused,
    /// No answer in time.
    Timeout,
    /// The connection broke with the request under way.
    Interrupted,
    /// The shop answered 4xx.
    Client,
    /// The shop answered 5xx.
    Server,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Refused => "refused",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Interrupted => "interrupted",
            ErrorKind::Client => "4xx",
            ErrorKind::Server => "5xx",
        }
    }

    /// The kind of a failed request.
    pub fn of(error: &reqwest::Error) -> ErrorKind {
        if error.is_timeout() {
            ErrorKind::Timeout
        } else if error.is_connect() {
            ErrorKind::Refused
        } else {
            ErrorKind::Interrupted
        }
    }

    /// The kind of an answer that is not a success.
    pub fn of_status(status: reqwest::StatusCode) -> ErrorKind {
        match status.is_server_error() {
            true => ErrorKind::Server,
            false => ErrorKind::Client,
        }
    }
}

/// The outcome of a load run.
#[derive(Debug, Default)]
pub struct Report {
    pub confirmed: usize,
    pub failed: usize,
    pub errors: usize,
    pub errors_by_kind: BTreeMap<ErrorKind, usize>,
    /// What the first few errors said.
    pub error_samples: Vec<String>,
    /// How long each outage lasted, from the first refused connection to the first answer after.
    pub outages: Vec<Duration>,
    pub elapsed: Duration,
    /// Checkout latencies, sorted.
    pub latencies: Vec<Duration>,
}

impl Report {
    pub fn percentile(&self, percent: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = ((self.latencies.len() as f64 - 1.0) * percent / 100.0).round() as usize;
        self.latencies[index.min(self.latencies.len() - 1)]
    }

    pub fn per_second(&self) -> f64 {
        self.confirmed as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    pub(super) fn error(&mut self, kind: ErrorKind, what: String) {
        self.errors += 1;
        *self.errors_by_kind.entry(kind).or_default() += 1;
        if self.error_samples.len() < 5 {
            self.error_samples.push(what);
        }
    }

    /// Adds a buyer's part of the run.
    pub(super) fn merge(&mut self, part: Report) {
        self.confirmed += part.confirmed;
        self.failed += part.failed;
        self.errors += part.errors;
        for (kind, count) in part.errors_by_kind {
            *self.errors_by_kind.entry(kind).or_default() += count;
        }
        let room = 5usize.saturating_sub(self.error_samples.len());
        self.error_samples
            .extend(part.error_samples.into_iter().take(room));
        self.latencies.extend(part.latencies);
    }

    /// `refused 12, 5xx 1; 1 outage of 1.2 s`: the errors by kind and the outages.
    pub fn describe_errors(&self) -> String {
        let kinds: Vec<String> = self
            .errors_by_kind
            .iter()
            .map(|(kind, count)| format!("{} {count}", kind.as_str()))
            .collect();
        let kinds = match kinds.is_empty() {
            true => "none".to_owned(),
            false => kinds.join(", "),
        };
        let longest = self.outages.iter().max().copied().unwrap_or_default();
        let total: Duration = self.outages.iter().sum();
        format!(
            "errors: {kinds}; outages: {} (longest {:.1} s, in all {:.1} s)",
            self.outages.len(),
            longest.as_secs_f64(),
            total.as_secs_f64()
        )
    }
}

/// The shop's outages as all buyers see them: one opens at the first refused connection and
/// closes at the first answer after it, whichever buyer gets them.
#[derive(Debug, Default)]
pub(super) struct Outages {
    state: Mutex<OutageState>,
}

#[derive(Debug, Default)]
struct OutageState {
    open_since: Option<Instant>,
    ended: Vec<Duration>,
}

impl Outages {
    pub fn refused(&self, at: Instant) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.open_since.get_or_insert(at);
    }

    pub fn answered(&self, at: Instant) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(since) = state.open_since.take() {
            state.ended.push(at.saturating_duration_since(since));
        }
    }

    /// Every outage, one still open at `end` counted up to it.
    pub fn finish(&self, end: Instant) -> Vec<Duration> {
        self.answered(end);
        let state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.ended.clone()
    }
}

/// How long a buyer waits before it tries again after its `attempt`-th refused connection in a
/// row: doubling from 50 ms up to 2 s, with up to half again at random, so that buyers do not
/// come back all at once.
pub(super) fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(50) * 2u32.saturating_pow(attempt.min(6));
    let base = base.min(Duration::from_secs(2));
    base + base.mul_f64(rand::random::<f64>() / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_refusals_in_one_spell_are_one_outage_from_the_first_refusal_to_the_first_answer() {
        let outages = Outages::default();
        let start = Instant::now();
        for millis in [0, 10, 20, 300] {
            outages.refused(start + Duration::from_millis(millis));
        }
        outages.answered(start + Duration::from_millis(1000));
        outages.answered(start + Duration::from_millis(1100));
        outages.refused(start + Duration::from_millis(2000));
        let seen = outages.finish(start + Duration::from_millis(2500));
        assert_eq!(
            seen,
            [Duration::from_millis(1000), Duration::from_millis(500)]
        );
    }

    #[test]
    fn backoff_doubles_to_a_cap_with_jitter() {
        for attempt in 0..20 {
            let wait = backoff(attempt);
            let base =
                (Duration::from_millis(50) * 2u32.pow(attempt.min(6))).min(Duration::from_secs(2));
            assert!(
                wait >= base && wait <= base + base / 2,
                "{attempt}: {wait:?}"
            );
        }
    }

    #[test]
    fn errors_are_counted_by_kind_and_described_with_the_outages() {
        let mut report = Report::default();
        report.error(ErrorKind::Refused, "checkout: refused".to_owned());
        report.error(ErrorKind::Refused, "checkout: refused".to_owned());
        report.error(ErrorKind::Server, "checkout: 503".to_owned());
        report.outages = vec![Duration::from_millis(1200)];
        assert_eq!(
            report.describe_errors(),
            "errors: refused 2, 5xx 1; outages: 1 (longest 1.2 s, in all 1.2 s)"
        );
    }
}
