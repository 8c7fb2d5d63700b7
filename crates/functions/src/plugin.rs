//! The functions service's place in a node: its gRPC service; its durable consumer, bound
//! before any relay of the process runs; the worker that delivers events to functions, the
//! relay of what they emit, and the tasks that follow the deployments. It shares its runner
//! with the gateway when both run in one process.

use platform::Shutdown;
use platform::registry::{Built, Context};

use crate::{Config, Functions};

/// The functions service in the binary's registry.
#[derive(Debug)]
pub struct Plugin;

impl platform::registry::Plugin for Plugin {
    type Config = Config;
    const NAME: &'static str = "functions";

    fn database_url(config: &mut Config) -> Option<&mut String> {
        Some(&mut config.database_url)
    }

    async fn build(config: &Config, context: &mut Context<'_>) -> anyhow::Result<Built> {
        let functions = Functions::build(config, context.bus.clone()).await?;
        context
            .ops
            .watch_outbox("functions", functions.outbox().clone());
        let consuming = functions.consume(Shutdown::new()).await?;
        let (following, current, delivering, reporting, relaying, sending) = (
            functions.clone(),
            functions.clone(),
            functions.clone(),
            functions.clone(),
            functions.clone(),
            functions.clone(),
        );
        Ok(Built::default()
            .grpc(functions.grpc())
            .share(functions.runner().clone())
            .background(move |shutdown| following.follow_revision(shutdown))
            .background(move |shutdown| current.keep_runner_current(shutdown))
            .background(move |shutdown| delivering.deliver(shutdown))
            .background(move |shutdown| sending.send_webhooks(shutdown))
            .background(move |shutdown| reporting.report(shutdown))
            .background(move |shutdown| async move { relaying.outbox().run_relay(shutdown).await })
            .background(move |shutdown| async move {
                tokio::select! {
                    _ = consuming => {}
                    _ = shutdown.wait() => {}
                }
            })
            .handle(functions))
    }
}
