//! Head sampling: which new traces keep their spans. Every request is counted in the metrics
//! and the RED series and logs with its trace id, but making, keeping and exporting a request's
//! spans costs more than serving a product read from memory, so under load a process keeps the
//! spans of at most `telemetry.traces_per_second` new traces a second and lets the rest go.
//!
//! The decision is made once, where a trace starts in this process (a request without a
//! sampled parent of ours, an event without a trace), by the filter in front of the
//! OpenTelemetry layer; a span inside a trace follows its trace's decision, and the trace's
//! `traceparent` carries it to every process and event that continues the trace.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Admits at most `per_second` new traces in each wall-clock second; 0 admits all.
#[derive(Debug)]
pub struct Limiter {
    per_second: u64,
    /// The current second in the high 32 bits, the traces admitted in it in the low 32.
    state: AtomicU64,
}

impl Limiter {
    pub fn new(per_second: u32) -> Limiter {
        Limiter {
            per_second: u64::from(per_second),
            state: AtomicU64::new(0),
        }
    }

    /// Whether a trace starting now keeps its spans.
    pub fn admit(&self) -> bool {
        self.admit_at(unix_seconds())
    }

    fn admit_at(&self, second: u64) -> bool {
        if self.per_second == 0 {
            return true;
        }
        let second = second & u64::from(u32::MAX);
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            let (at, admitted) = (state >> 32, state & u64::from(u32::MAX));
            let next = match at == second {
                true if admitted >= self.per_second => return false,
                true => state + 1,
                false => (second << 32) | 1,
            };
            match self.state.compare_exchange_weak(
                state,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(current) => state = current,
            }
        }
    }
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limiter_admits_so_many_a_second_and_starts_again_the_next() {
        let limiter = Limiter::new(3);
        let first: Vec<bool> = (0..5).map(|_| limiter.admit_at(100)).collect();
        assert_eq!(first, [true, true, true, false, false]);
        assert!(limiter.admit_at(101), "a new second admits again");
        assert!(limiter.admit_at(101));
    }

    #[test]
    fn no_limit_admits_every_trace() {
        let limiter = Limiter::new(0);
        assert!((0..10_000).all(|_| limiter.admit_at(7)));
    }
}
