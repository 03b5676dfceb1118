//! The charts of `capsim validate`: what the load test measured (points)
//! over what the model predicts (lines, with their 95% bands) against
//! load: latency (mean and percentiles), throughput, and utilisation per
//! service. A measured point beyond tolerance is crossed.

use crate::calibrate::validate::{LoadKind, Validation};

use super::Planned;
use super::axis::{Axis, Fmt};
use super::figure::{Figure, Mark};
use super::legend::{LegendEntry, MANY_SERIES, Swatch};
use super::palette::{self, Dash, Face, INK, Marker};

/// Every chart the validation has data for, in reading order.
pub(crate) fn plan(v: &Validation) -> Vec<Planned> {
    let latency = ["mean", "p50", "p95", "p99"].map(String::from);
    let mut services: Vec<String> = Vec::new();
    for c in v.levels.iter().flat_map(|l| &l.comparisons) {
        if c.metric.starts_with("util:") && !services.contains(&c.metric) {
            services.push(c.metric.clone());
        }
    }
    let charts = [
        chart(
            v,
            "validation-latency",
            "Latency: measured against the model",
            &latency,
            Axis::auto("response time", Fmt::Seconds, values(v, &latency), 15.0),
        ),
        chart(
            v,
            "validation-throughput",
            "Throughput: measured against the model",
            &["throughput".to_string()],
            Axis::linear("throughput [requests/s]", Fmt::Number, true),
        ),
        chart(
            v,
            "validation-utilisation",
            "CPU utilisation: measured against the model",
            &services,
            Axis::linear("utilisation", Fmt::Percent, true),
        ),
    ];
    charts.into_iter().flatten().collect()
}

/// Every measured and simulated value of `metrics`, for the axis range.
fn values(v: &Validation, metrics: &[String]) -> Vec<f64> {
    let all = v.levels.iter().flat_map(|l| &l.comparisons).filter(|c| metrics.contains(&c.metric));
    all.flat_map(|c| [c.measured, c.simulated, c.ci95_low, c.ci95_high]).collect()
}

/// One chart of `metrics` against load, or `None` when none was measured.
fn chart(v: &Validation, name: &'static str, title: &str, metrics: &[String], y: Axis) -> Option<Planned> {
    let mut marks = Vec::new();
    let mut legend = Vec::new();
    let mut any_beyond = false;
    let mut k = 0;
    for metric in metrics {
        let points: Vec<(f64, &crate::calibrate::validate::Comparison)> = v
            .levels
            .iter()
            .filter_map(|l| l.comparisons.iter().find(|c| &c.metric == metric).map(|c| (l.load, c)))
            .collect();
        if points.is_empty() {
            continue;
        }
        let colour = palette::design(k);
        let marker = palette::marker(k);
        k += 1;
        marks.push(Mark::Band {
            lower: points.iter().map(|(x, c)| (*x, c.ci95_low)).collect(),
            upper: points.iter().map(|(x, c)| (*x, c.ci95_high)).collect(),
            colour,
        });
        marks.push(Mark::Line {
            points: points.iter().map(|(x, c)| (*x, c.simulated)).collect(),
            colour,
            width: 2.5,
            dash: Dash::Solid,
            marker: None,
        });
        for (x, c) in &points {
            any_beyond |= !c.within;
            let face = if c.within { Face::Filled } else { Face::Crossed };
            marks.push(Mark::Point { at: (*x, c.measured), colour, marker, size: 6.5, face });
        }
        let label = metric.strip_prefix("util:").unwrap_or(metric);
        legend.push(LegendEntry::new(
            format!("{label}: model"),
            Swatch::Line { colour, dash: Dash::Solid, width: 2.5, marker: None },
        ));
        legend.push(LegendEntry::new(
            format!("{label}: measured"),
            Swatch::Marker { colour, marker, face: Face::Filled },
        ));
    }
    if k == 0 {
        return None;
    }
    if any_beyond {
        legend.push(LegendEntry::new(
            "beyond tolerance",
            Swatch::Marker { colour: INK, marker: Marker::Circle, face: Face::Crossed },
        ));
    }
    legend.push(LegendEntry::new("shaded: the model's 95% CI", Swatch::Note));
    let load = match v.load_kind {
        LoadKind::Rate => "offered load [requests/s]",
        LoadKind::Users => "users",
    };
    let legend_below = legend.len() > 2 * MANY_SERIES;
    Some(Planned {
        name,
        title: title.to_string(),
        caption: format!(
            "Points: what the load test measured; lines: what {} predicts at the same loads, shaded where its 95% confidence interval lies. A point far from its line is a metric the model gets wrong{}.",
            v.model,
            if any_beyond { " (crossed: beyond tolerance)" } else { "" }
        ),
        figure: Figure {
            title: title.to_string(),
            subtitle: format!("class {}; load set at {}, seed {} at every level", v.class, v.rate_path, v.seed),
            x: Axis::linear(load, Fmt::Number, false),
            y,
            marks,
            legend,
            legend_below,
        },
    })
}
