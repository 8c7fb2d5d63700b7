//! `/metrics` in the OpenMetrics text format, for a scraper that asks for it (Prometheus does),
//! with exemplars: each bucket of a latency histogram names the trace of its latest kept request,
//! so that a point on a Grafana latency panel opens that trace.
//!
//! The recorder renders the Prometheus text format, which has no place for exemplars; this module
//! keeps them beside it, per series and bucket, and rewrites the text into OpenMetrics: counter
//! families named without `_total`, no blank lines, canonical bucket bounds, `# EOF` at the end.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use super::red::{BUCKETS, bucket_of_seconds};

/// The content type of an OpenMetrics answer.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The latest kept request of each bucket of one histogram series.
#[derive(Debug, Default)]
pub struct Exemplars {
    latest: Mutex<[Exemplar; BUCKETS.len() + 1]>,
}

#[derive(Clone, Copy, Debug, Default)]
struct Exemplar {
    /// 0 while the bucket has none.
    trace_id: u128,
    seconds: f64,
    at_unix: f64,
}

/// A series as the text names it: the metric, and its labels sorted by name.
type SeriesKey = (String, Vec<(String, String)>);

fn registry() -> &'static Mutex<HashMap<SeriesKey, Arc<Exemplars>>> {
    static SERIES: OnceLock<Mutex<HashMap<SeriesKey, Arc<Exemplars>>>> = OnceLock::new();
    SERIES.get_or_init(Mutex::default)
}

impl Exemplars {
    /// The exemplars of the histogram `name` with `labels`, made on first use.
    pub fn of(name: &str, labels: &[(&str, &str)]) -> Arc<Exemplars> {
        let mut labels: Vec<(String, String)> = labels
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect();
        labels.sort();
        let mut series = registry().lock().unwrap_or_else(|p| p.into_inner());
        series.entry((name.to_owned(), labels)).or_default().clone()
    }

    /// Remembers a request of the trace `trace_id` that took `seconds`; 0 (a trace whose spans
    /// are not kept) is not remembered, since it would lead nowhere.
    pub fn record(&self, seconds: f64, trace_id: u128) {
        if trace_id == 0 {
            return;
        }
        let at_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |since| since.as_secs_f64());
        let mut latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        latest[bucket_of_seconds(seconds)] = Exemplar {
            trace_id,
            seconds,
            at_unix,
        };
    }

    fn in_bucket(&self, bucket: usize) -> Option<Exemplar> {
        let latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        latest.get(bucket).copied().filter(|e| e.trace_id != 0)
    }
}

/// Whether an `Accept` header asks for OpenMetrics.
pub fn wanted(accept: &str) -> bool {
    accept.contains("application/openmetrics-text")
}

/// `prometheus`, the recorder's text, as OpenMetrics with the exemplars kept.
pub fn from_prometheus(prometheus: &str) -> String {
    let counters: HashSet<&str> = prometheus
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.strip_suffix(" counter"))
        .collect();
    let series = registry().lock().unwrap_or_else(|p| p.into_inner());
    let mut out = String::with_capacity(prometheus.len() + prometheus.len() / 4);
    for line in prometheus.lines().filter(|line| !line.is_empty()) {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            let help = help.replace('"', "\\\"");
            let _ = writeln!(out, "# HELP {} {help}", family(name, &counters));
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "unknown"));
            let _ = writeln!(out, "# TYPE {} {kind}", family(name, &counters));
        } else if line.starts_with('#') {
            continue;
        } else {
            sample(&mut out, line, &counters, &series);
        }
    }
    out.push_str("# EOF\n");
    out
}

/// The family of a metric: a counter's samples end in `_total`, which its family does not.
fn family<'a>(name: &'a str, counters: &HashSet<&str>) -> &'a str {
    match counters.contains(name) {
        true => name.strip_suffix("_total").unwrap_or(name),
        false => name,
    }
}

fn sample(
    out: &mut String,
    line: &str,
    counters: &HashSet<&str>,
    series: &HashMap<SeriesKey, Arc<Exemplars>>,
) {
    let Some(parsed) = Sample::parse(line) else {
        out.push_str(line);
        out.push('\n');
        return;
    };
    let name = match counters.contains(parsed.name) && !parsed.name.ends_with("_total") {
        true => format!("{}_total", parsed.name),
        false => parsed.name.to_owned(),
    };
    let Some(histogram) = parsed.name.strip_suffix("_bucket") else {
        let _ = writeln!(out, "{name}{} {}", parsed.labels_text, parsed.value);
        return;
    };
    let mut labels = parsed.labels;
    let le = labels
        .iter()
        .position(|(key, _)| key == "le")
        .map(|at| labels.remove(at).1);
    let bucket = le.as_deref().and_then(bucket_of_bound);
    let mut text = String::new();
    for (key, value) in labels.iter() {
        let _ = write!(text, "{key}=\"{}\",", escape(value));
    }
    if let Some(le) = &le {
        let _ = write!(text, "le=\"{}\"", canonical_bound(le));
    }
    let _ = write!(
        out,
        "{name}{{{}}} {}",
        text.trim_end_matches(','),
        parsed.value
    );
    labels.sort();
    let exemplar = bucket.and_then(|bucket| {
        series
            .get(&(histogram.to_owned(), labels))
            .and_then(|exemplars| exemplars.in_bucket(bucket))
    });
    if let Some(e) = exemplar {
        let _ = write!(
            out,
            " # {{trace_id=\"{:032x}\"}} {} {:.3}",
            e.trace_id, e.seconds, e.at_unix
        );
    }
    out.push('\n');
}

/// One sample line of the Prometheus text format: `name{labels} value`.
struct Sample<'a> {
    name: &'a str,
    /// `{...}` as written, or empty.
    labels_text: &'a str,
    labels: Vec<(String, String)>,
    value: &'a str,
}

impl<'a> Sample<'a> {
    fn parse(line: &'a str) -> Option<Sample<'a>> {
        let name_end = line.find(['{', ' '])?;
        let name = &line[..name_end];
        let rest = &line[name_end..];
        let (labels_text, labels, rest) = match rest.strip_prefix('{') {
            Some(inner) => {
                let (labels, consumed) = parse_labels(inner)?;
                (&rest[..consumed + 1], labels, &inner[consumed..])
            }
            None => ("", Vec::new(), rest),
        };
        let value = rest.trim();
        Some(Sample {
            name,
            labels_text,
            labels,
            value,
        })
    }
}

/// The labels of `inner` (the text after `{`) and how many bytes they took, up to and
/// including the closing `}`.
fn parse_labels(inner: &str) -> Option<(Vec<(String, String)>, usize)> {
    let mut labels = Vec::new();
    let mut chars = inner.char_indices().peekable();
    loop {
        while chars.next_if(|(_, c)| *c == ',' || *c == ' ').is_some() {}
        let (start, first) = chars.next()?;
        if first == '}' {
            return Some((labels, start + 1));
        }
        let mut key = String::from(first);
        for (_, c) in chars.by_ref() {
            if c == '=' {
                break;
            }
            key.push(c);
        }
        if chars.next()?.1 != '"' {
            return None;
        }
        let mut value = String::new();
        loop {
            match chars.next()?.1 {
                '"' => break,
                '\\' => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                other => value.push(other),
            }
        }
        labels.push((key, value));
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The bucket whose upper bound `le` is.
fn bucket_of_bound(le: &str) -> Option<usize> {
    if le == "+Inf" {
        return Some(BUCKETS.len());
    }
    let bound: f64 = le.parse().ok()?;
    BUCKETS.iter().position(|b| *b == bound)
}

/// A bound as OpenMetrics writes it: a whole number with `.0`.
fn canonical_bound(le: &str) -> String {
    match le.parse::<f64>() {
        Ok(bound) if bound.is_finite() && bound.fract() == 0.0 => format!("{bound:.1}"),
        _ => le.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# HELP demo_requests_total Requests, \"all\" of them\n\
        # TYPE demo_requests_total counter\n\
        demo_requests_total{route=\"/a\"} 3\n\
        \n\
        # TYPE demo_seconds histogram\n\
        demo_seconds_bucket{route=\"/a\",method=\"GET\",le=\"0.001\"} 1\n\
        demo_seconds_bucket{route=\"/a\",method=\"GET\",le=\"1\"} 2\n\
        demo_seconds_bucket{route=\"/a\",method=\"GET\",le=\"+Inf\"} 3\n\
        demo_seconds_sum{route=\"/a\",method=\"GET\"} 12.5\n\
        demo_seconds_count{route=\"/a\",method=\"GET\"} 3\n";

    #[test]
    fn counters_lose_total_in_their_family_and_the_text_ends_in_eof() {
        let open = from_prometheus(TEXT);
        assert!(open.contains("# HELP demo_requests Requests, \\\"all\\\" of them\n"));
        assert!(open.contains("# TYPE demo_requests counter\n"));
        assert!(open.contains("demo_requests_total{route=\"/a\"} 3\n"));
        assert!(!open.contains("\n\n"), "{open}");
        assert!(open.ends_with("demo_seconds_count{route=\"/a\",method=\"GET\"} 3\n# EOF\n"));
    }

    #[test]
    fn a_bucket_names_the_trace_of_its_latest_kept_request() {
        let exemplars = Exemplars::of("demo_seconds", &[("route", "/a"), ("method", "GET")]);
        exemplars.record(0.7, 0xab);
        exemplars.record(0.8, 0); // not kept: no exemplar
        let open = from_prometheus(TEXT);
        let line = open
            .lines()
            .find(|line| line.contains("le=\"1.0\""))
            .unwrap();
        let (sample, exemplar) = line.split_once(" # ").unwrap();
        assert_eq!(
            sample,
            "demo_seconds_bucket{route=\"/a\",method=\"GET\",le=\"1.0\"} 2"
        );
        assert!(
            exemplar.starts_with(&format!("{{trace_id=\"{:032x}\"}} 0.7 ", 0xab)),
            "{exemplar}"
        );
        let others = open.lines().filter(|line| line.contains(" # {")).count();
        assert_eq!(others, 1, "only the bucket of 0.7 s has one: {open}");
    }

    #[test]
    fn label_values_keep_their_escapes() {
        let (labels, used) = parse_labels("a=\"x\\\"y\\\\z\",b=\"\"} 1").unwrap();
        assert_eq!(
            labels,
            [
                ("a".to_owned(), "x\"y\\z".to_owned()),
                ("b".to_owned(), String::new())
            ]
        );
        assert_eq!(used, 17);
        assert_eq!(escape(&labels[0].1), "x\\\"y\\\\z");
    }
}
