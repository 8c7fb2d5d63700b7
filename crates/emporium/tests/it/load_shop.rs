//! The shop scenario of the load generator against a real shop in this process: shoppers on
//! journeys through the catalog, search, storefront pages, cart and checkout, and a report that
//! names every step it ran. It asserts what the report says, never how fast the shop was.

use crate::TestShop;

#[tokio::test]
async fn the_shop_scenario_writes_a_summary_and_a_page_naming_every_step_it_ran() {
    let shop = TestShop::spawn("sqlite").await;
    let dir = test_support::scratch_dir("load-shop");
    let args = emporium::load::LoadArgs {
        url: shop.base_url.clone(),
        concurrency: 4,
        seconds: 10,
        rate: Some(20.0),
        scenario: emporium::load::Scenario::Shop,
        report: Some(dir.clone()),
        ..Default::default()
    };
    let report = emporium::load::run_shop(&args).await.unwrap();
    assert_eq!(
        report.files,
        [dir.join("report.html"), dir.join("summary.json")]
    );
    assert!(
        report.describe().contains("errors: none"),
        "{}",
        report.describe()
    );

    let summary = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(summary["scenario"], "shop");
    assert!(summary["arrivals"].as_u64().unwrap() > 0, "{summary}");
    assert!(summary["completed"].as_u64().unwrap() > 0, "{summary}");
    assert_eq!(summary["errors"], 0, "{summary}");
    let steps = summary["steps"].as_object().unwrap();
    // Two hundred arrivals of a seeded mix: every kind of journey comes up.
    for step in ["browse", "product", "search", "cart_add", "checkout"] {
        assert!(steps.contains_key(step), "{step}: {summary}");
    }
    for (step, figures) in steps {
        assert!(figures["count"].as_u64().unwrap() > 0, "{step}: {figures}");
        assert_eq!(figures["errors"], 0, "{step}: {figures}");
        let (p50, p99) = (
            figures["p50_ms"].as_f64().unwrap(),
            figures["p99_ms"].as_f64().unwrap(),
        );
        assert!(p99 >= p50, "{step}: {figures}");
    }
    assert!(!summary["windows"].as_array().unwrap().is_empty());

    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains("<svg"), "{page}");
    assert!(!page.contains("<script"), "{page}");
    for step in steps.keys() {
        assert!(page.contains(&format!("<td>{step}</td>")), "{step}: {page}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
