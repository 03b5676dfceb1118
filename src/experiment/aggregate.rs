//! From finished runs to results: per (design, point) summaries with
//! confidence intervals and the SLO verdict of each point, with the capacity
//! answers the grid gives (`capacity` owns those, and their refinement).

use crate::experiment::capacity::{self, meets};
use crate::experiment::execute::{RunFailure, RunRecord};
use crate::experiment::results::{ClassCdf, ExperimentInfo, ExperimentResults, PointResult};
use crate::experiment::spec::Experiment;
use crate::stats::summarise;
use crate::stats::{CDF_LEVELS, Pooled, RunMetrics};

/// Design `d` against the baseline design at point `p`, over the
/// replications both finished (paired by replication: the same seed).
fn vs_baseline(exp: &Experiment, records: &[RunRecord], d: usize, p: usize) -> Option<Vec<crate::compare::Row>> {
    let b = exp.baseline.filter(|&b| b != d)?;
    let at = |design: usize, r: u32| {
        records.iter().find(|x| x.design == design && x.point == p && x.replication == r).map(|x| x.metrics.clone())
    };
    let (base, other): (Vec<RunMetrics>, Vec<RunMetrics>) =
        (0..exp.replications).filter_map(|r| Some((at(b, r)?, at(d, r)?))).unzip();
    if base.is_empty() {
        return None;
    }
    Some(crate::compare::rows(&exp.networks[b][p], &base, &other, &crate::compare::DetectRules::default()))
}

/// The point's answer to the recovery question, from its runs' answers (as
/// `run` gives it from their series); `None` without the question, or when a
/// run kept no answer (a shard written before sweeps answered it).
fn recovery(net: &crate::model::Network, metrics: &[RunMetrics]) -> Option<crate::stats::RecoverySummary> {
    let r = net.settings.recovery.as_ref()?;
    let each: Option<Vec<(f64, Option<f64>)>> =
        metrics.iter().map(|m| m.recovery.map(|x| (x.baseline, x.after_s))).collect();
    Some(crate::stats::summarise_answers(r, &each?))
}

/// Builds the results from finished runs (in run order). Capacity answers
/// come from the grid; [`capacity::refine`] sharpens them by bisection.
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
            let mut summary = summarise(net, &metrics);
            summary.recovery = recovery(net, &metrics);
            let cdf = net
                .classes
                .iter()
                .enumerate()
                .map(|(c, class)| {
                    // Pooled over replications, as the summary's percentiles are.
                    let pooled = Pooled::new(metrics.iter().map(|m| &m.classes[c].latency_sketch).collect());
                    ClassCdf {
                        class: class.name.clone(),
                        levels: CDF_LEVELS.to_vec(),
                        latency_s: CDF_LEVELS.iter().map(|&q| pooled.quantile(q)).collect(),
                    }
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
                vs_baseline: vs_baseline(exp, records, d, p),
            });
        }
    }
    let capacity = capacity::from_grid(exp, &points);
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
            bisection_runs: 0,
            failed_runs: failures.to_vec(),
            designs: exp.designs.clone(),
            axes: exp.axes.clone(),
            load_axis: exp.load_axis,
            slo: exp.slo.clone(),
            baseline: exp.baseline.map(|b| exp.designs[b].name.clone()),
        },
        points,
        capacity,
    }
}
