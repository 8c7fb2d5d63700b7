//! The pages that list products: home (what sells, the categories, and one product of each), and a
//! category with its filters, sort and pages. The filter form and the grid serve search too.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use platform::transport::request;
use proto::catalog::{self as pb, Category, Product};

use crate::Storefront;
use crate::error::PageError;
use crate::filters::{FacetCounts, Filters, PAGE_SIZE, Sort, facet_counts};
use crate::layout::{frame, picture};
use crate::money;
use crate::visit::Visit;

/// The most products a category listing reads from the catalog.
const MAX_CATEGORY_PRODUCTS: usize = 2000;

/// Categories and each category's products, kept for a few seconds: listings of one category
/// share one read of it.
pub(crate) struct Cache {
    categories: moka::future::Cache<(), Arc<Vec<Category>>>,
    products: moka::future::Cache<String, Arc<Vec<Product>>>,
}

impl Cache {
    pub(crate) fn new(ttl: Duration) -> Cache {
        Cache {
            categories: moka::future::Cache::builder()
                .time_to_live(ttl)
                .max_capacity(1)
                .build(),
            products: moka::future::Cache::builder()
                .time_to_live(ttl)
                .max_capacity(64)
                .build(),
        }
    }
}

async fn categories(storefront: &Storefront) -> Result<Arc<Vec<Category>>, PageError> {
    storefront
        .listings
        .categories
        .try_get_with((), async {
            let token = storefront.service_token().await?;
            let listed = storefront
                .catalog
                .clone()
                .list_categories(request(pb::ListCategoriesRequest {}, &token))
                .await?;
            Ok::<_, PageError>(Arc::new(listed.into_inner().categories))
        })
        .await
        .map_err(|error| {
            Arc::try_unwrap(error)
                .unwrap_or_else(|shared| PageError::new(shared.status(), shared.message()))
        })
}

/// Every product of `category`, in the catalog's order.
async fn category_products(
    storefront: &Storefront,
    category: &str,
) -> Result<Arc<Vec<Product>>, PageError> {
    storefront
        .listings
        .products
        .try_get_with(category.to_owned(), async {
            let token = storefront.service_token().await?;
            let mut products = Vec::new();
            let mut page_token = String::new();
            loop {
                let listed = storefront
                    .catalog
                    .clone()
                    .list_products(request(
                        pb::ListProductsRequest {
                            page: Some(proto::common::PageRequest {
                                page_size: 100,
                                page_token,
                            }),
                            category: category.to_owned(),
                        },
                        &token,
                    ))
                    .await?
                    .into_inner();
                products.extend(listed.products);
                page_token = listed.next_page_token;
                if page_token.is_empty() || products.len() >= MAX_CATEGORY_PRODUCTS {
                    break;
                }
            }
            Ok::<_, PageError>(Arc::new(products))
        })
        .await
        .map_err(|error| {
            Arc::try_unwrap(error)
                .unwrap_or_else(|shared| PageError::new(shared.status(), shared.message()))
        })
}

pub(crate) async fn home(
    State(storefront): State<Storefront>,
    visit: Visit,
) -> Result<Response, PageError> {
    let categories = categories(&storefront).await?;
    let mut featured = Vec::new();
    for category in categories.iter() {
        let products = category_products(&storefront, &category.slug).await?;
        featured.extend(products.first().cloned());
    }
    let popular =
        crate::recommended::popular(&storefront, &storefront.service_token().await?).await;
    let content = html! {
        h1 { "Welcome to Emporium" }
        @if !popular.products.is_empty() {
            section aria-labelledby="popular-heading" {
                h2 #popular-heading { (popular.heading) }
                (grid(popular.products.iter(), 4))
            }
        }
        section aria-labelledby="categories-heading" {
            h2 #categories-heading { "Shop by category" }
            ul.categories {
                @for category in categories.iter() {
                    li {
                        a href={ "/c/" (category.slug) } { strong { (category.name) } }
                        " " span.count { "(" (category.product_count) ")" }
                        p { (category.description) }
                    }
                }
            }
        }
        section aria-labelledby="featured-heading" {
            h2 #featured-heading { "Featured" }
            (grid(featured.iter(), 0))
        }
    };
    Ok(frame(&visit, "Home", content).into_response())
}

/// Products as cards; the first `eager` load at once, the rest when scrolled to.
pub(crate) fn grid<'a>(products: impl Iterator<Item = &'a Product>, eager: usize) -> Markup {
    html! {
        ul.grid {
            @for (index, product) in products.enumerate() {
                li.card {
                    a href={ "/p/" (product.sku) } {
                        @if let Some(url) = product.image_urls.first() {
                            (picture(url, "", 240, index >= eager))
                        }
                        span.name { (product.name) }
                    }
                    span.price { (money::format(product.price.as_ref())) }
                }
            }
        }
    }
}

pub(crate) async fn category(
    State(storefront): State<Storefront>,
    visit: Visit,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let categories = categories(&storefront).await?;
    let Some(category) = categories.iter().find(|category| category.slug == slug) else {
        return Err(PageError::not_found(format!(
            "There is no category \"{slug}\"."
        )));
    };
    let products = category_products(&storefront, &slug).await?;
    let filters = Filters::parse(query.as_deref());
    let kept = filters.apply(&products);
    let pages = kept.len().div_ceil(PAGE_SIZE).max(1);
    let page_number = filters.page.min(pages);
    let shown = kept
        .iter()
        .skip((page_number - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .copied();
    let content = html! {
        h1 { (category.name) }
        p { (category.description) }
        div.listing {
            (filter_form(&format!("/c/{slug}"), &[], &filters, &facet_counts(&products), false))
            section aria-labelledby="results-heading" {
                h2 #results-heading .visually-hidden { "Products" }
                @if let Some(problem) = filters.problems.get("page") { p.problem role="alert" { (problem) } }
                p role="status" { (kept.len()) " products" @if pages > 1 { ", page " (page_number) " of " (pages) } }
                (grid(shown, 4))
                (pager(&format!("/c/{slug}?"), &filters, page_number, pages))
            }
        }
    };
    let status = if filters.problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok((status, frame(&visit, &category.name, content)).into_response())
}

/// The filters, sort and an Apply button, sending to `action` with `hidden` fields kept; the
/// sorts offered are a listing's, or with `searching` a search's.
pub(crate) fn filter_form(
    action: &str,
    hidden: &[(&str, &str)],
    filters: &Filters,
    facets: &[FacetCounts],
    searching: bool,
) -> Markup {
    let problem = |field: &str| filters.problems.get(field).cloned();
    let sorts = Sort::ALL
        .into_iter()
        .filter(|(sort, _, _)| !searching || sort.searchable());
    html! {
        form.filters method="get" action=(action) aria-label="Filter products" {
            @for (name, value) in hidden { input type="hidden" name=(name) value=(value); }
            fieldset {
                legend { "Price" }
                (price_field("min_price", "From", &filters.min_text, problem("min_price")))
                (price_field("max_price", "To", &filters.max_text, problem("max_price")))
            }
            @if searching {
                div {
                    input type="checkbox" id="in_stock" name="in_stock" value="1" checked[filters.in_stock];
                    label for="in_stock" { "In stock only" }
                }
            }
            @for (facet, label, values) in facets {
                @if !values.is_empty() {
                    fieldset {
                        legend { (label) }
                        @for (value, count) in values.iter() {
                            @let id = format!("{facet}-{}", value.replace(' ', "-"));
                            div {
                                input type="checkbox" id=(id) name=(facet) value=(value) checked[filters.is_chosen(facet, value)];
                                label for=(id) { (value) " (" (count) ")" }
                            }
                        }
                    }
                }
            }
            label for="sort" { "Sort by" }
            select #sort name="sort" aria-describedby=[problem("sort").map(|_| "sort-problem")] {
                @for (sort, key, label) in sorts {
                    option value=(key) selected[sort == filters.sort] {
                        @if searching && sort == Sort::Featured { "Best match" } @else { (label) }
                    }
                }
            }
            @if let Some(text) = problem("sort") { p.problem #sort-problem { (text) } }
            button type="submit" { "Apply" }
        }
    }
}

fn price_field(name: &str, label: &str, value: &str, problem: Option<String>) -> Markup {
    let problem_id = format!("{name}-problem");
    html! {
        div.field {
            label for=(name) { (label) " ($)" }
            input id=(name) name=(name) type="text" inputmode="decimal" value=(value) size="6"
                aria-invalid=[problem.as_ref().map(|_| "true")]
                aria-describedby=[problem.as_ref().map(|_| problem_id.as_str())];
            @if let Some(text) = &problem { p.problem id=(problem_id) { (text) } }
        }
    }
}

/// Links to the pages before and after; `prefix` is the address up to the filters' query
/// (`/c/kitchen?`, `/search?q=mug&`).
pub(crate) fn pager(prefix: &str, filters: &Filters, page_number: usize, pages: usize) -> Markup {
    html! {
        @if pages > 1 {
            nav.pager aria-label="Pages" {
                @if page_number > 1 {
                    a rel="prev" href={ (prefix) (filters.query(page_number - 1)) } { "Previous" }
                }
                span { "Page " (page_number) " of " (pages) }
                @if page_number < pages {
                    a rel="next" href={ (prefix) (filters.query(page_number + 1)) } { "Next" }
                }
            }
        }
    }
}
