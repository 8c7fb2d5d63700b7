//! The search page: the catalog's hybrid search with the listing's filters and sorts, its
//! facet counts, a correction of misspelt words, and a plain "nothing fits" when nothing does.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;
use platform::transport::request;
use proto::catalog as pb;

use crate::Storefront;
use crate::error::PageError;
use crate::filters::{FACETS, FacetCounts, Filters, PAGE_SIZE, Sort};
use crate::layout::frame;
use crate::listing::{filter_form, grid, pager};
use crate::visit::Visit;

/// The words searched for, from the query string.
fn words(query: Option<&str>) -> String {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(name, _)| name == "q")
        .map(|(_, value)| value.trim().to_owned())
        .unwrap_or_default()
}

fn message(words: &str, filters: &Filters) -> pb::SearchProductsRequest {
    let sort = match filters.sort {
        Sort::PriceLow => pb::SearchSort::PriceAscending,
        Sort::PriceHigh => pb::SearchSort::PriceDescending,
        Sort::Newest => pb::SearchSort::Newest,
        Sort::Featured | Sort::Name => pb::SearchSort::Relevance,
    };
    pb::SearchProductsRequest {
        query: words.to_owned(),
        page: Some(proto::common::PageRequest {
            page_size: PAGE_SIZE as u32,
            page_token: format!("o{}", (filters.page - 1) * PAGE_SIZE),
        }),
        min_price_minor: filters.min_price,
        max_price_minor: filters.max_price,
        in_stock: filters.in_stock,
        attributes: filters
            .chosen
            .iter()
            .map(|(name, values)| pb::AttributeFilter {
                name: name.clone(),
                values: values.clone(),
            })
            .collect(),
        sort: sort.into(),
        ..Default::default()
    }
}

/// The catalog's facets that the form offers, in its order and with its labels.
fn facets(found: &pb::SearchProductsResponse) -> Vec<FacetCounts> {
    FACETS
        .iter()
        .map(|(key, label)| {
            let values = found
                .facets
                .iter()
                .find(|facet| facet.name == *key)
                .map(|facet| {
                    facet
                        .values
                        .iter()
                        .map(|value| (value.value.clone(), value.count as usize))
                        .collect()
                })
                .unwrap_or_default();
            (*key, *label, values)
        })
        .collect()
}

pub(crate) async fn search(
    State(storefront): State<Storefront>,
    visit: Visit,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let words = words(query.as_deref());
    let filters = Filters::parse(query.as_deref());
    if words.is_empty() || !filters.problems.is_empty() {
        return Ok(empty_or_invalid(&visit, &words, &filters));
    }
    let token = storefront.service_token().await?;
    let found = storefront
        .catalog
        .clone()
        .search_products(request(message(&words, &filters), &token))
        .await?
        .into_inner();
    let pages = (found.total_size as usize).div_ceil(PAGE_SIZE).max(1);
    let page_number = filters.page.min(pages);
    let prefix = format!(
        "/search?{}&",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &words)
            .finish()
    );
    let content = html! {
        h1 { "Search" }
        div.listing {
            (filter_form("/search", &[("q", &words)], &filters, &facets(&found), true))
            section aria-labelledby="results-heading" {
                h2 #results-heading .visually-hidden { "Results" }
                @if found.no_good_match {
                    p role="status" { "Nothing in the shop fits \"" (words) "\" well. Try other words, or fewer filters." }
                } @else {
                    @if !found.corrected_query.is_empty() {
                        p.correction { "Showing results for \"" (found.corrected_query) "\"." }
                    }
                    p role="status" { (found.total_size) " products match \"" (words) "\""
                        @if pages > 1 { ", page " (page_number) " of " (pages) } }
                    (grid(found.products.iter(), 4))
                    (pager(&prefix, &filters, page_number, pages))
                }
            }
        }
    };
    Ok(frame(&visit, &format!("Search: {words}"), content).into_response())
}

/// The page for no words, or for filters that could not be read (400, each named).
fn empty_or_invalid(visit: &Visit, words: &str, filters: &Filters) -> Response {
    let content = html! {
        h1 { "Search" }
        @if words.is_empty() {
            p { "Type what you are looking for in the search box." }
        } @else {
            (filter_form("/search", &[("q", words)], filters, &[], true))
        }
    };
    let status = if filters.problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    (status, frame(visit, &format!("Search: {words}"), content)).into_response()
}
