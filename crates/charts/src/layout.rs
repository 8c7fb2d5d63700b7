//! The layered layout behind the service map: which column each service stands in, and the
//! order, top to bottom, of the services and of the calls passing through each column.
//!
//! The steps are Sugiyama's, kept small. The calls that close a cycle (the back edges of a
//! depth-first search) are set aside; a service's column is the length of the longest path to it
//! from a service nobody calls; a call that spans several columns gets a waypoint in each column
//! it passes; a few sweeps of the barycentre heuristic order the columns to cut crossings; and
//! the slots' heights move towards their neighbours' to straighten the calls. Everything works
//! on indices, in the order given, so the same input gives the same layout.

/// A place in a column: a service's box, or a waypoint of a call passing through the column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    /// The service standing here, `None` for a waypoint.
    pub node: Option<usize>,
    pub column: usize,
}

/// Where the services and the calls between them go.
#[derive(Debug)]
pub(crate) struct Layers {
    /// Each service's column; `None` for a service that calls no other and is called by none.
    pub column_of: Vec<Option<usize>>,
    /// Each service's slot; `None` for the same services as `column_of`.
    pub node_slot: Vec<Option<usize>>,
    /// Every slot, the services' first (in their order) and then the waypoints.
    pub slots: Vec<Slot>,
    /// Each column's slots, top to bottom, as indices into `slots`.
    pub columns: Vec<Vec<usize>>,
    /// Per link, the slots it passes from its caller's to its callee's when it runs rightwards;
    /// `None` for a call backwards (one that closes a cycle) and for a service calling itself.
    pub chains: Vec<Option<Vec<usize>>>,
}

/// How often the barycentre heuristic reorders the columns: down, up, then down again.
const SWEEPS: usize = 3;

/// The layout of `count` services and the calls `links` between them, `(caller, callee)` as
/// indices below `count`.
pub(crate) fn layer(count: usize, links: &[(usize, usize)]) -> Layers {
    let back = back_links(count, links);
    let column_of = columns_of(count, links, &back);
    let mut layers = Layers {
        column_of,
        node_slot: vec![None; count],
        slots: Vec::new(),
        columns: Vec::new(),
        chains: Vec::with_capacity(links.len()),
    };
    for node in 0..count {
        if let Some(column) = layers.column_of[node] {
            layers.node_slot[node] = Some(layers.add_slot(Some(node), column));
        }
    }
    for &(from, to) in links {
        let chain = match (layers.node_slot[from], layers.node_slot[to]) {
            (Some(start), Some(end)) if layers.slots[start].column < layers.slots[end].column => {
                let mut chain = vec![start];
                for column in layers.slots[start].column + 1..layers.slots[end].column {
                    chain.push(layers.add_slot(None, column));
                }
                chain.push(end);
                Some(chain)
            }
            _ => None,
        };
        layers.chains.push(chain);
    }
    order_columns(&mut layers);
    layers
}

impl Layers {
    /// Each slot's neighbours along the calls: those in the column before it, and those in the
    /// column after it.
    fn neighbours(&self) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
        let mut before: Vec<Vec<usize>> = vec![Vec::new(); self.slots.len()];
        let mut after: Vec<Vec<usize>> = vec![Vec::new(); self.slots.len()];
        for chain in self.chains.iter().flatten() {
            for pair in chain.windows(2) {
                after[pair[0]].push(pair[1]);
                before[pair[1]].push(pair[0]);
            }
        }
        (before, after)
    }

    /// A new slot at the bottom of `column`, and its index.
    fn add_slot(&mut self, node: Option<usize>, column: usize) -> usize {
        let slot = self.slots.len();
        self.slots.push(Slot { node, column });
        if self.columns.len() <= column {
            self.columns.resize_with(column + 1, Vec::new);
        }
        self.columns[column].push(slot);
        slot
    }
}

/// Whether a depth-first search finds a stack in progress in this state.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    Open,
    Done,
}

/// Which links close a cycle: the back edges of a depth-first search that starts from the
/// services nobody calls, then from the others, each group in order. Without them the calls
/// form no cycle. A service calling itself is no back edge (it is left out of the layout).
fn back_links(count: usize, links: &[(usize, usize)]) -> Vec<bool> {
    let mut outgoing: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut called = vec![false; count];
    for (index, &(from, to)) in links.iter().enumerate() {
        if from != to {
            outgoing[from].push(index);
            called[to] = true;
        }
    }
    let mut state = vec![Visit::New; count];
    let mut back = vec![false; links.len()];
    let uncalled = (0..count).filter(|&node| !called[node]);
    let starts = uncalled.chain((0..count).filter(|&node| called[node]));
    for start in starts {
        if state[start] != Visit::New {
            continue;
        }
        state[start] = Visit::Open;
        // The path being searched, each service with the index of its next link to follow; a
        // stack of our own rather than recursion, so that a long chain cannot overflow.
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        while let Some(top) = path.last_mut() {
            let (node, next) = *top;
            let Some(&link) = outgoing[node].get(next) else {
                state[node] = Visit::Done;
                path.pop();
                continue;
            };
            top.1 += 1;
            let callee = links[link].1;
            match state[callee] {
                Visit::New => {
                    state[callee] = Visit::Open;
                    path.push((callee, 0));
                }
                Visit::Open => back[link] = true,
                Visit::Done => {}
            }
        }
    }
    back
}

/// Each service's column: the length of the longest path to it, over the links that are not
/// `back`, from a service nobody calls. A service nobody calls then moves right to stand just
/// left of the nearest service it calls, so that its arrows are short; a service with no link
/// to another has no column.
fn columns_of(count: usize, links: &[(usize, usize)], back: &[bool]) -> Vec<Option<usize>> {
    let mut outgoing: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut waiting = vec![0_usize; count];
    let mut linked = vec![false; count];
    for (&(from, to), &is_back) in links.iter().zip(back) {
        if from == to {
            continue;
        }
        linked[from] = true;
        linked[to] = true;
        if !is_back {
            outgoing[from].push(to);
            waiting[to] += 1;
        }
    }
    let uncalled: Vec<bool> = waiting.iter().map(|&count| count == 0).collect();
    // Kahn's order: a service is placed once every service calling it has been.
    let mut column = vec![0_usize; count];
    let mut ready: Vec<usize> = (0..count).filter(|&node| uncalled[node]).collect();
    while let Some(node) = ready.pop() {
        for &to in &outgoing[node] {
            column[to] = column[to].max(column[node] + 1);
            waiting[to] -= 1;
            if waiting[to] == 0 {
                ready.push(to);
            }
        }
    }
    for node in 0..count {
        let nearest = outgoing[node].iter().map(|&to| column[to]).min();
        if let (true, Some(nearest)) = (uncalled[node], nearest) {
            column[node] = nearest.saturating_sub(1);
        }
    }
    (0..count)
        .map(|node| linked[node].then_some(column[node]))
        .collect()
}

/// Orders each column by the barycentre heuristic: a slot moves to the mean position of its
/// neighbours in the column before (sweeping down, that is rightwards) or after (sweeping back).
/// Positions are fractions of a column's height, as the slots are spread over it; a slot with no
/// neighbour on that side keeps its own, and ties keep their order.
fn order_columns(layers: &mut Layers) {
    let (before, after) = layers.neighbours();
    let mut position = vec![0.0; layers.slots.len()];
    for column in &layers.columns {
        set_positions(column, &mut position);
    }
    let count = layers.columns.len();
    for sweep in 0..SWEEPS {
        if sweep % 2 == 0 {
            for column in layers.columns.iter_mut().skip(1) {
                sort_column(column, &before, &mut position);
            }
        } else {
            for column in layers
                .columns
                .iter_mut()
                .take(count.saturating_sub(1))
                .rev()
            {
                sort_column(column, &after, &mut position);
            }
        }
    }
}

/// Sorts `column` by its slots' barycentres over `neighbours`, and records their new positions.
fn sort_column(column: &mut Vec<usize>, neighbours: &[Vec<usize>], position: &mut [f64]) {
    let mut keyed: Vec<(f64, usize)> = column
        .iter()
        .map(|&slot| {
            let near = &neighbours[slot];
            let key = match near.is_empty() {
                true => position[slot],
                false => near.iter().map(|&other| position[other]).sum::<f64>() / near.len() as f64,
            };
            (key, slot)
        })
        .collect();
    // A stable sort: slots with the same barycentre keep their order.
    keyed.sort_by(|left, right| left.0.total_cmp(&right.0));
    *column = keyed.into_iter().map(|(_, slot)| slot).collect();
    set_positions(column, position);
}

/// Records each slot of `column` at the middle of its share of the column's height, from 0 at
/// the top to 1 at the bottom.
fn set_positions(column: &[usize], position: &mut [f64]) {
    let count = column.len() as f64;
    for (index, &slot) in column.iter().enumerate() {
        position[slot] = (index as f64 + 0.5) / count;
    }
}

/// The least distances between the middles of two neighbours in a column.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spacing {
    /// Between two services' boxes.
    pub services: f64,
    /// Between a service's box and a waypoint.
    pub mixed: f64,
    /// Between two waypoints.
    pub waypoints: f64,
}

/// How often the heights are relaxed towards the neighbours' before they are final.
const RELAXATIONS: usize = 8;

impl Layers {
    /// How tall the columns need to be: the tallest column's distances between neighbours, and
    /// half the distance between two services above and below it.
    pub(crate) fn needed_height(&self, spacing: Spacing) -> f64 {
        let tallest = (0..self.columns.len())
            .map(|column| self.gaps(column, spacing, 1.0).iter().sum::<f64>())
            .fold(0.0, f64::max);
        tallest + spacing.services
    }

    /// Each slot's middle, between `top` and `bottom` (at least `needed_height` apart). The
    /// distances of `spacing` grow alike until the tallest column fills the height; each column
    /// starts spread evenly, then its slots move, a few times over, towards the mean height of
    /// their neighbours, as little as keeps them in order and apart: that straightens the calls.
    pub(crate) fn heights(&self, spacing: Spacing, top: f64, bottom: f64) -> Vec<f64> {
        let scale = ((bottom - top) / self.needed_height(spacing)).max(1.0);
        let (low, high) = (
            top + scale * spacing.services / 2.0,
            bottom - scale * spacing.services / 2.0,
        );
        let gaps: Vec<Vec<f64>> = (0..self.columns.len())
            .map(|column| self.gaps(column, spacing, scale))
            .collect();
        let mut heights = vec![(top + bottom) / 2.0; self.slots.len()];
        for (column, slots) in self.columns.iter().enumerate() {
            let count = slots.len() as f64;
            let even: Vec<f64> = (0..slots.len())
                .map(|index| top + (bottom - top) * (index as f64 + 0.5) / count)
                .collect();
            for (&slot, height) in slots.iter().zip(fit(&even, &gaps[column], low, high)) {
                heights[slot] = height;
            }
        }
        let (before, after) = self.neighbours();
        for round in 0..RELAXATIONS {
            for step in 0..self.columns.len() {
                let column = match round % 2 {
                    0 => step,
                    _ => self.columns.len() - 1 - step,
                };
                let slots = &self.columns[column];
                let wanted: Vec<f64> = slots
                    .iter()
                    .map(|&slot| {
                        let near = before[slot].iter().chain(&after[slot]);
                        let (sum, count) = near.fold((0.0, 0_u32), |(sum, count), &other| {
                            (sum + heights[other], count + 1)
                        });
                        if count == 0 {
                            heights[slot]
                        } else {
                            sum / f64::from(count)
                        }
                    })
                    .collect();
                for (&slot, height) in slots.iter().zip(fit(&wanted, &gaps[column], low, high)) {
                    heights[slot] = height;
                }
            }
        }
        heights
    }

    /// The distances between neighbours down `column`: those of `spacing`, times `scale`.
    fn gaps(&self, column: usize, spacing: Spacing, scale: f64) -> Vec<f64> {
        self.columns[column]
            .windows(2)
            .map(|pair| {
                let services = pair.iter().filter(|&&slot| self.slots[slot].node.is_some());
                scale
                    * match services.count() {
                        2 => spacing.services,
                        1 => spacing.mixed,
                        _ => spacing.waypoints,
                    }
            })
            .collect()
    }
}

/// The heights nearest `wanted` (the least sum of squared moves) that keep their order, each at
/// least `gaps[i - 1]` below the one before, the first at least `low` and the last at most
/// `high` (y grows downwards). Less the gaps above them, the heights must not decrease: pooling
/// adjacent violators finds those, a run of heights that would decrease moving to its mean.
fn fit(wanted: &[f64], gaps: &[f64], low: f64, high: f64) -> Vec<f64> {
    let mut offsets = Vec::with_capacity(wanted.len());
    let mut total = 0.0;
    offsets.push(0.0);
    for gap in gaps {
        total += gap;
        offsets.push(total);
    }
    // Runs of heights as their sum and length, less their offsets.
    let mut runs: Vec<(f64, usize)> = Vec::new();
    for (height, offset) in wanted.iter().zip(&offsets) {
        let mut run = (height - offset, 1_usize);
        while let Some(&(sum, count)) = runs.last() {
            if sum / count as f64 <= run.0 / run.1 as f64 {
                break;
            }
            runs.pop();
            run = (run.0 + sum, run.1 + count);
        }
        runs.push(run);
    }
    let high = (high - total).max(low);
    let mut heights = Vec::with_capacity(wanted.len());
    for (sum, count) in runs {
        let level = (sum / count as f64).clamp(low, high);
        for _ in 0..count {
            heights.push(level + offsets[heights.len()]);
        }
    }
    heights
}
