//! The OpenAPI 3.1 document, built from the handlers' annotations, and the offline docs page.

use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_swagger_ui::SwaggerUi;

use crate::{api, checkout};

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
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Emporium", description = "Emporium's REST API: catalog, cart and account."),
    paths(
        api::get_product, api::list_products, api::search_products, api::list_categories,
        api::create_product, api::update_product, api::delete_product,
        api::get_cart, api::add_cart_item, api::set_cart_quantity, api::remove_cart_item, api::clear_cart,
        api::sign_up, api::log_in, api::me,
        checkout::checkout, checkout::list_orders, checkout::get_order, checkout::order_events,
        checkout::list_faults, checkout::set_fault, checkout::clear_fault,
    ),
    components(schemas(ProblemDocument)),
    modifiers(&BearerAuth),
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

/// The OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub(crate) fn routes() -> Router {
    Router::new().merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", document()))
}
