//! The overview page of the operations view: the service map, RED per service and per route
//! with small charts, latency over time, traces, backlogs and dead letters, fault switches and
//! the search model.

use std::collections::BTreeMap;
use std::time::Duration;

use charts::{Axis, MapEdge, Series as Line};
use maud::{Markup, PreEscaped, html};
use platform::faults::Fault;
use platform::telemetry::red::{self, Kind, SLOT_SECONDS, Totals};

use super::auth::Operator;
use super::gather::Gathered;

/// The window of the map and the tables: the last five minutes.
const WINDOW_SECONDS: u64 = 300;
/// The most routes the route table shows, the busiest first.
const MOST_ROUTES: usize = 25;

/// What the page shows.
pub(crate) struct View<'a> {
    pub operator: &'a Operator,
    pub gathered: &'a Gathered,
    pub traces: &'a super::gather::Traces,
    pub faults: Option<&'a Result<BTreeMap<String, Fault>, platform::error::Problem>>,
    pub search: Result<&'a proto::catalog::SearchStatus, &'a tonic::Status>,
    pub functions: Result<&'a Vec<proto::functions::Function>, &'a tonic::Status>,
    /// The events each event-triggered function left dead.
    pub dead: &'a BTreeMap<String, Vec<proto::functions::DeadDelivery>>,
    pub webhooks: Result<&'a Vec<super::webhooks::Endpoint>, &'a tonic::Status>,
    pub models: Result<&'a Vec<proto::inference::Model>, &'a tonic::Status>,
    pub now_unix: u64,
}

pub(crate) fn render(view: &View) -> Markup {
    let since = view.now_unix.saturating_sub(WINDOW_SECONDS);
    let gathered = view.gathered;
    html! {
        p.ops-summary {
            (gathered.processes) " process" @if gathered.processes != 1 { "es" } " answered, running "
            (gathered.services.join(", ")) ". Figures over the last five minutes; charts over the last fifteen."
        }
        @for unreachable in &gathered.unreachable { p.notice role="alert" { "A process did not answer: " (unreachable) } }
        form.inline method="post" action="/ops/logout" { button.link type="submit" { "Sign out" } }
        section aria-labelledby="map-title" {
            h2 #map-title { "Service map" }
            (PreEscaped(service_map(gathered, since)))
        }
        section aria-labelledby="red-title" {
            h2 #red-title { "Services" }
            (red_table(&per_service(&gathered.series), since))
        }
        section aria-labelledby="latency-title" {
            h2 #latency-title { "HTTP latency over time" }
            (PreEscaped(latency_chart(&gathered.series, view.now_unix)))
        }
        section aria-labelledby="routes-title" {
            h2 #routes-title { "Routes and methods" }
            (red_table(&busiest(&gathered.series, since), since))
        }
        (super::trace::lists(view.traces))
        (backlogs(view.operator, gathered))
        (faults(view.operator, view.faults))
        (models(view))
        (super::webhooks::section(view.operator, view.webhooks))
    }
}

/// The map: every service, the shoppers, and an edge for each pair that called in the window.
fn service_map(gathered: &Gathered, since: u64) -> String {
    let mut nodes = vec!["shoppers".to_owned()];
    nodes.extend(gathered.services.iter().cloned());
    let mut edges: Vec<MapEdge> = Vec::new();
    let routes: Vec<&red::Series> = of_kind(&gathered.series, Kind::Route).collect();
    let served = sum(routes.iter().map(|series| series.totals(since)));
    if served.count > 0 {
        edges.push(edge("shoppers", "gateway", &served));
    }
    for series in of_kind(&gathered.series, Kind::Edge) {
        let Some((from, to)) = series.name.split_once('→') else {
            continue;
        };
        let totals = series.totals(since);
        if totals.count > 0 {
            edges.push(edge(from, to, &totals));
        }
    }
    charts::service_map(&nodes, &edges, 900, 520)
}

fn edge(from: &str, to: &str, totals: &Totals) -> MapEdge {
    MapEdge {
        from: from.to_owned(),
        to: to.to_owned(),
        label: format!(
            "{}/s · {} err · p50 {} · p99 {}",
            rate(totals.count),
            percent(totals),
            ms(totals.quantile(0.5)),
            ms(totals.quantile(0.99))
        ),
        error: totals.errors > 0,
    }
}

/// One row per service: the gateway's routes together, each service's methods together, each
/// consumer.
fn per_service(series: &[red::Series]) -> Vec<red::Series> {
    let mut by_service: BTreeMap<String, red::Series> = BTreeMap::new();
    for one in series {
        let service = match one.kind {
            Kind::Route => "gateway (HTTP)".to_owned(),
            Kind::Rpc => one.name.split('/').next().unwrap_or_default().to_owned(),
            Kind::Consumer => format!("{} (events)", one.name),
            Kind::Edge => continue,
        };
        let row = by_service
            .entry(service.clone())
            .or_insert_with(|| red::Series {
                kind: one.kind,
                name: service,
                slots: Vec::new(),
            });
        add_slots(row, one);
    }
    by_service.into_values().collect()
}

/// The busiest routes and methods in the window.
fn busiest(series: &[red::Series], since: u64) -> Vec<red::Series> {
    let mut served: Vec<(u64, &red::Series)> = series
        .iter()
        .filter(|one| matches!(one.kind, Kind::Route | Kind::Rpc))
        .map(|one| (one.totals(since).count, one))
        .filter(|(count, _)| *count > 0)
        .collect();
    served.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
    served
        .into_iter()
        .take(MOST_ROUTES)
        .map(|(_, one)| one.clone())
        .collect()
}

fn red_table(rows: &[red::Series], since: u64) -> Markup {
    html! {
        @if rows.is_empty() { p { "No requests yet." } } @else {
            table.red {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Requests/s" } th scope="col" { "Errors" }
                    th scope="col" { "p50" } th scope="col" { "p99" } th scope="col" { "Rate, 15 min" } th scope="col" { "p99, 15 min" } } }
                tbody {
                    @for row in rows {
                        @let totals = row.totals(since);
                        tr data-series=(row.name) {
                            th scope="row" { (row.name) }
                            td { (rate(totals.count)) }
                            td { (percent(&totals)) }
                            td { (ms(totals.quantile(0.5))) }
                            td { (linked(&totals, 0.99)) }
                            td { (PreEscaped(charts::sparkline(&per_slot(row, |slot| slot.count as f64 / SLOT_SECONDS as f64), 120, 24))) }
                            td { (PreEscaped(charts::sparkline(&per_slot(row, |slot| slot_quantile(slot, 0.99)), 120, 24))) }
                        }
                    }
                }
            }
        }
    }
}

/// The latency, linked to the trace of a request in its bucket (the exemplar) when known.
fn linked(totals: &Totals, quantile: f64) -> Markup {
    let text = ms(totals.quantile(quantile));
    html! {
        @match totals.exemplar(quantile) {
            Some(trace_id) => a href={ "/ops/traces/" (trace_id) } title="a request in this bucket" { (text) },
            None => (text),
        }
    }
}

fn latency_chart(series: &[red::Series], now_unix: u64) -> String {
    let mut all = red::Series {
        kind: Kind::Route,
        name: "HTTP".to_owned(),
        slots: Vec::new(),
    };
    for one in of_kind(series, Kind::Route) {
        add_slots(&mut all, one);
    }
    let minutes_ago = |slot: &red::Slot| (slot.start_unix as f64 - now_unix as f64) / 60.0;
    let line = |name: &str, quantile: f64| Line {
        name: name.to_owned(),
        points: all
            .slots
            .iter()
            .filter(|slot| slot.count > 0)
            .map(|slot| (minutes_ago(slot), slot_quantile(slot, quantile)))
            .collect(),
    };
    let x = Axis {
        label: "time".to_owned(),
        unit: "min".to_owned(),
    };
    let y = Axis {
        label: "latency".to_owned(),
        unit: "ms".to_owned(),
    };
    let lines = [line("p50", 0.5), line("p99", 0.99)];
    charts::line_chart("HTTP latency, all routes", &x, &y, &lines, 900, 260)
}

fn backlogs(operator: &Operator, gathered: &Gathered) -> Markup {
    html! {
        section aria-labelledby="backlogs-title" {
            h2 #backlogs-title { "Backlogs" }
            table.backlogs {
                thead { tr { th scope="col" { "Kind" } th scope="col" { "Name" } th scope="col" { "Waiting" } th scope="col" { "Oldest" } } }
                tbody { @for backlog in &gathered.backlogs {
                    tr { td { (backlog.kind) } th scope="row" { (backlog.name) } td { (backlog.pending) }
                        td { @if backlog.oldest_age_ms > 0 { (ms(Duration::from_millis(backlog.oldest_age_ms))) } @else { "–" } } }
                } }
            }
        }
        section #dead-letters aria-labelledby="dead-letters-title" {
            h2 #dead-letters-title { "Dead letters" }
            @if gathered.dead_letters.is_empty() { p { "None: every event was handled." } }
            @for letter in &gathered.dead_letters {
                form.dead-letter method="post" action="/ops/dead-letters/replay" {
                    input type="hidden" name="csrf" value=(operator.csrf());
                    input type="hidden" name="consumer" value=(letter.consumer);
                    input type="hidden" name="event_id" value=(letter.event_id);
                    span { (letter.consumer) " could not handle " (letter.subject) " " code { (letter.event_id) } " in " (letter.deliveries) " deliveries. " }
                    button type="submit" { "Replay" }
                }
            }
        }
    }
}

fn faults(
    operator: &Operator,
    faults: Option<&Result<BTreeMap<String, Fault>, platform::error::Problem>>,
) -> Markup {
    html! {
        section #faults aria-labelledby="faults-title" {
            h2 #faults-title { "Fault switches" }
            @match faults {
                None => p { "Switching faults needs the scope admin.faults, which this token lacks." },
                Some(Err(problem)) => p.notice { "The switches could not be read: " (problem.title) },
                Some(Ok(on)) => {
                    ul { @for (name, fault) in on { li { code { (name) } ": " (describe(fault)) } } }
                    @if on.is_empty() { p { "Every fault is off." } }
                    form.fault method="post" action="/ops/faults" {
                        input type="hidden" name="csrf" value=(operator.csrf());
                        label for="fault-name" { "Fault" }
                        select #fault-name name="name" { @for name in platform::faults::KNOWN { option value=(name) { (name) } } }
                        label for="fault-kind" { "Switch" }
                        select #fault-kind name="kind" { option value="fail" { "fail" } option value="delay" { "delay" } option value="off" { "off" } }
                        label for="fault-delay" { "Delay (ms)" }
                        input #fault-delay name="delay_ms" type="number" min="1" max="60000" value="500";
                        button type="submit" { "Apply" }
                    }
                }
            }
        }
    }
}

fn describe(fault: &Fault) -> String {
    match fault {
        Fault::Fail => "fails".to_owned(),
        Fault::Delay { ms } => format!("waits {ms} ms first"),
        Fault::CrashAfterStep { step } => format!("crashes after saga step {step}"),
    }
}

fn models(view: &View) -> Markup {
    html! {
        section aria-labelledby="models-title" {
            h2 #models-title { "Models and functions" }
            @match view.search {
                Ok(status) => p #search-model {
                    "Search answers with the model " code { (status.serving_model) } " in the " (status.index) " index ("
                    (status.indexed) " vectors); the configured model " code { (status.target_model) } " has embedded "
                    (status.embedded) " of " (status.products) " products."
                },
                Err(status) => p.notice { "The search status could not be read: " (status.message()) },
            }
            (super::models::table(view.models))
            (super::functions::table(view.operator, view.functions, view.dead))
        }
    }
}

fn of_kind(series: &[red::Series], kind: Kind) -> impl Iterator<Item = &red::Series> {
    series.iter().filter(move |one| one.kind == kind)
}

fn add_slots(into: &mut red::Series, from: &red::Series) {
    for slot in &from.slots {
        match into
            .slots
            .iter_mut()
            .find(|kept| kept.start_unix == slot.start_unix)
        {
            Some(kept) => super::gather::add_slot(kept, slot),
            None => into.slots.push(slot.clone()),
        }
    }
    into.slots.sort_by_key(|slot| slot.start_unix);
}

fn sum(all: impl Iterator<Item = Totals>) -> Totals {
    all.fold(Totals::default(), |mut total, one| {
        total.count += one.count;
        total.errors += one.errors;
        for (sum, count) in total.buckets.iter_mut().zip(one.buckets) {
            *sum += count;
        }
        total
    })
}

fn per_slot(series: &red::Series, value: impl Fn(&red::Slot) -> f64) -> Vec<f64> {
    series.slots.iter().map(value).collect()
}

fn slot_quantile(slot: &red::Slot, quantile: f64) -> f64 {
    red::quantile_of(&slot.buckets, slot.count, quantile).as_secs_f64() * 1000.0
}

fn rate(count: u64) -> String {
    format!("{:.1}", count as f64 / WINDOW_SECONDS as f64)
}

fn percent(totals: &Totals) -> String {
    match totals.count {
        0 => "–".to_owned(),
        count => format!("{:.1}%", totals.errors as f64 * 100.0 / count as f64),
    }
}

fn ms(duration: Duration) -> String {
    let millis = duration.as_secs_f64() * 1000.0;
    match millis {
        0.0 => "–".to_owned(),
        below if below < 10.0 => format!("{below:.2} ms"),
        _ => format!("{millis:.0} ms"),
    }
}
