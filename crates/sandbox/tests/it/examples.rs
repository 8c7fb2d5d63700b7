//! The example functions in `guests/` (AssemblyScript and C), as committed, doing their jobs.

use sandbox::{Compiled, Grants, Runtime};
use serde_json::{Value, json};

use crate::{limits, runtime};

fn module(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../guests/wasm/{name}.wasm",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|error| panic!("read {path}: {error}"))
}

async fn example(runtime: &Runtime, name: &str, grants: Grants) -> Compiled {
    let bytes = module(name);
    runtime
        .compile(name, bytes, limits(), grants)
        .await
        .unwrap_or_else(|refusal| panic!("{name}: {refusal}"))
}

async fn answer(runtime: &Runtime, function: &Compiled, input: &Value) -> Value {
    let invocation = runtime.invoke(function, input.to_string().as_bytes()).await;
    let output = invocation
        .result
        .unwrap_or_else(|fault| panic!("{}: {fault}", function.name()));
    serde_json::from_slice(&output).expect("the answer is JSON")
}

fn request(path: &str, headers: Value) -> Value {
    json!({"trigger": "edge", "phase": "before", "now": 1_765_000_000,
           "request": {"method": "GET", "path": path, "query": "", "client_ip": "203.0.113.7", "headers": headers}})
}

#[tokio::test]
async fn the_ab_test_assigns_a_sticky_variant_to_half_of_new_shoppers() {
    let (runtime, _) = runtime();
    let ab = example(&runtime, "ab-test", Grants::default()).await;

    let mut b = 0;
    for n in 0..200 {
        let decision = answer(
            &runtime,
            &ab,
            &request("/", json!({"x-request-id": format!("request-{n}")})),
        )
        .await;
        let variant = decision["request_headers"]["x-emporium-variant"]
            .as_str()
            .unwrap()
            .to_owned();
        let cookie = decision["set_cookies"][0].as_str().unwrap();
        assert!(
            cookie.starts_with(&format!("emporium_ab={variant}; Path=/;")),
            "{cookie}"
        );
        b += usize::from(variant == "B");
    }
    assert!((60..=140).contains(&b), "{b} of 200 got B");

    let returning = request(
        "/",
        json!({"cookie": "theme=dark; emporium_ab=B", "x-request-id": "request-1"}),
    );
    let decision = answer(&runtime, &ab, &returning).await;
    assert_eq!(decision["action"], "continue");
    assert_eq!(decision["response_headers"]["x-emporium-variant"], "B");
    assert!(
        decision.get("set_cookies").is_none(),
        "a kept variant sets no cookie: {decision}"
    );
}

#[tokio::test]
async fn the_personalised_listing_puts_the_preferred_category_first_in_order() {
    let (runtime, _) = runtime();
    let personalise = example(&runtime, "personalise", Grants::default()).await;
    let body = json!({"items": [
        {"sku": "A-1", "category": "garden", "name": "a \"quoted\" {brace}"},
        {"sku": "K-1", "category": "kitchen"},
        {"sku": "A-2", "category": "garden"},
        {"sku": "K-2", "category": "kitchen"}], "next_page_token": "t"});
    let mut input = request(
        "/api/v1/products",
        json!({"cookie": "emporium_pref=kitchen"}),
    );
    input["phase"] = json!("after");
    input["response"] = json!({"status": 200, "body": body});

    let decision = answer(&runtime, &personalise, &input).await;

    assert_eq!(decision["action"], "replace");
    assert_eq!(
        decision["response_headers"]["x-emporium-personalised"],
        "kitchen"
    );
    let skus: Vec<&str> = decision["body"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["sku"].as_str().unwrap())
        .collect();
    assert_eq!(skus, ["K-1", "K-2", "A-1", "A-2"]);
    assert_eq!(decision["body"]["items"][2]["name"], "a \"quoted\" {brace}");
    assert_eq!(decision["body"]["next_page_token"], "t");

    input["request"]["headers"] = json!({});
    assert_eq!(
        answer(&runtime, &personalise, &input).await,
        json!({"action": "continue"})
    );
}

#[tokio::test]
async fn the_redirect_moves_old_paths_and_passes_the_rest() {
    let (runtime, _) = runtime();
    let redirect = example(&runtime, "redirect", Grants::default()).await;

    let moved = answer(&runtime, &redirect, &request("/kitchen", json!({}))).await;
    let other = answer(&runtime, &redirect, &request("/kitchenware", json!({}))).await;

    assert_eq!(
        moved,
        json!({"action": "redirect", "status": 301, "location": "/?category=kitchen"})
    );
    assert_eq!(other, json!({"action": "continue"}));
}

#[tokio::test]
async fn the_webhook_transformer_writes_a_chat_message() {
    let (runtime, _) = runtime();
    let slack = example(&runtime, "webhook-slack", Grants::default()).await;
    let event = json!({"trigger": "webhook", "event": {"id": "e1", "type": "emporium.orders.order_completed.v1",
        "data": {"order_id": "o-123", "user_id": "u1", "confirmed": true, "failure_reason": ""}}});

    assert_eq!(
        answer(&runtime, &slack, &event).await,
        json!({"text": "Order o-123 confirmed"})
    );
}

#[tokio::test]
async fn the_bot_rule_refuses_crawlers_and_addresses_over_their_limit() {
    let (runtime, _) = runtime();
    let bot = example(
        &runtime,
        "bot-rule",
        Grants {
            kv: true,
            emit: Vec::new(),
        },
    )
    .await;
    let crawler = request(
        "/",
        json!({"user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"}),
    );
    let shopper = request(
        "/",
        json!({"user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"}),
    );

    let refused = answer(&runtime, &bot, &crawler).await;
    assert_eq!(refused["status"], 403);
    assert_eq!(refused["body"]["title"], "Forbidden");

    for _ in 0..100 {
        assert_eq!(answer(&runtime, &bot, &shopper).await["action"], "continue");
    }
    let over = answer(&runtime, &bot, &shopper).await;
    assert_eq!(over["status"], 429);
    // 1_765_000_000 is 40 s into its minute.
    assert_eq!(over["headers"]["retry-after"], "20");
    let mut next_minute = shopper.clone();
    next_minute["now"] = json!(1_765_000_020);
    assert_eq!(
        answer(&runtime, &bot, &next_minute).await["action"],
        "continue"
    );
}

#[tokio::test]
async fn loyalty_awards_points_once_when_an_order_is_confirmed() {
    let (runtime, key_value) = runtime();
    let awarded = "emporium.functions.points_awarded.v1";
    let grants = Grants {
        kv: true,
        emit: vec![awarded.to_owned()],
    };
    let loyalty = example(&runtime, "loyalty", grants).await;
    let placed = |order: &str, total: i64| {
        json!({"trigger": "event", "event": {"id": format!("p-{order}"),
        "type": "emporium.orders.order_placed.v1", "data": {"order_id": order, "user_id": "u-7", "total_minor_units": total}}})
    };
    let completed = |order: &str| {
        json!({"trigger": "event", "event": {"id": format!("c-{order}"),
        "type": "emporium.orders.order_completed.v1", "data": {"order_id": order, "user_id": "u-7", "confirmed": true}}})
    };

    assert_eq!(
        answer(&runtime, &loyalty, &placed("o-1", 5_399)).await,
        json!({"pending": 53})
    );
    let first = runtime
        .invoke(&loyalty, completed("o-1").to_string().as_bytes())
        .await;
    let again = runtime
        .invoke(&loyalty, completed("o-1").to_string().as_bytes())
        .await;
    answer(&runtime, &loyalty, &placed("o-2", 1_000)).await;
    let second = answer(&runtime, &loyalty, &completed("o-2")).await;

    let output: Value = serde_json::from_slice(first.result.as_ref().unwrap()).unwrap();
    assert_eq!(
        output,
        json!({"user_id": "u-7", "order_id": "o-1", "points": 53, "balance": 53})
    );
    assert_eq!(first.events.len(), 1);
    assert_eq!(first.events[0].event_type, awarded);
    assert_eq!(
        serde_json::from_slice::<Value>(&again.result.unwrap()).unwrap(),
        json!({"points": 0})
    );
    assert!(again.events.is_empty(), "a second delivery awards nothing");
    assert_eq!(second["balance"], 63);
    assert_eq!(
        key_value.get_now("loyalty", "points:u-7"),
        Some(b"63".to_vec())
    );
}

#[tokio::test]
async fn an_example_is_refused_without_the_host_calls_it_imports() {
    let (runtime, _) = runtime();
    let refusal = runtime
        .compile("loyalty", module("loyalty"), limits(), Grants::default())
        .await
        .unwrap_err();
    let sandbox::Refused::NotGranted(call) = &refusal else {
        panic!("{refusal:?}")
    };
    assert!(call.starts_with("kv_"), "{refusal}");
}
