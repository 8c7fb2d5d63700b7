//! The shipping service's place in a node: the simulated carrier and the relay in the background.

use platform::registry::{Built, Context};

use crate::{Config, Shipping};

/// The shipping service in the binary's registry.
#[derive(Debug)]
pub struct Plugin;

impl platform::registry::Plugin for Plugin {
    type Config = Config;
    const NAME: &'static str = "shipping";

    fn database_url(config: &mut Config) -> Option<&mut String> {
        Some(&mut config.database_url)
    }

    async fn build(config: &Config, context: &mut Context<'_>) -> anyhow::Result<Built> {
        let shipping = Shipping::build(config, context.bus.clone())
            .await?
            .with_faults(context.faults.clone());
        let background = shipping.clone();
        context
            .ops
            .watch_outbox("shipping", shipping.outbox().clone());
        Ok(Built::default()
            .grpc(shipping.grpc())
            .background(move |shutdown| async move { background.run_background(shutdown).await })
            .handle(shipping))
    }
}
