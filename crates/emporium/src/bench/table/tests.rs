//! The bench's pure parts on made-up figures: ratios, targets, the Markdown, `/proc` lines.

use std::time::Duration;

use super::*;

fn run(request: Request, setup: Setup, connections: usize, p50_micros: u64, requests: u64) -> Run {
    Run {
        request,
        setup,
        connections,
        requests,
        errors: 0,
        elapsed: Duration::from_secs(10),
        p50_micros,
        p99_micros: p50_micros * 3,
        cpu_ms_per_request: Some(0.25),
    }
}

fn header() -> Header {
    Header {
        date: "2026-12-08".to_owned(),
        cores: 2,
        cpu: "a test processor".to_owned(),
        kernel: "6.1.0".to_owned(),
        seconds: 10,
        warm_up_seconds: 1,
    }
}

#[test]
fn the_product_read_is_compared_with_bare_axum_as_a_ratio_held_to_its_target() {
    let results = Results {
        runs: vec![
            run(Request::ProductRead, Setup::OneProcess, 1, 160, 60_000),
            run(Request::ProductRead, Setup::BareAxum, 1, 70, 140_000),
            run(Request::ProductRead, Setup::OneProcess, 64, 2_110, 295_440),
            run(Request::ProductRead, Setup::BareAxum, 64, 700, 400_000),
        ],
        ..Results::default()
    };
    let found = comparisons(&results);
    let p50 = &found[0];
    assert_eq!(p50.what, "product read p50, 1 connection");
    assert_eq!(
        p50.ratio().map(|ratio| format!("{ratio:.2}")),
        Some("2.29".to_owned())
    );
    assert_eq!(p50.goal.describe(p50.ratio()), "≤ 1.5x: **not met**");
    let throughput = found
        .iter()
        .find(|comparison| comparison.what == "product read throughput, 64 connections")
        .unwrap();
    assert_eq!(throughput.a.label, "one process");
    assert_eq!(throughput.b.label, "bare axum");
    // 29,544 against 40,000 a second.
    assert_eq!(throughput.goal.describe(throughput.ratio()), "≥ 0.6x: met");
}

#[test]
fn rows_whose_runs_are_missing_are_left_out_and_the_rest_keep_their_order() {
    let results = Results {
        runs: vec![
            run(Request::ProductPage, Setup::OneProcess, 1, 1_000, 10_000),
            run(Request::ProductPage, Setup::Processes(10), 1, 4_000, 2_500),
            run(Request::Checkout, Setup::OneProcess, 16, 40_000, 5_000),
        ],
        fsyncs_per_second: Some(1_250.0),
        memory_one_process_mb: Some(50.0),
        memory_processes_mb: Some((10, 400.0)),
        ..Results::default()
    };
    let found = comparisons(&results);
    let rows: Vec<&str> = found
        .iter()
        .map(|comparison| comparison.what.as_str())
        .collect();
    assert_eq!(
        rows,
        [
            "product page p50, 1 connection",
            "product page CPU per request, 1 connection",
            "checkout throughput against the commit ceiling",
            "resident memory (VmRSS) after the product runs",
        ]
    );
    let page = &found[0];
    assert_eq!(page.a.label, "10 processes");
    assert_eq!(page.goal.describe(page.ratio()), "≥ 5x: **not met**");
    let checkout = &found[2];
    assert_eq!(checkout.a.describe(), "one process 500 checkouts/s");
    assert_eq!(checkout.b.describe(), "this disk 1,250 fsyncs/s");
}

#[test]
fn the_document_has_the_summary_table_and_a_line_for_every_run() {
    let results = Results {
        runs: vec![
            run(
                Request::ProductRead,
                Setup::TelemetryAsShipped,
                64,
                2_500,
                270_000,
            ),
            run(
                Request::ProductRead,
                Setup::TelemetryOff,
                64,
                2_000,
                300_000,
            ),
        ],
        notes: vec!["bare axum skipped".to_owned()],
        ..Results::default()
    };
    let document = markdown(&header(), &results);
    assert!(
        document.starts_with("# Emporium benchmarks, 2026-12-08\n"),
        "{document}"
    );
    assert!(
        document.contains("| comparison | A | B | ratio | target |\n"),
        "{document}"
    );
    assert!(
        document.contains(
            "| product read throughput, 64 connections | one process, telemetry as shipped \
             27,000 req/s | one process, telemetry off 30,000 req/s | 0.90x | ≥ 0.9x: met |"
        ),
        "{document}"
    );
    assert!(
        document.contains("| product read, one process, telemetry off | 64 | 30,000 | 2.00 ms | 6.00 ms | 0.250 | 0 |"),
        "{document}"
    );
    assert!(document.ends_with("- bare axum skipped\n"), "{document}");
}

#[test]
fn a_ratio_over_nothing_is_no_ratio() {
    let comparison = Comparison {
        what: "x".to_owned(),
        a: Figure {
            label: "a".to_owned(),
            value: 1.0,
            unit: Unit::Micros,
        },
        b: Figure {
            label: "b".to_owned(),
            value: 0.0,
            unit: Unit::Micros,
        },
        goal: Goal::AtMost(1.5),
    };
    assert_eq!(comparison.ratio(), None);
    assert_eq!(comparison.goal.describe(None), "≤ 1.5x");
}

#[test]
fn figures_are_written_in_the_units_people_read() {
    assert_eq!(micros(160), "160 µs");
    assert_eq!(micros(2_110), "2.11 ms");
    assert_eq!(micros(1_200_000), "1.20 s");
    assert_eq!(per_second(29_544.4), "29,544");
    assert_eq!(per_second(1_000_000.0), "1,000,000");
    assert_eq!(per_second(612.0), "612");
    assert_eq!(per_second(12.46), "12.5");
}

#[test]
fn cpu_ticks_are_user_and_system_time_even_when_the_name_holds_spaces_and_parentheses() {
    let stat = "4242 (emporium (a b)) S 1 4242 4242 0 -1 4194560 2049 0 0 0 731 96 0 0 20 0 \
                9 0 123456 1048576000 12345 18446744073709551615";
    assert_eq!(cpu_ticks(stat), Some(731 + 96));
    assert_eq!(cpu_ticks("4242 (emporium) S 1"), None);
    assert_eq!(cpu_ticks("garbage"), None);
}

#[test]
fn resident_memory_is_read_from_the_vm_rss_line() {
    let status = "Name:\temporium\nVmPeak:\t  200000 kB\nVmRSS:\t   51234 kB\nThreads:\t9\n";
    assert_eq!(vm_rss_kib(status), Some(51_234));
    assert_eq!(vm_rss_kib("Name:\tkthreadd\n"), None);
}

#[test]
fn dates_are_civil_dates_in_utc() {
    assert_eq!(date_of(0), "1970-01-01");
    assert_eq!(date_of(19_723 * 86_400), "2024-01-01");
    assert_eq!(date_of(19_782 * 86_400 + 86_399), "2024-02-29");
    assert_eq!(date_of(1_798_675_200), "2026-12-31");
}
