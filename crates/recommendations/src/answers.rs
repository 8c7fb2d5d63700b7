//! The answers: also bought (two hops of the graph), for you (the walk from the caller's own
//! purchases, what sells when there are none), popular, and similar (the catalog's vectors);
//! each read back from the catalog with the caller's token, so a product since deleted drops out.

use std::collections::{BTreeSet, HashMap};

use platform::transport::request;
use proto::catalog as catalog_pb;

use crate::Recommendations;
use crate::domain::{self, Invalid, MAX_SEEDS, NEIGHBOURS_PER_HOP};
use crate::error::Error;

/// How many of a user's most recent products "for you" starts from.
const RECENT_PURCHASES: usize = 20;

/// A recommended product, how strongly, and why.
#[derive(Clone, Debug)]
pub struct Recommended {
    pub product: catalog_pb::Product,
    pub score: f64,
    pub reason: &'static str,
}

impl Recommendations {
    /// Products bought with `skus`, best first.
    pub async fn also_bought(
        &self,
        skus: &[String],
        limit: usize,
        token: &str,
    ) -> Result<Vec<Recommended>, Error> {
        if skus.is_empty() || skus.len() > MAX_SEEDS {
            return Err(Invalid::new("skus", format!("name 1 to {MAX_SEEDS} products")).into());
        }
        let seeds: Vec<String> = skus
            .iter()
            .map(|sku| sku.trim().to_ascii_uppercase())
            .collect();
        let ranked = self.walk(&seeds, &BTreeSet::new(), limit).await?;
        self.hydrate(ranked, "also_bought", token).await
    }

    /// For the user `user_id`: the walk from what they bought lately, without what they bought;
    /// what sells (without what they bought) when the walk finds nothing.
    pub async fn for_you(
        &self,
        user_id: &str,
        limit: usize,
        token: &str,
    ) -> Result<Vec<Recommended>, Error> {
        let bought = self.store.bought_by(user_id, RECENT_PURCHASES).await?;
        let owned: BTreeSet<String> = bought.iter().cloned().collect();
        let ranked = self.walk(&bought, &owned, limit).await?;
        if !ranked.is_empty() {
            return self.hydrate(ranked, "for_you", token).await;
        }
        let popular = self.ranked_popular(limit + owned.len()).await?;
        let fresh = popular
            .into_iter()
            .filter(|(sku, _)| !owned.contains(sku))
            .take(limit)
            .collect();
        self.hydrate(fresh, "popular", token).await
    }

    /// The products in the most confirmed orders of the last `popular_window_days`.
    pub async fn popular(&self, limit: usize, token: &str) -> Result<Vec<Recommended>, Error> {
        let ranked = self.ranked_popular(limit).await?;
        self.hydrate(ranked, "popular", token).await
    }

    /// The products nearest in meaning to `sku`, as the catalog's vectors have them.
    pub async fn similar(
        &self,
        sku: &str,
        limit: usize,
        token: &str,
    ) -> Result<Vec<Recommended>, Error> {
        let message = catalog_pb::SimilarProductsRequest {
            sku: sku.to_owned(),
            limit: limit as u32,
        };
        let found = self
            .catalog
            .clone()
            .similar_products(request(message, token))
            .await
            .map_err(Error::Catalog)?
            .into_inner();
        Ok(found
            .products
            .into_iter()
            .zip(found.scores)
            .map(|(product, score)| Recommended {
                product,
                score: f64::from(score),
                reason: "similar",
            })
            .collect())
    }

    /// Two hops of the graph from `seeds`: their heaviest neighbours, then those neighbours'.
    async fn walk(
        &self,
        seeds: &[String],
        exclude: &BTreeSet<String>,
        limit: usize,
    ) -> Result<Vec<(String, f64)>, Error> {
        let mut graph = self.store.neighbours(seeds, NEIGHBOURS_PER_HOP).await?;
        let first_hop: BTreeSet<String> = graph
            .values()
            .flatten()
            .map(|edge| edge.other.clone())
            .filter(|sku| !graph.contains_key(sku))
            .collect();
        let first_hop: Vec<String> = first_hop.into_iter().collect();
        graph.extend(
            self.store
                .neighbours(&first_hop, NEIGHBOURS_PER_HOP)
                .await?,
        );
        Ok(domain::two_hops(seeds, &graph, exclude, limit))
    }

    async fn ranked_popular(&self, limit: usize) -> Result<Vec<(String, f64)>, Error> {
        let today = domain::day_of(platform::unix_now() * 1000);
        let since = today - i64::from(self.config.popular_window_days);
        Ok(self
            .store
            .popular(since, limit)
            .await?
            .into_iter()
            .map(|(sku, sold)| (sku, sold as f64))
            .collect())
    }

    /// The products of `ranked` from the catalog, in order; those it no longer has drop out.
    async fn hydrate(
        &self,
        ranked: Vec<(String, f64)>,
        reason: &'static str,
        token: &str,
    ) -> Result<Vec<Recommended>, Error> {
        if ranked.is_empty() {
            return Ok(Vec::new());
        }
        let message = catalog_pb::BatchGetProductsRequest {
            skus: ranked.iter().map(|(sku, _)| sku.clone()).collect(),
        };
        let products: HashMap<String, catalog_pb::Product> = self
            .catalog
            .clone()
            .batch_get_products(request(message, token))
            .await
            .map_err(Error::Catalog)?
            .into_inner()
            .products
            .into_iter()
            .map(|product| (product.sku.clone(), product))
            .collect();
        Ok(ranked
            .into_iter()
            .filter_map(|(sku, score)| {
                products.get(&sku).map(|product| Recommended {
                    product: product.clone(),
                    score,
                    reason,
                })
            })
            .collect())
    }
}
