//! The cart's place in a node: it reads prices from the catalog, and its live sessions watch
//! stock levels at inventory.

use platform::registry::{Built, Context};

use crate::{Cart, Config};

/// The cart in the binary's registry.
#[derive(Debug)]
pub struct Plugin;

impl platform::registry::Plugin for Plugin {
    type Config = Config;
    const NAME: &'static str = "cart";
    const CALLS: &'static [&'static str] = &["catalog", "inventory"];

    fn database_url(config: &mut Config) -> Option<&mut String> {
        Some(&mut config.database_url)
    }

    async fn build(config: &Config, context: &mut Context<'_>) -> anyhow::Result<Built> {
        let cart = Cart::build(
            config,
            context.transport("catalog")?,
            context.transport("inventory")?,
        )
        .await?;
        Ok(Built::default().grpc(cart.grpc()).handle(cart))
    }
}
