//! Checkout over REST: the order at the end of its saga, idempotency by header, the orders list,
//! the SSE stream of an order, and fault switches for administrators.

use serde_json::json;

use crate::{TestShop, assert_problem};

fn body(city: &str, card: &str) -> serde_json::Value {
    json!({
        "address": {"name": "Ada Lovelace", "line1": "1 Main St", "city": city, "postal_code": "12345", "country": "US"},
        "card": {"number": card, "exp_month": 12, "exp_year": 2035, "cvc": "123", "holder": "Ada Lovelace"}
    })
}

async fn fill_cart(shop: &TestShop, token: &str, sku: &str) {
    let added = shop
        .http
        .post(shop.url("/api/v1/cart/items"))
        .bearer_auth(token)
        .json(&json!({"sku": sku, "quantity": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 200);
}

/// Checks the cart out under `key` and expects the order confirmed.
async fn place_confirmed(shop: &TestShop, token: &str, key: &str) -> serde_json::Value {
    let placed = shop
        .http
        .post(shop.url("/api/v1/checkout"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&body("Springfield", "4242424242424242"))
        .send()
        .await
        .unwrap();
    assert_eq!(placed.status(), 201);
    let order: serde_json::Value = placed.json().await.unwrap();
    assert_eq!(order["state"], "confirmed", "{order}");
    order
}

async fn faults_token(shop: &TestShop) -> String {
    let response = shop
        .http
        .post(shop.url("/oauth2/token"))
        .basic_auth(&shop.admin_client.0, Some(&shop.admin_client.1))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "admin.faults"),
        ])
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_checkout_over_rest_confirms_once_per_key_and_lists_and_streams_the_order() {
    let shop = TestShop::spawn("sqlite").await;
    let token = shop.user_token().await;
    fill_cart(&shop, &token, "KIT-00001").await;
    let checkout = || {
        shop.http
            .post(shop.url("/api/v1/checkout"))
            .bearer_auth(&token)
    };

    assert_problem(
        checkout()
            .json(&body("Springfield", "4242424242424242"))
            .send()
            .await
            .unwrap(),
        400,
        "Idempotency-Key",
    )
    .await;

    let placed = checkout()
        .header("idempotency-key", "k-1")
        .json(&body("Springfield", "4242424242424242"))
        .send()
        .await
        .unwrap();
    assert_eq!(placed.status(), 201);
    let order: serde_json::Value = placed.json().await.unwrap();
    assert_eq!(order["state"], "confirmed", "{order}");
    let id = order["id"].as_str().unwrap().to_owned();

    let again: serde_json::Value = checkout()
        .header("idempotency-key", "k-1")
        .json(&body("Springfield", "4242424242424242"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["id"], id.as_str(), "the same key gets the same order");
    let other = checkout()
        .header("idempotency-key", "k-1")
        .json(&body("Shelbyville", "4242424242424242"))
        .send()
        .await
        .unwrap();
    assert_problem(other, 422, "idempotency_key").await;

    let listed: serde_json::Value = shop
        .http
        .get(shop.url("/api/v1/orders"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let fetched: serde_json::Value = shop
        .http
        .get(shop.url(&format!("/api/v1/orders/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fetched["state"], "confirmed");

    let events = shop
        .http
        .get(shop.url(&format!("/api/v1/orders/{id}/events")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let text = tokio::time::timeout(std::time::Duration::from_secs(5), events.text())
        .await
        .unwrap()
        .unwrap();
    assert!(text.contains("event: order"), "{text}");
    assert!(
        text.contains("\"state\":\"confirmed\""),
        "the stream ends with the terminal state: {text}"
    );
}

#[tokio::test]
async fn an_administrator_switches_faults_that_make_checkouts_fail_with_a_reason() {
    let shop = TestShop::spawn("sqlite").await;
    let admin = faults_token(&shop).await;
    let user = shop.user_token().await;
    let fault = |name: &str, token: &str| {
        shop.http
            .put(shop.url(&format!("/api/v1/admin/faults/{name}")))
            .bearer_auth(token.to_owned())
    };

    assert_problem(
        fault("shipping.unavailable", &user)
            .json(&json!({"kind": "fail"}))
            .send()
            .await
            .unwrap(),
        403,
        "admin.faults",
    )
    .await;
    assert_problem(
        fault("no.such.fault", &admin)
            .json(&json!({"kind": "fail"}))
            .send()
            .await
            .unwrap(),
        400,
        "no.such.fault",
    )
    .await;
    assert_problem(
        fault("shipping.unavailable", &admin)
            .json(&json!({"kind": "explode"}))
            .send()
            .await
            .unwrap(),
        422,
        "",
    )
    .await;
    assert_eq!(
        fault("shipping.unavailable", &admin)
            .json(&json!({"kind": "fail"}))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let listed: serde_json::Value = shop
        .http
        .get(shop.url("/api/v1/admin/faults"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["shipping.unavailable"]["kind"], "fail");

    fill_cart(&shop, &user, "KIT-00002").await;
    let order: serde_json::Value = shop
        .http
        .post(shop.url("/api/v1/checkout"))
        .bearer_auth(&user)
        .header("idempotency-key", "f-1")
        .json(&body("Springfield", "4242424242424242"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(order["state"], "failed", "{order}");
    assert!(
        order["failure_reason"]
            .as_str()
            .unwrap()
            .contains("unavailable"),
        "{order}"
    );

    let cleared = shop
        .http
        .delete(shop.url("/api/v1/admin/faults/shipping.unavailable"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 204);
    let order: serde_json::Value = shop
        .http
        .post(shop.url("/api/v1/checkout"))
        .bearer_auth(&user)
        .header("idempotency-key", "f-2")
        .json(&body("Springfield", "4242424242424242"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        order["state"], "confirmed",
        "the cart was kept after the failure: {order}"
    );
}

#[tokio::test]
async fn the_load_generator_checks_out_for_a_while_and_reports_what_it_saw() {
    let shop = TestShop::spawn("sqlite").await;
    let args = emporium::load::LoadArgs {
        url: shop.base_url.clone(),
        concurrency: 2,
        seconds: 1,
        rate: None,
    };
    let report = emporium::load::run(&args).await.unwrap();
    assert!(report.confirmed > 0, "{report:?}");
    assert_eq!(report.errors, 0, "{report:?}");
    assert_eq!(report.latencies.len(), report.confirmed + report.failed);
    assert!(report.percentile(50.0) <= report.percentile(99.0));
    // On a schedule of 10 a second for 2 s, 20 checkouts start: no more, however fast the shop.
    let paced = emporium::load::LoadArgs {
        concurrency: 4,
        seconds: 2,
        rate: Some(10.0),
        ..args
    };
    let report = emporium::load::run(&paced).await.unwrap();
    assert_eq!(report.errors, 0, "{report:?}");
    assert!(
        (15..=20).contains(&report.latencies.len()),
        "{} checkouts on a schedule of 20",
        report.latencies.len()
    );
    let too_fast = emporium::load::LoadArgs {
        rate: Some(0.0),
        ..paced
    };
    assert!(
        emporium::load::run(&too_fast)
            .await
            .unwrap_err()
            .to_string()
            .contains("--rate")
    );
    let too_long = emporium::load::LoadArgs {
        url: shop.base_url.clone(),
        concurrency: 1,
        seconds: 601,
        rate: None,
    };
    assert!(
        emporium::load::run(&too_long)
            .await
            .unwrap_err()
            .to_string()
            .contains("--seconds")
    );
}

/// The same checkout with NATS JetStream as the bus (`EMPORIUM_TEST_NATS_URL`): the order's
/// events travel through the server, and the notification they cause arrives.
#[tokio::test]
async fn with_the_nats_bus_a_checkout_confirms_and_its_email_arrives() {
    let Ok(nats) = std::env::var("EMPORIUM_TEST_NATS_URL") else {
        eprintln!("EMPORIUM_TEST_NATS_URL is not set: the NATS checkout is skipped");
        return;
    };
    let namespace = format!("it_{}", uuid::Uuid::new_v4().simple());
    let shop = TestShop::spawn_with("sqlite", |settings| {
        settings.bus_url = nats.clone();
        settings.bus_namespace = namespace.clone();
    })
    .await;
    let token = shop.user_token().await;
    fill_cart(&shop, &token, "KIT-00001").await;
    let order = place_confirmed(&shop, &token, "nats-1").await;
    let id = order["id"].as_str().unwrap();

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let messages = shop.mailbox.messages(&shop.user.0).unwrap_or_default();
        if messages.iter().any(|message| message.contains(id)) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no email for order {id} after 15 s; the mailbox holds {messages:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // The events went through the server: the domains' streams hold each step's.
    let jetstream = async_nats::jetstream::new(async_nats::connect(nats.as_str()).await.unwrap());
    let mut held = std::collections::BTreeMap::new();
    for domain in events::DOMAINS {
        let mut stream = jetstream
            .get_stream(format!("{namespace}_EMPORIUM_{}", domain.to_uppercase()))
            .await
            .unwrap();
        held.insert(*domain, stream.info().await.unwrap().state.messages);
    }
    for (domain, at_least) in [
        ("inventory", 2),
        ("payments", 2),
        ("shipping", 1),
        ("orders", 2),
    ] {
        assert!(
            held[domain] >= at_least,
            "{domain}: reserve and commit, authorize and capture, the shipment, placed and completed: {held:?}"
        );
    }
}

/// Carts in Redis, and Redis away: the cart answers 503 with a problem, and the rest of the shop
/// (products, orders) goes on.
#[tokio::test]
async fn with_redis_away_the_cart_answers_503_and_the_rest_of_the_shop_works() {
    let address = test_support::unused_address();
    let shop = TestShop::spawn_with("sqlite", |settings| {
        settings.cart.redis_url = format!("redis://{address}");
    })
    .await;
    let token = shop.user_token().await;
    let cart = shop
        .http
        .get(shop.url("/api/v1/cart"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_problem(cart, 503, "Redis").await;
    let products = shop
        .http
        .get(shop.url("/api/v1/products?page_size=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(products.status(), 200);
    let orders = shop
        .http
        .get(shop.url("/api/v1/orders"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(orders.status(), 200);
}

/// A NATS server of this test's own (`EMPORIUM_TEST_NATS_SERVER`, the `nats-server` binary),
/// on `port`, keeping its streams in `store`.
fn nats_server(binary: &str, port: u16, store: &std::path::Path) -> std::process::Child {
    std::process::Command::new(binary)
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(store)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_for_port(port: u16) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("nothing listens on {port} after 10 s");
}

/// NATS away: checkouts still commit, their events wait in the outboxes, and once NATS is back
/// they are delivered (the email arrives).
#[tokio::test]
async fn with_nats_away_checkouts_commit_and_their_events_go_out_when_it_is_back() {
    let Ok(binary) = std::env::var("EMPORIUM_TEST_NATS_SERVER") else {
        eprintln!("EMPORIUM_TEST_NATS_SERVER is not set: the NATS outage test is skipped");
        return;
    };
    let port = test_support::unused_address().port();
    let store =
        std::env::temp_dir().join(format!("emporium-nats-{}", uuid::Uuid::new_v4().simple()));
    let mut server = nats_server(&binary, port, &store);
    wait_for_port(port).await;
    let shop = TestShop::spawn_with("sqlite", |settings| {
        settings.bus_url = format!("nats://127.0.0.1:{port}");
    })
    .await;
    let token = shop.user_token().await;

    server.kill().unwrap();
    server.wait().unwrap();
    fill_cart(&shop, &token, "KIT-00001").await;
    // The checkout commits without NATS.
    let order = place_confirmed(&shop, &token, "outage-1").await;
    let id = order["id"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let has_email = || {
        shop.mailbox
            .messages(&shop.user.0)
            .unwrap_or_default()
            .iter()
            .any(|message| message.contains(&id))
    };
    assert!(!has_email(), "no email while the bus is away");

    let mut server = nats_server(&binary, port, &store);
    wait_for_port(port).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !has_email() {
        assert!(
            std::time::Instant::now() < deadline,
            "the email of order {id} did not come within 30 s of NATS coming back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
}
