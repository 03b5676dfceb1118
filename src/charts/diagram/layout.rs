//! A layered (Sugiyama-style) layout that reads top-down, in four steps:
//!
//! 1. **Layers.** Cycles (a forward back to an earlier service) are broken
//!    by reversing the edges a depth-first search finds going back. Each
//!    node's layer is its longest path from a source (workloads on top).
//!    Then nodes nothing depends on (databases, caches, leaf services) move
//!    to the bottom layer, and a node whose arrows all go to one node (a
//!    balancer, a pool, a queue) moves down to sit right above it.
//! 2. **Virtual nodes.** Between two layers of boxes lies a band for edge
//!    labels: an edge gets a virtual node in every band and box layer it
//!    passes, the first one as wide as its label, so labels take room
//!    like boxes and never overlap each other.
//! 3. **Order.** Within each layer, nodes start in depth-first order and
//!    are reordered by barycentre sweeps (the mean position of their
//!    neighbours in the layer above, then below), keeping the order with
//!    the fewest crossings; then adjacent nodes are swapped while that
//!    removes crossings.
//! 4. **Coordinates.** Each layer's x positions are those nearest the mean
//!    of its neighbours' (an isotonic regression: the order and the gaps
//!    between boxes are kept), in sweeps down and up; virtual nodes weigh
//!    more, so long edges run straight.
//!
//! Edges are then routed through their virtual nodes. [`Layout::crossings`]
//! counts the crossings of the final order.

/// A node to place: its width and height [px].
pub(crate) type Size = (f64, f64);

/// Horizontal gap between two boxes, and beside a virtual node [px].
const BOX_GAP: f64 = 36.0;
const VIRTUAL_GAP: f64 = 14.0;
/// Width of a virtual node without a label [px].
const VIRTUAL_WIDTH: f64 = 6.0;
/// Vertical gap between a layer and the next [px].
const LAYER_GAP: f64 = 22.0;
/// Height of a band without labels [px].
const EMPTY_BAND: f64 = 16.0;
/// Room on the right of a node for a loop back to itself [px].
const LOOP_WIDTH: f64 = 28.0;
/// Barycentre sweeps tried.
const SWEEPS: usize = 24;

/// An edge to route: source, target and its label's size (zero: none).
#[derive(Debug, Clone, Copy)]
pub(crate) struct EdgeIn {
    pub from: usize,
    pub to: usize,
    pub label: Size,
}

/// Where an edge runs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Route {
    /// From the source's border to the target's, through the virtual nodes.
    pub points: Vec<(f64, f64)>,
    /// The centre of its label.
    pub label: Option<(f64, f64)>,
}

/// The placed diagram.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// Centre of each node [px].
    pub centres: Vec<(f64, f64)>,
    /// Route of each edge, in input order.
    pub routes: Vec<Route>,
    /// Width and height of everything placed.
    pub size: Size,
    /// Edge crossings of the final order.
    pub crossings: usize,
}

/// One node of the layered graph: a box or a virtual node of an edge.
#[derive(Debug, Clone)]
struct Slot {
    width: f64,
    height: f64,
    /// Edge index of a virtual node.
    edge: Option<usize>,
}

/// Places `sizes` boxes and routes `edges` between them.
pub(crate) fn layout(sizes: &[Size], edges: &[EdgeIn]) -> Layout {
    let n = sizes.len();
    let ranks = ranks(n, edges);
    let (layers, mut slots, chains) = virtual_graph(sizes, edges, &ranks);
    let links = links(&chains);
    let mut order = initial_order(&layers, &links, slots.len());
    order = minimise_crossings(order, &links);
    let crossings = count_all(&order, &links);
    // Loops back to the same node need room on its right.
    for e in edges.iter().filter(|e| e.from == e.to) {
        slots[e.from].width += 2.0 * (LOOP_WIDTH + e.label.0);
    }
    let xs = coordinates(&order, &slots, &links);
    let (ys, height) = rows(&order, &slots);
    let mut centres = vec![(0.0, 0.0); slots.len()];
    for (l, layer) in order.iter().enumerate() {
        for &v in layer {
            centres[v] = (xs[v], ys[l]);
        }
    }
    let left = order.iter().flatten().map(|&v| centres[v].0 - slots[v].width / 2.0).fold(f64::INFINITY, f64::min);
    let right = order.iter().flatten().map(|&v| centres[v].0 + slots[v].width / 2.0).fold(f64::NEG_INFINITY, f64::max);
    for c in &mut centres {
        c.0 -= left;
    }
    let routes = edges.iter().zip(&chains).map(|(e, chain)| route(e, chain, &centres, sizes)).collect();
    Layout { centres: centres[..n].to_vec(), routes, size: ((right - left).max(0.0), height), crossings }
}

/// Each box's rank (its layer of boxes), with cycles broken.
fn ranks(n: usize, edges: &[EdgeIn]) -> Vec<usize> {
    let dag = acyclic(n, edges);
    let succ = |v: usize| dag.iter().filter(move |&&(a, _)| a == v).map(|&(_, b)| b);
    let indegree = |v: usize| dag.iter().filter(|&&(_, b)| b == v).count();
    // Topological order (Kahn), ties by index.
    let mut deg: Vec<usize> = (0..n).map(indegree).collect();
    let mut ready: Vec<usize> = (0..n).filter(|&v| deg[v] == 0).collect();
    let mut topo = Vec::with_capacity(n);
    while !ready.is_empty() {
        let v = ready.remove(0);
        topo.push(v);
        for s in succ(v) {
            deg[s] -= 1;
            if deg[s] == 0 {
                ready.push(s);
                ready.sort_unstable();
            }
        }
    }
    let mut rank = vec![0; n];
    for &v in &topo {
        for s in succ(v) {
            rank[s] = rank[s].max(rank[v] + 1);
        }
    }
    let deepest = rank.iter().copied().max().unwrap_or(0);
    let sinks: Vec<usize> = (0..n).filter(|&v| succ(v).next().is_none() && indegree(v) > 0).collect();
    for v in sinks {
        rank[v] = deepest;
    }
    // A node whose arrows all go to one node sits right above it.
    for &v in topo.iter().rev() {
        let mut targets: Vec<usize> = succ(v).collect();
        targets.dedup();
        if let [t] = targets[..]
            && indegree(v) > 0
        {
            rank[v] = rank[v].max(rank[t] - 1);
        }
    }
    rank
}

/// The edges as pairs without self-loops, those closing a cycle reversed
/// (a depth-first search from the nodes in index order).
fn acyclic(n: usize, edges: &[EdgeIn]) -> Vec<(usize, usize)> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        Open,
        Done,
    }
    let mut state = vec![State::New; n];
    let mut out = Vec::new();
    for start in 0..n {
        if state[start] != State::New {
            continue;
        }
        // An explicit stack of (node, next edge index).
        let mut stack = vec![(start, 0)];
        state[start] = State::Open;
        while let Some(&(v, next)) = stack.last() {
            if let Some((i, e)) = edges.iter().enumerate().skip(next).find(|(_, e)| e.from == v && e.to != v) {
                stack.last_mut().expect("not empty").1 = i + 1;
                match state[e.to] {
                    State::Open => out.push((e.to, v)),
                    State::Done => out.push((v, e.to)),
                    State::New => {
                        out.push((v, e.to));
                        state[e.to] = State::Open;
                        stack.push((e.to, 0));
                    }
                }
            } else {
                state[v] = State::Done;
                stack.pop();
            }
        }
    }
    out
}

/// The layered graph: layers of slots (boxes first, then virtual nodes),
/// and for each edge its chain of slots from the upper end to the lower.
#[allow(clippy::type_complexity)]
fn virtual_graph(sizes: &[Size], edges: &[EdgeIn], ranks: &[usize]) -> (Vec<Vec<usize>>, Vec<Slot>, Vec<Vec<usize>>) {
    let depth = 2 * ranks.iter().copied().max().unwrap_or(0) + 1;
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); depth];
    let mut slots: Vec<Slot> = sizes.iter().map(|&(w, h)| Slot { width: w, height: h, edge: None }).collect();
    for (v, &r) in ranks.iter().enumerate() {
        layers[2 * r].push(v);
    }
    let mut chains = Vec::with_capacity(edges.len());
    for (i, e) in edges.iter().enumerate() {
        if e.from == e.to {
            chains.push(vec![e.from]);
            continue;
        }
        let (top, bottom) = if ranks[e.from] <= ranks[e.to] { (e.from, e.to) } else { (e.to, e.from) };
        let (a, b) = (2 * ranks[top], 2 * ranks[bottom]);
        let mut chain = vec![top];
        for (l, layer) in layers.iter_mut().enumerate().take(b).skip(a + 1) {
            // The label rides on the first band the edge crosses.
            let (width, height) = if l == a + 1 && e.label.0 > 0.0 { e.label } else { (VIRTUAL_WIDTH, 0.0) };
            slots.push(Slot { width, height, edge: Some(i) });
            layer.push(slots.len() - 1);
            chain.push(slots.len() - 1);
        }
        chain.push(bottom);
        chains.push(chain);
    }
    (layers, slots, chains)
}

/// Each consecutive pair of a chain: a link between adjacent layers.
fn links(chains: &[Vec<usize>]) -> Vec<(usize, usize)> {
    chains.iter().flat_map(|c| c.windows(2).map(|w| (w[0], w[1]))).collect()
}

/// Layers ordered by a depth-first walk from the top layer's nodes.
fn initial_order(layers: &[Vec<usize>], links: &[(usize, usize)], slots: usize) -> Vec<Vec<usize>> {
    let mut seen = vec![false; slots];
    let mut visit = Vec::with_capacity(slots);
    let mut starts: Vec<usize> = layers.iter().flatten().copied().collect();
    starts.sort_by_key(|&v| (layers.iter().position(|l| l.contains(&v)), v));
    for s in starts {
        let mut stack = vec![s];
        while let Some(v) = stack.pop() {
            if seen[v] {
                continue;
            }
            seen[v] = true;
            visit.push(v);
            let mut next: Vec<usize> = links.iter().filter(|l| l.0 == v).map(|l| l.1).collect();
            next.reverse();
            stack.extend(next);
        }
    }
    let rank_of = |v: usize| visit.iter().position(|&x| x == v).unwrap_or(usize::MAX);
    layers
        .iter()
        .map(|l| {
            let mut l = l.clone();
            l.sort_by_key(|&v| rank_of(v));
            l
        })
        .collect()
}

/// Crossings between layer `l` and `l + 1`.
fn count_between(upper: &[usize], lower: &[usize], links: &[(usize, usize)]) -> usize {
    let pos = |layer: &[usize], v: usize| layer.iter().position(|&x| x == v);
    let pairs: Vec<(usize, usize)> =
        links.iter().filter_map(|&(a, b)| Some((pos(upper, a)?, pos(lower, b)?))).collect();
    let mut count = 0;
    for i in 0..pairs.len() {
        for j in i + 1..pairs.len() {
            let (a, b) = (pairs[i], pairs[j]);
            if (a.0 < b.0 && a.1 > b.1) || (a.0 > b.0 && a.1 < b.1) {
                count += 1;
            }
        }
    }
    count
}

/// Crossings of the whole order.
pub(crate) fn count_all(order: &[Vec<usize>], links: &[(usize, usize)]) -> usize {
    order.windows(2).map(|w| count_between(&w[0], &w[1], links)).sum()
}

/// Barycentre sweeps, then swaps of neighbours, keeping the best order.
fn minimise_crossings(order: Vec<Vec<usize>>, links: &[(usize, usize)]) -> Vec<Vec<usize>> {
    let mut best = order.clone();
    let mut best_count = count_all(&best, links);
    let mut current = order;
    for sweep in 0..SWEEPS {
        if best_count == 0 {
            break;
        }
        let down = sweep % 2 == 0;
        let layers: Vec<usize> =
            if down { (1..current.len()).collect() } else { (0..current.len() - 1).rev().collect() };
        for l in layers {
            let fixed = if down { l - 1 } else { l + 1 };
            let neighbours = |v: usize| -> Vec<usize> {
                links
                    .iter()
                    .filter_map(|&(a, b)| {
                        let other = if a == v {
                            b
                        } else if b == v {
                            a
                        } else {
                            return None;
                        };
                        current[fixed].iter().position(|&x| x == other)
                    })
                    .collect()
            };
            let mut keyed: Vec<(f64, usize, usize)> = current[l]
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let ns = neighbours(v);
                    let key = if ns.is_empty() { i as f64 } else { ns.iter().sum::<usize>() as f64 / ns.len() as f64 };
                    (key, i, v)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            current[l] = keyed.into_iter().map(|k| k.2).collect();
        }
        let count = count_all(&current, links);
        if count < best_count {
            best = current.clone();
            best_count = count;
        }
    }
    // Swap neighbours while that removes crossings.
    let mut improved = best_count > 0;
    while improved {
        improved = false;
        for l in 0..best.len() {
            for i in 0..best[l].len().saturating_sub(1) {
                let before = local(&best, l, links);
                best[l].swap(i, i + 1);
                if local(&best, l, links) < before {
                    improved = true;
                } else {
                    best[l].swap(i, i + 1);
                }
            }
        }
    }
    best
}

/// Crossings on both sides of layer `l`.
fn local(order: &[Vec<usize>], l: usize, links: &[(usize, usize)]) -> usize {
    let above = if l > 0 { count_between(&order[l - 1], &order[l], links) } else { 0 };
    let below = if l + 1 < order.len() { count_between(&order[l], &order[l + 1], links) } else { 0 };
    above + below
}

/// x of every slot: in each layer, as near the mean of its neighbours as
/// the order and gaps allow.
fn coordinates(order: &[Vec<usize>], slots: &[Slot], links: &[(usize, usize)]) -> Vec<f64> {
    let gap = |a: usize, b: usize| -> f64 {
        let g = if slots[a].edge.is_none() && slots[b].edge.is_none() { BOX_GAP } else { VIRTUAL_GAP };
        (slots[a].width + slots[b].width) / 2.0 + g
    };
    let mut x = vec![0.0; slots.len()];
    // Start packed, each layer centred on 0.
    for layer in order {
        let mut at = 0.0;
        for (i, &v) in layer.iter().enumerate() {
            if i > 0 {
                at += gap(layer[i - 1], v);
            }
            x[v] = at;
        }
        for &v in layer {
            x[v] -= at / 2.0;
        }
    }
    let weight = |v: usize| if slots[v].edge.is_some() { 4.0 } else { 1.0 };
    for round in 0..16 {
        let down = round % 2 == 0;
        let layers: Vec<usize> = if down { (1..order.len()).collect() } else { (0..order.len() - 1).rev().collect() };
        for l in layers {
            let fixed = if down { l - 1 } else { l + 1 };
            let layer = &order[l];
            let wanted: Vec<f64> = layer
                .iter()
                .map(|&v| {
                    let ns: Vec<f64> = links
                        .iter()
                        .filter_map(|&(a, b)| {
                            let other = if a == v {
                                b
                            } else if b == v {
                                a
                            } else {
                                return None;
                            };
                            order[fixed].contains(&other).then(|| x[other])
                        })
                        .collect();
                    if ns.is_empty() { x[v] } else { ns.iter().sum::<f64>() / ns.len() as f64 }
                })
                .collect();
            let offsets: Vec<f64> = std::iter::once(0.0)
                .chain(layer.windows(2).map(|w| gap(w[0], w[1])))
                .scan(0.0, |acc, g| {
                    *acc += g;
                    Some(*acc)
                })
                .collect();
            let target: Vec<f64> = wanted.iter().zip(&offsets).map(|(w, o)| w - o).collect();
            let weights: Vec<f64> = layer.iter().map(|&v| weight(v)).collect();
            let fitted = isotonic(&target, &weights);
            for ((&v, y), o) in layer.iter().zip(fitted).zip(&offsets) {
                x[v] = y + o;
            }
        }
    }
    x
}

/// The non-decreasing sequence nearest `y` in weighted least squares (pool
/// adjacent violators).
fn isotonic(y: &[f64], w: &[f64]) -> Vec<f64> {
    // Blocks of (mean, weight, count).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(y.len());
    for (&v, &wt) in y.iter().zip(w) {
        blocks.push((v, wt, 1));
        while blocks.len() > 1 && blocks[blocks.len() - 2].0 > blocks[blocks.len() - 1].0 {
            let (m2, w2, c2) = blocks.pop().expect("two blocks");
            let (m1, w1, c1) = blocks.pop().expect("two blocks");
            blocks.push(((m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2));
        }
    }
    blocks.into_iter().flat_map(|(m, _, c)| std::iter::repeat_n(m, c)).collect()
}

/// The y of each layer's centre line, and the total height.
fn rows(order: &[Vec<usize>], slots: &[Slot]) -> (Vec<f64>, f64) {
    let mut ys = Vec::with_capacity(order.len());
    let mut at = 0.0;
    for (l, layer) in order.iter().enumerate() {
        let tallest = layer.iter().map(|&v| slots[v].height).fold(0.0, f64::max);
        let h = if l % 2 == 1 && tallest == 0.0 { EMPTY_BAND } else { tallest };
        ys.push(at + h / 2.0);
        at += h + LAYER_GAP;
    }
    (ys, (at - LAYER_GAP).max(0.0))
}

/// The points of edge `i`: leaving its upper node's bottom and entering its
/// lower node's top, spread along the border by where they go, through its
/// virtual nodes; reversed when the edge points up.
fn route(e: &EdgeIn, chain: &[usize], centres: &[(f64, f64)], sizes: &[Size]) -> Route {
    if e.from == e.to {
        let (cx, cy) = centres[e.from];
        let (w, h) = sizes[e.from];
        let right = cx + w / 2.0;
        let points = vec![
            (right, cy - h / 4.0),
            (right + LOOP_WIDTH, cy - h / 4.0),
            (right + LOOP_WIDTH, cy + h / 4.0),
            (right, cy + h / 4.0),
        ];
        let label = (e.label.0 > 0.0).then(|| (right + LOOP_WIDTH + 4.0 + e.label.0 / 2.0, cy));
        return Route { points, label };
    }
    let (top, bottom) = (chain[0], chain[chain.len() - 1]);
    let mut points = vec![(centres[top].0, centres[top].1 + sizes[top].1 / 2.0)];
    for &v in &chain[1..chain.len() - 1] {
        points.push(centres[v]);
    }
    points.push((centres[bottom].0, centres[bottom].1 - sizes[bottom].1 / 2.0));
    let label = (e.label.0 > 0.0 && chain.len() > 2).then(|| centres[chain[1]]);
    if e.from != top {
        points.reverse();
    }
    Route { points, label }
}

/// Spreads the ends of edges that meet at the same side of a node, so they
/// do not all start from one point: ordered by where their next point lies.
pub(crate) fn spread_ports(layout: &mut Layout, edges: &[EdgeIn], sizes: &[Size]) {
    for (v, size) in sizes.iter().enumerate() {
        for side in [true, false] {
            // (edge, which end) of the edges leaving v's bottom (side) or entering its top.
            let mut ends: Vec<(usize, bool, f64)> = Vec::new();
            for (i, (e, r)) in edges.iter().zip(&layout.routes).enumerate() {
                if e.from == e.to || r.points.len() < 2 {
                    continue;
                }
                let n = r.points.len();
                for (first, end, next) in [(true, r.points[0], r.points[1]), (false, r.points[n - 1], r.points[n - 2])]
                {
                    let node = if first { e.from } else { e.to };
                    let below = next.1 > end.1;
                    if node == v && below == side {
                        ends.push((i, first, next.0));
                    }
                }
            }
            if ends.len() < 2 {
                continue;
            }
            ends.sort_by(|a, b| a.2.total_cmp(&b.2));
            let width = size.0 * 0.6;
            let step = (width / (ends.len() - 1) as f64).min(24.0);
            let cx = layout.centres[v].0;
            for (k, &(i, first, _)) in ends.iter().enumerate() {
                let x = cx + (k as f64 - (ends.len() - 1) as f64 / 2.0) * step;
                let points = &mut layout.routes[i].points;
                let at = if first { 0 } else { points.len() - 1 };
                points[at].0 = x;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(from: usize, to: usize) -> EdgeIn {
        EdgeIn { from, to, label: (0.0, 0.0) }
    }

    #[test]
    fn a_chain_reads_top_down() {
        let l = layout(&[(50.0, 20.0); 3], &[edge(0, 1), edge(1, 2)]);
        assert!(l.centres[0].1 < l.centres[1].1 && l.centres[1].1 < l.centres[2].1);
        assert_eq!(l.crossings, 0);
    }

    #[test]
    fn a_crossing_that_can_be_undone_is_undone() {
        // 0 -> 3 and 1 -> 2 cross in index order; swapping removes it.
        let l = layout(&[(50.0, 20.0); 4], &[edge(0, 3), edge(1, 2), edge(0, 2)]);
        assert_eq!(l.crossings, 0);
    }

    #[test]
    fn k33_keeps_its_unavoidable_crossings_counted() {
        // The complete bipartite graph K(3,3) drawn in two layers crosses 9 times at least.
        let edges: Vec<EdgeIn> = (0..3).flat_map(|a| (3..6).map(move |b| edge(a, b))).collect();
        let l = layout(&[(40.0, 20.0); 6], &edges);
        assert_eq!(l.crossings, 9);
    }

    #[test]
    fn a_cycle_is_broken_and_every_node_placed() {
        let l = layout(&[(40.0, 20.0); 3], &[edge(0, 1), edge(1, 2), edge(2, 1)]);
        assert!(l.centres[0].1 < l.centres[1].1);
        assert_eq!(l.routes.len(), 3);
        assert!(l.routes.iter().all(|r| r.points.len() >= 2));
    }

    #[test]
    fn boxes_of_a_layer_never_overlap() {
        let edges: Vec<EdgeIn> = (1..6).map(|b| EdgeIn { from: 0, to: b, label: (60.0, 14.0) }).collect();
        let l = layout(&[(80.0, 30.0); 6], &edges);
        let mut xs: Vec<f64> = (1..6).map(|v| l.centres[v].0).collect();
        xs.sort_by(f64::total_cmp);
        assert!(xs.windows(2).all(|w| w[1] - w[0] >= 80.0 + BOX_GAP - 1e-9), "{xs:?}");
    }

    #[test]
    fn isotonic_regression_pools_violators() {
        let fit = isotonic(&[1.0, 3.0, 2.0, 4.0], &[1.0; 4]);
        assert_eq!(fit, vec![1.0, 2.5, 2.5, 4.0]);
    }
}
