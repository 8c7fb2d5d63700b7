//! What a shop run saw, step by step: latencies in HDR histograms (microseconds, from 1 µs to a
//! minute), one per step for the whole run and one per step and time window for the charts over
//! time, with the errors and finished journeys counted the same two ways.
//!
//! HDR histograms keep every latency within a fixed relative precision in a fixed space, so a
//! run's percentiles are exact to that precision however long it runs, and windows add up.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context as _;
use hdrhistogram::Histogram;

use super::report::ErrorKind;

/// The longest latency a histogram tells apart, in microseconds: a minute. A longer one counts
/// as a minute.
const HIGHEST_MICROS: u64 = 60_000_000;
/// The whole run's histograms keep three significant figures (0.1 %, about 140 kB each).
const RUN_PRECISION: u8 = 3;
/// A window's keep two (1 %, about 20 kB each): enough for a chart, and a run has many windows.
const WINDOW_PRECISION: u8 = 2;
/// The most windows a run's charts are cut into.
const MAX_WINDOWS: u64 = 60;
/// The most windows kept: the last one takes whatever comes later (journeys that end in the
/// grace after the deadline land in the few windows past the run's).
const WINDOWS_KEPT: usize = 2 * MAX_WINDOWS as usize;
/// How many error messages a run keeps, to show what went wrong.
const ERROR_SAMPLES: usize = 5;

/// How long each window of the charts over time lasts for a run of `seconds`: a whole number of
/// seconds, at least one, so that a run has at most 60 windows.
pub fn window_length(seconds: u64) -> Duration {
    Duration::from_secs(seconds.div_ceil(MAX_WINDOWS).max(1))
}

/// The latencies of one step's successful requests, and those of its failed ones apart: a
/// timeout or a quick refusal would otherwise move the percentiles of the answers that counted.
#[derive(Clone, Debug)]
pub struct StepLatencies {
    latencies: Histogram<u64>,
    failed: Histogram<u64>,
    errors: u64,
}

/// One window of a run: what each step saw in it, and the journeys that ended in it.
#[derive(Clone, Debug, Default)]
pub struct Window {
    pub steps: BTreeMap<&'static str, StepLatencies>,
    /// Journeys that ended in the window, all their steps answered or not.
    pub journeys: u64,
    /// Of those, the ones a failed step cut short.
    pub failed_journeys: u64,
    /// Failed requests in the window.
    pub errors: u64,
}

/// Everything a shop run recorded.
#[derive(Clone, Debug)]
pub struct Recording {
    window: Duration,
    /// Empty histograms of each precision, cloned for each new step and window.
    run_template: Histogram<u64>,
    window_template: Histogram<u64>,
    steps: BTreeMap<&'static str, StepLatencies>,
    windows: Vec<Window>,
    /// Every successful request's latency, whatever its step, for the progress line.
    overall: Histogram<u64>,
    errors: u64,
    errors_by_kind: BTreeMap<ErrorKind, u64>,
    error_samples: Vec<String>,
    journeys: u64,
    failed_journeys: u64,
    unfinished: u64,
}

impl StepLatencies {
    fn new(latencies: Histogram<u64>) -> StepLatencies {
        StepLatencies {
            failed: latencies.clone(),
            latencies,
            errors: 0,
        }
    }

    /// How many requests of the step answered with a success (the ones whose latencies the
    /// percentiles are of).
    pub fn count(&self) -> u64 {
        self.latencies.len()
    }

    /// How many requests of the step failed.
    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// The latency at `quantile` (0.99 for p99), in milliseconds; 0 with no latency.
    pub fn quantile_ms(&self, quantile: f64) -> f64 {
        match self.latencies.is_empty() {
            true => 0.0,
            false => micros_to_ms(self.latencies.value_at_quantile(quantile)),
        }
    }

    /// The longest latency, in milliseconds; 0 with no latency.
    pub fn max_ms(&self) -> f64 {
        match self.latencies.is_empty() {
            true => 0.0,
            false => micros_to_ms(self.latencies.max()),
        }
    }

    /// The latency at `quantile` of the failed requests that answered or timed out, in
    /// milliseconds; 0 with none.
    pub fn failed_quantile_ms(&self, quantile: f64) -> f64 {
        match self.failed.is_empty() {
            true => 0.0,
            false => micros_to_ms(self.failed.value_at_quantile(quantile)),
        }
    }
}

/// A latency in the histograms' unit; zero microseconds is below their lowest value: 1.
fn micros_of(latency: Duration) -> u64 {
    u64::try_from(latency.as_micros())
        .unwrap_or(u64::MAX)
        .max(1)
}

impl Recording {
    /// An empty recording for a run of `seconds`.
    pub fn new(seconds: u64) -> anyhow::Result<Recording> {
        let run_template = Histogram::new_with_bounds(1, HIGHEST_MICROS, RUN_PRECISION)
            .context("make a latency histogram")?;
        let window_template = Histogram::new_with_bounds(1, HIGHEST_MICROS, WINDOW_PRECISION)
            .context("make a latency histogram")?;
        Ok(Recording {
            window: window_length(seconds),
            overall: run_template.clone(),
            run_template,
            window_template,
            steps: BTreeMap::new(),
            windows: Vec::new(),
            errors: 0,
            errors_by_kind: BTreeMap::new(),
            error_samples: Vec::new(),
            journeys: 0,
            failed_journeys: 0,
            unfinished: 0,
        })
    }

    /// A request of `step` that answered with a success `at` into the run, after `latency`.
    pub fn record(&mut self, step: &'static str, at: Duration, latency: Duration) {
        let micros = micros_of(latency);
        let run_template = &self.run_template;
        self.steps
            .entry(step)
            .or_insert_with(|| StepLatencies::new(run_template.clone()))
            .latencies
            .saturating_record(micros);
        self.overall.saturating_record(micros);
        let index = self.window_index(at);
        let window_template = &self.window_template;
        self.windows[index]
            .steps
            .entry(step)
            .or_insert_with(|| StepLatencies::new(window_template.clone()))
            .latencies
            .saturating_record(micros);
    }

    /// A request of `step` that failed `at` into the run, of `kind`, saying `what`, after
    /// `latency` (none when it was never sent).
    pub fn record_error(
        &mut self,
        step: &'static str,
        at: Duration,
        latency: Option<Duration>,
        failure: (ErrorKind, String),
    ) {
        let (kind, what) = failure;
        let run_template = &self.run_template;
        let latencies = self
            .steps
            .entry(step)
            .or_insert_with(|| StepLatencies::new(run_template.clone()));
        latencies.errors += 1;
        if let Some(latency) = latency {
            latencies.failed.saturating_record(micros_of(latency));
        }
        let index = self.window_index(at);
        let window_template = &self.window_template;
        let window = &mut self.windows[index];
        window
            .steps
            .entry(step)
            .or_insert_with(|| StepLatencies::new(window_template.clone()))
            .errors += 1;
        window.errors += 1;
        self.count_error(kind, what);
    }

    /// A journey that ended `at` into the run: every step answered (`ok`), or one failed.
    pub fn journey_ended(&mut self, at: Duration, ok: bool) {
        let index = self.window_index(at);
        let window = &mut self.windows[index];
        window.journeys += 1;
        self.journeys += 1;
        if !ok {
            window.failed_journeys += 1;
            self.failed_journeys += 1;
        }
    }

    /// `count` journeys still under way when the run stopped waiting for them, of `kind`
    /// (a timeout, usually): errors of no step, since they never answered.
    pub fn unfinished(&mut self, count: u64, kind: ErrorKind, what: &str) {
        self.unfinished += count;
        for _ in 0..count.min(ERROR_SAMPLES as u64) {
            self.count_error(kind, what.to_owned());
        }
        let more = count.saturating_sub(ERROR_SAMPLES as u64);
        self.errors += more;
        *self.errors_by_kind.entry(kind).or_default() += more;
    }

    /// How long each window lasts.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Each step's latencies and errors over the whole run, by name.
    pub fn steps(&self) -> &BTreeMap<&'static str, StepLatencies> {
        &self.steps
    }

    /// The windows from the run's start, one after the other; windows in which nothing ended
    /// are empty.
    pub fn windows(&self) -> &[Window] {
        &self.windows
    }

    /// Failed requests and unfinished journeys.
    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// The errors by kind.
    pub fn errors_by_kind(&self) -> &BTreeMap<ErrorKind, u64> {
        &self.errors_by_kind
    }

    /// What the first few errors said.
    pub fn error_samples(&self) -> &[String] {
        &self.error_samples
    }

    /// Journeys that ended, and of those the ones a failed step cut short.
    pub fn journeys(&self) -> (u64, u64) {
        (self.journeys, self.failed_journeys)
    }

    /// Journeys still under way when the run stopped waiting for them.
    pub fn unfinished_journeys(&self) -> u64 {
        self.unfinished
    }

    /// The latency at `quantile` over every successful request so far, in milliseconds.
    pub fn overall_quantile_ms(&self, quantile: f64) -> f64 {
        match self.overall.is_empty() {
            true => 0.0,
            false => micros_to_ms(self.overall.value_at_quantile(quantile)),
        }
    }

    /// The index of the window `at` falls in, made when new.
    fn window_index(&mut self, at: Duration) -> usize {
        let index = (at.as_secs() / self.window.as_secs().max(1)) as usize;
        let index = index.min(WINDOWS_KEPT - 1);
        if self.windows.len() <= index {
            self.windows.resize_with(index + 1, Window::default);
        }
        index
    }

    fn count_error(&mut self, kind: ErrorKind, what: String) {
        self.errors += 1;
        *self.errors_by_kind.entry(kind).or_default() += 1;
        if self.error_samples.len() < ERROR_SAMPLES {
            self.error_samples.push(what);
        }
    }
}

/// Microseconds as milliseconds.
fn micros_to_ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_whole_seconds_and_at_most_sixty_to_a_run() {
        assert_eq!(window_length(0), Duration::from_secs(1));
        assert_eq!(window_length(10), Duration::from_secs(1));
        assert_eq!(window_length(60), Duration::from_secs(1));
        assert_eq!(window_length(61), Duration::from_secs(2));
        assert_eq!(window_length(120), Duration::from_secs(2));
        assert_eq!(window_length(600), Duration::from_secs(10));
        for seconds in 1..=600u64 {
            let windows = seconds.div_ceil(window_length(seconds).as_secs());
            assert!(windows <= 60, "{seconds} s: {windows} windows");
        }
    }

    #[test]
    fn latencies_land_in_their_step_and_window_and_errors_are_counted_both_ways() {
        let mut recording = Recording::new(120).unwrap();
        for millis in 1..=100 {
            recording.record(
                "browse",
                Duration::from_secs(1),
                Duration::from_millis(millis),
            );
        }
        recording.record(
            "checkout",
            Duration::from_secs(5),
            Duration::from_millis(250),
        );
        recording.record_error(
            "checkout",
            Duration::from_secs(5),
            Some(Duration::from_secs(30)),
            (ErrorKind::Server, "checkout: 503".to_owned()),
        );
        recording.journey_ended(Duration::from_secs(5), false);
        recording.unfinished(7, ErrorKind::Timeout, "a journey did not end");

        let browse = &recording.steps()["browse"];
        assert_eq!((browse.count(), browse.errors()), (100, 0));
        assert!(
            (browse.quantile_ms(0.5) - 50.0).abs() < 0.1,
            "{}",
            browse.quantile_ms(0.5)
        );
        assert!((browse.max_ms() - 100.0).abs() < 0.1);
        // The failed checkout's 30 s stay out of the answered ones' percentiles, and in its own.
        let checkout = &recording.steps()["checkout"];
        assert!((checkout.quantile_ms(0.99) - 250.0).abs() < 0.5);
        assert!((checkout.failed_quantile_ms(0.99) - 30_000.0).abs() < 50.0);
        assert_eq!(browse.failed_quantile_ms(0.99), 0.0);
        // Two-second windows: 1 s falls in the first, 5 s in the third.
        assert_eq!(recording.windows().len(), 3);
        assert_eq!(recording.windows()[0].steps["browse"].count(), 100);
        assert!(recording.windows()[1].steps.is_empty());
        let third = &recording.windows()[2];
        assert_eq!(
            (third.errors, third.journeys, third.failed_journeys),
            (1, 1, 1)
        );
        assert_eq!(recording.errors(), 8);
        assert_eq!(recording.errors_by_kind()[&ErrorKind::Timeout], 7);
        assert_eq!(recording.error_samples().len(), 5);
        assert_eq!(recording.unfinished_journeys(), 7);
    }
}
