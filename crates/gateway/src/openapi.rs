//! The OpenAPI 3.1 document, built from the handlers' annotations, and the offline docs page.
//!
//! A route names the statuses that belong to it (404, 409, 422, with what they mean); the
//! statuses every route of a kind can answer are added here by rule, once: 400 for a route that
//! takes parameters or a body, 401 and 403 for one that reads a token, 413 and 415 for one
//! that takes a body, 429, 503 and 504 for all. Every error status is a problem document.

use axum::Router;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, RefOr, Response};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    account, admin, assistant, cart, catalog, functions, models, orders, recommendations, search,
    webhooks,
};

/// An RFC 9457 problem document, as every error is answered.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct ProblemDocument {
    /// A URI naming the kind of problem.
    #[schema(rename = "type")]
    kind: String,
    title: String,
    status: u16,
    /// What went wrong, naming the field when one is at fault.
    detail: Option<String>,
    /// The request this problem belongs to.
    instance: Option<String>,
    /// Each thing wrong with the body, when the body is at fault.
    errors: Option<Vec<BodyError>>,
}

/// One thing wrong with a request's body or query.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct BodyError {
    /// A JSON pointer to the value at fault, e.g. `/address/city`; for a query parameter,
    /// into the parameters taken as one object, e.g. `/page_size`.
    pointer: String,
    detail: String,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Emporium", description = "Emporium's REST API: catalog, search, recommendations, cart, account, orders, functions, models, the shopping assistant and administration."),
    paths(
        catalog::get_product, catalog::list_products, catalog::list_categories,
        search::search_products, search::similar_products, search::search_status,
        recommendations::also_bought, recommendations::popular, recommendations::for_you,
        catalog::create_product, catalog::update_product, catalog::delete_product,
        cart::get_cart, cart::add_cart_item, cart::set_cart_quantity, cart::remove_cart_item, cart::clear_cart,
        account::sign_up, account::log_in, account::me,
        orders::checkout, orders::list_orders, orders::get_order, orders::order_events,
        admin::list_faults, admin::set_fault, admin::clear_fault,
        functions::list_functions, functions::get_function, functions::deploy_function,
        functions::set_traffic, functions::rollback_function, functions::set_triggers,
        functions::list_invocations, functions::list_dead_deliveries, functions::replay_delivery,
        webhooks::create_endpoint, webhooks::list_endpoints, webhooks::delete_endpoint,
        webhooks::list_deliveries, webhooks::replay_delivery,
        models::list_models, models::promote_model, models::roll_back_model,
        models::retire_version, models::set_model_traffic,
        assistant::converse, assistant::confirm, assistant::conversation,
    ),
    components(schemas(ProblemDocument, BodyError)),
    modifiers(&BearerAuth, &ProblemResponses),
)]
pub(crate) struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Adds the statuses that follow from a route's kind, and the problem document to every error.
struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                add_problems(operation);
            }
        }
    }
}

fn add_problems(operation: &mut Operation) {
    let has_parameters = operation
        .parameters
        .as_ref()
        .is_some_and(|parameters| !parameters.is_empty());
    let has_body = operation.request_body.is_some();
    let reads_token = operation
        .security
        .as_ref()
        .is_some_and(|security| !security.is_empty());
    let mut rules = Vec::new();
    if has_parameters || has_body {
        rules.push((
            "400",
            "a parameter or the body is not as this document says",
        ));
    }
    if reads_token {
        rules.push((
            "401",
            "no bearer token where one is needed, or one that is not valid",
        ));
        rules.push(("403", "the token lacks the scope this route needs"));
    }
    if has_body {
        rules.push(("413", "the body is larger than the gateway takes"));
        rules.push(("415", "the body is not `application/json`"));
    }
    rules.push((
        "429",
        "the caller made too many requests; see `Retry-After`",
    ));
    rules.push(("503", "a service this route needs cannot be reached now"));
    rules.push((
        "504",
        "no answer in time (`gateway.request_timeout_seconds`)",
    ));
    let responses = &mut operation.responses.responses;
    for (status, description) in rules {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(Response::new(description)));
    }
    for (status, response) in responses.iter_mut() {
        if let RefOr::T(response) = response
            && response.description.is_empty()
        {
            // OpenAPI requires a description of every response.
            response.description = success_description(status).to_owned();
        }
        if let RefOr::T(response) = response
            && !status.starts_with(['1', '2', '3'])
            && response.content.is_empty()
        {
            let schema = RefOr::Ref(utoipa::openapi::Ref::from_schema_name("ProblemDocument"));
            response.content.insert(
                platform::error::PROBLEM_JSON.to_owned(),
                RefOr::T(Content::new(Some(schema))),
            );
        }
    }
}

fn success_description(status: &str) -> &'static str {
    match status {
        "201" => "created",
        "204" => "done; nothing to show",
        _ => "the answer",
    }
}

/// The OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub(crate) fn routes() -> Router {
    Router::new().merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", document()))
}

#[cfg(test)]
mod tests;
