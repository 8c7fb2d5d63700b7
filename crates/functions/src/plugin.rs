//! The functions service's place in a node: its gRPC service, and the task that follows the
//! deployment revision so other replicas' changes reach this one's watchers.

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

    async fn build(config: &Config, _context: &mut Context<'_>) -> anyhow::Result<Built> {
        let functions = Functions::build(config).await?;
        let following = functions.clone();
        Ok(Built::default()
            .grpc(functions.grpc())
            .background(move |shutdown| following.follow_revision(shutdown))
            .handle(functions))
    }
}
