//! The charts of one model run: latency percentiles per class, utilisation
//! per service and where the time goes.

use hdrhistogram::Histogram;
use plotters::style::text_anchor::{HPos, VPos};

use crate::format::format_duration;
use crate::stats::Summary;

use super::Planned;
use super::axis::{Axis, Fmt};
use super::breakdown::stacked_rows;
use super::data;
use super::figure::{Anchor, Figure, Mark};
use super::legend::{LegendEntry, Swatch};
use super::palette::{self, Dash, INK, OTHER, POOL_WAIT, tint};

/// Levels drawn on a percentile curve, as deep into the tail as the samples allow.
const LEVELS: [f64; 20] = [
    0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999, 0.9995, 0.9999,
    0.99999,
];

pub(crate) fn plan(summary: &Summary, latency: &[Histogram<u64>]) -> Vec<Planned> {
    let mut out = Vec::new();
    out.extend(percentiles(summary, latency));
    out.extend(utilisation(summary));
    out.extend(breakdown(summary));
    out.extend(super::timeline::plan(summary));
    out.retain(|p| p.figure.has_data());
    out
}

fn percentiles(summary: &Summary, latency: &[Histogram<u64>]) -> Option<Planned> {
    let mut marks = Vec::new();
    let mut legend = Vec::new();
    let mut all = Vec::new();
    for (i, (class, h)) in summary.classes.iter().zip(latency).enumerate() {
        let n = h.len();
        if n == 0 {
            continue;
        }
        // A level needs at least one sample above it to mean anything.
        let points: Vec<(f64, f64)> = LEVELS
            .iter()
            .filter(|&&q| (1.0 - q) * n as f64 >= 1.0)
            .map(|&q| (q, h.value_at_quantile(q) as f64 * 1e-9))
            .collect();
        all.extend(points.iter().map(|p| p.1));
        let c = palette::design(i);
        marks.push(Mark::Line { points, colour: c, width: 3.0, dash: Dash::Solid, marker: Some(palette::marker(i)) });
        legend.push(LegendEntry::new(
            class.name.clone(),
            Swatch::Line { colour: c, dash: Dash::Solid, width: 3.0, marker: Some(palette::marker(i)) },
        ));
    }
    if marks.is_empty() {
        return None;
    }
    Some(Planned {
        name: "latency-percentiles",
        title: "Latency percentiles".into(),
        caption: "The latency of each request class at each percentile, all replications merged; the axis stretches the tail so 90%, 99% and 99.9% are equally spaced.".into(),
        figure: Figure {
            title: "Latency percentiles".into(),
            subtitle: format!("successful requests, {} replication(s) merged", summary.replications),
            x: Axis::nines("percentile"),
            y: Axis::auto("latency", Fmt::Seconds, all, 20.0),
            marks,
            legend,
            legend_below: false,
        },
    })
}

fn utilisation(summary: &Summary) -> Option<Planned> {
    let names: Vec<String> = summary.services.iter().map(|s| s.name.clone()).collect();
    if names.is_empty() {
        return None;
    }
    let busiest = crate::stats::utilisation::busiest(&summary.services).map(|s| s.name.clone());
    let (cpu, threads) = (palette::design(0), palette::design(1));
    let mut marks = vec![Mark::Rule {
        horizontal: true,
        at: 1.0,
        colour: INK,
        dash: Dash::Dashed,
        width: 1.5,
        label: None,
        label_row: 0,
    }];
    for (i, s) in summary.services.iter().enumerate() {
        let top = busiest.as_ref() == Some(&s.name);
        for (j, (value, c)) in
            [(s.utilisation.value, cpu), (s.thread_utilisation.value, threads)].into_iter().enumerate()
        {
            if !value.is_finite() {
                continue;
            }
            let x0 = i as f64 - 0.4 + j as f64 * 0.4;
            let x = (x0 + 0.03, x0 + 0.37);
            let outline = (top && j == 0).then_some(INK);
            marks.push(Mark::Rect { x, y: (0.0, value), fill: c, outline, hatched: false });
            marks.push(Mark::Label {
                at: ((x.0 + x.1) / 2.0, value),
                text: format!("{:.0}%", value * 100.0),
                colour: INK,
                anchor: Anchor(HPos::Center, VPos::Bottom),
                offset: (0.0, -5.0),
                bold: top && j == 0,
                flexible: false,
            });
        }
    }
    let legend = vec![
        LegendEntry::new("usable CPU busy", Swatch::Fill { colour: cpu, alpha: 1.0 }),
        LegendEntry::new("threads held", Swatch::Fill { colour: threads, alpha: 1.0 }),
        LegendEntry::new("outlined: bottleneck", Swatch::Note),
    ];
    Some(Planned {
        name: "utilisation",
        title: "Utilisation per service".into(),
        caption: "The fraction of each service's usable CPU busy (min(threads, cores) per instance) and of its threads held; the outlined bar is the bottleneck, and threads held far above CPU busy means requests wait on calls while holding a thread.".into(),
        figure: Figure {
            title: "Utilisation per service".into(),
            subtitle: "time-average over all instances and replications".into(),
            x: Axis::categories("service", names),
            y: Axis::linear("utilisation", Fmt::Percent, true),
            marks,
            legend,
            legend_below: false,
        },
    })
}

fn breakdown(summary: &Summary) -> Option<Planned> {
    let b = data::breakdown(summary)?;
    // One row per service (the first at the top), then the unattributed rest.
    let mut rows: Vec<data::Breakdown> = b
        .services
        .iter()
        .map(|svc| data::Breakdown {
            services: vec![svc.clone()],
            pools: Vec::new(),
            other_s: 0.0,
            total_s: svc.1 + svc.2,
        })
        .collect();
    let mut labels: Vec<String> = b.services.iter().map(|s| s.0.clone()).collect();
    for pool in &b.pools {
        rows.push(data::Breakdown { services: Vec::new(), pools: vec![pool.clone()], other_s: 0.0, total_s: pool.1 });
        labels.push(format!("pool {}", pool.0));
    }
    if b.other_s > 0.0 {
        rows.push(data::Breakdown { services: Vec::new(), pools: Vec::new(), other_s: b.other_s, total_s: b.other_s });
        labels.push("CPU shared".into());
    }
    rows.reverse();
    labels.reverse();
    let (marks, _) = stacked_rows(
        rows.iter().map(|r| (r, false)),
        &b.services.iter().map(|s| s.0.clone()).collect::<Vec<_>>(),
        None,
    );
    let mut legend = vec![
        LegendEntry::new("on the CPU", Swatch::Fill { colour: palette::service(0), alpha: 1.0 }),
        LegendEntry::new("waiting for a thread", Swatch::Fill { colour: tint(palette::service(0), 0.6), alpha: 1.0 }),
    ];
    if !b.pools.is_empty() {
        legend.push(LegendEntry::new("waiting for a connection", Swatch::Fill { colour: POOL_WAIT, alpha: 1.0 }));
    }
    if b.other_s > 0.0 {
        legend.push(LegendEntry::new("CPU shared", Swatch::Fill { colour: OTHER, alpha: 1.0 }));
    }
    let pooled = if summary.classes.len() > 1 { " All classes are pooled by their request rates." } else { "" };
    Some(Planned {
        name: "latency-breakdown",
        title: "Where the time goes".into(),
        caption: format!(
            "The mean time of a request ({}) split by service, from Little's law: the dark part is CPU work, the light part waiting for a free thread; a pool's part is the measured wait for its connections (inside its callers' time).{pooled}",
            format_duration(b.total_s)
        ),
        figure: Figure {
            title: "Where the time goes".into(),
            subtitle: format!("mean time per request: {}", format_duration(b.total_s)),
            x: Axis::linear("mean time per request", Fmt::Seconds, true),
            y: Axis::categories("service", labels),
            marks,
            legend,
            legend_below: false,
        },
    })
}
