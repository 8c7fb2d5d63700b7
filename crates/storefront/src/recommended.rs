//! Recommendations on the pages: what was bought with a product (or, before anyone has, what is
//! like it), what was bought with a cart, and what sells. A page never fails for want of them:
//! when recommendations do not answer, the section is left out.

use maud::{Markup, html};
use platform::transport::request;
use proto::catalog::Product;
use proto::recommendations as pb;

use crate::Storefront;
use crate::listing::grid;

/// Products on one shelf of recommendations.
const SHELF: u32 = 4;

/// A shelf: its heading and its products.
#[derive(Clone, Debug, Default)]
pub(crate) struct Shelf {
    pub(crate) heading: &'static str,
    pub(crate) products: Vec<Product>,
}

fn products(found: Result<tonic::Response<pb::RecommendationList>, tonic::Status>) -> Vec<Product> {
    match found {
        Ok(found) => found
            .into_inner()
            .recommendations
            .into_iter()
            .filter_map(|recommendation| recommendation.product)
            .collect(),
        Err(status) => {
            tracing::warn!(message = status.message(), "no recommendations for a page");
            Vec::new()
        }
    }
}

/// Bought with `skus`; for one product with no such orders yet, the products like it.
pub(crate) async fn bought_with(storefront: &Storefront, token: &str, skus: Vec<String>) -> Shelf {
    let single = (skus.len() == 1).then(|| skus[0].clone());
    let message = pb::AlsoBoughtRequest { skus, limit: SHELF };
    let found = products(
        storefront
            .recommendations
            .clone()
            .also_bought(request(message, token))
            .await,
    );
    match single {
        Some(sku) if found.is_empty() => {
            let message = pb::SimilarRequest { sku, limit: SHELF };
            let found = storefront
                .recommendations
                .clone()
                .similar(request(message, token))
                .await;
            Shelf {
                heading: "Similar products",
                products: products(found),
            }
        }
        _ => Shelf {
            heading: "Customers also bought",
            products: found,
        },
    }
}

/// What sells now.
pub(crate) async fn popular(storefront: &Storefront, token: &str) -> Shelf {
    let message = pb::PopularRequest { limit: SHELF };
    let found = storefront
        .recommendations
        .clone()
        .popular(request(message, token))
        .await;
    Shelf {
        heading: "Popular now",
        products: products(found),
    }
}

/// The shelf as a section of a page, or nothing when it is empty.
pub(crate) fn section(shelf: &Shelf, extra: Markup) -> Markup {
    html! {
        section #recommendations aria-labelledby="recommendations-heading" {
            @if !shelf.products.is_empty() {
                h2 #recommendations-heading { (shelf.heading) }
                (grid(shelf.products.iter(), 0))
            } @else {
                h2 #recommendations-heading { "You may also like" }
            }
            (extra)
        }
    }
}
