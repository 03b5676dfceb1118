//! The capacity answers in sentences, for the terminal and the report: the
//! SLO, each design's bracket of loads under it, and the cheapest designs at
//! each target load, a tie named as one.

use crate::experiment::capacity::{Verdict, at_load, group_name, slo_latency, verdict};
use crate::experiment::results::{DesignCapacity, PointResult, TargetAnswer};
use crate::experiment::spec::{Experiment, SloInfo};
use crate::format::{format_duration, whole_or_sig3};

/// Said once when a finding gives a range of loads.
const RANGES: &str = "A range of loads runs from the highest load that clearly met the SLO (95% intervals inside its limits) to the lowest that clearly missed it (an interval beyond a limit); the estimate, where shown, is the highest load whose point estimates met it.";

/// The findings: the SLO, a sentence per design, a sentence per target load.
pub(crate) fn findings(
    exp: &Experiment,
    slo: &SloInfo,
    designs: &[DesignCapacity],
    targets: &[TargetAnswer],
    points: &[PointResult],
) -> Vec<String> {
    let unit =
        exp.load_axis.map(|l| &exp.axes[l]).map_or("", |a| if a.path.ends_with(".rate") { " req/s" } else { "" });
    let mut out = vec![format!("The SLO is {}.", slo.text)];
    let sentences: Vec<(String, bool)> = designs.iter().map(|d| design_sentence(d, unit)).collect();
    if sentences.iter().any(|(_, range)| *range) {
        out.push(RANGES.to_string());
    }
    out.extend(sentences.into_iter().map(|(s, _)| s));
    out.extend(targets.iter().map(|t| target_sentence(exp, slo, t, points, unit)));
    out
}

/// A design's capacity in a sentence, and whether it gives a range (or an
/// open end) that [`RANGES`] explains.
fn design_sentence(d: &DesignCapacity, unit: &str) -> (String, bool) {
    let n = whole_or_sig3;
    let name = &d.design;
    let cost = d
        .cost_per_million_at_max
        .filter(|c| c.is_finite() && *c > 0.0)
        .map(|c| format!(" at ${c:.2} per million requests"))
        .unwrap_or_default();
    let neck = d
        .bottleneck
        .as_ref()
        .map(|(s, u)| format!("; the bottleneck is {s} ({:.0}% CPU)", u * 100.0))
        .unwrap_or_default();
    // Said in parentheses: a note on an open end, and the point estimate
    // when it is not the range's low end.
    let est = d.max_load.filter(|&m| Some(m) != d.max_load_low).map(|m| format!("estimate {}", n(m)));
    let aside = |note: Option<&str>| {
        let parts: Vec<String> = note.map(String::from).into_iter().chain(est.clone()).collect();
        if parts.is_empty() { String::new() } else { format!(" ({})", parts.join("; ")) }
    };
    match (d.max_load_low, d.max_load_high) {
        (Some(lo), Some(hi)) => {
            (format!("{name} meets the SLO up to {}-{}{unit}{}{cost}{neck}.", n(lo), n(hi), aside(None)), true)
        }
        (Some(lo), None) if d.max_load == Some(lo) && d.fails_at.is_none() => {
            (format!("{name} meets the SLO at every load tried, up to {}{unit}{cost}{neck}.", n(lo)), false)
        }
        (Some(lo), None) => {
            let aside = aside(Some("no load tried clearly misses it"));
            (format!("{name} meets the SLO up to at least {}{unit}{aside}{cost}{neck}.", n(lo)), true)
        }
        (None, Some(hi)) if d.max_load.is_none() && d.fails_at == Some(hi) => {
            (format!("{name} misses the SLO already at {}{unit}{neck}.", n(hi)), false)
        }
        (None, Some(hi)) => {
            let aside = aside(Some("no load tried clearly meets it"));
            (format!("{name} meets the SLO only below {}{unit}{aside}{cost}{neck}.", n(hi)), true)
        }
        (None, None) if d.max_load.is_none() && d.fails_at.is_none() => (format!("{name}: no data."), false),
        (None, None) => (
            format!(
                "{name}: no load tried clearly meets or misses the SLO{}{neck}; longer runs or more replications would decide.",
                aside(None)
            ),
            true,
        ),
    }
}

/// "a", "a and b", "a, b and c".
fn and_list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The cheapest designs at one target load in a sentence: a tie is named,
/// and its tie-break (the lowest SLO latency) said as such.
fn target_sentence(exp: &Experiment, slo: &SloInfo, t: &TargetAnswer, points: &[PointResult], unit: &str) -> String {
    let load = whole_or_sig3(t.load);
    let here: Vec<&PointResult> = points.iter().filter(|p| at_load(p, t.load)).collect();
    if !here.iter().any(|p| p.summary.cost.per_hour > 0.0) {
        let passing: Vec<&str> = here.iter().filter(|p| p.meets_slo == Some(true)).map(|p| p.design.as_str()).collect();
        return format!(
            "At {load}{unit}, {} meet the SLO; the model has no prices (set instance_type or cost_per_hour) to name the cheapest.",
            if passing.is_empty() { "no designs".to_string() } else { passing.join(", ") }
        );
    }
    let Some(pick) = &t.lowest_latency else { return format!("At {load}{unit}, no design meets the SLO.") };
    let p = here.iter().find(|p| &group_name(exp, p) == pick).expect("the pick is a point at this load");
    let (stat, latency) = slo_latency(slo, &p.summary);
    let latency = format_duration(latency);
    let cost = t.cost_per_hour.unwrap_or(p.summary.cost.per_hour);
    let unsure = if verdict(slo, &p.summary) == Verdict::Undecided {
        format!("; {pick}'s 95% intervals there straddle the SLO, so longer runs could change this")
    } else {
        String::new()
    };
    if t.cheapest.len() > 1 {
        format!(
            "At {load}{unit}, {} tie as the cheapest designs that meet the SLO (${cost:.2} per hour); of them, {pick} has the lowest {stat} ({latency}){unsure}.",
            and_list(&t.cheapest)
        )
    } else {
        format!(
            "At {load}{unit}, the cheapest design that meets the SLO is {pick} (${cost:.2} per hour, {stat} {latency}){unsure}."
        )
    }
}
