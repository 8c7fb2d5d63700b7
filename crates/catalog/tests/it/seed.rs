//! The seed catalog: its size, and that listing, paging, categories and search work over it.

use std::collections::HashSet;

use proto::catalog as pb;
use proto::catalog::catalog_client::CatalogClient;
use proto::common::PageRequest;

use crate::TestCatalog;

#[tokio::test]
async fn the_seed_catalog_loads_once_and_pages_through_every_product() {
    for engine in test_support::engines() {
        let app = TestCatalog::spawn(engine).await;
        let mut reported = 0;
        let added = app
            .catalog
            .seed_if_empty(|done, _total| reported = done)
            .await
            .unwrap();
        assert!(
            added >= 2000,
            "{engine}: the seed has at least 2,000 products, got {added}"
        );
        assert_eq!(reported, added, "the progress reaches the total");
        assert_eq!(
            app.catalog.seed_if_empty(|_, _| {}).await.unwrap(),
            0,
            "a second seed adds nothing"
        );

        let token = app.reader_token();
        let mut client = CatalogClient::new(app.transports.in_process.clone());
        let categories = client
            .list_categories(platform::transport::request(
                pb::ListCategoriesRequest {},
                &token,
            ))
            .await
            .unwrap()
            .into_inner()
            .categories;
        assert!(categories.len() >= 20, "{engine}: at least 20 categories");
        assert!(categories.iter().all(|category| category.product_count > 0));

        let mut seen = HashSet::new();
        let mut page_token = String::new();
        loop {
            let page = client
                .list_products(platform::transport::request(
                    pb::ListProductsRequest {
                        page: Some(PageRequest {
                            page_size: 100,
                            page_token: page_token.clone(),
                        }),
                        category: String::new(),
                    },
                    &token,
                ))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(page.total_size as usize, added);
            for product in page.products {
                assert!(
                    seen.insert(product.sku.clone()),
                    "{} appears twice",
                    product.sku
                );
            }
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        assert_eq!(
            seen.len(),
            added,
            "{engine}: paging visits every product once"
        );
    }
}

#[tokio::test]
async fn keyword_search_finds_products_by_name_and_nothing_for_a_query_without_words() {
    for engine in test_support::engines() {
        let app = TestCatalog::spawn(engine).await;
        app.catalog.seed_if_empty(|_, _| {}).await.unwrap();
        let token = app.reader_token();
        let mut client = CatalogClient::new(app.transports.network.clone());
        // Search for the first word of a seeded product's name and expect that product among the hits.
        let seed = catalog::seed::products().unwrap();
        let target = &seed[seed.len() / 2];
        let word = target
            .name
            .split_whitespace()
            .find(|word| word.len() > 4)
            .unwrap_or(&target.name)
            .to_owned();
        let mut found = false;
        let mut page_token = String::new();
        while !found {
            let page = client
                .search_products(platform::transport::request(
                    pb::SearchProductsRequest {
                        query: format!("{word} {}", target.category),
                        page: Some(PageRequest {
                            page_size: 100,
                            page_token,
                        }),
                        category: target.category.clone(),
                        mode: pb::SearchMode::Keyword.into(),
                        ..Default::default()
                    },
                    &token,
                ))
                .await
                .unwrap()
                .into_inner();
            assert!(page.total_size > 0, "{engine}: `{word}` finds something");
            assert!(
                page.products
                    .iter()
                    .all(|product| product.category == target.category),
                "the category filter holds"
            );
            found = page
                .products
                .iter()
                .any(|product| product.sku == target.sku);
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        assert!(found, "{engine}: searching `{word}` finds {}", target.sku);

        let wordless = client
            .search_products(platform::transport::request(
                pb::SearchProductsRequest {
                    query: " * ".to_owned(),
                    ..Default::default()
                },
                &token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(
            wordless.products.is_empty(),
            "{engine}: a query with no word finds nothing"
        );
        assert_eq!(wordless.total_size, 0);
    }
}
