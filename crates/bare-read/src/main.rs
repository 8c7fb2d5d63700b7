//! `bare-read`: axum answering `GET /api/v1/products/{sku}` with one product's JSON from memory,
//! with no auth, telemetry, metrics or downstream call. `emporium bench` measures the gateway's
//! product read against it: what routing and serialisation alone cost on this machine.
//!
//! `bare-read [--port PORT] [--product FILE]`: port 0 (the default) picks a free one, and the
//! address is printed as `listening on 127.0.0.1:PORT`. FILE holds the product's JSON, as the
//! shop answers it; without one, the seed's first product in the same shape is served.

use std::process::ExitCode;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The seed's first product as the gateway answers it, for a run without `--product`.
const DEFAULT_PRODUCT: &str = r#"{"sku":"KIT-00001","name":"Denim Apron in Sage","description":"This chef's apron is cut from 12-ounce selvedge denim, which gives it structure that breaks in to your shape. It works just as well for baking days as for pottery and craft projects. In sage, it sits happily in professional and modern rooms alike.","category":"kitchen","price":{"minor_units":5399,"currency":"USD"},"image_urls":["/images/products/KIT-00001-1.svg","/images/products/KIT-00001-2.svg"],"attributes":{"brand":"Mise","material":"denim","color":"sage","style":"professional","use":"serious Sunday cooking","sizes":["One Size"],"weight_grams":375,"care":"wash cold inside out"},"created_at":0,"updated_at":0}"#;

const USAGE: &str = "usage: bare-read [--port PORT] [--product FILE]";

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bare-read: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let (port, product_file) = arguments()?;
    let text = match &product_file {
        Some(path) => {
            std::fs::read_to_string(path).map_err(|error| format!("read {path}: {error}"))?
        }
        None => DEFAULT_PRODUCT.to_owned(),
    };
    let product: serde_json::Value =
        serde_json::from_str(&text).map_err(|error| format!("read the product's JSON: {error}"))?;
    let app = axum::Router::new()
        .route("/api/v1/products/{sku}", axum::routing::get(read_product))
        .with_state(Arc::new(product));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|error| format!("listen on port {port}: {error}"))?;
    let address = listener.local_addr().map_err(|error| error.to_string())?;
    println!("listening on {address}");
    axum::serve(listener, app)
        .await
        .map_err(|error| format!("serve: {error}"))
}

/// The port and the product file from the command line; a bare number is the port.
fn arguments() -> Result<(u16, Option<String>), String> {
    let (mut port, mut product_file) = (0, None);
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        let port_text = match argument.as_str() {
            "--product" => {
                product_file = Some(arguments.next().ok_or(USAGE)?);
                continue;
            }
            "--port" => arguments.next().ok_or(USAGE)?,
            _ => argument,
        };
        port = port_text
            .parse()
            .map_err(|_| format!("`{port_text}` is not a port; {USAGE}"))?;
    }
    Ok((port, product_file))
}

/// Serialises the product for every request, as the gateway does for a product it has read.
async fn read_product(
    State(product): State<Arc<serde_json::Value>>,
    Path(_sku): Path<String>,
) -> Response {
    match serde_json::to_vec(product.as_ref()) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
