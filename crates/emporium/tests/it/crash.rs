//! The real binary killed in the middle of checkouts: on restart every saga completes (the card
//! waits in the payments vault), and no order is charged twice, no stock is lost or held, every
//! charge belongs to a confirmed order or was given back.

use std::time::Duration;

use proto::inventory::inventory_client::InventoryClient;
use proto::payments::payments_client::PaymentsClient;
use serde_json::json;

use crate::binary::{Running, start, stop, token};

fn grpc_url(printed: &str) -> String {
    printed
        .lines()
        .find_map(|line| {
            line.trim()
                .strip_prefix("gRPC")
                .map(|url| url.trim().to_owned())
        })
        .expect("the binary prints its gRPC URL")
}

fn kill_hard(running: Running) {
    let status = std::process::Command::new("kill")
        .args(["-KILL", &running.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut child = running.child;
    child.wait().unwrap();
}

struct Buyer {
    name: String,
    token: String,
}

async fn buyer(http: &reqwest::Client, base_url: &str, name: &str, sku: &str) -> Buyer {
    http.post(format!("{base_url}/api/v1/account/signup"))
        .json(&json!({"email": format!("{name}@example.com"), "password": PASSWORD, "display_name": name}))
        .send()
        .await
        .unwrap();
    let buyer = log_in(http, base_url, name).await;
    let added = http
        .post(format!("{base_url}/api/v1/cart/items"))
        .bearer_auth(&buyer.token)
        .json(&json!({"sku": sku, "quantity": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 200);
    buyer
}

const PASSWORD: &str = "correct horse battery";

/// A new token: the issuer is the URL of this run, so tokens of an earlier run do not count.
async fn log_in(http: &reqwest::Client, base_url: &str, name: &str) -> Buyer {
    let email = format!("{name}@example.com");
    let password = PASSWORD;
    let login: serde_json::Value = http
        .post(format!("{base_url}/api/v1/account/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Buyer {
        name: name.to_owned(),
        token: login["access_token"].as_str().unwrap().to_owned(),
    }
}

fn checkout_body() -> serde_json::Value {
    json!({
        "address": {"name": "Ada", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"},
        "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}
    })
}

/// Every order of `buyer`, once all are terminal (waits up to 20 s for resumed sagas).
async fn terminal_orders(
    http: &reqwest::Client,
    base_url: &str,
    buyer: &Buyer,
) -> Vec<serde_json::Value> {
    for _ in 0..200 {
        let response = http
            .get(format!("{base_url}/api/v1/orders"))
            .bearer_auth(&buyer.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let orders: Vec<serde_json::Value> = response.json().await.unwrap();
        if orders
            .iter()
            .all(|order| order["state"] == "confirmed" || order["state"] == "failed")
        {
            return orders;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("some saga never reached a terminal state");
}

#[tokio::test]
async fn sagas_survive_a_crash_after_a_step_and_a_sigkill_mid_checkout() {
    test_support::install_crypto();
    let data_dir = std::env::temp_dir().join(format!("emporium-crash-{}", std::process::id()));
    let http = reqwest::Client::new();
    let sku = "KIT-00001";
    let initial = catalog::seed::products()
        .unwrap()
        .iter()
        .find(|product| product.sku == sku)
        .unwrap()
        .stock;

    // Phase one: the process aborts right after creating the shipment (step 3).
    let running = start(&data_dir);
    let base_url = running.base_url.clone();
    let admin = token(&data_dir, &base_url, true);
    let first = buyer(&http, &base_url, "first", sku).await;
    let crash = http
        .put(format!(
            "{base_url}/api/v1/admin/faults/orders.crash_after_step"
        ))
        .bearer_auth(&admin)
        .json(&json!({"kind": "crash_after_step", "step": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(crash.status(), 204);
    let died = http
        .post(format!("{base_url}/api/v1/checkout"))
        .bearer_auth(&first.token)
        .header("idempotency-key", "c1")
        .json(&checkout_body())
        .send()
        .await;
    assert!(died.is_err(), "the process died during the checkout");
    let mut child = running.child;
    child.wait().unwrap();

    // Phase two: restarted, the saga goes on from the shipment; then a SIGKILL mid-checkouts.
    let running = start(&data_dir);
    let base_url = running.base_url.clone();
    let first = log_in(&http, &base_url, &first.name).await;
    let first_orders = terminal_orders(&http, &base_url, &first).await;
    assert_eq!(first_orders.len(), 1);
    assert_eq!(
        first_orders[0]["state"], "confirmed",
        "resumed after step 3, it needs no card: {}",
        first_orders[0]
    );

    let admin = token(&data_dir, &base_url, true);
    let slow = http
        .put(format!("{base_url}/api/v1/admin/faults/inventory.slow"))
        .bearer_auth(&admin)
        .json(&json!({"kind": "delay", "ms": 300}))
        .send()
        .await
        .unwrap();
    assert_eq!(slow.status(), 204);
    let mut buyers = Vec::new();
    for index in 0..6 {
        buyers.push(buyer(&http, &base_url, &format!("buyer{index}"), sku).await);
    }
    let checkouts: Vec<_> = buyers
        .iter()
        .enumerate()
        .map(|(index, buyer)| {
            let request = http
                .post(format!("{base_url}/api/v1/checkout"))
                .bearer_auth(&buyer.token)
                .header("idempotency-key", format!("k{index}"))
                .json(&checkout_body())
                .send();
            tokio::spawn(request)
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(450)).await;
    kill_hard(running);
    for checkout in checkouts {
        let _ = checkout.await;
    }

    // Phase three: restarted again, every saga ends and the books and shelves add up.
    let running = start(&data_dir);
    let base_url = running.base_url.clone();
    let admin = token(&data_dir, &base_url, true);
    let mut confirmed = 0;
    let mut order_ids = Vec::new();
    let mut everyone = Vec::new();
    for buyer in buyers.iter().chain(std::iter::once(&first)) {
        everyone.push(log_in(&http, &base_url, &buyer.name).await);
    }
    for buyer in &everyone {
        for order in terminal_orders(&http, &base_url, buyer).await {
            // The card waits in the payments vault: a saga the kill interrupted before its
            // authorization pays with it after the restart.
            assert_eq!(
                order["state"], "confirmed",
                "every order accepted before the kill ends confirmed: {order}"
            );
            confirmed += 1;
            order_ids.push(order["id"].as_str().unwrap().to_owned());
        }
    }
    let mut payments =
        PaymentsClient::new(platform::transport::network(&grpc_url(&running.printed)).unwrap());
    for order_id in &order_ids {
        let listed = payments
            .list_payments_for_order(platform::transport::request(
                proto::payments::ListPaymentsForOrderRequest {
                    order_id: order_id.clone(),
                },
                &admin,
            ))
            .await
            .unwrap()
            .into_inner()
            .payments;
        let captured = listed
            .iter()
            .filter(|payment| payment.state == proto::payments::PaymentState::Captured as i32)
            .count();
        assert!(
            captured <= 1,
            "order {order_id} was charged {captured} times"
        );
        assert!(
            listed
                .iter()
                .all(|payment| payment.state != proto::payments::PaymentState::Authorized as i32),
            "no authorization is left hanging for {order_id}"
        );
    }
    let mut inventory =
        InventoryClient::new(platform::transport::network(&grpc_url(&running.printed)).unwrap());
    let mut level = None;
    for _ in 0..100 {
        let current = inventory
            .get_stock(platform::transport::request(
                proto::inventory::GetStockRequest {
                    skus: vec![sku.to_owned()],
                },
                &admin,
            ))
            .await
            .unwrap()
            .into_inner()
            .levels
            .remove(0);
        if current.reserved == 0 {
            level = Some(current);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let level = level.expect("every reservation was committed or released");
    assert_eq!(
        level.on_hand,
        initial - confirmed,
        "stock sold equals orders confirmed ({confirmed})"
    );
    let logs = running.logs.clone();
    drop(payments);
    drop(inventory);
    let stopped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| stop(running.child)));
    if stopped.is_err() {
        let logs = logs.lock().unwrap();
        let tail: Vec<&str> = logs.lines().rev().take(30).collect();
        panic!(
            "did not stop; last logs:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    std::fs::remove_dir_all(&data_dir).unwrap();
}
