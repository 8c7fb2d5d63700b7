//! Password guessing slowed down, per account (OWASP's "throttle rather than lock out"; ASVS
//! 2.2.1): the first `FREE_FAILURES` failed logins for an email cost nothing more than their
//! argon2 hash; after them each attempt must wait, 1 s after the fifth failure and twice as
//! long after each one more, at most `LONGEST_WAIT`. An attempt that comes too early is refused
//! before any hash is computed, whatever its password, so that a throttled account tells a
//! guesser nothing. A success forgets the failures; so does `FORGET_AFTER` without one.
//!
//! The email is the key whether or not an account has it, so that a throttled answer does not
//! tell which emails are registered. The count is kept in memory, per identity process: a
//! restart forgets it, and replicas count apart. At most `TRACKED` emails are kept; past that the
//! ones whose last failure is oldest are forgotten first.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub(crate) const FREE_FAILURES: u32 = 5;
pub(crate) const FIRST_WAIT: Duration = Duration::from_secs(1);
pub(crate) const LONGEST_WAIT: Duration = Duration::from_secs(15 * 60);
pub(crate) const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
const TRACKED: usize = 100_000;

#[derive(Debug, Default)]
pub(crate) struct LoginThrottle {
    failures: Mutex<HashMap<String, Failures>>,
}

#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    last: Instant,
}

impl Failures {
    /// How long after the last failure the next attempt may come.
    fn wait(self) -> Duration {
        if self.count < FREE_FAILURES {
            return Duration::ZERO;
        }
        let doublings = (self.count - FREE_FAILURES).min(20);
        FIRST_WAIT.saturating_mul(1 << doublings).min(LONGEST_WAIT)
    }
}

impl LoginThrottle {
    /// `Err(wait)` when an attempt for `email` at `now` comes too early, with how long is left.
    pub(crate) fn check(&self, email: &str, now: Instant) -> Result<(), Duration> {
        let failures = self
            .failures
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let Some(failures) = failures.get(&key(email)) else {
            return Ok(());
        };
        let open_at = failures.last + failures.wait();
        match open_at.checked_duration_since(now) {
            Some(left) if !left.is_zero() => Err(left),
            _ => Ok(()),
        }
    }

    /// Counts a failed attempt for `email`.
    pub(crate) fn failed(&self, email: &str, now: Instant) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if failures.len() >= TRACKED {
            forget_oldest(&mut failures, now);
        }
        let entry = failures.entry(key(email)).or_insert(Failures {
            count: 0,
            last: now,
        });
        if now.saturating_duration_since(entry.last) > FORGET_AFTER {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
    }

    /// Forgets the failures for `email` after it logged in.
    pub(crate) fn succeeded(&self, email: &str) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        failures.remove(&key(email));
    }
}

/// Emails as the store compares them; anything longer than an email can be is cut.
fn key(email: &str) -> String {
    email
        .trim()
        .chars()
        .take(320)
        .collect::<String>()
        .to_lowercase()
}

/// Drops the failures not seen for `FORGET_AFTER`, then, if that was not enough, the older half.
fn forget_oldest(failures: &mut HashMap<String, Failures>, now: Instant) {
    failures.retain(|_, kept| now.saturating_duration_since(kept.last) <= FORGET_AFTER);
    if failures.len() < TRACKED {
        return;
    }
    let mut lasts: Vec<Instant> = failures.values().map(|kept| kept.last).collect();
    lasts.sort_unstable();
    let median = lasts[lasts.len() / 2];
    failures.retain(|_, kept| kept.last > median);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(failures: u32, throttle: &LoginThrottle, start: Instant) -> Instant {
        for _ in 0..failures {
            throttle.failed("Shopper@Example.com", start);
        }
        start
    }

    #[test]
    fn the_first_five_failures_cost_no_wait_and_the_sixth_attempt_waits_a_second() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        after(4, &throttle, start);
        assert_eq!(throttle.check("shopper@example.com", start), Ok(()));
        throttle.failed("shopper@example.com", start);
        assert_eq!(
            throttle.check(" SHOPPER@example.com ", start),
            Err(FIRST_WAIT),
            "the same email however written"
        );
        assert_eq!(throttle.check("other@example.com", start), Ok(()));
        assert_eq!(
            throttle.check("shopper@example.com", start + FIRST_WAIT),
            Ok(())
        );
    }

    #[test]
    fn each_failure_past_the_fifth_doubles_the_wait_up_to_fifteen_minutes() {
        let throttle = LoginThrottle::default();
        let start = after(7, &throttle, Instant::now());
        assert_eq!(
            throttle.check("shopper@example.com", start),
            Err(Duration::from_secs(4))
        );
        after(30, &throttle, start);
        assert_eq!(
            throttle.check("shopper@example.com", start),
            Err(LONGEST_WAIT)
        );
    }

    #[test]
    fn a_success_or_an_hour_without_failures_forgets_them() {
        let throttle = LoginThrottle::default();
        let start = after(6, &throttle, Instant::now());
        throttle.succeeded("shopper@example.com");
        assert_eq!(throttle.check("shopper@example.com", start), Ok(()));
        after(9, &throttle, start);
        let later = start + FORGET_AFTER + Duration::from_secs(1);
        throttle.failed("shopper@example.com", later);
        assert_eq!(
            throttle.check("shopper@example.com", later),
            Ok(()),
            "one failure after an hour is the first again"
        );
    }

    #[test]
    fn past_the_emails_it_can_keep_the_oldest_are_forgotten_first() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        {
            let mut failures = throttle.failures.lock().unwrap();
            for index in 0..TRACKED {
                let last = start + Duration::from_millis(index as u64);
                failures.insert(format!("{index}@example.com"), Failures { count: 20, last });
            }
        }
        let now = start + Duration::from_secs(200);
        throttle.failed("new@example.com", now);
        let kept = throttle.failures.lock().unwrap().len();
        assert!(kept <= TRACKED / 2 + 1, "{kept}");
        assert!(
            throttle.check("0@example.com", now).is_ok(),
            "the oldest went"
        );
        let newest = format!("{}@example.com", TRACKED - 1);
        assert!(throttle.check(&newest, now).is_err(), "the newest stayed");
    }
}
