//! The notifications service: tells customers how their orders ended.
//!
//! It consumes `emporium.orders.order_completed` as the durable consumer `notifications`, looks
//! the customer up at identity (scope `users.read`), and sends an email through a `Sender` (by
//! default the mailbox on disk, under `mailbox_dir`). A failure naks the event, which comes
//! again after a backoff; the inbox and message ids make a repeat send nothing new.

pub mod mailbox;
mod plugin;
mod store;

pub use crate::plugin::Plugin;

use std::sync::Arc;
use std::time::Duration;

use events::checkout::OrderCompleted;
use events::{Envelope, Event};
use platform::Shutdown;
use platform::auth::TokenSource;
use platform::bus::{ConsumerConfig, EventBus};
use platform::transport::Transport;
use proto::identity::identity_client::IdentityClient;
use serde::{Deserialize, Serialize};

use crate::mailbox::{Email, Mailbox, Sender};
use crate::store::Store;

/// The scopes the notifications service's own token needs.
pub const SERVICE_SCOPES: &[&str] = &[proto::scopes::USERS_READ];

/// The notifications service's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the notifications database is: `sqlite://...` or `postgres://...`.
    pub database_url: String,
    /// The folder of the mailbox on disk that emails are delivered to.
    pub mailbox_dir: String,
    /// How many times an event is tried before it is dead-lettered.
    pub max_deliver: u32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            database_url: "sqlite://.emporium/notifications.db".to_owned(),
            mailbox_dir: ".emporium/mailbox".to_owned(),
            max_deliver: 8,
        }
    }
}

/// What the notifications service talks to.
#[derive(Clone)]
pub struct Dependencies {
    pub identity: Transport,
    /// The service's own token, with `SERVICE_SCOPES`.
    pub service_token: Arc<dyn TokenSource>,
    pub bus: Arc<dyn EventBus>,
}

/// The notifications service. Cheap to clone.
#[derive(Clone)]
pub struct Notifications {
    store: Store,
    sender: Arc<dyn Sender>,
    mailbox: Mailbox,
    identity: IdentityClient<Transport>,
    service_token: Arc<dyn TokenSource>,
    bus: Arc<dyn EventBus>,
    max_deliver: u32,
}

impl std::fmt::Debug for Notifications {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Notifications")
            .field("mailbox", &self.mailbox.root())
            .finish_non_exhaustive()
    }
}

impl Notifications {
    /// Opens the database; emails go to the mailbox on disk.
    pub async fn build(
        config: &Config,
        dependencies: Dependencies,
    ) -> anyhow::Result<Notifications> {
        let store = Store::open(&config.database_url).await?;
        let mailbox = Mailbox::new(&config.mailbox_dir);
        Ok(Notifications {
            store,
            sender: Arc::new(mailbox.clone()),
            mailbox,
            identity: IdentityClient::new(dependencies.identity),
            service_token: dependencies.service_token,
            bus: dependencies.bus,
            max_deliver: config.max_deliver,
        })
    }

    /// Sends through `sender` instead of the mailbox (SMTP, a provider, a test double).
    pub fn with_sender(mut self, sender: Arc<dyn Sender>) -> Notifications {
        self.sender = sender;
        self
    }

    /// The mailbox on disk, to read what was delivered.
    pub fn mailbox(&self) -> &Mailbox {
        &self.mailbox
    }

    /// How many emails were sent to `recipient`.
    pub async fn sent_to(&self, recipient: &str) -> anyhow::Result<i64> {
        self.store.sent_to(recipient).await
    }

    /// Binds the durable consumer; returns the loop that handles its events until `shutdown`.
    pub async fn consume(
        &self,
        shutdown: Shutdown,
    ) -> anyhow::Result<impl Future<Output = ()> + use<>> {
        let config = ConsumerConfig {
            max_deliver: self.max_deliver,
            backoff: vec![
                Duration::from_millis(200),
                Duration::from_secs(1),
                Duration::from_secs(5),
            ],
            ..ConsumerConfig::new(store::CONSUMER, &[OrderCompleted::SUBJECT])
        };
        let consumer = self.bus.consumer(config).await?;
        let notifications = self.clone();
        // The email belongs to the trace of the checkout that caused it.
        Ok(
            consumer.run(store::CONSUMER.to_owned(), shutdown, move |envelope| {
                let notifications = notifications.clone();
                async move { notifications.handle(&envelope).await }
            }),
        )
    }

    /// Handles one event: at most one email per event id.
    pub async fn handle(&self, envelope: &Envelope) -> anyhow::Result<()> {
        if !envelope.is::<OrderCompleted>() || self.store.seen(&envelope.id).await? {
            return Ok(());
        }
        let event: OrderCompleted = envelope.decode()?;
        let token = self
            .service_token
            .token()
            .await
            .map_err(|status| anyhow::anyhow!("get a token: {}", status.message()))?;
        let request = platform::transport::request(
            proto::identity::GetUserRequest {
                user_id: event.user_id.clone(),
            },
            &token,
        );
        let user = self
            .identity
            .clone()
            .get_user(request)
            .await
            .map_err(|status| anyhow::anyhow!("look the user up: {}", status.message()))?
            .into_inner();
        let email = compose(&envelope.id, &user, &event);
        self.sender.send(&email).await?;
        self.store
            .record(
                &envelope.id,
                &email.to,
                &email.subject,
                platform::unix_now(),
            )
            .await?;
        tracing::info!(order_id = %event.order_id, "customer notified");
        Ok(())
    }
}

fn compose(event_id: &str, user: &proto::identity::User, event: &OrderCompleted) -> Email {
    let name = if user.display_name.is_empty() {
        "there"
    } else {
        user.display_name.as_str()
    };
    let (subject, body) = if event.confirmed {
        (
            format!("Your order {} is confirmed", event.order_id),
            format!(
                "Hello {name},\r\n\r\nthank you for your order {}. It is paid and on its way; we will tell you when it ships.\r\n\r\nEmporium",
                event.order_id
            ),
        )
    } else {
        (
            format!("Your order {} could not be completed", event.order_id),
            format!(
                "Hello {name},\r\n\r\nyour order {} could not be completed: {}.\r\nNothing was charged, or it was refunded in full.\r\n\r\nEmporium",
                event.order_id, event.failure_reason
            ),
        )
    };
    Email {
        id: event_id.to_owned(),
        to: user.email.clone(),
        subject,
        body,
    }
}
