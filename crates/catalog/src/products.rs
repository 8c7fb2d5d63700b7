//! What the catalog does behind its RPCs: products read through the cache, pages and searches,
//! categories, and the admin's changes, each of which drops the cached product. `grpc.rs` only
//! converts.

use std::sync::Arc;

use crate::domain::{Category, Cursor, Product, ProductDraft, Sku};
use crate::store::Page;
use crate::{Catalog, Error};

impl Catalog {
    /// The product `sku`, from the cache when it holds it.
    pub(crate) async fn get(&self, sku: &Sku) -> Result<Arc<Product>, Error> {
        if let Some(product) = self.cache.get(sku).await {
            return Ok(product);
        }
        let product = self
            .store
            .get(sku)
            .await?
            .ok_or_else(|| Error::NotFound(sku.clone()))?;
        let product = Arc::new(product);
        self.cache.insert(sku.clone(), product.clone()).await;
        Ok(product)
    }

    /// The products of `skus` the catalog has, in that order; the others are left out.
    pub(crate) async fn get_many(&self, skus: &[Sku]) -> Result<Vec<Arc<Product>>, Error> {
        let mut products = Vec::with_capacity(skus.len());
        for sku in skus {
            match self.get(sku).await {
                Ok(product) => products.push(product),
                Err(Error::NotFound(_)) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(products)
    }

    /// A page of `size` products in sku order from `cursor`, of one category or of all.
    pub(crate) async fn list(
        &self,
        category: Option<&str>,
        cursor: &Cursor,
        size: u32,
    ) -> Result<Page, Error> {
        self.store.list(category, cursor, size).await
    }

    /// Every category with how many products it has.
    pub(crate) async fn categories(&self) -> Result<Vec<Category>, Error> {
        self.store.categories().await
    }

    #[tracing::instrument(skip(self, draft), fields(sku = sku.as_str()))]
    pub(crate) async fn create(&self, sku: &Sku, draft: &ProductDraft) -> Result<Product, Error> {
        let draft = draft.clone().with_drawing_for(sku);
        let now = platform::unix_now();
        let vectors = self
            .search
            .embed_for_write(&unsaved(sku, &draft, now))
            .await;
        let product = self.store.create(sku, &draft, now, &vectors).await?;
        self.search.written(&product, &vectors).await;
        self.cache.invalidate(sku).await;
        tracing::info!("product created");
        Ok(product)
    }

    #[tracing::instrument(skip(self, draft), fields(sku = sku.as_str()))]
    pub(crate) async fn update(&self, sku: &Sku, draft: &ProductDraft) -> Result<Product, Error> {
        let draft = draft.clone().with_drawing_for(sku);
        let now = platform::unix_now();
        let vectors = self
            .search
            .embed_for_write(&unsaved(sku, &draft, now))
            .await;
        let product = self.store.update(sku, &draft, now, &vectors).await?;
        self.search.written(&product, &vectors).await;
        self.cache.invalidate(sku).await;
        tracing::info!("product updated");
        Ok(product)
    }

    #[tracing::instrument(skip(self), fields(sku = sku.as_str()))]
    pub(crate) async fn delete(&self, sku: &Sku) -> Result<(), Error> {
        self.store.delete(sku, platform::unix_now_ms()).await?;
        self.search.deleted(sku.as_str()).await;
        self.cache.invalidate(sku).await;
        tracing::info!("product deleted");
        Ok(())
    }
}

/// The product a draft will be once written, to embed before the write.
fn unsaved(sku: &Sku, draft: &ProductDraft, now: i64) -> Product {
    Product {
        sku: sku.clone(),
        draft: draft.clone(),
        created_at: now,
        updated_at: now,
    }
}
