//! The notifications service's place in a node: its durable consumer, bound before any relay
//! of the process runs so that no event is published while nobody listens.

use platform::Shutdown;
use platform::registry::{Built, Context, Process, ServiceClient};

use crate::{Config, Dependencies, Notifications};

/// The notifications service in the binary's registry.
#[derive(Debug)]
pub struct Plugin;

impl platform::registry::Plugin for Plugin {
    type Config = Config;
    const NAME: &'static str = "notifications";
    const CALLS: &'static [&'static str] = &["identity"];
    const CLIENT: Option<ServiceClient> = Some(ServiceClient {
        id: "notifications",
        scopes: crate::SERVICE_SCOPES,
    });

    fn database_url(config: &mut Config) -> Option<&mut String> {
        Some(&mut config.database_url)
    }

    fn unresolved() -> Config {
        Config {
            database_url: String::new(),
            mailbox_dir: String::new(),
            ..Config::default()
        }
    }

    fn resolve(config: &mut Config, process: &Process) {
        process.fill_database_url(&mut config.database_url, Self::NAME);
        if config.mailbox_dir.is_empty() {
            config.mailbox_dir = process.data_dir.join("mailbox").display().to_string();
        }
    }

    async fn build(config: &Config, context: &mut Context<'_>) -> anyhow::Result<Built> {
        let dependencies = Dependencies {
            identity: context.transport("identity")?,
            service_token: context
                .service_token(Self::CLIENT.expect("notifications has a client"))?,
            bus: context.bus.clone(),
        };
        let notifications = Notifications::build(config, dependencies).await?;
        let consuming = notifications.consume(Shutdown::new()).await?;
        Ok(Built::default()
            .background(move |shutdown| async move {
                tokio::select! {
                    _ = consuming => {}
                    _ = shutdown.wait() => {}
                }
            })
            .handle(notifications))
    }
}
