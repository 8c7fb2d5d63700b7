//! What the catalog does behind `SearchProducts`, `SimilarProducts` and `GetSearchStatus`: the
//! search's ranking, then stock (asked of inventory with the caller's token), the products from
//! the cache, the sort, the facets and the page.

use std::collections::HashSet;
use std::sync::Arc;

use platform::transport::request;
use proto::inventory as inventory_pb;

use crate::domain::search;
use crate::domain::{Product, Sku};
use crate::search::{Answer, Request, Status};
use crate::{Catalog, Error};

/// Inventory answers at most this many skus per `GetStock`.
const STOCK_BATCH: usize = 100;

impl Catalog {
    /// A page of `size` matches of `request` from `offset`; `token` reads stock.
    #[tracing::instrument(skip(self, request, token), fields(mode = ?request.mode))]
    pub(crate) async fn search(
        &self,
        request: &Request,
        offset: u32,
        size: u32,
        token: &str,
    ) -> Result<Answer, Error> {
        let ranking = self.search.rank(request).await?;
        if self.search.shadows() {
            let (search, shadow_request, served) =
                (self.search.clone(), request.clone(), ranking.skus.clone());
            tokio::spawn(async move { search.shadow(shadow_request, served).await });
        }
        let skus = if request.filters.in_stock {
            self.in_stock(ranking.skus, token).await?
        } else {
            ranking.skus
        };
        let mut products = self.products_of(&skus).await?;
        search::sort(&mut products, request.sort);
        let no_good_match = products.is_empty() && !request.terms.is_empty();
        if no_good_match {
            metrics::counter!("catalog_search_no_good_match_total").increment(1);
        }
        let total = products.len() as u32;
        let start = (offset as usize).min(products.len());
        let end = (start + size as usize).min(products.len());
        Ok(Answer {
            facets: search::facets(&products),
            price_range: price_range(&products),
            products: products[start..end].to_vec(),
            next_offset: (end < products.len()).then_some(end as u32),
            total,
            no_good_match,
            corrected: ranking.corrected,
            model: ranking.model,
        })
    }

    /// The products of `skus` in that order, from the cache; skus since deleted are left out.
    async fn products_of(&self, skus: &[String]) -> Result<Vec<Arc<Product>>, Error> {
        let skus: Vec<Sku> = skus
            .iter()
            .filter_map(|sku| Sku::parse("sku", sku).ok())
            .collect();
        self.get_many(&skus).await
    }

    /// The skus of `skus` that inventory has stock of, in order.
    async fn in_stock(&self, skus: Vec<String>, token: &str) -> Result<Vec<String>, Error> {
        let Some(stock) = &self.stock else {
            return Err(Error::invalid(
                "in_stock",
                "stock is not known to this catalog (it runs without inventory)",
            ));
        };
        let mut available = HashSet::new();
        for chunk in skus.chunks(STOCK_BATCH) {
            let message = inventory_pb::GetStockRequest {
                skus: chunk.to_vec(),
            };
            let levels = stock
                .clone()
                .get_stock(request(message, token))
                .await
                .map_err(stock_error)?;
            available.extend(
                levels
                    .into_inner()
                    .levels
                    .into_iter()
                    .filter(|level| level.available > 0)
                    .map(|level| level.sku),
            );
        }
        Ok(skus
            .into_iter()
            .filter(|sku| available.contains(sku))
            .collect())
    }

    /// The products nearest in meaning to `sku` and their similarity; `NotFound` when the
    /// catalog has no such product.
    pub(crate) async fn similar(
        &self,
        sku: &Sku,
        limit: usize,
    ) -> Result<Vec<(Arc<Product>, f32)>, Error> {
        self.get(sku).await?;
        let nearest = self.search.similar(sku.as_str(), limit).await;
        let skus: Vec<String> = nearest.iter().map(|near| near.sku.clone()).collect();
        let products = self.products_of(&skus).await?;
        // A product deleted since the index answered is left out, with its score.
        Ok(products
            .into_iter()
            .filter_map(|product| {
                nearest
                    .iter()
                    .find(|near| near.sku == product.sku.as_str())
                    .map(|near| (product, near.similarity))
            })
            .collect())
    }

    pub(crate) async fn search_status(&self) -> Result<Status, Error> {
        self.search.status().await
    }
}

/// A refusal by inventory is the caller's to see (a token without `inventory.read`); anything
/// else is the catalog's failure.
fn stock_error(status: tonic::Status) -> Error {
    match status.code() {
        tonic::Code::PermissionDenied | tonic::Code::Unauthenticated => Error::invalid(
            "in_stock",
            format!("stock cannot be read with this token: {}", status.message()),
        ),
        _ => Error::Unexpected(anyhow::anyhow!("read stock at inventory: {status}")),
    }
}

fn price_range(products: &[Arc<Product>]) -> Option<(i64, i64)> {
    let prices = products
        .iter()
        .map(|product| product.draft.price.minor_units());
    let low = prices.clone().min()?;
    Some((low, prices.max()?))
}
