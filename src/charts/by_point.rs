//! The charts of a sweep without a load axis (the points are categories,
//! e.g. configurations): latency, throughput and cost as one value per
//! series per point, bars or, across orders of magnitude, dots on a log axis;
//! and, for any sweep whose model asks the recovery question, the share of
//! replications that recovered after the trigger.

use plotters::style::text_anchor::{HPos, VPos};

use crate::experiment::results::PointResult;
use crate::format::round_sig6;
use crate::stats::Estimate;

use super::Planned;
use super::axis::{Axis, Fmt, Scale};
use super::data::{self, View, point_label};
use super::figure::{Anchor, Figure, Mark};
use super::legend::{LegendEntry, Swatch};
use super::palette::{self, Dash, Face, INK, Marker};
use super::sweep::{class_text, crossed, crossed_entry, many, slo_rule};

/// One value per series per point (sweeps without a load axis), with 95%
/// error bars: bars from zero on a linear axis, or, when the values span
/// more than `log_ratio` (latency of a saturated design), dots on a log axis,
/// where bars would mislead. With `cross`, points that fail the SLO get a
/// crossed marker (a dot crossed, a bar a black crossed circle on top).
fn by_point(
    view: &View,
    title: &str,
    fmt: Fmt,
    log_ratio: f64,
    cross: bool,
    value: impl Fn(&PointResult) -> Option<Estimate>,
) -> ByPoint {
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
    let dots = axis.scale == Scale::Log;
    let width = 0.8 / view.series.len().max(1) as f64;
    let mut marks = Vec::new();
    let mut crossed_any = false;
    for (j, (s, vals)) in view.series.iter().zip(&values).enumerate() {
        let c = palette::design(s.design);
        for (i, e) in vals.iter().enumerate() {
            let Some(e) = e else { continue };
            let x0 = i as f64 - 0.4 + j as f64 * width;
            let x = (x0 + 0.08 * width, x0 + 0.92 * width);
            let mid = (x.0 + x.1) / 2.0;
            let fails = cross && s.points.get(i).is_some_and(|p| view.fails_slo(p));
            crossed_any |= fails;
            if !dots {
                marks.push(Mark::Rect { x, y: (0.0, e.value), fill: c, outline: None, hatched: false });
            }
            if e.ci95.is_some() {
                // Latency, throughput and cost are never negative, whatever the interval.
                let low = if dots { e.low().max(e.value * 0.01) } else { e.low().max(0.0) };
                marks.push(Mark::ErrorBar { x: mid, y: (low, e.high()), colour: if dots { c } else { INK } });
            }
            if dots {
                let face = if fails { Face::Crossed } else { Face::Filled };
                marks.push(Mark::Point { at: (mid, e.value), colour: c, marker: s.marker, size: 7.0, face });
            } else if fails {
                marks.push(crossed((mid, e.value), INK, Marker::Circle));
            }
        }
    }
    ByPoint { labels, axis, marks, dots, crossed: crossed_any }
}

/// A chart of one value per series per point, before its legend and titles.
struct ByPoint {
    labels: Vec<String>,
    axis: Axis,
    marks: Vec<Mark>,
    /// Dots on a log axis rather than bars.
    dots: bool,
    /// Some point is crossed (fails the SLO).
    crossed: bool,
}

/// What the points are: the axes' labels, or the designs in a sweep without axes.
fn axis_title(view: &View) -> String {
    let axes = &view.results.experiment.axes;
    if axes.is_empty() {
        return "design".into();
    }
    axes.iter().map(|a| a.label.clone()).collect::<Vec<_>>().join(", ")
}

fn by_point_legend(view: &View, chart: &ByPoint) -> Vec<LegendEntry> {
    let mut l: Vec<LegendEntry> = view
        .series
        .iter()
        .map(|s| {
            let colour = palette::design(s.design);
            let swatch = if chart.dots {
                Swatch::Marker { colour, marker: s.marker, face: Face::Filled }
            } else {
                Swatch::Fill { colour, alpha: 1.0 }
            };
            LegendEntry::new(s.label.clone(), swatch)
        })
        .collect();
    if chart.crossed {
        l.push(crossed_entry());
    }
    l.push(LegendEntry::new("error bars: 95% CI", Swatch::Note));
    l
}

pub(super) fn latency(view: &View) -> Option<Planned> {
    let metric = view.metric;
    let title = format!("{metric} latency");
    let mut chart = by_point(view, &title, Fmt::Seconds, 20.0, true, |p| view.latency(p, metric));
    if let Some((_, limit)) = view.slo_limit() {
        chart.marks.push(slo_rule(view, limit));
    }
    let mut legend = by_point_legend(view, &chart);
    if view.slo_limit().is_some() {
        legend
            .push(LegendEntry::new("SLO", Swatch::Line { colour: INK, dash: Dash::Dashed, width: 2.0, marker: None }));
    }
    Some(Planned {
        name: "latency-by-point",
        title: format!("{} latency by {}", view.metric, axis_title(view)),
        caption: format!(
            "The {} latency of {} for each design at each point of the sweep; lower is better{}{}.",
            view.metric,
            class_text(view),
            if view.slo_limit().is_some() { ", and values above the SLO line miss it" } else { "" },
            if chart.crossed { "; crossed points fail the SLO" } else { "" }
        ),
        figure: Figure {
            title: format!("{} latency by {}", view.metric, axis_title(view)),
            subtitle: class_text(view),
            x: Axis::categories(axis_title(view), chart.labels),
            y: chart.axis,
            marks: chart.marks,
            legend,
            legend_below: many(view),
        },
    })
}

pub(super) fn throughput(view: &View) -> Option<Planned> {
    let chart = by_point(view, "throughput [requests/s]", Fmt::Number, f64::INFINITY, false, |p| {
        Some(data::total_throughput(&p.summary))
    });
    let legend = by_point_legend(view, &chart);
    Some(Planned {
        name: "throughput-by-point",
        title: format!("Throughput by {}", axis_title(view)),
        caption: "Successful requests per second of each design at each point of the sweep, all classes together."
            .into(),
        figure: Figure {
            title: format!("Throughput by {}", axis_title(view)),
            subtitle: "successful requests per second, all classes".into(),
            x: Axis::categories(axis_title(view), chart.labels),
            y: chart.axis,
            marks: chart.marks,
            legend,
            legend_below: many(view),
        },
    })
}

pub(super) fn cost(view: &View) -> Option<Planned> {
    let chart = by_point(view, "cost [$ per million requests]", Fmt::Dollars, 20.0, true, |p| {
        Some(p.summary.cost.per_million_requests).filter(|e| e.value > 0.0)
    });
    if chart.marks.is_empty() {
        return None;
    }
    let legend = by_point_legend(view, &chart);
    Some(Planned {
        name: "cost-by-point",
        title: format!("Cost per million requests by {}", axis_title(view)),
        caption: format!(
            "What a million successful requests cost for each design at each point of the sweep; lower is cheaper{}.",
            if chart.crossed { ", among the points not crossed (crossed: fails the SLO)" } else { "" }
        ),
        figure: Figure {
            title: format!("Cost per million requests by {}", axis_title(view)),
            subtitle: "deployment cost per hour / successful requests per hour".into(),
            x: Axis::categories(axis_title(view), chart.labels),
            y: chart.axis,
            marks: chart.marks,
            legend,
            legend_below: many(view),
        },
    })
}

/// The recovery question (`simulation.recovery`): the share of replications
/// that came back after the trigger, per design and point, each bar labelled
/// with its count and mean recovery time. `None` when no point answers it.
pub(super) fn recovery(view: &View) -> Option<Planned> {
    let share = |p: &PointResult| {
        let r = p.summary.recovery.as_ref()?;
        Some(Estimate::exact(f64::from(r.recovered) / f64::from(r.replications)))
    };
    let points = || view.series.iter().flat_map(|s| &s.points);
    let answer = points().find_map(|p| p.summary.recovery.as_ref())?;
    let mut chart = by_point(view, "replications recovered", Fmt::Percent, f64::INFINITY, false, share);
    let width = 0.8 / view.series.len().max(1) as f64;
    for (j, s) in view.series.iter().enumerate() {
        for (i, p) in s.points.iter().enumerate() {
            let Some(r) = p.summary.recovery.as_ref().filter(|_| view.has_data(p)) else { continue };
            let mid = i as f64 - 0.4 + (j as f64 + 0.5) * width;
            let text = match r.recovered {
                0 => format!("0 of {}", r.replications),
                n => format!("{n} of {}, {} s", r.replications, round_sig6(r.recovery_s.round())),
            };
            let at = (mid, f64::from(r.recovered) / f64::from(r.replications));
            let anchor = Anchor(HPos::Center, VPos::Bottom);
            let label = Mark::Label { at, text, colour: INK, anchor, offset: (0.0, -6.0), bold: true, flexible: false };
            chart.marks.push(label);
        }
    }
    // Room above a full bar for its label.
    chart.marks.push(Mark::Reserve { at: (0.0, 1.12) });
    let mut legend = by_point_legend(view, &chart);
    legend.retain(|e| !matches!(e.swatch, Swatch::Note));
    let what = match answer.metric.as_str() {
        "p99" => "p99 latency",
        other => other,
    };
    let title = format!("Recovery after the trigger by {}", axis_title(view));
    Some(Planned {
        name: "recovery-by-point",
        title: title.clone(),
        caption: format!(
            "The share of replications of each design at each point whose {what} came back after the trigger ended at {} s (labels: how many of how many, and the mean seconds from the trigger's end to recovery over those that recovered); a missing bar stayed degraded in every replication.",
            round_sig6(answer.trigger_end_s)
        ),
        figure: Figure {
            title,
            subtitle: format!("replications whose {what} recovered; labels: count, mean time after the trigger"),
            x: Axis::categories(axis_title(view), chart.labels),
            y: chart.axis,
            marks: chart.marks,
            legend,
            legend_below: many(view),
        },
    })
}
