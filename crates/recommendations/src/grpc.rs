//! The `Recommendations` gRPC service: proto messages in, one call to the service, proto
//! messages out. Every call needs `catalog.read` (recommendations are read from the catalog with
//! the caller's token); "for you" needs a user's token with `orders`, as it is made from their
//! orders.

use proto::recommendations as pb;
use proto::recommendations::recommendations_server::{
    Recommendations as RecommendationsRpc, RecommendationsServer,
};
use proto::scopes::{CATALOG_READ, ORDERS};
use tonic::{Request, Response, Status};

use crate::answers::Recommended;
use crate::domain::limit;
use crate::{Error, Recommendations};

/// The gRPC face of `Recommendations`.
#[derive(Clone, Debug)]
pub struct RecommendationsGrpc {
    recommendations: Recommendations,
}

impl RecommendationsGrpc {
    pub(crate) fn server(recommendations: Recommendations) -> RecommendationsServer<Self> {
        RecommendationsServer::new(RecommendationsGrpc { recommendations })
    }
}

fn list(recommended: Vec<Recommended>) -> Response<pb::RecommendationList> {
    Response::new(pb::RecommendationList {
        recommendations: recommended
            .into_iter()
            .map(|recommended| pb::Recommendation {
                product: Some(recommended.product),
                score: recommended.score,
                reason: recommended.reason.to_owned(),
            })
            .collect(),
    })
}

#[tonic::async_trait]
impl RecommendationsRpc for RecommendationsGrpc {
    #[tracing::instrument(skip_all)]
    async fn also_bought(
        &self,
        request: Request<pb::AlsoBoughtRequest>,
    ) -> Result<Response<pb::RecommendationList>, Status> {
        let principal = platform::auth::authorize(&request, CATALOG_READ)?;
        let message = request.get_ref();
        let limit = limit(message.limit).map_err(Error::from)?;
        let found = self
            .recommendations
            .also_bought(&message.skus, limit, principal.token())
            .await?;
        Ok(list(found))
    }

    #[tracing::instrument(skip_all)]
    async fn for_you(
        &self,
        request: Request<pb::ForYouRequest>,
    ) -> Result<Response<pb::RecommendationList>, Status> {
        let principal = platform::auth::authorize(&request, ORDERS)?;
        if !principal.is_user() {
            return Err(Error::NotAUser.into());
        }
        let limit = limit(request.get_ref().limit).map_err(Error::from)?;
        let found = self
            .recommendations
            .for_you(principal.subject(), limit, principal.token())
            .await?;
        Ok(list(found))
    }

    #[tracing::instrument(skip_all)]
    async fn popular(
        &self,
        request: Request<pb::PopularRequest>,
    ) -> Result<Response<pb::RecommendationList>, Status> {
        let principal = platform::auth::authorize(&request, CATALOG_READ)?;
        let limit = limit(request.get_ref().limit).map_err(Error::from)?;
        let found = self
            .recommendations
            .popular(limit, principal.token())
            .await?;
        Ok(list(found))
    }

    #[tracing::instrument(skip_all)]
    async fn similar(
        &self,
        request: Request<pb::SimilarRequest>,
    ) -> Result<Response<pb::RecommendationList>, Status> {
        let principal = platform::auth::authorize(&request, CATALOG_READ)?;
        let message = request.get_ref();
        let limit = limit(message.limit).map_err(Error::from)?;
        let found = self
            .recommendations
            .similar(&message.sku, limit, principal.token())
            .await?;
        Ok(list(found))
    }
}
