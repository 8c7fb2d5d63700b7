//! The queries: products (a Relay connection over the catalog's pages, by category or search),
//! one product, the categories, and `me`, the signed-in shopper with their cart and orders.

use async_graphql::connection::{Connection, Edge};
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Object, Result, SimpleObject};
use platform::transport::request;
use proto::catalog as catalog_pb;

use crate::context::{calls, principal, reader_token, services, token};
use crate::errors::GraphqlError;
use crate::loaders::ProductLoader;
use crate::search::{SearchArguments, SearchFilter, SearchMode, SearchResults, SearchSort};
use crate::types::{Cart, Category, Order, Product};

/// The most products or orders one page may hold.
pub(crate) const MAX_PAGE: i32 = 100;

pub(crate) struct Query;

/// What a products connection says besides its edges.
#[derive(SimpleObject)]
pub(crate) struct ProductsInfo {
    /// How many products match, over every page.
    total_count: u32,
}

fn page_size(first: Option<i32>) -> Result<u32, GraphqlError> {
    match first.unwrap_or(20) {
        size @ 1..=MAX_PAGE => Ok(size as u32),
        size => Err(GraphqlError::new(
            "validation",
            400,
            format!("first: must be 1 to {MAX_PAGE}, not {size}"),
        )),
    }
}

#[Object]
impl Query {
    /// Search: keyword and meaning fused (or one of them, by `mode`), narrowed by `filter`,
    /// with facet counts; a query nothing fits well answers no edges and `noGoodMatch`.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity + 1")]
    #[allow(clippy::too_many_arguments)]
    async fn search(
        &self,
        ctx: &Context<'_>,
        query: String,
        filter: Option<SearchFilter>,
        mode: Option<SearchMode>,
        sort: Option<SearchSort>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<SearchResults> {
        let arguments = SearchArguments {
            query,
            filter,
            mode,
            sort,
            size: page_size(first)?,
            after,
        };
        crate::search::search(ctx, arguments).await
    }

    /// What sells: the products in the most confirmed orders lately.
    #[graphql(complexity = "first.clamp(1, 50) as usize * child_complexity + 1")]
    async fn popular_products(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 8)] first: i32,
    ) -> Result<Vec<Product>> {
        crate::search::recommended(ctx, Vec::new(), first).await
    }

    /// Products, a page at a time (Relay cursor connection): all of them in sku order, one
    /// category's, or those matching `search` (hybrid search, most relevant first).
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity + 1")]
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        category: Option<String>,
        search: Option<String>,
    ) -> Result<Connection<String, Product, ProductsInfo>> {
        let size = page_size(first)?;
        let services = services(ctx);
        let token = reader_token(ctx).await?;
        let page = Some(proto::common::PageRequest {
            page_size: size,
            page_token: after.clone().unwrap_or_default(),
        });
        let category = category.unwrap_or_default();
        let counts = calls(ctx);
        let searching = search
            .as_deref()
            .is_some_and(|words| !words.trim().is_empty());
        let listed = if let Some(query) = search.filter(|_| searching) {
            counts.count("catalog.SearchProducts");
            let message = catalog_pb::SearchProductsRequest {
                query,
                page,
                category,
                ..Default::default()
            };
            services
                .catalog
                .clone()
                .search_products(request(message, &token))
                .await
                .map(|found| {
                    found.map(|found| catalog_pb::ListProductsResponse {
                        products: found.products,
                        next_page_token: found.next_page_token,
                        total_size: found.total_size,
                    })
                })
        } else {
            counts.count("catalog.ListProducts");
            let message = catalog_pb::ListProductsRequest { page, category };
            services
                .catalog
                .clone()
                .list_products(request(message, &token))
                .await
        }
        .map_err(GraphqlError::from)?
        .into_inner();
        let offset = after
            .as_deref()
            .and_then(|cursor| cursor.strip_prefix('o'))
            .and_then(|digits| digits.parse::<u32>().ok())
            .unwrap_or(0);
        let mut connection = Connection::with_additional_fields(
            after.is_some(),
            !listed.next_page_token.is_empty(),
            ProductsInfo {
                total_count: listed.total_size,
            },
        );
        connection.edges.extend(
            listed
                .products
                .into_iter()
                .enumerate()
                .map(|(index, product)| {
                    // The catalog's own page tokens: after this sku, or after this many results.
                    let cursor = if searching {
                        format!("o{}", offset + index as u32 + 1)
                    } else {
                        format!("k{}", product.sku)
                    };
                    Edge::new(cursor, Product(product))
                }),
        );
        Ok(connection)
    }

    /// One product, or null when the catalog has none with this sku.
    async fn product(&self, ctx: &Context<'_>, sku: String) -> Result<Option<Product>> {
        let loader = ctx.data_unchecked::<DataLoader<ProductLoader>>();
        Ok(loader
            .load_one(sku.trim().to_ascii_uppercase())
            .await?
            .map(Product))
    }

    /// Every category, with how many products it holds.
    async fn categories(&self, ctx: &Context<'_>) -> Result<Vec<Category>> {
        let token = reader_token(ctx).await?;
        calls(ctx).count("catalog.ListCategories");
        let listed = services(ctx)
            .catalog
            .clone()
            .list_categories(request(catalog_pb::ListCategoriesRequest {}, &token))
            .await
            .map_err(GraphqlError::from)?;
        Ok(listed
            .into_inner()
            .categories
            .into_iter()
            .map(Category)
            .collect())
    }

    /// The signed-in shopper (needs a bearer token).
    async fn me(&self, ctx: &Context<'_>) -> Result<Me> {
        let principal = principal(ctx).await?;
        Ok(Me {
            id: principal.subject().to_owned(),
        })
    }
}

/// The shopper the token belongs to.
pub(crate) struct Me {
    id: String,
}

#[Object]
impl Me {
    /// The shopper's id (the token's subject).
    async fn id(&self) -> &str {
        &self.id
    }

    /// Their cart (scope `cart`).
    async fn cart(&self, ctx: &Context<'_>) -> Result<Cart> {
        let token = token(ctx)?;
        calls(ctx).count("cart.GetCart");
        let view = services(ctx)
            .cart
            .clone()
            .get_cart(request(proto::cart::GetCartRequest {}, &token))
            .await
            .map_err(GraphqlError::from)?;
        Ok(Cart(view.into_inner()))
    }

    /// Products picked for them from what they bought (what sells, before they have bought
    /// anything) (scope `orders`).
    async fn for_you(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 8)] first: i32,
    ) -> Result<Vec<Product>> {
        crate::search::for_you(ctx, first).await
    }

    /// Their orders, newest first (scope `orders`).
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity + 1")]
    async fn orders(&self, ctx: &Context<'_>, first: Option<i32>) -> Result<Vec<Order>> {
        let size = page_size(first)?;
        let token = token(ctx)?;
        calls(ctx).count("orders.ListOrders");
        let listed = services(ctx)
            .orders
            .clone()
            .list_orders(request(
                proto::orders::ListOrdersRequest {
                    page: Some(proto::common::PageRequest {
                        page_size: size,
                        page_token: String::new(),
                    }),
                },
                &token,
            ))
            .await
            .map_err(GraphqlError::from)?;
        Ok(listed.into_inner().orders.into_iter().map(Order).collect())
    }
}
