//! Tests of the report's files, from a recording made up here: the keys scripts read, and a page
//! that stands alone.

use std::time::Duration;

use super::*;
use crate::load::ErrorKind;

/// Ten seconds of browsing and checking out, and one failed search.
fn synthetic_report() -> ShopReport {
    let mut recording = Recording::new(10).unwrap();
    for second in 0..10u64 {
        let at = Duration::from_secs(second);
        for millis in [5, 10, 20] {
            recording.record("browse", at, Duration::from_millis(millis));
            recording.record("checkout", at, Duration::from_millis(millis * 10));
        }
        recording.journey_ended(at, true);
    }
    recording.record_error(
        "search",
        Duration::from_secs(3),
        Some(Duration::from_millis(40)),
        (ErrorKind::Server, "search: 503 <b>busy</b>".to_owned()),
    );
    ShopReport {
        url: "http://127.0.0.1:8080".to_owned(),
        rate: 20.0,
        seconds: 10,
        accounts: 16,
        max_in_flight: 2000,
        storefront: true,
        arrivals: 200,
        dropped: 0,
        elapsed: Duration::from_secs(10),
        recording,
        files: Vec::new(),
    }
}

#[test]
fn the_summary_has_every_key_scripts_read_and_a_figure_set_per_step_and_window() {
    let summary = summary_json(&synthetic_report());
    for key in [
        "scenario",
        "url",
        "rate",
        "seconds",
        "arrivals",
        "dropped",
        "completed",
        "errors",
        "errors_by_kind",
        "steps",
        "windows",
    ] {
        assert!(summary.get(key).is_some(), "{key}: {summary}");
    }
    assert_eq!(summary["scenario"], "shop");
    assert_eq!(summary["arrivals"], 200);
    assert_eq!(summary["completed"], 10);
    assert_eq!(summary["errors"], 1);
    assert_eq!(summary["errors_by_kind"]["5xx"], 1);
    let browse = &summary["steps"]["browse"];
    for key in [
        "count",
        "errors",
        "p50_ms",
        "p90_ms",
        "p99_ms",
        "p999_ms",
        "max_ms",
        "failed_p50_ms",
        "failed_p99_ms",
    ] {
        assert!(browse.get(key).is_some(), "{key}: {browse}");
    }
    assert_eq!(browse["count"], 30);
    assert!(browse["p50_ms"].as_f64().unwrap() <= browse["p99_ms"].as_f64().unwrap());
    assert_eq!(summary["steps"]["search"]["count"], 0);
    assert_eq!(summary["steps"]["search"]["errors"], 1);
    let failed_p99 = summary["steps"]["search"]["failed_p99_ms"]
        .as_f64()
        .unwrap();
    assert!((failed_p99 - 40.0).abs() < 0.5, "{failed_p99}");
    let windows = summary["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 10, "one-second windows over ten seconds");
    assert_eq!(windows[3]["start_s"], 3);
    assert_eq!(windows[3]["errors"], 1);
    for key in ["count", "errors", "p50_ms", "p99_ms"] {
        assert!(windows[0]["steps"]["checkout"].get(key).is_some(), "{key}");
    }
}

#[test]
fn the_page_stands_alone_with_charts_and_a_row_per_step() {
    let page = render_html(&synthetic_report());
    assert!(page.contains("<svg"), "{page}");
    assert!(!page.contains("<script"), "{page}");
    assert!(!page.contains("src="), "nothing is fetched: {page}");
    assert_eq!(page.matches("class=\"chart line-chart\"").count(), 4);
    for step in ["browse", "checkout", "search"] {
        assert!(page.contains(&format!("<td>{step}</td>")), "{step}: {page}");
    }
    assert!(
        page.contains("search: 503 &lt;b&gt;busy&lt;/b&gt;"),
        "{page}"
    );
}

#[test]
fn the_files_are_written_into_a_folder_made_for_them() {
    let root =
        std::env::temp_dir().join(format!("emporium-report-{}", uuid::Uuid::new_v4().simple()));
    let dir = root.join("nested");
    let files = write_report(&dir, &synthetic_report()).unwrap();
    assert_eq!(files, [dir.join("report.html"), dir.join("summary.json")]);
    let summary = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let summary: Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(summary["steps"]["checkout"]["count"], 30);
    assert!(
        std::fs::read_to_string(dir.join("report.html"))
            .unwrap()
            .contains("<svg")
    );
    std::fs::remove_dir_all(root).unwrap();
}
