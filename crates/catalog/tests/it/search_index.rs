//! Keeping the vector index current, on every engine and index: a product found by meaning as
//! soon as it is written (on this replica; on another one at its next read of changes, every
//! half second), a change of model that re-embeds while the old vectors answer, an exact index
//! that grows into the graph, a Chroma collection long out of touch, and the refusals at start.

use std::time::{Duration, Instant};

use proto::catalog as pb;
use proto::catalog::catalog_client::CatalogClient;

use crate::search::{query, search, seeded, setups};
use crate::{Client, TestCatalog};

/// How long the test waits for a replica that reads changes every 100 ms (`poll_interval_ms`,
/// 500 by default: the bound on a replica's staleness). Generous, so that a loaded machine does
/// not fail the test; the catalog's own search finds a write at once (the test above that).
const REPLICA_PATIENCE: Duration = Duration::from_secs(5);

fn telescope(name: &str) -> pb::ProductInput {
    pb::ProductInput {
        name: name.to_owned(),
        description: "Watch the craters of the Moon and the rings of Saturn from a balcony on clear nights; a tripod and two eyepieces come with it.".to_owned(),
        category: "outdoor-gear".to_owned(),
        price: Some(proto::common::Money { minor_units: 24900, currency: "USD".to_owned() }),
        image_urls: Vec::new(),
        attributes_json: r#"{"brand":"Orbit","material":"brass"}"#.to_owned(),
    }
}

async fn finds(client: &mut Client, token: &str, sku: &str, text: &str) -> bool {
    let response = search(
        client,
        token,
        pb::SearchProductsRequest {
            mode: pb::SearchMode::Vector.into(),
            ..query(text)
        },
    )
    .await
    .unwrap();
    response.products.iter().any(|product| product.sku == sku)
}

#[tokio::test]
async fn a_product_written_is_found_by_meaning_here_at_once_and_on_another_replica_at_its_next_read()
 {
    for setup in setups() {
        let engine = format!("{setup:?}");
        let app = seeded(setup).await;
        let config = catalog::Config {
            search: catalog::search::Config {
                poll_interval_ms: 100,
                ..app.config.search.clone()
            },
            ..app.config.clone()
        };
        let replica = TestCatalog::spawn_with(&config).await;
        let shutdown = platform::shutdown::Shutdown::new();
        let background = tokio::spawn({
            let (catalog, shutdown) = (replica.catalog.clone(), shutdown.clone());
            async move { catalog.run_background(shutdown).await }
        });
        let (admin, token) = (app.admin_token(), app.reader_token());
        let replica_token = replica.reader_token();
        let mut here = CatalogClient::new(app.transports.in_process.clone());
        let mut there = CatalogClient::new(replica.transports.in_process.clone());
        let paraphrase = "look at the stars and planets after dark";
        here.create_product(platform::transport::request(
            pb::CreateProductRequest {
                sku: "TEL-1".to_owned(),
                product: Some(telescope("Brass Refractor Telescope")),
            },
            &admin,
        ))
        .await
        .unwrap();
        assert!(
            finds(&mut here, &token, "TEL-1", paraphrase).await,
            "{engine}: found here at once"
        );
        let written = Instant::now();
        while !finds(&mut there, &replica_token, "TEL-1", paraphrase).await {
            assert!(
                written.elapsed() < REPLICA_PATIENCE,
                "{engine}: the replica finds it at its next read of the changes"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        neighbours_follow_a_write(&mut here, &mut there, &admin, (&token, &replica_token)).await;
        here.delete_product(platform::transport::request(
            pb::DeleteProductRequest {
                sku: "TEL-1".to_owned(),
            },
            &admin,
        ))
        .await
        .unwrap();
        assert!(
            !finds(&mut here, &token, "TEL-1", paraphrase).await,
            "{engine}: gone here at once"
        );
        let deleted = Instant::now();
        while finds(&mut there, &replica_token, "TEL-1", paraphrase).await {
            assert!(
                deleted.elapsed() < REPLICA_PATIENCE,
                "{engine}: and from the replica"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        shutdown.trigger();
        background.await.unwrap();
    }
}

/// A product's neighbours, asked for (and so remembered) before its near twin is written,
/// have the twin first after: at once here, and on the replica at its next read of changes.
async fn neighbours_follow_a_write(
    here: &mut Client,
    there: &mut Client,
    admin: &str,
    (token, replica_token): (&str, &str),
) {
    assert!(
        !similar(here, token, "TEL-1")
            .await
            .contains(&"TEL-2".to_owned())
    );
    assert!(
        !similar(there, replica_token, "TEL-1")
            .await
            .contains(&"TEL-2".to_owned())
    );
    here.create_product(platform::transport::request(
        pb::CreateProductRequest {
            sku: "TEL-2".to_owned(),
            product: Some(telescope("Brass Refractor Telescope, Second Edition")),
        },
        admin,
    ))
    .await
    .unwrap();
    assert_eq!(similar(here, token, "TEL-1").await[0], "TEL-2");
    let written = Instant::now();
    while similar(there, replica_token, "TEL-1").await.first() != Some(&"TEL-2".to_owned()) {
        assert!(
            written.elapsed() < REPLICA_PATIENCE,
            "the replica's neighbours follow"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn similar(client: &mut Client, token: &str, sku: &str) -> Vec<String> {
    let request = pb::SimilarProductsRequest {
        sku: sku.to_owned(),
        limit: 5,
    };
    let response = client
        .similar_products(platform::transport::request(request, token))
        .await
        .unwrap()
        .into_inner();
    response.products.into_iter().map(|p| p.sku).collect()
}

async fn status(client: &mut Client, token: &str) -> pb::SearchStatus {
    client
        .get_search_status(platform::transport::request(
            pb::GetSearchStatusRequest {},
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn a_new_model_embeds_in_the_background_while_the_old_one_answers() {
    for setup in setups() {
        let engine = format!("{setup:?}");
        let app = seeded(setup).await;
        let token = app.reader_token();
        let old = status(
            &mut CatalogClient::new(app.transports.in_process.clone()),
            &token,
        )
        .await;
        assert_eq!(old.index, setup.1, "{engine}");
        assert_eq!(old.embedded, old.products);
        assert_eq!(old.indexed, old.products);
        assert_eq!(old.serving_model, old.target_model);
        let config = catalog::Config {
            search: catalog::search::Config {
                model: "minilm-static-128".to_owned(),
                embed_batch: 500,
                ..app.config.search.clone()
            },
            ..app.config.clone()
        };
        let switched = TestCatalog::spawn_with(&config).await;
        let token = switched.reader_token();
        let mut client = CatalogClient::new(switched.transports.in_process.clone());
        let before = status(&mut client, &token).await;
        assert_eq!(
            before.serving_model, old.serving_model,
            "{engine}: the old model serves"
        );
        assert!(before.target_model.starts_with("minilm-static-128@"));
        assert_eq!(before.embedded, 0);
        switched.catalog.embed_missing(500).await.unwrap();
        let halfway = status(&mut client, &token).await;
        assert_eq!(
            (halfway.embedded, halfway.serving_model.clone()),
            (500, old.serving_model.clone()),
            "{engine}"
        );
        let served = search(&mut client, &token, query("stylish summer shoes"))
            .await
            .unwrap();
        assert_eq!(
            served.model, old.serving_model,
            "{engine}: still answered by the old vectors"
        );
        assert!(!served.products.is_empty());
        switched.catalog.embed_missing(usize::MAX).await.unwrap();
        let after = status(&mut client, &token).await;
        assert_eq!(
            after.serving_model, after.target_model,
            "{engine}: the new model serves"
        );
        assert_eq!(after.embedded, after.products);
        assert_eq!(after.indexed, after.products);
        let served = search(&mut client, &token, query("stylish summer shoes"))
            .await
            .unwrap();
        assert_eq!(served.model, after.serving_model);
        assert!(!served.products.is_empty(), "{engine}");
    }
}

#[tokio::test]
async fn an_unknown_index_or_an_unreachable_chroma_stops_the_start_with_a_reason() {
    test_support::install_crypto();
    let config = |index: &'static str, chroma_url: String| async move {
        catalog::Config {
            database_url: test_support::fresh_database_url("sqlite").await.unwrap(),
            search: catalog::search::Config {
                index: index.to_owned(),
                chroma_url,
                ..Default::default()
            },
            ..Default::default()
        }
    };
    let unknown = catalog::Catalog::build(&config("faiss", String::new()).await, None)
        .await
        .unwrap_err();
    assert!(
        format!("{unknown:#}").contains("search.index: \"faiss\""),
        "{unknown:#}"
    );
    let away = format!("http://{}", test_support::unused_address());
    let unreachable = catalog::Catalog::build(&config("chroma", away.clone()).await, None)
        .await
        .unwrap_err();
    assert!(
        format!("{unreachable:#}")
            .contains("open the Chroma collection emporium-catalog-minilm-static"),
        "{unreachable:#}"
    );
}

#[tokio::test]
async fn a_catalog_that_grows_past_the_exact_index_gets_the_graph_and_still_finds_by_meaning() {
    let mut app = seeded(("sqlite", "auto")).await;
    let seeded_count = status(
        &mut CatalogClient::new(app.transports.in_process.clone()),
        &app.reader_token(),
    )
    .await
    .products;
    let config = catalog::Config {
        search: catalog::search::Config {
            hnsw_from: seeded_count + 1,
            ..app.config.search.clone()
        },
        ..app.config.clone()
    };
    app = TestCatalog::spawn_with(&config).await;
    let (admin, token) = (app.admin_token(), app.reader_token());
    let mut client = CatalogClient::new(app.transports.in_process.clone());
    assert_eq!(status(&mut client, &token).await.index, "exact");
    assert!(!app.catalog.grow_search_index().await.unwrap(), "not yet");
    client
        .create_product(platform::transport::request(
            pb::CreateProductRequest {
                sku: "TEL-2".to_owned(),
                product: Some(telescope("Dobsonian Telescope")),
            },
            &admin,
        ))
        .await
        .unwrap();
    assert!(app.catalog.grow_search_index().await.unwrap());
    let grown = status(&mut client, &token).await;
    assert_eq!(
        (grown.index.as_str(), grown.indexed),
        ("hnsw", seeded_count + 1)
    );
    assert!(
        finds(
            &mut client,
            &token,
            "TEL-2",
            "look at the stars and planets after dark"
        )
        .await
    );
}

/// A Chroma collection of `app`'s catalog: its record calls' base URL.
async fn chroma_collection(app: &TestCatalog, http: &reqwest::Client) -> String {
    let search = &app.config.search;
    let model = status(
        &mut CatalogClient::new(app.transports.in_process.clone()),
        &app.reader_token(),
    )
    .await
    .serving_model;
    let collections = format!(
        "{}/api/v2/tenants/default_tenant/databases/default_database/collections",
        search.chroma_url
    );
    let name = format!("{}-{}", search.chroma_collection, model.replace('@', "-"));
    let found: serde_json::Value = http
        .get(format!("{collections}/{name}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    format!("{collections}/{}", found["id"].as_str().unwrap())
}

#[tokio::test]
async fn a_chroma_collection_long_out_of_touch_is_checked_against_the_products() {
    if test_support::chroma_url().is_none() {
        return;
    }
    let app = seeded(("sqlite", "chroma")).await;
    let http = reqwest::Client::new();
    let collection = chroma_collection(&app, &http).await;
    let count = |http: reqwest::Client, collection: String| async move {
        let count: u64 = http
            .get(format!("{collection}/count"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        count
    };
    let products = count(http.clone(), collection.clone()).await;
    // A key no product has, and a collection that last heard of the catalog long ago.
    let ghost = serde_json::json!({"ids": ["GHOST-1"], "embeddings": [vec![0.1f32; 256]]});
    let upserted = http
        .post(format!("{collection}/upsert"))
        .json(&ghost)
        .send()
        .await
        .unwrap();
    assert!(upserted.status().is_success());
    let stale = serde_json::json!({"new_metadata": {"emporium_watermark": 1}});
    http.put(&collection).json(&stale).send().await.unwrap();
    assert_eq!(count(http.clone(), collection.clone()).await, products + 1);
    let restarted = TestCatalog::spawn_with(&app.config).await;
    assert_eq!(
        count(http.clone(), collection.clone()).await,
        products,
        "the ghost is gone"
    );
    let token = restarted.reader_token();
    let mut client = CatalogClient::new(restarted.transports.in_process.clone());
    assert_eq!(status(&mut client, &token).await.indexed, products);
}
