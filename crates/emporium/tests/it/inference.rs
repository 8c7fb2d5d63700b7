//! The inference service in the whole shop: OpenAI's embeddings under `/v1` with a shopper's
//! token, each answer naming its model version, and an operator's promotion over gRPC moving
//! the answers to the new version at once.

use platform::transport::request;
use proto::inference as pb;
use proto::inference::inference_client::InferenceClient;
use serde_json::{Value, json};

use crate::TestShop;

async fn embeddings(shop: &TestShop, token: &str, body: Value) -> (u16, Option<String>, Value) {
    let answer = shop
        .http
        .post(shop.url("/v1/embeddings"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let version = answer
        .headers()
        .get("x-emporium-model-version")
        .map(|value| value.to_str().unwrap().to_owned());
    (status, version, answer.json().await.unwrap())
}

#[tokio::test]
async fn a_promotion_moves_the_v1_embeddings_to_the_new_version_and_a_roll_back_moves_them_back() {
    let shop = TestShop::spawn("sqlite").await;
    let (shopper, _) = crate::checkout::buyer(&shop, "embeds").await;
    let body = json!({"model": "emporium-embed", "input": "a linen apron"});
    let (status, version, answer) = embeddings(&shop, &shopper, body.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(version.as_deref(), Some("1"));
    assert_eq!(
        answer["data"][0]["embedding"].as_array().unwrap().len(),
        256
    );

    let admin = shop.admin_token_for("models.admin").await;
    let mut registry = InferenceClient::new(shop.operator("inference"));
    let promote = pb::PromoteRequest {
        model: "emporium-embed".to_owned(),
        version: 2,
    };
    registry.promote(request(promote, &admin)).await.unwrap();
    let (_, version, answer) = embeddings(&shop, &shopper, body.clone()).await;
    assert_eq!(
        version.as_deref(),
        Some("2"),
        "the promotion answers at once"
    );
    assert_eq!(answer["model_version"], 2);
    assert_eq!(
        answer["data"][0]["embedding"].as_array().unwrap().len(),
        128
    );

    let roll_back = pb::RollBackRequest {
        model: "emporium-embed".to_owned(),
    };
    registry
        .roll_back(request(roll_back, &admin))
        .await
        .unwrap();
    let (_, version, _) = embeddings(&shop, &shopper, body).await;
    assert_eq!(version.as_deref(), Some("1"));
}

#[tokio::test]
async fn the_v1_errors_are_openais_error_bodies() {
    let shop = TestShop::spawn("sqlite").await;
    let anonymous = shop
        .http
        .post(shop.url("/v1/embeddings"))
        .json(&json!({"model": "emporium-embed", "input": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_api_key", "{body}");

    let (shopper, _) = crate::checkout::buyer(&shop, "errs").await;
    let (status, _, body) = embeddings(&shop, &shopper, json!({"model": "emporium-embed"})).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("input"),
        "{body}"
    );
    let too_long = json!({"model": "emporium-embed", "input": "x", "dimensions": 999});
    let (status, _, body) = embeddings(&shop, &shopper, too_long).await;
    assert_eq!(
        (status, body["error"]["param"].as_str()),
        (400, Some("dimensions"))
    );
}
