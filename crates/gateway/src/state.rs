//! What every route shares: a client per service it calls, the gateway's own token for
//! anonymous reads, the token verifier and the edge cache.

use std::sync::Arc;

use platform::auth::TokenSource;
use platform::error::Problem;
use platform::transport::{Direct, Transport};
use proto::cart::cart_client::CartClient;
use proto::catalog as pb;
use proto::catalog::catalog_client::CatalogClient;
use proto::catalog::catalog_server::Catalog as CatalogRpc;
use proto::functions::functions_client::FunctionsClient;
use proto::identity::identity_client::IdentityClient;
use proto::inference::inference_client::InferenceClient;
use proto::orders::orders_client::OrdersClient;
use proto::recommendations::recommendations_client::RecommendationsClient;

use crate::Dependencies;
use crate::extract::Bearer;

/// The gateway's shared state, handed to every route. Every request clones it (axum's `State`),
/// so it is one `Arc`: cloning the clients themselves (a boxed service chain each, and one per
/// service for the fault switches) cost a tenth of a product read's CPU.
#[derive(Clone)]
pub(crate) struct Gateway(Arc<Shared>);

pub(crate) struct Shared {
    pub(crate) catalog: CatalogClient<Transport>,
    catalog_direct: Option<Direct<dyn CatalogRpc>>,
    pub(crate) cart: CartClient<Transport>,
    pub(crate) identity: IdentityClient<Transport>,
    pub(crate) orders: OrdersClient<Transport>,
    pub(crate) recommendations: RecommendationsClient<Transport>,
    pub(crate) functions: FunctionsClient<Transport>,
    pub(crate) inference: InferenceClient<Transport>,
    service_token: Arc<dyn TokenSource>,
    pub(crate) verifier: platform::auth::Verifier,
    pub(crate) faults: platform::faults::client::Owners,
    /// Products as JSON, by upper-case sku: the edge cache of the busiest read.
    pub(crate) products: Option<crate::cache::ProductCache>,
}

impl std::ops::Deref for Gateway {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl Gateway {
    pub(crate) fn new(
        config: &crate::Config,
        dependencies: Dependencies,
    ) -> anyhow::Result<Gateway> {
        let products = crate::cache::ProductCache::new(config)?;
        Ok(Gateway(Arc::new(Shared {
            catalog: CatalogClient::new(dependencies.catalog),
            catalog_direct: dependencies.catalog_direct,
            cart: CartClient::new(dependencies.cart),
            identity: IdentityClient::new(dependencies.identity),
            orders: OrdersClient::new(dependencies.orders),
            recommendations: RecommendationsClient::new(dependencies.recommendations),
            // Modules travel base64 in a request body of at most `max_body_bytes`.
            functions: FunctionsClient::new(dependencies.functions)
                .max_encoding_message_size(16 * 1024 * 1024)
                .max_decoding_message_size(16 * 1024 * 1024),
            inference: InferenceClient::new(dependencies.inference)
                .max_decoding_message_size(80 * 1024 * 1024),
            service_token: dependencies.service_token,
            verifier: dependencies.verifier,
            faults: platform::faults::client::Owners::new(dependencies.faults),
            products,
        })))
    }

    /// One product from the catalog: by a direct call when the catalog runs in this process,
    /// the busiest read the gateway forwards.
    pub(crate) async fn get_product(
        &self,
        request: tonic::Request<pb::GetProductRequest>,
    ) -> Result<pb::Product, tonic::Status> {
        const PATH: &str = "/emporium.catalog.v1.Catalog/GetProduct";
        let answer = match &self.catalog_direct {
            Some(direct) => {
                let call = |catalog: Arc<dyn CatalogRpc>, request| async move {
                    catalog.get_product(request).await
                };
                direct.unary(PATH, request, call).await
            }
            None => self.catalog.clone().get_product(request).await,
        };
        Ok(answer?.into_inner())
    }

    /// Drops a product from the edge cache after a change made through this gateway.
    pub(crate) async fn forget_product(&self, sku: &str) {
        if let Some(products) = &self.products {
            products.invalidate(&sku.trim().to_ascii_uppercase()).await;
        }
    }

    /// The caller's token, or the gateway's own for an anonymous read.
    pub(crate) async fn reader_token(&self, bearer: Bearer) -> Result<String, Problem> {
        match bearer.0 {
            Some(token) => Ok(token),
            None => Ok(self.service_token.token().await?.to_string()),
        }
    }

    /// The caller's token, when it is valid and carries `scope`; for what the gateway answers
    /// or forwards on an administrator's behalf.
    pub(crate) async fn token_with_scope(
        &self,
        bearer: Bearer,
        scope: &str,
    ) -> Result<String, Problem> {
        let token = bearer.required()?;
        let principal = self.verifier.verify(&token).await?;
        principal.require_scope(scope)?;
        Ok(token)
    }
}
