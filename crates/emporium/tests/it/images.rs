//! Product images through the binary's HTTP: every seeded product's image exists, is an SVG
//! cached by its ETag, and a product created without images gets one.

use serde_json::{Value, json};

use crate::{TestShop, assert_problem};

#[tokio::test]
async fn every_product_has_images_that_are_cached_by_their_etag() {
    let shop = TestShop::spawn("sqlite").await;
    let product = shop.get_json("/api/v1/products/KIT-00001", None).await;
    let image_url = product["image_urls"][0].as_str().unwrap().to_owned();
    assert!(image_url.ends_with(".svg"), "{image_url}");

    let image = shop.http.get(shop.url(&image_url)).send().await.unwrap();
    assert_eq!(image.status(), 200);
    let headers = image.headers().clone();
    assert_eq!(headers["content-type"], "image/svg+xml");
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=604800")
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let body = image.text().await.unwrap();
    assert!(
        body.starts_with("<svg ") && body.contains("Denim Apron in Sage"),
        "{body}"
    );

    let again = shop
        .http
        .get(shop.url(&image_url))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304, "the same drawing is not sent twice");

    let missing = shop
        .http
        .get(shop.url("/images/products/NOPE-00000-1.svg"))
        .send()
        .await
        .unwrap();
    assert_problem(missing, 404, "NOPE-00000").await;
}

#[tokio::test]
async fn a_product_created_without_images_is_drawn() {
    let shop = TestShop::spawn("sqlite").await;
    let admin = shop.admin_token().await;
    let created: Value = shop
        .http
        .post(shop.url("/api/v1/products"))
        .bearer_auth(&admin)
        .json(&json!({
            "sku": "TST-0100", "name": "Plain Teapot", "category": "coffee-tea",
            "price": {"minor_units": 3100, "currency": "USD"}, "attributes": {"color": "teal"}
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        created["image_urls"],
        json!(["/images/products/TST-0100-1.svg"])
    );

    let image = shop
        .http
        .get(shop.url("/images/products/TST-0100-1.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(image.status(), 200);
    assert!(
        image.text().await.unwrap().contains("#1f7a7a"),
        "teal is drawn in teal"
    );
}
