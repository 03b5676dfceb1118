//! The charts of a sweep: what is plotted against what, for which class and
//! at which load. Each function returns `None` when it has nothing to show.

use plotters::style::text_anchor::{HPos, VPos};

use crate::experiment::results::{ExperimentResults, PointResult};
use crate::format::format_duration;
use crate::stats::Estimate;

use super::Planned;
use super::axis::{Axis, Fmt, compact};
use super::data::{self, Series, View, pareto, point_label};
use super::figure::{Anchor, Dash, Figure, LegendEntry, Mark, Swatch};
use super::palette::{self, INK, OTHER, tint};
use crate::stats::{LatencyKind, LatencyStat};

/// Every chart the results support, in reading order.
pub(crate) fn plan(results: &ExperimentResults) -> Vec<Planned> {
    let view = View::new(results);
    let mut out = Vec::new();
    if view.load_axis.is_some() {
        out.extend(latency_vs_load(&view));
        out.extend(throughput_vs_load(&view));
        out.extend(cost_vs_load(&view));
    } else {
        out.extend(latency_by_point(&view));
        out.extend(throughput_by_point(&view));
        out.extend(cost_by_point(&view));
    }
    out.extend(cost_vs_latency(&view));
    out.extend(percentiles_at_focus(&view));
    out.extend(utilisation_at_focus(&view));
    out.extend(breakdown_at_focus(&view));
    out.retain(|p| p.figure.has_data());
    out
}

fn class_text(view: &View) -> String {
    match &view.class {
        Some(c) => format!("class {c}"),
        None => "no request class".to_string(),
    }
}

fn series_entry(i: usize, s: &Series) -> LegendEntry {
    LegendEntry::new(
        s.label.clone(),
        Swatch::Line {
            colour: palette::design(s.design),
            dash: Dash::Solid,
            width: 3.0,
            marker: Some(palette::marker(i)),
        },
    )
}

fn slo_text(view: &View) -> Option<String> {
    view.slo_limit().map(|(m, v)| format!("SLO: {m} ≤ {}", format_duration(v)))
}

/// The dashed horizontal SLO line, labelled with the objective.
fn slo_rule(view: &View, limit: f64) -> Mark {
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
    let metrics = [(main, Dash::Solid, 3.0), (thin, Dash::Solid, 1.5)];
    let mut marks = Vec::new();
    let mut all = Vec::new();
    for (i, s) in view.series.iter().enumerate() {
        let c = palette::design(s.design);
        for &(metric, dash, width) in &metrics {
            let est: Vec<(f64, Estimate)> = s
                .points
                .iter()
                .filter(|p| view.has_data(p))
                .filter_map(|p| Some((p.load?, *metric.of(view.class_of(p)?))))
                .collect();
            all.extend(est.iter().map(|(_, e)| e.value));
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
                dash,
                marker: (metric == main).then(|| palette::marker(i)),
            });
        }
    }
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
        x: Axis::linear(view.load_label(), Fmt::Number, true),
        y: Axis::auto(view.latency_title(), Fmt::Seconds, all, 15.0),
        marks,
        legend: {
            let mut l: Vec<LegendEntry> = view.series.iter().enumerate().map(|(i, s)| series_entry(i, s)).collect();
            for &(metric, dash, width) in &metrics {
                l.push(LegendEntry::new(metric.to_string(), Swatch::Line { colour: INK, dash, width, marker: None }));
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
            l
        },
    };
    Some(Planned {
        name: "latency-vs-load",
        title: "Latency against offered load".into(),
        caption: format!(
            "The {main} (thick) and {thin} (thin) latency of {} as load grows; where a thick line crosses the dashed SLO line is the most load that design can take, and the dotted line marks the highest load that met the SLO.",
            class_text(view)
        ),
        figure,
    })
}

/// Successful throughput against offered load, with the "offered" line: a
/// design that keeps up stays on it; where it bends away, it is saturated.
fn throughput_vs_load(view: &View) -> Option<Planned> {
    let mut marks = Vec::new();
    for (i, s) in view.series.iter().enumerate() {
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
            dash: Dash::Solid,
            marker: Some(palette::marker(i)),
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
    let mut legend: Vec<LegendEntry> = view.series.iter().enumerate().map(|(i, s)| series_entry(i, s)).collect();
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
            x: Axis::linear(view.load_label(), Fmt::Number, true),
            y: Axis::linear("throughput [requests/s]", Fmt::Number, true),
            marks,
            legend,
        },
    })
}

/// Cost per million successful requests against load.
fn cost_vs_load(view: &View) -> Option<Planned> {
    let mut marks = Vec::new();
    let mut all = Vec::new();
    for (i, s) in view.series.iter().enumerate() {
        let c = palette::design(s.design);
        let est: Vec<(f64, Estimate)> = s
            .points
            .iter()
            .filter(|p| view.has_data(p))
            .filter_map(|p| Some((p.load?, p.summary.cost.per_million_requests)))
            .filter(|(_, e)| e.value.is_finite() && e.value > 0.0)
            .collect();
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
            dash: Dash::Solid,
            marker: Some(palette::marker(i)),
        });
    }
    if all.is_empty() {
        return None;
    }
    let mut legend: Vec<LegendEntry> = view.series.iter().enumerate().map(|(i, s)| series_entry(i, s)).collect();
    legend.push(LegendEntry::new("error bars: 95% CI", Swatch::Note));
    Some(Planned {
        name: "cost-vs-load",
        title: "Cost per million requests against offered load".into(),
        caption: "What a million successful requests cost at each load: idle capacity makes low loads expensive, and the cheapest design is the lowest line at the load you expect.".into(),
        figure: Figure {
            title: "Cost per million requests against load".into(),
            subtitle: "deployment cost per hour / successful requests per hour".into(),
            x: Axis::linear(view.load_label(), Fmt::Number, true),
            y: Axis::auto("cost [$ per million requests]", Fmt::Dollars, all, 15.0),
            marks,
            legend,
        },
    })
}

/// Cost per hour against the SLO percentile at the comparison load, with
/// the Pareto frontier: the designs for which nothing is both cheaper and faster.
fn cost_vs_latency(view: &View) -> Option<Planned> {
    let focus = view.focus()?;
    let pts: Vec<(f64, f64)> = focus
        .points
        .iter()
        .map(|p| match p {
            Some(p) => (view.class_of(p).map_or(f64::NAN, |c| view.metric.of(c).value), p.summary.cost.per_hour),
            None => (f64::NAN, f64::NAN),
        })
        .collect();
    if !pts.iter().any(|(x, y)| x.is_finite() && *x > 0.0 && y.is_finite() && *y > 0.0) {
        return None;
    }
    let front = pareto(&pts);
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
        let on_front = front.contains(&i);
        marks.push(Mark::Point { at: (x, y), colour: c, marker: palette::marker(i), size: 8.0, filled: on_front });
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
            LegendEntry::new(
                s.label.clone(),
                Swatch::Marker {
                    colour: palette::design(s.design),
                    marker: palette::marker(i),
                    filled: front.contains(&i),
                },
            )
        })
        .collect();
    legend.push(LegendEntry::new(
        "Pareto frontier",
        Swatch::Line { colour: INK, dash: Dash::Dashed, width: 2.0, marker: None },
    ));
    legend.push(LegendEntry::new("filled: on the frontier", Swatch::Note));
    legend.push(LegendEntry::new("hollow: dominated", Swatch::Note));
    Some(Planned {
        name: "cost-vs-latency",
        title: format!("Cost against {} latency", view.metric),
        caption: format!(
            "Each design's cost per hour against its {} latency {}: filled designs are on the Pareto frontier (no other design is both cheaper and faster); hollow ones are dominated.",
            view.metric, focus.label
        ),
        figure: Figure {
            title: format!("Cost against {} latency", view.metric),
            subtitle: format!("{}, {}", class_text(view), focus.label),
            x: x_axis,
            y: Axis::linear("cost [$ per hour]", Fmt::Dollars, true),
            marks,
            legend,
        },
    })
}

/// Latency percentile curves of the charted class at the comparison load.
fn percentiles_at_focus(view: &View) -> Option<Planned> {
    let focus = view.focus()?;
    let class = view.class.clone()?;
    let mut marks = Vec::new();
    let mut all = Vec::new();
    for (i, (s, p)) in view.series.iter().zip(&focus.points).enumerate() {
        let Some(p) = p else { continue };
        let curve = curve_of(view, p, &class);
        all.extend(curve.iter().map(|c| c.1));
        marks.push(Mark::Line {
            points: curve,
            colour: palette::design(s.design),
            width: 3.0,
            dash: Dash::Solid,
            marker: Some(palette::marker(i)),
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
    let mut legend: Vec<LegendEntry> = view.series.iter().enumerate().map(|(i, s)| series_entry(i, s)).collect();
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
    let Some(l) = view.class_of(p).map(|c| view.metric.kind.of(c)) else { return Vec::new() };
    [(0.5, l.p50), (0.9, l.p90), (0.95, l.p95), (0.99, l.p99), (0.999, l.p999)]
        .into_iter()
        .map(|(q, e)| (q, e.value))
        .filter(|(_, v)| v.is_finite())
        .collect()
}

/// Service names in the order they first appear.
fn service_names<'a>(points: impl Iterator<Item = &'a PointResult>) -> Vec<String> {
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
    let names = service_names(focus.points.iter().flatten().copied());
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
        let busiest = p
            .summary
            .services
            .iter()
            .filter(|x| x.utilisation.value.is_finite())
            .max_by(|a, b| a.utilisation.value.total_cmp(&b.utilisation.value))
            .map(|x| x.name.clone());
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
    let mut legend: Vec<LegendEntry> = view
        .series
        .iter()
        .map(|s| LegendEntry::new(s.label.clone(), Swatch::Fill { colour: palette::design(s.design), alpha: 1.0 }))
        .collect();
    legend.push(LegendEntry::new("outlined: bottleneck", Swatch::Note));
    Some(Planned {
        name: "utilisation",
        title: "CPU utilisation per service".into(),
        caption: format!(
            "The fraction of each service's CPU cores busy {}; the outlined bar with a percentage is each design's busiest service, the first to run out of CPU as load grows.",
            focus.label
        ),
        figure: Figure {
            title: "CPU utilisation per service".into(),
            subtitle: focus.label.clone(),
            x: Axis::categories("service", names),
            y: Axis::linear("CPU utilisation", Fmt::Percent, true),
            marks,
            legend,
        },
    })
}

/// Where the mean time of a request goes, per design, at the comparison load.
fn breakdown_at_focus(view: &View) -> Option<Planned> {
    let focus = view.focus()?;
    let names = service_names(focus.points.iter().flatten().copied());
    let rows: Vec<(usize, &Series, data::Breakdown)> = view
        .series
        .iter()
        .zip(&focus.points)
        .enumerate()
        .filter_map(|(i, (s, p))| Some((i, s, data::breakdown(&(*p)?.summary)?)))
        .collect();
    if rows.is_empty() {
        return None;
    }
    // The first design at the top.
    let labels: Vec<String> = rows.iter().rev().map(|(_, s, _)| s.label.clone()).collect();
    let multi_class = focus.points.iter().flatten().any(|p| p.summary.classes.len() > 1);
    let (marks, any_other) = stacked_rows(rows.iter().rev().map(|(_, _, b)| b), &names);
    // Colours follow every service (as in the utilisation chart); the legend
    // names only those with a segment (work behind a queue has none).
    let drawn = |n: &String| rows.iter().any(|(_, _, b)| b.services.iter().any(|s| &s.0 == n && s.1 + s.2 > 0.0));
    let mut legend: Vec<LegendEntry> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| drawn(n))
        .map(|(i, n)| LegendEntry::new(n.clone(), Swatch::Fill { colour: palette::service(i), alpha: 1.0 }))
        .collect();
    if any_other {
        legend.push(LegendEntry::new("CPU shared", Swatch::Fill { colour: OTHER, alpha: 1.0 }));
    }
    legend.push(LegendEntry::new("dark: on the CPU", Swatch::Note));
    legend.push(LegendEntry::new("light: waiting for a thread", Swatch::Note));
    let pooled = if multi_class { " All classes are pooled by their request rates." } else { "" };
    Some(Planned {
        name: "latency-breakdown",
        title: "Where the time goes".into(),
        caption: format!(
            "The mean time of a request split by service {}, from Little's law: the dark part is CPU work and the light part waiting for a free thread{}.{pooled}",
            focus.label,
            if any_other { "; grey is time computing on cores shared with other requests" } else { "" }
        ),
        figure: Figure {
            title: "Where the time goes".into(),
            subtitle: format!("mean time per request by service, {}", focus.label),
            x: Axis::linear("mean time per request", Fmt::Seconds, true),
            y: Axis::categories("design", labels),
            marks,
            legend,
        },
    })
}

/// Horizontal stacked bars, one row per breakdown (row 0 at the bottom):
/// per service its wait (light) then CPU (dark), then the shared-CPU rest.
pub(crate) fn stacked_rows<'b>(rows: impl Iterator<Item = &'b data::Breakdown>, names: &[String]) -> (Vec<Mark>, bool) {
    let mut marks = Vec::new();
    let mut any_other = false;
    for (r, b) in rows.enumerate() {
        let y = (r as f64 - 0.32, r as f64 + 0.32);
        let mut at = 0.0;
        for (name, wait, cpu) in &b.services {
            let k = names.iter().position(|n| n == name).unwrap_or(0);
            let c = palette::service(k);
            for (len, fill) in [(*wait, tint(c, 0.6)), (*cpu, c)] {
                if len > 0.0 {
                    marks.push(Mark::Rect { x: (at, at + len), y, fill, outline: None });
                    at += len;
                }
            }
        }
        if b.other_s > 0.0 {
            any_other = true;
            marks.push(Mark::Rect { x: (at, at + b.other_s), y, fill: OTHER, outline: None });
            at += b.other_s;
        }
        marks.push(Mark::Label {
            at: (at, r as f64),
            text: format_duration(b.total_s.max(at)),
            colour: INK,
            anchor: Anchor(HPos::Left, VPos::Center),
            offset: (8.0, 0.0),
            bold: true,
            flexible: false,
        });
        marks.push(Mark::Reserve { at: (at * 1.2, r as f64) });
    }
    (marks, any_other)
}

/// One value per series per point (sweeps without a load axis), with 95%
/// error bars: bars from zero on a linear axis, or, when the values span
/// more than `log_ratio` (latency of a saturated design), dots on a log axis,
/// where bars would mislead.
fn by_point(
    view: &View,
    title: &str,
    fmt: Fmt,
    log_ratio: f64,
    value: impl Fn(&PointResult) -> Option<Estimate>,
) -> (Vec<String>, Axis, Vec<Mark>, bool) {
    let n_points = view.series.iter().map(|s| s.points.len()).max().unwrap_or(0);
    let labels: Vec<String> = (0..n_points)
        .map(|i| view.series.iter().find_map(|s| s.points.get(i)).map(|p| point_label(p)).unwrap_or_default())
        .collect();
    let values: Vec<Vec<Option<Estimate>>> = view
        .series
        .iter()
        .map(|s| s.points.iter().map(|p| value(p).filter(|e| view.has_data(p) && e.value.is_finite())).collect())
        .collect();
    let axis = Axis::auto(title, fmt, values.iter().flatten().flatten().map(|e| e.value), log_ratio);
    let dots = axis.scale == super::axis::Scale::Log;
    let width = 0.8 / view.series.len().max(1) as f64;
    let mut marks = Vec::new();
    for (j, (s, vals)) in view.series.iter().zip(&values).enumerate() {
        let c = palette::design(s.design);
        for (i, e) in vals.iter().enumerate() {
            let Some(e) = e else { continue };
            let x0 = i as f64 - 0.4 + j as f64 * width;
            let x = (x0 + 0.08 * width, x0 + 0.92 * width);
            let mid = (x.0 + x.1) / 2.0;
            if !dots {
                marks.push(Mark::Rect { x, y: (0.0, e.value), fill: c, outline: None });
            }
            if e.ci95.is_some() {
                let low = if dots { e.low().max(e.value * 0.01) } else { e.low() };
                marks.push(Mark::ErrorBar { x: mid, y: (low, e.high()), colour: if dots { c } else { INK } });
            }
            if dots {
                marks.push(Mark::Point {
                    at: (mid, e.value),
                    colour: c,
                    marker: palette::marker(j),
                    size: 7.0,
                    filled: true,
                });
            }
        }
    }
    (labels, axis, marks, dots)
}

fn axis_title(view: &View) -> String {
    view.results.experiment.axes.iter().map(|a| a.label.clone()).collect::<Vec<_>>().join(", ")
}

fn by_point_legend(view: &View, dots: bool) -> Vec<LegendEntry> {
    let mut l: Vec<LegendEntry> = view
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let colour = palette::design(s.design);
            let swatch = if dots {
                Swatch::Marker { colour, marker: palette::marker(i), filled: true }
            } else {
                Swatch::Fill { colour, alpha: 1.0 }
            };
            LegendEntry::new(s.label.clone(), swatch)
        })
        .collect();
    l.push(LegendEntry::new("error bars: 95% CI", Swatch::Note));
    l
}

fn latency_by_point(view: &View) -> Option<Planned> {
    let metric = view.metric;
    let title = format!("{metric} latency");
    let (labels, axis, mut marks, dots) =
        by_point(view, &title, Fmt::Seconds, 20.0, |p| view.class_of(p).map(|c| *metric.of(c)));
    if let Some((_, limit)) = view.slo_limit() {
        marks.push(slo_rule(view, limit));
    }
    let mut legend = by_point_legend(view, dots);
    if view.slo_limit().is_some() {
        legend
            .push(LegendEntry::new("SLO", Swatch::Line { colour: INK, dash: Dash::Dashed, width: 2.0, marker: None }));
    }
    Some(Planned {
        name: "latency-by-point",
        title: format!("{} latency by {}", view.metric, axis_title(view)),
        caption: format!(
            "The {} latency of {} for each design at each point of the sweep; lower is better{}.",
            view.metric,
            class_text(view),
            if view.slo_limit().is_some() { ", and values above the SLO line miss it" } else { "" }
        ),
        figure: Figure {
            title: format!("{} latency by {}", view.metric, axis_title(view)),
            subtitle: class_text(view),
            x: Axis::categories(axis_title(view), labels),
            y: axis,
            marks,
            legend,
        },
    })
}

fn throughput_by_point(view: &View) -> Option<Planned> {
    let (labels, axis, marks, dots) = by_point(view, "throughput [requests/s]", Fmt::Number, f64::INFINITY, |p| {
        Some(data::total_throughput(&p.summary))
    });
    Some(Planned {
        name: "throughput-by-point",
        title: format!("Throughput by {}", axis_title(view)),
        caption: "Successful requests per second of each design at each point of the sweep, all classes together."
            .into(),
        figure: Figure {
            title: format!("Throughput by {}", axis_title(view)),
            subtitle: "successful requests per second, all classes".into(),
            x: Axis::categories(axis_title(view), labels),
            y: axis,
            marks,
            legend: by_point_legend(view, dots),
        },
    })
}

fn cost_by_point(view: &View) -> Option<Planned> {
    let (labels, axis, marks, dots) = by_point(view, "cost [$ per million requests]", Fmt::Dollars, 20.0, |p| {
        Some(p.summary.cost.per_million_requests).filter(|e| e.value > 0.0)
    });
    if marks.is_empty() {
        return None;
    }
    Some(Planned {
        name: "cost-by-point",
        title: format!("Cost per million requests by {}", axis_title(view)),
        caption:
            "What a million successful requests cost for each design at each point of the sweep; lower is cheaper."
                .into(),
        figure: Figure {
            title: format!("Cost per million requests by {}", axis_title(view)),
            subtitle: "deployment cost per hour / successful requests per hour".into(),
            x: Axis::categories(axis_title(view), labels),
            y: axis,
            marks,
            legend: by_point_legend(view, dots),
        },
    })
}
