//! Did the run come back after its trigger, and how fast? Each
//! replication's series answers on its own: the baseline is the metric's
//! mean over the whole intervals between the warm-up and the trigger; the
//! system has recovered at the start of the first run of intervals after the
//! trigger's end, `hold` long, each within `within` of that baseline. A
//! replication with no such run stayed degraded: a metastable failure when
//! the trigger is gone and retries or timeouts keep the load up.

use serde::{Deserialize, Serialize};

use super::{Estimate, Series};
use crate::model::Recovery;
use crate::policy::RecoveryMetric;

/// The answer across replications.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecoverySummary {
    /// `goodput` or `p99`.
    pub metric: String,
    /// The pre-trigger level (mean over replications): requests/s or seconds.
    pub baseline: Estimate,
    /// When the trigger ended \[s from the run's start\].
    pub trigger_end_s: f64,
    /// Replications that recovered, of all.
    pub recovered: u32,
    /// Replications run.
    pub replications: u32,
    /// Time from the trigger's end to recovery, over the replications that recovered \[s\].
    #[serde(with = "super::serde_nan::nan_as_null")]
    pub recovery_s: f64,
    /// Each replication's recovery time \[s\], `null` where it stayed degraded.
    pub per_replication_s: Vec<Option<f64>>,
}

/// The metric in each interval of one replication.
fn values(r: &Recovery, s: &Series) -> Vec<f64> {
    let classes: Vec<_> = match r.class {
        Some(c) => vec![&s.classes[c as usize]],
        None => s.classes.iter().collect(),
    };
    (0..s.t_s.len())
        .map(|i| match r.metric {
            RecoveryMetric::Goodput => classes.iter().map(|c| c.throughput_per_s[i]).sum(),
            RecoveryMetric::P99 => classes.iter().map(|c| c.p99_s[i]).fold(f64::NAN, f64::max),
        })
        .collect()
}

/// One replication: (baseline, seconds from the trigger's end to recovery if it came).
pub fn recovery_of(r: &Recovery, warmup_s: f64, s: &Series) -> (f64, Option<f64>) {
    let v = values(r, s);
    let starts = |i: usize| s.t_s[i] - s.interval_s;
    let before: Vec<f64> = (0..v.len())
        .filter(|&i| starts(i) >= warmup_s && s.t_s[i] <= r.start && !v[i].is_nan())
        .map(|i| v[i])
        .collect();
    let baseline = before.iter().sum::<f64>() / before.len() as f64;
    let ok = |x: f64| match r.metric {
        RecoveryMetric::Goodput => x >= (1.0 - r.within) * baseline,
        RecoveryMetric::P99 => x <= (1.0 + r.within) * baseline,
    };
    let need = (r.hold / s.interval_s - 1e-9).ceil().max(1.0) as usize;
    let mut run = 0;
    for i in (0..v.len()).filter(|&i| starts(i) >= r.end - 1e-9) {
        run = if ok(v[i]) { run + 1 } else { 0 };
        if run == need {
            return (baseline, Some((starts(i + 1 - need) - r.end).max(0.0)));
        }
    }
    (baseline, None)
}

/// One replication's answer, as a sweep's run keeps it (`runs.csv`, shards).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunRecovery {
    /// The pre-trigger level: requests/s or seconds.
    #[serde(with = "super::serde_nan::nan_as_null")]
    pub baseline: f64,
    /// Time from the trigger's end to recovery \[s\]; `None`: it stayed degraded.
    pub after_s: Option<f64>,
}

/// The answer of one replication of `net`, whose warm-up ended at
/// `warmup_s`, when the model asks the question and the run recorded its series.
pub fn run_recovery(net: &crate::model::Network, warmup_s: f64, stats: &super::RunStats) -> Option<RunRecovery> {
    let r = net.settings.recovery.as_ref()?;
    let (baseline, after_s) = recovery_of(r, warmup_s, stats.series.as_ref()?);
    Some(RunRecovery { baseline, after_s })
}

/// Every replication's answer, summarised.
pub fn summarise_recovery(r: &Recovery, warmup_s: f64, series: &[Series]) -> RecoverySummary {
    let each: Vec<(f64, Option<f64>)> = series.iter().map(|s| recovery_of(r, warmup_s, s)).collect();
    summarise_answers(r, &each)
}

/// The replications' answers, (baseline, time to recovery) in replication
/// order, summarised: `run` answers from its series, a sweep's point from
/// its runs' [`RunRecovery`], with the same arithmetic.
pub fn summarise_answers(r: &Recovery, each: &[(f64, Option<f64>)]) -> RecoverySummary {
    let times: Vec<f64> = each.iter().filter_map(|e| e.1).collect();
    RecoverySummary {
        metric: match r.metric {
            RecoveryMetric::Goodput => "goodput".into(),
            RecoveryMetric::P99 => "p99".into(),
        },
        baseline: Estimate::from_samples(&each.iter().map(|e| e.0).collect::<Vec<_>>()),
        trigger_end_s: r.end,
        recovered: times.len() as u32,
        replications: each.len() as u32,
        recovery_s: if times.is_empty() { f64::NAN } else { times.iter().sum::<f64>() / times.len() as f64 },
        per_replication_s: each.iter().map(|e| e.1).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::ClassSeries;

    fn series(goodput: &[f64]) -> Series {
        let n = goodput.len();
        Series {
            interval_s: 10.0,
            t_s: (1..=n).map(|i| i as f64 * 10.0).collect(),
            classes: vec![ClassSeries {
                throughput_per_s: goodput.to_vec(),
                errors_per_s: vec![0.0; n],
                p50_s: vec![0.0; n],
                p99_s: vec![0.0; n],
            }],
            services: Vec::new(),
            queue_depth: Vec::new(),
            hedges_per_s: Vec::new(),
        }
    }

    fn question() -> Recovery {
        Recovery { start: 30.0, end: 50.0, metric: RecoveryMetric::Goodput, class: None, within: 0.1, hold: 20.0 }
    }

    #[test]
    fn recovery_is_timed_from_the_trigger_end_to_the_first_sustained_run() {
        // Baseline 100 (0-30 s). After 50 s: 50, 95 (ok), 80 (breaks), 92, 97: recovered from 80 s, 30 s after the end.
        let s = series(&[100.0, 100.0, 100.0, 10.0, 10.0, 50.0, 95.0, 80.0, 92.0, 97.0, 100.0]);
        assert_eq!(recovery_of(&question(), 0.0, &s), (100.0, Some(30.0)));
        // The warm-up excludes the first interval from the baseline: (100 + 130) / 2 = 115, and 97 < 103.5.
        let s = series(&[40.0, 100.0, 130.0, 10.0, 10.0, 50.0, 95.0, 80.0, 92.0, 97.0, 110.0, 120.0]);
        assert_eq!(recovery_of(&question(), 10.0, &s), (115.0, Some(50.0)));
    }

    #[test]
    fn a_system_that_stays_down_has_not_recovered() {
        let s = series(&[100.0, 100.0, 100.0, 10.0, 10.0, 0.0, 0.0, 95.0, 0.0, 0.0, 0.0]);
        assert_eq!(recovery_of(&question(), 0.0, &s).1, None);
        let summary = summarise_recovery(&question(), 0.0, &[s, series(&[100.0; 11])]);
        assert_eq!((summary.recovered, summary.replications, summary.recovery_s), (1, 2, 0.0));
        assert_eq!(summary.per_replication_s, vec![None, Some(0.0)]);
    }
}
