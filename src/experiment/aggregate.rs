//! From finished runs to answers: per (design, point) summaries with
//! confidence intervals, the SLO verdict of each point, and the capacity
//! questions: the highest load each design holds under the SLO (refined by
//! bisection when asked), its bottleneck, and the cheapest design at a
//! target load, also said in sentences.

use rayon::prelude::*;

use crate::experiment::execute::{RunFailure, RunRecord};
use crate::experiment::results::{
    Capacity, ClassCdf, DesignCapacity, ExperimentInfo, ExperimentResults, PointResult, SloInfo,
};
use crate::experiment::spec::Experiment;
use crate::run::{Summary, summarise};
use crate::stats::{CDF_LEVELS, RunMetrics};
use crate::units::{format_duration, sig3};

/// Builds the results from finished runs (in run order).
pub fn assemble(exp: &Experiment, records: &[RunRecord], failures: &[RunFailure], command: &str) -> ExperimentResults {
    let runs_total = exp.designs.len() * exp.points.len() * exp.replications as usize;
    let mut points = Vec::new();
    for (d, design) in exp.designs.iter().enumerate() {
        for (p, axis_index) in exp.points.iter().enumerate() {
            let metrics: Vec<RunMetrics> =
                records.iter().filter(|r| r.design == d && r.point == p).map(|r| r.metrics.clone()).collect();
            if metrics.is_empty() {
                continue;
            }
            let net = &exp.networks[d][p];
            let summary = summarise(net, &metrics);
            let cdf = net
                .classes
                .iter()
                .enumerate()
                .map(|(c, class)| ClassCdf {
                    class: class.name.clone(),
                    levels: CDF_LEVELS.to_vec(),
                    latency_s: (0..CDF_LEVELS.len())
                        .map(|q| {
                            metrics.iter().map(|m| m.classes[c].quantiles_s[q]).sum::<f64>() / metrics.len() as f64
                        })
                        .collect(),
                })
                .collect();
            let axis_numeric: Vec<f64> = exp.axes.iter().zip(axis_index).map(|(a, &v)| a.numeric[v]).collect();
            points.push(PointResult {
                design: design.name.clone(),
                design_index: d,
                point_index: p,
                axis_values: exp.axes.iter().zip(axis_index).map(|(a, &v)| a.values[v].clone()).collect(),
                load: exp.load_axis.map(|l| axis_numeric[l]),
                axis_numeric,
                replications: metrics.len(),
                meets_slo: exp.slo.as_ref().and_then(|slo| meets(slo, &summary)),
                summary,
                cdf,
            });
        }
    }
    let capacity = capacity(exp, &points);
    ExperimentResults {
        experiment: ExperimentInfo {
            name: exp.name.clone(),
            question: exp.question.clone(),
            file: exp.file.clone(),
            model: exp.model.clone(),
            inputs_sha256: exp.inputs_sha256.clone(),
            capsim_version: env!("CARGO_PKG_VERSION").to_string(),
            seed: exp.seed,
            replications: exp.replications,
            command: command.to_string(),
            complete: records.len() == runs_total,
            runs_total,
            runs_done: records.len(),
            failed_runs: failures.to_vec(),
            designs: exp.designs.clone(),
            axes: exp.axes.clone(),
            load_axis: exp.load_axis,
            slo: exp.slo.clone(),
        },
        points,
        capacity,
    }
}

/// Whether a summary meets the SLO; `None` when a needed value is missing.
pub fn meets(slo: &SloInfo, s: &Summary) -> Option<bool> {
    let mut ok = true;
    for c in s.classes.iter().filter(|c| slo.class.as_ref().is_none_or(|n| n == &c.name)) {
        if let Some((stat, limit)) = &slo.latency {
            let l = &c.latency_s;
            let v = match stat.as_str() {
                "mean" => l.mean.value,
                "p50" => l.p50.value,
                "p90" => l.p90.value,
                "p95" => l.p95.value,
                "p99" => l.p99.value,
                _ => l.p999.value,
            };
            if v.is_nan() {
                // Nothing completed: certainly not meeting a latency SLO.
                ok = false;
            } else {
                ok &= v <= *limit;
            }
        }
        if let Some(limit) = slo.error_ratio {
            ok &= c.error_ratio.value <= limit;
        }
    }
    Some(ok)
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

fn capacity(exp: &Experiment, points: &[PointResult]) -> Capacity {
    let (Some(slo), Some(_)) = (&exp.slo, exp.load_axis) else {
        return Capacity { target_load: exp.target_load, ..Capacity::default() };
    };
    let mut designs: Vec<DesignCapacity> = groups(exp, points)
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
        .collect();
    if exp.bisect > 0 {
        bisect(exp, points, slo, &mut designs);
    }

    let mut cheapest_at_target = None;
    if let Some(target) = exp.target_load {
        cheapest_at_target = points
            .iter()
            .filter(|p| p.load.is_some_and(|l| (l - target).abs() <= 1e-9 * target.abs().max(1.0)))
            .filter(|p| p.meets_slo == Some(true))
            .min_by(|a, b| {
                // Equal prices: the design with the lower tail latency wins.
                let p99 = |p: &PointResult| p.summary.classes.first().map_or(f64::INFINITY, |c| c.latency_s.p99.value);
                a.summary.cost.per_hour.total_cmp(&b.summary.cost.per_hour).then(p99(a).total_cmp(&p99(b)))
            })
            .map(|p| p.design.clone());
    }
    let findings = findings(exp, slo, &designs, points, cheapest_at_target.as_deref());
    Capacity { designs, target_load: exp.target_load, cheapest_at_target, findings }
}

/// Refines each design's (max_load, fails_at) bracket by simulating midpoints.
fn bisect(exp: &Experiment, points: &[PointResult], slo: &SloInfo, designs: &mut [DesignCapacity]) {
    let groups = groups(exp, points);
    designs.par_iter_mut().zip(groups.par_iter()).for_each(|(cap, (_, members))| {
        let (Some(mut lo), Some(mut hi)) = (cap.max_load, cap.fails_at) else { return };
        let template = &points[members[0]];
        for _ in 0..exp.bisect {
            let mid = (lo + hi) / 2.0;
            let Ok(net) = exp.network_at_load(template.design_index, template.point_index, mid) else { return };
            // Replications in parallel too: with fewer designs than twice the
            // threads, one step per design at a time left cores idle at the end
            // of the sweep. Collected in replication order, as before.
            let metrics: Vec<RunMetrics> = (0..exp.replications)
                .into_par_iter()
                .map(|r| RunMetrics::new(&net, &crate::run::simulate_replication(&net, r)))
                .collect();
            let summary = summarise(&net, &metrics);
            if meets(slo, &summary) == Some(true) {
                lo = mid;
                cap.bottleneck = bottleneck(&summary);
                cap.cost_per_million_at_max = Some(summary.cost.per_million_requests.value);
            } else {
                hi = mid;
            }
        }
        cap.max_load = Some(lo);
        cap.fails_at = Some(hi);
    });
}

fn rate_text(x: f64) -> String {
    if x == x.round() && x.abs() < 1e15 {
        let whole = x.round() as u64;
        let s = whole.to_string();
        let mut out = String::new();
        for (i, ch) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(ch);
        }
        out
    } else {
        sig3(x)
    }
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
                rate_text(max),
                rate_text(fail)
            ),
            (Some(max), None) => {
                format!("{} meets the SLO at every load tried, up to {}{unit}{cost}{neck}.", d.design, rate_text(max))
            }
            (None, Some(fail)) => format!("{} misses the SLO already at {}{unit}{neck}.", d.design, rate_text(fail)),
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
            rate_text(target),
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
                        let p99 = p
                            .summary
                            .classes
                            .first()
                            .map(|c| format_duration(c.latency_s.p99.value))
                            .unwrap_or_default();
                        format!(" (${:.2} per hour, p99 {p99})", p.summary.cost.per_hour)
                    })
                    .unwrap_or_default();
                out.push(format!(
                    "At {}{unit}, the cheapest design that meets the SLO is {name}{detail}.",
                    rate_text(target)
                ));
            }
            None => out.push(format!("At {}{unit}, no design meets the SLO.", rate_text(target))),
        }
    }
    out
}
