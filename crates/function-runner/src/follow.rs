//! A runner kept current from the functions service: its deployments as they change, modules
//! by digest, key-value spaces and reports over gRPC, with this process's own token.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use platform::auth::TokenSource;
use platform::transport::{Transport, request};
use proto::functions as pb;
use proto::functions::functions_client::FunctionsClient;

use crate::{Runner, Source};

/// How long a broken watch waits before it opens again.
const RETRY: Duration = Duration::from_secs(1);

fn client(transport: &Transport) -> FunctionsClient<Transport> {
    FunctionsClient::new(transport.clone()).max_decoding_message_size(16 * 1024 * 1024)
}

/// Modules and reports through the functions service.
pub struct GrpcSource {
    functions: Transport,
    token: Arc<dyn TokenSource>,
}

impl GrpcSource {
    pub fn new(functions: Transport, token: Arc<dyn TokenSource>) -> GrpcSource {
        GrpcSource { functions, token }
    }
}

impl Source for GrpcSource {
    fn module(&self, digest: &str) -> BoxFuture<'static, anyhow::Result<Vec<u8>>> {
        let (mut client, token, digest) = (
            client(&self.functions),
            self.token.clone(),
            digest.to_owned(),
        );
        Box::pin(async move {
            let token = token.token().await?;
            let module = client
                .get_module(request(pb::GetModuleRequest { digest }, &token))
                .await?;
            Ok(module.into_inner().module)
        })
    }

    fn report(&self, invocations: Vec<pb::Invocation>) -> BoxFuture<'static, anyhow::Result<()>> {
        let (mut client, token) = (client(&self.functions), self.token.clone());
        Box::pin(async move {
            let token = token.token().await?;
            client
                .report_invocations(request(pb::InvocationReport { invocations }, &token))
                .await?;
            Ok(())
        })
    }
}

/// Functions' key-value spaces through the functions service.
pub struct GrpcKeyValue {
    functions: Transport,
    token: Arc<dyn TokenSource>,
}

impl GrpcKeyValue {
    pub fn new(functions: Transport, token: Arc<dyn TokenSource>) -> GrpcKeyValue {
        GrpcKeyValue { functions, token }
    }
}

impl sandbox::KeyValue for GrpcKeyValue {
    fn get(
        &self,
        function: &str,
        key: &str,
    ) -> BoxFuture<'static, Result<Option<Vec<u8>>, String>> {
        let (mut client, token) = (client(&self.functions), self.token.clone());
        let asked = pb::KvGetRequest {
            function: function.to_owned(),
            key: key.to_owned(),
        };
        Box::pin(async move {
            let token = token
                .token()
                .await
                .map_err(|status| status.message().to_owned())?;
            let value = client
                .kv_get(request(asked, &token))
                .await
                .map_err(|status| status.message().to_owned())?;
            let value = value.into_inner();
            Ok(value.found.then_some(value.value))
        })
    }

    fn set(
        &self,
        function: &str,
        key: &str,
        value: Vec<u8>,
    ) -> BoxFuture<'static, Result<(), String>> {
        let (mut client, token) = (client(&self.functions), self.token.clone());
        let asked = pb::KvSetRequest {
            function: function.to_owned(),
            key: key.to_owned(),
            value,
        };
        Box::pin(async move {
            let token = token
                .token()
                .await
                .map_err(|status| status.message().to_owned())?;
            client
                .kv_set(request(asked, &token))
                .await
                .map_err(|status| status.message().to_owned())?;
            Ok(())
        })
    }
}

/// Keeps `runner` serving the functions service's deployments until `shutdown`: watches them,
/// applies each change, and opens the watch again a second after it breaks.
pub async fn follow(
    runner: Runner,
    functions: Transport,
    token: Arc<dyn TokenSource>,
    shutdown: platform::Shutdown,
) {
    loop {
        let watched = tokio::select! {
            _ = shutdown.wait() => return,
            watched = watch(&runner, &functions, &token) => watched,
        };
        if let Err(error) = watched {
            tracing::warn!(
                error = format!("{error:#}"),
                "watch the functions' deployments; again in a second"
            );
        }
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = tokio::time::sleep(RETRY) => {}
        }
    }
}

async fn watch(
    runner: &Runner,
    functions: &Transport,
    token: &Arc<dyn TokenSource>,
) -> anyhow::Result<()> {
    let token = token.token().await?;
    let mut stream = client(functions)
        .watch_deployments(request(pb::WatchDeploymentsRequest {}, &token))
        .await?
        .into_inner();
    while let Some(deployments) = stream.message().await? {
        runner.apply(deployments).await;
    }
    anyhow::bail!("the functions service ended the watch")
}
