//! From the runs of a [`Plan`] to what each parameter does: per metric its
//! value at the nominal and at each end, the relative effect of each end,
//! and the elasticity `d ln metric / d ln parameter` by central difference,
//! `(ln m_high - ln m_low) / (ln p_high - ln p_low)`, computed replication
//! by replication (the ends share the nominal's random numbers) so that it
//! carries a Student-t interval. A parameter that changes no metric in any
//! replication is moved to the skipped list.

use serde::{Deserialize, Serialize};

use crate::compare::{Metric, bottleneck, metrics, priced};
use crate::experiment::spec::SloInfo;
use crate::stats::{Estimate, RunMetrics};

use super::plan::{End, Ends, Plan, Setting};
use super::ranking::{self, Ranking};

/// A parameter left out, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    /// The dotted path.
    pub path: String,
    /// Why, in words.
    pub reason: String,
}

/// One metric's response to one parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    /// What is measured.
    pub metric: Metric,
    /// At the parameter's low end.
    pub low: Estimate,
    /// At the nominal.
    pub nominal: Estimate,
    /// At the high end.
    pub high: Estimate,
    /// The low end's value over the nominal's, minus 1.
    #[serde(with = "crate::stats::nan_as_null")]
    pub low_change: f64,
    /// The high end's.
    #[serde(with = "crate::stats::nan_as_null")]
    pub high_change: f64,
    /// d ln metric / d ln parameter (NaN where the metric is not positive).
    pub elasticity: Estimate,
}

/// One parameter in one setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterResult {
    /// The dotted path.
    pub path: String,
    /// The relative range (0.2: ±20%).
    pub fraction: f64,
    /// Its values.
    #[serde(flatten)]
    pub ends: Ends,
    /// Per metric.
    pub effects: Vec<Effect>,
}

impl ParameterResult {
    /// The effect on the metric `label`.
    pub fn effect(&self, label: &str) -> Option<&Effect> {
        self.effects.iter().find(|e| e.metric.label() == label)
    }
}

/// One setting (the model, or a design): every parameter's effects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingResult {
    /// The setting.
    #[serde(flatten)]
    pub setting: Setting,
    /// Per parameter, in the order varied.
    pub parameters: Vec<ParameterResult>,
}

/// What `capsim sensitivity` found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sensitivity {
    /// Format tag of the JSON.
    pub format: String,
    /// The model (or experiment) file.
    pub file: String,
    /// The seed every run shares.
    pub seed: u64,
    /// Replications per setting and end.
    pub replications: u32,
    /// The class the tornado chart shows.
    pub class: String,
    /// Per setting.
    pub settings: Vec<SettingResult>,
    /// Parameters left out, and why.
    pub skipped: Vec<Skipped>,
    /// With several designs: the choice of design at every end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranking: Option<Ranking>,
}

fn values(metric: &Metric, runs: &[RunMetrics]) -> Vec<f64> {
    runs.iter().map(|r| metric.value(r)).collect()
}

/// Mean of `x` (NaN when empty or any is NaN).
fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

fn effect(metric: Metric, ends: &Ends, low: &[RunMetrics], nominal: &[RunMetrics], high: &[RunMetrics]) -> Effect {
    let (l, n, h) = (values(&metric, low), values(&metric, nominal), values(&metric, high));
    let span = ends.high.ln() - ends.low.ln();
    let per_rep: Vec<f64> =
        l.iter().zip(&h).filter(|(a, b)| **a > 0.0 && **b > 0.0).map(|(a, b)| (b.ln() - a.ln()) / span).collect();
    let elasticity =
        if per_rep.len() == l.len() { Estimate::from_samples(&per_rep) } else { Estimate::exact(f64::NAN) };
    Effect {
        low: Estimate::from_samples(&l),
        nominal: Estimate::from_samples(&n),
        high: Estimate::from_samples(&h),
        low_change: mean(&l) / mean(&n) - 1.0,
        high_change: mean(&h) / mean(&n) - 1.0,
        elasticity,
        metric,
    }
}

/// Whether two replications' values agree bit for bit (NaN with NaN).
fn identical(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// The effects of every parameter of `plan`, from `runs` (one list per
/// network of the plan, in its order). `class` is the class the tornado
/// shows; `slo`, with several settings, decides the choice of design.
pub fn analyse(file: &str, plan: &Plan, runs: &[Vec<RunMetrics>], class: &str, slo: Option<&SloInfo>) -> Sensitivity {
    let mut settings: Vec<SettingResult> = Vec::new();
    let mut moved = vec![true; plan.varies.len()];
    for (s, setting) in plan.settings.iter().enumerate() {
        let nominal = &runs[plan.index(s, None)];
        let net = &plan.networks[plan.index(s, None)];
        let all = metrics(net, bottleneck(nominal), runs.iter().any(|r| priced(r)));
        let mut parameters = Vec::new();
        for (p, vary) in plan.varies.iter().enumerate() {
            let (low, high) = (&runs[plan.index(s, Some((p, End::Low)))], &runs[plan.index(s, Some((p, End::High)))]);
            let same = all.iter().all(|m| {
                let n = values(m, nominal);
                identical(&values(m, low), &n) && identical(&values(m, high), &n)
            });
            moved[p] &= same;
            let ends = &plan.ends[s][p];
            let effects = all.iter().map(|m| effect(m.clone(), ends, low, nominal, high)).collect();
            parameters.push(ParameterResult {
                path: vary.path.clone(),
                fraction: vary.fraction,
                ends: ends.clone(),
                effects,
            });
        }
        settings.push(SettingResult { setting: setting.clone(), parameters });
    }
    let mut skipped = plan.skipped.clone();
    for (vary, _) in plan.varies.iter().zip(&moved).filter(|(_, m)| **m) {
        skipped.push(Skipped {
            path: vary.path.clone(),
            reason: "no effect: every metric is the same at both ends in every replication".into(),
        });
    }
    let ranking = (plan.settings.len() > 1).then(|| ranking::rank(plan, runs, class, slo));
    for s in &mut settings {
        let mut k = 0;
        s.parameters.retain(|_| {
            k += 1;
            !moved[k - 1]
        });
    }
    let first = &plan.networks[0].settings;
    Sensitivity {
        format: "capsim-sensitivity-1".into(),
        file: file.to_string(),
        seed: first.seed,
        replications: first.replications,
        class: class.to_string(),
        settings,
        skipped,
        ranking,
    }
}
