//! Recommendations through the running shop: purchases made through the REST checkout reach the
//! co-purchase graph by the bus, and "also bought", "popular" and "for you" answer from it over
//! REST and GraphQL; the storefront's product, cart and home pages show them.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::TestShop;
use crate::checkout::{buyer, fill_cart, place_confirmed, set_stock};
use crate::graphql::graphql;

// Three products of the seed, given stock by the test; the names say the part each plays.
const KETTLE: &str = "KIT-00030";
const TEAPOT: &str = "KIT-00031";
const TRIVET: &str = "KIT-00032";

fn skus(list: &Value) -> Vec<String> {
    list["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|found| found["product"]["sku"].as_str().unwrap().to_owned())
        .collect()
}

/// Buys `products` in one confirmed order as a new buyer; the buyer's token.
async fn buy(shop: &TestShop, products: &[&str]) -> String {
    let (token, _) = buyer(shop, "recs").await;
    for sku in products {
        fill_cart(shop, &token, sku).await;
    }
    place_confirmed(shop, &token, &uuid::Uuid::new_v4().to_string()).await;
    token
}

/// `path` until `done` holds for its answer (an order reaches the graph after its saga ends,
/// through the relay and the bus).
async fn until(
    shop: &TestShop,
    path: &str,
    token: Option<&str>,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let answer = shop.get_json(path, token).await;
        if done(&answer) {
            return answer;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{path}: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn purchases_become_also_bought_popular_and_for_you_at_every_edge() {
    let shop = TestShop::spawn("sqlite").await;
    for sku in [KETTLE, TEAPOT, TRIVET] {
        set_stock(&shop, sku, 100).await;
    }
    let first = buy(&shop, &[KETTLE, TEAPOT]).await;
    buy(&shop, &[KETTLE, TEAPOT]).await;
    buy(&shop, &[KETTLE, TRIVET]).await;
    let path = format!("/api/v1/products/{KETTLE}/also-bought");
    let also = until(&shop, &path, None, |answer| skus(answer).len() == 2).await;
    assert_eq!(skus(&also), [TEAPOT, TRIVET], "{also}");
    assert_eq!(also["recommendations"][0]["score"], 2.0);
    assert_eq!(also["recommendations"][0]["reason"], "also_bought");
    let unknown = shop
        .http
        .get(shop.url("/api/v1/products/NOPE-99999/also-bought"));
    crate::assert_problem(unknown.send().await.unwrap(), 404, "NOPE-99999").await;

    let popular = shop
        .get_json("/api/v1/recommendations/popular?limit=1", None)
        .await;
    assert_eq!(skus(&popular), [KETTLE]);
    // The first buyer has the kettle and the teapot; the trivet went with the kettle.
    let for_you = shop
        .get_json("/api/v1/recommendations/for-you", Some(&first))
        .await;
    assert_eq!(skus(&for_you), [TRIVET], "{for_you}");
    let anonymous = shop
        .http
        .get(shop.url("/api/v1/recommendations/for-you"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    let query = r#"query($sku: String!) {
        product(sku: $sku) { alsoBought(first: 3) { sku } }
        popularProducts(first: 1) { sku }
    }"#;
    let answer = graphql(&shop, None, query, json!({"sku": KETTLE})).await;
    assert_eq!(
        answer["data"]["product"]["alsoBought"],
        json!([{"sku": TEAPOT}, {"sku": TRIVET}]),
        "{answer}"
    );
    assert_eq!(answer["data"]["popularProducts"], json!([{"sku": KETTLE}]));
    let mine = graphql(
        &shop,
        Some(&first),
        "{ me { forYou(first: 3) { sku } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        mine["data"]["me"]["forYou"],
        json!([{"sku": TRIVET}]),
        "{mine}"
    );

    let page = |path: String| {
        let http = shop.http.clone();
        async move { http.get(path).send().await.unwrap().text().await.unwrap() }
    };
    let product = page(shop.url(&format!("/p/{KETTLE}"))).await;
    assert!(product.contains("Customers also bought"), "{product}");
    assert!(product.contains(&format!("href=\"/p/{TEAPOT}\"")));
    let unbought = page(shop.url("/p/KIT-00050")).await;
    assert!(
        unbought.contains("Similar products"),
        "before anyone bought it: {unbought}"
    );
    let home = page(shop.url("/")).await;
    assert!(home.contains("Popular now") && home.contains(&format!("href=\"/p/{KETTLE}\"")));
}
