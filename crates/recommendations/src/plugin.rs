//! The recommendations service's place in a node: its durable consumer of completed orders,
//! bound before any relay of the process runs so that no order is published while nobody
//! listens, and its gRPC service, which reads products from the catalog with the caller's token.

use platform::Shutdown;
use platform::registry::{Built, Context};

use crate::{Config, Recommendations};

/// The recommendations service in the binary's registry.
#[derive(Debug)]
pub struct Plugin;

impl platform::registry::Plugin for Plugin {
    type Config = Config;
    const NAME: &'static str = "recommendations";
    const CALLS: &'static [&'static str] = &["catalog"];

    fn database_url(config: &mut Config) -> Option<&mut String> {
        Some(&mut config.database_url)
    }

    async fn build(config: &Config, context: &mut Context<'_>) -> anyhow::Result<Built> {
        let recommendations =
            Recommendations::build(config, context.transport("catalog")?, context.bus.clone())
                .await?;
        let consuming = recommendations.consume(Shutdown::new()).await?;
        Ok(Built::default()
            .grpc(recommendations.grpc())
            .background(move |shutdown| async move {
                tokio::select! {
                    _ = consuming => {}
                    _ = shutdown.wait() => {}
                }
            })
            .handle(recommendations))
    }
}
