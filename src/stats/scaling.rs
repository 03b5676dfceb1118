//! What a Kubernetes HPA did in one run and across runs: scaling events
//! and the most replicas it asked for; and what a serverless service did:
//! cold starts, busy and idle instances, and its bill. The replicas over time are the
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

/// A serverless service's counts over one replication's window (from the kernel).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ServerlessCounts {
    /// Requests that started on an instance.
    pub requests: u64,
    /// Of them, those that waited for a cold start (their instance's or one they joined).
    pub cold: u64,
    /// Instances started.
    pub starts: u64,
    /// Time-average idle (kept-alive) instances.
    pub mean_idle: f64,
    /// Time-average instances serving (or starting for) at least one request.
    pub mean_busy: f64,
}

/// A serverless service in one replication: cold starts, instances and cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerlessMetrics {
    /// Share of requests that paid a cold start (`null` without requests).
    #[serde(with = "super::nan_as_null")]
    pub cold_start_ratio: f64,
    /// Time-average instances serving a request (or starting for one).
    pub mean_busy_instances: f64,
    /// Time-average instances kept alive with nothing to do.
    pub mean_idle_instances: f64,
    /// Requests started per second.
    pub requests_per_s: f64,
    /// Instances started (cold starts paid in full) per second (`null` in older files).
    #[serde(with = "super::nan_as_null", default = "unknown")]
    pub instance_starts_per_s: f64,
    /// Time-average requests per busy instance: requests in service over busy
    /// instances (`null` when no instance was busy).
    #[serde(with = "super::nan_as_null", default = "unknown")]
    pub requests_per_busy_instance: f64,
    /// GB-seconds billed per second: busy instances times memory.
    pub gb_s_per_s: f64,
    /// Dollars per hour: requests times their price plus GB-seconds times theirs.
    pub cost_per_hour: f64,
}

impl ServerlessMetrics {
    /// The run's figures over `observed` seconds, with `in_service` the
    /// time-average busy slots (requests on instances).
    pub fn new(c: &ServerlessCounts, in_service: f64, observed: f64, s: &crate::model::Serverless) -> Self {
        let requests_per_s = c.requests as f64 / observed;
        // Billed instance-time: an instance is billed while it serves at least one request.
        let gb_s_per_s = c.mean_busy * s.memory_gb;
        ServerlessMetrics {
            cold_start_ratio: if c.requests > 0 { c.cold as f64 / c.requests as f64 } else { f64::NAN },
            mean_busy_instances: c.mean_busy,
            mean_idle_instances: c.mean_idle,
            requests_per_s,
            instance_starts_per_s: c.starts as f64 / observed,
            requests_per_busy_instance: if c.mean_busy > 0.0 { in_service / c.mean_busy } else { f64::NAN },
            gb_s_per_s,
            cost_per_hour: 3600.0 * (requests_per_s * s.price_per_request + gb_s_per_s * s.price_per_gb_s),
        }
    }
}

/// A serverless service across replications.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerlessSummary {
    /// Share of requests that paid a cold start.
    pub cold_start_ratio: Estimate,
    /// Time-average busy instances.
    pub mean_busy_instances: Estimate,
    /// Time-average idle (kept-alive) instances.
    pub mean_idle_instances: Estimate,
    /// Requests per second.
    pub requests_per_s: Estimate,
    /// Instances started per second.
    #[serde(default = "unknown_estimate")]
    pub instance_starts_per_s: Estimate,
    /// Time-average requests per busy instance.
    #[serde(default = "unknown_estimate")]
    pub requests_per_busy_instance: Estimate,
    /// GB-seconds per second.
    pub gb_s_per_s: Estimate,
    /// Dollars per hour.
    pub cost_per_hour: Estimate,
}

/// Not known: the default of fields that files older than `concurrency` lack.
fn unknown() -> f64 {
    f64::NAN
}

/// Not known, with no interval.
fn unknown_estimate() -> Estimate {
    Estimate::exact(f64::NAN)
}
