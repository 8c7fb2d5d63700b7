//! The problem documents the REST API answers to malformed requests, as snapshots: each names
//! every problem of its request, and none of the requests stores anything.

use serde_json::{Value, json};

use crate::TestShop;

/// One request of the table: what it is, its method and path, its content type and body.
struct Malformed {
    what: &'static str,
    method: reqwest::Method,
    path: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
}

fn post_item(what: &'static str, body: impl Into<Vec<u8>>) -> Malformed {
    Malformed {
        what,
        method: reqwest::Method::POST,
        path: "/api/v1/cart/items",
        content_type: "application/json",
        body: body.into(),
    }
}

fn get(what: &'static str, path: &'static str) -> Malformed {
    Malformed {
        what,
        method: reqwest::Method::GET,
        path,
        content_type: "application/json",
        body: Vec::new(),
    }
}

fn malformed_requests() -> Vec<Malformed> {
    let json = |value: Value| value.to_string().into_bytes();
    let huge = format!(
        r#"{{"sku": "KIT-00001", "quantity": 1, "pad": "{}"}}"#,
        "x".repeat(10 << 20)
    );
    vec![
        post_item("not JSON", "{not json"),
        post_item(
            "a negative quantity",
            json(json!({"sku": "KIT-00001", "quantity": -1})),
        ),
        post_item(
            "a quantity past the limit",
            json(json!({"sku": "KIT-00001", "quantity": 1_000_000})),
        ),
        post_item(
            "a quantity of zero",
            json(json!({"sku": "KIT-00001", "quantity": 0})),
        ),
        post_item("no quantity", json(json!({"sku": "KIT-00001"}))),
        post_item(
            "every field wrong",
            json(json!({"sku": "-", "quantity": "two", "colour": "red"})),
        ),
        post_item(
            "a sku the catalog lacks",
            json(json!({"sku": "NOPE-00000", "quantity": 1})),
        ),
        post_item("a body past the size limit", huge),
        post_item(
            "text that is not UTF-8",
            b"{\"sku\": \"\xff\xfe\", \"quantity\": 1}".to_vec(),
        ),
        Malformed {
            content_type: "text/plain",
            ..post_item(
                "a body that is not JSON by its type",
                json(json!({"sku": "KIT-00001", "quantity": 1})),
            )
        },
        get("a path that does not decode", "/api/v1/products/%FF%FE"),
        get("a sku of the wrong form", "/api/v1/products/-x"),
        get("a route that does not exist", "/api/v1/nothing-here"),
        get(
            "a page size past the maximum",
            "/api/v1/products?page_size=1000",
        ),
        get(
            "a page size that is not a number",
            "/api/v1/products?page_size=abc",
        ),
        get(
            "a page size and a category both wrong",
            "/api/v1/products?page_size=-1&category=Pots%20",
        ),
        get("an empty category", "/api/v1/search?q=pan&category="),
        get(
            "a list's page token given to search",
            "/api/v1/search?q=pan&page_token=kKIT-00001",
        ),
        get("a search without its words", "/api/v1/search"),
    ]
}

/// The answer as the snapshot holds it: `instance` (a request id) left out.
async fn answer(response: reqwest::Response) -> Value {
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    let mut body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    if let Some(fields) = body.as_object_mut() {
        fields.remove("instance");
    }
    json!({"status": status, "content_type": content_type, "body": body})
}

#[tokio::test]
async fn malformed_requests_get_problems_that_name_each_fault_and_store_nothing() {
    let shop = TestShop::spawn("sqlite").await;
    let token = shop.user_token().await;
    let mut answers = serde_json::Map::new();
    for request in malformed_requests() {
        let response = shop
            .http
            .request(request.method, shop.url(request.path))
            .bearer_auth(&token)
            .header("content-type", request.content_type)
            .body(request.body)
            .send()
            .await
            .unwrap();
        answers.insert(request.what.to_owned(), answer(response).await);
    }
    insta::assert_json_snapshot!(answers);

    let cart = shop.get_json("/api/v1/cart", Some(&token)).await;
    assert_eq!(
        cart["item_count"], 0,
        "none of the malformed requests stored anything"
    );
}

#[tokio::test]
async fn a_checkout_past_the_gateways_deadline_gets_a_504_problem_and_its_retry_the_order() {
    let shop = TestShop::spawn_with("sqlite", |settings| {
        settings.services.gateway.request_timeout_seconds = 1;
    })
    .await;
    let admin = shop.admin_token_for("admin.faults").await;
    let slow = shop
        .http
        .put(shop.url("/api/v1/admin/faults/inventory.slow"))
        .bearer_auth(&admin)
        .json(&json!({"kind": "delay", "ms": 1500}))
        .send()
        .await
        .unwrap();
    assert_eq!(slow.status(), 204);
    let token = shop.user_token().await;
    let added = shop
        .http
        .post(shop.url("/api/v1/cart/items"))
        .bearer_auth(&token)
        .json(&json!({"sku": "KIT-00001", "quantity": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 200);
    let check_out = || {
        shop.http
            .post(shop.url("/api/v1/checkout"))
            .bearer_auth(&token)
            .header("idempotency-key", "past-the-deadline")
            .json(&json!({
                "address": {"name": "Ada", "line1": "1 Main St", "city": "Springfield",
                    "postal_code": "12345", "country": "US"},
                "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"},
            }))
            .send()
    };

    crate::assert_problem(check_out().await.unwrap(), 504, "Idempotency-Key").await;

    let cleared = shop
        .http
        .delete(shop.url("/api/v1/admin/faults/inventory.slow"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 204);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let retried = check_out().await.unwrap();
    assert_eq!(
        retried.status(),
        201,
        "the order placed before the deadline"
    );
    let order: Value = retried.json().await.unwrap();
    assert_eq!(order["state"], "confirmed", "{order}");
}
