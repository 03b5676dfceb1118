//! The results of an experiment: every (design, point) summarised across
//! its replications, plus the capacity answers. This is what results.json
//! holds and what charts and the HTML report are drawn from.

use serde::{Deserialize, Serialize};

use crate::experiment::execute::RunFailure;
use crate::experiment::spec::{AxisInfo, DesignInfo, SloInfo};
use crate::stats::Summary;

/// Everything a sweep produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExperimentResults {
    /// What was asked and how it was run (provenance).
    pub experiment: ExperimentInfo,
    /// One entry per (design, point), designs in file order, points in axis order.
    pub points: Vec<PointResult>,
    /// Capacity answers.
    pub capacity: Capacity,
}

/// The experiment's definition and provenance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExperimentInfo {
    /// Experiment name.
    pub name: String,
    /// The question it answers, in a sentence.
    pub question: String,
    /// The experiment file as given.
    pub file: String,
    /// The base model file.
    pub model: String,
    /// SHA-256 over the experiment, model and catalogue texts.
    pub inputs_sha256: String,
    /// capsim's version.
    pub capsim_version: String,
    /// Experiment seed (common random numbers: every design and point uses it).
    pub seed: u64,
    /// Replications per point.
    pub replications: u32,
    /// The command line that produced the results.
    pub command: String,
    /// False when the sweep was interrupted; then some points lack replications.
    pub complete: bool,
    /// Runs planned and runs finished.
    pub runs_total: usize,
    /// Runs finished.
    pub runs_done: usize,
    /// Bisection runs finished (beyond `runs_total`: they refine the capacity
    /// answers and are the rows of runs.csv with a `bisection_step`).
    #[serde(default)]
    pub bisection_runs: usize,
    /// Runs that failed (a limit reached, or a bug), in run order; each
    /// names its design, point and replication.
    #[serde(default)]
    pub failed_runs: Vec<RunFailure>,
    /// The designs compared.
    pub designs: Vec<DesignInfo>,
    /// The swept axes.
    pub axes: Vec<AxisInfo>,
    /// Index into `axes` of the load axis (offered load), if any.
    pub load_axis: Option<usize>,
    /// The service-level objective, if any.
    pub slo: Option<SloInfo>,
    /// The design every other is compared with ("vs baseline"), if the
    /// experiment names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
}

/// One design at one point of the sweep.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PointResult {
    /// Design name.
    pub design: String,
    /// Index into the designs.
    pub design_index: usize,
    /// Index of the point (the same point across designs has the same index).
    pub point_index: usize,
    /// Axis values as written, in axis order.
    pub axis_values: Vec<String>,
    /// Axis values as numbers.
    pub axis_numeric: Vec<f64>,
    /// The load axis value as a number, if there is a load axis.
    pub load: Option<f64>,
    /// Replications finished at this point.
    pub replications: usize,
    /// Whether the point meets the SLO (`None` without an SLO or data).
    pub meets_slo: Option<bool>,
    /// Everything measured, with confidence intervals.
    pub summary: Summary,
    /// Per class, latency quantiles averaged over replications.
    pub cdf: Vec<ClassCdf>,
    /// This design against the baseline design at the same point, metric
    /// by metric, paired replication by replication (common random
    /// numbers), as `capsim compare` computes it; absent for the baseline
    /// itself and without a baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_baseline: Option<Vec<crate::compare::Row>>,
}

/// A latency distribution as quantiles.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassCdf {
    /// Class name.
    pub class: String,
    /// Cumulative probabilities.
    pub levels: Vec<f64>,
    /// Latency at each level \[s\].
    pub latency_s: Vec<f64>,
}

/// Capacity answers.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Capacity {
    /// Per design (and per combination of the other axes, if any).
    pub designs: Vec<DesignCapacity>,
    /// The first target load, if any (kept for compatibility: `targets` has every one).
    pub target_load: Option<f64>,
    /// The design named at the first target load: the cheapest that meets
    /// the SLO, on a tie the one of them with the lowest SLO latency
    /// (kept for compatibility: `targets` names the tie).
    pub cheapest_at_target: Option<String>,
    /// The cheapest-design answer at each target load, in the order written.
    #[serde(default)]
    pub targets: Vec<TargetAnswer>,
    /// The findings in sentences, for people.
    pub findings: Vec<String>,
}

impl Capacity {
    /// The answer at each target load; from results written before
    /// `targets` existed, the one that `target_load` and `cheapest_at_target` give.
    pub fn target_answers(&self) -> Vec<TargetAnswer> {
        if !self.targets.is_empty() {
            return self.targets.clone();
        }
        let answer = |load| TargetAnswer {
            load,
            cheapest: self.cheapest_at_target.iter().cloned().collect(),
            cost_per_hour: None,
            lowest_latency: self.cheapest_at_target.clone(),
        };
        self.target_load.map(answer).into_iter().collect()
    }

    /// The target loads asked about, in the order written.
    pub fn target_loads(&self) -> Vec<f64> {
        self.target_answers().iter().map(|t| t.load).collect()
    }
}

/// Which designs are cheapest at one target load.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TargetAnswer {
    /// The load \[requests/s, or the load axis's unit\].
    pub load: f64,
    /// The designs that meet the SLO there at the lowest cost per hour
    /// (costs equal to the cent count as equal), in file order; more than
    /// one is a tie. Empty when no design meets the SLO there.
    pub cheapest: Vec<String>,
    /// Their cost per hour.
    pub cost_per_hour: Option<f64>,
    /// Of `cheapest`, the one with the lowest value of the SLO's latency
    /// statistic (the tie-break, said as such in the findings).
    pub lowest_latency: Option<String>,
}

/// How much load one design holds under the SLO: a bracket from the highest
/// load that clearly met the SLO (the 95% interval of every statistic the
/// SLO limits inside its limit) to the lowest that clearly missed it (an
/// interval wholly beyond a limit), and a point estimate inside it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DesignCapacity {
    /// Design name (with other axis values appended when the grid has more axes).
    pub design: String,
    /// The point estimate: the highest load, from the bracket's low end up,
    /// whose estimates met the SLO below the first whose estimates missed it
    /// (`None`: not even the lowest).
    pub max_load: Option<f64>,
    /// The next load tried above `max_load`, whose estimates missed the SLO
    /// (`None`: none did).
    pub fails_at: Option<f64>,
    /// Low end of the bracket: the highest load that clearly met the SLO,
    /// below `max_load_high` (`None`: no load tried clearly met it).
    #[serde(default)]
    pub max_load_low: Option<f64>,
    /// High end of the bracket: the lowest load that clearly missed the SLO
    /// (`None`: no load tried clearly missed it).
    #[serde(default)]
    pub max_load_high: Option<f64>,
    /// The busiest service at `max_load` and its CPU utilisation.
    pub bottleneck: Option<(String, f64)>,
    /// Cost of the deployment per hour.
    pub cost_per_hour: f64,
    /// Cost per million requests at `max_load`.
    pub cost_per_million_at_max: Option<f64>,
}
