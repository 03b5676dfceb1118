//! `recovery = { ... }` under `[simulation]`: when a trigger (a spike or a
//! slowdown the model's profiles apply) ends, and what "recovered" means.

use serde::Deserialize;

use super::{PositiveSeconds, Seconds};
use crate::policy::RecoveryMetric;

/// The recovery question of a run: did the system come back after the trigger?
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoveryConfig {
    /// `[start, end]` of the trigger, in simulated time from the run's start (warm-up included).
    pub trigger: (Seconds, Seconds),
    /// What must come back (default: goodput, successful requests per second).
    #[serde(default)]
    pub metric: RecoveryMetric,
    /// The class watched (default: every class, goodput summed, p99 the worst).
    pub class: Option<String>,
    /// Back within this share of the pre-trigger level (default 0.1).
    pub within: Option<f64>,
    /// ... for this long without a break (default 60 s).
    pub hold: Option<PositiveSeconds>,
}
