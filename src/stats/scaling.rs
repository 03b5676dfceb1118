//! What a Kubernetes HPA did in one run and across runs: scaling events
//! and the most replicas it asked for. The replicas over time are the
//! series' `instances` column; their time average is `mean_instances`.

use serde::{Deserialize, Serialize};

use super::Estimate;

/// An HPA's counts over one replication's window (from the kernel).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ScalingCounts {
    /// Syncs that added replicas.
    pub scale_ups: u64,
    /// Syncs that removed replicas.
    pub scale_downs: u64,
    /// Most replicas asked for (ready or starting).
    pub max_replicas: u32,
}

/// An HPA's scaling in one replication.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScalingMetrics {
    /// Scale-ups per hour of simulated time.
    pub scale_ups_per_hour: f64,
    /// Scale-downs per hour of simulated time.
    pub scale_downs_per_hour: f64,
    /// Most replicas asked for.
    pub max_replicas: f64,
}

impl ScalingMetrics {
    /// Per-hour rates over `observed` seconds.
    pub fn new(c: &ScalingCounts, observed: f64) -> Self {
        ScalingMetrics {
            scale_ups_per_hour: c.scale_ups as f64 / observed * 3600.0,
            scale_downs_per_hour: c.scale_downs as f64 / observed * 3600.0,
            max_replicas: f64::from(c.max_replicas),
        }
    }
}

/// An HPA's scaling across replications.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScalingSummary {
    /// Scale-ups per hour.
    pub scale_ups_per_hour: Estimate,
    /// Scale-downs per hour.
    pub scale_downs_per_hour: Estimate,
    /// Most replicas asked for in a replication (its mean over replications).
    pub max_replicas: Estimate,
}
