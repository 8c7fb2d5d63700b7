//! The operations view at `/ops`: what the shop is doing, drawn, with nothing else installed.
//! A service map from the calls actually made, RED figures per service and per route with
//! small charts, the latest and the slowest traces as waterfalls, backlogs and dead letters
//! (with a replay button), the fault switches, the search model, the models in the registry and the functions. The figures
//! come from every process (`gather.rs`), asked with the operator's token.
//!
//! Only an operator gets in: a bearer token with `admin.ops`, or the admin client's login at
//! `/ops/login` (its client secret, exchanged for a token at the identity provider, or a token
//! pasted), kept in HttpOnly, SameSite=Strict cookies for `/ops` and `/portal` until the token
//! expires.
//! Forms carry a CSRF token derived from the operator's token.

mod actions;
mod auth;
mod functions;
mod gather;
mod models;
mod overview;
mod trace;
mod webhooks;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, html};
use platform::auth::{TokenSource, Verifier};
use platform::faults::Fault;
use platform::faults::client::Owners;
use platform::transport::Transport;
use proto::catalog::catalog_client::CatalogClient;
use proto::functions::functions_client::FunctionsClient;
use proto::inference::inference_client::InferenceClient;
use serde::Deserialize;

use self::gather::Gatherer;

/// What the operations view reads from.
pub struct OpsDependencies {
    /// Where every process serves its operations view (`Context::ops_transports`).
    pub processes: Vec<Transport>,
    /// Where each service with faults serves its switches, by service name.
    pub faults: BTreeMap<&'static str, Transport>,
    /// The catalog, for the search model's status.
    pub catalog: Transport,
    /// The functions service, for the functions deployed (asked with the operator's token).
    pub functions: Transport,
    /// The inference service, for the models in the registry (asked with the operator's token).
    pub inference: Transport,
    /// The gateway's own token, to read the search status.
    pub service_token: Arc<dyn TokenSource>,
    pub verifier: Verifier,
}

#[derive(Clone)]
pub(crate) struct Ops(Arc<Inner>);

impl Ops {
    /// Nothing when an operator makes this request; otherwise the answer to give (the
    /// sign-in page, or 403 for a token without `admin.ops`).
    pub(crate) async fn operator_only(&self, headers: &HeaderMap) -> Result<(), Response> {
        self.0.login.operator(headers).await.map(|_| ())
    }
}

struct Inner {
    gatherer: Gatherer,
    faults: Owners,
    catalog: CatalogClient<Transport>,
    functions: FunctionsClient<Transport>,
    inference: InferenceClient<Transport>,
    service_token: Arc<dyn TokenSource>,
    login: auth::Login,
}

/// The routes under `/ops` and the portal's under `/portal`, behind the storefront's security
/// headers.
pub fn router(config: &crate::Config, dependencies: OpsDependencies) -> anyhow::Result<Router> {
    let ops = Ops(Arc::new(Inner {
        gatherer: Gatherer::new(dependencies.processes),
        faults: Owners::new(dependencies.faults),
        catalog: CatalogClient::new(dependencies.catalog),
        functions: FunctionsClient::new(dependencies.functions),
        inference: InferenceClient::new(dependencies.inference),
        service_token: dependencies.service_token,
        login: auth::Login::new(config, dependencies.verifier)?,
    }));
    Ok(Router::new()
        .route("/ops", get(overview_page))
        .route("/ops/traces/{trace_id}", get(trace_page))
        .route("/ops/login", get(auth::login_page).post(auth::log_in))
        .route("/ops/logout", post(auth::log_out))
        .route("/ops/dead-letters/replay", post(replay))
        .route("/ops/faults", post(switch_fault))
        .route("/ops/functions/rollback", post(actions::rollback))
        .route("/ops/functions/replay", post(actions::replay_event))
        .route("/ops/webhooks/replay", post(actions::replay_webhook))
        .route("/portal", get(crate::portal::overview))
        .route("/portal/apis/{name}", get(crate::portal::api))
        .route("/portal/runbooks/{name}", get(crate::portal::runbook))
        .with_state(ops)
        .layer(axum::middleware::from_fn(crate::headers::security)))
}

async fn overview_page(State(ops): State<Ops>, headers: HeaderMap) -> Response {
    let operator = match ops.0.login.operator(&headers).await {
        Ok(operator) => operator,
        Err(refusal) => return refusal,
    };
    let gathered = ops.0.gatherer.snapshot(operator.token()).await;
    let traces = ops.0.gatherer.traces(operator.token(), 20).await;
    let faults = match operator.can_switch_faults() {
        true => Some(ops.0.faults.list(operator.token()).await),
        false => None,
    };
    let search = search_status(&ops).await;
    let deployed = deployed_functions(&ops, operator.token()).await;
    let dead = match &deployed {
        Ok(deployed) => functions::dead(&ops.0.functions, deployed, operator.token()).await,
        Err(_) => BTreeMap::new(),
    };
    let endpoints = webhooks::read(&ops.0.functions, operator.token()).await;
    let registry = models(&ops, operator.token()).await;
    let view = overview::View {
        operator: &operator,
        gathered: &gathered,
        traces: &traces,
        faults: faults.as_ref(),
        search: search.as_ref(),
        functions: deployed.as_ref(),
        dead: &dead,
        webhooks: endpoints.as_ref(),
        models: registry.as_ref(),
        now_unix: platform::unix_now() as u64,
    };
    page("Operations", overview::render(&view)).into_response()
}

async fn search_status(ops: &Ops) -> Result<proto::catalog::SearchStatus, tonic::Status> {
    let token = ops.0.service_token.token().await?;
    let message = proto::catalog::GetSearchStatusRequest {};
    let mut catalog = ops.0.catalog.clone();
    let status = catalog
        .get_search_status(platform::transport::request(message, &token))
        .await?;
    Ok(status.into_inner())
}

/// The functions deployed, with their versions, traffic and usage; reading them needs the
/// operator's `functions.admin`.
async fn deployed_functions(
    ops: &Ops,
    token: &str,
) -> Result<Vec<proto::functions::Function>, tonic::Status> {
    let message = proto::functions::ListFunctionsRequest {};
    let mut functions = ops.0.functions.clone();
    let list = functions
        .list_functions(platform::transport::request(message, token))
        .await?;
    Ok(list.into_inner().functions)
}

/// The models in the registry with their traffic and drift; reading them needs the
/// operator's `models.admin` (or `inference`).
async fn models(ops: &Ops, token: &str) -> Result<Vec<proto::inference::Model>, tonic::Status> {
    let message = proto::inference::ListModelsRequest {};
    let mut inference = ops.0.inference.clone();
    let list = inference
        .list_models(platform::transport::request(message, token))
        .await?;
    Ok(list.into_inner().models)
}

async fn trace_page(
    State(ops): State<Ops>,
    Path(trace_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let operator = match ops.0.login.operator(&headers).await {
        Ok(operator) => operator,
        Err(refusal) => return refusal,
    };
    if platform::ops::grpc::parse_trace_id(&trace_id).is_err() {
        let message = format!("`{trace_id}` is not a trace id (32 hex digits)");
        return (
            StatusCode::NOT_FOUND,
            page("No such trace", notice(&message)),
        )
            .into_response();
    }
    let (spans, truncated, unreachable) = ops.0.gatherer.trace(operator.token(), &trace_id).await;
    if spans.is_empty() {
        let message = format!("No process keeps a span of the trace {trace_id} any more.");
        return (
            StatusCode::NOT_FOUND,
            page("No such trace", notice(&message)),
        )
            .into_response();
    }
    page(
        "Trace",
        trace::render(&trace_id, &spans, truncated, &unreachable),
    )
    .into_response()
}

#[derive(Deserialize)]
struct ReplayForm {
    csrf: String,
    consumer: String,
    event_id: String,
}

async fn replay(
    State(ops): State<Ops>,
    headers: HeaderMap,
    Form(form): Form<ReplayForm>,
) -> Response {
    let operator = match ops.0.login.operator(&headers).await {
        Ok(operator) => operator,
        Err(refusal) => return refusal,
    };
    if !operator.csrf_matches(&form.csrf) {
        return auth::stale_form();
    }
    let replayed = ops
        .0
        .gatherer
        .replay(operator.token(), &form.consumer, &form.event_id)
        .await;
    match replayed {
        Ok(()) => Redirect::to("/ops#dead-letters").into_response(),
        Err(status) => failed(&status),
    }
}

#[derive(Deserialize)]
struct FaultForm {
    csrf: String,
    name: String,
    /// fail, delay or off.
    kind: String,
    #[serde(default)]
    delay_ms: Option<u64>,
}

async fn switch_fault(
    State(ops): State<Ops>,
    headers: HeaderMap,
    Form(form): Form<FaultForm>,
) -> Response {
    let operator = match ops.0.login.operator(&headers).await {
        Ok(operator) => operator,
        Err(refusal) => return refusal,
    };
    if !operator.csrf_matches(&form.csrf) {
        return auth::stale_form();
    }
    let fault = match (form.kind.as_str(), form.delay_ms) {
        ("off", _) => None,
        ("fail", _) => Some(Fault::Fail),
        ("delay", Some(ms)) if (1..=60_000).contains(&ms) => Some(Fault::Delay { ms }),
        _ => {
            let message = "A fault is `off`, `fail`, or `delay` with 1 to 60,000 ms.";
            return (
                StatusCode::BAD_REQUEST,
                page("Not a fault", notice(message)),
            )
                .into_response();
        }
    };
    match ops.0.faults.set(&form.name, fault, operator.token()).await {
        Ok(()) => Redirect::to("/ops#faults").into_response(),
        Err(problem) => {
            let message = problem.detail.clone().unwrap_or(problem.title.clone());
            (
                problem.status_code(),
                page("It did not work", notice(&message)),
            )
                .into_response()
        }
    }
}

/// A page for a call that failed.
fn failed(status: &tonic::Status) -> Response {
    let code = match status.code() {
        tonic::Code::NotFound => StatusCode::NOT_FOUND,
        tonic::Code::PermissionDenied => StatusCode::FORBIDDEN,
        tonic::Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_GATEWAY,
    };
    let message = format!("The shop said: {}", status.message());
    (code, page("It did not work", notice(&message))).into_response()
}

fn notice(message: &str) -> Markup {
    html! { p.notice { (message) } p { a href="/ops" { "Back to the operations view" } } }
}

/// A page of the operations view or the portal.
pub(crate) fn page(title: &str, content: Markup) -> Html<String> {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            (crate::layout::head(title))
            body.ops {
                a.skip href="#main" { "Skip to content" }
                header.site {
                    a.brand href="/ops" { "Emporium operations" }
                    nav aria-label="Operations" {
                        a href="/ops" { "Overview" }
                        a href="/portal" { "Portal" }
                        a href="/" { "Storefront" }
                    }
                }
                main #main tabindex="-1" { h1 { (title) } (content) }
            }
        }
    };
    Html(markup.into_string())
}
