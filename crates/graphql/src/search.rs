//! Search: the catalog's hybrid search as a connection with its facets, and the products
//! similar to one.

use async_graphql::connection::{
    Connection, ConnectionNameType, DefaultEdgeName, Edge, EmptyFields, EnableNodesField,
};
use async_graphql::{Context, Enum, InputObject, OutputType, Result, SimpleObject};
use platform::transport::request;
use proto::catalog as catalog_pb;

use crate::context::{calls, reader_token, services, token};
use crate::errors::GraphqlError;
use crate::types::Product;

/// Which rankings answer a search.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum SearchMode {
    /// Keyword and meaning fused (reciprocal rank fusion).
    #[default]
    Hybrid,
    Keyword,
    Vector,
}

/// How a search's matches are ordered.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum SearchSort {
    #[default]
    Relevance,
    PriceAsc,
    PriceDesc,
    Newest,
}

/// An attribute and the values of which a match must have one.
#[derive(InputObject)]
pub(crate) struct AttributeFilter {
    name: String,
    values: Vec<String>,
}

/// What every match must satisfy.
#[derive(InputObject, Default)]
pub(crate) struct SearchFilter {
    category: Option<String>,
    /// The lowest price, in minor units.
    min_price: Option<i64>,
    /// The highest price, in minor units.
    max_price: Option<i64>,
    /// Only products in stock now.
    #[graphql(default)]
    in_stock: bool,
    #[graphql(default)]
    attributes: Vec<AttributeFilter>,
}

/// A facet: how many matches have each value of an attribute (or of `category`).
#[derive(SimpleObject)]
pub(crate) struct Facet {
    name: String,
    values: Vec<FacetValue>,
}

#[derive(SimpleObject)]
pub(crate) struct FacetValue {
    value: String,
    count: u32,
}

/// What a search says besides its matches.
#[derive(SimpleObject)]
pub(crate) struct SearchInfo {
    /// How many products match, over every page.
    total_count: u32,
    /// True when nothing fits the query well enough to show: no products, on purpose.
    no_good_match: bool,
    /// The query with misspelt words corrected, when the matches are for the correction.
    corrected_query: Option<String>,
    /// Counts over every match: by category, brand, colour, material and style.
    facets: Vec<Facet>,
    /// The lowest and highest price among the matches, in minor units.
    min_price: Option<i64>,
    max_price: Option<i64>,
    /// The embedding model that ranked by meaning (`name@version`).
    model: Option<String>,
}

/// A page of search results: a Relay connection named `SearchResults`.
pub(crate) type SearchResults = Connection<
    String,
    Product,
    SearchInfo,
    EmptyFields,
    SearchResultsName,
    DefaultEdgeName,
    EnableNodesField,
>;

pub(crate) struct SearchResultsName;

impl ConnectionNameType for SearchResultsName {
    fn type_name<T: OutputType>() -> String {
        "SearchResults".to_owned()
    }
}

pub(crate) struct SearchArguments {
    pub(crate) query: String,
    pub(crate) filter: Option<SearchFilter>,
    pub(crate) mode: Option<SearchMode>,
    pub(crate) sort: Option<SearchSort>,
    pub(crate) size: u32,
    pub(crate) after: Option<String>,
}

fn message(arguments: SearchArguments) -> catalog_pb::SearchProductsRequest {
    let filter = arguments.filter.unwrap_or_default();
    let mode = match arguments.mode.unwrap_or_default() {
        SearchMode::Hybrid => catalog_pb::SearchMode::Hybrid,
        SearchMode::Keyword => catalog_pb::SearchMode::Keyword,
        SearchMode::Vector => catalog_pb::SearchMode::Vector,
    };
    let sort = match arguments.sort.unwrap_or_default() {
        SearchSort::Relevance => catalog_pb::SearchSort::Relevance,
        SearchSort::PriceAsc => catalog_pb::SearchSort::PriceAscending,
        SearchSort::PriceDesc => catalog_pb::SearchSort::PriceDescending,
        SearchSort::Newest => catalog_pb::SearchSort::Newest,
    };
    catalog_pb::SearchProductsRequest {
        query: arguments.query,
        page: Some(proto::common::PageRequest {
            page_size: arguments.size,
            page_token: arguments.after.unwrap_or_default(),
        }),
        category: filter.category.unwrap_or_default(),
        min_price_minor: filter.min_price,
        max_price_minor: filter.max_price,
        in_stock: filter.in_stock,
        attributes: filter
            .attributes
            .into_iter()
            .map(|attribute| catalog_pb::AttributeFilter {
                name: attribute.name,
                values: attribute.values,
            })
            .collect(),
        mode: mode.into(),
        sort: sort.into(),
    }
}

/// One page of a search, its cursors the offsets the catalog pages by (`o<n>`).
pub(crate) async fn search(ctx: &Context<'_>, arguments: SearchArguments) -> Result<SearchResults> {
    let offset = arguments
        .after
        .as_deref()
        .and_then(|cursor| cursor.strip_prefix('o'))
        .and_then(|digits| digits.parse::<u32>().ok())
        .unwrap_or(0);
    let had_cursor = arguments.after.is_some();
    let token = reader_token(ctx).await?;
    calls(ctx).count("catalog.SearchProducts");
    let found = services(ctx)
        .catalog
        .clone()
        .search_products(request(message(arguments), &token))
        .await
        .map_err(GraphqlError::from)?
        .into_inner();
    let priced = found.total_size > 0;
    let mut connection = SearchResults::with_additional_fields(
        had_cursor,
        !found.next_page_token.is_empty(),
        SearchInfo {
            total_count: found.total_size,
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
            min_price: priced.then_some(found.min_price_minor),
            max_price: priced.then_some(found.max_price_minor),
            model: Some(found.model).filter(|model| !model.is_empty()),
        },
    );
    connection.edges.extend(
        found
            .products
            .into_iter()
            .enumerate()
            .map(|(index, product)| {
                Edge::new(format!("o{}", offset + index as u32 + 1), Product(product))
            }),
    );
    Ok(connection)
}

/// How many products a shelf of recommendations or similar products holds: 1 to 50.
fn shelf_size(first: i32) -> Result<u32> {
    u32::try_from(first)
        .ok()
        .filter(|first| (1..=50).contains(first))
        .ok_or_else(|| GraphqlError::new("validation", 400, "first: must be 1 to 50").into())
}

/// The products of a list of recommendations, in its order.
fn recommended_products(found: proto::recommendations::RecommendationList) -> Vec<Product> {
    found
        .recommendations
        .into_iter()
        .filter_map(|recommendation| recommendation.product.map(Product))
        .collect()
}

/// Picked for the token's user from what they bought (scope `orders`).
pub(crate) async fn for_you(ctx: &Context<'_>, first: i32) -> Result<Vec<Product>> {
    let first = shelf_size(first)?;
    let token = token(ctx)?;
    calls(ctx).count("recommendations.ForYou");
    let message = proto::recommendations::ForYouRequest { limit: first };
    let found = services(ctx)
        .recommendations
        .clone()
        .for_you(request(message, &token))
        .await
        .map_err(GraphqlError::from)?;
    Ok(recommended_products(found.into_inner()))
}

/// Recommendations as products: bought with `skus` (also bought) or, with none, what sells.
pub(crate) async fn recommended(
    ctx: &Context<'_>,
    skus: Vec<String>,
    first: i32,
) -> Result<Vec<Product>> {
    let first = shelf_size(first)?;
    let token = reader_token(ctx).await?;
    let mut client = services(ctx).recommendations.clone();
    let found = if skus.is_empty() {
        calls(ctx).count("recommendations.Popular");
        let message = proto::recommendations::PopularRequest { limit: first };
        client.popular(request(message, &token)).await
    } else {
        calls(ctx).count("recommendations.AlsoBought");
        let message = proto::recommendations::AlsoBoughtRequest { skus, limit: first };
        client.also_bought(request(message, &token)).await
    }
    .map_err(GraphqlError::from)?
    .into_inner();
    Ok(recommended_products(found))
}

/// The products nearest in meaning to `sku`, nearest first.
pub(crate) async fn similar(ctx: &Context<'_>, sku: &str, first: i32) -> Result<Vec<Product>> {
    let first = shelf_size(first)?;
    let token = reader_token(ctx).await?;
    calls(ctx).count("catalog.SimilarProducts");
    let message = catalog_pb::SimilarProductsRequest {
        sku: sku.to_owned(),
        limit: first,
    };
    let found = services(ctx)
        .catalog
        .clone()
        .similar_products(request(message, &token))
        .await
        .map_err(GraphqlError::from)?
        .into_inner();
    Ok(found.products.into_iter().map(Product).collect())
}
