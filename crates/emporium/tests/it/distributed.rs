//! The same binary's code split over two nodes, as `emporium serve` runs it: identity and
//! catalog in one, cart and gateway in the other, talking gRPC and fetching the JWKS over HTTP;
//! once in the clear and once over mutual TLS.

use emporium::{Node, Service, Settings};
use platform::Shutdown;

async fn node(settings: Settings, services: &[Service], engine: &str) -> Node {
    let settings = crate::isolated(settings, engine).await;
    Node::build(settings, services, |_, _| {}).await.unwrap()
}

/// Settings for a process that presents `name`'s certificate from `dir`.
pub fn mtls(dir: &std::path::Path, name: &str) -> platform::tls::TlsConfig {
    let path = |file: String| dir.join(file).display().to_string();
    platform::tls::TlsConfig {
        ca_file: path("ca.pem".to_owned()),
        cert_file: path(format!("{name}.pem")),
        key_file: path(format!("{name}.key")),
        allowed_clients: Vec::new(),
        reload_interval_seconds: 1,
    }
}

#[tokio::test]
async fn services_in_two_nodes_work_together_over_the_network() {
    test_support::install_crypto();
    let certs = test_support::scratch_dir("certs");
    platform::tls::write_certificates(&certs, &["catalog", "gateway"]).unwrap();
    for engine in test_support::engines() {
        for tls in [false, true] {
            two_nodes(engine, tls.then_some(certs.as_path())).await;
        }
    }
}

async fn two_nodes(engine: &str, certs: Option<&std::path::Path>) {
    let mode = if certs.is_some() { "mTLS" } else { "clear" };
    {
        let shutdown = Shutdown::new();
        let mut core_settings = Settings::default();
        if let Some(certs) = certs {
            core_settings.tls = mtls(certs, "catalog");
        }
        let core = node(
            core_settings,
            &[Service::Identity, Service::Catalog],
            engine,
        )
        .await;
        let issuer = core.settings.public_url.clone();
        let scheme = if certs.is_some() { "https" } else { "http" };
        let core_grpc = format!("{scheme}://{}", core.grpc_address());
        let client_id = "gateway".to_owned();
        let client_secret = core.first_start.client_secrets[&client_id].clone();
        let (email, password) = core.first_start.user.clone().unwrap();
        tokio::spawn(core.run_until_stopped(shutdown.clone()));

        let mut edge_settings = Settings::default();
        edge_settings.remote.identity_http = issuer.clone();
        edge_settings
            .remote
            .set_grpc_url(Service::Identity, core_grpc.clone());
        edge_settings
            .remote
            .set_grpc_url(Service::Catalog, core_grpc);
        edge_settings.remote.client_id = client_id;
        edge_settings.remote.client_secret = platform::config::Secret::new(client_secret);
        if let Some(certs) = certs {
            edge_settings.tls = mtls(certs, "gateway");
        }
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
        assert_eq!(cart["item_count"], 2, "{engine}/{mode}: {cart}");
        assert_eq!(
            cart["lines"][0]["available"], true,
            "{engine}/{mode}: the remote catalog priced the line"
        );
        shutdown.trigger();
    }
}

/// A process that runs apart from identity fetches its tokens with its client's secret; the
/// operator chooses the secrets (`identity.client_secrets`), so each process can be given its own.
#[tokio::test]
async fn service_clients_take_the_secrets_the_operator_chose() {
    test_support::install_crypto();
    let secret = "orders-secret-0123456789";
    let mut settings = Settings::default();
    settings.services.identity.client_secrets.insert(
        "orders".to_owned(),
        platform::config::Secret::new(secret.to_owned()),
    );
    let core = node(settings, &[Service::Identity], "sqlite").await;
    let issuer = core.settings.public_url.clone();
    let shutdown = Shutdown::new();
    tokio::spawn(core.run_until_stopped(shutdown.clone()));
    let http = reqwest::Client::new();
    let token = |secret: &'static str| {
        http.post(format!("{issuer}/oauth2/token"))
            .basic_auth("orders", Some(secret))
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", &proto::scopes::joined(orders::SERVICE_SCOPES)),
            ])
            .send()
    };
    let granted = token(secret).await.unwrap();
    assert_eq!(granted.status(), 200, "{}", granted.text().await.unwrap());
    let refused = token("not-the-secret-at-all").await.unwrap();
    assert_eq!(refused.status(), 401);
    shutdown.trigger();

    for (name, value, needle) in [
        (
            "nobody",
            "a-long-enough-secret-here",
            "identity.client_secrets.nobody",
        ),
        ("gateway", "short", "at least 16"),
    ] {
        let mut settings = crate::isolated(Settings::default(), "sqlite").await;
        settings.services.identity.client_secrets.insert(
            name.to_owned(),
            platform::config::Secret::new(value.to_owned()),
        );
        let error = Node::build(settings, &[Service::Identity], |_, _| {})
            .await
            .unwrap_err();
        assert!(format!("{error:#}").contains(needle), "{error:#}");
    }
}

/// With mTLS, a process checks the URLs of the services it calls, and only those: a plain
/// `http://` URL of a service nothing here calls does not stop it.
#[tokio::test]
async fn with_mtls_only_the_urls_a_process_calls_must_be_https() {
    test_support::install_crypto();
    let certs = test_support::scratch_dir("certs");
    platform::tls::write_certificates(&certs, &["payments", "cart"]).unwrap();
    let plain = |settings: &mut Settings, name: &str| {
        settings.tls = mtls(&certs, name);
        settings.remote.identity_http = crate::unused_http_url();
        settings
            .remote
            .set_grpc_url(Service::Catalog, "http://catalog.invalid:50051".to_owned());
        settings
            .remote
            .set_grpc_url(Service::Orders, "http://orders.invalid:50051".to_owned());
    };

    let mut settings = Settings::default();
    plain(&mut settings, "payments");
    let payments = node(settings, &[Service::Payments], "sqlite").await;
    drop(payments);

    let mut settings = crate::isolated(Settings::default(), "sqlite").await;
    plain(&mut settings, "cart");
    let error = Node::build(settings, &[Service::Cart], |_, _| {})
        .await
        .unwrap_err();
    assert!(
        format!("{error:#}").contains("http://catalog.invalid:50051"),
        "the cart calls the catalog: {error:#}"
    );
}
