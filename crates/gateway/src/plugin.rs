//! The gateway's place in a node: the REST edge, which calls identity, the catalog, the cart and
//! orders with the caller's token, and the fault switches of every service that reads faults.

use std::collections::BTreeMap;

use platform::registry::{Built, Context, ServiceClient};

use crate::{Config, Dependencies};

/// The gateway in the binary's registry.
#[derive(Debug)]
pub struct Plugin;

impl platform::registry::Plugin for Plugin {
    type Config = Config;
    const NAME: &'static str = "gateway";
    const CALLS: &'static [&'static str] = &[
        "identity",
        "catalog",
        "cart",
        "orders",
        // Only to switch their faults, with an administrator's token.
        "inventory",
        "payments",
        "shipping",
    ];
    /// Its own token reads the catalog for anonymous visitors.
    const CLIENT: Option<ServiceClient> = Some(ServiceClient {
        id: "gateway",
        scopes: &[proto::scopes::CATALOG_READ],
    });

    async fn build(config: &Config, context: &mut Context<'_>) -> anyhow::Result<Built> {
        let mut faults = BTreeMap::new();
        for service in platform::faults::OWNERS {
            faults.insert(*service, context.faults_transport(service)?);
        }
        let dependencies = Dependencies {
            identity: context.transport("identity")?,
            catalog: context.transport("catalog")?,
            cart: context.transport("cart")?,
            orders: context.transport("orders")?,
            service_token: context
                .service_token(Self::CLIENT.expect("the gateway has a client"))?,
            verifier: context.verifier.clone(),
            faults,
        };
        Ok(Built::default().router(crate::router(config, dependencies)?))
    }
}
