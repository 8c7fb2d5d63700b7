//! The storefront in a real browser: `tests/browser/run.mjs` (playwright-core driving chromium,
//! axe-core) against the shop in one process and, with NATS, in ten. Runs when
//! `EMPORIUM_TEST_BROWSER` names a chromium binary (`.ci/run` installs Debian's and runs
//! `npm ci --prefix tests/browser`); says it skipped otherwise. It ends in the operations view. Screenshots of every page go to
//! `tests/browser/screenshots/`.

use std::path::PathBuf;

use crate::TestShop;

fn browser() -> Option<String> {
    match std::env::var("EMPORIUM_TEST_BROWSER") {
        Ok(path) => Some(path),
        Err(_) => {
            eprintln!("EMPORIUM_TEST_BROWSER is not set: the browser tests are skipped");
            None
        }
    }
}

/// Runs the browser script against `shop`; panics with its output when it fails.
async fn run_in_browser(shop: &TestShop, chromium: &str, mode: &str) {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    assert!(
        folder.join("node_modules/playwright-core").exists(),
        "EMPORIUM_TEST_BROWSER is set but playwright-core is missing: npm ci --prefix tests/browser"
    );
    let admin = shop.admin_token_for("admin.faults").await;
    let operator = shop.admin_token_for("admin.ops").await;
    let mut command = std::process::Command::new("node");
    command
        .arg("run.mjs")
        .current_dir(&folder)
        .env("EMPORIUM_BASE_URL", &shop.base_url)
        .env("EMPORIUM_ADMIN_TOKEN", admin)
        .env("EMPORIUM_OPS_TOKEN", operator)
        .env("EMPORIUM_TEST_BROWSER", chromium)
        .env("EMPORIUM_SCREENSHOTS", folder.join("screenshots"))
        .env("EMPORIUM_MODE", mode);
    // The shop runs on this runtime's other threads while node drives the browser.
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the browser run failed:\n{stdout}\n{stderr}"
    );
    for step in [
        "purchase: ok",
        "declined card: ok",
        "keyboard-only checkout: ok",
        "ops view: ok",
    ] {
        assert!(stdout.contains(step), "{step} missing:\n{stdout}");
    }
}

#[tokio::test]
async fn the_purchase_in_a_browser_with_the_shop_in_one_process() {
    let Some(chromium) = browser() else { return };
    // The binary keeps its spans for the operations view; a shop in a test does when asked.
    let _spans = crate::telemetry::keep_spans();
    let shop = TestShop::spawn("sqlite").await;
    run_in_browser(&shop, &chromium, "single").await;
}

#[tokio::test]
async fn the_purchase_in_a_browser_with_the_shop_as_a_process_per_service() {
    let Some(chromium) = browser() else { return };
    let Some(shop) = TestShop::distributed(&[]).await else {
        return;
    };
    run_in_browser(&shop, &chromium, "distributed").await;
}
