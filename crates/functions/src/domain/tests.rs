//! The rules of deploying functions: names, traffic splits, rollbacks, triggers, usage.

use super::*;

fn shares(pairs: &[(u32, u32)]) -> Vec<Share> {
    pairs
        .iter()
        .map(|&(version, percent)| Share { version, percent })
        .collect()
}

#[test]
fn names_are_lowercase_words_that_fit_a_path() {
    assert!(check_name("loyalty-points2").is_ok());
    for bad in ["", "Loyalty", "2fast", "a/b", "with space", &"x".repeat(41)] {
        let error = check_name(bad).unwrap_err();
        assert_eq!(error.field, "name", "{bad}");
    }
}

#[test]
fn traffic_must_split_all_calls_between_existing_versions() {
    assert_eq!(
        check_traffic(&shares(&[(1, 90), (2, 10)]), &[1, 2])
            .unwrap()
            .len(),
        2
    );
    let error = |pairs: &[(u32, u32)]| check_traffic(&shares(pairs), &[1, 2]).unwrap_err().reason;
    assert_eq!(error(&[(1, 90)]), "the shares add up to 90%, not 100%");
    assert_eq!(error(&[(3, 100)]), "version 3 does not exist");
    assert_eq!(error(&[(1, 50), (1, 50)]), "version 1 is named twice");
    assert_eq!(
        error(&[(1, 100), (2, 0)]),
        "version 2 has 0%; a share is 1 to 100"
    );
    assert_eq!(error(&[]), "the shares add up to 0%, not 100%");
}

#[test]
fn a_rollback_goes_to_the_version_before_the_one_serving_most() {
    let versions = [1, 2, 3];
    assert_eq!(rollback_target(&shares(&[(3, 100)]), &versions, 0), Ok(2));
    assert_eq!(
        rollback_target(&shares(&[(2, 10), (3, 90)]), &versions, 0),
        Ok(2)
    );
    assert_eq!(rollback_target(&shares(&[(3, 100)]), &versions, 1), Ok(1));
    assert_eq!(
        rollback_target(&shares(&[(1, 100)]), &versions, 0)
            .unwrap_err()
            .reason,
        "version 1 is the first; there is nothing before it"
    );
    assert_eq!(
        rollback_target(&shares(&[(3, 100)]), &versions, 7)
            .unwrap_err()
            .reason,
        "version 7 does not exist"
    );
}

#[test]
fn triggers_name_phases_paths_and_event_types_of_the_shop() {
    let edge = |phase: &str, path: &str| Triggers {
        edge: vec![EdgeRoute {
            phase: phase.to_owned(),
            path_prefix: path.to_owned(),
        }],
        ..Triggers::default()
    };
    assert!(check_triggers(edge("before", "/api/v1/products")).is_ok());
    assert_eq!(
        check_triggers(edge("during", "/")).unwrap_err().field,
        "triggers.edge.phase"
    );
    assert_eq!(
        check_triggers(edge("after", "api")).unwrap_err().field,
        "triggers.edge.path_prefix"
    );
    let events = |event: &str| Triggers {
        events: vec![event.to_owned()],
        ..Triggers::default()
    };
    assert!(check_triggers(events("emporium.orders.order_completed.v1")).is_ok());
    assert!(check_triggers(events("emporium.orders.order_completed")).is_err());
    assert!(check_triggers(events("orders.order_completed.v1.x")).is_err());
}

#[test]
fn functions_emit_only_their_own_services_events() {
    assert!(check_emits(&["emporium.functions.points_awarded.v1".to_owned()]).is_ok());
    let error = check_emits(&["emporium.orders.order_placed.v1".to_owned()]).unwrap_err();
    assert_eq!(error.field, "grants.emit");
}

#[test]
fn usage_counts_percentiles_and_bills_gb_seconds() {
    let measured: Vec<Measured> = (1..=100)
        .map(|n| Measured {
            duration_ms: f64::from(n) - 0.5,
            fuel: 10,
            memory_limit_bytes: 1 << 30,
            cold: n == 1,
            failed: n % 10 == 0,
        })
        .collect();
    let usage = usage(&measured);
    assert_eq!(
        (
            usage.invocations,
            usage.errors,
            usage.cold_starts,
            usage.fuel
        ),
        (100, 10, 1, 1000)
    );
    assert_eq!((usage.p50_ms, usage.p99_ms), (49.5, 98.5));
    // 1 GB for 1 + 2 + ... + 100 ms.
    assert!(
        (usage.gb_seconds - 5.05).abs() < 1e-9,
        "{}",
        usage.gb_seconds
    );
    assert_eq!(super::usage(&[]), Usage::default());
}

#[test]
fn retries_double_from_a_second_up_to_five_minutes_with_jitter() {
    let millis = |attempt, jitter| retry_after(attempt, jitter).as_millis();
    assert_eq!((millis(1, 0.0), millis(1, 1.0)), (500, 1000));
    assert_eq!((millis(2, 0.0), millis(2, 1.0)), (1000, 2000));
    assert_eq!(millis(4, 1.0), 8000);
    assert_eq!((millis(12, 0.0), millis(40, 1.0)), (150_000, 300_000));
}

#[test]
fn functions_publish_their_events_on_their_own_subjects() {
    assert_eq!(
        subject_of("emporium.functions.points_awarded.v1").as_deref(),
        Some("emporium.functions.points_awarded")
    );
    assert_eq!(subject_of("emporium.orders.order_placed.v1"), None);
    assert_eq!(subject_of("emporium.functions.points_awarded"), None);
}

#[test]
fn a_new_version_is_broken_when_half_of_ten_or_more_invocations_failed() {
    assert!(!broken(&[true; 9]), "too few to tell");
    assert!(broken(&[true; 10]));
    let mut half = vec![true; 10];
    half.extend([false; 10]);
    assert!(broken(&half));
    half[0] = false;
    assert!(!broken(&half), "9 of 20");
}

#[test]
fn webhook_urls_are_http_with_a_host_and_no_credentials() {
    assert!(check_webhook_url("https://merchant.example/hooks?x=1").is_ok());
    assert!(check_webhook_url("http://127.0.0.1:9000/hook").is_ok());
    for bad in [
        "ftp://merchant.example/",
        "not a url",
        "https://user:pw@merchant.example/",
        "file:///etc/passwd",
    ] {
        assert_eq!(check_webhook_url(bad).unwrap_err().field, "url", "{bad}");
    }
}

#[test]
fn a_2xx_delivers_410_turns_the_endpoint_off_and_the_rest_comes_again() {
    assert_eq!(webhook_outcome(204), WebhookOutcome::Delivered);
    assert_eq!(webhook_outcome(410), WebhookOutcome::Gone);
    for status in [0, 301, 400, 429, 500, 503] {
        assert_eq!(webhook_outcome(status), WebhookOutcome::Again, "{status}");
    }
}
