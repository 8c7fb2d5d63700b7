//! The cart's integration tests: a real catalog beside it, both transports, both engines.

use cart::{Cart, Config};
use catalog_for_tests as catalog;
use platform::grpc::ServerLayer;
use proto::cart as pb;
use proto::cart::cart_client::CartClient;
use test_support::{BothTransports, TestIssuer};
use tonic::Code;

struct TestShop {
    transports: BothTransports,
    issuer: TestIssuer,
    cart_config: Config,
    layer: ServerLayer,
    catalog: catalog::Catalog,
}

/// Where carts are kept in these tests: the database engines, and Redis when
/// `EMPORIUM_TEST_REDIS_URL` names a server.
fn engines() -> Vec<&'static str> {
    let mut engines = test_support::engines();
    match std::env::var("EMPORIUM_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => engines.push("redis"),
        _ => eprintln!(
            "EMPORIUM_TEST_REDIS_URL is not set: the Redis variant of this test is skipped"
        ),
    }
    engines
}

impl TestShop {
    async fn spawn(engine: &str) -> TestShop {
        let cart_config = match engine {
            "redis" => Config {
                database_url: test_support::fresh_database_url("sqlite").await.unwrap(),
                redis_url: std::env::var("EMPORIUM_TEST_REDIS_URL").unwrap(),
                // A namespace of its own, so that tests running at once do not meet.
                redis_prefix: format!("test:{}:", uuid::Uuid::new_v4().simple()),
                ..Config::default()
            },
            _ => Config {
                database_url: test_support::fresh_database_url(engine).await.unwrap(),
                ..Config::default()
            },
        };
        TestShop::spawn_with(cart_config).await
    }

    async fn spawn_with(cart_config: Config) -> TestShop {
        test_support::install_crypto();
        let issuer = TestIssuer::new();
        let layer = ServerLayer::new(issuer.verifier(), &[]);
        let catalog_config = catalog::Config {
            database_url: test_support::fresh_database_url("sqlite").await.unwrap(),
            ..Default::default()
        };
        let catalog = catalog::Catalog::build(&catalog_config, None)
            .await
            .unwrap();
        catalog.seed_if_empty(|_, _| {}).await.unwrap();
        let transports = TestShop::serve(&catalog, &cart_config, &layer).await;
        TestShop {
            transports,
            issuer,
            cart_config,
            layer,
            catalog,
        }
    }

    async fn serve(
        catalog: &catalog::Catalog,
        cart_config: &Config,
        layer: &ServerLayer,
    ) -> BothTransports {
        let catalog_transport = platform::transport::in_process(
            tonic::service::Routes::new(catalog.grpc()),
            layer.clone(),
        );
        let inventory = platform::transport::missing("inventory");
        let cart = Cart::build(cart_config, catalog_transport, inventory)
            .await
            .unwrap();
        test_support::both_transports(tonic::service::Routes::new(cart.grpc()), layer.clone())
            .await
            .unwrap()
    }

    /// The same databases behind a newly built cart, as after a restart.
    async fn restart(&mut self) {
        self.transports = TestShop::serve(&self.catalog, &self.cart_config, &self.layer).await;
    }

    fn user(&self, name: &str) -> String {
        self.issuer.user_token(name, "catalog.read cart")
    }
}

fn add(sku: &str, quantity: u32, token: &str) -> tonic::Request<pb::AddItemRequest> {
    platform::transport::request(
        pb::AddItemRequest {
            sku: sku.to_owned(),
            quantity,
        },
        token,
    )
}

async fn view(
    client: &mut CartClient<platform::transport::Transport>,
    token: &str,
) -> pb::CartView {
    client
        .get_cart(platform::transport::request(pb::GetCartRequest {}, token))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn a_user_fills_changes_and_clears_a_cart_priced_from_the_catalog() {
    for engine in engines() {
        let shop = TestShop::spawn(engine).await;
        let seed = catalog::seed::products().unwrap();
        let (first, second) = (&seed[0], &seed[1]);
        for (transport_name, transport) in shop.transports.each() {
            let token = shop.user(transport_name);
            let mut client = CartClient::new(transport);
            client.add_item(add(&first.sku, 2, &token)).await.unwrap();
            client
                .add_item(add(&first.sku.to_lowercase(), 1, &token))
                .await
                .unwrap();
            let cart = client
                .add_item(add(&second.sku, 1, &token))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(cart.lines.len(), 2, "{engine}/{transport_name}");
            assert_eq!(cart.lines[0].quantity, 3, "adding adds to the line");
            assert_eq!(cart.item_count, 4);
            let expected = first.price_minor * 3 + second.price_minor;
            assert_eq!(
                cart.total.as_ref().unwrap().minor_units,
                expected,
                "{engine}/{transport_name}: totals use catalog prices"
            );
            assert_eq!(cart.lines[0].name, first.name);

            let cart = client
                .set_quantity(platform::transport::request(
                    pb::SetQuantityRequest {
                        sku: first.sku.clone(),
                        quantity: 1,
                    },
                    &token,
                ))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(cart.lines[0].quantity, 1);
            let cart = client
                .remove_item(platform::transport::request(
                    pb::RemoveItemRequest {
                        sku: second.sku.clone(),
                    },
                    &token,
                ))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(cart.lines.len(), 1);
            let cart = client
                .clear_cart(platform::transport::request(
                    pb::ClearCartRequest {},
                    &token,
                ))
                .await
                .unwrap()
                .into_inner();
            assert!(cart.lines.is_empty());
            assert_eq!(cart.total, None);
        }
    }
}

#[tokio::test]
async fn bad_quantities_and_unknown_skus_are_refused_and_nothing_is_stored() {
    for engine in engines() {
        let shop = TestShop::spawn(engine).await;
        let token = shop.user("user-1");
        let sku = catalog::seed::products().unwrap()[0].sku.clone();
        let mut client = CartClient::new(shop.transports.in_process.clone());
        for (request, code, field) in [
            (add(&sku, 0, &token), Code::InvalidArgument, "quantity"),
            (add(&sku, 100, &token), Code::InvalidArgument, "quantity"),
            (
                add(&sku, u32::MAX, &token),
                Code::InvalidArgument,
                "quantity",
            ),
            (add("NOPE-00000", 1, &token), Code::NotFound, "sku"),
            (add("not a sku", 1, &token), Code::InvalidArgument, "sku"),
        ] {
            let error = client.add_item(request).await.unwrap_err();
            assert_eq!(error.code(), code, "{engine}: {}", error.message());
            assert!(
                error.message().starts_with(field),
                "{engine}: `{}` names {field}",
                error.message()
            );
        }
        client.add_item(add(&sku, 60, &token)).await.unwrap();
        let error = client.add_item(add(&sku, 60, &token)).await.unwrap_err();
        assert_eq!(
            error.code(),
            Code::FailedPrecondition,
            "the line may not pass the limit"
        );
        let cart = view(&mut client, &token).await;
        assert_eq!(cart.lines.len(), 1);
        assert_eq!(
            cart.lines[0].quantity, 60,
            "{engine}: the refused additions stored nothing"
        );
    }
}

#[tokio::test]
async fn a_cart_survives_a_restart_and_belongs_to_its_user_alone() {
    for engine in engines() {
        let mut shop = TestShop::spawn(engine).await;
        let sku = catalog::seed::products().unwrap()[5].sku.clone();
        let (alice, bob) = (shop.user("alice"), shop.user("bob"));
        let mut client = CartClient::new(shop.transports.network.clone());
        client.add_item(add(&sku, 2, &alice)).await.unwrap();
        assert!(
            view(&mut client, &bob).await.lines.is_empty(),
            "{engine}: bob sees his own empty cart"
        );

        shop.restart().await;
        let mut client = CartClient::new(shop.transports.network.clone());
        let cart = view(&mut client, &alice).await;
        assert_eq!(
            cart.lines.len(),
            1,
            "{engine}: the cart is still there after a restart"
        );
        assert_eq!(cart.lines[0].quantity, 2);
    }
}

#[tokio::test]
async fn carts_need_a_user_token_with_the_cart_scope() {
    let shop = TestShop::spawn("sqlite").await;
    for (transport_name, transport) in shop.transports.each() {
        let mut client = CartClient::new(transport);
        let anonymous = client.get_cart(pb::GetCartRequest {}).await.unwrap_err();
        assert_eq!(anonymous.code(), Code::Unauthenticated, "{transport_name}");
        let without_scope = shop.issuer.user_token("user-1", "catalog.read");
        let denied = client
            .get_cart(platform::transport::request(
                pb::GetCartRequest {},
                &without_scope,
            ))
            .await
            .unwrap_err();
        assert_eq!(denied.code(), Code::PermissionDenied, "{transport_name}");
        let service = shop.issuer.service_token("orders", "cart catalog.read");
        let denied = client
            .get_cart(platform::transport::request(
                pb::GetCartRequest {},
                &service,
            ))
            .await
            .unwrap_err();
        assert_eq!(
            denied.code(),
            Code::PermissionDenied,
            "{transport_name}: a service has no cart"
        );
    }
}

#[tokio::test]
async fn with_redis_away_the_cart_says_it_is_unavailable() {
    // Nothing listens on this port.
    let address = test_support::unused_address();
    let shop = TestShop::spawn_with(Config {
        database_url: test_support::fresh_database_url("sqlite").await.unwrap(),
        redis_url: format!("redis://{address}"),
        ..Config::default()
    })
    .await;
    let token = shop.user("ada");
    for (name, transport) in shop.transports.each() {
        let mut client = CartClient::new(transport);
        let status = client
            .add_item(add("KIT-00001", 1, &token))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unavailable, "{name}: {status:?}");
        assert!(
            status.message().contains("Redis"),
            "{name}: {}",
            status.message()
        );
        let status = client
            .get_cart(platform::transport::request(pb::GetCartRequest {}, &token))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unavailable, "{name}: {status:?}");
    }
}

#[tokio::test]
async fn a_bad_redis_url_is_refused_without_showing_its_password() {
    let catalog = platform::transport::missing("catalog");
    let error = Cart::build(
        &Config {
            redis_url: "rediss://:hunter2hunter2@redis:6379".to_owned(),
            ..Config::default()
        },
        catalog,
        platform::transport::missing("inventory"),
    )
    .await
    .unwrap_err();
    let message = format!("{error:#}");
    assert!(message.contains("cart.redis_url"), "{message}");
    assert!(
        !message.contains("hunter2"),
        "the password shows: {message}"
    );
}
