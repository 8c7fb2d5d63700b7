//! The notifications service against a real identity provider and the in-process bus: one email
//! per order outcome, whatever the redeliveries, and retries when sending fails.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use events::Envelope;
use events::checkout::OrderCompleted;
use futures_util::future::BoxFuture;
use identity_for_tests as identity;
use notifications::mailbox::{Email, Sender};
use notifications::{Config, Dependencies, Notifications};
use platform::bus::{EventBus, InProcessBus};
use platform::grpc::ServerLayer;
use test_support::{StaticToken, TestIssuer};

struct TestNotifications {
    notifications: Notifications,
    bus: InProcessBus,
    user_id: String,
    shutdown: platform::Shutdown,
}

impl Drop for TestNotifications {
    fn drop(&mut self) {
        self.shutdown.trigger();
    }
}

async fn spawn(engine: &str, sender: Option<Arc<dyn Sender>>) -> TestNotifications {
    test_support::install_crypto();
    let identity = identity::Identity::build(identity::Config {
        database_url: test_support::fresh_database_url("sqlite").await.unwrap(),
        issuer: test_support::ISSUER.to_owned(),
        argon2_memory_kib: 256,
        ..identity::Config::default()
    })
    .await
    .unwrap();
    identity
        .ensure_user("ada@example.com", "correct horse battery", "Ada")
        .await
        .unwrap();
    let user_id = identity
        .user_id_by_email("ada@example.com")
        .await
        .unwrap()
        .unwrap();
    let issuer = TestIssuer::new();
    let layer = ServerLayer::new(issuer.verifier(), identity::PUBLIC_METHODS);
    let bus = InProcessBus::new();
    let mailbox = std::env::temp_dir().join(format!(
        "emporium-mailbox-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let config = Config {
        database_url: test_support::fresh_database_url(engine).await.unwrap(),
        mailbox_dir: mailbox.display().to_string(),
        max_deliver: 5,
    };
    let dependencies = Dependencies {
        identity: platform::transport::in_process(
            tonic::service::Routes::new(identity.grpc()),
            layer,
        ),
        service_token: Arc::new(StaticToken(
            issuer
                .service_token(
                    "notifications",
                    &proto::scopes::joined(notifications::SERVICE_SCOPES),
                )
                .into(),
        )),
        bus: Arc::new(bus.clone()),
    };
    let mut notifications = Notifications::build(&config, dependencies).await.unwrap();
    if let Some(sender) = sender {
        notifications = notifications.with_sender(sender);
    }
    let shutdown = platform::Shutdown::new();
    tokio::spawn(notifications.consume(shutdown.clone()).await.unwrap());
    TestNotifications {
        notifications,
        bus,
        user_id,
        shutdown,
    }
}

fn completed(user_id: &str, confirmed: bool) -> Envelope {
    let event = OrderCompleted {
        order_id: "order-1".to_owned(),
        user_id: user_id.to_owned(),
        confirmed,
        failure_reason: if confirmed {
            String::new()
        } else {
            "the payment was declined (card_declined)".to_owned()
        },
        lines: Vec::new(),
    };
    Envelope::new(uuid::Uuid::new_v4().to_string(), &event, 0)
}

#[tokio::test]
async fn each_order_outcome_is_mailed_once_however_often_it_is_delivered() {
    for engine in test_support::engines() {
        each_outcome_mailed_once(engine).await;
    }
}

async fn each_outcome_mailed_once(engine: &str) {
    let app = spawn(engine, None).await;
    let envelope = completed(&app.user_id, true);
    for _ in 0..3 {
        app.bus
            .publish(<OrderCompleted as events::Event>::SUBJECT, envelope.clone())
            .await
            .unwrap();
    }
    let messages = app
        .notifications
        .mailbox()
        .messages("ada@example.com")
        .unwrap();
    assert_eq!(messages.len(), 1, "three deliveries, one email");
    assert!(
        messages[0].contains("Subject: Your order order-1 is confirmed"),
        "{}",
        messages[0]
    );
    assert!(messages[0].contains("Hello Ada"));
    assert_eq!(
        app.notifications.sent_to("ada@example.com").await.unwrap(),
        1
    );

    app.bus
        .publish(
            <OrderCompleted as events::Event>::SUBJECT,
            completed(&app.user_id, false),
        )
        .await
        .unwrap();
    let messages = app
        .notifications
        .mailbox()
        .messages("ada@example.com")
        .unwrap();
    assert_eq!(messages.len(), 2);
    assert!(
        messages
            .iter()
            .any(|message| message.contains("could not be completed")
                && message.contains("declined"))
    );
}

/// An email provider that is down for its first `failures` calls, as providers sometimes are.
struct FlakyProvider {
    failures: u32,
    calls: AtomicU32,
    inner: notifications::mailbox::Mailbox,
}

impl Sender for FlakyProvider {
    fn send<'a>(&'a self, email: &'a Email) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            if self.calls.fetch_add(1, Ordering::SeqCst) < self.failures {
                anyhow::bail!("the provider answered 503");
            }
            self.inner.send(email).await
        })
    }
}

#[tokio::test]
async fn a_failed_send_is_retried_until_it_goes_through() {
    let folder =
        std::env::temp_dir().join(format!("emporium-flaky-{}", uuid::Uuid::new_v4().simple()));
    let provider = Arc::new(FlakyProvider {
        failures: 2,
        calls: AtomicU32::new(0),
        inner: notifications::mailbox::Mailbox::new(&folder),
    });
    let app = spawn("sqlite", Some(provider.clone())).await;
    let publishing = app.bus.publish(
        <OrderCompleted as events::Event>::SUBJECT,
        completed(&app.user_id, true),
    );
    tokio::time::timeout(Duration::from_secs(10), publishing)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        provider.calls.load(Ordering::SeqCst),
        3,
        "two failures, then it went through"
    );
    assert_eq!(provider.inner.messages("ada@example.com").unwrap().len(), 1);
    assert!(app.bus.dead_letters().is_empty());
}
