//! Charts drawn as SVG text: a line chart with axes and a legend, a sparkline, a map of the
//! services and the calls between them, and a trace's waterfall.
//!
//! Two kinds of page show them: a self-contained HTML report written to a file, and the
//! operations pages, served under a Content-Security-Policy of `style-src 'self'`. So no chart
//! writes a `style` attribute or a `<style>` element: colours and sizes are SVG presentation
//! attributes (`fill`, `stroke`, `font-size`, ...), and every part has a `class` a page's own
//! stylesheet may restyle. All text is escaped; numbers print with at most one decimal; the
//! same input always gives the same string, so pages and reports can be compared and cached.
//!
//! Pure: no dependencies, no IO.

mod layout;
mod line;
mod map;
mod svg;
mod ticks;
mod waterfall;

pub use crate::line::{line_chart, sparkline};
pub use crate::map::service_map;
pub use crate::ticks::nice_ticks;
pub use crate::waterfall::waterfall;

/// One line of a line chart: its name in the legend and its points, `(x, y)`, in the order
/// they are drawn (usually by x, seconds since a start).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// What an axis measures: `label` "latency", `unit` "ms" reads "latency (ms)"; an empty unit
/// leaves the parentheses out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Axis {
    pub label: String,
    pub unit: String,
}

/// A call from one service to another on a service map: `label` is drawn at its middle (a
/// rate, a latency), and `error` marks it as failing (class `edge error`, drawn in red).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapEdge {
    pub from: String,
    pub to: String,
    pub label: String,
    pub error: bool,
}

/// One span of a trace in a waterfall: `label` is indented by `depth` (0 for the root),
/// `start` and `duration` are milliseconds from the start of the trace, `error` draws it red,
/// and `href`, when present, makes its row a link.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bar {
    pub label: String,
    pub depth: usize,
    pub start: f64,
    pub duration: f64,
    pub error: bool,
    pub href: Option<String>,
}

#[cfg(test)]
mod tests;
