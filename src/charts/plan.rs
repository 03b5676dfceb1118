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
use super::palette::{Face, INK, Marker, design};

/// The chart "plan": cost against load served.
pub(crate) fn plan(p: &Plan) -> Vec<(String, Planned)> {
    let (ok, miss) = (design(2), design(3));
    let mut marks = Vec::new();
    for d in &p.decisions {
        let (colour, face) = if d.meets { (ok, Face::Filled) } else { (miss, Face::Crossed) };
        marks.push(Mark::Point { at: (d.load, d.cost_per_hour), colour, marker: Marker::Circle, size: 5.0, face });
    }
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
        let top = best.at.iter().map(|a| a.load).fold(f64::MIN, f64::max);
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
    vec![(
        "plan".to_string(),
        Planned {
            name: "plan",
            title: title.clone(),
            caption: format!(
                "Each candidate the planner decided, at each load (by simulation, or by theory where it rules one out): filled where it meets the SLO ({}){headroom}, crossed where it misses; the plan is circled. {} simulation runs; an exhaustive grid would need {}.",
                slo, p.runs, p.grid_runs
            ),
            figure: Figure {
                title,
                subtitle: format!("{slo}{headroom}; price with every instance up"),
                x: Axis::linear("offered load [requests/s]", Fmt::Number, false),
                y: Axis::linear("cost per hour", Fmt::Dollars, true),
                marks,
                legend: vec![
                    LegendEntry::new(
                        "meets the SLO",
                        Swatch::Marker { colour: ok, marker: Marker::Circle, face: Face::Filled },
                    ),
                    LegendEntry::new(
                        "misses it",
                        Swatch::Marker { colour: miss, marker: Marker::Circle, face: Face::Crossed },
                    ),
                    LegendEntry::new(
                        "the plan",
                        Swatch::Marker { colour: INK, marker: Marker::Circle, face: Face::Hollow },
                    ),
                ],
                legend_below: false,
            },
        },
    )]
}
