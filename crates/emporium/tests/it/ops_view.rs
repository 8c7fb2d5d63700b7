//! The operations view at `/ops`, over real HTTP: who gets in (a token with `admin.ops`, or the
//! admin client's login kept in a cookie), the service map drawn from the calls a purchase made,
//! the purchase's trace as a waterfall, and the fault switches' form with its CSRF token.

use reqwest::StatusCode;

use crate::TestShop;

/// The value of the form field `name` in `page`.
fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name}"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

async fn get(shop: &TestShop, path: &str, token: Option<&str>) -> reqwest::Response {
    let request = shop.http.get(shop.url(path));
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    request.send().await.unwrap()
}

#[tokio::test]
async fn the_operations_view_draws_a_purchase_for_an_operator_only() {
    let _spans = crate::telemetry::keep_spans();
    let shop = TestShop::spawn("sqlite").await;
    let sku = "KIT-00004";
    crate::checkout::set_stock(&shop, sku, 10).await;
    let trace = crate::telemetry::new_trace();
    let order = crate::telemetry::check_out(&shop, &trace, sku).await;
    assert_eq!(order["state"], "confirmed", "{order}");

    let stranger = get(&shop, "/ops", None).await;
    assert_eq!(stranger.status(), StatusCode::SEE_OTHER);
    assert_eq!(stranger.headers()["location"], "/ops/login");
    let faults_only = shop.admin_token_for("admin.faults").await;
    assert_eq!(
        get(&shop, "/ops", Some(&faults_only)).await.status(),
        StatusCode::FORBIDDEN
    );

    let operator = shop.admin_token_for("admin.ops admin.faults").await;
    let overview = get(&shop, "/ops", Some(&operator)).await;
    assert_eq!(overview.status(), StatusCode::OK);
    assert!(
        overview.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    let page = overview.text().await.unwrap();
    for edge in [
        "shoppers→gateway",
        "gateway→orders",
        "orders→inventory",
        "orders→payments",
    ] {
        assert!(
            page.contains(&format!("data-edge=\"{edge}\"")),
            "no edge {edge}"
        );
    }
    assert!(
        page.contains("data-series=\"orders\""),
        "a RED row for orders"
    );
    assert!(page.contains("id=\"search-model\""));
    assert!(
        page.contains("needs the scope functions.admin"),
        "the functions need their scope"
    );
    assert!(
        page.contains("needs the scope models.admin"),
        "the models need theirs"
    );

    // With functions.admin, the functions deployed, with their traffic and triggers.
    shop.deploy_function(
        "hello",
        "hello",
        serde_json::json!({"kv": true}),
        serde_json::json!({"http": true}),
    )
    .await;
    let operator = shop
        .admin_token_for("admin.ops admin.faults functions.admin models.admin")
        .await;
    let page = get(&shop, "/ops", Some(&operator))
        .await
        .text()
        .await
        .unwrap();
    let functions = &page[page.find("id=\"functions\"").expect("a functions table")..];
    assert!(
        functions
            .contains("<th scope=\"row\">hello</th><td>v1 100% (of 1 version)</td><td>/fn</td>"),
        "{functions}"
    );
    let registry = &page[page.find("id=\"model-registry\"").expect("a models table")..];
    assert!(
        registry.contains("emporium-embed")
            && registry.contains("v1 production · minilm-static")
            && registry.contains("v2 candidate · minilm-static-128")
            && registry.contains("production only"),
        "{registry}"
    );
    assert!(
        !page.contains("style="),
        "the policy allows no inline style"
    );
    let link = format!("/ops/traces/{}", trace.trace_id_hex());
    assert!(
        page.contains(&link),
        "the purchase is among the latest traces"
    );

    // The outbox publishes after the checkout has answered: its span comes a little later.
    let waterfall = waterfall_with(
        &shop,
        &link,
        &operator,
        &[
            "saga reserve_stock",
            "saga confirm",
            "publish emporium.orders.order_completed",
        ],
    )
    .await;
    assert!(waterfall.contains("class=\"span\""));
    let unknown = format!("/ops/traces/{:032x}", 7u128);
    assert_eq!(
        get(&shop, &unknown, Some(&operator)).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&shop, "/ops/traces/nope", Some(&operator))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    fault_switches_go_through_the_form(&shop, &operator, &page).await;
}

/// The waterfall at `link` once it shows every one of `spans`; fails after ten seconds.
async fn waterfall_with(shop: &TestShop, link: &str, operator: &str, spans: &[&str]) -> String {
    let mut waterfall = String::new();
    for _ in 0..100 {
        waterfall = get(shop, link, Some(operator)).await.text().await.unwrap();
        if spans.iter().all(|span| waterfall.contains(span)) {
            return waterfall;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let missing: Vec<_> = spans
        .iter()
        .filter(|span| !waterfall.contains(**span))
        .collect();
    panic!("the waterfall lacks {missing:?}");
}

async fn fault_switches_go_through_the_form(shop: &TestShop, operator: &str, page: &str) {
    let csrf = field(page, "csrf");
    let switch = |csrf: String, kind: &'static str| {
        shop.http
            .post(shop.url("/ops/faults"))
            .bearer_auth(operator)
            .form(&[
                ("csrf", csrf.as_str()),
                ("name", "shipping.unavailable"),
                ("kind", kind),
            ])
            .send()
    };
    assert_eq!(
        switch("0".repeat(32), "fail").await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        switch(csrf.clone(), "fail").await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    let listed = shop.get_json("/api/v1/admin/faults", Some(operator)).await;
    assert!(listed.get("shipping.unavailable").is_some(), "{listed}");
    assert_eq!(
        switch(csrf, "off").await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    let listed = shop.get_json("/api/v1/admin/faults", Some(operator)).await;
    assert!(listed.get("shipping.unavailable").is_none(), "{listed}");
}

#[tokio::test]
async fn the_admin_client_signs_in_with_its_secret_and_keeps_a_cookie_for_ops() {
    let shop = TestShop::spawn("sqlite").await;
    let log_in = |secret: &str| {
        shop.http
            .post(shop.url("/ops/login"))
            .form(&[
                ("client_id", shop.admin_client.0.as_str()),
                ("client_secret", secret),
            ])
            .send()
    };
    let forged = shop
        .http
        .post(shop.url("/ops/login"))
        .header("origin", "https://elsewhere.example")
        .form(&[
            ("client_id", shop.admin_client.0.as_str()),
            ("client_secret", shop.admin_client.1.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged.status(),
        StatusCode::FORBIDDEN,
        "a page elsewhere cannot sign an operator in"
    );
    let refused = log_in("not-the-secret").await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(refused.text().await.unwrap().contains("refused"));

    let signed_in = log_in(&shop.admin_client.1).await.unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    for attribute in ["emporium_ops=", "HttpOnly", "SameSite=Strict", "Path=/ops"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    let pair = cookie.split(';').next().unwrap().to_owned();
    let overview = shop
        .http
        .get(shop.url("/ops"))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(overview.status(), StatusCode::OK);
    let page = overview.text().await.unwrap();
    assert!(page.contains("id=\"service-map\""));
    assert!(
        !page.contains("which this sign-in lacks"),
        "the admin client's sign-in reads the functions, webhooks and models"
    );

    let signed_out = shop
        .http
        .post(shop.url("/ops/logout"))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert!(
        signed_out.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
}

/// With a process per service (the checkout suite's cluster, after its checkouts): the view
/// counts every process once, draws the calls between them, and a checkout's trace has the
/// spans each process kept.
pub(crate) async fn the_gateway_gathers_every_process(shop: &TestShop) {
    let sku = "KIT-00005";
    crate::checkout::set_stock(shop, sku, 10).await;
    let trace = crate::telemetry::new_trace();
    let order = crate::telemetry::check_out(shop, &trace, sku).await;
    assert_eq!(order["state"], "confirmed", "{order}");
    let operator = shop.admin_token_for("admin.ops").await;
    let page = get(shop, "/ops", Some(&operator))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("12 processes answered"),
        "{}",
        &page[..page.len().min(2000)]
    );
    assert!(!page.contains("did not answer"), "every process answers");
    for edge in ["gateway→orders", "orders→inventory", "orders→payments"] {
        assert!(
            page.contains(&format!("data-edge=\"{edge}\"")),
            "no edge {edge}"
        );
    }
    let link = format!("/ops/traces/{}", trace.trace_id_hex());
    let spans = [
        "POST /api/v1/checkout",
        "orders · saga reserve_stock",
        "inventory · /emporium.inventory.v1.Inventory/Reserve",
    ];
    waterfall_with(shop, &link, &operator, &spans).await;
}
