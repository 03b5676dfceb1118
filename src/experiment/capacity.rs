//! Capacity answers: whether a point meets the SLO, the highest load each
//! design holds under it (from the grid, then refined by bisection through
//! the executor), its bottleneck, and the cheapest design at a target load,
//! also said in sentences.

use std::sync::atomic::AtomicBool;

use crate::experiment::execute::simulate_all;
use crate::experiment::results::{Capacity, DesignCapacity, ExperimentResults, PointResult};
use crate::experiment::spec::Experiment;
use crate::experiment::spec::SloInfo;
use crate::format::{format_duration, whole_or_sig3};
use crate::run;
use crate::stats::RunMetrics;
use crate::stats::{LatencyKind, LatencyStat, Measure, Summary, summarise};

/// Whether a summary meets the SLO; `None` when a needed value is missing.
/// Each latency the SLO names (reply, completion) must be within its limit,
/// and no message queue's backlog may grow through the window: work that
/// piles up is never done, however fast the replies.
pub fn meets(slo: &SloInfo, s: &Summary) -> Option<bool> {
    let mut ok = !s.queues.iter().any(|q| q.backlog_growing);
    for c in s.classes.iter().filter(|c| slo.class.as_ref().is_none_or(|n| n == &c.name)) {
        for (measure, limit) in slo.limits() {
            let v = measure.of(c).value;
            if v.is_nan() {
                // Nothing completed: certainly not meeting a latency SLO.
                ok = false;
            } else {
                ok &= v <= limit;
            }
        }
        if let Some(limit) = slo.error_ratio {
            ok &= c.error_ratio.value <= limit;
        }
    }
    Some(ok)
}

/// The latency capacity answers quote: the one the SLO charts (p99 of the reply without one).
fn quoted(slo: &SloInfo) -> Measure {
    slo.charted().map_or(Measure { kind: LatencyKind::Reply, stat: LatencyStat::P99 }, |(m, _)| m)
}

/// The busiest service (by CPU utilisation) and its utilisation.
fn bottleneck(s: &Summary) -> Option<(String, f64)> {
    s.services
        .iter()
        .max_by(|a, b| a.utilisation.value.total_cmp(&b.utilisation.value))
        .map(|v| (v.name.clone(), v.utilisation.value))
}

/// Groups points of one design that differ only in the load axis.
fn groups(exp: &Experiment, points: &[PointResult]) -> Vec<(String, Vec<usize>)> {
    let l = exp.load_axis.expect("capacity needs a load axis");
    let mut out: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let others: Vec<String> = exp
            .axes
            .iter()
            .zip(&p.axis_values)
            .enumerate()
            .filter(|(a, _)| *a != l)
            .map(|(_, (axis, v))| format!("{}={v}", axis.path))
            .collect();
        let name = if others.is_empty() { p.design.clone() } else { format!("{} @ {}", p.design, others.join(", ")) };
        match out.iter_mut().find(|(n, _)| n == &name) {
            Some((_, members)) => members.push(i),
            None => out.push((name, vec![i])),
        }
    }
    for (_, members) in &mut out {
        members.sort_by(|&a, &b| points[a].load.unwrap_or(0.0).total_cmp(&points[b].load.unwrap_or(0.0)));
    }
    out
}

/// Capacity answers from the grid alone: each design's highest passing load
/// below its first failure, its bottleneck, and the cheapest design at the
/// target load.
pub(crate) fn from_grid(exp: &Experiment, points: &[PointResult]) -> Capacity {
    let (Some(slo), Some(_)) = (&exp.slo, exp.load_axis) else {
        return Capacity { target_load: exp.target_load, ..Capacity::default() };
    };
    answer(exp, slo, grid_designs(exp, points), points, &[])
}

/// Each design's bracket on the grid.
fn grid_designs(exp: &Experiment, points: &[PointResult]) -> Vec<DesignCapacity> {
    groups(exp, points)
        .into_iter()
        .map(|(name, members)| {
            // The highest load below the first failure: a design that fails at
            // 1000/s but passes at 1200/s (noise) is not trusted beyond 1000/s.
            let first_fail = members.iter().position(|&i| points[i].meets_slo != Some(true));
            let passing = &members[..first_fail.unwrap_or(members.len())];
            let best = passing.last().map(|&i| &points[i]);
            DesignCapacity {
                design: name,
                max_load: best.and_then(|p| p.load),
                fails_at: first_fail.and_then(|f| points[members[f]].load),
                bottleneck: best.or(members.first().map(|&i| &points[i])).and_then(|p| bottleneck(&p.summary)),
                cost_per_hour: points[members[0]].summary.cost.per_hour,
                cost_per_million_at_max: best.map(|p| p.summary.cost.per_million_requests.value),
            }
        })
        .collect()
}

/// The capacity answers for these brackets: the cheapest design at the
/// target load and the findings in sentences (`notes` appended).
fn answer(
    exp: &Experiment,
    slo: &SloInfo,
    designs: Vec<DesignCapacity>,
    points: &[PointResult],
    notes: &[String],
) -> Capacity {
    let mut cheapest_at_target = None;
    if let Some(target) = exp.target_load {
        cheapest_at_target = points
            .iter()
            .filter(|p| p.load.is_some_and(|l| (l - target).abs() <= 1e-9 * target.abs().max(1.0)))
            .filter(|p| p.meets_slo == Some(true))
            .min_by(|a, b| {
                // Equal prices: the design with the lower tail latency wins.
                let p99 = |p: &PointResult| {
                    p.summary.classes.first().map_or(f64::INFINITY, |c| quoted(slo).with(LatencyStat::P99).of(c).value)
                };
                a.summary.cost.per_hour.total_cmp(&b.summary.cost.per_hour).then(p99(a).total_cmp(&p99(b)))
            })
            .map(|p| p.design.clone());
    }
    let mut findings = findings(exp, slo, &designs, points, cheapest_at_target.as_deref());
    findings.extend(notes.iter().cloned());
    Capacity { designs, target_load: exp.target_load, cheapest_at_target, findings }
}

/// A design's (highest passing, lowest failing) loads, when it has both: what bisection refines.
fn bracket(d: &DesignCapacity) -> Option<(f64, f64)> {
    d.max_load.zip(d.fails_at)
}

/// How many simulations [`refine`] runs at most (for a progress bar).
pub fn bisection_runs(exp: &Experiment, results: &ExperimentResults) -> usize {
    let refinable = results.capacity.designs.iter().filter(|d| bracket(d).is_some()).count();
    refinable * exp.bisect as usize * exp.replications as usize
}

/// Refines each design's (max_load, fails_at) bracket by simulating
/// midpoints, `exp.bisect` steps, and answers again. The simulations run
/// through the same executor as the sweep's runs: in parallel over designs
/// and replications, a panic or a limit caught, `stop` (Ctrl-C) honoured.
/// Returns what kept a design from being refined, as sentences (also
/// appended to the findings).
pub fn refine(
    exp: &Experiment,
    results: &mut ExperimentResults,
    progress: &(dyn Fn() + Sync),
    stop: &AtomicBool,
) -> Vec<String> {
    let (Some(slo), Some(_)) = (&exp.slo, exp.load_axis) else { return Vec::new() };
    if exp.bisect == 0 {
        return Vec::new();
    }
    let points = &results.points;
    let groups = groups(exp, points);
    let mut designs = results.capacity.designs.clone();
    let mut brackets: Vec<Option<(f64, f64)>> = designs.iter().map(bracket).collect();
    let mut notes = Vec::new();
    let replications = exp.replications as usize;
    for _ in 0..exp.bisect {
        let mut nets = Vec::new();
        for (i, bracket) in brackets.iter_mut().enumerate() {
            let Some((lo, hi)) = *bracket else { continue };
            let mid = (lo + hi) / 2.0;
            let template = &points[groups[i].1[0]];
            match exp.network_at_load(template.design_index, template.point_index, mid) {
                Ok(net) => nets.push((i, mid, net)),
                Err(e) => {
                    notes.push(format!(
                        "Bisection of {} stopped at {}: the model does not compile there: {e}",
                        designs[i].design,
                        whole_or_sig3(mid)
                    ));
                    *bracket = None;
                }
            }
        }
        if nets.is_empty() {
            break;
        }
        let tasks: Vec<(usize, u32)> =
            (0..nets.len()).flat_map(|n| (0..exp.replications).map(move |r| (n, r))).collect();
        let outcomes = simulate_all(
            &tasks,
            |&(n, r)| {
                let net = &nets[n].2;
                let stats = run::simulate_replication(net, r);
                match stats.stopped {
                    Some(reason) => Err(reason),
                    None => Ok(RunMetrics::new(net, &stats)),
                }
            },
            progress,
            stop,
            false,
        );
        if outcomes.iter().any(Option::is_none) {
            notes.push("Bisection was interrupted: the capacity brackets are those of the steps that finished.".into());
            break;
        }
        for (n, (i, mid, net)) in nets.iter().enumerate() {
            let mine = outcomes[n * replications..(n + 1) * replications].iter().flatten();
            let metrics: Result<Vec<RunMetrics>, &String> = mine.map(|o| o.as_ref().cloned()).collect();
            let metrics = match metrics {
                Ok(m) => m,
                Err(message) => {
                    notes.push(format!(
                        "Bisection of {} stopped at {}: {message}",
                        designs[*i].design,
                        whole_or_sig3(*mid)
                    ));
                    brackets[*i] = None;
                    continue;
                }
            };
            let summary = summarise(net, &metrics);
            let cap = &mut designs[*i];
            let (lo, hi) = brackets[*i].as_mut().expect("bracketed");
            if meets(slo, &summary) == Some(true) {
                *lo = *mid;
                cap.bottleneck = bottleneck(&summary);
                cap.cost_per_million_at_max = Some(summary.cost.per_million_requests.value);
            } else {
                *hi = *mid;
            }
            cap.max_load = Some(*lo);
            cap.fails_at = Some(*hi);
        }
    }
    results.capacity = answer(exp, slo, designs, points, &notes);
    notes
}

fn findings(
    exp: &Experiment,
    slo: &SloInfo,
    designs: &[DesignCapacity],
    points: &[PointResult],
    cheapest: Option<&str>,
) -> Vec<String> {
    let unit =
        exp.load_axis.map(|l| &exp.axes[l]).map_or("", |a| if a.path.ends_with(".rate") { " req/s" } else { "" });
    let mut out = vec![format!("The SLO is {}.", slo.text)];
    for d in designs {
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
        let sentence = match (d.max_load, d.fails_at) {
            (Some(max), Some(fail)) => format!(
                "{} meets the SLO up to {}{unit}{cost} and fails at {}{unit}{neck}.",
                d.design,
                whole_or_sig3(max),
                whole_or_sig3(fail)
            ),
            (Some(max), None) => {
                format!(
                    "{} meets the SLO at every load tried, up to {}{unit}{cost}{neck}.",
                    d.design,
                    whole_or_sig3(max)
                )
            }
            (None, Some(fail)) => {
                format!("{} misses the SLO already at {}{unit}{neck}.", d.design, whole_or_sig3(fail))
            }
            (None, None) => format!("{}: no data.", d.design),
        };
        out.push(sentence);
    }
    let at_target =
        |p: &&PointResult| exp.target_load.is_some_and(|t| p.load.is_some_and(|l| (l - t).abs() <= 1e-9 * t.max(1.0)));
    let priced = points.iter().filter(at_target).any(|p| p.summary.cost.per_hour > 0.0);
    if let (Some(target), false) = (exp.target_load, priced) {
        let passing: Vec<&str> =
            points.iter().filter(at_target).filter(|p| p.meets_slo == Some(true)).map(|p| p.design.as_str()).collect();
        out.push(format!(
            "At {}{unit}, {} meet the SLO; the model has no prices (set instance_type or cost_per_hour) to name the cheapest.",
            whole_or_sig3(target),
            if passing.is_empty() { "no designs".to_string() } else { passing.join(", ") }
        ));
    } else if let Some(target) = exp.target_load {
        match cheapest {
            Some(name) => {
                let p = points
                    .iter()
                    .find(|p| p.design == name && p.load.is_some_and(|l| (l - target).abs() <= 1e-9 * target.max(1.0)));
                let detail = p
                    .map(|p| {
                        let p99 = quoted(slo).with(LatencyStat::P99);
                        let value =
                            p.summary.classes.first().map(|c| format_duration(p99.of(c).value)).unwrap_or_default();
                        format!(" (${:.2} per hour, {p99} {value})", p.summary.cost.per_hour)
                    })
                    .unwrap_or_default();
                out.push(format!(
                    "At {}{unit}, the cheapest design that meets the SLO is {name}{detail}.",
                    whole_or_sig3(target)
                ));
            }
            None => out.push(format!("At {}{unit}, no design meets the SLO.", whole_or_sig3(target))),
        }
    }
    out
}
