//! The planner's chart: every candidate decided, price per hour against
//! the load it was decided at, filled where it meets the SLO and crossed
//! where it misses, the plan circled; so the feasibility boundary, and how
//! much cheaper the plan is than its neighbours, read at a glance.

use plotters::style::text_anchor::{HPos, VPos};

use crate::planner::Plan;

use super::Planned;
use super::axis::{Axis, Fmt};
use super::figure::{Anchor, Figure, Mark};
use super::legend::{LegendEntry, Swatch};
use super::palette::{self, Face, INK, Marker, design};

/// The chart "plan": cost against load served.
pub(crate) fn plan(p: &Plan) -> Vec<(String, Planned)> {
    let (ok, miss) = (design(2), design(3));
    let mut marks = Vec::new();
    // Groups (instance types, say) side by side at each load, a marker each,
    // so a feasible and an infeasible candidate of one price do not hide each other.
    let mut groups: Vec<(usize, String)> = p.decisions.iter().map(|d| d.group.clone()).collect();
    groups.sort();
    groups.dedup();
    let (lo, hi) = p.decisions.iter().fold((f64::MAX, f64::MIN), |(l, h), d| (l.min(d.load), h.max(d.load)));
    let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    let dodge = |g: usize| {
        let k = groups.iter().position(|x| x.0 == g).unwrap_or(0) as f64;
        (k - (groups.len() as f64 - 1.0) / 2.0) * 0.012 * span
    };
    for d in &p.decisions {
        let (colour, face) = if d.meets { (ok, Face::Filled) } else { (miss, Face::Crossed) };
        let marker = palette::marker(groups.iter().position(|x| x.0 == d.group.0).unwrap_or(0));
        marks.push(Mark::Point { at: (d.load + dodge(d.group.0), d.cost_per_hour), colour, marker, size: 5.0, face });
    }
    let plan_group = p.best.first().and_then(|b| p.decisions.iter().find(|d| d.candidate == b.name)).map(|d| d.group.0);
    if let Some(best) = p.best.first() {
        for a in &best.at {
            marks.push(Mark::Point {
                at: (a.load, best.cost_per_hour),
                colour: INK,
                marker: Marker::Circle,
                size: 9.0,
                face: Face::Hollow,
            });
        }
        let top = best.at.iter().map(|a| a.load).fold(f64::MIN, f64::max) + plan_group.map_or(0.0, dodge);
        marks.push(Mark::Label {
            at: (top, best.cost_per_hour),
            text: format!("plan: {}", best.name),
            colour: INK,
            anchor: Anchor(HPos::Left, VPos::Center),
            offset: (10.0, 0.0),
            bold: true,
            flexible: true,
        });
    }
    if marks.is_empty() {
        return Vec::new();
    }
    let headroom = if p.headroom.is_empty() { String::new() } else { format!(" {}", p.headroom) };
    let slo = p.slo.replace('`', "");
    let title = "Cost against load served".to_string();
    let mut legend = vec![
        LegendEntry::new("meets the SLO", Swatch::Marker { colour: ok, marker: Marker::Circle, face: Face::Filled }),
        LegendEntry::new("misses it", Swatch::Marker { colour: miss, marker: Marker::Circle, face: Face::Crossed }),
        LegendEntry::new("the plan", Swatch::Marker { colour: INK, marker: Marker::Circle, face: Face::Hollow }),
    ];
    if groups.len() > 1 {
        for (k, (_, name)) in groups.iter().enumerate() {
            legend.push(LegendEntry::new(
                name.clone(),
                Swatch::Marker { colour: INK, marker: palette::marker(k), face: Face::Hollow },
            ));
        }
    }
    vec![(
        "plan".to_string(),
        Planned {
            name: "plan",
            title: title.clone(),
            caption: format!(
                "Each candidate the planner decided, at each load (by simulation, or by theory where it rules one out), one marker per group, the groups side by side at each load: filled where it meets the SLO ({}){headroom}, crossed where it misses; the plan is circled. {} simulation runs; an exhaustive grid would need {}.",
                slo, p.runs, p.grid_runs
            ),
            figure: Figure {
                title,
                subtitle: format!("{slo}{headroom}; price with every instance up"),
                x: Axis::linear("offered load [requests/s]", Fmt::Number, false),
                y: Axis::linear("cost per hour", Fmt::Dollars, false),
                marks,
                legend,
                legend_below: false,
            },
        },
    )]
}
