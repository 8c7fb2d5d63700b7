//! The payment processor's integration tests: both transports, both engines, idempotency under
//! concurrency, declines, card checks, and a ledger that always balances.

mod processor;
mod vault;

use std::sync::Arc;

use payments::{Config, Payments};
use platform::bus::InProcessBus;
use platform::grpc::ServerLayer;
use proto::payments as pb;
use proto::payments::payments_client::PaymentsClient;
use test_support::{BothTransports, TestIssuer};

pub struct TestProcessor {
    pub payments: Payments,
    pub transports: BothTransports,
    pub issuer: TestIssuer,
    pub bus: InProcessBus,
}

pub type Client = PaymentsClient<platform::transport::Transport>;

impl TestProcessor {
    pub async fn spawn(engine: &str, decline_rate: f64) -> TestProcessor {
        let config = Config {
            database_url: test_support::fresh_database_url(engine).await.unwrap(),
            decline_rate,
            ..Config::default()
        };
        TestProcessor::with_config(config).await
    }

    pub async fn with_config(config: Config) -> TestProcessor {
        test_support::install_crypto();
        let bus = InProcessBus::new();
        let payments = Payments::build(&config, Arc::new(bus.clone()))
            .await
            .unwrap();
        let issuer = TestIssuer::new();
        let layer = ServerLayer::new(issuer.verifier(), &[]);
        let transports =
            test_support::both_transports(tonic::service::Routes::new(payments.grpc()), layer)
                .await
                .unwrap();
        let background = payments.clone();
        let shutdown = transports.shutdown.clone();
        tokio::spawn(async move { background.run_background(shutdown).await });
        TestProcessor {
            payments,
            transports,
            issuer,
            bus,
        }
    }

    /// The orders service's token: it may move money.
    pub fn orders_token(&self) -> String {
        self.issuer.service_token("orders", "payments.charge")
    }

    /// Every currency's ledger total; all zero when the books balance.
    pub async fn assert_balanced(&self) {
        for (currency, total) in self.payments.ledger_totals().await.unwrap() {
            assert_eq!(total, 0, "the {currency} ledger does not balance");
        }
    }
}

pub fn card(number: &str) -> pb::Card {
    pb::Card {
        number: number.to_owned(),
        exp_month: 12,
        exp_year: 2035,
        cvc: "123".to_owned(),
        holder: "Ada Lovelace".to_owned(),
    }
}

pub fn authorize(
    key: &str,
    order_id: &str,
    minor_units: i64,
    card: pb::Card,
) -> pb::AuthorizeRequest {
    pb::AuthorizeRequest {
        idempotency_key: key.to_owned(),
        order_id: order_id.to_owned(),
        amount: Some(proto::common::Money {
            minor_units,
            currency: "USD".to_owned(),
        }),
        card: Some(card),
        card_token: String::new(),
    }
}
