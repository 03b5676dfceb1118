//! The tornado chart of `capsim sensitivity`: for one metric (p99 latency,
//! throughput, cost per hour), each parameter's effect when lowered (light
//! bar) and raised (dark bar) alone, as a relative change from the
//! nominal; the largest swing on top, so the assumptions the answer rests
//! on most read first.

use plotters::style::text_anchor::{HPos, VPos};

use crate::compare::Kind;
use crate::sensitivity::{ParameterResult, Sensitivity, SettingResult};

use super::Planned;
use super::axis::{Axis, Fmt};
use super::figure::{Anchor, Figure, Mark};
use super::legend::{LegendEntry, Swatch};
use super::palette::{self, Dash, INK, tint};

/// Rows drawn at most; smaller effects are named in the subtitle's count.
const MOST_ROWS: usize = 12;

/// The metrics a tornado is drawn for, with their chart names and titles.
const CHARTS: [(Kind, &str, &str); 3] = [
    (Kind::P99, "tornado-p99", "p99 latency"),
    (Kind::Throughput, "tornado-throughput", "throughput"),
    (Kind::CostPerHour, "tornado-cost", "cost per hour"),
];

/// A tornado per metric for every setting (file stems end in `-DESIGN`
/// when there are several); a metric no parameter moves is left out.
pub(crate) fn plan(s: &Sensitivity) -> Vec<(String, Planned)> {
    let mut out = Vec::new();
    for (i, setting) in s.settings.iter().enumerate() {
        for (kind, name, what) in CHARTS {
            let stem = if s.settings.len() > 1 { format!("{name}-{}", setting.setting.name) } else { name.to_string() };
            if let Some(p) = chart(s, i, setting, kind, what) {
                out.push((stem, p));
            }
        }
    }
    out
}

fn pct(x: f64) -> String {
    format!("{}{}%", if x > 0.0 { "+" } else { "" }, crate::format::sig3(x * 100.0))
}

fn chart(s: &Sensitivity, design: usize, setting: &SettingResult, kind: Kind, what: &str) -> Option<Planned> {
    let label = crate::sensitivity::metric_label(kind, &s.class);
    let rows: Vec<(&ParameterResult, f64, f64)> = crate::sensitivity::by_swing(&setting.parameters, &s.class)
        .into_iter()
        .filter_map(|p| {
            let e = p.effect(&label)?;
            (e.low_change.is_finite() && e.high_change.is_finite()).then_some((p, e.low_change, e.high_change))
        })
        .collect();
    let moved = |(_, l, h): &&(&ParameterResult, f64, f64)| *l != 0.0 || *h != 0.0;
    let shown: Vec<&(&ParameterResult, f64, f64)> = rows.iter().filter(moved).take(MOST_ROWS).collect();
    if shown.is_empty() {
        return None;
    }
    let hidden = rows.iter().filter(moved).count() - shown.len();
    let nominal = setting.parameters[0].effect(&label)?.nominal.value;
    let colour = palette::design(design);
    let light = tint(colour, 0.55);
    let mut marks = Vec::new();
    // The largest swing at the top: row 0 is the bottom one.
    for (r, (_, low, high)) in shown.iter().rev().enumerate() {
        let y = r as f64;
        for (change, fill) in [(*low, light), (*high, colour)] {
            marks.push(Mark::Rect { x: (0.0, change), y: (y - 0.32, y + 0.32), fill, outline: None, hatched: false });
        }
        // Each end's change beside it, outward; where both ends push the same way, the larger one's.
        let (left, right) = (low.min(*high), low.max(*high));
        if right > 0.0 {
            marks.push(label_at(right, y, HPos::Left, 6.0));
        }
        if left < 0.0 {
            marks.push(label_at(left, y, HPos::Right, -6.0));
        }
    }
    // Room for the labels either side.
    let lo = shown.iter().map(|(_, l, h)| l.min(*h)).fold(0.0, f64::min);
    let hi = shown.iter().map(|(_, l, h)| l.max(*h)).fold(0.0, f64::max);
    let room = 0.3 * (hi - lo);
    marks.push(Mark::Reserve { at: (if lo < 0.0 { lo - room } else { 0.0 }, 0.0) });
    marks.push(Mark::Reserve { at: (if hi > 0.0 { hi + room } else { 0.0 }, 0.0) });
    marks.push(Mark::Rule {
        horizontal: false,
        at: 0.0,
        colour: INK,
        dash: Dash::Solid,
        width: 1.5,
        label: None,
        label_row: 0,
    });
    let names: Vec<String> =
        shown.iter().rev().map(|(p, _, _)| format!("{} {}", p.path, crate::sensitivity::range_text(p))).collect();
    let nominal_text = kind.unit().show(nominal);
    let class = match kind {
        Kind::CostPerHour => String::new(),
        _ => format!(" of {}", s.class),
    };
    let design_text = if s.settings.len() > 1 { format!(" in design {}", setting.setting.name) } else { String::new() };
    let more = if hidden > 0 { format!("; {hidden} smaller effect(s) not shown") } else { String::new() };
    let title = format!("What moves the {what}{class}");
    Some(Planned {
        name: "tornado",
        title: title.clone(),
        caption: format!(
            "Each parameter lowered (light) and raised (dark) alone, every other value at its nominal{design_text}, with the same random numbers: the bar is the relative change of the {what}{class} from its nominal {nominal_text}. The widest bars are the assumptions the answer depends on most{more}."
        ),
        figure: Figure {
            title,
            subtitle: format!(
                "change from the nominal ({nominal_text}){design_text}; {} replication(s), seed {}{more}",
                s.replications, s.seed
            ),
            x: Axis::linear(format!("change in the {what}"), Fmt::Percent, false),
            y: Axis::categories("parameter", names),
            marks,
            legend: vec![
                LegendEntry::new("parameter lowered", Swatch::Fill { colour: light, alpha: 1.0 }),
                LegendEntry::new("parameter raised", Swatch::Fill { colour, alpha: 1.0 }),
            ],
            legend_below: false,
        },
    })
}

fn label_at(x: f64, y: f64, h: HPos, dx: f64) -> Mark {
    Mark::Label {
        at: (x, y),
        text: pct(x),
        colour: INK,
        anchor: Anchor(h, VPos::Center),
        offset: (dx, 0.0),
        bold: false,
        flexible: false,
    }
}
