//! Drawing a placed diagram with plotters, at any scale, so the SVG (scale
//! 1, text as `<text>`) and the PNG (scale 2) come from one renderer with
//! the embedded font, as the charts do. Every length below is at scale 1.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::build::{Diagram, Edge, EdgeKind, Node, NodeKind, NodeLoad};
use super::layout::{EdgeIn, Layout, Size, layout, spread_ports};
use crate::charts::palette::{self, Dash, INK, MUTED, Rgb, tint};
use crate::charts::pixels::{colour, font, polyline, text_width};
use crate::format::format_duration;

const MARGIN: f64 = 24.0;
const HEADER: f64 = 62.0;
const NAME_SIZE: f64 = 15.0;
const LINE_SIZE: f64 = 12.5;
const LABEL_SIZE: f64 = 12.0;
const NAME_LINE: f64 = 20.0;
const TEXT_LINE: f64 = 16.0;
const PAD_X: f64 = 12.0;
const PAD_Y: f64 = 7.0;
/// Extra height of a cylinder's top and bottom ellipses.
const CAP: f64 = 7.0;
/// Room for a queue's slots on its right.
const SLOTS: f64 = 22.0;
const ARROW: f64 = 9.0;
const LEGEND_ROW: f64 = 24.0;
const BOTTLENECK: &str = "bottleneck";

/// Hot: the fill of a fully used node (Okabe–Ito vermillion).
const HOT: Rgb = (213, 94, 0);
/// Lines of edges no request takes, and of idle nodes.
const IDLE: Rgb = (175, 175, 175);
/// Fill of workloads.
const CLIENT: Rgb = (236, 240, 244);
/// Fill of pools.
const POOL: Rgb = (246, 241, 222);

/// The fill of a node used `u` (0 to 1): white to vermillion.
pub(crate) fn heat(u: f64) -> Rgb {
    let u = if u.is_finite() { u.clamp(0.0, 1.0) } else { 0.0 };
    tint(HOT, 1.0 - 0.8 * u)
}

/// A diagram with its placement, ready to draw.
pub(crate) struct Placed<'a> {
    pub diagram: &'a Diagram,
    pub layout: Layout,
    /// Each node's text lines (name first) and size.
    texts: Vec<Vec<String>>,
    sizes: Vec<Size>,
    /// Total size of the picture at scale 1.
    pub size: (u32, u32),
    /// Whether a run's load is shown.
    measured: bool,
}

/// The lines a node shows under its name: its own, then what a run measured.
fn node_lines(node: &Node) -> Vec<String> {
    let mut lines = node.lines.clone();
    if node.idle {
        lines.push("not reached".to_string());
    }
    if let Some(load) = &node.load {
        lines.extend(load_lines(node.kind, load));
    }
    lines
}

fn percent(x: f64) -> String {
    if x.is_finite() { format!("{:.0}%", x * 100.0) } else { "—".to_string() }
}

fn wait(x: Option<f64>) -> String {
    x.filter(|w| w.is_finite()).map_or("—".to_string(), format_duration)
}

/// " (p99 40 ms)" when the wait has a tail to show.
fn p99(load: &NodeLoad) -> String {
    match load.p99_wait_s.filter(|w| w.is_finite() && *w > 0.0) {
        Some(w) => format!(" (p99 {})", format_duration(w)),
        None => String::new(),
    }
}

fn load_lines(kind: NodeKind, load: &NodeLoad) -> Vec<String> {
    match kind {
        NodeKind::Pool => {
            vec![format!("in use {} · wait {}{}", percent(load.utilisation), wait(load.mean_wait_s), p99(load))]
        }
        NodeKind::Queue => vec![format!(
            "depth {} · wait {}",
            load.depth.filter(|d| d.is_finite()).map_or("—".to_string(), crate::format::sig3),
            wait(load.mean_wait_s)
        )],
        _ => {
            let threads = load.threads.map(|t| format!(" · threads {}", percent(t))).unwrap_or_default();
            let share = load.time_share.map(|s| format!(" · {} of time", percent(s))).unwrap_or_default();
            vec![
                format!("CPU {}{threads}", percent(load.utilisation)),
                format!("wait {}{}{share}", wait(load.mean_wait_s), p99(load)),
            ]
        }
    }
}

fn node_title(node: &Node) -> String {
    match node.kind {
        NodeKind::Balancer => "balancer".to_string(),
        NodeKind::Pool => format!("pool {}", node.name),
        NodeKind::Queue => format!("queue {}", node.name),
        _ => node.name.clone(),
    }
}

/// A node's text: its title, then its lines.
pub(crate) fn node_text(node: &Node) -> Vec<String> {
    std::iter::once(node_title(node)).chain(node_lines(node)).collect()
}

fn width_of(text: &str, size: f64, bold: bool) -> f64 {
    text_width(text, &font(size, bold, INK))
}

/// Places the diagram: measures every box and label with the embedded font, then lays it out.
pub(crate) fn place(diagram: &Diagram) -> Placed<'_> {
    let texts: Vec<Vec<String>> = diagram.nodes.iter().map(node_text).collect();
    let sizes: Vec<Size> = diagram
        .nodes
        .iter()
        .zip(&texts)
        .map(|(n, lines)| {
            let name_w = width_of(&lines[0], NAME_SIZE, true) + if n.service.is_some() { 16.0 } else { 0.0 };
            let text_w = lines[1..].iter().map(|l| width_of(l, LINE_SIZE, false)).fold(name_w, f64::max);
            let mut w = text_w + 2.0 * PAD_X;
            let mut h = NAME_LINE + TEXT_LINE * (lines.len() - 1) as f64 + 2.0 * PAD_Y;
            match n.kind {
                NodeKind::Database => h += 2.0 * CAP,
                NodeKind::Queue => w += SLOTS,
                NodeKind::Workload => w += 16.0,
                NodeKind::Balancer => w += 16.0,
                _ => {}
            }
            if n.load.as_ref().is_some_and(|l| l.bottleneck) {
                // Room for the tag on the name's right, the name kept centred.
                w = w.max(name_w + 2.0 * (width_of(BOTTLENECK, 11.0, true) + 20.0) + 2.0 * PAD_X);
            }
            (w.max(84.0).ceil(), h.ceil())
        })
        .collect();
    let edges: Vec<EdgeIn> = diagram
        .edges
        .iter()
        .map(|e| {
            let label = e.label();
            let size = if label.is_empty() { (0.0, 0.0) } else { (width_of(&label, LABEL_SIZE, false) + 8.0, 17.0) };
            EdgeIn { from: e.from, to: e.to, label: size }
        })
        .collect();
    let mut placed = layout(&sizes, &edges);
    spread_ports(&mut placed, &edges, &sizes);
    let measured = diagram.nodes.iter().any(|n| n.load.is_some());
    let legend_w = legend_width(measured);
    let title_w = width_of(&diagram.title, 20.0, true).max(width_of(&diagram.subtitle, 13.0, false));
    let width = (placed.size.0 + 2.0 * MARGIN).max(legend_w + 2.0 * MARGIN).max(title_w + 2.0 * MARGIN);
    let rows = if measured { 2.0 } else { 1.0 };
    let height = HEADER + placed.size.1 + 24.0 + rows * LEGEND_ROW + MARGIN;
    Placed { diagram, layout: placed, texts, sizes, size: (width.ceil() as u32, height.ceil() as u32), measured }
}

/// Draws the placed diagram filling `root`, every length times `s`.
pub(crate) fn render<DB: DrawingBackend>(p: &Placed, root: &DrawingArea<DB, Shift>, s: f64) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let d = p.diagram;
    let left = MARGIN.max((f64::from(p.size.0) - p.layout.size.0) / 2.0);
    let at = |(x, y): (f64, f64)| (((left + x) * s).round() as i32, ((HEADER + y) * s).round() as i32);
    let px = |v: f64| (v * s).round() as i32;

    root.draw(&Text::new(d.title.clone(), (px(MARGIN), px(14.0)), font(20.0 * s, true, INK).pos(top_left())))
        .map_err(err)?;
    if !d.subtitle.is_empty() {
        root.draw(&Text::new(d.subtitle.clone(), (px(MARGIN), px(40.0)), font(13.0 * s, false, MUTED).pos(top_left())))
            .map_err(err)?;
    }

    // Edges under the boxes, labels over the edges.
    for (e, r) in d.edges.iter().zip(&p.layout.routes) {
        draw_edge(root, e, &r.points, &at, s).map_err(err)?;
    }
    for (e, r) in d.edges.iter().zip(&p.layout.routes) {
        let label = e.label();
        if let (Some(c), false) = (r.label, label.is_empty()) {
            let (x, y) = at(c);
            let w = width_of(&label, LABEL_SIZE, false) + 6.0;
            let (hw, hh) = (px(w / 2.0), px(8.0));
            root.draw(&Rectangle::new([(x - hw, y - hh), (x + hw, y + hh)], WHITE.filled())).map_err(err)?;
            let c = if e.idle { IDLE } else { INK };
            root.draw(&Text::new(
                label,
                (x, y),
                font(LABEL_SIZE * s, false, c).pos(Pos::new(HPos::Center, VPos::Center)),
            ))
            .map_err(err)?;
        }
    }
    for (i, node) in d.nodes.iter().enumerate() {
        let (cx, cy) = p.layout.centres[i];
        let (w, h) = p.sizes[i];
        let (x0, y0) = at((cx - w / 2.0, cy - h / 2.0));
        let (x1, y1) = at((cx + w / 2.0, cy + h / 2.0));
        draw_node(root, node, &p.texts[i], [x0, y0, x1, y1], s).map_err(err)?;
    }
    let legend_top = HEADER + p.layout.size.1 + 24.0;
    draw_legend(root, p.measured, px(MARGIN), px(legend_top), s).map_err(err)
}

fn top_left() -> Pos {
    Pos::new(HPos::Left, VPos::Top)
}

/// A smooth curve through `points`: cubic pieces leaving and entering each
/// point vertically, sampled.
fn curve(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = vec![points[0]];
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        let dy = (b.1 - a.1) / 2.0;
        let (c1, c2) = ((a.0, a.1 + dy), (b.0, b.1 - dy));
        for k in 1..=16 {
            let t = f64::from(k) / 16.0;
            let u = 1.0 - t;
            let x = u * u * u * a.0 + 3.0 * u * u * t * c1.0 + 3.0 * u * t * t * c2.0 + t * t * t * b.0;
            let y = u * u * u * a.1 + 3.0 * u * u * t * c1.1 + 3.0 * u * t * t * c2.1 + t * t * t * b.1;
            out.push((x, y));
        }
    }
    out
}

fn draw_edge<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    e: &Edge,
    points: &[(f64, f64)],
    at: &impl Fn((f64, f64)) -> (i32, i32),
    s: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    if points.len() < 2 {
        return Ok(());
    }
    let c = if e.idle { IDLE } else { INK };
    let looped = e.from == e.to;
    let mut line = if looped { points.to_vec() } else { curve(points) };
    // The arrow's tip sits on the border; the line stops at its base.
    let tip = *line.last().expect("two points");
    let mut k = line.len() - 1;
    while k > 0 && dist(line[k - 1], tip) < ARROW {
        k -= 1;
    }
    let base_dir = unit(line[k.saturating_sub(0)], tip);
    let base = (tip.0 - base_dir.0 * ARROW, tip.1 - base_dir.1 * ARROW);
    line.truncate(k + 1);
    line.push(base);
    let pixels: Vec<(i32, i32)> = line.iter().map(|&p| at(p)).collect();
    let dash = if e.idle {
        Dash::Dotted
    } else if e.kind.asynchronous() {
        Dash::Dashed
    } else {
        Dash::Solid
    };
    let width = if matches!(e.kind, EdgeKind::Balance | EdgeKind::Enter) { 1.4 } else { 1.8 };
    polyline(root, &pixels, c, width * s, dash, s)?;
    // The head: filled, or hollow for a forward (the request is handed on).
    let side = (-base_dir.1, base_dir.0);
    let half = ARROW * 0.5;
    let head = vec![
        at(tip),
        at((base.0 + side.0 * half, base.1 + side.1 * half)),
        at((base.0 - side.0 * half, base.1 - side.1 * half)),
    ];
    if e.kind == EdgeKind::Forward {
        root.draw(&Polygon::new(head.clone(), WHITE.filled()))?;
        let mut outline = head.clone();
        outline.push(head[0]);
        root.draw(&PathElement::new(outline, colour(c).stroke_width((1.5 * s).round() as u32)))
    } else {
        root.draw(&Polygon::new(head, colour(c).filled()))
    }
}

fn dist(a: (f64, f64), b: (f64, f64)) -> f64 {
    ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt()
}

fn unit(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    let l = dist(a, b);
    if l == 0.0 { (0.0, 1.0) } else { ((b.0 - a.0) / l, (b.1 - a.1) / l) }
}

/// A rectangle's outline with corners rounded by `r` [px].
fn rounded(b: [i32; 4], r: f64) -> Vec<(i32, i32)> {
    let [x0, y0, x1, y1] = b.map(f64::from);
    let r = r.min((x1 - x0) / 2.0).min((y1 - y0) / 2.0);
    let corners = [(x1 - r, y0 + r, -90.0), (x1 - r, y1 - r, 0.0), (x0 + r, y1 - r, 90.0), (x0 + r, y0 + r, 180.0)];
    let mut out = Vec::new();
    for (cx, cy, start) in corners {
        for k in 0..=6 {
            let a = (start + 15.0 * f64::from(k)) * std::f64::consts::PI / 180.0;
            out.push(((cx + r * a.cos()).round() as i32, (cy + r * a.sin()).round() as i32));
        }
    }
    out
}

/// Half an ellipse (`lower`: the bottom half) between x0 and x1 around cy.
fn half_ellipse(x0: f64, x1: f64, cy: f64, ry: f64, lower: bool) -> Vec<(i32, i32)> {
    let (cx, rx) = ((x0 + x1) / 2.0, (x1 - x0) / 2.0);
    (0..=24)
        .map(|k| {
            let a = std::f64::consts::PI * f64::from(k) / 24.0;
            let y = if lower { cy + ry * a.sin() } else { cy - ry * a.sin() };
            ((cx + rx * a.cos()).round() as i32, y.round() as i32)
        })
        .collect()
}

fn outline<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    shape: &[(i32, i32)],
    fill: Rgb,
    stroke: Rgb,
    width: f64,
    dash: Dash,
    s: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    if dash == Dash::Solid {
        // A solid border as a filled ring (the shape, then the shape shrunk
        // by the border's width): clean corners, where strokes would notch.
        root.draw(&Polygon::new(shape.to_vec(), colour(stroke).filled()))?;
        return root.draw(&Polygon::new(shrink(shape, width * s), colour(fill).filled()));
    }
    root.draw(&Polygon::new(shape.to_vec(), colour(fill).filled()))?;
    let mut closed = shape.to_vec();
    closed.push(shape[0]);
    polyline(root, &closed, stroke, width * s, dash, s)
}

/// `shape` (convex, points in order) moved `by` pixels towards its centre, side by side.
fn shrink(shape: &[(i32, i32)], by: f64) -> Vec<(i32, i32)> {
    let n = shape.len() as f64;
    let (cx, cy) = shape.iter().fold((0.0, 0.0), |a, p| (a.0 + f64::from(p.0) / n, a.1 + f64::from(p.1) / n));
    let (x0, x1) = shape
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| (a.0.min(f64::from(p.0)), a.1.max(f64::from(p.0))));
    let (y0, y1) = shape
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| (a.0.min(f64::from(p.1)), a.1.max(f64::from(p.1))));
    // Scale about the centre so that each side moves in by `by`.
    let (kx, ky) = (1.0 - 2.0 * by / (x1 - x0).max(1.0), 1.0 - 2.0 * by / (y1 - y0).max(1.0));
    shape
        .iter()
        .map(|p| ((cx + (f64::from(p.0) - cx) * kx).round() as i32, (cy + (f64::from(p.1) - cy) * ky).round() as i32))
        .collect()
}

fn draw_node<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    node: &Node,
    lines: &[String],
    b: [i32; 4],
    s: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let [x0, y0, x1, y1] = b;
    let fill = match (&node.load, node.kind) {
        (_, NodeKind::Workload) => CLIENT,
        (Some(l), _) if l.utilisation.is_finite() => heat(l.utilisation),
        (_, NodeKind::Pool) => POOL,
        _ => (255, 255, 255),
    };
    let bottleneck = node.load.as_ref().is_some_and(|l| l.bottleneck);
    let (stroke, width, dash) = if node.idle {
        (IDLE, 1.5, Dash::Dashed)
    } else if bottleneck {
        (INK, 4.0, Dash::Solid)
    } else {
        (INK, 1.5, Dash::Solid)
    };
    let text_colour = if node.idle { MUTED } else { INK };
    let (fx0, fx1) = (f64::from(x0), f64::from(x1));
    let mut text_top = f64::from(y0) + PAD_Y * s;
    match node.kind {
        NodeKind::Database => {
            let cap = CAP * s;
            let (top, bottom) = (f64::from(y0) + cap, f64::from(y1) - cap);
            let mut body = half_ellipse(fx0, fx1, top, cap, false);
            body.reverse();
            body.extend(half_ellipse(fx0, fx1, bottom, cap, true));
            outline(root, &body, fill, stroke, width, dash, s)?;
            let mut lid = half_ellipse(fx0, fx1, top, cap, true);
            lid.reverse();
            polyline(root, &lid, stroke, width * s, dash, s)?;
            text_top += 2.0 * cap;
        }
        NodeKind::Workload => {
            let r = f64::from(y1 - y0) / 2.0;
            outline(root, &rounded(b, r), fill, stroke, width, dash, s)?;
        }
        NodeKind::Balancer => {
            let k = (8.0 * s).round() as i32;
            let cy = (y0 + y1) / 2;
            let shape = vec![(x0 + k, y0), (x1 - k, y0), (x1, cy), (x1 - k, y1), (x0 + k, y1), (x0, cy)];
            outline(root, &shape, fill, stroke, width, dash, s)?;
        }
        NodeKind::Queue => {
            outline(root, &rounded(b, 3.0 * s), fill, stroke, width, dash, s)?;
            // Message slots on the right.
            for k in 0..3 {
                let x = x1 - ((6.0 + 5.0 * f64::from(k)) * s).round() as i32;
                let inset = (5.0 * s).round() as i32;
                polyline(root, &[(x, y0 + inset), (x, y1 - inset)], stroke, 1.2 * s, Dash::Solid, s)?;
            }
        }
        NodeKind::Cache => {
            outline(root, &rounded(b, 8.0 * s), fill, stroke, width, dash, s)?;
            let k = (3.5 * s).round() as i32;
            let inner = rounded([x0 + k, y0 + k, x1 - k, y1 - k], 5.0 * s);
            let mut closed = inner.clone();
            closed.push(inner[0]);
            polyline(root, &closed, stroke, s, dash, s)?;
        }
        NodeKind::Pool => {
            outline(root, &rounded(b, 3.0 * s), fill, stroke, width, Dash::Dashed, s)?;
        }
        NodeKind::Service => outline(root, &rounded(b, 6.0 * s), fill, stroke, width, dash, s)?,
    }
    // The name, with the service's colour from the charts before it.
    let text_cx = if node.kind == NodeKind::Queue { (fx0 + fx1 - SLOTS * s) / 2.0 } else { (fx0 + fx1) / 2.0 };
    let name_w = width_of(&lines[0], NAME_SIZE, true) * s;
    let swatch = node.service.filter(|_| node.kind != NodeKind::Balancer);
    let name_x = if swatch.is_some() { text_cx + 8.0 * s } else { text_cx };
    let name_y = text_top + NAME_LINE * s / 2.0;
    if let Some(i) = swatch {
        let sx = (name_x - name_w / 2.0 - 16.0 * s).round() as i32;
        let half = (5.0 * s).round() as i32;
        let sy = name_y.round() as i32;
        let c = if node.idle { IDLE } else { palette::service(i) };
        root.draw(&Rectangle::new([(sx, sy - half), (sx + 2 * half, sy + half)], colour(c).filled()))?;
    }
    let centre = Pos::new(HPos::Center, VPos::Center);
    root.draw(&Text::new(
        lines[0].clone(),
        (name_x.round() as i32, name_y.round() as i32),
        font(NAME_SIZE * s, true, text_colour).pos(centre),
    ))?;
    for (k, line) in lines[1..].iter().enumerate() {
        let y = text_top + (NAME_LINE + TEXT_LINE * (k as f64 + 0.5)) * s;
        root.draw(&Text::new(
            line.clone(),
            (text_cx.round() as i32, y.round() as i32),
            font(LINE_SIZE * s, false, text_colour).pos(centre),
        ))?;
    }
    if bottleneck {
        let label = BOTTLENECK;
        let w = (width_of(label, 11.0, true) + 10.0) * s;
        let (tx1, ty) = (f64::from(x1) - 8.0 * s, name_y);
        let tag = [
            (tx1 - w).round() as i32,
            (ty - 9.0 * s).round() as i32,
            tx1.round() as i32,
            (ty + 9.0 * s).round() as i32,
        ];
        root.draw(&Polygon::new(rounded(tag, 4.0 * s), colour(INK).filled()))?;
        root.draw(&Text::new(
            label,
            (((tag[0] + tag[2]) / 2), (tag[1] + tag[3]) / 2),
            font(11.0 * s, true, (255, 255, 255)).pos(centre),
        ))?;
    }
    Ok(())
}

/// The legend's entries: line samples, then (after a run) the colour scale.
fn legend_width(measured: bool) -> f64 {
    let first = LEGEND_LINES.iter().map(|(t, _)| 52.0 + width_of(t, 12.0, false) + 24.0).sum::<f64>();
    if measured { first.max(120.0 + 150.0 + width_of(SCALE_NOTE, 12.0, false)) } else { first }
}

const LEGEND_LINES: [(&str, EdgeKind); 3] = [
    ("call (×: visits per request)", EdgeKind::Call),
    ("forward (hands the request on)", EdgeKind::Forward),
    ("publish, consume (asynchronous)", EdgeKind::Publish),
];
const SCALE_NOTE: &str = "CPU utilisation (pools: connections in use); thick border: the bottleneck";

fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    measured: bool,
    x: i32,
    y: i32,
    s: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let px = |v: f64| (v * s).round() as i32;
    let mut at = x;
    let mid = y + px(LEGEND_ROW / 2.0);
    for (text, kind) in LEGEND_LINES {
        let e = Edge {
            from: 0,
            to: 1,
            kind,
            op: String::new(),
            visits: 1.0,
            per_s: None,
            upper_bound: false,
            polls_only: false,
            idle: false,
            classes: Vec::new(),
        };
        let x0 = f64::from(at) / s;
        let unscaled = |(a, b): (f64, f64)| ((a * s).round() as i32, (b * s).round() as i32);
        let y0 = f64::from(mid) / s;
        draw_edge(root, &e, &[(x0, y0), (x0 + 44.0, y0)], &unscaled, s)?;
        root.draw(&Text::new(
            text,
            (at + px(52.0), mid),
            font(12.0 * s, false, INK).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        at += px(52.0 + width_of(text, 12.0, false) + 24.0);
    }
    if measured {
        let mid = mid + px(LEGEND_ROW);
        let label_w = px(width_of("0%", 12.0, false) + 6.0);
        root.draw(&Text::new("0%", (x, mid), font(12.0 * s, false, INK).pos(Pos::new(HPos::Left, VPos::Center))))?;
        let bar_x = x + label_w;
        let steps = 50;
        let bar_w = px(150.0);
        for k in 0..steps {
            let a = bar_x + bar_w * k / steps;
            let b = bar_x + bar_w * (k + 1) / steps;
            let c = heat((f64::from(k) + 0.5) / f64::from(steps));
            root.draw(&Rectangle::new([(a, mid - px(7.0)), (b, mid + px(7.0))], colour(c).filled()))?;
        }
        root.draw(&Rectangle::new(
            [(bar_x, mid - px(7.0)), (bar_x + bar_w, mid + px(7.0))],
            colour(INK).stroke_width(1),
        ))?;
        let after = bar_x + bar_w + px(6.0);
        root.draw(&Text::new(
            "100%",
            (after, mid),
            font(12.0 * s, false, INK).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        let note_x = after + px(width_of("100%", 12.0, false) + 14.0);
        root.draw(&Text::new(
            SCALE_NOTE,
            (note_x, mid),
            font(12.0 * s, false, MUTED).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(())
}
