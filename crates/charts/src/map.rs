//! The service map: services as boxes in columns, left to right in the direction of the calls
//! (see `layout`), the calls between them as arrows with a label at their middle. Each box and
//! arrow carries its name in a `data-` attribute, so that a page can find one (to highlight it,
//! or to update its label) without parsing the drawing.

use std::collections::HashMap;

use crate::MapEdge;
use crate::layout::{Layers, Spacing, layer};
use crate::svg::{escape_text, format_number, open_svg, text_width};

mod label;

use self::label::{draw_label, label_lines, label_size, separate};

/// How tall a service's box is.
const NODE_HEIGHT: f64 = 26.0;
/// Room left and right of a service's name inside its box.
const NODE_PADDING: f64 = 16.0;
/// Room around the drawing.
const MARGIN: f64 = 16.0;
/// The least width of a column.
const MIN_COLUMN: f64 = 20.0;
/// The least width of the gap between two columns.
const MIN_GAP: f64 = 40.0;
/// Room in a gap besides its widest label, for the arrowheads and the bends of the arrows.
const ARROW_ROOM: f64 = 16.0;
/// The least distances between the middles of two neighbours in a column.
const SPACING: Spacing = Spacing {
    services: NODE_HEIGHT + 16.0,
    mixed: NODE_HEIGHT / 2.0 + 12.0,
    waypoints: 12.0,
};
/// Room kept above the top boxes, when a service calls itself, for the loop over its box.
const LOOP_ROOM: f64 = 44.0;
/// Room kept below the bottom boxes, when a call runs backwards, for its curve under the boxes.
const BACK_ROOM: f64 = 64.0;
/// How far at most below the lower of its boxes the curve of a call backwards bends (it dips
/// three quarters of that).
const MAX_DIP: f64 = 72.0;
/// How far apart the rows of services without calls are, middle to middle.
const ROW_PITCH: f64 = NODE_HEIGHT + 14.0;
/// The space between two boxes in a row of services without calls.
const ROW_SPACING: f64 = 16.0;
/// The arrowheads, one grey and one red for failing calls.
const MARKERS: &str = "<defs><marker id=\"service-map-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" \
    refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 \
    z\" fill=\"#555555\"/></marker><marker id=\"service-map-arrow-error\" viewBox=\"0 0 10 10\" \
    refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path \
    d=\"M0,0 L10,5 L0,10 z\" fill=\"#c62828\"/></marker></defs>";

/// A map of `nodes` and the calls `edges` between them (`<svg id="service-map">`), `width` by
/// `height` pixels or larger when its columns and labels need more room (its `viewBox` grows with
/// it, so a page may scale it down). A service an edge names that `nodes` lacks is added after
/// them.
///
/// The services stand in columns, left to right: a service's column is the length of the longest
/// chain of calls to it from a service nobody calls (calls closing a cycle aside), so the callers
/// stand left of the services they call; within a column they are ordered to cut crossings.
/// Services that call no other and are called by none stand in a row at the bottom. Each service
/// is a `<g class="node" data-node="NAME" data-column="N">` (no `data-column` in that row), each
/// call a `<g class="edge" data-edge="FROM→TO">` (`edge error` when it fails) with an arrow and
/// its label on a light background; a long label is drawn on two lines.
pub fn service_map(nodes: &[String], edges: &[MapEdge], width: u32, height: u32) -> String {
    let (width, height) = (width.max(200), height.max(150));
    let names = every_node(nodes, edges);
    let attributes = "id=\"service-map\" class=\"chart service-map\"";
    if names.is_empty() {
        let mut svg = open_svg(width, height, attributes, "service map");
        svg.push_str(&format!(
            "<text class=\"no-data\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" \
             fill=\"#666666\">no services</text></svg>",
            format_number(f64::from(width) / 2.0),
            format_number(f64::from(height) / 2.0)
        ));
        return svg;
    }
    let plan = Plan::new(names, edges, f64::from(width), f64::from(height));
    let mut svg = open_svg(plan.width, plan.height, attributes, "service map");
    svg.push_str(MARKERS);
    // Arrows first, so that the boxes are drawn over their ends.
    svg.push_str("<g class=\"edges\">");
    for (index, edge) in edges.iter().enumerate() {
        svg.push_str(&plan.draw_edge(index, edge));
    }
    svg.push_str("</g><g class=\"nodes\">");
    for node in 0..plan.names.len() {
        svg.push_str(&plan.draw_node(node));
    }
    svg.push_str("</g></svg>");
    svg
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

/// A service's box: its middle and half its width.
#[derive(Clone, Copy, Debug, Default)]
struct NodeBox {
    x: f64,
    y: f64,
    half_width: f64,
}

/// Where everything on the map goes.
struct Plan<'a> {
    names: Vec<&'a str>,
    /// Per edge, its caller and callee as indices into `names`.
    links: Vec<(usize, usize)>,
    layers: Layers,
    width: u32,
    height: u32,
    /// Each service's box.
    boxes: Vec<NodeBox>,
    /// Each column's left and right.
    spans: Vec<(f64, f64)>,
    /// Each slot's middle, top to bottom: a service's, or where calls pass through a column.
    slot_y: Vec<f64>,
    /// Per edge, how far below the middle of its caller's right side it leaves, and of its
    /// callee's left side it arrives (above when negative); zero for a call that is not drawn
    /// rightwards.
    ports: Vec<(f64, f64)>,
    /// Per edge drawn rightwards, the middle of its label; the others place their own.
    labels: Vec<Option<(f64, f64)>>,
}

impl<'a> Plan<'a> {
    /// The plan of a map at least `width` by `height` of the services `names` and the `edges`
    /// between them, each of which names two of `names`.
    fn new(names: Vec<&'a str>, edges: &[MapEdge], width: f64, height: f64) -> Plan<'a> {
        let index: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(index, &name)| (name, index))
            .collect();
        let links: Vec<(usize, usize)> = edges
            .iter()
            .map(|edge| (index[edge.from.as_str()], index[edge.to.as_str()]))
            .collect();
        let layers = layer(names.len(), &links);
        let half_widths: Vec<f64> = names
            .iter()
            .map(|name| (text_width(name) + NODE_PADDING) / 2.0)
            .collect();
        let label_widths: Vec<f64> = edges
            .iter()
            .map(|edge| label_size(&label_lines(&edge.label)).0)
            .collect();
        let (widths, gaps) = column_room(&layers, &half_widths, &label_widths);
        let (spans, width) = place_columns(&widths, &gaps, width);
        let unplaced = (0..names.len()).filter(|&node| layers.column_of[node].is_none());
        let widest_unplaced = unplaced
            .map(|node| 2.0 * half_widths[node])
            .fold(0.0, f64::max);
        let width = width.max((widest_unplaced + 2.0 * MARGIN).ceil());
        let rows = fill_rows(&layers, &half_widths, width - 2.0 * MARGIN);
        let looping = links.iter().any(|(from, to)| from == to);
        let backwards = links
            .iter()
            .zip(&layers.chains)
            .any(|(&(from, to), chain)| from != to && chain.is_none());
        let top = MARGIN + if looping { LOOP_ROOM } else { 0.0 };
        let vertical = place_vertically(&layers, rows.len(), top, backwards, height);
        let mut plan = Plan {
            boxes: vec![NodeBox::default(); names.len()],
            ports: spread_ports(&layers, &vertical.slot_y),
            labels: vec![None; links.len()],
            names,
            links,
            layers,
            width: width as u32,
            height: vertical.height as u32,
            spans,
            slot_y: vertical.slot_y,
        };
        plan.place_boxes(&half_widths, &rows, vertical.rows_top);
        plan.labels = plan.place_labels(edges);
        plan
    }

    /// Puts each service's box in its column, or in its row below the columns.
    fn place_boxes(&mut self, half_widths: &[f64], rows: &[Vec<usize>], rows_top: f64) {
        for (node, &half_width) in half_widths.iter().enumerate() {
            if let Some(slot) = self.layers.node_slot[node] {
                let (left, right) = self.spans[self.layers.slots[slot].column];
                let (x, y) = ((left + right) / 2.0, self.slot_y[slot]);
                self.boxes[node] = NodeBox { x, y, half_width };
            }
        }
        for (index, row) in rows.iter().enumerate() {
            let y = rows_top + (index as f64 + 0.5) * ROW_PITCH;
            let spaces = row.len().saturating_sub(1) as f64 * ROW_SPACING;
            let wide = row.iter().map(|&node| 2.0 * half_widths[node]).sum::<f64>() + spaces;
            let mut left = ((f64::from(self.width) - wide) / 2.0).max(MARGIN);
            for &node in row {
                let half_width = half_widths[node];
                self.boxes[node] = NodeBox {
                    x: left + half_width,
                    y,
                    half_width,
                };
                left += 2.0 * half_width + ROW_SPACING;
            }
        }
    }

    /// The middle of each label of a call drawn rightwards: the middle of its middle segment
    /// (between two columns), moved up or down as little as keeps it clear of the other labels
    /// in the same gap.
    fn place_labels(&self, edges: &[MapEdge]) -> Vec<Option<(f64, f64)>> {
        let mut labels = vec![None; edges.len()];
        let mut heights = vec![0.0; edges.len()];
        let mut by_gap: Vec<Vec<(f64, usize)>> = vec![Vec::new(); self.spans.len()];
        for (index, chain) in self.layers.chains.iter().enumerate() {
            let Some(chain) = chain else {
                continue;
            };
            let segment = label_segment(chain);
            let ((start_x, start_y), (end_x, end_y)) = self.segment(index, chain, segment);
            let (x, y) = ((start_x + end_x) / 2.0, (start_y + end_y) / 2.0);
            labels[index] = Some((x, y));
            heights[index] = label_size(&label_lines(&edges[index].label)).1;
            by_gap[self.layers.slots[chain[segment]].column].push((y, index));
        }
        let bottom = f64::from(self.height) - 2.0;
        for mut gap in by_gap {
            separate(&mut gap, &heights, 2.0, bottom);
            for (y, index) in gap {
                labels[index] = labels[index].map(|(x, _)| (x, y));
            }
        }
        labels
    }

    /// Where a call leaves `slot` rightwards, `offset` below the middle: the right side of a
    /// service's box, or of a waypoint's column.
    fn exit(&self, slot: usize, offset: f64) -> (f64, f64) {
        let y = self.slot_y[slot] + offset;
        match self.layers.slots[slot].node {
            Some(node) => (self.boxes[node].x + self.boxes[node].half_width, y),
            None => (self.spans[self.layers.slots[slot].column].1, y),
        }
    }

    /// Where a call reaches `slot` from the left, `offset` below the middle.
    fn entry(&self, slot: usize, offset: f64) -> (f64, f64) {
        let y = self.slot_y[slot] + offset;
        match self.layers.slots[slot].node {
            Some(node) => (self.boxes[node].x - self.boxes[node].half_width, y),
            None => (self.spans[self.layers.slots[slot].column].0, y),
        }
    }

    /// Where the `segment`th part (from one column to the next) of the call `edge` along
    /// `chain` starts and ends.
    fn segment(&self, edge: usize, chain: &[usize], segment: usize) -> ((f64, f64), (f64, f64)) {
        let (leave, arrive) = self.ports[edge];
        let start = self.exit(chain[segment], if segment == 0 { leave } else { 0.0 });
        let last = segment + 2 == chain.len();
        let end = self.entry(chain[segment + 1], if last { arrive } else { 0.0 });
        (start, end)
    }

    /// The path of a call rightwards along `chain`: a gentle curve from column to column,
    /// level through each column it passes, stopping short of the callee's box so that the
    /// arrowhead shows whole.
    fn forward_path(&self, edge: usize, chain: &[usize]) -> String {
        let mut path = String::new();
        for segment in 0..chain.len() - 1 {
            let ((start_x, start_y), (end_x, end_y)) = self.segment(edge, chain, segment);
            let end_x = if segment + 2 == chain.len() {
                end_x - 2.0
            } else {
                end_x
            };
            let command = if segment == 0 { "M" } else { " L" };
            let bend = (end_x - start_x) / 2.0;
            path.push_str(&format!(
                "{command}{},{} C{},{} {},{} {},{}",
                format_number(start_x),
                format_number(start_y),
                format_number(start_x + bend),
                format_number(start_y),
                format_number(end_x - bend),
                format_number(end_y),
                format_number(end_x),
                format_number(end_y)
            ));
        }
        path
    }

    /// A service's box and name.
    fn draw_node(&self, node: usize) -> String {
        let name = escape_text(self.names[node]);
        let column = match self.layers.column_of[node] {
            Some(column) => format!(" data-column=\"{column}\""),
            None => String::new(),
        };
        let place = self.boxes[node];
        format!(
            "<g class=\"node\" data-node=\"{name}\"{column}><rect x=\"{}\" y=\"{}\" \
             width=\"{}\" height=\"{}\" rx=\"6\" fill=\"#ffffff\" stroke=\"#333333\" \
             stroke-width=\"1.5\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" \
             dominant-baseline=\"middle\">{name}</text></g>",
            format_number(place.x - place.half_width),
            format_number(place.y - NODE_HEIGHT / 2.0),
            format_number(place.half_width * 2.0),
            format_number(NODE_HEIGHT),
            format_number(place.x),
            format_number(place.y),
        )
    }

    /// A call's arrow and label: rightwards from box to box, backwards in a curve under the
    /// boxes, or, for a service calling itself, in a loop over its box.
    fn draw_edge(&self, index: usize, edge: &MapEdge) -> String {
        let (from, to) = self.links[index];
        let (path, label_x, label_y) = match (&self.layers.chains[index], self.labels[index]) {
            (Some(chain), Some((x, y))) => (self.forward_path(index, chain), x, y),
            _ if from == to => loop_over(&self.boxes[from]),
            _ => curve_under(&self.boxes[from], &self.boxes[to]),
        };
        let (class, colour, marker) = match edge.error {
            true => ("edge error", "#c62828", "service-map-arrow-error"),
            false => ("edge", "#555555", "service-map-arrow"),
        };
        format!(
            "<g class=\"{class}\" data-edge=\"{}→{}\"><path d=\"{path}\" fill=\"none\" \
             stroke=\"{colour}\" stroke-width=\"1.5\" marker-end=\"url(#{marker})\"/>{}</g>",
            escape_text(&edge.from),
            escape_text(&edge.to),
            draw_label(&edge.label, label_x, label_y, colour),
        )
    }
}

/// How wide each column is (its widest box) and each gap between two columns (the widest label
/// placed in it, and room for the arrows), given each service's half width and each edge's
/// label's width.
fn column_room(layers: &Layers, half_widths: &[f64], label_widths: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let count = layers.columns.len();
    let mut widths = vec![MIN_COLUMN; count];
    for (node, column) in layers.column_of.iter().enumerate() {
        if let Some(column) = *column {
            widths[column] = widths[column].max(2.0 * half_widths[node]);
        }
    }
    let mut gaps = vec![MIN_GAP; count.saturating_sub(1)];
    for (edge, chain) in layers.chains.iter().enumerate() {
        if let Some(chain) = chain {
            let gap = layers.slots[chain[label_segment(chain)]].column;
            gaps[gap] = gaps[gap].max(label_widths[edge] + ARROW_ROOM);
        }
    }
    (widths, gaps)
}

/// Which segment of a call rightwards along `chain` carries its label: the middle one, or the
/// second of the middle two, which leaves the gap next to a busy caller to its direct calls.
fn label_segment(chain: &[usize]) -> usize {
    (chain.len() - 1) / 2
}

/// Each column's left and right, and the map's width: the columns and gaps `widths` and `gaps`
/// wide with a margin around them, the gaps stretched alike to fill `width` when they need
/// less (a single column stands in the middle).
fn place_columns(widths: &[f64], gaps: &[f64], width: f64) -> (Vec<(f64, f64)>, f64) {
    let needed = 2.0 * MARGIN + widths.iter().sum::<f64>() + gaps.iter().sum::<f64>();
    let width = width.max(needed.ceil());
    let spare = width - needed;
    let (mut left, stretch) = match gaps.is_empty() {
        true => (MARGIN + spare / 2.0, 0.0),
        false => (MARGIN, spare / gaps.len() as f64),
    };
    let mut spans = Vec::with_capacity(widths.len());
    for (index, &column_width) in widths.iter().enumerate() {
        spans.push((left, left + column_width));
        left += column_width + gaps.get(index).map_or(0.0, |gap| gap + stretch);
    }
    (spans, width)
}

/// The services without a column, in order, in rows each at most `room` wide (or holding one).
fn fill_rows(layers: &Layers, half_widths: &[f64], room: f64) -> Vec<Vec<usize>> {
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut used = 0.0;
    for node in (0..half_widths.len()).filter(|&node| layers.column_of[node].is_none()) {
        let wide = 2.0 * half_widths[node];
        match rows.last_mut() {
            Some(row) if used + ROW_SPACING + wide <= room => {
                row.push(node);
                used += ROW_SPACING + wide;
            }
            _ => {
                rows.push(vec![node]);
                used = wide;
            }
        }
    }
    rows
}

/// The vertical part of the plan.
struct Vertical {
    /// Each slot's middle.
    slot_y: Vec<f64>,
    /// The top of the first row of services without calls.
    rows_top: f64,
    /// The map's height.
    height: f64,
}

/// Spreads the columns' slots over the height (see `Layers::heights`), below `top`, above room
/// for the curves of calls backwards (when there are some) and for `rows` rows of services
/// without calls; the map grows taller when its tallest column needs it. Without columns the
/// rows stand in the middle.
fn place_vertically(
    layers: &Layers,
    rows: usize,
    top: f64,
    backwards: bool,
    height: f64,
) -> Vertical {
    let band = rows as f64 * ROW_PITCH;
    if layers.columns.is_empty() {
        let height = height.max((top + band + MARGIN).ceil());
        let rows_top = top.max((height - band) / 2.0);
        return Vertical {
            slot_y: Vec::new(),
            rows_top,
            height,
        };
    }
    let under = if backwards { BACK_ROOM } else { 0.0 };
    let below = under
        + if rows > 0 {
            band + ROW_PITCH / 2.0
        } else {
            0.0
        };
    let area = (height - top - below - MARGIN).max(layers.needed_height(SPACING));
    let slot_y = layers.heights(SPACING, top, top + area);
    let height = height.max((top + area + below + MARGIN).ceil());
    Vertical {
        slot_y,
        rows_top: height - MARGIN - band,
        height,
    }
}

/// Per edge drawn rightwards, how far below the middle of its caller's right side it leaves and
/// of its callee's left side it arrives: the calls leaving a box spread over its side in the
/// order of where they go, and those reaching one in the order of where they come from, so that
/// neither their starts nor their arrowheads meet in one point.
fn spread_ports(layers: &Layers, slot_y: &[f64]) -> Vec<(f64, f64)> {
    let mut ports = vec![(0.0, 0.0); layers.chains.len()];
    let mut leaving: Vec<Vec<(f64, usize)>> = vec![Vec::new(); layers.slots.len()];
    let mut arriving: Vec<Vec<(f64, usize)>> = vec![Vec::new(); layers.slots.len()];
    for (edge, chain) in layers.chains.iter().enumerate() {
        if let Some(chain) = chain {
            let last = chain.len() - 1;
            leaving[chain[0]].push((slot_y[chain[1]], edge));
            arriving[chain[last]].push((slot_y[chain[last - 1]], edge));
        }
    }
    for ends in &mut leaving {
        for (edge, offset) in offsets(ends) {
            ports[edge].0 = offset;
        }
    }
    for ends in &mut arriving {
        for (edge, offset) in offsets(ends) {
            ports[edge].1 = offset;
        }
    }
    ports
}

/// The offsets from the middle of a box's side of the calls `ends` at it, each given with the
/// height of its other end: top to bottom in that order, at most 6 pixels apart and all within
/// the box.
fn offsets(ends: &mut [(f64, usize)]) -> Vec<(usize, f64)> {
    ends.sort_by(|left, right| left.0.total_cmp(&right.0).then(left.1.cmp(&right.1)));
    let count = ends.len();
    let step = match count {
        0 | 1 => 0.0,
        _ => ((NODE_HEIGHT - 8.0) / (count - 1) as f64).min(6.0),
    };
    let middle = count.saturating_sub(1) as f64 / 2.0;
    ends.iter()
        .enumerate()
        .map(|(index, &(_, edge))| (edge, (index as f64 - middle) * step))
        .collect()
}

/// A call backwards (or within a column): from the bottom of its caller's box down, along under
/// the boxes and up into the bottom of its callee's, and where its label goes (the curve's
/// lowest point).
fn curve_under(from: &NodeBox, to: &NodeBox) -> (String, f64, f64) {
    let (start_x, start_y) = (from.x, from.y + NODE_HEIGHT / 2.0);
    // Stop short of the box, so that the arrowhead shows whole.
    let (end_x, end_y) = (to.x, to.y + NODE_HEIGHT / 2.0 + 2.0);
    let dip = (16.0 + (start_x - end_x).abs() * 0.12).min(MAX_DIP);
    let low = start_y.max(end_y) + dip;
    let path = format!(
        "M{},{} C{},{} {},{} {},{}",
        format_number(start_x),
        format_number(start_y),
        format_number(start_x),
        format_number(low),
        format_number(end_x),
        format_number(low),
        format_number(end_x),
        format_number(end_y)
    );
    // The middle of a cubic curve is an eighth of its ends' sum and three eighths of its
    // control points'.
    let label_y = (start_y + end_y + 6.0 * low) / 8.0;
    (path, (start_x + end_x) / 2.0, label_y)
}

/// A loop from the top of a box back onto it, and where its label goes.
fn loop_over(node: &NodeBox) -> (String, f64, f64) {
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
    (path, node.x, top - 32.0)
}
