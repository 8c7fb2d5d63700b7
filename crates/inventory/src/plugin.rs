//! Inventory's place in a node: the stock of the seed catalog on a first start, the sweeper
//! and the relay in the background.

use anyhow::Context as _;
use platform::registry::{Built, Context};

use crate::{Config, Inventory};

/// Inventory in the binary's registry.
#[derive(Debug)]
pub struct Plugin;

impl platform::registry::Plugin for Plugin {
    type Config = Config;
    const NAME: &'static str = "inventory";

    fn database_url(config: &mut Config) -> Option<&mut String> {
        Some(&mut config.database_url)
    }

    async fn build(config: &Config, context: &mut Context<'_>) -> anyhow::Result<Built> {
        let inventory = Inventory::build(config, context.bus.clone())
            .await?
            .with_faults(context.faults.clone());
        let levels = (context.seed_stock)()?;
        context.first_start.seeded_stock = inventory
            .seed_if_missing(&levels)
            .await
            .context("seed the stock")?;
        let background = inventory.clone();
        context
            .ops
            .watch_outbox("inventory", inventory.outbox().clone());
        let source = crate::product::Product(inventory.store.clone());
        let built = Built::default()
            .grpc(inventory.grpc())
            .background(move |shutdown| async move { background.run_background(shutdown).await })
            .handle(inventory);
        data_products::export::in_background(
            built,
            context.exports.as_ref(),
            crate::product::CONTRACT,
            source,
        )
    }
}
