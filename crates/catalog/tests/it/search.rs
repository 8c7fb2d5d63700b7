//! Hybrid search over the seed on every engine and every vector index (exact, graph, and a
//! Chroma server when `EMPORIUM_TEST_CHROMA_URL` names one): meaning where words fail, filters checked in
//! the database, facets, typos, a query nothing fits, similar products, a product found by
//! meaning as soon as it is written (on this replica; on another one at its next read of
//! changes, every half second), and a change of model that re-embeds while the old vectors
//! answer.

use std::time::{Duration, Instant};

use proto::catalog as pb;
use proto::catalog::catalog_client::CatalogClient;
use tonic::Code;

use crate::{Client, TestCatalog};

/// The engines and vector indexes to run each test on.
fn setups() -> Vec<(&'static str, &'static str)> {
    let mut setups: Vec<_> = test_support::engines()
        .into_iter()
        .map(|engine| (engine, "exact"))
        .collect();
    setups.push(("sqlite", "hnsw"));
    if test_support::chroma_url().is_some() {
        setups.push(("sqlite", "chroma"));
    }
    setups
}

/// A seeded catalog on `engine` with vectors in `index` (for Chroma, a collection of its own).
async fn seeded((engine, index): (&str, &str)) -> TestCatalog {
    let config = catalog::Config {
        database_url: test_support::fresh_database_url(engine).await.unwrap(),
        search: catalog::search::Config {
            index: index.to_owned(),
            chroma_url: test_support::chroma_url().unwrap_or_default(),
            chroma_collection: format!("test-{}", uuid::Uuid::new_v4().simple()),
            ..Default::default()
        },
        ..Default::default()
    };
    let app = TestCatalog::spawn_with(&config).await;
    app.catalog.seed_if_empty(|_, _| {}).await.unwrap();
    app.catalog.embed_missing(usize::MAX).await.unwrap();
    app
}

async fn search(
    client: &mut Client,
    token: &str,
    request: pb::SearchProductsRequest,
) -> Result<pb::SearchProductsResponse, tonic::Status> {
    client
        .search_products(platform::transport::request(request, token))
        .await
        .map(tonic::Response::into_inner)
}

fn query(text: &str) -> pb::SearchProductsRequest {
    pb::SearchProductsRequest {
        query: text.to_owned(),
        page: Some(proto::common::PageRequest {
            page_size: 10,
            page_token: String::new(),
        }),
        ..Default::default()
    }
}

fn names(response: &pb::SearchProductsResponse) -> Vec<String> {
    response
        .products
        .iter()
        .map(|product| product.name.to_lowercase())
        .collect()
}

#[tokio::test]
async fn meaning_finds_what_keywords_miss_and_a_query_nothing_fits_says_so() {
    for setup in setups() {
        let engine = format!("{setup:?}");
        let app = seeded(setup).await;
        let token = app.reader_token();
        let mut client = CatalogClient::new(app.transports.network.clone());
        let intent = query("stylish summer shoes");
        let keyword = pb::SearchProductsRequest {
            mode: pb::SearchMode::Keyword.into(),
            ..intent.clone()
        };
        let by_words = search(&mut client, &token, keyword).await.unwrap();
        assert!(
            by_words.products.is_empty() && by_words.no_good_match,
            "{engine}"
        );
        let hybrid = search(&mut client, &token, intent).await.unwrap();
        let found = names(&hybrid);
        assert!(!hybrid.no_good_match, "{engine}");
        assert!(
            hybrid.model.starts_with("minilm-static@"),
            "{}",
            hybrid.model
        );
        let footwear = hybrid
            .products
            .iter()
            .filter(|product| product.category == "footwear")
            .count();
        assert!(footwear >= 7, "{engine}: shoes, not {found:?}");

        let nonsense = search(
            &mut client,
            &token,
            query("quantum chromodynamics lecture notes"),
        )
        .await
        .unwrap();
        assert!(
            nonsense.products.is_empty(),
            "{engine}: {:?}",
            names(&nonsense)
        );
        assert!(nonsense.no_good_match);
        assert_eq!(nonsense.total_size, 0);
    }
}

#[tokio::test]
async fn filters_hold_in_both_rankings_and_facets_count_the_matches() {
    for setup in setups() {
        let engine = format!("{setup:?}");
        let app = seeded(setup).await;
        let token = app.reader_token();
        let mut client = CatalogClient::new(app.transports.in_process.clone());
        let all = search(
            &mut client,
            &token,
            pb::SearchProductsRequest {
                page: Some(proto::common::PageRequest {
                    page_size: 100,
                    page_token: String::new(),
                }),
                ..query("leather")
            },
        )
        .await
        .unwrap();
        let colors = all
            .facets
            .iter()
            .find(|facet| facet.name == "color")
            .unwrap();
        let (color, count) = (colors.values[0].value.clone(), colors.values[0].count);
        let counted: u32 = all
            .facets
            .iter()
            .find(|facet| facet.name == "category")
            .unwrap()
            .values
            .iter()
            .map(|value| value.count)
            .sum();
        assert_eq!(
            counted, all.total_size,
            "{engine}: every match has one category"
        );
        assert!(all.min_price_minor <= all.max_price_minor);

        let narrowed = search(
            &mut client,
            &token,
            pb::SearchProductsRequest {
                attributes: vec![pb::AttributeFilter {
                    name: "color".to_owned(),
                    values: vec![color.clone()],
                }],
                min_price_minor: Some(2_000),
                max_price_minor: Some(20_000),
                page: Some(proto::common::PageRequest {
                    page_size: 100,
                    page_token: String::new(),
                }),
                ..query("leather")
            },
        )
        .await
        .unwrap();
        assert!(!narrowed.products.is_empty(), "{engine}");
        assert!(
            narrowed.total_size <= count,
            "{engine}: at most the facet's count"
        );
        for product in &narrowed.products {
            let attributes: serde_json::Value =
                serde_json::from_str(&product.attributes_json).unwrap();
            assert_eq!(
                attributes["color"],
                color.as_str(),
                "{engine}: {}",
                product.sku
            );
            let price = product.price.as_ref().unwrap().minor_units;
            assert!(
                (2_000..=20_000).contains(&price),
                "{engine}: {} at {price}",
                product.sku
            );
        }
        let sorted = search(
            &mut client,
            &token,
            pb::SearchProductsRequest {
                sort: pb::SearchSort::PriceAscending.into(),
                category: "footwear".to_owned(),
                ..query("comfortable walking")
            },
        )
        .await
        .unwrap();
        let prices: Vec<i64> = sorted
            .products
            .iter()
            .map(|product| product.price.as_ref().unwrap().minor_units)
            .collect();
        assert!(
            !prices.is_empty() && prices.is_sorted(),
            "{engine}: {prices:?}"
        );
        assert!(
            sorted
                .products
                .iter()
                .all(|product| product.category == "footwear")
        );

        let crossed = search(
            &mut client,
            &token,
            pb::SearchProductsRequest {
                min_price_minor: Some(500),
                max_price_minor: Some(100),
                ..query("mug")
            },
        )
        .await
        .unwrap();
        assert!(
            crossed.products.is_empty(),
            "{engine}: no price is in a crossed range"
        );
        let refused = search(
            &mut client,
            &token,
            pb::SearchProductsRequest {
                min_price_minor: Some(-1),
                ..query("mug")
            },
        )
        .await
        .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument);
        assert!(
            refused.message().contains("min_price_minor"),
            "{}",
            refused.message()
        );
        let no_stock = search(
            &mut client,
            &token,
            pb::SearchProductsRequest {
                in_stock: true,
                ..query("mug")
            },
        )
        .await
        .unwrap_err();
        assert!(
            no_stock.message().contains("in_stock"),
            "{}",
            no_stock.message()
        );
    }
}

#[tokio::test]
async fn typos_are_corrected_and_pages_follow_one_another() {
    for setup in setups() {
        let engine = format!("{setup:?}");
        let app = seeded(setup).await;
        let token = app.reader_token();
        let mut client = CatalogClient::new(app.transports.network.clone());
        let keyword = |text: &str| pb::SearchProductsRequest {
            mode: pb::SearchMode::Keyword.into(),
            ..query(text)
        };
        let misspelt = search(&mut client, &token, keyword("lether sandels"))
            .await
            .unwrap();
        assert_eq!(misspelt.corrected_query, "leather sandals", "{engine}");
        assert!(
            names(&misspelt).iter().all(|name| name.contains("sandal")),
            "{engine}: {:?}",
            names(&misspelt)
        );
        assert!(!misspelt.products.is_empty());
        let spelt = search(&mut client, &token, keyword("leather sandals"))
            .await
            .unwrap();
        assert_eq!(spelt.corrected_query, "");
        assert_eq!(names(&spelt), names(&misspelt));

        let mut seen = Vec::new();
        let mut request = pb::SearchProductsRequest {
            page: Some(proto::common::PageRequest {
                page_size: 7,
                page_token: String::new(),
            }),
            ..query("coffee")
        };
        loop {
            let page = search(&mut client, &token, request.clone()).await.unwrap();
            seen.extend(page.products.iter().map(|product| product.sku.clone()));
            if page.next_page_token.is_empty() {
                assert_eq!(seen.len() as u32, page.total_size, "{engine}");
                break;
            }
            request.page.as_mut().unwrap().page_token = page.next_page_token;
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            seen.len(),
            "{engine}: no product on two pages"
        );
    }
}

#[tokio::test]
async fn similar_products_are_near_in_meaning_and_leave_the_product_out() {
    for setup in setups() {
        let app = seeded(setup).await;
        let token = app.reader_token();
        let mut client = CatalogClient::new(app.transports.network.clone());
        let sandal = search(&mut client, &token, query("leather sandals"))
            .await
            .unwrap()
            .products[0]
            .clone();
        let similar = client
            .similar_products(platform::transport::request(
                pb::SimilarProductsRequest {
                    sku: sandal.sku.clone(),
                    limit: 5,
                },
                &token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(similar.products.len(), 5);
        assert_eq!(similar.scores.len(), 5);
        assert!(
            similar.scores.is_sorted_by(|a, b| a >= b),
            "{:?}",
            similar.scores
        );
        assert!(
            similar
                .products
                .iter()
                .all(|product| product.sku != sandal.sku)
        );
        assert!(
            similar
                .products
                .iter()
                .filter(|product| product.category == sandal.category)
                .count()
                >= 4
        );
        let unknown = client
            .similar_products(platform::transport::request(
                pb::SimilarProductsRequest {
                    sku: "NOPE-1".to_owned(),
                    limit: 5,
                },
                &token,
            ))
            .await
            .unwrap_err();
        assert_eq!(unknown.code(), Code::NotFound);
    }
}

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
async fn a_shadow_ranking_runs_beside_each_query_and_records_its_overlap_without_changing_the_answer()
 {
    let app = seeded(("sqlite", "exact")).await;
    let config = catalog::Config {
        database_url: app.catalog_url().to_owned(),
        search: catalog::search::Config {
            shadow: "vector".to_owned(),
            ..Default::default()
        },
        ..Default::default()
    };
    let shadowed = TestCatalog::spawn_with(&config).await;
    let (plain, token) = (
        CatalogClient::new(app.transports.in_process.clone()),
        app.reader_token(),
    );
    let mut with_shadow = CatalogClient::new(shadowed.transports.in_process.clone());
    let shadow_token = shadowed.reader_token();
    for text in ["leather sandals", "gift for a coffee lover", "mug"] {
        let served = search(&mut with_shadow, &shadow_token, query(text))
            .await
            .unwrap();
        let unshadowed = search(&mut plain.clone(), &token, query(text))
            .await
            .unwrap();
        assert_eq!(
            names(&served),
            names(&unshadowed),
            "the shadow is never returned"
        );
    }
    let recorded = Instant::now();
    loop {
        let metrics = platform::telemetry::render_metrics();
        if metrics.contains("catalog_search_shadow_overlap_count{shadow=\"vector\"}") {
            break;
        }
        assert!(recorded.elapsed() < Duration::from_secs(5), "{metrics}");
        tokio::time::sleep(Duration::from_millis(20)).await;
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
