//! Drift: whether what a production model sees and answers now still looks like what it saw
//! when it was promoted. Each feature (a query's length, its share of unknown words, a top
//! score) is binned; the shares of a sliding window are compared with the reference window's by
//! the population stability index. Embeddings drift as a whole: the distance between the
//! window's centroid and the reference's.

use std::collections::VecDeque;

/// The index above which a feature has drifted: under 0.1 is read as stable, 0.1 to 0.25 as a
/// moderate shift, above 0.25 as a population that changed. 0.2 alerts before the last.
pub const DRIFT_THRESHOLD: f64 = 0.2;

/// The share a bin with no observation counts as, so that a bin empty on one side makes the
/// index large instead of infinite.
const EMPTY_SHARE: f64 = 1e-4;

/// The population stability index of `current` against `reference`, two lists of shares over
/// the same bins: the sum over bins of (current − reference) × ln(current ÷ reference). Zero
/// for the same population; it grows with the shift, and is symmetric.
pub fn population_stability(reference: &[f64], current: &[f64]) -> f64 {
    reference
        .iter()
        .zip(current)
        .map(|(expected, actual)| {
            let (expected, actual) = (expected.max(EMPTY_SHARE), actual.max(EMPTY_SHARE));
            (actual - expected) * (actual / expected).ln()
        })
        .sum()
}

/// Bins over a feature's values: bin i holds the values up to `upper[i]` (and above the one
/// before); the last bin holds everything above the last edge.
#[derive(Clone, Debug, PartialEq)]
pub struct Bins {
    upper: Vec<f64>,
}

impl Bins {
    /// Bins up to each of `upper`, which must rise, and one more above them.
    pub fn new(upper: &[f64]) -> Bins {
        debug_assert!(upper.windows(2).all(|pair| pair[0] < pair[1]));
        Bins {
            upper: upper.to_vec(),
        }
    }

    fn of(&self, value: f64) -> usize {
        self.upper.partition_point(|edge| *edge < value)
    }

    /// The share of `values` in each bin (all zero for no values).
    pub fn shares(&self, values: impl IntoIterator<Item = f64>) -> Vec<f64> {
        let mut counts = vec![0u64; self.upper.len() + 1];
        for value in values {
            counts[self.of(value)] += 1;
        }
        let total = counts.iter().sum::<u64>().max(1) as f64;
        counts
            .into_iter()
            .map(|count| count as f64 / total)
            .collect()
    }
}

/// One feature of a model's traffic, watched for drift.
#[derive(Clone, Debug)]
pub struct Feature {
    pub name: &'static str,
    bins: Bins,
    window: VecDeque<f64>,
    capacity: usize,
    reference: Option<Vec<f64>>,
}

impl Feature {
    /// `name`, binned by `bins`, over the last `capacity` observations.
    pub fn new(name: &'static str, bins: Bins, capacity: usize) -> Feature {
        Feature {
            name,
            bins,
            window: VecDeque::with_capacity(capacity),
            capacity: capacity.max(1),
            reference: None,
        }
    }

    /// Adds one observation; the oldest leaves a full window.
    pub fn observe(&mut self, value: f64) {
        if self.window.len() == self.capacity {
            self.window.pop_front();
        }
        self.window.push_back(value);
    }

    /// Whether the window holds `capacity` observations.
    pub fn is_full(&self) -> bool {
        self.window.len() == self.capacity
    }

    /// Takes the window as it is as the reference (at promotion, once it is full).
    pub fn take_reference(&mut self) {
        self.reference = Some(self.bins.shares(self.window.iter().copied()));
    }

    /// Sets the reference to shares kept from before (a restart keeps the promotion's).
    pub fn set_reference(&mut self, shares: Vec<f64>) {
        self.reference = Some(shares);
    }

    pub fn reference(&self) -> Option<&[f64]> {
        self.reference.as_deref()
    }

    /// The index of the window against the reference, once both exist and the window is full:
    /// a half-empty window after a restart would read as drift.
    pub fn stability(&self) -> Option<f64> {
        let reference = self.reference.as_ref()?;
        self.is_full().then(|| {
            let current = self.bins.shares(self.window.iter().copied());
            population_stability(reference, &current)
        })
    }
}

/// The centroid of the last `capacity` embeddings, against the one taken as reference.
#[derive(Clone, Debug)]
pub struct Centroid {
    window: VecDeque<Vec<f32>>,
    sum: Vec<f64>,
    capacity: usize,
    reference: Option<Vec<f64>>,
}

impl Centroid {
    pub fn new(capacity: usize) -> Centroid {
        Centroid {
            window: VecDeque::new(),
            sum: Vec::new(),
            capacity: capacity.max(1),
            reference: None,
        }
    }

    /// Adds one embedding; one of another length than those before starts the window again (a
    /// model of other dimensions was promoted).
    pub fn observe(&mut self, embedding: &[f32]) {
        if self.sum.len() != embedding.len() {
            self.window.clear();
            self.sum = vec![0.0; embedding.len()];
            self.reference = None;
        }
        if self.window.len() == self.capacity
            && let Some(oldest) = self.window.pop_front()
        {
            for (sum, value) in self.sum.iter_mut().zip(&oldest) {
                *sum -= f64::from(*value);
            }
        }
        for (sum, value) in self.sum.iter_mut().zip(embedding) {
            *sum += f64::from(*value);
        }
        self.window.push_back(embedding.to_vec());
    }

    fn mean(&self) -> Vec<f64> {
        let count = self.window.len().max(1) as f64;
        self.sum.iter().map(|sum| sum / count).collect()
    }

    pub fn take_reference(&mut self) {
        self.reference = Some(self.mean());
    }

    pub fn reference(&self) -> Option<&[f64]> {
        self.reference.as_deref()
    }

    /// Sets the reference to a centroid kept from before.
    pub fn set_reference(&mut self, centroid: Vec<f64>) {
        self.sum.resize(centroid.len(), 0.0);
        self.reference = Some(centroid);
    }

    pub fn is_full(&self) -> bool {
        self.window.len() == self.capacity
    }

    /// 1 − the cosine of the window's centroid and the reference's, once the window is full.
    pub fn distance(&self) -> Option<f64> {
        let reference = self.reference.as_ref()?;
        (self.window.len() == self.capacity).then(|| {
            let mean = self.mean();
            let dot: f64 = mean.iter().zip(reference).map(|(a, b)| a * b).sum();
            let length = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
            let lengths = length(&mean) * length(reference);
            match lengths > 0.0 {
                true => 1.0 - dot / lengths,
                false => 0.0,
            }
        })
    }
}
