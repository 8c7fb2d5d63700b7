//! GraphiQL, served from the binary: the page at `GET /graphql` (for a browser; anything else
//! there is a query), and its scripts and styles under `/graphql/assets/`, vendored gzipped by
//! `scripts/vendor-graphiql`. Its own script starts it, so the page runs no inline script.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

/// A vendored file: its name, type, and whether it is stored gzipped.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    gzipped: bool,
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "graphiql.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../graphiql/graphiql.min.js.gz"),
        gzipped: true,
    },
    Asset {
        name: "graphiql.min.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../graphiql/graphiql.min.css.gz"),
        gzipped: true,
    },
    Asset {
        name: "react.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../graphiql/react.production.min.js.gz"),
        gzipped: true,
    },
    Asset {
        name: "react-dom.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../graphiql/react-dom.production.min.js.gz"),
        gzipped: true,
    },
    Asset {
        name: "start.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../graphiql/start.js"),
        gzipped: false,
    },
];

/// GraphiQL's policy: its own scripts only; its editor sets inline styles.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The page.
pub(crate) fn page() -> Response {
    let html = r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>GraphiQL · Emporium</title>
  <link rel="stylesheet" href="/graphql/assets/graphiql.min.css">
  <style>body { margin: 0; } #graphiql { height: 100vh; }</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="/graphql/assets/react.production.min.js"></script>
  <script src="/graphql/assets/react-dom.production.min.js"></script>
  <script src="/graphql/assets/graphiql.min.js"></script>
  <script src="/graphql/assets/start.js"></script>
</body>
</html>
"#;
    (
        [
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        Html(html),
    )
        .into_response()
}

async fn asset(Path(name): Path<String>) -> Response {
    let Some(asset) = ASSETS.iter().find(|asset| asset.name == name) else {
        return (StatusCode::NOT_FOUND, "no such GraphiQL file").into_response();
    };
    let mut response = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        asset.body,
    )
        .into_response();
    if asset.gzipped {
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response
}

pub(crate) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/graphql/assets/{name}", get(asset))
}
