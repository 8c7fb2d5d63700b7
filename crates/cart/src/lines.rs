//! What the cart does behind its RPCs: a user's lines added, set, removed and cleared, each
//! answered with the cart as it is now and the catalog's products for its lines. `grpc.rs` only
//! converts.

use proto::catalog as catalog_pb;

use crate::{Cart, Error};

/// The user a cart belongs to, and their token, which the catalog is asked with.
pub(crate) struct Shopper {
    pub(crate) user_id: String,
    pub(crate) token: String,
}

/// A cart as it is now: its lines as (sku, quantity), oldest first, and the catalog's products
/// for them; a line whose product is gone has none.
#[derive(Default)]
pub(crate) struct Contents {
    pub(crate) lines: Vec<(String, i64)>,
    pub(crate) products: Vec<catalog_pb::Product>,
}

impl Cart {
    /// The user's cart with the catalog's products as they are now.
    pub(crate) async fn contents(&self, shopper: &Shopper) -> Result<Contents, Error> {
        let lines = self.store.lines(&shopper.user_id).await?;
        if lines.is_empty() {
            return Ok(Contents::default());
        }
        let skus = lines.iter().map(|(sku, _)| sku.clone()).collect();
        let request = platform::transport::request(
            catalog_pb::BatchGetProductsRequest { skus },
            &shopper.token,
        );
        let products = self
            .catalog
            .clone()
            .batch_get_products(request)
            .await
            .map_err(Error::Catalog)?
            .into_inner()
            .products;
        Ok(Contents { lines, products })
    }

    /// Adds `quantity` of `sku`, a product the catalog has, within the cart's limits.
    pub(crate) async fn add(
        &self,
        shopper: &Shopper,
        sku: &str,
        quantity: i64,
    ) -> Result<Contents, Error> {
        self.ensure_product_exists(shopper, sku).await?;
        self.store
            .add(
                &shopper.user_id,
                sku,
                quantity,
                self.limits.max_quantity_per_line,
                self.limits.max_lines,
                platform::unix_now(),
            )
            .await?;
        self.contents(shopper).await
    }

    /// Sets the line of `sku`, a product the catalog has, to `quantity`, adding it if missing.
    pub(crate) async fn set(
        &self,
        shopper: &Shopper,
        sku: &str,
        quantity: i64,
    ) -> Result<Contents, Error> {
        self.ensure_product_exists(shopper, sku).await?;
        self.store
            .set(
                &shopper.user_id,
                sku,
                quantity,
                self.limits.max_lines,
                platform::unix_now(),
            )
            .await?;
        self.contents(shopper).await
    }

    /// Removes the line of `sku`, if the cart has one.
    pub(crate) async fn remove(&self, shopper: &Shopper, sku: &str) -> Result<Contents, Error> {
        self.store.remove(&shopper.user_id, sku).await?;
        self.contents(shopper).await
    }

    /// Empties the user's cart.
    pub(crate) async fn clear(&self, shopper: &Shopper) -> Result<Contents, Error> {
        self.store.clear(&shopper.user_id).await?;
        // Empty now: nothing to read back.
        Ok(Contents::default())
    }

    async fn ensure_product_exists(&self, shopper: &Shopper, sku: &str) -> Result<(), Error> {
        let request = platform::transport::request(
            catalog_pb::GetProductRequest {
                sku: sku.to_owned(),
            },
            &shopper.token,
        );
        match self.catalog.clone().get_product(request).await {
            Ok(_) => Ok(()),
            Err(status) if status.code() == tonic::Code::NotFound => {
                Err(Error::UnknownSku(sku.to_owned()))
            }
            Err(status) => Err(Error::Catalog(status)),
        }
    }
}
