//! Unary calls to a service that runs in this process, without the codec.
//!
//! The in-process transport keeps the whole contract (protobuf both ways, HTTP/2 framing in
//! memory, routing by path), which costs a third of a cheap read such as the gateway's product.
//! `Direct` calls the generated server trait's method instead, with the same layers on both
//! sides: the client span and edge figures of `observed`, then `ServerLayer::unary` (the server
//! span, the token check, the deadline, the panic guard and the server metrics). The messages
//! are handed over as they are. Where the callee runs in another process there is no `Direct`,
//! and the caller uses its gRPC client (`Context::direct`).

use std::sync::Arc;

use tonic::Status;

use super::client::Edge;
use crate::grpc::ServerLayer;

/// `S` (a generated server trait, `dyn Catalog` say) served in this process, called directly.
pub struct Direct<S: ?Sized> {
    service: Arc<S>,
    layer: ServerLayer,
    edge: Edge,
}

impl<S: ?Sized> Clone for Direct<S> {
    fn clone(&self) -> Self {
        Direct {
            service: self.service.clone(),
            layer: self.layer.clone(),
            edge: self.edge.clone(),
        }
    }
}

impl<S: ?Sized> std::fmt::Debug for Direct<S> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Direct").finish_non_exhaustive()
    }
}

impl<S: ?Sized + Send + Sync> Direct<S> {
    /// `service` behind `layer`, called by `caller` as `callee`.
    pub fn new(
        service: Arc<S>,
        layer: ServerLayer,
        caller: &'static str,
        callee: &'static str,
    ) -> Direct<S> {
        Direct {
            service,
            layer,
            edge: Edge::new(caller, callee),
        }
    }

    /// Calls the method at `path` (`/package.Service/Method`, as the generated client names it)
    /// through `method`, which calls the trait's method on the service:
    /// `|catalog, request| async move { catalog.get_product(request).await }`.
    pub async fn unary<M, R, F>(
        &self,
        path: &'static str,
        mut request: tonic::Request<M>,
        method: impl FnOnce(Arc<S>, tonic::Request<M>) -> F,
    ) -> Result<tonic::Response<R>, Status>
    where
        F: Future<Output = Result<tonic::Response<R>, Status>>,
    {
        let (observation, parent) = self.edge.begin(path);
        if let Some(parent) = parent {
            // Handed over as it is, not written and parsed again (`ServerLayer::unary`).
            request.extensions_mut().insert(parent);
        }
        let service = self.service.clone();
        let call = self
            .layer
            .unary(path, request, move |request| method(service, request));
        observation.watch(call, |_| tonic::Code::Ok).await
    }
}
