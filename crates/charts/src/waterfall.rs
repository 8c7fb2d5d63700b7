//! A trace's waterfall: a row per span, its name indented by its depth on the left third and a
//! bar on the rest that starts and ends where the span did, against the whole trace.

use crate::Bar;
use crate::svg::{escape_text, format_number, open_svg, shorten, text_width};

/// The height of a row, the title's included.
const ROW_HEIGHT: f64 = 20.0;
/// The height of a bar inside its row.
const BAR_HEIGHT: f64 = 14.0;
/// How far each level of depth moves a span's name right.
const INDENT: f64 = 12.0;
/// Room right of the bars for the last span's duration ("1234.5 ms").
const DURATION_ROOM: f64 = 64.0;

/// A waterfall `width` pixels wide (and a row of 20 pixels per bar, plus the title's, tall): a
/// title row with the trace's total duration, then per bar a `<g class="span"
/// data-label="LABEL">` with its name, a `rect` of class `bar` (`bar error` when it failed)
/// placed by its start and duration against the whole trace, and its duration ("12.3 ms");
/// a bar with an `href` is a link.
pub fn waterfall(bars: &[Bar], width: u32) -> String {
    let width = width.max(300);
    let layout = Layout::fit(bars, f64::from(width));
    let height = ((bars.len() + 1) as f64 * ROW_HEIGHT + 8.0) as u32;
    let summary = match bars.is_empty() {
        true => "no spans".to_owned(),
        false => format!(
            "total {} ms, {} spans",
            format_number(layout.total),
            bars.len()
        ),
    };
    let mut svg = open_svg(width, height, "class=\"chart waterfall\"", &summary);
    // An image holds nothing a person can follow; with links in its rows it is a group.
    if bars.iter().any(|bar| bar.href.is_some()) {
        svg = svg.replacen("role=\"img\"", "role=\"group\"", 1);
    }
    svg.push_str(&format!(
        "<text class=\"waterfall-title\" x=\"4\" y=\"14\" font-weight=\"bold\">{}</text>",
        escape_text(&summary)
    ));
    for (index, bar) in bars.iter().enumerate() {
        svg.push_str(&layout.row(index, bar));
    }
    svg.push_str("</svg>");
    svg
}

/// Where the parts of every row go.
struct Layout {
    /// The width of the names' column, the left third.
    label_width: f64,
    /// Where the bars' area starts and ends.
    bars_left: f64,
    bars_right: f64,
    /// The time at the bars' left edge (the trace's start, or an earlier span's), in ms.
    origin: f64,
    /// From `origin` to the end of the last span to end, in ms.
    total: f64,
}

impl Layout {
    /// The layout for `bars` in a chart `width` pixels wide.
    fn fit(bars: &[Bar], width: f64) -> Layout {
        let origin = bars.iter().map(start_of).fold(0.0, f64::min);
        let end = bars
            .iter()
            .map(|bar| start_of(bar) + duration_of(bar))
            .fold(origin, f64::max);
        let label_width = width / 3.0;
        Layout {
            label_width,
            bars_left: label_width + 4.0,
            bars_right: width - DURATION_ROOM,
            origin,
            total: end - origin,
        }
    }

    /// The horizontal position of the time `at`, in ms from the trace's start.
    fn position(&self, at: f64) -> f64 {
        // A trace of no length still draws its bars, as slivers at the left.
        let scale = (self.bars_right - self.bars_left) / self.total.max(f64::EPSILON);
        self.bars_left + (at - self.origin) * scale
    }

    /// The row of the bar at `index`, under the title row.
    fn row(&self, index: usize, bar: &Bar) -> String {
        let top = (index + 1) as f64 * ROW_HEIGHT + 4.0;
        let baseline = format_number(top + 12.0);
        let indent = (bar.depth as f64 * INDENT).min(self.label_width / 2.0);
        let room = ((self.label_width - 8.0 - indent) / text_width("m")).max(4.0) as usize;
        let (start, duration) = (start_of(bar), duration_of(bar));
        let (bar_x, bar_end) = (self.position(start), self.position(start + duration));
        let (class, colour) = match bar.error {
            true => ("bar error", "#d62728"),
            false => ("bar", "#4e79a7"),
        };
        let label = escape_text(&bar.label);
        let duration_text = format!("{} ms", format_number(duration));
        let drawing = format!(
            "<text class=\"label\" x=\"{}\" y=\"{baseline}\">{}</text><rect class=\"{class}\" \
             x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"2\" fill=\"{colour}\"/><text \
             class=\"duration\" x=\"{}\" y=\"{baseline}\" font-size=\"11\">{duration_text}</text>",
            format_number(4.0 + indent),
            escape_text(&shorten(&bar.label, room)),
            format_number(bar_x),
            format_number(top + (ROW_HEIGHT - BAR_HEIGHT) / 2.0),
            format_number((bar_end - bar_x).max(1.0)),
            format_number(BAR_HEIGHT),
            format_number(bar_end.max(bar_x + 1.0) + 4.0),
        );
        let drawing = match &bar.href {
            Some(href) => format!("<a href=\"{}\">{drawing}</a>", escape_text(href)),
            None => drawing,
        };
        format!(
            "<g class=\"span\" data-label=\"{label}\"><title>{label}: {duration_text} at +{} \
             ms</title>{drawing}</g>",
            format_number(start)
        )
    }
}

/// A bar's start in ms; one that is not a number starts with the trace.
fn start_of(bar: &Bar) -> f64 {
    match bar.start.is_finite() {
        true => bar.start,
        false => 0.0,
    }
}

/// A bar's duration in ms, never negative; one that is not a number lasts nothing.
fn duration_of(bar: &Bar) -> f64 {
    match bar.duration.is_finite() {
        true => bar.duration.max(0.0),
        false => 0.0,
    }
}
