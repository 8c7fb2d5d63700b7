//! The inference service's place in a node: its gRPC service, and the task that keeps its
//! registry current with the other replicas' changes.

use platform::registry::{Built, Context};

use crate::{Config, Inference};

/// The inference service in the binary's registry.
#[derive(Debug)]
pub struct Plugin;

impl platform::registry::Plugin for Plugin {
    type Config = Config;
    const NAME: &'static str = "inference";

    fn database_url(config: &mut Config) -> Option<&mut String> {
        Some(&mut config.database_url)
    }

    async fn build(config: &Config, _context: &mut Context<'_>) -> anyhow::Result<Built> {
        let inference = Inference::build(config).await?;
        let following = inference.clone();
        Ok(Built::default()
            .grpc(inference.grpc())
            .background(move |shutdown| following.follow_registry(shutdown))
            .handle(inference))
    }
}
