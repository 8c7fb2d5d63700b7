//! The catalog's events: what changed in what the shop sells (the products data product's
//! event stream).

use serde::{Deserialize, Serialize};

use crate::Event;

/// A product was created, changed or deleted; it carries the product as it now is (as it was,
/// for a deletion). The seed of a first start publishes none: the export holds those products.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductChanged {
    pub sku: String,
    /// `created`, `updated` or `deleted`.
    pub change: String,
    pub name: String,
    pub category: String,
    pub price_minor: i64,
    pub currency: String,
}

impl Event for ProductChanged {
    const TYPE: &'static str = "emporium.catalog.product_changed.v1";
    const SOURCE: &'static str = "/emporium/catalog";
    const SUBJECT: &'static str = "emporium.catalog.product_changed";

    fn about(&self) -> String {
        self.sku.clone()
    }
}
