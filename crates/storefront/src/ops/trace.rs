//! Traces in the operations view: the lists of the latest and the slowest, and one trace as a
//! waterfall of its spans from every process, with each span's attributes.

use std::collections::HashMap;

use charts::Bar;
use maud::{Markup, PreEscaped, html};
use proto::admin as pb;

/// The latest and the slowest traces, each a link to its waterfall.
pub(crate) fn lists(traces: &super::gather::Traces) -> Markup {
    html! {
        section #traces aria-labelledby="traces-title" {
            h2 #traces-title { "Traces" }
            @for unreachable in &traces.unreachable {
                p.notice { "A process did not list its traces: " (unreachable) }
            }
            h3 { "Latest" }
            (table(&traces.recent, "recent-traces"))
            h3 { "Slowest" }
            (table(&traces.slowest, "slowest-traces"))
        }
    }
}

fn table(traces: &[pb::TraceSummary], id: &str) -> Markup {
    html! {
        @if traces.is_empty() { p { "None kept yet." } } @else {
            table.traces #(id) {
                thead { tr { th scope="col" { "Request" } th scope="col" { "Duration" } th scope="col" { "Spans" } th scope="col" { "Trace" } } }
                tbody { @for trace in traces {
                    tr.error[trace.error] {
                        th scope="row" { a href={ "/ops/traces/" (trace.trace_id) } { (trace.root) } }
                        td { (millis(trace.duration_nanos)) }
                        td { (trace.spans) }
                        td { code { (trace.trace_id[..8.min(trace.trace_id.len())]) } }
                    }
                } }
            }
        }
    }
}

/// One trace: the waterfall, then every span's details.
pub(crate) fn render(
    trace_id: &str,
    spans: &[pb::Span],
    truncated: bool,
    unreachable: &[String],
) -> Markup {
    let start = spans
        .iter()
        .map(|span| span.start_unix_nanos)
        .min()
        .unwrap_or(0);
    let end = spans
        .iter()
        .map(|span| span.start_unix_nanos + span.duration_nanos)
        .max()
        .unwrap_or(start);
    let parents: HashMap<&str, &str> = spans
        .iter()
        .map(|span| (span.span_id.as_str(), span.parent_span_id.as_str()))
        .collect();
    let bars: Vec<Bar> = spans
        .iter()
        .map(|span| Bar {
            label: label(span),
            depth: depth(span, &parents),
            start: (span.start_unix_nanos - start) as f64 / 1e6,
            duration: span.duration_nanos as f64 / 1e6,
            error: span.error,
            href: Some(format!("#span-{}", span.span_id)),
        })
        .collect();
    html! {
        p { "Trace " code #trace-id { (trace_id) } ": " (spans.len()) " spans over " (millis(end - start)) "." }
        @if truncated { p.notice { "Some spans were left out: a process keeps at most 512 of one trace." } }
        @for process in unreachable { p.notice { "A process did not answer, so its spans are missing: " (process) } }
        div #waterfall { (PreEscaped(charts::waterfall(&bars, 1000))) }
        h2 { "Spans" }
        @for span in spans {
            details.span #{ "span-" (span.span_id) } {
                summary { (label(span)) " · " (millis(span.duration_nanos)) @if span.error { " · error: " (span.status_message) } }
                dl {
                    dt { "kind" } dd { (span.kind) }
                    @for (key, value) in sorted(&span.attributes) { dt { (key) } dd { (value) } }
                    @for link in &span.links { dt { "follows from" } dd { code { (link) } } }
                }
            }
        }
    }
}

fn label(span: &pb::Span) -> String {
    match span.service.as_str() {
        "" => span.name.clone(),
        service => format!("{service} · {}", span.name),
    }
}

/// How deep `span` sits under the spans of the trace that are here (a parent in a process that
/// no longer keeps it counts as absent).
fn depth(span: &pb::Span, parents: &HashMap<&str, &str>) -> usize {
    let mut depth = 0;
    let mut parent = span.parent_span_id.as_str();
    while let Some(next) = parents.get(parent) {
        depth += 1;
        parent = next;
        if depth > parents.len() {
            break;
        }
    }
    depth
}

fn sorted(attributes: &std::collections::HashMap<String, String>) -> Vec<(&String, &String)> {
    let mut pairs: Vec<_> = attributes.iter().collect();
    pairs.sort();
    pairs
}

fn millis(nanos: u64) -> String {
    let millis = nanos as f64 / 1e6;
    if millis < 10.0 {
        format!("{millis:.2} ms")
    } else {
        format!("{millis:.0} ms")
    }
}
