//! The orders service's place in a node: the saga calls the cart, the catalog, inventory,
//! payments and shipping with its own token; resuming sagas and the relay run in the background.

use platform::registry::{Built, Context, ServiceClient};

use crate::{Config, Dependencies, Orders};

/// The orders service in the binary's registry.
#[derive(Debug)]
pub struct Plugin;

impl platform::registry::Plugin for Plugin {
    type Config = Config;
    const NAME: &'static str = "orders";
    const CALLS: &'static [&'static str] =
        &["cart", "catalog", "inventory", "payments", "shipping"];
    const CLIENT: Option<ServiceClient> = Some(ServiceClient {
        id: "orders",
        scopes: crate::SERVICE_SCOPES,
    });

    fn database_url(config: &mut Config) -> Option<&mut String> {
        Some(&mut config.database_url)
    }

    async fn build(config: &Config, context: &mut Context<'_>) -> anyhow::Result<Built> {
        let dependencies = Dependencies {
            cart: context.transport("cart")?,
            catalog: context.transport("catalog")?,
            inventory: context.transport("inventory")?,
            payments: context.transport("payments")?,
            shipping: context.transport("shipping")?,
            service_token: context.service_token(Self::CLIENT.expect("orders has a client"))?,
            bus: context.bus.clone(),
            faults: context.faults.clone(),
        };
        let orders = Orders::build(config, dependencies).await?;
        let background = orders.clone();
        context.ops.watch_outbox("orders", orders.outbox().clone());
        let source = crate::product::Product(orders.store.clone());
        let built = Built::default()
            .grpc(orders.grpc())
            .background(move |shutdown| async move { background.run_background(shutdown).await })
            .handle(orders);
        data_products::export::in_background(
            built,
            context.exports.as_ref(),
            crate::product::CONTRACT,
            source,
        )
    }
}
