//! Recommendations at the edge: what was bought with a product and what sells, for anyone (the
//! gateway's own token reads for anonymous visitors), and the caller's own ("for you").

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use platform::error::Problem;
use platform::transport::request;
use proto::recommendations as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::catalog::{Product, product};
use crate::extract::{Bearer, Query, Sku};
use crate::state::Gateway;

pub(crate) fn routes() -> Router<Gateway> {
    Router::new()
        .route("/api/v1/products/{sku}/also-bought", get(also_bought))
        .route("/api/v1/recommendations/popular", get(popular))
        .route("/api/v1/recommendations/for-you", get(for_you))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct LimitQuery {
    /// 1 to 50; 8 when absent or 0.
    #[param(minimum = 0, maximum = 50)]
    limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Recommendation {
    product: Product,
    /// Higher is stronger; comparable within one answer only.
    score: f64,
    /// Why: `also_bought`, `for_you`, `popular` or `similar`.
    reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RecommendationList {
    recommendations: Vec<Recommendation>,
}

fn list(found: pb::RecommendationList) -> axum::Json<RecommendationList> {
    axum::Json(RecommendationList {
        recommendations: found
            .recommendations
            .into_iter()
            .filter_map(|found| {
                Some(Recommendation {
                    product: product(found.product?),
                    score: found.score,
                    reason: found.reason,
                })
            })
            .collect(),
    })
}

/// Products bought in the same orders as this one, and two hops away, most often first.
#[utoipa::path(get, path = "/api/v1/products/{sku}/also-bought", tag = "recommendations",
    params(Sku, LimitQuery), responses((status = 200, body = RecommendationList),
        (status = 404, description = "no product has this sku")))]
pub(crate) async fn also_bought(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Sku { sku }: Sku,
    Query(query): Query<LimitQuery>,
) -> Result<axum::Json<RecommendationList>, Problem> {
    let token = gateway.reader_token(bearer).await?;
    let message = pb::AlsoBoughtRequest {
        skus: vec![sku.clone()],
        limit: query.limit.unwrap_or(0),
    };
    let found = gateway
        .recommendations
        .clone()
        .also_bought(request(message, &token))
        .await?
        .into_inner();
    if found.recommendations.is_empty() {
        // Nothing bought with it, or no such product (never, or deleted): a read of a product
        // that is not there says 404, and so does this.
        let read = proto::catalog::GetProductRequest { sku };
        gateway
            .catalog
            .clone()
            .get_product(request(read, &token))
            .await?;
    }
    Ok(list(found))
}

/// The products in the most confirmed orders lately.
#[utoipa::path(get, path = "/api/v1/recommendations/popular", tag = "recommendations",
    params(LimitQuery), responses((status = 200, body = RecommendationList)))]
pub(crate) async fn popular(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Query(query): Query<LimitQuery>,
) -> Result<axum::Json<RecommendationList>, Problem> {
    let token = gateway.reader_token(bearer).await?;
    let message = pb::PopularRequest {
        limit: query.limit.unwrap_or(0),
    };
    let found = gateway
        .recommendations
        .clone()
        .popular(request(message, &token))
        .await?;
    Ok(list(found.into_inner()))
}

/// For the signed-in shopper, from what they bought (what sells, before they have bought).
#[utoipa::path(get, path = "/api/v1/recommendations/for-you", tag = "recommendations",
    params(LimitQuery), responses((status = 200, body = RecommendationList)),
    security(("bearer" = ["orders"])))]
pub(crate) async fn for_you(
    State(gateway): State<Gateway>,
    bearer: Bearer,
    Query(query): Query<LimitQuery>,
) -> Result<axum::Json<RecommendationList>, Problem> {
    let token = bearer.required()?;
    let message = pb::ForYouRequest {
        limit: query.limit.unwrap_or(0),
    };
    let found = gateway
        .recommendations
        .clone()
        .for_you(request(message, &token))
        .await?;
    Ok(list(found.into_inner()))
}
