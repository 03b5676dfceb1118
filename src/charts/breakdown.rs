//! "Where the time goes": the measured mean time of a request as stacked
//! bars split by service, per design at a sweep's comparison load and per
//! service for one run; saturated designs hatched, a log axis when bars
//! differ by orders of magnitude.

use plotters::style::text_anchor::{HPos, VPos};

use crate::format::format_duration;

use super::Planned;
use super::axis::{Axis, Fmt, Scale};
use super::data::{self, Series, View};
use super::figure::{Anchor, Figure, Mark};
use super::legend::{LegendEntry, Swatch};
use super::palette::{self, INK, OTHER, POOL_WAIT, tint};
use super::sweep::{many, service_names};

/// The breakdown's axis turns logarithmic when its longest bar is more than
/// this many times its shortest (a saturated design beside healthy ones).
const BREAKDOWN_LOG_RATIO: f64 = 30.0;

/// Where the mean time of a request goes, per design, at the comparison
/// load: parts that sum to the measured mean, saturated designs hatched.
pub(super) fn at_focus(view: &View) -> Option<Planned> {
    let focus = view.focus()?;
    let names = service_names(focus.points.iter().flatten().copied());
    let rows: Vec<(&Series, data::Breakdown, bool)> = view
        .series
        .iter()
        .zip(&focus.points)
        .filter_map(|(s, p)| {
            let p = (*p)?;
            Some((s, data::breakdown(&p.summary)?, data::saturated(&p.summary)))
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    // The first design at the top.
    let labels: Vec<String> = rows
        .iter()
        .rev()
        .map(|(s, _, saturated)| if *saturated { format!("{} (saturated)", s.label) } else { s.label.clone() })
        .collect();
    let multi_class = focus.points.iter().flatten().any(|p| p.summary.classes.len() > 1);
    let axis = Axis::auto("mean time per request", Fmt::Seconds, rows.iter().map(|r| r.1.total_s), BREAKDOWN_LOG_RATIO);
    let log = axis.scale == Scale::Log;
    // On a log axis bars start a decade below the shortest, so it stays visible.
    let shortest = rows.iter().map(|r| r.1.total_s).filter(|t| *t > 0.0).fold(f64::INFINITY, f64::min);
    let base = log.then(|| 10f64.powf(shortest.log10().floor() - 1.0));
    let (marks, any_other) = stacked_rows(rows.iter().rev().map(|(_, b, sat)| (b, *sat)), &names, base);
    let axis = match base {
        Some(b) => axis.starting_at(b),
        None => axis,
    };
    // Colours follow every service (as in the utilisation chart); the legend
    // names only those with a segment (work behind a queue has none).
    let drawn = |n: &String| rows.iter().any(|(_, b, _)| b.services.iter().any(|s| &s.0 == n && s.1 + s.2 > 0.0));
    let mut legend: Vec<LegendEntry> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| drawn(n))
        .map(|(i, n)| LegendEntry::new(n.clone(), Swatch::Fill { colour: palette::service(i), alpha: 1.0 }))
        .collect();
    if rows.iter().any(|(_, b, _)| !b.pools.is_empty()) {
        legend.push(LegendEntry::new("waiting for a connection", Swatch::Fill { colour: POOL_WAIT, alpha: 1.0 }));
    }
    if any_other {
        legend.push(LegendEntry::new("CPU shared", Swatch::Fill { colour: OTHER, alpha: 1.0 }));
    }
    let any_saturated = rows.iter().any(|r| r.2);
    if any_saturated {
        legend.push(LegendEntry::new("saturated", Swatch::Hatch { colour: OTHER }));
    }
    legend.push(LegendEntry::new("dark: on the CPU", Swatch::Note));
    legend.push(LegendEntry::new("light: waiting for a thread", Swatch::Note));
    if log {
        legend.push(LegendEntry::new("log axis: a bar splits by share", Swatch::Note));
    }
    let pooled = if multi_class { " All classes are pooled by their request rates." } else { "" };
    let saturated = if any_saturated {
        " Hatched bars are saturated designs (a service at least 98% busy, or a backlog growing through the run): their mean is of the requests that finished, and grows with the run."
    } else {
        ""
    };
    let scale = if log {
        " The axis is logarithmic: each bar ends at its mean, and its segments split it in proportion to their shares."
    } else {
        ""
    };
    Some(Planned {
        name: "latency-breakdown",
        title: "Where the time goes".into(),
        caption: format!(
            "The measured mean time of a request split by service {}, by Little's law: the dark part is CPU work and the light part waiting for a free thread{}.{pooled}{saturated}{scale}",
            focus.label,
            if any_other { "; grey is time computing on cores shared with other requests" } else { "" }
        ),
        figure: Figure {
            title: "Where the time goes".into(),
            subtitle: format!("mean time per request by service, {}", focus.label),
            x: axis,
            y: Axis::categories("design", labels),
            marks,
            legend,
            legend_below: many(view),
        },
    })
}

/// Horizontal stacked bars, one row per breakdown (row 0 at the bottom):
/// per service its wait (light) then CPU (dark), then the waits for pools'
/// connections, then the shared-CPU rest,
/// labelled with the total. With a log axis (`log_base`:
/// where bars start) a bar ends at its total and its segments divide it by
/// their shares of the total. A saturated row is hatched.
pub(crate) fn stacked_rows<'b>(
    rows: impl Iterator<Item = (&'b data::Breakdown, bool)>,
    names: &[String],
    log_base: Option<f64>,
) -> (Vec<Mark>, bool) {
    let rows: Vec<(&data::Breakdown, bool)> = rows.collect();
    let longest = rows.iter().map(|(b, _)| b.total_s).fold(0.0, f64::max);
    let mut marks = Vec::new();
    let mut any_other = false;
    for (r, (b, saturated)) in rows.iter().enumerate() {
        let y = (r as f64 - 0.32, r as f64 + 0.32);
        // Where a running sum of the parts is drawn.
        let place = |sum: f64| match log_base {
            Some(base) if b.total_s > base => base * (b.total_s / base).powf(sum / b.total_s),
            Some(base) => base,
            None => sum,
        };
        let mut parts = Vec::new();
        for (name, wait, cpu) in &b.services {
            let k = names.iter().position(|n| n == name).unwrap_or(0);
            let c = palette::service(k);
            parts.extend([(*wait, tint(c, 0.6)), (*cpu, c)]);
        }
        parts.extend(b.pools.iter().map(|(_, wait)| (*wait, POOL_WAIT)));
        if b.other_s > 0.0 {
            any_other = true;
            parts.push((b.other_s, OTHER));
        }
        let mut sum = 0.0;
        for (len, fill) in parts.into_iter().filter(|(len, _)| *len > 0.0) {
            marks.push(Mark::Rect { x: (place(sum), place(sum + len)), y, fill, outline: None, hatched: *saturated });
            sum += len;
        }
        let end = place(sum);
        marks.push(Mark::Label {
            at: (end, r as f64),
            text: format_duration(b.total_s),
            colour: INK,
            anchor: Anchor(HPos::Left, VPos::Center),
            offset: (8.0, 0.0),
            bold: true,
            flexible: false,
        });
        // Room for the label.
        let room = match log_base {
            Some(base) => end * (longest / base).powf(0.2),
            None => end * 1.2,
        };
        marks.push(Mark::Reserve { at: (room, r as f64) });
    }
    (marks, any_other)
}
