//! The catalog's place in a node: seeded with the demo catalog on a first start.

use platform::registry::{Built, Context};

use crate::{Catalog, Config};

/// The catalog in the binary's registry.
#[derive(Debug)]
pub struct Plugin;

impl platform::registry::Plugin for Plugin {
    type Config = Config;
    const NAME: &'static str = "catalog";

    fn database_url(config: &mut Config) -> Option<&mut String> {
        Some(&mut config.database_url)
    }

    async fn build(config: &Config, context: &mut Context<'_>) -> anyhow::Result<Built> {
        let catalog = Catalog::build(config).await?;
        context.first_start.seeded_products = catalog
            .seed_if_empty(&mut *context.seed_progress)
            .await
            .map_err(anyhow::Error::from)
            .map_err(|error| error.context("seed the catalog"))?;
        Ok(Built::default().grpc(catalog.grpc()).handle(catalog))
    }
}
