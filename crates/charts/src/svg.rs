//! The pieces every chart is made of: escaping, numbers with at most one decimal, the palette
//! and the opening tag. Nothing here writes a `style` attribute or element, so the charts show
//! under a Content-Security-Policy of `style-src 'self'`.

/// Colours for series, told apart also by readers with the common colour-vision deficiencies
/// (Okabe and Ito's palette, with its yellow swapped for a darker brown that shows on white).
pub(crate) const PALETTE: [&str; 8] = [
    "#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#8c6d31", "#4d4d4d",
];

/// The colour of the series at `index`; the palette repeats after its last colour.
pub(crate) fn colour_of(index: usize) -> &'static str {
    PALETTE[index % PALETTE.len()]
}

/// `text` safe inside an element and inside a double- or single-quoted attribute.
pub(crate) fn escape_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// `value` with at most one decimal and no trailing `.0`: `12`, `12.3`, `-0.5`. A value that is
/// not finite prints as `0`, so that a bad point cannot break the document; one beyond the
/// range of whole tenths in an `i64` (about 9e17) prints as that range's bound.
pub(crate) fn format_number(value: f64) -> String {
    if !value.is_finite() {
        return "0".to_owned();
    }
    // Whole tenths, so that the decision to print a decimal is exact (and -0.04 prints as 0).
    let tenths = (value * 10.0).round() as i64;
    match tenths % 10 {
        0 => (tenths / 10).to_string(),
        _ => format!("{:.1}", tenths as f64 / 10.0),
    }
}

/// The opening `<svg>` tag of a chart `width` by `height`, with `attributes` (already escaped)
/// added, and its `<title>`.
pub(crate) fn open_svg(width: u32, height: u32, attributes: &str, title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\" font-family=\"sans-serif\" \
         font-size=\"12\" {attributes}><title>{}</title>",
        escape_text(title)
    )
}

/// How wide `text` is drawn at 12 px, about: charts size boxes and legends without a font.
pub(crate) fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * 7.0
}

/// `text` cut to at most `max_characters`, ending in `…` when cut.
pub(crate) fn shorten(text: &str, max_characters: usize) -> String {
    if text.chars().count() <= max_characters {
        return text.to_owned();
    }
    let kept: String = text
        .chars()
        .take(max_characters.saturating_sub(1))
        .collect();
    format!("{kept}…")
}
