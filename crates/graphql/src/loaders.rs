//! The data loaders: each gathers the keys that resolvers ask for during one tick and fetches
//! them in one downstream call per hundred (products by sku, stock levels by sku, categories),
//! so a query for fifty products with their stock and category makes three calls, not a
//! hundred and one. Their caches last one request.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use platform::transport::request;
use proto::catalog as catalog_pb;
use proto::inventory as inventory_pb;
use proto::orders as orders_pb;

use crate::context::{Calls, Services};
use crate::errors::GraphqlError;

/// The most keys one downstream call takes (the catalog's and inventory's limit).
const CHUNK: usize = 100;

/// Products by sku.
pub(crate) struct ProductLoader {
    services: Services,
    token: Option<String>,
    calls: Calls,
}

impl ProductLoader {
    pub(crate) fn new(services: Services, token: Option<String>, calls: Calls) -> ProductLoader {
        ProductLoader {
            services,
            token,
            calls,
        }
    }
}

/// The caller's token, or the gateway's.
async fn reader(services: &Services, token: &Option<String>) -> Result<String, GraphqlError> {
    match token {
        Some(token) => Ok(token.clone()),
        None => services.service_token().await,
    }
}

impl Loader<String> for ProductLoader {
    type Value = catalog_pb::Product;
    type Error = GraphqlError;

    async fn load(
        &self,
        skus: &[String],
    ) -> Result<HashMap<String, catalog_pb::Product>, GraphqlError> {
        let token = reader(&self.services, &self.token).await?;
        let mut found = HashMap::new();
        for chunk in skus.chunks(CHUNK) {
            self.calls.count("catalog.BatchGetProducts");
            let products = self
                .services
                .catalog
                .clone()
                .batch_get_products(request(
                    catalog_pb::BatchGetProductsRequest {
                        skus: chunk.to_vec(),
                    },
                    &token,
                ))
                .await?
                .into_inner()
                .products;
            found.extend(
                products
                    .into_iter()
                    .map(|product| (product.sku.clone(), product)),
            );
        }
        Ok(found)
    }
}

/// Stock levels by sku, read with the gateway's token: how many are left is public.
pub(crate) struct StockLoader {
    services: Services,
    calls: Calls,
}

impl StockLoader {
    pub(crate) fn new(services: Services, calls: Calls) -> StockLoader {
        StockLoader { services, calls }
    }
}

impl Loader<String> for StockLoader {
    type Value = inventory_pb::StockLevel;
    type Error = GraphqlError;

    async fn load(
        &self,
        skus: &[String],
    ) -> Result<HashMap<String, inventory_pb::StockLevel>, GraphqlError> {
        let token = self.services.service_token().await?;
        let mut found = HashMap::new();
        for chunk in skus.chunks(CHUNK) {
            self.calls.count("inventory.GetStock");
            let levels = self
                .services
                .inventory
                .clone()
                .get_stock(request(
                    inventory_pb::GetStockRequest {
                        skus: chunk.to_vec(),
                    },
                    &token,
                ))
                .await?
                .into_inner()
                .levels;
            found.extend(levels.into_iter().map(|level| (level.sku.clone(), level)));
        }
        Ok(found)
    }
}

/// Categories by slug: all of them come in one call.
pub(crate) struct CategoryLoader {
    services: Services,
    token: Option<String>,
    calls: Calls,
}

impl CategoryLoader {
    pub(crate) fn new(services: Services, token: Option<String>, calls: Calls) -> CategoryLoader {
        CategoryLoader {
            services,
            token,
            calls,
        }
    }
}

impl Loader<String> for CategoryLoader {
    type Value = catalog_pb::Category;
    type Error = GraphqlError;

    async fn load(
        &self,
        slugs: &[String],
    ) -> Result<HashMap<String, catalog_pb::Category>, GraphqlError> {
        let token = reader(&self.services, &self.token).await?;
        self.calls.count("catalog.ListCategories");
        let categories = self
            .services
            .catalog
            .clone()
            .list_categories(request(catalog_pb::ListCategoriesRequest {}, &token))
            .await?
            .into_inner()
            .categories;
        Ok(categories
            .into_iter()
            .filter(|category| slugs.contains(&category.slug))
            .map(|category| (category.slug.clone(), category))
            .collect())
    }
}

/// An order with its payment and shipment as their services know them now: the orders service
/// asks payments and shipping for each, so this is one call per order, made only when a query
/// asks for a payment or a shipment.
pub(crate) struct OrderDetailLoader {
    services: Services,
    token: Option<String>,
    calls: Calls,
}

impl OrderDetailLoader {
    pub(crate) fn new(
        services: Services,
        token: Option<String>,
        calls: Calls,
    ) -> OrderDetailLoader {
        OrderDetailLoader {
            services,
            token,
            calls,
        }
    }
}

impl Loader<String> for OrderDetailLoader {
    type Value = orders_pb::Order;
    type Error = GraphqlError;

    async fn load(
        &self,
        ids: &[String],
    ) -> Result<HashMap<String, orders_pb::Order>, GraphqlError> {
        let token = self.token.clone().unwrap_or_default();
        let reads = ids.iter().map(|id| {
            self.calls.count("orders.GetOrder");
            let mut orders = self.services.orders.clone();
            let token = token.clone();
            let id = id.clone();
            async move {
                orders
                    .get_order(request(orders_pb::GetOrderRequest { order_id: id }, &token))
                    .await
                    .map(|order| order.into_inner())
            }
        });
        let orders = futures_util::future::try_join_all(reads).await?;
        Ok(orders
            .into_iter()
            .map(|order| (order.order_id.clone(), order))
            .collect())
    }
}
