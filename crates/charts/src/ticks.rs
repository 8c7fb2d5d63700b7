//! "Nice" axis ticks: steps of 1, 2 or 5 times a power of ten, four to six of them, covering
//! the data, so that a reader can read values off the axis without arithmetic.

/// The ticks for an axis over `minimum..=maximum`: evenly spaced multiples of the smallest
/// nice step that needs at most six of them, from the last one at or below `minimum` to the
/// first one at or above `maximum`, and at least four (extended upwards when the step covers
/// the range in fewer).
pub fn nice_ticks(minimum: f64, maximum: f64) -> Vec<f64> {
    let (minimum, maximum) = widen(minimum, maximum);
    let magnitude = (maximum - minimum).log10().floor() as i32;
    // A hundredth of the range's power of ten needs over a hundred ticks, ten times it at most
    // three: the step is between.
    let step = ((magnitude - 2)..=(magnitude + 1))
        .flat_map(|exponent| [1.0, 2.0, 5.0].map(|multiple| multiple * 10f64.powi(exponent)))
        .find(|&step| {
            let (first, last) = outer_multiples(minimum, maximum, step);
            last - first < 6
        })
        .unwrap_or_else(|| 10f64.powi(magnitude + 1));
    let (first, last) = outer_multiples(minimum, maximum, step);
    // The step after one that needs seven ticks may need only three: the axis grows upwards,
    // where a chart has room.
    let last = last.max(first + 3);
    (first..=last)
        .map(|multiple| multiple as f64 * step)
        .collect()
}

/// A range with room in it: an empty or reversed range, or one that is not finite, becomes one
/// a unit wide around its lower end (zero to one at zero, where a chart's axis starts).
fn widen(minimum: f64, maximum: f64) -> (f64, f64) {
    let minimum = if minimum.is_finite() { minimum } else { 0.0 };
    let maximum = match maximum.is_finite() {
        true => maximum,
        false => minimum,
    };
    if maximum > minimum {
        return (minimum, maximum);
    }
    match minimum.abs() < 1e-12 {
        true => (0.0, 1.0),
        false => (minimum - 0.5, minimum + 0.5),
    }
}

/// The multiples of `step` at or just below `minimum` and at or just above `maximum`. A bound
/// a hair off a multiple (1.0 / 0.2 is not exactly 5 in binary) counts as on it, so that a
/// range ending on a tick does not grow a tick past it.
fn outer_multiples(minimum: f64, maximum: f64, step: f64) -> (i64, i64) {
    const TOLERANCE: f64 = 1e-9;
    let first = (minimum / step + TOLERANCE).floor() as i64;
    let last = (maximum / step - TOLERANCE).ceil() as i64;
    (first, last.max(first))
}
