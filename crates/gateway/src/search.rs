//! Search at the edge: hybrid search with filters and facets, the products similar to one,
//! and the search index's status; read with the caller's token or the gateway's own.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use platform::error::Problem;
use platform::transport::request;
use proto::catalog as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::catalog::{Product, product};
use crate::common::page;
use crate::extract::{Bearer, Query, Sku};
use crate::state::Gateway;

pub(crate) fn routes() -> Router<Gateway> {
    Router::new()
        .route("/api/v1/search", get(search_products))
        .route("/api/v1/search/status", get(search_status))
        .route("/api/v1/products/{sku}/similar", get(similar_products))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchQuery {
    /// What to look for: words, a description, an intent ("gift for a coffee lover"). A query
    /// with no letter or digit finds nothing.
    #[param(min_length = 1, max_length = 256)]
    q: String,
    #[param(pattern = r"^[a-z0-9-]{1,64}$")]
    category: Option<String>,
    /// The lowest price, in minor units.
    #[param(minimum = 0, maximum = 1_000_000_000)]
    min_price: Option<i64>,
    /// The highest price, in minor units; not below `min_price`.
    #[param(minimum = 0, maximum = 1_000_000_000)]
    max_price: Option<i64>,
    /// Only products in stock now.
    in_stock: Option<bool>,
    /// `name:value`, up to eight: a match has one of the values given for every name
    /// (`attribute=color:red&attribute=color:navy&attribute=brand:Mise`).
    #[param(max_items = 8, inline, value_type = Option<Vec<AttributeValue>>)]
    attribute: Option<Vec<String>>,
    /// `hybrid` (the default) fuses keyword and meaning; `keyword` and `vector` use one.
    #[param(inline)]
    mode: Option<Mode>,
    /// `relevance` (the default), `price_asc`, `price_desc` or `newest`.
    #[param(inline)]
    sort: Option<SortOrder>,
    #[param(minimum = 0, maximum = 100)]
    page_size: Option<u32>,
    /// The `next_page_token` of the page before: `o` and the offset it ends at.
    #[param(pattern = r"^o[0-9]{1,9}$")]
    page_token: Option<String>,
}

/// An attribute's name and one value: `color:red`.
#[derive(ToSchema)]
#[schema(max_length = 140, pattern = r"^[a-z0-9_]{1,32}:\S(.{0,98}\S)?$")]
#[allow(dead_code)]
struct AttributeValue(String);

#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Mode {
    Hybrid,
    Keyword,
    Vector,
}

#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SortOrder {
    Relevance,
    PriceAsc,
    PriceDesc,
    Newest,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SearchPage {
    products: Vec<Product>,
    /// Pass as `page_token` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page_token: Option<String>,
    /// Every match (search looks at most at the 1,000 best of each ranking).
    total_size: u32,
    /// True when nothing fits the query well enough to show: no products, on purpose.
    no_good_match: bool,
    /// The query with misspelt words corrected, when the matches are for the correction.
    #[serde(skip_serializing_if = "Option::is_none")]
    corrected_query: Option<String>,
    /// Counts over every match, by category and by brand, colour, material and style.
    facets: Vec<Facet>,
    /// The lowest and highest price among the matches, in minor units.
    #[serde(skip_serializing_if = "Option::is_none")]
    price_range: Option<PriceRange>,
    /// The embedding model that ranked by meaning (`name@version`); absent for keyword only.
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Facet {
    name: String,
    values: Vec<FacetValue>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FacetValue {
    value: String,
    count: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PriceRange {
    min_minor_units: i64,
    max_minor_units: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SimilarProducts {
    products: Vec<Product>,
    /// The cosine similarity of each product to the one asked about, in order.
    scores: Vec<f32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SimilarQuery {
    /// 1 to 50; 8 when absent.
    #[param(minimum = 1, maximum = 50)]
    limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SearchStatus {
    /// The model whose vectors answer now, and the one configured (they differ while the
    /// catalog is embedded again).
    serving_model: String,
    target_model: String,
    /// Products with a vector of the configured model, and products in all.
    embedded: u64,
    products: u64,
    /// Where the vectors are searched: `exact`, `hnsw` or `chroma`.
    index: String,
    indexed: u64,
}

fn attribute_filters(given: Vec<String>) -> Result<Vec<pb::AttributeFilter>, Problem> {
    given
        .into_iter()
        .map(|pair| match pair.split_once(':') {
            Some((name, value)) => Ok(pb::AttributeFilter {
                name: name.to_owned(),
                values: vec![value.to_owned()],
            }),
            None => Err(
                Problem::bad_request(format!("attribute: `{pair}` is not name:value"))
                    .with_kind("validation"),
            ),
        })
        .collect()
}

fn search_request(query: SearchQuery) -> Result<pb::SearchProductsRequest, Problem> {
    let mode = match query.mode.unwrap_or(Mode::Hybrid) {
        Mode::Hybrid => pb::SearchMode::Hybrid,
        Mode::Keyword => pb::SearchMode::Keyword,
        Mode::Vector => pb::SearchMode::Vector,
    };
    let sort = match query.sort.unwrap_or(SortOrder::Relevance) {
        SortOrder::Relevance => pb::SearchSort::Relevance,
        SortOrder::PriceAsc => pb::SearchSort::PriceAscending,
        SortOrder::PriceDesc => pb::SearchSort::PriceDescending,
        SortOrder::Newest => pb::SearchSort::Newest,
    };
    Ok(pb::SearchProductsRequest {
        query: query.q,
        page: page(query.page_size, query.page_token),
        category: query.category.unwrap_or_default(),
        min_price_minor: query.min_price,
        max_price_minor: query.max_price,
        in_stock: query.in_stock.unwrap_or(false),
        attributes: attribute_filters(query.attribute.unwrap_or_default())?,
        mode: mode.into(),
        sort: sort.into(),
    })
}

fn search_page(found: pb::SearchProductsResponse) -> SearchPage {
    SearchPage {
        products: found.products.into_iter().map(product).collect(),
        next_page_token: Some(found.next_page_token).filter(|token| !token.is_empty()),
        total_size: found.total_size,
        no_good_match: found.no_good_match,
        corrected_query: Some(found.corrected_query).filter(|query| !query.is_empty()),
        facets: found
            .facets
            .into_iter()
            .map(|facet| Facet {
                name: facet.name,
                values: facet
                    .values
                    .into_iter()
                    .map(|value| FacetValue {
                        value: value.value,
                        count: value.count,
                    })
                    .collect(),
            })
            .collect(),
        price_range: (found.total_size > 0).then_some(PriceRange {
            min_minor_units: found.min_price_minor,
            max_minor_units: found.max_price_minor,
        }),
        model: Some(found.model).filter(|model| !model.is_empty()),
    }
}

/// Hybrid search: keyword and meaning fused, filtered, with facet counts. A query nothing fits
/// well answers no products and `no_good_match`.
#[utoipa::path(get, path = "/api/v1/search", tag = "catalog", params(SearchQuery),
    responses((status = 200, body = SearchPage)))]
pub(crate) async fn search_products(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Query(query): Query<SearchQuery>,
) -> Result<axum::Json<SearchPage>, Problem> {
    let message = search_request(query)?;
    let token = gateway.reader_token(bearer).await?;
    let found = gateway
        .catalog
        .clone()
        .search_products(request(message, &token))
        .await?;
    Ok(axum::Json(search_page(found.into_inner())))
}

/// The products nearest in meaning to one product, nearest first.
#[utoipa::path(get, path = "/api/v1/products/{sku}/similar", tag = "catalog", params(Sku, SimilarQuery),
    responses((status = 200, body = SimilarProducts), (status = 404, description = "no product has this sku")))]
pub(crate) async fn similar_products(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Sku { sku }: Sku,
    Query(query): Query<SimilarQuery>,
) -> Result<axum::Json<SimilarProducts>, Problem> {
    let token = gateway.reader_token(bearer).await?;
    let message = pb::SimilarProductsRequest {
        sku,
        limit: query.limit.unwrap_or(0),
    };
    let found = gateway
        .catalog
        .clone()
        .similar_products(request(message, &token))
        .await?
        .into_inner();
    Ok(axum::Json(SimilarProducts {
        products: found.products.into_iter().map(product).collect(),
        scores: found.scores,
    }))
}

/// The search index: its model, how much of the catalog it holds, a re-embedding's progress.
#[utoipa::path(get, path = "/api/v1/search/status", tag = "catalog",
    responses((status = 200, body = SearchStatus)))]
pub(crate) async fn search_status(
    State(gateway): State<Gateway>,
    bearer: Bearer,
) -> Result<axum::Json<SearchStatus>, Problem> {
    let token = gateway.reader_token(bearer).await?;
    let status = gateway
        .catalog
        .clone()
        .get_search_status(request(pb::GetSearchStatusRequest {}, &token))
        .await?
        .into_inner();
    Ok(axum::Json(SearchStatus {
        serving_model: status.serving_model,
        target_model: status.target_model,
        embedded: status.embedded,
        products: status.products,
        index: status.index,
        indexed: status.indexed,
    }))
}
