//! The labels of the service map's calls: a rate or a latency, drawn at the middle of an arrow
//! over a light background, on two lines when long, and kept apart from one another.

use crate::svg::{escape_text, format_number};

/// The labels' font size.
const LABEL_SIZE: f64 = 10.0;
/// How far apart the baselines of a label's two lines are.
const LABEL_LINE: f64 = 12.0;
/// Room left and right of a label's text on its background.
const LABEL_PADDING: f64 = 4.0;
/// How wide a character of a label is drawn, as a fraction of the font size, about.
const LABEL_CHARACTER: f64 = 0.52;
/// A label longer than this many characters is drawn on two lines.
const LABEL_WRAP: usize = 28;

/// `label` as the lines it is drawn on: one, or two when it is long, broken after the ` · ` (or
/// else the space) nearest its middle. The first line keeps the separator, so the lines
/// together are the label as given.
pub(super) fn label_lines(label: &str) -> Vec<&str> {
    if label.chars().count() <= LABEL_WRAP {
        return vec![label];
    }
    let middle = label.len() / 2;
    let nearest = |separator: &str| {
        label
            .match_indices(separator)
            .map(|(at, _)| at + separator.len())
            .min_by_key(|at| at.abs_diff(middle))
    };
    match nearest(" · ").or_else(|| nearest(" ")) {
        Some(at) if at < label.len() => vec![&label[..at], &label[at..]],
        _ => vec![label],
    }
}

/// How wide and tall the background of a label drawn as `lines` is; nothing for no text.
pub(super) fn label_size(lines: &[&str]) -> (f64, f64) {
    let characters = lines
        .iter()
        .map(|line| line.trim_end().chars().count())
        .max()
        .unwrap_or(0);
    if characters == 0 {
        return (0.0, 0.0);
    }
    let width = characters as f64 * LABEL_SIZE * LABEL_CHARACTER + 2.0 * LABEL_PADDING;
    (width, lines.len() as f64 * LABEL_LINE + 4.0)
}

/// A label centred on `(x, y)` in `colour`, over a white background that keeps it readable
/// where it crosses other arrows; a label of two lines is two `tspan`s.
pub(super) fn draw_label(label: &str, x: f64, y: f64, colour: &str) -> String {
    let lines = label_lines(label);
    let (width, height) = label_size(&lines);
    if width == 0.0 {
        return String::new();
    }
    let top = y - height / 2.0;
    let (x_text, baseline) = (
        format_number(x),
        format_number(top + 2.0 + LABEL_LINE - 2.5),
    );
    let text = match lines.as_slice() {
        [first, second] => format!(
            "<tspan x=\"{x_text}\">{}</tspan><tspan x=\"{x_text}\" dy=\"{}\">{}</tspan>",
            escape_text(first),
            format_number(LABEL_LINE),
            escape_text(second)
        ),
        _ => escape_text(label),
    };
    format!(
        "<rect class=\"edge-label-background\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" \
         rx=\"3\" fill=\"#fff\" opacity=\"0.85\"/><text class=\"edge-label\" x=\"{x_text}\" \
         y=\"{baseline}\" text-anchor=\"middle\" font-size=\"{}\" fill=\"{colour}\">{text}</text>",
        format_number(x - width / 2.0),
        format_number(top),
        format_number(width),
        format_number(height),
        format_number(LABEL_SIZE),
    )
}

/// Moves the labels `(middle, edge)` of one gap apart, top to bottom, as little as keeps their
/// backgrounds (`heights` per edge) from overlapping, within `top` and `bottom`.
pub(super) fn separate(labels: &mut [(f64, usize)], heights: &[f64], top: f64, bottom: f64) {
    labels.sort_by(|left, right| left.0.total_cmp(&right.0).then(left.1.cmp(&right.1)));
    let mut floor = top;
    for (y, edge) in labels.iter_mut() {
        let half = heights[*edge] / 2.0 + 1.0;
        *y = y.max(floor + half);
        floor = *y + half;
    }
    // Those pushed past the bottom move back up, pushing the ones above them.
    let mut ceiling = bottom;
    for (y, edge) in labels.iter_mut().rev() {
        let half = heights[*edge] / 2.0 + 1.0;
        *y = y.min(ceiling - half);
        ceiling = *y - half;
    }
}
