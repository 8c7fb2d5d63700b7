//! The search RPCs' messages to the search's types and back.

use proto::catalog as pb;

use super::to_proto;
use crate::domain::search::{Filters, Mode, Sort};
use crate::domain::{self, Cursor};
use crate::search::{Answer, Request, Status};

/// The search `message` asks for, and the page: its offset and size.
pub(super) fn request(
    message: &pb::SearchProductsRequest,
) -> Result<(Request, u32, u32), crate::Error> {
    let (size, cursor) = super::paging(message.page.as_ref())?;
    let offset = match cursor {
        Cursor::Start => 0,
        Cursor::Offset(offset) => offset,
        Cursor::AfterSku(_) => {
            return Err(crate::Error::invalid(
                "page_token",
                "is not a token for this search",
            ));
        }
    };
    let attributes: Vec<(String, Vec<String>)> = message
        .attributes
        .iter()
        .map(|filter| (filter.name.clone(), filter.values.clone()))
        .collect();
    let filters = Filters::parse(
        &message.category,
        message.min_price_minor,
        message.max_price_minor,
        message.in_stock,
        &attributes,
    )?;
    let mode = match pb::SearchMode::try_from(message.mode) {
        Ok(pb::SearchMode::Hybrid) => Mode::Hybrid,
        Ok(pb::SearchMode::Keyword) => Mode::Keyword,
        Ok(pb::SearchMode::Vector) => Mode::Vector,
        Err(_) => return Err(crate::Error::invalid("mode", "is not a search mode")),
    };
    let sort = match pb::SearchSort::try_from(message.sort) {
        Ok(pb::SearchSort::Relevance) => Sort::Relevance,
        Ok(pb::SearchSort::PriceAscending) => Sort::PriceAscending,
        Ok(pb::SearchSort::PriceDescending) => Sort::PriceDescending,
        Ok(pb::SearchSort::Newest) => Sort::Newest,
        Err(_) => return Err(crate::Error::invalid("sort", "is not a search order")),
    };
    let request = Request {
        text: message.query.clone(),
        terms: domain::search_terms(&message.query)?,
        filters,
        mode,
        sort,
    };
    Ok((request, offset, size))
}

pub(super) fn answer(answer: Answer) -> pb::SearchProductsResponse {
    let (min_price_minor, max_price_minor) = answer.price_range.unwrap_or_default();
    pb::SearchProductsResponse {
        products: answer
            .products
            .iter()
            .map(|product| to_proto(product))
            .collect(),
        next_page_token: answer
            .next_offset
            .map(|offset| Cursor::Offset(offset).to_token())
            .unwrap_or_default(),
        total_size: answer.total,
        facets: answer
            .facets
            .into_iter()
            .map(|facet| pb::Facet {
                name: facet.name,
                values: facet
                    .values
                    .into_iter()
                    .map(|(value, count)| pb::FacetValue { value, count })
                    .collect(),
            })
            .collect(),
        no_good_match: answer.no_good_match,
        corrected_query: answer.corrected.unwrap_or_default(),
        min_price_minor,
        max_price_minor,
        model: answer.model,
    }
}

pub(super) fn status(status: Status) -> pb::SearchStatus {
    pb::SearchStatus {
        serving_model: status.serving_model,
        target_model: status.target_model,
        embedded: status.embedded,
        products: status.products,
        index: status.index.to_owned(),
        indexed: status.indexed,
    }
}
