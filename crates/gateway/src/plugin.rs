//! The gateway's place in a node: the REST edge and the storefront, which call identity, the
//! catalog, the cart, orders, inventory and recommendations with the caller's token (or the
//! gateway's own), and
//! the fault switches of every service that reads faults.

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
        // Stock levels for the storefront, and the fault switches (with an administrator's token).
        "inventory",
        // Also bought, popular and for you.
        "recommendations",
        // Only to switch their faults, with an administrator's token.
        "payments",
        "shipping",
        // Deploying functions (an administrator's token); running them (its own).
        "functions",
        // OpenAI's embeddings and models under /v1, with the caller's token.
        "inference",
    ];
    /// Its own token reads the catalog and stock levels for anonymous visitors.
    const CLIENT: Option<ServiceClient> = Some(ServiceClient {
        id: "gateway",
        scopes: &[
            proto::scopes::CATALOG_READ,
            proto::scopes::INVENTORY_READ,
            proto::scopes::FUNCTIONS_RUN,
        ],
    });

    fn resolve(config: &mut Config, process: &platform::registry::Process) {
        config.storefront.resolve(process);
    }

    async fn build(config: &Config, context: &mut Context<'_>) -> anyhow::Result<Built> {
        let mut faults = BTreeMap::new();
        for service in platform::faults::OWNERS {
            faults.insert(*service, context.faults_transport(service)?);
        }
        let service_token =
            context.service_token(Self::CLIENT.expect("the gateway has a client"))?;
        let functions = context.transport("functions")?;
        // The functions service's own runner when it runs here: one runtime a process.
        let local = context.shared::<function_runner::Runner>();
        let runner = match &local {
            Some(runner) => runner.clone(),
            None => remote_runner(config, &functions, &service_token)?,
        };
        let dependencies = Dependencies {
            identity: context.transport("identity")?,
            catalog: context.transport("catalog")?,
            catalog_direct: context.direct("catalog")?,
            cart: context.transport("cart")?,
            orders: context.transport("orders")?,
            inventory: context.transport("inventory")?,
            recommendations: context.transport("recommendations")?,
            functions: functions.clone(),
            inference: context.transport("inference")?,
            runner: runner.clone(),
            service_token: service_token.clone(),
            verifier: context.verifier.clone(),
            faults,
            ops: context.ops_transports()?,
        };
        let router = crate::router(config, dependencies)?;
        let built = Built::default()
            .router(router)
            .around_http(crate::around_http(runner.clone()));
        if local.is_some() {
            return Ok(built);
        }
        let reporting = runner.clone();
        Ok(built
            .background(move |shutdown| {
                function_runner::follow(runner, functions, service_token, shutdown)
            })
            .background(move |shutdown| reporting.report_loop(shutdown)))
    }
}

/// A runner of the gateway's own, for a process without the functions service: it follows the
/// deployments, fetches modules, keeps state and reports over gRPC.
fn remote_runner(
    config: &Config,
    functions: &platform::transport::Transport,
    service_token: &std::sync::Arc<dyn platform::auth::TokenSource>,
) -> anyhow::Result<function_runner::Runner> {
    function_runner::Runner::new(
        config.function_instances,
        std::sync::Arc::new(function_runner::GrpcKeyValue::new(
            functions.clone(),
            service_token.clone(),
        )),
        std::sync::Arc::new(function_runner::GrpcSource::new(
            functions.clone(),
            service_token.clone(),
        )),
        &replica_name(),
    )
}

/// This process's name in the invocations it reports: the host and the process id.
fn replica_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "gateway".to_owned());
    format!("{host}/{}", std::process::id())
}
