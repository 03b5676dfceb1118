//! `hpa = { ... }` on a service: the Kubernetes Horizontal Pod Autoscaler
//! (autoscaling/v2), its keys named after the HPA's spec and defaulting to
//! its documented defaults; with `metric = "backlog"`, KEDA's queue scaler.

use serde::Deserialize;
use toml::Spanned;

use super::{Positive, PositiveF64, PositiveSeconds, Seconds};
use crate::policy::{HpaMetric, HpaSelect};

/// The HPA of one service (a Deployment's replicas).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HpaConfig {
    /// `minReplicas`.
    pub min: Positive<u32>,
    /// `maxReplicas`.
    pub max: Positive<u32>,
    /// What the HPA holds at `target` (default: CPU utilisation of the pods' requests).
    #[serde(default)]
    pub metric: HpaMetric,
    /// Target utilisation (0-1, `averageUtilization` / 100) or messages per replica (KEDA's `value`).
    pub target: PositiveF64,
    /// The controller's sync period (`--horizontal-pod-autoscaler-sync-period`, 15 s).
    pub sync: Option<PositiveSeconds>,
    /// No change while |metric / target - 1| is at most this (`--horizontal-pod-autoscaler-tolerance`, 0.1).
    pub tolerance: Option<f64>,
    /// Time from the decision until the pod's container runs (scheduling, image pull, start).
    #[serde(default)]
    pub startup: Seconds,
    /// Time from the container's start until the readiness probe passes and it gets traffic.
    #[serde(default)]
    pub readiness: Seconds,
    /// `behavior.scaleUp` (default: no stabilisation, max of 4 pods or 100% per 15 s).
    pub scale_up: Option<Spanned<HpaRulesConfig>>,
    /// `behavior.scaleDown` (default: 300 s stabilisation, 100% per 15 s).
    pub scale_down: Option<Spanned<HpaRulesConfig>>,
}

/// `behavior.scaleUp` or `behavior.scaleDown`: stabilisation and rate limits.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HpaRulesConfig {
    /// `stabilizationWindowSeconds`.
    pub window: Option<Seconds>,
    /// `selectPolicy`: the policy allowing the most change (`max`), the least (`min`), or none (`disabled`).
    pub select: Option<HpaSelect>,
    /// `policies`: `{ pods = 4, period = "15s" }` or `{ percent = 100, period = "15s" }`.
    pub policies: Option<Vec<Spanned<HpaPolicyConfig>>>,
}

/// One scaling policy: at most `pods` or `percent` change per `period`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HpaPolicyConfig {
    /// Pods added or removed per period (`type: Pods`).
    pub pods: Option<Positive<u32>>,
    /// Percent of the replicas at the period's start (`type: Percent`).
    pub percent: Option<Positive<u32>>,
    /// `periodSeconds`.
    pub period: PositiveSeconds,
}
