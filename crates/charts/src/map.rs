//! The service map: services as boxes on a ring, the calls between them as arrows with a label
//! at their middle. Each box and arrow carries its name in a `data-` attribute, so that a page
//! can find one (to highlight it, or to update its label) without parsing the drawing.

use std::f64::consts::PI;

use crate::MapEdge;
use crate::svg::{escape_text, format_number, open_svg, text_width};

/// How tall a service's box is.
const NODE_HEIGHT: f64 = 26.0;
/// Room left and right of a service's name inside its box.
const NODE_PADDING: f64 = 16.0;
/// How far an arrow runs beside the straight line between its services, so that the calls
/// both ways between two services (A→B and B→A) are two arrows, not one on top of the other.
const EDGE_OFFSET: f64 = 5.0;
/// The arrowheads, one grey and one red for failing calls.
const MARKERS: &str = "<defs><marker id=\"service-map-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" \
    refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 \
    z\" fill=\"#555555\"/></marker><marker id=\"service-map-arrow-error\" viewBox=\"0 0 10 10\" \
    refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path \
    d=\"M0,0 L10,5 L0,10 z\" fill=\"#c62828\"/></marker></defs>";

/// A map `width` by `height` pixels (`<svg id="service-map">`) of `nodes` and the calls
/// `edges` between them. The services stand on a ring (stretched to the map's shape), the first
/// (conventionally the gateway) at the left and the others clockwise in order; a service an edge
/// names that `nodes` lacks is added after them. Each service is a `<g class="node"
/// data-node="NAME">`, each call a `<g class="edge" data-edge="FROM→TO">` (`edge error` when it
/// fails) with an arrow and its label.
pub fn service_map(nodes: &[String], edges: &[MapEdge], width: u32, height: u32) -> String {
    let (width, height) = (width.max(200), height.max(150));
    let names = every_node(nodes, edges);
    let mut svg = open_svg(
        width,
        height,
        "id=\"service-map\" class=\"chart service-map\"",
        "service map",
    );
    if names.is_empty() {
        svg.push_str(&format!(
            "<text class=\"no-data\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" \
             fill=\"#666666\">no services</text></svg>",
            format_number(f64::from(width) / 2.0),
            format_number(f64::from(height) / 2.0)
        ));
        return svg;
    }
    let places = place_nodes(&names, f64::from(width), f64::from(height));
    svg.push_str(MARKERS);
    // Arrows first, so that the boxes are drawn over their ends.
    svg.push_str("<g class=\"edges\">");
    for edge in edges {
        svg.push_str(&draw_edge(edge, &places));
    }
    svg.push_str("</g><g class=\"nodes\">");
    for node in &places {
        svg.push_str(&draw_node(node));
    }
    svg.push_str("</g></svg>");
    svg
}

/// A service on the map: its name, the middle of its box and half the box's width.
struct PlacedNode<'a> {
    name: &'a str,
    x: f64,
    y: f64,
    half_width: f64,
}

/// `nodes` without repeats, then every service an edge names that they lack, in order.
fn every_node<'a>(nodes: &'a [String], edges: &'a [MapEdge]) -> Vec<&'a str> {
    let mut names: Vec<&str> = Vec::new();
    let named_by_edges = edges
        .iter()
        .flat_map(|edge| [edge.from.as_str(), edge.to.as_str()]);
    for name in nodes.iter().map(String::as_str).chain(named_by_edges) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Each service's place on a ring around the middle, the first at the left, clockwise.
fn place_nodes<'a>(names: &[&'a str], width: f64, height: f64) -> Vec<PlacedNode<'a>> {
    let half_widths: Vec<f64> = names
        .iter()
        .map(|name| (text_width(name) + NODE_PADDING) / 2.0)
        .collect();
    let widest = half_widths.iter().copied().fold(0.0, f64::max);
    let (middle_x, middle_y) = (width / 2.0, height / 2.0);
    let radius_x = (middle_x - widest - 8.0).max(20.0);
    let radius_y = (middle_y - NODE_HEIGHT / 2.0 - 24.0).max(20.0);
    let count = names.len();
    names
        .iter()
        .copied()
        .zip(half_widths)
        .enumerate()
        .map(|(index, (name, half_width))| {
            if count == 1 {
                return PlacedNode {
                    name,
                    x: middle_x,
                    y: middle_y,
                    half_width,
                };
            }
            // From the left (half a turn), clockwise on the screen, where y grows downwards.
            let angle = PI + 2.0 * PI * index as f64 / count as f64;
            PlacedNode {
                name,
                x: middle_x + radius_x * angle.cos(),
                y: middle_y + radius_y * angle.sin(),
                half_width,
            }
        })
        .collect()
}

/// A service's box and name.
fn draw_node(node: &PlacedNode) -> String {
    let name = escape_text(node.name);
    format!(
        "<g class=\"node\" data-node=\"{name}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" \
         height=\"{}\" rx=\"6\" fill=\"#ffffff\" stroke=\"#333333\" stroke-width=\"1.5\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" dominant-baseline=\"middle\">{name}\
         </text></g>",
        format_number(node.x - node.half_width),
        format_number(node.y - NODE_HEIGHT / 2.0),
        format_number(node.half_width * 2.0),
        format_number(NODE_HEIGHT),
        format_number(node.x),
        format_number(node.y),
    )
}

/// A call's arrow and label; a call of a service to itself is a loop over its box.
fn draw_edge(edge: &MapEdge, places: &[PlacedNode]) -> String {
    let find = |name: &str| places.iter().find(|node| node.name == name);
    let (Some(from), Some(to)) = (find(edge.from.as_str()), find(edge.to.as_str())) else {
        return String::new();
    };
    let (path, label_x, label_y) = arrow_between(from, to).unwrap_or_else(|| loop_over(from));
    let (class, colour, marker) = match edge.error {
        true => ("edge error", "#c62828", "service-map-arrow-error"),
        false => ("edge", "#555555", "service-map-arrow"),
    };
    format!(
        "<g class=\"{class}\" data-edge=\"{}→{}\"><path d=\"{path}\" fill=\"none\" \
         stroke=\"{colour}\" stroke-width=\"1.5\" marker-end=\"url(#{marker})\"/><text \
         x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{colour}\">{}</text>\
         </g>",
        escape_text(&edge.from),
        escape_text(&edge.to),
        format_number(label_x),
        format_number(label_y),
        escape_text(&edge.label),
    )
}

/// The path of an arrow from box to box, beside the line between their middles, and where its
/// label goes; `None` when the boxes share a middle (a service calling itself).
fn arrow_between(from: &PlacedNode, to: &PlacedNode) -> Option<(String, f64, f64)> {
    let (delta_x, delta_y) = (to.x - from.x, to.y - from.y);
    let length = delta_x.hypot(delta_y);
    if length < 1.0 {
        return None;
    }
    let (unit_x, unit_y) = (delta_x / length, delta_y / length);
    let (offset_x, offset_y) = (-unit_y * EDGE_OFFSET, unit_x * EDGE_OFFSET);
    let leave = to_box_edge(from, unit_x, unit_y);
    // Stop short of the box, so that the arrowhead shows whole.
    let arrive = to_box_edge(to, unit_x, unit_y) + 2.0;
    let (start_x, start_y) = (
        from.x + unit_x * leave + offset_x,
        from.y + unit_y * leave + offset_y,
    );
    let (end_x, end_y) = (
        to.x - unit_x * arrive + offset_x,
        to.y - unit_y * arrive + offset_y,
    );
    let path = format!(
        "M{},{} L{},{}",
        format_number(start_x),
        format_number(start_y),
        format_number(end_x),
        format_number(end_y)
    );
    // The label sits on the arrow's outer side, clear of the arrow back.
    let label_x = (start_x + end_x) / 2.0 + offset_x * 2.0;
    let label_y = (start_y + end_y) / 2.0 + offset_y * 2.0 + 4.0;
    Some((path, label_x, label_y))
}

/// How far from a box's middle, along the direction `(unit_x, unit_y)`, its border is.
fn to_box_edge(node: &PlacedNode, unit_x: f64, unit_y: f64) -> f64 {
    // Along an axis one of the divisions is by zero: infinity, which `min` passes over.
    let across = node.half_width / unit_x.abs();
    let down = NODE_HEIGHT / 2.0 / unit_y.abs();
    across.min(down)
}

/// A loop from the top of a box back onto it, and where its label goes.
fn loop_over(node: &PlacedNode) -> (String, f64, f64) {
    let top = node.y - NODE_HEIGHT / 2.0;
    let path = format!(
        "M{},{} C{},{} {},{} {},{}",
        format_number(node.x - 8.0),
        format_number(top),
        format_number(node.x - 24.0),
        format_number(top - 34.0),
        format_number(node.x + 24.0),
        format_number(top - 34.0),
        format_number(node.x + 8.0),
        format_number(top)
    );
    (path, node.x, top - 30.0)
}
