//! The charts of a sweep: what is plotted against what, for which class and
//! at which load. Each function returns `None` when it has nothing to show.
//! The charts of a sweep without a load axis are in [`super::by_point`],
//! where the time goes in [`super::breakdown`]; the helpers they share with
//! these (SLO line, crossed markers, legend placement) are here.

use plotters::style::text_anchor::{HPos, VPos};

use crate::experiment::results::{ExperimentResults, PointResult};
use crate::format::format_duration;
use crate::stats::Estimate;

use super::axis::{Axis, Fmt, compact};
use super::data::{self, Series, View, pareto};
use super::figure::{Anchor, Figure, Mark};
use super::legend::{LegendEntry, MANY_SERIES, Swatch};
use super::palette::{self, Dash, Face, INK, Marker, tint};
use super::{Planned, breakdown, by_point};
use crate::stats::{LatencyKind, LatencyStat};

/// Every chart the results support, in reading order, with its file stem.
/// The charts at the comparison load come once per target load, their
/// stems ending in "-at-LOAD" when there are several targets.
pub(crate) fn plan(results: &ExperimentResults) -> Vec<(String, Planned)> {
    let view = View::new(results);
    let mut out = Vec::new();
    if view.load_axis.is_some() {
        out.extend(latency_vs_load(&view));
        out.extend(throughput_vs_load(&view));
        out.extend(cost_vs_load(&view));
    } else {
        out.extend(by_point::latency(&view));
        out.extend(by_point::throughput(&view));
        out.extend(by_point::cost(&view));
    }
    out.extend(by_point::recovery(&view));
    let mut named: Vec<(String, Planned)> = out.into_iter().map(|p| (p.name.to_string(), p)).collect();
    for (target, suffix) in view.comparison_loads() {
        let view = View::new(results).aimed_at(target);
        let at = [
            cost_vs_latency(&view),
            percentiles_at_focus(&view),
            utilisation_at_focus(&view),
            breakdown::at_focus(&view),
        ];
        named.extend(at.into_iter().flatten().map(|p| (format!("{}{suffix}", p.name), p)));
    }
    named.retain(|(_, p)| p.figure.has_data());
    named
}

pub(super) fn class_text(view: &View) -> String {
    match &view.class {
        Some(c) => format!("class {c}"),
        None => "no request class".to_string(),
    }
}

fn series_entry(s: &Series) -> LegendEntry {
    LegendEntry::new(
        s.label.clone(),
        Swatch::Line { colour: palette::design(s.design), dash: s.dash, width: 3.0, marker: Some(s.marker) },
    )
}

/// Every series' legend entry.
fn series_entries(view: &View) -> Vec<LegendEntry> {
    view.series.iter().map(series_entry).collect()
}

/// Whether the legend goes under the plot: more than [`MANY_SERIES`] series.
pub(super) fn many(view: &View) -> bool {
    view.series.len() > MANY_SERIES
}

/// The offered load along x, fitted to the swept loads (not from 0).
fn load_axis(view: &View) -> Axis {
    Axis::linear(view.load_label(), Fmt::Number, false)
}

/// A crossed marker over a point that fails the SLO.
pub(super) fn crossed(at: (f64, f64), colour: palette::Rgb, marker: Marker) -> Mark {
    Mark::Point { at, colour, marker, size: 5.5, face: Face::Crossed }
}

/// The legend entry that says what a crossed marker means.
pub(super) fn crossed_entry() -> LegendEntry {
    LegendEntry::new("fails the SLO", Swatch::Marker { colour: INK, marker: Marker::Circle, face: Face::Crossed })
}

fn slo_text(view: &View) -> Option<String> {
    view.slo_limit().map(|(m, v)| format!("SLO: {m} ≤ {}", format_duration(v)))
}

/// The dashed horizontal SLO line, labelled with the objective.
pub(super) fn slo_rule(view: &View, limit: f64) -> Mark {
    Mark::Rule {
        horizontal: true,
        at: limit,
        colour: INK,
        dash: Dash::Dashed,
        width: 2.0,
        label: slo_text(view),
        label_row: 0,
    }
}

/// Latency of the charted class against load: p50 and p99 (and the SLO's
/// percentile) with confidence bands, the SLO and each design's knee.
fn latency_vs_load(view: &View) -> Option<Planned> {
    // p99 thick with markers, p50 thin; an SLO on another percentile dashed.
    let main = view.metric;
    let thin = main.with(if main.stat == LatencyStat::P50 { LatencyStat::P99 } else { LatencyStat::P50 });
    let metrics = [(main, 3.0), (thin, 1.5)];
    let mut marks = Vec::new();
    let mut failing = Vec::new();
    let mut all = Vec::new();
    for s in &view.series {
        let c = palette::design(s.design);
        for &(metric, width) in &metrics {
            let est: Vec<(f64, Estimate)> = s
                .points
                .iter()
                .filter(|p| view.has_data(p))
                .filter_map(|p| Some((p.load?, view.latency(p, metric)?)))
                .collect();
            all.extend(est.iter().map(|(_, e)| e.value));
            if metric == main {
                let fails = s.points.iter().filter(|p| view.has_data(p) && view.fails_slo(p));
                failing.extend(
                    fails.filter_map(|p| Some(crossed((p.load?, view.latency(p, metric)?.value), c, s.marker))),
                );
            }
            if metric == main && est.iter().any(|(_, e)| e.ci95.is_some()) {
                marks.push(Mark::Band {
                    lower: est.iter().map(|(x, e)| (*x, e.low())).collect(),
                    upper: est.iter().map(|(x, e)| (*x, e.high())).collect(),
                    colour: c,
                });
            }
            marks.push(Mark::Line {
                points: est.iter().map(|(x, e)| (*x, e.value)).collect(),
                colour: c,
                width,
                dash: s.dash,
                marker: (metric == main).then_some(s.marker),
            });
        }
    }
    let any_failing = !failing.is_empty();
    marks.extend(failing);
    if let Some((_, limit)) = view.slo_limit() {
        all.push(limit);
        marks.push(slo_rule(view, limit));
    }
    // The knee: the highest load that met the SLO, one line per distinct
    // load (in the design's colour, or black when designs share it).
    let mut knees: Vec<(f64, Vec<usize>)> = Vec::new();
    for s in &view.series {
        let Some(max) = s.capacity.and_then(|c| c.max_load).filter(|m| m.is_finite()) else { continue };
        match knees.iter_mut().find(|k| (k.0 - max).abs() <= 1e-9 * max.abs().max(1.0)) {
            Some(k) => k.1.push(s.design),
            None => knees.push((max, vec![s.design])),
        }
    }
    for (row, (max, designs)) in knees.iter().enumerate() {
        marks.push(Mark::Rule {
            horizontal: false,
            at: *max,
            colour: if designs.len() == 1 { palette::design(designs[0]) } else { INK },
            dash: Dash::Dotted,
            width: 2.5,
            label: Some(compact(*max)),
            label_row: u8::try_from(row).unwrap_or(u8::MAX),
        });
    }
    let figure = Figure {
        title: "Latency against load".into(),
        subtitle: format!("{}; shaded: 95% confidence interval of {main}", class_text(view)),
        x: load_axis(view),
        y: Axis::auto(view.latency_title(), Fmt::Seconds, all, 15.0),
        marks,
        legend: {
            let mut l = series_entries(view);
            for &(metric, width) in &metrics {
                l.push(LegendEntry::new(
                    metric.to_string(),
                    Swatch::Line { colour: INK, dash: Dash::Solid, width, marker: None },
                ));
            }
            if view.slo_limit().is_some() {
                l.push(LegendEntry::new(
                    "SLO",
                    Swatch::Line { colour: INK, dash: Dash::Dashed, width: 2.0, marker: None },
                ));
            }
            if !knees.is_empty() {
                l.push(LegendEntry::new(
                    "max load in SLO",
                    Swatch::Line { colour: INK, dash: Dash::Dotted, width: 2.5, marker: None },
                ));
            }
            if any_failing {
                l.push(crossed_entry());
            }
            l
        },
        legend_below: many(view),
    };
    Some(Planned {
        name: "latency-vs-load",
        title: "Latency against offered load".into(),
        caption: format!(
            "The {main} (thick) and {thin} (thin) latency of {} as load grows; where a thick line crosses the dashed SLO line is the most load that design can take, and the dotted line marks the highest load that met the SLO{}.",
            class_text(view),
            if any_failing { "; crossed markers fail the SLO" } else { "" }
        ),
        figure,
    })
}

/// Successful throughput against offered load, with the "offered" line: a
/// design that keeps up stays on it; where it bends away, it is saturated.
fn throughput_vs_load(view: &View) -> Option<Planned> {
    let mut marks = Vec::new();
    for s in &view.series {
        let c = palette::design(s.design);
        let est: Vec<(f64, Estimate)> = s
            .points
            .iter()
            .filter(|p| view.has_data(p))
            .filter_map(|p| Some((p.load?, data::total_throughput(&p.summary))))
            .collect();
        for (x, e) in &est {
            if e.ci95.is_some() {
                marks.push(Mark::ErrorBar { x: *x, y: (e.low(), e.high()), colour: c });
            }
        }
        marks.push(Mark::Line {
            points: est.iter().map(|(x, e)| (*x, e.value)).collect(),
            colour: c,
            width: 3.0,
            dash: s.dash,
            marker: Some(s.marker),
        });
    }
    // The offered rate at each load, from the first series that has one everywhere.
    let offered: Option<Vec<(f64, f64)>> = view.series.iter().find_map(|s| {
        s.points
            .iter()
            .filter(|p| view.has_data(p))
            .map(|p| Some((p.load?, data::total_offered(&p.summary)?)))
            .collect()
    });
    let mut legend = series_entries(view);
    if let Some(offered) = offered.filter(|o| !o.is_empty()) {
        let identity = offered.iter().all(|(x, y)| (x - y).abs() <= 1e-6 * x.abs().max(1.0));
        // On top: where a design keeps up, its line runs under the dashes.
        marks.push(Mark::Line { points: offered, colour: INK, width: 2.0, dash: Dash::Dashed, marker: None });
        legend.push(LegendEntry::new(
            if identity { "offered (y = x)" } else { "offered" },
            Swatch::Line { colour: INK, dash: Dash::Dashed, width: 2.0, marker: None },
        ));
    }
    legend.push(LegendEntry::new("error bars: 95% CI", Swatch::Note));
    Some(Planned {
        name: "throughput-vs-load",
        title: "Throughput against offered load".into(),
        caption: "Successful requests per second as load grows: a design keeps up while it follows the dashed \"offered\" line; where it bends away it is saturated and the rest queues or fails.".into(),
        figure: Figure {
            title: "Throughput against load".into(),
            subtitle: "successful requests per second, all classes".into(),
            x: load_axis(view),
            y: Axis::linear("throughput [requests/s]", Fmt::Number, true),
            marks,
            legend,
            legend_below: many(view),
        },
    })
}

/// Cost per million successful requests against load.
fn cost_vs_load(view: &View) -> Option<Planned> {
    let mut marks = Vec::new();
    let mut failing = Vec::new();
    let mut all = Vec::new();
    for s in &view.series {
        let c = palette::design(s.design);
        let cost = |p: &PointResult| {
            Some(p.summary.cost.per_million_requests).filter(|e| e.value.is_finite() && e.value > 0.0)
        };
        let est: Vec<(f64, Estimate)> =
            s.points.iter().filter(|p| view.has_data(p)).filter_map(|p| Some((p.load?, cost(p)?))).collect();
        let fails = s.points.iter().filter(|p| view.has_data(p) && view.fails_slo(p));
        failing.extend(fails.filter_map(|p| Some(crossed((p.load?, cost(p)?.value), c, s.marker))));
        all.extend(est.iter().map(|(_, e)| e.value));
        for (x, e) in &est {
            if e.ci95.is_some() {
                marks.push(Mark::ErrorBar { x: *x, y: (e.low().max(e.value * 0.01), e.high()), colour: c });
            }
        }
        marks.push(Mark::Line {
            points: est.iter().map(|(x, e)| (*x, e.value)).collect(),
            colour: c,
            width: 3.0,
            dash: s.dash,
            marker: Some(s.marker),
        });
    }
    if all.is_empty() {
        return None;
    }
    let any_failing = !failing.is_empty();
    marks.extend(failing);
    let mut legend = series_entries(view);
    if any_failing {
        legend.push(crossed_entry());
    }
    legend.push(LegendEntry::new("error bars: 95% CI", Swatch::Note));
    Some(Planned {
        name: "cost-vs-load",
        title: "Cost per million requests against offered load".into(),
        caption: format!(
            "What a million successful requests cost at each load: idle capacity makes low loads expensive, and the cheapest design is the lowest line at the load you expect{}.",
            if any_failing { " among those not crossed (crossed: fails the SLO)" } else { "" }
        ),
        figure: Figure {
            title: "Cost per million requests against load".into(),
            subtitle: "deployment cost per hour / successful requests per hour".into(),
            x: load_axis(view),
            y: Axis::auto("cost [$ per million requests]", Fmt::Dollars, all, 15.0),
            marks,
            legend,
            legend_below: many(view),
        },
    })
}

/// Cost per hour against the SLO percentile at the comparison load, with
/// the Pareto frontier: the designs that meet the SLO and for which no other
/// such design is both cheaper and faster. Designs that fail it are crossed.
fn cost_vs_latency(view: &View) -> Option<Planned> {
    let focus = view.focus()?;
    let pts: Vec<(f64, f64)> = focus
        .points
        .iter()
        .map(|p| match p {
            Some(p) => (view.latency(p, view.metric).map_or(f64::NAN, |e| e.value), p.summary.cost.per_hour),
            None => (f64::NAN, f64::NAN),
        })
        .collect();
    if !pts.iter().any(|(x, y)| x.is_finite() && *x > 0.0 && y.is_finite() && *y > 0.0) {
        return None;
    }
    let fails: Vec<bool> = focus.points.iter().map(|p| p.is_some_and(|p| view.fails_slo(p))).collect();
    // A design that fails the SLO is no answer, however cheap: off the frontier.
    let candidates: Vec<(f64, f64)> =
        pts.iter().zip(&fails).map(|(&p, &f)| if f { (f64::NAN, f64::NAN) } else { p }).collect();
    let front = pareto(&candidates);
    let face = |i: usize| {
        if fails[i] {
            Face::Crossed
        } else if front.contains(&i) {
            Face::Filled
        } else {
            Face::Hollow
        }
    };
    let mut marks = Vec::new();
    let mut line: Vec<(f64, f64)> = front.iter().map(|&i| pts[i]).collect();
    line.sort_by(|a, b| a.0.total_cmp(&b.0));
    if line.len() > 1 {
        marks.push(Mark::Line { points: line, colour: INK, width: 2.0, dash: Dash::Dashed, marker: None });
    }
    let xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
    let x_axis = Axis::auto(format!("{} latency", view.metric), Fmt::Seconds, xs.clone(), 20.0);
    // The x range as it will be drawn, to keep labels off the left edge.
    let shown: Vec<f64> =
        xs.iter().chain(view.slo_limit().as_ref().map(|l| &l.1)).filter_map(|&x| x_axis.coord(x)).collect();
    let range = x_axis.resolve(&shown);
    let (lo, hi) = (range.lo, range.hi);
    if let Some((_, limit)) = view.slo_limit() {
        marks.push(Mark::Rule {
            horizontal: false,
            at: limit,
            colour: INK,
            dash: Dash::Dotted,
            width: 2.0,
            label: slo_text(view),
            label_row: 0,
        });
    }
    for (i, (s, &(x, y))) in view.series.iter().zip(&pts).enumerate() {
        let c = palette::design(s.design);
        marks.push(Mark::Point { at: (x, y), colour: c, marker: s.marker, size: 8.0, face: face(i) });
        // Below left of a point is empty on the frontier (nothing there is
        // both cheaper and faster); near the left edge, below right.
        let left_edge = x_axis.coord(x).is_some_and(|cx| hi > lo && cx < lo + 0.25 * (hi - lo));
        marks.push(Mark::Label {
            at: (x, y),
            text: s.label.clone(),
            colour: c,
            anchor: Anchor(if left_edge { HPos::Left } else { HPos::Right }, VPos::Top),
            offset: (if left_edge { 11.0 } else { -11.0 }, 9.0),
            bold: true,
            flexible: true,
        });
    }
    let mut legend: Vec<LegendEntry> = view
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let swatch = Swatch::Marker { colour: palette::design(s.design), marker: s.marker, face: face(i) };
            LegendEntry::new(s.label.clone(), swatch)
        })
        .collect();
    legend.push(LegendEntry::new(
        "Pareto frontier",
        Swatch::Line { colour: INK, dash: Dash::Dashed, width: 2.0, marker: None },
    ));
    legend.push(LegendEntry::new("filled: on the frontier", Swatch::Note));
    legend.push(LegendEntry::new("hollow: dominated", Swatch::Note));
    let any_failing = fails.iter().any(|&f| f);
    if any_failing {
        legend.push(LegendEntry::new("crossed: fails the SLO", Swatch::Note));
    }
    Some(Planned {
        name: "cost-vs-latency",
        title: format!("Cost against {} latency", view.metric),
        caption: format!(
            "Each design's cost per hour against its {} latency {}: filled designs are on the Pareto frontier (no other design{} is both cheaper and faster); hollow ones are dominated{}.",
            view.metric,
            focus.label,
            if view.results.experiment.slo.is_some() { " that meets the SLO" } else { "" },
            if any_failing { "; crossed ones fail the SLO and are left off the frontier" } else { "" }
        ),
        figure: Figure {
            title: format!("Cost against {} latency", view.metric),
            subtitle: format!("{}, {}", class_text(view), focus.label),
            x: x_axis,
            y: Axis::linear("cost [$ per hour]", Fmt::Dollars, true),
            marks,
            legend,
            legend_below: many(view),
        },
    })
}

/// Latency percentile curves of the charted class at the comparison load.
fn percentiles_at_focus(view: &View) -> Option<Planned> {
    let focus = view.focus()?;
    let class = view.class.clone()?;
    let mut marks = Vec::new();
    let mut all = Vec::new();
    for (s, p) in view.series.iter().zip(&focus.points) {
        let Some(p) = p else { continue };
        let curve = curve_of(view, p, &class);
        all.extend(curve.iter().map(|c| c.1));
        marks.push(Mark::Line {
            points: curve,
            colour: palette::design(s.design),
            width: 3.0,
            dash: s.dash,
            marker: Some(s.marker),
        });
    }
    if let Some((metric, limit)) = view.slo_limit() {
        all.push(limit);
        marks.push(slo_rule(view, limit));
        if let Some(q) = metric.stat.level() {
            marks.push(Mark::Rule {
                horizontal: false,
                at: q,
                colour: INK,
                dash: Dash::Dotted,
                width: 1.5,
                label: None,
                label_row: 0,
            });
        }
    }
    let mut legend = series_entries(view);
    if view.slo_limit().is_some() {
        legend
            .push(LegendEntry::new("SLO", Swatch::Line { colour: INK, dash: Dash::Dashed, width: 2.0, marker: None }));
    }
    Some(Planned {
        name: "latency-percentiles",
        title: "Latency percentiles".into(),
        caption: format!(
            "The latency of {} at each percentile {}; the axis stretches the tail, so 90%, 99% and 99.9% are equally spaced: lower curves are faster, and a curve that turns up steeply has a heavy tail.",
            class_text(view),
            focus.label
        ),
        figure: Figure {
            title: "Latency percentiles".into(),
            subtitle: format!("{}, {}", class_text(view), focus.label),
            x: Axis::nines("percentile"),
            y: Axis::auto(view.latency_title(), Fmt::Seconds, all, 20.0),
            marks,
            legend,
            legend_below: many(view),
        },
    })
}

/// (level, latency) of the class at a point: the CDF quantiles if the sweep
/// kept them (they are the reply's: a class that does not publish completes
/// when it replies), else the summary's percentiles.
fn curve_of(view: &View, p: &PointResult, class: &str) -> Vec<(f64, f64)> {
    let reply = view.metric.kind == LatencyKind::Reply || view.class_of(p).is_some_and(|c| c.completion_s.is_none());
    if let Some(cdf) = p.cdf.iter().find(|c| c.class == class).filter(|_| reply) {
        let pts: Vec<(f64, f64)> = cdf
            .levels
            .iter()
            .zip(&cdf.latency_s)
            .map(|(&q, &l)| (q, l))
            .filter(|(q, l)| (0.0..1.0).contains(q) && l.is_finite())
            .collect();
        if pts.len() >= 2 {
            return pts;
        }
    }
    [LatencyStat::P50, LatencyStat::P90, LatencyStat::P95, LatencyStat::P99, LatencyStat::P999]
        .into_iter()
        .filter_map(|stat| Some((stat.level()?, view.latency(p, view.metric.with(stat))?.value)))
        .filter(|(_, v)| v.is_finite())
        .collect()
}

/// Service names in the order they first appear.
pub(super) fn service_names<'a>(points: impl Iterator<Item = &'a PointResult>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for p in points {
        for s in &p.summary.services {
            if !names.contains(&s.name) {
                names.push(s.name.clone());
            }
        }
    }
    names
}

/// CPU utilisation of every service at the comparison load, bars grouped by
/// service, each design's busiest service outlined and labelled.
fn utilisation_at_focus(view: &View) -> Option<Planned> {
    let focus = view.focus()?;
    // A service that did nothing in any design (switched off) has no bars.
    let idle = |name: &String| {
        focus
            .points
            .iter()
            .flatten()
            .flat_map(|p| &p.summary.services)
            .filter(|s| &s.name == name)
            .all(|s| s.arrived == 0 && s.utilisation.value.max(0.0) == 0.0)
    };
    let names: Vec<String> =
        service_names(focus.points.iter().flatten().copied()).into_iter().filter(|n| !idle(n)).collect();
    if names.is_empty() {
        return None;
    }
    let n = view.series.len().max(1) as f64;
    let width = 0.8 / n;
    let mut marks = vec![Mark::Rule {
        horizontal: true,
        at: 1.0,
        colour: INK,
        dash: Dash::Dashed,
        width: 1.5,
        label: None,
        label_row: 0,
    }];
    for (j, (s, p)) in view.series.iter().zip(&focus.points).enumerate() {
        let Some(p) = p else { continue };
        let c = palette::design(s.design);
        let busiest = crate::stats::utilisation::busiest(&p.summary.services).map(|x| x.name.clone());
        for (i, name) in names.iter().enumerate() {
            let Some(svc) = p.summary.services.iter().find(|x| &x.name == name) else { continue };
            let u = svc.utilisation.value;
            if !u.is_finite() {
                continue;
            }
            let x0 = i as f64 - 0.4 + j as f64 * width;
            let x = (x0 + 0.08 * width, x0 + 0.92 * width);
            let top = busiest.as_ref() == Some(name);
            marks.push(Mark::Rect {
                x,
                y: (0.0, u),
                fill: if top { c } else { tint(c, 0.55) },
                outline: top.then_some(INK),
                hatched: false,
            });
            if top {
                marks.push(Mark::Label {
                    at: ((x.0 + x.1) / 2.0, u),
                    text: format!("{:.0}%", u * 100.0),
                    colour: INK,
                    anchor: Anchor(HPos::Center, VPos::Bottom),
                    offset: (0.0, -5.0),
                    bold: true,
                    flexible: true,
                });
            }
        }
    }
    // Bars of one colour cannot be told apart by a legend: with several
    // series per design, name the designs and say how their bars are ordered.
    let shared = view.series.iter().enumerate().any(|(i, s)| view.series[..i].iter().any(|t| t.design == s.design));
    let mut legend: Vec<LegendEntry> = Vec::new();
    for (i, s) in view.series.iter().enumerate() {
        let label = if shared { view.design_name(s.design) } else { s.label.clone() };
        if !(shared && view.series[..i].iter().any(|t| t.design == s.design)) {
            legend.push(LegendEntry::new(label, Swatch::Fill { colour: palette::design(s.design), alpha: 1.0 }));
        }
    }
    if shared {
        legend.push(LegendEntry::new("bars: its series, in order", Swatch::Note));
    }
    legend.push(LegendEntry::new("outlined: bottleneck", Swatch::Note));
    Some(Planned {
        name: "utilisation",
        title: "CPU utilisation per service".into(),
        caption: format!(
            "The fraction of each service's usable CPU busy (min(threads, cores) per instance) {}; the outlined bar with a percentage is each design's busiest service, the first to run out of CPU as load grows.{}",
            focus.label,
            if shared {
                " A design's bars are its series, left to right in the order of the other charts' legends."
            } else {
                ""
            }
        ),
        figure: Figure {
            title: "CPU utilisation per service".into(),
            subtitle: focus.label.clone(),
            x: Axis::categories("service", names),
            y: Axis::linear("CPU utilisation", Fmt::Percent, true),
            marks,
            legend,
            legend_below: false,
        },
    })
}
