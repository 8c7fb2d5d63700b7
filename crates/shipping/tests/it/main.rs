//! Shipping's integration tests: shipments over both transports and both engines, one per
//! order, cancellation, the simulated carrier and the events it all publishes.

mod shipments;

use std::sync::Arc;

use platform::bus::InProcessBus;
use platform::grpc::ServerLayer;
use proto::shipping::shipping_client::ShippingClient;
use shipping::{Config, Shipping};
use test_support::{BothTransports, TestIssuer};

pub struct TestShipping {
    pub shipping: Shipping,
    pub transports: BothTransports,
    pub issuer: TestIssuer,
    pub bus: InProcessBus,
}

pub type Client = ShippingClient<platform::transport::Transport>;

impl TestShipping {
    /// Shipping with a carrier that moves on at every round (`carry`), for the tests to drive.
    pub async fn spawn(engine: &str) -> TestShipping {
        test_support::install_crypto();
        let config = Config {
            database_url: test_support::fresh_database_url(engine).await.unwrap(),
            carrier_step_seconds: 0,
        };
        let bus = InProcessBus::new();
        let shipping = Shipping::build(&config, Arc::new(bus.clone()))
            .await
            .unwrap();
        let issuer = TestIssuer::new();
        let layer = ServerLayer::new(issuer.verifier(), &[]);
        let transports =
            test_support::both_transports(tonic::service::Routes::new(shipping.grpc()), layer)
                .await
                .unwrap();
        TestShipping {
            shipping,
            transports,
            issuer,
            bus,
        }
    }

    pub fn orders_token(&self) -> String {
        self.issuer.service_token("orders", "shipping.write")
    }
}

pub fn address(country: &str) -> proto::common::Address {
    proto::common::Address {
        name: "Ada Lovelace".to_owned(),
        line1: "12 St James's Square".to_owned(),
        line2: String::new(),
        city: "London".to_owned(),
        postal_code: "SW1Y 4JH".to_owned(),
        country: country.to_owned(),
    }
}
