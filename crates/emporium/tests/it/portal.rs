//! The software catalog against the code, and the portal drawn from it: every service the
//! binary runs has its catalog file, listed in the root Location, declaring every service it
//! calls; a catalog missing a dependency fails the check; the portal shows operators the
//! services, APIs with their definitions, SLOs and runbooks, and nobody else.

use emporium::registry::Service;
use reqwest::StatusCode;
use storefront::portal::Catalog;
use storefront::portal::catalog::embedded_files;

use crate::TestShop;

/// Every service of the registry, with the services it calls.
fn services() -> Vec<(&'static str, &'static [&'static str])> {
    Service::ALL
        .iter()
        .map(|service| (service.name(), service.calls()))
        .collect()
}

#[test]
fn the_catalog_reads_and_declares_what_each_service_calls() {
    let catalog = Catalog::embedded().unwrap_or_else(|problems| panic!("{problems}"));
    let problems = catalog.check_calls(&services());
    assert!(problems.is_empty(), "{problems:#?}");
    let root = catalog.file("catalog-info.yaml").unwrap();
    for service in Service::ALL {
        let file = format!("crates/{}/catalog-info.yaml", service.name());
        assert!(
            root.contains(&format!("./{file}")),
            "the root Location lists {file}"
        );
        let component = catalog.find(service.name(), "component").unwrap();
        assert_eq!(component.file, file);
        assert!(
            component
                .metadata
                .annotations
                .contains_key("emporium.dev/runbook"),
            "{} has a runbook",
            service.name()
        );
        let runbook = format!("docs/runbooks/{}.md", service.name());
        assert!(catalog.file(&runbook).is_some(), "{runbook} exists");
    }
}

#[test]
fn a_catalog_missing_a_dependency_or_naming_nothing_fails_the_check() {
    // The embedded files with one replacement in `path`'s.
    let edited = |path: &str, from: &str, to: &str| -> Vec<(String, String)> {
        embedded_files()
            .iter()
            .map(|(file, body)| match *file == path {
                true => {
                    assert!(body.contains(from), "{file} holds {from:?}");
                    ((*file).to_owned(), body.replacen(from, to, 1))
                }
                false => ((*file).to_owned(), (*body).to_owned()),
            })
            .collect()
    };
    let parse = |files: &[(String, String)]| {
        Catalog::parse(
            files
                .iter()
                .map(|(path, text)| (path.as_str(), text.as_str())),
        )
    };

    let cart = "crates/cart/catalog-info.yaml";
    let files = edited(cart, "    - component:inventory\n", "");
    let catalog = parse(&files).unwrap();
    let problems = catalog.check_calls(&services());
    assert!(
        problems.contains(&"cart calls inventory, which its dependsOn does not name".to_owned()),
        "{problems:#?}"
    );

    let also = "    - component:inventory\n    - component:payments\n";
    let files = edited(cart, "    - component:inventory\n", also);
    let problems = parse(&files).unwrap().check_calls(&services());
    let stale = "cart declares a dependency on payments, which it does not call";
    assert!(problems.contains(&stale.to_owned()), "{problems:#?}");

    let files = edited(cart, "    - catalog-grpc\n", "");
    let problems = parse(&files).unwrap().check_calls(&services());
    let unconsumed = "cart calls catalog but consumes none of the APIs it provides";
    assert!(
        problems
            .iter()
            .any(|problem| problem.starts_with(unconsumed)),
        "{problems:#?}"
    );

    let files = edited(
        cart,
        "    - component:inventory\n",
        "    - component:warehouse\n",
    );
    let problems = parse(&files).unwrap_err();
    assert!(
        problems.iter().any(|problem| problem
            .contains("spec.dependsOn names component:warehouse, which is not in the catalog")),
        "{problems:#?}"
    );

    let files = edited(
        cart,
        "  lifecycle: production\n  owner: group:checkout\n  system: emporium\n  providesApis",
        "  owner: group:checkout\n  system: emporium\n  providesApis",
    );
    let problems = parse(&files).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|problem| problem.contains("component:cart")
                && problem.contains("spec.lifecycle is missing")),
        "{problems:#?}"
    );
}

#[tokio::test]
async fn the_portal_shows_operators_the_catalog_and_nobody_else() {
    let shop = TestShop::spawn("sqlite").await;
    let anonymous = shop.http.get(shop.url("/portal")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers()["location"], "/ops/login");
    let shopper = shop.user_token().await;
    let refused = shop
        .http
        .get(shop.url("/portal"))
        .bearer_auth(&shopper)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let operator = shop.admin_token_for("admin.ops").await;
    let page = shop.get_text_with("/portal", &operator).await;
    for service in Service::ALL {
        assert!(
            page.contains(&format!("data-service=\"{}\"", service.name())),
            "{} is on the portal",
            service.name()
        );
    }
    assert!(
        page.contains("id=\"service-map\""),
        "the dependency graph is drawn"
    );
    assert!(page.contains("data-edge=\"orders→payments\""), "{page}");
    assert!(page.contains("href=\"/portal/apis/emporium-rest\""));
    assert!(page.contains("id=\"slo-checkout\""), "the SLOs are listed");
    for product in [
        "orders-data",
        "products-data",
        "stock-data",
        "payments-data",
    ] {
        let row = format!("data-product=\"{product}\"");
        assert!(page.contains(&row), "the data product {product} is listed");
    }
    let contract = shop
        .get_text_with("/portal/apis/orders-data", &operator)
        .await;
    assert!(
        contract.contains("urn:emporium:orders:orders"),
        "the data product's page shows its contract"
    );

    let proto = shop
        .get_text_with("/portal/apis/cart-grpc", &operator)
        .await;
    assert!(
        proto.contains("service Cart {"),
        "the API page shows its definition"
    );
    let openapi = shop
        .get_text_with("/portal/apis/emporium-rest", &operator)
        .await;
    assert!(openapi.contains("/api/v1/products/{sku}"));
    let runbook = shop
        .get_text_with("/portal/runbooks/orders", &operator)
        .await;
    assert!(
        runbook.contains("<h2>Safe actions</h2>"),
        "the runbook's Markdown is drawn: {runbook}"
    );
    let missing = shop
        .http
        .get(shop.url("/portal/apis/nothing"))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}
