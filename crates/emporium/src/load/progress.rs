//! The progress of a shop run on standard error, once a second: on a terminal one line kept up
//! to date in place (`\r`), elsewhere (a log, CI) a plain line every five seconds, so that a log
//! holds a readable record instead of a line per second.

use std::convert::Infallible;
use std::io::{IsTerminal as _, Write as _};
use std::time::Duration;

/// How often a log, as opposed to a terminal, gets a line.
const PLAIN_EVERY: u64 = 5;

/// The run's figures at one moment.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Snapshot {
    pub elapsed: Duration,
    pub arrivals: u64,
    pub in_flight: usize,
    pub done: u64,
    pub errors: u64,
    pub dropped: u64,
    /// Over every successful request so far.
    pub p99_ms: f64,
}

/// Shows `snapshot()` every second until the caller stops polling (it never returns: race it
/// with the run, as in `tokio::select!`).
pub(super) async fn keep_showing(snapshot: impl Fn() -> Snapshot) -> Infallible {
    let terminal = std::io::stderr().is_terminal();
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // The first tick is at once, before anything happened.
    ticks.tick().await;
    let mut seconds = 0u64;
    loop {
        ticks.tick().await;
        seconds += 1;
        let line = describe(&snapshot());
        if terminal {
            // Back to the line's start, and erase what a longer line before left.
            eprint!("\r{line}\x1b[K");
            let _ = std::io::stderr().flush();
        } else if seconds.is_multiple_of(PLAIN_EVERY) {
            eprintln!("{line}");
        }
    }
}

/// Ends the progress with the run's last figures, on a line of their own.
pub(super) fn finish(snapshot: &Snapshot) {
    let line = describe(snapshot);
    match std::io::stderr().is_terminal() {
        true => eprintln!("\r{line}\x1b[K"),
        false => eprintln!("{line}"),
    }
}

/// `load: 12 s, 240 arrivals, 18 in flight, 220 done, 0 errors, 0 dropped, p99 153.2 ms`.
pub(super) fn describe(snapshot: &Snapshot) -> String {
    format!(
        "load: {} s, {} arrivals, {} in flight, {} done, {} errors, {} dropped, p99 {:.1} ms",
        snapshot.elapsed.as_secs(),
        snapshot.arrivals,
        snapshot.in_flight,
        snapshot.done,
        snapshot.errors,
        snapshot.dropped,
        snapshot.p99_ms
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_progress_line_names_every_figure() {
        let snapshot = Snapshot {
            elapsed: Duration::from_millis(12_400),
            arrivals: 240,
            in_flight: 18,
            done: 220,
            errors: 1,
            dropped: 2,
            p99_ms: 153.24,
        };
        assert_eq!(
            describe(&snapshot),
            "load: 12 s, 240 arrivals, 18 in flight, 220 done, 1 errors, 2 dropped, p99 153.2 ms"
        );
    }
}
