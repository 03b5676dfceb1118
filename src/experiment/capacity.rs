//! Capacity answers: whether a point meets the SLO, and whether its 95%
//! intervals say so clearly ([`verdict`]); the bracket of loads each design
//! holds under it (from the grid, then narrowed by bisection through the
//! executor), its bottleneck, and the cheapest designs at each target load,
//! ties named. `findings` says them in sentences.

use std::sync::atomic::AtomicBool;

use crate::experiment::execute::{RunRecord, simulate_all};
use crate::experiment::findings::findings;
use crate::experiment::results::{Capacity, DesignCapacity, ExperimentResults, PointResult, TargetAnswer};
use crate::experiment::spec::Experiment;
use crate::experiment::spec::SloInfo;
use crate::format::whole_or_sig3;
use crate::stats::utilisation::busiest;
use crate::stats::{Estimate, LatencyKind, LatencyStat, Measure, RunMetrics};
use crate::stats::{Summary, summarise};
use crate::{rng, run};

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
pub(crate) fn quoted(slo: &SloInfo) -> Measure {
    slo.charted().map_or(Measure { kind: LatencyKind::Reply, stat: LatencyStat::P99 }, |(m, _)| m)
}

/// The busiest service (by utilisation of its usable cores) and its utilisation.
fn bottleneck(s: &Summary) -> Option<(String, f64)> {
    busiest(&s.services).map(|v| (v.name.clone(), v.utilisation.value))
}

/// What a point's 95% intervals say about the SLO.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every interval the SLO limits lies wholly inside its limit.
    Pass,
    /// An interval lies wholly beyond its limit (or nothing was measured).
    Fail,
    /// Neither: an interval straddles a limit, so more data would decide.
    Undecided,
}

/// Whether a summary clearly meets the SLO, clearly misses it, or neither.
/// It is [`meets`] asked twice: with every limited estimate moved to the
/// unfavourable end of its 95% interval (meeting it there: a clear pass),
/// and to the favourable end (missing it even there: a clear fail). An
/// estimate without an interval (one replication) is judged by its value.
pub fn verdict(slo: &SloInfo, s: &Summary) -> Verdict {
    let worst = meets(slo, &at_interval_end(s, Estimate::high)) == Some(true);
    let best = meets(slo, &at_interval_end(s, Estimate::low)) == Some(true);
    match (worst, best) {
        (true, _) => Verdict::Pass,
        (false, false) => Verdict::Fail,
        (false, true) => Verdict::Undecided,
    }
}

/// `s` with every estimate an SLO can limit (each class's reply and
/// completion latency statistics and error ratio) moved to `end` of its interval. Every limit
/// is an upper bound, so the high end is the unfavourable one. A quantity
/// that an SLO learns to limit must be moved here too.
fn at_interval_end(s: &Summary, end: fn(&Estimate) -> f64) -> Summary {
    let mut s = s.clone();
    for c in &mut s.classes {
        c.error_ratio.value = end(&c.error_ratio);
        for l in std::iter::once(&mut c.latency_s).chain(c.completion_s.as_mut()) {
            for e in [&mut l.mean, &mut l.p50, &mut l.p90, &mut l.p95, &mut l.p99, &mut l.p999, &mut l.max] {
                e.value = end(e);
            }
        }
    }
    s
}

/// One load tried for a design, on the grid or by bisection.
#[derive(Debug, Clone)]
struct Probe {
    load: f64,
    /// Whether the point estimates meet the SLO.
    meets: bool,
    verdict: Verdict,
    bottleneck: Option<(String, f64)>,
    cost_per_million: f64,
}

impl Probe {
    fn new(slo: &SloInfo, load: f64, s: &Summary) -> Probe {
        Probe {
            load,
            meets: meets(slo, s) == Some(true),
            verdict: verdict(slo, s),
            bottleneck: bottleneck(s),
            cost_per_million: s.cost.per_million_requests.value,
        }
    }
}

/// The name of a point's group: its design, with the values of the axes
/// other than the load appended ("vertical @ services.api.threads=64").
pub(crate) fn group_name(exp: &Experiment, p: &PointResult) -> String {
    let l = exp.load_axis.expect("capacity needs a load axis");
    let others: Vec<String> = exp
        .axes
        .iter()
        .zip(&p.axis_values)
        .enumerate()
        .filter(|(a, _)| *a != l)
        .map(|(_, (axis, v))| format!("{}={v}", axis.path))
        .collect();
    if others.is_empty() { p.design.clone() } else { format!("{} @ {}", p.design, others.join(", ")) }
}

/// Groups points of one design that differ only in the load axis, each
/// group's points in load order.
fn groups(exp: &Experiment, points: &[PointResult]) -> Vec<(String, Vec<usize>)> {
    let mut out: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let name = group_name(exp, p);
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

/// A group's grid points as probes, in load order.
fn grid_probes(slo: &SloInfo, points: &[PointResult], members: &[usize]) -> Vec<Probe> {
    members.iter().map(|&i| Probe::new(slo, points[i].load.unwrap_or(0.0), &points[i].summary)).collect()
}

/// The bracket's ends among probes in load order: the lowest clear failure,
/// and the highest clear pass below it. A clear pass above a clear failure
/// is noise and does not count.
fn ends(probes: &[Probe]) -> (Option<usize>, Option<usize>) {
    let high = probes.iter().position(|p| p.verdict == Verdict::Fail);
    let low = probes[..high.unwrap_or(probes.len())].iter().rposition(|p| p.verdict == Verdict::Pass);
    (low, high)
}

/// A design's capacity from the loads tried (in load order): the bracket,
/// and the point estimate scanned up from the bracket's low end.
fn design_capacity(design: String, cost_per_hour: f64, probes: &[Probe]) -> DesignCapacity {
    let (low, high) = ends(probes);
    // A clear pass also meets on its estimates, and a clear failure misses,
    // so low <= max < fails_at <= high.
    let from = low.unwrap_or(0);
    let first_miss = probes[from..].iter().position(|p| !p.meets).map(|i| from + i);
    let end = first_miss.unwrap_or(probes.len());
    let max = (end > from).then(|| &probes[end - 1]);
    DesignCapacity {
        design,
        max_load: max.map(|p| p.load),
        fails_at: first_miss.map(|i| probes[i].load),
        max_load_low: low.map(|i| probes[i].load),
        max_load_high: high.map(|i| probes[i].load),
        bottleneck: max.or(probes.first()).and_then(|p| p.bottleneck.clone()),
        cost_per_hour,
        cost_per_million_at_max: max.map(|p| p.cost_per_million),
    }
}

/// Capacity answers from the grid alone: each design's bracket and point
/// estimate, its bottleneck, and the cheapest designs at each target load.
pub(crate) fn from_grid(exp: &Experiment, points: &[PointResult]) -> Capacity {
    let (Some(slo), Some(_)) = (&exp.slo, exp.load_axis) else {
        // No answers, but the loads the charts compare designs at.
        let unanswered = |&load| TargetAnswer { load, cheapest: Vec::new(), cost_per_hour: None, lowest_latency: None };
        let targets = exp.target_loads.iter().map(unanswered).collect();
        return Capacity { target_load: exp.target_loads.first().copied(), targets, ..Capacity::default() };
    };
    let designs = groups(exp, points)
        .into_iter()
        .map(|(name, members)| {
            let cost = points[members[0]].summary.cost.per_hour;
            design_capacity(name, cost, &grid_probes(slo, points, &members))
        })
        .collect();
    answer(exp, slo, designs, points, &[])
}

/// The capacity answers for these designs: the cheapest designs at each
/// target load and the findings in sentences (`notes` appended).
fn answer(
    exp: &Experiment,
    slo: &SloInfo,
    designs: Vec<DesignCapacity>,
    points: &[PointResult],
    notes: &[String],
) -> Capacity {
    let targets: Vec<TargetAnswer> = exp.target_loads.iter().map(|&t| target_answer(exp, slo, points, t)).collect();
    let mut findings = findings(exp, slo, &designs, &targets, points);
    findings.extend(notes.iter().cloned());
    Capacity {
        designs,
        target_load: exp.target_loads.first().copied(),
        cheapest_at_target: targets.first().and_then(|t| t.lowest_latency.clone()),
        targets,
        findings,
    }
}

/// Whether a point's load is `load` (to rounding).
pub(crate) fn at_load(p: &PointResult, load: f64) -> bool {
    p.load.is_some_and(|l| (l - load).abs() <= 1e-9 * load.abs().max(1.0))
}

/// A cost per hour in whole cents: designs whose costs print the same are a tie.
fn cents(per_hour: f64) -> f64 {
    (per_hour * 100.0).round()
}

/// The SLO's latency (reply or completion; its p99 when it limits none) of
/// the SLO's class (else the first class) at a point: what breaks a tie on price.
pub(crate) fn slo_latency(slo: &SloInfo, s: &Summary) -> (Measure, f64) {
    let measure = quoted(slo);
    let class = match &slo.class {
        Some(name) => s.classes.iter().find(|c| &c.name == name),
        None => s.classes.first(),
    };
    (measure, class.map_or(f64::NAN, |c| measure.of(c).value))
}

/// The designs that meet the SLO at `load` for the least money per hour,
/// and which of them has the lowest SLO latency.
fn target_answer(exp: &Experiment, slo: &SloInfo, points: &[PointResult], load: f64) -> TargetAnswer {
    let passing: Vec<&PointResult> = points.iter().filter(|p| at_load(p, load) && p.meets_slo == Some(true)).collect();
    let cheapest_cents = passing.iter().map(|p| cents(p.summary.cost.per_hour)).min_by(f64::total_cmp);
    let cheapest: Vec<&PointResult> =
        passing.into_iter().filter(|p| Some(cents(p.summary.cost.per_hour)) == cheapest_cents).collect();
    let latency = |p: &&PointResult| slo_latency(slo, &p.summary).1;
    let lowest = cheapest.iter().min_by(|a, b| latency(a).total_cmp(&latency(b)));
    TargetAnswer {
        load,
        cheapest: cheapest.iter().map(|p| group_name(exp, p)).collect(),
        cost_per_hour: cheapest.first().map(|p| p.summary.cost.per_hour),
        lowest_latency: lowest.map(|p| group_name(exp, p)),
    }
}

/// A design's (low, high) bracket, when it has both ends: what bisection refines.
fn bracket(d: &DesignCapacity) -> Option<(f64, f64)> {
    d.max_load_low.zip(d.max_load_high)
}

/// How many simulations [`refine`] runs at most (for a progress bar).
pub fn bisection_runs(exp: &Experiment, results: &ExperimentResults) -> usize {
    let refinable = results.capacity.designs.iter().filter(|d| bracket(d).is_some()).count();
    refinable * exp.bisect as usize * exp.replications as usize
}

/// How many simulations [`refine`] could run, before the grid is known:
/// every design (and combination of the other axes) refined.
pub fn max_bisection_runs(exp: &Experiment) -> usize {
    let Some(l) = exp.load_axis.filter(|_| exp.slo.is_some()) else { return 0 };
    let groups = exp.designs.len() * exp.points.len() / exp.axes[l].values.len();
    groups * exp.bisect as usize * exp.replications as usize
}

/// The next load to try for a design: halfway across the wider of the gaps
/// between the bracket's ends and the undecided loads inside it (across the
/// whole bracket when none is undecided). Undecided loads do not move an
/// end, so this narrows the bracket from both sides towards them.
fn next_load(probes: &[Probe]) -> Option<f64> {
    let (Some(low), Some(high)) = ends(probes) else { return None };
    let (a, b) = (probes[low].load, probes[high].load);
    // Between the ends every probe is undecided: none passes below the first
    // failure above the last pass.
    let inside = &probes[low + 1..high];
    match (inside.first(), inside.last()) {
        (Some(first), Some(last)) if first.load - a >= b - last.load => Some((a + first.load) / 2.0),
        (Some(_), Some(last)) => Some((last.load + b) / 2.0),
        _ => Some((a + b) / 2.0),
    }
}

/// One simulation of the bisection: a replication of a design at a load
/// between the grid's points.
#[derive(Debug, Clone, PartialEq)]
pub struct BisectionRun {
    /// Bisection step, from 1.
    pub step: u32,
    /// Axis values as written, the load axis at the load simulated.
    pub axis_values: Vec<String>,
    /// The run: its index continues after the grid's runs; `point` is the
    /// grid point whose other axis values it shares.
    pub record: RunRecord,
}

/// What [`refine`] did.
#[derive(Debug, Default)]
pub struct Refined {
    /// What kept a design from being refined, as sentences (also appended
    /// to the findings).
    pub notes: Vec<String>,
    /// Every bisection run whose load was used, in run order.
    pub runs: Vec<BisectionRun>,
}

/// Narrows each design's bracket by simulating loads inside it, `exp.bisect`
/// steps, and answers again: each step halves the wider gap between an end
/// and the undecided loads (docs/experiments.md). The simulations
/// run through the same executor as the sweep's runs: in parallel over
/// designs and replications, a panic or a limit caught, `stop` (Ctrl-C)
/// honoured. The runs are returned for runs.csv and counted in
/// `results.experiment.bisection_runs`.
pub fn refine(
    exp: &Experiment,
    results: &mut ExperimentResults,
    progress: &(dyn Fn() + Sync),
    stop: &AtomicBool,
) -> Refined {
    let (Some(slo), Some(_)) = (&exp.slo, exp.load_axis) else { return Refined::default() };
    if exp.bisect == 0 {
        return Refined::default();
    }
    let points = &results.points;
    let groups = groups(exp, points);
    let mut probes: Vec<Vec<Probe>> = groups.iter().map(|(_, m)| grid_probes(slo, points, m)).collect();
    let mut active: Vec<bool> = results.capacity.designs.iter().map(|d| bracket(d).is_some()).collect();
    let mut done = Refined::default();
    let replications = exp.replications as usize;
    let first_index = exp.designs.len() * exp.points.len() * replications;
    for step in 1..=exp.bisect {
        let mut nets = Vec::new();
        for (i, (name, members)) in groups.iter().enumerate() {
            let Some(load) = next_load(&probes[i]).filter(|_| active[i]) else { continue };
            let template = &points[members[0]];
            match exp.network_at_load(template.design_index, template.point_index, load) {
                Ok(net) => nets.push((i, load, net)),
                Err(e) => {
                    done.notes.push(format!(
                        "Bisection of {name} stopped at {}: the model does not compile there: {e}",
                        whole_or_sig3(load)
                    ));
                    active[i] = false;
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
                let (stats, _) = run::simulate_choosing(net, r);
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
            done.notes
                .push("Bisection was interrupted: the capacity brackets are those of the steps that finished.".into());
            break;
        }
        for (n, (i, load, net)) in nets.iter().enumerate() {
            let mine = outcomes[n * replications..(n + 1) * replications].iter().flatten();
            let metrics = match mine.map(|o| o.as_ref().cloned()).collect::<Result<Vec<RunMetrics>, &String>>() {
                Ok(m) => m,
                Err(message) => {
                    done.notes.push(format!(
                        "Bisection of {} stopped at {}: {message}",
                        groups[*i].0,
                        whole_or_sig3(*load)
                    ));
                    active[*i] = false;
                    continue;
                }
            };
            let template = &points[groups[*i].1[0]];
            let axis_values = exp.axis_values_at_load(template.point_index, *load);
            for (r, m) in (0..exp.replications).zip(&metrics) {
                let record = RunRecord {
                    index: first_index + done.runs.len(),
                    design: template.design_index,
                    point: template.point_index,
                    replication: r,
                    seed: rng::replication_seed(exp.seed, r),
                    metrics: m.clone(),
                };
                done.runs.push(BisectionRun { step, axis_values: axis_values.clone(), record });
            }
            let probe = Probe::new(slo, *load, &summarise(net, &metrics));
            let at = probes[*i].partition_point(|p| p.load < *load);
            probes[*i].insert(at, probe);
        }
    }
    let designs = groups
        .iter()
        .zip(&probes)
        .map(|((name, members), p)| design_capacity(name.clone(), points[members[0]].summary.cost.per_hour, p))
        .collect();
    results.capacity = answer(exp, slo, designs, points, &done.notes);
    results.experiment.bisection_runs = done.runs.len();
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probes(verdicts: &[(f64, Verdict, bool)]) -> Vec<Probe> {
        let probe = |&(load, verdict, meets)| Probe { load, meets, verdict, bottleneck: None, cost_per_million: 1.0 };
        verdicts.iter().map(probe).collect()
    }

    use Verdict::{Fail, Pass, Undecided};

    #[test]
    fn the_range_runs_from_the_last_clear_pass_to_the_first_clear_failure() {
        // A clear pass above the first clear failure is noise; so is an
        // undecided load below the last clear pass.
        let p = probes(&[
            (100.0, Undecided, false),
            (200.0, Pass, true),
            (300.0, Undecided, true),
            (350.0, Undecided, false),
            (500.0, Fail, false),
            (600.0, Pass, true),
        ]);
        let d = design_capacity("d".into(), 1.0, &p);
        assert_eq!((d.max_load_low, d.max_load_high), (Some(200.0), Some(500.0)));
        assert_eq!((d.max_load, d.fails_at), (Some(300.0), Some(350.0)));
        // Halfway across the wider gap between an end and the undecided loads.
        assert_eq!(next_load(&p), Some(425.0));
        assert_eq!(next_load(&p[1..3]), None, "no clear failure: nothing to narrow");
    }

    #[test]
    fn open_ends_are_said_as_missing() {
        let d = design_capacity("d".into(), 1.0, &probes(&[(100.0, Undecided, true), (200.0, Fail, false)]));
        assert_eq!((d.max_load_low, d.max_load_high, d.max_load), (None, Some(200.0), Some(100.0)));
        let d = design_capacity("d".into(), 1.0, &probes(&[(100.0, Pass, true), (200.0, Undecided, false)]));
        assert_eq!((d.max_load_low, d.max_load_high, d.fails_at), (Some(100.0), None, Some(200.0)));
        let d = design_capacity("d".into(), 1.0, &probes(&[(100.0, Fail, false)]));
        assert_eq!((d.max_load_low, d.max_load_high, d.max_load, d.fails_at), (None, Some(100.0), None, Some(100.0)));
    }

    #[test]
    fn without_undecided_loads_bisection_halves_the_range() {
        assert_eq!(next_load(&probes(&[(100.0, Pass, true), (200.0, Fail, false)])), Some(150.0));
    }
}
