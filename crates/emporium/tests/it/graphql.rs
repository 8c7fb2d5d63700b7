//! GraphQL at /graphql over real HTTP and a real WebSocket: loaders keep downstream calls
//! constant as a query grows, limits refuse expensive queries with a code, errors carry the
//! REST problem's code, persisted queries, the cart and checkout mutations, and a subscription
//! that sees an order's states in order.

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::TestShop;
use crate::checkout::set_stock;

/// Posts a query (and variables) with an optional token; the JSON answer.
pub(crate) async fn graphql(
    shop: &TestShop,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Value {
    let mut request = shop
        .http
        .post(shop.url("/graphql"))
        .json(&json!({"query": query, "variables": variables}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn calls(answer: &Value) -> u64 {
    answer["extensions"]["downstreamCalls"]["total"]
        .as_u64()
        .unwrap_or_else(|| panic!("no call count: {answer}"))
}

async fn buyer(shop: &TestShop) -> String {
    let email = format!("gql-{}@example.com", uuid::Uuid::new_v4().simple());
    emporium::load::sign_up(&shop.http, &shop.base_url, &email)
        .await
        .unwrap()
}

const ADDRESS: &str =
    r#"{name: "Ada", line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US"}"#;
const CARD: &str = r#"{number: "4242424242424242", expMonth: 12, expYear: 2031, cvc: "123"}"#;

/// Buys one of `sku` through GraphQL; the order's id.
async fn buy(shop: &TestShop, token: &str, sku: &str) -> String {
    let added = graphql(
        shop,
        Some(token),
        "mutation($sku: String!) { addToCart(sku: $sku) { itemCount } }",
        json!({"sku": sku}),
    )
    .await;
    assert_eq!(added["data"]["addToCart"]["itemCount"], 1, "{added}");
    let query = format!(
        "mutation($key: String!) {{ checkout(idempotencyKey: $key, address: {ADDRESS}, card: {CARD}) {{ id state }} }}"
    );
    let key = uuid::Uuid::new_v4().to_string();
    let order = graphql(shop, Some(token), &query, json!({"key": key})).await;
    assert_eq!(order["data"]["checkout"]["state"], "CONFIRMED", "{order}");
    let again = graphql(shop, Some(token), &query, json!({"key": key})).await;
    assert_eq!(
        again["data"]["checkout"]["id"],
        order["data"]["checkout"]["id"]
    );
    order["data"]["checkout"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn loaders_keep_downstream_calls_constant_as_a_query_grows() {
    // Loaders gather keys for 1 ms by default; on a machine busy with the other tests, fifty
    // resolvers can take longer than that to ask, and their keys would go in two calls.
    let shop = TestShop::spawn_with("sqlite", |settings| {
        settings.services.gateway.graphql.loader_delay_ms = 25;
    })
    .await;
    let products = "query($first: Int!) { products(first: $first, category: \"kitchen\") {
        totalCount edges { cursor node { sku stock { available } category { name } } } } }";
    let ten = graphql(&shop, None, products, json!({"first": 10})).await;
    let fifty = graphql(&shop, None, products, json!({"first": 50})).await;
    assert_eq!(
        fifty["data"]["products"]["edges"].as_array().unwrap().len(),
        50
    );
    let node = &fifty["data"]["products"]["edges"][0]["node"];
    assert_eq!(node["category"]["name"], "Kitchen");
    assert!(node["stock"]["available"].as_i64().unwrap() >= 0);
    assert_eq!(
        calls(&ten),
        3,
        "list, stock, categories: {}",
        ten["extensions"]
    );
    assert_eq!(
        calls(&fifty),
        3,
        "the same three for fifty: {}",
        fifty["extensions"]
    );

    // Orders x lines x product: one call for the orders, one for every product in them.
    let token = buyer(&shop).await;
    for sku in ["KIT-00004", "KIT-00005"] {
        set_stock(&shop, sku, 50).await;
        buy(&shop, &token, sku).await;
    }
    let orders =
        "{ me { orders(first: 20) { id lines { quantity product { name price { amount } } } } } }";
    let two = graphql(&shop, Some(&token), orders, json!({})).await;
    for sku in ["KIT-00006", "KIT-00007", "KIT-00008"] {
        set_stock(&shop, sku, 50).await;
        buy(&shop, &token, sku).await;
    }
    let five = graphql(&shop, Some(&token), orders, json!({})).await;
    assert_eq!(
        five["data"]["me"]["orders"].as_array().unwrap().len(),
        5,
        "{five}"
    );
    assert!(five["data"]["me"]["orders"][0]["lines"][0]["product"]["name"].is_string());
    assert_eq!(calls(&two), 2, "{}", two["extensions"]);
    assert_eq!(calls(&five), 2, "{}", five["extensions"]);
}

#[tokio::test]
async fn limits_and_errors_answer_with_codes() {
    let shop = TestShop::spawn("sqlite").await;
    let code = |answer: &Value| answer["errors"][0]["extensions"]["code"].clone();

    let complex = graphql(
        &shop,
        None,
        "{ a: products(first: 100) { edges { node { sku name description stock { available onHand reserved } category { name slug description productCount } price { amount currency minorUnits } } } }
           b: products(first: 100) { edges { node { sku name description stock { available onHand reserved } category { name slug description productCount } price { amount currency minorUnits } } } }
           c: products(first: 100) { edges { node { sku name description stock { available onHand reserved } category { name slug description productCount } price { amount currency minorUnits } } } } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&complex), "query-too-complex", "{complex}");

    let aliases: String = (0..31)
        .map(|index| format!("p{index}: categories {{ slug }} "))
        .collect();
    let answer = graphql(&shop, None, &format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(code(&answer), "too-many-aliases", "{answer}");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("31 aliases")
    );

    let answer = graphql(&shop, None, "{ me { id } }", json!({})).await;
    assert_eq!(code(&answer), "unauthenticated", "{answer}");
    assert_eq!(answer["errors"][0]["extensions"]["status"], 401);
    let token = buyer(&shop).await;
    let answer = graphql(
        &shop,
        Some(&token),
        "mutation { addToCart(sku: \"KIT-00001\", quantity: 0) { itemCount } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&answer), "validation", "{answer}");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("quantity")
    );
    let answer = graphql(
        &shop,
        None,
        "{ product(sku: \"NOPE-1\") { name } }",
        json!({}),
    )
    .await;
    assert_eq!(answer["data"]["product"], Value::Null, "{answer}");
    let answer = graphql(
        &shop,
        None,
        "{ products(first: 0) { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&answer), "validation", "{answer}");
    let answer = graphql(&shop, None, "{ products { ", json!({})).await;
    assert_eq!(code(&answer), "graphql-parse", "{answer}");
}

#[tokio::test]
async fn queries_nested_too_deep_are_refused() {
    let shop = TestShop::spawn_with("sqlite", |settings| {
        settings.services.gateway.graphql.max_depth = 4;
    })
    .await;
    let answer = graphql(
        &shop,
        None,
        "{ products { edges { node { category { name } } } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "query-too-deep",
        "{answer}"
    );
    let answer = graphql(&shop, None, "{ categories { name } }", json!({})).await;
    assert!(answer["errors"].is_null(), "{answer}");
}

#[tokio::test]
async fn persisted_queries_are_kept_by_their_sha256() {
    let shop = TestShop::spawn("sqlite").await;
    let query = "{ categories { slug } }";
    use sha2::Digest as _;
    let hash = format!("{:x}", sha2::Sha256::digest(query.as_bytes()));
    let persisted = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}});
    let send = |body: Value| shop.http.post(shop.url("/graphql")).json(&body).send();
    let unknown: Value = send(json!({"extensions": persisted}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(
        unknown["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    let stored: Value = send(json!({"query": query, "extensions": persisted}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(stored["data"]["categories"].is_array(), "{stored}");
    let by_hash: Value = send(json!({"extensions": persisted}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_hash["data"], stored["data"]);
    let wrong: Value = send(json!({"query": "{ categories { name } }", "extensions": persisted}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        wrong["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("sha"),
        "{wrong}"
    );
}

#[tokio::test]
async fn a_subscription_sees_an_order_move_through_its_states_in_order() {
    let shop = TestShop::spawn("sqlite").await;
    let token = buyer(&shop).await;
    let sku = "KIT-00009";
    set_stock(&shop, sku, 10).await;
    let order_id = buy(&shop, &token, sku).await;

    let url = shop.url("/graphql/ws").replacen("http", "ws", 1);
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    let init =
        json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}});
    socket.send(Message::text(init.to_string())).await.unwrap();
    let ack = next_message(&mut socket).await;
    assert_eq!(ack["type"], "connection_ack");
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": {
        "query": "subscription($id: String!) { orderUpdates(id: $id) { id state lines { product { sku } } } }",
        "variables": {"id": order_id}}});
    socket
        .send(Message::text(subscribe.to_string()))
        .await
        .unwrap();
    let first = next_message(&mut socket).await;
    assert_eq!(first["type"], "next", "{first}");
    let order = &first["payload"]["data"]["orderUpdates"];
    assert_eq!(
        order["state"], "CONFIRMED",
        "a finished order's stream is its last state"
    );
    assert_eq!(order["lines"][0]["product"]["sku"], sku);
    let complete = next_message(&mut socket).await;
    assert_eq!(complete["type"], "complete", "{complete}");

    // A live order: slow stock makes the saga wait before it reserves and again before it
    // commits the stock, so the subscription starts before the order ends and sees the states
    // it moves through from then on, in the saga's order.
    let sku = "KIT-00010";
    set_stock(&shop, sku, 10).await;
    shop.switch_fault("inventory.slow", Some(json!({"kind": "delay", "ms": 1500})))
        .await;
    let buying = tokio::spawn({
        let (http, base, token) = (shop.http.clone(), shop.base_url.clone(), token.clone());
        async move {
            let query = format!(
                "mutation {{ addToCart(sku: \"{sku}\") {{ itemCount }} checkout(idempotencyKey: \"live\", address: {ADDRESS}, card: {CARD}) {{ id state }} }}"
            );
            http.post(format!("{base}/graphql"))
                .bearer_auth(token)
                .json(&json!({"query": query}))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    });
    let live_id = loop {
        let listed = graphql(
            &shop,
            Some(&token),
            "{ me { orders(first: 1) { id state } } }",
            json!({}),
        )
        .await;
        let newest = &listed["data"]["me"]["orders"][0];
        if newest["id"] != order_id.as_str() && newest["id"].is_string() {
            break newest["id"].as_str().unwrap().to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let subscribe = json!({"id": "2", "type": "subscribe", "payload": {
        "query": "subscription($id: String!) { orderUpdates(id: $id) { state } }",
        "variables": {"id": live_id}}});
    socket
        .send(Message::text(subscribe.to_string()))
        .await
        .unwrap();
    let mut states = Vec::new();
    loop {
        let message = next_message(&mut socket).await;
        match message["type"].as_str() {
            Some("next") => states.push(
                message["payload"]["data"]["orderUpdates"]["state"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            ),
            Some("complete") => break,
            other => panic!("unexpected {other:?}: {message}"),
        }
    }
    let saga = [
        "PENDING",
        "STOCK_RESERVED",
        "PAYMENT_AUTHORIZED",
        "SHIPMENT_CREATED",
        "PAYMENT_CAPTURED",
        "CONFIRMED",
    ];
    let positions: Vec<usize> = states
        .iter()
        .map(|state| saga.iter().position(|step| step == state).unwrap())
        .collect();
    assert!(states.len() >= 2, "more than the last state: {states:?}");
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "in order: {states:?}"
    );
    assert_eq!(states.last().map(String::as_str), Some("CONFIRMED"));
    let bought = buying.await.unwrap();
    assert_eq!(
        bought["data"]["checkout"]["id"],
        live_id.as_str(),
        "{bought}"
    );
    shop.switch_fault("inventory.slow", None).await;
    socket.close(None).await.unwrap();
}

async fn next_message<S>(socket: &mut S) -> Value
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
            .await
            .expect("a message within 10 s")
            .expect("the socket stays open")
            .unwrap();
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

#[tokio::test]
async fn graphiql_is_served_from_the_binary() {
    let shop = TestShop::spawn("sqlite").await;
    let page = shop
        .http
        .get(shop.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(!html.contains("<script>"), "no inline script");
    for asset in html
        .split("src=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
    {
        let response = shop.http.get(shop.url(asset)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/javascript")
        );
    }
    let script = shop
        .http
        .get(shop.url("/graphql/assets/graphiql.min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.headers()["content-encoding"], "gzip");
    assert_eq!(script.bytes().await.unwrap()[..2], [0x1f, 0x8b]);
    // Without an HTML Accept, GET runs a query.
    let answer = shop
        .get_json("/graphql?query=%7Bcategories%7Bslug%7D%7D", None)
        .await;
    assert!(answer["data"]["categories"].is_array(), "{answer}");
}
