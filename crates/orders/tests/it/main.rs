//! The checkout saga end to end: the real catalog, cart, inventory, payments and shipping beside
//! orders, on a fresh database each, with faults switched on where a test needs them.

mod checkout;

use std::sync::Arc;

use cart_for_tests as cart;
use catalog_for_tests as catalog;
use inventory_for_tests as inventory;
use orders::{Dependencies, Orders};
use payments_for_tests as payments;
use platform::bus::InProcessBus;
use platform::faults::Faults;
use platform::grpc::ServerLayer;
use platform::transport::{Transport, in_process, request};
use proto::cart::cart_client::CartClient;
use proto::inventory::inventory_client::InventoryClient;
use proto::orders::orders_client::OrdersClient;
use shipping_for_tests as shipping;
use test_support::{StaticToken, TestIssuer};
use tonic::service::Routes;

pub struct TestShop {
    pub orders: Orders,
    /// Where each service keeps its data, so that a second shop can run on the same data.
    pub databases: Databases,
    pub config: orders::Config,
    pub payments: payments::Payments,
    pub faults: Faults,
    pub issuer: TestIssuer,
    pub transport: Transport,
    pub bus: InProcessBus,
    pub shutdown: platform::Shutdown,
}

impl Drop for TestShop {
    fn drop(&mut self) {
        self.shutdown.trigger();
    }
}

/// Each service's database, and the key of the payments vault (a second shop must read the
/// cards the first one kept).
#[derive(Clone)]
pub struct Databases {
    vault_key: String,
    catalog: String,
    inventory: String,
    payments: String,
    shipping: String,
    cart: String,
    orders: String,
}

impl Databases {
    async fn fresh(engine: &str) -> Databases {
        let url = || async { test_support::fresh_database_url(engine).await.unwrap() };
        let vault_key = uuid::Uuid::new_v4().simple().to_string().repeat(2);
        Databases {
            vault_key,
            catalog: url().await,
            inventory: url().await,
            payments: url().await,
            shipping: url().await,
            cart: url().await,
            orders: url().await,
        }
    }
}

impl TestShop {
    pub async fn spawn(engine: &str) -> TestShop {
        TestShop::spawn_with(engine, orders::Config::default()).await
    }

    pub async fn spawn_with(engine: &str, config: orders::Config) -> TestShop {
        test_support::install_crypto();
        let databases = Databases::fresh(engine).await;
        TestShop::on(databases, config, TestIssuer::new(), Faults::new()).await
    }

    /// A shop on `databases`, trusting `issuer`'s tokens, with `faults` as its switches: a
    /// second process beside another shop, as far as the data goes.
    pub async fn on(
        databases: Databases,
        config: orders::Config,
        issuer: TestIssuer,
        faults: Faults,
    ) -> TestShop {
        let layer = ServerLayer::new(issuer.verifier(), &[]);
        let bus = InProcessBus::new();
        let shared_bus: Arc<dyn platform::bus::EventBus> = Arc::new(bus.clone());

        let catalog = catalog::Catalog::build(
            &catalog::Config {
                database_url: databases.catalog.clone(),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
        catalog.seed_if_empty(|_, _| {}).await.unwrap();
        let inventory = inventory::Inventory::build(
            &inventory::Config {
                database_url: databases.inventory.clone(),
                ..Default::default()
            },
            shared_bus.clone(),
        )
        .await
        .unwrap()
        .with_faults(faults.clone());
        let payments = payments::Payments::build(
            &payments::Config {
                database_url: databases.payments.clone(),
                vault_key: platform::config::Secret::new(databases.vault_key.clone()),
                ..Default::default()
            },
            shared_bus.clone(),
        )
        .await
        .unwrap()
        .with_faults(faults.clone());
        let shipping = shipping::Shipping::build(
            &shipping::Config {
                database_url: databases.shipping.clone(),
                ..Default::default()
            },
            shared_bus.clone(),
        )
        .await
        .unwrap()
        .with_faults(faults.clone());
        let catalog_transport = in_process(Routes::new(catalog.grpc()), layer.clone());
        let cart = cart::Cart::build(
            &cart::Config {
                database_url: databases.cart.clone(),
                ..Default::default()
            },
            catalog_transport.clone(),
            platform::transport::missing("inventory"),
        )
        .await
        .unwrap();
        let service_token = Arc::new(StaticToken(
            issuer
                .service_token("orders", &proto::scopes::joined(orders::SERVICE_SCOPES))
                .into(),
        ));
        let dependencies = Dependencies {
            cart: in_process(Routes::new(cart.grpc()), layer.clone()),
            catalog: catalog_transport,
            inventory: in_process(Routes::new(inventory.grpc()), layer.clone()),
            payments: in_process(Routes::new(payments.grpc()), layer.clone()),
            shipping: in_process(Routes::new(shipping.grpc()), layer.clone()),
            service_token,
            bus: shared_bus,
            faults: faults.clone(),
        };
        let orders = Orders::build(
            &orders::Config {
                database_url: databases.orders.clone(),
                ..config.clone()
            },
            dependencies,
        )
        .await
        .unwrap();
        let mut routes = Routes::builder();
        routes
            .add_service(orders.grpc())
            .add_service(cart.grpc())
            .add_service(inventory.grpc())
            .add_service(payments.grpc());
        let transport = in_process(routes.routes(), layer);
        let shutdown = platform::Shutdown::new();
        let (background_orders, background_shutdown) = (orders.clone(), shutdown.clone());
        tokio::spawn(async move { background_orders.run_background(background_shutdown).await });
        let (background_inventory, background_shutdown) = (inventory.clone(), shutdown.clone());
        tokio::spawn(async move {
            background_inventory
                .run_background(background_shutdown)
                .await
        });
        let (background_payments, background_shutdown) = (payments.clone(), shutdown.clone());
        tokio::spawn(async move {
            background_payments
                .run_background(background_shutdown)
                .await
        });
        let (background_shipping, background_shutdown) = (shipping.clone(), shutdown.clone());
        tokio::spawn(async move {
            background_shipping
                .run_background(background_shutdown)
                .await
        });
        TestShop {
            orders,
            databases,
            config,
            payments,
            faults,
            issuer,
            transport,
            bus,
            shutdown,
        }
    }

    pub fn user(&self, name: &str) -> String {
        self.issuer.user_token(name, "catalog.read cart orders")
    }

    pub fn admin(&self) -> String {
        self.issuer
            .service_token("admin", "inventory.read inventory.admin payments.read")
    }

    pub fn orders_client(&self) -> OrdersClient<Transport> {
        OrdersClient::new(self.transport.clone())
    }

    pub async fn fill_cart(&self, token: &str, lines: &[(&str, u32)]) {
        let mut cart = CartClient::new(self.transport.clone());
        for (sku, quantity) in lines {
            let add = proto::cart::AddItemRequest {
                sku: (*sku).to_owned(),
                quantity: *quantity,
            };
            cart.add_item(request(add, token)).await.unwrap();
        }
    }

    pub async fn set_stock(&self, sku: &str, on_hand: i64) {
        let set = proto::inventory::SetStockRequest {
            sku: sku.to_owned(),
            on_hand,
        };
        InventoryClient::new(self.transport.clone())
            .set_stock(request(set, &self.admin()))
            .await
            .unwrap();
    }

    pub async fn stock(&self, sku: &str) -> proto::inventory::StockLevel {
        let get = proto::inventory::GetStockRequest {
            skus: vec![sku.to_owned()],
        };
        InventoryClient::new(self.transport.clone())
            .get_stock(request(get, &self.admin()))
            .await
            .unwrap()
            .into_inner()
            .levels
            .remove(0)
    }

    /// The payments of an order, by state name.
    pub async fn payments_of(&self, order_id: &str) -> Vec<String> {
        let list = proto::payments::ListPaymentsForOrderRequest {
            order_id: order_id.to_owned(),
        };
        proto::payments::payments_client::PaymentsClient::new(self.transport.clone())
            .list_payments_for_order(request(list, &self.admin()))
            .await
            .unwrap()
            .into_inner()
            .payments
            .iter()
            .map(|payment| {
                proto::payments::PaymentState::try_from(payment.state)
                    .unwrap()
                    .as_str_name()
                    .to_owned()
            })
            .collect()
    }

    pub async fn assert_books_balance(&self) {
        for (currency, total) in self.payments.ledger_totals().await.unwrap() {
            assert_eq!(total, 0, "the {currency} ledger does not balance");
        }
    }
}

pub fn checkout(key: &str, card_number: &str) -> proto::orders::PlaceOrderRequest {
    proto::orders::PlaceOrderRequest {
        idempotency_key: key.to_owned(),
        address: Some(proto::common::Address {
            name: "Ada Lovelace".to_owned(),
            line1: "1 Main St".to_owned(),
            line2: String::new(),
            city: "Springfield".to_owned(),
            postal_code: "12345".to_owned(),
            country: "US".to_owned(),
        }),
        card: Some(proto::payments::Card {
            number: card_number.to_owned(),
            exp_month: 12,
            exp_year: 2035,
            cvc: "123".to_owned(),
            holder: "Ada Lovelace".to_owned(),
        }),
        return_at_once: false,
    }
}

pub const GOOD_CARD: &str = "4242424242424242";
