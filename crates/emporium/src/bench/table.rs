//! The bench's figures and the Markdown they become: the runs, the comparisons drawn from them
//! as ratios within one invocation, and the reading of `/proc` lines. Pure: nothing here starts
//! a process or opens a file, so it is tested on made-up figures.

use std::fmt::Write as _;
use std::time::Duration;

/// The connections of a run "at saturation": more than two cores' worth of server can answer at
/// once, so the shop, not the loop, sets the pace.
pub const SATURATION: usize = 64;

/// What a run asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// `GET /api/v1/products/{sku}` with a shopper's bearer token.
    ProductRead,
    /// `GET /p/{sku}` with a returning visitor's session cookie.
    ProductPage,
    /// `emporium load`'s checkouts (a cart line, then the whole saga).
    Checkout,
}

/// What answered it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setup {
    /// `emporium up`: every service in one process, logs at `warn`, traces and metrics on.
    OneProcess,
    /// This many `emporium serve <service>` processes: gRPC over mutual TLS, events on NATS.
    Processes(usize),
    /// `bare-read`: axum serving the product from memory.
    BareAxum,
    /// `emporium up` with telemetry as shipped (logs and traces at `info`).
    TelemetryAsShipped,
    /// `emporium up` with `telemetry.trace_filter=off` and `telemetry.log_filter=warn`.
    TelemetryOff,
}

/// One run of a closed loop (or, for checkouts, of `emporium load`).
#[derive(Clone, Debug)]
pub struct Run {
    pub request: Request,
    pub setup: Setup,
    pub connections: usize,
    /// Requests answered with success; for checkouts, the confirmed ones.
    pub requests: u64,
    /// Requests that failed; for checkouts, also those the shop answered as failed (sold out).
    pub errors: u64,
    pub elapsed: Duration,
    pub p50_micros: u64,
    pub p99_micros: u64,
    /// The CPU time (user and system) of the shop's processes per answered request, in ms;
    /// `None` where it was not measured.
    pub cpu_ms_per_request: Option<f64>,
}

/// Everything one `emporium bench` measured.
#[derive(Clone, Debug, Default)]
pub struct Results {
    pub runs: Vec<Run>,
    /// Durable 4 KiB writes a second in the data folder: the ceiling every commit meets.
    pub fsyncs_per_second: Option<f64>,
    /// Resident memory of the single process after its read and page runs, in MB.
    pub memory_one_process_mb: Option<f64>,
    /// The number of processes of the distributed shop and their resident memory summed, in MB.
    pub memory_processes_mb: Option<(usize, f64)>,
    /// What was skipped and why, and how the figures were taken.
    pub notes: Vec<String>,
}

/// When and on what the figures were taken.
#[derive(Clone, Debug)]
pub struct Header {
    /// `YYYY-MM-DD`, UTC.
    pub date: String,
    pub cores: usize,
    /// The processor's model name.
    pub cpu: String,
    /// `uname -r`.
    pub kernel: String,
    /// How long each run lasted.
    pub seconds: u64,
    /// How long each run's untimed warm-up lasted.
    pub warm_up_seconds: u64,
}

/// A bound the ratio of a comparison is held to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Goal {
    /// The ratio is at most this.
    AtMost(f64),
    /// The ratio is at least this.
    AtLeast(f64),
    /// Reported for what it says; no target.
    None,
}

/// How a figure is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Micros,
    /// So many a second; the noun says of what (`req/s`, `checkouts/s`).
    PerSecond(&'static str),
    /// CPU milliseconds per request.
    CpuMillis,
    Megabytes,
}

/// One side of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    pub label: String,
    pub value: f64,
    pub unit: Unit,
}

/// A row of the summary: A against B as the ratio A ÷ B, and the target that ratio is held to.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub what: String,
    pub a: Figure,
    pub b: Figure,
    pub goal: Goal,
}

impl Request {
    /// `product read`, as the tables name it.
    pub fn label(self) -> &'static str {
        match self {
            Request::ProductRead => "product read",
            Request::ProductPage => "product page",
            Request::Checkout => "checkout (confirmed/s)",
        }
    }
}

impl Setup {
    /// `one process`, `10 processes`, `bare axum`, as the tables name it.
    pub fn label(self) -> String {
        match self {
            Setup::OneProcess => "one process".to_owned(),
            Setup::Processes(count) => format!("{count} processes"),
            Setup::BareAxum => "bare axum".to_owned(),
            Setup::TelemetryAsShipped => "one process, telemetry as shipped".to_owned(),
            Setup::TelemetryOff => "one process, telemetry off".to_owned(),
        }
    }
}

impl Run {
    /// Answered requests a second.
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// `product read, one process`.
    pub fn label(&self) -> String {
        format!("{}, {}", self.request.label(), self.setup.label())
    }
}

impl Comparison {
    /// A ÷ B; `None` when B is nothing.
    pub fn ratio(&self) -> Option<f64> {
        let ratio = self.a.value / self.b.value;
        (self.b.value > 0.0 && ratio.is_finite()).then_some(ratio)
    }
}

impl Goal {
    /// `≤ 1.5x: met`, or `—` for no target.
    pub fn describe(self, ratio: Option<f64>) -> String {
        let (bound, met) = match self {
            Goal::AtMost(bound) => (format!("≤ {bound}x"), ratio.map(|ratio| ratio <= bound)),
            Goal::AtLeast(bound) => (format!("≥ {bound}x"), ratio.map(|ratio| ratio >= bound)),
            Goal::None => return "—".to_owned(),
        };
        match met {
            Some(true) => format!("{bound}: met"),
            Some(false) => format!("{bound}: **not met**"),
            None => bound,
        }
    }
}

impl Figure {
    fn describe(&self) -> String {
        format!("{} {}", self.label, quantity(self.value, self.unit))
    }
}

/// The whole document: the header, the comparisons, every run, the notes.
pub fn markdown(header: &Header, results: &Results) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Emporium benchmarks, {}\n", header.date);
    let _ = writeln!(
        out,
        "{} cores ({}), Linux {}. Each run lasts {} s after {} s of warm-up; \"saturation\" is \
         {SATURATION} connections. The load comes from this process, on the same machine. Ratios \
         are A ÷ B, from runs of this one invocation: timings drift by up to 2x between sessions \
         on a shared machine, so compare ratios, not timings from different documents.\n",
        header.cores, header.cpu, header.kernel, header.seconds, header.warm_up_seconds
    );
    out.push_str("| comparison | A | B | ratio | target |\n|---|---|---|---|---|\n");
    for comparison in comparisons(results) {
        let ratio = comparison.ratio();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            comparison.what,
            comparison.a.describe(),
            comparison.b.describe(),
            ratio.map_or("—".to_owned(), |ratio| format!("{ratio:.2}x")),
            comparison.goal.describe(ratio)
        );
    }
    out.push_str("\n## Every run\n\n");
    out.push_str("| run | connections | req/s | p50 | p99 | CPU ms/request | errors |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for run in &results.runs {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            run.label(),
            run.connections,
            per_second(run.per_second()),
            micros(run.p50_micros),
            micros(run.p99_micros),
            run.cpu_ms_per_request
                .map_or("—".to_owned(), |cpu| format!("{cpu:.3}")),
            run.errors
        );
    }
    if !results.notes.is_empty() {
        out.push_str("\n## Notes\n\n");
        for note in &results.notes {
            let _ = writeln!(out, "- {note}");
        }
    }
    out
}

/// What a comparison reads from a run.
#[derive(Clone, Copy)]
enum Measure {
    P50,
    Throughput,
    Cpu,
}

/// Which runs a side of a comparison takes.
#[derive(Clone, Copy)]
enum Side {
    One,
    Many,
    Bare,
    AsShipped,
    Off,
}

/// One comparison of two runs of the same request at the same connections.
struct Spec {
    request: Request,
    connections: usize,
    measure: Measure,
    a: Side,
    b: Side,
    goal: Goal,
}

const fn spec(
    request: Request,
    connections: usize,
    measure: Measure,
    (a, b): (Side, Side),
    goal: Goal,
) -> Spec {
    Spec {
        request,
        connections,
        measure,
        a,
        b,
        goal,
    }
}

/// The comparisons of runs, in the order of the summary (the checkout's, the telemetry's and
/// the memory's follow).
const SPECS: [Spec; 11] = {
    use Measure::{Cpu, P50, Throughput};
    use Request::{ProductPage, ProductRead};
    use Side::{Bare, Many, One};
    [
        // The gateway's whole stack against the floor that routing and serialisation set.
        spec(ProductRead, 1, P50, (One, Bare), Goal::AtMost(1.5)),
        spec(ProductRead, SATURATION, P50, (One, Bare), Goal::None),
        spec(
            ProductRead,
            SATURATION,
            Throughput,
            (One, Bare),
            Goal::AtLeast(0.6),
        ),
        // The price of hops: the same read with a network between the gateway and the catalog.
        spec(ProductRead, 1, P50, (Many, One), Goal::None),
        spec(ProductRead, SATURATION, Throughput, (One, Many), Goal::None),
        spec(ProductRead, SATURATION, Cpu, (Many, One), Goal::None),
        // A page reads the product, its stock, its recommendations and the cart: four hops
        // when the services are apart. The targets are read at one connection, where the
        // price of a hop is physics; at saturation it is queueing as well, and only reported.
        spec(ProductPage, 1, P50, (Many, One), Goal::AtLeast(5.0)),
        spec(ProductPage, SATURATION, P50, (Many, One), Goal::None),
        spec(ProductPage, 1, Cpu, (Many, One), Goal::AtLeast(3.0)),
        spec(ProductPage, SATURATION, Cpu, (Many, One), Goal::None),
        spec(ProductPage, SATURATION, Throughput, (One, Many), Goal::None),
    ]
};

/// What spans and logs cost the busiest read.
const TELEMETRY: Spec = spec(
    Request::ProductRead,
    SATURATION,
    Measure::Throughput,
    (Side::AsShipped, Side::Off),
    Goal::AtLeast(0.9),
);

/// The summary's rows, from whichever runs were made.
pub fn comparisons(results: &Results) -> Vec<Comparison> {
    let mut found: Vec<Comparison> = SPECS
        .iter()
        .filter_map(|spec| compare(results, spec))
        .collect();
    let checkout = results
        .runs
        .iter()
        .find(|run| run.request == Request::Checkout);
    if let (Some(run), Some(fsyncs)) = (checkout, results.fsyncs_per_second) {
        found.push(Comparison {
            what: "checkout throughput against the commit ceiling".to_owned(),
            a: Figure {
                label: run.setup.label(),
                value: run.per_second(),
                unit: Unit::PerSecond("checkouts/s"),
            },
            b: Figure {
                label: "this disk".to_owned(),
                value: fsyncs,
                unit: Unit::PerSecond("fsyncs/s"),
            },
            goal: Goal::None,
        });
    }
    found.extend(compare(results, &TELEMETRY));
    if let (Some(one), Some((count, many))) =
        (results.memory_one_process_mb, results.memory_processes_mb)
    {
        found.push(Comparison {
            what: "resident memory (VmRSS) after the product runs".to_owned(),
            a: Figure {
                label: Setup::Processes(count).label(),
                value: many,
                unit: Unit::Megabytes,
            },
            b: Figure {
                label: Setup::OneProcess.label(),
                value: one,
                unit: Unit::Megabytes,
            },
            goal: Goal::None,
        });
    }
    found
}

fn compare(results: &Results, spec: &Spec) -> Option<Comparison> {
    let run = |side: Side| {
        results.runs.iter().find(|run| {
            run.request == spec.request
                && run.connections == spec.connections
                && side.takes(run.setup)
        })
    };
    let (a, b) = (run(spec.a)?, run(spec.b)?);
    let (measure, unit) = match spec.measure {
        Measure::P50 => ("p50", Unit::Micros),
        Measure::Throughput => ("throughput", Unit::PerSecond("req/s")),
        Measure::Cpu => ("CPU per request", Unit::CpuMillis),
    };
    let value = |run: &Run| match spec.measure {
        Measure::P50 => Some(run.p50_micros as f64),
        Measure::Throughput => Some(run.per_second()),
        Measure::Cpu => run.cpu_ms_per_request,
    };
    let figure = |run: &Run| {
        Some(Figure {
            label: run.setup.label(),
            value: value(run)?,
            unit,
        })
    };
    Some(Comparison {
        what: format!(
            "{} {measure}, {}",
            spec.request.label(),
            connections(spec.connections)
        ),
        a: figure(a)?,
        b: figure(b)?,
        goal: spec.goal,
    })
}

impl Side {
    fn takes(self, setup: Setup) -> bool {
        match self {
            Side::One => setup == Setup::OneProcess,
            Side::Many => matches!(setup, Setup::Processes(_)),
            Side::Bare => setup == Setup::BareAxum,
            Side::AsShipped => setup == Setup::TelemetryAsShipped,
            Side::Off => setup == Setup::TelemetryOff,
        }
    }
}

fn connections(count: usize) -> String {
    match count {
        1 => "1 connection".to_owned(),
        _ => format!("{count} connections"),
    }
}

fn quantity(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Micros => micros(value.round() as u64),
        Unit::PerSecond(noun) => format!("{} {noun}", per_second(value)),
        Unit::CpuMillis => format!("{value:.3} ms CPU"),
        Unit::Megabytes => format!("{value:.1} MB"),
    }
}

/// `160 µs`, `2.11 ms`, `1.20 s`.
pub fn micros(value: u64) -> String {
    match value {
        0..1_000 => format!("{value} µs"),
        1_000..1_000_000 => format!("{:.2} ms", value as f64 / 1e3),
        _ => format!("{:.2} s", value as f64 / 1e6),
    }
}

/// `29,544` for large rates, `12.5` for small ones.
fn per_second(value: f64) -> String {
    if value < 100.0 {
        return format!("{value:.1}");
    }
    let digits = format!("{value:.0}");
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// A process's CPU time so far, in clock ticks (user plus system), from its `/proc/<pid>/stat`.
pub fn cpu_ticks(stat: &str) -> Option<u64> {
    // The command name, in parentheses, may hold spaces: count the fields after its end.
    let (_, after_name) = stat.rsplit_once(')')?;
    let mut fields = after_name.split_whitespace();
    // Fields 14 and 15 of the line (utime, stime); the state, field 3, is the first after it.
    let user: u64 = fields.nth(11)?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// A process's resident memory in KiB, from the `VmRSS:` line of its `/proc/<pid>/status`.
pub fn vm_rss_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `YYYY-MM-DD` of a time in seconds since 1970, UTC.
pub fn date_of(unix_seconds: u64) -> String {
    let seconds = i64::try_from(unix_seconds).unwrap_or(i64::MAX);
    match time::OffsetDateTime::from_unix_timestamp(seconds) {
        Ok(moment) => {
            let date = moment.date();
            format!(
                "{:04}-{:02}-{:02}",
                date.year(),
                u8::from(date.month()),
                date.day()
            )
        }
        Err(_) => "an unknown date".to_owned(),
    }
}

#[cfg(test)]
mod tests;
