//! The `Catalog` gRPC service: proto messages in, domain types through, proto messages out;
//! `products.rs` decides.

mod search;

use proto::catalog as pb;
use proto::catalog::catalog_server::{Catalog as CatalogRpc, CatalogServer};
use tonic::{Request, Response, Status};

use crate::domain::{self, Cursor, Money, Product, ProductDraft, Sku};
use proto::scopes::{CATALOG_ADMIN, CATALOG_READ};

use crate::Catalog;

/// The gRPC face of a `Catalog`.
#[derive(Clone, Debug)]
pub struct CatalogGrpc {
    catalog: Catalog,
}

impl CatalogGrpc {
    pub(crate) fn new(catalog: Catalog) -> CatalogGrpc {
        CatalogGrpc { catalog }
    }

    pub(crate) fn server(catalog: Catalog) -> CatalogServer<CatalogGrpc> {
        CatalogServer::new(CatalogGrpc::new(catalog))
    }
}

#[tonic::async_trait]
impl CatalogRpc for CatalogGrpc {
    async fn get_product(
        &self,
        request: Request<pb::GetProductRequest>,
    ) -> Result<Response<pb::Product>, Status> {
        platform::auth::authorize(&request, CATALOG_READ)?;
        let sku = Sku::parse("sku", &request.get_ref().sku).map_err(crate::Error::from)?;
        let product = self.catalog.get(&sku).await?;
        Ok(Response::new(to_proto(&product)))
    }

    async fn batch_get_products(
        &self,
        request: Request<pb::BatchGetProductsRequest>,
    ) -> Result<Response<pb::BatchGetProductsResponse>, Status> {
        platform::auth::authorize(&request, CATALOG_READ)?;
        if request.get_ref().skus.len() > domain::MAX_PAGE_SIZE as usize {
            return Err(Status::invalid_argument(format!(
                "skus: at most {} at once",
                domain::MAX_PAGE_SIZE
            )));
        }
        let skus = request
            .get_ref()
            .skus
            .iter()
            .map(|raw| Sku::parse("skus", raw))
            .collect::<Result<Vec<_>, _>>()
            .map_err(crate::Error::from)?;
        let products = self.catalog.get_many(&skus).await?;
        let products = products.iter().map(|product| to_proto(product)).collect();
        Ok(Response::new(pb::BatchGetProductsResponse { products }))
    }

    async fn list_products(
        &self,
        request: Request<pb::ListProductsRequest>,
    ) -> Result<Response<pb::ListProductsResponse>, Status> {
        platform::auth::authorize(&request, CATALOG_READ)?;
        let message = request.get_ref();
        let (size, cursor) = paging(message.page.as_ref())?;
        let category = optional_category(&message.category)?;
        let page = self
            .catalog
            .list(category.as_deref(), &cursor, size)
            .await?;
        Ok(Response::new(to_list(page)))
    }

    async fn search_products(
        &self,
        request: Request<pb::SearchProductsRequest>,
    ) -> Result<Response<pb::SearchProductsResponse>, Status> {
        let principal = platform::auth::authorize(&request, CATALOG_READ)?;
        let (search, offset, size) = search::request(request.get_ref())?;
        let answer = self
            .catalog
            .search(&search, offset, size, principal.token())
            .await?;
        Ok(Response::new(search::answer(answer)))
    }

    async fn similar_products(
        &self,
        request: Request<pb::SimilarProductsRequest>,
    ) -> Result<Response<pb::SimilarProductsResponse>, Status> {
        platform::auth::authorize(&request, CATALOG_READ)?;
        let message = request.get_ref();
        let sku = Sku::parse("sku", &message.sku).map_err(crate::Error::from)?;
        let limit = match message.limit {
            0 => 8,
            1..=50 => message.limit as usize,
            _ => return Err(Status::invalid_argument("limit: must be 1 to 50")),
        };
        let similar = self.catalog.similar(&sku, limit).await?;
        Ok(Response::new(pb::SimilarProductsResponse {
            products: similar
                .iter()
                .map(|(product, _)| to_proto(product))
                .collect(),
            scores: similar.iter().map(|(_, score)| *score).collect(),
        }))
    }

    async fn get_search_status(
        &self,
        request: Request<pb::GetSearchStatusRequest>,
    ) -> Result<Response<pb::SearchStatus>, Status> {
        platform::auth::authorize(&request, CATALOG_READ)?;
        let status = self.catalog.search_status().await?;
        Ok(Response::new(search::status(status)))
    }

    async fn list_categories(
        &self,
        request: Request<pb::ListCategoriesRequest>,
    ) -> Result<Response<pb::ListCategoriesResponse>, Status> {
        platform::auth::authorize(&request, CATALOG_READ)?;
        let categories = self.catalog.categories().await?;
        Ok(Response::new(pb::ListCategoriesResponse {
            categories: categories
                .into_iter()
                .map(|category| pb::Category {
                    slug: category.slug,
                    name: category.name,
                    description: category.description,
                    product_count: category.product_count,
                })
                .collect(),
        }))
    }

    async fn create_product(
        &self,
        request: Request<pb::CreateProductRequest>,
    ) -> Result<Response<pb::Product>, Status> {
        platform::auth::authorize(&request, CATALOG_ADMIN)?;
        let message = request.get_ref();
        let sku = Sku::parse("sku", &message.sku).map_err(crate::Error::from)?;
        let draft = draft_from_proto(message.product.as_ref())?;
        let product = self.catalog.create(&sku, &draft).await?;
        Ok(Response::new(to_proto(&product)))
    }

    async fn update_product(
        &self,
        request: Request<pb::UpdateProductRequest>,
    ) -> Result<Response<pb::Product>, Status> {
        platform::auth::authorize(&request, CATALOG_ADMIN)?;
        let message = request.get_ref();
        let sku = Sku::parse("sku", &message.sku).map_err(crate::Error::from)?;
        let draft = draft_from_proto(message.product.as_ref())?;
        let product = self.catalog.update(&sku, &draft).await?;
        Ok(Response::new(to_proto(&product)))
    }

    async fn delete_product(
        &self,
        request: Request<pb::DeleteProductRequest>,
    ) -> Result<Response<pb::DeleteProductResponse>, Status> {
        platform::auth::authorize(&request, CATALOG_ADMIN)?;
        let sku = Sku::parse("sku", &request.get_ref().sku).map_err(crate::Error::from)?;
        self.catalog.delete(&sku).await?;
        Ok(Response::new(pb::DeleteProductResponse {}))
    }
}

fn paging(page: Option<&proto::common::PageRequest>) -> Result<(u32, Cursor), crate::Error> {
    let (size, token) = page
        .map(|page| (page.page_size, page.page_token.as_str()))
        .unwrap_or((0, ""));
    Ok((domain::page_size(size)?, Cursor::parse(token)?))
}

fn optional_category(raw: &str) -> Result<Option<String>, crate::Error> {
    if raw.is_empty() {
        return Ok(None);
    }
    Ok(Some(domain::parse_category("category", raw)?))
}

fn draft_from_proto(input: Option<&pb::ProductInput>) -> Result<ProductDraft, crate::Error> {
    let input = input.ok_or_else(|| crate::Error::invalid("product", "is required"))?;
    let price = input
        .price
        .as_ref()
        .ok_or_else(|| crate::Error::invalid("price", "is required"))?;
    let price = Money::parse("price", price.minor_units, &price.currency)?;
    Ok(ProductDraft::parse(
        &input.name,
        &input.description,
        &input.category,
        price,
        input.image_urls.clone(),
        &input.attributes_json,
    )?)
}

fn to_list(page: crate::store::Page) -> pb::ListProductsResponse {
    pb::ListProductsResponse {
        products: page.products.iter().map(to_proto).collect(),
        next_page_token: page
            .next
            .map(|cursor| cursor.to_token())
            .unwrap_or_default(),
        total_size: page.total,
    }
}

pub(crate) fn to_proto(product: &Product) -> pb::Product {
    pb::Product {
        sku: product.sku.as_str().to_owned(),
        name: product.draft.name.clone(),
        description: product.draft.description.clone(),
        category: product.draft.category.clone(),
        price: Some(proto::common::Money {
            minor_units: product.draft.price.minor_units(),
            currency: product.draft.price.currency().to_owned(),
        }),
        image_urls: product.draft.image_urls.clone(),
        attributes_json: product.draft.attributes.as_json().to_owned(),
        created_at_unix: product.created_at,
        updated_at_unix: product.updated_at,
    }
}
