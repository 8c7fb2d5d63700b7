//! Metric handles kept by their series, so that a request moves its counter and histogram with
//! one lookup of a short key, instead of building a `metrics::Key` (the name and every label as
//! an owned string) and looking it up in the recorder for each.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, RwLock};

use metrics::{Counter, Histogram, Label};

use super::openmetrics::Exemplars;

/// The series of one route, method or edge: its duration histogram with its exemplars, and its
/// request counters by outcome (an HTTP status, a gRPC code).
#[derive(Clone)]
pub struct Family {
    duration: Histogram,
    exemplars: Arc<Exemplars>,
    outcomes: Arc<Handles<i32, Counter>>,
}

impl Family {
    /// The family whose duration histogram is `histogram` with `labels`.
    pub fn new(histogram: &'static str, labels: &[(&'static str, &str)]) -> Family {
        // The handles kept are the recorder's: it must be there before the first is made.
        super::metrics();
        let owned: Vec<Label> = labels
            .iter()
            .map(|(key, value)| Label::new(*key, (*value).to_owned()))
            .collect();
        Family {
            duration: metrics::histogram!(histogram, owned),
            exemplars: Exemplars::of(histogram, labels),
            outcomes: Arc::default(),
        }
    }

    /// Counts one request with `outcome` that took `seconds`, in the trace `trace_id` (0 when
    /// its spans are not kept); `counter` makes the outcome's counter the first time it is seen.
    pub fn record(
        &self,
        outcome: i32,
        seconds: f64,
        trace_id: u128,
        counter: impl FnOnce() -> Counter,
    ) {
        self.duration.record(seconds);
        self.exemplars.record(seconds, trace_id);
        self.outcomes
            .get(&outcome, || (outcome, counter()))
            .increment(1);
    }
}

/// Handles of type `H` by key `K`, each made once. The keys are label values the code bounds
/// (routes, methods, codes), as the series in the recorder are.
pub struct Handles<K, H> {
    by_key: RwLock<HashMap<K, H>>,
}

impl<K, H> Default for Handles<K, H> {
    fn default() -> Self {
        Handles {
            by_key: RwLock::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, H: Clone> Handles<K, H> {
    /// The handle of `key`, made by `make` (with the key to keep) the first time.
    pub fn get<Q>(&self, key: &Q, make: impl FnOnce() -> (K, H)) -> H
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let found = self
            .by_key
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(key)
            .cloned();
        if let Some(handle) = found {
            return handle;
        }
        let (owned, handle) = make();
        let mut by_key = self
            .by_key
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        by_key.entry(owned).or_insert(handle).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_is_made_once_per_key() {
        let handles: Handles<String, usize> = Handles::default();
        let mut made = 0;
        for _ in 0..3 {
            let handle = handles.get("GET /a 200", || {
                made += 1;
                ("GET /a 200".to_owned(), 7)
            });
            assert_eq!(handle, 7);
        }
        assert_eq!(made, 1);
        assert_eq!(
            handles.get("GET /b 200", || ("GET /b 200".to_owned(), 8)),
            8
        );
    }
}
