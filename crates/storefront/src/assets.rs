//! The storefront's own stylesheet and script, compiled into the binary from `assets/`. Pages
//! name them with their content's hash (`?v=`), so browsers keep them for a year and fetch
//! again only when they change.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::Query;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::Digest as _;

/// A file served from the binary.
pub(crate) struct Asset {
    path: &'static str,
    body: &'static str,
    content_type: &'static str,
    /// The first 16 hex digits of the body's SHA-256.
    hash: LazyLock<String>,
}

impl Asset {
    /// Its URL with its version.
    pub(crate) fn url(&self) -> String {
        format!("{}?v={}", self.path, *self.hash)
    }

    fn respond(&self, version: Option<&str>, headers: &HeaderMap) -> Response {
        let etag = format!("\"{}\"", *self.hash);
        let cache = if version == Some(self.hash.as_str()) {
            "public, max-age=31536000, immutable"
        } else {
            "public, max-age=300"
        };
        let matches = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.split(',').any(|tag| tag.trim() == etag));
        let headers = [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(self.content_type),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            (
                header::ETAG,
                HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\"")),
            ),
        ];
        if matches {
            (StatusCode::NOT_MODIFIED, headers).into_response()
        } else {
            (headers, self.body).into_response()
        }
    }
}

fn hash(body: &str) -> String {
    let digest = sha2::Sha256::digest(body.as_bytes());
    digest[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

pub(crate) static STYLE: Asset = Asset {
    path: "/assets/style.css",
    body: include_str!("../assets/style.css"),
    content_type: "text/css; charset=utf-8",
    hash: LazyLock::new(|| hash(include_str!("../assets/style.css"))),
};

pub(crate) static SCRIPT: Asset = Asset {
    path: "/assets/app.js",
    body: include_str!("../assets/app.js"),
    content_type: "text/javascript; charset=utf-8",
    hash: LazyLock::new(|| hash(include_str!("../assets/app.js"))),
};

#[derive(serde::Deserialize)]
struct Version {
    v: Option<String>,
}

pub(crate) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            STYLE.path,
            get(
                |Query(version): Query<Version>, headers: HeaderMap| async move {
                    STYLE.respond(version.v.as_deref(), &headers)
                },
            ),
        )
        .route(
            SCRIPT.path,
            get(
                |Query(version): Query<Version>, headers: HeaderMap| async move {
                    SCRIPT.respond(version.v.as_deref(), &headers)
                },
            ),
        )
}
