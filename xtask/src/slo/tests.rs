//! Tests of the SLO generator: the committed files are current, thresholds are bucket bounds,
//! routes are served, and bad objectives are refused.

use super::*;

#[test]
fn the_committed_rules_and_dashboard_are_what_the_objectives_make() {
    let root = crate::workspace_root();
    for (path, expected) in generate(&root).unwrap() {
        let committed = std::fs::read_to_string(root.join(path)).unwrap_or_default();
        assert!(
            committed == expected,
            "{path} differs from what {OBJECTIVES} makes; run cargo run -p xtask -- slo"
        );
    }
}

#[test]
fn every_latency_threshold_is_a_bucket_bound_of_the_duration_histogram() {
    let root = crate::workspace_root();
    let objectives: Objectives = toml::from_str(&read(&root, OBJECTIVES).unwrap()).unwrap();
    let buckets = bucket_bounds(&read(&root, BUCKETS_SOURCE).unwrap()).unwrap();
    assert!(buckets.len() > 1, "the bucket list is read: {buckets:?}");
    let recorder = read(&root, "crates/platform/src/telemetry/prometheus.rs").unwrap();
    assert!(
        recorder.contains("set_buckets(&super::red::BUCKETS)"),
        "the Prometheus recorder's buckets are {BUCKETS_SOURCE}'s BUCKETS"
    );
    for journey in &objectives.journey {
        assert!(
            buckets.contains(&journey.latency.threshold_seconds),
            "journey {}: {} s is not one of {buckets:?}",
            journey.name,
            journey.latency.threshold_seconds
        );
    }
    assert_eq!(objectives.problems(&buckets), Vec::<String>::new());
}

#[test]
fn every_route_is_one_the_gateway_or_the_storefront_serves() {
    let root = crate::workspace_root();
    let mut served = Vec::new();
    for folder in ["crates/gateway/src", "crates/storefront/src"] {
        for file in crate::tidy::rust_files(&root.join(folder)) {
            let text = std::fs::read_to_string(file).unwrap();
            for (at, _) in text.match_indices(".route(") {
                let rest = text[at + ".route(".len()..].trim_start();
                if let Some(path) = rest
                    .strip_prefix('"')
                    .and_then(|rest| rest.split('"').next())
                {
                    served.push(path.to_owned());
                }
            }
        }
    }
    let objectives: Objectives = toml::from_str(&read(&root, OBJECTIVES).unwrap()).unwrap();
    for journey in &objectives.journey {
        for route in &journey.routes {
            assert!(
                served.contains(route),
                "journey {}: no route {route}",
                journey.name
            );
        }
    }
}

#[test]
fn a_threshold_between_bucket_bounds_and_a_route_in_two_journeys_are_refused() {
    let objectives: Objectives = toml::from_str(
        r#"
        [[journey]]
        name = "browse"
        description = "Look."
        routes = ["/p/{sku}"]
        availability = 0.995
        latency = { threshold_seconds = 0.3, objective = 0.99 }

        [[journey]]
        name = "buy"
        description = "Buy."
        routes = ["/p/{sku}"]
        availability = 1.5
        latency = { threshold_seconds = 0.5, objective = 0.99 }
        "#,
    )
    .unwrap();
    let problems = objectives.problems(&[0.25, 0.5]);
    let found = |needle: &str| problems.iter().any(|problem| problem.contains(needle));
    assert!(
        found("journey browse: latency.threshold_seconds: 0.3 is not a bucket bound"),
        "{problems:#?}"
    );
    assert!(
        found("journey buy: routes: /p/{sku} is in another journey"),
        "{problems:#?}"
    );
    assert!(
        found("journey buy: availability: 1.5 is not between 0 and 1"),
        "{problems:#?}"
    );
    assert_eq!(problems.len(), 3, "{problems:#?}");
}

#[test]
fn the_bucket_list_is_read_from_its_constant() {
    let text = "/// Bounds.\npub const BUCKETS: [f64; 4] = [\n    0.25, 0.5, 1.0,\n    2.5,\n];\n";
    assert_eq!(bucket_bounds(text).unwrap(), vec![0.25, 0.5, 1.0, 2.5]);
    assert!(bucket_bounds("no buckets here").is_err());
}

#[test]
fn routes_become_an_exact_promql_regex() {
    let routes = ["/".to_owned(), "/p/{sku}".to_owned(), "/a.b".to_owned()];
    assert_eq!(route_matcher(&routes), r"/|/p/\\{sku\\}|/a\\.b");
}

#[test]
fn every_alert_window_is_recorded() {
    for alert in &BURN_ALERTS {
        for burn in &alert.burns {
            assert!(
                WINDOWS.contains(&burn.long) && WINDOWS.contains(&burn.short),
                "{}",
                alert.name
            );
        }
    }
}

#[test]
fn percentages_read_as_people_write_them() {
    assert_eq!(percent(0.999), "99.9");
    assert_eq!(percent(1.0 - 0.999), "0.1");
    assert_eq!(percent(1.0 - 0.99), "1");
    assert_eq!(percent(0.995), "99.5");
}
