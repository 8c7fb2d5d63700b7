//! Tests of the charts through their public functions: what a page relies on (classes, `data-`
//! attributes, escaping, no `style`) and what a reader sees (ticks, rows, "no data").

use crate::svg::{escape_text, format_number};
use crate::{
    Axis, Bar, MapEdge, Series, line_chart, nice_ticks, service_map, sparkline, waterfall,
};

fn axis(label: &str, unit: &str) -> Axis {
    Axis {
        label: label.to_owned(),
        unit: unit.to_owned(),
    }
}

fn series(name: &str, points: &[(f64, f64)]) -> Series {
    Series {
        name: name.to_owned(),
        points: points.to_vec(),
    }
}

fn edge(from: &str, to: &str, error: bool) -> MapEdge {
    MapEdge {
        from: from.to_owned(),
        to: to.to_owned(),
        label: "12 req/s".to_owned(),
        error,
    }
}

fn bar(label: &str, depth: usize, start: f64, duration: f64) -> Bar {
    Bar {
        label: label.to_owned(),
        depth,
        start,
        duration,
        error: false,
        href: None,
    }
}

/// One of each chart, with text that needs escaping and inputs empty and not.
fn every_kind_of_output() -> Vec<String> {
    let lines = [series("p99 <all>", &[(0.0, 1.0), (1.0, 3.5)])];
    let nodes = ["gateway".to_owned(), "orders".to_owned()];
    vec![
        line_chart(
            "a & b",
            &axis("time", "s"),
            &axis("latency", "ms"),
            &lines,
            600,
            300,
        ),
        line_chart(
            "empty",
            &axis("time", "s"),
            &axis("latency", "ms"),
            &[],
            600,
            300,
        ),
        sparkline(&[1.0, 5.0, 2.0], 80, 20),
        sparkline(&[], 80, 20),
        service_map(&nodes, &[edge("gateway", "orders", true)], 600, 400),
        service_map(&[], &[], 600, 400),
        waterfall(
            &[bar("GET /", 0, 0.0, 12.3), bar("\"db\"", 1, 2.0, 5.0)],
            800,
        ),
        waterfall(&[], 800),
    ]
}

#[test]
fn text_is_escaped_in_elements_and_attributes() {
    assert_eq!(
        escape_text("<a href=\"x\">Tom & Jerry's</a>"),
        "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
    );
    let chart = line_chart(
        "<script>alert('x')</script>",
        &axis("a&b", "\"ms\""),
        &axis("y", ""),
        &[series("it's <mine>", &[(0.0, 1.0), (2.0, 2.0)])],
        400,
        200,
    );
    assert!(!chart.contains("<script>"), "{chart}");
    assert!(chart.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(chart.contains("a&amp;b (&quot;ms&quot;)"));
    assert!(chart.contains("it&#39;s &lt;mine&gt;"));
}

#[test]
fn numbers_print_with_at_most_one_decimal() {
    assert_eq!(format_number(12.0), "12");
    assert_eq!(format_number(12.34), "12.3");
    assert_eq!(format_number(0.96), "1");
    assert_eq!(format_number(-0.04), "0");
    assert_eq!(format_number(f64::NAN), "0");
    assert_eq!(format_number(-2.5), "-2.5");
}

#[test]
fn ticks_are_four_to_six_nice_steps_covering_the_range() {
    assert_eq!(nice_ticks(0.0, 100.0), [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
    assert_eq!(nice_ticks(0.0, 7.3), [0.0, 2.0, 4.0, 6.0, 8.0]);
    let labels: Vec<String> = nice_ticks(0.0, 1.0)
        .into_iter()
        .map(format_number)
        .collect();
    assert_eq!(labels, ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
    for (minimum, maximum) in [(0.0, 3.0), (13.0, 987.0), (-40.0, 15.0), (0.0, 123_456.0)] {
        let ticks = nice_ticks(minimum, maximum);
        assert!(
            (4..=6).contains(&ticks.len()),
            "{minimum}..{maximum}: {ticks:?}"
        );
        assert!(
            ticks[0] <= minimum && *ticks.last().unwrap() >= maximum,
            "{ticks:?}"
        );
        let step = ticks[1] - ticks[0];
        let mantissa = step / 10f64.powf(step.log10().floor());
        assert!(
            [1.0, 2.0, 5.0]
                .iter()
                .any(|nice| (mantissa - nice).abs() < 1e-6),
            "{step} is not 1, 2 or 5 times a power of ten"
        );
    }
    // An empty range widens; a step that covers a range in three ticks gets a fourth above.
    assert_eq!(nice_ticks(5.0, 5.0), [4.5, 5.0, 5.5, 6.0]);
    let labels: Vec<String> = nice_ticks(0.0, 0.0)
        .into_iter()
        .map(format_number)
        .collect();
    assert_eq!(labels, ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
}

#[test]
fn no_chart_writes_a_style_attribute_or_element() {
    for output in every_kind_of_output() {
        assert!(!output.contains("style="), "{output}");
        assert!(!output.contains("<style"), "{output}");
        assert!(output.starts_with("<svg"), "{output}");
        assert!(output.ends_with("</svg>"), "{output}");
    }
}

#[test]
fn charts_are_the_same_string_for_the_same_input() {
    assert_eq!(every_kind_of_output(), every_kind_of_output());
}

#[test]
fn a_line_chart_has_a_title_a_legend_and_a_coloured_line_per_series() {
    let chart = line_chart(
        "latency",
        &axis("time", "s"),
        &axis("latency", "ms"),
        &[
            series("p50", &[(0.0, 1.0), (10.0, 2.0)]),
            series("p99", &[(0.0, 5.0), (10.0, 40.0)]),
        ],
        600,
        300,
    );
    assert!(chart.contains("<title>latency</title>"), "{chart}");
    assert!(chart.contains("class=\"series series-0\""), "{chart}");
    assert!(chart.contains("class=\"series series-1\""), "{chart}");
    assert_eq!(chart.matches("<polyline").count(), 2, "{chart}");
    assert_eq!(chart.matches("class=\"legend-item\"").count(), 2, "{chart}");
    assert!(chart.contains("latency (ms)") && chart.contains("time (s)"));
    assert!(!chart.contains("no data"));
}

#[test]
fn a_line_chart_without_points_says_no_data() {
    let empty_series = [series("p99", &[])];
    for input in [&[][..], &empty_series[..]] {
        let chart = line_chart(
            "latency",
            &axis("t", "s"),
            &axis("l", "ms"),
            input,
            300,
            200,
        );
        assert!(chart.contains("no data"), "{chart}");
        assert!(!chart.contains("<polyline"), "{chart}");
    }
}

#[test]
fn a_sparkline_handles_no_values_and_all_zeros() {
    let empty = sparkline(&[], 60, 16);
    assert!(empty.contains("class=\"sparkline\"") && !empty.contains("<polyline"));
    let zeros = sparkline(&[0.0, 0.0, 0.0], 60, 16);
    assert!(zeros.contains("points=\"1,15 30,15 59,15\""), "{zeros}");
    let one = sparkline(&[3.0], 60, 16);
    assert!(one.contains("points=\"1,1 59,1\""), "{one}");
    assert!(!sparkline(&[1.0, f64::NAN, 2.0], 60, 16).contains("NaN"));
}

#[test]
fn a_service_map_names_nodes_and_edges_and_adds_nodes_only_edges_name() {
    let nodes = ["gateway".to_owned(), "catalog".to_owned()];
    let map = service_map(
        &nodes,
        &[
            edge("gateway", "catalog", false),
            edge("gateway", "orders", true),
        ],
        640,
        400,
    );
    assert!(
        map.starts_with("<svg") && map.contains("id=\"service-map\""),
        "{map}"
    );
    assert!(
        map.contains("<g class=\"edge\" data-edge=\"gateway→catalog\">"),
        "{map}"
    );
    assert!(
        map.contains("<g class=\"edge error\" data-edge=\"gateway→orders\">"),
        "{map}"
    );
    for name in ["gateway", "catalog", "orders"] {
        assert!(
            map.contains(&format!(
                "<g class=\"node\" data-node=\"{name}\" data-column="
            )),
            "{map}"
        );
    }
    assert_eq!(map.matches("class=\"node\"").count(), 3);
    assert_eq!(map.matches("marker-end=").count(), 2);
    assert_eq!(map.matches("id=\"service-map-arrow").count(), 2);
    assert!(map.contains(">12 req/s</text>"), "{map}");
    // The caller stands in the first column, the services it calls in the next.
    assert_eq!(column_of(&map, "gateway"), 0);
    assert_eq!(column_of(&map, "catalog"), 1);
    assert_eq!(column_of(&map, "orders"), 1);
}

#[test]
fn a_service_map_escapes_names_in_its_data_attributes() {
    let map = service_map(&[], &[edge("a\"b", "<c>", false)], 400, 300);
    assert!(map.contains("data-edge=\"a&quot;b→&lt;c&gt;\""), "{map}");
    assert!(map.contains("data-node=\"&lt;c&gt;\""), "{map}");
}

/// The calls between the shop's services as its operations page maps them: the shoppers call
/// the gateway, which calls most services; orders calls five; notifications, which nobody calls
/// (it consumes events), calls identity. One call fails.
fn shop_calls() -> (Vec<String>, Vec<MapEdge>) {
    let nodes = [
        "shoppers",
        "cart",
        "catalog",
        "gateway",
        "identity",
        "inventory",
        "notifications",
        "orders",
        "payments",
        "recommendations",
        "shipping",
    ];
    let calls = [
        ("shoppers", "gateway"),
        ("cart", "catalog"),
        ("gateway", "cart"),
        ("gateway", "catalog"),
        ("gateway", "identity"),
        ("gateway", "inventory"),
        ("gateway", "orders"),
        ("gateway", "recommendations"),
        ("notifications", "identity"),
        ("orders", "cart"),
        ("orders", "catalog"),
        ("orders", "inventory"),
        ("orders", "payments"),
        ("orders", "shipping"),
        ("recommendations", "catalog"),
    ];
    let edges = calls
        .iter()
        .enumerate()
        .map(|(index, &(from, to))| MapEdge {
            from: from.to_owned(),
            to: to.to_owned(),
            label: format!("0.{index}/s · 0.0% err · p50 2.97 ms · p99 46 ms"),
            error: index == 12,
        })
        .collect();
    (nodes.map(str::to_owned).to_vec(), edges)
}

/// The group of the service `name` on `map`, from its `data-node` to its end.
fn node_group<'a>(map: &'a str, name: &str) -> &'a str {
    let start = map
        .find(&format!("data-node=\"{name}\""))
        .unwrap_or_else(|| panic!("no {name} in {map}"));
    let rest = &map[start..];
    &rest[..rest.find("</g>").unwrap()]
}

/// The group of the call `from` → `to` on `map`, from its `data-edge` to its end.
fn edge_group<'a>(map: &'a str, from: &str, to: &str) -> &'a str {
    let start = map
        .find(&format!("data-edge=\"{from}→{to}\""))
        .unwrap_or_else(|| panic!("no {from}→{to} in {map}"));
    let rest = &map[start..];
    &rest[..rest.find("</g>").unwrap()]
}

/// The value of the first attribute `name` in `fragment`.
fn attribute<'a>(fragment: &'a str, name: &str) -> &'a str {
    let key = format!(" {name}=\"");
    let start = fragment
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {fragment}"))
        + key.len();
    let rest = &fragment[start..];
    &rest[..rest.find('"').unwrap()]
}

/// The column the service `name` stands in on `map`, from its `data-column`.
fn column_of(map: &str, name: &str) -> usize {
    attribute(node_group(map, name), "data-column")
        .parse()
        .unwrap()
}

/// The middle of the box of the service `name` on `map`: where its name is written.
fn middle_of(map: &str, name: &str) -> (f64, f64) {
    let group = node_group(map, name);
    let text = &group[group.find("<text").unwrap()..];
    let number = |key: &str| -> f64 { attribute(text, key).parse().unwrap() };
    (number("x"), number("y"))
}

/// The text of `fragment` without its tags.
fn text_of(fragment: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for character in fragment.chars() {
        match character {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(character),
            _ => {}
        }
    }
    text
}

#[test]
fn a_chain_of_calls_runs_left_to_right_in_a_straight_line() {
    // Given in the reverse order, so that the columns cannot come from the order of the nodes.
    let nodes = ["c", "b", "a"].map(str::to_owned);
    let calls = [edge("a", "b", false), edge("b", "c", false)];
    let map = service_map(&nodes, &calls, 600, 300);
    let columns = ["a", "b", "c"].map(|name| column_of(&map, name));
    assert_eq!(columns, [0, 1, 2], "{map}");
    let (a, b, c) = (
        middle_of(&map, "a"),
        middle_of(&map, "b"),
        middle_of(&map, "c"),
    );
    assert!(a.0 < b.0 && b.0 < c.0, "{map}");
    assert!(a.1 == b.1 && b.1 == c.1, "{map}");
}

#[test]
fn a_service_stands_right_of_every_service_that_calls_it() {
    let (nodes, edges) = shop_calls();
    let map = service_map(&nodes, &edges, 900, 520);
    assert_eq!(column_of(&map, "shoppers"), 0);
    assert_eq!(column_of(&map, "gateway"), 1);
    for call in &edges {
        let (from, to) = (call.from.as_str(), call.to.as_str());
        assert!(column_of(&map, from) < column_of(&map, to), "{from}→{to}");
        assert!(
            middle_of(&map, from).0 < middle_of(&map, to).0,
            "{from}→{to}"
        );
    }
    // The longest chain to catalog runs shoppers, gateway, orders, cart, catalog.
    assert_eq!(column_of(&map, "orders"), 2);
    assert_eq!(column_of(&map, "cart"), 3);
    assert_eq!(column_of(&map, "catalog"), 4);
    // Nobody calls notifications: it stands just left of identity, the service it calls.
    assert_eq!(
        column_of(&map, "notifications") + 1,
        column_of(&map, "identity")
    );
}

#[test]
fn a_service_map_draws_every_call_without_style_and_the_same_each_time() {
    let (nodes, edges) = shop_calls();
    let map = service_map(&nodes, &edges, 900, 520);
    assert_eq!(map, service_map(&nodes, &edges, 900, 520));
    assert!(!map.contains("style=") && !map.contains("<style"), "{map}");
    for call in &edges {
        let data = format!("data-edge=\"{}→{}\"", call.from, call.to);
        assert!(map.contains(&data), "{data} missing from {map}");
    }
    assert_eq!(map.matches(" data-edge=").count(), edges.len());
    assert_eq!(map.matches("marker-end=").count(), edges.len());
    assert_eq!(map.matches("<g class=\"edge error\"").count(), 1);
    assert!(edge_group(&map, "orders", "payments").starts_with("data-edge"));
    assert_eq!(map.matches("<g class=\"node\"").count(), nodes.len());
}

#[test]
fn a_long_label_is_drawn_whole_on_two_lines_over_a_light_background() {
    let (nodes, edges) = shop_calls();
    let map = service_map(&nodes, &edges, 900, 520);
    let group = edge_group(&map, "shoppers", "gateway");
    let text = &group[group.find("<text").unwrap()..];
    assert_eq!(text.matches("<tspan").count(), 2, "{group}");
    assert_eq!(text_of(text), edges[0].label, "{group}");
    assert!(group.contains("fill=\"#fff\" opacity="), "{group}");
    assert!(group.contains("font-size=\"10\""), "{group}");
    // A short label stays on one line.
    let short = service_map(&[], &[edge("a", "b", false)], 400, 300);
    assert!(
        short.contains(">12 req/s</text>") && !short.contains("<tspan"),
        "{short}"
    );
}

#[test]
fn a_service_map_grows_when_its_columns_need_more_room() {
    let (nodes, edges) = shop_calls();
    let map = service_map(&nodes, &edges, 300, 200);
    let width: u32 = attribute(&map, "width").parse().unwrap();
    let height: u32 = attribute(&map, "height").parse().unwrap();
    assert!(width > 300 && height > 200, "{width} by {height}");
    assert!(map.contains(&format!("viewBox=\"0 0 {width} {height}\"")));
    for name in &nodes {
        let (x, y) = middle_of(&map, name);
        assert!(x > 0.0 && x < f64::from(width), "{name} at {x}");
        assert!(y > 0.0 && y < f64::from(height), "{name} at {y}");
    }
}

#[test]
fn a_cycle_of_calls_is_drawn_and_does_not_hang() {
    let calls = [
        edge("a", "b", false),
        edge("b", "c", false),
        edge("c", "a", true),
        edge("b", "a", false),
        edge("c", "c", false),
    ];
    let map = service_map(&[], &calls, 600, 400);
    for call in &calls {
        edge_group(&map, &call.from, &call.to);
    }
    assert_eq!(map.matches("marker-end=").count(), calls.len());
    // Nobody is uncalled, so the search starts at a: c→a and b→a close the cycles.
    let columns = ["a", "b", "c"].map(|name| column_of(&map, name));
    assert_eq!(columns, [0, 1, 2], "{map}");
    assert!(!map.contains("NaN") && !map.contains("inf"), "{map}");
}

#[test]
fn a_column_is_ordered_to_avoid_crossings() {
    // In the order given, a→y and b→x would cross; the barycentre heuristic puts y above x.
    let nodes = ["a", "b", "x", "y"].map(str::to_owned);
    let map = service_map(
        &nodes,
        &[edge("a", "y", false), edge("b", "x", false)],
        600,
        400,
    );
    assert!(middle_of(&map, "a").1 < middle_of(&map, "b").1, "{map}");
    assert!(middle_of(&map, "y").1 < middle_of(&map, "x").1, "{map}");
}

#[test]
fn services_without_calls_stand_in_a_row_below_the_others() {
    let nodes = ["idle", "gateway", "orders", "lonely"].map(str::to_owned);
    let map = service_map(&nodes, &[edge("gateway", "orders", false)], 600, 400);
    let (idle, lonely) = (middle_of(&map, "idle"), middle_of(&map, "lonely"));
    assert_eq!(idle.1, lonely.1, "{map}");
    assert!(idle.0 < lonely.0, "{map}");
    for name in ["gateway", "orders"] {
        assert!(middle_of(&map, name).1 < idle.1, "{map}");
    }
    for name in ["idle", "lonely"] {
        assert!(!node_group(&map, name).contains("data-column"), "{map}");
    }
    let quiet = service_map(&nodes, &[], 600, 400);
    assert_eq!(quiet.matches("<g class=\"node\"").count(), 4, "{quiet}");
    assert!(!quiet.contains("data-column") && !quiet.contains("data-edge"));
}

#[test]
fn a_waterfall_has_a_row_per_bar_under_a_title_with_the_total() {
    let mut failed = bar("charge the card", 2, 30.0, 70.0);
    failed.error = true;
    failed.href = Some("/traces/1?span=a&b".to_owned());
    let bars = [
        bar("POST /api/v1/checkout", 0, 0.0, 100.0),
        bar("orders.PlaceOrder", 1, 5.0, 90.0),
        failed,
    ];
    let chart = waterfall(&bars, 900);
    assert_eq!(chart.matches("<g class=\"span\"").count(), 3, "{chart}");
    assert!(
        chart.contains("height=\"88\""),
        "three rows and the title: {chart}"
    );
    assert!(chart.contains("total 100 ms, 3 spans"), "{chart}");
    assert!(chart.contains("data-label=\"orders.PlaceOrder\""));
    assert!(chart.contains("class=\"bar error\"") && chart.contains(">70 ms</text>"));
    assert!(
        chart.contains("<a href=\"/traces/1?span=a&amp;b\">"),
        "{chart}"
    );
    assert_eq!(chart.matches("<a href").count(), 1);
}

#[test]
fn an_empty_waterfall_says_so_in_its_title_row() {
    let chart = waterfall(&[], 600);
    assert!(chart.contains("no spans"), "{chart}");
    assert_eq!(chart.matches("class=\"span\"").count(), 0);
}
