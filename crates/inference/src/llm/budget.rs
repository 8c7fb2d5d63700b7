//! Budgets and rate limits, in fixed windows kept in memory (one replica's view): requests a
//! minute and tokens an hour per caller, tokens an hour per feature. A request is let in while
//! what its windows have spent is under their limits; its tokens are spent once it is answered,
//! so one long answer may go over a little, and the next request waits for the window to turn.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::LlmConfig;

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3_600);
/// Windows kept before the ones that turned are swept.
const SWEEP_AT: usize = 10_000;

/// A limit reached: which, and when its window turns.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {limit} used; the window turns in {} s", retry_after.as_secs())]
pub struct Exhausted {
    pub what: String,
    pub limit: u64,
    pub retry_after: Duration,
}

#[derive(Clone, Copy, Debug)]
struct Window {
    started: Instant,
    used: u64,
}

#[derive(Debug)]
pub struct Budgets {
    caller_tokens: u64,
    caller_requests: u64,
    features: std::collections::BTreeMap<String, u64>,
    windows: Mutex<HashMap<String, Window>>,
}

impl Budgets {
    pub fn new(config: &LlmConfig) -> Budgets {
        Budgets {
            caller_tokens: config.caller_tokens_per_hour,
            caller_requests: u64::from(config.caller_requests_per_minute),
            features: config.feature_tokens_per_hour.clone(),
            windows: Mutex::default(),
        }
    }

    /// Lets a request of `caller` for `feature` in, counting it, or says which limit it met.
    pub fn admit(&self, caller: &str, feature: &str) -> Result<(), Exhausted> {
        let now = Instant::now();
        let mut windows = self.lock();
        let mut check = |key: String, length: Duration, limit: u64, what: String| {
            let window = current(&mut windows, key, length, now);
            match window.used >= limit {
                true => Err(Exhausted {
                    what,
                    limit,
                    retry_after: (window.started + length).saturating_duration_since(now),
                }),
                false => Ok(()),
            }
        };
        check(
            format!("tokens/{caller}"),
            HOUR,
            self.caller_tokens,
            format!("the tokens an hour of {caller}"),
        )?;
        if let Some(&limit) = self.features.get(feature) {
            check(
                format!("feature/{feature}"),
                HOUR,
                limit,
                format!("the tokens an hour of the feature {feature}"),
            )?;
        }
        check(
            format!("requests/{caller}"),
            MINUTE,
            self.caller_requests,
            format!("the requests a minute of {caller}"),
        )?;
        current(&mut windows, format!("requests/{caller}"), MINUTE, now).used += 1;
        Ok(())
    }

    /// Spends `tokens` of `caller`'s and `feature`'s windows.
    pub fn spend(&self, caller: &str, feature: &str, tokens: u64) {
        let now = Instant::now();
        let mut windows = self.lock();
        current(&mut windows, format!("tokens/{caller}"), HOUR, now).used += tokens;
        if self.features.contains_key(feature) {
            current(&mut windows, format!("feature/{feature}"), HOUR, now).used += tokens;
        }
        if windows.len() > SWEEP_AT {
            windows.retain(|_, window| now.duration_since(window.started) < HOUR);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Window>> {
        self.windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The window of `key`, a new one when the last has turned.
fn current(
    windows: &mut HashMap<String, Window>,
    key: String,
    length: Duration,
    now: Instant,
) -> &mut Window {
    let window = windows.entry(key).or_insert(Window {
        started: now,
        used: 0,
    });
    if now.duration_since(window.started) >= length {
        *window = Window {
            started: now,
            used: 0,
        };
    }
    window
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_over_its_tokens_or_requests_waits_and_a_feature_has_its_own_budget() {
        let config = LlmConfig {
            caller_tokens_per_hour: 100,
            caller_requests_per_minute: 3,
            feature_tokens_per_hour: [("assistant".to_owned(), 150)].into(),
            ..LlmConfig::default()
        };
        let budgets = Budgets::new(&config);
        budgets.admit("ada", "assistant").unwrap();
        budgets.spend("ada", "assistant", 120);
        let over = budgets.admit("ada", "assistant").unwrap_err();
        assert_eq!(over.what, "the tokens an hour of ada");
        assert!(over.retry_after > Duration::from_secs(3_500));

        budgets.admit("bob", "assistant").unwrap();
        budgets.spend("bob", "assistant", 40);
        let feature = budgets.admit("bob", "assistant").unwrap_err();
        assert_eq!(feature.what, "the tokens an hour of the feature assistant");
        budgets.admit("bob", "api").unwrap();
        budgets.admit("bob", "api").unwrap();
        let requests = budgets.admit("bob", "api").unwrap_err();
        assert_eq!(requests.what, "the requests a minute of bob");
    }
}
