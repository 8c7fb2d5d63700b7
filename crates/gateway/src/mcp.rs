//! The shop's tools for any agent: a Model Context Protocol server at `/mcp`, over the
//! streamable HTTP transport of the 2025-06-18 revision (JSON-RPC 2.0 posted, each answer a
//! JSON response; no server-sent stream, so `GET` is 405). It is stateless (no
//! `Mcp-Session-Id`), so any replica answers any request. Every call runs with the caller's own
//! bearer token: an agent acting for a shopper has that shopper's scopes and no more, and what
//! a service refuses comes back as the tool's error (`isError`). `initialize`, `ping`,
//! `tools/list` and `tools/call` are understood; the tools are the assistant's reading tools
//! (search, a product, the cart) and the cart and orders themselves.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use platform::transport::request;
use serde_json::{Value, json};

use crate::assistant::tools;
use crate::state::Gateway;

/// The protocol revision this server speaks (not 2025-03-26, whose JSON-RPC batches it does
/// not take); a client asking for another gets this one and decides.
const VERSIONS: &[&str] = &["2025-06-18"];
/// The most bytes of one message.
const MOST_BYTES: usize = 256 * 1024;

pub(crate) fn routes() -> Router<Gateway> {
    Router::new().route("/mcp", post(message).get(no_stream).delete(no_stream))
}

/// No stream from the server, and no session to end: 405, as the transport allows.
async fn no_stream() -> Response {
    (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "POST")]).into_response()
}

/// A JSON-RPC error answer.
fn error(id: &Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

fn answer(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// Whether a browser page of another origin sent this (refused against DNS rebinding).
fn foreign_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split("://").nth(1).unwrap_or(origin);
    origin_host != host
}

/// `POST /mcp`: one JSON-RPC message; a request is answered, a notification or a response is
/// accepted (202).
async fn message(
    State(gateway): State<Gateway>,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Response {
    if foreign_origin(&headers) {
        return (StatusCode::FORBIDDEN, "Origin: not this server's").into_response();
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(platform::auth::bearer_token)
        .map(str::to_owned);
    let Some(token) = token else {
        let challenge = [(header::WWW_AUTHENTICATE, "Bearer realm=\"emporium\"")];
        return (
            StatusCode::UNAUTHORIZED,
            challenge,
            "send a shop access token as Authorization: Bearer <token>",
        )
            .into_response();
    };
    if body.len() > MOST_BYTES {
        return axum::Json(error(
            &Value::Null,
            -32600,
            "the message is larger than 256 KiB",
        ))
        .into_response();
    }
    let Ok(message) = serde_json::from_slice::<Value>(&body) else {
        return axum::Json(error(&Value::Null, -32700, "the body is not JSON")).into_response();
    };
    let Some(method) = message["method"].as_str() else {
        // A response to nothing this server asked, or not a message at all.
        return match message.get("result").or(message.get("error")) {
            Some(_) => StatusCode::ACCEPTED.into_response(),
            None => axum::Json(error(&Value::Null, -32600, "not a JSON-RPC 2.0 message"))
                .into_response(),
        };
    };
    let Some(id) = message.get("id").cloned() else {
        return StatusCode::ACCEPTED.into_response();
    };
    let answered = match method {
        "initialize" => answer(&id, initialize(&message["params"])),
        "ping" => answer(&id, json!({})),
        "tools/list" => answer(&id, json!({"tools": definitions()})),
        "tools/call" => call(&gateway, &token, &id, &message["params"]).await,
        other => error(&id, -32601, &format!("method not found: {other}")),
    };
    axum::Json(answered).into_response()
}

fn initialize(params: &Value) -> Value {
    let asked = params["protocolVersion"].as_str().unwrap_or("");
    let version = VERSIONS
        .iter()
        .find(|known| **known == asked)
        .unwrap_or(&VERSIONS[0]);
    json!({
        "protocolVersion": version,
        "capabilities": {"tools": {"listChanged": false}},
        "serverInfo": {"name": "emporium", "title": "Emporium", "version": env!("CARGO_PKG_VERSION")},
        "instructions": "The tools of the Emporium shop, run with your bearer token's authority: search the catalogue, read a product, read and change the cart, read your orders.",
    })
}

/// The tools as MCP lists them: the assistant's, and orders.
fn definitions() -> Vec<Value> {
    let mut listed: Vec<Value> = tools::definitions()
        .into_iter()
        .map(|tool| {
            let schema: Value = serde_json::from_str(&tool.parameters)
                .unwrap_or_else(|_| json!({"type": "object"}));
            let description = match tool.name.as_str() {
                tools::ADD => "Adds a product to the cart of the token's shopper.".to_owned(),
                _ => tool.description,
            };
            json!({"name": tool.name, "description": description, "inputSchema": schema})
        })
        .collect();
    listed.push(json!({
        "name": "list_orders",
        "description": "Lists the orders of the token's shopper, newest first.",
        "inputSchema": {"type": "object", "properties": {}},
    }));
    listed
}

/// `tools/call`: the tool's answer, or its failure as `isError`.
async fn call(gateway: &Gateway, token: &str, id: &Value, params: &Value) -> Value {
    let name = params["name"].as_str().unwrap_or("");
    let arguments = params
        .get("arguments")
        .cloned()
        .unwrap_or_else(|| json!({}));
    if !arguments.is_object() {
        return error(id, -32602, "arguments: a JSON object");
    }
    let ran = match name {
        tools::ADD => add(gateway, token, &arguments).await,
        "list_orders" => orders(gateway, token).await,
        tools::SEARCH | tools::PRODUCT | tools::CART => {
            let call = proto::inference::ToolCall {
                id: String::new(),
                name: name.to_owned(),
                arguments: arguments.to_string(),
            };
            let found = tools::run(gateway, token, &call).await;
            let value: Value = serde_json::from_str(&found.text).unwrap_or(Value::Null);
            match value.get("error") {
                Some(failure) => Err(failure.as_str().unwrap_or("the tool failed").to_owned()),
                None => Ok(value),
            }
        }
        other => return error(id, -32602, &format!("there is no tool `{other}`")),
    };
    let result = match ran {
        Ok(value) => {
            json!({"content": [{"type": "text", "text": value.to_string()}], "structuredContent": value, "isError": false})
        }
        Err(failure) => json!({"content": [{"type": "text", "text": failure}], "isError": true}),
    };
    answer(id, result)
}

async fn add(gateway: &Gateway, token: &str, arguments: &Value) -> Result<Value, String> {
    let sku = arguments["sku"].as_str().unwrap_or("").to_uppercase();
    let quantity = arguments["quantity"].as_u64().unwrap_or(1);
    if !(1..=99).contains(&quantity) {
        return Err("quantity: 1 to 99".to_owned());
    }
    let add = proto::cart::AddItemRequest {
        sku,
        quantity: quantity as u32,
    };
    let view = gateway
        .cart
        .clone()
        .add_item(request(add, token))
        .await
        .map_err(|status| status.message().to_owned())?;
    let view = view.into_inner();
    let lines: Vec<Value> = view
        .lines
        .iter()
        .map(|line| json!({"sku": line.sku, "name": line.name, "quantity": line.quantity}))
        .collect();
    Ok(json!({"lines": lines, "item_count": view.item_count}))
}

async fn orders(gateway: &Gateway, token: &str) -> Result<Value, String> {
    let asked = proto::orders::ListOrdersRequest {
        page: crate::common::page(Some(20), None),
    };
    let listed = gateway
        .orders
        .clone()
        .list_orders(request(asked, token))
        .await
        .map_err(|status| status.message().to_owned())?;
    let orders: Vec<Value> = listed
        .into_inner()
        .orders
        .iter()
        .map(|order| {
            let state = proto::orders::OrderState::try_from(order.state).map_or("unknown".to_owned(), |state| state.as_str_name().to_lowercase());
            json!({"order_id": order.order_id, "state": state, "total_minor_units": order.total.as_ref().map(|m| m.minor_units), "created_at": order.created_at_unix})
        })
        .collect();
    Ok(json!({"orders": orders}))
}
