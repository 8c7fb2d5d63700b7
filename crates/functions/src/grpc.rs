//! The `Functions` gRPC service: proto messages in, one call to the service, proto messages
//! out. Deploying and reading functions needs `functions.admin`; what the processes that run
//! functions call (deployments, modules, key-value spaces, reports) needs `functions.run`.

pub(crate) mod convert;
mod webhooks;

use std::pin::Pin;

use futures_util::Stream;
use proto::functions as pb;
use proto::functions::functions_server::{Functions as FunctionsRpc, FunctionsServer};
use proto::scopes::{FUNCTIONS_ADMIN, FUNCTIONS_RUN};
use tonic::{Request, Response, Status};

use crate::Functions;
use crate::grpc::convert::{function, invocation, limits, shares, triggers};

/// The gRPC face of `Functions`.
#[derive(Clone, Debug)]
pub struct FunctionsGrpc {
    functions: Functions,
}

impl FunctionsGrpc {
    pub(crate) fn server(functions: Functions) -> FunctionsServer<Self> {
        // Modules are up to a few megabytes; tonic's default limit is 4 MiB.
        FunctionsServer::new(FunctionsGrpc { functions })
            .max_decoding_message_size(16 * 1024 * 1024)
            .max_encoding_message_size(16 * 1024 * 1024)
    }
}

type Watch = Pin<Box<dyn Stream<Item = Result<pb::Deployments, Status>> + Send>>;

#[tonic::async_trait]
impl FunctionsRpc for FunctionsGrpc {
    #[tracing::instrument(skip_all)]
    async fn deploy(
        &self,
        request: Request<pb::DeployRequest>,
    ) -> Result<Response<pb::Function>, Status> {
        platform::auth::authorize(&request, FUNCTIONS_ADMIN)?;
        let message = request.into_inner();
        let deploy = crate::Deploy {
            name: message.name,
            module: message.module,
            limits: limits(message.limits),
            grants: sandbox::Grants {
                kv: message.grants.as_ref().is_some_and(|grants| grants.kv),
                emit: message.grants.map(|grants| grants.emit).unwrap_or_default(),
            },
            note: message.note,
            keep_traffic: message.keep_traffic,
        };
        Ok(Response::new(function(
            self.functions.deploy(deploy).await?,
        )))
    }

    #[tracing::instrument(skip_all)]
    async fn list_functions(
        &self,
        request: Request<pb::ListFunctionsRequest>,
    ) -> Result<Response<pb::FunctionList>, Status> {
        platform::auth::authorize(&request, FUNCTIONS_ADMIN)?;
        let functions = self
            .functions
            .functions()
            .await?
            .into_iter()
            .map(function)
            .collect();
        Ok(Response::new(pb::FunctionList { functions }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_function(
        &self,
        request: Request<pb::GetFunctionRequest>,
    ) -> Result<Response<pb::Function>, Status> {
        platform::auth::authorize(&request, FUNCTIONS_ADMIN)?;
        Ok(Response::new(function(
            self.functions.function(&request.get_ref().name).await?,
        )))
    }

    #[tracing::instrument(skip_all)]
    async fn set_traffic(
        &self,
        request: Request<pb::SetTrafficRequest>,
    ) -> Result<Response<pb::Function>, Status> {
        platform::auth::authorize(&request, FUNCTIONS_ADMIN)?;
        let message = request.get_ref();
        let view = self
            .functions
            .set_traffic(&message.name, &shares(&message.traffic))
            .await?;
        Ok(Response::new(function(view)))
    }

    #[tracing::instrument(skip_all)]
    async fn rollback(
        &self,
        request: Request<pb::RollbackRequest>,
    ) -> Result<Response<pb::Function>, Status> {
        platform::auth::authorize(&request, FUNCTIONS_ADMIN)?;
        let message = request.get_ref();
        Ok(Response::new(function(
            self.functions
                .rollback(&message.name, message.version)
                .await?,
        )))
    }

    #[tracing::instrument(skip_all)]
    async fn set_triggers(
        &self,
        request: Request<pb::SetTriggersRequest>,
    ) -> Result<Response<pb::Function>, Status> {
        platform::auth::authorize(&request, FUNCTIONS_ADMIN)?;
        let message = request.into_inner();
        let wanted = triggers(message.triggers.unwrap_or_default());
        Ok(Response::new(function(
            self.functions.set_triggers(&message.name, wanted).await?,
        )))
    }

    type WatchDeploymentsStream = Watch;

    #[tracing::instrument(skip_all)]
    async fn watch_deployments(
        &self,
        request: Request<pb::WatchDeploymentsRequest>,
    ) -> Result<Response<Watch>, Status> {
        platform::auth::authorize(&request, FUNCTIONS_RUN)?;
        let functions = self.functions.clone();
        let stream = futures_util::stream::unfold(None, move |seen: Option<u64>| {
            let functions = functions.clone();
            async move {
                if let Some(seen) = seen {
                    functions.next_revision(seen).await;
                }
                let answer = functions.deployments().await.map_err(Status::from);
                let next = answer
                    .as_ref()
                    .map_or(seen, |(revision, _)| Some(*revision));
                let message = answer.map(|(revision, views)| pb::Deployments {
                    revision,
                    functions: views.into_iter().map(function).collect(),
                });
                Some((message, next.or(Some(0))))
            }
        });
        Ok(Response::new(Box::pin(stream)))
    }

    #[tracing::instrument(skip_all)]
    async fn get_module(
        &self,
        request: Request<pb::GetModuleRequest>,
    ) -> Result<Response<pb::Module>, Status> {
        platform::auth::authorize(&request, FUNCTIONS_RUN)?;
        let digest = request.into_inner().digest;
        let module = self.functions.module(&digest).await?;
        Ok(Response::new(pb::Module { digest, module }))
    }

    #[tracing::instrument(skip_all)]
    async fn kv_get(
        &self,
        request: Request<pb::KvGetRequest>,
    ) -> Result<Response<pb::KvValue>, Status> {
        platform::auth::authorize(&request, FUNCTIONS_RUN)?;
        let message = request.get_ref();
        let value = self
            .functions
            .kv_get(&message.function, &message.key)
            .await?;
        Ok(Response::new(pb::KvValue {
            found: value.is_some(),
            value: value.unwrap_or_default(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn kv_set(
        &self,
        request: Request<pb::KvSetRequest>,
    ) -> Result<Response<pb::KvSetResponse>, Status> {
        platform::auth::authorize(&request, FUNCTIONS_RUN)?;
        let message = request.get_ref();
        self.functions
            .kv_set(&message.function, &message.key, &message.value)
            .await?;
        Ok(Response::new(pb::KvSetResponse {}))
    }

    #[tracing::instrument(skip_all)]
    async fn report_invocations(
        &self,
        request: Request<pb::InvocationReport>,
    ) -> Result<Response<pb::ReportInvocationsResponse>, Status> {
        platform::auth::authorize(&request, FUNCTIONS_RUN)?;
        self.functions
            .record(request.into_inner().invocations)
            .await?;
        Ok(Response::new(pb::ReportInvocationsResponse {}))
    }

    #[tracing::instrument(skip_all)]
    async fn list_invocations(
        &self,
        request: Request<pb::ListInvocationsRequest>,
    ) -> Result<Response<pb::InvocationList>, Status> {
        platform::auth::authorize(&request, FUNCTIONS_ADMIN)?;
        let message = request.get_ref();
        let limit = match message.limit {
            0 => 50,
            limit => limit.min(500),
        };
        let rows = self.functions.invocations(&message.name, limit).await?;
        Ok(Response::new(pb::InvocationList {
            invocations: rows.into_iter().map(invocation).collect(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_dead_deliveries(
        &self,
        request: Request<pb::ListDeadDeliveriesRequest>,
    ) -> Result<Response<pb::DeadDeliveryList>, Status> {
        platform::auth::authorize(&request, FUNCTIONS_ADMIN)?;
        let message = request.get_ref();
        let limit = match message.limit {
            0 => 50,
            limit => limit.min(500),
        };
        let dead = self.functions.dead_deliveries(&message.name, limit).await?;
        let deliveries = dead
            .into_iter()
            .map(|dead| pb::DeadDelivery {
                event_id: dead.event_id,
                event_type: dead.event_type,
                attempts: dead.attempts,
                last_error: dead.last_error,
            })
            .collect();
        Ok(Response::new(pb::DeadDeliveryList { deliveries }))
    }

    #[tracing::instrument(skip_all)]
    async fn replay_delivery(
        &self,
        request: Request<pb::ReplayDeliveryRequest>,
    ) -> Result<Response<pb::ReplayDeliveryResponse>, Status> {
        platform::auth::authorize(&request, FUNCTIONS_ADMIN)?;
        let message = request.get_ref();
        self.functions
            .replay_delivery(&message.name, &message.event_id)
            .await?;
        Ok(Response::new(pb::ReplayDeliveryResponse {}))
    }

    async fn create_webhook_endpoint(
        &self,
        request: Request<pb::CreateWebhookEndpointRequest>,
    ) -> Result<Response<pb::WebhookEndpoint>, Status> {
        webhooks::create(&self.functions, request).await
    }

    async fn list_webhook_endpoints(
        &self,
        request: Request<pb::ListWebhookEndpointsRequest>,
    ) -> Result<Response<pb::WebhookEndpointList>, Status> {
        webhooks::list(&self.functions, request).await
    }

    async fn delete_webhook_endpoint(
        &self,
        request: Request<pb::DeleteWebhookEndpointRequest>,
    ) -> Result<Response<pb::DeleteWebhookEndpointResponse>, Status> {
        webhooks::delete(&self.functions, request).await
    }

    async fn list_webhook_deliveries(
        &self,
        request: Request<pb::ListWebhookDeliveriesRequest>,
    ) -> Result<Response<pb::WebhookDeliveryList>, Status> {
        webhooks::deliveries(&self.functions, request).await
    }

    async fn replay_webhook_delivery(
        &self,
        request: Request<pb::ReplayWebhookDeliveryRequest>,
    ) -> Result<Response<pb::ReplayWebhookDeliveryResponse>, Status> {
        webhooks::replay(&self.functions, request).await
    }
}
