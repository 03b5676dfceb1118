//! The charts of a run's time series (`simulation.series`): latency,
//! throughput, utilisation, instances (a serverless platform's busy and
//! idle ones too), CPU stalls, hedges and queue depth interval by interval,
//! so outages, bursts, cold starts, throttling, pauses, hedging's extra load
//! and an autoscaler's lag show as they happen.

use crate::stats::Summary;
use crate::stats::{Series, ServiceSeries};

use super::Planned;
use super::axis::{Axis, Fmt};
use super::figure::{Figure, Mark};
use super::legend::{LegendEntry, Swatch};
use super::palette::{self, Dash};

/// One line of a timeline chart.
struct Line {
    label: String,
    values: Vec<f64>,
    colour_index: usize,
    dash: Dash,
}

/// The time axis in the unit that suits the run's length.
fn time_axis(series: &Series) -> (Axis, f64) {
    let end = series.t_s.last().copied().unwrap_or(0.0);
    let (title, scale) = if end > 3.0 * 3600.0 {
        ("time [h]", 3600.0)
    } else if end > 3.0 * 60.0 {
        ("time [min]", 60.0)
    } else {
        ("time [s]", 1.0)
    };
    (Axis::linear(title, Fmt::Number, true), scale)
}

fn chart(series: &Series, name: &'static str, title: &str, caption: String, y: Axis, lines: Vec<Line>) -> Planned {
    let (x, scale) = time_axis(series);
    let mut marks = Vec::new();
    let mut legend = Vec::new();
    for line in lines {
        // Each value covers the interval that ends at its time: draw it at the middle.
        let points =
            series.t_s.iter().zip(&line.values).map(|(&t, &v)| ((t - series.interval_s / 2.0) / scale, v)).collect();
        let colour = palette::design(line.colour_index);
        marks.push(Mark::Line { points, colour, width: 2.0, dash: line.dash, marker: None });
        legend.push(LegendEntry::new(line.label, Swatch::Line { colour, dash: line.dash, width: 2.0, marker: None }));
    }
    Planned {
        name,
        title: title.to_string(),
        caption,
        figure: Figure {
            title: title.to_string(),
            subtitle: format!(
                "per {} interval, mean of the replications, warm-up included",
                crate::format::format_duration(series.interval_s)
            ),
            x,
            y,
            marks,
            legend,
            legend_below: false,
        },
    }
}

/// Two optional measures per service, the first solid and the second
/// dashed, in the service's colour; services without them draw nothing.
fn solid_and_dashed<'s>(
    summary: &Summary,
    series: &'s Series,
    pick: impl Fn(&'s ServiceSeries) -> [(&'static str, &'s Option<Vec<f64>>); 2],
) -> Vec<Line> {
    let mut lines = Vec::new();
    for (i, (svc, s)) in summary.services.iter().zip(&series.services).enumerate() {
        for ((what, values), dash) in pick(s).into_iter().zip([Dash::Solid, Dash::Dashed]) {
            if let Some(values) = values {
                lines.push(Line {
                    label: format!("{} {what}", svc.name),
                    values: values.clone(),
                    colour_index: i,
                    dash,
                });
            }
        }
    }
    lines
}

pub(crate) fn plan(summary: &Summary) -> Vec<Planned> {
    let Some(series) = &summary.series else {
        return Vec::new();
    };
    let classes = || summary.classes.iter().enumerate().zip(&series.classes);
    let mut out = Vec::new();

    let mut lines = Vec::new();
    let mut all = Vec::new();
    for ((i, class), s) in classes() {
        all.extend(s.p99_s.iter().chain(&s.p50_s).copied().filter(|v| v.is_finite()));
        lines.push(Line {
            label: format!("{} p99", class.name),
            values: s.p99_s.clone(),
            colour_index: i,
            dash: Dash::Solid,
        });
        lines.push(Line {
            label: format!("{} p50", class.name),
            values: s.p50_s.clone(),
            colour_index: i,
            dash: Dash::Dashed,
        });
    }
    out.push(chart(
        series,
        "timeline-latency",
        "Latency over time",
        "The median (dashed) and p99 (solid) latency of successful requests in each interval: spikes mark overload, outages and an autoscaler catching up.".into(),
        Axis::auto("latency", Fmt::Seconds, all, 20.0),
        lines,
    ));

    let mut lines = Vec::new();
    for ((i, class), s) in classes() {
        lines.push(Line {
            label: class.name.clone(),
            values: s.throughput_per_s.clone(),
            colour_index: i,
            dash: Dash::Solid,
        });
        if s.errors_per_s.iter().any(|&e| e > 0.0) {
            lines.push(Line {
                label: format!("{} errors", class.name),
                values: s.errors_per_s.clone(),
                colour_index: i,
                dash: Dash::Dashed,
            });
        }
    }
    out.push(chart(
        series,
        "timeline-throughput",
        "Throughput over time",
        "Requests finished per second in each interval (solid) and those that failed (dashed).".into(),
        Axis::linear("requests per second", Fmt::Number, true),
        lines,
    ));

    let services = || summary.services.iter().enumerate().zip(&series.services);
    let lines = services()
        .map(|((i, svc), s)| Line {
            label: svc.name.clone(),
            values: s.utilisation.clone(),
            colour_index: i,
            dash: Dash::Solid,
        })
        .collect();
    out.push(chart(
        series,
        "timeline-utilisation",
        "Utilisation over time",
        "The fraction of each service's usable CPU busy in each interval (min(threads, cores) per instance up, time-weighted within the interval), as in the table.".into(),
        Axis::linear("CPU utilisation", Fmt::Percent, true),
        lines,
    ));

    // Instances only when a fleet changes (autoscaling or failures).
    let varies = |v: &[f64]| v.iter().any(|&x| (x - v[0]).abs() > 1e-9);
    let lines: Vec<Line> = services()
        .filter(|(_, s)| !s.instances.is_empty() && varies(&s.instances))
        .map(|((i, svc), s)| Line {
            label: svc.name.clone(),
            values: s.instances.clone(),
            colour_index: i,
            dash: Dash::Solid,
        })
        .collect();
    if !lines.is_empty() {
        out.push(chart(
            series,
            "timeline-instances",
            "Instances over time",
            "Instances serving at the end of each interval: an autoscaler's steps, and the dips of failed instances."
                .into(),
            Axis::linear("instances", Fmt::Number, true),
            lines,
        ));
    }

    // Serverless services: the platform's instances, busy (solid) and kept warm (dashed).
    let lines = solid_and_dashed(summary, series, |s| [("busy", &s.busy_instances), ("idle", &s.idle_instances)]);
    if !lines.is_empty() {
        out.push(chart(
            series,
            "timeline-serverless",
            "Serverless instances over time",
            "Mean platform instances of each serverless service in each interval: serving at least one request (solid) and idle, kept warm until keep_alive reclaims them (dashed). A burst starts instances (and pays their cold starts); the idle ones linger after it.".into(),
            Axis::linear("instances", Fmt::Number, true),
            lines,
        ));
    }

    // CPU stalls only for services with a CPU limit or pauses.
    let lines = solid_and_dashed(summary, series, |s| [("throttled", &s.throttled), ("paused", &s.paused)]);
    if !lines.is_empty() {
        out.push(chart(
            series,
            "timeline-stalls",
            "CPU stalls over time",
            "The share of each service's instance-time stalled in each interval: throttled by its CPU limit (solid), frozen by a pause (dashed). Stalls that a mean hides show as the p99's spikes.".into(),
            Axis::linear("share of instance-time stalled", Fmt::Percent, true),
            lines,
        ));
    }

    // Hedges only for hedged call sites: a fixed delay hedges more as latency rises.
    let lines: Vec<Line> = summary
        .calls
        .iter()
        .zip(&series.hedges_per_s)
        .enumerate()
        .filter_map(|(i, (call, hedges))| {
            Some(Line { label: call.name.clone(), values: hedges.clone()?, colour_index: i, dash: Dash::Solid })
        })
        .collect();
    if !lines.is_empty() {
        out.push(chart(
            series,
            "timeline-hedges",
            "Hedges over time",
            "Hedges sent per second by each hedged call site in each interval: the extra load hedging adds, which a fixed delay raises as the callee slows.".into(),
            Axis::linear("hedges per second", Fmt::Number, true),
            lines,
        ));
    }

    let lines: Vec<Line> = summary
        .queues
        .iter()
        .zip(&series.queue_depth)
        .enumerate()
        .map(|(i, (q, depth))| Line {
            label: q.name.clone(),
            values: depth.clone(),
            colour_index: i,
            dash: Dash::Solid,
        })
        .collect();
    if !lines.is_empty() {
        out.push(chart(
            series,
            "timeline-queues",
            "Queue depth over time",
            "Messages waiting in each broker queue (time-average per interval): a backlog that builds in a burst and drains after it.".into(),
            Axis::linear("messages waiting", Fmt::Number, true),
            lines,
        ));
    }
    out
}
