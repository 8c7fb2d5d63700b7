//! The REST routes under `/api/v1` and the JSON they speak; each calls one service.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use platform::auth::TokenSource;
use platform::error::Problem;
use platform::transport::{Transport, request};
use proto::cart::cart_client::CartClient;
use proto::catalog::catalog_client::CatalogClient;
use proto::identity::identity_client::IdentityClient;
use proto::{cart as cart_pb, catalog as catalog_pb, common, identity as identity_pb};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::Dependencies;
use crate::extract::{Bearer, Json, Path, Query};

#[derive(Clone)]
pub(crate) struct State {
    catalog: CatalogClient<Transport>,
    cart: CartClient<Transport>,
    identity: IdentityClient<Transport>,
    pub(crate) orders: proto::orders::orders_client::OrdersClient<Transport>,
    service_token: Arc<dyn TokenSource>,
    pub(crate) verifier: platform::auth::Verifier,
    pub(crate) faults: crate::faults::Owners,
    /// Products as JSON, by upper-case sku: the edge cache of the busiest read.
    products: Option<crate::cache::ProductCache>,
}

/// The scope a caller's token needs to read the catalog.
const CATALOG_READ_SCOPE: &str = "catalog.read";

impl State {
    pub(crate) fn new(config: &crate::Config, dependencies: Dependencies) -> anyhow::Result<State> {
        let products = crate::cache::ProductCache::new(config)?;
        Ok(State {
            catalog: CatalogClient::new(dependencies.catalog),
            cart: CartClient::new(dependencies.cart),
            identity: IdentityClient::new(dependencies.identity),
            orders: proto::orders::orders_client::OrdersClient::new(dependencies.orders),
            service_token: dependencies.service_token,
            verifier: dependencies.verifier,
            faults: crate::faults::Owners::new(dependencies.faults),
            products,
        })
    }

    async fn forget_product(&self, sku: &str) {
        if let Some(products) = &self.products {
            products.invalidate(&sku.trim().to_ascii_uppercase()).await;
        }
    }

    /// The caller's token, or the gateway's own for an anonymous read.
    async fn reader_token(&self, bearer: Bearer) -> Result<String, Problem> {
        match bearer.0 {
            Some(token) => Ok(token),
            None => Ok(self.service_token.token().await?.to_string()),
        }
    }
}

pub(crate) fn routes(state: State) -> Router {
    Router::new()
        .route("/api/v1/products", get(list_products).post(create_product))
        .route(
            "/api/v1/products/{sku}",
            get(get_product).put(update_product).delete(delete_product),
        )
        .route("/api/v1/search", get(search_products))
        .route("/api/v1/categories", get(list_categories))
        .route("/api/v1/cart", get(get_cart).delete(clear_cart))
        .route("/api/v1/cart/items", post(add_cart_item))
        .route(
            "/api/v1/cart/items/{sku}",
            put(set_cart_quantity).delete(remove_cart_item),
        )
        .route("/api/v1/account/signup", post(sign_up))
        .route("/api/v1/account/login", post(log_in))
        .route("/api/v1/account/me", get(me))
        .route("/api/v1/checkout", post(crate::checkout::checkout))
        .route("/api/v1/orders", get(crate::checkout::list_orders))
        .route("/api/v1/orders/{id}", get(crate::checkout::get_order))
        .route(
            "/api/v1/orders/{id}/events",
            get(crate::checkout::order_events),
        )
        .route("/api/v1/admin/faults", get(crate::checkout::list_faults))
        .route(
            "/api/v1/admin/faults/{name}",
            put(crate::checkout::set_fault).delete(crate::checkout::clear_fault),
        )
        .with_state(state)
}

type ApiResult<T> = Result<T, Problem>;

// ---- JSON shapes ----

/// An amount of money in integer minor units (cents for USD).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Money {
    pub minor_units: i64,
    pub currency: String,
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

/// A product to create or replace.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProductInput {
    /// Only when creating; the path names the product otherwise.
    #[serde(default)]
    sku: Option<String>,
    name: String,
    #[serde(default)]
    description: String,
    category: String,
    price: Money,
    #[serde(default)]
    image_urls: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    attributes: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Only products of this category.
    category: Option<String>,
    /// 1 to 100; 20 when absent.
    page_size: Option<u32>,
    page_token: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchQuery {
    /// Words to look for in names, categories and descriptions.
    q: String,
    category: Option<String>,
    page_size: Option<u32>,
    page_token: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CartLine {
    sku: String,
    name: String,
    quantity: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit_price: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line_total: Option<Money>,
    /// False when the product has left the catalog.
    available: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Cart {
    lines: Vec<CartLine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<Money>,
    item_count: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddItem {
    sku: String,
    /// 1 to 99.
    quantity: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetQuantity {
    /// 0 removes the line.
    quantity: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignUp {
    email: String,
    password: String,
    #[serde(default)]
    display_name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LogIn {
    email: String,
    password: String,
    /// Space-separated scopes; the defaults when absent.
    #[serde(default)]
    scope: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct User {
    id: String,
    email: String,
    display_name: String,
    created_at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Tokens {
    access_token: String,
    token_type: String,
    expires_in: u32,
    refresh_token: String,
    id_token: String,
    scope: String,
}

// ---- conversions ----

pub(crate) fn money(money: Option<common::Money>) -> Option<Money> {
    money.map(|money| Money {
        minor_units: money.minor_units,
        currency: money.currency,
    })
}

fn empty_object() -> Box<serde_json::value::RawValue> {
    serde_json::value::RawValue::from_string("{}".to_owned()).expect("{} is JSON")
}

fn product(product: catalog_pb::Product) -> Product {
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

fn product_page(page: catalog_pb::ListProductsResponse) -> ProductPage {
    ProductPage {
        products: page.products.into_iter().map(product).collect(),
        next_page_token: Some(page.next_page_token).filter(|token| !token.is_empty()),
        total_size: page.total_size,
    }
}

fn product_input(input: ProductInput) -> catalog_pb::ProductInput {
    catalog_pb::ProductInput {
        name: input.name,
        description: input.description,
        category: input.category,
        price: Some(common::Money {
            minor_units: input.price.minor_units,
            currency: input.price.currency,
        }),
        image_urls: input.image_urls,
        attributes_json: input
            .attributes
            .map(|attributes| attributes.to_string())
            .unwrap_or_default(),
    }
}

fn page(size: Option<u32>, token: Option<String>) -> Option<common::PageRequest> {
    Some(common::PageRequest {
        page_size: size.unwrap_or(0),
        page_token: token.unwrap_or_default(),
    })
}

fn cart(view: cart_pb::CartView) -> Cart {
    Cart {
        lines: view
            .lines
            .into_iter()
            .map(|line| CartLine {
                sku: line.sku,
                name: line.name,
                quantity: line.quantity,
                unit_price: money(line.unit_price),
                line_total: money(line.line_total),
                available: line.available,
            })
            .collect(),
        total: money(view.total),
        item_count: view.item_count,
    }
}

fn user(user: identity_pb::User) -> User {
    User {
        id: user.id,
        email: user.email,
        display_name: user.display_name,
        created_at: user.created_at_unix,
    }
}

// ---- catalog ----

/// One product by sku.
#[utoipa::path(get, path = "/api/v1/products/{sku}", tag = "catalog",
    params(("sku" = String, Path, description = "The product's sku, e.g. KIT-00042")),
    responses((status = 200, body = Product), (status = 404, body = crate::openapi::ProblemDocument, content_type = "application/problem+json")))]
pub(crate) async fn get_product(
    axum::extract::State(state): axum::extract::State<State>,
    bearer: Bearer,
    Path(sku): Path<String>,
) -> ApiResult<Response> {
    let Some(products) = &state.products else {
        let token = state.reader_token(bearer).await?;
        let found = state
            .catalog
            .clone()
            .get_product(request(catalog_pb::GetProductRequest { sku }, &token))
            .await?;
        return Ok(axum::Json(product(found.into_inner())).into_response());
    };
    // Answering from the cache skips the catalog's own check, so the edge makes it here.
    if let Some(token) = &bearer.0 {
        let principal = state.verifier.verify(token).await?;
        principal.require_scope(CATALOG_READ_SCOPE)?;
    }
    let key = sku.trim().to_ascii_uppercase();
    if let Some(body) = products.get(&key).await {
        return Ok(json_bytes(body));
    }
    let token = state.reader_token(bearer).await?;
    let found = state
        .catalog
        .clone()
        .get_product(request(catalog_pb::GetProductRequest { sku }, &token))
        .await?;
    let body = bytes::Bytes::from(
        serde_json::to_vec(&product(found.into_inner())).map_err(|_| Problem::internal())?,
    );
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
#[utoipa::path(get, path = "/api/v1/products", tag = "catalog", params(ListQuery), responses((status = 200, body = ProductPage)))]
pub(crate) async fn list_products(
    axum::extract::State(state): axum::extract::State<State>,
    bearer: Bearer,
    Query(query): Query<ListQuery>,
) -> ApiResult<axum::Json<ProductPage>> {
    let token = state.reader_token(bearer).await?;
    let message = catalog_pb::ListProductsRequest {
        page: page(query.page_size, query.page_token),
        category: query.category.unwrap_or_default(),
    };
    let found = state
        .catalog
        .clone()
        .list_products(request(message, &token))
        .await?;
    Ok(axum::Json(product_page(found.into_inner())))
}

/// Keyword search, best matches first.
#[utoipa::path(get, path = "/api/v1/search", tag = "catalog", params(SearchQuery), responses((status = 200, body = ProductPage), (status = 400, body = crate::openapi::ProblemDocument, content_type = "application/problem+json")))]
pub(crate) async fn search_products(
    axum::extract::State(state): axum::extract::State<State>,
    bearer: Bearer,
    Query(query): Query<SearchQuery>,
) -> ApiResult<axum::Json<ProductPage>> {
    let token = state.reader_token(bearer).await?;
    let message = catalog_pb::SearchProductsRequest {
        query: query.q,
        page: page(query.page_size, query.page_token),
        category: query.category.unwrap_or_default(),
    };
    let found = state
        .catalog
        .clone()
        .search_products(request(message, &token))
        .await?;
    Ok(axum::Json(product_page(found.into_inner())))
}

/// Every category with its number of products.
#[utoipa::path(get, path = "/api/v1/categories", tag = "catalog", responses((status = 200, body = [Category])))]
pub(crate) async fn list_categories(
    axum::extract::State(state): axum::extract::State<State>,
    bearer: Bearer,
) -> ApiResult<axum::Json<Vec<Category>>> {
    let token = state.reader_token(bearer).await?;
    let found = state
        .catalog
        .clone()
        .list_categories(request(catalog_pb::ListCategoriesRequest {}, &token))
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
#[utoipa::path(post, path = "/api/v1/products", tag = "catalog admin", request_body = ProductInput,
    responses((status = 201, body = Product), (status = 400, body = crate::openapi::ProblemDocument, content_type = "application/problem+json"), (status = 403, body = crate::openapi::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = ["catalog.admin"])))]
pub(crate) async fn create_product(
    axum::extract::State(state): axum::extract::State<State>,
    bearer: Bearer,
    Json(input): Json<ProductInput>,
) -> ApiResult<Response> {
    let token = bearer.required()?;
    let sku = input
        .sku
        .clone()
        .ok_or_else(|| Problem::bad_request("sku: is required").with_kind("validation"))?;
    let message = catalog_pb::CreateProductRequest {
        sku,
        product: Some(product_input(input)),
    };
    let created = state
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
    params(("sku" = String, Path)), responses((status = 200, body = Product), (status = 404, body = crate::openapi::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = ["catalog.admin"])))]
pub(crate) async fn update_product(
    axum::extract::State(state): axum::extract::State<State>,
    bearer: Bearer,
    Path(sku): Path<String>,
    Json(input): Json<ProductInput>,
) -> ApiResult<axum::Json<Product>> {
    let token = bearer.required()?;
    if input
        .sku
        .as_deref()
        .is_some_and(|body_sku| !body_sku.eq_ignore_ascii_case(&sku))
    {
        return Err(
            Problem::bad_request("sku: the body names another product than the path")
                .with_kind("validation"),
        );
    }
    let message = catalog_pb::UpdateProductRequest {
        sku: sku.clone(),
        product: Some(product_input(input)),
    };
    let updated = state
        .catalog
        .clone()
        .update_product(request(message, &token))
        .await?;
    state.forget_product(&sku).await;
    Ok(axum::Json(product(updated.into_inner())))
}

/// Deletes a product; needs the `catalog.admin` scope.
#[utoipa::path(delete, path = "/api/v1/products/{sku}", tag = "catalog admin", params(("sku" = String, Path)),
    responses((status = 204), (status = 404, body = crate::openapi::ProblemDocument, content_type = "application/problem+json")), security(("bearer" = ["catalog.admin"])))]
pub(crate) async fn delete_product(
    axum::extract::State(state): axum::extract::State<State>,
    bearer: Bearer,
    Path(sku): Path<String>,
) -> ApiResult<StatusCode> {
    let token = bearer.required()?;
    state
        .catalog
        .clone()
        .delete_product(request(
            catalog_pb::DeleteProductRequest { sku: sku.clone() },
            &token,
        ))
        .await?;
    state.forget_product(&sku).await;
    Ok(StatusCode::NO_CONTENT)
}

// ---- cart ----

/// The caller's cart at current prices.
#[utoipa::path(get, path = "/api/v1/cart", tag = "cart", responses((status = 200, body = Cart), (status = 401, body = crate::openapi::ProblemDocument, content_type = "application/problem+json")), security(("bearer" = ["cart"])))]
pub(crate) async fn get_cart(
    axum::extract::State(state): axum::extract::State<State>,
    bearer: Bearer,
) -> ApiResult<axum::Json<Cart>> {
    let token = bearer.required()?;
    let view = state
        .cart
        .clone()
        .get_cart(request(cart_pb::GetCartRequest {}, &token))
        .await?;
    Ok(axum::Json(cart(view.into_inner())))
}

/// Adds units of a product to the cart.
#[utoipa::path(post, path = "/api/v1/cart/items", tag = "cart", request_body = AddItem,
    responses((status = 200, body = Cart), (status = 400, body = crate::openapi::ProblemDocument, content_type = "application/problem+json"), (status = 404, body = crate::openapi::ProblemDocument, content_type = "application/problem+json")), security(("bearer" = ["cart"])))]
pub(crate) async fn add_cart_item(
    axum::extract::State(state): axum::extract::State<State>,
    bearer: Bearer,
    Json(item): Json<AddItem>,
) -> ApiResult<axum::Json<Cart>> {
    let token = bearer.required()?;
    let view = state
        .cart
        .clone()
        .add_item(request(
            cart_pb::AddItemRequest {
                sku: item.sku,
                quantity: item.quantity,
            },
            &token,
        ))
        .await?;
    Ok(axum::Json(cart(view.into_inner())))
}

/// Sets the quantity of a line; 0 removes it.
#[utoipa::path(put, path = "/api/v1/cart/items/{sku}", tag = "cart", request_body = SetQuantity, params(("sku" = String, Path)),
    responses((status = 200, body = Cart), (status = 400, body = crate::openapi::ProblemDocument, content_type = "application/problem+json")), security(("bearer" = ["cart"])))]
pub(crate) async fn set_cart_quantity(
    axum::extract::State(state): axum::extract::State<State>,
    bearer: Bearer,
    Path(sku): Path<String>,
    Json(body): Json<SetQuantity>,
) -> ApiResult<axum::Json<Cart>> {
    let token = bearer.required()?;
    let view = state
        .cart
        .clone()
        .set_quantity(request(
            cart_pb::SetQuantityRequest {
                sku,
                quantity: body.quantity,
            },
            &token,
        ))
        .await?;
    Ok(axum::Json(cart(view.into_inner())))
}

/// Removes a line.
#[utoipa::path(delete, path = "/api/v1/cart/items/{sku}", tag = "cart", params(("sku" = String, Path)), responses((status = 200, body = Cart)), security(("bearer" = ["cart"])))]
pub(crate) async fn remove_cart_item(
    axum::extract::State(state): axum::extract::State<State>,
    bearer: Bearer,
    Path(sku): Path<String>,
) -> ApiResult<axum::Json<Cart>> {
    let token = bearer.required()?;
    let view = state
        .cart
        .clone()
        .remove_item(request(cart_pb::RemoveItemRequest { sku }, &token))
        .await?;
    Ok(axum::Json(cart(view.into_inner())))
}

/// Empties the cart.
#[utoipa::path(delete, path = "/api/v1/cart", tag = "cart", responses((status = 200, body = Cart)), security(("bearer" = ["cart"])))]
pub(crate) async fn clear_cart(
    axum::extract::State(state): axum::extract::State<State>,
    bearer: Bearer,
) -> ApiResult<axum::Json<Cart>> {
    let token = bearer.required()?;
    let view = state
        .cart
        .clone()
        .clear_cart(request(cart_pb::ClearCartRequest {}, &token))
        .await?;
    Ok(axum::Json(cart(view.into_inner())))
}

// ---- account ----

/// Creates an account.
#[utoipa::path(post, path = "/api/v1/account/signup", tag = "account", request_body = SignUp,
    responses((status = 201, body = User), (status = 400, body = crate::openapi::ProblemDocument, content_type = "application/problem+json"), (status = 409, body = crate::openapi::ProblemDocument, content_type = "application/problem+json")))]
pub(crate) async fn sign_up(
    axum::extract::State(state): axum::extract::State<State>,
    Json(body): Json<SignUp>,
) -> ApiResult<Response> {
    let message = identity_pb::SignUpRequest {
        email: body.email,
        password: body.password,
        display_name: body.display_name,
    };
    let created = state
        .identity
        .clone()
        .sign_up(platform::transport::anonymous(message))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(user(created.into_inner()))).into_response())
}

/// Exchanges an email and password for tokens (the first-party client's password login).
#[utoipa::path(post, path = "/api/v1/account/login", tag = "account", request_body = LogIn,
    responses((status = 200, body = Tokens), (status = 401, body = crate::openapi::ProblemDocument, content_type = "application/problem+json")))]
pub(crate) async fn log_in(
    axum::extract::State(state): axum::extract::State<State>,
    Json(body): Json<LogIn>,
) -> ApiResult<Response> {
    let message = identity_pb::LoginRequest {
        email: body.email,
        password: body.password,
        scope: body.scope,
    };
    let tokens = state
        .identity
        .clone()
        .login(platform::transport::anonymous(message))
        .await?
        .into_inner();
    let tokens = Tokens {
        access_token: tokens.access_token,
        token_type: tokens.token_type,
        expires_in: tokens.expires_in,
        refresh_token: tokens.refresh_token,
        id_token: tokens.id_token,
        scope: tokens.scope,
    };
    Ok((
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        axum::Json(tokens),
    )
        .into_response())
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/account/me", tag = "account", responses((status = 200, body = User), (status = 401, body = crate::openapi::ProblemDocument, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn me(
    axum::extract::State(state): axum::extract::State<State>,
    bearer: Bearer,
) -> ApiResult<axum::Json<User>> {
    let token = bearer.required()?;
    let found = state
        .identity
        .clone()
        .get_me(request(identity_pb::GetMeRequest {}, &token))
        .await?;
    Ok(axum::Json(user(found.into_inner())))
}
