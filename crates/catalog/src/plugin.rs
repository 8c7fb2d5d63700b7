//! The catalog's place in a node: seeded with the demo catalog on a first start, the seed
//! embedded before it serves; its search's in-stock filter reads inventory with the caller's
//! token, and the search index is kept current in the background. Callers in the same process
//! get its methods to call without the codec (`Context::direct`).

use platform::registry::{Built, Context};

use crate::{Catalog, Config, Stock};

/// The catalog in the binary's registry.
#[derive(Debug)]
pub struct Plugin;

impl platform::registry::Plugin for Plugin {
    type Config = Config;
    const NAME: &'static str = "catalog";
    const CALLS: &'static [&'static str] = &["inventory"];

    fn database_url(config: &mut Config) -> Option<&mut String> {
        Some(&mut config.database_url)
    }

    async fn build(config: &Config, context: &mut Context<'_>) -> anyhow::Result<Built> {
        let stock: Stock = proto::inventory::inventory_client::InventoryClient::new(
            context.transport("inventory")?,
        );
        let catalog = Catalog::build(config, Some(stock))
            .await?
            .with_events(context.bus.clone());
        if let Some(outbox) = catalog.outbox() {
            context.ops.watch_outbox("catalog", outbox.clone());
        }
        context.first_start.seeded_products = catalog
            .seed_if_empty(&mut *context.seed_progress)
            .await
            .map_err(anyhow::Error::from)
            .map_err(|error| error.context("seed the catalog"))?;
        catalog
            .embed_missing(config.search.embed_at_start)
            .await
            .map_err(|error| error.context("embed the catalog"))?;
        let background = catalog.clone();
        let source = crate::product::Product(catalog.store.clone());
        let built = Built::default()
            .grpc(catalog.grpc())
            .share(catalog.rpc())
            .background(move |shutdown| async move { background.run_background(shutdown).await })
            .handle(catalog);
        data_products::export::in_background(
            built,
            context.exports.as_ref(),
            crate::product::CONTRACT,
            source,
        )
    }
}
