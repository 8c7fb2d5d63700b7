//! The files `--report DIR` writes for a shop run: `report.html`, a page that stands alone
//! (its style inline, no script, nothing fetched, so it opens from a mail or an archive) with
//! charts over time and a table per step, and `summary.json`, the same figures for scripts.
//!
//! `summary.json` holds: `scenario`, `url`, `rate`, `seconds`, `accounts`, `max_in_flight`,
//! `storefront`, `window_s`, `elapsed_s`, `arrivals`, `dropped`, `completed` (journeys that
//! ended), `failed_journeys`, `unfinished`, `errors`, `errors_by_kind` (an object),
//! `error_samples`, `steps` (by step name: `count` of successful requests, `errors`, `p50_ms`,
//! `p90_ms`, `p99_ms`, `p999_ms`, `max_ms` of those, and `failed_p50_ms`, `failed_p99_ms` of the
//! failed ones that answered or timed out) and `windows` (one per `window_s` from the start:
//! `start_s`, `journeys`, `failed_journeys`, `errors` and `steps` with `count`, `errors`,
//! `p50_ms`, `p99_ms`). The step names are `shop::STEPS`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use charts::{Axis, Series};
use serde_json::{Map, Value, json};

use super::hdr::{Recording, StepLatencies};
use super::shop::{STEPS, ShopReport};

/// The page's look; inline, since the page must stand alone.
const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222;max-width:1100px}\
    h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}\
    table{border-collapse:collapse;margin:1em 0}\
    th,td{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:right}\
    th:first-child,td:first-child{text-align:left}\
    .charts{display:flex;flex-wrap:wrap;gap:1em}.sparkline{color:#0072b2}\
    .errors{color:#c62828}";
/// The size of each chart on the page.
const CHART_WIDTH: u32 = 540;
const CHART_HEIGHT: u32 = 300;

/// Writes `report.html` and `summary.json` into `dir`, made when absent; returns their paths.
pub fn write_report(dir: &Path, report: &ShopReport) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("make the report folder {}", dir.display()))?;
    let html_path = dir.join("report.html");
    std::fs::write(&html_path, render_html(report))
        .with_context(|| format!("write {}", html_path.display()))?;
    let json_path = dir.join("summary.json");
    let summary =
        serde_json::to_string_pretty(&summary_json(report)).context("encode the summary")?;
    std::fs::write(&json_path, summary + "\n")
        .with_context(|| format!("write {}", json_path.display()))?;
    Ok(vec![html_path, json_path])
}

/// The run's figures as `summary.json` holds them.
pub fn summary_json(report: &ShopReport) -> Value {
    let recording = &report.recording;
    let errors_by_kind: Map<String, Value> = recording
        .errors_by_kind()
        .iter()
        .map(|(kind, count)| (kind.as_str().to_owned(), json!(count)))
        .collect();
    let steps: Map<String, Value> = recording
        .steps()
        .iter()
        .map(|(step, latencies)| ((*step).to_owned(), step_json(latencies)))
        .collect();
    let (_ended, failed_journeys) = recording.journeys();
    json!({
        "scenario": "shop",
        "url": report.url,
        "rate": report.rate,
        "seconds": report.seconds,
        "accounts": report.accounts,
        "max_in_flight": report.max_in_flight,
        "storefront": report.storefront,
        "window_s": recording.window().as_secs(),
        "elapsed_s": report.elapsed.as_secs_f64(),
        "arrivals": report.arrivals,
        "dropped": report.dropped,
        "completed": report.completed(),
        "failed_journeys": failed_journeys,
        "unfinished": recording.unfinished_journeys(),
        "errors": recording.errors(),
        "errors_by_kind": errors_by_kind,
        "error_samples": recording.error_samples(),
        "steps": steps,
        "windows": windows_json(recording),
    })
}

/// A step's figures over the whole run.
fn step_json(latencies: &StepLatencies) -> Value {
    json!({
        "count": latencies.count(),
        "errors": latencies.errors(),
        "p50_ms": latencies.quantile_ms(0.5),
        "p90_ms": latencies.quantile_ms(0.9),
        "p99_ms": latencies.quantile_ms(0.99),
        "p999_ms": latencies.quantile_ms(0.999),
        "max_ms": latencies.max_ms(),
        "failed_p50_ms": latencies.failed_quantile_ms(0.5),
        "failed_p99_ms": latencies.failed_quantile_ms(0.99),
    })
}

/// Each window's figures, from the run's start.
fn windows_json(recording: &Recording) -> Vec<Value> {
    let window_seconds = recording.window().as_secs();
    recording
        .windows()
        .iter()
        .enumerate()
        .map(|(index, window)| {
            let steps: Map<String, Value> = window
                .steps
                .iter()
                .map(|(step, latencies)| {
                    let figures = json!({
                        "count": latencies.count(),
                        "errors": latencies.errors(),
                        "p50_ms": latencies.quantile_ms(0.5),
                        "p99_ms": latencies.quantile_ms(0.99),
                    });
                    ((*step).to_owned(), figures)
                })
                .collect();
            json!({
                "start_s": index as u64 * window_seconds,
                "journeys": window.journeys,
                "failed_journeys": window.failed_journeys,
                "errors": window.errors,
                "steps": steps,
            })
        })
        .collect()
}

/// The page `report.html`.
pub fn render_html(report: &ShopReport) -> String {
    let title = escape(&format!(
        "Shop load: {} journeys a second for {} s",
        report.rate, report.seconds
    ));
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}\
         </title><style>{STYLE}</style></head><body><h1>{title}</h1>\n"
    );
    page.push_str(&parameters_table(report));
    page.push_str("<h2>Over time</h2><div class=\"charts\">\n");
    for chart in over_time_charts(&report.recording) {
        page.push_str(&chart);
        page.push('\n');
    }
    page.push_str("</div>\n<h2>Steps</h2>\n");
    page.push_str(&steps_table(&report.recording));
    if !report.recording.error_samples().is_empty() {
        page.push_str("<h2>Errors</h2><ul class=\"errors\">");
        for sample in report.recording.error_samples() {
            page.push_str(&format!("<li>{}</li>", escape(sample)));
        }
        page.push_str("</ul>\n");
    }
    page.push_str("</body></html>\n");
    page
}

/// What was run and what came of it, as a table.
fn parameters_table(report: &ShopReport) -> String {
    let recording = &report.recording;
    let (completed, failed) = recording.journeys();
    let kinds: Vec<String> = recording
        .errors_by_kind()
        .iter()
        .map(|(kind, count)| format!("{} {count}", kind.as_str()))
        .collect();
    let rows = [
        ("scenario", "shop".to_owned()),
        ("url", report.url.clone()),
        ("rate", format!("{} journeys/s", report.rate)),
        (
            "length",
            format!(
                "{} s (ran {:.1} s)",
                report.seconds,
                report.elapsed.as_secs_f64()
            ),
        ),
        ("shopper accounts", report.accounts.to_string()),
        ("most journeys in flight", report.max_in_flight.to_string()),
        ("storefront pages", yes_or_no(report.storefront).to_owned()),
        ("window", format!("{} s", recording.window().as_secs())),
        ("arrivals", report.arrivals.to_string()),
        ("dropped", report.dropped.to_string()),
        (
            "completed journeys",
            format!("{completed} ({failed} cut short by an error)"),
        ),
        (
            "unfinished journeys",
            recording.unfinished_journeys().to_string(),
        ),
        (
            "errors",
            match kinds.is_empty() {
                true => recording.errors().to_string(),
                false => format!("{} ({})", recording.errors(), kinds.join(", ")),
            },
        ),
    ];
    let mut table = String::from("<table class=\"parameters\">");
    for (name, value) in rows {
        table.push_str(&format!(
            "<tr><th>{name}</th><td>{}</td></tr>",
            escape(&value)
        ));
    }
    table.push_str("</table>\n");
    table
}

/// p99 and p50 per step, throughput and errors, each over the run's windows.
fn over_time_charts(recording: &Recording) -> Vec<String> {
    let time = Axis {
        label: "time".to_owned(),
        unit: "s".to_owned(),
    };
    let latency = Axis {
        label: "latency".to_owned(),
        unit: "ms".to_owned(),
    };
    let per_second = Axis {
        label: "rate".to_owned(),
        unit: "per s".to_owned(),
    };
    let window_seconds = recording.window().as_secs_f64();
    let starts = (0..recording.windows().len()).map(|index| index as f64 * window_seconds);
    let journeys = starts
        .clone()
        .zip(recording.windows())
        .map(|(start, window)| (start, window.journeys as f64 / window_seconds))
        .collect();
    let requests = starts
        .clone()
        .zip(recording.windows())
        .map(|(start, window)| {
            let answered: u64 = window.steps.values().map(StepLatencies::count).sum();
            (start, (answered + window.errors) as f64 / window_seconds)
        })
        .collect();
    let errors = starts
        .zip(recording.windows())
        .map(|(start, window)| (start, window.errors as f64 / window_seconds))
        .collect();
    let throughput = [
        series("journeys completed", journeys),
        series("requests", requests),
    ];
    let errors = [series("errors", errors)];
    let (p99, p50) = (
        latency_series(recording, 0.99),
        latency_series(recording, 0.5),
    );
    let (width, height) = (CHART_WIDTH, CHART_HEIGHT);
    vec![
        charts::line_chart("p99 latency by step", &time, &latency, &p99, width, height),
        charts::line_chart("p50 latency by step", &time, &latency, &p50, width, height),
        charts::line_chart("throughput", &time, &per_second, &throughput, width, height),
        charts::line_chart("errors", &time, &per_second, &errors, width, height),
    ]
}

/// A line per step that ran: its latency at `quantile` in each window it answered in.
fn latency_series(recording: &Recording, quantile: f64) -> Vec<Series> {
    let window_seconds = recording.window().as_secs_f64();
    STEPS
        .iter()
        .filter(|step| recording.steps().contains_key(**step))
        .map(|step| {
            let points = recording
                .windows()
                .iter()
                .enumerate()
                .filter_map(|(index, window)| {
                    let latencies = window.steps.get(step).filter(|found| found.count() > 0)?;
                    Some((
                        index as f64 * window_seconds,
                        latencies.quantile_ms(quantile),
                    ))
                })
                .collect();
            series(step, points)
        })
        .collect()
}

/// The table of steps: counts, percentiles and the p99 over time as a sparkline.
fn steps_table(recording: &Recording) -> String {
    let mut table = String::from(
        "<table class=\"steps\"><tr><th>step</th><th>count</th><th>errors</th><th>p50 ms</th>\
         <th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th><th>failed p99 ms</th>\
         <th>p99 over time</th></tr>",
    );
    for step in STEPS {
        let Some(latencies) = recording.steps().get(step) else {
            continue;
        };
        let p99_by_window: Vec<f64> = recording
            .windows()
            .iter()
            .map(|window| {
                window
                    .steps
                    .get(step)
                    .map_or(0.0, |found| found.quantile_ms(0.99))
            })
            .collect();
        table.push_str(&format!(
            "<tr><td>{step}</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td>\
             <td>{:.1}</td><td>{:.1}</td><td>{:.1}</td><td>{}</td></tr>",
            latencies.count(),
            latencies.errors(),
            latencies.quantile_ms(0.5),
            latencies.quantile_ms(0.9),
            latencies.quantile_ms(0.99),
            latencies.quantile_ms(0.999),
            latencies.max_ms(),
            latencies.failed_quantile_ms(0.99),
            charts::sparkline(&p99_by_window, 120, 24),
        ));
    }
    table.push_str("</table>\n");
    table
}

fn yes_or_no(value: bool) -> &'static str {
    match value {
        true => "yes",
        false => "no",
    }
}

fn series(name: &str, points: Vec<(f64, f64)>) -> Series {
    Series {
        name: name.to_owned(),
        points,
    }
}

/// `text` safe in an element or a quoted attribute.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests;
