//! Rate, errors and duration over the last minutes, in memory: per HTTP route, per gRPC method,
//! per call between two services and per event consumer, so that the operations view can draw
//! them with no Prometheus installed.
//!
//! Each series keeps `SLOTS` slots of `SLOT_SECONDS`, each with a count, the errors and the
//! durations in the same buckets as the Prometheus histograms. Every bucket of a slot remembers
//! the trace of its latest request: the exemplar that links a point of a latency chart to a trace.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The upper bounds of the latency buckets, in seconds; the last bucket holds the rest.
pub const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// How long one slot lasts.
pub const SLOT_SECONDS: u64 = 10;
/// How many slots a series keeps: 15 minutes.
pub const SLOTS: usize = 90;
/// The most series of one kind, besides `OTHER`, which names past it share. Routes and methods
/// are bounded by the code, but a bound here keeps a mistake from growing without end.
const MOST_NAMES: usize = 500;
/// The name the series past `MOST_NAMES` share.
const OTHER: &str = "_OTHER";

/// What a series measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An HTTP route served, named `GET /api/v1/products/{sku}`.
    Route,
    /// A gRPC method served, named `orders/PlaceOrder`.
    Rpc,
    /// Calls from one service to another, named `gateway→orders`.
    Edge,
    /// Events handled by a consumer, named after the consumer.
    Consumer,
}

/// One slot of a series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Slot {
    /// When the slot began, in seconds since the Unix epoch.
    pub start_unix: u64,
    pub count: u64,
    pub errors: u64,
    /// Requests by duration bucket: `BUCKETS`, then one for the rest.
    pub buckets: Vec<u64>,
    /// The latest trace of each bucket, as hex, empty when none.
    pub exemplars: Vec<String>,
}

/// One series, as the operations view reads it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub kind: Kind,
    pub name: String,
    /// The slots, oldest first.
    pub slots: Vec<Slot>,
}

#[derive(Debug)]
struct Live {
    start_unix: u64,
    count: u64,
    errors: u64,
    buckets: [u64; BUCKETS.len() + 1],
    exemplars: [u128; BUCKETS.len() + 1],
}

/// The process's series.
#[derive(Debug, Default)]
pub struct Red {
    series: Mutex<HashMap<Kind, HashMap<String, VecDeque<Live>>>>,
}

impl Red {
    /// The series every part of this process records into.
    pub fn global() -> &'static Red {
        static RED: OnceLock<Red> = OnceLock::new();
        RED.get_or_init(Red::default)
    }

    /// Counts one request of `name` that took `elapsed`, in the trace `trace_id` (0 for none).
    pub fn record(&self, kind: Kind, name: &str, elapsed: Duration, ok: bool, trace_id: u128) {
        self.record_at(now_unix(), kind, name, elapsed, ok, trace_id);
    }

    fn record_at(
        &self,
        now: u64,
        kind: Kind,
        name: &str,
        elapsed: Duration,
        ok: bool,
        trace_id: u128,
    ) {
        let start_unix = now - now % SLOT_SECONDS;
        let bucket = bucket_of(elapsed);
        let mut series = self.series.lock().unwrap();
        let by_name = series.entry(kind).or_default();
        if !by_name.contains_key(name) && by_name.len() >= MOST_NAMES {
            // Names quiet for the whole window go first; past the bound, the rest share one.
            let window = SLOT_SECONDS * SLOTS as u64;
            by_name.retain(|_, slots| {
                slots
                    .back()
                    .is_some_and(|live| live.start_unix + window > start_unix)
            });
        }
        let name = match by_name.len() < MOST_NAMES || by_name.contains_key(name) {
            true => name,
            false => OTHER,
        };
        let slots = match by_name.get_mut(name) {
            Some(slots) => slots,
            None => by_name.entry(name.to_owned()).or_default(),
        };
        if slots.back().is_none_or(|live| live.start_unix < start_unix) {
            slots.push_back(Live {
                start_unix,
                count: 0,
                errors: 0,
                buckets: [0; BUCKETS.len() + 1],
                exemplars: [0; BUCKETS.len() + 1],
            });
            while slots.len() > SLOTS {
                slots.pop_front();
            }
        }
        let Some(live) = slots.back_mut() else {
            return;
        };
        live.count += 1;
        live.errors += u64::from(!ok);
        live.buckets[bucket] += 1;
        if trace_id != 0 {
            live.exemplars[bucket] = trace_id;
        }
    }

    /// Every series with a slot in the last `SLOTS` slots.
    pub fn snapshot(&self) -> Vec<Series> {
        let oldest = now_unix().saturating_sub(SLOT_SECONDS * SLOTS as u64);
        let series = self.series.lock().unwrap();
        let mut all: Vec<Series> = series
            .iter()
            .flat_map(|(kind, by_name)| {
                by_name.iter().map(|(name, slots)| Series {
                    kind: *kind,
                    name: name.clone(),
                    slots: slots
                        .iter()
                        .filter(|live| live.start_unix >= oldest)
                        .map(Live::to_slot)
                        .collect(),
                })
            })
            .filter(|series| !series.slots.is_empty())
            .collect();
        all.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        all
    }
}

impl Live {
    fn to_slot(&self) -> Slot {
        Slot {
            start_unix: self.start_unix,
            count: self.count,
            errors: self.errors,
            buckets: self.buckets.to_vec(),
            exemplars: self
                .exemplars
                .iter()
                .map(|id| match id {
                    0 => String::new(),
                    id => format!("{id:032x}"),
                })
                .collect(),
        }
    }
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

fn bucket_of(elapsed: Duration) -> usize {
    bucket_of_seconds(elapsed.as_secs_f64())
}

/// The bucket of a duration: the first whose upper bound it does not pass, as Prometheus counts.
pub(crate) fn bucket_of_seconds(seconds: f64) -> usize {
    BUCKETS.partition_point(|bound| *bound < seconds)
}

impl Series {
    /// The totals of the slots that began at or after `since_unix`.
    pub fn totals(&self, since_unix: u64) -> Totals {
        let mut totals = Totals::default();
        for slot in self
            .slots
            .iter()
            .filter(|slot| slot.start_unix >= since_unix)
        {
            totals.count += slot.count;
            totals.errors += slot.errors;
            for (sum, count) in totals.buckets.iter_mut().zip(&slot.buckets) {
                *sum += count;
            }
            for (bucket, exemplar) in slot.exemplars.iter().enumerate() {
                if !exemplar.is_empty() {
                    totals.exemplars[bucket] = exemplar.clone();
                }
            }
        }
        totals
    }
}

/// Requests over some slots, with their quantiles.
#[derive(Clone, Debug, Default)]
pub struct Totals {
    pub count: u64,
    pub errors: u64,
    pub buckets: [u64; BUCKETS.len() + 1],
    pub exemplars: [String; BUCKETS.len() + 1],
}

impl Totals {
    /// The duration under which `quantile` of the requests fell, interpolated within its bucket
    /// as Prometheus's `histogram_quantile` does; zero without requests.
    pub fn quantile(&self, quantile: f64) -> Duration {
        quantile_of(&self.buckets, self.count, quantile)
    }

    /// The trace of a request in the bucket that holds `quantile`, when one was recorded.
    pub fn exemplar(&self, quantile: f64) -> Option<&str> {
        let bucket = bucket_of_rank(&self.buckets, self.count, quantile)?;
        let exemplar = self.exemplars.get(bucket)?;
        (!exemplar.is_empty()).then_some(exemplar.as_str())
    }
}

/// The bucket that holds the `quantile` of `count` requests spread over `buckets`.
fn bucket_of_rank(buckets: &[u64], count: u64, quantile: f64) -> Option<usize> {
    let rank = quantile.clamp(0.0, 1.0) * count as f64;
    let mut below = 0u64;
    buckets.iter().position(|in_bucket| {
        below += in_bucket;
        *in_bucket > 0 && below as f64 >= rank
    })
}

/// The `quantile` of `count` requests spread over `buckets`.
pub fn quantile_of(buckets: &[u64], count: u64, quantile: f64) -> Duration {
    if count == 0 {
        return Duration::ZERO;
    }
    let rank = quantile.clamp(0.0, 1.0) * count as f64;
    let mut below = 0u64;
    for (index, in_bucket) in buckets.iter().enumerate() {
        if *in_bucket > 0 && (below + in_bucket) as f64 >= rank {
            let lower = index
                .checked_sub(1)
                .map_or(0.0, |previous| BUCKETS[previous]);
            // The last bucket has no upper bound: its lower bound is the best guess.
            let Some(upper) = BUCKETS.get(index) else {
                return Duration::from_secs_f64(lower);
            };
            let within = (rank - below as f64) / *in_bucket as f64;
            return Duration::from_secs_f64(lower + (upper - lower) * within.clamp(0.0, 1.0));
        }
        below += in_bucket;
    }
    Duration::from_secs_f64(BUCKETS[BUCKETS.len() - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_land_in_their_slot_and_bucket_with_their_trace() {
        let red = Red::default();
        let now = 1_000_005;
        red.record_at(
            now,
            Kind::Edge,
            "gateway→orders",
            Duration::from_micros(700),
            true,
            7,
        );
        red.record_at(
            now,
            Kind::Edge,
            "gateway→orders",
            Duration::from_millis(30),
            false,
            8,
        );
        red.record_at(
            now + 10,
            Kind::Edge,
            "gateway→orders",
            Duration::from_millis(2),
            true,
            0,
        );
        let series = red.series.lock().unwrap();
        let slots = &series[&Kind::Edge]["gateway→orders"];
        assert_eq!(slots.len(), 2);
        assert_eq!(slots[0].start_unix, 1_000_000);
        assert_eq!((slots[0].count, slots[0].errors), (2, 1));
        assert_eq!(slots[0].buckets[1], 1, "700 µs is under 1 ms");
        assert_eq!(slots[0].exemplars[1], 7);
        assert_eq!(slots[0].buckets[6], 1, "30 ms is under 50 ms");
        assert_eq!(slots[0].exemplars[6], 8);
    }

    #[test]
    fn a_series_keeps_a_bounded_number_of_slots() {
        let red = Red::default();
        for slot in 0..(SLOTS as u64 + 30) {
            red.record_at(
                slot * SLOT_SECONDS,
                Kind::Route,
                "GET /",
                Duration::ZERO,
                true,
                1,
            );
        }
        let series = red.series.lock().unwrap();
        assert_eq!(series[&Kind::Route]["GET /"].len(), SLOTS);
    }

    #[test]
    fn quantiles_interpolate_within_a_bucket_and_exemplars_follow_them() {
        let mut totals = Totals::default();
        // 90 requests under 1 ms, 10 between 50 and 100 ms.
        totals.buckets[1] = 90;
        totals.buckets[7] = 10;
        totals.count = 100;
        totals.exemplars[7] = "ab".to_owned();
        let p50 = totals.quantile(0.5);
        assert!(p50 > Duration::from_micros(500) && p50 <= Duration::from_millis(1));
        let p99 = totals.quantile(0.99);
        assert!(p99 > Duration::from_millis(50) && p99 <= Duration::from_millis(100));
        assert_eq!(totals.exemplar(0.99), Some("ab"));
        assert_eq!(totals.exemplar(0.5), None);
        assert_eq!(Totals::default().quantile(0.99), Duration::ZERO);
    }

    #[test]
    fn names_past_the_bound_share_one_series() {
        let red = Red::default();
        for index in 0..(MOST_NAMES + 20) {
            let name = format!("GET /invented/{index}");
            red.record_at(1_000_000, Kind::Route, &name, Duration::ZERO, true, 0);
        }
        let series = red.series.lock().unwrap();
        assert_eq!(
            series[&Kind::Route].len(),
            MOST_NAMES + 1,
            "and the one they share"
        );
        assert_eq!(series[&Kind::Route][OTHER][0].count, 20);
    }

    #[test]
    fn the_exemplar_of_the_slowest_bucket_is_its_own() {
        let mut totals = Totals::default();
        totals.buckets[BUCKETS.len()] = 10;
        totals.count = 10;
        totals.exemplars[BUCKETS.len()] = "slow".to_owned();
        totals.exemplars[BUCKETS.len() - 1] = "not-as-slow".to_owned();
        assert_eq!(totals.exemplar(0.99), Some("slow"));
    }
}
