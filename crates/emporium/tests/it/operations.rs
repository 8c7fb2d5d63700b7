//! What operators rely on: health, readiness, metrics that Prometheus accepts, request ids,
//! the OpenAPI document and the docs page.

use crate::TestShop;

#[tokio::test]
async fn health_readiness_and_request_ids_are_served() {
    let shop = TestShop::spawn("sqlite").await;
    assert_eq!(
        shop.http
            .get(shop.url("/livez"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        shop.http
            .get(shop.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let response = shop
        .http
        .get(shop.url("/api/v1/categories"))
        .header("x-request-id", "req-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "req-123");
    let response = shop
        .http
        .get(shop.url("/api/v1/categories"))
        .send()
        .await
        .unwrap();
    assert!(
        !response.headers()["x-request-id"].is_empty(),
        "a request id is made when none is sent"
    );

    let mut health = tonic_health::pb::health_client::HealthClient::new(
        platform::transport::network(&shop.grpc_url).unwrap(),
    );
    let status = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        status.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
}

#[tokio::test]
async fn metrics_count_requests_per_route_and_rpc_and_pass_promtool() {
    let shop = TestShop::spawn("sqlite").await;
    for _ in 0..3 {
        shop.http
            .get(shop.url("/api/v1/products/KIT-00001"))
            .send()
            .await
            .unwrap();
    }
    let metrics = shop
        .http
        .get(shop.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "http_requests_total{route=\"/api/v1/products/{sku}\",method=\"GET\",status=\"200\"}"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("grpc_server_handled_total{grpc_service=\"emporium.catalog.v1.Catalog\",grpc_method=\"GetProduct\",grpc_code=\"Ok\"}"), "{metrics}");
    assert!(metrics.contains("http_request_duration_seconds_bucket"));

    // What promtool insists on, checked here too for runs without it: every family has help.
    for family in metrics
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
    {
        let name = family.split_whitespace().next().unwrap();
        assert!(
            metrics.contains(&format!("# HELP {name} ")),
            "{name} has no help text"
        );
    }
    match std::env::var("EMPORIUM_TEST_PROMTOOL") {
        Ok(promtool) if !promtool.is_empty() => {
            use std::io::Write;
            let mut child = std::process::Command::new(promtool)
                .args(["check", "metrics"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(metrics.as_bytes())
                .unwrap();
            let output = child.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "promtool check metrics failed:\n{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        _ => eprintln!("EMPORIUM_TEST_PROMTOOL is not set: the promtool check is skipped"),
    }
}

#[tokio::test]
async fn the_openapi_document_and_the_docs_page_are_served() {
    let shop = TestShop::spawn("sqlite").await;
    let document: serde_json::Value = shop
        .http
        .get(shop.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        document["openapi"]
    );
    for path in [
        "/api/v1/products",
        "/api/v1/products/{sku}",
        "/api/v1/search",
        "/api/v1/cart",
        "/api/v1/cart/items",
        "/api/v1/account/login",
    ] {
        assert!(document["paths"][path].is_object(), "{path} is documented");
    }
    let page = shop.http.get(shop.url("/api/docs/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "the docs page is Swagger UI");
    let script = shop
        .http
        .get(shop.url("/api/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        script.status(),
        200,
        "the docs page's assets are served from the binary"
    );
}

#[tokio::test]
async fn browsers_on_other_origins_may_call_the_api() {
    let shop = TestShop::spawn("sqlite").await;
    let preflight = shop
        .http
        .request(reqwest::Method::OPTIONS, shop.url("/api/v1/cart/items"))
        .header("origin", "http://shop.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let methods = preflight.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(methods.contains("POST"), "{methods}");
}

#[tokio::test]
async fn stock_is_seeded_from_the_catalog_and_served_over_grpc() {
    let shop = TestShop::spawn("sqlite").await;
    let response = shop
        .http
        .post(shop.url("/oauth2/token"))
        .basic_auth(&shop.admin_client.0, Some(&shop.admin_client.1))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "inventory.read"),
        ])
        .send()
        .await
        .unwrap();
    let token: serde_json::Value = response.json().await.unwrap();
    let token = token["access_token"].as_str().unwrap();
    let seeded = &catalog::seed::products().unwrap()[0];
    let mut inventory = proto::inventory::inventory_client::InventoryClient::new(
        platform::transport::network(&shop.grpc_url).unwrap(),
    );
    let levels = inventory
        .get_stock(platform::transport::request(
            proto::inventory::GetStockRequest {
                skus: vec![seeded.sku.clone()],
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .levels;
    assert_eq!(
        levels[0].on_hand, seeded.stock,
        "the seed's stock for {}",
        seeded.sku
    );
    assert_eq!(levels[0].reserved, 0);
}

/// The services a process serves, as gRPC reflection (grpcurl's `list`) tells them.
async fn reflected_services(grpc_url: &str) -> Vec<String> {
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::{ServerReflectionRequest, ServerReflectionResponse};

    let mut client = ServerReflectionClient::new(platform::transport::network(grpc_url).unwrap());
    let ask = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = client
        .server_reflection_info(futures_util::stream::iter([ask]))
        .await
        .unwrap()
        .into_inner();
    let answer: ServerReflectionResponse = answers.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(listed)) = answer.message_response else {
        panic!("not a list of services: {answer:?}");
    };
    let mut names: Vec<String> = listed
        .service
        .into_iter()
        .map(|service| service.name)
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn grpc_reflection_lists_what_each_process_serves_without_a_token() {
    let shop = TestShop::spawn("sqlite").await;
    let all = reflected_services(&shop.grpc_url).await;
    for name in [
        "emporium.admin.v1.Faults",
        "emporium.catalog.v1.Catalog",
        "emporium.orders.v1.Orders",
        "emporium.payments.v1.Payments",
        "emporium.recommendations.v1.Recommendations",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
    ] {
        assert!(
            all.contains(&name.to_owned()),
            "{name} missing from {all:?}"
        );
    }

    let mut settings = crate::isolated(emporium::Settings::default(), "sqlite").await;
    settings.remote.identity_http = crate::unused_http_url();
    let payments = emporium::Node::build(settings, &[emporium::Service::Payments], |_, _| {})
        .await
        .unwrap();
    let url = format!("http://{}", payments.grpc_address());
    let shutdown = platform::Shutdown::new();
    tokio::spawn(payments.run_until_stopped(shutdown.clone()));
    assert_eq!(
        reflected_services(&url).await,
        [
            "emporium.admin.v1.Faults",
            "emporium.admin.v1.Operations",
            "emporium.payments.v1.Payments",
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection",
        ],
        "a process apart describes its own services only, with health and reflection"
    );
    let status = |service: &str| {
        let url = url.clone();
        let service = service.to_owned();
        async move {
            let transport = platform::transport::network(&url).unwrap();
            tonic_health::pb::health_client::HealthClient::new(transport)
                .check(tonic_health::pb::HealthCheckRequest { service })
                .await
                .map(|response| response.into_inner().status)
        }
    };
    let serving = tonic_health::pb::health_check_response::ServingStatus::Serving as i32;
    assert_eq!(
        status("emporium.payments.v1.Payments").await.unwrap(),
        serving
    );
    assert_eq!(
        status("emporium.orders.v1.Orders")
            .await
            .unwrap_err()
            .code(),
        tonic::Code::NotFound,
        "health answers per service, and only for those served here"
    );
    shutdown.trigger();
}
