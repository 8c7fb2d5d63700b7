//! The payments service's place in a node: its relay in the background.

use platform::registry::{Built, Context, Process};

use crate::{Config, Payments};

/// The payments service in the binary's registry.
#[derive(Debug)]
pub struct Plugin;

impl platform::registry::Plugin for Plugin {
    type Config = Config;
    const NAME: &'static str = "payments";

    fn database_url(config: &mut Config) -> Option<&mut String> {
        Some(&mut config.database_url)
    }

    fn resolve(config: &mut Config, process: &Process) {
        process.fill_database_url(&mut config.database_url, Self::NAME);
        if config.vault_key.expose().is_empty() && config.vault_key_file.is_empty() {
            config.vault_key_file = process
                .data_dir
                .join("payments-vault.key")
                .display()
                .to_string();
        }
    }

    async fn build(config: &Config, context: &mut Context<'_>) -> anyhow::Result<Built> {
        let payments = Payments::build(config, context.bus.clone())
            .await?
            .with_faults(context.faults.clone());
        let background = payments.clone();
        context
            .ops
            .watch_outbox("payments", payments.outbox().clone());
        let source = crate::product::Product(payments.store.clone());
        let built = Built::default()
            .grpc(payments.grpc())
            .background(move |shutdown| async move { background.run_background(shutdown).await })
            .handle(payments);
        data_products::export::in_background(
            built,
            context.exports.as_ref(),
            crate::product::CONTRACT,
            source,
        )
    }
}
