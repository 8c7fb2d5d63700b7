//! Functions deployed while the shop runs, through the admin REST API, as a shopper meets
//! them: at the edge before and after routes, at `/fn/<name>`, and as operators read their
//! invocations; each change served within a second, without a restart.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::TestShop;

fn module_base64(name: &str) -> String {
    use base64::Engine as _;
    let path = format!(
        "{}/../../guests/wasm/{name}.wasm",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|error| panic!("read {path}: {error}"));
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl TestShop {
    async fn functions_token(&self) -> String {
        self.admin_token_for("functions.admin").await
    }

    /// `method path` with the functions admin's token and a JSON body; answers the status and
    /// the JSON answer.
    async fn functions_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> (u16, Value) {
        let token = self.functions_token().await;
        let response = self
            .http
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Deploys guest `module` as `name` (with `grants`) and sets its `triggers`.
    pub(crate) async fn deploy_function(
        &self,
        name: &str,
        module: &str,
        grants: Value,
        triggers: Value,
    ) -> Value {
        let body =
            json!({"module_base64": module_base64(module), "grants": grants, "note": module});
        let (status, deployed) = self
            .functions_call(
                reqwest::Method::POST,
                &format!("/api/v1/admin/functions/{name}/versions"),
                body,
            )
            .await;
        assert_eq!(status, 200, "{deployed}");
        let (status, set) = self
            .functions_call(
                reqwest::Method::PUT,
                &format!("/api/v1/admin/functions/{name}/triggers"),
                triggers,
            )
            .await;
        assert_eq!(status, 200, "{set}");
        deployed
    }
}

/// A client that shows redirects rather than following them.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Sends `request` until `done` holds for the response, for at most `within`.
async fn until(
    within: Duration,
    mut request: impl FnMut() -> reqwest::RequestBuilder,
    done: impl Fn(&reqwest::Response) -> bool,
) -> (reqwest::Response, Duration) {
    let started = Instant::now();
    loop {
        let response = request().send().await.unwrap();
        if done(&response) || started.elapsed() > within {
            return (response, started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Deploys the redirect before `/kitchen` as `moves`, and sees the gateway serve it within a
/// second of the deploy's answer.
async fn redirect_served_within_a_second(shop: &TestShop, client: &reqwest::Client) {
    let edge = json!({"edge": [{"phase": "before", "path_prefix": "/kitchen"}]});
    shop.deploy_function("moves", "redirect", json!({}), edge)
        .await;
    let (response, took) = until(
        Duration::from_secs(3),
        || client.get(shop.url("/kitchen")),
        |response| response.status() == 301,
    )
    .await;
    assert_eq!(response.status(), 301, "served within {took:?}");
    assert!(
        took < Duration::from_secs(1),
        "the gateway picked the function up in {took:?}"
    );
    assert_eq!(response.headers()["location"], "/?category=kitchen");
}

#[tokio::test]
async fn an_edge_function_deployed_at_run_time_redirects_within_a_second_and_rolls_back_at_once() {
    let shop = TestShop::spawn("sqlite").await;
    let client = no_redirects();
    redirect_served_within_a_second(&shop, &client).await;

    // A second version that lets /kitchen through, then a rollback to the first.
    let body = json!({"module_base64": module_base64("ab-test")});
    let (status, _) = shop
        .functions_call(
            reqwest::Method::POST,
            "/api/v1/admin/functions/moves/versions",
            body,
        )
        .await;
    assert_eq!(status, 200);
    let (response, _) = until(
        Duration::from_secs(2),
        || client.get(shop.url("/kitchen")),
        |response| response.status() != 301,
    )
    .await;
    assert!(
        response.headers().contains_key("x-emporium-variant"),
        "version 2 serves: {:?}",
        response.headers()
    );

    // Half and half: requests that carry nothing of their own meet both versions.
    let split = json!({"traffic": [{"version": 1, "percent": 50}, {"version": 2, "percent": 50}]});
    let (status, _) = shop
        .functions_call(
            reqwest::Method::PUT,
            "/api/v1/admin/functions/moves/traffic",
            split,
        )
        .await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut redirected = 0;
    for _ in 0..60 {
        let response = client.get(shop.url("/kitchen")).send().await.unwrap();
        redirected += usize::from(response.status() == 301);
    }
    assert!(
        (10..=50).contains(&redirected),
        "{redirected} of 60 went to version 1"
    );
    let (status, rolled) = shop
        .functions_call(
            reqwest::Method::POST,
            "/api/v1/admin/functions/moves/rollback",
            json!({}),
        )
        .await;
    assert_eq!(
        (status, rolled["traffic"].clone()),
        (200, json!([{"version": 1, "percent": 100}]))
    );
    let (response, took) = until(
        Duration::from_secs(2),
        || client.get(shop.url("/kitchen")),
        |response| response.status() == 301,
    )
    .await;
    assert_eq!(response.status(), 301, "rolled back within {took:?}");
}

#[tokio::test]
async fn the_ab_test_and_the_personalised_listing_shape_the_product_list() {
    let shop = TestShop::spawn("sqlite").await;
    // A page that holds two categories or more; its last product's category moves to the top.
    let mut path = "/api/v1/products?page_size=40".to_owned();
    let wanted = loop {
        let page = shop.get_json(&path, None).await;
        let products = page["products"].as_array().unwrap();
        let last = products[products.len() - 1]["category"]
            .as_str()
            .unwrap()
            .to_owned();
        if products[0]["category"] != last.as_str() {
            break last;
        }
        path = format!(
            "/api/v1/products?page_size=40&page_token={}",
            page["next_page_token"].as_str().unwrap()
        );
    };
    let before = json!({"edge": [{"phase": "before", "path_prefix": "/api/v1/products"}]});
    let after = json!({"edge": [{"phase": "after", "path_prefix": "/api/v1/products"}]});
    shop.deploy_function("ab", "ab-test", json!({}), before)
        .await;
    shop.deploy_function("personal", "personalise", json!({}), after)
        .await;
    let list = || {
        shop.http
            .get(shop.url(&path))
            .header("cookie", format!("emporium_pref={wanted}"))
    };
    let (response, _) = until(Duration::from_secs(2), list, |response| {
        response.headers().contains_key("x-emporium-personalised")
    })
    .await;

    let headers = response.headers().clone();
    assert_eq!(headers["x-emporium-personalised"], wanted.as_str());
    let variant = headers["x-emporium-variant"].to_str().unwrap().to_owned();
    let cookie = headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with(&format!("emporium_ab={variant}; Path=/")),
        "{cookie}"
    );
    let page: Value = response.json().await.unwrap();
    let categories: Vec<&str> = page["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["category"].as_str().unwrap())
        .collect();
    assert_eq!(categories.len(), 40, "the page keeps every product");
    let first_other = categories
        .iter()
        .position(|category| *category != wanted)
        .unwrap_or(categories.len());
    assert!(first_other > 0, "{wanted} first: {categories:?}");
    assert!(
        categories[first_other..]
            .iter()
            .all(|category| *category != wanted),
        "{categories:?}"
    );

    let kept = shop
        .http
        .get(shop.url("/api/v1/products"))
        .header("cookie", "emporium_ab=B")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers()["x-emporium-variant"], "B");
    assert!(
        !kept.headers().contains_key("set-cookie"),
        "a kept variant sets no cookie"
    );
}

#[tokio::test]
async fn a_function_with_its_own_route_answers_and_keeps_state_between_instances() {
    let shop = TestShop::spawn("sqlite").await;
    shop.deploy_function("hello", "hello", json!({"kv": true}), json!({"http": true}))
        .await;
    let hello = || shop.http.get(shop.url("/fn/hello?name=Ada"));
    let (first, _) = until(Duration::from_secs(2), hello, |response| {
        response.status() == 200
    })
    .await;
    assert_eq!(first.headers()["cache-control"], "no-store");
    let first: Value = first.json().await.unwrap();
    let second: Value = hello().send().await.unwrap().json().await.unwrap();

    assert_eq!(first["hello"], "Ada");
    assert_eq!(
        second["visits"].as_i64().unwrap(),
        first["visits"].as_i64().unwrap() + 1
    );
    let missing = shop.http.get(shop.url("/fn/nobody")).send().await.unwrap();
    assert_eq!(missing.status(), 404);

    // What the invocations used reaches the operators, with their log lines.
    let token = shop.functions_token().await;
    let path = "/api/v1/admin/functions/hello/invocations?limit=5";
    let started = Instant::now();
    let invocations = loop {
        let listed = shop.get_json(path, Some(&token)).await;
        if listed["invocations"].as_array().unwrap().len() >= 2
            || started.elapsed() > Duration::from_secs(5)
        {
            break listed["invocations"].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(invocations.as_array().unwrap().len(), 2, "{invocations}");
    assert_eq!(invocations[0]["trigger"], "http");
    assert_eq!(
        invocations[0]["replica"], "functions",
        "in one process the gateway runs it on the functions service's runtime"
    );
    assert_eq!(invocations[0]["logs"][0]["message"], "greeted Ada");
    assert_eq!(
        invocations[1]["cold"], true,
        "the first invocation on this replica is cold"
    );
    assert_eq!(invocations[0]["cold"], false);
    let function = shop
        .get_json("/api/v1/admin/functions/hello", Some(&token))
        .await;
    assert_eq!(function["usage"]["invocations"], 2);
    assert!(function["usage"]["gb_seconds"].as_f64().unwrap() > 0.0);

    function_metrics_show(&shop, "hello").await;
}

/// Prometheus sees `function`'s invocations: counted by outcome, timed in buckets fine enough
/// for microseconds, with fuel, GB-seconds and the cold start.
async fn function_metrics_show(shop: &TestShop, function: &str) {
    let metrics = shop.http.get(shop.url("/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    let sample = |name: &str, labels: &[&str]| -> f64 {
        metrics
            .lines()
            .filter(|line| line.starts_with(&format!("{name}{{")))
            .filter(|line| labels.iter().all(|label| line.contains(label)))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    let hello = format!("function=\"{function}\"");
    let hello = hello.as_str();
    let ok = ["outcome=\"ok\"", "trigger=\"http\"", hello];
    assert!(
        sample("function_invocations_total", &ok) >= 2.0,
        "{metrics}"
    );
    let ten_microseconds = [hello, "le=\"0.00001\""];
    let all = [hello, "le=\"+Inf\""];
    assert!(
        sample("function_duration_seconds_bucket", &all) >= 2.0
            && metrics
                .lines()
                .any(|line| line.starts_with("function_duration_seconds_bucket{")
                    && ten_microseconds.iter().all(|label| line.contains(label))),
        "function durations have buckets from 10 µs: {metrics}"
    );
    assert!(sample("function_fuel_total", &[hello]) > 0.0);
    assert!(sample("function_billed_gigabyte_seconds", &[hello]) > 0.0);
    assert!(sample("function_cold_starts_total", &[hello]) >= 1.0);
}

#[tokio::test]
async fn a_bot_rule_refuses_crawlers_and_a_broken_edge_function_is_passed_over() {
    let shop = TestShop::spawn("sqlite").await;
    shop.deploy_function(
        "bots",
        "bot-rule",
        json!({"kv": true}),
        json!({"edge": [{"phase": "before", "path_prefix": "/api/v1/categories"}]}),
    )
    .await;
    // Loyalty answers what is not an edge decision: the request goes on without it.
    let loyalty = json!({"kv": true, "emit": ["emporium.functions.points_awarded.v1"]});
    shop.deploy_function(
        "confused",
        "loyalty",
        loyalty,
        json!({"edge": [{"phase": "before", "path_prefix": "/api/v1/categories"}]}),
    )
    .await;
    let crawler = || {
        shop.http
            .get(shop.url("/api/v1/categories"))
            .header("user-agent", "Googlebot/2.1")
    };
    let (refused, _) = until(Duration::from_secs(2), crawler, |response| {
        response.status() == 403
    })
    .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );

    let shopper = shop
        .http
        .get(shop.url("/api/v1/categories"))
        .header("user-agent", "Mozilla/5.0 Firefox/133.0")
        .send()
        .await
        .unwrap();
    assert_eq!(
        shopper.status(),
        200,
        "the confused function was passed over"
    );
}

#[tokio::test]
async fn a_module_that_may_not_run_is_refused_at_deploy_naming_the_problem() {
    let shop = TestShop::spawn("sqlite").await;
    let body = json!({"module_base64": module_base64("loyalty")});
    let (status, problem) = shop
        .functions_call(
            reqwest::Method::POST,
            "/api/v1/admin/functions/loyalty/versions",
            body,
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("which this function was not granted"),
        "{problem}"
    );

    let body = json!({"module_base64": "bm90IHdhc20="});
    let (status, problem) = shop
        .functions_call(
            reqwest::Method::POST,
            "/api/v1/admin/functions/junk/versions",
            body,
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("not valid WebAssembly"),
        "{problem}"
    );

    let user = shop.user_token().await;
    let response = shop
        .http
        .get(shop.url("/api/v1/admin/functions"))
        .bearer_auth(user)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn a_checkout_triggers_the_loyalty_function_through_the_bus() {
    let shop = TestShop::spawn("sqlite").await;
    let grants = json!({"kv": true, "emit": ["emporium.functions.points_awarded.v1"]});
    let events = json!({"events": ["emporium.orders.order_placed.v1", "emporium.orders.order_completed.v1"]});
    shop.deploy_function("loyalty", "loyalty", grants, events)
        .await;
    // The functions service serves its own deployments at once; a short wait covers its loop.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let token = shop.user_token().await;
    crate::checkout::fill_cart(&shop, &token, "KIT-00001").await;
    let order = crate::checkout::place_confirmed(&shop, &token, "loyalty-1").await;

    let admin = shop.functions_token().await;
    let path = "/api/v1/admin/functions/loyalty/invocations?limit=10";
    let started = Instant::now();
    let invocations = loop {
        let listed = shop.get_json(path, Some(&admin)).await["invocations"].clone();
        if listed.as_array().unwrap().len() >= 2 || started.elapsed() > Duration::from_secs(10) {
            break listed;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let invocations = invocations.as_array().unwrap();
    assert_eq!(
        invocations.len(),
        2,
        "placed, then completed: {invocations:?}"
    );
    assert!(
        invocations
            .iter()
            .all(|invocation| invocation["trigger"] == "event" && invocation["fault"] == ""),
        "{invocations:?}"
    );
    assert!(order["id"].is_string());
    let dead = shop
        .get_json(
            "/api/v1/admin/functions/loyalty/dead-deliveries",
            Some(&admin),
        )
        .await;
    assert_eq!(dead["deliveries"], json!([]));
}

/// `emporium fn ...` against the running binary of `data_dir` at `base_url`; its output.
fn fn_command(data_dir: &std::path::Path, base_url: &str, args: &[&str]) -> String {
    let output = crate::binary::emporium(data_dir)
        .env("EMPORIUM_PUBLIC_URL", base_url)
        .arg("fn")
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "emporium fn {args:?}: {stderr}");
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn emporium_fn_deploys_lists_shows_logs_and_rolls_back_on_the_running_binary() {
    test_support::install_crypto();
    let data_dir = std::env::temp_dir().join(format!("emporium-fn-{}", std::process::id()));
    let running = crate::binary::start(&data_dir);
    let base = running.base_url.clone();
    let hello = format!(
        "{}/../../guests/wasm/hello.wasm",
        env!("CARGO_MANIFEST_DIR")
    );

    let deployed = fn_command(
        &data_dir,
        &base,
        &[
            "deploy", "hello", &hello, "--kv", "--http", "--note", "first",
        ],
    );
    assert!(deployed.contains("hello: version 1"), "{deployed}");
    let http = reqwest::Client::new();
    let (answer, _) = until(
        Duration::from_secs(2),
        || http.get(format!("{base}/fn/hello?name=cli")),
        |response| response.status() == 200,
    )
    .await;
    assert_eq!(answer.status(), 200);
    fn_command(
        &data_dir,
        &base,
        &["deploy", "hello", &hello, "--kv", "--memory-mb", "32"],
    );
    let back = fn_command(&data_dir, &base, &["rollback", "hello"]);
    assert_eq!(back.trim(), "hello: traffic v1=100%");
    let refused = crate::binary::emporium(&data_dir)
        .env("EMPORIUM_PUBLIC_URL", &base)
        .args(["fn", "traffic", "hello", "1=60"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("the shares add up to 60%, not 100%")
    );

    tokio::time::sleep(Duration::from_millis(800)).await;
    let logs = fn_command(&data_dir, &base, &["logs", "hello"]);
    assert!(
        logs.contains("http") && logs.contains("info greeted cli"),
        "{logs}"
    );
    let list = fn_command(&data_dir, &base, &["list"]);
    assert!(
        list.lines()
            .any(|line| line.starts_with("hello") && line.contains("v1=100%")),
        "{list}"
    );
    crate::binary::stop(running.child);
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[tokio::test]
async fn functions_deployed_through_the_gateway_run_in_the_shop_as_a_process_per_service() {
    let Some(shop) = TestShop::distributed(&[]).await else {
        return;
    };
    redirect_served_within_a_second(&shop, &no_redirects()).await;

    // The key-value space lives with the functions service (in Redis when the cluster has
    // one): the gateway's instances reach it over gRPC.
    shop.deploy_function("hello", "hello", json!({"kv": true}), json!({"http": true}))
        .await;
    let hello = || shop.http.get(shop.url("/fn/hello?name=Ada"));
    let (first, _) = until(Duration::from_secs(3), hello, |response| {
        response.status() == 200
    })
    .await;
    let first: Value = first.json().await.unwrap();
    let second: Value = hello().send().await.unwrap().json().await.unwrap();
    assert_eq!(
        second["visits"].as_i64().unwrap(),
        first["visits"].as_i64().unwrap() + 1,
        "{first} then {second}"
    );
}
