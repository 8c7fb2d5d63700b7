//! Inventory's integration tests: reservations over both transports and both engines, under
//! concurrency, with expiry, live levels and the events they publish.

mod reservations;

use std::sync::Arc;

use inventory::{Config, Inventory};
use platform::bus::InProcessBus;
use platform::grpc::ServerLayer;
use proto::inventory as pb;
use proto::inventory::inventory_client::InventoryClient;
use test_support::{BothTransports, TestIssuer};

pub struct TestInventory {
    pub inventory: Inventory,
    pub transports: BothTransports,
    pub issuer: TestIssuer,
    pub bus: InProcessBus,
}

pub type Client = InventoryClient<platform::transport::Transport>;

impl TestInventory {
    pub async fn spawn(engine: &str) -> TestInventory {
        test_support::install_crypto();
        let config = Config {
            database_url: test_support::fresh_database_url(engine).await.unwrap(),
            sweep_interval_ms: 50,
        };
        let bus = InProcessBus::new();
        let inventory = Inventory::build(&config, Arc::new(bus.clone()))
            .await
            .unwrap();
        let issuer = TestIssuer::new();
        let layer = ServerLayer::new(issuer.verifier(), &[]);
        let transports =
            test_support::both_transports(tonic::service::Routes::new(inventory.grpc()), layer)
                .await
                .unwrap();
        let background = inventory.clone();
        let shutdown = transports.shutdown.clone();
        tokio::spawn(async move { background.run_background(shutdown).await });
        TestInventory {
            inventory,
            transports,
            issuer,
            bus,
        }
    }

    /// The orders service's token: it may reserve.
    pub fn orders_token(&self) -> String {
        self.issuer
            .service_token("orders", "inventory.read inventory.reserve")
    }

    pub fn admin_token(&self) -> String {
        self.issuer
            .service_token("admin", "inventory.read inventory.admin")
    }

    pub async fn stock(&self, client: &mut Client, sku: &str, on_hand: i64) {
        let request = pb::SetStockRequest {
            sku: sku.to_owned(),
            on_hand,
        };
        client
            .set_stock(platform::transport::request(request, &self.admin_token()))
            .await
            .unwrap();
    }
}

pub fn reserve(id: &str, lines: &[(&str, u32)], ttl_seconds: u32) -> pb::ReserveRequest {
    pb::ReserveRequest {
        reservation_id: id.to_owned(),
        lines: lines
            .iter()
            .map(|(sku, quantity)| pb::ReservationLine {
                sku: (*sku).to_owned(),
                quantity: *quantity,
            })
            .collect(),
        ttl_seconds,
    }
}

pub async fn level(client: &mut Client, token: &str, sku: &str) -> pb::StockLevel {
    let request = pb::GetStockRequest {
        skus: vec![sku.to_owned()],
    };
    client
        .get_stock(platform::transport::request(request, token))
        .await
        .unwrap()
        .into_inner()
        .levels
        .remove(0)
}
