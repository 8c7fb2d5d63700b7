//! The Catalog contract, run over the in-process and the network transport on every engine.

use platform::grpc::ServerLayer;
use proto::catalog as pb;
use proto::catalog::catalog_client::CatalogClient;
use tonic::Code;

use crate::{Client, TestCatalog};

fn input(name: &str, category: &str, minor_units: i64) -> pb::ProductInput {
    pb::ProductInput {
        name: name.to_owned(),
        description: "A sturdy enamelled pot for slow stews and bread.".to_owned(),
        category: category.to_owned(),
        price: Some(proto::common::Money {
            minor_units,
            currency: "USD".to_owned(),
        }),
        image_urls: vec!["/images/products/TST-1.jpg".to_owned()],
        attributes_json: r#"{"material":"cast iron","weight_grams":4100}"#.to_owned(),
    }
}

async fn create(
    client: &mut Client,
    token: &str,
    sku: &str,
    product: pb::ProductInput,
) -> Result<pb::Product, tonic::Status> {
    client
        .create_product(platform::transport::request(
            pb::CreateProductRequest {
                sku: sku.to_owned(),
                product: Some(product),
            },
            token,
        ))
        .await
        .map(tonic::Response::into_inner)
}

async fn get(client: &mut Client, token: &str, sku: &str) -> Result<pb::Product, tonic::Status> {
    client
        .get_product(platform::transport::request(
            pb::GetProductRequest {
                sku: sku.to_owned(),
            },
            token,
        ))
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn an_admin_creates_updates_and_deletes_a_product_over_both_transports() {
    for engine in test_support::engines() {
        let app = TestCatalog::spawn(engine).await;
        app.catalog.seed_if_empty(|_, _| {}).await.unwrap();
        let (admin, reader) = (app.admin_token(), app.reader_token());
        for (transport_name, transport) in app.transports.each() {
            let mut client = CatalogClient::new(transport);
            let sku = format!("TST-{}", transport_name.len());
            let created = create(
                &mut client,
                &admin,
                &sku.to_lowercase(),
                input("Dutch Oven", "kitchen", 8900),
            )
            .await
            .unwrap();
            assert_eq!(
                created.sku, sku,
                "{engine}/{transport_name}: skus are stored upper-case"
            );

            let fetched = get(&mut client, &reader, &sku).await.unwrap();
            assert_eq!(fetched.name, "Dutch Oven");
            assert_eq!(fetched.price.unwrap().minor_units, 8900);
            let attributes: serde_json::Value =
                serde_json::from_str(&fetched.attributes_json).unwrap();
            assert_eq!(attributes["material"], "cast iron");

            let updated = client
                .update_product(platform::transport::request(
                    pb::UpdateProductRequest {
                        sku: sku.clone(),
                        product: Some(input("Dutch Oven 5 l", "kitchen", 9900)),
                    },
                    &admin,
                ))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(updated.name, "Dutch Oven 5 l");
            assert_eq!(
                get(&mut client, &reader, &sku)
                    .await
                    .unwrap()
                    .price
                    .unwrap()
                    .minor_units,
                9900,
                "{engine}/{transport_name}: the cache is dropped on update"
            );

            client
                .delete_product(platform::transport::request(
                    pb::DeleteProductRequest { sku: sku.clone() },
                    &admin,
                ))
                .await
                .unwrap();
            let gone = get(&mut client, &reader, &sku).await.unwrap_err();
            assert_eq!(gone.code(), Code::NotFound, "{engine}/{transport_name}");
            assert!(gone.message().contains(&sku));
        }
    }
}

#[tokio::test]
async fn calls_without_a_token_or_without_the_scope_are_refused_over_both_transports() {
    let app = TestCatalog::spawn("sqlite").await;
    app.catalog.seed_if_empty(|_, _| {}).await.unwrap();
    for (transport_name, transport) in app.transports.each() {
        let mut client = CatalogClient::new(transport);
        let anonymous = client
            .get_product(pb::GetProductRequest {
                sku: "KIT-00001".to_owned(),
            })
            .await
            .unwrap_err();
        assert_eq!(anonymous.code(), Code::Unauthenticated, "{transport_name}");

        let forged = get(&mut client, "not.a.token", "KIT-00001")
            .await
            .unwrap_err();
        assert_eq!(forged.code(), Code::Unauthenticated, "{transport_name}");

        let other_issuer =
            test_support::TestIssuer::new().user_token("user-1", "catalog.read catalog.admin");
        let refused = get(&mut client, &other_issuer, "KIT-00001")
            .await
            .unwrap_err();
        assert_eq!(
            refused.code(),
            Code::Unauthenticated,
            "{transport_name}: a key the provider never published"
        );

        let reader = app.reader_token();
        let denied = create(
            &mut client,
            &reader,
            "TST-999",
            input("Pot", "kitchen", 100),
        )
        .await
        .unwrap_err();
        assert_eq!(denied.code(), Code::PermissionDenied, "{transport_name}");
        assert!(denied.message().contains("catalog.admin"));
        assert_eq!(
            get(&mut client, &reader, "TST-999")
                .await
                .unwrap_err()
                .code(),
            Code::NotFound,
            "nothing was stored"
        );
    }
}

#[tokio::test]
async fn invalid_products_are_refused_with_the_field_named_and_nothing_stored() {
    for engine in test_support::engines() {
        let app = TestCatalog::spawn(engine).await;
        app.catalog.seed_if_empty(|_, _| {}).await.unwrap();
        let admin = app.admin_token();
        let mut client = CatalogClient::new(app.transports.in_process.clone());
        let cases = [
            ("A", input("Pot", "kitchen", 100), "sku"),
            ("TST-1", input("", "kitchen", 100), "name"),
            ("TST-2", input("Pot", "kitchen", -5), "price"),
            (
                "TST-4",
                pb::ProductInput {
                    attributes_json: "[1, 2]".to_owned(),
                    ..input("Pot", "kitchen", 100)
                },
                "attributes",
            ),
            (
                "TST-5",
                pb::ProductInput {
                    price: None,
                    ..input("Pot", "kitchen", 100)
                },
                "price",
            ),
        ];
        let unknown_category = input("Pot", "no-such-category", 100);
        let error = create(&mut client, &admin, "TST-3", unknown_category)
            .await
            .unwrap_err();
        assert_eq!(
            error.code(),
            Code::FailedPrecondition,
            "{engine}: a well-formed name of no category"
        );
        assert!(
            error.message().starts_with("category"),
            "{engine}: {}",
            error.message()
        );
        for (sku, product, field) in cases {
            let error = create(&mut client, &admin, sku, product).await.unwrap_err();
            assert_eq!(error.code(), Code::InvalidArgument, "{engine}: {field}");
            assert!(
                error.message().starts_with(field),
                "{engine}: `{}` should name {field}",
                error.message()
            );
            if sku.len() >= 3 {
                assert_eq!(
                    get(&mut client, &admin, sku).await.unwrap_err().code(),
                    Code::NotFound,
                    "{engine}: {sku} was not stored"
                );
            }
        }
        let duplicate = create(
            &mut client,
            &admin,
            "KIT-00001",
            input("Pot", "kitchen", 100),
        )
        .await
        .unwrap_err();
        assert_eq!(duplicate.code(), Code::AlreadyExists, "{engine}");
    }
}

#[tokio::test]
async fn a_direct_call_answers_and_refuses_as_both_transports_do_and_is_measured_as_a_call() {
    use proto::catalog::catalog_server::Catalog as CatalogRpc;
    use std::sync::Arc;

    const PATH: &str = "/emporium.catalog.v1.Catalog/GetProduct";
    let app = TestCatalog::spawn("sqlite").await;
    app.catalog.seed_if_empty(|_, _| {}).await.unwrap();
    let layer = ServerLayer::new(app.issuer.verifier(), &[]);
    let direct =
        platform::transport::Direct::new(app.catalog.rpc(), layer, "direct-test", "catalog");
    let call = |request: tonic::Request<pb::GetProductRequest>| {
        direct.unary(PATH, request, |catalog: Arc<dyn CatalogRpc>, request| async move {
            catalog.get_product(request).await
        })
    };
    let sku = |sku: &str| pb::GetProductRequest {
        sku: sku.to_owned(),
    };
    let reader = app.reader_token();
    let other_issuer = test_support::TestIssuer::new().user_token("user-1", "catalog.read");
    let no_scope = app.issuer.user_token("user-1", "cart.write");

    let mut client = CatalogClient::new(app.transports.in_process.clone());
    let expected = get(&mut client, &reader, "KIT-00001").await.unwrap();
    let answered = call(platform::transport::request(sku("kit-00001"), &reader))
        .await
        .unwrap();
    assert_eq!(
        answered.into_inner(),
        expected,
        "the same product, the sku read as the server reads it"
    );

    let cases = [
        (
            platform::transport::anonymous(sku("KIT-00001")),
            Code::Unauthenticated,
        ),
        (
            platform::transport::request(sku("KIT-00001"), "not.a.token"),
            Code::Unauthenticated,
        ),
        (
            platform::transport::request(sku("KIT-00001"), &other_issuer),
            Code::Unauthenticated,
        ),
        (
            platform::transport::request(sku("KIT-00001"), &no_scope),
            Code::PermissionDenied,
        ),
        (
            platform::transport::request(sku("NOPE-404"), &reader),
            Code::NotFound,
        ),
        (
            platform::transport::request(sku(""), &reader),
            Code::InvalidArgument,
        ),
    ];
    for (request, code) in cases {
        let direct_status = call(request).await.unwrap_err();
        assert_eq!(direct_status.code(), code, "{direct_status:?}");
    }
    let over_grpc = get(&mut client, &reader, "NOPE-404").await.unwrap_err();
    let directly = call(platform::transport::request(sku("NOPE-404"), &reader))
        .await
        .unwrap_err();
    assert_eq!(
        directly.message(),
        over_grpc.message(),
        "the same refusal, word for word"
    );

    // The client's edge and the server's figures both count the direct calls, as calls.
    let metrics = platform::telemetry::render_metrics();
    let edge = metrics
        .lines()
        .filter(|line| {
            line.starts_with("rpc_client_calls_total")
                && line.contains(r#"caller="direct-test""#)
                && line.contains(r#"rpc_method="GetProduct""#)
        })
        .map(|line| line.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum::<u64>();
    assert_eq!(edge, 8, "every direct call is on the edge:\n{metrics}");
    assert!(
        metrics
            .lines()
            .any(|line| line.starts_with("grpc_server_handled_total")
                && line.contains(r#"grpc_method="GetProduct""#)
                && line.contains(r#"grpc_code="NotFound""#)),
        "the server side counts them by code:\n{metrics}"
    );
}

#[tokio::test]
async fn every_change_of_a_product_is_published_from_the_outbox_and_the_seed_is_not() {
    use events::catalog::ProductChanged;
    use platform::bus::{ConsumerConfig, EventBus};

    for engine in test_support::engines() {
        let bus = platform::bus::InProcessBus::new();
        let mut consumer = bus
            .consumer(ConsumerConfig::new("test", &["emporium.catalog.>"]))
            .await
            .unwrap();
        let app = TestCatalog::spawn_publishing(engine, &bus).await;
        app.catalog.seed_if_empty(|_, _| {}).await.unwrap();
        let admin = app.admin_token();
        let mut client = CatalogClient::new(app.transports.in_process.clone());
        create(
            &mut client,
            &admin,
            "EVT-1",
            input("Dutch Oven", "kitchen", 8900),
        )
        .await
        .unwrap();
        let update = pb::UpdateProductRequest {
            sku: "EVT-1".to_owned(),
            product: Some(input("Dutch Oven 5 l", "kitchen", 9900)),
        };
        client
            .update_product(platform::transport::request(update, &admin))
            .await
            .unwrap();
        let delete = pb::DeleteProductRequest {
            sku: "EVT-1".to_owned(),
        };
        client
            .delete_product(platform::transport::request(delete, &admin))
            .await
            .unwrap();
        let mut seen = Vec::new();
        for _ in 0..3 {
            let delivery = tokio::time::timeout(std::time::Duration::from_secs(5), consumer.next())
                .await
                .unwrap_or_else(|_| panic!("{engine}: only {seen:?} arrived"))
                .unwrap();
            let event: ProductChanged = delivery.envelope.decode().unwrap();
            delivery.ack();
            seen.push((event.change, event.sku, event.name, event.price_minor));
        }
        let expected = [
            ("created", "Dutch Oven", 8900),
            ("updated", "Dutch Oven 5 l", 9900),
            ("deleted", "Dutch Oven 5 l", 9900),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(change, name, price)| {
                (
                    change.to_string(),
                    "EVT-1".to_owned(),
                    name.to_string(),
                    *price,
                )
            })
            .collect();
        assert_eq!(
            seen, expected,
            "{engine}: the seed publishes nothing, each change once"
        );
    }
}
