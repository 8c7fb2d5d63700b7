//! The cart's place in a node: it reads prices from the catalog.

use platform::registry::{Built, Context, Process};

use crate::{Cart, Config};

/// The cart in the binary's registry.
#[derive(Debug)]
pub struct Plugin;

impl platform::registry::Plugin for Plugin {
    type Config = Config;
    const NAME: &'static str = "cart";
    const CALLS: &'static [&'static str] = &["catalog"];

    fn unresolved() -> Config {
        Config {
            database_url: String::new(),
            ..Config::default()
        }
    }

    fn resolve(config: &mut Config, process: &Process) {
        process.fill_database_url(&mut config.database_url, Self::NAME);
    }

    async fn build(config: &Config, context: &mut Context<'_>) -> anyhow::Result<Built> {
        let cart = Cart::build(config, context.transport("catalog")?).await?;
        Ok(Built::default().grpc(cart.grpc()).handle(cart))
    }
}
