//! The operations view's buttons, pressed as a browser would post them: an event a consumer
//! could not handle is replayed from the dead letters once the consumer can; a dead webhook
//! delivery is replayed to a receiver that now takes it, and a function is rolled back; a form
//! without the operator's CSRF token is refused.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::TestShop;

/// A merchant's receiver on port 0 that refuses its first delivery with 500 and takes the rest.
async fn receiver_failing_once() -> (String, Arc<AtomicUsize>) {
    let posts = Arc::new(AtomicUsize::new(0));
    let counted = posts.clone();
    let route = axum::routing::post(move || {
        let posts = counted.clone();
        async move {
            match posts.fetch_add(1, Ordering::SeqCst) {
                0 => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::NO_CONTENT,
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/hooks", route);
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, posts)
}

/// The value of the first hidden field `name` on `page` after `after`.
fn field_after(page: &str, after: &str, name: &str) -> String {
    let from = page
        .find(after)
        .unwrap_or_else(|| panic!("no {after} on the page"));
    let marker = format!("name=\"{name}\" value=\"");
    let start = from + page[from..].find(&marker).unwrap() + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

/// The endpoint's deliveries once one is in `state`, waiting up to ten seconds.
async fn delivery_in(shop: &TestShop, token: &str, endpoint: &str, state: &str) -> Value {
    let path = format!("/api/v1/admin/webhooks/{endpoint}/deliveries");
    let started = Instant::now();
    loop {
        let deliveries = shop.get_json(&path, Some(token)).await["deliveries"].clone();
        let found = deliveries
            .as_array()
            .unwrap()
            .iter()
            .find(|delivery| delivery["state"] == state);
        if let Some(found) = found {
            return found.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no delivery became {state}: {deliveries}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn post_form(shop: &TestShop, token: &str, path: &str, form: &[(&str, &str)]) -> u16 {
    let response = shop
        .http
        .post(shop.url(path))
        .bearer_auth(token)
        .form(form)
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

#[tokio::test]
async fn an_operator_replays_a_dead_webhook_and_rolls_a_function_back_from_the_view() {
    let shop = TestShop::spawn_with("sqlite", |settings| {
        settings.services.functions.webhook_max_attempts = 1;
    })
    .await;
    let operator = shop
        .admin_token_for("admin.ops functions.admin webhooks.admin")
        .await;
    let (url, posts) = receiver_failing_once().await;
    let body = json!({"url": url, "event_types": ["emporium.orders.order_completed.v1"]});
    let created = shop
        .http
        .post(shop.url("/api/v1/admin/webhooks"))
        .bearer_auth(&operator)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{:?}", created.text().await);
    let endpoint = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    shop.deploy_function("hello", "hello", json!({"kv": true}), json!({"http": true}))
        .await;
    shop.deploy_function("hello", "hello", json!({"kv": true}), json!({"http": true}))
        .await;

    // A completed order's delivery fails once and, at one attempt, is dead.
    let shopper = shop.user_token().await;
    crate::checkout::fill_cart(&shop, &shopper, "KIT-00001").await;
    crate::checkout::place_confirmed(&shop, &shopper, "ops-webhook-1").await;
    let dead = delivery_in(&shop, &operator, &endpoint, "dead").await;
    let page = shop.get_text_with("/ops", &operator).await;
    let row = format!("data-endpoint=\"{endpoint}\"");
    assert!(
        page.contains(&row) && page.contains("data-state=\"dead\""),
        "{page}"
    );
    let csrf = field_after(&page, "action=\"/ops/webhooks/replay\"", "csrf");
    let event_id = dead["event_id"].as_str().unwrap();
    assert_eq!(
        field_after(&page, "action=\"/ops/webhooks/replay\"", "event_id"),
        event_id
    );

    let forged = [("csrf", "0"), ("id", &endpoint), ("event_id", event_id)];
    let status = post_form(&shop, &operator, "/ops/webhooks/replay", &forged).await;
    assert_eq!(
        status, 403,
        "a form without the operator's token is refused"
    );
    let replay = [
        ("csrf", csrf.as_str()),
        ("id", &endpoint),
        ("event_id", event_id),
    ];
    let status = post_form(&shop, &operator, "/ops/webhooks/replay", &replay).await;
    assert_eq!(status, 303);
    let delivered = delivery_in(&shop, &operator, &endpoint, "delivered").await;
    assert_eq!(delivered["event_id"], event_id);
    assert_eq!(posts.load(Ordering::SeqCst), 2, "refused once, taken once");

    // Two versions: the view offers a rollback, which puts the first back.
    let rollback_csrf = field_after(&page, "action=\"/ops/functions/rollback\"", "csrf");
    let rollback = [("csrf", rollback_csrf.as_str()), ("name", "hello")];
    let status = post_form(&shop, &operator, "/ops/functions/rollback", &rollback).await;
    assert_eq!(status, 303);
    let function = shop
        .get_json("/api/v1/admin/functions/hello", Some(&operator))
        .await;
    assert_eq!(
        function["traffic"],
        json!([{"version": 1, "percent": 100}]),
        "{function}"
    );
}

/// The `/ops` page once it lists a dead letter, waiting up to ten seconds.
async fn page_with_a_dead_letter(shop: &TestShop, operator: &str) -> String {
    let started = Instant::now();
    loop {
        let page = shop.get_text_with("/ops", operator).await;
        if page.contains("action=\"/ops/dead-letters/replay\"") {
            return page;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no dead letter on the page: {page}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_operator_replays_a_dead_event_once_its_consumer_can_handle_it() {
    // The mailbox's folder sits under a file, so notifications cannot write an email: at one
    // delivery, the order's completion is a dead letter at once.
    let mut blocker = std::path::PathBuf::new();
    let shop = TestShop::spawn_with("sqlite", |settings| {
        std::fs::create_dir_all(&settings.data_dir).unwrap();
        blocker = std::path::Path::new(&settings.data_dir).join("blocker");
        std::fs::write(&blocker, "not a folder").unwrap();
        let mailbox = blocker.join("mailbox");
        settings.services.notifications.mailbox_dir = mailbox.display().to_string();
        settings.services.notifications.max_deliver = 1;
    })
    .await;
    let operator = shop.admin_token_for("admin.ops").await;
    let (shopper, email) = crate::checkout::buyer(&shop, "dead-letter").await;
    crate::checkout::fill_cart(&shop, &shopper, "KIT-00002").await;
    let order = crate::checkout::place_confirmed(&shop, &shopper, "ops-dead-letter-1").await;
    let page = page_with_a_dead_letter(&shop, &operator).await;
    let consumer = field_after(&page, "action=\"/ops/dead-letters/replay\"", "consumer");
    let event_id = field_after(&page, "action=\"/ops/dead-letters/replay\"", "event_id");
    let csrf = field_after(&page, "action=\"/ops/dead-letters/replay\"", "csrf");
    assert_eq!(consumer, "notifications", "{page}");
    assert!(shop.mailbox.messages(&email).unwrap().is_empty());

    let forged = [
        ("csrf", "0"),
        ("consumer", &consumer),
        ("event_id", &event_id),
    ];
    let status = post_form(&shop, &operator, "/ops/dead-letters/replay", &forged).await;
    assert_eq!(
        status, 403,
        "a form without the operator's token is refused"
    );
    let unknown = [
        ("csrf", csrf.as_str()),
        ("consumer", &consumer),
        ("event_id", "no-such-event"),
    ];
    let status = post_form(&shop, &operator, "/ops/dead-letters/replay", &unknown).await;
    assert_eq!(status, 404, "an event no process holds is named as such");

    // The mailbox can be written again: the replay delivers the email and empties the list.
    std::fs::remove_file(&blocker).unwrap();
    let replay = [
        ("csrf", csrf.as_str()),
        ("consumer", &consumer),
        ("event_id", &event_id),
    ];
    let status = post_form(&shop, &operator, "/ops/dead-letters/replay", &replay).await;
    assert_eq!(status, 303);
    let started = Instant::now();
    while shop.mailbox.messages(&email).unwrap().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no email after the replay"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let messages = shop.mailbox.messages(&email).unwrap();
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0].contains(order["id"].as_str().unwrap()),
        "{}",
        messages[0]
    );
    let page = shop.get_text_with("/ops", &operator).await;
    assert!(page.contains("None: every event was handled."), "{page}");
    let status = post_form(&shop, &operator, "/ops/dead-letters/replay", &replay).await;
    assert_eq!(status, 404, "a dead letter is replayed once");
}
