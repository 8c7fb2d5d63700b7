//! Exemplars in `/metrics`: asked for OpenMetrics, the shop names in a latency bucket the trace
//! of a request that fell in it; a real Prometheus server scrapes them and answers them from its
//! exemplar API (when `EMPORIUM_TEST_PROMTOOL` says where Prometheus is installed).

use std::time::Duration;

use crate::TestShop;
use crate::telemetry::{keep_spans, new_trace};

const OPENMETRICS: &str = "application/openmetrics-text;version=1.0.0,text/plain;q=0.5";

#[tokio::test]
async fn a_read_leaves_its_trace_as_an_exemplar_that_prometheus_stores() {
    let _spans = keep_spans();
    let shop = TestShop::spawn("sqlite").await;
    let trace = new_trace();
    let read = shop
        .http
        .get(shop.url("/api/v1/products/KIT-00007"))
        .header("traceparent", trace.traceparent())
        .send()
        .await
        .unwrap();
    assert!(read.status().is_success());

    let metrics = shop
        .http
        .get(shop.url("/metrics"))
        .header("accept", OPENMETRICS)
        .send()
        .await
        .unwrap();
    let content_type = metrics.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("application/openmetrics-text; version=1.0.0"));
    let text = metrics.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    let exemplar = format!("# {{trace_id=\"{:032x}\"}}", trace.trace_id);
    let buckets: Vec<&str> = text
        .lines()
        .filter(|line| line.contains(&exemplar))
        .collect();
    assert!(
        buckets.iter().any(
            |line| line.starts_with("http_request_duration_seconds_bucket{")
                && line.contains("route=\"/api/v1/products/{sku}\"")
        ),
        "no HTTP bucket names the read's trace: {buckets:?}"
    );
    assert!(
        buckets
            .iter()
            .any(|line| line.starts_with("grpc_server_handling_seconds_bucket{")),
        "no gRPC bucket names the read's trace: {buckets:?}"
    );

    match std::env::var("EMPORIUM_TEST_PROMTOOL") {
        Ok(promtool) if !promtool.is_empty() => {
            let prometheus = std::path::Path::new(&promtool).with_file_name("prometheus");
            let stored = scraped_exemplars(&prometheus, &shop).await;
            assert!(
                stored.contains(&format!("\"trace_id\":\"{:032x}\"", trace.trace_id)),
                "Prometheus did not store the read's exemplar: {stored}"
            );
        }
        _ => eprintln!("EMPORIUM_TEST_PROMTOOL is not set: the Prometheus scrape is skipped"),
    }
}

/// Runs `prometheus` scraping `shop` every second with exemplar storage on, and returns what
/// its exemplar API answers for the HTTP latency buckets once it has any.
async fn scraped_exemplars(prometheus: &std::path::Path, shop: &TestShop) -> String {
    let dir = test_support::scratch_dir("prometheus");
    let target = shop.url("").trim_start_matches("http://").to_owned();
    let config = format!(
        "global: {{scrape_interval: 1s}}\nscrape_configs:\n  - job_name: shop\n    \
         static_configs: [{{targets: ['{target}']}}]\n"
    );
    std::fs::write(dir.join("prometheus.yml"), config).unwrap();
    let listen = test_support::reserved_address();
    let server = std::process::Command::new(prometheus)
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("tsdb").display()
        ))
        .arg(format!("--web.listen-address={listen}"))
        .arg("--enable-feature=exemplar-storage")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _server = KillOnDrop(server, dir);
    let query = format!(
        "http://{listen}/api/v1/query_exemplars?query=http_request_duration_seconds_bucket"
    );
    let mut answer = String::new();
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if let Ok(response) = shop.http.get(&query).send().await {
            answer = response.text().await.unwrap_or_default();
            if answer.contains("trace_id") {
                break;
            }
        }
    }
    answer
}

/// A server process stopped, and its folder removed, when the test ends, passed or not.
struct KillOnDrop(std::process::Child, std::path::PathBuf);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}
