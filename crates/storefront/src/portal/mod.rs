//! The developer portal at `/portal`: the software catalog drawn for people. Every service with
//! its owner, lifecycle, APIs, dependencies, SLO journeys, dashboard and runbook; a dependency
//! graph; each API with its definition (the proto, GraphQL or OpenAPI document); the SLOs; the
//! teams. It reads the same `catalog-info.yaml` files a Backstage instance would, built into the
//! binary (`build.rs`), so it shows what the repository declares. Operators only, as `/ops`:
//! the same sign-in and cookie.

pub mod catalog;
mod pages;
mod slo;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;

pub use self::catalog::Catalog;
use crate::ops::{Ops, page};

/// `/portal`: the overview.
pub(crate) async fn overview(State(ops): State<Ops>, headers: HeaderMap) -> Response {
    if let Err(refusal) = ops.operator_only(&headers).await {
        return refusal;
    }
    match Catalog::embedded() {
        Ok(catalog) => {
            let journeys = slo::journeys(catalog);
            let journeys = journeys.as_deref().map_err(String::as_str);
            page("Portal", pages::overview(catalog, journeys)).into_response()
        }
        Err(problems) => broken(problems),
    }
}

/// `/portal/apis/{name}`: an API with its definition.
pub(crate) async fn api(
    State(ops): State<Ops>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let catalog = match for_operator(&ops, &headers).await {
        Ok(catalog) => catalog,
        Err(refusal) => return refusal,
    };
    match catalog
        .find(&name, "api")
        .filter(|entity| entity.kind == "API")
    {
        Some(api) => page(&format!("API {name}"), pages::api(catalog, api)).into_response(),
        None => not_found(&format!("The catalog has no API named {name}.")),
    }
}

/// `/portal/runbooks/{name}`: a runbook, drawn from its Markdown.
pub(crate) async fn runbook(
    State(ops): State<Ops>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let catalog = match for_operator(&ops, &headers).await {
        Ok(catalog) => catalog,
        Err(refusal) => return refusal,
    };
    let path = format!("docs/runbooks/{name}.md");
    match catalog.file(&path).filter(|_| !name.contains('/')) {
        Some(markdown) => {
            page(&format!("Runbook: {name}"), pages::markdown(markdown)).into_response()
        }
        None => not_found(&format!("There is no runbook {path}.")),
    }
}

/// The catalog, for an operator; for anyone else, the answer to give them.
async fn for_operator(ops: &Ops, headers: &HeaderMap) -> Result<&'static Catalog, Response> {
    ops.operator_only(headers).await?;
    Catalog::embedded().map_err(broken)
}

fn not_found(message: &str) -> Response {
    let content = html! { p.notice { (message) } p { a href="/portal" { "Back to the portal" } } };
    (StatusCode::NOT_FOUND, page("Not in the catalog", content)).into_response()
}

/// A catalog that does not read: the build would normally refuse it, but say what is wrong.
fn broken(problems: &str) -> Response {
    let content =
        html! { p.notice role="alert" { "The software catalog does not read: " (problems) } };
    (StatusCode::INTERNAL_SERVER_ERROR, page("Portal", content)).into_response()
}
