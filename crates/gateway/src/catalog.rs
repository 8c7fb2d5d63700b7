//! The catalog at the edge: products, search and categories for everyone (the gateway's own
//! token reads for anonymous visitors), and product changes for holders of `catalog.admin`.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use platform::error::Problem;
use platform::transport::request;
use proto::catalog as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::common::{Money, money, page};
use crate::extract::{Bearer, Json, Query, Sku};
use crate::state::Gateway;

pub(crate) fn routes() -> Router<Gateway> {
    Router::new()
        .route("/api/v1/products", get(list_products).post(create_product))
        .route(
            "/api/v1/products/{sku}",
            get(get_product).put(update_product).delete(delete_product),
        )
        .route("/api/v1/categories", get(list_categories))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Product {
    sku: String,
    name: String,
    description: String,
    category: String,
    price: Money,
    image_urls: Vec<String>,
    /// Free-form attributes (material, colour, weight_grams, ...).
    #[schema(value_type = Object)]
    attributes: Box<serde_json::value::RawValue>,
    created_at: i64,
    updated_at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProductPage {
    products: Vec<Product>,
    /// Pass as `page_token` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page_token: Option<String>,
    total_size: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Category {
    slug: String,
    name: String,
    description: String,
    product_count: u32,
}

/// A product to replace; the path names it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProductInput {
    /// Not blank.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\s\x1c-\x1f\x85\uFEFF]"
    )]
    name: String,
    #[serde(default)]
    #[schema(max_length = 5000)]
    description: String,
    /// The slug of a category the catalog has (`GET /api/v1/categories`).
    #[schema(pattern = r"^[a-z0-9-]{1,64}$")]
    category: String,
    price: Money,
    /// Absolute paths or http(s) URLs.
    #[serde(default)]
    #[schema(max_items = 10, inline, value_type = Vec<ImageUrl>)]
    image_urls: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    attributes: Option<serde_json::Map<String, serde_json::Value>>,
}

/// An image's address: an absolute path or an http(s) URL, in printable ASCII without spaces
/// (percent-encode the rest).
#[derive(ToSchema)]
#[schema(max_length = 500, pattern = r"^(/|https?://)[!-~]*$")]
#[allow(dead_code)]
struct ImageUrl(String);

/// A product to create: as for a replacement, and its `sku`.
#[derive(Debug, Deserialize)]
pub(crate) struct NewProduct {
    sku: String,
    #[serde(flatten)]
    input: ProductInput,
}

impl PartialSchema for NewProduct {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::{Object, Schema, Type};
        let mut schema = ProductInput::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            let sku = Object::builder()
                .schema_type(Type::String)
                .pattern(Some(r"^[A-Za-z0-9][A-Za-z0-9-]{2,31}$"))
                .description(Some(
                    "3 to 32 letters, digits and dashes, not starting with a dash; stored upper-case.",
                ));
            object.properties.insert("sku".to_owned(), sku.into());
            object.required.insert(0, "sku".to_owned());
            object.description = Some("A product to create.".to_owned());
        }
        schema
    }
}

impl ToSchema for NewProduct {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        ProductInput::schemas(schemas);
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Only products of this category.
    #[param(pattern = r"^[a-z0-9-]{1,64}$")]
    category: Option<String>,
    /// 1 to 100; 20 when absent or 0.
    #[param(minimum = 0, maximum = 100)]
    page_size: Option<u32>,
    /// The `next_page_token` of the page before: `k` and the last sku it showed.
    #[param(pattern = r"^k[A-Za-z0-9][A-Za-z0-9-]{2,31}$")]
    page_token: Option<String>,
}

fn empty_object() -> Box<serde_json::value::RawValue> {
    serde_json::value::RawValue::from_string("{}".to_owned()).expect("{} is JSON")
}

pub(crate) fn product(product: pb::Product) -> Product {
    Product {
        // The catalog keeps attributes as a JSON object; pass it through without re-parsing.
        attributes: serde_json::value::RawValue::from_string(product.attributes_json)
            .unwrap_or_else(|_| empty_object()),
        price: money(product.price).unwrap_or(Money {
            minor_units: 0,
            currency: String::new(),
        }),
        sku: product.sku,
        name: product.name,
        description: product.description,
        category: product.category,
        image_urls: product.image_urls,
        created_at: product.created_at_unix,
        updated_at: product.updated_at_unix,
    }
}

fn product_page(page: pb::ListProductsResponse) -> ProductPage {
    ProductPage {
        products: page.products.into_iter().map(product).collect(),
        next_page_token: Some(page.next_page_token).filter(|token| !token.is_empty()),
        total_size: page.total_size,
    }
}

fn product_input(input: ProductInput) -> pb::ProductInput {
    pb::ProductInput {
        name: input.name,
        description: input.description,
        category: input.category,
        price: Some(crate::common::to_proto(input.price)),
        image_urls: input.image_urls,
        attributes_json: input
            .attributes
            .map(|attributes| serde_json::Value::Object(attributes).to_string())
            .unwrap_or_default(),
    }
}

/// One product by sku.
#[utoipa::path(get, path = "/api/v1/products/{sku}", tag = "catalog", params(Sku),
    responses((status = 200, body = Product), (status = 404, description = "no product has this sku")))]
pub(crate) async fn get_product(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Sku { sku }: Sku,
) -> Result<Response, Problem> {
    let Some(products) = &gateway.products else {
        let token = gateway.reader_token(bearer).await?;
        let found = gateway
            .get_product(request(pb::GetProductRequest { sku }, &token))
            .await?;
        return Ok(axum::Json(product(found)).into_response());
    };
    // Answering from the cache skips the catalog's own check, so the edge makes it here.
    if let Some(token) = &bearer.0 {
        let principal = gateway.verifier.verify(token).await?;
        principal.require_scope(proto::scopes::CATALOG_READ)?;
    }
    let key = sku.to_ascii_uppercase();
    if let Some(body) = products.get(&key).await {
        return Ok(json_bytes(body));
    }
    let token = gateway.reader_token(bearer).await?;
    let found = gateway
        .get_product(request(pb::GetProductRequest { sku }, &token))
        .await?;
    let body =
        bytes::Bytes::from(serde_json::to_vec(&product(found)).map_err(|_| Problem::internal())?);
    products.insert(key, body.clone()).await;
    Ok(json_bytes(body))
}

fn json_bytes(body: bytes::Bytes) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// Products in sku order, a page at a time.
#[utoipa::path(get, path = "/api/v1/products", tag = "catalog", params(ListQuery),
    responses((status = 200, body = ProductPage)))]
pub(crate) async fn list_products(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<ProductPage>, Problem> {
    let token = gateway.reader_token(bearer).await?;
    let message = pb::ListProductsRequest {
        page: page(query.page_size, query.page_token),
        category: query.category.unwrap_or_default(),
    };
    let found = gateway
        .catalog
        .clone()
        .list_products(request(message, &token))
        .await?;
    Ok(axum::Json(product_page(found.into_inner())))
}

/// Every category with its number of products.
#[utoipa::path(get, path = "/api/v1/categories", tag = "catalog",
    responses((status = 200, body = [Category])))]
pub(crate) async fn list_categories(
    State(gateway): State<Gateway>,
    bearer: Bearer,
) -> Result<axum::Json<Vec<Category>>, Problem> {
    let token = gateway.reader_token(bearer).await?;
    let found = gateway
        .catalog
        .clone()
        .list_categories(request(pb::ListCategoriesRequest {}, &token))
        .await?;
    let categories = found
        .into_inner()
        .categories
        .into_iter()
        .map(|category| Category {
            slug: category.slug,
            name: category.name,
            description: category.description,
            product_count: category.product_count,
        })
        .collect();
    Ok(axum::Json(categories))
}

/// Creates a product; needs the `catalog.admin` scope.
#[utoipa::path(post, path = "/api/v1/products", tag = "catalog admin", request_body = NewProduct,
    responses((status = 201, body = Product), (status = 409, description = "a product has this sku, or its category does not exist")),
    security(("bearer" = ["catalog.admin"])))]
pub(crate) async fn create_product(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Json(NewProduct { sku, input }): Json<NewProduct>,
) -> Result<Response, Problem> {
    let token = bearer.required()?;
    let message = pb::CreateProductRequest {
        sku,
        product: Some(product_input(input)),
    };
    let created = gateway
        .catalog
        .clone()
        .create_product(request(message, &token))
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(product(created.into_inner())),
    )
        .into_response())
}

/// Replaces a product; needs the `catalog.admin` scope.
#[utoipa::path(put, path = "/api/v1/products/{sku}", tag = "catalog admin", request_body = ProductInput,
    params(Sku), responses((status = 200, body = Product), (status = 404, description = "no product has this sku"),
        (status = 409, description = "the category does not exist")),
    security(("bearer" = ["catalog.admin"])))]
pub(crate) async fn update_product(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Sku { sku }: Sku,
    Json(input): Json<ProductInput>,
) -> Result<axum::Json<Product>, Problem> {
    let token = bearer.required()?;
    let message = pb::UpdateProductRequest {
        sku: sku.clone(),
        product: Some(product_input(input)),
    };
    let updated = gateway
        .catalog
        .clone()
        .update_product(request(message, &token))
        .await?;
    gateway.forget_product(&sku).await;
    Ok(axum::Json(product(updated.into_inner())))
}

/// Deletes a product; needs the `catalog.admin` scope.
#[utoipa::path(delete, path = "/api/v1/products/{sku}", tag = "catalog admin", params(Sku),
    responses((status = 204), (status = 404, description = "no product has this sku")),
    security(("bearer" = ["catalog.admin"])))]
pub(crate) async fn delete_product(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Sku { sku }: Sku,
) -> Result<StatusCode, Problem> {
    let token = bearer.required()?;
    gateway
        .catalog
        .clone()
        .delete_product(request(
            pb::DeleteProductRequest { sku: sku.clone() },
            &token,
        ))
        .await?;
    gateway.forget_product(&sku).await;
    Ok(StatusCode::NO_CONTENT)
}
