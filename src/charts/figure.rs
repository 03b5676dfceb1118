//! A chart as data ([`Figure`]: axes, marks, legend) and the one renderer
//! that draws it on any plotters backend at any scale.
//!
//! Chart builders only decide *what* to show; layout, fonts and label
//! placement live here (the legend in [`super::legend`], pixel drawing in
//! [`super::pixels`]), so every chart looks the same. Plotters draws the
//! axes, ticks and grid; marks are drawn in pixels (mapped through the
//! chart's coordinates) so PNG and SVG come out identical.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{Axis, Resolved, Scale};
use super::legend::{self, LegendEntry, Place};
use super::palette::{Dash, Face, GRID, INK, MUTED, Marker, Rgb};
use super::pixels::{colour, draw_marker, fit, font, hatch, polyline, runs, text_box};

/// Width and height of a chart at scale 1 [px], unless a legend under the
/// plot makes it taller; the PNG is drawn at scale 2.
pub(crate) const BASE: (u32, u32) = (800, 500);

/// The size of `fig` at scale 1 [px]: [`BASE`], taller by a legend under the plot.
pub(crate) fn size(fig: &Figure) -> (u32, u32) {
    match legend::place(fig, header_height(fig)) {
        Place::Below { height, .. } => (BASE.0, BASE.1 + height.ceil() as u32),
        Place::None | Place::Right => BASE,
    }
}

/// The height of the title and subtitle [px at scale 1].
fn header_height(fig: &Figure) -> f64 {
    if fig.subtitle.is_empty() { 48.0 } else { 70.0 }
}

/// A linear plotting coordinate with the ticks chosen in [`super::axis`].
struct Ticked {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ticked {
    fn new(r: &Resolved) -> Ticked {
        Ticked { lo: r.lo, hi: r.hi, ticks: r.ticks.clone() }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let t = if self.hi > self.lo { (value - self.lo) / (self.hi - self.lo) } else { 0.5 };
        limit.0 + (f64::from(limit.1 - limit.0) * t).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Light (minor) grid lines are not drawn.
        if hint.weight().allow_light_points() { Vec::new() } else { self.ticks.clone() }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// Something drawn in data coordinates.
#[derive(Debug, Clone)]
pub(crate) enum Mark {
    /// A polyline; points that cannot be shown split it.
    Line { points: Vec<(f64, f64)>, colour: Rgb, width: f64, dash: Dash, marker: Option<Marker> },
    /// A shaded band between `lower` and `upper` (both ordered along x).
    Band { lower: Vec<(f64, f64)>, upper: Vec<(f64, f64)>, colour: Rgb },
    /// One marker.
    Point { at: (f64, f64), colour: Rgb, marker: Marker, size: f64, face: Face },
    /// A reference line across the plot at `at` on the y axis (`horizontal`) or
    /// x axis, with an optional label (at the left end, or at the top left
    /// of a vertical line, `label_row` lines down so labels do not collide).
    Rule { horizontal: bool, at: f64, colour: Rgb, dash: Dash, width: f64, label: Option<String>, label_row: u8 },
    /// A filled rectangle, `hatched` with white lines to flag it.
    Rect { x: (f64, f64), y: (f64, f64), fill: Rgb, outline: Option<Rgb>, hatched: bool },
    /// A vertical interval with caps.
    ErrorBar { x: f64, y: (f64, f64), colour: Rgb },
    /// Nothing drawn: keeps room in the axis ranges (e.g. for a label).
    Reserve { at: (f64, f64) },
    /// Text at a data point, shifted by `offset` [px at scale 1]. A
    /// `flexible` label may be mirrored to another corner of its point, or
    /// left out, so it covers no other label or point.
    Label { at: (f64, f64), text: String, colour: Rgb, anchor: Anchor, offset: (f64, f64), bold: bool, flexible: bool },
}

/// Where a label's position is on its text.
#[derive(Clone, Copy)]
pub(crate) struct Anchor(pub HPos, pub VPos);

impl std::fmt::Debug for Anchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Anchor")
    }
}

/// A chart, independent of file format.
#[derive(Debug, Clone)]
pub(crate) struct Figure {
    /// Title drawn on the chart.
    pub title: String,
    /// One line under the title: what is shown (class, load, what bands mean).
    pub subtitle: String,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// What is drawn, in order (later on top).
    pub marks: Vec<Mark>,
    /// Legend rows, drawn beside the plot so they never hide data.
    pub legend: Vec<LegendEntry>,
    /// The legend goes under the plot, the image growing to fit (charts
    /// with more than [`legend::MANY_SERIES`] series); a right-hand legend too tall
    /// for the image goes there too.
    pub legend_below: bool,
}

impl Figure {
    /// Coordinates of everything drawn along each axis, for the ranges.
    fn extents(&self) -> (Vec<f64>, Vec<f64>) {
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        let mut add = |x: f64, y: f64| {
            xs.extend(self.x.coord(x));
            ys.extend(self.y.coord(y));
        };
        for mark in &self.marks {
            match mark {
                Mark::Line { points, .. } => points.iter().for_each(|&(x, y)| add(x, y)),
                Mark::Band { lower, upper, .. } => lower.iter().chain(upper).for_each(|&(x, y)| add(x, y)),
                Mark::Point { at, .. } | Mark::Reserve { at } => add(at.0, at.1),
                Mark::Rect { x, y, .. } => {
                    add(x.0, y.0);
                    add(x.1, y.1);
                }
                Mark::ErrorBar { x, y, .. } => {
                    add(*x, y.0);
                    add(*x, y.1);
                }
                Mark::Rule { .. } | Mark::Label { .. } => {}
            }
        }
        for mark in &self.marks {
            if let Mark::Rule { horizontal, at, .. } = mark {
                if *horizontal {
                    ys.extend(self.y.coord(*at));
                } else {
                    xs.extend(self.x.coord(*at));
                }
            }
        }
        (xs, ys)
    }

    /// Whether anything at all can be drawn.
    pub(crate) fn has_data(&self) -> bool {
        let (xs, ys) = self.extents();
        !xs.is_empty() && !ys.is_empty()
    }
}

/// Draws `fig` filling `root`, with every length multiplied by `s`.
pub(crate) fn render<DB: DrawingBackend>(fig: &Figure, root: &DrawingArea<DB, Shift>, s: f64) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let px = |v: f64| (v * s).round() as i32;
    root.fill(&WHITE).map_err(err)?;
    let w = f64::from(root.dim_in_pixel().0);

    // Header: title and subtitle.
    let title_font = font(24.0 * s, true, INK);
    let sub_font = font(15.0 * s, false, MUTED);
    let title = fit(root, &fig.title, &title_font, w - 32.0 * s);
    root.draw(&Text::new(title, (px(16.0), px(12.0)), title_font.pos(Pos::new(HPos::Left, VPos::Top)))).map_err(err)?;
    if !fig.subtitle.is_empty() {
        let subtitle = fit(root, &fig.subtitle, &sub_font, w - 32.0 * s);
        root.draw(&Text::new(subtitle, (px(16.0), px(44.0)), sub_font.pos(Pos::new(HPos::Left, VPos::Top))))
            .map_err(err)?;
    }
    let header = header_height(fig);

    // The legend: a column on the right, or rows under the plot.
    let place = legend::place(fig, header);
    let legend_w = if place == Place::Right { legend::right_width(fig, root, s) } else { 0.0 };

    let (xs, ys) = fig.extents();
    let xr = fig.x.resolve(&xs);
    let yr = fig.y.resolve(&ys);

    // Room for the tick labels and axis titles.
    let tick_font = font(15.0 * s, false, INK);
    let text_w = |t: &str| root.estimate_text_size(t, &tick_font).map(|(w, _)| f64::from(w)).unwrap_or(0.0);
    let y_tick_w = yr.labels.iter().map(|l| text_w(l)).fold(0.0, f64::max);
    let y_label_area = y_tick_w + 44.0 * s;
    let x_label_area = 58.0 * s;

    let plot_w = w - legend_w;
    let chart_area = root.margin(px(header), 0, 0, 0);
    let (chart_area, legend_area) = match place {
        Place::Below { .. } => chart_area.split_vertically(px(f64::from(BASE.1) - header)),
        Place::None | Place::Right => chart_area.split_horizontally(plot_w.round() as i32),
    };
    let areas = (&chart_area, &legend_area, place);

    // Category labels longer than their slot are shortened.
    let mut xr = xr;
    if let Scale::Categories(names) = &fig.x.scale {
        let slot = (plot_w - y_label_area - 24.0 * s) / names.len().max(1) as f64 - 8.0 * s;
        xr.labels = names.iter().map(|n| fit(root, n, &tick_font, slot)).collect();
    }
    let mut yr = yr;
    if let Scale::Categories(names) = &fig.y.scale {
        // Room for "design, axis=value (saturated)"; longer names are shortened.
        yr.labels = names.iter().map(|n| fit(root, n, &tick_font, 280.0 * s)).collect();
        let widest = yr.labels.iter().map(|l| text_w(l)).fold(0.0, f64::max);
        return draw_chart(fig, root, areas, (&xr, &yr), (widest + 20.0 * s, x_label_area), s);
    }
    draw_chart(fig, root, areas, (&xr, &yr), (y_label_area, x_label_area), s)
}

/// Axes, marks and legend.
fn draw_chart<DB: DrawingBackend>(
    fig: &Figure,
    root: &DrawingArea<DB, Shift>,
    (chart_area, legend_area, place): (&DrawingArea<DB, Shift>, &DrawingArea<DB, Shift>, Place),
    (xr, yr): (&Resolved, &Resolved),
    (y_label_area, x_label_area): (f64, f64),
    s: f64,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let px = |v: f64| (v * s).round() as i32;
    let y_categories = matches!(fig.y.scale, Scale::Categories(_));
    let x_categories = matches!(fig.x.scale, Scale::Categories(_));

    let mut chart = ChartBuilder::on(chart_area)
        .margin_top(px(10.0))
        .margin_right(px(24.0))
        .margin_left(px(8.0))
        .margin_bottom(px(6.0))
        .x_label_area_size(x_label_area.round() as i32)
        .y_label_area_size(y_label_area.round() as i32)
        .build_cartesian_2d(Ticked::new(xr), Ticked::new(yr))
        .map_err(err)?;

    let x_fmt = |c: &f64| xr.label(*c);
    let y_fmt = |c: &f64| yr.label(*c);
    let mut mesh = chart.configure_mesh();
    mesh.bold_line_style(colour(GRID).stroke_width(px(1.0).max(1) as u32))
        .light_line_style(TRANSPARENT)
        .axis_style(colour(MUTED).stroke_width(px(1.0).max(1) as u32))
        .label_style(font(15.0 * s, false, INK))
        .axis_desc_style(font(16.0 * s, false, INK))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .set_all_tick_mark_size(px(5.0))
        .x_label_offset(0)
        .x_desc(xr.title.clone());
    if !y_categories {
        mesh.y_desc(yr.title.clone());
    }
    if x_categories {
        mesh.disable_x_mesh();
    }
    if y_categories {
        mesh.disable_y_mesh();
    }
    mesh.draw().map_err(err)?;

    // Marks, in pixels.
    let map = |x: f64, y: f64| -> Option<(i32, i32)> {
        let (cx, cy) = (fig.x.coord(x)?, fig.y.coord(y)?);
        Some(chart.backend_coord(&(cx, cy)))
    };
    let (plot_x, plot_y) = chart.plotting_area().get_pixel_range();
    // Lines and areas first, then line markers (hollow, so coinciding
    // designs stay visible), then points and text on top.
    let mut line_markers = Vec::new();
    let rule_labels = std::cell::RefCell::new(Vec::new());
    let (front, back): (Vec<&Mark>, Vec<&Mark>) =
        fig.marks.iter().partition(|m| matches!(m, Mark::Point { .. } | Mark::Label { .. }));
    let draw_mark = |mark: &Mark, line_markers: &mut Vec<((i32, i32), Marker, Rgb)>| -> Result<(), String> {
        match mark {
            Mark::Line { points, colour: c, width, dash, marker } => {
                for run in runs(points.iter().map(|&(x, y)| map(x, y))) {
                    polyline(root, &run, *c, *width * s, *dash, s).map_err(err)?;
                }
                if let Some(m) = marker {
                    // Markers closer than about their size to the last one are
                    // left out (dense percentile curves); the line shows the rest.
                    let mut last: Option<(i32, i32)> = None;
                    for p in points.iter().filter_map(|&(x, y)| map(x, y)) {
                        let far =
                            last.is_none_or(|q| f64::from((p.0 - q.0).pow(2) + (p.1 - q.1).pow(2)).sqrt() > 24.0 * s);
                        if far {
                            line_markers.push((p, *m, *c));
                            last = Some(p);
                        }
                    }
                }
            }
            Mark::Band { lower, upper, colour: c } => {
                let pairs: Vec<Option<[(i32, i32); 2]>> =
                    lower.iter().zip(upper).map(|(&(x0, y0), &(x1, y1))| Some([map(x0, y0)?, map(x1, y1)?])).collect();
                for run in runs(pairs.into_iter()) {
                    if run.len() < 2 {
                        continue;
                    }
                    let mut poly: Vec<(i32, i32)> = run.iter().map(|p| p[1]).collect();
                    poly.extend(run.iter().rev().map(|p| p[0]));
                    root.draw(&Polygon::new(poly, colour(*c).mix(0.18).filled())).map_err(err)?;
                }
            }
            Mark::Point { at, colour: c, marker, size, face } => {
                if let Some(p) = map(at.0, at.1) {
                    draw_marker(root, p, *marker, size * s, *c, *face, s).map_err(err)?;
                }
            }
            Mark::Rule { horizontal, at, colour: c, dash, width, label, label_row } => {
                let line = if *horizontal {
                    fig.y.coord(*at).map(|cy| {
                        let y = chart.backend_coord(&(xr.lo, cy)).1;
                        [(plot_x.start, y), (plot_x.end, y)]
                    })
                } else {
                    fig.x.coord(*at).map(|cx| {
                        let x = chart.backend_coord(&(cx, yr.lo)).0;
                        [(x, plot_y.start), (x, plot_y.end)]
                    })
                };
                if let Some(line) = line {
                    polyline(root, &line, *c, width * s, *dash, s).map_err(err)?;
                    if let Some(text) = label {
                        let row = px(22.0 * f64::from(*label_row));
                        let (pos, anchor) = if *horizontal {
                            ((line[0].0 + px(8.0), line[0].1 - px(5.0) - row), Pos::new(HPos::Left, VPos::Bottom))
                        } else {
                            ((line[0].0 - px(6.0), line[0].1 + px(4.0) + row), Pos::new(HPos::Right, VPos::Top))
                        };
                        rule_labels.borrow_mut().push((text.clone(), pos, anchor, *c, !*horizontal));
                    }
                }
            }
            Mark::Rect { x, y, fill, outline, hatched } => {
                if let (Some(a), Some(b)) = (map(x.0, y.0), map(x.1, y.1)) {
                    root.draw(&Rectangle::new([a, b], colour(*fill).filled())).map_err(err)?;
                    if *hatched {
                        hatch(root, a, b, (255, 255, 255), 7.0 * s, s).map_err(err)?;
                    }
                    if let Some(o) = outline {
                        root.draw(&Rectangle::new([a, b], colour(*o).stroke_width(px(2.0) as u32))).map_err(err)?;
                    }
                }
            }
            Mark::ErrorBar { x, y, colour: c } => {
                if let (Some(a), Some(b)) = (map(*x, y.0), map(*x, y.1)) {
                    let style = colour(*c).stroke_width(px(1.5).max(1) as u32);
                    let cap = px(5.0);
                    root.draw(&PathElement::new(vec![a, b], style)).map_err(err)?;
                    root.draw(&PathElement::new(vec![(a.0 - cap, a.1), (a.0 + cap, a.1)], style)).map_err(err)?;
                    root.draw(&PathElement::new(vec![(b.0 - cap, b.1), (b.0 + cap, b.1)], style)).map_err(err)?;
                }
            }
            // Drawn last, below, to keep clear of each other.
            Mark::Label { .. } | Mark::Reserve { .. } => {}
        }
        Ok(())
    };
    for mark in back {
        draw_mark(mark, &mut line_markers)?;
    }
    for &(p, m, c) in &line_markers {
        draw_marker(root, p, m, 5.5 * s, c, Face::Hollow, s).map_err(err)?;
    }
    // Point labels keep clear of the reference lines' labels.
    let mut taken: Vec<[i32; 4]> = draw_rule_labels(root, rule_labels.take(), plot_x.start, s)?;
    for mark in &front {
        draw_mark(mark, &mut line_markers)?;
        if let Mark::Point { at, size, .. } = mark
            && let Some(p) = map(at.0, at.1)
        {
            let r = px(*size);
            taken.push([p.0 - r, p.1 - r, p.0 + r, p.1 + r]);
        }
    }
    draw_labels(root, fig, &map, &mut taken, (&plot_x, &plot_y), s)?;

    legend::draw(fig, place, legend_area, plot_y.start, s).map_err(err)
}

/// A reference line's label: text, position, anchor, colour, and whether the line is vertical.
type RuleLabel = (String, (i32, i32), Pos, Rgb, bool);

/// Reference labels over the data, on a white box so lines do not cross the
/// text; returns the boxes.
fn draw_rule_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    labels: Vec<RuleLabel>,
    plot_left: i32,
    s: f64,
) -> Result<Vec<[i32; 4]>, String> {
    let mut boxes = Vec::new();
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let px = |v: f64| (v * s).round() as i32;
    for (text, mut pos, mut anchor, c, vertical) in labels {
        let (tw, th) = root.estimate_text_size(&text, &font(14.0 * s, true, c)).map_err(err)?;
        let mut b = text_box(pos, anchor, (tw, th));
        // A vertical line near the left edge gets its label on the right.
        if vertical && b[0] < plot_left {
            pos.0 += px(12.0);
            anchor = Pos::new(HPos::Left, anchor.v_pos);
            b = text_box(pos, anchor, (tw, th));
        }
        let pad = px(3.0);
        let padded = [b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad];
        root.draw(&Rectangle::new([(padded[0], padded[1]), (padded[2], padded[3])], WHITE.mix(0.85).filled()))
            .map_err(err)?;
        root.draw(&Text::new(text, pos, font(14.0 * s, true, c).pos(anchor))).map_err(err)?;
        boxes.push(padded);
    }
    Ok(boxes)
}

/// Text labels at data points, each at the first of its candidate places
/// (flexible ones try mirrored places) that stays inside the plot and clear
/// of every label and point already `taken`.
fn draw_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    fig: &Figure,
    map: &dyn Fn(f64, f64) -> Option<(i32, i32)>,
    taken: &mut Vec<[i32; 4]>,
    (plot_x, plot_y): (&std::ops::Range<i32>, &std::ops::Range<i32>),
    s: f64,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let px = |v: f64| (v * s).round() as i32;
    for mark in &fig.marks {
        let Mark::Label { at, text, colour: c, anchor, offset, bold, flexible } = mark else { continue };
        let Some(p) = map(at.0, at.1) else { continue };
        let style = font(14.0 * s, *bold, *c);
        let (tw, th) = root.estimate_text_size(text, &style).map_err(err)?;
        let mirror_h = |h: HPos| match h {
            HPos::Left => HPos::Right,
            HPos::Right => HPos::Left,
            HPos::Center => HPos::Center,
        };
        let mirror_v = |v: VPos| match v {
            VPos::Top => VPos::Bottom,
            VPos::Bottom => VPos::Top,
            VPos::Center => VPos::Center,
        };
        let mut candidates = vec![(anchor.0, anchor.1, offset.0, offset.1)];
        if *flexible && matches!(anchor.0, HPos::Center) {
            // Centred over something (a bar): stack upwards instead.
            let up = if matches!(anchor.1, VPos::Top) { 18.0 } else { -18.0 };
            candidates.extend((1..4).map(|k| (anchor.0, anchor.1, offset.0, offset.1 + up * f64::from(k))));
        } else if *flexible {
            candidates.push((mirror_h(anchor.0), anchor.1, -offset.0, offset.1));
            candidates.push((anchor.0, mirror_v(anchor.1), offset.0, -offset.1));
            candidates.push((mirror_h(anchor.0), mirror_v(anchor.1), -offset.0, -offset.1));
            // Last, centred above or below the point.
            candidates.push((HPos::Center, VPos::Bottom, 0.0, -offset.0.abs()));
            candidates.push((HPos::Center, VPos::Top, 0.0, offset.0.abs()));
        }
        let inside =
            |b: &[i32; 4]| b[0] >= plot_x.start && b[2] <= plot_x.end && b[1] >= plot_y.start && b[3] <= plot_y.end;
        // Clear of every other label and point by a small gap (its own point
        // is what it labels, so it does not count).
        let gap = px(4.0);
        let own = |t: &[i32; 4]| t[0] <= p.0 && p.0 <= t[2] && t[1] <= p.1 && p.1 <= t[3];
        let clear = |b: &[i32; 4]| {
            !taken
                .iter()
                .any(|t| !own(t) && b[0] < t[2] + gap && t[0] < b[2] + gap && b[1] < t[3] + gap && t[1] < b[3] + gap)
        };
        let chosen = candidates.into_iter().find_map(|(h, v, dx, dy)| {
            let pos = (p.0 + px(dx), p.1 + px(dy));
            let anchor = Pos::new(h, v);
            let b = text_box(pos, anchor, (tw, th));
            (!*flexible || (inside(&b) && clear(&b))).then_some((pos, anchor, b))
        });
        if let Some((pos, anchor, b)) = chosen {
            root.draw(&Text::new(text.clone(), pos, style.pos(anchor))).map_err(err)?;
            taken.push(b);
        }
    }

    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::axis::Fmt;
    use crate::charts::legend::Swatch;
    use crate::charts::palette;

    fn draw(fig: &Figure) -> Vec<u8> {
        crate::charts::register_fonts().expect("embedded font");
        let (w, h) = BASE;
        let mut buf = vec![0u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            render(fig, &root, 1.0).expect("drawn");
            root.present().expect("presented");
        }
        buf
    }

    fn count(buf: &[u8], c: Rgb) -> usize {
        buf.chunks_exact(3).filter(|p| (p[0], p[1], p[2]) == c).count()
    }

    #[test]
    fn values_that_were_not_measured_are_skipped_not_drawn_or_panicked_on() {
        let blue = palette::design(0);
        let fig = Figure {
            title: "t".into(),
            subtitle: String::new(),
            x: Axis::linear("x", Fmt::Number, true),
            y: Axis::auto("y", Fmt::Seconds, [0.01, 10.0], 10.0),
            marks: vec![
                Mark::Line {
                    points: vec![
                        (1.0, 0.01),
                        (2.0, f64::NAN),
                        (3.0, 0.0),
                        (4.0, 10.0),
                        (f64::INFINITY, 1.0),
                        (5.0, 3.0),
                    ],
                    colour: blue,
                    width: 3.0,
                    dash: Dash::Solid,
                    marker: Some(Marker::Circle),
                },
                Mark::Band { lower: vec![(1.0, f64::NAN)], upper: vec![(1.0, 1.0)], colour: blue },
                Mark::Rule {
                    horizontal: true,
                    at: f64::NAN,
                    colour: INK,
                    dash: Dash::Dashed,
                    width: 1.0,
                    label: None,
                    label_row: 0,
                },
            ],
            legend: vec![LegendEntry::new(
                "a",
                Swatch::Line { colour: blue, dash: Dash::Solid, width: 3.0, marker: None },
            )],
            legend_below: false,
        };
        let buf = draw(&fig);
        assert!(count(&buf, blue) > 200, "the drawable part of the line is drawn");
    }

    #[test]
    fn bold_text_is_drawn_with_the_bold_face() {
        // plotters 0.3.7's `FontDesc::style` keeps the regular glyphs; a bold
        // title must darken more pixels than the same text in regular.
        crate::charts::register_fonts().expect("embedded font");
        let ink = |bold: bool| {
            let mut buf = vec![255u8; 400 * 60 * 3];
            {
                let root = BitMapBackend::with_buffer(&mut buf, (400, 60)).into_drawing_area();
                root.draw(&Text::new("Latency against load", (5, 10), font(30.0, bold, INK))).expect("drawn");
                root.present().expect("presented");
            }
            buf.chunks_exact(3).filter(|p| p[0] < 128).count()
        };
        let (regular, bold) = (ink(false), ink(true));
        assert!(bold as f64 > regular as f64 * 1.2, "bold {bold} vs regular {regular} dark pixels");
    }

    #[test]
    fn an_empty_figure_draws_axes_without_panicking() {
        let fig = Figure {
            title: "nothing measured".into(),
            subtitle: String::new(),
            x: Axis::categories("service", Vec::new()),
            y: Axis::linear("y", Fmt::Percent, true),
            marks: Vec::new(),
            legend: Vec::new(),
            legend_below: false,
        };
        assert!(!fig.has_data());
        let buf = draw(&fig);
        assert!(count(&buf, (255, 255, 255)) < buf.len() / 3, "title and axes are drawn");
    }
}
