//! The SLO dashboard: per journey its SLIs, the error budget left and the burn rates, then the
//! business counters, as Grafana JSON with sorted keys.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{HEADER, Journey, OBJECTIVES, Objectives, Sli, WINDOW, percent};

pub(super) fn dashboard(objectives: &Objectives) -> String {
    let mut panels = Vec::new();
    let mut y = 0;
    for journey in &objectives.journey {
        panels.extend(journey_panels(journey, y));
        y += 9;
    }
    panels.extend(business_panels(y));
    for (index, panel) in panels.iter_mut().enumerate() {
        panel["id"] = json!(index + 1);
    }
    let dashboard = json!({
        "uid": "emporium-slo",
        "title": "Emporium SLOs",
        "description": format!("Per journey of {OBJECTIVES}: the SLIs, the error budget left over 30 days and the burn rates the SLO alerts watch; then the business counters. {HEADER}."),
        "tags": ["emporium", "slo"],
        "editable": true,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "1m",
        "time": {"from": "now-7d", "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "fiscalYearStartMonth": 0,
        "liveNow": false,
        "links": [],
        "annotations": {"list": [{
            "builtIn": 1,
            "datasource": {"type": "grafana", "uid": "-- Grafana --"},
            "enable": true,
            "hide": true,
            "iconColor": "rgba(0, 211, 255, 1)",
            "name": "Annotations & Alerts",
            "type": "dashboard"
        }]},
        "templating": {"list": [{
            "name": "datasource",
            "label": "Data source",
            "type": "datasource",
            "query": "prometheus",
            "current": {},
            "hide": 0,
            "refresh": 1,
            "regex": "",
            "options": [],
            "includeAll": false,
            "multi": false
        }]},
        "panels": panels
    });
    let mut text = serde_json::to_string_pretty(&sorted(dashboard))
        .expect("a serde_json::Value always serializes");
    text.push('\n');
    text
}

/// `value` with the keys of every object in order, whether or not serde_json keeps insertion
/// order (its `preserve_order` feature, which any crate of the workspace could turn on).
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let entries: BTreeMap<String, Value> = map
                .into_iter()
                .map(|(key, value)| (key, sorted(value)))
                .collect();
            Value::Object(entries.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// A row, the SLIs, the budget left and the burn rates of one journey: nine units high.
fn journey_panels(journey: &Journey, y: u32) -> Vec<Value> {
    let ref_ids = ["A", "B", "C", "D"];
    let slis: Vec<Value> = Sli::ALL
        .iter()
        .zip(ref_ids)
        .map(|(&sli, ref_id)| {
            let legend = format!(
                "{} (objective {}%)",
                journey.good(sli),
                percent(journey.objective(sli))
            );
            let expr = format!(
                "1 - slo:sli_error:ratio_rate5m{{{}}}",
                journey.selector(sli)
            );
            target(ref_id, &expr, &legend)
        })
        .collect();
    let budgets: Vec<Value> = Sli::ALL
        .iter()
        .zip(ref_ids)
        .map(|(&sli, ref_id)| {
            let (bad, total) = journey.bad_and_total(sli, WINDOW);
            let expr = format!("1 - ({bad} / {total}) / (1 - {})", journey.objective(sli));
            let mut instant = target(ref_id, &expr, sli.name());
            instant["range"] = json!(false);
            instant["instant"] = json!(true);
            instant
        })
        .collect();
    let burns: Vec<Value> = Sli::ALL
        .iter()
        .flat_map(|&sli| ["1h", "6h"].map(|window| (sli, window)))
        .zip(ref_ids)
        .map(|((sli, window), ref_id)| {
            let selector = journey.selector(sli);
            let expr = format!(
                "slo:sli_error:ratio_rate{window}{{{selector}}} / slo:error_budget:ratio{{{selector}}}"
            );
            target(ref_id, &expr, &format!("{} over {window}", sli.name()))
        })
        .collect();
    let routes = journey.routes.join(", ");
    let mut burn = timeseries(
        &format!("{}: burn rate", journey.name),
        "How fast the error budget goes: at 1 it lasts exactly 30 days. SLOBurnRateFast pages at 14.4 over 1h (and 5m) or 6 over 6h (and 30m); SLOBurnRateSlow opens a ticket at 3 over 1d (and 2h) or 1 over 3d (and 6h).",
        "none",
        grid(16, y + 1, 8, 8),
        burns,
    );
    burn["fieldConfig"]["defaults"]["thresholds"] = thresholds(&[
        ("green", json!(null)),
        ("orange", json!(6)),
        ("red", json!(14.4)),
    ]);
    burn["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"] = json!({"mode": "line"});
    vec![
        row(&format!("Journey: {}", journey.name), y),
        timeseries(
            &format!("{}: SLIs over 5m", journey.name),
            &format!(
                "{} Routes: {routes}. The share of good requests over 5 minutes.",
                journey.description
            ),
            "percentunit",
            grid(0, y + 1, 8, 8),
            slis,
        ),
        budget_stat(journey, grid(8, y + 1, 8, 8), budgets),
        burn,
    ]
}

fn budget_stat(journey: &Journey, grid: Value, targets: Vec<Value>) -> Value {
    json!({
        "type": "stat",
        "title": format!("{}: error budget left, 30 days", journey.name),
        "description": "The share of the 30-day error budget not yet spent: 1 minus the bad requests of the last 30 days over all of them, divided by the budget. Below 0, the objective is missed.",
        "datasource": datasource(),
        "gridPos": grid,
        "targets": targets,
        "fieldConfig": {
            "defaults": {
                "unit": "percentunit",
                "thresholds": thresholds(&[("red", json!(null)), ("orange", json!(0)), ("green", json!(0.25))])
            },
            "overrides": []
        },
        "options": {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": false},
            "colorMode": "background",
            "graphMode": "none",
            "textMode": "value_and_name",
            "orientation": "auto",
            "justifyMode": "auto"
        }
    })
}

/// A row and the counters of what the shop sells and where its sagas fail.
fn business_panels(y: u32) -> Vec<Value> {
    let rate = |metric: &str| format!("sum(rate({metric}[$__rate_interval]))");
    vec![
        row("Business", y),
        timeseries(
            "Orders/s",
            "Orders placed (checkout accepted) and confirmed (the saga finished).",
            "ops",
            grid(0, y + 1, 8, 8),
            vec![
                target("A", &rate("orders_placed_total"), "placed"),
                target("B", &rate("orders_confirmed_total"), "confirmed"),
            ],
        ),
        timeseries(
            "Saga step failures/s by step",
            "Checkout saga steps that were refused (the order is compensated and fails), by step.",
            "ops",
            grid(8, y + 1, 8, 8),
            vec![target(
                "A",
                "sum by (step) (rate(saga_step_failures_total[$__rate_interval]))",
                "{{step}}",
            )],
        ),
        timeseries(
            "Stock-outs/s",
            "Reservations refused for want of stock.",
            "ops",
            grid(16, y + 1, 8, 8),
            vec![target(
                "A",
                &rate("inventory_stockouts_total"),
                "stock-outs",
            )],
        ),
        timeseries(
            "Payment declines/s",
            "Payments the provider declined.",
            "ops",
            grid(0, y + 9, 12, 8),
            vec![target("A", &rate("payments_declined_total"), "declines")],
        ),
        timeseries(
            "Revenue by currency, minor units/s",
            "Revenue of confirmed orders in each currency's minor units (cents), per second; currencies are never added together.",
            "none",
            grid(12, y + 9, 12, 8),
            vec![target(
                "A",
                "sum by (currency) (rate(orders_revenue_cents_total[$__rate_interval]))",
                "{{currency}}",
            )],
        ),
    ]
}

fn datasource() -> Value {
    json!({"type": "prometheus", "uid": "${datasource}"})
}

fn grid(x: u32, y: u32, w: u32, h: u32) -> Value {
    json!({"h": h, "w": w, "x": x, "y": y})
}

fn thresholds(steps: &[(&str, Value)]) -> Value {
    let steps: Vec<Value> = steps
        .iter()
        .map(|(color, value)| json!({"color": color, "value": value}))
        .collect();
    json!({"mode": "absolute", "steps": steps})
}

fn row(title: &str, y: u32) -> Value {
    json!({"type": "row", "title": title, "collapsed": false, "gridPos": grid(0, y, 24, 1), "panels": []})
}

fn target(ref_id: &str, expr: &str, legend: &str) -> Value {
    json!({"refId": ref_id, "datasource": datasource(), "expr": expr, "legendFormat": legend, "range": true})
}

fn timeseries(
    title: &str,
    description: &str,
    unit: &str,
    grid: Value,
    targets: Vec<Value>,
) -> Value {
    json!({
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": datasource(),
        "gridPos": grid,
        "targets": targets,
        "fieldConfig": {
            "defaults": {
                "unit": unit,
                "custom": {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never"}
            },
            "overrides": []
        },
        "options": {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": true},
            "tooltip": {"mode": "multi", "sort": "desc"}
        }
    })
}
