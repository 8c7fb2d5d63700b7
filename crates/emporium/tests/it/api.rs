//! The REST API end to end: browsing, the cart, accounts, administration, malformed input.

use serde_json::json;

use crate::{TestShop, assert_problem};

#[tokio::test]
async fn a_visitor_browses_signs_up_fills_a_cart_and_sees_it_priced() {
    for engine in test_support::engines() {
        let shop = TestShop::spawn(engine).await;
        let page: serde_json::Value = shop
            .http
            .get(shop.url("/api/v1/products?page_size=5"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            page["products"].as_array().unwrap().len(),
            5,
            "{engine}: anonymous browsing works"
        );
        assert!(page["total_size"].as_u64().unwrap() >= 2000);
        let sku = page["products"][0]["sku"].as_str().unwrap().to_owned();
        let price = page["products"][0]["price"]["minor_units"]
            .as_i64()
            .unwrap();

        let product: serde_json::Value = shop
            .http
            .get(shop.url(&format!("/api/v1/products/{sku}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(product["sku"], sku.as_str());
        assert!(product["attributes"]["weight_grams"].is_number());

        let categories: serde_json::Value = shop
            .http
            .get(shop.url("/api/v1/categories"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(categories.as_array().unwrap().len() >= 20);

        let word = product["name"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .last()
            .unwrap()
            .to_owned();
        let found: serde_json::Value = shop
            .http
            .get(shop.url(&format!("/api/v1/search?q={word}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            found["total_size"].as_u64().unwrap() > 0,
            "{engine}: searching `{word}` finds something"
        );

        let signup = shop
            .http
            .post(shop.url("/api/v1/account/signup"))
            .json(&json!({"email": "Ada@Example.com", "password": "correct horse battery", "display_name": "Ada"}))
            .send()
            .await
            .unwrap();
        assert_eq!(signup.status(), 201, "{}", signup.text().await.unwrap());
        let login: serde_json::Value = shop
            .http
            .post(shop.url("/api/v1/account/login"))
            .json(&json!({"email": "ada@example.com", "password": "correct horse battery"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = login["access_token"].as_str().unwrap().to_owned();
        let me: serde_json::Value = shop
            .http
            .get(shop.url("/api/v1/account/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["email"], "ada@example.com");

        let cart: serde_json::Value = shop
            .http
            .post(shop.url("/api/v1/cart/items"))
            .bearer_auth(&token)
            .json(&json!({"sku": sku, "quantity": 3}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(cart["item_count"], 3);
        assert_eq!(
            cart["total"]["minor_units"],
            price * 3,
            "{engine}: the cart is priced from the catalog"
        );

        let cart: serde_json::Value = shop
            .http
            .put(shop.url(&format!("/api/v1/cart/items/{sku}")))
            .bearer_auth(&token)
            .json(&json!({"quantity": 1}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(cart["item_count"], 1);
        let cart: serde_json::Value = shop
            .http
            .delete(shop.url("/api/v1/cart"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(cart["item_count"], 0);
    }
}

#[tokio::test]
async fn an_admin_client_manages_products_and_a_user_may_not() {
    let shop = TestShop::spawn("sqlite").await;
    let admin = shop.admin_token().await;
    let product = json!({
        "sku": "TST-0001", "name": "Test Kettle", "description": "Boils water.", "category": "kitchen",
        "price": {"minor_units": 2599, "currency": "USD"}, "attributes": {"weight_grams": 900}
    });
    let created = shop
        .http
        .post(shop.url("/api/v1/products"))
        .bearer_auth(&admin)
        .json(&product)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());

    let user = shop.user_token().await;
    let refused = shop.http.post(shop.url("/api/v1/products")).bearer_auth(&user).json(&json!({"sku": "TST-0002", "name": "X", "category": "kitchen", "price": {"minor_units": 1, "currency": "USD"}})).send().await.unwrap();
    assert_problem(refused, 403, "catalog.admin").await;
    let missing = shop
        .http
        .get(shop.url("/api/v1/products/TST-0002"))
        .send()
        .await
        .unwrap();
    assert_problem(missing, 404, "TST-0002").await;

    let deleted = shop
        .http
        .delete(shop.url("/api/v1/products/TST-0001"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let anonymous = shop
        .http
        .delete(shop.url("/api/v1/products/TST-0001"))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401, "bearer token").await;
}

#[tokio::test]
async fn the_edge_cache_serves_products_but_not_past_a_change_or_a_bad_token() {
    edge_cache(None).await;
    match std::env::var("EMPORIUM_TEST_REDIS_URL") {
        Ok(redis) if !redis.is_empty() => edge_cache(Some(redis)).await,
        _ => eprintln!("EMPORIUM_TEST_REDIS_URL is not set: the edge cache in Redis is not tested"),
    }
}

/// The edge cache's behaviour, in the process or in Redis.
async fn edge_cache(redis: Option<String>) {
    let shop = TestShop::spawn_with("sqlite", |settings| {
        if let Some(redis) = redis {
            settings.services.gateway.redis_url = redis;
            settings.services.gateway.redis_prefix =
                format!("test:{}:", uuid::Uuid::new_v4().simple());
        }
    })
    .await;
    let admin = shop.admin_token().await;
    let url = shop.url("/api/v1/products/KIT-00002");
    let name = |body: serde_json::Value| body["name"].as_str().unwrap().to_owned();
    let before = name(
        shop.http
            .get(&url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    );

    let mut input: serde_json::Value = shop
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    input["name"] = json!("Renamed Through The Gateway");
    for field in ["sku", "created_at", "updated_at"] {
        input.as_object_mut().unwrap().remove(field);
    }
    let updated = shop
        .http
        .put(&url)
        .bearer_auth(&admin)
        .json(&input)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200, "{}", updated.text().await.unwrap());
    let after: serde_json::Value = shop
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        name(after),
        "Renamed Through The Gateway",
        "a change through the gateway clears its cache at once (was {before})"
    );

    // A change that bypasses the gateway shows once the cache entry expires.
    let mut catalog = proto::catalog::catalog_client::CatalogClient::new(
        platform::transport::network(&shop.grpc_url).unwrap(),
    );
    let product = proto::catalog::ProductInput {
        name: "Renamed Behind The Gateway".to_owned(),
        category: input["category"].as_str().unwrap().to_owned(),
        price: Some(proto::common::Money {
            minor_units: 1,
            currency: "USD".to_owned(),
        }),
        ..Default::default()
    };
    catalog
        .update_product(platform::transport::request(
            proto::catalog::UpdateProductRequest {
                sku: "KIT-00002".to_owned(),
                product: Some(product),
            },
            &admin,
        ))
        .await
        .unwrap();
    let mut seen = String::new();
    for _ in 0..40 {
        seen = name(
            shop.http
                .get(&url)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap(),
        );
        if seen == "Renamed Behind The Gateway" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen, "Renamed Behind The Gateway", "the edge cache expires");

    let without_scope = shop
        .identity()
        .mint_access_token("someone", "emporium-web", "cart")
        .await
        .unwrap();
    assert_problem(
        shop.http
            .get(&url)
            .bearer_auth(without_scope)
            .send()
            .await
            .unwrap(),
        403,
        "catalog.read",
    )
    .await;
    assert_problem(
        shop.http
            .get(&url)
            .bearer_auth("forged.token.here")
            .send()
            .await
            .unwrap(),
        401,
        "",
    )
    .await;
}

/// Rate limits at the edge: a caller past its requests a minute gets 429 with `Retry-After`;
/// another caller has its own count. With `EMPORIUM_TEST_REDIS_URL`, two gateways count together.
#[tokio::test]
async fn callers_past_their_rate_limit_get_429_with_retry_after() {
    let redis = std::env::var("EMPORIUM_TEST_REDIS_URL").ok();
    let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
    let limited = |settings: &mut emporium::Settings| {
        settings.services.gateway.rate_limit_per_minute = 4;
        if let Some(redis) = &redis {
            settings.services.gateway.redis_url = redis.clone();
            settings.services.gateway.redis_prefix = prefix.clone();
        }
    };
    let shop = TestShop::spawn_with("sqlite", limited).await;
    let token = shop.user_token().await;
    let products = |token: Option<&str>| {
        let request = shop.http.get(shop.url("/api/v1/products?page_size=1"));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    };
    // The login was the address's first request of the minute.
    for left in (0..3).rev() {
        let response = products(None).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["ratelimit-remaining"],
            left.to_string().as_str()
        );
    }
    let refused = products(None).send().await.unwrap();
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_problem(refused, 429, "at most 4 a minute").await;
    assert_eq!(
        products(Some(&token)).send().await.unwrap().status(),
        200,
        "a signed-in user counts apart from the address"
    );

    if redis.is_some() {
        // A second gateway on the same Redis: the address has used its minute there too.
        let other = TestShop::spawn_with("sqlite", limited).await;
        let response = other
            .http
            .get(other.url("/api/v1/products?page_size=1"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 429, "the count is shared through Redis");
    } else {
        eprintln!("EMPORIUM_TEST_REDIS_URL is not set: the shared count is not tested");
    }
}
