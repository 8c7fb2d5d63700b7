//! The real binary: `emporium up` starts, prints its URLs, serves, hands out tokens with
//! `emporium token`, stops cleanly on SIGTERM, and refuses a bad setting by naming it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_emporium");
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// The first log line containing `needle`, waiting up to five seconds for it.
fn wait_for_log(logs: &Mutex<String>, needle: &str) -> String {
    for _ in 0..50 {
        if let Some(line) = logs
            .lock()
            .unwrap()
            .lines()
            .find(|line| line.contains(needle))
        {
            return line.to_owned();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no log line with `{needle}` in:\n{}", logs.lock().unwrap());
}

pub(crate) fn emporium(data_dir: &Path) -> Command {
    let mut command = Command::new(BINARY);
    command
        .env("EMPORIUM_DATA_DIR", data_dir)
        .env("EMPORIUM_HTTP_ADDR", "127.0.0.1:0")
        .env("EMPORIUM_GRPC_ADDR", "127.0.0.1:0")
        .env("EMPORIUM_IDENTITY__ARGON2_MEMORY_KIB", "256")
        .env("EMPORIUM_TELEMETRY__LOG_FORMAT", "json")
        .env_remove("EMPORIUM_CONFIG")
        // The test suite's and the deployment tools' own variables are not settings; the
        // binary must start beside them.
        .env(
            "EMPORIUM_TEST_POSTGRES_URL",
            "postgres://not-used-by-the-binary",
        )
        .env("EMPORIUM_DEPLOY_GATEWAY_CLIENT_SECRET", "not-a-setting");
    command
}

/// A running `emporium up`: its REST base URL, what it printed, and its logs so far.
pub(crate) struct Running {
    pub(crate) child: Child,
    pub(crate) base_url: String,
    pub(crate) printed: String,
    pub(crate) logs: Arc<Mutex<String>>,
}

/// Starts `emporium up` and reads what it prints until it is ready.
pub(crate) fn start(data_dir: &Path) -> Running {
    let mut child = emporium(data_dir)
        .arg("up")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let logs = Arc::new(Mutex::new(String::new()));
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let collected = logs.clone();
    // Read to the end whatever comes: a reader that stopped early would fill the pipe and
    // block the child on its next log line.
    std::thread::spawn(move || {
        let mut stderr = stderr;
        let mut line = Vec::new();
        while matches!(stderr.read_until(b'\n', &mut line), Ok(read) if read > 0) {
            collected
                .lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&line));
            line.clear();
        }
    });
    let mut printed = String::new();
    let mut base_url = None;
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if let Some(url) = line.trim().strip_prefix("REST API") {
            base_url = Some(url.trim().trim_end_matches("/api/v1/products").to_owned());
        }
        if line.contains("Ctrl-C stops") {
            break;
        }
    }
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let base_url = base_url.unwrap_or_else(|| panic!("no REST URL in:\n{printed}"));
    Running {
        child,
        base_url,
        printed,
        logs,
    }
}

pub(crate) fn stop(mut child: Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    panic!("emporium did not stop within 10 s of SIGTERM");
}

pub(crate) fn token(data_dir: &Path, base_url: &str, admin: bool) -> String {
    let mut command = emporium(data_dir);
    command.env("EMPORIUM_PUBLIC_URL", base_url).arg("token");
    if admin {
        command.arg("--admin");
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn emporium_up_serves_the_shop_hands_out_tokens_and_stops_cleanly_on_sigterm() {
    test_support::install_crypto();
    let data_dir = std::env::temp_dir().join(format!("emporium-binary-{}", std::process::id()));
    let http = reqwest::Client::new();

    let Running {
        child,
        base_url,
        printed,
        logs,
    } = start(&data_dir);
    assert!(
        printed.contains("Development user (shown once): dev@emporium.local"),
        "{printed}"
    );
    assert!(printed.contains("Admin client (shown once):"), "{printed}");
    assert!(printed.contains("Seeded 2432 products"), "{printed}");
    let products: serde_json::Value = http
        .get(format!("{base_url}/api/v1/products?page_size=2"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sku = products["products"][0]["sku"].as_str().unwrap().to_owned();
    let other_sku = products["products"][1]["sku"].as_str().unwrap().to_owned();

    let user = token(&data_dir, &base_url, false);
    let cart = http
        .post(format!("{base_url}/api/v1/cart/items"))
        .bearer_auth(&user)
        .json(&serde_json::json!({"sku": sku, "quantity": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        cart.status(),
        200,
        "the user token from `emporium token` works"
    );
    let admin = token(&data_dir, &base_url, true);
    let deleted = http
        .delete(format!("{base_url}/api/v1/products/{other_sku}"))
        .bearer_auth(&admin)
        .header("traceparent", format!("00-{TRACE_ID}-00f067aa0ba902b7-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted.status(),
        204,
        "the admin token from `emporium token --admin` works"
    );
    // The catalog logs the deletion inside the in-process gRPC call the gateway made: the line is
    // JSON and carries the trace id the client sent.
    let deletion = wait_for_log(&logs, "product deleted");
    let deletion: serde_json::Value = serde_json::from_str(&deletion).unwrap();
    let spans = deletion["spans"].as_array().unwrap();
    assert!(
        spans.iter().any(|span| span["trace_id"] == TRACE_ID),
        "{deletion}"
    );
    assert!(
        spans.iter().any(|span| span["kind"] == "grpc"),
        "the gRPC hop joined the trace: {deletion}"
    );

    assert!(
        stop(child).success(),
        "SIGTERM ends the process with success"
    );

    let Running {
        child,
        base_url,
        printed,
        ..
    } = start(&data_dir);
    assert!(
        !printed.contains("shown once"),
        "credentials are printed on the first start only:\n{printed}"
    );
    assert!(
        !printed.contains("Seeded"),
        "the catalog is seeded once:\n{printed}"
    );
    let cart: serde_json::Value = http
        .get(format!("{base_url}/api/v1/cart"))
        .bearer_auth(token(&data_dir, &base_url, false))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cart["item_count"], 1, "the cart survived the restart");
    assert!(stop(child).success());
    std::fs::remove_dir_all(&data_dir).unwrap();
}

#[test]
fn a_bad_setting_stops_the_binary_with_a_message_naming_the_key() {
    let data_dir = std::env::temp_dir().join(format!("emporium-bad-config-{}", std::process::id()));
    let output = emporium(&data_dir)
        .env("EMPORIUM_CART__MAX_LINES", "lots")
        .arg("up")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("cart.max_lines"), "{message}");
    let output = emporium(&data_dir)
        .env("EMPORIUM_NO_SUCH_KEY", "1")
        .arg("up")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "unknown keys are refused, not ignored"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("no_such_key"));

    // EMPORIUM_CONFIG names the file; the file is read, and the variable is not a setting.
    std::fs::create_dir_all(&data_dir).unwrap();
    let file = data_dir.join("emporium.toml");
    std::fs::write(&file, "[cart]\nmax_lines = \"lots\"\n").unwrap();
    let output = emporium(&data_dir)
        .env("EMPORIUM_CONFIG", &file)
        .arg("up")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("cart.max_lines") && message.contains("TOML file"),
        "the file's bad value is named, with the file: {message}"
    );
}

#[test]
fn emporium_client_adds_lists_and_removes_clients_from_outside() {
    let data_dir = std::env::temp_dir().join(format!("emporium-clients-{}", std::process::id()));
    let run = |arguments: &[&str]| {
        let output = emporium(&data_dir)
            .arg("client")
            .args(arguments)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.success(), stdout, stderr)
    };
    let (added, stdout, stderr) = run(&[
        "add",
        "--name",
        "Pocket Shop",
        "--redirect-uri",
        "https://pocket.example/callback",
    ]);
    assert!(added, "{stderr}");
    let client: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let client_id = client["client_id"].as_str().unwrap().to_owned();
    assert!(
        client["client_secret"]
            .as_str()
            .is_some_and(|secret| secret.len() >= 16),
        "a confidential client's secret is shown once: {client}"
    );
    assert_eq!(
        client["grant_types"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );

    let (_, stdout, _) = run(&["list"]);
    let listed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(listed[0]["client_id"], client_id.as_str());
    assert!(
        listed[0].get("client_secret").is_none(),
        "a listing shows no secret"
    );

    let (refused, _, stderr) = run(&[
        "add",
        "--name",
        "Bad",
        "--redirect-uri",
        "http://pocket.example/cb",
    ]);
    assert!(!refused);
    assert!(stderr.contains("redirect_uris"), "{stderr}");
    let (removed, _, stderr) = run(&["remove", &client_id]);
    assert!(removed, "{stderr}");
    let (removed_again, _, stderr) = run(&["remove", &client_id]);
    assert!(!removed_again);
    assert!(stderr.contains(&client_id), "{stderr}");
    let (refused, _, stderr) = run(&["remove", "gateway"]);
    assert!(
        !refused,
        "the shop's own clients are not removed this way: {stderr}"
    );
    std::fs::remove_dir_all(&data_dir).unwrap();
}
