//! Product images: an SVG illustration per product and view, drawn on request from the
//! product's category, colour and name, the same every time (so it can be cached for long and
//! revalidated by its ETag). `GET /images/products/{sku}-{n}.svg`; the `.jpg` names that older
//! data folders hold are answered with the same drawing.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use platform::error::Problem;
use platform::transport::request;
use proto::catalog as pb;
use sha2::{Digest, Sha256};

use crate::extract::Path;
use crate::state::Gateway;

pub(crate) fn routes() -> Router<Gateway> {
    Router::new().route("/images/products/{file}", get(product_image))
}

/// A week fresh, then revalidated by ETag; a drawing changes only with its product.
const CACHE_CONTROL: &str = "public, max-age=604800, stale-while-revalidate=86400";

/// The drawing of one view (`n`, from 1) of a product, or 404 for a product that does not exist.
async fn product_image(
    State(gateway): State<Gateway>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Result<Response, Problem> {
    let (sku, view) = parse_file(&file).ok_or_else(|| {
        Problem::not_found(format!("no image `{file}`: images are <sku>-<n>.svg"))
            .with_kind("not-found")
    })?;
    let token = gateway.reader_token(crate::extract::Bearer(None)).await?;
    let product = gateway
        .catalog
        .clone()
        .get_product(request(pb::GetProductRequest { sku }, &token))
        .await?
        .into_inner();
    let colour = serde_json::from_str::<serde_json::Value>(&product.attributes_json)
        .ok()
        .and_then(|attributes| attributes["color"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let svg = draw(&product.name, &product.category, &colour, view);
    let etag = format!("\"{}\"", hex(&Sha256::digest(svg.as_bytes())[..12]));
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag));
    let mut response = match fresh {
        true => StatusCode::NOT_MODIFIED.into_response(),
        false => svg.into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // An SVG opened on its own is a document: it may run nothing and load nothing.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    Ok(response)
}

/// `KIT-00042-2.svg` (or `.jpg`): the sku and the view, from 1 to 10.
fn parse_file(file: &str) -> Option<(String, u32)> {
    let stem = file
        .strip_suffix(".svg")
        .or_else(|| file.strip_suffix(".jpg"))?;
    let (sku, view) = stem.rsplit_once('-')?;
    let view: u32 = view.parse().ok().filter(|view| (1..=10).contains(view))?;
    let well_formed = (3..=32).contains(&sku.len())
        && !sku.starts_with('-')
        && sku
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-');
    well_formed.then(|| (sku.to_ascii_uppercase(), view))
}

/// The drawing: a ground in the category's hue, the product's shape in its colour (turned and
/// placed by the view), and its name.
pub(crate) fn draw(name: &str, category: &str, colour: &str, view: u32) -> String {
    let ground = format!("hsl({} 45% 92%)", hash(category) % 360);
    let ink = colour_of(colour).unwrap_or_else(|| format!("hsl({} 40% 45%)", hash(name) % 360));
    let turn = (view - 1) * 17 + hash(name) % 30;
    let shape = shape(category, &ink, turn);
    let title = escape(name);
    format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400" width="400" height="400" role="img" aria-label="{title}">"#,
            r#"<rect width="400" height="400" fill="{ground}"/>{shape}"#,
            r##"<text x="200" y="372" font-family="sans-serif" font-size="16" text-anchor="middle" fill="#333">{short}</text>"##,
            "</svg>"
        ),
        title = title,
        ground = ground,
        shape = shape,
        short = escape(&shorten(name, 40)),
    )
}

/// One shape per kind of category, so that a listing reads at a glance.
fn shape(category: &str, ink: &str, turn: u32) -> String {
    let body = match hash(category) % 4 {
        0 => r#"<circle cx="200" cy="180" r="110""#.to_owned(),
        1 => r#"<rect x="95" y="75" width="210" height="210" rx="36""#.to_owned(),
        2 => r#"<polygon points="200,60 320,290 80,290""#.to_owned(),
        _ => r#"<ellipse cx="200" cy="180" rx="140" ry="90""#.to_owned(),
    };
    format!(
        r##"<g transform="rotate({turn} 200 180)">{body} fill="{ink}"/><circle cx="200" cy="180" r="28" fill="#fff" fill-opacity="0.35"/></g>"##
    )
}

/// A colour name of the catalog as a colour: the last word CSS or this list knows.
fn colour_of(name: &str) -> Option<String> {
    const NAMED: &[(&str, &str)] = &[
        ("amber", "#d9912b"),
        ("black", "#222222"),
        ("blush", "#e8b4b0"),
        ("brass", "#b5923c"),
        ("brown", "#7a4e2d"),
        ("gold", "#c9a23f"),
        ("burgundy", "#7c1f32"),
        ("camel", "#c19a6b"),
        ("charcoal", "#36454f"),
        ("red", "#c0392b"),
        ("clay", "#b66a50"),
        ("clear", "#cfe3ea"),
        ("cognac", "#9a463d"),
        ("copper", "#b87333"),
        ("coral", "#ff7f66"),
        ("cream", "#f1e6c8"),
        ("teal", "#1f7a7a"),
        ("pink", "#e3a3b1"),
        ("rose", "#d08a94"),
        ("ecru", "#d8cdb0"),
        ("orange", "#e8702a"),
        ("eucalyptus", "#6f9a86"),
        ("forest", "#2f5a3a"),
        ("green", "#3f8f4f"),
        ("blue", "#3d6fb6"),
        ("graphite", "#474a51"),
        ("grey", "#8a8d91"),
        ("yellow", "#f2d43d"),
        ("indigo", "#3f3d8f"),
        ("ivory", "#f4efdc"),
        ("lavender", "#b4a7d6"),
        ("lilac", "#c8a2c8"),
        ("midnight", "#1f2a44"),
        ("mint", "#9fd8c0"),
        ("moss", "#6b7f3a"),
        ("mustard", "#d1a32b"),
        ("natural", "#d9c7a5"),
        ("oak", "#b98d5a"),
        ("navy", "#1f2f5a"),
        ("oat", "#d8c9a8"),
        ("oatmeal", "#d6c7a6"),
        ("ocean", "#2d6e8e"),
        ("ochre", "#c7822b"),
        ("olive", "#6b6b2a"),
        ("opal", "#cfe0dc"),
        ("pastel", "#f2cfe0"),
        ("plum", "#6e3a5e"),
        ("primary", "#d6332f"),
        ("rainbow", "#8a5cd6"),
        ("rust", "#a8461f"),
        ("sage", "#9caf88"),
        ("sand", "#d8c08e"),
        ("silver", "#b8bcc2"),
        ("slate", "#5b6770"),
        ("smoke", "#9a9ea3"),
        ("white", "#f7f7f5"),
        ("stainless", "#c4c8cc"),
        ("stone", "#a8a29a"),
        ("tan", "#c7a17a"),
        ("terracotta", "#c65d3b"),
        ("walnut", "#5c3d2e"),
    ];
    name.split_whitespace().rev().find_map(|word| {
        NAMED
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(word))
            .map(|(_, hex)| (*hex).to_owned())
    })
}

/// FNV-1a: small, stable across builds and platforms.
fn hash(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

fn shorten(text: &str, most: usize) -> String {
    match text.chars().count() > most {
        true => text.chars().take(most - 1).collect::<String>() + "…",
        false => text.to_owned(),
    }
}

/// Text as XML character data or an attribute value.
fn escape(text: &str) -> String {
    text.chars()
        .filter(|character| !character.is_control())
        .map(|character| match character {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            other => other.to_string(),
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests;
