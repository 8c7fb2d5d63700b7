//! Hybrid search over the seed on every engine and every vector index (exact, graph, and a
//! Chroma server when `EMPORIUM_TEST_CHROMA_URL` names one): meaning where words fail, filters
//! checked in the database, facets, typos, a query nothing fits, similar products, and a shadow
//! ranking. Keeping the index current is in `search_index.rs`.

use std::time::{Duration, Instant};

use proto::catalog as pb;
use proto::catalog::catalog_client::CatalogClient;
use tonic::Code;

use crate::{Client, TestCatalog};

/// The engines and vector indexes to run each test on.
pub(crate) fn setups() -> Vec<(&'static str, &'static str)> {
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
pub(crate) async fn seeded((engine, index): (&str, &str)) -> TestCatalog {
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

pub(crate) async fn search(
    client: &mut Client,
    token: &str,
    request: pb::SearchProductsRequest,
) -> Result<pb::SearchProductsResponse, tonic::Status> {
    client
        .search_products(platform::transport::request(request, token))
        .await
        .map(tonic::Response::into_inner)
}

pub(crate) fn query(text: &str) -> pb::SearchProductsRequest {
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
