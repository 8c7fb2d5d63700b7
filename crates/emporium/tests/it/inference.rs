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

/// `emporium model ...` against the running binary of `data_dir` at `base_url`.
fn model_command(
    data_dir: &std::path::Path,
    base_url: &str,
    args: &[&str],
) -> std::process::Output {
    crate::binary::emporium(data_dir)
        .env("EMPORIUM_PUBLIC_URL", base_url)
        .arg("model")
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn emporium_model_lists_sets_a_canary_promotes_and_rolls_back_on_the_running_binary() {
    test_support::install_crypto();
    let data_dir = test_support::scratch_dir("emporium-model");
    let running = crate::binary::start(&data_dir);
    let base = running.base_url.clone();

    let list = stdout(&model_command(&data_dir, &base, &["list"]));
    assert!(list.starts_with("emporium-embed (embedding)"), "{list}");
    assert!(
        list.lines()
            .any(|line| line.contains("v1 production") && line.contains("minilm-static")),
        "{list}"
    );
    assert!(
        list.lines().any(|line| line.contains("v2 candidate")),
        "{list}"
    );

    let canary = stdout(&model_command(
        &data_dir,
        &base,
        &[
            "traffic",
            "emporium-embed",
            "--canary",
            "2:10",
            "--shadow",
            "2",
        ],
    ));
    assert!(
        canary.contains("canary: v2 takes 10% of requests"),
        "{canary}"
    );
    assert!(canary.contains("shadow: v2 sees every request"), "{canary}");
    let refused = model_command(
        &data_dir,
        &base,
        &["traffic", "emporium-embed", "--canary", "1:10"],
    );
    assert!(!refused.status.success());
    let reason = String::from_utf8_lossy(&refused.stderr);
    assert!(
        reason.contains("422") && reason.contains("version 1 is production"),
        "{reason}"
    );

    let promoted = stdout(&model_command(
        &data_dir,
        &base,
        &["promote", "emporium-embed", "2"],
    ));
    assert!(
        promoted.contains("v2 production") && promoted.contains("v1 archived"),
        "{promoted}"
    );
    assert!(
        !promoted.contains("canary:"),
        "a promoted canary leaves the traffic: {promoted}"
    );
    let back = stdout(&model_command(
        &data_dir,
        &base,
        &["rollback", "emporium-embed"],
    ));
    assert!(
        back.contains("v1 production") && back.contains("v2 archived"),
        "{back}"
    );
    let nothing = model_command(&data_dir, &base, &["retire", "emporium-embed", "1"]);
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("in production"));
    // Stopped, or the shop would outlive the test run (as it did on every CI run before).
    assert!(crate::binary::stop(running.child).success());
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[tokio::test]
async fn the_admin_models_api_needs_models_admin_and_names_what_it_refuses() {
    let shop = TestShop::spawn("sqlite").await;
    let (shopper, _) = crate::checkout::buyer(&shop, "not-an-operator").await;
    let listed = shop
        .http
        .get(shop.url("/api/v1/admin/models"))
        .bearer_auth(&shopper)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 403);
    let admin = shop.admin_token_for("models.admin inference").await;
    let list: Value = shop
        .http
        .get(shop.url("/api/v1/admin/models"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["models"][0]["versions"][0]["stage"], "production",
        "{list}"
    );
    let half = shop
        .http
        .put(shop.url("/api/v1/admin/models/emporium-embed/traffic"))
        .bearer_auth(&admin)
        .json(&json!({"canary_version": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(half.status(), 422);
    let problem: Value = half.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("go together"),
        "{problem}"
    );
    let missing = shop
        .http
        .post(shop.url("/api/v1/admin/models/gpt-9/rollback"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
