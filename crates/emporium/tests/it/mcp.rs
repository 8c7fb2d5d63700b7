//! The MCP server's JSON-RPC edges over real HTTP (the official client's conversation is in
//! `tests/python/test_mcp_client.py`): a notification is accepted without an answer, an
//! unknown method and tool are JSON-RPC errors, the server offers no stream, and a page of
//! another origin is refused.

use serde_json::{Value, json};

use crate::TestShop;

async fn post(shop: &TestShop, token: &str, body: Value, origin: Option<&str>) -> (u16, String) {
    let mut sent = shop
        .http
        .post(shop.url("/mcp"))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .json(&body);
    if let Some(origin) = origin {
        sent = sent.header("origin", origin);
    }
    let answer = sent.send().await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

#[tokio::test]
async fn the_mcp_endpoint_answers_requests_accepts_notifications_and_names_what_it_refuses() {
    let shop = TestShop::spawn("sqlite").await;
    let (shopper, _) = crate::checkout::buyer(&shop, "mcp-edges").await;
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}});
    let (status, body) = post(&shop, &shopper, initialize, None).await;
    assert_eq!(status, 200);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body["result"]["protocolVersion"], "2025-06-18",
        "its own revision"
    );
    assert_eq!(
        body["result"]["capabilities"]["tools"]["listChanged"],
        false
    );

    let notification = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(
        post(&shop, &shopper, notification, None).await,
        (202, String::new())
    );
    let unknown = json!({"jsonrpc": "2.0", "id": "a", "method": "resources/list"});
    let (_, body) = post(&shop, &shopper, unknown, None).await;
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (body["id"].clone(), body["error"]["code"].clone()),
        (json!("a"), json!(-32601))
    );
    let no_tool = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "rm_rf", "arguments": {}}});
    let (_, body) = post(&shop, &shopper, no_tool, None).await;
    assert!(body.contains("-32602") && body.contains("rm_rf"), "{body}");

    let ping = json!({"jsonrpc": "2.0", "id": 3, "method": "ping"});
    let (status, _) = post(&shop, &shopper, ping, Some("http://evil.example")).await;
    assert_eq!(status, 403);
    let stream = shop
        .http
        .get(shop.url("/mcp"))
        .bearer_auth(&shopper)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 405);
}
