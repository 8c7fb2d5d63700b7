//! Line charts (axes with nice ticks, a legend, a polyline per series) and sparklines (a bare
//! polyline, for a table cell).

use crate::svg::{colour_of, escape_text, format_number, open_svg, text_width};
use crate::ticks::nice_ticks;
use crate::{Axis, Series};

/// Room left of the plot for the y ticks and the y axis' label, in pixels.
const MARGIN_LEFT: f64 = 64.0;
/// Room right of the plot, so that the last x tick's label is not cut.
const MARGIN_RIGHT: f64 = 20.0;
/// Room under the plot for the x ticks and the x axis' label.
const MARGIN_BOTTOM: f64 = 44.0;
/// The title's line at the top.
const TITLE_HEIGHT: f64 = 24.0;
/// One line of legend entries.
const LEGEND_ROW_HEIGHT: f64 = 18.0;

/// A line chart `width` by `height` pixels: `title` on top, a legend under it, axes with four to
/// six nice ticks each (y from zero, or from below it when a value is negative) and one
/// polyline per series, in a colour of its own and with the class `series-N` (N its index in
/// `series`). With no point to draw, the chart says "no data".
pub fn line_chart(
    title: &str,
    x: &Axis,
    y: &Axis,
    series: &[Series],
    width: u32,
    height: u32,
) -> String {
    let (width, height) = (width.max(200), height.max(120));
    let mut svg = open_svg(width, height, "class=\"chart line-chart\"", title);
    svg.push_str(&format!(
        "<text class=\"chart-title\" x=\"{}\" y=\"17\" text-anchor=\"middle\" font-size=\"14\" \
         font-weight=\"bold\">{}</text>",
        format_number(f64::from(width) / 2.0),
        escape_text(title)
    ));
    let Some(plot) = Plot::fit(series, f64::from(width), f64::from(height)) else {
        svg.push_str(&no_data(width, height));
        svg.push_str("</svg>");
        return svg;
    };
    svg.push_str(&plot.legend(series));
    svg.push_str(&plot.axes(x, y, f64::from(height)));
    for (index, one) in series.iter().enumerate() {
        svg.push_str(&plot.line(index, one));
    }
    svg.push_str("</svg>");
    svg
}

/// A sparkline `width` by `height` pixels: the values left to right as one polyline with the
/// class `sparkline`, scaled from zero (or the lowest value, when one is negative) to the
/// highest, in the text's colour. No values draw an empty baseline; values that are all zero
/// draw a flat line along the bottom.
pub fn sparkline(values: &[f64], width: u32, height: u32) -> String {
    let (width, height) = (width.max(8), height.max(4));
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"sparkline\" width=\"{width}\" \
         height=\"{height}\" viewBox=\"0 0 {width} {height}\" aria-hidden=\"true\">"
    );
    let values: Vec<f64> = values
        .iter()
        .copied()
        .filter(|value| value.is_finite())
        .collect();
    let (right, bottom) = (f64::from(width) - 1.0, f64::from(height) - 1.0);
    if values.is_empty() {
        svg.push_str(&format!(
            "<line class=\"sparkline-empty\" x1=\"1\" y1=\"{bottom}\" x2=\"{right}\" \
             y2=\"{bottom}\" stroke=\"#cccccc\" stroke-width=\"1\"/></svg>",
            bottom = format_number(bottom),
            right = format_number(right),
        ));
        return svg;
    }
    let lowest = values.iter().copied().fold(0.0, f64::min);
    let highest = values.iter().copied().fold(lowest, f64::max);
    let span = highest - lowest;
    // One value is a flat line across, not a dot at the left edge.
    let drawn = match values.len() {
        1 => vec![values[0]; 2],
        _ => values,
    };
    let step = (right - 1.0) / (drawn.len() - 1) as f64;
    let points: Vec<String> = drawn
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let height_share = match span > 0.0 {
                true => (value - lowest) / span,
                false => 0.0,
            };
            let y = bottom - height_share * (bottom - 1.0);
            format!(
                "{},{}",
                format_number(1.0 + index as f64 * step),
                format_number(y)
            )
        })
        .collect();
    svg.push_str(&format!(
        "<polyline class=\"sparkline\" fill=\"none\" stroke=\"currentColor\" \
         stroke-width=\"1.5\" stroke-linejoin=\"round\" points=\"{}\"/></svg>",
        points.join(" ")
    ));
    svg
}

/// What a chart with nothing to draw says, in its middle.
fn no_data(width: u32, height: u32) -> String {
    format!(
        "<text class=\"no-data\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#666666\">no \
         data</text>",
        format_number(f64::from(width) / 2.0),
        format_number(f64::from(height) / 2.0)
    )
}

/// Where the plot sits in the chart and the values its edges stand for.
struct Plot {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    x_ticks: Vec<f64>,
    y_ticks: Vec<f64>,
    /// Where each legend entry starts: `(x, y)` of its swatch.
    legend_places: Vec<(f64, f64)>,
}

impl Plot {
    /// The plot for `series` in a chart `width` by `height`, or `None` when no series has a
    /// finite point.
    fn fit(series: &[Series], width: f64, height: f64) -> Option<Plot> {
        let points: Vec<(f64, f64)> = series
            .iter()
            .flat_map(|one| one.points.iter().copied())
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        let first = points.first()?;
        let (mut x_min, mut x_max, mut y_min, mut y_max) = (first.0, first.0, 0.0f64, 0.0f64);
        for &(x, y) in &points {
            (x_min, x_max) = (x_min.min(x), x_max.max(x));
            (y_min, y_max) = (y_min.min(y), y_max.max(y));
        }
        // A range under one unit would give ticks that print alike at one decimal.
        let (x_ticks, y_ticks) = (
            nice_ticks(x_min, x_max.max(x_min + 1.0)),
            nice_ticks(y_min, y_max.max(y_min + 1.0)),
        );
        let (legend_places, legend_height) = legend_layout(series, width);
        let top = TITLE_HEIGHT + legend_height + 8.0;
        Some(Plot {
            left: MARGIN_LEFT,
            right: width - MARGIN_RIGHT,
            top,
            bottom: (height - MARGIN_BOTTOM).max(top + 20.0),
            x_ticks,
            y_ticks,
            legend_places,
        })
    }

    /// The horizontal position of `x`.
    fn x_position(&self, x: f64) -> f64 {
        let (low, high) = bounds(&self.x_ticks);
        self.left + (x - low) / (high - low) * (self.right - self.left)
    }

    /// The vertical position of `y`.
    fn y_position(&self, y: f64) -> f64 {
        let (low, high) = bounds(&self.y_ticks);
        self.bottom - (y - low) / (high - low) * (self.bottom - self.top)
    }

    /// The legend: a swatch and a name per series, in rows under the title.
    fn legend(&self, series: &[Series]) -> String {
        let mut legend = String::from("<g class=\"legend\">");
        for (index, (one, (x, y))) in series.iter().zip(&self.legend_places).enumerate() {
            legend.push_str(&format!(
                "<g class=\"legend-item\"><line x1=\"{x}\" y1=\"{y}\" x2=\"{x_end}\" y2=\"{y}\" \
                 stroke=\"{colour}\" stroke-width=\"2\"/><text x=\"{text_x}\" y=\"{y}\" \
                 dominant-baseline=\"middle\">{name}</text></g>",
                x = format_number(*x),
                x_end = format_number(x + 16.0),
                y = format_number(*y),
                text_x = format_number(x + 20.0),
                colour = colour_of(index),
                name = escape_text(&one.name),
            ));
        }
        legend.push_str("</g>");
        legend
    }

    /// The axes, the grid at the y ticks, the ticks' labels and the axes' labels.
    fn axes(&self, x: &Axis, y: &Axis, height: f64) -> String {
        let mut axes = String::from("<g class=\"axes\">");
        for &tick in &self.y_ticks {
            let position = format_number(self.y_position(tick));
            axes.push_str(&format!(
                "<line class=\"grid\" x1=\"{left}\" y1=\"{position}\" x2=\"{right}\" \
                 y2=\"{position}\" stroke=\"#e0e0e0\" stroke-width=\"1\"/><text class=\"tick\" \
                 x=\"{label_x}\" y=\"{position}\" text-anchor=\"end\" \
                 dominant-baseline=\"middle\">{label}</text>",
                left = format_number(self.left),
                right = format_number(self.right),
                label_x = format_number(self.left - 6.0),
                label = format_number(tick),
            ));
        }
        for &tick in &self.x_ticks {
            axes.push_str(&format!(
                "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                format_number(self.x_position(tick)),
                format_number(self.bottom + 16.0),
                format_number(tick),
            ));
        }
        let (left, right, top, bottom) = (
            format_number(self.left),
            format_number(self.right),
            format_number(self.top),
            format_number(self.bottom),
        );
        let middle_y = format_number((self.top + self.bottom) / 2.0);
        axes.push_str(&format!(
            "<path class=\"axis\" d=\"M{left},{top} V{bottom} H{right}\" fill=\"none\" \
             stroke=\"#333333\" stroke-width=\"1\"/><text class=\"axis-label\" x=\"{}\" \
             y=\"{}\" text-anchor=\"middle\">{}</text><text class=\"axis-label\" x=\"14\" \
             y=\"{middle_y}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {middle_y})\">{}\
             </text></g>",
            format_number((self.left + self.right) / 2.0),
            format_number(height - 8.0),
            escape_text(&axis_title(x)),
            escape_text(&axis_title(y)),
        ));
        axes
    }

    /// The polyline of the series at `index` (a dot when it has one point).
    fn line(&self, index: usize, series: &Series) -> String {
        let points: Vec<(f64, f64)> = series
            .points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .map(|(x, y)| (self.x_position(x), self.y_position(y)))
            .collect();
        let colour = colour_of(index);
        let name = escape_text(&series.name);
        match points.as_slice() {
            [] => String::new(),
            [(x, y)] => format!(
                "<circle class=\"series series-{index}\" cx=\"{}\" cy=\"{}\" r=\"3\" \
                 fill=\"{colour}\"><title>{name}</title></circle>",
                format_number(*x),
                format_number(*y)
            ),
            _ => {
                let points: Vec<String> = points
                    .iter()
                    .map(|(x, y)| format!("{},{}", format_number(*x), format_number(*y)))
                    .collect();
                format!(
                    "<polyline class=\"series series-{index}\" fill=\"none\" \
                     stroke=\"{colour}\" stroke-width=\"2\" stroke-linejoin=\"round\" \
                     points=\"{}\"><title>{name}</title></polyline>",
                    points.join(" ")
                )
            }
        }
    }
}

/// Where each legend entry goes, in rows that wrap at the chart's width, and how tall the rows
/// are together.
fn legend_layout(series: &[Series], width: f64) -> (Vec<(f64, f64)>, f64) {
    let mut places = Vec::with_capacity(series.len());
    let (mut x, mut row) = (MARGIN_LEFT, 0.0);
    for one in series {
        let entry_width = 20.0 + text_width(&one.name) + 16.0;
        if x > MARGIN_LEFT && x + entry_width > width - MARGIN_RIGHT {
            x = MARGIN_LEFT;
            row += 1.0;
        }
        places.push((x, TITLE_HEIGHT + 6.0 + row * LEGEND_ROW_HEIGHT));
        x += entry_width;
    }
    let rows = if series.is_empty() { 0.0 } else { row + 1.0 };
    (places, rows * LEGEND_ROW_HEIGHT)
}

/// "latency (ms)", or "latency" with no unit.
fn axis_title(axis: &Axis) -> String {
    match axis.unit.is_empty() {
        true => axis.label.clone(),
        false => format!("{} ({})", axis.label, axis.unit),
    }
}

/// The first and last tick: the values at the plot's edges.
fn bounds(ticks: &[f64]) -> (f64, f64) {
    let low = ticks.first().copied().unwrap_or(0.0);
    let high = ticks.last().copied().unwrap_or(1.0);
    match high > low {
        true => (low, high),
        false => (low, low + 1.0),
    }
}
