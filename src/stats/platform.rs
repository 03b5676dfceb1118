//! What a service's CPU limit and pauses cost, per run and across
//! replications: the throttled share of CFS periods and of time, pauses
//! per second and the paused share of time. Present only for services that
//! have them (`cpu_limit`, `pauses`), so other models' outputs do not change.

use serde::{Deserialize, Serialize};

use super::{Estimate, RunMetrics, ServiceRun};
use crate::model::Service;

/// A CPU limit's throttling in one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuLimitMetrics {
    /// Periods in which the quota ran out, over periods with CPU work to do
    /// (cgroup `nr_throttled / nr_periods`).
    pub throttled_periods: f64,
    /// Share of the instances' time spent throttled.
    pub throttled_time: f64,
}

/// Pauses in one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PausesMetrics {
    /// Pauses started per second, all instances together.
    pub pauses_per_s: f64,
    /// Share of the instances' time spent paused.
    pub paused_time: f64,
}

/// A service's (CPU-limit, pauses) metrics in one run; `instance_s`: its
/// instances' time in the window (mean instances × window).
pub(crate) fn run_metrics(
    s: &ServiceRun,
    svc: &Service,
    observed: f64,
    instances: f64,
) -> (Option<CpuLimitMetrics>, Option<PausesMetrics>) {
    let instance_s = (observed * instances).max(f64::MIN_POSITIVE);
    let limit = svc.cpu_limit.map(|_| CpuLimitMetrics {
        throttled_periods: if s.cpu_periods == 0 { 0.0 } else { s.throttled_periods as f64 / s.cpu_periods as f64 },
        throttled_time: s.throttled_s / instance_s,
    });
    let pauses = svc
        .pauses
        .as_ref()
        .map(|_| PausesMetrics { pauses_per_s: s.pauses as f64 / observed, paused_time: s.paused_s / instance_s });
    (limit, pauses)
}

/// A CPU limit and its throttling across replications.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CpuLimitSummary {
    /// The limit per instance \[cores\].
    pub limit_cores: f64,
    /// The CFS period \[s\].
    pub period_s: f64,
    /// Periods in which the quota ran out, over periods with CPU work to do.
    pub throttled_periods: Estimate,
    /// Share of the instances' time spent throttled.
    pub throttled_time: Estimate,
}

/// Pauses across replications.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PausesSummary {
    /// Pauses started per second, all instances together.
    pub pauses_per_s: Estimate,
    /// Share of the instances' time spent paused.
    pub paused_time: Estimate,
    /// The long-run paused share the model implies: E\[duration\] / (E\[every\] + E\[duration\]).
    pub expected_paused_time: f64,
}

/// A service's (CPU-limit, pauses) summaries; `s`: its index.
pub(crate) fn summaries(
    svc: &Service,
    s: usize,
    runs: &[RunMetrics],
) -> (Option<CpuLimitSummary>, Option<PausesSummary>) {
    let est = |f: &dyn Fn(&RunMetrics) -> f64| Estimate::from_samples(&runs.iter().map(f).collect::<Vec<_>>());
    let limit = svc.cpu_limit.map(|l| {
        let get = |r: &RunMetrics| r.services[s].cpu_limit.clone().unwrap_or_default();
        CpuLimitSummary {
            limit_cores: l.cores,
            period_s: l.period,
            throttled_periods: est(&|r| get(r).throttled_periods),
            throttled_time: est(&|r| get(r).throttled_time),
        }
    });
    let pauses = svc.pauses.as_ref().map(|p| {
        let get = |r: &RunMetrics| r.services[s].pauses.clone().unwrap_or_default();
        PausesSummary {
            pauses_per_s: est(&|r| get(r).pauses_per_s),
            paused_time: est(&|r| get(r).paused_time),
            expected_paused_time: p.paused_share(),
        }
    });
    (limit, pauses)
}
