//! The same binary's code split over two nodes, as `emporium serve` runs it: identity and
//! catalog in one, cart and gateway in the other, talking gRPC and fetching the JWKS over HTTP.

use emporium::{Node, Service, Settings};
use platform::Shutdown;

async fn node(settings: Settings, services: &[Service], engine: &str) -> Node {
    let settings = crate::isolated(settings, engine).await;
    Node::build(settings, services, |_, _| {}).await.unwrap()
}

#[tokio::test]
async fn services_in_two_nodes_work_together_over_the_network() {
    test_support::install_crypto();
    for engine in test_support::engines() {
        let shutdown = Shutdown::new();
        let core = node(
            Settings::default(),
            &[Service::Identity, Service::Catalog],
            engine,
        )
        .await;
        let issuer = core.settings.public_url.clone();
        let core_grpc = format!("http://{}", core.grpc_address());
        let (client_id, client_secret) = core.first_start.gateway_client.clone().unwrap();
        let (email, password) = core.first_start.user.clone().unwrap();
        tokio::spawn(core.run_until_stopped(shutdown.clone()));

        let mut edge_settings = Settings::default();
        edge_settings.remote.identity_http = issuer.clone();
        edge_settings.remote.identity_grpc = core_grpc.clone();
        edge_settings.remote.catalog_grpc = core_grpc;
        edge_settings.remote.client_id = client_id;
        edge_settings.remote.client_secret = platform::config::Secret::new(client_secret);
        let edge = node(edge_settings, &[Service::Cart, Service::Gateway], engine).await;
        let base_url = edge.settings.public_url.clone();
        tokio::spawn(edge.run_until_stopped(shutdown.clone()));

        let http = reqwest::Client::new();
        let page: serde_json::Value = http
            .get(format!("{base_url}/api/v1/products?page_size=1"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let sku = page["products"][0]["sku"].as_str().unwrap().to_owned();
        let login: serde_json::Value = http
            .post(format!("{base_url}/api/v1/account/login"))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = login["access_token"].as_str().unwrap();
        let cart: serde_json::Value = http
            .post(format!("{base_url}/api/v1/cart/items"))
            .bearer_auth(token)
            .json(&serde_json::json!({"sku": sku, "quantity": 2}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(cart["item_count"], 2, "{engine}: {cart}");
        assert_eq!(
            cart["lines"][0]["available"], true,
            "{engine}: the remote catalog priced the line"
        );
        shutdown.trigger();
    }
}
