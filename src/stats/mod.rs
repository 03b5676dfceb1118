//! Statistics, from the kernel's tallies to the output schema:
//!
//! - `tally`: what one replication counts ([`RunStats`]), latency
//!   histograms, and the causes of failure;
//! - `metrics`: the scalars one replication measured ([`RunMetrics`]),
//!   which sweeps keep and shards store;
//! - `estimate`: a value with its 95% interval across replications ([`Estimate`]);
//! - `sketch`: percentiles pooled over replications, with their intervals;
//! - `summary`: the output schema ([`Summary`]) that every view reads, and
//!   `summarise`, which builds it from replications;
//! - `columns`: every metric that becomes a CSV column, defined once;
//! - `utilisation`: what a service's utilisation means, and its busiest
//!   service, defined once;
//! - `platform`: a service's CPU-limit throttling and pauses; `hedge`: a
//!   hedged call site's twins and their cost;
//! - `recovery`: whether a run came back after its trigger, and how fast;
//! - `scaling`: what a Kubernetes HPA did (scaling events, most replicas);
//! - `serde_nan`: NaN written to JSON as `null`.

pub mod columns;
mod durations;
mod estimate;
mod hedge;
mod metrics;
mod platform;
mod recovery;
mod scaling;
mod serde_nan;
pub(crate) use serde_nan::nan_as_null;
mod sketch;
mod summarise;
mod summary;
mod tally;
pub mod utilisation;

pub use durations::{DurationCounts, DurationMetrics};
pub use estimate::{Estimate, student_t_quantile};
pub use hedge::{HedgeMetrics, HedgeSummary};
pub use metrics::{
    CDF_LEVELS, CacheMetrics, CallMetrics, ClassAtServiceMetrics, ClassMetrics, DatabaseMetrics, LatencyMetrics,
    OpMetrics, PoolMetrics, QueueMetrics, RunMetrics, ServiceMetrics,
};
pub use platform::{CpuLimitMetrics, CpuLimitSummary, PausesMetrics, PausesSummary};
pub use recovery::{RecoverySummary, RunRecovery, recovery_of, run_recovery, summarise_answers, summarise_recovery};
pub use scaling::{
    ScalingCounts, ScalingMetrics, ScalingSummary, ServerlessCounts, ServerlessMetrics, ServerlessSummary,
};
pub use sketch::{LatencySketch, Pooled, PooledPercentile};
pub use summarise::{EFFECTIVE_TAIL_SAMPLES, RAW_TAIL_SAMPLES, summarise};
pub use summary::{
    CacheSummary, CallSummary, ClassAtServiceSummary, ClassKind, ClassSummary, CostSummary, DatabaseSummary, Latency,
    LatencyKind, LatencyStat, Measure, OperationSummary, PoolSummary, QueueSummary, ServiceSummary, Summary,
};
pub use tally::{
    CacheRun, ClassRun, ClassSeries, DatabaseRun, ErrorCause, GuardRun, LatencyCounts, LatencyTally, OpClassRun,
    PoolRun, QueueRun, RunStats, Series, ServiceRun, ServiceSeries, latency_histogram,
};
